/*
 * Commit (-c), sync side: stream the external cache to the kernel
 * process in batches, masters before related conntracks, conntracks
 * before expectations, with a few batches in flight.  The kernel
 * process hears no NEW events while it commits (building them would
 * cost the kernel about as much as the inserts), so each ACK, which
 * says which records failed, puts the committed ones in the internal
 * cache: when -c returns, the cache holds all it committed.  A dump
 * then reconciles the rest in the background: real flows that began
 * during the commit, whose NEW events nobody heard.
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "sync.h"

#define COMMIT_INFLIGHT		16	/* batches the kernel may be working on */
#define COMMIT_DEFAULT_TIMEOUT	60	/* conntrackd's fallback, seconds */

enum commit_phase {
	PH_MASTERS = 0,		/* conntracks without a master */
	PH_RELATED,		/* conntracks with one */
	PH_EXPECT,
	PH_DONE,
};

static struct {
	int		 active;
	uint32_t	 ctl_id;
	int		 phase;
	int		 with_ct, with_exp;
	struct cache_iter it;
	uint32_t	 seq, first_seq;
	uint32_t	 inflight;
	uint64_t	 related;	/* related conntracks: a second walk */
	uint64_t	 ok, failed;
	int64_t		 start_ms;
	char		*buf[COMMIT_INFLIGHT];	/* batch seq % COMMIT_INFLIGHT */
	int		 exp[COMMIT_INFLIGHT];	/* its table */
} cm;

int
scommit_active(void)
{
	return cm.active;
}

/* CommitTimeout, or what is left of the cached timeout, or 60 s. */
static uint32_t
commit_timeout(uint32_t cached, int has, uint32_t last_update)
{
	int64_t	left;

	if (sy.conf->sync.commit_timeout)
		return sy.conf->sync.commit_timeout;
	if (!has)
		return COMMIT_DEFAULT_TIMEOUT;
	left = (int64_t)cached - (int64_t)(sync_now() - last_update);
	return left > 0 ? (uint32_t)left : COMMIT_DEFAULT_TIMEOUT;
}

static int
fill_ct(struct ct_item *items, uint32_t *n)
{
	struct cache_obj	*o;
	struct ct_entry		*ct;
	int			 related = cm.phase == PH_RELATED;

	while (*n < SYNC_BATCH_MAX &&
	    (o = cache_iter_next(sy.ext_ct, &cm.it)) != NULL) {
		if (o->state == CACHE_DEAD)
			continue;
		ct = &items[*n].ct;
		cache_obj_ct(o, ct);
		if (((ct->flags & CTE_F_MASTER) != 0) != related) {
			cm.related += !related;
			continue;
		}
		memset(items[*n].pad0, 0, sizeof(items[*n].pad0));
		items[*n].kind = CT_KIND_NEW;
		items[*n].origin = 0;
		ct->timeout = commit_timeout(ct->timeout,
		    (ct->flags & CTE_F_TIMEOUT) != 0, o->last_update);
		ct->flags |= CTE_F_TIMEOUT;
		(*n)++;
	}
	return o == NULL;	/* walk finished */
}

static int
fill_exp(struct exp_item *items, uint32_t *n)
{
	struct cache_obj	*o;

	while (*n < SYNC_BATCH_MAX &&
	    (o = cache_iter_next(sy.ext_exp, &cm.it)) != NULL) {
		if (o->state == CACHE_DEAD)
			continue;
		memset(&items[*n], 0, sizeof(items[*n]));
		items[*n].kind = CT_KIND_NEW;
		cache_obj_exp(o, &items[*n].exp);
		items[*n].exp.timeout = commit_timeout(items[*n].exp.timeout,
		    (items[*n].exp.flags & EXE_F_TIMEOUT) != 0, o->last_update);
		items[*n].exp.flags |= EXE_F_TIMEOUT;
		(*n)++;
	}
	return o == NULL;
}

static void
next_phase(void)
{
	memset(&cm.it, 0, sizeof(cm.it));
	cm.phase++;
	if (cm.phase == PH_MASTERS || cm.phase == PH_RELATED) {
		/* a second walk only when the first one skipped some */
		if (!cm.with_ct || cm.related == 0)
			cm.phase = PH_EXPECT;
	}
	if (cm.phase == PH_EXPECT && (!cm.with_exp || sy.ext_exp == NULL))
		cm.phase = PH_DONE;
}

/* Send one batch; 0 when the walk had nothing left to send. */
static int
send_batch(void)
{
	char			*buf = cm.buf[(cm.seq + 1) % COMMIT_INFLIGHT];
	struct ct_batch_hdr	*h = (struct ct_batch_hdr *)buf;
	char			*items = buf + sizeof(*h);
	uint32_t		 n = 0;
	size_t			 isz;
	int			 exp = cm.phase == PH_EXPECT, finished;

	if (exp)
		finished = fill_exp((struct exp_item *)items, &n);
	else
		finished = fill_ct((struct ct_item *)items, &n);
	if (finished)
		next_phase();
	if (n == 0)
		return cm.phase != PH_DONE;
	isz = exp ? sizeof(struct exp_item) : sizeof(struct ct_item);
	/* the kernel process leaves the NEW groups; our ACKs stand in */
	if (cm.seq == cm.first_seq && !intcache_bypass())
		child_send_peer(IMSG_KERNEL_COMMIT_BEGIN, 0, NULL, 0);
	h->count = n;
	h->seq = ++cm.seq;
	cm.exp[h->seq % COMMIT_INFLIGHT] = exp;
	child_send_peer(exp ? IMSG_KERNEL_COMMIT_EXP : IMSG_KERNEL_COMMIT_CT,
	    0, buf, sizeof(*h) + n * isz);
	/* the kernel starts on the first while we fill the others (~8 ms) */
	if (cm.seq == cm.first_seq + 1)
		child_flush_peer();
	cm.inflight++;
	return 1;
}

static void
finish(void)
{
	int64_t	ms = monotime_ms() - cm.start_ms;

	log_info("Committed %llu new entries", (unsigned long long)cm.ok);
	if (cm.failed)
		log_warnx("%llu entries can't be committed",
		    (unsigned long long)cm.failed);
	log_info("commit has taken %lld.%03lld seconds", (long long)ms / 1000,
	    (long long)ms % 1000);
	sy.stats.commit.when = (monotime_ms() - sy.start_ms) / 1000;
	sy.stats.commit.committed = cm.ok;
	sy.stats.commit.failed = cm.failed;
	sy.stats.commit.duration_ms = (uint64_t)ms;
	child_send_result(cm.ctl_id, cm.failed ? CTL_RES_ERROR : CTL_RES_OK,
	    "committed %llu, failed %llu, took %lld.%03lld s",
	    (unsigned long long)cm.ok, (unsigned long long)cm.failed,
	    (long long)ms / 1000, (long long)ms % 1000);
	cm.active = 0;
}

static void
pump(void)
{
	while (cm.inflight < COMMIT_INFLIGHT && cm.phase != PH_DONE)
		if (!send_batch())
			break;
	if (cm.phase != PH_DONE || cm.inflight != 0)
		return;
	finish();
	if (cm.seq != cm.first_seq)
		intcache_commit_done();
}

void
scommit_request(uint32_t ctl_id, uint32_t table)
{
	int	i;

	if (cm.active) {
		child_send_result(ctl_id, CTL_RES_BUSY, "a commit is in progress");
		return;
	}
	if (sy.conf->sync.disable_external_cache) {
		child_send_result(ctl_id, CTL_RES_OK, "committed 0, failed 0, took "
		    "0.000 s (DisableExternalCache: state is injected as it "
		    "arrives)");
		return;
	}
	if (table == CTL_TABLE_EXPECT && sy.ext_exp == NULL) {
		child_send_result(ctl_id, CTL_RES_ERROR, "expectation commit needs "
		    "ExpectationSync");
		return;
	}
	for (i = 0; i < COMMIT_INFLIGHT; i++)
		if (cm.buf[i] == NULL && (cm.buf[i] = malloc(sizeof(struct
		    ct_batch_hdr) + SYNC_BATCH_MAX * sizeof(struct exp_item)))
		    == NULL)
			fatal("%s", __func__);
	memset(&cm.it, 0, sizeof(cm.it));
	cm.active = 1;
	cm.ctl_id = ctl_id;
	cm.with_ct = table != CTL_TABLE_EXPECT;
	cm.with_exp = table != CTL_TABLE_CT;
	cm.phase = cm.with_ct ? PH_MASTERS : PH_EXPECT;
	if (cm.phase == PH_EXPECT && (!cm.with_exp || sy.ext_exp == NULL))
		cm.phase = PH_DONE;
	cm.inflight = 0;
	cm.related = 0;
	cm.first_seq = cm.seq;
	cm.ok = cm.failed = 0;
	cm.start_ms = monotime_ms();
	log_info("committing %s", table == CTL_TABLE_CT ? "conntrack cache" :
	    table == CTL_TABLE_EXPECT ? "expectation cache" :
	    "all external caches");
	pump();
}

/* What the kernel holds now goes into the internal cache, silently. */
static void
committed(const struct kernel_commit_ack *a)
{
	const char		*buf = cm.buf[a->seq % COMMIT_INFLIGHT];
	int			 exp = cm.exp[a->seq % COMMIT_INFLIGHT];
	struct ct_batch_hdr	 h;
	size_t			 isz;
	uint32_t		 i;

	memcpy(&h, buf, sizeof(h));
	/* refused whole (or not ours): nothing was written */
	if (a->seq == 0 || h.seq != a->seq || h.count > SYNC_BATCH_MAX ||
	    a->ok == 0 || (uint64_t)a->ok + a->failed != h.count)
		return;
	isz = exp ? sizeof(struct exp_item) : sizeof(struct ct_item);
	for (i = 0; i < h.count; i++) {
		if (a->failmap[i / 32] & (1U << (i % 32)))
			continue;
		if (exp)
			intcache_committed(KTABLE_EXP, &((const struct exp_item *)
			    (buf + sizeof(h) + i * isz))->exp);
		else
			intcache_committed(KTABLE_CT, &((const struct ct_item *)
			    (buf + sizeof(h) + i * isz))->ct);
	}
}

void
scommit_ack(struct imsg *imsg)
{
	struct kernel_commit_ack	a;

	if (imsg_get_data(imsg, &a, sizeof(a)) == -1)
		fatalx("malformed commit ACK from kernel");
	if (!cm.active || cm.inflight == 0) {
		log_warnx("commit ACK from kernel with no commit running");
		return;
	}
	cm.inflight--;
	cm.ok += a.ok;
	cm.failed += a.failed;
	committed(&a);
	pump();
}
