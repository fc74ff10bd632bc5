/*
 * ctnetlink messages straight from and into the records of ctentry.h,
 * with libmnl only: the kernel process's hot paths (events, dumps,
 * commit) without a libnetfilter_conntrack object per message.
 *
 * parse_*: the record ctnfct_from_ct()/ctnfct_from_exp() make of what
 * nfct_nlmsg_parse()/nfexp_nlmsg_parse() read (libnetfilter_conntrack
 * 1.0.9), byte for byte; 0, or -1 when the message is malformed or no
 * valid record (every record returned passes ct_entry_check() or
 * exp_entry_check()).
 *
 * put_*: append the attributes of a request to a message whose headers
 * ctnl_put_header() wrote; the buffer must have room for CTMNL_MSG_MAX
 * bytes from the message's start.  The kernel reads them as it reads
 * what nfct_nlmsg_build()/nfexp_nlmsg_build() make of ctnfct_to_ct()/
 * ctnfct_to_exp() objects.  tests/unit/test_ctmnl.c holds both sides to
 * these promises.
 */
#ifndef CTSYNCD_CTMNL_H
#define CTSYNCD_CTMNL_H

#include <stdint.h>

/* the longest request (IPv6, every optional part) is 556 bytes */
#define CTMNL_MSG_MAX	1024

struct nlmsghdr;
struct ct_entry;
struct exp_entry;

int	ctmnl_parse_ct(const struct nlmsghdr *, struct ct_entry *);
int	ctmnl_parse_exp(const struct nlmsghdr *, struct exp_entry *);

/*
 * A new entry: the original tuple, its inverse as the reply (the kernel
 * applies the NAT that ct_entry's reply tuple, when known, says), the
 * given status instead of the entry's, and for TCP with liberal set the
 * "be liberal" window flag in both directions.
 */
void	ctmnl_put_ct_new(struct nlmsghdr *, const struct ct_entry *,
	    uint32_t, int);
/* what finds an entry: the original tuple and the zone */
void	ctmnl_put_ct_key(struct nlmsghdr *, const struct ct_entry *);
/* the key and a new timeout (seconds): a timer update */
void	ctmnl_put_ct_timeout(struct nlmsghdr *, const struct ct_entry *,
	    uint32_t);
/* an expectation, for creating or deleting it */
void	ctmnl_put_exp(struct nlmsghdr *, const struct exp_entry *);

#endif
