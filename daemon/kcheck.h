/*
 * What the kernel process accepts from sync, checked before anything
 * reaches netlink.  Pure functions of the payload and the configuration:
 * kwrite.c and kdump.c call them, and so does the fuzzer
 * (tests/fuzz/fuzz_kimsg.c), so both exercise the same code.
 */
#ifndef CTSYNCD_KCHECK_H
#define CTSYNCD_KCHECK_H

#include <stddef.h>
#include <stdint.h>

struct conf_sync;
struct ct_batch_hdr;
struct kernel_dump_req;

/* records per commit or inject batch: one netlink batch's worth */
#define KCHECK_BATCH_MAX	256

#define KCHECK_BAD_BATCH	"bad batch length or count"

/*
 * A commit or inject batch (type IMSG_KERNEL_COMMIT_* or _INJECT_*),
 * whole: the configuration allows it, its length is exact for its count
 * and every record is fit to write.  Returns NULL, or why it is refused.
 * *h is the batch's header once the length and count are right, and
 * zero before that (then no count can be trusted, not even to refuse).
 */
const char	*kcheck_batch(uint32_t, const void *, size_t,
		    const struct conf_sync *, struct ct_batch_hdr *);

/* IMSG_KERNEL_DUMP_REQ; *req is the request when NULL is returned */
const char	*kcheck_dump_req(const void *, size_t,
		    const struct conf_sync *, struct kernel_dump_req *);

#endif
