/*
 * The sync process's checks of what the kernel process sends it.  The
 * kernel process is the privileged one, but sync trusts no other process
 * either: a record that reaches a cache must be one ct_entry_check() or
 * exp_entry_check() accepts, because the caches, the wire encoder and
 * the commit path all rely on that.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ctentry.h"
#include "ctsyncd.h"
#include "scheck.h"

const char *
scheck_batch(const void *buf, size_t len, size_t isz, struct ct_batch_hdr *h)
{
	if (len < sizeof(*h))
		return "bad length";
	memcpy(h, buf, sizeof(*h));
	if (h->count == 0 || len != sizeof(*h) + (size_t)h->count * isz)
		return "count does not match length";
	return NULL;
}

/* events (NEW, UPDATE, DESTROY) and dump records; nothing else */
static int
scheck_kind(uint8_t kind)
{
	return kind >= CT_KIND_NEW && kind <= CT_KIND_DUMP ? 0 : -1;
}

int
scheck_ct_item(const struct ct_item *it)
{
	if (scheck_kind(it->kind) == -1 || ct_entry_check(&it->ct) != NULL)
		return -1;
	return 0;
}

int
scheck_exp_item(const struct exp_item *it)
{
	if (scheck_kind(it->kind) == -1 || exp_entry_check(&it->exp) != NULL)
		return -1;
	return 0;
}

int
scheck_dump_end(const void *buf, size_t len, struct kernel_dump_end *end)
{
	if (len != sizeof(*end))
		return -1;
	memcpy(end, buf, sizeof(*end));
	if (end->table != KTABLE_CT && end->table != KTABLE_EXP)
		return -1;
	return 0;
}

int
scheck_flushed(const void *buf, size_t len, int expect_sync,
    struct kernel_dump_req *f)
{
	if (len != sizeof(*f))
		return -1;
	memcpy(f, buf, sizeof(*f));
	if (f->table != KTABLE_CT && f->table != KTABLE_EXP)
		return -1;
	if (f->table == KTABLE_EXP && !expect_sync)
		return -1;
	return 0;
}
