/*
 * Unit tests for daemon/ctmnl.c against the libnetfilter_conntrack path
 * it replaces, which is the reference:
 * (a) parsing: for every message, ctmnl_parse_*() returns what
 *     nfct_nlmsg_parse()/nfexp_nlmsg_parse() and ctnfct_from_*() make of
 *     it, byte for byte, or both refuse it.  The messages are built by
 *     nfct_nlmsg_build()/nfexp_nlmsg_build() from varied and random
 *     records, with the attributes only the kernel sends added, and
 *     then again with each of their attributes left out in turn;
 * (b) building: every request ctmnl_put_*() makes parses (with
 *     libnetfilter_conntrack) into the record the old request parsed
 *     into, and holds the same attributes with the same contents as
 *     the request the old code built (nfct_nlmsg_build() of the object
 *     kwrite.c used to fill); lookups leave out only what the kernel
 *     does not read for one.
 * No kernel needed.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ctentry.h"
#include "ctmnl.h"

#include "check.h"
#include "tuples.h"

#define BUF_SIZE	4096
#define NRANDOM_CT	20000
#define NRANDOM_EXP	5000
#define NMUTATE		400	/* random records whose messages are cut */

/* a message buffer, zeroed: libnetfilter_conntrack may read past the end */
struct msg {
	char	buf[BUF_SIZE];
};

static uint64_t	rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* 1 in n */
static int
chance(uint32_t n)
{
	return rnd() % n == 0;
}

static struct nlmsghdr *
msg_start(struct msg *m, uint8_t family)
{
	struct nlmsghdr	*nlh;
	struct nfgenmsg	*g;

	memset(m->buf, 0, sizeof(m->buf));
	nlh = mnl_nlmsg_put_header(m->buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	return nlh;
}

static const void *
msg_attrs(const struct nlmsghdr *nlh)
{
	return (const char *)mnl_nlmsg_get_payload(nlh) +
	    sizeof(struct nfgenmsg);
}

static size_t
msg_attrs_len(const struct nlmsghdr *nlh)
{
	return mnl_nlmsg_get_payload_len(nlh) - sizeof(struct nfgenmsg);
}

/* ---- the reference: libnetfilter_conntrack, as kernel.c/kwrite.c were ---- */

static int
ref_parse_ct(const struct nlmsghdr *nlh, struct ct_entry *e)
{
	struct nf_conntrack	*ct;
	int			 rc = -1;

	if ((ct = nfct_new()) == NULL)
		abort();
	if (nfct_nlmsg_parse(nlh, ct) == 0 && ctnfct_from_ct(e, ct) == 0)
		rc = 0;
	nfct_destroy(ct);
	return rc;
}

static int
ref_parse_exp(const struct nlmsghdr *nlh, struct exp_entry *x)
{
	struct nf_expect	*exp;
	int			 rc = -1;

	if ((exp = nfexp_new()) == NULL)
		abort();
	if (nfexp_nlmsg_parse(nlh, exp) == 0 && ctnfct_from_exp(x, exp) == 0)
		rc = 0;
	nfexp_destroy(exp);
	return rc;
}

/* what ctnfct_to_ct() makes of a record: an event as the kernel sends it */
static struct nlmsghdr *
ref_ct_msg(struct msg *m, const struct ct_entry *e)
{
	struct nf_conntrack	*ct;
	struct nlmsghdr		*nlh;

	nlh = msg_start(m, e->orig.l3);
	if ((ct = nfct_new()) == NULL || ctnfct_to_ct(ct, e) == -1)
		abort();
	nfct_nlmsg_build(nlh, ct);
	nfct_destroy(ct);
	return nlh;
}

static void
ref_nat_from_reply(struct nf_conntrack *nf, const struct ct_entry *e)
{
	if (!(e->flags & CTE_F_REPL))
		return;
	if ((e->status & IPS_SRC_NAT) && memcmp(e->repl.dst, e->orig.src,
	    sizeof(e->orig.src)) != 0) {
		if (e->orig.l3 == AF_INET)
			nfct_set_attr_u32(nf, ATTR_SNAT_IPV4, e->repl.dst[0]);
		else
			nfct_set_attr(nf, ATTR_SNAT_IPV6, e->repl.dst);
	}
	if ((e->status & IPS_SRC_NAT) && ct_proto_has_ports(e->orig.l4) &&
	    e->repl.dport != e->orig.sport)
		nfct_set_attr_u16(nf, ATTR_SNAT_PORT, e->repl.dport);
	if ((e->status & IPS_DST_NAT) && memcmp(e->repl.src, e->orig.dst,
	    sizeof(e->orig.dst)) != 0) {
		if (e->orig.l3 == AF_INET)
			nfct_set_attr_u32(nf, ATTR_DNAT_IPV4, e->repl.src[0]);
		else
			nfct_set_attr(nf, ATTR_DNAT_IPV6, e->repl.src);
	}
	if ((e->status & IPS_DST_NAT) && ct_proto_has_ports(e->orig.l4) &&
	    e->repl.sport != e->orig.dport)
		nfct_set_attr_u16(nf, ATTR_DNAT_PORT, e->repl.sport);
}

/* the create request kwrite.c built through libnetfilter_conntrack */
static struct nlmsghdr *
ref_ct_new(struct msg *m, const struct ct_entry *in, int liberal)
{
	struct nf_conntrack	*nf;
	struct nlmsghdr		*nlh;
	struct ct_entry		 e = *in;
	uint8_t			 lib = IP_CT_TCP_FLAG_BE_LIBERAL;

	e.flags &= ~CTE_F_REPL;
	e.status &= ~IPS_EXPECTED;
	e.status |= IPS_CONFIRMED;
	if ((nf = nfct_new()) == NULL || ctnfct_to_ct(nf, &e) == -1)
		abort();
	ref_nat_from_reply(nf, in);
	if (e.orig.l4 == IPPROTO_TCP && liberal) {
		nfct_set_attr_u8(nf, ATTR_TCP_FLAGS_ORIG, lib);
		nfct_set_attr_u8(nf, ATTR_TCP_MASK_ORIG, lib);
		nfct_set_attr_u8(nf, ATTR_TCP_FLAGS_REPL, lib);
		nfct_set_attr_u8(nf, ATTR_TCP_MASK_REPL, lib);
	}
	nlh = msg_start(m, in->orig.l3);
	nfct_nlmsg_build(nlh, nf);
	nfct_destroy(nf);
	return nlh;
}

/* the delete (timeout 0) and timer update requests kwrite.c built */
static struct nlmsghdr *
ref_ct_key(struct msg *m, const struct ct_entry *in, uint32_t timeout)
{
	struct nf_conntrack	*nf;
	struct nlmsghdr		*nlh;
	struct ct_entry		 key;

	memset(&key, 0, sizeof(key));
	key.orig = in->orig;
	key.zone = in->zone;
	key.flags = in->flags & CTE_F_ZONE;
	if (timeout != 0) {
		key.flags |= CTE_F_TIMEOUT;
		key.timeout = timeout;
	}
	if ((nf = nfct_new()) == NULL || ctnfct_to_ct(nf, &key) == -1)
		abort();
	if (timeout != 0)
		nfct_attr_unset(nf, ATTR_STATUS);
	nlh = msg_start(m, in->orig.l3);
	nfct_nlmsg_build(nlh, nf);
	nfct_destroy(nf);
	return nlh;
}

static struct nlmsghdr *
ref_exp_msg(struct msg *m, const struct exp_entry *x)
{
	struct nf_expect	*exp;
	struct nlmsghdr		*nlh;

	nlh = msg_start(m, x->tuple.l3);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_EXP_NEW;
	if ((exp = nfexp_new()) == NULL || ctnfct_to_exp(exp, x) == -1)
		abort();
	nfexp_nlmsg_build(nlh, exp);
	nfexp_destroy(exp);
	return nlh;
}

/* ---- what the kernel adds to events and dumps ---- */

static void
put_u64_nest(struct nlmsghdr *nlh, uint16_t type, uint16_t a, uint16_t b)
{
	struct nlattr	*n;

	n = mnl_attr_nest_start(nlh, type);
	mnl_attr_put_u64(nlh, a, htobe64(rnd()));
	mnl_attr_put_u64(nlh, b, htobe64(rnd()));
	mnl_attr_nest_end(nlh, n);
}

/* id, use, counters, timestamps, security context; zones in tuples */
static void
kernel_extras_ct(struct nlmsghdr *nlh)
{
	struct nlattr	*n;

	mnl_attr_put_u32(nlh, CTA_ID, htonl(rnd()));
	mnl_attr_put_u32(nlh, CTA_USE, htonl(1));
	put_u64_nest(nlh, CTA_COUNTERS_ORIG, CTA_COUNTERS_PACKETS,
	    CTA_COUNTERS_BYTES);
	put_u64_nest(nlh, CTA_COUNTERS_REPLY, CTA_COUNTERS_PACKETS,
	    CTA_COUNTERS_BYTES);
	put_u64_nest(nlh, CTA_TIMESTAMP, CTA_TIMESTAMP_START,
	    CTA_TIMESTAMP_STOP);
	n = mnl_attr_nest_start(nlh, CTA_SECCTX);
	mnl_attr_put_strz(nlh, CTA_SECCTX_NAME, "system_u:object_r:x:s0");
	mnl_attr_nest_end(nlh, n);
	/* a type from a kernel newer than our headers */
	mnl_attr_put_u32(nlh, CTA_MAX + 1, 0);
}

/* copy the payload of top-level attribute type of src as a new attribute */
static void
copy_nest(struct nlmsghdr *dst, uint16_t newtype, const struct nlmsghdr *src,
    uint16_t type)
{
	const struct nlattr	*a;
	const char		*p = msg_attrs(src);
	const char		*end = p + msg_attrs_len(src);

	for (a = (const void *)p; mnl_attr_ok(a, end - (const char *)a);
	    a = mnl_attr_next(a)) {
		if (mnl_attr_get_type(a) != type)
			continue;
		mnl_attr_put(dst, newtype | NLA_F_NESTED,
		    mnl_attr_get_payload_len(a), mnl_attr_get_payload(a));
		return;
	}
	abort();
}

/* an expectation event: nfexp_nlmsg_build() has no class, NAT or fn */
static struct nlmsghdr *
kernel_exp_msg(struct msg *m, const struct exp_entry *x)
{
	struct msg		 tm;
	struct ct_entry		 t;
	struct nlmsghdr		*nlh;
	struct nlattr		*n;

	nlh = ref_exp_msg(m, x);
	mnl_attr_put_u32(nlh, CTA_EXPECT_ID, htonl(rnd()));
	if (x->flags & EXE_F_CLASS)
		mnl_attr_put_u32(nlh, CTA_EXPECT_CLASS, htonl(x->class));
	if (x->flags & EXE_F_NAT) {
		/* the NAT tuple as the original tuple of an entry encodes it */
		memset(&t, 0, sizeof(t));
		t.orig = x->nat;
		n = mnl_attr_nest_start(nlh, CTA_EXPECT_NAT);
		mnl_attr_put_u32(nlh, CTA_EXPECT_NAT_DIR, htonl(x->nat_dir));
		copy_nest(nlh, CTA_EXPECT_NAT_TUPLE, ref_ct_msg(&tm, &t),
		    CTA_TUPLE_ORIG);
		mnl_attr_nest_end(nlh, n);
	}
	if (x->flags & EXE_F_FN)
		mnl_attr_put_strz(nlh, CTA_EXPECT_FN, x->fn);
	return nlh;
}

/* ---- comparing requests attribute by attribute ---- */

/*
 * Same attributes with the same contents, nests compared recursively
 * and in any order (the kernel indexes them by type); top-level types
 * in the ignore mask are left out on both sides.
 */
static int
attrs_equal(const void *pa, size_t la, const void *pb, size_t lb,
    uint64_t ignore)
{
	const struct nlattr	*a, *b;
	const char		*ea = (const char *)pa + la;
	const char		*eb = (const char *)pb + lb;
	int			 na = 0, nb = 0, found;

	for (b = pb; mnl_attr_ok(b, eb - (const char *)b); b = mnl_attr_next(b))
		if (!(ignore & (1ULL << mnl_attr_get_type(b))))
			nb++;
	for (a = pa; mnl_attr_ok(a, ea - (const char *)a); a = mnl_attr_next(a)) {
		if (ignore & (1ULL << mnl_attr_get_type(a)))
			continue;
		na++;
		found = 0;
		for (b = pb; mnl_attr_ok(b, eb - (const char *)b);
		    b = mnl_attr_next(b)) {
			if (b->nla_type != a->nla_type)
				continue;
			if (a->nla_type & NLA_F_NESTED)
				found = attrs_equal(mnl_attr_get_payload(a),
				    mnl_attr_get_payload_len(a),
				    mnl_attr_get_payload(b),
				    mnl_attr_get_payload_len(b), 0);
			else
				found = a->nla_len == b->nla_len &&
				    memcmp(a, b, a->nla_len) == 0;
			break;
		}
		if (!found)
			return 0;
	}
	return na == nb;
}

static int
msgs_equal(const struct nlmsghdr *a, const struct nlmsghdr *b,
    uint64_t ignore)
{
	return memcmp(mnl_nlmsg_get_payload(a), mnl_nlmsg_get_payload(b),
	    sizeof(struct nfgenmsg)) == 0 && attrs_equal(msg_attrs(a),
	    msg_attrs_len(a), msg_attrs(b), msg_attrs_len(b), ignore);
}

/* ---- records ---- */

/* TCP, source NAT to 10.9.9.9:1234, every optional part */
static void
mk_tcp_full(struct ct_entry *e)
{
	memset(e, 0, sizeof(*e));
	tuple4(&e->orig, IPPROTO_TCP, "10.0.0.1", "10.0.0.3", 40001, 80);
	tuple4(&e->repl, IPPROTO_TCP, "10.0.0.3", "10.9.9.9", 80, 1234);
	tuple4(&e->master, IPPROTO_TCP, "10.0.0.1", "10.0.0.3", 40000, 21);
	e->flags = CTE_F_ALL & ~(CTE_F_SCTP_VTAG | CTE_F_DCCP_ROLE);
	e->status = IPS_SEEN_REPLY | IPS_ASSURED | IPS_CONFIRMED |
	    IPS_SRC_NAT | IPS_SRC_NAT_DONE | IPS_SEQ_ADJUST | IPS_EXPECTED;
	e->timeout = 300;
	e->mark = 0x12345678;
	e->secmark = 77;
	e->zone = 65535;
	e->state = 3;
	e->wscale_orig = 7;
	e->wscale_repl = 14;
	e->seqadj[0] = 1000;
	e->seqadj[1] = 5;
	e->seqadj[2] = 6;
	e->seqadj[3] = 2000;
	e->seqadj[4] = 0xfffffffb;
	e->seqadj[5] = 0xfffffffa;
	e->synproxy[0] = 0xdeadbeef;
	e->synproxy[1] = 1;
	e->synproxy[2] = 2;
	e->labels[0] = 0x5;
	e->labels[3] = 0x80000000;
	strlcpy(e->helper, "ftp-2121", sizeof(e->helper));
}

/* IPv6 UDP, destination NAT of address and port, zone and labels */
static void
mk_udp6_dnat(struct ct_entry *e)
{
	memset(e, 0, sizeof(*e));
	tuple6(&e->orig, IPPROTO_UDP, "2001:db8::1", "2001:db8::2", 53, 5353);
	tuple6(&e->repl, IPPROTO_UDP, "2001:db8::99", "2001:db8::1", 99,
	    53);
	e->flags = CTE_F_REPL | CTE_F_TIMEOUT | CTE_F_MARK | CTE_F_ZONE |
	    CTE_F_LABELS;
	e->status = IPS_CONFIRMED | IPS_DST_NAT | IPS_DST_NAT_DONE;
	e->timeout = 100;
	e->mark = 16;
	e->zone = 5;
	e->labels[1] = 0x00010000;
}

/* IPv4 ICMP echo with source NAT of the address */
static void
mk_icmp_snat(struct ct_entry *e)
{
	memset(e, 0, sizeof(*e));
	tuple4(&e->orig, IPPROTO_ICMP, "192.0.2.1", "192.0.2.2", 0x1234, 0);
	tuple4(&e->repl, IPPROTO_ICMP, "192.0.2.2", "198.51.100.7", 0x1234, 0);
	e->orig.icmp_type = 8;
	e->orig.icmp_code = 3;
	e->repl.icmp_code = 3;
	e->flags = CTE_F_REPL | CTE_F_TIMEOUT | CTE_F_MARK;
	e->status = IPS_CONFIRMED | IPS_SRC_NAT;
	e->timeout = 30;
}

static void
mk_icmp6(struct ct_entry *e)
{
	memset(e, 0, sizeof(*e));
	tuple6(&e->orig, IPPROTO_ICMPV6, "2001:db8::1", "2001:db8::2", 7, 0);
	e->orig.icmp_type = 128;
	ct_tuple_invert(&e->repl, &e->orig);
	e->flags = CTE_F_REPL | CTE_F_MARK | CTE_F_TIMEOUT;
	e->timeout = 29;
}

static void
mk_sctp(struct ct_entry *e)
{
	memset(e, 0, sizeof(*e));
	tuple4(&e->orig, IPPROTO_SCTP, "192.0.2.1", "192.0.2.2", 7, 9);
	tuple4(&e->repl, IPPROTO_SCTP, "192.0.2.2", "192.0.2.5", 9, 70);
	e->flags = CTE_F_REPL | CTE_F_TIMEOUT | CTE_F_MARK | CTE_F_STATE |
	    CTE_F_SCTP_VTAG;
	e->status = IPS_CONFIRMED | IPS_SRC_NAT;	/* port NAT: no ports */
	e->timeout = 30;
	e->state = 3;
	e->sctp_vtag_orig = 0x11223344;
	e->sctp_vtag_repl = 0x55667788;
}

static void
mk_dccp(struct ct_entry *e)
{
	memset(e, 0, sizeof(*e));
	tuple4(&e->orig, IPPROTO_DCCP, "192.0.2.1", "192.0.2.2", 5, 6);
	ct_tuple_invert(&e->repl, &e->orig);
	e->flags = CTE_F_REPL | CTE_F_STATE | CTE_F_DCCP_ROLE | CTE_F_TIMEOUT;
	e->state = 4;
	e->dccp_role = 1;
	e->timeout = 60;
}

static void
mk_gre(struct ct_entry *e)
{
	memset(e, 0, sizeof(*e));
	tuple4(&e->orig, IPPROTO_GRE, "192.0.2.1", "192.0.2.2", 7, 9);
	ct_tuple_invert(&e->repl, &e->orig);
	e->flags = CTE_F_REPL | CTE_F_MARK | CTE_F_TIMEOUT;
	e->timeout = 180;
}

/* a related FTP data connection with an IPv6 master */
static void
mk_related6(struct ct_entry *e)
{
	memset(e, 0, sizeof(*e));
	tuple6(&e->orig, IPPROTO_TCP, "2001:db8::2", "2001:db8::1", 20, 50000);
	ct_tuple_invert(&e->repl, &e->orig);
	tuple6(&e->master, IPPROTO_TCP, "2001:db8::1", "2001:db8::2", 40000,
	    21);
	e->flags = CTE_F_REPL | CTE_F_MASTER | CTE_F_TIMEOUT | CTE_F_STATE |
	    CTE_F_HELPER;
	e->status = IPS_EXPECTED | IPS_SEEN_REPLY | IPS_CONFIRMED;
	e->timeout = 120;
	e->state = 1;
	strlcpy(e->helper, "ftp", sizeof(e->helper));
}

/* ESP: no ports, no protocol information; an ICMP master */
static void
mk_esp(struct ct_entry *e)
{
	memset(e, 0, sizeof(*e));
	tuple4(&e->orig, IPPROTO_ESP, "192.0.2.1", "192.0.2.2", 0, 0);
	ct_tuple_invert(&e->repl, &e->orig);
	tuple4(&e->master, IPPROTO_ICMP, "192.0.2.1", "192.0.2.2", 0, 0);
	e->flags = CTE_F_REPL | CTE_F_MASTER | CTE_F_TIMEOUT;
	e->timeout = 600;
}

/* what sync hands over: no reply tuple, nothing optional */
static void
mk_bare(struct ct_entry *e)
{
	memset(e, 0, sizeof(*e));
	tuple4(&e->orig, IPPROTO_TCP, "198.51.100.1", "203.0.113.1", 1, 2);
	e->flags = CTE_F_TIMEOUT;
	e->timeout = 100;
}

/* the longest request: IPv6, NAT both ways, an ICMPv6 master, all parts */
static void
mk_largest(struct ct_entry *e)
{
	mk_tcp_full(e);
	tuple6(&e->orig, IPPROTO_TCP, "2001:db8::1", "2001:db8::2", 1, 2);
	tuple6(&e->repl, IPPROTO_TCP, "2001:db8::3", "2001:db8::4", 3, 4);
	tuple6(&e->master, IPPROTO_ICMPV6, "2001:db8::5", "2001:db8::6", 0, 0);
	e->status |= IPS_DST_NAT;
}

typedef void	(*mk_fn)(struct ct_entry *);

static const mk_fn	fixed_cts[] = {
	mk_tcp_full, mk_udp6_dnat, mk_icmp_snat, mk_icmp6, mk_sctp, mk_dccp,
	mk_gre, mk_related6, mk_esp, mk_bare, mk_largest,
};
#define NFIXED	(sizeof(fixed_cts) / sizeof(fixed_cts[0]))

/* ---- random records ---- */

static const uint8_t	protos[] = {
	IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE, IPPROTO_SCTP,
	IPPROTO_DCCP, IPPROTO_GRE, IPPROTO_ICMP, IPPROTO_ICMPV6,
	IPPROTO_ESP, 0, 255,
};

static void
rnd_addr(uint32_t *a, uint8_t l3)
{
	memset(a, 0, 16);
	a[0] = rnd();
	if (l3 == AF_INET6) {
		a[1] = rnd();
		a[2] = rnd();
		a[3] = rnd();
	}
}

/* a valid tuple; icmp: with ICMP fields when the protocol has them */
static void
rnd_tuple(struct ct_tuple *t, uint8_t l3, int icmp)
{
	static const uint8_t	icmp4[] = { 0, 8, 13, 14, 15, 16, 17, 18 };
	static const uint8_t	icmp6[] = { 128, 129, 139, 140 };

	memset(t, 0, sizeof(*t));
	t->l3 = l3;
	t->l4 = protos[rnd() % sizeof(protos)];
	rnd_addr(t->src, l3);
	rnd_addr(t->dst, l3);
	if (ct_proto_uses_port_fields(t->l4)) {
		t->sport = rnd();
		t->dport = chance(20) ? 0 : rnd();
	} else if (icmp && ct_proto_is_icmp(l3, t->l4)) {
		t->icmp_type = l3 == AF_INET ? icmp4[rnd() % sizeof(icmp4)] :
		    icmp6[rnd() % sizeof(icmp6)];
		t->icmp_code = chance(2) ? 0 : rnd();
		t->sport = rnd();
	}
}

/* a reply: the inverse, maybe with either end mangled by NAT */
static void
rnd_reply(struct ct_entry *e)
{
	ct_tuple_invert(&e->repl, &e->orig);
	if (chance(2))
		rnd_addr(e->repl.dst, e->orig.l3);
	if (chance(2))
		rnd_addr(e->repl.src, e->orig.l3);
	if (ct_proto_uses_port_fields(e->orig.l4)) {
		if (chance(2))
			e->repl.dport = chance(8) ? 0 : rnd();
		if (chance(2))
			e->repl.sport = chance(8) ? 0 : rnd();
	}
	e->flags |= CTE_F_REPL;
	if (chance(2))
		e->status |= IPS_SRC_NAT;
	if (chance(2))
		e->status |= IPS_DST_NAT;
}

static void
rnd_proto(struct ct_entry *e)
{
	uint8_t	l4 = e->orig.l4;

	if ((l4 == IPPROTO_TCP || l4 == IPPROTO_SCTP || l4 == IPPROTO_DCCP) &&
	    chance(2)) {
		e->flags |= CTE_F_STATE;
		e->state = rnd() % 10;
	}
	if (l4 == IPPROTO_TCP && chance(2)) {
		e->flags |= CTE_F_WSCALE;
		e->wscale_orig = rnd() % 15;
		e->wscale_repl = rnd() % 15;
	}
	if (l4 == IPPROTO_SCTP && chance(2)) {
		e->flags |= CTE_F_SCTP_VTAG;
		e->sctp_vtag_orig = rnd();
		e->sctp_vtag_repl = rnd();
	}
	if (l4 == IPPROTO_DCCP && chance(2)) {
		e->flags |= CTE_F_DCCP_ROLE;
		e->dccp_role = rnd() % 2;
	}
}

static void
rnd_name(char *s, size_t size)
{
	size_t	len, i;

	memset(s, 0, size);
	len = 1 + rnd() % (size - 1);
	for (i = 0; i < len; i++)
		s[i] = '!' + rnd() % ('~' - '!' + 1);
}

static void
rnd_extra(struct ct_entry *e)
{
	int	i;

	if (chance(3)) {
		e->flags |= CTE_F_SEQADJ;
		for (i = 0; i < 6; i++)
			e->seqadj[i] = chance(3) ? 0 : rnd();
		e->seqadj[rnd() % 6] |= 1;
	}
	if (chance(4)) {
		e->flags |= CTE_F_SYNPROXY;
		for (i = 0; i < 3; i++)
			e->synproxy[i] = chance(3) ? 0 : rnd();
		e->synproxy[rnd() % 3] |= 1;
	}
	if (chance(3)) {
		e->flags |= CTE_F_LABELS;
		e->labels[rnd() % CT_LABEL_WORDS] = 1U << (rnd() % 32);
		if (chance(2))
			e->labels[rnd() % CT_LABEL_WORDS] |= rnd();
	}
	if (chance(3)) {
		e->flags |= CTE_F_HELPER;
		rnd_name(e->helper, sizeof(e->helper));
	}
}

static void
rnd_ct(struct ct_entry *e)
{
	uint8_t	l3 = chance(3) ? AF_INET6 : AF_INET;

	memset(e, 0, sizeof(*e));
	e->status = rnd() & CT_STATUS_KNOWN;
	rnd_tuple(&e->orig, l3, 1);
	if (chance(4) == 0)
		rnd_reply(e);
	if (chance(5)) {
		rnd_tuple(&e->master, l3, 0);
		e->flags |= CTE_F_MASTER;
	}
	if (chance(4) == 0) {
		e->flags |= CTE_F_TIMEOUT;
		e->timeout = chance(10) ? 0 : rnd();
	}
	if (chance(2)) {
		e->flags |= CTE_F_MARK;
		e->mark = chance(3) ? 0 : rnd();
	}
	if (chance(5)) {
		e->flags |= CTE_F_SECMARK;
		e->secmark = rnd();
	}
	if (chance(4)) {
		e->flags |= CTE_F_ZONE;
		e->zone = 1 + rnd() % 65535;
	}
	rnd_proto(e);
	rnd_extra(e);
	if (ct_entry_check(e) != NULL) {
		fprintf(stderr, "random entry: %s\n", ct_entry_check(e));
		abort();
	}
}

static void
rnd_mask(struct ct_tuple *m, const struct ct_tuple *t)
{
	memset(m, 0, sizeof(*m));
	m->l3 = t->l3;
	m->l4 = chance(8) ? protos[rnd() % sizeof(protos)] : t->l4;
	rnd_addr(m->src, t->l3);
	rnd_addr(m->dst, t->l3);
	if (ct_proto_uses_port_fields(m->l4)) {
		m->sport = rnd();
		m->dport = rnd();
	} else if (ct_proto_is_icmp(m->l3, m->l4)) {
		m->icmp_type = rnd();
		m->icmp_code = rnd();
		m->sport = rnd();
	}
}

static void
rnd_exp(struct exp_entry *x)
{
	uint8_t	l3 = chance(3) ? AF_INET6 : AF_INET;

	memset(x, 0, sizeof(*x));
	rnd_tuple(&x->master, l3, 1);
	rnd_tuple(&x->tuple, l3, 1);
	rnd_mask(&x->mask, &x->tuple);
	if (chance(3)) {
		rnd_tuple(&x->nat, l3, 1);
		x->nat_dir = rnd() % 2;
		x->flags |= EXE_F_NAT;
	}
	if (chance(5) != 0) {
		x->flags |= EXE_F_TIMEOUT;
		x->timeout = rnd();
	}
	if (chance(2)) {
		x->flags |= EXE_F_CLASS;
		x->class = rnd() % 4;
	}
	x->expflags = rnd() % 8;
	if (chance(3)) {
		x->flags |= EXE_F_ZONE;
		x->zone = 1 + rnd() % 65535;
	}
	if (chance(2)) {
		x->flags |= EXE_F_HELPER;
		rnd_name(x->helper, sizeof(x->helper));
	}
	/* libnetfilter_conntrack aborts on functions longer than 23 bytes */
	if (chance(3)) {
		x->flags |= EXE_F_FN;
		rnd_name(x->fn, 24);
	}
	if (exp_entry_check(x) != NULL) {
		fprintf(stderr, "random expectation: %s\n",
		    exp_entry_check(x));
		abort();
	}
}

/* ---- (a) parsing ---- */

static int	nparsed_ok, nparsed_refused;

/* one message through both parsers: same verdict, same record */
static void
same_parse_ct(const struct nlmsghdr *nlh, const char *what, long i)
{
	struct ct_entry	a, b;
	int		ra, rb;

	ra = ref_parse_ct(nlh, &a);
	rb = ctmnl_parse_ct(nlh, &b);
	CHECK(ra == rb);
	if (ra == 0 && rb == 0)
		CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	if (ra != rb || (ra == 0 && memcmp(&a, &b, sizeof(a)) != 0))
		fprintf(stderr, "%s %ld: reference %d, ctmnl %d\n", what, i,
		    ra, rb);
	if (ra == 0)
		nparsed_ok++;
	else
		nparsed_refused++;
}

static void
same_parse_exp(const struct nlmsghdr *nlh, const char *what, long i)
{
	struct exp_entry	a, b;
	int			ra, rb;

	ra = ref_parse_exp(nlh, &a);
	rb = ctmnl_parse_exp(nlh, &b);
	CHECK(ra == rb);
	if (ra == 0 && rb == 0)
		CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	if (ra != rb || (ra == 0 && memcmp(&a, &b, sizeof(a)) != 0))
		fprintf(stderr, "%s %ld: reference %d, ctmnl %d\n", what, i,
		    ra, rb);
	if (ra == 0)
		nparsed_ok++;
	else
		nparsed_refused++;
}

/* a record with a reply tuple comes back as it went out */
static void
roundtrip_ct(const struct ct_entry *e, const struct nlmsghdr *nlh)
{
	struct ct_entry	want = *e, got;

	if (!(e->flags & CTE_F_REPL))
		return;
	/* nfct_nlmsg_build() always says IPS_CONFIRMED */
	want.status |= IPS_CONFIRMED;
	CHECK(ctmnl_parse_ct(nlh, &got) == 0);
	CHECK(memcmp(&got, &want, sizeof(got)) == 0);
}

/*
 * The message again with its attribute number skip (counted depth
 * first over every attribute, nests included) left out.  Returns 0
 * when there is no such attribute.
 */
static int
cut_attrs(struct nlmsghdr *dst, const void *p, size_t len, int *n, int skip)
{
	const struct nlattr	*a;
	const char		*end = (const char *)p + len;
	struct nlattr		*nest;
	int			 cut = 0;

	for (a = p; mnl_attr_ok(a, end - (const char *)a); a = mnl_attr_next(a)) {
		if ((*n)++ == skip) {
			cut = 1;
			continue;
		}
		if (!(a->nla_type & NLA_F_NESTED)) {
			mnl_attr_put(dst, a->nla_type, mnl_attr_get_payload_len(a),
			    mnl_attr_get_payload(a));
			continue;
		}
		nest = mnl_attr_nest_start(dst, a->nla_type & NLA_TYPE_MASK);
		cut |= cut_attrs(dst, mnl_attr_get_payload(a),
		    mnl_attr_get_payload_len(a), n, skip);
		mnl_attr_nest_end(dst, nest);
	}
	return cut;
}

static struct nlmsghdr *
cut_msg(struct msg *m, const struct nlmsghdr *src, int skip)
{
	struct nlmsghdr	*nlh;
	int		 n = 0;

	nlh = msg_start(m, ((const struct nfgenmsg *)
	    mnl_nlmsg_get_payload(src))->nfgen_family);
	nlh->nlmsg_type = src->nlmsg_type;
	if (!cut_attrs(nlh, msg_attrs(src), msg_attrs_len(src), &n, skip))
		return NULL;
	return nlh;
}

static void
mutate_ct(const struct nlmsghdr *nlh, long i)
{
	struct msg	m;
	struct nlmsghdr	*cut;
	int		skip;

	for (skip = 0; (cut = cut_msg(&m, nlh, skip)) != NULL; skip++)
		same_parse_ct(cut, "cut entry", i * 1000 + skip);
}

static void
mutate_exp(const struct nlmsghdr *nlh, long i)
{
	struct msg	m;
	struct nlmsghdr	*cut;
	int		skip;

	for (skip = 0; (cut = cut_msg(&m, nlh, skip)) != NULL; skip++)
		same_parse_exp(cut, "cut expectation", i * 1000 + skip);
}

static void
parse_one_ct(const struct ct_entry *e, long i, int mutate)
{
	struct msg	m;
	struct nlmsghdr	*nlh;

	nlh = ref_ct_msg(&m, e);
	same_parse_ct(nlh, "entry", i);
	roundtrip_ct(e, nlh);
	if (mutate)
		mutate_ct(nlh, i);
	kernel_extras_ct(nlh);
	same_parse_ct(nlh, "entry with kernel extras", i);
	roundtrip_ct(e, nlh);
}

static void
test_parse_ct(void)
{
	struct ct_entry	e;
	size_t		i;
	long		n;

	for (i = 0; i < NFIXED; i++) {
		fixed_cts[i](&e);
		CHECK(ct_entry_check(&e) == NULL);
		parse_one_ct(&e, (long)i, 1);
	}
	for (n = 0; n < NRANDOM_CT; n++) {
		rnd_ct(&e);
		parse_one_ct(&e, 100 + n, n < NMUTATE);
	}
}

static void
test_parse_exp(void)
{
	struct msg		 m;
	struct nlmsghdr		*nlh;
	struct exp_entry	 x, got;
	long			 n;

	for (n = 0; n < NRANDOM_EXP; n++) {
		rnd_exp(&x);
		nlh = kernel_exp_msg(&m, &x);
		same_parse_exp(nlh, "expectation", n);
		/* the kernel's message carries everything: x comes back */
		CHECK(ctmnl_parse_exp(nlh, &got) == 0);
		CHECK(memcmp(&got, &x, sizeof(x)) == 0);
		if (n < NMUTATE)
			mutate_exp(nlh, n);
		nlh = ref_exp_msg(&m, &x);
		same_parse_exp(nlh, "built expectation", n);
	}
}

/* an ICMP tuple with both the ICMP and the ICMPv6 attributes */
static void
put_icmp_both(struct nlmsghdr *nlh, uint16_t type, const struct ct_tuple *t)
{
	struct nlattr	*tuple, *nest;

	tuple = mnl_attr_nest_start(nlh, type);
	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, t->src);
	mnl_attr_put(nlh, CTA_IP_V6_DST, 16, t->dst);
	mnl_attr_nest_end(nlh, nest);
	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, t->l4);
	mnl_attr_put_u8(nlh, CTA_PROTO_ICMPV6_TYPE, t->icmp_type);
	mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_TYPE, 8);
	mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_CODE, 9);
	mnl_attr_put_u8(nlh, CTA_PROTO_ICMPV6_CODE, t->icmp_code);
	mnl_attr_put_u16(nlh, CTA_PROTO_ICMPV6_ID, t->sport);
	mnl_attr_put_u16(nlh, CTA_PROTO_ICMP_ID, htons(5));
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_nest_end(nlh, tuple);
}

/* ICMP fields where the reference reads none, or two of each kind */
static void
test_parse_icmp(void)
{
	struct msg	m;
	struct nlmsghdr	*nlh;
	struct ct_entry	e, got;

	/* a master's ICMP fields are not read */
	mk_icmp6(&e);
	e.orig.icmp_code = 1;
	e.repl.icmp_code = 1;
	nlh = msg_start(&m, AF_INET6);
	put_icmp_both(nlh, CTA_TUPLE_ORIG, &e.orig);
	put_icmp_both(nlh, CTA_TUPLE_REPLY, &e.repl);
	put_icmp_both(nlh, CTA_TUPLE_MASTER, &e.orig);
	same_parse_ct(nlh, "ICMP fields", 0);
	CHECK(ctmnl_parse_ct(nlh, &got) == 0);
	e.flags = CTE_F_REPL | CTE_F_MASTER;
	e.timeout = 0;
	e.master.l3 = AF_INET6;
	e.master.l4 = IPPROTO_ICMPV6;
	memcpy(e.master.src, e.orig.src, sizeof(e.master.src));
	memcpy(e.master.dst, e.orig.dst, sizeof(e.master.dst));
	CHECK(memcmp(&got, &e, sizeof(e)) == 0);
}

/* hand-made messages: sizes, lengths, duplicates, names, labels */
static struct nlmsghdr *
labels_msg(struct msg *m, const struct ct_entry *e, const void *lab,
    size_t len)
{
	struct nlmsghdr	*nlh;

	nlh = ref_ct_msg(m, e);
	mnl_attr_put(nlh, CTA_LABELS, len, lab);
	return nlh;
}

static void
test_parse_edges(void)
{
	static const char	*names[] = {
		"a", "fifteen-chars-x", "sixteen-chars-xx", "twenty-chars-xxxxxxx",
	};
	struct msg		 m;
	struct nlmsghdr		*nlh;
	struct nlattr		*n;
	struct ct_entry		 e, got;
	struct exp_entry	 x;
	unsigned char		 lab[40];
	size_t			 i, len;

	mk_bare(&e);
	ct_tuple_invert(&e.repl, &e.orig);
	e.flags |= CTE_F_REPL;

	/* label attributes of any length: the first 128 bits are ours */
	for (i = 0; i < sizeof(lab); i++)
		lab[i] = 0x11 * (i + 1);
	for (len = 0; len <= sizeof(lab); len++)
		same_parse_ct(labels_msg(&m, &e, lab, len), "labels",
		    (long)len);
	memset(lab, 0, sizeof(lab));
	lab[20] = 1;			/* only past bit 127: none */
	nlh = labels_msg(&m, &e, lab, 24);
	CHECK(ctmnl_parse_ct(nlh, &got) == 0 && !(got.flags & CTE_F_LABELS));

	/* helper names are cut to what the record holds */
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		nlh = ref_ct_msg(&m, &e);
		n = mnl_attr_nest_start(nlh, CTA_HELP);
		mnl_attr_put_strz(nlh, CTA_HELP_NAME, names[i]);
		mnl_attr_nest_end(nlh, n);
		same_parse_ct(nlh, "helper name", (long)i);
	}

	/* the later of two equal attributes wins; zone 0 is no zone */
	nlh = ref_ct_msg(&m, &e);
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(1));
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(2));
	mnl_attr_put_u16(nlh, CTA_ZONE, htons(0));
	same_parse_ct(nlh, "duplicates", 0);
	CHECK(ctmnl_parse_ct(nlh, &got) == 0 && got.mark == 2 &&
	    !(got.flags & CTE_F_ZONE));

	/* a status bit we do not know is dropped, not fatal */
	nlh = ref_ct_msg(&m, &e);
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(0x30000 | IPS_ASSURED));
	same_parse_ct(nlh, "status", 0);
	CHECK(ctmnl_parse_ct(nlh, &got) == 0 && got.status == IPS_ASSURED);

	/*
	 * A fixed-size attribute of the wrong size: refused (the reference
	 * cannot be asked: libnetfilter_conntrack exits the process).
	 */
	nlh = ref_ct_msg(&m, &e);
	mnl_attr_put_u16(nlh, CTA_TIMEOUT, 1);
	CHECK(ctmnl_parse_ct(nlh, &got) == -1);
	nlh = ref_ct_msg(&m, &e);
	n = mnl_attr_nest_start(nlh, CTA_SYNPROXY);
	mnl_attr_put_u16(nlh, CTA_SYNPROXY_ISN, 1);
	mnl_attr_nest_end(nlh, n);
	CHECK(ctmnl_parse_ct(nlh, &got) == -1);

	/* families ctnetlink has no entries for, and no tuple at all */
	nlh = ref_ct_msg(&m, &e);
	((struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->nfgen_family =
	    AF_UNSPEC;
	same_parse_ct(nlh, "no family", 0);
	CHECK(ctmnl_parse_ct(nlh, &got) == -1);
	nlh = msg_start(&m, AF_INET);
	mnl_attr_put_u32(nlh, CTA_MARK, 0);
	same_parse_ct(nlh, "no tuple", 0);
	CHECK(ctmnl_parse_ct(nlh, &got) == -1);

	/* too short for the nfgenmsg header */
	nlh = msg_start(&m, AF_INET);
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 2;
	CHECK(ctmnl_parse_ct(nlh, &got) == -1);
	CHECK(ctmnl_parse_exp(nlh, &x) == -1);
}

/* ---- (b) building ---- */

/* top-level types a lookup (delete, update) does not read */
#define LOOKUP_IGNORES	((1ULL << CTA_TUPLE_REPLY) | (1ULL << CTA_STATUS))

static void
build_one_ct(const struct ct_entry *e, long i)
{
	struct msg		 rm, nm;
	struct nlmsghdr		*ref, *new;
	struct ct_entry		 a, b;
	uint32_t		 status;
	int			 liberal, ok;

	status = (e->status & ~IPS_EXPECTED) | IPS_CONFIRMED;
	for (liberal = 0; liberal <= 1; liberal++) {
		ref = ref_ct_new(&rm, e, liberal);
		new = msg_start(&nm, e->orig.l3);
		ctmnl_put_ct_new(new, e, status, liberal);
		CHECK(new->nlmsg_len <= CTMNL_MSG_MAX);
		ok = msgs_equal(ref, new, 0);
		CHECK(ok);
		if (!ok)
			fprintf(stderr, "create %ld (liberal %d) differs\n",
			    i, liberal);
		CHECK(ref_parse_ct(ref, &a) == 0 && ref_parse_ct(new, &b) == 0);
		CHECK(memcmp(&a, &b, sizeof(a)) == 0);
		same_parse_ct(new, "create request", i);
	}

	/* delete: the old request also sent a reply tuple and a status */
	ref = ref_ct_key(&rm, e, 0);
	new = msg_start(&nm, e->orig.l3);
	ctmnl_put_ct_key(new, e);
	CHECK(msgs_equal(ref, new, LOOKUP_IGNORES));
	CHECK(ref_parse_ct(new, &b) == -1 || ct_key_cmp(&b, e) == 0);

	/* timer update */
	ref = ref_ct_key(&rm, e, 42);
	new = msg_start(&nm, e->orig.l3);
	ctmnl_put_ct_timeout(new, e, 42);
	CHECK(msgs_equal(ref, new, LOOKUP_IGNORES));
	ok = ref_parse_ct(new, &b) == 0;
	CHECK(!ok || (b.timeout == 42 && ct_key_cmp(&b, e) == 0));
}

static void
test_build_ct(void)
{
	struct ct_entry	e;
	size_t		i;
	long		n;

	for (i = 0; i < NFIXED; i++) {
		fixed_cts[i](&e);
		build_one_ct(&e, (long)i);
	}
	for (n = 0; n < NRANDOM_CT; n++) {
		rnd_ct(&e);
		build_one_ct(&e, 100 + n);
	}
}

/* the NAT attributes themselves, which no parser reads */
static void
test_build_nat(void)
{
	struct msg		 m;
	struct nlmsghdr		*nlh;
	struct ct_entry		 e;
	const struct nlattr	*a;
	int			 snat = 0, dnat = 0;

	mk_tcp_full(&e);
	e.status |= IPS_DST_NAT;	/* reply source is the original's: none */
	nlh = msg_start(&m, AF_INET);
	ctmnl_put_ct_new(nlh, &e, IPS_CONFIRMED, 1);
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == CTA_NAT_SRC)
			snat++;
		if (mnl_attr_get_type(a) == CTA_NAT_DST)
			dnat++;
	}
	CHECK(snat == 1 && dnat == 0);

	/* without a reply tuple there is nothing to say */
	mk_bare(&e);
	e.status = IPS_SRC_NAT | IPS_DST_NAT;
	nlh = msg_start(&m, AF_INET);
	ctmnl_put_ct_new(nlh, &e, IPS_CONFIRMED, 0);
	snat = dnat = 0;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == CTA_NAT_SRC)
			snat++;
		if (mnl_attr_get_type(a) == CTA_NAT_DST)
			dnat++;
		/* and no protocol information for TCP without liberal */
		CHECK(mnl_attr_get_type(a) != CTA_PROTOINFO);
	}
	CHECK(snat == 0 && dnat == 0);
}

static void
test_build_exp(void)
{
	struct msg		 rm, nm;
	struct nlmsghdr		*ref, *new;
	struct exp_entry	 x, a, b;
	long			 n;
	int			 ok;

	for (n = 0; n < NRANDOM_EXP; n++) {
		rnd_exp(&x);
		ref = ref_exp_msg(&rm, &x);
		new = msg_start(&nm, x.tuple.l3);
		new->nlmsg_type = ref->nlmsg_type;
		ctmnl_put_exp(new, &x);
		CHECK(new->nlmsg_len <= CTMNL_MSG_MAX);
		ok = msgs_equal(ref, new, 0);
		CHECK(ok);
		if (!ok)
			fprintf(stderr, "expectation %ld differs\n", n);
		CHECK(ref_parse_exp(ref, &a) == ref_parse_exp(new, &b));
		CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	}
}

/* the comparison itself must see differences */
static void
test_compare(void)
{
	struct msg	ma, mb;
	struct nlmsghdr	*a, *b;
	struct ct_entry	e;

	mk_tcp_full(&e);
	a = msg_start(&ma, AF_INET);
	ctmnl_put_ct_new(a, &e, IPS_CONFIRMED, 1);
	b = msg_start(&mb, AF_INET);
	ctmnl_put_ct_new(b, &e, IPS_CONFIRMED, 1);
	CHECK(msgs_equal(a, b, 0));
	b = msg_start(&mb, AF_INET);
	ctmnl_put_ct_new(b, &e, IPS_CONFIRMED, 0);	/* no TCP flags */
	CHECK(!msgs_equal(a, b, 0) && !msgs_equal(b, a, 0));
	e.mark++;
	b = msg_start(&mb, AF_INET);
	ctmnl_put_ct_new(b, &e, IPS_CONFIRMED, 1);
	CHECK(!msgs_equal(a, b, 0));
	CHECK(msgs_equal(a, b, 1ULL << CTA_MARK));
	b = msg_start(&mb, AF_INET6);
	e.mark--;
	ctmnl_put_ct_new(b, &e, IPS_CONFIRMED, 1);
	CHECK(!msgs_equal(a, b, 0));
}

int
main(void)
{
	test_compare();
	test_parse_ct();
	test_parse_exp();
	test_parse_edges();
	test_parse_icmp();
	test_build_ct();
	test_build_nat();
	test_build_exp();
	printf("test_ctmnl: %d checks, %d failed (messages parsed alike: %d "
	    "accepted, %d refused)\n", nchecks, nfailed, nparsed_ok,
	    nparsed_refused);
	return (nfailed == 0 ? 0 : 1);
}
