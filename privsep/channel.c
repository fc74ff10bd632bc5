/*
 * The direction table: which process may send which message type, and
 * how long it may be.  Checked before any dispatch, so a compromised
 * sync process cannot send the kernel process anything it does not
 * expect.
 */
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ctentry.h"
#include "ctsyncd.h"
#include "imsg.h"
#include "privsep.h"

#define FROM(r)		(1U << (r))
#define VAR		UINT32_MAX	/* variable length, bounded by channel */

struct channel_rule {
	uint32_t	 type;
	const char	*name;
	uint32_t	 from;		/* mask of allowed senders */
	uint32_t	 to;		/* mask of allowed receivers */
	uint32_t	 minlen;
	uint32_t	 maxlen;	/* VAR: up to the channel maximum */
};

static const struct channel_rule channel_rules[] = {
	{ IMSG_RECONF_GENERAL, "RECONF_GENERAL", FROM(PROC_MONITOR),
	    FROM(PROC_SYNC) | FROM(PROC_KERNEL),
	    sizeof(struct conf_general), sizeof(struct conf_general) },
	{ IMSG_RECONF_SYNC, "RECONF_SYNC", FROM(PROC_MONITOR),
	    FROM(PROC_SYNC) | FROM(PROC_KERNEL),
	    sizeof(struct conf_sync), sizeof(struct conf_sync) },
	{ IMSG_RECONF_STATS, "RECONF_STATS", FROM(PROC_MONITOR),
	    FROM(PROC_SYNC) | FROM(PROC_KERNEL),
	    sizeof(struct conf_stats), sizeof(struct conf_stats) },
	{ IMSG_RECONF_FILTER, "RECONF_FILTER", FROM(PROC_MONITOR),
	    FROM(PROC_SYNC) | FROM(PROC_KERNEL),
	    sizeof(struct conf_filter), sizeof(struct conf_filter) },
	{ IMSG_RECONF_FILTER_ADDR, "RECONF_FILTER_ADDR", FROM(PROC_MONITOR),
	    FROM(PROC_SYNC) | FROM(PROC_KERNEL),
	    sizeof(struct conf_filter_addr), VAR },
	{ IMSG_RECONF_HELPER, "RECONF_HELPER", FROM(PROC_MONITOR),
	    FROM(PROC_SYNC) | FROM(PROC_KERNEL),
	    sizeof(struct conf_helpers), sizeof(struct conf_helpers) },
	{ IMSG_RECONF_PRIV, "RECONF_PRIV", FROM(PROC_MONITOR),
	    FROM(PROC_SYNC) | FROM(PROC_KERNEL),
	    sizeof(struct priv_ids), sizeof(struct priv_ids) },
	{ IMSG_RECONF_DONE, "RECONF_DONE", FROM(PROC_MONITOR),
	    FROM(PROC_SYNC) | FROM(PROC_KERNEL), 0, 0 },
	{ IMSG_LOG, "LOG", FROM(PROC_SYNC) | FROM(PROC_KERNEL),
	    FROM(PROC_MONITOR), sizeof(struct log_hdr) + 1,
	    sizeof(struct log_hdr) + LOG_LINE_MAX },
	{ IMSG_CHILD_READY, "CHILD_READY", FROM(PROC_SYNC) | FROM(PROC_KERNEL),
	    FROM(PROC_MONITOR), 0, 0 },
	{ IMSG_KERNEL_STATS_REQ, "KERNEL_STATS_REQ", FROM(PROC_MONITOR),
	    FROM(PROC_KERNEL), 0, 0 },
	{ IMSG_KERNEL_STATS, "KERNEL_STATS", FROM(PROC_KERNEL),
	    FROM(PROC_MONITOR),
	    sizeof(struct kernel_stats), sizeof(struct kernel_stats) },
	{ IMSG_SYNC_STATUS_REQ, "SYNC_STATUS_REQ", FROM(PROC_MONITOR),
	    FROM(PROC_SYNC), 0, 0 },
	{ IMSG_SYNC_STATUS, "SYNC_STATUS", FROM(PROC_SYNC), FROM(PROC_MONITOR),
	    sizeof(struct sync_status), sizeof(struct sync_status) },
	{ IMSG_SHUTDOWN, "SHUTDOWN", FROM(PROC_MONITOR),
	    FROM(PROC_SYNC) | FROM(PROC_KERNEL), 0, 0 },
	{ IMSG_SYNC_OP_REQ, "SYNC_OP_REQ", FROM(PROC_MONITOR), FROM(PROC_SYNC),
	    sizeof(struct ctl_request), sizeof(struct ctl_request) },
	{ IMSG_KERNEL_OP_REQ, "KERNEL_OP_REQ", FROM(PROC_MONITOR),
	    FROM(PROC_KERNEL),
	    sizeof(struct ctl_request), sizeof(struct ctl_request) },
	{ IMSG_CHILD_RESULT, "CHILD_RESULT", FROM(PROC_SYNC) | FROM(PROC_KERNEL),
	    FROM(PROC_MONITOR),
	    sizeof(struct ctl_result), sizeof(struct ctl_result) },
	{ IMSG_SYNC_DUMP_MORE, "SYNC_DUMP_MORE", FROM(PROC_MONITOR),
	    FROM(PROC_SYNC), 0, 0 },
	{ IMSG_SYNC_LINK, "SYNC_LINK", FROM(PROC_MONITOR), FROM(PROC_SYNC),
	    sizeof(struct sync_link), sizeof(struct sync_link) },
	{ IMSG_SYNC_LINK_STATE, "SYNC_LINK_STATE", FROM(PROC_MONITOR),
	    FROM(PROC_SYNC), sizeof(struct sync_link_state),
	    sizeof(struct sync_link_state) },
	{ IMSG_CTL_CT_DUMP, "CTL_CT_DUMP", FROM(PROC_SYNC), FROM(PROC_MONITOR),
	    sizeof(struct ct_batch_hdr) + sizeof(struct ct_dump_item), VAR },
	{ IMSG_CTL_EXP_DUMP, "CTL_EXP_DUMP", FROM(PROC_SYNC),
	    FROM(PROC_MONITOR),
	    sizeof(struct ct_batch_hdr) + sizeof(struct exp_dump_item), VAR },
	{ IMSG_CTL_SYNC_STATS, "CTL_SYNC_STATS", FROM(PROC_SYNC),
	    FROM(PROC_MONITOR),
	    sizeof(struct sync_stats), sizeof(struct sync_stats) },
	{ IMSG_KERNEL_CT_EVENTS, "KERNEL_CT_EVENTS", FROM(PROC_KERNEL),
	    FROM(PROC_SYNC),
	    sizeof(struct ct_batch_hdr) + sizeof(struct ct_item), VAR },
	{ IMSG_KERNEL_EXP_EVENTS, "KERNEL_EXP_EVENTS", FROM(PROC_KERNEL),
	    FROM(PROC_SYNC),
	    sizeof(struct ct_batch_hdr) + sizeof(struct exp_item), VAR },
	{ IMSG_KERNEL_DUMP_REQ, "KERNEL_DUMP_REQ", FROM(PROC_SYNC),
	    FROM(PROC_KERNEL), sizeof(struct kernel_dump_req),
	    sizeof(struct kernel_dump_req) },
	{ IMSG_KERNEL_DUMP_END, "KERNEL_DUMP_END", FROM(PROC_KERNEL),
	    FROM(PROC_SYNC), sizeof(struct kernel_dump_end),
	    sizeof(struct kernel_dump_end) },
	/* counts are the kernel process's to check, record by record */
	{ IMSG_KERNEL_COMMIT_CT, "KERNEL_COMMIT_CT", FROM(PROC_SYNC),
	    FROM(PROC_KERNEL), sizeof(struct ct_batch_hdr), VAR },
	{ IMSG_KERNEL_COMMIT_EXP, "KERNEL_COMMIT_EXP", FROM(PROC_SYNC),
	    FROM(PROC_KERNEL), sizeof(struct ct_batch_hdr), VAR },
	{ IMSG_KERNEL_COMMIT_ACK, "KERNEL_COMMIT_ACK", FROM(PROC_KERNEL),
	    FROM(PROC_SYNC), sizeof(struct kernel_commit_ack),
	    sizeof(struct kernel_commit_ack) },
	{ IMSG_KERNEL_FLUSHED, "KERNEL_FLUSHED", FROM(PROC_KERNEL),
	    FROM(PROC_SYNC), sizeof(struct kernel_dump_req),
	    sizeof(struct kernel_dump_req) },
	{ IMSG_KERNEL_OVERRUN, "KERNEL_OVERRUN", FROM(PROC_KERNEL),
	    FROM(PROC_SYNC), 0, 0 },
	{ IMSG_KERNEL_INJECT_CT, "KERNEL_INJECT_CT", FROM(PROC_SYNC),
	    FROM(PROC_KERNEL), sizeof(struct ct_batch_hdr), VAR },
	{ IMSG_KERNEL_INJECT_EXP, "KERNEL_INJECT_EXP", FROM(PROC_SYNC),
	    FROM(PROC_KERNEL), sizeof(struct ct_batch_hdr), VAR },
	{ IMSG_KERNEL_COMMIT_BEGIN, "KERNEL_COMMIT_BEGIN", FROM(PROC_SYNC),
	    FROM(PROC_KERNEL), 0, 0 },
	{ IMSG_XOFF, "XOFF", FROM(PROC_SYNC) | FROM(PROC_KERNEL),
	    FROM(PROC_SYNC) | FROM(PROC_KERNEL), 0, 0 },
	{ IMSG_XON, "XON", FROM(PROC_SYNC) | FROM(PROC_KERNEL),
	    FROM(PROC_SYNC) | FROM(PROC_KERNEL), 0, 0 },
};

#define NRULES	(sizeof(channel_rules) / sizeof(channel_rules[0]))

static const struct channel_rule *
channel_rule(uint32_t type)
{
	size_t	i;

	for (i = 0; i < NRULES; i++)
		if (channel_rules[i].type == type)
			return &channel_rules[i];
	return NULL;
}

const char *
imsg_type_name(uint32_t type)
{
	const struct channel_rule *r;

	switch (type) {
	case IMSG_CTL_REQUEST:
		return "CTL_REQUEST";
	case IMSG_CTL_RESULT:
		return "CTL_RESULT";
	case IMSG_CTL_RUNTIME:
		return "CTL_RUNTIME";
	case IMSG_CTL_PROCESS:
		return "CTL_PROCESS";
	case IMSG_CTL_STATUS:
		return "CTL_STATUS";
	}
	if ((r = channel_rule(type)) == NULL)
		return "unknown";
	return r->name;
}

/*
 * 0 if `self' may receive imsg from `sender', -1 otherwise.  Also checks
 * the payload length bounds; exact-length decoding follows in dispatch.
 */
int
channel_check(int self, int sender, const struct imsg *imsg)
{
	const struct channel_rule	*r;
	size_t				 len = imsg_get_len(imsg);

	if (self < 0 || self >= PROC_MAX || sender < 0 || sender >= PROC_MAX)
		return -1;
	if ((r = channel_rule(imsg_get_type(imsg))) == NULL)
		return -1;
	if ((r->from & FROM(sender)) == 0 || (r->to & FROM(self)) == 0)
		return -1;
	if (len < r->minlen || (r->maxlen != VAR && len > r->maxlen))
		return -1;
	return 0;
}
