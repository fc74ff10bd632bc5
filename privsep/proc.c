/*
 * Process roles and spawning.  Each child re-executes the daemon binary
 * with "-P role", so it starts with a fresh address space and finds its
 * channels at fixed descriptors.
 */
#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "privsep.h"

static const char *const proc_names[PROC_MAX] = {
	[PROC_MONITOR] = "monitor",
	[PROC_SYNC] = "sync",
	[PROC_KERNEL] = "kernel",
};

const char *
proc_name(int role)
{
	if (role < 0 || role >= PROC_MAX)
		return "unknown";
	return proc_names[role];
}

int
proc_role_from_name(const char *name)
{
	int	i;

	for (i = 0; i < PROC_MAX; i++)
		if (strcmp(name, proc_names[i]) == 0)
			return i;
	return -1;
}

/* Move fd to target, coping with fds that already sit on a target. */
static int
proc_place_fd(int fd, int target)
{
	if (fd == target)
		return 0;
	if (dup2(fd, target) == -1)
		return -1;
	return 0;
}

/*
 * Fork and exec one child.  chan, peer and report are the child's ends;
 * they must not be any of 3..5 already, the caller makes sure of that by
 * opening them after those slots are taken (see monitor_spawn).
 */
pid_t
proc_spawn(const char *self, int role, int chan, int peer, int report,
    int debug, int verbose)
{
	char		*argv[8];
	int		 argc = 0;
	pid_t		 pid;
	sigset_t	 none;

	switch ((pid = fork())) {
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		return pid;
	}
	if (proc_place_fd(chan, PROC_FD_MONITOR) == -1 ||
	    proc_place_fd(peer, PROC_FD_PEER) == -1 ||
	    proc_place_fd(report, PROC_FD_REPORT) == -1) {
		log_warn("%s: dup2", __func__);
		_exit(1);
	}
	closefrom(PROC_FD_REPORT + 1);
	/* the monitor blocks its signals for ppoll(); exec keeps the mask */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	argv[argc++] = (char *)"ctsyncd";
	argv[argc++] = (char *)"-P";
	argv[argc++] = (char *)proc_name(role);
	if (debug)
		argv[argc++] = (char *)"-d";
	if (verbose)
		argv[argc++] = (char *)"-v";
	argv[argc] = NULL;
	execv(self, argv);
	log_warn("exec %s", self);
	_exit(1);
}
