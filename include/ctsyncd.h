/*
 * ctsyncd: shared constants, message types and control protocol.
 * Included by the daemon and by ctsyncctl.
 */
#ifndef CTSYNCD_H
#define CTSYNCD_H

#include <stdint.h>

#define CTSYNCD_VERSION		"0.1.0"

/* imsg size limits per channel (header included) */
#define MAX_IMSGSIZE_CTL	16384U
#define MAX_IMSGSIZE_MONITOR	(16384U + 4096U)  /* fits struct conf_sync */
#define MAX_IMSGSIZE_SYNC_KERNEL 65536U

/* control client timeouts (milliseconds) */
#define CTL_REQUEST_TIMEOUT_MS	2000	/* idle client is dropped after this */
#define CTL_MAX_CLIENTS		64

/*
 * Message types.  IMSG_NONE first so that a zeroed header is invalid.
 * The IMSG_CTL_* block is append-only: ctsyncctl may be older or newer
 * than the daemon.
 */
enum imsg_type {
	IMSG_NONE = 0,
	/* ctl <-> monitor */
	IMSG_CTL_REQUEST = 1,	/* struct ctl_request */
	IMSG_CTL_RESULT,	/* struct ctl_result: ends a reply */
	IMSG_CTL_RUNTIME,	/* struct ctl_runtime */
	IMSG_CTL_PROCESS,	/* struct ctl_process, one per process */
	IMSG_CTL_STATUS,	/* struct ctl_status */
	IMSG_CTL_CT_DUMP,	/* ct_batch_hdr + ct_dump_item[] */
	IMSG_CTL_EXP_DUMP,	/* ct_batch_hdr + exp_dump_item[] */
	IMSG_CTL_SYNC_STATS,	/* struct sync_stats */
	IMSG_CTL_LAST_,		/* end of the append-only ctl block */

	/* monitor -> children: configuration */
	IMSG_RECONF_GENERAL = 100,	/* struct conf_general */
	IMSG_RECONF_SYNC,		/* struct conf_sync */
	IMSG_RECONF_STATS,		/* struct conf_stats */
	IMSG_RECONF_FILTER,		/* struct conf_filter */
	IMSG_RECONF_FILTER_ADDR,	/* struct conf_filter_addr */
	IMSG_RECONF_HELPER,		/* struct conf_helpers */
	IMSG_RECONF_PRIV,		/* struct priv_ids */
	IMSG_RECONF_DONE,		/* empty */

	/* children -> monitor */
	IMSG_LOG = 200,			/* struct log_hdr + NUL-terminated text */
	IMSG_CHILD_READY,		/* empty: privileges dropped */

	/* monitor <-> children: control relays (peerid = ctl client id) */
	IMSG_KERNEL_STATS_REQ = 300,	/* empty */
	IMSG_KERNEL_STATS,		/* struct kernel_stats */
	IMSG_SYNC_STATUS_REQ,		/* empty */
	IMSG_SYNC_STATUS,		/* struct sync_status */
	IMSG_SHUTDOWN,			/* empty: exit cleanly */
	IMSG_SYNC_OP_REQ,		/* struct ctl_request */
	IMSG_KERNEL_OP_REQ,		/* struct ctl_request */
	IMSG_CHILD_RESULT,		/* struct ctl_result: ends a reply */
	IMSG_SYNC_DUMP_MORE,		/* empty: client drained, go on */
	IMSG_SYNC_LINK,			/* struct sync_link + one socket fd */
	IMSG_SYNC_LINK_STATE,		/* struct sync_link_state */

	/* sync <-> kernel */
	IMSG_KERNEL_CT_EVENTS = 500,	/* ct_batch_hdr + ct_item[] */
	IMSG_KERNEL_EXP_EVENTS,		/* ct_batch_hdr + exp_item[] */
	IMSG_KERNEL_DUMP_REQ,		/* struct kernel_dump_req */
	IMSG_KERNEL_DUMP_END,		/* struct kernel_dump_end */
	IMSG_KERNEL_COMMIT_CT,		/* ct_batch_hdr + ct_item[] */
	IMSG_KERNEL_COMMIT_EXP,		/* ct_batch_hdr + exp_item[] */
	IMSG_KERNEL_COMMIT_ACK,		/* struct kernel_commit_ack */
	IMSG_KERNEL_FLUSHED,		/* struct kernel_dump_req: -F done */
	IMSG_KERNEL_OVERRUN,		/* empty: event socket overran */
	IMSG_KERNEL_INJECT_CT,		/* ct_batch_hdr + ct_item[] */
	IMSG_KERNEL_INJECT_EXP,		/* ct_batch_hdr + exp_item[] */
	IMSG_KERNEL_COMMIT_BEGIN,	/* empty: a commit starts */

	/* any direction: flow control */
	IMSG_XOFF = 400,
	IMSG_XON,
};

/* ---- control protocol ---- */

#define CTL_PROTO_VERSION	1

enum ctl_op {
	CTL_OP_NONE = 0,
	CTL_OP_COMMIT,		/* -c */
	CTL_OP_FLUSH_CACHE,	/* -f */
	CTL_OP_FLUSH_KERNEL,	/* -F */
	CTL_OP_DUMP_INTERNAL,	/* -i */
	CTL_OP_DUMP_EXTERNAL,	/* -e */
	CTL_OP_KILL,		/* -k */
	CTL_OP_STATS,		/* -s */
	CTL_OP_RESYNC_KERNEL,	/* -R */
	CTL_OP_BULK_SEND,	/* -B */
	CTL_OP_REQUEST_RESYNC,	/* -n */
	CTL_OP_RESET_TIMERS,	/* -t */
	CTL_OP_STATUS,		/* show status */
	CTL_OP_MAX_
};

/* table selector for commit/flush/dump/resync */
enum ctl_table {
	CTL_TABLE_ALL = 0,
	CTL_TABLE_CT,
	CTL_TABLE_EXPECT,
	CTL_TABLE_INTERNAL,	/* -f internal */
	CTL_TABLE_EXTERNAL,	/* -f external */
	CTL_TABLE_MAX_
};

/* statistics sections for CTL_OP_STATS */
enum ctl_stats {
	CTL_STATS_SUMMARY = 0,	/* -s, -s ct */
	CTL_STATS_NETWORK,
	CTL_STATS_CACHE,
	CTL_STATS_RUNTIME,
	CTL_STATS_LINK,
	CTL_STATS_RSQUEUE,
	CTL_STATS_QUEUE,
	CTL_STATS_PROCESS,
	CTL_STATS_EXPECT,
	CTL_STATS_MAX_
};

#define CTL_FLAG_XML		0x01
#define CTL_FLAG_JSON		0x02

struct ctl_request {
	uint32_t	version;	/* CTL_PROTO_VERSION */
	uint32_t	op;		/* enum ctl_op */
	uint32_t	arg;		/* enum ctl_table or enum ctl_stats */
	uint32_t	flags;		/* CTL_FLAG_* */
};

enum ctl_res {
	CTL_RES_OK = 0,
	CTL_RES_ERROR,		/* operation failed */
	CTL_RES_DENIED,		/* caller lacks the right */
	CTL_RES_NOTIMPL,	/* not implemented (yet) */
	CTL_RES_VERSION,	/* protocol version mismatch */
	CTL_RES_BADREQ,		/* malformed request */
	CTL_RES_BUSY,		/* too many clients / operation in progress */
};

#define CTL_MSG_MAX		256

struct ctl_result {
	int32_t		status;		/* enum ctl_res */
	uint32_t	version;	/* daemon's CTL_PROTO_VERSION */
	char		msg[CTL_MSG_MAX];	/* NUL-terminated */
};

/* exit codes of ctsyncctl (documented in ctsyncctl(8)) */
#define CTLX_OK			0
#define CTLX_ERROR		1
#define CTLX_USAGE		2
#define CTLX_NOT_RUNNING	3
#define CTLX_DENIED		4
#define CTLX_NOTIMPL		5

/* sync -> kernel dump request; also kernel -> sync after -F */
enum kernel_table {
	KTABLE_CT = 1,
	KTABLE_EXP,
};

enum kernel_dump_reason {
	KDUMP_STARTUP = 1,	/* fill an empty cache */
	KDUMP_RESYNC,		/* -R: merge, nothing vanished is sent */
	KDUMP_OVERRUN,		/* after ENOBUFS: vanished entries are DESTROYs */
	KDUMP_FLUSHED,		/* after -F: vanished entries are ours, silent */
	KDUMP_COMMIT,		/* after -c: reconcile, committed ones silent */
	KDUMP_MAX_
};

struct kernel_dump_req {
	uint32_t	seq;
	uint32_t	table;		/* enum kernel_table */
	uint32_t	reason;		/* enum kernel_dump_reason */
};

struct kernel_dump_end {
	uint32_t	seq;
	uint32_t	table;
	uint32_t	reason;
	int32_t		error;		/* 0 or errno */
	uint64_t	count;		/* entries sent */
};

#define COMMIT_BATCH_MAX	256	/* records per commit imsg */

struct kernel_commit_ack {
	uint32_t	seq;		/* of the batch */
	uint32_t	ok;
	uint32_t	failed;
	uint32_t	pad0;
	uint32_t	failmap[COMMIT_BATCH_MAX / 32];	/* bit i: record i */
};

#define KSTAT_ERRNO_SLOTS	8

struct kernel_stats {
	uint64_t	events_received;
	uint64_t	events_filtered;
	uint64_t	events_unknown;
	uint64_t	catch_event_failed;
	uint64_t	dump_unknown;
	uint64_t	netlink_overrun;
	uint64_t	flush_kernel;
	uint64_t	resync_kernel;
	uint64_t	netlink_bufsize;
	uint64_t	netlink_bufsize_max;
	uint64_t	events_self;		/* caused by our own sockets */
	uint64_t	events_backlogged;	/* read paused: sync was slow */
	uint64_t	dumps;
	uint64_t	dump_entries;
	uint64_t	commit_batches;
	uint64_t	commit_ok;
	uint64_t	commit_failed;
	uint64_t	commit_retried;		/* EEXIST: delete + create */
	uint64_t	timers_reset;
	uint64_t	imsg_refused;		/* failed validation */
	uint64_t	inject_ok;		/* DisableExternalCache */
	uint64_t	inject_failed;
	uint64_t	netlink_grown;		/* buffer grown before overrun */
	int32_t		nl_errno[KSTAT_ERRNO_SLOTS];	/* 0 = free slot */
	uint64_t	nl_errors[KSTAT_ERRNO_SLOTS];
	uint64_t	nl_errors_other;
};

struct ctl_runtime {
	int64_t		uptime;		/* seconds */
	uint64_t	child_failed;
	uint64_t	child_segfault;
	uint64_t	child_termsig;
	uint64_t	poll_failed;
	uint64_t	wait_failed;
	uint64_t	local_read_failed;
	uint64_t	local_unknown_request;
	uint64_t	ctl_denied;
	uint64_t	ctl_timeouts;
	struct kernel_stats kernel;
};

struct ctl_process {
	int32_t		pid;
	char		role[16];	/* monitor, sync, kernel */
};

/* one cache's figures, for -s cache and show status */
struct cache_figures {
	uint64_t	active;
	uint64_t	peak;
	uint64_t	limit;
	uint64_t	added;
	uint64_t	add_failed_full;	/* HashLimit reached */
	uint64_t	add_failed_nomem;
	uint64_t	updated;
	uint64_t	deleted;
	uint64_t	flushed;
	uint64_t	objsize;		/* bytes per record */
	uint64_t	buckets;
};

struct last_commit {
	int64_t		when;		/* uptime seconds, -1 = never */
	uint64_t	committed;
	uint64_t	failed;
	uint64_t	duration_ms;
};

/* the wire side of sync: messages, sequence tracking, queues */
struct sync_net_stats {
	uint64_t	msg_sent;
	uint64_t	msg_recv;
	uint64_t	malformed;		/* all of the below */
	uint64_t	bad_version;
	uint64_t	bad_header;
	uint64_t	bad_payload;
	uint64_t	bad_type;
	uint64_t	truncated;
	uint64_t	bad_size;
	uint64_t	send_malformed;
	uint64_t	lost;			/* sequence gaps, in messages */
	uint64_t	before;			/* old or duplicate numbers */
	uint64_t	retransmitted;
	uint64_t	skipped_resent;		/* FTFW: a peer never saw it */
	uint64_t	acks_sent, acks_recv;
	uint64_t	nacks_sent, nacks_recv;
	uint64_t	resync_sent, resync_recv;
	uint64_t	alive_sent;
	uint64_t	hello_recv;		/* peer (re)starts seen */
	uint64_t	peers_lost;		/* FTFW: silent past the timeout */
	uint64_t	peer_catchups;		/* bulk for a peer back from it */
	uint64_t	hello_resyncs;		/* FTFW: gap near our HELLO */
	uint64_t	peers_refused;		/* FTFW: peer table full */
	uint64_t	peers_live;
	uint64_t	bypass;			/* DisableInternalCache set */
	uint64_t	bypass_sent;
	uint64_t	bypass_new, bypass_upd, bypass_del;
	uint64_t	inject_sent;		/* DisableExternalCache */
	uint64_t	bypass_queued;
	uint64_t	bypass_dropped;
	uint64_t	txq_len, txq_max;
	uint64_t	rsq_len, rsq_max;
	uint64_t	rsq_full;		/* sending paused: window full */
	uint64_t	bulk_sends;
	uint64_t	bulk_pending;		/* objects a bulk has yet to queue */
	uint64_t	ext_expired;		/* ALARM: CacheTimeout */
	int64_t		last_recv;		/* uptime s of last valid msg, -1 */
	uint32_t	last_seq;		/* last sequence number received */
	uint32_t	peer_ok;		/* FTFW: handshake done */
};

struct sync_status {
	int32_t		pid;
	uint32_t	mode;		/* enum conf_mode */
	uint32_t	nlinks;		/* configured sync links */
	uint32_t	replicating;	/* 0: replication not running */
	uint32_t	current_link;
	uint32_t	startup_done;	/* first kernel dump merged */
	uint32_t	resync_pending;	/* overrun seen, resync not done */
	uint64_t	overruns;	/* reported by kernel */
	struct cache_figures int_ct, int_exp, ext_ct, ext_exp;
	struct last_commit commit;
	struct sync_net_stats net;
};

#define SYNC_LINK_NAME		16

struct sync_link_figures {
	uint32_t	kind;			/* enum conf_link_kind, 0 = none */
	uint32_t	current;
	uint32_t	server;			/* TCP: accepted connection up */
	uint32_t	client;			/* TCP: our connection up */
	char		ifname[SYNC_LINK_NAME];
	uint32_t	ifflags;
	uint32_t	pad0;
	uint64_t	bytes_sent, bytes_recv;
	uint64_t	pkts_sent, pkts_recv;
	uint64_t	err_send, err_recv;
};

#define SYNC_LINKS_MAX		4

struct sync_stats {
	struct cache_figures int_ct, int_exp, ext_ct, ext_exp;
	struct sync_net_stats net;
	struct sync_link_figures links[SYNC_LINKS_MAX];
	uint64_t	events_new;
	uint64_t	events_update;
	uint64_t	events_destroy;
	uint64_t	events_self;
	uint64_t	dumps;
	uint64_t	purged;		/* vanished at a resync: DESTROY */
	uint64_t	exp_no_master;	/* expectation whose master we lack */
	struct last_commit commit;
};

/*
 * A sync link socket, opened and bound by the monitor as root and
 * passed to sync with the message.  dest is where UDP and multicast
 * datagrams go (TCP: the peer to connect to).  TCP: sync makes its own
 * connections and binds them to local (port 0) unless locallen is 0.
 */
enum sync_link_role {
	SLINK_RECV = 1,		/* datagrams in (UDP, multicast) */
	SLINK_SEND,		/* datagrams out */
	SLINK_LISTEN,		/* TCP: accepts the peer's connection */
	SLINK_CONNECT,		/* TCP: our connection to the peer */
	SLINK_ROLE_MAX_
};

struct sync_link {
	uint32_t	link;		/* index in conf.sync.links */
	uint32_t	role;		/* enum sync_link_role */
	uint32_t	mtu;		/* of the link's interface */
	uint32_t	ifindex;	/* 0 = none */
	uint32_t	destlen;
	uint32_t	ifflags;	/* IFF_UP, IFF_RUNNING at start-up */
	uint8_t		dest[128];	/* struct sockaddr_storage */
	uint32_t	locallen;	/* TCP: 0 = no local address */
	uint32_t	pad1;
	uint8_t		local[128];	/* struct sockaddr_storage */
};

/* an interface of a sync link changed (rtnetlink, seen by the monitor) */
struct sync_link_state {
	uint32_t	ifindex;
	uint32_t	ifflags;
};

struct ctl_status {
	char		version[16];
	int64_t		uptime;
	int32_t		monitor_pid;
	int32_t		sync_pid;
	int32_t		kernel_pid;
	uint32_t	mode;		/* enum conf_mode */
	uint32_t	nlinks;
	uint32_t	replicating;
	uint32_t	in_sync;	/* node considers itself in sync */
	uint64_t	ctl_denied;
	char		config_file[256];
	struct sync_status sync;
};

/* child -> monitor log line */
struct log_hdr {
	int32_t		priority;	/* LOG_* */
};
#define LOG_LINE_MAX		1024
/* a child's line after escaping (each byte may become \ooo) */
#define LOG_EMIT_MAX		(LOG_LINE_MAX * 4)

#endif
