/*
 * The internal cache: what the local kernel holds, fed by the kernel
 * process's events and dumps.  Resyncs are mark-and-sweep: every record
 * an event or the dump touches carries the dump's generation, and at the
 * end of the dump whatever was not touched has vanished from the kernel.
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "scheck.h"
#include "sync.h"

struct reconcile {
	int		 running;
	uint32_t	 seq;
	uint32_t	 reason;
	uint32_t	 gen;
	uint32_t	 ctl_id;	/* -R client waiting, 0 = none */
	int		 again;		/* asked again while running */
	uint32_t	 again_reason;
};

static struct reconcile	rec[2];		/* [0] ct, [1] exp */
static uint32_t		gen_counter = 1;
static uint32_t		dump_seq;

static struct cache *
table_cache(uint32_t table)
{
	return table == KTABLE_CT ? sy.int_ct : sy.int_exp;
}

static struct reconcile *
table_rec(uint32_t table)
{
	return &rec[table == KTABLE_CT ? 0 : 1];
}

void
intcache_init(void)
{
	memset(rec, 0, sizeof(rec));
	sy.overrun_resync_at = -1;
}

/*
 * A record is gone from the kernel.  When peers must hear of it, it
 * stays as DEAD until its DESTROY has gone out (and, in FTFW, been
 * acknowledged); otherwise it is freed at once.
 */
static void
obj_gone(struct cache *c, struct cache_obj *o, int tell)
{
	if (o->state == CACHE_DEAD)
		return;
	o->state = CACHE_DEAD;
	if (tell && sync_replicating()) {
		txq_obj(o, c == sy.int_ct ? CACHE_CT : CACHE_EXP);
		return;
	}
	txq_forget(o);
	cache_del(c, o);
}

/*
 * Whether a dump record differs from what we hold: only then it is news.
 * The timeout ticks down all the time, so it does not count.
 */
static int
obj_differs(struct cache *c, const struct cache_obj *o, const void *entry)
{
	struct ct_entry		a, b;
	struct exp_entry	x, y;

	if (c == sy.int_ct) {
		cache_obj_ct(o, &a);
		memcpy(&b, entry, sizeof(b));
		a.timeout = b.timeout = 0;
		return memcmp(&a, &b, sizeof(a)) != 0;
	}
	cache_obj_exp(o, &x);
	memcpy(&y, entry, sizeof(y));
	x.timeout = y.timeout = 0;
	return memcmp(&x, &y, sizeof(x)) != 0;
}

/*
 * Which records go to the peers: events that traffic caused, and what a
 * resync after an overrun finds new or changed (the events it stands
 * for were lost).  Never our own commits and flushes, never the
 * start-up fill, and not -R, which as in conntrackd only refreshes the
 * cache (the promotion sequence sends everything with -B next).
 */
static int
apply_tells(int kind, int origin, const struct reconcile *r)
{
	if (origin == CT_ORIGIN_SELF)
		return 0;
	if (kind != CT_KIND_DUMP)
		return 1;
	return r->reason == KDUMP_OVERRUN || r->reason == KDUMP_COMMIT;
}

/*
 * The dump after a commit: the kernel process heard no NEW events
 * meanwhile.  What we committed is in the external cache and stays
 * silent; anything else new is a real flow of that time.
 */
static int
committed(struct cache *c, const void *entry)
{
	struct cache *ext = c == sy.int_ct ? sy.ext_ct : sy.ext_exp;

	return ext != NULL && cache_find(ext, entry) != NULL;
}

static void
apply(struct cache *c, const void *entry, int kind, int origin, uint32_t gen,
    const struct reconcile *r)
{
	struct cache_obj	*o = cache_find(c, entry);
	uint32_t		 now = sync_now();
	int			 tell = apply_tells(kind, origin, r);

	if (kind == CT_KIND_DESTROY) {
		if (o != NULL)
			obj_gone(c, o, tell);
		return;
	}
	if (o == NULL) {
		/*
		 * A record of a dump that is over is stale.  (A record
		 * destroyed while its dump runs can still come back here,
		 * as in conntrackd; the next resync removes it.)
		 */
		if (kind == CT_KIND_DUMP && r->running == 0)
			return;
		if ((o = cache_add(c, entry, now)) == NULL) {
			sync_cache_full(c);
			return;
		}
	} else {
		if (kind == CT_KIND_DUMP && o->state != CACHE_DEAD &&
		    !obj_differs(c, o, entry))
			tell = 0;
		if (cache_update(c, o, entry, now) == -1) {
			sync_cache_full(c);
			return;
		}
		/* a DEAD record coming back is a new connection */
		o->state = kind == CT_KIND_NEW || o->state == CACHE_DEAD ?
		    CACHE_NEW : CACHE_ALIVE;
	}
	o->gen = gen;
	if (tell && kind == CT_KIND_DUMP && r->reason == KDUMP_COMMIT &&
	    committed(c, entry))
		tell = 0;
	if (tell)
		txq_obj(o, c == sy.int_ct ? CACHE_CT : CACHE_EXP);
}

/*
 * NOTRACK with DisableInternalCache: nothing is kept; what traffic does
 * goes to the peers as it comes, and a bulk send walks a kernel dump.
 */
int
intcache_bypass(void)
{
	return sy.conf->sync.mode == CONF_MODE_NOTRACK &&
	    sy.conf->sync.disable_internal_cache;
}

static void
bypass_item(const void *entry, int exp, int kind, int origin)
{
	int	state;

	if (origin == CT_ORIGIN_SELF)
		return;
	if (kind == CT_KIND_DESTROY)
		state = CACHE_DEAD;
	else if (kind == CT_KIND_UPDATE)
		state = CACHE_ALIVE;
	else
		state = CACHE_NEW;	/* events and bulk dump records */
	txq_bypass(entry, exp, state);
}

static void
count_event(int kind, int origin)
{
	if (origin == CT_ORIGIN_SELF)
		sy.stats.events_self++;
	if (kind == CT_KIND_NEW)
		sy.stats.events_new++;
	else if (kind == CT_KIND_UPDATE)
		sy.stats.events_update++;
	else if (kind == CT_KIND_DESTROY)
		sy.stats.events_destroy++;
}

/*
 * Batches from the kernel process.  They are checked like anything from
 * another process: exact length for the count, known kinds, valid
 * records.  A bad batch is a bug or a compromise: fatal.
 */
static const char *
batch_items(struct imsg *imsg, size_t isz, char **items, uint32_t *count,
    uint32_t *seq)
{
	static char		 buf[MAX_IMSGSIZE_SYNC_KERNEL];
	struct ct_batch_hdr	 h;
	const char		*why;
	size_t			 len = imsg_get_len(imsg);

	/* a payload that does not fit is checked as empty: bad length */
	if (len > sizeof(buf) || imsg_get_data(imsg, buf, len) == -1)
		len = 0;
	if ((why = scheck_batch(buf, len, isz, &h)) != NULL)
		return why;
	*items = buf + sizeof(h);
	*count = h.count;
	*seq = h.seq;
	return NULL;
}

static uint32_t
item_gen(uint32_t table, int kind, uint32_t seq)
{
	struct reconcile	*r = table_rec(table);

	/* events always count as "seen now"; dump records of a stale seq not */
	if (kind == CT_KIND_DUMP && (!r->running || seq != r->seq))
		return 0;
	return r->running ? r->gen : gen_counter;
}

/*
 * The buckets a slice of a batch goes to are asked for together before
 * any record of it is applied (see cache_prefetch()), rather than one
 * cache miss after another.  Only a hint: the records are checked as
 * they are applied.
 */
#define PREFETCH_SLICE	32

static void
prefetch_ct_items(const char *items, uint32_t from, uint32_t n)
{
	uint64_t	h[PREFETCH_SLICE];
	uint32_t	i, k;

	if (intcache_bypass())
		return;
	for (i = from, k = 0; i < n && k < PREFETCH_SLICE; i++, k++)
		h[k] = cache_prefetch_slot(sy.int_ct,
		    &((const struct ct_item *)items)[i].ct);
	for (i = 0; i < k; i++)
		cache_prefetch_chain(sy.int_ct, h[i]);
}

void
intcache_events_ct(struct imsg *imsg)
{
	const char	*why;
	char		*items;
	uint32_t	 i, n, seq;
	struct ct_item	*it;

	if ((why = batch_items(imsg, sizeof(*it), &items, &n, &seq)) != NULL)
		fatalx("conntrack batch from kernel: %s", why);
	for (i = 0; i < n; i++) {
		if (i % PREFETCH_SLICE == 0)
			prefetch_ct_items(items, i, n);
		it = (struct ct_item *)(items + i * sizeof(*it));
		if (scheck_ct_item(it) == -1)
			fatalx("invalid conntrack record from kernel");
		count_event(it->kind, it->origin);
		if (intcache_bypass()) {
			bypass_item(&it->ct, 0, it->kind, it->origin);
			continue;
		}
		apply(sy.int_ct, &it->ct, it->kind, it->origin,
		    item_gen(KTABLE_CT, it->kind, seq), &rec[0]);
	}
}

/*
 * Expectations are replicated only when their master is: a peer cannot
 * use an expectation without the connection it belongs to.
 */
static int
exp_master_known(const struct exp_entry *x)
{
	struct ct_entry	key;

	memset(&key, 0, sizeof(key));
	key.orig = x->master;
	if (x->flags & EXE_F_ZONE) {
		key.zone = x->zone;
		key.flags = CTE_F_ZONE;
	}
	return cache_find(sy.int_ct, &key) != NULL;
}

void
intcache_events_exp(struct imsg *imsg)
{
	const char	*why;
	char		*items;
	uint32_t	 i, n, seq;
	struct exp_item	*it;

	if (sy.int_exp == NULL)
		fatalx("expectation batch from kernel without ExpectationSync");
	if ((why = batch_items(imsg, sizeof(*it), &items, &n, &seq)) != NULL)
		fatalx("expectation batch from kernel: %s", why);
	for (i = 0; i < n; i++) {
		it = (struct exp_item *)(items + i * sizeof(*it));
		if (scheck_exp_item(it) == -1)
			fatalx("invalid expectation record from kernel");
		count_event(it->kind, it->origin);
		/* without a cache the master cannot be checked: send it */
		if (intcache_bypass()) {
			bypass_item(&it->exp, 1, it->kind, it->origin);
			continue;
		}
		if (it->kind != CT_KIND_DESTROY &&
		    !exp_master_known(&it->exp)) {
			sy.stats.exp_no_master++;
			continue;
		}
		apply(sy.int_exp, &it->exp, it->kind, it->origin,
		    item_gen(KTABLE_EXP, it->kind, seq), &rec[1]);
	}
}

/* Ask the kernel process for a dump that reconciles the cache. */
static void
reconcile_start(uint32_t table, uint32_t reason)
{
	struct reconcile	*r = table_rec(table);
	struct kernel_dump_req	 req;

	if (r->running) {
		/* the newest reason wins, except a commit's (new flows) */
		if (!r->again || r->again_reason != KDUMP_COMMIT)
			r->again_reason = reason;
		r->again = 1;
		return;
	}
	memset(&req, 0, sizeof(req));
	r->running = 1;
	r->seq = req.seq = ++dump_seq;
	r->reason = req.reason = reason;
	r->gen = ++gen_counter;
	req.table = table;
	sy.stats.dumps++;
	child_send_peer(IMSG_KERNEL_DUMP_REQ, 0, &req, sizeof(req));
}

/* Test build only: pretend a peer sent us our own table. */
static void
mirror_external(void)
{
	struct cache_iter	 it;
	struct cache_obj	*o, *x;
	struct ct_entry		 ct;

	memset(&it, 0, sizeof(it));
	while ((o = cache_iter_next(sy.int_ct, &it)) != NULL) {
		cache_obj_ct(o, &ct);
		if ((x = cache_find(sy.ext_ct, &ct)) != NULL) {
			if (cache_update(sy.ext_ct, x, &ct, o->last_update))
				sync_cache_full(sy.ext_ct);
		} else if (cache_add(sy.ext_ct, &ct, o->last_update) == NULL)
			sync_cache_full(sy.ext_ct);
	}
}

/* Records the dump did not see have vanished from the kernel. */
static uint64_t
sweep(struct cache *c, uint32_t gen, int tell)
{
	struct cache_iter	 it;
	struct cache_obj	*o;
	uint64_t		 n = 0;

	memset(&it, 0, sizeof(it));
	while ((o = cache_iter_next(c, &it)) != NULL) {
		if (o->gen == gen || o->state == CACHE_DEAD)
			continue;
		obj_gone(c, o, tell);
		/* a freed record moved the chain up under the cursor */
		if ((!tell || !sync_replicating()) && it.pos > 0)
			it.pos--;
		n++;
	}
	return n;
}

void
intcache_dump_end(struct imsg *imsg)
{
	struct kernel_dump_end	 end;
	struct reconcile	*r;
	uint64_t		 gone = 0;

	if (scheck_dump_end(imsg->data, imsg_get_len(imsg), &end) == -1)
		fatalx("malformed dump end from kernel");
	r = table_rec(end.table);
	if (!r->running || end.seq != r->seq)
		fatalx("dump end for a dump we did not ask for");
	r->running = 0;
	if (end.error != 0)
		log_warnx("kernel %s table dump failed: %s", end.table ==
		    KTABLE_CT ? "conntrack" : "expectation",
		    strerror(end.error));
	else if (r->reason != KDUMP_STARTUP)
		/*
		 * Only an overrun lost DESTROYs.  After a commit, what a
		 * dump misses was deleted by us (a -F while it ran): the
		 * kernel process heard every other DESTROY meanwhile.
		 */
		gone = sweep(table_cache(end.table), r->gen,
		    r->reason == KDUMP_OVERRUN);
	if (r->reason == KDUMP_OVERRUN)
		sy.stats.purged += gone;
	if (r->reason == KDUMP_STARTUP && end.table == KTABLE_CT) {
		sy.startup_done = end.error == 0;
		smode_startup_done();
	}
	if (end.table == KTABLE_CT && testhook_mirror())
		mirror_external();
	log_debug("kernel %s dump (reason %u): %llu records, %llu vanished",
	    end.table == KTABLE_CT ? "conntrack" : "expectation", r->reason,
	    (unsigned long long)end.count, (unsigned long long)gone);
	if (r->ctl_id != 0) {
		child_send_result(r->ctl_id, end.error ? CTL_RES_ERROR : CTL_RES_OK,
		    "resynchronised with the kernel: %llu entries, %llu "
		    "vanished", (unsigned long long)end.count,
		    (unsigned long long)gone);
		r->ctl_id = 0;
	}
	if (r->again) {
		r->again = 0;
		reconcile_start(end.table, r->again_reason);
	}
}

/* -R: ctl_id gets the answer when the dump is merged. */
int
intcache_resync(uint32_t ctl_id, uint32_t table)
{
	struct reconcile	*r = table_rec(table);

	if (intcache_bypass())
		return -2;
	if (r->ctl_id != 0)
		return -1;
	reconcile_start(table, r->running ? r->reason : KDUMP_RESYNC);
	r->ctl_id = ctl_id;
	return 0;
}

/* Bulk send without an internal cache: a kernel dump, sent as NEW. */
void
intcache_bulk_dump(void)
{
	reconcile_start(KTABLE_CT, KDUMP_RESYNC);
}

/* A record the kernel says it created for our commit: never told. */
void
intcache_committed(uint32_t table, const void *entry)
{
	if (intcache_bypass() || (table == KTABLE_EXP && sy.int_exp == NULL))
		return;
	apply(table_cache(table), entry, CT_KIND_NEW, CT_ORIGIN_SELF,
	    item_gen(table, CT_KIND_NEW, 0), table_rec(table));
}

/*
 * A commit is over: reconcile with the kernel, whose NEW events nobody
 * heard meanwhile (kernel_commit_quiet()).  Our own records are in the
 * cache already; what else the dump finds is real and goes out.
 */
void
intcache_commit_done(void)
{
	if (intcache_bypass())
		return;
	reconcile_start(KTABLE_CT, KDUMP_COMMIT);
	if (sy.int_exp != NULL)
		reconcile_start(KTABLE_EXP, KDUMP_COMMIT);
}

void
intcache_startup(void)
{
	if (intcache_bypass()) {
		sy.startup_done = 1;	/* nothing to fill */
		smode_startup_done();
		return;
	}
	reconcile_start(KTABLE_CT, KDUMP_STARTUP);
	if (sy.int_exp != NULL)
		reconcile_start(KTABLE_EXP, KDUMP_STARTUP);
}

/* The kernel process says its event socket overran. */
void
intcache_overrun(void)
{
	int32_t	secs = sy.conf->general.netlink_overrun_resync;

	sy.overruns++;
	if (secs < 0 || sy.overrun_resync_at >= 0 || intcache_bypass())
		return;
	sy.overrun_resync_at = monotime_ms() + (int64_t)secs * 1000;
	log_info("netlink overrun: resync with the kernel in %d s", secs);
	sync_schedule();
}

/* After -F: what vanished was ours, and the dump finds what is left. */
void
intcache_flushed(struct imsg *imsg)
{
	struct kernel_dump_req	f;

	if (scheck_flushed(imsg->data, imsg_get_len(imsg), sy.int_exp != NULL,
	    &f) == -1)
		fatalx("malformed flush notice from kernel");
	reconcile_start(f.table, KDUMP_FLUSHED);
}

static void
flush_release(struct cache_obj *o, void *arg)
{
	(void)arg;
	txq_forget(o);
}

/* -f internal: forget, and let the next dump or events refill it. */
void
intcache_flush(int exp)
{
	if (!exp)
		cache_flush(sy.int_ct, flush_release, NULL);
	else if (sy.int_exp != NULL)
		cache_flush(sy.int_exp, flush_release, NULL);
}

int64_t
intcache_next_timer(void)
{
	return sy.overrun_resync_at;
}

void
intcache_timer(int64_t now)
{
	if (sy.overrun_resync_at < 0 || now < sy.overrun_resync_at)
		return;
	sy.overrun_resync_at = -1;
	log_info("resync with kernel conntrack table after overrun");
	reconcile_start(KTABLE_CT, KDUMP_OVERRUN);
}
