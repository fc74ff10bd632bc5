/*
 * Output of ctsyncctl.  Text follows conntrackd's layouts so scripts
 * that grep them keep working; JSON carries the same figures under
 * stable key names.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ctsyncd.h"
#include "json.h"
#include "output.h"

/* conntrackd's uptime: "[D day(s) ][H h ]M min" */
static void
fmt_uptime(int64_t secs, char *buf, size_t len)
{
	long	d = secs / 86400, h = (secs / 3600) % 24, mi = (secs / 60) % 60;
	size_t	n = 0;

	buf[0] = '\0';
	if (d > 0)
		n = snprintf(buf, len, "%ld day%s ", d, d == 1 ? "" : "s");
	if (h > 0 && n < len)
		n += snprintf(buf + n, len - n, "%ld h ", h);
	if (n < len)
		snprintf(buf + n, len - n, "%ld min", mi);
}

static const struct {
	int		 num;
	const char	*name;
} errno_names[] = {
	{ EPERM, "EPERM" },
	{ ENOENT, "ENOENT" },
	{ EINTR, "EINTR" },
	{ EBADF, "EBADF" },
	{ EAGAIN, "EAGAIN" },
	{ ENOMEM, "ENOMEM" },
	{ EACCES, "EACCES" },
	{ EBUSY, "EBUSY" },
	{ EEXIST, "EEXIST" },
	{ EINVAL, "EINVAL" },
	{ ENOSPC, "ENOSPC" },
	{ ERANGE, "ERANGE" },
	{ ETIME, "ETIME" },
	{ EMSGSIZE, "EMSGSIZE" },
	{ EPROTONOSUPPORT, "EPROTONOSUPPORT" },
	{ EOPNOTSUPP, "EOPNOTSUPP" },
	{ ENOBUFS, "ENOBUFS" },
	{ ETIMEDOUT, "ETIMEDOUT" },
};

/*
 * Symbolic errno name; the daemon's errno values come from the same
 * kernel ABI, so a local table is good enough.  Unknown ones as numbers.
 */
static const char *
errno_name(int num, char *buf, size_t len)
{
	size_t	i;

	for (i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (errno_names[i].num == num)
			return errno_names[i].name;
	snprintf(buf, len, "%d", num);
	return buf;
}

/* failed inserts: conntrackd counts both reasons as one "failed" */
static uint64_t
cache_add_failed(const struct cache_figures *c)
{
	return c->add_failed_full + c->add_failed_nomem;
}

static void
cache_json(const char *name, const struct cache_figures *c)
{
	json_object(name);
	json_uint("active", c->active);
	json_uint("peak", c->peak);
	json_uint("limit", c->limit);
	json_uint("buckets", c->buckets);
	json_uint("bytes_per_entry", c->objsize);
	json_uint("added", c->added);
	json_uint("add_failed_full", c->add_failed_full);
	json_uint("add_failed_nomem", c->add_failed_nomem);
	json_uint("updated", c->updated);
	json_uint("deleted", c->deleted);
	json_uint("flushed", c->flushed);
	json_close();
}

/* uptime >= 0 also gives "seconds_ago" (status knows the uptime) */
static void
commit_json(const struct last_commit *lc, int64_t uptime)
{
	int	done = lc->when >= 0;

	json_object("last_commit");
	json_bool("done", done);
	json_int("at_uptime_seconds", done ? lc->when : -1);
	if (uptime >= 0)
		json_int("seconds_ago", !done ? -1 :
		    uptime > lc->when ? uptime - lc->when : 0);
	json_uint("committed", lc->committed);
	json_uint("failed", lc->failed);
	json_uint("duration_ms", lc->duration_ms);
	json_close();
}

/* ctsyncd's own kernel process figures, after conntrackd's blocks */
static void
kernel_json(const struct kernel_stats *k)
{
	char	num[16];
	int	i;

	json_object("kernel");
	json_uint("events_self", k->events_self);
	json_uint("events_backlogged", k->events_backlogged);
	json_uint("dumps", k->dumps);
	json_uint("dump_entries", k->dump_entries);
	json_uint("commit_batches", k->commit_batches);
	json_uint("commit_ok", k->commit_ok);
	json_uint("commit_failed", k->commit_failed);
	json_uint("commit_retried", k->commit_retried);
	json_uint("timers_reset", k->timers_reset);
	json_uint("inject_ok", k->inject_ok);
	json_uint("inject_failed", k->inject_failed);
	json_uint("imsg_refused", k->imsg_refused);
	json_uint("buffer_size_max", k->netlink_bufsize_max);
	json_uint("buffer_grown_early", k->netlink_grown);
	json_close();
	json_object("netlink_errors");
	for (i = 0; i < KSTAT_ERRNO_SLOTS; i++)
		if (k->nl_errno[i] != 0)
			json_uint(errno_name(k->nl_errno[i], num, sizeof(num)),
			    k->nl_errors[i]);
	json_uint("other", k->nl_errors_other);
	json_close();
}

static void
runtime_json(const struct ctl_runtime *rt)
{
	const struct kernel_stats *k = &rt->kernel;

	json_begin(stdout);
	json_int("uptime_seconds", rt->uptime);
	json_object("netlink");
	json_uint("events_received", k->events_received);
	json_uint("events_filtered", k->events_filtered);
	json_uint("events_unknown_type", k->events_unknown);
	json_uint("catch_event_failed", k->catch_event_failed);
	json_uint("dump_unknown_type", k->dump_unknown);
	json_uint("netlink_overrun", k->netlink_overrun);
	json_uint("flush_kernel_table", k->flush_kernel);
	json_uint("resync_kernel_table", k->resync_kernel);
	json_uint("buffer_size", k->netlink_bufsize);
	json_close();
	json_object("runtime");
	json_uint("child_process_failed", rt->child_failed);
	json_uint("child_process_segfault", rt->child_segfault);
	json_uint("child_process_termsig", rt->child_termsig);
	json_uint("poll_failed", rt->poll_failed);
	json_uint("wait_failed", rt->wait_failed);
	json_uint("local_read_failed", rt->local_read_failed);
	json_uint("local_unknown_request", rt->local_unknown_request);
	json_uint("control_denied", rt->ctl_denied);
	json_uint("control_timeouts", rt->ctl_timeouts);
	json_close();
	kernel_json(k);
	json_end();
}

static void
kernel_text(const struct kernel_stats *k)
{
	printf("kernel process stats:\n");
	printf("\tevents from own requests:\t%12llu\n",
	    (unsigned long long)k->events_self);
	printf("\tevent reads paused (backlog):\t%12llu\n",
	    (unsigned long long)k->events_backlogged);
	printf("\tkernel table dumps:\t\t%12llu\n",
	    (unsigned long long)k->dumps);
	printf("\tdumped entries:\t\t\t%12llu\n",
	    (unsigned long long)k->dump_entries);
	printf("\tcommit batches:\t\t\t%12llu\n",
	    (unsigned long long)k->commit_batches);
	printf("\tcommitted OK/failed:\t\t%12llu/%12llu\n",
	    (unsigned long long)k->commit_ok,
	    (unsigned long long)k->commit_failed);
	printf("\trecreated (EEXIST):\t\t%12llu\n",
	    (unsigned long long)k->commit_retried);
	printf("\ttimers shortened:\t\t%12llu\n",
	    (unsigned long long)k->timers_reset);
	printf("\tinjected OK/failed:\t\t%12llu/%12llu\n",
	    (unsigned long long)k->inject_ok,
	    (unsigned long long)k->inject_failed);
	printf("\trefused messages from sync:\t%12llu\n",
	    (unsigned long long)k->imsg_refused);
	printf("\tbuffer size max (in bytes):\t%12llu\n",
	    (unsigned long long)k->netlink_bufsize_max);
	printf("\tbuffer grown before overrun:\t%12llu\n\n",
	    (unsigned long long)k->netlink_grown);
}

/* %-16s, not tabs: errno names range from 5 to 15 characters */
static void
nlerrors_text(const struct kernel_stats *k)
{
	char	num[16], label[24];
	int	i, any = 0;

	printf("netlink errors:\n");
	for (i = 0; i < KSTAT_ERRNO_SLOTS; i++) {
		if (k->nl_errno[i] == 0)
			continue;
		snprintf(label, sizeof(label), "%s:",
		    errno_name(k->nl_errno[i], num, sizeof(num)));
		printf("\t%-16s%12llu\n", label,
		    (unsigned long long)k->nl_errors[i]);
		any = 1;
	}
	if (k->nl_errors_other > 0) {
		printf("\t%-16s%12llu\n", "other:",
		    (unsigned long long)k->nl_errors_other);
		any = 1;
	}
	if (!any)
		printf("\tnone\n");
	printf("\n");
}

void
output_runtime(const struct ctl_runtime *rt, int json)
{
	const struct kernel_stats	*k = &rt->kernel;
	char				 up[64];

	if (json) {
		runtime_json(rt);
		return;
	}
	fmt_uptime(rt->uptime, up, sizeof(up));
	printf("daemon uptime: %s\n\n", up);
	printf("netlink stats:\n");
	printf("\tevents received:\t%20llu\n",
	    (unsigned long long)k->events_received);
	printf("\tevents filtered:\t%20llu\n",
	    (unsigned long long)k->events_filtered);
	printf("\tevents unknown type:\t\t%12llu\n",
	    (unsigned long long)k->events_unknown);
	printf("\tcatch event failed:\t\t%12llu\n",
	    (unsigned long long)k->catch_event_failed);
	printf("\tdump unknown type:\t\t%12llu\n",
	    (unsigned long long)k->dump_unknown);
	printf("\tnetlink overrun:\t\t%12llu\n",
	    (unsigned long long)k->netlink_overrun);
	printf("\tflush kernel table:\t\t%12llu\n",
	    (unsigned long long)k->flush_kernel);
	printf("\tresync with kernel table:\t%12llu\n",
	    (unsigned long long)k->resync_kernel);
	printf("\tcurrent buffer size (in bytes):\t%12llu\n\n",
	    (unsigned long long)k->netlink_bufsize);
	printf("runtime stats:\n");
	printf("\tchild process failed:\t\t%12llu\n",
	    (unsigned long long)rt->child_failed);
	printf("\t\tchild process segfault:\t%12llu\n",
	    (unsigned long long)rt->child_segfault);
	printf("\t\tchild process termsig:\t%12llu\n",
	    (unsigned long long)rt->child_termsig);
	printf("\tselect failed:\t\t\t%12llu\n",
	    (unsigned long long)rt->poll_failed);
	printf("\twait failed:\t\t\t%12llu\n",
	    (unsigned long long)rt->wait_failed);
	printf("\tlocal read failed:\t\t%12llu\n",
	    (unsigned long long)rt->local_read_failed);
	printf("\tlocal unknown request:\t\t%12llu\n\n",
	    (unsigned long long)rt->local_unknown_request);
	kernel_text(k);
	nlerrors_text(k);
}

void
output_process_begin(int json)
{
	if (json) {
		json_begin(stdout);
		json_array("processes");
	}
}

void
output_process(const struct ctl_process *p, int json)
{
	char	role[sizeof(p->role) + 1];

	memcpy(role, p->role, sizeof(p->role));
	role[sizeof(p->role)] = '\0';
	if (!json) {
		printf("PID=%d type=%s\n", p->pid, role);
		return;
	}
	json_object(NULL);
	json_int("pid", p->pid);
	json_string("type", role);
	json_close();
}

void
output_process_end(int json)
{
	if (json)
		json_end();
}

/* conntrackd's "cache NAME:" block of -s; update/delete never fail */
static void
cache_summary_text(const char *name, const struct cache_figures *c)
{
	printf("cache %s:\n", name);
	printf("current active connections:\t%12llu\n",
	    (unsigned long long)c->active);
	printf("connections created:\t\t%12llu\tfailed:\t%12llu\n",
	    (unsigned long long)c->added,
	    (unsigned long long)cache_add_failed(c));
	printf("connections updated:\t\t%12llu\tfailed:\t%12llu\n",
	    (unsigned long long)c->updated, 0ULL);
	printf("connections destroyed:\t\t%12llu\tfailed:\t%12llu\n\n",
	    (unsigned long long)c->deleted, 0ULL);
}

/*
 * conntrackd's -s cache layout (§6.4).  Records are freed at once, so
 * "active objects" (conntrackd: allocated, dead included) is the active
 * count, and the table size it shows is our HashLimit.
 */
static void
cache_detail_text(const char *name, const struct cache_figures *c)
{
	printf("cache:%s\tactive objects:\t\t%12llu\n", name,
	    (unsigned long long)c->active);
	printf("\tactive/total entries:\t\t%12llu/%12llu\n",
	    (unsigned long long)c->active, (unsigned long long)c->limit);
	printf("\tcreation OK/failed:\t\t%12llu/%12llu\n",
	    (unsigned long long)c->added,
	    (unsigned long long)cache_add_failed(c));
	printf("\t\tno memory available:\t%12llu\n",
	    (unsigned long long)c->add_failed_nomem);
	printf("\t\tno space left in cache:\t%12llu\n",
	    (unsigned long long)c->add_failed_full);
	printf("\tupdate OK/failed:\t\t%12llu/%12llu\n",
	    (unsigned long long)c->updated, 0ULL);
	printf("\t\tentry not found:\t%12llu\n", 0ULL);
	printf("\tdeletion created/failed:\t%12llu/%12llu\n",
	    (unsigned long long)c->deleted, 0ULL);
	printf("\t\tentry not found:\t%12llu\n\n", 0ULL);
}

/* ctsyncd-only: what HashLimit costs and how close the peak came */
static void
cache_sizing_text(const char *name, const struct cache_figures *c)
{
	printf("cache sizing:%s\n", name);
	printf("\tlimit (HashLimit):\t%12llu\n", (unsigned long long)c->limit);
	printf("\tbuckets:\t\t%12llu\n", (unsigned long long)c->buckets);
	printf("\tbytes per entry:\t%12llu\n",
	    (unsigned long long)c->objsize);
	printf("\tpeak entries:\t\t%12llu\n\n", (unsigned long long)c->peak);
}

/* section picks the table as in text; the rest is always there */
static void
sync_stats_json(const struct sync_stats *ss, int exp)
{
	json_begin(stdout);
	json_string("table", exp ? "expect" : "conntrack");
	json_object("caches");
	cache_json("internal", exp ? &ss->int_exp : &ss->int_ct);
	cache_json("external", exp ? &ss->ext_exp : &ss->ext_ct);
	json_close();
	json_object("events");
	json_uint("new", ss->events_new);
	json_uint("update", ss->events_update);
	json_uint("destroy", ss->events_destroy);
	json_uint("self", ss->events_self);
	json_close();
	json_uint("dumps", ss->dumps);
	json_uint("purged", ss->purged);
	json_uint("expectations_without_master", ss->exp_no_master);
	commit_json(&ss->commit, -1);
	netstats_json(ss);
	json_end();
}

void
output_sync_stats(const struct sync_stats *ss, uint32_t section, int json)
{
	int	exp = section == CTL_STATS_EXPECT;

	if (json) {
		sync_stats_json(ss, exp);
		return;
	}
	if (section == CTL_STATS_CACHE) {
		cache_detail_text("internal", &ss->int_ct);
		cache_detail_text("external", &ss->ext_ct);
		cache_sizing_text("internal", &ss->int_ct);
		cache_sizing_text("external", &ss->ext_ct);
		return;
	}
	switch (section) {
	case CTL_STATS_NETWORK:
		netstats_network_text(ss);
		return;
	case CTL_STATS_LINK:
		netstats_link_text(ss);
		return;
	case CTL_STATS_QUEUE:
	case CTL_STATS_RSQUEUE:
		netstats_queue_text(ss, section == CTL_STATS_RSQUEUE);
		return;
	}
	if (ss->net.bypass)
		netstats_bypass_text(ss);
	else
		cache_summary_text("internal", exp ? &ss->int_exp :
		    &ss->int_ct);
	cache_summary_text("external", exp ? &ss->ext_exp : &ss->ext_ct);
	/* no flow accounting is replicated: traffic stays at zero */
	printf("traffic processed:\n%20llu Bytes      %20llu Pckts\n\n",
	    0ULL, 0ULL);
	netstats_active_link_text(ss);
	netstats_tracking_text(ss);
}

static void
status_json(const struct ctl_status *st)
{
	json_begin(stdout);
	json_string("version", st->version);
	json_string("config", st->config_file);
	json_int("uptime_seconds", st->uptime);
	json_string("mode", conf_mode_name(st->mode));
	json_uint("links", st->nlinks);
	json_object("processes");
	json_int("monitor", st->monitor_pid);
	json_int("sync", st->sync_pid);
	json_int("kernel", st->kernel_pid);
	json_close();
	json_bool("replicating", st->replicating);
	json_bool("in_sync", st->in_sync);
	json_uint("control_denied", st->ctl_denied);
	json_bool("startup_resync_done", st->sync.startup_done);
	json_uint("netlink_overruns", st->sync.overruns);
	json_bool("resync_pending", st->sync.resync_pending);
	json_object("caches");
	cache_json("internal", &st->sync.int_ct);
	cache_json("external", &st->sync.ext_ct);
	json_close();
	/* always present, unlike the text: keys stay stable */
	json_object("expect_caches");
	cache_json("internal", &st->sync.int_exp);
	cache_json("external", &st->sync.ext_exp);
	json_close();
	commit_json(&st->sync.commit, st->uptime);
	json_object("peer");
	json_int("last_recv_uptime", st->sync.net.last_recv);
	json_uint("last_seq", st->sync.net.last_seq);
	json_uint("lost", st->sync.net.lost);
	json_uint("before", st->sync.net.before);
	json_uint("malformed", st->sync.net.malformed);
	json_bool("handshake_done", st->sync.net.peer_ok);
	json_uint("peers_live", st->sync.net.peers_live);
	json_uint("current_link", st->sync.current_link);
	json_uint("messages_sent", st->sync.net.msg_sent);
	json_uint("txqueue", st->sync.net.txq_len);
	json_uint("rsqueue", st->sync.net.rsq_len);
	json_uint("retransmitted", st->sync.net.retransmitted);
	json_close();
	json_end();
}

static void
status_cache(const char *label, const struct cache_figures *c)
{
	printf("%-14s%llu entr%s, limit %llu, "
	    "entries not cached (cache full): %llu\n", label,
	    (unsigned long long)c->active, c->active == 1 ? "y" : "ies",
	    (unsigned long long)c->limit,
	    (unsigned long long)c->add_failed_full);
}

/* lost entries mean a failover loses connections: make it stand out */
static void
status_cache_warn(const char *name, const struct cache_figures *c)
{
	if (c->add_failed_full == 0)
		return;
	printf("WARNING: %s cache full, %llu entr%s not cached "
	    "(raise HashLimit)\n", name,
	    (unsigned long long)c->add_failed_full,
	    c->add_failed_full == 1 ? "y" : "ies");
}

static void
status_commit(const struct last_commit *lc, int64_t uptime)
{
	int64_t	ago;

	if (lc->when < 0) {
		printf("last commit:  never\n");
		return;
	}
	/* both are daemon uptimes; clamp should the clocks disagree */
	ago = uptime > lc->when ? uptime - lc->when : 0;
	printf("last commit:  %lld s ago (at uptime %lld s), committed %llu, "
	    "failed %llu, took %llu.%03llu s\n", (long long)ago,
	    (long long)lc->when, (unsigned long long)lc->committed,
	    (unsigned long long)lc->failed,
	    (unsigned long long)(lc->duration_ms / 1000),
	    (unsigned long long)(lc->duration_ms % 1000));
}

/* what we hear from the peers, and what waits for them */
static void
status_peer(const struct ctl_status *st)
{
	const struct sync_net_stats	*n = &st->sync.net;

	if (!st->replicating)
		return;
	if (n->last_recv < 0)
		printf("peers:        nothing received yet\n");
	else
		printf("peers:        last message %lld s ago, seq %u, "
		    "lost %llu, before %llu, malformed %llu%s\n",
		    (long long)(st->uptime > n->last_recv ?
		    st->uptime - n->last_recv : 0), n->last_seq,
		    (unsigned long long)n->lost, (unsigned long long)n->before,
		    (unsigned long long)n->malformed, st->mode ==
		    CONF_MODE_FTFW ? (n->peer_ok ? ", handshake done" :
		    ", no HELLO_BACK yet") : "");
	if (st->mode == CONF_MODE_FTFW)
		printf("peers live:   %llu (peers lost %llu, caught up %llu, "
		    "resyncs after HELLO %llu)\n",
		    (unsigned long long)n->peers_live,
		    (unsigned long long)n->peers_lost,
		    (unsigned long long)n->peer_catchups,
		    (unsigned long long)n->hello_resyncs);
	printf("sending:      link %u active, %llu sent, %llu queued, "
	    "%llu awaiting ack, %llu retransmitted\n", st->sync.current_link,
	    (unsigned long long)n->msg_sent, (unsigned long long)n->txq_len,
	    (unsigned long long)n->rsq_len,
	    (unsigned long long)n->retransmitted);
}

/* ctsyncd's sync process state, after the general lines */
static void
status_sync(const struct ctl_status *st)
{
	const struct sync_status	*sy = &st->sync;
	int				 exp = sy->int_exp.limit != 0 ||
					    sy->ext_exp.limit != 0;

	status_cache("internal ct:", &sy->int_ct);
	status_cache("external ct:", &sy->ext_ct);
	if (exp) {
		status_cache("internal exp:", &sy->int_exp);
		status_cache("external exp:", &sy->ext_exp);
	}
	printf("start-up:     kernel table resync done: %s\n",
	    sy->startup_done ? "yes" : "no");
	printf("netlink:      %llu overrun%s, resync pending: %s\n",
	    (unsigned long long)sy->overruns, sy->overruns == 1 ? "" : "s",
	    sy->resync_pending ? "yes" : "no");
	status_commit(&sy->commit, st->uptime);
	status_peer(st);
	status_cache_warn("internal", &sy->int_ct);
	status_cache_warn("external", &sy->ext_ct);
	if (exp) {
		status_cache_warn("internal expectation", &sy->int_exp);
		status_cache_warn("external expectation", &sy->ext_exp);
	}
}

void
output_status(const struct ctl_status *st, int json)
{
	char	up[64];

	if (json) {
		status_json(st);
		return;
	}
	fmt_uptime(st->uptime, up, sizeof(up));
	printf("ctsyncd %.16s, up %s\n", st->version, up);
	printf("config:       %.256s\n", st->config_file);
	printf("mode:         %s, %u sync link%s configured\n",
	    conf_mode_name(st->mode), st->nlinks, st->nlinks == 1 ? "" : "s");
	printf("processes:    monitor %d, sync %d, kernel %d\n",
	    st->monitor_pid, st->sync_pid, st->kernel_pid);
	printf("replication:  %s\n", st->replicating ? "running" :
	    "not running (no sync mode or link configured)");
	printf("in sync:      %s\n", st->in_sync ? "yes" : "no");
	printf("control:      %llu request%s denied\n",
	    (unsigned long long)st->ctl_denied, st->ctl_denied == 1 ? "" : "s");
	status_sync(st);
}
