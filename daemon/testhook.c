/*
 * Test-only hooks, compiled in only for ctsyncd-testhooks (the test
 * build):
 *  - CTSYNCD_TEST_SECCOMP=<role>: that process makes a syscall its
 *    sandbox forbids, so tests can prove the violation path;
 *    "sync-udp": sync opens a datagram socket, which its argument
 *    filter forbids (it may only open TCP connections);
 *  - CTSYNCD_TEST_MIRROR=1: sync copies the internal conntrack cache into
 *    the external one after each kernel dump, so commit can be tested on
 *    one node before the wire protocol exists;
 *  - CTSYNCD_TEST_INJECT=<file>: sync sends the raw imsgs in that file
 *    (u32 type, u32 length, payload; host order) to the kernel process
 *    once it runs, to prove the kernel side refuses bad messages.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

	if (want != NULL && role == PROC_SYNC &&
	    strcmp(want, "sync-udp") == 0) {
		log_warnx("test hook: opening a datagram socket");
		(void)socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		return;
	}
	if (want == NULL || strcmp(want, proc_name(role)) != 0)
		return;
	log_warnx("test hook: making a forbidden syscall");
	/* socket(2) is on no role's list after the drop (EACCES in monitor) */
	(void)socketpair(AF_UNIX, SOCK_STREAM, 0, (int[2]){ -1, -1 });
}

#define INJECT_MAX	(1024 * 1024)

static char	*inject_buf;
static size_t	 inject_len;

int
testhook_mirror(void)
{
	const char	*v = getenv("CTSYNCD_TEST_MIRROR");

	return v != NULL && strcmp(v, "1") == 0;
}

/* Before the chroot: read the file of messages to inject. */
void
testhook_inject_load(void)
{
	const char	*path = getenv("CTSYNCD_TEST_INJECT");
	ssize_t		 n;
	int		 fd;

	if (path == NULL)
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		fatal("test hook: %s", path);
	if ((inject_buf = malloc(INJECT_MAX)) == NULL)
		fatal("test hook");
	while ((n = read(fd, inject_buf + inject_len, INJECT_MAX - inject_len))
	    > 0)
		inject_len += (size_t)n;
	close(fd);
}

void
testhook_inject_send(void)
{
	uint32_t	type, len;
	size_t		off = 0;

	while (off + 8 <= inject_len) {
		memcpy(&type, inject_buf + off, 4);
		memcpy(&len, inject_buf + off + 4, 4);
		off += 8;
		if (len > inject_len - off)
			break;
		log_warnx("test hook: injecting %s (%u bytes) to kernel",
		    imsg_type_name(type), len);
		child_send_peer(type, 0, inject_buf + off, len);
		off += len;
	}
}
#else
int
testhook_mirror(void)
{
	return 0;
}

void
testhook_inject_load(void)
{
}

void
testhook_inject_send(void)
{
}

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
