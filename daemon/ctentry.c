/*
 * Validation, ordering and hashing of the fixed-layout records of
 * ctentry.h.  Linked into every process, so no libnetfilter_conntrack.
 *
 * The checks make a record canonical as well as sane: every field that
 * its flag says is absent must be zero, padding included, so that two
 * records describing the same thing are byte-equal.  For the same reason
 * a flag whose all-zero value means "none" (zone, labels, sequence
 * adjustment, synproxy) is refused with that value: the kernel reports
 * zone 0 as no zone, and synproxy zeros for every ctnetlink-made entry.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ctentry.h"

/* ct_tuple_cmp() and the hashes treat a tuple as plain bytes */
_Static_assert(sizeof(struct ct_tuple) == 40, "ct_tuple has padding");
_Static_assert(sizeof(struct ct_entry) == 224, "ct_entry layout changed");
_Static_assert(sizeof(struct exp_entry) == 232, "exp_entry layout changed");

/* highest state numbers ctnetlink reports (*_CONNTRACK_MAX - 1) */
#define TCP_STATE_MAX		9
#define SCTP_STATE_MAX		9
#define DCCP_STATE_MAX		9
#define WSCALE_MAX		14	/* RFC 7323 */
#define DCCP_ROLE_MAX		1	/* client, server */
#define EXP_FLAGS_KNOWN		0x7	/* PERMANENT, INACTIVE, USERSPACE */
#define NAT_DIR_MAX		1	/* original, reply */

/*
 * Why a tuple is bad, in a table per tuple role so that the reason
 * says which tuple of an entry it was.
 */
enum {
	TE_OK,
	TE_FAMILY,
	TE_V4_UPPER,
	TE_ICMP_DPORT,
	TE_ICMP_FIELDS,
	TE_PORTS,
	TE_MAX
};

#define TUPLE_REASONS(p) {						\
	NULL,								\
	p "bad address family",						\
	p "IPv4 tuple with non-zero upper address words",		\
	p "ICMP tuple with a destination port",				\
	p "ICMP fields on a non-ICMP protocol",				\
	p "ports on a protocol without ports",				\
}

static const char *const reason_tuple[TE_MAX] = TUPLE_REASONS("");
static const char *const reason_orig[TE_MAX] = TUPLE_REASONS("original: ");
static const char *const reason_repl[TE_MAX] = TUPLE_REASONS("reply: ");
static const char *const reason_master[TE_MAX] = TUPLE_REASONS("master: ");
static const char *const reason_expected[TE_MAX] =
    TUPLE_REASONS("expected: ");
static const char *const reason_nat[TE_MAX] = TUPLE_REASONS("nat: ");

/* why a name (helper, expectation function) is bad */
enum {
	NE_OK,
	NE_UNTERMINATED,
	NE_TRAILING,
	NE_UNFLAGGED,
	NE_EMPTY,
	NE_CHAR,
	NE_MAX
};

#define NAME_REASONS(p) {						\
	NULL,								\
	p " not NUL-terminated",					\
	p " has bytes after its NUL",					\
	p " set without its flag",					\
	p " flagged but empty",						\
	p " has a space or unprintable character",			\
}

static const char *const reason_helper[NE_MAX] = NAME_REASONS("helper name");
static const char *const reason_fn[NE_MAX] =
    NAME_REASONS("expectation function name");

static int	 tuple_err(const struct ct_tuple *);
static int	 name_err(const char *, size_t, int);
static const char *ct_proto_check(const struct ct_entry *);
static const char *presence(uint32_t, int, const char *, const char *);
static const char *ct_opt_check(const struct ct_entry *);
static const char *ct_icmp_check(const struct ct_entry *);
static const char *mask_check(const struct ct_tuple *, const struct ct_tuple *);
static uint64_t	 siphash13_48(const unsigned char *, uint64_t);

int
ct_proto_has_ports(uint8_t l4)
{
	switch (l4) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		return 1;
	}
	return 0;
}

int
ct_proto_uses_port_fields(uint8_t l4)
{
	/* GRE keys travel in the port slots, as in libnetfilter_conntrack */
	return ct_proto_has_ports(l4) || l4 == IPPROTO_GRE;
}

int
ct_proto_is_icmp(uint8_t l3, uint8_t l4)
{
	return (l3 == AF_INET && l4 == IPPROTO_ICMP) ||
	    (l3 == AF_INET6 && l4 == IPPROTO_ICMPV6);
}

/*
 * The kernel's inversion of ICMP types: only these may be tracked, so
 * only these can be created through ctnetlink.
 */
int
ct_icmp_reply_type(uint8_t l3, uint8_t type)
{
	static const uint8_t	v4[][2] = {
		{ 0, 8 }, { 8, 0 }, { 13, 14 }, { 14, 13 },
		{ 15, 16 }, { 16, 15 }, { 17, 18 }, { 18, 17 },
	};
	static const uint8_t	v6[][2] = {
		{ 128, 129 }, { 129, 128 }, { 139, 140 }, { 140, 139 },
	};
	const uint8_t		(*map)[2];
	size_t			 i, n;

	if (l3 == AF_INET) {
		map = v4;
		n = sizeof(v4) / sizeof(v4[0]);
	} else if (l3 == AF_INET6) {
		map = v6;
		n = sizeof(v6) / sizeof(v6[0]);
	} else
		return -1;
	for (i = 0; i < n; i++)
		if (map[i][0] == type)
			return map[i][1];
	return -1;
}

/* The reply's ICMP fields, derived from the original as the kernel does. */
void
ct_icmp_mirror(struct ct_tuple *r, const struct ct_tuple *o)
{
	int	rtype;

	/* no reply type: ct_entry_check() refuses the entry */
	rtype = ct_icmp_reply_type(o->l3, o->icmp_type);
	r->icmp_type = rtype == -1 ? 0 : rtype;
	r->icmp_code = o->icmp_code;
	r->sport = o->sport;
	r->dport = 0;
}

/* The reply tuple a connection without NAT has. */
void
ct_tuple_invert(struct ct_tuple *r, const struct ct_tuple *o)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->src, o->dst, sizeof(r->src));
	memcpy(r->dst, o->src, sizeof(r->dst));
	r->l3 = o->l3;
	r->l4 = o->l4;
	if (ct_proto_is_icmp(o->l3, o->l4)) {
		ct_icmp_mirror(r, o);
		return;
	}
	r->sport = o->dport;
	r->dport = o->sport;
}

int
ct_is_zero(const void *p, size_t len)
{
	const unsigned char	*c = p;

	/* zero first byte, then each byte equals the one before it */
	return len == 0 || (c[0] == 0 && memcmp(c, c + 1, len - 1) == 0);
}

static int
tuple_err(const struct ct_tuple *t)
{
	int	icmp;

	if (t->l3 != AF_INET && t->l3 != AF_INET6)
		return TE_FAMILY;
	if (t->l3 == AF_INET && (!ct_is_zero(&t->src[1], 3 * sizeof(t->src[0])) ||
	    !ct_is_zero(&t->dst[1], 3 * sizeof(t->dst[0]))))
		return TE_V4_UPPER;
	icmp = ct_proto_is_icmp(t->l3, t->l4);
	if (icmp && t->dport != 0)
		return TE_ICMP_DPORT;
	if (!icmp && (t->icmp_type != 0 || t->icmp_code != 0))
		return TE_ICMP_FIELDS;
	if (!icmp && !ct_proto_uses_port_fields(t->l4) &&
	    (t->sport != 0 || t->dport != 0))
		return TE_PORTS;
	return TE_OK;
}

const char *
ct_tuple_check(const struct ct_tuple *t)
{
	return reason_tuple[tuple_err(t)];
}

/*
 * A name field: terminated, zero after the NUL, and when present (set)
 * non-empty and printable without spaces, so that text dumps cannot be
 * forged through it.
 */
static int
name_err(const char *s, size_t size, int set)
{
	size_t	len, i;

	len = strnlen(s, size);
	if (len == size)
		return NE_UNTERMINATED;
	if (!ct_is_zero(s + len, size - len))
		return NE_TRAILING;
	if (!set)
		return len == 0 ? NE_OK : NE_UNFLAGGED;
	if (len == 0)
		return NE_EMPTY;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return NE_CHAR;
	return NE_OK;
}

/* the protocol-specific parts: state, window scale, SCTP, DCCP */
static const char *
ct_proto_check(const struct ct_entry *e)
{
	uint8_t	l4 = e->orig.l4;
	int	max;

	if (e->flags & CTE_F_STATE) {
		if (l4 == IPPROTO_TCP)
			max = TCP_STATE_MAX;
		else if (l4 == IPPROTO_SCTP)
			max = SCTP_STATE_MAX;
		else if (l4 == IPPROTO_DCCP)
			max = DCCP_STATE_MAX;
		else
			return "state on a protocol without states";
		if (e->state > max)
			return "state out of range";
	} else if (e->state != 0)
		return "state without CTE_F_STATE";

	if (e->flags & CTE_F_WSCALE) {
		if (l4 != IPPROTO_TCP)
			return "window scale on a non-TCP protocol";
		if (e->wscale_orig > WSCALE_MAX || e->wscale_repl > WSCALE_MAX)
			return "window scale above 14";
	} else if (e->wscale_orig != 0 || e->wscale_repl != 0)
		return "window scale without CTE_F_WSCALE";

	if (e->flags & CTE_F_SCTP_VTAG) {
		if (l4 != IPPROTO_SCTP)
			return "SCTP vtags on a non-SCTP protocol";
	} else if (e->sctp_vtag_orig != 0 || e->sctp_vtag_repl != 0)
		return "SCTP vtags without CTE_F_SCTP_VTAG";

	if (e->flags & CTE_F_DCCP_ROLE) {
		if (l4 != IPPROTO_DCCP)
			return "DCCP role on a non-DCCP protocol";
		if (e->dccp_role > DCCP_ROLE_MAX)
			return "DCCP role out of range";
	} else if (e->dccp_role != 0)
		return "DCCP role without CTE_F_DCCP_ROLE";
	return NULL;
}

/* a flag set exactly when its value is not all zero */
static const char *
presence(uint32_t flagged, int zero, const char *unflagged,
    const char *empty)
{
	if (!flagged && !zero)
		return unflagged;
	if (flagged && zero)
		return empty;
	return NULL;
}

/* the optional scalar parts: present per flag, else zero */
static const char *
ct_opt_check(const struct ct_entry *e)
{
	const char	*r;

	if (!(e->flags & CTE_F_TIMEOUT) && e->timeout != 0)
		return "timeout without CTE_F_TIMEOUT";
	if (!(e->flags & CTE_F_MARK) && e->mark != 0)
		return "mark without CTE_F_MARK";
	if (!(e->flags & CTE_F_SECMARK) && e->secmark != 0)
		return "secmark without CTE_F_SECMARK";
	/* below, the all-zero value means "none": one spelling only */
	if ((r = presence(e->flags & CTE_F_ZONE, e->zone == 0,
	    "zone without CTE_F_ZONE", "CTE_F_ZONE with the default zone 0"))
	    != NULL)
		return r;
	if ((r = presence(e->flags & CTE_F_SEQADJ,
	    ct_is_zero(e->seqadj, sizeof(e->seqadj)),
	    "sequence adjustment without CTE_F_SEQADJ",
	    "CTE_F_SEQADJ without an adjustment")) != NULL)
		return r;
	if ((r = presence(e->flags & CTE_F_SYNPROXY,
	    ct_is_zero(e->synproxy, sizeof(e->synproxy)),
	    "synproxy data without CTE_F_SYNPROXY",
	    "CTE_F_SYNPROXY without synproxy data")) != NULL)
		return r;
	return presence(e->flags & CTE_F_LABELS,
	    ct_is_zero(e->labels, sizeof(e->labels)),
	    "labels without CTE_F_LABELS", "CTE_F_LABELS without labels");
}

/*
 * libnetfilter_conntrack has no attributes for the ICMP fields of the
 * reply and master tuples: it derives the reply's from the original
 * and has none for the master.  Entries must say what it can carry.
 */
static const char *
ct_icmp_check(const struct ct_entry *e)
{
	const struct ct_tuple	*o = &e->orig, *r = &e->repl, *m = &e->master;
	int			 rtype;

	if (ct_proto_is_icmp(o->l3, o->l4)) {
		rtype = ct_icmp_reply_type(o->l3, o->icmp_type);
		if (rtype == -1)
			return "ICMP type without a reply type";
		if ((e->flags & CTE_F_REPL) && (r->icmp_type != rtype ||
		    r->icmp_code != o->icmp_code || r->sport != o->sport))
			return "ICMP reply tuple does not mirror the original";
	}
	if (ct_proto_is_icmp(m->l3, m->l4) &&
	    (m->sport != 0 || m->icmp_type != 0 || m->icmp_code != 0))
		return "ICMP fields in the master tuple";
	return NULL;
}

const char *
ct_entry_check(const struct ct_entry *e)
{
	const char	*r;
	int		 err;

	if (e->flags & ~CTE_F_ALL)
		return "unknown flag bits";
	if (!ct_is_zero(e->pad0, sizeof(e->pad0)))
		return "non-zero padding";
	if (e->status & ~CT_STATUS_KNOWN)
		return "unknown status bits";
	if ((err = tuple_err(&e->orig)) != TE_OK)
		return reason_orig[err];
	if (e->flags & CTE_F_REPL) {
		if ((err = tuple_err(&e->repl)) != TE_OK)
			return reason_repl[err];
		if (e->repl.l3 != e->orig.l3 || e->repl.l4 != e->orig.l4)
			return "reply protocol differs from the original";
	} else if (!ct_is_zero(&e->repl, sizeof(e->repl)))
		return "reply tuple without CTE_F_REPL";
	if (e->flags & CTE_F_MASTER) {
		if ((err = tuple_err(&e->master)) != TE_OK)
			return reason_master[err];
	} else if (!ct_is_zero(&e->master, sizeof(e->master)))
		return "master tuple without CTE_F_MASTER";
	if ((r = ct_icmp_check(e)) != NULL)
		return r;
	if ((r = ct_proto_check(e)) != NULL)
		return r;
	if ((r = ct_opt_check(e)) != NULL)
		return r;
	err = name_err(e->helper, sizeof(e->helper),
	    (e->flags & CTE_F_HELPER) != 0);
	return reason_helper[err];
}

/*
 * An expectation's mask: same family as the tuple; any bits, but only
 * in the fields libnetfilter_conntrack carries for the mask's protocol.
 */
static const char *
mask_check(const struct ct_tuple *m, const struct ct_tuple *t)
{
	int	icmp;

	if (m->l3 != t->l3)
		return "mask family differs from the tuple";
	if (m->l3 == AF_INET && (!ct_is_zero(&m->src[1], 3 * sizeof(m->src[0])) ||
	    !ct_is_zero(&m->dst[1], 3 * sizeof(m->dst[0]))))
		return "mask: IPv4 tuple with non-zero upper address words";
	icmp = ct_proto_is_icmp(m->l3, m->l4);
	if (icmp && m->dport != 0)
		return "mask: ICMP tuple with a destination port";
	if (!icmp && (m->icmp_type != 0 || m->icmp_code != 0))
		return "mask: ICMP fields on a non-ICMP protocol";
	if (!icmp && !ct_proto_uses_port_fields(m->l4) &&
	    (m->sport != 0 || m->dport != 0))
		return "mask: ports on a protocol without ports";
	return NULL;
}

const char *
exp_entry_check(const struct exp_entry *x)
{
	const char	*r;
	int		 err;

	if (x->flags & ~EXE_F_ALL)
		return "unknown flag bits";
	if (!ct_is_zero(x->pad0, sizeof(x->pad0)))
		return "non-zero padding";
	if ((err = tuple_err(&x->tuple)) != TE_OK)
		return reason_expected[err];
	if ((err = tuple_err(&x->master)) != TE_OK)
		return reason_master[err];
	/* ctnetlink gives all tuples of an expectation one family */
	if (x->master.l3 != x->tuple.l3)
		return "master family differs from the tuple";
	if ((r = mask_check(&x->mask, &x->tuple)) != NULL)
		return r;
	if (x->flags & EXE_F_NAT) {
		if ((err = tuple_err(&x->nat)) != TE_OK)
			return reason_nat[err];
		if (x->nat.l3 != x->tuple.l3)
			return "nat family differs from the tuple";
		if (x->nat_dir > NAT_DIR_MAX)
			return "nat direction out of range";
	} else if (!ct_is_zero(&x->nat, sizeof(x->nat)) || x->nat_dir != 0)
		return "nat tuple without EXE_F_NAT";
	if (x->expflags & ~EXP_FLAGS_KNOWN)
		return "unknown expectation flags";
	if (!(x->flags & EXE_F_TIMEOUT) && x->timeout != 0)
		return "timeout without EXE_F_TIMEOUT";
	if (!(x->flags & EXE_F_CLASS) && x->class != 0)
		return "class without EXE_F_CLASS";
	if (!(x->flags & EXE_F_ZONE) && x->zone != 0)
		return "zone without EXE_F_ZONE";
	err = name_err(x->helper, sizeof(x->helper),
	    (x->flags & EXE_F_HELPER) != 0);
	if (err != NE_OK)
		return reason_helper[err];
	err = name_err(x->fn, sizeof(x->fn), (x->flags & EXE_F_FN) != 0);
	return reason_fn[err];
}

int
ct_tuple_cmp(const struct ct_tuple *a, const struct ct_tuple *b)
{
	int	r;

	r = memcmp(a, b, sizeof(*a));
	return (r > 0) - (r < 0);
}

int
ct_key_cmp(const struct ct_entry *a, const struct ct_entry *b)
{
	int	r;

	if ((r = ct_tuple_cmp(&a->orig, &b->orig)) != 0)
		return r;
	return (a->zone > b->zone) - (a->zone < b->zone);
}

int
exp_key_cmp(const struct exp_entry *a, const struct exp_entry *b)
{
	int	r;

	if ((r = ct_tuple_cmp(&a->tuple, &b->tuple)) != 0)
		return r;
	return (a->zone > b->zone) - (a->zone < b->zone);
}

/*
 * SipHash-1-3 of a 48-byte key (tuple, zone, zero fill) under a 64-bit
 * seed: peers choose the tuples, the seed keeps them from choosing
 * collisions.
 */
#define ROTL64(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND(v0, v1, v2, v3) do {					\
	v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0; v0 = ROTL64(v0, 32);	\
	v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2; v2 = ROTL64(v2, 32);	\
} while (0)

#define HASH_KEY_LEN	48

static uint64_t
siphash13_48(const unsigned char *p, uint64_t seed)
{
	uint64_t	k0 = seed, k1 = ~seed, m;
	uint64_t	v0 = k0 ^ 0x736f6d6570736575ULL;
	uint64_t	v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t	v2 = k0 ^ 0x6c7967656e657261ULL;
	uint64_t	v3 = k1 ^ 0x7465646279746573ULL;
	size_t		i;

	for (i = 0; i < HASH_KEY_LEN; i += 8) {
		memcpy(&m, p + i, sizeof(m));
		m = le64toh(m);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	/* the final block: only the length, the key is a multiple of 8 */
	m = (uint64_t)HASH_KEY_LEN << 56;
	v3 ^= m;
	SIPROUND(v0, v1, v2, v3);
	v0 ^= m;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t
ct_tuple_key_hash(const struct ct_tuple *t, uint16_t zone, uint64_t seed)
{
	unsigned char	key[HASH_KEY_LEN];

	memset(key, 0, sizeof(key));
	memcpy(key, t, sizeof(*t));
	memcpy(key + sizeof(*t), &zone, sizeof(zone));
	return siphash13_48(key, seed);
}

uint64_t
ct_key_hash(const struct ct_entry *e, uint64_t seed)
{
	return ct_tuple_key_hash(&e->orig, e->zone, seed);
}

uint64_t
exp_key_hash(const struct exp_entry *x, uint64_t seed)
{
	return ct_tuple_key_hash(&x->tuple, x->zone, seed);
}
