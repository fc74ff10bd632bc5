/*
 * Per-role seccomp allow-lists (libseccomp).  Anything not listed traps;
 * the SIGSYS handler reports the syscall on a pipe the monitor reads and
 * then lets SIGSYS kill the process, so the monitor can log which call
 * it was.  Sanitizer builds log instead of killing: ASan needs syscalls
 * a production process never makes.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "privsep.h"

static int	sandbox_report_fd = -1;
static int	sandbox_role = -1;
static int	sandbox_unlink_dirs[2] = { -1, -1 };

/* every role: "stdio" in pledge terms */
static const int sc_common[] = {
	SCMP_SYS(read), SCMP_SYS(readv), SCMP_SYS(write), SCMP_SYS(writev),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(close),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(exit), SCMP_SYS(exit_group),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(clock_gettime),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(madvise), SCMP_SYS(getrandom), SCMP_SYS(futex),
	SCMP_SYS(lseek), SCMP_SYS(restart_syscall),
	SCMP_SYS(clock_gettime64), SCMP_SYS(ppoll_time64),
	SCMP_SYS(futex_time64), SCMP_SYS(mmap2),
};

/* monitor: control socket, supervision, syslog, cleanup at exit */
static const int sc_monitor[] = {
	SCMP_SYS(accept4), SCMP_SYS(getsockopt), SCMP_SYS(shutdown),
	SCMP_SYS(wait4), SCMP_SYS(sendto),
	SCMP_SYS(fsync), SCMP_SYS(ftruncate), SCMP_SYS(flock),
};

/*
 * sync: datagram and stream I/O on sockets passed in by the monitor;
 * TCP links accept their peer and (re)connect to it (see sandbox_sync)
 */
static const int sc_sync[] = {
	SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(recvmmsg),
	SCMP_SYS(sendmmsg), SCMP_SYS(getsockopt), SCMP_SYS(accept4),
	SCMP_SYS(connect), SCMP_SYS(bind),
};

/* kernel: netlink I/O */
static const int sc_kernel[] = {
	SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(getsockopt),
	SCMP_SYS(recvmmsg),
};

static void
sandbox_sigsys(int sig, siginfo_t *si, void *ctx)
{
	struct sandbox_report	r;

	(void)ctx;
	r.magic = SANDBOX_REPORT_MAGIC;
	r.syscall = si->si_syscall;
	r.arch = si->si_arch;
	r.role = sandbox_role;
	/* nothing else is async-signal-safe enough to try on failure */
	if (sandbox_report_fd != -1)
		(void)!write(sandbox_report_fd, &r, sizeof(r));
	/* SA_RESETHAND restored the default action: die of SIGSYS */
	syscall(SYS_kill, getpid(), sig);
	_exit(128 + sig);
}

static void
sandbox_allow(scmp_filter_ctx ctx, const int *list, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (list[i] < 0)	/* not on this architecture */
			continue;
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, list[i], 0) < 0)
			fatalx("seccomp_rule_add(%d) failed", list[i]);
	}
}

static void
sandbox_rule(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned int n,
    const struct scmp_arg_cmp *cmp)
{
	int	rc;

	if (nr < 0)
		return;
	rc = seccomp_rule_add_array(ctx, action, nr, n, cmp);
	if (rc < 0)
		fatalx("seccomp rule for syscall %d: %s", nr, strerror(-rc));
}

/* Argument-restricted rules shared by all roles. */
static void
sandbox_common_args(scmp_filter_ctx ctx)
{
	struct scmp_arg_cmp	c[1];

	/* memory: never executable */
	c[0] = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
	sandbox_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, c);
	sandbox_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1, c);
	/* fcntl: only flags */
	c[0] = SCMP_A1(SCMP_CMP_EQ, F_GETFL);
	sandbox_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1, c);
	c[0] = SCMP_A1(SCMP_CMP_EQ, F_SETFL);
	sandbox_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1, c);
	c[0] = SCMP_A1(SCMP_CMP_EQ, F_GETFD);
	sandbox_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1, c);
	/* the SIGSYS reporter kills itself, nothing else */
	c[0] = SCMP_A1(SCMP_CMP_EQ, SIGSYS);
	sandbox_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1, c);
	/* abort() (FORTIFY, stack protector) must die of SIGABRT, not SIGSYS */
	c[0] = SCMP_A2(SCMP_CMP_EQ, SIGABRT);
	sandbox_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1, c);
	/* libc probes files and copes with EACCES; never kill for it */
	sandbox_rule(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(fstat), 0, NULL);
	sandbox_rule(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(newfstatat), 0,
	    NULL);
	sandbox_rule(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(statx), 0, NULL);
	sandbox_rule(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0, NULL);
	sandbox_rule(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0, NULL);
}

/*
 * A TCP link's own connection is a new socket after every loss: IPv4 or
 * IPv6 streams only, and of the options only those it sets (buffers
 * beyond net.core.wmem_max would need CAP_NET_ADMIN, which sync lacks).
 */
static void
sandbox_sync(scmp_filter_ctx ctx)
{
	const int		 fam[] = { AF_INET, AF_INET6 };
	const int		 opt[] = { SO_KEEPALIVE, SO_SNDBUF };
	const uint32_t		 flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
	struct scmp_arg_cmp	 c[3];
	size_t			 i;

	for (i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		c[0] = SCMP_A0(SCMP_CMP_EQ, fam[i]);
		c[1] = SCMP_A1(SCMP_CMP_MASKED_EQ, (uint32_t)~flags,
		    SOCK_STREAM);
		c[2] = SCMP_A2(SCMP_CMP_EQ, 0);
		sandbox_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 3, c);
	}
	for (i = 0; i < sizeof(opt) / sizeof(opt[0]); i++) {
		c[0] = SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET);
		c[1] = SCMP_A2(SCMP_CMP_EQ, opt[i]);
		sandbox_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2, c);
	}
	sandbox_allow(ctx, sc_sync, sizeof(sc_sync) / sizeof(sc_sync[0]));
}

static void
sandbox_role_args(scmp_filter_ctx ctx, int role)
{
	struct scmp_arg_cmp	c[1];
	int			i;

	switch (role) {
	case PROC_MONITOR:
		/* children are signalled at shutdown */
		c[0] = SCMP_A1(SCMP_CMP_EQ, SIGTERM);
		sandbox_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1, c);
		c[0] = SCMP_A1(SCMP_CMP_EQ, SIGKILL);
		sandbox_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1, c);
		/* syslog reconnects after a syslogd restart: fail softly */
		sandbox_rule(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 0,
		    NULL);
		sandbox_rule(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(connect), 0,
		    NULL);
		/* removing the socket and lock file: their directories only */
		for (i = 0; i < 2; i++) {
			if (sandbox_unlink_dirs[i] == -1)
				continue;
			c[0] = SCMP_A0(SCMP_CMP_EQ, sandbox_unlink_dirs[i]);
			sandbox_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(unlinkat), 1,
			    c);
		}
		sandbox_allow(ctx, sc_monitor,
		    sizeof(sc_monitor) / sizeof(sc_monitor[0]));
		break;
	case PROC_SYNC:
		sandbox_sync(ctx);
		break;
	case PROC_KERNEL:
		c[0] = SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET);
		sandbox_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 1, c);
		/* leaving and rejoining the event groups around a flush */
		c[0] = SCMP_A1(SCMP_CMP_EQ, SOL_NETLINK);
		sandbox_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 1, c);
		sandbox_allow(ctx, sc_kernel,
		    sizeof(sc_kernel) / sizeof(sc_kernel[0]));
		break;
	default:
		fatalx("%s: bad role %d", __func__, role);
	}
}

static void
sandbox_install_trap(int role, int report_fd)
{
	struct sigaction	sa;

	sandbox_role = role;
	sandbox_report_fd = report_fd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sandbox_sigsys;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == -1)
		fatal("sigaction(SIGSYS)");
}

/* The monitor may unlinkat() only relative to these directory fds. */
void
sandbox_restrict_unlink(int dirfd1, int dirfd2)
{
	sandbox_unlink_dirs[0] = dirfd1;
	sandbox_unlink_dirs[1] = dirfd2;
}

/*
 * Load the role's filter.  NO_NEW_PRIVS is already set by privdrop();
 * libseccomp would set it too.
 */
void
sandbox_enter(int role, int report_fd)
{
	scmp_filter_ctx	 ctx;
	uint32_t	 deflt = SCMP_ACT_TRAP;
	int		 rc;

#ifdef CTSYNCD_SANITIZE
	deflt = SCMP_ACT_LOG;
#endif
	sandbox_install_trap(role, report_fd);
	if ((ctx = seccomp_init(deflt)) == NULL)
		fatalx("seccomp_init failed");
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1) < 0)
		log_debug("seccomp: cannot enable logging of denials");
	sandbox_allow(ctx, sc_common, sizeof(sc_common) / sizeof(sc_common[0]));
	sandbox_common_args(ctx);
	sandbox_role_args(ctx, role);
	if ((rc = seccomp_load(ctx)) < 0)
		fatalx("seccomp_load: %s", strerror(-rc));
	seccomp_release(ctx);
}

const char *
sandbox_syscall_name(int32_t nr, uint32_t arch, char *buf, size_t len)
{
	char	*name;

	name = seccomp_syscall_resolve_num_arch(arch, nr);
	if (name == NULL)
		snprintf(buf, len, "#%d", nr);
	else {
		snprintf(buf, len, "%s (#%d)", name, nr);
		free(name);
	}
	return buf;
}
