/*
 * The sync process: the unprivileged network half.  It owns the caches:
 * the internal one (local kernel state, fed by the kernel process) and
 * the external one (state from peers, committed on failover).  It never
 * touches netlink; everything kernel-side is a request to the kernel
 * process, which checks it.
 */
#include <sys/types.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "link.h"
#include "log.h"
#include "sync.h"

struct sync_state	sy;

uint32_t
sync_now(void)
{
	return (uint32_t)(monotime_coarse_ms() / 1000);
}

/* Replication runs when a mode and at least one link are configured. */
int
sync_replicating(void)
{
	return sy.conf->sync.mode != CONF_MODE_NONE && link_count() > 0;
}

/* A link socket from the monitor, before the configuration arrives. */
void
sync_link_recv(struct imsg *imsg)
{
	struct sync_link	sl;
	int			fd = imsg_get_fd(imsg);

	if (imsg_get_data(imsg, &sl, sizeof(sl)) == -1)
		fatalx("malformed link socket message from the monitor");
	link_recv_fd(&sl, fd);
}

static void
sync_link_state(struct imsg *imsg)
{
	struct sync_link_state	st;

	if (imsg_get_data(imsg, &st, sizeof(st)) == -1)
		fatalx("malformed link state from the monitor");
	link_state(st.ifindex, st.ifflags);
	sync_schedule();
}

static void
sync_idle(void)
{
	txq_run();
	sync_schedule();
}

static void
sync_room(void)
{
	txq_run();
}

/* A cache is full: say so, at most every few seconds; never silent. */
void
sync_cache_full(struct cache *c)
{
	const struct cache_stats *st = cache_stats(c);
	int			  nomem = errno == ENOMEM;

	if (!cache_full_log_due(c, sync_now()))
		return;
	if (nomem)
		log_warnx("%s cache: out of memory: %llu changes not cached "
		    "so far", cache_name(c),
		    (unsigned long long)st->add_failed_nomem);
	else
		log_warnx("%s cache full (%u entries, HashLimit): %llu "
		    "entries not cached so far", cache_name(c), cache_limit(c),
		    (unsigned long long)st->add_failed_full);
}

/* flags: CACHE_F_TX for the internal caches, whose objects replicate */
static struct cache *
sync_cache(const char *name, int kind, uint32_t limit, int flags)
{
	struct cache	*c;

	if ((c = cache_new(name, kind, sy.conf->general.hashsize, limit,
	    flags)) == NULL)
		fatal("%s cache of %u entries", name, limit);
	return c;
}

void
sync_init(const struct ctsyncd_conf *conf)
{
	uint32_t	limit = conf->general.hashlimit;

	memset(&sy, 0, sizeof(sy));
	sy.conf = conf;
	sy.start_ms = monotime_ms();
	sy.stats.commit.when = -1;
	if (limit == 0)
		fatalx("HashLimit unresolved");	/* the monitor sets it */
	sy.int_ct = sync_cache("internal conntrack", CACHE_CT, limit,
	    CACHE_F_TX);
	sy.ext_ct = sync_cache("external conntrack", CACHE_CT, limit, 0);
	if (conf->sync.expect_sync) {
		sy.int_exp = sync_cache("internal expectation", CACHE_EXP,
		    limit, CACHE_F_TX);
		sy.ext_exp = sync_cache("external expectation", CACHE_EXP,
		    limit, 0);
	}
	intcache_init();
	txq_init();
	smode_init();
	ftfw_init();
	if (conf->sync.mode != CONF_MODE_NONE)
		link_init(&conf->sync, conf->general.event_iteration_limit,
		    smode_rx, sync_room);
	child_set_idle(sync_idle);
	testhook_inject_load();
}

static void
sync_timer(int64_t now)
{
	intcache_timer(now);
	if (sync_replicating()) {
		link_timer(now);
		smode_timer(now);
		txq_run();
	}
	sync_schedule();
}

static int64_t
earliest(int64_t a, int64_t b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

/* Arm the child timer for the earliest of our deadlines. */
void
sync_schedule(void)
{
	int64_t	at = intcache_next_timer();

	if (sync_replicating()) {
		at = earliest(at, smode_next_timer());
		at = earliest(at, link_next_timer());
		if (txq_pending())
			at = monotime_ms();
	}
	if (at >= 0)
		child_set_timer(at, sync_timer);
}

void
sync_start(void)
{
	intcache_startup();
	if (sync_replicating() && sy.conf->sync.startup_resync &&
	    sy.conf->sync.mode != CONF_MODE_ALARM) {
		log_info("requesting a resync from the peers at start-up");
		smode_request_resync();
	}
	sync_schedule();
	testhook_inject_send();
}

void
sync_fill_figures(struct cache_figures *f, struct cache *c)
{
	const struct cache_stats	*s;

	memset(f, 0, sizeof(*f));
	if (c == NULL)
		return;
	s = cache_stats(c);
	f->active = s->active;
	f->peak = s->peak;
	f->limit = cache_limit(c);
	f->added = s->added;
	f->add_failed_full = s->add_failed_full;
	f->add_failed_nomem = s->add_failed_nomem;
	f->updated = s->updated;
	f->deleted = s->deleted;
	f->flushed = s->flushed;
	f->objsize = cache_obj_size(c);
	f->buckets = cache_buckets(c);
}

static void
sync_send_status(uint32_t id)
{
	struct sync_status	st;

	memset(&st, 0, sizeof(st));
	st.pid = getpid();
	st.mode = sy.conf->sync.mode;
	st.nlinks = sy.conf->sync.nlinks;
	st.replicating = sync_replicating();
	st.current_link = (uint32_t)link_current();
	st.net = sy.net;
	if (sy.conf->sync.mode == CONF_MODE_FTFW)
		st.net.peers_live = ftfw_live_peers();
	st.startup_done = sy.startup_done;
	st.resync_pending = sy.overrun_resync_at >= 0;
	st.overruns = sy.overruns;
	sync_fill_figures(&st.int_ct, sy.int_ct);
	sync_fill_figures(&st.int_exp, sy.int_exp);
	sync_fill_figures(&st.ext_ct, sy.ext_ct);
	sync_fill_figures(&st.ext_exp, sy.ext_exp);
	st.commit = sy.stats.commit;
	child_send_monitor(IMSG_SYNC_STATUS, id, &st, sizeof(st));
}

static void
sync_fill_links(struct sync_stats *ss)
{
	const struct link_counters	*lc;
	int				 i, server, client;

	memset(ss->links, 0, sizeof(ss->links));
	for (i = 0; i < link_count() && i < SYNC_LINKS_MAX; i++) {
		struct sync_link_figures *f = &ss->links[i];

		lc = link_counters(i);
		f->kind = (uint32_t)link_connected(i, &server, &client);
		f->server = (uint32_t)server;
		f->client = (uint32_t)client;
		f->current = i == link_current();
		f->ifflags = link_ifflags(i);
		strlcpy(f->ifname, sy.conf->sync.links[i].ifname,
		    sizeof(f->ifname));
		f->bytes_sent = lc->bytes_sent;
		f->bytes_recv = lc->bytes_recv;
		f->pkts_sent = lc->pkts_sent;
		f->pkts_recv = lc->pkts_recv;
		f->err_send = lc->err_send;
		f->err_recv = lc->err_recv;
	}
}

static void
sync_send_stats(uint32_t id)
{
	sy.stats.net = sy.net;
	sy.stats.net.bypass = intcache_bypass();
	if (sy.conf->sync.mode == CONF_MODE_FTFW)
		sy.stats.net.peers_live = ftfw_live_peers();
	sync_fill_links(&sy.stats);
	sync_fill_figures(&sy.stats.int_ct, sy.int_ct);
	sync_fill_figures(&sy.stats.int_exp, sy.int_exp);
	sync_fill_figures(&sy.stats.ext_ct, sy.ext_ct);
	sync_fill_figures(&sy.stats.ext_exp, sy.ext_exp);
	child_send_monitor(IMSG_CTL_SYNC_STATS, id, &sy.stats,
	    sizeof(sy.stats));
	child_send_result(id, CTL_RES_OK, "%s", "");
}

/* -f [internal|external|ct|expect] */
static void
sync_flush_caches(uint32_t id, uint32_t arg)
{
	int	internal = arg != CTL_TABLE_EXTERNAL;
	int	external = arg != CTL_TABLE_INTERNAL;
	int	ct = arg != CTL_TABLE_EXPECT, exp = arg != CTL_TABLE_CT;

	if (external && scommit_active()) {
		log_notice("ignoring flush command, commit still in progress");
		child_send_result(id, CTL_RES_BUSY, "a commit is in progress");
		return;
	}
	/* conntrackd flushes the kernel table here; we refuse to guess */
	if (internal && intcache_bypass()) {
		internal = 0;
		if (!external) {
			child_send_result(id, CTL_RES_OK, "no internal cache "
			    "(DisableInternalCache): nothing to flush");
			return;
		}
	}
	if (internal) {
		log_info("flushing internal cache");
		if (ct)
			intcache_flush(0);
		if (exp)
			intcache_flush(1);
	}
	if (external) {
		log_info("flushing external cache");
		if (ct)
			cache_flush(sy.ext_ct, NULL, NULL);
		if (exp && sy.ext_exp != NULL)
			cache_flush(sy.ext_exp, NULL, NULL);
	}
	child_send_result(id, CTL_RES_OK, "flushed the %s%s", internal && external ?
	    "internal and external caches" : internal ? "internal cache" :
	    "external cache", ct && exp ? "" : ct ? " (conntracks)" :
	    " (expectations)");
}

static void
sync_resync(uint32_t id, uint32_t arg)
{
	if (arg == CTL_TABLE_EXPECT && sy.int_exp == NULL) {
		child_send_result(id, CTL_RES_ERROR, "expectation resync needs "
		    "ExpectationSync");
		return;
	}
	log_info("resync with kernel %s table requested",
	    arg == CTL_TABLE_EXPECT ? "expectation" : "conntrack");
	switch (intcache_resync(id, arg == CTL_TABLE_EXPECT ? KTABLE_EXP :
	    KTABLE_CT)) {
	case -1:
		child_send_result(id, CTL_RES_BUSY, "a resync is in progress");
		break;
	case -2:
		child_send_result(id, CTL_RES_ERROR, "resync is unsupported "
		    "in this mode (DisableInternalCache)");
		break;
	}
}

/* -B */
static void
sync_bulk(uint32_t id)
{
	if (!sync_replicating()) {
		child_send_result(id, CTL_RES_ERROR, "no sync mode or link "
		    "configured");
		return;
	}
	if (sy.conf->sync.mode == CONF_MODE_ALARM) {
		child_send_result(id, CTL_RES_OK, "ALARM mode re-sends every "
		    "entry by itself: nothing to do");
		return;
	}
	log_info("sending bulk update");
	smode_bulk();
	sync_schedule();
	child_send_result(id, CTL_RES_OK, "queued %u conntracks%s for the "
	    "peers", cache_count(sy.int_ct), sy.int_exp ? " and their "
	    "expectations" : "");
}

/* -n */
static void
sync_request_resync(uint32_t id)
{
	if (!sync_replicating()) {
		child_send_result(id, CTL_RES_ERROR, "no sync mode or link "
		    "configured");
		return;
	}
	if (sy.conf->sync.mode == CONF_MODE_ALARM) {
		child_send_result(id, CTL_RES_OK, "ALARM mode has no resync "
		    "request: nothing to do");
		return;
	}
	smode_request_resync();
	sync_schedule();
	child_send_result(id, CTL_RES_OK, "resync requested from the peers");
}

static void
sync_op(struct imsg *imsg)
{
	struct ctl_request	req;
	uint32_t		id = imsg_get_id(imsg);

	if (imsg_get_data(imsg, &req, sizeof(req)) == -1 ||
	    req.arg >= (req.op == CTL_OP_STATS ? CTL_STATS_MAX_ :
	    CTL_TABLE_MAX_))
		fatalx("malformed operation request from the monitor");
	switch (req.op) {
	case CTL_OP_COMMIT:
		scommit_request(id, req.arg);
		break;
	case CTL_OP_FLUSH_CACHE:
		sync_flush_caches(id, req.arg);
		break;
	case CTL_OP_RESYNC_KERNEL:
		sync_resync(id, req.arg);
		break;
	case CTL_OP_DUMP_INTERNAL:
	case CTL_OP_DUMP_EXTERNAL:
		ctldump_request(id, &req);
		break;
	case CTL_OP_STATS:
		sync_send_stats(id);
		break;
	case CTL_OP_BULK_SEND:
		sync_bulk(id);
		break;
	case CTL_OP_REQUEST_RESYNC:
		sync_request_resync(id);
		break;
	default:
		child_send_result(id, CTL_RES_NOTIMPL, "not implemented in the sync "
		    "process");
		break;
	}
}

void
sync_dispatch(struct imsg *imsg, int from)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_SYNC_STATUS_REQ:
		sync_send_status(imsg_get_id(imsg));
		break;
	case IMSG_SYNC_OP_REQ:
		sync_op(imsg);
		break;
	case IMSG_SYNC_DUMP_MORE:
		ctldump_more(imsg_get_id(imsg));
		break;
	case IMSG_SYNC_LINK_STATE:
		sync_link_state(imsg);
		break;
	case IMSG_KERNEL_CT_EVENTS:
		intcache_events_ct(imsg);
		break;
	case IMSG_KERNEL_EXP_EVENTS:
		intcache_events_exp(imsg);
		break;
	case IMSG_KERNEL_DUMP_END:
		intcache_dump_end(imsg);
		break;
	case IMSG_KERNEL_COMMIT_ACK:
		scommit_ack(imsg);
		break;
	case IMSG_KERNEL_FLUSHED:
		intcache_flushed(imsg);
		break;
	case IMSG_KERNEL_OVERRUN:
		intcache_overrun();
		break;
	default:
		log_warnx("%s: unhandled %s from %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)), proc_name(from));
		break;
	}
}
