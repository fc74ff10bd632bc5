/*
 * Table dumps of the kernel process.  One dump runs at a time on its own
 * non-blocking socket, read in bounded rounds from the poll loop so
 * events keep flowing while a million entries are walked.  A dump either
 * feeds sync (startup, -R, resyncs) or drives a change (-t, filtered -F).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ctentry.h"
#include "ctmnl.h"
#include "daemon.h"
#include "kcheck.h"
#include "kernel.h"
#include "kfilter.h"
#include "log.h"

#define KDUMP_QUEUE	8

struct kdump_job {
	uint32_t	seq;
	uint32_t	table;		/* enum kernel_table */
	uint32_t	reason;		/* enum kernel_dump_reason */
	int		action;		/* enum kdump_action */
	uint64_t	count;
};

static struct kdump_job	 jobs[KDUMP_QUEUE];
static int		 njobs;		/* jobs[0] runs when active */
static int		 running;
static struct kbatch	 dump_ct, dump_exp;
static char		 dbuf[65536];

void
kdump_init(void)
{
	kbatch_init(&dump_ct, IMSG_KERNEL_CT_EVENTS, sizeof(struct ct_item));
	kbatch_init(&dump_exp, IMSG_KERNEL_EXP_EVENTS,
	    sizeof(struct exp_item));
}

int
kdump_active(void)
{
	return running;
}

static void	kdump_finish(int);

static void
kdump_next(void)
{
	struct kdump_job	*j = &jobs[0];
	uint16_t		 type;

	if (running || njobs == 0)
		return;
	if (j->table == KTABLE_CT)
		type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	else
		type = (NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_EXP_GET;
	if (ctnl_dump_start(&kdump, type) == -1) {
		log_warn("starting a kernel table dump");
		running = 1;	/* finish it as failed, in order */
		kdump_finish(errno ? errno : EIO);
		return;
	}
	running = 1;
	kstats.dumps++;
	if (!kernel_events_paused())
		child_fd_events(kdump.fd, POLLIN);
}

static int
kdump_enqueue(uint32_t seq, uint32_t table, uint32_t reason, int action)
{
	if (njobs >= KDUMP_QUEUE)
		return -1;
	jobs[njobs].seq = seq;
	jobs[njobs].table = table;
	jobs[njobs].reason = reason;
	jobs[njobs].action = action;
	jobs[njobs].count = 0;
	njobs++;
	kdump_next();
	return 0;
}

/* A dump on behalf of a control operation (kwrite.c). */
int
kdump_start_op(uint32_t table, int action, uint32_t seq)
{
	return kdump_enqueue(seq, table, 0, action);
}

/* IMSG_KERNEL_DUMP_REQ from sync; NULL or why it was refused. */
const char *
kdump_request(struct imsg *imsg)
{
	struct kernel_dump_req	 req;
	const char		*why;

	if ((why = kcheck_dump_req(imsg->data, imsg_get_len(imsg),
	    &kconf->sync, &req)) != NULL)
		return why;
	if (kdump_enqueue(req.seq, req.table, req.reason, KDUMP_TO_SYNC) == -1)
		return "too many dump requests queued";
	return NULL;
}

static void
kdump_to_sync(const struct nlmsghdr *nlh, struct kdump_job *j)
{
	struct ct_item	*ci;
	struct exp_item	*ei;

	if (j->table == KTABLE_CT) {
		ci = kbatch_slot(&dump_ct, j->seq);
		if (ctmnl_parse_ct(nlh, &ci->ct) == -1 ||
		    !kfilter_ct_pass(&ci->ct)) {
			kbatch_drop_last(&dump_ct);
			return;
		}
		ci->kind = CT_KIND_DUMP;
	} else {
		ei = kbatch_slot(&dump_exp, j->seq);
		if (ctmnl_parse_exp(nlh, &ei->exp) == -1 ||
		    !kfilter_exp_pass(&ei->exp)) {
			kbatch_drop_last(&dump_exp);
			return;
		}
		ei->kind = CT_KIND_DUMP;
	}
	j->count++;
	kstats.dump_entries++;
}

static void
kdump_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct kdump_job	*j = arg;

	if (j->action == KDUMP_TO_SYNC)
		kdump_to_sync(nlh, j);
	else
		kop_dump_record(nlh, j->table, j->action);
}

static void
kdump_finish(int error)
{
	struct kdump_job	j = jobs[0];
	struct kernel_dump_end	end;

	kbatch_flush(&dump_ct);
	kbatch_flush(&dump_exp);
	running = 0;
	njobs--;
	memmove(&jobs[0], &jobs[1], njobs * sizeof(jobs[0]));
	child_fd_events(kdump.fd, 0);
	if (error != 0)
		kernel_count_errno(error);
	if (j.action == KDUMP_TO_SYNC) {
		memset(&end, 0, sizeof(end));
		end.seq = j.seq;
		end.table = j.table;
		end.reason = j.reason;
		end.error = error;
		end.count = j.count;
		child_send_peer(IMSG_KERNEL_DUMP_END, 0, &end, sizeof(end));
	} else
		kop_dump_done(j.action, error);
	kdump_next();
}

void
kdump_ready(int fd, short revents)
{
	int	n, done = 0;

	(void)fd;
	(void)revents;
	if (!running)
		return;
	n = ctnl_read(&kdump, dbuf, sizeof(dbuf), kdump_msg, &jobs[0], &done);
	if (n == -1) {
		log_warn("kernel table dump");
		kdump_finish(errno);
		return;
	}
	if (done)
		kdump_finish(0);
	else {
		kbatch_flush(&dump_ct);
		kbatch_flush(&dump_exp);
	}
}
