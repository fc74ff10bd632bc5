/*
 * General { Filter }: which conntracks we replicate.  Applied in the
 * kernel process before anything crosses to sync; with From Kernelspace
 * also compiled to BPF on the event socket (dumps are still filtered
 * here, as conntrackd does).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <string.h>
#include <strings.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "config.h"
#include "ctentry.h"
#include "kfilter.h"
#include "log.h"

static const struct ctsyncd_conf *fconf;

void
kfilter_init(const struct ctsyncd_conf *conf)
{
	fconf = conf;
}

static int
addr_match_one(const struct conf_filter_addr *fa, uint8_t l3,
    const uint32_t *a)
{
	const uint8_t	*x = (const uint8_t *)a, *y = fa->addr.s6_addr;
	unsigned int	 bits = fa->prefixlen, i;

	if ((l3 == AF_INET && fa->family != AF_INET) ||
	    (l3 == AF_INET6 && fa->family != AF_INET6))
		return 0;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (x[i] != y[i])
			return 0;
	if (bits == 0)
		return 1;
	return ((x[i] ^ y[i]) & (0xff << (8 - bits))) == 0;
}

/* linear: configured address sets are short in practice */
static int
addr_match(uint8_t l3, const uint32_t *a)
{
	uint32_t	i;

	for (i = 0; i < fconf->filter.naddrs; i++)
		if (addr_match_one(&fconf->filter_addrs[i], l3, a))
			return 1;
	return 0;
}

static int
policy_pass(uint8_t policy, int matched)
{
	if (policy == CONF_FILTER_ACCEPT)
		return matched;
	if (policy == CONF_FILTER_IGNORE)
		return !matched;
	return 1;
}

/*
 * A flow passes when it passes every configured set.  Addresses match
 * on the original source or the reply source (the real server after
 * DNAT).  States only concern TCP.
 */
int
kfilter_ct_pass(const struct ct_entry *ct)
{
	const struct conf_filter *f = &fconf->filter;
	int			  m;

	if (f->proto_policy != CONF_FILTER_NONE) {
		m = (f->protos[ct->orig.l4 / 8] >> (ct->orig.l4 % 8)) & 1;
		if (!policy_pass(f->proto_policy, m))
			return 0;
	}
	if (f->addr_policy != CONF_FILTER_NONE) {
		m = addr_match(ct->orig.l3, ct->orig.src) ||
		    ((ct->flags & CTE_F_REPL) &&
		    addr_match(ct->repl.l3, ct->repl.src));
		if (!policy_pass(f->addr_policy, m))
			return 0;
	}
	if (f->state_policy != CONF_FILTER_NONE && ct->orig.l4 == IPPROTO_TCP &&
	    (ct->flags & CTE_F_STATE)) {
		m = ct->state < 16 && ((f->tcp_states >> ct->state) & 1);
		if (!policy_pass(f->state_policy, m))
			return 0;
	}
	return 1;
}

/*
 * ExpectationSync { helper list }: only the listed helpers'
 * expectations.  As conntrackd, a word matches every helper whose name
 * starts with it, in any case ("ftp" takes "ftp-2121"); an expectation
 * without a helper name never matches a list.
 */
int
kfilter_exp_pass(const struct exp_entry *exp)
{
	uint32_t	i;
	size_t		len;

	if (fconf->sync.expect_sync != 2)
		return 1;
	if (exp->helper[0] == '\0')
		return 0;
	for (i = 0; i < fconf->sync.nexp_helpers; i++) {
		len = strlen(fconf->sync.exp_helpers[i]);
		if (len > 0 && strncasecmp(fconf->sync.exp_helpers[i],
		    exp->helper, len) == 0)
			return 1;
	}
	return 0;
}

int
kfilter_configured(void)
{
	const struct conf_filter *f = &fconf->filter;

	return f->proto_policy != CONF_FILTER_NONE ||
	    f->addr_policy != CONF_FILTER_NONE ||
	    f->state_policy != CONF_FILTER_NONE;
}

static void
bpf_add_addrs(struct nfct_filter *nf)
{
	const struct conf_filter_addr	*fa;
	struct nfct_filter_ipv4		 v4;
	struct nfct_filter_ipv6		 v6;
	uint32_t			 i, w, bits;

	for (i = 0; i < fconf->filter.naddrs; i++) {
		fa = &fconf->filter_addrs[i];
		if (fa->family == AF_INET) {
			memcpy(&v4.addr, fa->addr.s6_addr, 4);
			v4.addr = ntohl(v4.addr);
			v4.mask = fa->prefixlen == 0 ? 0 :
			    0xffffffffU << (32 - fa->prefixlen);
			nfct_filter_add_attr(nf, NFCT_FILTER_SRC_IPV4, &v4);
			nfct_filter_add_attr(nf, NFCT_FILTER_DST_IPV4, &v4);
			continue;
		}
		for (w = 0, bits = fa->prefixlen; w < 4; w++) {
			memcpy(&v6.addr[w], fa->addr.s6_addr + 4 * w, 4);
			v6.addr[w] = ntohl(v6.addr[w]);
			v6.mask[w] = bits >= 32 ? 0xffffffffU : bits == 0 ? 0 :
			    0xffffffffU << (32 - bits);
			bits = bits >= 32 ? bits - 32 : 0;
		}
		nfct_filter_add_attr(nf, NFCT_FILTER_SRC_IPV6, &v6);
		nfct_filter_add_attr(nf, NFCT_FILTER_DST_IPV6, &v6);
	}
}

static void
bpf_add_protos(struct nfct_filter *nf)
{
	const struct conf_filter *f = &fconf->filter;
	struct nfct_filter_proto  p;
	unsigned int		  i;

	for (i = 0; i < 256; i++)
		if ((f->protos[i / 8] >> (i % 8)) & 1)
			nfct_filter_add_attr_u32(nf, NFCT_FILTER_L4PROTO, i);
	for (i = 0; i < 16; i++) {
		if (((f->tcp_states >> i) & 1) == 0)
			continue;
		p.proto = IPPROTO_TCP;
		p.state = i;
		nfct_filter_add_attr(nf, NFCT_FILTER_L4PROTO_STATE, &p);
	}
}

static enum nfct_filter_logic
bpf_logic(uint8_t policy)
{
	return policy == CONF_FILTER_IGNORE ? NFCT_FILTER_LOGIC_NEGATIVE :
	    NFCT_FILTER_LOGIC_POSITIVE;
}

/* From Kernelspace: the same sets as BPF on the event socket. */
int
kfilter_attach(int fd)
{
	const struct conf_filter *f = &fconf->filter;
	struct nfct_filter	 *nf;
	int			  rc;

	if (!f->from_kernel || !kfilter_configured())
		return 0;
	if ((nf = nfct_filter_create()) == NULL)
		return -1;
	bpf_add_protos(nf);
	bpf_add_addrs(nf);
	if (f->proto_policy != CONF_FILTER_NONE)
		nfct_filter_set_logic(nf, NFCT_FILTER_L4PROTO,
		    bpf_logic(f->proto_policy));
	if (f->state_policy != CONF_FILTER_NONE)
		nfct_filter_set_logic(nf, NFCT_FILTER_L4PROTO_STATE,
		    bpf_logic(f->state_policy));
	if (f->addr_policy != CONF_FILTER_NONE) {
		nfct_filter_set_logic(nf, NFCT_FILTER_SRC_IPV4,
		    bpf_logic(f->addr_policy));
		nfct_filter_set_logic(nf, NFCT_FILTER_DST_IPV4,
		    bpf_logic(f->addr_policy));
		nfct_filter_set_logic(nf, NFCT_FILTER_SRC_IPV6,
		    bpf_logic(f->addr_policy));
		nfct_filter_set_logic(nf, NFCT_FILTER_DST_IPV6,
		    bpf_logic(f->addr_policy));
	}
	rc = nfct_filter_attach(fd, nf);
	nfct_filter_destroy(nf);
	return rc;
}
