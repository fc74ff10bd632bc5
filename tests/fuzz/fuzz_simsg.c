/*
 * libFuzzer target for what the sync process accepts from the kernel
 * process: the direction table (privsep/channel.c), then the checks of
 * scheck.c that intcache.c runs, in the same order; and what it does
 * with an accepted batch, fed to a cache (cache.c) as intcache.c does:
 * records are hashed, compared, added, updated and deleted.
 *
 * Input layout: fuzz_msgs.h (type index, configuration, payload).
 *
 * Invariants (abort on violation):
 * - an accepted batch has the exact length for its count and every
 *   record a known kind and a valid entry (checked again here against
 *   ct_entry_check()/exp_entry_check()), and one byte less is refused;
 * - after applying a record the cache finds exactly that record by its
 *   key, or, for a DESTROY, nothing; the count never exceeds the limit;
 *   an update fails only for want of memory;
 * - an accepted dump end or flush notice names a known table, and an
 *   expectation table only with ExpectationSync;
 * - a commit ACK is taken iff it has the exact size.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "ctentry.h"
#include "ctsyncd.h"
#include "fuzz_msgs.h"
#include "imsg.h"
#include "privsep.h"
#include "scheck.h"

/* small, so that the full cache is exercised too */
#define FUZZ_CACHE_LIMIT	64

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct cache	*cache_ct, *cache_exp;

/* intcache.c's apply(), less replication: the cache operations */
static void
apply(struct cache *c, const void *entry, int kind, size_t esz)
{
	struct cache_obj	*o = cache_find(c, entry);
	union {
		struct ct_entry	 ct;
		struct exp_entry exp;
	}			 back;

	if (kind == CT_KIND_DESTROY) {
		if (o != NULL)
			cache_del(c, o);
		if (cache_find(c, entry) != NULL)
			abort();
		return;
	}
	if (o == NULL) {
		if ((o = cache_add(c, entry, 1)) == NULL) {
			if (cache_count(c) < cache_limit(c))
				abort();	/* refused below the limit */
			return;
		}
	} else if (cache_update(c, o, entry, 2) == -1) {
		/* out of memory: the record stays as it was; a checked
		   entry never has another record class than its key's */
		if (errno != ENOMEM)
			abort();
		return;
	}
	if (esz == sizeof(back.ct))
		cache_obj_ct(o, &back.ct);
	else
		cache_obj_exp(o, &back.exp);
	/* what the cache reads back is exactly what went in */
	if (cache_find(c, entry) != o || memcmp(&back, entry, esz) != 0)
		abort();
	if (cache_count(c) > cache_limit(c))
		abort();
}

/* Structure, then each record, as intcache_events_*() check them. */
static int
batch_accepted(const struct imsg *m, int exp, struct ct_batch_hdr *h)
{
	size_t		isz = exp ? sizeof(struct exp_item) :
			    sizeof(struct ct_item);
	const uint8_t	*p;
	uint32_t	 i;

	if (scheck_batch(m->data, m->datalen, isz, h) != NULL)
		return 0;
	if (m->datalen != sizeof(*h) + (size_t)h->count * isz ||
	    h->count == 0)
		abort();
	if (scheck_batch(m->data, m->datalen - 1, isz, h) == NULL)
		abort();
	for (i = 0, p = m->data + sizeof(*h); i < h->count; i++, p += isz)
		if (exp ? scheck_exp_item((const struct exp_item *)p) == -1 :
		    scheck_ct_item((const struct ct_item *)p) == -1)
			return 0;
	return 1;
}

static void
check_events(const struct imsg *m, int exp)
{
	struct ct_batch_hdr	 h;
	const struct ct_item	*ci;
	const struct exp_item	*ei;
	const uint8_t		*p;
	uint32_t		 i;

	if (!batch_accepted(m, exp, &h))
		return;
	p = m->data + sizeof(h);
	for (i = 0; i < h.count; i++) {
		if (exp) {
			ei = (const struct exp_item *)p;
			if (ei->kind < CT_KIND_NEW || ei->kind > CT_KIND_DUMP ||
			    exp_entry_check(&ei->exp) != NULL)
				abort();
			apply(cache_exp, &ei->exp, ei->kind, sizeof(ei->exp));
			p += sizeof(*ei);
		} else {
			ci = (const struct ct_item *)p;
			if (ci->kind < CT_KIND_NEW || ci->kind > CT_KIND_DUMP ||
			    ct_entry_check(&ci->ct) != NULL)
				abort();
			apply(cache_ct, &ci->ct, ci->kind, sizeof(ci->ct));
			p += sizeof(*ci);
		}
	}
}

static void
check_dump_end(const struct imsg *m)
{
	struct kernel_dump_end	end;

	if (scheck_dump_end(m->data, m->datalen, &end) == -1)
		return;
	if (m->datalen != sizeof(end) ||
	    memcmp(&end, m->data, sizeof(end)) != 0 ||
	    (end.table != KTABLE_CT && end.table != KTABLE_EXP))
		abort();
}

static void
check_flushed(const struct imsg *m, int expect_sync)
{
	struct kernel_dump_req	f;

	if (scheck_flushed(m->data, m->datalen, expect_sync, &f) == -1)
		return;
	if (m->datalen != sizeof(f) || memcmp(&f, m->data, sizeof(f)) != 0 ||
	    (f.table != KTABLE_CT && f.table != KTABLE_EXP) ||
	    (f.table == KTABLE_EXP && !expect_sync))
		abort();
}

/* scommit_ack() takes the payload as it is: only the size is checked */
static void
check_ack(const struct imsg *m)
{
	struct kernel_commit_ack	a;
	int				rc;

	rc = imsg_get_data(m, &a, sizeof(a));
	if ((rc == 0) != (m->datalen == sizeof(a)))
		abort();
}

static void
dispatch(const struct imsg *m, int expect_sync)
{
	switch (imsg_get_type(m)) {
	case IMSG_KERNEL_CT_EVENTS:
		check_events(m, 0);
		break;
	case IMSG_KERNEL_EXP_EVENTS:
		/* without ExpectationSync sync has no cache for them: fatal */
		if (expect_sync)
			check_events(m, 1);
		break;
	case IMSG_KERNEL_DUMP_END:
		check_dump_end(m);
		break;
	case IMSG_KERNEL_COMMIT_ACK:
		check_ack(m);
		break;
	case IMSG_KERNEL_FLUSHED:
		check_flushed(m, expect_sync);
		break;
	case IMSG_KERNEL_OVERRUN:
	case IMSG_XOFF:
	case IMSG_XON:
		if (m->datalen != 0)
			abort();
		break;
	default:
		abort();	/* the table lets through what it must not */
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imsg	m;
	uint32_t	type;

	if (size < FUZZ_HEAD_LEN ||
	    size - FUZZ_HEAD_LEN > MAX_IMSGSIZE_SYNC_KERNEL - IMSG_HEADER_SIZE)
		return 0;
	if (cache_ct == NULL &&
	    ((cache_ct = cache_new("fuzz ct", CACHE_CT, 16,
	    FUZZ_CACHE_LIMIT, 0)) == NULL ||
	    (cache_exp = cache_new("fuzz exp", CACHE_EXP, 16,
	    FUZZ_CACHE_LIMIT, 0)) == NULL))
		abort();
	type = fuzz_simsg_types[data[0] % FUZZ_NTYPES(fuzz_simsg_types)];
	fake_imsg(&m, type, data + FUZZ_HEAD_LEN, size - FUZZ_HEAD_LEN);
	/* the sync process dies on anything the table refuses */
	if (channel_check(PROC_SYNC, PROC_KERNEL, &m) == 0)
		dispatch(&m, (data[1] & FUZZ_CONF_EXPECT) != 0);
	free(m.data);
	/* every run starts from empty caches */
	cache_flush(cache_ct, NULL, NULL);
	cache_flush(cache_exp, NULL, NULL);
	return 0;
}
