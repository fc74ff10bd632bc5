/*
 * Common life of the sync and kernel processes: receive the
 * configuration from the monitor, drop privileges, enter the sandbox,
 * then run a poll loop over the monitor and peer channels.
 */
#include <sys/types.h>
#include <sys/prctl.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

enum { CHAN_MONITOR = 0, CHAN_PEER, CHAN_MAX };

#define CHILD_MAX_FDS	16	/* role sockets: netlink, sync links */
#define CHILD_PEER_READS 4	/* peer buffers handled per poll round */

struct child_fd {
	int		 fd;
	short		 events;
	child_fd_cb	 cb;
};

static struct child_fd		 xfd[CHILD_MAX_FDS];
static int			 nxfd;
static int64_t			 timer_at = -1;
static child_timer_cb		 timer_cb;
static child_idle_cb		 idle_cb;

static struct imsgbuf		 chan[CHAN_MAX];
static int			 chan_role[CHAN_MAX];
static int			 my_role;
static volatile sig_atomic_t	 child_quit;

static void
child_sig(int sig)
{
	(void)sig;
	child_quit = 1;
}

static void
child_setup_channel(int c, int fd, int peer_role, uint32_t maxsize)
{
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	if (imsgbuf_init(&chan[c], fd) == -1 ||
	    imsgbuf_set_maxsize(&chan[c], maxsize) == -1)
		fatal("imsgbuf_init");
	chan_role[c] = peer_role;
}

/* Blocking: the configuration arrives before anything else. */
static void
child_recv_config(struct ctsyncd_conf *conf, struct priv_ids *ids)
{
	struct pollfd	pfd;
	struct imsg	imsg;
	int		n, done = 0;

	pfd.fd = chan[CHAN_MONITOR].fd;
	pfd.events = POLLIN;
	while (!done) {
		if ((n = poll(&pfd, 1, 10000)) == -1 && errno == EINTR) {
			if (child_quit)
				exit(0);	/* stopped during start-up */
			continue;
		}
		if (n <= 0)
			fatalx("no configuration from the monitor");
		if ((n = imsgbuf_read(&chan[CHAN_MONITOR])) == -1)
			fatal("read from monitor");
		if (n == 0)
			fatalx("monitor went away during start-up");
		while (!done &&
		    (n = imsgbuf_get(&chan[CHAN_MONITOR], &imsg)) > 0) {
			if (channel_check(my_role, PROC_MONITOR, &imsg) == -1)
				fatalx("unexpected %s during start-up",
				    imsg_type_name(imsg_get_type(&imsg)));
			if (imsg_get_type(&imsg) == IMSG_SYNC_LINK) {
				sync_link_recv(&imsg);
				imsg_free(&imsg);
				continue;
			}
			if ((done = conf_recv(conf, ids, &imsg)) == -1)
				fatalx("malformed %s from monitor",
				    imsg_type_name(imsg_get_type(&imsg)));
			imsg_free(&imsg);
		}
		if (n == -1)
			fatal("bad imsg from monitor");
	}
}

void
child_send_monitor(uint32_t type, uint32_t id, const void *data, size_t len)
{
	if (imsg_compose(&chan[CHAN_MONITOR], type, id, 0, -1, data, len)
	    == -1)
		fatal("%s: compose", __func__);
}

/* End a control reply: the monitor forwards it as IMSG_CTL_RESULT. */
void
child_send_resultv(uint32_t id, int status, const char *fmt, va_list ap)
{
	struct ctl_result	r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.version = CTL_PROTO_VERSION;
	vsnprintf(r.msg, sizeof(r.msg), fmt, ap);
	child_send_monitor(IMSG_CHILD_RESULT, id, &r, sizeof(r));
}

void
child_send_result(uint32_t id, int status, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	child_send_resultv(id, status, fmt, ap);
	va_end(ap);
}

void
child_send_peer(uint32_t type, uint32_t id, const void *data, size_t len)
{
	if (imsg_compose(&chan[CHAN_PEER], type, id, 0, -1, data, len) == -1)
		fatal("%s: compose", __func__);
}

/*
 * Write what is queued for the peer now, as far as the socket takes it,
 * instead of at the next poll: for a first request the peer should
 * start on while we prepare the next ones.
 */
void
child_flush_peer(void)
{
	if (imsgbuf_queuelen(&chan[CHAN_PEER]) > 0 &&
	    imsgbuf_write(&chan[CHAN_PEER]) == -1)
		fatal("write to %s", proc_name(chan_role[CHAN_PEER]));
}

/* Register a role socket; events may be changed later, 0 = not polled. */
void
child_fd_add(int fd, short events, child_fd_cb cb)
{
	if (nxfd >= CHILD_MAX_FDS)
		fatalx("%s: too many descriptors", __func__);
	xfd[nxfd].fd = fd;
	xfd[nxfd].events = events;
	xfd[nxfd].cb = cb;
	nxfd++;
}

/* Forget a role socket the caller is about to close. */
void
child_fd_del(int fd)
{
	int	i;

	for (i = 0; i < nxfd; i++) {
		if (xfd[i].fd != fd)
			continue;
		nxfd--;
		memmove(&xfd[i], &xfd[i + 1], (size_t)(nxfd - i) *
		    sizeof(xfd[0]));
		return;
	}
}

void
child_fd_events(int fd, short events)
{
	int	i;

	for (i = 0; i < nxfd; i++)
		if (xfd[i].fd == fd)
			xfd[i].events = events;
}

/* One timer per role is enough: the role multiplexes its own deadlines. */
void
child_set_timer(int64_t at, child_timer_cb cb)
{
	timer_at = at;
	timer_cb = cb;
}

/* Called after every loop iteration: flush batches, refill queues. */
void
child_set_idle(child_idle_cb cb)
{
	idle_cb = cb;
}

size_t
child_peer_queued(void)
{
	return imsgbuf_queuelen(&chan[CHAN_PEER]);
}

size_t
child_monitor_queued(void)
{
	return imsgbuf_queuelen(&chan[CHAN_MONITOR]);
}

static void
child_dispatch(int c)
{
	struct imsg	imsg;
	int		n;

	while ((n = imsgbuf_get(&chan[c], &imsg)) > 0) {
		/* a misbehaving peer process is fatal, not negotiable */
		if (channel_check(my_role, chan_role[c], &imsg) == -1)
			fatalx("unexpected %s (len %zu) from %s",
			    imsg_type_name(imsg_get_type(&imsg)),
			    imsg_get_len(&imsg), proc_name(chan_role[c]));
		if (imsg_get_type(&imsg) == IMSG_SHUTDOWN)
			child_quit = 1;
		else if (my_role == PROC_SYNC)
			sync_dispatch(&imsg, chan_role[c]);
		else
			kernel_dispatch(&imsg, chan_role[c]);
		imsg_free(&imsg);
	}
	if (n == -1)
		fatal("bad imsg from %s", proc_name(chan_role[c]));
}

/*
 * The peer process went away.  During a shutdown that is expected: wait
 * briefly for the monitor's word (or SIGTERM) before calling it fatal.
 */
static void
child_peer_lost(void)
{
	struct pollfd	pfd;
	int64_t		deadline = monotime_ms() + 1000;

	pfd.fd = chan[CHAN_MONITOR].fd;
	pfd.events = POLLIN;
	while (!child_quit && monotime_ms() < deadline) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (imsgbuf_read(&chan[CHAN_MONITOR]) <= 0)
			break;
		child_dispatch(CHAN_MONITOR);
	}
	if (!child_quit)
		fatalx("lost connection to %s", proc_name(chan_role[CHAN_PEER]));
}

static int
child_poll_timeout(void)
{
	int64_t	now, left;

	if (timer_at < 0)
		return 1000;
	now = monotime_ms();
	left = timer_at - now;
	if (left <= 0)
		return 0;
	return left > 1000 ? 1000 : (int)left;
}

static void
child_run_timer(void)
{
	child_timer_cb	cb = timer_cb;
	int64_t		now = monotime_ms();

	if (timer_at < 0 || now < timer_at || cb == NULL)
		return;
	timer_at = -1;		/* the callback re-arms if it wants */
	cb(now);
}

/* More bytes waiting on the channel, without blocking? */
static int
child_channel_more(int c)
{
	struct pollfd	pfd;

	pfd.fd = chan[c].fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN) != 0;
}

/*
 * Returns 1 when the loop must stop reading (peer lost).  From the peer
 * we read and handle up to CHILD_PEER_READS buffers in one go: what we
 * answer goes out in one write at the next poll.  During a commit that
 * is one ACK write, and one wakeup of an idle sync process, for several
 * batches instead of one each; on a VM such a wakeup (an IPI) was 6 %
 * of the kernel process's time (perf: sock_def_readable).
 */
static int
child_channel_io(int c, short revents)
{
	int	n, reads = 0;

	if (revents & POLLOUT && imsgbuf_write(&chan[c]) == -1)
		fatal("write to %s", proc_name(chan_role[c]));
	if ((revents & (POLLIN | POLLHUP | POLLERR)) == 0)
		return 0;
	do {
		if ((n = imsgbuf_read(&chan[c])) == -1)
			fatal("read from %s", proc_name(chan_role[c]));
		if (n == 0 && c == CHAN_PEER) {
			child_peer_lost();
			return 1;
		}
		if (n == 0)
			fatalx("lost connection to %s",
			    proc_name(chan_role[c]));
		child_dispatch(c);
	} while (c == CHAN_PEER && !child_quit && ++reads < CHILD_PEER_READS &&
	    child_channel_more(c));
	return 0;
}

/*
 * Callbacks add and delete sockets (TCP links come and go), so events
 * are matched to the registrations by descriptor, after the fact: a
 * deleted one is skipped, a reused number gets a hint it must verify.
 */
static void
child_fd_dispatch(int fd, short revents)
{
	int	i;

	for (i = 0; i < nxfd; i++) {
		if (xfd[i].fd == fd && xfd[i].events != 0) {
			xfd[i].cb(fd, revents);
			return;
		}
	}
}

static __dead void
child_loop(void)
{
	struct pollfd	pfd[CHAN_MAX + CHILD_MAX_FDS];
	int		c, i, npfd;

	while (!child_quit) {
		for (c = 0; c < CHAN_MAX; c++) {
			pfd[c].fd = chan[c].fd;
			pfd[c].events = POLLIN;
			if (imsgbuf_queuelen(&chan[c]) > 0)
				pfd[c].events |= POLLOUT;
		}
		npfd = nxfd;
		for (i = 0; i < npfd; i++) {
			pfd[CHAN_MAX + i].fd = xfd[i].events ? xfd[i].fd : -1;
			pfd[CHAN_MAX + i].events = xfd[i].events;
			pfd[CHAN_MAX + i].revents = 0;
		}
		if (poll(pfd, CHAN_MAX + npfd, child_poll_timeout()) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		for (c = 0; c < CHAN_MAX; c++)
			if (child_channel_io(c, pfd[c].revents))
				break;
		for (i = 0; i < npfd && !child_quit; i++)
			if (pfd[CHAN_MAX + i].revents)
				child_fd_dispatch(pfd[CHAN_MAX + i].fd,
				    pfd[CHAN_MAX + i].revents);
		child_run_timer();
		if (idle_cb != NULL && !child_quit)
			idle_cb();
	}
	log_debug("exiting");
	(void)imsgbuf_flush(&chan[CHAN_MONITOR]);
	exit(0);
}

__dead void
child_main(int role, int debug, int verbose)
{
	struct ctsyncd_conf	*conf;
	struct priv_ids		 ids;
	struct sigaction	 sa;
	int			 peer = role == PROC_SYNC ? PROC_KERNEL : PROC_SYNC;

	my_role = role;
	log_init(0, -1);
	log_setverbose(verbose);
	log_procinit(proc_name(role));
	setproctitle("%s", proc_name(role));
	(void)prctl(PR_SET_NAME, role == PROC_SYNC ? "ctsyncd-sync" :
	    "ctsyncd-kernel", 0, 0, 0);
	child_setup_channel(CHAN_MONITOR, PROC_FD_MONITOR, PROC_MONITOR,
	    MAX_IMSGSIZE_MONITOR);
	/* sync receives its link sockets from the monitor */
	if (role == PROC_SYNC)
		imsgbuf_allow_fdpass(&chan[CHAN_MONITOR]);
	child_setup_channel(CHAN_PEER, PROC_FD_PEER, peer,
	    MAX_IMSGSIZE_SYNC_KERNEL);
	log_set_forward(&chan[CHAN_MONITOR]);
	if (!debug) {
		/* the monitor is our only voice */
		int fd = open("/dev/null", O_RDWR);
		if (fd != -1) {
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			if (fd > STDERR_FILENO)
				close(fd);
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = child_sig;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);

	if ((conf = conf_new()) == NULL)
		fatal("conf_new");
	memset(&ids, 0, sizeof(ids));
	child_recv_config(conf, &ids);
	if (role == PROC_SYNC)
		sync_init(conf);
	else
		kernel_init(conf);

	privdrop(role, &ids, conf->general.chroot);
	sandbox_enter(role, PROC_FD_REPORT);
	child_send_monitor(IMSG_CHILD_READY, 0, NULL, 0);
	testhook_after_sandbox(role);
	if (role == PROC_SYNC)
		sync_start();
	else
		kernel_start();
	child_loop();
}
