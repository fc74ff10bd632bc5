/*
 * Conversion between the fixed-layout records of ctentry.h and
 * libnetfilter_conntrack objects, and the text dumps of ctsyncctl
 * (conntrack -L style, without the timeout).
 *
 * libnetfilter_conntrack facts this file relies on:
 * - the ICMP attributes (ATTR_ICMP_TYPE/CODE/ID) name the original
 *   tuple only; setting the type also derives the reply type, and the
 *   reply's code and id follow the original's.  Nothing reads or sets
 *   the reply or master ICMP fields on their own.
 * - ATTR_ICMP_ID is in network order, like the ports.
 * - ATTR_CONNLABELS: nfct_set_attr() takes ownership of the bitmask
 *   (nfct_destroy() frees it); nfct_get_attr() lends it.
 * - ATTR_EXP_MASTER/EXPECTED/MASK/NAT_TUPLE: nfexp_set_attr() copies
 *   the original tuple out of a nf_conntrack, which stays ours;
 *   nfexp_get_attr() lends a tuple that reads like a nf_conntrack with
 *   only original-direction attributes.
 * - ATTR_EXP_NAT_DIR is read as 32 bits by the setter despite the u8
 *   in the header: always use the _u32 calls.
 * - nfct_snprintf() writes out of bounds for a zero size, and
 *   nfexp_snprintf() reads past the end of a buffer it truncated: both
 *   only ever see FMT_MAX, more than any record prints, and the caller's
 *   buffer gets a bounded copy.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <string.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "ctentry.h"

/* a full IPv6 dump with every field is under 1300 bytes in XML */
#define FMT_MAX		4096
#define LABEL_BITS	(CT_LABEL_WORDS * 32)

/* the attributes of one tuple direction */
struct dir_attrs {
	enum nf_conntrack_attr	l3, l4;
	enum nf_conntrack_attr	v4src, v4dst, v6src, v6dst;
	enum nf_conntrack_attr	sport, dport;
};

static const struct dir_attrs orig_attrs = {
	ATTR_ORIG_L3PROTO, ATTR_ORIG_L4PROTO,
	ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV4_DST,
	ATTR_ORIG_IPV6_SRC, ATTR_ORIG_IPV6_DST,
	ATTR_ORIG_PORT_SRC, ATTR_ORIG_PORT_DST,
};

static const struct dir_attrs repl_attrs = {
	ATTR_REPL_L3PROTO, ATTR_REPL_L4PROTO,
	ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV4_DST,
	ATTR_REPL_IPV6_SRC, ATTR_REPL_IPV6_DST,
	ATTR_REPL_PORT_SRC, ATTR_REPL_PORT_DST,
};

static const struct dir_attrs master_attrs = {
	ATTR_MASTER_L3PROTO, ATTR_MASTER_L4PROTO,
	ATTR_MASTER_IPV4_SRC, ATTR_MASTER_IPV4_DST,
	ATTR_MASTER_IPV6_SRC, ATTR_MASTER_IPV6_DST,
	ATTR_MASTER_PORT_SRC, ATTR_MASTER_PORT_DST,
};

static const enum nf_conntrack_attr seqadj_attrs[6] = {
	ATTR_ORIG_NAT_SEQ_CORRECTION_POS,
	ATTR_ORIG_NAT_SEQ_OFFSET_BEFORE,
	ATTR_ORIG_NAT_SEQ_OFFSET_AFTER,
	ATTR_REPL_NAT_SEQ_CORRECTION_POS,
	ATTR_REPL_NAT_SEQ_OFFSET_BEFORE,
	ATTR_REPL_NAT_SEQ_OFFSET_AFTER,
};

static const enum nf_conntrack_attr synproxy_attrs[3] = {
	ATTR_SYNPROXY_ISN, ATTR_SYNPROXY_ITS, ATTR_SYNPROXY_TSOFF,
};

static int	 all_set(const struct nf_conntrack *,
		    const enum nf_conntrack_attr *, size_t);
static void	 get_u32s(uint32_t *, const struct nf_conntrack *,
		    const enum nf_conntrack_attr *, size_t);
static void	 set_u32s(struct nf_conntrack *, const uint32_t *,
		    const enum nf_conntrack_attr *, size_t);
static int	 tuple_get(struct ct_tuple *, const struct nf_conntrack *,
		    const struct dir_attrs *);
static void	 tuple_set(struct nf_conntrack *, const struct ct_tuple *,
		    const struct dir_attrs *);
static int	 orig_get(struct ct_tuple *, const struct nf_conntrack *);
static void	 orig_set(struct nf_conntrack *, const struct ct_tuple *);
static void	 meta_get(struct ct_entry *, const struct nf_conntrack *);
static void	 proto_get(struct ct_entry *, const struct nf_conntrack *);
static void	 extra_get(struct ct_entry *, const struct nf_conntrack *);
static void	 proto_set(struct nf_conntrack *, const struct ct_entry *);
static int	 extra_set(struct nf_conntrack *, const struct ct_entry *);
static int	 ct_fill(struct nf_conntrack *, const struct ct_entry *, int);
static int	 exp_tuple_get(struct ct_tuple *, const struct nf_expect *,
		    enum nf_expect_attr);
static int	 exp_tuple_set(struct nf_expect *, enum nf_expect_attr,
		    const struct ct_tuple *);
static int	 exp_fill(struct nf_expect *, const struct exp_entry *, int);
static int	 copy_out(char *, size_t, const char *, int);

static int
all_set(const struct nf_conntrack *ct, const enum nf_conntrack_attr *a,
    size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (!nfct_attr_is_set(ct, a[i]))
			return 0;
	return 1;
}

static void
get_u32s(uint32_t *v, const struct nf_conntrack *ct,
    const enum nf_conntrack_attr *a, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		v[i] = nfct_get_attr_u32(ct, a[i]);
}

static void
set_u32s(struct nf_conntrack *ct, const uint32_t *v,
    const enum nf_conntrack_attr *a, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		nfct_set_attr_u32(ct, a[i], v[i]);
}

/* addresses, protocol and ports of one direction; ICMP is orig_get's */
static int
tuple_get(struct ct_tuple *t, const struct nf_conntrack *ct,
    const struct dir_attrs *a)
{
	const void	*p;

	if (!nfct_attr_is_set(ct, a->l3))
		return -1;
	t->l3 = nfct_get_attr_u8(ct, a->l3);
	switch (t->l3) {
	case AF_INET:
		t->src[0] = nfct_get_attr_u32(ct, a->v4src);
		t->dst[0] = nfct_get_attr_u32(ct, a->v4dst);
		break;
	case AF_INET6:
		if ((p = nfct_get_attr(ct, a->v6src)) != NULL)
			memcpy(t->src, p, sizeof(t->src));
		if ((p = nfct_get_attr(ct, a->v6dst)) != NULL)
			memcpy(t->dst, p, sizeof(t->dst));
		break;
	default:
		return -1;
	}
	t->l4 = nfct_get_attr_u8(ct, a->l4);
	if (ct_proto_uses_port_fields(t->l4)) {
		t->sport = nfct_get_attr_u16(ct, a->sport);
		t->dport = nfct_get_attr_u16(ct, a->dport);
	}
	return 0;
}

static void
tuple_set(struct nf_conntrack *ct, const struct ct_tuple *t,
    const struct dir_attrs *a)
{
	nfct_set_attr_u8(ct, a->l3, t->l3);
	if (t->l3 == AF_INET) {
		nfct_set_attr_u32(ct, a->v4src, t->src[0]);
		nfct_set_attr_u32(ct, a->v4dst, t->dst[0]);
	} else {
		nfct_set_attr(ct, a->v6src, t->src);
		nfct_set_attr(ct, a->v6dst, t->dst);
	}
	nfct_set_attr_u8(ct, a->l4, t->l4);
	if (ct_proto_uses_port_fields(t->l4)) {
		nfct_set_attr_u16(ct, a->sport, t->sport);
		nfct_set_attr_u16(ct, a->dport, t->dport);
	}
}

/* the original direction, the only one with ICMP attributes */
static int
orig_get(struct ct_tuple *t, const struct nf_conntrack *ct)
{
	if (tuple_get(t, ct, &orig_attrs) == -1)
		return -1;
	if (ct_proto_is_icmp(t->l3, t->l4)) {
		t->icmp_type = nfct_get_attr_u8(ct, ATTR_ICMP_TYPE);
		t->icmp_code = nfct_get_attr_u8(ct, ATTR_ICMP_CODE);
		t->sport = nfct_get_attr_u16(ct, ATTR_ICMP_ID);
	}
	return 0;
}

static void
orig_set(struct nf_conntrack *ct, const struct ct_tuple *t)
{
	/* after the family: the type setter derives the reply type */
	tuple_set(ct, t, &orig_attrs);
	if (ct_proto_is_icmp(t->l3, t->l4)) {
		nfct_set_attr_u8(ct, ATTR_ICMP_TYPE, t->icmp_type);
		nfct_set_attr_u8(ct, ATTR_ICMP_CODE, t->icmp_code);
		nfct_set_attr_u16(ct, ATTR_ICMP_ID, t->sport);
	}
}

/* status, timeout, mark, secmark, zone */
static void
meta_get(struct ct_entry *e, const struct nf_conntrack *ct)
{
	/* bits we cannot validate would make the whole entry invalid */
	e->status = nfct_get_attr_u32(ct, ATTR_STATUS) & CT_STATUS_KNOWN;
	if (nfct_attr_is_set(ct, ATTR_TIMEOUT)) {
		e->timeout = nfct_get_attr_u32(ct, ATTR_TIMEOUT);
		e->flags |= CTE_F_TIMEOUT;
	}
	if (nfct_attr_is_set(ct, ATTR_MARK)) {
		e->mark = nfct_get_attr_u32(ct, ATTR_MARK);
		e->flags |= CTE_F_MARK;
	}
	if (nfct_attr_is_set(ct, ATTR_SECMARK)) {
		e->secmark = nfct_get_attr_u32(ct, ATTR_SECMARK);
		e->flags |= CTE_F_SECMARK;
	}
	/* zone 0 is the default zone: one spelling, no flag */
	e->zone = nfct_get_attr_u16(ct, ATTR_ZONE);
	if (e->zone != 0)
		e->flags |= CTE_F_ZONE;
}

static void
proto_get(struct ct_entry *e, const struct nf_conntrack *ct)
{
	enum nf_conntrack_attr	state;

	switch (e->orig.l4) {
	case IPPROTO_TCP:
		state = ATTR_TCP_STATE;
		if (nfct_attr_is_set(ct, ATTR_TCP_WSCALE_ORIG) &&
		    nfct_attr_is_set(ct, ATTR_TCP_WSCALE_REPL)) {
			e->wscale_orig = nfct_get_attr_u8(ct,
			    ATTR_TCP_WSCALE_ORIG);
			e->wscale_repl = nfct_get_attr_u8(ct,
			    ATTR_TCP_WSCALE_REPL);
			e->flags |= CTE_F_WSCALE;
		}
		break;
	case IPPROTO_SCTP:
		state = ATTR_SCTP_STATE;
		if (nfct_attr_is_set(ct, ATTR_SCTP_VTAG_ORIG) &&
		    nfct_attr_is_set(ct, ATTR_SCTP_VTAG_REPL)) {
			e->sctp_vtag_orig = nfct_get_attr_u32(ct,
			    ATTR_SCTP_VTAG_ORIG);
			e->sctp_vtag_repl = nfct_get_attr_u32(ct,
			    ATTR_SCTP_VTAG_REPL);
			e->flags |= CTE_F_SCTP_VTAG;
		}
		break;
	case IPPROTO_DCCP:
		state = ATTR_DCCP_STATE;
		if (nfct_attr_is_set(ct, ATTR_DCCP_ROLE)) {
			e->dccp_role = nfct_get_attr_u8(ct, ATTR_DCCP_ROLE);
			e->flags |= CTE_F_DCCP_ROLE;
		}
		break;
	default:
		return;
	}
	if (nfct_attr_is_set(ct, state)) {
		e->state = nfct_get_attr_u8(ct, state);
		e->flags |= CTE_F_STATE;
	}
}

/* sequence adjustment, synproxy, labels, helper */
static void
extra_get(struct ct_entry *e, const struct nf_conntrack *ct)
{
	const struct nfct_bitmask	*b;
	const char			*h;
	unsigned int			 i, max;

	/* all zero is no adjustment: ctnetlink-made entries report that */
	if (all_set(ct, seqadj_attrs, 6)) {
		get_u32s(e->seqadj, ct, seqadj_attrs, 6);
		if (!ct_is_zero(e->seqadj, sizeof(e->seqadj)))
			e->flags |= CTE_F_SEQADJ;
	}
	if (all_set(ct, synproxy_attrs, 3)) {
		get_u32s(e->synproxy, ct, synproxy_attrs, 3);
		if (!ct_is_zero(e->synproxy, sizeof(e->synproxy)))
			e->flags |= CTE_F_SYNPROXY;
	}
	if ((b = nfct_get_attr(ct, ATTR_CONNLABELS)) != NULL) {
		max = nfct_bitmask_maxbit(b);
		for (i = 0; i <= max && i < LABEL_BITS; i++)
			if (nfct_bitmask_test_bit(b, i))
				e->labels[i / 32] |= 1U << (i % 32);
		if (!ct_is_zero(e->labels, sizeof(e->labels)))
			e->flags |= CTE_F_LABELS;
	}
	if ((h = nfct_get_attr(ct, ATTR_HELPER_NAME)) != NULL && *h != '\0') {
		strlcpy(e->helper, h, sizeof(e->helper));
		e->flags |= CTE_F_HELPER;
	}
}

int
ctnfct_from_ct(struct ct_entry *e, const struct nf_conntrack *ct)
{
	memset(e, 0, sizeof(*e));
	if (orig_get(&e->orig, ct) == -1)
		return -1;
	if (nfct_attr_is_set(ct, ATTR_REPL_L3PROTO)) {
		if (tuple_get(&e->repl, ct, &repl_attrs) == -1)
			return -1;
		if (ct_proto_is_icmp(e->repl.l3, e->repl.l4))
			ct_icmp_mirror(&e->repl, &e->orig);
		e->flags |= CTE_F_REPL;
	}
	if (nfct_attr_is_set(ct, ATTR_MASTER_L3PROTO)) {
		if (tuple_get(&e->master, ct, &master_attrs) == -1)
			return -1;
		e->flags |= CTE_F_MASTER;
	}
	meta_get(e, ct);
	proto_get(e, ct);
	extra_get(e, ct);
	return ct_entry_check(e) == NULL ? 0 : -1;
}

static void
proto_set(struct nf_conntrack *ct, const struct ct_entry *e)
{
	if (e->flags & CTE_F_STATE) {
		if (e->orig.l4 == IPPROTO_TCP)
			nfct_set_attr_u8(ct, ATTR_TCP_STATE, e->state);
		else if (e->orig.l4 == IPPROTO_SCTP)
			nfct_set_attr_u8(ct, ATTR_SCTP_STATE, e->state);
		else if (e->orig.l4 == IPPROTO_DCCP)
			nfct_set_attr_u8(ct, ATTR_DCCP_STATE, e->state);
	}
	if (e->flags & CTE_F_WSCALE) {
		nfct_set_attr_u8(ct, ATTR_TCP_WSCALE_ORIG, e->wscale_orig);
		nfct_set_attr_u8(ct, ATTR_TCP_WSCALE_REPL, e->wscale_repl);
	}
	if (e->flags & CTE_F_SCTP_VTAG) {
		nfct_set_attr_u32(ct, ATTR_SCTP_VTAG_ORIG, e->sctp_vtag_orig);
		nfct_set_attr_u32(ct, ATTR_SCTP_VTAG_REPL, e->sctp_vtag_repl);
	}
	if (e->flags & CTE_F_DCCP_ROLE)
		nfct_set_attr_u8(ct, ATTR_DCCP_ROLE, e->dccp_role);
}

static int
extra_set(struct nf_conntrack *ct, const struct ct_entry *e)
{
	struct nfct_bitmask	*b;
	unsigned int		 i;

	if (e->flags & CTE_F_SEQADJ)
		set_u32s(ct, e->seqadj, seqadj_attrs, 6);
	if (e->flags & CTE_F_SYNPROXY)
		set_u32s(ct, e->synproxy, synproxy_attrs, 3);
	if (e->flags & CTE_F_HELPER)
		nfct_set_attr(ct, ATTR_HELPER_NAME, e->helper);
	if (!(e->flags & CTE_F_LABELS))
		return 0;
	if ((b = nfct_bitmask_new(LABEL_BITS - 1)) == NULL)
		return -1;
	for (i = 0; i < LABEL_BITS; i++)
		if (e->labels[i / 32] & (1U << (i % 32)))
			nfct_bitmask_set_bit(b, i);
	/* ct owns b from here */
	nfct_set_attr(ct, ATTR_CONNLABELS, b);
	return 0;
}

/*
 * dump: for text output, as conntrackd prints its caches: no invented
 * reply tuple (external entries have none) and no timeout.
 */
static int
ct_fill(struct nf_conntrack *ct, const struct ct_entry *e, int dump)
{
	struct ct_tuple	inv;

	orig_set(ct, &e->orig);
	if (e->flags & CTE_F_REPL)
		tuple_set(ct, &e->repl, &repl_attrs);
	else if (!dump) {
		ct_tuple_invert(&inv, &e->orig);
		tuple_set(ct, &inv, &repl_attrs);
	}
	if (e->flags & CTE_F_MASTER)
		tuple_set(ct, &e->master, &master_attrs);
	nfct_set_attr_u32(ct, ATTR_STATUS, e->status);
	if ((e->flags & CTE_F_TIMEOUT) && !dump)
		nfct_set_attr_u32(ct, ATTR_TIMEOUT, e->timeout);
	if (e->flags & CTE_F_MARK)
		nfct_set_attr_u32(ct, ATTR_MARK, e->mark);
	if (e->flags & CTE_F_SECMARK)
		nfct_set_attr_u32(ct, ATTR_SECMARK, e->secmark);
	if (e->flags & CTE_F_ZONE)
		nfct_set_attr_u16(ct, ATTR_ZONE, e->zone);
	proto_set(ct, e);
	return extra_set(ct, e);
}

int
ctnfct_to_ct(struct nf_conntrack *ct, const struct ct_entry *e)
{
	return ct_fill(ct, e, 0);
}

static int
exp_tuple_get(struct ct_tuple *t, const struct nf_expect *exp,
    enum nf_expect_attr attr)
{
	const struct nf_conntrack	*ct;

	if ((ct = nfexp_get_attr(exp, attr)) == NULL)
		return -1;
	return orig_get(t, ct);
}

int
ctnfct_from_exp(struct exp_entry *x, const struct nf_expect *exp)
{
	const char	*s;

	memset(x, 0, sizeof(*x));
	if (exp_tuple_get(&x->master, exp, ATTR_EXP_MASTER) == -1 ||
	    exp_tuple_get(&x->tuple, exp, ATTR_EXP_EXPECTED) == -1 ||
	    exp_tuple_get(&x->mask, exp, ATTR_EXP_MASK) == -1)
		return -1;
	if (nfexp_attr_is_set(exp, ATTR_EXP_NAT_TUPLE)) {
		if (exp_tuple_get(&x->nat, exp, ATTR_EXP_NAT_TUPLE) == -1)
			return -1;
		x->nat_dir = nfexp_get_attr_u32(exp, ATTR_EXP_NAT_DIR);
		x->flags |= EXE_F_NAT;
	}
	if (nfexp_attr_is_set(exp, ATTR_EXP_TIMEOUT)) {
		x->timeout = nfexp_get_attr_u32(exp, ATTR_EXP_TIMEOUT);
		x->flags |= EXE_F_TIMEOUT;
	}
	if (nfexp_attr_is_set(exp, ATTR_EXP_CLASS)) {
		x->class = nfexp_get_attr_u32(exp, ATTR_EXP_CLASS);
		x->flags |= EXE_F_CLASS;
	}
	x->expflags = nfexp_get_attr_u32(exp, ATTR_EXP_FLAGS);
	x->zone = nfexp_get_attr_u16(exp, ATTR_EXP_ZONE);
	if (x->zone != 0)
		x->flags |= EXE_F_ZONE;
	if ((s = nfexp_get_attr(exp, ATTR_EXP_HELPER_NAME)) != NULL &&
	    *s != '\0') {
		strlcpy(x->helper, s, sizeof(x->helper));
		x->flags |= EXE_F_HELPER;
	}
	if ((s = nfexp_get_attr(exp, ATTR_EXP_FN)) != NULL && *s != '\0') {
		strlcpy(x->fn, s, sizeof(x->fn));
		x->flags |= EXE_F_FN;
	}
	return exp_entry_check(x) == NULL ? 0 : -1;
}

static int
exp_tuple_set(struct nf_expect *exp, enum nf_expect_attr attr,
    const struct ct_tuple *t)
{
	struct nf_conntrack	*ct;

	if ((ct = nfct_new()) == NULL)
		return -1;
	orig_set(ct, t);
	nfexp_set_attr(exp, attr, ct);	/* copies the tuple */
	nfct_destroy(ct);
	return 0;
}

static int
exp_fill(struct nf_expect *exp, const struct exp_entry *x, int dump)
{
	if (exp_tuple_set(exp, ATTR_EXP_MASTER, &x->master) == -1 ||
	    exp_tuple_set(exp, ATTR_EXP_EXPECTED, &x->tuple) == -1 ||
	    exp_tuple_set(exp, ATTR_EXP_MASK, &x->mask) == -1)
		return -1;
	if (x->flags & EXE_F_NAT) {
		if (exp_tuple_set(exp, ATTR_EXP_NAT_TUPLE, &x->nat) == -1)
			return -1;
		nfexp_set_attr_u32(exp, ATTR_EXP_NAT_DIR, x->nat_dir);
	}
	if ((x->flags & EXE_F_TIMEOUT) && !dump)
		nfexp_set_attr_u32(exp, ATTR_EXP_TIMEOUT, x->timeout);
	if (x->flags & EXE_F_CLASS)
		nfexp_set_attr_u32(exp, ATTR_EXP_CLASS, x->class);
	nfexp_set_attr_u32(exp, ATTR_EXP_FLAGS, x->expflags);
	if (x->flags & EXE_F_ZONE)
		nfexp_set_attr_u16(exp, ATTR_EXP_ZONE, x->zone);
	if (x->flags & EXE_F_HELPER)
		nfexp_set_attr(exp, ATTR_EXP_HELPER_NAME, x->helper);
	if (x->flags & EXE_F_FN)
		nfexp_set_attr(exp, ATTR_EXP_FN, x->fn);
	return 0;
}

int
ctnfct_to_exp(struct nf_expect *exp, const struct exp_entry *x)
{
	return exp_fill(exp, x, 0);
}

/* snprintf semantics on the caller's buffer */
static int
copy_out(char *buf, size_t len, const char *tmp, int n)
{
	if (n < 0)
		return -1;
	if (len > 0)
		strlcpy(buf, tmp, len);
	return n;
}

int
ctnfct_format_ct(char *buf, size_t len, const struct ct_entry *e, int xml)
{
	struct nf_conntrack	*ct;
	char			 tmp[FMT_MAX];
	int			 n = -1;

	if ((ct = nfct_new()) == NULL)
		return -1;
	if (ct_fill(ct, e, 1) == 0)
		n = nfct_snprintf(tmp, sizeof(tmp), ct, NFCT_T_UNKNOWN,
		    xml ? NFCT_O_XML : NFCT_O_DEFAULT, 0);
	nfct_destroy(ct);
	return copy_out(buf, len, tmp, n);
}

int
ctnfct_format_exp(char *buf, size_t len, const struct exp_entry *x, int xml)
{
	struct nf_expect	*exp;
	char			 tmp[FMT_MAX];
	int			 n = -1;

	if ((exp = nfexp_new()) == NULL)
		return -1;
	if (exp_fill(exp, x, 1) == 0)
		n = nfexp_snprintf(tmp, sizeof(tmp), exp, NFCT_T_UNKNOWN,
		    xml ? NFCT_O_XML : NFCT_O_DEFAULT, 0);
	nfexp_destroy(exp);
	return copy_out(buf, len, tmp, n);
}
