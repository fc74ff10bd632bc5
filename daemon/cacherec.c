/*
 * The layouts of the records in a cache object.  Most flows through a
 * firewall are IPv4, and an IPv4 tuple needs 16 bytes of the 40 of a
 * struct ct_tuple: a conntrack whose tuples are IPv4 takes an object a
 * quarter smaller.  At a million flows that is memory a resync need not
 * first touch and cache lines a lookup need not read.  A short tuple is
 * used only where it gives back exactly what it was given.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cacherec.h"

/*
 * The parts of a conntrack few flows have (a master, SCTP tags,
 * sequence adjustment, synproxy, labels, a helper): kept apart, so only
 * the flows that have them pay for them.
 */
struct ct_rare {
	struct ct_tuple	 master;
	uint32_t	 sctp_vtag_orig;
	uint32_t	 sctp_vtag_repl;
	uint32_t	 seqadj[6];
	uint32_t	 synproxy[3];
	uint32_t	 labels[CT_LABEL_WORDS];
	char		 helper[CT_HELPER_MAX];
};

/* a conntrack past its tuples, in either layout */
struct ct_body {
	struct ct_rare	*rare;		/* NULL: all rare parts zero */
	uint32_t	 flags;
	uint32_t	 status;
	uint32_t	 timeout;
	uint32_t	 mark;
	uint32_t	 secmark;
	uint16_t	 zone;
	uint8_t		 state;
	uint8_t		 dccp_role;
	uint8_t		 wscale_orig;
	uint8_t		 wscale_repl;
};

/* a struct ct_tuple without the address words IPv4 leaves zero */
struct ct_tup4 {
	uint32_t	 src;
	uint32_t	 dst;
	uint16_t	 sport;
	uint16_t	 dport;
	uint8_t		 l3;
	uint8_t		 l4;
	uint8_t		 icmp_type;
	uint8_t		 icmp_code;
};

_Static_assert(sizeof(struct ct_tup4) == 16, "ct_tup4 has padding");

struct ct_obj {				/* REC_FULL */
	struct cache_obj	 o;
	struct ct_tuple		 orig;
	struct ct_tuple		 repl;
	struct ct_body		 b;
};

struct ct_obj4 {			/* REC_V4 */
	struct cache_obj	 o;
	struct ct_tup4		 orig;
	struct ct_tup4		 repl;
	struct ct_body		 b;
};

struct exp_obj {
	struct cache_obj	 o;
	struct exp_entry	 e;
};

size_t
rec_size(int kind, int cls)
{
	if (kind != CACHE_CT)
		return sizeof(struct exp_obj);
	return cls == REC_V4 ? sizeof(struct ct_obj4) : sizeof(struct ct_obj);
}

static int
tup4_fits(const struct ct_tuple *t)
{
	return ct_is_zero(&t->src[1], 3 * sizeof(t->src[0])) &&
	    ct_is_zero(&t->dst[1], 3 * sizeof(t->dst[0]));
}

static void
tup4_pack(struct ct_tup4 *d, const struct ct_tuple *t)
{
	d->src = t->src[0];
	d->dst = t->dst[0];
	d->sport = t->sport;
	d->dport = t->dport;
	d->l3 = t->l3;
	d->l4 = t->l4;
	d->icmp_type = t->icmp_type;
	d->icmp_code = t->icmp_code;
}

static void
tup4_unpack(struct ct_tuple *t, const struct ct_tup4 *s)
{
	memset(t, 0, sizeof(*t));
	t->src[0] = s->src;
	t->dst[0] = s->dst;
	t->sport = s->sport;
	t->dport = s->dport;
	t->l3 = s->l3;
	t->l4 = s->l4;
	t->icmp_type = s->icmp_type;
	t->icmp_code = s->icmp_code;
}

/*
 * The class an entry's object gets.  It follows from the key alone (a
 * checked IPv4 conntrack has an IPv4 or empty reply tuple), so updates
 * of a record always fit its object.
 */
int
rec_class(int kind, const void *entry)
{
	const struct ct_entry	*e = entry;

	if (kind == CACHE_CT && e->orig.l3 == AF_INET &&
	    tup4_fits(&e->orig) && tup4_fits(&e->repl))
		return REC_V4;
	return REC_FULL;
}

static void
ct_rare_of(struct ct_rare *x, const struct ct_entry *e)
{
	memset(x, 0, sizeof(*x));
	x->master = e->master;
	x->sctp_vtag_orig = e->sctp_vtag_orig;
	x->sctp_vtag_repl = e->sctp_vtag_repl;
	memcpy(x->seqadj, e->seqadj, sizeof(x->seqadj));
	memcpy(x->synproxy, e->synproxy, sizeof(x->synproxy));
	memcpy(x->labels, e->labels, sizeof(x->labels));
	memcpy(x->helper, e->helper, sizeof(x->helper));
}

/* the rare parts past the master sit together, in both structs */
_Static_assert(offsetof(struct ct_rare, helper) -
    offsetof(struct ct_rare, sctp_vtag_orig) ==
    offsetof(struct ct_entry, helper) -
    offsetof(struct ct_entry, sctp_vtag_orig), "rare parts moved");

/* whether e has none of the rare parts, without gathering them first */
static int
ct_rare_none(const struct ct_entry *e)
{
	size_t	from = offsetof(struct ct_entry, sctp_vtag_orig);
	size_t	to = offsetof(struct ct_entry, helper) + sizeof(e->helper);

	return ct_is_zero(&e->master, sizeof(e->master)) &&
	    ct_is_zero((const char *)e + from, to - from);
}

/* -1 (ENOMEM) leaves the body as it was: no rare block to be had */
static int
body_pack(struct ct_body *b, const struct ct_entry *e)
{
	struct ct_rare	*x = b->rare;

	if (ct_rare_none(e)) {
		free(x);
		x = NULL;
	} else {
		if (x == NULL && (x = malloc(sizeof(*x))) == NULL)
			return -1;
		ct_rare_of(x, e);
	}
	b->rare = x;
	b->flags = e->flags;
	b->status = e->status;
	b->timeout = e->timeout;
	b->mark = e->mark;
	b->secmark = e->secmark;
	b->zone = e->zone;
	b->state = e->state;
	b->dccp_role = e->dccp_role;
	b->wscale_orig = e->wscale_orig;
	b->wscale_repl = e->wscale_repl;
	return 0;
}

/* fills e past its tuples; e was zeroed */
static void
body_unpack(struct ct_entry *e, const struct ct_body *b)
{
	const struct ct_rare	*x = b->rare;

	e->flags = b->flags;
	e->status = b->status;
	e->timeout = b->timeout;
	e->mark = b->mark;
	e->secmark = b->secmark;
	e->zone = b->zone;
	e->state = b->state;
	e->dccp_role = b->dccp_role;
	e->wscale_orig = b->wscale_orig;
	e->wscale_repl = b->wscale_repl;
	if (x == NULL)
		return;
	e->master = x->master;
	e->sctp_vtag_orig = x->sctp_vtag_orig;
	e->sctp_vtag_repl = x->sctp_vtag_repl;
	memcpy(e->seqadj, x->seqadj, sizeof(e->seqadj));
	memcpy(e->synproxy, x->synproxy, sizeof(e->synproxy));
	memcpy(e->labels, x->labels, sizeof(e->labels));
	memcpy(e->helper, x->helper, sizeof(e->helper));
}

static int
ct_pack4(struct ct_obj4 *r, const struct ct_entry *e)
{
	/* not for a checked entry: its key chose the class */
	if (!tup4_fits(&e->orig) || !tup4_fits(&e->repl)) {
		errno = EINVAL;
		return -1;
	}
	if (body_pack(&r->b, e) == -1)
		return -1;
	tup4_pack(&r->orig, &e->orig);
	tup4_pack(&r->repl, &e->repl);
	return 0;
}

/*
 * Store an entry into an object of its class.  -1 leaves the record as
 * it was: ENOMEM, or EINVAL for a conntrack that does not fit.
 */
int
rec_pack(int kind, struct cache_obj *o, const void *entry)
{
	struct ct_obj		*r = (struct ct_obj *)o;
	const struct ct_entry	*e = entry;

	if (kind != CACHE_CT) {
		memcpy(&((struct exp_obj *)o)->e, entry,
		    sizeof(struct exp_entry));
		return 0;
	}
	if (o->cls == REC_V4)
		return ct_pack4((struct ct_obj4 *)o, e);
	if (body_pack(&r->b, e) == -1)
		return -1;
	r->orig = e->orig;
	r->repl = e->repl;
	return 0;
}

void
rec_unpack_ct(const struct cache_obj *o, struct ct_entry *e)
{
	const struct ct_obj	*r = (const struct ct_obj *)o;
	const struct ct_obj4	*r4 = (const struct ct_obj4 *)o;

	memset(e, 0, sizeof(*e));
	if (o->cls == REC_V4) {
		tup4_unpack(&e->orig, &r4->orig);
		tup4_unpack(&e->repl, &r4->repl);
		body_unpack(e, &r4->b);
		return;
	}
	e->orig = r->orig;
	e->repl = r->repl;
	body_unpack(e, &r->b);
}

void
rec_unpack_exp(const struct cache_obj *o, struct exp_entry *e)
{
	*e = ((const struct exp_obj *)o)->e;
}

/* what an object holds besides itself */
void
rec_clear(int kind, struct cache_obj *o)
{
	struct ct_body	*b;

	if (kind != CACHE_CT)
		return;
	b = o->cls == REC_V4 ? &((struct ct_obj4 *)o)->b :
	    &((struct ct_obj *)o)->b;
	free(b->rare);
	b->rare = NULL;
}

int
rec_key_eq(int kind, const struct cache_obj *o, const void *key)
{
	const struct ct_obj	*r = (const struct ct_obj *)o;
	const struct ct_obj4	*r4 = (const struct ct_obj4 *)o;
	const struct ct_entry	*k = key;
	struct ct_tup4		 t;

	if (kind != CACHE_CT)
		return exp_key_cmp(&((const struct exp_obj *)o)->e, key) == 0;
	if (o->cls != REC_V4)
		return r->b.zone == k->zone &&
		    ct_tuple_cmp(&r->orig, &k->orig) == 0;
	if (r4->b.zone != k->zone || !tup4_fits(&k->orig))
		return 0;
	tup4_pack(&t, &k->orig);
	return memcmp(&t, &r4->orig, sizeof(t)) == 0;
}

/* the hash of the key of the record in o */
uint64_t
rec_key_hash(int kind, const struct cache_obj *o, uint64_t seed)
{
	const struct ct_obj	*r = (const struct ct_obj *)o;
	const struct ct_obj4	*r4 = (const struct ct_obj4 *)o;
	struct ct_tuple		 t;

	if (kind != CACHE_CT)
		return exp_key_hash(&((const struct exp_obj *)o)->e, seed);
	if (o->cls != REC_V4)
		return ct_tuple_key_hash(&r->orig, r->b.zone, seed);
	tup4_unpack(&t, &r4->orig);
	return ct_tuple_key_hash(&t, r4->b.zone, seed);
}
