/*
 * Expectation messages (types 3-5): exp_entry to TLVs in the order of
 * conntrackd's exp2msg() and back (conntrackd-spec.md §4.3, §4.5).
 *
 * The wire has no zone and no NAT address for IPv6; ports travel only
 * when the master's protocol is TCP, UDP, SCTP or DCCP, and then for
 * all four tuples, through libnetfilter_conntrack's port unions (an
 * ICMP tuple's "ports" are its id and its type and code).
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <string.h>

#include "ctentry.h"
#include "wire.h"
#include "wire_tlv.h"

/* expectation attribute types */
enum {
	WEX_MASTER_IPV4 = 0,
	WEX_MASTER_IPV6,
	WEX_MASTER_L4PROTO,
	WEX_MASTER_PORT,
	WEX_EXPECT_IPV4,
	WEX_EXPECT_IPV6,
	WEX_EXPECT_L4PROTO,
	WEX_EXPECT_PORT,
	WEX_MASK_IPV4,
	WEX_MASK_IPV6,
	WEX_MASK_L4PROTO,
	WEX_MASK_PORT,
	WEX_TIMEOUT,
	WEX_FLAGS,
	WEX_CLASS,
	WEX_NAT_IPV4,
	WEX_NAT_PORT,
	WEX_NAT_L4PROTO,
	WEX_NAT_DIR,
	WEX_HELPER_NAME,
	WEX_FN,
	WEX_MAX
};

#define WEX_HELPER_MAX		16	/* header + 11 characters + NUL */
#define WEX_FN_MAX		32	/* header + 27 characters + NUL */

static const struct wire_rule exp_rules[WEX_MAX] = {
	[WEX_MASTER_IPV4] =	{ 12, 12 },
	[WEX_MASTER_IPV6] =	{ 36, 36 },
	[WEX_MASTER_L4PROTO] =	{ 5, 5 },
	[WEX_MASTER_PORT] =	{ 8, 8 },
	[WEX_EXPECT_IPV4] =	{ 12, 12 },
	[WEX_EXPECT_IPV6] =	{ 36, 36 },
	[WEX_EXPECT_L4PROTO] =	{ 5, 5 },
	[WEX_EXPECT_PORT] =	{ 8, 8 },
	[WEX_MASK_IPV4] =	{ 12, 12 },
	[WEX_MASK_IPV6] =	{ 36, 36 },
	[WEX_MASK_L4PROTO] =	{ 5, 5 },
	[WEX_MASK_PORT] =	{ 8, 8 },
	[WEX_TIMEOUT] =		{ 8, 8 },
	[WEX_FLAGS] =		{ 8, 8 },
	[WEX_CLASS] =		{ 8, 8 },
	[WEX_NAT_IPV4] =	{ 12, 12 },
	[WEX_NAT_PORT] =	{ 8, 8 },
	[WEX_NAT_L4PROTO] =	{ 5, 5 },
	[WEX_NAT_DIR] =		{ 8, 8 },
	[WEX_HELPER_NAME] =	{ 4, WEX_HELPER_MAX },
	[WEX_FN] =		{ 4, WEX_FN_MAX },
};

/* the attributes of one tuple */
struct exp_tattrs {
	int	v4, v6, l4, port;
	const char *missing;
};

static const struct exp_tattrs exp_master = {
	WEX_MASTER_IPV4, WEX_MASTER_IPV6, WEX_MASTER_L4PROTO, WEX_MASTER_PORT,
	"no master address attribute"
};
static const struct exp_tattrs exp_expected = {
	WEX_EXPECT_IPV4, WEX_EXPECT_IPV6, WEX_EXPECT_L4PROTO, WEX_EXPECT_PORT,
	"no expected address attribute"
};
static const struct exp_tattrs exp_mask = {
	WEX_MASK_IPV4, WEX_MASK_IPV6, WEX_MASK_L4PROTO, WEX_MASK_PORT,
	"no mask address attribute"
};

static const char *exp_get_tuple(struct ct_tuple *, const struct wire_attrs *,
		    const struct exp_tattrs *, int);
static void	 exp_get_nat(struct exp_entry *, const struct wire_attrs *,
		    int);
static const char *exp_get_meta(struct exp_entry *, const struct wire_attrs *);
static void	 exp_put_tuple(struct wire_out *, const struct ct_tuple *,
		    const struct exp_tattrs *, int);
static void	 exp_put_nat(struct wire_out *, const struct exp_entry *, int);

/*
 * Parsing.
 */

static const char *
exp_get_tuple(struct ct_tuple *t, const struct wire_attrs *a,
    const struct exp_tattrs *ta, int ports)
{
	if (!wire_get_addrs(t, a, ta->v4, ta->v6))
		return ta->missing;
	t->l4 = wire_attr_u8(a, ta->l4);
	if (ports && wire_has(a, ta->port))
		wire_set_l4(t, a->val[ta->port]);
	return NULL;
}

/* the NAT tuple has the expectation's family; only IPv4 has addresses */
static void
exp_get_nat(struct exp_entry *x, const struct wire_attrs *a, int ports)
{
	struct ct_tuple	*t = &x->nat;

	if (!wire_has(a, WEX_NAT_IPV4) && !wire_has(a, WEX_NAT_PORT) &&
	    !wire_has(a, WEX_NAT_L4PROTO) && !wire_has(a, WEX_NAT_DIR))
		return;
	t->l3 = x->tuple.l3;
	if (t->l3 == AF_INET && wire_has(a, WEX_NAT_IPV4)) {
		memcpy(&t->src[0], a->val[WEX_NAT_IPV4], 4);
		memcpy(&t->dst[0], a->val[WEX_NAT_IPV4] + 4, 4);
	}
	t->l4 = wire_attr_u8(a, WEX_NAT_L4PROTO);
	if (ports && wire_has(a, WEX_NAT_PORT))
		wire_set_l4(t, a->val[WEX_NAT_PORT]);
	x->nat_dir = wire_attr_u32(a, WEX_NAT_DIR);
	x->flags |= EXE_F_NAT;
}

static const char *
exp_get_meta(struct exp_entry *x, const struct wire_attrs *a)
{
	if (wire_has(a, WEX_TIMEOUT)) {
		x->timeout = wire_attr_u32(a, WEX_TIMEOUT);
		x->flags |= EXE_F_TIMEOUT;
	}
	x->expflags = wire_attr_u32(a, WEX_FLAGS);
	if (wire_has(a, WEX_CLASS)) {
		x->class = wire_attr_u32(a, WEX_CLASS);
		x->flags |= EXE_F_CLASS;
	}
	if (wire_attr_str(x->helper, sizeof(x->helper), a, WEX_HELPER_NAME,
	    WEX_HELPER_MAX - 5) == -1)
		return "helper name too long";
	if (x->helper[0] != '\0')
		x->flags |= EXE_F_HELPER;
	if (wire_attr_str(x->fn, sizeof(x->fn), a, WEX_FN, WEX_FN_MAX - 5) ==
	    -1)
		return "expectation function name too long";
	if (x->fn[0] != '\0')
		x->flags |= EXE_F_FN;
	return NULL;
}

const char *
wire_parse_exp(const uint8_t *payload, size_t plen, struct exp_entry *x,
    const struct wire_opts *o)
{
	struct wire_attrs	 a;
	const char		*r;
	int			 ports;

	memset(x, 0, sizeof(*x));
	if ((r = wire_attrs_collect(&a, payload, plen, exp_rules, WEX_MAX)) !=
	    NULL)
		return r;
	/* the master's protocol decides whether any tuple has ports */
	ports = wire_l4_has_port(wire_attr_u8(&a, WEX_MASTER_L4PROTO));
	if ((r = exp_get_tuple(&x->master, &a, &exp_master, ports)) != NULL ||
	    (r = exp_get_tuple(&x->tuple, &a, &exp_expected, ports)) != NULL ||
	    (r = exp_get_tuple(&x->mask, &a, &exp_mask, ports)) != NULL)
		return r;
	exp_get_nat(x, &a, ports);
	if ((r = exp_get_meta(x, &a)) != NULL)
		return r;
	return exp_entry_check(x);
}

/*
 * Building, in exp2msg() order.
 */

static void
exp_put_tuple(struct wire_out *o, const struct ct_tuple *t,
    const struct exp_tattrs *ta, int ports)
{
	wire_out_addrs(o, ta->v4, ta->v6, t);
	wire_out_u8(o, ta->l4, t->l4);
	if (ports)
		wire_out_port(o, ta->port, t);
}

static void
exp_put_nat(struct wire_out *o, const struct exp_entry *x, int ports)
{
	const struct ct_tuple	*t = &x->nat;
	uint8_t			 b[8];

	if (t->l3 == AF_INET) {
		memcpy(b, &t->src[0], 4);
		memcpy(b + 4, &t->dst[0], 4);
		wire_out_attr(o, WEX_NAT_IPV4, b, sizeof(b));
	}
	wire_out_u8(o, WEX_NAT_L4PROTO, t->l4);
	if (ports)
		wire_out_port(o, WEX_NAT_PORT, t);
	wire_out_u32(o, WEX_NAT_DIR, x->nat_dir);
}

size_t
wire_build_exp(uint8_t *buf, size_t size, uint8_t type, uint8_t flags,
    uint32_t seq, const struct exp_entry *x, const struct wire_opts *opts)
{
	struct wire_out	o;
	int		ports;

	if (type < WIRE_EXP_NEW || type > WIRE_EXP_DESTROY)
		return 0;
	opts = wire_opts_or_default(opts);
	ports = wire_l4_has_port(x->master.l4);
	wire_out_init(&o, buf, size);
	exp_put_tuple(&o, &x->master, &exp_master, ports);
	exp_put_tuple(&o, &x->tuple, &exp_expected, ports);
	exp_put_tuple(&o, &x->mask, &exp_mask, ports);
	if ((x->flags & EXE_F_TIMEOUT) && !opts->no_timeout)
		wire_out_u32(&o, WEX_TIMEOUT, x->timeout);
	wire_out_u32(&o, WEX_FLAGS, x->expflags);
	if (x->flags & EXE_F_CLASS)
		wire_out_u32(&o, WEX_CLASS, x->class);
	if (x->flags & EXE_F_NAT)
		exp_put_nat(&o, x, ports);
	if (x->flags & EXE_F_HELPER)
		wire_out_str(&o, WEX_HELPER_NAME, x->helper);
	if (x->flags & EXE_F_FN)
		wire_out_str(&o, WEX_FN, x->fn);
	return wire_out_finish(&o, type, flags, seq);
}
