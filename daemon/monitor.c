/*
 * The monitor: sets everything up as root (lock, control socket,
 * children), drops to the unprivileged user in a chroot, then only
 * relays control requests and supervises.  A lost child takes the
 * whole daemon down: a half-daemon on a firewall is worse than none.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

#define SHUTDOWN_GRACE_MS	3000
#define STARTUP_TIMEOUT_MS	10000
#define MAX_POLLFDS		(8 + CTL_MAX_CLIENTS)

struct child {
	pid_t		 pid;
	int		 alive;
	int		 chan_open;
	int		 ready;
	int		 stopping;	/* we asked it to stop */
	int		 report_fd;
	struct imsgbuf	 ibuf;
};

struct monitor {
	struct ctsyncd_conf	*conf;
	struct monitor_opts	 opts;
	struct priv_ids		 ids;
	struct child		 child[PROC_MAX];
	int			 lock_fd;
	int			 lock_dirfd;
	char			 lock_base[CONF_PATH_MAX];
	int			 sock_dirfd;
	char			 sock_base[CONF_UNIX_PATH_MAX];
	int			 ctl_fd;
	int			 log_fd;
	int64_t			 start_ms;
	int			 quit;
	int			 exit_code;
	uint64_t		 child_failed;
	uint64_t		 child_segfault;
	uint64_t		 child_termsig;
	uint64_t		 poll_failed;
	uint64_t		 wait_failed;
};

static struct monitor		m;

static void	monitor_dispatch_child(int);
static void	monitor_handle_signals(void);
static volatile sig_atomic_t	sig_term, sig_chld, sig_hup;

static void
monitor_sig(int sig)
{
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		sig_term = sig;
		break;
	case SIGCHLD:
		sig_chld = 1;
		break;
	case SIGHUP:
		sig_hup = 1;
		break;
	}
}

/* A missing user is the commonest first-run mistake: say how to fix it. */
static void
monitor_resolve_ids(struct ctsyncd_conf *conf, gid_t *sockgid,
    gid_t *admingid, int *has_admin)
{
	struct passwd	*pw;
	struct group	*gr;
	const char	*u = conf->general.user;

	if ((pw = getpwnam(u)) == NULL)
		errx(1, "user `%s' does not exist; create it with:\n"
		    "    useradd --system --no-create-home --home-dir "
		    "/nonexistent --shell /usr/sbin/nologin %s\n"
		    "or set `User' in the General section of %s", u, u,
		    conf->file);
	if (pw->pw_uid == 0 || pw->pw_gid == 0)
		errx(1, "user `%s' must not have uid or gid 0", u);
	m.ids.uid = pw->pw_uid;
	m.ids.gid = pw->pw_gid;
	*sockgid = pw->pw_gid;
	if (conf->general.unix_group[0] != '\0') {
		if ((gr = getgrnam(conf->general.unix_group)) == NULL)
			errx(1, "UNIX Group `%s' does not exist",
			    conf->general.unix_group);
		*sockgid = gr->gr_gid;
	}
	*has_admin = 0;
	if (conf->general.unix_admin_group[0] != '\0') {
		if ((gr = getgrnam(conf->general.unix_admin_group)) == NULL)
			errx(1, "UNIX AdminGroup `%s' does not exist",
			    conf->general.unix_admin_group);
		*admingid = gr->gr_gid;
		*has_admin = 1;
	}
	endpwent();
	endgrent();
}

static void
monitor_check_chroot(const char *dir)
{
	char	errbuf[512];

	if (mkdir(dir, 0755) == 0)
		log_info("created empty chroot directory %s", dir);
	else if (errno != EEXIST)
		err(1, "mkdir %s", dir);
	if (privdrop_check_dir(dir, errbuf, sizeof(errbuf)) == -1)
		errx(1, "%s", errbuf);
}

/*
 * Open the directory that holds path so the unprivileged monitor can
 * still remove the file at exit (unlinkat).  A missing directory is
 * created for the daemon user, so removal works there.
 */
static int
monitor_open_parent(const char *path, char *base, size_t baselen)
{
	char	 d[CONF_PATH_MAX], b[CONF_PATH_MAX];
	int	 fd;

	if (strlcpy(d, path, sizeof(d)) >= sizeof(d) ||
	    strlcpy(b, path, sizeof(b)) >= sizeof(b))
		errx(1, "path too long: %s", path);
	if (strlcpy(base, basename(b), baselen) >= baselen)
		errx(1, "path too long: %s", path);
	dirname(d);
	if (mkdir(d, 0700) == 0) {
		/* explicit mode: the umask must not lock the group out */
		if (chown(d, m.ids.uid, 0) == -1 || chmod(d, 0755) == -1)
			err(1, "chown %s", d);
	} else if (errno != EEXIST)
		err(1, "mkdir %s", d);
	if ((fd = open(d, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(1, "open %s", d);
	return fd;
}

/*
 * flock-based lock: a lock file left by a killed daemon is reused, a
 * live daemon's lock refuses us.  The inode check catches a file that
 * was unlinked by an exiting daemon between our open and our flock.
 */
static void
monitor_lock(const char *path)
{
	struct stat	 st_fd, st_path;
	char		 buf[32];
	ssize_t		 n;
	int		 tries;

	m.lock_dirfd = monitor_open_parent(path, m.lock_base,
	    sizeof(m.lock_base));
	for (tries = 0; tries < 5; tries++) {
		m.lock_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW |
		    O_CLOEXEC, 0644);
		if (m.lock_fd == -1)
			err(1, "lock file %s", path);
		if (flock(m.lock_fd, LOCK_EX | LOCK_NB) == -1) {
			if (errno != EWOULDBLOCK)
				err(1, "flock %s", path);
			n = pread(m.lock_fd, buf, sizeof(buf) - 1, 0);
			buf[n > 0 ? n : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			errx(1, "another ctsyncd is running (pid %s holds "
			    "lock file %s)", buf[0] ? buf : "?", path);
		}
		if (fstat(m.lock_fd, &st_fd) == 0 &&
		    stat(path, &st_path) == 0 &&
		    st_fd.st_ino == st_path.st_ino &&
		    st_fd.st_dev == st_path.st_dev)
			break;
		close(m.lock_fd);
		m.lock_fd = -1;
	}
	if (m.lock_fd == -1)
		errx(1, "lock file %s keeps changing", path);
	/* the monitor removes it at exit without privileges */
	if (fchown(m.lock_fd, m.ids.uid, -1) == -1)
		err(1, "chown %s", path);
}

static void
monitor_write_pid(void)
{
	char	buf[32];
	int	n;

	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(m.lock_fd, 0) == -1 ||
	    pwrite(m.lock_fd, buf, n, 0) != n)
		fatal("write lock file");
}

static void
monitor_open_logs(const struct ctsyncd_conf *conf)
{
	int	facility = conf->general.syslog_facility;

	m.log_fd = -1;
	if (conf->general.logfile[0] != '\0') {
		m.log_fd = open(conf->general.logfile, O_WRONLY | O_APPEND |
		    O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
		if (m.log_fd == -1)
			err(1, "LogFile %s", conf->general.logfile);
	}
	/* with no log destination at all, a daemon still logs somewhere */
	if (!m.opts.debug && facility < 0 && m.log_fd == -1)
		facility = LOG_DAEMON;
	if (m.opts.debug)
		facility = conf->general.syslog_facility;
	log_set_sinks(facility, m.log_fd);
}

/*
 * No silent caps: without HashLimit the caches hold as many entries as
 * the kernel may track (nf_conntrack_max), not an arbitrary default.
 */
#define CT_MAX_SYSCTL	"/proc/sys/net/netfilter/nf_conntrack_max"
#define CT_MAX_FALLBACK	262144

static void
monitor_size_caches(struct ctsyncd_conf *conf)
{
	FILE		*fp;
	unsigned long	 v = 0;

	if (conf->general.hashlimit != 0)
		return;
	if ((fp = fopen(CT_MAX_SYSCTL, "re")) != NULL) {
		if (fscanf(fp, "%lu", &v) != 1)
			v = 0;
		fclose(fp);
	}
	if (v == 0 || v > UINT32_MAX / 2) {
		log_warnx("cannot read %s, caches sized for %u entries; set "
		    "HashLimit", CT_MAX_SYSCTL, CT_MAX_FALLBACK);
		v = CT_MAX_FALLBACK;
	}
	conf->general.hashlimit = (uint32_t)v;
	log_debug("caches sized from nf_conntrack_max: %lu entries", v);
}

/*
 * With nf_conntrack_events at 2 (the default of recent kernels), a
 * connection reports events only if a listener existed when it was
 * created: whatever predates us never tells us it changed or ended,
 * and would stay cached, and be committed on failover, for good.
 */
#define CT_EVENTS_SYSCTL	"/proc/sys/net/netfilter/nf_conntrack_events"

static void
monitor_check_events(void)
{
	FILE	*fp;
	int	 v = -1;

	if ((fp = fopen(CT_EVENTS_SYSCTL, "re")) == NULL)
		return;
	if (fscanf(fp, "%d", &v) != 1)
		v = -1;
	fclose(fp);
	if (v == 0)
		log_warnx("net.netfilter.nf_conntrack_events is 0: the kernel "
		    "sends no conntrack events, nothing will be replicated");
	else if (v == 2)
		log_warnx("net.netfilter.nf_conntrack_events is 2: connections "
		    "older than this daemon send no updates or destroys; set "
		    "it to 1 before ctsyncd starts");
}

static void
monitor_signals(void)
{
	struct sigaction	sa;
	sigset_t		set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = monitor_sig;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1 ||
	    sigaction(SIGCHLD, &sa, NULL) == -1)
		fatal("sigaction");
	signal(SIGPIPE, SIG_IGN);
	/* delivered only inside ppoll(), so no handler races the loop */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		fatal("sigprocmask");
}

static int
high_fd(int fd)
{
	int	nfd;

	if ((nfd = fcntl(fd, F_DUPFD_CLOEXEC, 16)) == -1)
		fatal("fcntl(F_DUPFD)");
	close(fd);
	return nfd;
}

static void
monitor_spawn(void)
{
	int	mc[PROC_MAX][2], sk[2], rep[PROC_MAX][2];
	int	role, bufsz = 4 * 65535;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sk) == -1)
		fatal("socketpair");
	setsockopt(sk[0], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	setsockopt(sk[1], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	sk[0] = high_fd(sk[0]);
	sk[1] = high_fd(sk[1]);
	for (role = PROC_SYNC; role < PROC_MAX; role++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
		    mc[role]) == -1 || pipe2(rep[role], O_CLOEXEC) == -1)
			fatal("socketpair");
		mc[role][1] = high_fd(mc[role][1]);
		rep[role][1] = high_fd(rep[role][1]);
	}
	for (role = PROC_SYNC; role < PROC_MAX; role++) {
		struct child *c = &m.child[role];

		c->pid = proc_spawn(m.opts.self, role, mc[role][1],
		    role == PROC_SYNC ? sk[0] : sk[1], rep[role][1],
		    m.opts.debug, m.opts.verbose);
		c->alive = c->chan_open = 1;
		close(mc[role][1]);
		close(rep[role][1]);
		c->report_fd = rep[role][0];
		if (fcntl(c->report_fd, F_SETFL, O_NONBLOCK) == -1 ||
		    fcntl(mc[role][0], F_SETFL, O_NONBLOCK) == -1)
			fatal("fcntl");
		if (imsgbuf_init(&c->ibuf, mc[role][0]) == -1 ||
		    imsgbuf_set_maxsize(&c->ibuf, MAX_IMSGSIZE_MONITOR) == -1)
			fatal("imsgbuf_init");
		if (role == PROC_SYNC)
			imsgbuf_allow_fdpass(&c->ibuf);
		if ((role == PROC_SYNC && mlink_send(&c->ibuf) == -1) ||
		    conf_send(&c->ibuf, m.conf, &m.ids) == -1 ||
		    imsgbuf_flush(&c->ibuf) == -1)
			fatal("sending configuration to %s", proc_name(role));
		log_debug("started %s process, pid %d", proc_name(role),
		    (int)c->pid);
	}
	close(sk[0]);
	close(sk[1]);
}

/* Log how a child ended; a SIGSYS report names the syscall. */
static void
monitor_log_child(int role, int status)
{
	struct child		*c = &m.child[role];
	struct sandbox_report	 r;
	char			 name[64];
	int			 expected = c->stopping;

	if (WIFEXITED(status)) {
		if (expected && WEXITSTATUS(status) == 0) {
			log_debug("%s process (pid %d) exited", proc_name(role),
			    (int)c->pid);
			return;
		}
		log_warnx("%s process (pid %d) exited with status %d",
		    proc_name(role), (int)c->pid, WEXITSTATUS(status));
		m.child_failed++;
		return;
	}
	if (!WIFSIGNALED(status))
		return;
	if (expected && (WTERMSIG(status) == SIGTERM ||
	    WTERMSIG(status) == SIGKILL)) {
		log_debug("%s process (pid %d) stopped by signal %d",
		    proc_name(role), (int)c->pid, WTERMSIG(status));
		return;
	}
	m.child_failed++;
	m.child_termsig++;
	if (WTERMSIG(status) == SIGSEGV)
		m.child_segfault++;
	if (WTERMSIG(status) == SIGSYS &&
	    read(c->report_fd, &r, sizeof(r)) == (ssize_t)sizeof(r) &&
	    r.magic == SANDBOX_REPORT_MAGIC) {
		log_warnx("%s process (pid %d) killed by signal %d (SIGSYS): "
		    "seccomp violation, syscall %s", proc_name(role),
		    (int)c->pid, WTERMSIG(status),
		    sandbox_syscall_name(r.syscall, r.arch, name,
		    sizeof(name)));
		return;
	}
	log_warnx("%s process (pid %d) killed by signal %d (%s)",
	    proc_name(role), (int)c->pid, WTERMSIG(status),
	    strsignal(WTERMSIG(status)));
}

/*
 * A dead child's last lines (often a fatal() saying why) are still in
 * its channel: read them before logging its death.
 */
static void
monitor_drain(int role)
{
	struct child	*c = &m.child[role];
	struct pollfd	 pfd;
	int		 i;

	if (!c->chan_open)
		return;
	pfd.fd = c->ibuf.fd;
	pfd.events = POLLIN;
	for (i = 0; i < 64; i++) {
		if (poll(&pfd, 1, 0) <= 0 || (pfd.revents & POLLIN) == 0)
			break;
		if (imsgbuf_read(&c->ibuf) <= 0) {
			c->chan_open = 0;
			break;
		}
		monitor_dispatch_child(role);
	}
}

/*
 * Reap every dead child.  When several died together, the one killed by
 * a signal is the cause: the other usually exited because it lost its
 * peer channel.
 */
static void
monitor_reap(void)
{
	pid_t	pid;
	int	st, status[PROC_MAX], dead[PROC_MAX] = { 0 };
	int	role, culprit = -1;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (role = PROC_SYNC; role < PROC_MAX; role++) {
			if (m.child[role].pid != pid || !m.child[role].alive)
				continue;
			m.child[role].alive = 0;
			status[role] = st;
			dead[role] = 1;
		}
	}
	if (pid == -1 && errno != ECHILD)
		m.wait_failed++;
	for (role = PROC_SYNC; role < PROC_MAX; role++) {
		if (!dead[role])
			continue;
		monitor_drain(role);
		monitor_log_child(role, status[role]);
		if (culprit == -1 || WIFSIGNALED(status[role]))
			culprit = role;
	}
	if (culprit != -1 && !m.quit) {
		log_warnx("lost %s process, shutting down", proc_name(culprit));
		m.quit = 1;
		m.exit_code = 1;
	}
}

/*
 * A log line from a child.  The child may be compromised: clamp the
 * priority (no LOG_EMERG broadcasts), escape control bytes so it cannot
 * forge lines, and prefix its name unless it names itself in fatal().
 */
static void
monitor_child_log(int role, const struct imsg *imsg)
{
	struct log_hdr	 lh;
	char		 line[LOG_EMIT_MAX + 32], own[32];
	const uint8_t	*text;
	size_t		 len, i, n;
	int		 pri;

	len = imsg_get_len(imsg) - sizeof(lh);
	memcpy(&lh, imsg->data, sizeof(lh));
	text = imsg->data + sizeof(lh);
	if (text[len - 1] != '\0' || strlen((const char *)text) != len - 1)
		return;
	pri = lh.priority & LOG_PRIMASK;
	if (pri < LOG_CRIT)
		pri = LOG_CRIT;
	snprintf(own, sizeof(own), "fatal in %s: ", proc_name(role));
	n = 0;
	if (strncmp((const char *)text, own, strlen(own)) != 0)
		n = snprintf(line, sizeof(line), "%s: ", proc_name(role));
	for (i = 0; i < len - 1 && n + 5 < sizeof(line); i++) {
		if (text[i] >= 0x20 && text[i] < 0x7f)
			line[n++] = text[i];
		else
			n += snprintf(line + n, sizeof(line) - n, "\\%03o",
			    text[i]);
	}
	line[n] = '\0';
	log_emit(pri, line);
}

static void
monitor_dispatch_child(int role)
{
	struct child	*c = &m.child[role];
	struct imsg	 imsg;
	int		 n;

	while ((n = imsgbuf_get(&c->ibuf, &imsg)) > 0) {
		if (channel_check(PROC_MONITOR, role, &imsg) == -1) {
			log_warnx("unexpected %s (len %zu) from %s",
			    imsg_type_name(imsg_get_type(&imsg)),
			    imsg_get_len(&imsg), proc_name(role));
			imsg_free(&imsg);
			m.quit = 1;
			m.exit_code = 1;
			return;
		}
		switch (imsg_get_type(&imsg)) {
		case IMSG_LOG:
			monitor_child_log(role, &imsg);
			break;
		case IMSG_CHILD_READY:
			c->ready = 1;
			log_debug("%s process ready", proc_name(role));
			break;
		default:
			control_child_reply(role, &imsg);
			break;
		}
		imsg_free(&imsg);
	}
	if (n == -1) {
		log_warn("bad imsg from %s", proc_name(role));
		m.quit = 1;
		m.exit_code = 1;
	}
}

/*
 * Reap until the child `which' (or, with -1, every child) is gone or the
 * deadline passes; returns how many of those are still alive.
 */
static int
monitor_wait_children(int which, int64_t deadline)
{
	sigset_t	empty;
	struct timespec	ts = { 0, 20 * 1000000 };
	int		role, alive;

	sigemptyset(&empty);
	for (;;) {
		monitor_reap();
		alive = 0;
		for (role = PROC_SYNC; role < PROC_MAX; role++)
			if (which == -1 || which == role)
				alive += m.child[role].alive;
		if (alive == 0 || monotime_ms() > deadline)
			return alive;
		ppoll(NULL, 0, &ts, &empty);
	}
}

/*
 * The channel to a child closed.  It normally died: give SIGCHLD a
 * moment so the log says how, rather than just "connection lost".
 */
static void
monitor_child_gone(int role)
{
	monitor_wait_children(role, monotime_ms() + 1000);
	if (m.child[role].alive && !m.quit) {
		log_warnx("lost connection to %s process, shutting down",
		    proc_name(role));
		m.quit = 1;
		m.exit_code = 1;
	}
}

static void
monitor_child_io(int role, short revents)
{
	struct child	*c = &m.child[role];
	int		 n;

	if (revents & POLLOUT && imsgbuf_write(&c->ibuf) == -1 &&
	    errno != EPIPE)
		log_warn("write to %s", proc_name(role));
	if ((revents & (POLLIN | POLLHUP | POLLERR)) == 0)
		return;
	if ((n = imsgbuf_read(&c->ibuf)) == -1 && errno != ECONNRESET)
		log_warn("read from %s", proc_name(role));
	if (n > 0)
		monitor_dispatch_child(role);
	if (n <= 0) {
		c->chan_open = 0;
		monitor_child_gone(role);
	}
}

void
monitor_relay_to_child(int role, uint32_t type, uint32_t id, const void *data,
    size_t len)
{
	struct child	*c = &m.child[role];

	if (!c->chan_open)
		return;
	if (imsg_compose(&c->ibuf, type, id, 0, -1, data, len) == -1)
		log_warn("%s: compose", __func__);
}

void
monitor_shutdown_request(void)
{
	if (!m.quit)
		log_info("shutdown requested by control client");
	m.quit = 1;
}

void
monitor_fill_runtime(struct ctl_runtime *rt)
{
	rt->uptime = (monotime_ms() - m.start_ms) / 1000;
	rt->child_failed = m.child_failed;
	rt->child_segfault = m.child_segfault;
	rt->child_termsig = m.child_termsig;
	rt->poll_failed = m.poll_failed;
	rt->wait_failed = m.wait_failed;
	rt->ctl_denied = control_denied();
	rt->ctl_timeouts = control_timedout();
	rt->local_read_failed = control_read_failed();
	rt->local_unknown_request = control_bad_request();
}

void
monitor_fill_status(struct ctl_status *st)
{
	strlcpy(st->version, CTSYNCD_VERSION, sizeof(st->version));
	st->uptime = (monotime_ms() - m.start_ms) / 1000;
	st->monitor_pid = getpid();
	st->sync_pid = m.child[PROC_SYNC].pid;
	st->kernel_pid = m.child[PROC_KERNEL].pid;
	st->mode = m.conf->sync.mode;
	st->nlinks = m.conf->sync.nlinks;
	st->ctl_denied = control_denied();
	strlcpy(st->config_file, m.conf->file, sizeof(st->config_file));
}

void
monitor_fill_processes(struct ctl_process *p, int *n)
{
	int	role;

	*n = 0;
	p[(*n)].pid = getpid();
	strlcpy(p[(*n)++].role, proc_name(PROC_MONITOR), sizeof(p->role));
	for (role = PROC_SYNC; role < PROC_MAX; role++) {
		if (!m.child[role].alive)
			continue;
		p[*n].pid = m.child[role].pid;
		strlcpy(p[(*n)++].role, proc_name(role), sizeof(p->role));
	}
}

/* Also runs from atexit(), so a fatal() leaves no socket or lock behind. */
static void
monitor_cleanup(void)
{
	static int	done;

	if (done++)
		return;
	sdnotify_stopping();
	control_shutdown();
	if (unlinkat(m.sock_dirfd, m.sock_base, 0) == -1 && errno != ENOENT)
		log_warn("cannot remove control socket %s",
		    m.conf->general.unix_path);
	if (unlinkat(m.lock_dirfd, m.lock_base, 0) == -1 && errno != ENOENT)
		log_warn("cannot remove lock file %s",
		    m.conf->general.lockfile);
}

/*
 * Stop the children: IMSG_SHUTDOWN (a child still running as root
 * cannot be signalled by the unprivileged monitor), SIGTERM, a grace
 * period, SIGKILL.  Bounded: the monitor exits whatever happens.
 */
static void
monitor_stop_children(void)
{
	struct child	*c;
	int		 role;

	for (role = PROC_SYNC; role < PROC_MAX; role++) {
		c = &m.child[role];
		if (!c->alive)
			continue;
		c->stopping = 1;
		if (c->chan_open &&
		    imsg_compose(&c->ibuf, IMSG_SHUTDOWN, 0, 0, -1, NULL, 0)
		    != -1)
			(void)imsgbuf_write(&c->ibuf);
		if (kill(c->pid, SIGTERM) == -1 && errno != ESRCH)
			log_warn("kill %s process", proc_name(role));
	}
	if (monitor_wait_children(-1, monotime_ms() + SHUTDOWN_GRACE_MS) == 0)
		return;
	for (role = PROC_SYNC; role < PROC_MAX; role++) {
		c = &m.child[role];
		if (!c->alive)
			continue;
		log_warnx("%s process (pid %d) did not stop, killing it",
		    proc_name(role), (int)c->pid);
		if (kill(c->pid, SIGKILL) == -1)
			log_warn("kill %s process", proc_name(role));
	}
	if (monitor_wait_children(-1, monotime_ms() + SHUTDOWN_GRACE_MS) != 0)
		log_warnx("giving up waiting for child processes");
}

/* pfd[role] for each child channel; pfd[0] (the monitor) unused */
static void
monitor_child_pollfds(struct pollfd *pfd)
{
	int	role;

	pfd[PROC_MONITOR].fd = -1;
	pfd[PROC_MONITOR].events = 0;
	for (role = PROC_SYNC; role < PROC_MAX; role++) {
		pfd[role].fd = m.child[role].chan_open ?
		    m.child[role].ibuf.fd : -1;
		pfd[role].events = POLLIN;
		if (imsgbuf_queuelen(&m.child[role].ibuf) > 0)
			pfd[role].events |= POLLOUT;
	}
}

/*
 * Wait (bounded) until both children report they dropped privileges:
 * only then can the unprivileged monitor still signal them, and a
 * child that fails to start fails the start.
 */
static void
monitor_wait_ready(void)
{
	struct pollfd	pfd[PROC_MAX];
	sigset_t	empty;
	struct timespec	ts = { 0, 100 * 1000000 };
	int64_t		deadline = monotime_ms() + STARTUP_TIMEOUT_MS;
	int		role;

	sigemptyset(&empty);
	while (!m.quit && (!m.child[PROC_SYNC].ready ||
	    !m.child[PROC_KERNEL].ready)) {
		if (monotime_ms() > deadline) {
			log_warnx("child processes did not start in time");
			m.quit = 1;
			m.exit_code = 1;
			break;
		}
		monitor_child_pollfds(pfd);
		if (ppoll(pfd, PROC_MAX, &ts, &empty) > 0)
			for (role = PROC_SYNC; role < PROC_MAX; role++)
				if (pfd[role].revents != 0)
					monitor_child_io(role,
					    pfd[role].revents);
		monitor_handle_signals();
	}
}

static __dead void
monitor_exit(void)
{
	sdnotify_stopping();
	monitor_stop_children();
	monitor_cleanup();
	log_info("ctsyncd stopped%s", m.exit_code ? " after an error" : "");
	log_flush_repeats();
	exit(m.exit_code);
}

static void
monitor_handle_signals(void)
{
	if (sig_term && !m.quit) {
		log_info("received %s, shutting down",
		    sig_term == SIGINT ? "SIGINT" : "SIGTERM");
		m.quit = 1;
	}
	if (sig_hup) {
		sig_hup = 0;
		log_warnx("SIGHUP: configuration reload is not supported, "
		    "restart ctsyncd to apply changes");
	}
	if (sig_chld) {
		sig_chld = 0;
		monitor_reap();
	}
}

static __dead void
monitor_loop(void)
{
	struct pollfd	pfd[MAX_POLLFDS];
	struct timespec	ts;
	sigset_t	empty;
	int		role, n, nctl;

	sigemptyset(&empty);
	while (!m.quit) {
		monitor_child_pollfds(pfd);
		nctl = control_pollfds(&pfd[PROC_MAX],
		    MAX_POLLFDS - PROC_MAX - 1);
		pfd[PROC_MAX + nctl].fd = mlink_watch_fd();
		pfd[PROC_MAX + nctl].events = POLLIN;
		pfd[PROC_MAX + nctl].revents = 0;
		ts.tv_sec = 0;
		ts.tv_nsec = sdnotify_timeout_ms(monotime_ms(), 250) *
		    1000000L;
		n = ppoll(pfd, PROC_MAX + nctl + 1, &ts, &empty);
		if (n == -1 && errno != EINTR) {
			m.poll_failed++;
			log_warn("ppoll");
		}
		monitor_handle_signals();
		if (n > 0) {
			for (role = PROC_SYNC; role < PROC_MAX; role++)
				if (pfd[role].revents != 0)
					monitor_child_io(role, pfd[role].revents);
			control_handle(&pfd[PROC_MAX], nctl, monotime_ms());
			if (pfd[PROC_MAX + nctl].revents & POLLIN)
				mlink_watch_read();
		}
		control_timeouts(monotime_ms());
		mlink_watch_refresh(monotime_ms());
		sdnotify_watchdog(monotime_ms());
		log_flush_repeats();
	}
	monitor_exit();
}

__dead void
monitor_main(struct ctsyncd_conf *conf, const struct monitor_opts *opts)
{
	gid_t	sockgid, admingid = 0;
	int	has_admin;

	memset(&m, 0, sizeof(m));
	m.conf = conf;
	m.opts = *opts;
	m.lock_fd = m.ctl_fd = -1;
	log_init(opts->debug, -1);
	log_setverbose(opts->verbose);
	log_procinit("monitor");

	monitor_resolve_ids(conf, &sockgid, &admingid, &has_admin);
	monitor_check_chroot(conf->general.chroot);
	monitor_lock(conf->general.lockfile);
	m.sock_dirfd = monitor_open_parent(conf->general.unix_path,
	    m.sock_base, sizeof(m.sock_base));
	if ((m.ctl_fd = control_init(conf->general.unix_path, m.sock_dirfd,
	    m.sock_base, sockgid)) == -1)
		exit(1);
	control_set_groups(sockgid, admingid, has_admin);
	monitor_open_logs(conf);
	monitor_size_caches(conf);
	monitor_check_events();
	if (mlink_watch_open(conf) == -1)
		log_warn("cannot watch sync link state: no failover on link "
		    "down");
	if (mlink_open(conf) == -1)
		exit(1);

	if (!opts->debug && daemon(0, 0) == -1)
		err(1, "daemon");
	monitor_write_pid();
	/* after daemon(): MAINPID is final; before spawn: not inherited */
	sdnotify_open(conf->general.systemd);
	/* after daemon(): its parent leaves with _exit(), children exec */
	atexit(monitor_cleanup);
	m.start_ms = monotime_ms();
	monitor_signals();
	monitor_spawn();
	monitor_wait_ready();
	if (m.quit)
		monitor_exit();
	control_listen(m.ctl_fd);

	setproctitle("monitor");
	privdrop(PROC_MONITOR, &m.ids, conf->general.chroot);
	sandbox_restrict_unlink(m.sock_dirfd, m.lock_dirfd);
	sandbox_enter(PROC_MONITOR, -1);
	log_info("ctsyncd %s started (%s mode, config %s)", CTSYNCD_VERSION,
	    conf->sync.mode ? conf_mode_name(conf->sync.mode) : "no sync",
	    conf->file);
	sdnotify_ready(monotime_ms());
	testhook_after_sandbox(PROC_MONITOR);
	monitor_loop();
}
