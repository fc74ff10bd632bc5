/*
 * libFuzzer target for privsep/imsg.c: the input is a raw byte stream
 * from a hostile peer.
 *
 * Input layout:
 *   byte 0      flags: bit 0 allow fd passing on the reader,
 *               bit 1 attach an fd to every third chunk
 *   bytes 1-4   chunk sizes (0 means 4096), used round robin
 *   rest        the stream, written in those chunks into one end of a
 *               socketpair while the other end is read and decoded
 *
 * Invariants checked (abort on violation): exact-length decode accepts
 * exactly the payload length, a cursor walk ends iff nothing is left,
 * every received message can be re-composed, and no fd outlives a run.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

#define FUZZ_MAXSIZE	4096

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
count_fds(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return (n);
}

static void
check_imsg(struct imsg *m, struct imsgbuf *echo)
{
	struct imsg_cursor	 c;
	struct iovec		 iov[2];
	uint8_t			 data[FUZZ_MAXSIZE];
	char			 str[64];
	uint32_t		 v;
	size_t			 len;
	int			 fd;

	len = imsg_get_len(m);
	if (len > FUZZ_MAXSIZE - IMSG_HEADER_SIZE ||
	    m->hdr.len != len + IMSG_HEADER_SIZE)
		abort();
	if (imsg_get_data(m, data, len) != 0)
		abort();
	if (imsg_get_data(m, data, len + 1) != -1)
		abort();
	if (len != sizeof(v) && imsg_get_data(m, &v, sizeof(v)) != -1)
		abort();

	/* walk: u32, string, else skip a byte; each step consumes >= 1 */
	imsg_cursor_init(&c, m);
	for (;;) {
		if (imsg_cursor_get_u32(&c, &v) == 0)
			continue;
		if (imsg_cursor_get_string(&c, str, sizeof(str)) == 0) {
			if (memchr(str, '\0', sizeof(str)) == NULL)
				abort();
			continue;
		}
		if (imsg_cursor_get(&c, NULL, 1) == -1)
			break;
	}
	if (c.left != 0 || imsg_cursor_end(&c) != 0)
		abort();

	/* what we received must be composable again on the same maxsize */
	iov[0].iov_base = m->data;
	iov[0].iov_len = len / 2;
	iov[1].iov_base = m->data == NULL ? NULL : m->data + len / 2;
	iov[1].iov_len = len - len / 2;
	if (imsg_composev(echo, imsg_get_type(m), imsg_get_id(m),
	    imsg_get_pid(m), -1, iov, 2) != 0)
		abort();

	if (imsg_get_type(m) & 1) {
		if ((fd = imsg_get_fd(m)) >= 0)
			close(fd);
	}
	imsg_free(m);
}

/* one read and all complete messages; -1 once the channel is done */
static int
drain(struct imsgbuf *r, struct imsgbuf *echo)
{
	struct imsg	m;
	int		rv;

	if ((rv = imsgbuf_read(r)) != 1)
		return (-1);
	while ((rv = imsgbuf_get(r, &m)) == 1)
		check_imsg(&m, echo);
	return (rv == -1 ? -1 : 0);
}

static ssize_t
send_chunk(int sock, const uint8_t *p, size_t len, int fd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	}		 cm;
	struct msghdr	 msg;
	struct cmsghdr	*c;
	struct iovec	 iov;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)(uintptr_t)p;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return (sendmsg(sock, &msg, MSG_NOSIGNAL));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imsgbuf	 r, echo;
	size_t		 sizes[4], off, want;
	ssize_t		 n;
	int		 sv[2], flags, i, base, nullfd = -1, done = 0;
	unsigned int	 chunk = 0;

	if (size < 5)
		return (0);
	flags = data[0];
	for (i = 0; i < 4; i++)
		sizes[i] = data[1 + i] != 0 ? data[1 + i] : 4096;
	data += 5;
	size -= 5;

	base = count_fds();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, sv) == -1)
		abort();
	if (imsgbuf_init(&r, sv[1]) == -1 || imsgbuf_init(&echo, -1) == -1)
		abort();
	if (imsgbuf_set_maxsize(&r, FUZZ_MAXSIZE) == -1 ||
	    imsgbuf_set_maxsize(&echo, FUZZ_MAXSIZE) == -1)
		abort();
	if (flags & 1)
		imsgbuf_allow_fdpass(&r);
	if (flags & 2)
		nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	for (off = 0; off < size && !done; chunk++) {
		want = sizes[chunk % 4];
		if (want > size - off)
			want = size - off;
		n = send_chunk(sv[0], data + off, want,
		    chunk % 3 == 0 ? nullfd : -1);
		if (n == -1 && errno != EAGAIN)
			abort();
		if (n > 0)
			off += (size_t)n;
		/* the reader always makes progress or fails for good */
		if (drain(&r, &echo) == -1)
			done = 1;
	}
	shutdown(sv[0], SHUT_WR);
	while (!done)
		if (drain(&r, &echo) == -1)
			done = 1;

	imsgbuf_clear(&r);
	imsgbuf_clear(&echo);
	if (nullfd != -1)
		close(nullfd);
	close(sv[0]);
	close(sv[1]);
	if (count_fds() != base)
		abort();
	return (0);
}
