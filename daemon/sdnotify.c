/*
 * The systemd notification protocol (sd_notify(3)) without libsystemd:
 * one datagram per state change on the AF_UNIX socket named by
 * NOTIFY_SOCKET.  The socket is opened and connected as root before the
 * chroot and the seccomp filter (neither socket() nor a path lookup
 * works afterwards); later sends are a plain send(2) on it.
 *
 * Used only with "Systemd on" in General (the default), as conntrackd.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

static int	sd_fd = -1;
static int64_t	sd_wd_interval;		/* ms between WATCHDOG=1, 0: none */
static int64_t	sd_wd_last;
static int	sd_stopping;

/* NOTIFY_SOCKET: a path or "@abstract"; anything else is not for us. */
static int
sdnotify_addr(const char *e, struct sockaddr_un *sun, socklen_t *len)
{
	size_t	n = strlen(e);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if ((e[0] != '/' && e[0] != '@') || n < 2 ||
	    n >= sizeof(sun->sun_path))
		return -1;
	memcpy(sun->sun_path, e, n);
	if (e[0] == '@')
		sun->sun_path[0] = '\0';	/* abstract: no trailing NUL */
	else
		n++;
	*len = offsetof(struct sockaddr_un, sun_path) + n;
	return 0;
}

/*
 * WATCHDOG_USEC asks for a keep-alive every half period; WATCHDOG_PID,
 * if set, names the process it is meant for.
 */
static void
sdnotify_watchdog_env(void)
{
	const char		*u = getenv("WATCHDOG_USEC");
	const char		*p = getenv("WATCHDOG_PID");
	char			*end;
	unsigned long long	 usec;
	long			 pid;

	if (u == NULL)
		return;
	if (p != NULL) {
		errno = 0;
		pid = strtol(p, &end, 10);
		if (errno != 0 || *end != '\0' || pid != (long)getpid()) {
			log_debug("systemd: WATCHDOG_PID %s is not us", p);
			return;
		}
	}
	errno = 0;
	usec = strtoull(u, &end, 10);
	if (errno != 0 || *end != '\0' || usec == 0 ||
	    usec > (unsigned long long)INT64_MAX / 2) {
		log_warnx("systemd: ignoring bad WATCHDOG_USEC `%s'", u);
		return;
	}
	sd_wd_interval = (int64_t)(usec / 2000);
	if (sd_wd_interval == 0)
		sd_wd_interval = 1;
}

/*
 * Call as root, after daemon(3) (so getpid() is final) and before the
 * children are spawned (they must not inherit the variables).
 */
void
sdnotify_open(int enabled)
{
	const char		*e = getenv("NOTIFY_SOCKET");
	struct sockaddr_un	 sun;
	socklen_t		 len;

	if (!enabled || e == NULL)
		return;
	if (sdnotify_addr(e, &sun, &len) == -1) {
		log_warnx("systemd: unsupported NOTIFY_SOCKET `%s'", e);
		goto out;
	}
	sdnotify_watchdog_env();
	/* non-blocking: a stuck service manager must not stall us */
	sd_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (sd_fd == -1 || connect(sd_fd, (struct sockaddr *)&sun, len) == -1) {
		log_warn("systemd: notify socket %s", e);
		if (sd_fd != -1)
			close(sd_fd);
		sd_fd = -1;
		sd_wd_interval = 0;
	}
 out:
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

static void
sdnotify_send(const char *msg)
{
	if (sd_fd == -1)
		return;
	if (send(sd_fd, msg, strlen(msg), MSG_NOSIGNAL) == -1)
		log_warn("systemd: notify \"%.*s\"", (int)strcspn(msg, "\n"),
		    msg);
}

/* Children ready, control socket listening, sandbox in place. */
void
sdnotify_ready(int64_t now)
{
	char	msg[64];

	snprintf(msg, sizeof(msg), "READY=1\nMAINPID=%ld", (long)getpid());
	sdnotify_send(msg);
	sd_wd_last = now;
}

void
sdnotify_stopping(void)
{
	if (sd_stopping++)
		return;
	sdnotify_send("STOPPING=1");
	sd_wd_interval = 0;
}

/* From the monitor's loop: a keep-alive when half the period passed. */
void
sdnotify_watchdog(int64_t now)
{
	if (sd_wd_interval == 0 || now - sd_wd_last < sd_wd_interval)
		return;
	sdnotify_send("WATCHDOG=1");
	sd_wd_last = now;
}

/* How long the loop may sleep, at most max ms, to ping in time. */
int
sdnotify_timeout_ms(int64_t now, int max)
{
	int64_t	left;

	if (sd_wd_interval == 0)
		return max;
	left = sd_wd_last + sd_wd_interval - now;
	if (left < 0)
		left = 0;
	return left < max ? (int)left : max;
}
