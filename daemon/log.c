/*
 * Logging.  Only the monitor writes to stderr, syslog or LogFile; the
 * children forward each line to it over imsg (syslog inside a chroot
 * breaks, and one writer keeps the repeat suppression in one place).
 */
#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "ctsyncd.h"
#include "imsg.h"
#include "log.h"

#define REPEAT_WINDOW	30	/* seconds an identical line stays suppressed */

static int		 log_debug_mode;	/* stderr */
static int		 log_verbose;
static int		 log_syslog = -1;	/* facility, -1 = off */
static int		 log_fd = -1;		/* LogFile */
static const char	*log_procname = "monitor";
static struct imsgbuf	*log_fwd;		/* children: to the monitor */

static char		 last_line[LOG_EMIT_MAX];
static int		 last_pri;
static unsigned long	 last_repeats;
static time_t		 last_time;

static void	log_write(int, const char *);

void
log_init(int debug, int syslog_facility)
{
	log_debug_mode = debug;
	log_syslog = syslog_facility;
	/* localtime() must not need /etc/localtime after chroot */
	tzset();
	if (log_syslog >= 0)
		openlog("ctsyncd", LOG_PID | LOG_NDELAY, log_syslog);
}

void
log_set_sinks(int syslog_facility, int fd)
{
	if (syslog_facility >= 0 && log_syslog < 0)
		openlog("ctsyncd", LOG_PID | LOG_NDELAY, syslog_facility);
	log_syslog = syslog_facility;
	log_fd = fd;
}

void
log_procinit(const char *name)
{
	if (name != NULL)
		log_procname = name;
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

int
log_getverbose(void)
{
	return log_verbose;
}

void
log_set_forward(struct imsgbuf *ibuf)
{
	log_fwd = ibuf;
}

static const char *
pri_name(int pri)
{
	switch (pri) {
	case LOG_CRIT:
	case LOG_ERR:
		return "ERROR";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	case LOG_DEBUG:
		return "debug";
	default:
		return "info";
	}
}

static void
log_write(int pri, const char *line)
{
	char		 tbuf[64];
	char		 out[LOG_EMIT_MAX + 128];
	struct tm	 tm;
	time_t		 now;
	int		 n;

	if (log_debug_mode)
		fprintf(stderr, "%s\n", line);
	if (log_syslog >= 0)
		syslog(pri, "%s", line);
	if (log_fd != -1) {
		now = time(NULL);
		/* localtime_r: no /etc/localtime re-check inside the chroot */
		strftime(tbuf, sizeof(tbuf), "%a %b %e %H:%M:%S %Y",
		    localtime_r(&now, &tm));
		n = snprintf(out, sizeof(out), "[%s] (pid=%d) [%s] %s\n",
		    tbuf, (int)getpid(), pri_name(pri), line);
		if (n > 0 && (size_t)n >= sizeof(out))
			n = sizeof(out) - 1;
		/* a failed write has nowhere left to be reported */
		if (n > 0)
			(void)!write(log_fd, out, n);
	}
}

/*
 * Emit summary of suppressed repeats once their window is over; the
 * monitor calls this from its timer.
 */
void
log_flush_repeats(void)
{
	char	buf[LOG_EMIT_MAX + 64];

	if (last_repeats == 0 || time(NULL) - last_time < REPEAT_WINDOW)
		return;
	snprintf(buf, sizeof(buf), "%lu more like this: %s", last_repeats,
	    last_line);
	last_repeats = 0;
	last_line[0] = '\0';
	log_write(last_pri, buf);
}

/* Final sink in the monitor, with repeat suppression. */
void
log_emit(int pri, const char *line)
{
	char	buf[LOG_EMIT_MAX + 64];
	time_t	now = time(NULL);

	if (pri == LOG_DEBUG && !log_verbose)
		return;
	if (strcmp(line, last_line) == 0 && now - last_time < REPEAT_WINDOW) {
		last_repeats++;
		return;
	}
	if (last_repeats > 0) {
		snprintf(buf, sizeof(buf), "%lu more like this: %s",
		    last_repeats, last_line);
		log_write(last_pri, buf);
	}
	strlcpy(last_line, line, sizeof(last_line));
	last_pri = pri;
	last_repeats = 0;
	last_time = now;
	log_write(pri, line);
}

static void
log_forward(int pri, const char *line)
{
	struct log_hdr	 hdr;
	struct iovec	 iov[2];

	memset(&hdr, 0, sizeof(hdr));
	hdr.priority = pri;
	iov[0].iov_base = &hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)line;
	iov[1].iov_len = strlen(line) + 1;
	if (imsg_composev(log_fwd, IMSG_LOG, 0, 0, -1, iov, 2) == -1)
		return;
	/* try now so lines are not held back until the next poll */
	(void)imsgbuf_write(log_fwd);
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	char	line[LOG_LINE_MAX];
	int	saved_errno = errno;

	if (pri == LOG_DEBUG && !log_verbose) {
		errno = saved_errno;
		return;
	}
	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_fwd != NULL)
		log_forward(pri, line);
	else
		log_emit(pri, line);
	errno = saved_errno;
}

static void
logit(int pri, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

static void
vlog_errno(int pri, int code, const char *fmt, va_list ap)
{
	char	msg[LOG_LINE_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (code != 0)
		logit(pri, "%s: %s", msg, strerror(code));
	else
		logit(pri, "%s", msg);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved_errno = errno;

	va_start(ap, fmt);
	vlog_errno(LOG_WARNING, saved_errno, fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_notice(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_NOTICE, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

static __dead void
vfatalc(int code, const char *fmt, va_list ap)
{
	char	msg[LOG_LINE_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (code != 0)
		logit(LOG_CRIT, "fatal in %s: %s: %s", log_procname, msg,
		    strerror(code));
	else
		logit(LOG_CRIT, "fatal in %s: %s", log_procname, msg);
	if (log_fwd != NULL)
		(void)imsgbuf_flush(log_fwd);
	exit(1);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vfatalc(errno, fmt, ap);
	va_end(ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vfatalc(0, fmt, ap);
	va_end(ap);
}
