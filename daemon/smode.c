/*
 * The sync modes' common ground: walking received datagrams message by
 * message (conntrackd's order of checks and counters), sequence
 * tracking, bulk sends and resync requests, and the two simple modes.
 * NOTRACK sends everything once and keeps peers alive with ALIVE;
 * ALARM re-sends every entry periodically and sends no control at all.
 * FTFW lives in ftfw.c.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "link.h"
#include "log.h"
#include "sync.h"
#include "wire.h"

#define ALIVE_MS	1000	/* conntrackd's ALIVE_INT, not configurable */
#define ALARM_TICK_MS	1000	/* ALARM: one slice of the cache per tick */

enum bulk_walk {
	BULK_NONE = 0,
	BULK_CT,
	BULK_EXP,
};

const struct smode	*smode = &smode_notrack;

static struct {
	int		rx_init;
	uint32_t	rx_last;
	int64_t		alive_at;	/* NOTRACK: next ALIVE, -1 none */
	int64_t		tick_at;	/* ALARM: next refresh slice */
	uint32_t	refresh_bucket;	/* ALARM: where the walk is */
	int		started;	/* start-up dump merged */
	int		bulk_deferred;	/* asked before it was */
	int		bulk;		/* enum bulk_walk: which cache */
	struct cache_walk bulk_walk;	/* where the walk is */
} sm;

void
smode_init(void)
{
	switch (sy.conf->sync.mode) {
	case CONF_MODE_FTFW:
		smode = &smode_ftfw;
		break;
	case CONF_MODE_ALARM:
		smode = &smode_alarm;
		break;
	default:
		smode = &smode_notrack;
		break;
	}
	memset(&sm, 0, sizeof(sm));
	sm.alive_at = -1;
	sm.tick_at = monotime_ms() + ALARM_TICK_MS;
	sy.net.last_recv = -1;
}

/*
 * Receive-side tracking shared by the modes: 1 in sequence (or the
 * first ever), 0 a gap (counted as lost), -1 an old or repeated number.
 */
int
smode_track_seq(uint32_t seq)
{
	int32_t	d;

	if (!sm.rx_init) {
		sm.rx_init = 1;
		sm.rx_last = seq;
		return 1;
	}
	d = (int32_t)(seq - (sm.rx_last + 1));
	if (d < 0) {
		sy.net.before++;
		return -1;
	}
	sm.rx_last = seq;
	if (d == 0)
		return 1;
	sy.net.lost += (uint32_t)d;
	return 0;
}

static void
bad_msg(uint64_t *counter)
{
	(*counter)++;
	sy.net.malformed++;
}

static void
rx_one(int link, const struct wire_msg *m,
    const struct sockaddr_storage *from)
{
	/*
	 * A stranger becomes an FTFW peer, one whose acknowledgements
	 * we wait for, only with a message that parses: a single bad
	 * datagram from anywhere on the link would stall sending.
	 */
	if (smode == &smode_ftfw && wire_is_data(m) &&
	    m->type <= WIRE_EXP_DESTROY && !ftfw_knows(from) &&
	    extcache_check(m) == -1)
		return;
	switch (smode->rx(link, m, from)) {
	case RX_BAD:
		bad_msg(&sy.net.bad_header);
		return;
	case RX_DROP:
		return;
	case RX_DATA:
		if (m->type > WIRE_EXP_DESTROY) {
			bad_msg(&sy.net.bad_type);
			return;
		}
		extcache_apply(m);
		break;
	}
	sy.net.msg_recv++;
	sy.net.last_seq = m->seq;
	sy.net.last_recv = (monotime_coarse_ms() - sy.start_ms) / 1000;
	link_make_current(link);
}

/*
 * Before a datagram's messages are handled in order, its conntracks are
 * parsed and their buckets asked for, all at once (extcache_prefetch()).
 * Only well-formed data messages; the pass changes no state.
 */
static void
rx_prefetch(const uint8_t *buf, size_t len)
{
	struct wire_msg	m;
	size_t		off = 0;

	extcache_prefetch_reset();
	while (off < len) {
		switch (wire_next(buf + off, len - off, &m)) {
		case WIRE_E_TRUNCATED:
		case WIRE_E_BAD_SIZE:
			return;
		case WIRE_E_VERSION:
		case WIRE_E_TYPE:
			break;
		default:
			if (wire_is_data(&m))
				extcache_prefetch(&m);
			break;
		}
		off += m.len;
	}
	extcache_prefetch_heads();
}

/* One datagram: as many messages as it holds, never past its end. */
void
smode_rx(int link, const uint8_t *buf, size_t len,
    const struct sockaddr_storage *from)
{
	struct wire_msg	m;
	size_t		off = 0;

	rx_prefetch(buf, len);
	while (off < len) {
		switch (wire_next(buf + off, len - off, &m)) {
		case WIRE_E_TRUNCATED:
			bad_msg(&sy.net.truncated);
			goto done;
		case WIRE_E_BAD_SIZE:
			bad_msg(&sy.net.bad_size);
			goto done;
		case WIRE_E_VERSION:
			bad_msg(&sy.net.bad_version);
			break;
		case WIRE_E_TYPE:
			bad_msg(&sy.net.bad_type);
			break;
		default:
			rx_one(link, &m, from);
			break;
		}
		off += m.len;
	}
done:
	extcache_flush();
}

/* -B, or a peer's RESYNC: every internal object goes out again. */
void
smode_bulk(void)
{
	if (smode == &smode_alarm)
		return;		/* ALARM re-sends everything anyway */
	/*
	 * A RESYNC can arrive before our start-up dump is merged (over TCP
	 * the peer's request waits in our listener's queue): answering
	 * then would leave out whatever the dump has not brought yet.
	 */
	if (!sm.started) {
		sm.bulk_deferred = 1;
		return;
	}
	sy.net.bulk_sends++;
	if (intcache_bypass()) {
		intcache_bulk_dump();
		return;
	}
	if (!sync_replicating())
		return;
	/* a bulk asked for during another starts the walk over */
	sm.bulk = BULK_CT;
	cache_walk_start(sy.int_ct, &sm.bulk_walk);
	sy.net.bulk_pending = cache_count(sy.int_ct) +
	    (sy.int_exp != NULL ? cache_count(sy.int_exp) : 0);
	sync_schedule();
}

/* Whether a bulk send has objects left to queue. */
int
smode_bulk_pending(void)
{
	return sm.bulk != BULK_NONE;
}

static void
bulk_next_cache(void)
{
	if (sm.bulk == BULK_CT && sy.int_exp != NULL) {
		sm.bulk = BULK_EXP;
		cache_walk_start(sy.int_exp, &sm.bulk_walk);
	} else {
		sm.bulk = BULK_NONE;
		sy.net.bulk_pending = 0;
	}
}

/*
 * A bulk send queues the internal caches a slice at a time, as the
 * transmit queue empties, rather than a million objects at once: the
 * process keeps taking events and answering requests, an object is
 * still in the CPU cache when it is sent, and the walk goes at the pace
 * the peers acknowledge.  The walk is in memory order (cache_walk_next()):
 * objects added during it are queued by their own events, and an object
 * deleted makes no other one skipped.  Returns how many objects were
 * walked (0: the bulk is done).
 */
uint32_t
smode_bulk_feed(uint32_t want)
{
	struct cache		*c;
	struct cache_obj	*o;
	uint32_t		 fed = 0;
	int			 kind;

	while (fed < want && sm.bulk != BULK_NONE) {
		kind = sm.bulk == BULK_CT ? CACHE_CT : CACHE_EXP;
		c = kind == CACHE_CT ? sy.int_ct : sy.int_exp;
		while (fed < want &&
		    (o = cache_walk_next(c, &sm.bulk_walk)) != NULL) {
			txq_obj(o, kind);
			fed++;
		}
		if (fed < want)
			bulk_next_cache();
	}
	sy.net.bulk_pending -= fed < sy.net.bulk_pending ? fed :
	    sy.net.bulk_pending;
	return fed;
}

/* The start-up dump is merged (or failed): a deferred bulk goes now. */
void
smode_startup_done(void)
{
	sm.started = 1;
	if (sm.bulk_deferred) {
		sm.bulk_deferred = 0;
		smode_bulk();
		sync_schedule();
	}
}

/* -n, StartupResync: ask the peers for everything they have. */
void
smode_request_resync(void)
{
	if (smode == &smode_alarm)
		return;
	txq_ctl(WIRE_F_RESYNC, 0, 0);
}

/* ---- timers of the modes, multiplexed on the child's one timer ---- */

void
smode_timer(int64_t now)
{
	smode->timer(now);
	extcache_timer(now);
}

int64_t
smode_next_timer(void)
{
	int64_t	a = smode->next_timer(), b = extcache_next_timer();

	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

/* ---- NOTRACK ---- */

static uint8_t
nt_tx_flags(int ctl)
{
	(void)ctl;
	return 0;
}

static void
nt_tx_done(int ctl)
{
	(void)ctl;
}

/* sent once, then released: nobody acknowledges anything */
static void
nt_sent(struct txnode *n, uint32_t seq)
{
	(void)seq;
	txq_release(n);
}

static int
nt_can_send(void)
{
	return 1;
}

static int
nt_rx(int link, const struct wire_msg *m, const struct sockaddr_storage *from)
{
	(void)link;
	(void)from;
	(void)smode_track_seq(m->seq);
	if (wire_is_data(m))
		return RX_DATA;
	if (m->type != WIRE_CTL)
		return RX_BAD;
	if (m->flags & WIRE_F_RESYNC) {
		sy.net.resync_recv++;
		log_info("resync requested by other node");
		smode_bulk();
		return RX_CTL;
	}
	if (m->flags & WIRE_F_ALIVE)
		return RX_CTL;
	return RX_BAD;		/* ACK, NACK: not in this mode */
}

static void
nt_idle_rearm(void)
{
	sm.alive_at = monotime_ms() + ALIVE_MS;
	sync_schedule();
}

static void
nt_timer(int64_t now)
{
	if (sm.alive_at < 0 || now < sm.alive_at)
		return;
	sm.alive_at = -1;
	if (link_count() > 0)
		txq_ctl(WIRE_F_ALIVE, 0, 0);
}

static int64_t
nt_next_timer(void)
{
	if (sm.alive_at < 0 && link_count() > 0)
		sm.alive_at = monotime_ms() + ALIVE_MS;
	return sm.alive_at;
}

const struct smode smode_notrack = {
	"NOTRACK", nt_tx_flags, nt_tx_done, nt_sent, nt_can_send, nt_rx,
	nt_timer, nt_next_timer, nt_idle_rearm,
};

/* ---- ALARM ---- */

static int
al_rx(int link, const struct wire_msg *m, const struct sockaddr_storage *from)
{
	(void)link;
	(void)from;
	/* conntrackd: any flag means control, and ALARM has no control */
	if (m->flags != 0)
		return RX_DROP;
	if (m->type == WIRE_CTL)
		return RX_DROP;
	return RX_DATA;
}

static void
al_idle_rearm(void)
{
}

/*
 * Every entry goes out again about every RefreshTime seconds: each tick
 * queues the next 1/RefreshTime of the hash buckets.  Unlike
 * conntrackd's per-entry random timers this costs no memory per entry
 * and spreads the load evenly.
 */
static void
al_timer(int64_t now)
{
	struct cache_obj	*o;
	uint32_t		 nb, slice, end, b;
	uint32_t		 refresh = sy.conf->sync.refresh_time;

	if (now < sm.tick_at)
		return;
	sm.tick_at = now + ALARM_TICK_MS;
	nb = cache_buckets(sy.int_ct);
	slice = nb / (refresh ? refresh : 1);
	if (slice == 0)
		slice = 1;
	end = sm.refresh_bucket + slice;
	for (b = sm.refresh_bucket; b < end && b < nb; b++)
		for (o = cache_bucket_first(sy.int_ct, b); o != NULL;
		    o = o->hnext)
			if (o->state != CACHE_DEAD)
				txq_obj(o, CACHE_CT);
	sm.refresh_bucket = end >= nb ? 0 : end;
}

static int64_t
al_next_timer(void)
{
	return sm.tick_at;
}

const struct smode smode_alarm = {
	"ALARM", nt_tx_flags, nt_tx_done, nt_sent, nt_can_send, al_rx,
	al_timer, al_next_timer, al_idle_rearm,
};
