/*
 * Thin layer over libmnl for the kernel process: non-blocking ctnetlink
 * sockets, bounded reads of event bursts and dumps, and batched requests
 * (many messages per sendmsg, then one ACK per message).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "ctnl.h"
#include "daemon.h"
#include "log.h"

#define CTNL_ACK_TIMEOUT_MS	10000	/* the kernel answers in microseconds */
#define CTNL_READ_BUDGET	256	/* datagrams per ctnl_read() call */
#define CTNL_SNDBUF		(1024 * 1024)
#define CTNL_MMSG_VLEN		32	/* event datagrams per recvmmsg */
#define CTNL_MMSG_SIZE		16384	/* an event is well under 4 KB */

int
ctnl_open(struct ctnl *c, uint32_t groups, uint32_t rcvbuf)
{
	int	on = 1, sndbuf = CTNL_SNDBUF;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if ((c->nl = mnl_socket_open2(NETLINK_NETFILTER,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) == NULL)
		return -1;
	if (mnl_socket_bind(c->nl, groups, MNL_SOCKET_AUTOPID) == -1) {
		mnl_socket_close(c->nl);
		c->nl = NULL;
		return -1;
	}
	c->fd = mnl_socket_get_fd(c->nl);
	c->portid = mnl_socket_get_portid(c->nl);
	c->seq = (uint32_t)time(NULL);
	/* small ACKs: never copy our request back */
	(void)mnl_socket_setsockopt(c->nl, NETLINK_CAP_ACK, &on, sizeof(on));
	/* a batch is one sendmsg and must fit the send buffer */
	(void)setsockopt(c->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf,
	    sizeof(sndbuf));
	if (rcvbuf != 0 && ctnl_set_rcvbuf(c, rcvbuf) == -1)
		log_warn("netlink receive buffer of %u bytes", rcvbuf);
	return 0;
}

void
ctnl_close(struct ctnl *c)
{
	if (c->nl != NULL)
		mnl_socket_close(c->nl);
	c->nl = NULL;
	c->fd = -1;
}

/* SO_RCVBUFFORCE: we hold CAP_NET_ADMIN, rmem_max does not apply. */
int
ctnl_set_rcvbuf(struct ctnl *c, uint32_t bytes)
{
	int		 v = (int)(bytes > INT32_MAX / 2 ? INT32_MAX / 2 : bytes);
	socklen_t	 len = sizeof(v);

	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) == -1)
		return -1;
	if (getsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0)
		c->rcvbuf = (uint32_t)v / 2;	/* the kernel doubles it */
	return 0;
}

/*
 * How full the receive queue is, in percent of what the kernel lets it
 * hold (both in its own accounting, skb truesize: about 1.3 KB per
 * event); -1 if it cannot tell.
 */
int
ctnl_rcv_fill(struct ctnl *c)
{
	uint32_t	mi[SK_MEMINFO_VARS];
	socklen_t	len = sizeof(mi);

	if (getsockopt(c->fd, SOL_SOCKET, SO_MEMINFO, mi, &len) == -1 ||
	    len < sizeof(mi) || mi[SK_MEMINFO_RCVBUF] == 0)
		return -1;
	return (int)((uint64_t)mi[SK_MEMINFO_RMEM_ALLOC] * 100 /
	    mi[SK_MEMINFO_RCVBUF]);
}

/* Join (on) or leave the multicast groups in the mask (bit n-1 = group n). */
int
ctnl_groups(struct ctnl *c, uint32_t mask, int on)
{
	int	g, opt = on ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP;

	for (g = 1; g <= 32; g++) {
		if ((mask & (1U << (g - 1))) == 0)
			continue;
		if (mnl_socket_setsockopt(c->nl, opt, &g, sizeof(g)) == -1)
			return -1;
	}
	return 0;
}

/*
 * Read what is queued, at most CTNL_READ_BUDGET datagrams, calling cb for
 * every ctnetlink message.  Returns the number of datagrams read, or -1
 * with errno (ENOBUFS: the socket overran, EAGAIN is not an error).
 * *done is set when a dump ends (NLMSG_DONE, or NLMSG_ERROR: errno).
 */
int
ctnl_read(struct ctnl *c, void *buf, size_t len, ctnl_msg_cb cb, void *arg,
    int *done)
{
	const struct nlmsghdr	*nlh;
	const struct nlmsgerr	*err;
	ssize_t			 n;
	int			 count = 0, rem;

	while (count < CTNL_READ_BUDGET && (done == NULL || !*done)) {
		if ((n = mnl_socket_recvfrom(c->nl, buf, len)) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return count;
			return -1;
		}
		count++;
		rem = (int)n;
		for (nlh = buf; mnl_nlmsg_ok(nlh, rem);
		    nlh = mnl_nlmsg_next(nlh, &rem)) {
			if (nlh->nlmsg_type == NLMSG_DONE && done != NULL) {
				*done = 1;
				break;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				err = mnl_nlmsg_get_payload(nlh);
				if (done != NULL)
					*done = 1;
				if (err->error != 0) {
					errno = -err->error;
					return -1;
				}
				continue;
			}
			if (nlh->nlmsg_type == NLMSG_NOOP ||
			    nlh->nlmsg_type == NLMSG_OVERRUN)
				continue;
			cb(nlh, arg);
		}
	}
	return count;
}

static void
ctnl_msgs(const void *buf, int rem, ctnl_msg_cb cb, void *arg)
{
	const struct nlmsghdr	*nlh;

	for (nlh = buf; mnl_nlmsg_ok(nlh, rem);
	    nlh = mnl_nlmsg_next(nlh, &rem)) {
		if (nlh->nlmsg_type == NLMSG_ERROR ||
		    nlh->nlmsg_type == NLMSG_DONE ||
		    nlh->nlmsg_type == NLMSG_NOOP ||
		    nlh->nlmsg_type == NLMSG_OVERRUN)
			continue;
		cb(nlh, arg);
	}
}

/*
 * Events come one datagram each: read up to CTNL_MMSG_VLEN of them per
 * recvmmsg.  Same return values as ctnl_read() without a dump.
 */
int
ctnl_read_many(struct ctnl *c, ctnl_msg_cb cb, void *arg)
{
	static char		 bufs[CTNL_MMSG_VLEN][CTNL_MMSG_SIZE];
	struct mmsghdr		 mm[CTNL_MMSG_VLEN];
	struct iovec		 iov[CTNL_MMSG_VLEN];
	struct sockaddr_nl	 sa[CTNL_MMSG_VLEN];
	int			 i, n, count = 0;

	while (count < CTNL_READ_BUDGET) {
		mmsg_setup(mm, iov, CTNL_MMSG_VLEN, bufs, sizeof(bufs[0]), sa,
		    sizeof(sa[0]));
		n = recvmmsg(c->fd, mm, CTNL_MMSG_VLEN, MSG_DONTWAIT, NULL);
		if (n == -1)
			return (errno == EAGAIN || errno == EINTR) ? count : -1;
		for (i = 0; i < n; i++) {
			count++;
			if (mm[i].msg_hdr.msg_flags & MSG_TRUNC) {
				errno = ENOBUFS;	/* lost: resync */
				return -1;
			}
			if (sa[i].nl_pid != 0)
				continue;
			ctnl_msgs(bufs[i], (int)mm[i].msg_len, cb, arg);
		}
		if (n < CTNL_MMSG_VLEN)
			break;
	}
	return count;
}

/* Start one ctnetlink message in buf; the caller appends attributes. */
struct nlmsghdr *
ctnl_put_header(void *buf, uint16_t type, uint16_t flags, uint8_t family,
    uint32_t seq)
{
	struct nlmsghdr	*nlh;
	struct nfgenmsg	*nfh;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfh = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfh));
	nfh->nfgen_family = family;
	nfh->version = NFNETLINK_V0;
	nfh->res_id = 0;
	return nlh;
}

static int
ctnl_wait(struct ctnl *c, int64_t deadline_ms)
{
	struct pollfd	 pfd;
	struct timespec	 ts;
	int64_t		 now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (now >= deadline_ms)
		return -1;
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	return poll(&pfd, 1, (int)(deadline_ms - now)) > 0 ? 0 : -1;
}

static void
ctnl_acks(const struct nlmsghdr *nlh, int rem, uint32_t first,
    uint32_t count, ctnl_ack_cb cb, void *arg, int *done)
{
	const struct nlmsgerr	*err;

	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		if (nlh->nlmsg_type != NLMSG_ERROR ||
		    nlh->nlmsg_seq - first >= count)
			continue;	/* not an ACK of this batch */
		err = mnl_nlmsg_get_payload(nlh);
		cb(nlh->nlmsg_seq - first, -err->error, arg);
		if (nlh->nlmsg_seq - first == count - 1)
			*done = 1;
	}
}

/*
 * Only the last message asks for an ACK: the kernel answers a failed
 * one anyway and handles a batch in order, so the last ACK comes after
 * every error of the batch.  One ACK per batch instead of one skb and
 * one recvmsg per message.
 */
static void
ctnl_ack_last_only(void *buf, size_t len)
{
	struct nlmsghdr	*nlh = buf;
	int		 rem = (int)len;

	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem))
		if ((size_t)((char *)nlh - (char *)buf) +
		    NLMSG_ALIGN(nlh->nlmsg_len) < len)
			nlh->nlmsg_flags &= ~NLM_F_ACK;
}

/*
 * Send count messages (sequence numbers first .. first+count-1, all with
 * NLM_F_ACK) in one sendmsg and collect the answers: an error for each
 * failed message, the ACK of the last.  -1 when the send fails or the
 * answers stop coming; the callback saw what arrived.
 */
int
ctnl_transact(struct ctnl *c, void *buf, size_t len, uint32_t first,
    uint32_t count, ctnl_ack_cb cb, void *arg)
{
	static char	 rbuf[65536];
	struct timespec	 ts;
	int64_t		 deadline;
	int		 done = 0;
	ssize_t		 n;

	ctnl_ack_last_only(buf, len);
	if (mnl_socket_sendto(c->nl, buf, len) == -1)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
	    CTNL_ACK_TIMEOUT_MS;
	while (!done) {
		n = mnl_socket_recvfrom(c->nl, rbuf, sizeof(rbuf));
		if (n == -1 && errno == EAGAIN) {
			if (ctnl_wait(c, deadline) == -1) {
				errno = ETIMEDOUT;
				return -1;
			}
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		ctnl_acks((const struct nlmsghdr *)rbuf, (int)n, first, count,
		    cb, arg, &done);
	}
	return 0;
}

/* Ask for a table dump (IPCTNL_MSG_CT_GET or IPCTNL_MSG_EXP_GET). */
int
ctnl_dump_start(struct ctnl *c, uint16_t type)
{
	char		 buf[256];
	struct nlmsghdr	*nlh;

	nlh = ctnl_put_header(buf, type, NLM_F_DUMP, AF_UNSPEC, ++c->seq);
	return mnl_socket_sendto(c->nl, nlh, nlh->nlmsg_len) == -1 ? -1 : 0;
}
