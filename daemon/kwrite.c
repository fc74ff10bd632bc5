/*
 * Everything that changes the kernel tables: commit batches from sync,
 * the kernel flush (-F) and the timer reset (-t).  Requests are written
 * as netlink batches (many messages per sendmsg, an ACK for the last and
 * an error for each failed one), and the events they cause are drained
 * after every batch so they never pile up in the event socket.  A commit
 * causes none we hear: see kernel_commit_quiet().
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ctentry.h"
#include "ctmnl.h"
#include "daemon.h"
#include "kcheck.h"
#include "kernel.h"
#include "kfilter.h"
#include "log.h"

#define KW_MSG_MAX	CTMNL_MSG_MAX	/* one ctnetlink request */
#define KW_BATCH_MAX	COMMIT_BATCH_MAX	/* messages per sendmsg */
#define KW_BUF_SIZE	(KW_MSG_MAX * KW_BATCH_MAX)
#define KW_DRAIN_ROUNDS	1024		/* event reads after one batch */

#define CT_TYPE(m)	((NFNL_SUBSYS_CTNETLINK << 8) | (m))
#define EXP_TYPE(m)	((NFNL_SUBSYS_CTNETLINK_EXP << 8) | (m))

/* one netlink batch being built */
struct kw_batch {
	char		*buf;
	size_t		 len;
	uint32_t	 first;		/* sequence number of message 0 */
	uint32_t	 n;
	int		 err[KW_BATCH_MAX];	/* per message: 0 or errno */
};

/* commits from sync and dump-driven operations interleave: two batches */
static struct kw_batch	 kwb_commit, kwb_op;
static char		 inbuf[MAX_IMSGSIZE_SYNC_KERNEL];

/* the control operation in progress (-F, -t), one at a time */
static struct {
	int		 active;
	uint32_t	 ctl_id;
	uint32_t	 op;
	uint32_t	 arg;
	uint64_t	 done;
	uint64_t	 failed;
} kop;

static void	kop_batch_done(void);

/* Each batch gets its own range of sequence numbers for its ACKs. */
static void
kw_reset(struct kw_batch *b)
{
	if (b->buf == NULL && (b->buf = malloc(KW_BUF_SIZE)) == NULL)
		fatal("%s", __func__);
	b->len = 0;
	b->n = 0;
	b->first = kcmd.seq + 1;
	kcmd.seq += KW_BATCH_MAX + 1;
}

static struct nlmsghdr *
kw_put(struct kw_batch *b, uint16_t type, uint16_t flags, uint8_t family)
{
	struct nlmsghdr	*nlh;

	nlh = ctnl_put_header(b->buf + b->len, type, flags | NLM_F_ACK,
	    family, b->first + b->n);
	b->err[b->n] = 0;
	return nlh;
}

static void
kw_done(struct kw_batch *b, struct nlmsghdr *nlh)
{
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	b->n++;
}

static void
kw_ack(uint32_t idx, int err, void *arg)
{
	struct kw_batch	*b = arg;

	if (idx < b->n)
		b->err[idx] = err;
}

/*
 * Send the batch and collect its ACKs, then read the events it caused
 * (they are in the event socket by the time the ACKs are) and pass them
 * on, so sync sees them before it hears that the batch is done.
 */
static int
kw_send(struct kw_batch *b)
{
	uint32_t	i;
	int		rc = 0, err;

	if (b->n == 0)
		return 0;
	if (ctnl_transact(&kcmd, b->buf, b->len, b->first, b->n, kw_ack,
	    b) == -1) {
		err = errno ? errno : EIO;
		log_warn("netlink batch of %u requests", b->n);
		kernel_count_errno(err);
		for (i = 0; i < b->n; i++)
			if (b->err[i] == 0)
				b->err[i] = err;
		rc = -1;
	}
	kernel_drain_events(KW_DRAIN_ROUNDS);
	return rc;
}

/* ---- building requests ---- */

/*
 * What conntrackd does to a cached entry before creating it: the reply
 * tuple is the inverse of the original plus NAT (the kernel mangles it),
 * IPS_EXPECTED is the kernel's to set, and without TCPWindowTracking the
 * new entry must accept any window ("be liberal").  A new entry must
 * say IPS_CONFIRMED or the kernel answers EBUSY.
 */
static void
kw_add_ct(struct kw_batch *b, const struct ct_entry *e, int del)
{
	struct nlmsghdr	*nlh;
	uint32_t	 status;

	if (del) {
		/* the original tuple and zone find it */
		nlh = kw_put(b, CT_TYPE(IPCTNL_MSG_CT_DELETE), 0, e->orig.l3);
		ctmnl_put_ct_key(nlh, e);
	} else {
		/* the kernel refuses a status that changes these bits (EBUSY) */
		status = (e->status & ~IPS_EXPECTED) | IPS_CONFIRMED;
		nlh = kw_put(b, CT_TYPE(IPCTNL_MSG_CT_NEW),
		    NLM_F_CREATE | NLM_F_EXCL, e->orig.l3);
		ctmnl_put_ct_new(nlh, e, status,
		    !kconf->sync.tcp_window_tracking);
	}
	kw_done(b, nlh);
}

static void
kw_add_exp(struct kw_batch *b, const struct exp_entry *e, int del)
{
	struct nlmsghdr	*nlh;

	if (del)
		nlh = kw_put(b, EXP_TYPE(IPCTNL_MSG_EXP_DELETE), 0, e->tuple.l3);
	else
		nlh = kw_put(b, EXP_TYPE(IPCTNL_MSG_EXP_NEW),
		    NLM_F_CREATE | NLM_F_EXCL, e->tuple.l3);
	ctmnl_put_exp(nlh, e);
	kw_done(b, nlh);
}

/* ---- commit ---- */

/* kw_write() keeps one result per record of a batch kcheck accepts */
_Static_assert(KCHECK_BATCH_MAX <= KW_BATCH_MAX,
    "kcheck accepts batches larger than kw_write() can hold");

/*
 * Copy a batch from sync where kw_write() reads it, and check it whole
 * (kcheck.c) before a single byte reaches netlink.  One that does not
 * fit is checked as empty: refused the way a short one is.
 */
static const char *
kw_check(struct imsg *imsg, uint32_t type, struct ct_batch_hdr *h)
{
	size_t	len = imsg_get_len(imsg);

	if (len > sizeof(inbuf) || imsg_get_data(imsg, inbuf, len) == -1)
		len = 0;
	return kcheck_batch(type, inbuf, len, &kconf->sync, h);
}

static void
kw_commit_ack(uint32_t seq, uint32_t ok, uint32_t failed,
    const uint32_t *failmap)
{
	struct kernel_commit_ack	a;

	memset(&a, 0, sizeof(a));
	a.seq = seq;
	a.ok = ok;
	a.failed = failed;
	if (failmap != NULL)
		memcpy(a.failmap, failmap, sizeof(a.failmap));
	else if (failed > 0)	/* refused whole */
		memset(a.failmap, 0xff, sizeof(a.failmap));
	kstats.commit_batches++;
	kstats.commit_ok += ok;
	kstats.commit_failed += failed;
	child_send_peer(IMSG_KERNEL_COMMIT_ACK, 0, &a, sizeof(a));
}

static void
kw_log_failure(const char *what, uint32_t failed, int err)
{
	if (failed == 0)
		return;
	kernel_count_errno(err);
	log_warnx("commit: %u %s could not be created (first error: %s)",
	    failed, what, strerror(err));
}

static void
kw_fail(uint32_t *failmap, uint32_t i)
{
	if (failmap != NULL && i < COMMIT_BATCH_MAX)
		failmap[i / 32] |= 1U << (i % 32);
}

/*
 * Entries that exist already are deleted and created once more, as
 * conntrackd does, in batches of pairs.
 */
static void
kw_recreate(int exp, const char *items, const uint32_t *retry,
    uint32_t nretry, uint32_t *ok, uint32_t *failed, int *first_err,
    uint32_t *failmap)
{
	struct kw_batch	*b = &kwb_commit;
	size_t		 isz = exp ? sizeof(struct exp_item) :
			    sizeof(struct ct_item);
	uint32_t	 n, j;

	for (; nretry > 0; nretry -= n) {
		n = nretry > KW_BATCH_MAX / 2 ? KW_BATCH_MAX / 2 : nretry;
		kw_reset(b);
		for (j = 0; j < n; j++) {
			const char *p = items + retry[nretry - 1 - j] * isz;

			if (exp) {
				kw_add_exp(b, &((const struct exp_item *)p)->exp, 1);
				kw_add_exp(b, &((const struct exp_item *)p)->exp, 0);
			} else {
				kw_add_ct(b, &((const struct ct_item *)p)->ct, 1);
				kw_add_ct(b, &((const struct ct_item *)p)->ct, 0);
			}
		}
		(void)kw_send(b);
		kstats.commit_retried += n;
		for (j = 0; j < n; j++) {
			if (b->err[2 * j + 1] == 0)
				(*ok)++;
			else {
				kw_fail(failmap, retry[nretry - 1 - j]);
				(*failed)++;
				*first_err = *first_err ? *first_err :
				    b->err[2 * j + 1];
			}
		}
	}
}

static void
kw_add_item(struct kw_batch *b, int exp, const char *p, int del)
{
	if (exp)
		kw_add_exp(b, &((const struct exp_item *)p)->exp, del);
	else
		kw_add_ct(b, &((const struct ct_item *)p)->ct, del);
}

/*
 * One batch of records to write: created (commit, and inject's NEW and
 * UPDATE) or deleted (inject's DESTROY, where "already gone" is fine).
 * failmap, when asked for, says which records failed.
 */
static void
kw_write(int exp, uint32_t count, uint32_t *ok, uint32_t *failed,
    int *first_err, uint32_t *failmap)
{
	uint32_t	i, nretry = 0;
	uint32_t	retry[KW_BATCH_MAX];
	size_t		isz = exp ? sizeof(struct exp_item) :
			    sizeof(struct ct_item);
	const char	*items = inbuf + sizeof(struct ct_batch_hdr);
	struct kw_batch	*b = &kwb_commit;
	int		del;

	kw_reset(b);
	for (i = 0; i < count; i++)
		kw_add_item(b, exp, items + i * isz,
		    items[i * isz] == CT_KIND_DESTROY);
	(void)kw_send(b);
	for (i = 0; i < count; i++) {
		del = items[i * isz] == CT_KIND_DESTROY;
		if (!del && b->err[i] == EEXIST)
			retry[nretry++] = i;
		else if (b->err[i] == 0 || (del && b->err[i] == ENOENT))
			(*ok)++;
		else {
			kw_fail(failmap, i);
			(*failed)++;
			*first_err = *first_err ? *first_err : b->err[i];
		}
	}
	kw_recreate(exp, items, retry, nretry, ok, failed, first_err,
	    failmap);
}

static void
kw_commit(int exp, uint32_t seq, uint32_t count)
{
	uint32_t	ok = 0, failed = 0;
	uint32_t	failmap[COMMIT_BATCH_MAX / 32];
	int		first_err = 0;

	memset(failmap, 0, sizeof(failmap));
	kw_write(exp, count, &ok, &failed, &first_err, failmap);
	kw_log_failure(exp ? "expectations" : "entries", failed, first_err);
	kw_commit_ack(seq, ok, failed, failmap);
}

/*
 * A refused batch is still acknowledged, so sync's commit does not wait
 * for it forever: as failed whole when its header could be trusted,
 * as empty when not.
 */
static const char *
kw_commit_msg(struct imsg *imsg, int exp)
{
	struct ct_batch_hdr	 h;
	const char		*why;

	if ((why = kw_check(imsg, exp ? IMSG_KERNEL_COMMIT_EXP :
	    IMSG_KERNEL_COMMIT_CT, &h)) != NULL) {
		kw_commit_ack(h.seq, 0, h.count, NULL);
		return why;
	}
	kw_commit(exp, h.seq, h.count);
	return NULL;
}

const char *
kcommit_ct(struct imsg *imsg)
{
	return kw_commit_msg(imsg, 0);
}

const char *
kcommit_exp(struct imsg *imsg)
{
	return kw_commit_msg(imsg, 1);
}

/* ---- DisableExternalCache: the peers' state, written as it arrives ---- */

/* Refused whole on any bad record, as a commit batch is. */
static const char *
kw_inject_msg(struct imsg *imsg, int exp)
{
	struct ct_batch_hdr	 h;
	const char		*why;
	uint32_t		 ok = 0, failed = 0;
	int			 first_err = 0;

	if ((why = kw_check(imsg, exp ? IMSG_KERNEL_INJECT_EXP :
	    IMSG_KERNEL_INJECT_CT, &h)) != NULL)
		return why;
	kw_write(exp, h.count, &ok, &failed, &first_err, NULL);
	kstats.inject_ok += ok;
	kstats.inject_failed += failed;
	if (failed > 0) {
		kernel_count_errno(first_err);
		log_debug("inject: %u of %u records failed (first error: %s)",
		    failed, h.count, strerror(first_err));
	}
	return NULL;
}

const char *
kinject_ct(struct imsg *imsg)
{
	return kw_inject_msg(imsg, 0);
}

const char *
kinject_exp(struct imsg *imsg)
{
	return kw_inject_msg(imsg, 1);
}

/* ---- control operations: -F and -t ---- */

/* The operation is over: answer the client and take the next one. */
static void
kop_reply(int status, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3)));

static void
kop_reply(int status, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	child_send_resultv(kop.ctl_id, status, fmt, ap);
	va_end(ap);
	kop.active = 0;
}

static void
kop_flushed(uint32_t table)
{
	struct kernel_dump_req	f;

	memset(&f, 0, sizeof(f));
	f.table = table;
	f.reason = KDUMP_FLUSHED;
	child_send_peer(IMSG_KERNEL_FLUSHED, 0, &f, sizeof(f));
}

/* Whole-table flush, one request per table, with the event groups left. */
static int
kop_flush_all(int ct, int exp)
{
	struct nlmsghdr	*nlh;
	int		 rc = 0;
	uint32_t	 i;
	struct kw_batch	*b = &kwb_op;

	kernel_drain_events(KW_DRAIN_ROUNDS);
	/* a million DESTROYs would only overrun us; a dump reconciles */
	if (kernel_events_listen(0) == -1)
		log_warn("leaving the event groups for the flush");
	kw_reset(b);
	if (ct) {
		nlh = kw_put(b, CT_TYPE(IPCTNL_MSG_CT_DELETE), 0, AF_UNSPEC);
		kw_done(b, nlh);
	}
	if (exp) {
		nlh = kw_put(b, EXP_TYPE(IPCTNL_MSG_EXP_DELETE), 0, AF_UNSPEC);
		kw_done(b, nlh);
	}
	if (ctnl_transact(&kcmd, b->buf, b->len, b->first, b->n, kw_ack,
	    b) == -1)
		rc = -1;
	for (i = 0; i < b->n; i++)
		if (b->err[i] != 0) {
			errno = b->err[i];
			rc = -1;
		}
	if (kernel_events_listen(1) == -1)
		fatal("rejoining the event groups after the flush");
	return rc;
}

static void
kop_flush(uint32_t arg)
{
	int	ct = arg != CTL_TABLE_EXPECT;
	int	exp = arg != CTL_TABLE_CT;

	kstats.flush_kernel++;
	if (ct && kfilter_configured()) {
		/* only what the Filter accepts, as conntrackd */
		log_info("flushing kernel conntrack table (filtered)");
		if (exp && kop_flush_all(0, 1) == -1)
			log_warn("flushing kernel expectation table");
		if (kdump_start_op(KTABLE_CT, KDUMP_DELETE, 0) == -1)
			kop_reply(CTL_RES_BUSY, "kernel dump queue full");
		return;
	}
	log_info("flushing kernel %s", ct && exp ? "conntrack and "
	    "expectation tables" : ct ? "conntrack table" :
	    "expectation table");
	if (kop_flush_all(ct, exp) == -1) {
		kernel_count_errno(errno);
		kop_reply(CTL_RES_ERROR, "flushing the kernel table failed: %s",
		    strerror(errno));
	} else
		kop_reply(CTL_RES_OK, "flushed the kernel %s", ct && exp ?
		    "conntrack and expectation tables" : ct ?
		    "conntrack table" : "expectation table");
	if (ct)
		kop_flushed(KTABLE_CT);
	if (exp && kconf->sync.expect_sync)
		kop_flushed(KTABLE_EXP);
}

/* One record of a dump driving -t or a filtered -F. */
void
kop_dump_record(const struct nlmsghdr *nlh, uint32_t table, int action)
{
	struct nlmsghdr	*req;
	struct ct_entry	 e;
	uint32_t	 purge = kconf->sync.purge_timeout;
	struct kw_batch	*b = &kwb_op;

	if (table != KTABLE_CT || ctmnl_parse_ct(nlh, &e) == -1)
		return;
	if (action == KDUMP_DELETE) {
		if (!kfilter_ct_pass(&e))
			return;
		kw_add_ct(b, &e, 1);
	} else {
		if ((e.flags & CTE_F_TIMEOUT) && e.timeout <= purge)
			return;
		/* an update must not touch the status: the kernel says EBUSY */
		req = kw_put(b, CT_TYPE(IPCTNL_MSG_CT_NEW), 0, e.orig.l3);
		ctmnl_put_ct_timeout(req, &e, purge);
		kw_done(b, req);
	}
	if (b->n >= KW_BATCH_MAX)
		kop_batch_done();
}

/* Send what a dump-driven operation has collected so far. */
static void
kop_batch_done(void)
{
	struct kw_batch	*b = &kwb_op;
	uint32_t	 i;

	(void)kw_send(b);
	for (i = 0; i < b->n; i++) {
		if (b->err[i] == 0 || b->err[i] == ENOENT)
			kop.done++;	/* ENOENT: gone meanwhile, fine */
		else {
			kop.failed++;
			kernel_count_errno(b->err[i]);
		}
	}
	kw_reset(b);
}

void
kop_dump_done(int action, int error)
{
	kop_batch_done();
	if (action == KDUMP_DELETE)
		kop_flushed(KTABLE_CT);
	else
		kstats.timers_reset += kop.done;
	if (error != 0) {
		kop_reply(CTL_RES_ERROR, "kernel table dump failed: %s",
		    strerror(error));
		return;
	}
	if (action == KDUMP_DELETE)
		kop_reply(kop.failed ? CTL_RES_ERROR : CTL_RES_OK,
		    "flushed %llu entries from the kernel table, %llu failed",
		    (unsigned long long)kop.done,
		    (unsigned long long)kop.failed);
	else
		kop_reply(kop.failed ? CTL_RES_ERROR : CTL_RES_OK,
		    "shortened the timers of %llu entries to %u s, %llu "
		    "failed", (unsigned long long)kop.done,
		    kconf->sync.purge_timeout,
		    (unsigned long long)kop.failed);
}

/* IMSG_KERNEL_OP_REQ from the monitor (already access-checked there). */
void
kop_request(struct imsg *imsg)
{
	struct ctl_request	req;
	uint32_t		id = imsg_get_id(imsg);

	if (imsg_get_data(imsg, &req, sizeof(req)) == -1 ||
	    req.arg >= CTL_TABLE_MAX_) {
		kstats.imsg_refused++;
		log_warnx("refusing a malformed operation request");
		return;
	}
	if (kop.active) {
		child_send_result(id, CTL_RES_BUSY, "another kernel table "
		    "operation is running");
		return;
	}
	memset(&kop, 0, sizeof(kop));
	kop.active = 1;
	kop.ctl_id = id;
	kop.op = req.op;
	kop.arg = req.arg;
	kw_reset(&kwb_op);
	switch (req.op) {
	case CTL_OP_FLUSH_KERNEL:
		kop_flush(req.arg);
		break;
	case CTL_OP_RESET_TIMERS:
		log_info("shortening kernel conntrack timers to %u s",
		    kconf->sync.purge_timeout);
		if (kdump_start_op(KTABLE_CT, KDUMP_SET_TIMEOUT, 0) == -1)
			kop_reply(CTL_RES_BUSY, "kernel dump queue full");
		break;
	default:
		kop_reply(CTL_RES_BADREQ, "not a kernel table operation");
		break;
	}
}
