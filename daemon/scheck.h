/*
 * What the sync process accepts from the kernel process, checked before
 * any of it reaches a cache.  Pure functions of the payload (and of the
 * configuration, passed in): intcache.c calls them, and so does the
 * fuzzer (tests/fuzz/fuzz_simsg.c).  A message that fails them is a bug
 * or a compromise of the kernel process, and fatal to sync.
 */
#ifndef CTSYNCD_SCHECK_H
#define CTSYNCD_SCHECK_H

#include <stddef.h>
#include <stdint.h>

struct ct_batch_hdr;
struct ct_item;
struct exp_item;
struct kernel_dump_end;
struct kernel_dump_req;

/*
 * IMSG_KERNEL_CT_EVENTS/EXP_EVENTS: a header and exactly count records
 * of size isz.  Returns NULL with *h filled, or why it is malformed.
 */
const char	*scheck_batch(const void *, size_t, size_t,
		    struct ct_batch_hdr *);

/* one record of such a batch: a known kind, a valid entry; 0 or -1 */
int		 scheck_ct_item(const struct ct_item *);
int		 scheck_exp_item(const struct exp_item *);

/* IMSG_KERNEL_DUMP_END: 0 with *end filled, or -1 */
int		 scheck_dump_end(const void *, size_t,
		    struct kernel_dump_end *);

/* IMSG_KERNEL_FLUSHED (expect_sync: ExpectationSync is on); 0 or -1 */
int		 scheck_flushed(const void *, size_t, int,
		    struct kernel_dump_req *);

#endif
