/*
 * libFuzzer target for what the kernel process accepts from sync: the
 * direction table (privsep/channel.c), then the checks of kcheck.c that
 * kwrite.c and kdump.c run before anything reaches netlink.  Sync is the
 * network-facing process, so its messages are the attacker's.
 *
 * Input layout: fuzz_msgs.h (type index, configuration, payload).
 *
 * Invariants (abort on violation):
 * - an accepted batch is allowed by the configuration, has the exact
 *   length for its count, at most KCHECK_BATCH_MAX records, and every
 *   record passes ct_entry_check()/exp_entry_check() and the commit or
 *   inject rules, restated here independently; and a batch whose records
 *   all pass those rules is accepted;
 * - one byte less, or a count one higher, is refused;
 * - a refused batch's header (what the commit ACK echoes) is either
 *   zero or exactly the header of a batch of the right length;
 * - an accepted dump request names a known table and reason, and
 *   expectations only with ExpectationSync.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctentry.h"
#include "ctsyncd.h"
#include "fuzz_msgs.h"
#include "imsg.h"
#include "kcheck.h"
#include "privsep.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
is_exp(uint32_t type)
{
	return type == IMSG_KERNEL_COMMIT_EXP || type == IMSG_KERNEL_INJECT_EXP;
}

static int
is_inject(uint32_t type)
{
	return type == IMSG_KERNEL_INJECT_CT || type == IMSG_KERNEL_INJECT_EXP;
}

/* the configuration rules, restated */
static int
allowed(uint32_t type, const struct conf_sync *cs)
{
	if (is_inject(type) && !cs->disable_external_cache)
		return 0;
	if (is_exp(type) && !cs->expect_sync)
		return 0;
	return 1;
}

/* the record rules, restated: what may be written to the kernel */
static int
head_ok(uint8_t kind, uint8_t origin, const uint8_t *pad, size_t padlen,
    int inject)
{
	if (inject ? kind < CT_KIND_NEW || kind > CT_KIND_DESTROY :
	    kind != CT_KIND_NEW)
		return 0;
	return origin == 0 && ct_is_zero(pad, padlen);
}

static int
record_ok(const uint8_t *p, int exp, int inject)
{
	struct ct_item	ci;
	struct exp_item	ei;

	if (exp) {
		memcpy(&ei, p, sizeof(ei));
		return head_ok(ei.kind, ei.origin, ei.pad0, sizeof(ei.pad0),
		    inject) && exp_entry_check(&ei.exp) == NULL &&
		    (ei.kind == CT_KIND_DESTROY ||
		    ((ei.exp.flags & EXE_F_TIMEOUT) && ei.exp.timeout != 0));
	}
	memcpy(&ci, p, sizeof(ci));
	return head_ok(ci.kind, ci.origin, ci.pad0, sizeof(ci.pad0), inject) &&
	    ct_entry_check(&ci.ct) == NULL && (ci.kind == CT_KIND_DESTROY ||
	    ((ci.ct.flags & CTE_F_TIMEOUT) && ci.ct.timeout != 0));
}

/* Whether a batch is good by the restated rules: 1, 0, or -1 (no count). */
static int
batch_ok(uint32_t type, const uint8_t *p, size_t len, size_t isz)
{
	struct ct_batch_hdr	h;
	uint32_t		i;

	if (len < sizeof(h))
		return -1;
	memcpy(&h, p, sizeof(h));
	if (h.count == 0 || h.count > KCHECK_BATCH_MAX ||
	    len != sizeof(h) + (size_t)h.count * isz)
		return -1;
	for (i = 0; i < h.count; i++)
		if (!record_ok(p + sizeof(h) + i * isz, is_exp(type),
		    is_inject(type)))
			return 0;
	return 1;
}

/* Neighbours of an accepted batch must be refused on their framing. */
static void
check_neighbours(uint32_t type, const uint8_t *p, size_t len,
    const struct conf_sync *cs)
{
	struct ct_batch_hdr	 h;
	const char		*why;
	uint8_t			*q;

	why = kcheck_batch(type, p, len - 1, cs, &h);
	if (why == NULL || strcmp(why, KCHECK_BAD_BATCH) != 0 ||
	    h.count != 0 || h.seq != 0)
		abort();
	if ((q = malloc(len)) == NULL)
		abort();
	memcpy(q, p, len);
	memcpy(&h, q, sizeof(h));
	h.count++;
	memcpy(q, &h, sizeof(h));
	why = kcheck_batch(type, q, len, cs, &h);
	if (why == NULL || strcmp(why, KCHECK_BAD_BATCH) != 0)
		abort();
	free(q);
}

static void
check_batch(uint32_t type, const struct imsg *m, const struct conf_sync *cs)
{
	struct ct_batch_hdr	 h, raw;
	const char		*why;
	size_t			 len = m->datalen;
	size_t			 isz = is_exp(type) ?
				    sizeof(struct exp_item) :
				    sizeof(struct ct_item);
	int			 ok;

	why = kcheck_batch(type, m->data, len, cs, &h);
	ok = allowed(type, cs) ? batch_ok(type, m->data, len, isz) : -1;
	if ((why == NULL) != (ok == 1))
		abort();
	/* a header is handed back only when it tells the truth */
	if (h.count == 0 && h.seq != 0)
		abort();
	if (h.count != 0) {
		memcpy(&raw, m->data, sizeof(raw));
		if (ok == -1 || memcmp(&raw, &h, sizeof(h)) != 0)
			abort();
	} else if (ok != -1)
		abort();
	if (why != NULL)
		return;
	/* the same answer twice: nothing but the input decides */
	if (kcheck_batch(type, m->data, len, cs, &raw) != NULL ||
	    memcmp(&raw, &h, sizeof(h)) != 0)
		abort();
	check_neighbours(type, m->data, len, cs);
}

static void
check_dump_req(const struct imsg *m, const struct conf_sync *cs)
{
	struct kernel_dump_req	req;

	if (kcheck_dump_req(m->data, m->datalen, cs, &req) != NULL)
		return;
	if (m->datalen != sizeof(req) ||
	    memcmp(&req, m->data, sizeof(req)) != 0 ||
	    (req.table != KTABLE_CT && req.table != KTABLE_EXP) ||
	    req.reason == 0 || req.reason >= KDUMP_MAX_ ||
	    (req.table == KTABLE_EXP && !cs->expect_sync))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_sync	 cs;
	struct imsg		 m;
	uint32_t		 type;

	if (size < FUZZ_HEAD_LEN ||
	    size - FUZZ_HEAD_LEN > MAX_IMSGSIZE_SYNC_KERNEL - IMSG_HEADER_SIZE)
		return 0;
	type = fuzz_kimsg_types[data[0] % FUZZ_NTYPES(fuzz_kimsg_types)];
	memset(&cs, 0, sizeof(cs));
	cs.expect_sync = (data[1] & FUZZ_CONF_EXPECT) != 0;
	cs.disable_external_cache = (data[1] & FUZZ_CONF_INJECT) != 0;
	fake_imsg(&m, type, data + FUZZ_HEAD_LEN, size - FUZZ_HEAD_LEN);

	/* the kernel process dies on anything the table refuses */
	if (channel_check(PROC_KERNEL, PROC_SYNC, &m) == 0) {
		switch (type) {
		case IMSG_KERNEL_DUMP_REQ:
			check_dump_req(&m, &cs);
			break;
		case IMSG_KERNEL_COMMIT_CT:
		case IMSG_KERNEL_COMMIT_EXP:
		case IMSG_KERNEL_INJECT_CT:
		case IMSG_KERNEL_INJECT_EXP:
			check_batch(type, &m, &cs);
			break;
		case IMSG_XOFF:
		case IMSG_XON:
		case IMSG_KERNEL_COMMIT_BEGIN:
			if (m.datalen != 0)
				abort();
			break;
		default:
			/* the table lets through what it must not */
			abort();
		}
	}
	free(m.data);
	return 0;
}
