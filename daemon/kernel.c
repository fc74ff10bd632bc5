/*
 * The kernel process: the only one that talks ctnetlink and may change
 * the kernel's conntrack and expectation tables (it keeps CAP_NET_ADMIN).
 * It turns events and dumps into compact records for sync, and applies
 * what sync asks for (commit) only after validating every record of a
 * message; a bad message is refused whole.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ctentry.h"
#include "ctmnl.h"
#include "ctnl.h"
#include "daemon.h"
#include "kernel.h"
#include "kfilter.h"
#include "log.h"

#define CT_GROUPS	((1U << (NFNLGRP_CONNTRACK_NEW - 1)) |		\
			 (1U << (NFNLGRP_CONNTRACK_UPDATE - 1)) |	\
			 (1U << (NFNLGRP_CONNTRACK_DESTROY - 1)))
#define EXP_GROUPS	((1U << (NFNLGRP_CONNTRACK_EXP_NEW - 1)) |	\
			 (1U << (NFNLGRP_CONNTRACK_EXP_UPDATE - 1)) |	\
			 (1U << (NFNLGRP_CONNTRACK_EXP_DESTROY - 1)))
#define NEW_GROUPS	((1U << (NFNLGRP_CONNTRACK_NEW - 1)) |		\
			 (1U << (NFNLGRP_CONNTRACK_EXP_NEW - 1)))

/*
 * Without NetlinkBufferSize: room for bursts of traffic events, and for
 * those of -t and filtered -F, which are drained after every batch.
 */
#define EVENT_RCVBUF_DEFAULT	(4U * 1024 * 1024)
#define CMD_RCVBUF		(1U * 1024 * 1024)
/* percent of the event socket's buffer in use that makes it grow */
#define EVENT_GROW_FILL		25
/* stop reading netlink while this many imsgs wait for sync */
#define PEER_QUEUE_HIGH		512
#define PEER_QUEUE_LOW		128
/*
 * Batches waiting for sync, in a pool that stays mapped (see
 * imsg_pool_init()): 256 full batches, about 70000 events, 16 MiB at
 * most, in memory only as far as a backlog ever reached.
 */
#define PEER_POOL_SLOTS		256
/* longest a commit may leave us out of the NEW groups between batches */
#define COMMIT_QUIET_MAX_MS	5000
/* a drain of fewer events than this, soon after another, waits ... */
#define EVENT_COALESCE_MIN	64
/* ... this long before the next one (see kernel_coalesce()) */
#define EVENT_COALESCE_MS	1

const struct ctsyncd_conf	*kconf;
struct kernel_stats		 kstats;
struct ctnl			 kev, kdump, kcmd;

static uint32_t			 kev_groups;
static int			 kev_paused;
static int			 kev_quiet;	/* out of the NEW groups */
static int64_t			 kev_quiet_until;
static int64_t			 kev_resume_at = -1; /* coalescing until */
static int64_t			 kev_last_drain;

static void	kernel_arm_timer(void);

static struct kbatch		 ev_ct, ev_exp;

void
kernel_count_errno(int err)
{
	int	i;

	for (i = 0; i < KSTAT_ERRNO_SLOTS; i++) {
		if (kstats.nl_errno[i] == err || kstats.nl_errno[i] == 0) {
			kstats.nl_errno[i] = err;
			kstats.nl_errors[i]++;
			return;
		}
	}
	kstats.nl_errors_other++;
}

/* ---- batches to sync ---- */

void
kbatch_init(struct kbatch *b, uint32_t type, size_t itemsize)
{
	memset(b, 0, sizeof(*b));
	b->type = type;
	b->itemsize = itemsize;
	b->max = (MAX_IMSGSIZE_SYNC_KERNEL - IMSG_HEADER_SIZE -
	    sizeof(struct ct_batch_hdr)) / itemsize;
	if ((b->buf = calloc(1, sizeof(struct ct_batch_hdr) +
	    b->max * itemsize)) == NULL)
		fatal("%s", __func__);
}

void
kbatch_flush(struct kbatch *b)
{
	struct ct_batch_hdr	*h = (struct ct_batch_hdr *)b->buf;

	if (b->count == 0)
		return;
	h->count = b->count;
	h->seq = b->seq;
	child_send_peer(b->type, 0, b->buf, sizeof(*h) +
	    (size_t)b->count * b->itemsize);
	b->count = 0;
}

/* Room for one more item; flushes first when full. */
void *
kbatch_slot(struct kbatch *b, uint32_t seq)
{
	char	*p;

	if (b->count > 0 && b->seq != seq)
		kbatch_flush(b);
	if (b->count >= b->max)
		kbatch_flush(b);
	b->seq = seq;
	p = b->buf + sizeof(struct ct_batch_hdr) + (size_t)b->count *
	    b->itemsize;
	memset(p, 0, b->itemsize);
	b->count++;
	return p;
}

void
kbatch_drop_last(struct kbatch *b)
{
	if (b->count > 0)
		b->count--;
}

/* ---- events ---- */

static int
event_kind(const struct nlmsghdr *nlh, uint8_t new_type, uint8_t del_type)
{
	uint8_t	msg = nlh->nlmsg_type & 0xff;

	if (msg == new_type)
		return (nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL)) ?
		    CT_KIND_NEW : CT_KIND_UPDATE;
	if (msg == del_type)
		return CT_KIND_DESTROY;
	return -1;
}

/* Events our command socket caused are ours: applied, never replicated. */
static uint8_t
event_origin(const struct nlmsghdr *nlh)
{
	if (nlh->nlmsg_pid == 0 || nlh->nlmsg_pid != kcmd.portid)
		return CT_ORIGIN_EXTERNAL;
	kstats.events_self++;
	return CT_ORIGIN_SELF;
}

static void
event_ct(const struct nlmsghdr *nlh, int kind)
{
	struct ct_item	*it;

	it = kbatch_slot(&ev_ct, 0);
	if (ctmnl_parse_ct(nlh, &it->ct) == -1) {
		kbatch_drop_last(&ev_ct);
		kstats.events_unknown++;
		return;
	}
	if (!kfilter_ct_pass(&it->ct)) {
		kbatch_drop_last(&ev_ct);
		kstats.events_filtered++;
		return;
	}
	it->kind = kind;
	it->origin = event_origin(nlh);
}

static void
event_exp(const struct nlmsghdr *nlh, int kind)
{
	struct exp_item	*it;

	it = kbatch_slot(&ev_exp, 0);
	if (ctmnl_parse_exp(nlh, &it->exp) == -1) {
		kbatch_drop_last(&ev_exp);
		kstats.events_unknown++;
		return;
	}
	if (!kfilter_exp_pass(&it->exp)) {
		kbatch_drop_last(&ev_exp);
		kstats.events_filtered++;
		return;
	}
	it->kind = kind;
	it->origin = event_origin(nlh);
}

static void
event_msg(const struct nlmsghdr *nlh, void *arg)
{
	int	kind;

	(void)arg;
	kstats.events_received++;
	switch (nlh->nlmsg_type >> 8) {
	case NFNL_SUBSYS_CTNETLINK:
		kind = event_kind(nlh, IPCTNL_MSG_CT_NEW, IPCTNL_MSG_CT_DELETE);
		if (kind != -1) {
			event_ct(nlh, kind);
			return;
		}
		break;
	case NFNL_SUBSYS_CTNETLINK_EXP:
		kind = event_kind(nlh, IPCTNL_MSG_EXP_NEW,
		    IPCTNL_MSG_EXP_DELETE);
		if (kind != -1) {
			event_exp(nlh, kind);
			return;
		}
		break;
	}
	kstats.events_unknown++;
}

/* Grow the event socket's buffer to want, at most NetlinkBufferSizeMaxGrowth. */
static int
kernel_grow_rcvbuf(uint32_t want)
{
	uint32_t	max = kconf->general.netlink_bufsize_max;

	if (max <= kev.rcvbuf)
		return -1;
	if (want > max)
		want = max;
	if (ctnl_set_rcvbuf(&kev, want) == -1)
		return -1;
	kstats.netlink_bufsize = kev.rcvbuf;
	return 0;
}

/*
 * The socket overran: the kernel dropped events.  Count it, grow the
 * buffer within NetlinkBufferSizeMaxGrowth and let sync schedule the
 * resync (it owns the cache and the NetlinkOverrunResync timer).
 */
static void
kernel_overrun(void)
{
	kstats.netlink_overrun++;
	kstats.catch_event_failed++;
	/* doubling, as conntrackd does */
	if (kernel_grow_rcvbuf(kev.rcvbuf > UINT32_MAX / 2 ? UINT32_MAX :
	    kev.rcvbuf * 2) == 0)
		log_info("netlink event socket overrun, buffer grown to %u "
		    "bytes", kev.rcvbuf);
	child_send_peer(IMSG_KERNEL_OVERRUN, 0, NULL, 0);
}

/*
 * A burst fills the socket faster than we read it (the inserting
 * process runs on another CPU while we share ours with sync): grow the
 * buffer while nothing is lost yet, not only after an overrun, which
 * costs a blind spot of NetlinkOverrunResync seconds and a resend of
 * the table.  Straight to the limit, NetlinkBufferSizeMaxGrowth: a
 * flood fills the socket within milliseconds, faster than doubling
 * step by step keeps up with (one overrun in a 1M flood at 4 MiB).
 */
static void
kernel_pressure(void)
{
	int	fill;

	if (kev.rcvbuf >= kconf->general.netlink_bufsize_max ||
	    (fill = ctnl_rcv_fill(&kev)) < EVENT_GROW_FILL)
		return;
	if (kernel_grow_rcvbuf(kconf->general.netlink_bufsize_max) == 0) {
		kstats.netlink_grown++;
		log_info("netlink event socket %d%% full, buffer grown to %u "
		    "bytes", fill, kev.rcvbuf);
	}
}

/*
 * Read everything the event socket holds, in bounded rounds.  Called
 * from the poll loop and, during commits and timer resets, after every
 * netlink batch so our own events never pile up in the socket.
 */
int
kernel_drain_events(int max_rounds)
{
	int	n, round, total = 0;

	kernel_pressure();
	for (round = 0; round < max_rounds; round++) {
		n = ctnl_read_many(&kev, event_msg, NULL);
		if (n == -1 && errno == ENOBUFS) {
			kernel_overrun();
			continue;
		}
		if (n == -1) {
			kstats.catch_event_failed++;
			kernel_count_errno(errno);
			break;
		}
		if (n == 0)
			break;
		total += n;
	}
	kbatch_flush(&ev_ct);
	kbatch_flush(&ev_exp);
	return total;
}

/*
 * Events that come about as fast as we take them are read a handful at
 * a time: a poll, two reads and a write to sync for every few events
 * (460k reads and 167k writes for 1M inserted entries).  When a drain
 * found only a few and came within a millisecond of the one before,
 * leave the socket alone for a millisecond, so the next drain finds a
 * batch.  A trickle is not delayed.
 */
static void
kernel_coalesce(int n)
{
	int64_t	now = monotime_ms();

	if (n > 0 && n < EVENT_COALESCE_MIN && !kev_paused &&
	    now - kev_last_drain <= EVENT_COALESCE_MS) {
		kev_resume_at = now + EVENT_COALESCE_MS;
		child_fd_events(kev.fd, 0);
		kernel_arm_timer();
	}
	kev_last_drain = now;
}

static void
kernel_event_ready(int fd, short revents)
{
	(void)fd;
	(void)revents;
	kernel_coalesce(kernel_drain_events(
	    kconf->general.event_iteration_limit ?
	    (int)kconf->general.event_iteration_limit : 64));
}

/*
 * Back-pressure: while sync is far behind, leave the events in the
 * socket (an overrun there is counted and resynced) instead of growing
 * our queue without bound.
 */
static void
kernel_idle(void)
{
	size_t	q = child_peer_queued();

	if (!kev_paused && q >= PEER_QUEUE_HIGH) {
		kev_paused = 1;
		kstats.events_backlogged++;
		child_fd_events(kev.fd, 0);
		child_fd_events(kdump.fd, 0);
	} else if (kev_paused && q <= PEER_QUEUE_LOW) {
		kev_paused = 0;
		child_fd_events(kev.fd, POLLIN);
		child_fd_events(kdump.fd, kdump_active() ? POLLIN : 0);
	}
}

int
kernel_events_paused(void)
{
	return kev_paused;
}

static void
kernel_open_sockets(void)
{
	uint32_t	rcv = kconf->general.netlink_bufsize;

	kev_groups = CT_GROUPS;
	if (kconf->sync.expect_sync)
		kev_groups |= EXP_GROUPS;
	if (rcv == 0)
		rcv = EVENT_RCVBUF_DEFAULT;
	if (ctnl_open(&kev, kev_groups, rcv) == -1)
		fatal("ctnetlink event socket");
	if (kconf->general.netlink_events_reliable) {
		int on = 1;

		/* lost events fail the kernel operation instead of vanishing */
		if (mnl_socket_setsockopt(kev.nl, NETLINK_BROADCAST_ERROR, &on,
		    sizeof(on)) == -1 || mnl_socket_setsockopt(kev.nl,
		    NETLINK_NO_ENOBUFS, &on, sizeof(on)) == -1)
			fatal("NetlinkEventsReliable");
	}
	if (kfilter_attach(kev.fd) == -1)
		fatal("attaching the kernel-space filter");
	if (ctnl_open(&kdump, 0, CMD_RCVBUF) == -1 ||
	    ctnl_open(&kcmd, 0, CMD_RCVBUF) == -1)
		fatal("ctnetlink socket");
	kstats.netlink_bufsize = kev.rcvbuf;
	kstats.netlink_bufsize_max = kconf->general.netlink_bufsize_max;
}

/* Leave or rejoin the event groups (during a flush, see kop.c). */
int
kernel_events_listen(int on)
{
	return ctnl_groups(&kev, kev_groups, on);
}

/*
 * During a commit we stay out of the NEW groups: with no listener the
 * kernel builds no event for each entry we create, which alone costs
 * about as much as the insert.  Sync puts what we committed in its
 * cache from our ACKs and reconciles the rest with a dump when the
 * commit is over (KDUMP_COMMIT); the dump request brings us back.
 * Without an internal cache there is nothing to reconcile: stay in.
 */
void
kernel_commit_quiet(int on)
{
	if (on == kev_quiet || (kconf->sync.mode == CONF_MODE_NOTRACK &&
	    kconf->sync.disable_internal_cache))
		return;
	if (ctnl_groups(&kev, kev_groups & NEW_GROUPS, !on) == -1) {
		if (!on)
			fatal("rejoining the event groups after a commit");
		log_warn("leaving the event groups for a commit");
		return;
	}
	kev_quiet = on;
	if (on)
		kernel_commit_busy();
}

/*
 * Sync asks for its dump right after the last batch.  Should it not
 * (it is the unprivileged half), we do not stay deaf: back in the
 * groups, and the lost events are an overrun, which sync resyncs.
 */
static void
kernel_quiet_expired(void)
{
	log_warnx("commit: no reconciling dump after %d ms, listening again",
	    COMMIT_QUIET_MAX_MS);
	kernel_commit_quiet(0);
	kstats.netlink_overrun++;
	child_send_peer(IMSG_KERNEL_OVERRUN, 0, NULL, 0);
}

/* The role's one timer: the end of a coalescing pause, a commit's. */
static void
kernel_timer(int64_t now)
{
	if (kev_resume_at >= 0 && now >= kev_resume_at) {
		kev_resume_at = -1;
		if (!kev_paused)
			child_fd_events(kev.fd, POLLIN);
	}
	if (kev_quiet && now >= kev_quiet_until)
		kernel_quiet_expired();
	kernel_arm_timer();
}

static void
kernel_arm_timer(void)
{
	int64_t	at = kev_resume_at;

	if (kev_quiet && (at < 0 || kev_quiet_until < at))
		at = kev_quiet_until;
	child_set_timer(at, kernel_timer);
}

/* A commit batch: the commit goes on, the deadline moves. */
void
kernel_commit_busy(void)
{
	if (!kev_quiet)
		return;
	kev_quiet_until = monotime_ms() + COMMIT_QUIET_MAX_MS;
	kernel_arm_timer();
}

void
kernel_init(const struct ctsyncd_conf *conf)
{
	kconf = conf;
	memset(&kstats, 0, sizeof(kstats));
	kfilter_init(conf);
	if (imsg_pool_init(MAX_IMSGSIZE_SYNC_KERNEL, (size_t)PEER_POOL_SLOTS *
	    MAX_IMSGSIZE_SYNC_KERNEL) == -1)
		log_warn("batch pool; batches use malloc");
	kbatch_init(&ev_ct, IMSG_KERNEL_CT_EVENTS, sizeof(struct ct_item));
	kbatch_init(&ev_exp, IMSG_KERNEL_EXP_EVENTS, sizeof(struct exp_item));
	/* as root, before the chroot: sockets are all we will ever need */
	kernel_open_sockets();
	kdump_init();
}

void
kernel_start(void)
{
	child_fd_add(kev.fd, POLLIN, kernel_event_ready);
	child_fd_add(kdump.fd, 0, kdump_ready);
	child_set_idle(kernel_idle);
}

static void
kernel_refuse(struct imsg *imsg, int from, const char *why)
{
	kstats.imsg_refused++;
	log_warnx("refusing %s from %s: %s",
	    imsg_type_name(imsg_get_type(imsg)), proc_name(from), why);
}

void
kernel_dispatch(struct imsg *imsg, int from)
{
	const char	*why = NULL;

	switch (imsg_get_type(imsg)) {
	case IMSG_KERNEL_STATS_REQ:
		kstats.netlink_bufsize = kev.rcvbuf;
		child_send_monitor(IMSG_KERNEL_STATS, imsg_get_id(imsg),
		    &kstats, sizeof(kstats));
		return;
	case IMSG_KERNEL_OP_REQ:
		kop_request(imsg);
		return;
	case IMSG_KERNEL_DUMP_REQ:
		/* any dump that follows a commit reconciles it */
		if ((why = kdump_request(imsg)) == NULL)
			kernel_commit_quiet(0);
		break;
	case IMSG_KERNEL_COMMIT_BEGIN:
		kernel_commit_quiet(1);
		return;
	case IMSG_KERNEL_COMMIT_CT:
		kernel_commit_busy();
		why = kcommit_ct(imsg);
		break;
	case IMSG_KERNEL_COMMIT_EXP:
		kernel_commit_busy();
		why = kcommit_exp(imsg);
		break;
	case IMSG_KERNEL_INJECT_CT:
		why = kinject_ct(imsg);
		break;
	case IMSG_KERNEL_INJECT_EXP:
		why = kinject_exp(imsg);
		break;
	default:
		why = "unexpected message type";
		break;
	}
	if (why != NULL)
		kernel_refuse(imsg, from, why);
}
