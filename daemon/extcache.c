/*
 * The external cache: what peers told us, committed to the kernel on
 * failover.  NEW replaces, UPDATE updates or inserts, DESTROY removes.
 * In ALARM mode an entry expires CacheTimeout seconds after its last
 * refresh; in the other modes only DESTROY, -f or a NEW replace it.
 */
#include <sys/types.h>

#include <string.h>

#include "daemon.h"
#include "log.h"
#include "sync.h"
#include "wire.h"

#define EXPIRE_TICK_MS	1000

static int64_t	expire_at = -1;
static uint32_t	expire_bucket;

static const struct wire_opts *
ext_wire_opts(void)
{
	static struct wire_opts	o = { 1, 0, 0 };

	return &o;
}

/* h: the entry's cache_hash() */
static void
ext_store(struct cache *c, const void *entry, int op, uint64_t h)
{
	struct cache_obj	*o = cache_find_hashed(c, entry, h);
	uint32_t		 now = sync_now();

	if (op == 2) {
		if (o != NULL)
			cache_del(c, o);
		return;
	}
	if (o != NULL) {
		if (cache_update(c, o, entry, now) == -1) {
			sync_cache_full(c);
			return;
		}
		o->state = op == 0 ? CACHE_NEW : CACHE_ALIVE;
		if (op == 0)
			o->first_seen = now;
		return;
	}
	if ((o = cache_add_hashed(c, entry, now, h)) == NULL)
		sync_cache_full(c);
}

static void
ext_log_bad(const struct wire_msg *m, const char *why)
{
	sy.net.bad_payload++;
	sy.net.malformed++;
	log_debug("malformed payload in message type %u seq %u: %s",
	    m->type, m->seq, why);
}

/*
 * DisableExternalCache: what peers send is written to the kernel as it
 * arrives, in batches the kernel process checks like commits.  A batch
 * goes when full and at the end of every datagram.
 */
#define INJECT_DEFAULT_TIMEOUT	60	/* the peer sent none (CommitTimeout) */

static struct inject_buf {
	struct ct_batch_hdr	 h;
	union {
		struct ct_item	 ct[SYNC_BATCH_MAX];
		struct exp_item	 exp[SYNC_BATCH_MAX];
	} u;
} inj[2];			/* [0] conntracks, [1] expectations */

static void
inject_flush_one(int exp)
{
	struct inject_buf	*b = &inj[exp];
	size_t			 isz = exp ? sizeof(struct exp_item) :
				    sizeof(struct ct_item);

	if (b->h.count == 0)
		return;
	child_send_peer(exp ? IMSG_KERNEL_INJECT_EXP : IMSG_KERNEL_INJECT_CT,
	    0, b, sizeof(b->h) + b->h.count * isz);
	sy.net.inject_sent += b->h.count;
	b->h.count = 0;
}

void
extcache_flush(void)
{
	inject_flush_one(0);
	inject_flush_one(1);
	extcache_prefetch_reset();
}

static void
inject_ct(struct ct_entry *ct, int op)
{
	struct inject_buf	*b = &inj[0];
	struct ct_item		*it = &b->u.ct[b->h.count];

	if (op != 2 && !(ct->flags & CTE_F_TIMEOUT)) {
		ct->flags |= CTE_F_TIMEOUT;
		ct->timeout = INJECT_DEFAULT_TIMEOUT;
	}
	memset(it, 0, sizeof(*it));
	it->kind = op == 0 ? CT_KIND_NEW : op == 1 ? CT_KIND_UPDATE :
	    CT_KIND_DESTROY;
	it->ct = *ct;
	if (++b->h.count == SYNC_BATCH_MAX)
		inject_flush_one(0);
}

static void
inject_exp(struct exp_entry *exp, int op)
{
	struct inject_buf	*b = &inj[1];
	struct exp_item		*it = &b->u.exp[b->h.count];

	if (op != 2 && !(exp->flags & EXE_F_TIMEOUT)) {
		exp->flags |= EXE_F_TIMEOUT;
		exp->timeout = INJECT_DEFAULT_TIMEOUT;
	}
	memset(it, 0, sizeof(*it));
	it->kind = op == 0 ? CT_KIND_NEW : op == 1 ? CT_KIND_UPDATE :
	    CT_KIND_DESTROY;
	it->exp = *exp;
	if (++b->h.count == SYNC_BATCH_MAX)
		inject_flush_one(1);
}

/*
 * A datagram's conntracks are parsed before any of them is applied, so
 * that the buckets they go to are fetched together rather than one
 * cache miss after another (see cache_prefetch()).  extcache_apply()
 * takes each from here, in datagram order.
 */
#define EXT_STASH	32		/* about twice a 1500 byte datagram */

static struct ext_stash {
	const uint8_t	*payload;
	uint64_t	 hash;
	struct ct_entry	 ct;
} stash[EXT_STASH];
static int	nstash, stash_next;

static int
ext_stashes(const struct wire_msg *m)
{
	return m->type <= WIRE_CT_DESTROY && nstash < EXT_STASH &&
	    !sy.conf->sync.disable_external_cache;
}

/* Parse a data message ahead of its turn and ask for its bucket. */
void
extcache_prefetch(const struct wire_msg *m)
{
	struct ext_stash	*st = &stash[nstash];

	if (!ext_stashes(m) ||
	    wire_parse_ct(m->payload, m->plen, &st->ct, ext_wire_opts()))
		return;
	st->payload = m->payload;
	st->hash = cache_prefetch_slot(sy.ext_ct, &st->ct);
	nstash++;
}

/* Once the buckets are on their way: the records they lead to. */
void
extcache_prefetch_heads(void)
{
	int	i;

	for (i = 0; i < nstash; i++)
		cache_prefetch_chain(sy.ext_ct, stash[i].hash);
}

/* A new datagram: nothing parsed ahead yet. */
void
extcache_prefetch_reset(void)
{
	nstash = stash_next = 0;
}

/*
 * The conntrack of m and its hash, if it was parsed ahead.  Messages
 * dropped unapplied (duplicates, say) are passed over.
 */
static int
ext_stash_take(const struct wire_msg *m, struct ct_entry *ct, uint64_t *h)
{
	while (stash_next < nstash && stash[stash_next].payload < m->payload)
		stash_next++;
	if (stash_next >= nstash || stash[stash_next].payload != m->payload)
		return 0;
	*h = stash[stash_next].hash;
	*ct = stash[stash_next++].ct;
	return 1;
}

static void
ext_apply_ct(const struct wire_msg *m)
{
	struct ct_entry	 ct;
	const char	*why;
	uint64_t	 h;
	int		 ahead, op = m->type - WIRE_CT_NEW;

	ahead = ext_stash_take(m, &ct, &h);
	if (!ahead && (why = wire_parse_ct(m->payload, m->plen, &ct,
	    ext_wire_opts())) != NULL) {
		ext_log_bad(m, why);
		return;
	}
	if (sy.conf->sync.disable_external_cache) {
		inject_ct(&ct, op);
		return;
	}
	if (!ahead)
		h = cache_hash(sy.ext_ct, &ct);
	ext_store(sy.ext_ct, &ct, op, h);
}

void
extcache_apply(const struct wire_msg *m)
{
	struct exp_entry	exp;
	const char		*why;

	if (m->type <= WIRE_CT_DESTROY) {
		ext_apply_ct(m);
		return;
	}
	if ((why = wire_parse_exp(m->payload, m->plen, &exp,
	    ext_wire_opts())) != NULL) {
		ext_log_bad(m, why);
		return;
	}
	/* cached even without ExpectationSync here, as conntrackd does */
	if (sy.ext_exp == NULL)
		return;
	if (sy.conf->sync.disable_external_cache)
		inject_exp(&exp, m->type - WIRE_EXP_NEW);
	else
		ext_store(sy.ext_exp, &exp, m->type - WIRE_EXP_NEW,
		    cache_hash(sy.ext_exp, &exp));
}

/*
 * Whether a data message's payload parses, counted as malformed when it
 * does not: the check a stranger's message must pass before it may
 * become an FTFW peer.
 */
int
extcache_check(const struct wire_msg *m)
{
	struct ct_entry		 ct;
	struct exp_entry	 exp;
	const char		*why;

	if (m->type <= WIRE_CT_DESTROY)
		why = wire_parse_ct(m->payload, m->plen, &ct, ext_wire_opts());
	else
		why = wire_parse_exp(m->payload, m->plen, &exp,
		    ext_wire_opts());
	if (why == NULL)
		return 0;
	ext_log_bad(m, why);
	return -1;
}

/* ALARM: seconds left before an external entry expires, -1 if never. */
int64_t
extcache_expires(const struct cache_obj *o)
{
	int64_t	left;

	if (sy.conf->sync.mode != CONF_MODE_ALARM)
		return -1;
	left = (int64_t)o->last_update + sy.conf->sync.cache_timeout -
	    sync_now();
	return left > 0 ? left : 0;
}

static void
expire_cache(struct cache *c, uint32_t from, uint32_t to)
{
	struct cache_obj	*o, *next;
	uint32_t		 b, now = sync_now();
	uint32_t		 tmo = sy.conf->sync.cache_timeout;

	for (b = from; b < to; b++)
		for (o = cache_bucket_first(c, b); o != NULL; o = next) {
			next = o->hnext;
			if (now - o->last_update < tmo)
				continue;
			cache_del(c, o);
			sy.net.ext_expired++;
		}
}

/* A slice of the buckets per tick: every entry is looked at each 4 s. */
void
extcache_timer(int64_t now)
{
	uint32_t	nb, slice, end;

	if (expire_at < 0 || now < expire_at)
		return;
	expire_at = now + EXPIRE_TICK_MS;
	nb = cache_buckets(sy.ext_ct);
	slice = nb / 4 ? nb / 4 : 1;
	end = expire_bucket + slice > nb ? nb : expire_bucket + slice;
	expire_cache(sy.ext_ct, expire_bucket, end);
	if (sy.ext_exp != NULL) {
		uint32_t enb = cache_buckets(sy.ext_exp);

		expire_cache(sy.ext_exp, (uint32_t)((uint64_t)expire_bucket *
		    enb / nb), (uint32_t)((uint64_t)end * enb / nb));
	}
	expire_bucket = end >= nb ? 0 : end;
}

int64_t
extcache_next_timer(void)
{
	if (sy.conf->sync.mode != CONF_MODE_ALARM)
		return -1;
	if (expire_at < 0)
		expire_at = monotime_ms() + EXPIRE_TICK_MS;
	return expire_at;
}
