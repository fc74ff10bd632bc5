/*
 * The control socket.  Every connection is classified by SO_PEERCRED
 * and SO_PEERGROUPS: root and AdminGroup members may do everything,
 * members of the socket group may only read.  Requests are framed
 * imsgs; a client that says nothing or sends garbage is dropped.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctentry.h"
#include "ctlreq.h"
#include "daemon.h"
#include "log.h"

#define CTL_REPLY_TIMEOUT_MS	30000
#define CTL_LONG_OP_TIMEOUT_MS	(15 * 60 * 1000)	/* commit, -t, -F of 1M+ */
#define CTL_DUMP_QUEUE_HIGH	32	/* chunks queued to a slow reader */
#define CTL_MAX_GROUPS		65536
#define CTL_MAX_PER_READER	8	/* keeps slots free for admins */
#define CTL_LOG_BURST		50	/* complaints about clients ... */
#define CTL_LOG_WINDOW_MS	10000	/* ... logged per window */

enum ctl_level {
	CTL_LEVEL_NONE = 0,
	CTL_LEVEL_READ,
	CTL_LEVEL_ADMIN,
};

enum conn_state {
	CONN_WAIT_REQUEST,	/* connected, nothing received yet */
	CONN_WAIT_CHILD,	/* request relayed to a child */
	CONN_CLOSING,		/* reply queued, close once flushed */
};

struct ctl_conn {
	TAILQ_ENTRY(ctl_conn)	 entry;
	struct imsgbuf		 ibuf;
	uint32_t		 id;
	uid_t			 uid;
	pid_t			 pid;
	int			 level;
	int			 state;
	int64_t			 deadline;
	struct ctl_request	 req;
	uint32_t		 owed_more;	/* dump chunks not yet asked */
};

static TAILQ_HEAD(, ctl_conn)	ctl_conns = TAILQ_HEAD_INITIALIZER(ctl_conns);
static int			ctl_listen_fd = -1;
static int			ctl_nconns;
static uint32_t			ctl_next_id = 1;
static gid_t			ctl_sock_gid, ctl_admin_gid;
static int			ctl_has_admin;
static uint64_t			ctl_denied, ctl_timeouts;
static uint64_t			ctl_read_failed, ctl_bad_request;
static int64_t			ctl_log_window;
static uint64_t			ctl_log_count, ctl_log_dropped;

static void	control_close(struct ctl_conn *);

/*
 * Complaints about clients are rate-limited: a flood from several
 * users (or processes: the lines name the pid) is not summarised by
 * the logger's repeat suppression, and must not fill the log.
 */
static void
control_log_window(int64_t now, int last)
{
	if (!last && now - ctl_log_window < CTL_LOG_WINDOW_MS)
		return;
	if (ctl_log_dropped > 0)
		log_warnx("control: %llu more complaints about control "
		    "clients not logged (rate limit %d per %d s)",
		    (unsigned long long)ctl_log_dropped, CTL_LOG_BURST,
		    CTL_LOG_WINDOW_MS / 1000);
	ctl_log_window = now;
	ctl_log_count = ctl_log_dropped = 0;
}

static int
control_may_log(void)
{
	control_log_window(monotime_ms(), 0);
	if (ctl_log_count < CTL_LOG_BURST) {
		ctl_log_count++;
		return 1;
	}
	ctl_log_dropped++;
	return 0;
}

uint64_t
control_denied(void)
{
	return ctl_denied;
}

uint64_t
control_timedout(void)
{
	return ctl_timeouts;
}

uint64_t
control_read_failed(void)
{
	return ctl_read_failed;
}

uint64_t
control_bad_request(void)
{
	return ctl_bad_request;
}

void
control_set_groups(gid_t sockgid, gid_t admingid, int has_admin)
{
	ctl_sock_gid = sockgid;
	ctl_admin_gid = admingid;
	ctl_has_admin = has_admin;
}

/*
 * As root: create the socket, mode 0660 (by umask, no chmod that could
 * follow a link), group sockgid.  A socket file nobody listens on (a
 * killed daemon's) is replaced; anything else at the path is an error.
 */
int
control_init(const char *path, int dirfd, const char *base, gid_t sockgid)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 old;
	int			 fd, probe;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		log_warnx("control socket path too long: %s", path);
		return -1;
	}
	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_warnx("%s exists and is not a socket, not "
			    "replacing it", path);
			return -1;
		}
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe != -1 && connect(probe, (struct sockaddr *)&sun,
		    sizeof(sun)) == 0) {
			log_warnx("control socket %s is in use by another "
			    "daemon", path);
			close(probe);
			return -1;
		}
		if (probe != -1)
			close(probe);
		if (unlinkat(dirfd, base, 0) == -1) {
			log_warn("unlink %s", path);
			return -1;
		}
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		log_warn("control socket");
		return -1;
	}
	old = umask(S_IXUSR | S_IXGRP | S_IRWXO);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warn("bind %s", path);
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	if (fchownat(dirfd, base, 0, sockgid, AT_SYMLINK_NOFOLLOW) == -1) {
		log_warn("chown %s", path);
		unlinkat(dirfd, base, 0);
		close(fd);
		return -1;
	}
	return fd;
}

void
control_listen(int fd)
{
	if (listen(fd, 128) == -1)
		fatal("listen on control socket");
	ctl_listen_fd = fd;
}

void
control_shutdown(void)
{
	struct ctl_conn	*c;

	while ((c = TAILQ_FIRST(&ctl_conns)) != NULL) {
		(void)imsgbuf_write(&c->ibuf);
		control_close(c);
	}
	control_log_window(monotime_ms(), 1);
	if (ctl_listen_fd != -1)
		close(ctl_listen_fd);
	ctl_listen_fd = -1;
}

static struct ctl_conn *
control_by_id(uint32_t id)
{
	struct ctl_conn	*c;

	TAILQ_FOREACH(c, &ctl_conns, entry)
		if (c->id == id)
			return c;
	return NULL;
}

static void
control_close(struct ctl_conn *c)
{
	TAILQ_REMOVE(&ctl_conns, c, entry);
	close(c->ibuf.fd);
	imsgbuf_clear(&c->ibuf);
	free(c);
	ctl_nconns--;
}

static void
control_result(struct ctl_conn *c, int status, const char *msg)
{
	struct ctl_result	res;

	memset(&res, 0, sizeof(res));
	res.status = status;
	res.version = CTL_PROTO_VERSION;
	strlcpy(res.msg, msg, sizeof(res.msg));
	if (imsg_compose(&c->ibuf, IMSG_CTL_RESULT, 0, 0, -1, &res,
	    sizeof(res)) == -1)
		log_warn("%s: compose", __func__);
	c->state = CONN_CLOSING;
}

static int
in_groups(gid_t want, gid_t gid, const gid_t *groups, int ngroups)
{
	int	i;

	if (gid == want)
		return 1;
	for (i = 0; i < ngroups; i++)
		if (groups[i] == want)
			return 1;
	return 0;
}

/* SO_PEERGROUPS; retried with the size the kernel reports (ERANGE). */
static gid_t *
peer_groups(int fd, int *ngroups)
{
	gid_t		*groups = NULL, *g;
	socklen_t	 len = 64 * sizeof(gid_t);
	int		 tries;

	*ngroups = 0;
	for (tries = 0; tries < 3; tries++) {
		if (len == 0 || len > CTL_MAX_GROUPS * sizeof(gid_t))
			break;
		if ((g = realloc(groups, len)) == NULL)
			break;
		groups = g;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups,
		    &len) == 0) {
			*ngroups = len / sizeof(gid_t);
			return groups;
		}
		if (errno != ERANGE)
			break;
	}
	free(groups);
	return NULL;
}

static int
control_classify(int fd, uid_t *uidp, pid_t *pidp)
{
	struct ucred	 cred;
	gid_t		*groups;
	socklen_t	 len = sizeof(cred);
	int		 ngroups, level = CTL_LEVEL_NONE;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return CTL_LEVEL_NONE;
	*uidp = cred.uid;
	*pidp = cred.pid;
	if (cred.uid == 0)
		return CTL_LEVEL_ADMIN;
	groups = peer_groups(fd, &ngroups);
	if (ctl_has_admin &&
	    in_groups(ctl_admin_gid, cred.gid, groups, ngroups))
		level = CTL_LEVEL_ADMIN;
	else if (in_groups(ctl_sock_gid, cred.gid, groups, ngroups))
		level = CTL_LEVEL_READ;
	free(groups);
	return level;
}

static int
conns_of_uid(uid_t uid)
{
	struct ctl_conn	*c;
	int		 n = 0;

	TAILQ_FOREACH(c, &ctl_conns, entry)
		if (c->uid == uid)
			n++;
	return n;
}

/*
 * The oldest connection that has not sent its request yet: at the
 * limit it makes room for a new one.  A real client sends its request
 * as soon as it is connected, so a flood of silent connections (which
 * the request timeout alone would drain 64 every two seconds) cannot
 * keep it waiting in the listen backlog.
 */
static struct ctl_conn *
control_idle_victim(void)
{
	struct ctl_conn	*c;

	TAILQ_FOREACH(c, &ctl_conns, entry)
		if (c->state == CONN_WAIT_REQUEST)
			return c;
	return NULL;
}

static void
control_accept(int64_t now)
{
	struct ctl_conn	*c;
	int		 fd;

	if (ctl_nconns >= CTL_MAX_CLIENTS) {
		if ((c = control_idle_victim()) == NULL)
			return;
		ctl_timeouts++;
		/* no pid: identical lines are summarised by the logger */
		if (control_may_log())
			log_warnx("control: %d clients connected, dropping a "
			    "silent one from uid %u", ctl_nconns, c->uid);
		control_close(c);
	}
	if ((fd = accept4(ctl_listen_fd, NULL, NULL,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("control accept");
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    imsgbuf_init(&c->ibuf, fd) == -1 ||
	    imsgbuf_set_maxsize(&c->ibuf, MAX_IMSGSIZE_CTL) == -1) {
		log_warn("control accept");
		free(c);
		close(fd);
		return;
	}
	c->id = ctl_next_id++;
	if (c->id == 0)
		c->id = ctl_next_id++;
	c->deadline = now + CTL_REQUEST_TIMEOUT_MS;
	c->level = control_classify(fd, &c->uid, &c->pid);
	TAILQ_INSERT_TAIL(&ctl_conns, c, entry);
	ctl_nconns++;
	if (c->level == CTL_LEVEL_READ &&
	    conns_of_uid(c->uid) > CTL_MAX_PER_READER) {
		control_result(c, CTL_RES_BUSY, "too many control "
		    "connections from this user");
		return;
	}
	if (c->level == CTL_LEVEL_NONE) {
		ctl_denied++;
		if (control_may_log())
			log_warnx("control: refused uid %u pid %d: not root "
			    "and not in the control socket's groups", c->uid,
			    (int)c->pid);
		control_result(c, CTL_RES_DENIED, "permission denied: uid is "
		    "neither root nor a member of the control socket's group");
	}
}

/* Structural checks (ctlreq.c): version, op, argument range, flags. */
static int
control_validate(struct ctl_conn *c, const struct ctl_request *req)
{
	switch (ctlreq_check(req)) {
	case CTL_RES_OK:
		return 0;
	case CTL_RES_VERSION:
		control_result(c, CTL_RES_VERSION, "control protocol version "
		    "mismatch: ctsyncctl and ctsyncd differ");
		return -1;
	default:
		ctl_bad_request++;
		if (control_may_log())
			log_warnx("control: malformed request (op %u arg %u "
			    "flags %#x) from uid %u pid %d", req->op, req->arg,
			    req->flags, c->uid, (int)c->pid);
		control_result(c, CTL_RES_BADREQ, "malformed request");
		return -1;
	}
}

static void
control_reply_processes(struct ctl_conn *c)
{
	struct ctl_process	p[PROC_MAX];
	int			i, n;

	memset(p, 0, sizeof(p));
	monitor_fill_processes(p, &n);
	for (i = 0; i < n; i++)
		imsg_compose(&c->ibuf, IMSG_CTL_PROCESS, 0, 0, -1, &p[i],
		    sizeof(p[i]));
	control_result(c, CTL_RES_OK, "");
}

static void
control_not_implemented(struct ctl_conn *c, const char *what)
{
	char	msg[CTL_MSG_MAX];

	snprintf(msg, sizeof(msg), "%s: not implemented in ctsyncd %s",
	    what, CTSYNCD_VERSION);
	control_result(c, CTL_RES_NOTIMPL, msg);
}

static int
op_is_long(uint32_t op)
{
	return op == CTL_OP_COMMIT || op == CTL_OP_FLUSH_KERNEL ||
	    op == CTL_OP_RESET_TIMERS || op == CTL_OP_RESYNC_KERNEL ||
	    op == CTL_OP_DUMP_INTERNAL || op == CTL_OP_DUMP_EXTERNAL;
}

static void
control_relay(struct ctl_conn *c, int role)
{
	struct ctl_request	*req = &c->req;
	uint32_t		 type;

	c->state = CONN_WAIT_CHILD;
	if (op_is_long(req->op))
		c->deadline = monotime_ms() + CTL_LONG_OP_TIMEOUT_MS;
	type = ctlreq_relay_type(req, role);
	if (type == IMSG_SYNC_STATUS_REQ || type == IMSG_KERNEL_STATS_REQ)
		monitor_relay_to_child(role, type, c->id, NULL, 0);
	else
		monitor_relay_to_child(role, type, c->id, req, sizeof(*req));
}

static void
control_dispatch_request(struct ctl_conn *c)
{
	struct ctl_request	*req = &c->req;
	int			 role;
	char			 what[64];

	if (req->op == CTL_OP_KILL) {
		control_result(c, CTL_RES_OK, "ctsyncd is shutting down");
		monitor_shutdown_request();
		return;
	}
	if (req->op == CTL_OP_STATS && req->arg == CTL_STATS_PROCESS) {
		control_reply_processes(c);
		return;
	}
	if ((role = ctlreq_owner(req)) != 0) {
		control_relay(c, role);
		return;
	}
	if (req->op == CTL_OP_STATS) {
		snprintf(what, sizeof(what), "statistics section %s",
		    ctlreq_stats_name(req->arg));
		control_not_implemented(c, what);
		return;
	}
	control_not_implemented(c, ctlreq_op_name(req->op));
}

static void
control_request(struct ctl_conn *c, struct imsg *imsg)
{
	struct ctl_request	req;

	if (c->state != CONN_WAIT_REQUEST ||
	    ctlreq_decode(imsg, &req) == -1) {
		ctl_bad_request++;
		if (control_may_log())
			log_warnx("control: malformed request from uid %u "
			    "pid %d", c->uid, (int)c->pid);
		control_result(c, CTL_RES_BADREQ, "malformed request");
		return;
	}
	if (control_validate(c, &req) == -1)
		return;
	if (!ctlreq_readonly(req.op) && c->level != CTL_LEVEL_ADMIN) {
		ctl_denied++;
		if (control_may_log())
			log_warnx("control: denied %s to uid %u pid %d "
			    "(read-only access)", ctlreq_op_name(req.op),
			    c->uid, (int)c->pid);
		control_result(c, CTL_RES_DENIED, "permission denied: this "
		    "operation needs root or membership of the AdminGroup");
		return;
	}
	if (!ctlreq_readonly(req.op))
		log_info("control: %s requested by uid %u pid %d",
		    ctlreq_op_name(req.op), c->uid, (int)c->pid);
	c->req = req;
	c->deadline = monotime_ms() + CTL_REPLY_TIMEOUT_MS;
	control_dispatch_request(c);
}

/* The client read enough: ask sync for the dump chunks we owe it. */
static void
control_dump_pace(struct ctl_conn *c)
{
	while (c->owed_more > 0 &&
	    imsgbuf_queuelen(&c->ibuf) < CTL_DUMP_QUEUE_HIGH) {
		c->owed_more--;
		monitor_relay_to_child(PROC_SYNC, IMSG_SYNC_DUMP_MORE, c->id,
		    NULL, 0);
	}
}

/* A dump chunk: forwarded as it is, once its framing adds up. */
static int
control_dump_chunk(struct ctl_conn *c, int role, const struct imsg *imsg)
{
	struct ct_batch_hdr	 h;
	size_t			 len = imsg_get_len(imsg), isz;
	uint32_t		 type = imsg_get_type(imsg);
	char			 buf[MAX_IMSGSIZE_CTL];

	isz = type == IMSG_CTL_CT_DUMP ? sizeof(struct ct_dump_item) :
	    sizeof(struct exp_dump_item);
	if (role != PROC_SYNC || (c->req.op != CTL_OP_DUMP_INTERNAL &&
	    c->req.op != CTL_OP_DUMP_EXTERNAL) || len > sizeof(buf) -
	    IMSG_HEADER_SIZE || imsg_get_data(imsg, buf, len) == -1)
		return -1;
	memcpy(&h, buf, sizeof(h));
	if (len != sizeof(h) + (size_t)h.count * isz)
		return -1;
	imsg_compose(&c->ibuf, type, 0, 0, -1, buf, len);
	c->owed_more++;
	c->deadline = monotime_ms() + CTL_LONG_OP_TIMEOUT_MS;
	control_dump_pace(c);
	return 0;
}

static int
control_child_result(struct ctl_conn *c, const struct imsg *imsg)
{
	struct ctl_result	r;

	if (imsg_get_data(imsg, &r, sizeof(r)) == -1 || r.status < 0 ||
	    r.status > CTL_RES_BUSY)
		return -1;
	r.msg[sizeof(r.msg) - 1] = '\0';
	control_result(c, r.status, r.msg);
	return 0;
}

static int
control_stats_reply(struct ctl_conn *c, int role, const struct imsg *imsg)
{
	struct kernel_stats	ks;
	struct ctl_runtime	rt;
	struct sync_stats	ss;

	if (imsg_get_type(imsg) == IMSG_CTL_SYNC_STATS) {
		if (role != PROC_SYNC || c->req.op != CTL_OP_STATS ||
		    imsg_get_data(imsg, &ss, sizeof(ss)) == -1)
			return -1;
		imsg_compose(&c->ibuf, IMSG_CTL_SYNC_STATS, 0, 0, -1, &ss,
		    sizeof(ss));
		return 0;	/* the result follows */
	}
	if (role != PROC_KERNEL || c->req.op != CTL_OP_STATS ||
	    c->req.arg != CTL_STATS_RUNTIME ||
	    imsg_get_data(imsg, &ks, sizeof(ks)) == -1)
		return -1;
	memset(&rt, 0, sizeof(rt));
	monitor_fill_runtime(&rt);
	rt.kernel = ks;
	imsg_compose(&c->ibuf, IMSG_CTL_RUNTIME, 0, 0, -1, &rt, sizeof(rt));
	control_result(c, CTL_RES_OK, "");
	return 0;
}

static int
control_status_reply(struct ctl_conn *c, int role, const struct imsg *imsg)
{
	struct sync_status	ss;
	struct ctl_status	st;

	if (role != PROC_SYNC || c->req.op != CTL_OP_STATUS ||
	    imsg_get_data(imsg, &ss, sizeof(ss)) == -1)
		return -1;
	memset(&st, 0, sizeof(st));
	monitor_fill_status(&st);
	st.replicating = ss.replicating;
	st.sync = ss;
	/*
	 * In sync with the peers: replicating, start-up dump merged, no
	 * overrun waiting for a resync, a peer heard from (in FTFW: the
	 * HELLO handshake done) and no live peer lost on the way.
	 * Without replication, never.
	 */
	st.in_sync = ss.replicating && ss.startup_done && !ss.resync_pending &&
	    ss.net.last_recv >= 0 &&
	    (ss.mode != CONF_MODE_FTFW || (ss.net.peer_ok &&
	    ss.net.peers_live > 0));
	imsg_compose(&c->ibuf, IMSG_CTL_STATUS, 0, 0, -1, &st, sizeof(st));
	control_result(c, CTL_RES_OK, "");
	return 0;
}

/* Replies from children, routed by the id we gave the connection. */
void
control_child_reply(int role, const struct imsg *imsg)
{
	struct ctl_conn	*c;
	int		 rc = -1;

	if ((c = control_by_id(imsg_get_id(imsg))) == NULL ||
	    c->state != CONN_WAIT_CHILD)
		return;		/* the client went away meanwhile */
	switch (imsg_get_type(imsg)) {
	case IMSG_KERNEL_STATS:
	case IMSG_CTL_SYNC_STATS:
		rc = control_stats_reply(c, role, imsg);
		break;
	case IMSG_SYNC_STATUS:
		rc = control_status_reply(c, role, imsg);
		break;
	case IMSG_CTL_CT_DUMP:
	case IMSG_CTL_EXP_DUMP:
		rc = control_dump_chunk(c, role, imsg);
		break;
	case IMSG_CHILD_RESULT:
		if (role == ctlreq_owner(&c->req))
			rc = control_child_result(c, imsg);
		break;
	}
	if (rc == -1)
		control_result(c, CTL_RES_ERROR, "bad reply from a child "
		    "process");
}

int
control_pollfds(struct pollfd *pfd, int max)
{
	struct ctl_conn	*c;
	int		 n = 0;

	if (ctl_listen_fd == -1 || max < 1)
		return 0;
	/*
	 * At the limit, a new client replaces the oldest silent one; if
	 * every client is being served, new ones wait in the backlog.
	 */
	pfd[n].fd = ctl_nconns < CTL_MAX_CLIENTS ||
	    control_idle_victim() != NULL ? ctl_listen_fd : -1;
	pfd[n++].events = POLLIN;
	TAILQ_FOREACH(c, &ctl_conns, entry) {
		if (n >= max)
			break;
		pfd[n].fd = c->ibuf.fd;
		pfd[n].events = POLLIN;
		if (imsgbuf_queuelen(&c->ibuf) > 0)
			pfd[n].events |= POLLOUT;
		n++;
	}
	return n;
}

static void
control_conn_io(struct ctl_conn *c, short revents)
{
	struct imsg	imsg;
	int		n;

	if (revents & POLLOUT) {
		if (imsgbuf_write(&c->ibuf) == -1) {
			control_close(c);
			return;
		}
		if (c->state == CONN_CLOSING &&
		    imsgbuf_queuelen(&c->ibuf) == 0) {
			control_close(c);
			return;
		}
		control_dump_pace(c);
	}
	if ((revents & (POLLIN | POLLHUP | POLLERR)) == 0)
		return;
	if ((n = imsgbuf_read(&c->ibuf)) <= 0) {
		if (n == -1 || c->state == CONN_WAIT_REQUEST)
			ctl_read_failed++;
		control_close(c);
		return;
	}
	if (c->state == CONN_CLOSING)
		return;		/* ignore anything after the request */
	if ((n = imsgbuf_get(&c->ibuf, &imsg)) == -1) {
		ctl_read_failed++;
		/* no pid: identical lines are summarised by the logger */
		if (control_may_log())
			log_warnx("control: garbage from uid %u, dropping",
			    c->uid);
		control_close(c);
		return;
	}
	if (n == 0)
		return;
	control_request(c, &imsg);
	imsg_free(&imsg);
}

void
control_handle(struct pollfd *pfd, int n, int64_t now)
{
	struct ctl_conn	*c, *next;
	int		 i;

	if (n < 1)
		return;
	/* connections first: accepting may add to the list */
	for (i = 1; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		for (c = TAILQ_FIRST(&ctl_conns); c != NULL; c = next) {
			next = TAILQ_NEXT(c, entry);
			if (c->ibuf.fd == pfd[i].fd) {
				control_conn_io(c, pfd[i].revents);
				break;
			}
		}
	}
	if (pfd[0].revents & POLLIN)
		control_accept(now);
}

void
control_timeouts(int64_t now)
{
	struct ctl_conn	*c, *next;

	control_log_window(now, 0);
	for (c = TAILQ_FIRST(&ctl_conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (now < c->deadline)
			continue;
		if (c->state == CONN_WAIT_REQUEST) {
			ctl_timeouts++;
			log_debug("control: dropping idle client uid %u "
			    "pid %d", c->uid, (int)c->pid);
			control_close(c);
		} else if (c->state == CONN_WAIT_CHILD) {
			control_result(c, CTL_RES_ERROR, "timed out waiting "
			    "for the daemon");
			c->deadline = now + CTL_REQUEST_TIMEOUT_MS;
		} else
			control_close(c);	/* reader never drained */
	}
}
