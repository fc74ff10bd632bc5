/*
 * Control requests: the first thing the monitor takes from a client of
 * the control socket, who may be any member of the socket's group.  The
 * checks here are what keeps an out-of-range op or argument from
 * indexing a table or reaching a child, which would treat it as fatal.
 */
#include <stddef.h>
#include <stdint.h>

#include "ctsyncd.h"
#include "ctlreq.h"
#include "imsg.h"
#include "privsep.h"

static const char *const op_names[CTL_OP_MAX_] = {
	[CTL_OP_NONE] = "none", [CTL_OP_COMMIT] = "commit",
	[CTL_OP_FLUSH_CACHE] = "flush cache",
	[CTL_OP_FLUSH_KERNEL] = "flush kernel table",
	[CTL_OP_DUMP_INTERNAL] = "dump internal cache",
	[CTL_OP_DUMP_EXTERNAL] = "dump external cache",
	[CTL_OP_KILL] = "kill", [CTL_OP_STATS] = "statistics",
	[CTL_OP_RESYNC_KERNEL] = "resync with kernel",
	[CTL_OP_BULK_SEND] = "bulk send",
	[CTL_OP_REQUEST_RESYNC] = "request resync from peers",
	[CTL_OP_RESET_TIMERS] = "shorten kernel timers",
	[CTL_OP_STATUS] = "status",
};

static const char *const stats_names[CTL_STATS_MAX_] = {
	[CTL_STATS_SUMMARY] = "summary", [CTL_STATS_NETWORK] = "network",
	[CTL_STATS_CACHE] = "cache", [CTL_STATS_RUNTIME] = "runtime",
	[CTL_STATS_LINK] = "link", [CTL_STATS_RSQUEUE] = "rsqueue",
	[CTL_STATS_QUEUE] = "queue", [CTL_STATS_PROCESS] = "process",
	[CTL_STATS_EXPECT] = "expect",
};

int
ctlreq_decode(const struct imsg *imsg, struct ctl_request *req)
{
	if (imsg_get_type(imsg) != IMSG_CTL_REQUEST ||
	    imsg_get_data(imsg, req, sizeof(*req)) == -1)
		return -1;
	return 0;
}

int
ctlreq_check(const struct ctl_request *req)
{
	if (req->version != CTL_PROTO_VERSION)
		return CTL_RES_VERSION;
	if (req->op == CTL_OP_NONE || req->op >= CTL_OP_MAX_ ||
	    (req->flags & ~(CTL_FLAG_XML | CTL_FLAG_JSON)) != 0 ||
	    (req->op == CTL_OP_STATS && req->arg >= CTL_STATS_MAX_) ||
	    (req->op != CTL_OP_STATS && req->arg >= CTL_TABLE_MAX_))
		return CTL_RES_BADREQ;
	return CTL_RES_OK;
}

int
ctlreq_readonly(uint32_t op)
{
	return op == CTL_OP_STATS || op == CTL_OP_STATUS ||
	    op == CTL_OP_DUMP_INTERNAL || op == CTL_OP_DUMP_EXTERNAL;
}

int
ctlreq_owner(const struct ctl_request *req)
{
	switch (req->op) {
	case CTL_OP_COMMIT:
	case CTL_OP_FLUSH_CACHE:
	case CTL_OP_RESYNC_KERNEL:
	case CTL_OP_DUMP_INTERNAL:
	case CTL_OP_DUMP_EXTERNAL:
	case CTL_OP_STATUS:
	case CTL_OP_BULK_SEND:
	case CTL_OP_REQUEST_RESYNC:
		return PROC_SYNC;
	case CTL_OP_FLUSH_KERNEL:
	case CTL_OP_RESET_TIMERS:
		return PROC_KERNEL;
	case CTL_OP_STATS:
		if (req->arg == CTL_STATS_RUNTIME)
			return PROC_KERNEL;
		if (req->arg == CTL_STATS_PROCESS)
			return 0;
		return PROC_SYNC;
	}
	return 0;
}

uint32_t
ctlreq_relay_type(const struct ctl_request *req, int owner)
{
	if (req->op == CTL_OP_STATUS)
		return IMSG_SYNC_STATUS_REQ;
	if (req->op == CTL_OP_STATS && req->arg == CTL_STATS_RUNTIME)
		return IMSG_KERNEL_STATS_REQ;
	return owner == PROC_SYNC ? IMSG_SYNC_OP_REQ : IMSG_KERNEL_OP_REQ;
}

const char *
ctlreq_op_name(uint32_t op)
{
	return op < CTL_OP_MAX_ && op_names[op] != NULL ? op_names[op] :
	    "unknown";
}

const char *
ctlreq_stats_name(uint32_t arg)
{
	return arg < CTL_STATS_MAX_ && stats_names[arg] != NULL ?
	    stats_names[arg] : "unknown";
}
