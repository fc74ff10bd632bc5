/*
 * Test-only hooks, compiled in only for ctsyncd-testhooks (the test
 * build): CTSYNCD_TEST_SECCOMP=<role> makes that process make a syscall
 * its sandbox forbids, so tests can prove the violation path.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"

#ifdef CTSYNCD_TEST_HOOKS
int
testhook_enabled(void)
{
	return 1;
}

void
testhook_after_sandbox(int role)
{
	const char	*want = getenv("CTSYNCD_TEST_SECCOMP");

	if (want == NULL || strcmp(want, proc_name(role)) != 0)
		return;
	log_warnx("test hook: making a forbidden syscall");
	/* socket(2) is on no role's list after the drop (EACCES in monitor) */
	(void)socketpair(AF_UNIX, SOCK_STREAM, 0, (int[2]){ -1, -1 });
}
#else
int
testhook_enabled(void)
{
	return 0;
}

void
testhook_after_sandbox(int role)
{
	(void)role;
}
#endif
