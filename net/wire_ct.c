/*
 * Conntrack messages (types 0-2): ct_entry to TLVs in the order of
 * conntrackd's ct2msg() and back (conntrackd-spec.md §4.3, §4.4).
 *
 * The parser makes the record the builder would send again: what the
 * wire cannot carry for a protocol (ports of GRE, a window scale
 * without a TCP state, ...) is ignored on receive and never sent, so
 * that parse, build and parse give the same record.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <string.h>

#include "ctentry.h"
#include "wire.h"
#include "wire_tlv.h"

/* conntrack attribute types */
enum {
	WCT_IPV4 = 0,
	WCT_IPV6,
	WCT_L4PROTO,
	WCT_PORT,
	WCT_TCP_STATE,
	WCT_STATUS,
	WCT_TIMEOUT,
	WCT_MARK,
	WCT_MASTER_IPV4,
	WCT_MASTER_IPV6,
	WCT_MASTER_L4PROTO,
	WCT_MASTER_PORT,
	WCT_SNAT_IPV4,
	WCT_DNAT_IPV4,
	WCT_SPAT_PORT,
	WCT_DPAT_PORT,
	WCT_NAT_SEQ_ADJ,
	WCT_SCTP_STATE,
	WCT_SCTP_VTAG_ORIG,
	WCT_SCTP_VTAG_REPL,
	WCT_DCCP_STATE,
	WCT_DCCP_ROLE,
	WCT_ICMP_TYPE,
	WCT_ICMP_CODE,
	WCT_ICMP_ID,
	WCT_TCP_WSCALE_ORIG,
	WCT_TCP_WSCALE_REPL,
	WCT_HELPER_NAME,
	WCT_LABELS,
	WCT_SNAT_IPV6,
	WCT_DNAT_IPV6,
	WCT_SYNPROXY,
	WCT_ZONE,
	WCT_MAX
};

#define WCT_LABELS_MAX		1028	/* header + 256 words */
_Static_assert(CT_LABEL_WORDS * 4 <= 24, "labels outgrow ct_put_extra");
#define WCT_HELPER_MAX		16	/* header + 11 characters + NUL */
#define WCT_HELPER_CHARS	(WCT_HELPER_MAX - 5)

/* total attribute length: fixed, or a range for the two strings */
static const struct wire_rule ct_rules[WCT_MAX] = {
	[WCT_IPV4] =		{ 12, 12 },
	[WCT_IPV6] =		{ 36, 36 },
	[WCT_L4PROTO] =		{ 5, 5 },
	[WCT_PORT] =		{ 8, 8 },
	[WCT_TCP_STATE] =	{ 5, 5 },
	[WCT_STATUS] =		{ 8, 8 },
	[WCT_TIMEOUT] =		{ 8, 8 },
	[WCT_MARK] =		{ 8, 8 },
	[WCT_MASTER_IPV4] =	{ 12, 12 },
	[WCT_MASTER_IPV6] =	{ 36, 36 },
	[WCT_MASTER_L4PROTO] =	{ 5, 5 },
	[WCT_MASTER_PORT] =	{ 8, 8 },
	[WCT_SNAT_IPV4] =	{ 8, 8 },
	[WCT_DNAT_IPV4] =	{ 8, 8 },
	[WCT_SPAT_PORT] =	{ 6, 6 },
	[WCT_DPAT_PORT] =	{ 6, 6 },
	[WCT_NAT_SEQ_ADJ] =	{ 28, 28 },
	[WCT_SCTP_STATE] =	{ 5, 5 },
	[WCT_SCTP_VTAG_ORIG] =	{ 8, 8 },
	[WCT_SCTP_VTAG_REPL] =	{ 8, 8 },
	[WCT_DCCP_STATE] =	{ 5, 5 },
	[WCT_DCCP_ROLE] =	{ 5, 5 },
	[WCT_ICMP_TYPE] =	{ 5, 5 },
	[WCT_ICMP_CODE] =	{ 5, 5 },
	[WCT_ICMP_ID] =		{ 6, 6 },
	[WCT_TCP_WSCALE_ORIG] =	{ 5, 5 },
	[WCT_TCP_WSCALE_REPL] =	{ 5, 5 },
	[WCT_HELPER_NAME] =	{ 4, WCT_HELPER_MAX },
	[WCT_LABELS] =		{ 4, WCT_LABELS_MAX },
	[WCT_SNAT_IPV6] =	{ 20, 20 },
	[WCT_DNAT_IPV6] =	{ 20, 20 },
	[WCT_SYNPROXY] =	{ 16, 16 },
	[WCT_ZONE] =		{ 6, 6 },
};

static int	 all_zero(const uint32_t *, size_t);
static void	 ct_get_l4(struct ct_entry *, const struct wire_attrs *,
		    const struct wire_opts *);
static void	 ct_get_proto(struct ct_entry *, const struct wire_attrs *);
static void	 ct_get_meta(struct ct_entry *, const struct wire_attrs *);
static const char *ct_get_master(struct ct_entry *, const struct wire_attrs *);
static void	 ct_get_repl(struct ct_entry *, const struct wire_attrs *,
		    const struct wire_opts *);
static const char *ct_get_labels(struct ct_entry *, const struct wire_attrs *);
static const char *ct_get_extra(struct ct_entry *, const struct wire_attrs *);
static void	 ct_put_proto(struct wire_out *, const struct ct_entry *,
		    const struct wire_opts *);
static void	 ct_put_master(struct wire_out *, const struct ct_entry *);
static void	 ct_put_hs16(struct wire_out *, uint16_t, uint16_t,
		    const struct wire_opts *);
static void	 ct_put_nat(struct wire_out *, const struct ct_entry *,
		    const struct wire_opts *);
static void	 ct_put_extra(struct wire_out *, const struct ct_entry *);

static int
all_zero(const uint32_t *v, size_t n)
{
	while (n-- > 0)
		if (*v++ != 0)
			return 0;
	return 1;
}

/*
 * Parsing.
 */

/* ports, or the ICMP type, code and id, of the original tuple */
static void
ct_get_l4(struct ct_entry *e, const struct wire_attrs *a,
    const struct wire_opts *o)
{
	struct ct_tuple	*t = &e->orig;

	if (ct_proto_is_icmp(t->l3, t->l4)) {
		t->icmp_type = wire_attr_u8(a, WCT_ICMP_TYPE);
		t->icmp_code = wire_attr_u8(a, WCT_ICMP_CODE);
		if (wire_has(a, WCT_ICMP_ID))
			t->sport = wire_get_hs16(a->val[WCT_ICMP_ID], o);
	} else if (wire_l4_has_port(t->l4) && wire_has(a, WCT_PORT))
		wire_set_l4(t, a->val[WCT_PORT]);
}

/* conntrackd sends the state's companions only with the state */
static void
ct_get_proto(struct ct_entry *e, const struct wire_attrs *a)
{
	switch (e->orig.l4) {
	case IPPROTO_TCP:
		if (!wire_has(a, WCT_TCP_STATE))
			return;
		e->state = wire_attr_u8(a, WCT_TCP_STATE);
		if (wire_has(a, WCT_TCP_WSCALE_ORIG) ||
		    wire_has(a, WCT_TCP_WSCALE_REPL)) {
			e->wscale_orig = wire_attr_u8(a, WCT_TCP_WSCALE_ORIG);
			e->wscale_repl = wire_attr_u8(a, WCT_TCP_WSCALE_REPL);
			e->flags |= CTE_F_WSCALE;
		}
		break;
	case IPPROTO_SCTP:
		if (!wire_has(a, WCT_SCTP_STATE))
			return;
		e->state = wire_attr_u8(a, WCT_SCTP_STATE);
		if (wire_has(a, WCT_SCTP_VTAG_ORIG) ||
		    wire_has(a, WCT_SCTP_VTAG_REPL)) {
			e->sctp_vtag_orig = wire_attr_u32(a,
			    WCT_SCTP_VTAG_ORIG);
			e->sctp_vtag_repl = wire_attr_u32(a,
			    WCT_SCTP_VTAG_REPL);
			e->flags |= CTE_F_SCTP_VTAG;
		}
		break;
	case IPPROTO_DCCP:
		if (!wire_has(a, WCT_DCCP_STATE))
			return;
		e->state = wire_attr_u8(a, WCT_DCCP_STATE);
		if (wire_has(a, WCT_DCCP_ROLE)) {
			e->dccp_role = wire_attr_u8(a, WCT_DCCP_ROLE);
			e->flags |= CTE_F_DCCP_ROLE;
		}
		break;
	default:
		return;
	}
	e->flags |= CTE_F_STATE;
}

static void
ct_get_meta(struct ct_entry *e, const struct wire_attrs *a)
{
	if (wire_has(a, WCT_TIMEOUT)) {
		e->timeout = wire_attr_u32(a, WCT_TIMEOUT);
		e->flags |= CTE_F_TIMEOUT;
	}
	if (wire_has(a, WCT_MARK)) {
		e->mark = wire_attr_u32(a, WCT_MARK);
		e->flags |= CTE_F_MARK;
	}
	/* zone 0 is the default zone: no flag, as ctnfct does */
	if (wire_has(a, WCT_ZONE))
		e->zone = wire_get16(a->val[WCT_ZONE]);
	if (e->zone != 0)
		e->flags |= CTE_F_ZONE;
}

static const char *
ct_get_master(struct ct_entry *e, const struct wire_attrs *a)
{
	struct ct_tuple	*m = &e->master;

	if (!wire_has(a, WCT_MASTER_IPV4) && !wire_has(a, WCT_MASTER_IPV6) &&
	    !wire_has(a, WCT_MASTER_L4PROTO) && !wire_has(a, WCT_MASTER_PORT))
		return NULL;
	if (!wire_get_addrs(m, a, WCT_MASTER_IPV4, WCT_MASTER_IPV6))
		return "master tuple without an address";
	m->l4 = wire_attr_u8(a, WCT_MASTER_L4PROTO);
	/* ICMP masters carry nothing: libnetfilter_conntrack has no field */
	if (!ct_proto_is_icmp(m->l3, m->l4) && wire_has(a, WCT_MASTER_PORT))
		wire_set_l4(m, a->val[WCT_MASTER_PORT]);
	e->flags |= CTE_F_MASTER;
	return NULL;
}

/*
 * The reply tuple is not sent: the inverse of the original, changed by
 * the NAT attributes.  conntrackd sends those only with the matching
 * *_NAT_DONE status bit, so only then do they count.  The ICMP reply
 * is fixed by the original (type, code, id), so SPAT/DPAT, which
 * conntrackd emits for NATed ICMP flows too, do not apply to it.
 */
static void
ct_get_repl(struct ct_entry *e, const struct wire_attrs *a,
    const struct wire_opts *o)
{
	const struct ct_tuple	*t = &e->orig;
	struct ct_tuple		*r = &e->repl;
	size_t			 alen = t->l3 == AF_INET ? 4 : 16;
	int			 snat, dnat, ports;

	ct_tuple_invert(r, t);
	e->flags |= CTE_F_REPL;
	ports = !ct_proto_is_icmp(t->l3, t->l4) &&
	    ct_proto_uses_port_fields(t->l4);
	snat = t->l3 == AF_INET ? WCT_SNAT_IPV4 : WCT_SNAT_IPV6;
	dnat = t->l3 == AF_INET ? WCT_DNAT_IPV4 : WCT_DNAT_IPV6;
	if (e->status & WIRE_IPS_SRC_NAT_DONE) {
		if (wire_has(a, snat))
			memcpy(r->dst, a->val[snat], alen);
		if (ports && wire_has(a, WCT_SPAT_PORT))
			r->dport = wire_get_hs16(a->val[WCT_SPAT_PORT], o);
	}
	if (e->status & WIRE_IPS_DST_NAT_DONE) {
		if (wire_has(a, dnat))
			memcpy(r->src, a->val[dnat], alen);
		if (ports && wire_has(a, WCT_DPAT_PORT))
			r->sport = wire_get_hs16(a->val[WCT_DPAT_PORT], o);
	}
}

/* BE words, word i bit b = label 32i+b; we keep 128 labels, as the kernel */
static const char *
ct_get_labels(struct ct_entry *e, const struct wire_attrs *a)
{
	const uint8_t	*p = a->val[WCT_LABELS];
	size_t		 i, n;
	uint32_t	 w;

	if (!wire_has(a, WCT_LABELS))
		return NULL;
	if (a->len[WCT_LABELS] % 4 != 0)
		return "labels not a whole number of words";
	n = a->len[WCT_LABELS] / 4;
	for (i = 0; i < n; i++) {
		w = wire_get32(p + 4 * i);
		if (i >= CT_LABEL_WORDS && w != 0)
			return "label bit above 127";
		if (i < CT_LABEL_WORDS)
			e->labels[i] = w;
	}
	if (!all_zero(e->labels, CT_LABEL_WORDS))
		e->flags |= CTE_F_LABELS;
	return NULL;
}

/* sequence adjustment, synproxy, labels, helper: all zero is none */
static const char *
ct_get_extra(struct ct_entry *e, const struct wire_attrs *a)
{
	const uint8_t	*p;
	int		 i;

	if (wire_has(a, WCT_NAT_SEQ_ADJ)) {
		p = a->val[WCT_NAT_SEQ_ADJ];
		for (i = 0; i < 6; i++)
			e->seqadj[i] = wire_get32(p + 4 * i);
		if (!all_zero(e->seqadj, 6))
			e->flags |= CTE_F_SEQADJ;
	}
	if (wire_has(a, WCT_SYNPROXY)) {
		/* wire: its, isn, tsoff; ours: isn, its, tsoff */
		p = a->val[WCT_SYNPROXY];
		e->synproxy[1] = wire_get32(p);
		e->synproxy[0] = wire_get32(p + 4);
		e->synproxy[2] = wire_get32(p + 8);
		if (!all_zero(e->synproxy, 3))
			e->flags |= CTE_F_SYNPROXY;
	}
	if (wire_attr_str(e->helper, sizeof(e->helper), a, WCT_HELPER_NAME,
	    WCT_HELPER_CHARS) == -1)
		return "helper name too long";
	if (e->helper[0] != '\0')
		e->flags |= CTE_F_HELPER;
	return ct_get_labels(e, a);
}

const char *
wire_parse_ct(const uint8_t *payload, size_t plen, struct ct_entry *e,
    const struct wire_opts *o)
{
	struct wire_attrs	 a;
	const char		*r;

	o = wire_opts_or_default(o);
	memset(e, 0, sizeof(*e));
	if ((r = wire_attrs_collect(&a, payload, plen, ct_rules, WCT_MAX)) !=
	    NULL)
		return r;
	/* no attribute is mandatory to conntrackd, but we key on these */
	if (!wire_get_addrs(&e->orig, &a, WCT_IPV4, WCT_IPV6))
		return "no address attribute";
	if (!wire_has(&a, WCT_L4PROTO))
		return "no L4 protocol attribute";
	e->orig.l4 = wire_attr_u8(&a, WCT_L4PROTO);
	/* as ctnfct: bits we cannot validate would refuse the entry */
	e->status = wire_attr_u32(&a, WCT_STATUS) & CT_STATUS_KNOWN;
	ct_get_l4(e, &a, o);
	ct_get_proto(e, &a);
	ct_get_meta(e, &a);
	if ((r = ct_get_master(e, &a)) != NULL)
		return r;
	ct_get_repl(e, &a, o);
	if ((r = ct_get_extra(e, &a)) != NULL)
		return r;
	return ct_entry_check(e);
}

/*
 * Building, in ct2msg() order (§4.4 rules 1-12).
 */

static void
ct_put_proto(struct wire_out *o, const struct ct_entry *e,
    const struct wire_opts *opts)
{
	const struct ct_tuple	*t = &e->orig;
	int			 state = (e->flags & CTE_F_STATE) != 0;

	if (wire_l4_has_port(t->l4))
		wire_out_port(o, WCT_PORT, t);
	switch (t->l4) {
	case IPPROTO_TCP:
		if (!state)
			return;
		wire_out_u8(o, WCT_TCP_STATE, e->state);
		if (opts->wscale && (e->flags & CTE_F_WSCALE)) {
			wire_out_u8(o, WCT_TCP_WSCALE_ORIG, e->wscale_orig);
			wire_out_u8(o, WCT_TCP_WSCALE_REPL, e->wscale_repl);
		}
		return;
	case IPPROTO_SCTP:
		if (!state)
			return;
		wire_out_u8(o, WCT_SCTP_STATE, e->state);
		if (e->flags & CTE_F_SCTP_VTAG) {
			wire_out_u32(o, WCT_SCTP_VTAG_ORIG, e->sctp_vtag_orig);
			wire_out_u32(o, WCT_SCTP_VTAG_REPL, e->sctp_vtag_repl);
		}
		return;
	case IPPROTO_DCCP:
		if (!state)
			return;
		wire_out_u8(o, WCT_DCCP_STATE, e->state);
		if (e->flags & CTE_F_DCCP_ROLE)
			wire_out_u8(o, WCT_DCCP_ROLE, e->dccp_role);
		return;
	}
	if (ct_proto_is_icmp(t->l3, t->l4)) {
		wire_out_u8(o, WCT_ICMP_TYPE, t->icmp_type);
		wire_out_u8(o, WCT_ICMP_CODE, t->icmp_code);
		ct_put_hs16(o, WCT_ICMP_ID, t->sport, opts);
	}
}

static void
ct_put_master(struct wire_out *o, const struct ct_entry *e)
{
	const struct ct_tuple	*m = &e->master;

	wire_out_addrs(o, WCT_MASTER_IPV4, WCT_MASTER_IPV6, m);
	wire_out_u8(o, WCT_MASTER_L4PROTO, m->l4);
	if (ct_proto_uses_port_fields(m->l4))
		wire_out_port(o, WCT_MASTER_PORT, m);
}

static void
ct_put_hs16(struct wire_out *o, uint16_t type, uint16_t netval,
    const struct wire_opts *opts)
{
	uint8_t	b[2];

	wire_put_hs16(b, netval, opts);
	wire_out_attr(o, type, b, sizeof(b));
}

/*
 * NAT from the reply tuple (rule 7).  The port tests compare the port
 * unions whatever the protocol, as conntrackd does: a NATed ICMP flow
 * sends the reply's type/code as SPAT and its id as DPAT.
 */
static void
ct_put_nat(struct wire_out *o, const struct ct_entry *e,
    const struct wire_opts *opts)
{
	const struct ct_tuple	*t = &e->orig, *r = &e->repl;
	size_t			 alen = t->l3 == AF_INET ? 4 : 16;
	int			 v4 = t->l3 == AF_INET;
	int			 snat, dnat;

	snat = (e->status & WIRE_IPS_SRC_NAT_DONE) != 0;
	dnat = (e->status & WIRE_IPS_DST_NAT_DONE) != 0;
	if (snat && memcmp(r->dst, t->src, alen) != 0)
		wire_out_attr(o, v4 ? WCT_SNAT_IPV4 : WCT_SNAT_IPV6, r->dst,
		    alen);
	if (dnat && memcmp(r->src, t->dst, alen) != 0)
		wire_out_attr(o, v4 ? WCT_DNAT_IPV4 : WCT_DNAT_IPV6, r->src,
		    alen);
	if (snat && wire_l4dst(r) != wire_l4src(t))
		ct_put_hs16(o, WCT_SPAT_PORT, wire_l4dst(r), opts);
	if (dnat && wire_l4src(r) != wire_l4dst(t))
		ct_put_hs16(o, WCT_DPAT_PORT, wire_l4src(r), opts);
}

/*
 * Rules 8-12.  SYNPROXY goes out even when we hold none: the kernel
 * gives every ctnetlink-made entry a zero one (so conntrackd sends it
 * for all of those), and we cannot tell the two apart once read.
 */
static void
ct_put_extra(struct wire_out *o, const struct ct_entry *e)
{
	uint8_t	b[24];		/* the largest: six seqadj words */
	size_t	i, n;

	if (e->flags & CTE_F_SEQADJ) {
		for (i = 0; i < 6; i++)
			wire_put32(b + 4 * i, e->seqadj[i]);
		wire_out_attr(o, WCT_NAT_SEQ_ADJ, b, 24);
	}
	if (e->flags & CTE_F_HELPER)
		wire_out_str(o, WCT_HELPER_NAME, e->helper);
	if (e->flags & CTE_F_LABELS) {
		for (n = CT_LABEL_WORDS; n > 0 && e->labels[n - 1] == 0; n--)
			;
		for (i = 0; i < n; i++)
			wire_put32(b + 4 * i, e->labels[i]);
		if (n > 0)
			wire_out_attr(o, WCT_LABELS, b, 4 * n);
	}
	wire_put32(b, e->synproxy[1]);
	wire_put32(b + 4, e->synproxy[0]);
	wire_put32(b + 8, e->synproxy[2]);
	wire_out_attr(o, WCT_SYNPROXY, b, 12);
	if (e->flags & CTE_F_ZONE) {
		wire_put16(b, e->zone);
		wire_out_attr(o, WCT_ZONE, b, 2);
	}
}

size_t
wire_build_ct(uint8_t *buf, size_t size, uint8_t type, uint8_t flags,
    uint32_t seq, const struct ct_entry *e, const struct wire_opts *opts)
{
	struct wire_out	o;

	if (type > WIRE_CT_DESTROY)
		return 0;
	opts = wire_opts_or_default(opts);
	wire_out_init(&o, buf, size);
	wire_out_addrs(&o, WCT_IPV4, WCT_IPV6, &e->orig);
	wire_out_u32(&o, WCT_STATUS, e->status);
	wire_out_u8(&o, WCT_L4PROTO, e->orig.l4);
	ct_put_proto(&o, e, opts);
	if ((e->flags & CTE_F_TIMEOUT) && !opts->no_timeout)
		wire_out_u32(&o, WCT_TIMEOUT, e->timeout);
	if (e->flags & CTE_F_MARK)
		wire_out_u32(&o, WCT_MARK, e->mark);
	if (e->flags & CTE_F_MASTER)
		ct_put_master(&o, e);
	if (e->flags & CTE_F_REPL)
		ct_put_nat(&o, e, opts);
	ct_put_extra(&o, e);
	return wire_out_finish(&o, type, flags, seq);
}
