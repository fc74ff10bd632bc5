/*
 * Unit tests for privsep/imsg.c.  No framework: every CHECK prints
 * file:line when it fails, and the exit status is nonzero if any did.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

#include "check.h"

static int	poll_ms = 2000;		/* recv_one gives up after this */

/* open fds of this process, via /proc/self/fd */
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

static int
fd_is_open(int fd)
{
	return (fcntl(fd, F_GETFD) != -1 || errno != EBADF);
}

static void
mkpair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, sv) == -1) {
		perror("socketpair");
		exit(2);
	}
}

static void
pattern(uint8_t *p, size_t len, unsigned int seed)
{
	size_t	i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 8));
}

static int
pattern_ok(const uint8_t *p, size_t len, unsigned int seed)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (p[i] != (uint8_t)(seed * 31 + i * 7 + (i >> 8)))
			return (0);
	return (1);
}

/* write all of p to a (possibly non-blocking) fd */
static int
raw_write(int fd, const void *p, size_t len)
{
	const uint8_t	*b = p;
	struct pollfd	 pfd;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, b, len)) == -1) {
			if (errno != EAGAIN)
				return (-1);
			pfd.fd = fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, 2000) <= 0)
				return (-1);
			continue;
		}
		b += n;
		len -= (size_t)n;
	}
	return (0);
}

static void
mkhdr(uint8_t *p, uint32_t type, uint32_t len, uint32_t id, uint32_t pid)
{
	struct imsg_hdr	hdr = { type, len, id, pid };

	memcpy(p, &hdr, sizeof(hdr));
}

/*
 * Next message from r: 1 got one, 0 EOF, -1 error, -2 timeout.
 */
static int
recv_one(struct imsgbuf *r, struct imsg *m)
{
	struct pollfd	pfd;
	int		rv;

	for (;;) {
		if ((rv = imsgbuf_get(r, m)) != 0)
			return (rv);
		pfd.fd = r->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, poll_ms) <= 0)
			return (-2);
		if ((rv = imsgbuf_read(r)) != 1)
			return (rv);
	}
}

/* send one payload from s to r and receive it as m */
static int
xfer(struct imsgbuf *s, struct imsgbuf *r, const void *p, size_t len,
    struct imsg *m)
{
	if (imsg_compose(s, 1, 2, 0, -1, p, len) == -1)
		return (-1);
	if (imsgbuf_flush(s) == -1)
		return (-1);
	return (recv_one(r, m));
}

static void
test_init(void)
{
	struct imsgbuf	b;

	CHECK(imsgbuf_init(&b, -1) == 0);
	CHECK(b.pid == getpid());
	CHECK(b.maxsize == IMSG_DEFAULT_MAXSIZE);
	CHECK(imsgbuf_queuelen(&b) == 0);
	errno = 0;
	CHECK(imsgbuf_set_maxsize(&b, IMSG_HEADER_SIZE - 1) == -1 &&
	    errno == EINVAL);
	errno = 0;
	CHECK(imsgbuf_set_maxsize(&b, IMSG_MAXSIZE_LIMIT + 1) == -1 &&
	    errno == EINVAL);
	CHECK(b.maxsize == IMSG_DEFAULT_MAXSIZE);
	CHECK(imsgbuf_set_maxsize(&b, IMSG_HEADER_SIZE) == 0);
	/* header-only channel: no payload fits */
	errno = 0;
	CHECK(imsg_compose(&b, 1, 0, 0, -1, "x", 1) == -1 && errno == ERANGE);
	CHECK(imsg_compose(&b, 1, 0, 0, -1, NULL, 0) == 0);
	CHECK(imsgbuf_set_maxsize(&b, IMSG_MAXSIZE_LIMIT) == 0);
	CHECK(b.maxsize == IMSG_MAXSIZE_LIMIT);
	imsgbuf_clear(&b);
	CHECK(imsgbuf_queuelen(&b) == 0);
	CHECK(b.rbuf == NULL);
	/* clear twice is harmless */
	imsgbuf_clear(&b);
}

static void
test_roundtrip(void)
{
	enum { N = 400, MAX = 4096, MAXP = MAX - 16 };
	struct imsgbuf	 s, r;
	struct imsg	 m;
	struct iovec	 iov[3];
	uint8_t		*p, *q;
	size_t		 len;
	int		 sv[2], i, got = 0, bad = 0, loops = 0, rv;

	mkpair(sv);
	CHECK(imsgbuf_init(&s, sv[0]) == 0);
	CHECK(imsgbuf_init(&r, sv[1]) == 0);
	CHECK(imsgbuf_set_maxsize(&s, MAX) == 0);
	CHECK(imsgbuf_set_maxsize(&r, MAX) == 0);
	p = malloc(MAX);
	q = malloc(MAX);

	/* oversize and bad arguments are refused and queue nothing */
	errno = 0;
	CHECK(imsg_compose(&s, 1, 0, 0, -1, p, MAXP + 1) == -1 &&
	    errno == ERANGE);
	errno = 0;
	CHECK(imsg_compose(&s, 1, 0, 0, -1, NULL, 4) == -1 && errno == EINVAL);
	iov[0].iov_base = p;
	iov[0].iov_len = MAXP;
	iov[1].iov_base = p;
	iov[1].iov_len = 1;
	errno = 0;
	CHECK(imsg_composev(&s, 1, 0, 0, -1, iov, 2) == -1 && errno == ERANGE);
	iov[1].iov_len = SIZE_MAX;
	errno = 0;
	CHECK(imsg_composev(&s, 1, 0, 0, -1, iov, 2) == -1 && errno == ERANGE);
	CHECK(imsgbuf_queuelen(&s) == 0);

	for (i = 0; i < N; i++) {
		len = (size_t)i * 37 % (MAXP + 1);
		if (i % 50 == 0)
			len = 0;
		if (i % 50 == 1)
			len = MAXP;
		pattern(p, len, (unsigned)i);
		rv = imsg_compose(&s, (uint32_t)i, (uint32_t)i * 3,
		    i % 2 ? 4242 : 0, -1, len ? p : NULL, len);
		if (rv == -1)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(imsgbuf_queuelen(&s) == N);

	while (got < N && loops++ < 100000) {
		if (imsgbuf_write(&s) == -1)
			break;
		if (imsgbuf_read(&r) != 1)
			break;
		while ((rv = imsgbuf_get(&r, &m)) == 1) {
			len = (size_t)got * 37 % (MAXP + 1);
			if (got % 50 == 0)
				len = 0;
			if (got % 50 == 1)
				len = MAXP;
			if (imsg_get_type(&m) != (uint32_t)got ||
			    imsg_get_id(&m) != (uint32_t)got * 3 ||
			    imsg_get_pid(&m) != (got % 2 ? 4242 : getpid()) ||
			    imsg_get_len(&m) != len ||
			    m.hdr.len != len + IMSG_HEADER_SIZE ||
			    m.fd != -1 ||
			    imsg_get_data(&m, q, len) != 0 ||
			    !pattern_ok(q, len, (unsigned)got))
				bad++;
			imsg_free(&m);
			got++;
		}
		if (rv == -1)
			break;
	}
	CHECK(got == N);
	CHECK(bad == 0);
	CHECK(imsgbuf_queuelen(&s) == 0);

	/* iovec form concatenates its pieces */
	iov[0].iov_base = "ab";
	iov[0].iov_len = 2;
	iov[1].iov_base = NULL;
	iov[1].iov_len = 0;
	iov[2].iov_base = "cde";
	iov[2].iov_len = 3;
	CHECK(imsg_composev(&s, 77, 5, 0, -1, iov, 3) == 0);
	CHECK(imsgbuf_flush(&s) == 0);
	CHECK(recv_one(&r, &m) == 1);
	CHECK(imsg_get_type(&m) == 77 && imsg_get_len(&m) == 5);
	CHECK(imsg_get_len(&m) == 5 && memcmp(m.data, "abcde", 5) == 0);
	imsg_free(&m);

	free(p);
	free(q);
	imsgbuf_clear(&s);
	imsgbuf_clear(&r);
	close(sv[0]);
	close(sv[1]);
}

/* the peer dribbles one byte at a time: get waits for the whole message */
static void
test_partial(void)
{
	struct imsgbuf	r;
	struct imsg	m;
	uint8_t		wire[16 + 10];
	int		sv[2], early = 0, rdbad = 0, rv = 0;
	size_t		i;

	mkpair(sv);
	CHECK(imsgbuf_init(&r, sv[1]) == 0);
	mkhdr(wire, 9, sizeof(wire), 3, 99);
	pattern(wire + 16, 10, 5);
	for (i = 0; i < sizeof(wire); i++) {
		if (raw_write(sv[0], wire + i, 1) == -1 ||
		    imsgbuf_read(&r) != 1)
			rdbad++;
		rv = imsgbuf_get(&r, &m);
		if (i + 1 < sizeof(wire) && rv != 0)
			early++;
		/* nothing buffered yet: read must report "try again" */
		if (i + 1 < sizeof(wire) && imsgbuf_read(&r) != 1)
			rdbad++;
	}
	CHECK(rdbad == 0);
	CHECK(early == 0);
	CHECK(rv == 1);
	if (rv == 1) {
		CHECK(imsg_get_type(&m) == 9 && imsg_get_id(&m) == 3);
		CHECK(imsg_get_pid(&m) == 99);
		CHECK(imsg_get_len(&m) == 10 && pattern_ok(m.data, 10, 5));
		imsg_free(&m);
	}
	CHECK(imsgbuf_get(&r, &m) == 0);
	CHECK(r.rlen == 0);
	imsgbuf_clear(&r);
	close(sv[0]);
	close(sv[1]);
}

static void
test_two_in_one_read(void)
{
	struct imsgbuf	s, r;
	struct imsg	m;
	int		sv[2];

	mkpair(sv);
	CHECK(imsgbuf_init(&s, sv[0]) == 0);
	CHECK(imsgbuf_init(&r, sv[1]) == 0);
	CHECK(imsg_compose(&s, 1, 0, 0, -1, "one", 3) == 0);
	CHECK(imsg_compose(&s, 2, 0, 0, -1, "second", 6) == 0);
	CHECK(imsgbuf_queuelen(&s) == 2);
	CHECK(imsgbuf_write(&s) == 0);
	CHECK(imsgbuf_queuelen(&s) == 0);
	CHECK(imsgbuf_read(&r) == 1);
	CHECK(r.rlen == 2 * 16 + 9);
	CHECK(imsgbuf_get(&r, &m) == 1);
	CHECK(imsg_get_type(&m) == 1 && imsg_get_len(&m) == 3 &&
	    memcmp(m.data, "one", 3) == 0);
	imsg_free(&m);
	CHECK(imsgbuf_get(&r, &m) == 1);
	CHECK(imsg_get_type(&m) == 2 && imsg_get_len(&m) == 6 &&
	    memcmp(m.data, "second", 6) == 0);
	imsg_free(&m);
	CHECK(imsgbuf_get(&r, &m) == 0);
	imsgbuf_clear(&s);
	imsgbuf_clear(&r);
	close(sv[0]);
	close(sv[1]);
}

/* send a raw header (plus optional payload) and return what get says */
static int
get_raw(uint32_t len, size_t payload, uint32_t maxsize, struct imsg *m)
{
	struct imsgbuf	 r;
	uint8_t		*wire;
	int		 sv[2], rv, saved_errno = 0;

	mkpair(sv);
	if (imsgbuf_init(&r, sv[1]) == -1 ||
	    imsgbuf_set_maxsize(&r, maxsize) == -1)
		return (-3);
	if ((wire = calloc(1, 16 + payload)) == NULL)
		return (-3);
	mkhdr(wire, 1, len, 0, 0);
	pattern(wire + 16, payload, 1);
	rv = -3;
	if (raw_write(sv[0], wire, 16 + payload) == 0) {
		errno = 0;
		rv = recv_one(&r, m);
		saved_errno = errno;
	}
	free(wire);
	imsgbuf_clear(&r);
	close(sv[0]);
	close(sv[1]);
	errno = saved_errno;
	return (rv);
}

static void
test_bad_headers(void)
{
	struct imsg	m;
	int		rv;

	CHECK(get_raw(15, 0, 4096, &m) == -1 && errno == EBADMSG);
	CHECK(get_raw(0, 0, 4096, &m) == -1 && errno == EBADMSG);
	CHECK(get_raw(IMSG_FD_MARK | 8, 0, 4096, &m) == -1 &&
	    errno == EBADMSG);
	/* refused with only the header buffered: nothing waits or allocates */
	CHECK(get_raw(4097, 0, 4096, &m) == -1 && errno == EBADMSG);
	CHECK(get_raw(IMSG_LEN_MASK, 0, 4096, &m) == -1 && errno == EBADMSG);
	CHECK(get_raw(0xffffffffU, 0, 4096, &m) == -1 && errno == EBADMSG);
	/* a truncated but valid message just isn't complete yet */
	poll_ms = 100;
	CHECK(get_raw(100, 10, 4096, &m) == -2);
	poll_ms = 2000;

	/* exactly maxsize is fine */
	rv = get_raw(4096, 4096 - 16, 4096, &m);
	CHECK(rv == 1);
	if (rv == 1) {
		CHECK(imsg_get_len(&m) == 4096 - 16);
		CHECK(m.hdr.len == 4096);
		CHECK(pattern_ok(m.data, 4096 - 16, 1));
		imsg_free(&m);
	}
	/* header-only message */
	rv = get_raw(16, 0, 4096, &m);
	CHECK(rv == 1);
	if (rv == 1) {
		CHECK(imsg_get_len(&m) == 0 && m.data == NULL);
		imsg_free(&m);
	}
	/* fd flag without an fd queued: message arrives, fd is -1 */
	rv = get_raw(IMSG_FD_MARK | 20, 4, 4096, &m);
	CHECK(rv == 1);
	if (rv == 1) {
		CHECK(m.hdr.len == 20 && imsg_get_len(&m) == 4);
		CHECK(imsg_get_fd(&m) == -1);
		imsg_free(&m);
	}
}

/* several max-size messages read without get in between: nothing lost */
static void
test_full_rbuf(void)
{
	enum { MAXP = IMSG_DEFAULT_MAXSIZE - 16 };
	struct imsgbuf	 s, r;
	struct imsg	 m;
	uint8_t		*p;
	int		 sv[2], i, ok = 0;

	mkpair(sv);
	CHECK(imsgbuf_init(&s, sv[0]) == 0);
	CHECK(imsgbuf_init(&r, sv[1]) == 0);
	p = malloc(MAXP);
	for (i = 0; i < 3; i++) {
		pattern(p, MAXP, (unsigned)i);
		CHECK(imsg_compose(&s, (uint32_t)i, 0, 0, -1, p, MAXP) == 0);
	}
	CHECK(imsgbuf_flush(&s) == 0);
	/* the buffer fills with one message; further reads wait for get */
	for (i = 0; i < 5; i++)
		CHECK(imsgbuf_read(&r) == 1);
	CHECK(r.rsize == IMSG_DEFAULT_MAXSIZE && r.rlen == r.rsize);
	for (i = 0; i < 3; i++) {
		if (recv_one(&r, &m) == 1 && imsg_get_type(&m) == (uint32_t)i &&
		    imsg_get_len(&m) == MAXP &&
		    pattern_ok(m.data, MAXP, (unsigned)i))
			ok++;
		imsg_free(&m);
	}
	CHECK(ok == 3);
	free(p);
	imsgbuf_clear(&s);
	imsgbuf_clear(&r);
	close(sv[0]);
	close(sv[1]);
}

static void
test_fdpass(void)
{
	struct imsgbuf	s, r;
	struct imsg	m;
	int		sv[2], pfd[2], base, fd, i, rv;
	char		b[8];

	base = count_fds();
	mkpair(sv);
	CHECK(pipe(pfd) == 0);
	CHECK(imsgbuf_init(&s, sv[0]) == 0);
	CHECK(imsgbuf_init(&r, sv[1]) == 0);
	imsgbuf_allow_fdpass(&r);

	CHECK(imsg_compose(&s, 1, 0, 0, -1, "A", 1) == 0);
	CHECK(imsg_compose(&s, 2, 0, 0, pfd[1], "B", 1) == 0);
	CHECK(imsg_compose(&s, 3, 0, 0, -1, "C", 1) == 0);
	CHECK(count_fds() == base + 4);
	CHECK(imsgbuf_flush(&s) == 0);
	/* sent fds are closed by the sender */
	CHECK(!fd_is_open(pfd[1]));
	CHECK(count_fds() == base + 3);

	for (i = 1; i <= 3; i++) {
		rv = recv_one(&r, &m);
		CHECK(rv == 1);
		if (rv != 1)
			break;
		CHECK(imsg_get_type(&m) == (uint32_t)i);
		if (i != 2) {
			CHECK(m.fd == -1);
			imsg_free(&m);
			continue;
		}
		CHECK(m.hdr.len == 17);
		fd = imsg_get_fd(&m);
		CHECK(fd >= 0);
		CHECK(m.fd == -1);
		CHECK(imsg_get_fd(&m) == -1);
		imsg_free(&m);
		/* ownership moved to us: imsg_free left it open */
		CHECK(fd >= 0 && fd_is_open(fd));
		CHECK(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC));
		CHECK(count_fds() == base + 4);
		CHECK(write(fd, "ping", 4) == 4);
		CHECK(read(pfd[0], b, sizeof(b)) == 4 &&
		    memcmp(b, "ping", 4) == 0);
		close(fd);
	}
	CHECK(count_fds() == base + 3);

	/* an unclaimed fd is closed by imsg_free */
	fd = dup(pfd[0]);
	CHECK(fd >= 0);
	CHECK(imsg_compose(&s, 4, 0, 0, fd, NULL, 0) == 0);
	CHECK(imsgbuf_flush(&s) == 0);
	CHECK(recv_one(&r, &m) == 1);
	CHECK(m.fd >= 0);
	CHECK(count_fds() == base + 4);
	imsg_free(&m);
	CHECK(m.fd == -1);
	CHECK(count_fds() == base + 3);

	imsgbuf_clear(&s);
	imsgbuf_clear(&r);
	close(pfd[0]);
	close(sv[0]);
	close(sv[1]);
	CHECK(count_fds() == base);
}

/* queued together, each fd still arrives with its own message */
static void
test_fdpass_order(void)
{
	struct imsgbuf	s, r;
	struct imsg	m;
	int		sv[2], p1[2], p2[2], base, fd, i, ok = 0;
	char		b[4];

	base = count_fds();
	mkpair(sv);
	CHECK(pipe(p1) == 0 && pipe(p2) == 0);
	CHECK(imsgbuf_init(&s, sv[0]) == 0);
	CHECK(imsgbuf_init(&r, sv[1]) == 0);
	imsgbuf_allow_fdpass(&r);
	CHECK(imsg_compose(&s, 1, 0, 0, -1, NULL, 0) == 0);
	CHECK(imsg_compose(&s, 2, 0, 0, p1[1], NULL, 0) == 0);
	CHECK(imsg_compose(&s, 3, 0, 0, p2[1], NULL, 0) == 0);
	CHECK(imsg_compose(&s, 4, 0, 0, -1, NULL, 0) == 0);
	CHECK(imsgbuf_write(&s) == 0);
	CHECK(imsgbuf_queuelen(&s) == 0);
	for (i = 1; i <= 4; i++) {
		if (recv_one(&r, &m) != 1 || imsg_get_type(&m) != (uint32_t)i)
			break;
		fd = imsg_get_fd(&m);
		imsg_free(&m);
		if (i == 1 || i == 4) {
			ok += fd == -1;
			continue;
		}
		if (fd == -1)
			continue;
		/* the fd of message 2 is p1's write end, of 3 p2's */
		if (write(fd, i == 2 ? "two" : "thr", 3) == 3 &&
		    read(i == 2 ? p1[0] : p2[0], b, 3) == 3 &&
		    memcmp(b, i == 2 ? "two" : "thr", 3) == 0)
			ok++;
		close(fd);
	}
	CHECK(ok == 4);
	CHECK(r.nrfds == 0);
	imsgbuf_clear(&s);
	imsgbuf_clear(&r);
	close(p1[0]);
	close(p2[0]);
	close(sv[0]);
	close(sv[1]);
	CHECK(count_fds() == base);
}

static void
test_no_fdpass(void)
{
	struct imsgbuf	s, r;
	struct imsg	m;
	int		sv[2], pfd[2], base, rv;

	base = count_fds();
	mkpair(sv);
	CHECK(pipe(pfd) == 0);
	CHECK(imsgbuf_init(&s, sv[0]) == 0);
	CHECK(imsgbuf_init(&r, sv[1]) == 0);
	CHECK(imsg_compose(&s, 5, 0, 0, pfd[1], "x", 1) == 0);
	CHECK(imsgbuf_flush(&s) == 0);
	CHECK(count_fds() == base + 3);
	rv = recv_one(&r, &m);
	CHECK(rv == 1);
	/* the fd that arrived was closed at once, the message still came */
	CHECK(count_fds() == base + 3);
	CHECK(r.nrfds == 0);
	if (rv == 1) {
		CHECK(imsg_get_type(&m) == 5 && m.hdr.len == 17);
		CHECK(imsg_get_fd(&m) == -1);
		imsg_free(&m);
	}
	imsgbuf_clear(&s);
	imsgbuf_clear(&r);
	close(pfd[0]);
	close(sv[0]);
	close(sv[1]);
	CHECK(count_fds() == base);
}

/* raw sendmsg of one fd-flagged header carrying nfds fds */
static int
send_fds(int sock, uint32_t type, int nfds)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 32)];
	}		 cm;
	struct msghdr	 msg;
	struct cmsghdr	*c;
	struct iovec	 iov;
	uint8_t		 wire[16];
	int		 fds[32], i, rv;

	if (nfds > 32)
		return (-1);
	for (i = 0; i < nfds; i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	mkhdr(wire, type, IMSG_FD_MARK | 16, 0, 0);
	memset(&msg, 0, sizeof(msg));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = wire;
	iov.iov_len = sizeof(wire);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	rv = sendmsg(sock, &msg, 0) == 16 ? 0 : -1;
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	return (rv);
}

/*
 * A hostile sender attaches many fds: at most IMSG_MAX_QUEUED_FDS are
 * ever held, the rest are closed, and clear closes the unclaimed ones.
 */
static void
test_fd_flood(void)
{
	struct imsgbuf	 r;
	struct imsg	 m1, m2;
	int		 sv[2], base;

	base = count_fds();
	mkpair(sv);
	CHECK(imsgbuf_init(&r, sv[1]) == 0);
	imsgbuf_allow_fdpass(&r);
	CHECK(send_fds(sv[0], 1, 20) == 0);
	CHECK(send_fds(sv[0], 2, 5) == 0);
	CHECK(count_fds() == base + 2);

	/* first read: 16 fit the cmsg buffer, the kernel drops 4 */
	CHECK(imsgbuf_read(&r) == 1);
	CHECK(r.nrfds == IMSG_MAX_QUEUED_FDS);
	CHECK(count_fds() == base + 2 + IMSG_MAX_QUEUED_FDS);
	/* second read: queue full, we close all 5 ourselves */
	CHECK(imsgbuf_read(&r) == 1);
	CHECK(r.nrfds == IMSG_MAX_QUEUED_FDS);
	CHECK(count_fds() == base + 2 + IMSG_MAX_QUEUED_FDS);

	CHECK(imsgbuf_get(&r, &m1) == 1 && m1.fd >= 0);
	CHECK(imsgbuf_get(&r, &m2) == 1 && m2.fd >= 0);
	CHECK(imsg_get_type(&m1) == 1 && imsg_get_type(&m2) == 2);
	CHECK(r.nrfds == IMSG_MAX_QUEUED_FDS - 2);
	imsg_free(&m1);
	imsg_free(&m2);
	CHECK(count_fds() == base + 2 + IMSG_MAX_QUEUED_FDS - 2);
	imsgbuf_clear(&r);
	CHECK(r.nrfds == 0);
	CHECK(count_fds() == base + 2);
	close(sv[0]);
	close(sv[1]);
	CHECK(count_fds() == base);
}

static void
test_clear_queued_fd(void)
{
	struct imsgbuf	s;
	int		pfd[2], base;

	base = count_fds();
	CHECK(pipe(pfd) == 0);
	CHECK(imsgbuf_init(&s, -1) == 0);
	CHECK(imsg_compose(&s, 1, 0, 0, pfd[0], NULL, 0) == 0);
	CHECK(imsg_compose(&s, 1, 0, 0, pfd[1], "z", 1) == 0);
	CHECK(imsgbuf_queuelen(&s) == 2);
	CHECK(fd_is_open(pfd[0]) && fd_is_open(pfd[1]));
	imsgbuf_clear(&s);
	CHECK(imsgbuf_queuelen(&s) == 0);
	CHECK(!fd_is_open(pfd[0]));
	CHECK(!fd_is_open(pfd[1]));
	CHECK(count_fds() == base);
}

static void
test_exact_len(void)
{
	struct imsgbuf	s, r;
	struct imsg	m;
	uint8_t		out[9], in[8];
	int		sv[2];

	mkpair(sv);
	CHECK(imsgbuf_init(&s, sv[0]) == 0);
	CHECK(imsgbuf_init(&r, sv[1]) == 0);
	pattern(in, sizeof(in), 3);
	CHECK(xfer(&s, &r, in, sizeof(in), &m) == 1);
	memset(out, 0xee, sizeof(out));
	errno = 0;
	CHECK(imsg_get_data(&m, out, 7) == -1 && errno == EBADMSG);
	errno = 0;
	CHECK(imsg_get_data(&m, out, 9) == -1 && errno == EBADMSG);
	CHECK(out[0] == 0xee);
	CHECK(imsg_get_data(&m, out, 8) == 0);
	CHECK(memcmp(out, in, 8) == 0 && out[8] == 0xee);
	imsg_free(&m);
	CHECK(m.data == NULL && m.datalen == 0);

	CHECK(xfer(&s, &r, NULL, 0, &m) == 1);
	CHECK(imsg_get_data(&m, NULL, 0) == 0);
	errno = 0;
	CHECK(imsg_get_data(&m, out, 1) == -1 && errno == EBADMSG);
	imsg_free(&m);

	imsgbuf_clear(&s);
	imsgbuf_clear(&r);
	close(sv[0]);
	close(sv[1]);
}

static void
test_cursor(void)
{
	struct imsgbuf		s, r;
	struct imsg		m;
	struct imsg_cursor	c;
	uint8_t			p[64];
	char			str[16];
	uint32_t		v;
	int			sv[2];

	mkpair(sv);
	CHECK(imsgbuf_init(&s, sv[0]) == 0);
	CHECK(imsgbuf_init(&r, sv[1]) == 0);

	/* u32, string, empty string, u32: a full walk */
	v = 7;
	memcpy(p, &v, 4);
	memcpy(p + 4, "abc", 4);
	p[8] = '\0';
	v = 0xdeadbeef;
	memcpy(p + 9, &v, 4);
	CHECK(xfer(&s, &r, p, 13, &m) == 1);
	imsg_cursor_init(&c, &m);
	v = 0;
	CHECK(imsg_cursor_get_u32(&c, &v) == 0 && v == 7);
	CHECK(imsg_cursor_end(&c) == -1);
	memset(str, 'x', sizeof(str));
	CHECK(imsg_cursor_get_string(&c, str, sizeof(str)) == 0);
	CHECK(strcmp(str, "abc") == 0);
	CHECK(imsg_cursor_get_string(&c, str, sizeof(str)) == 0);
	CHECK(str[0] == '\0');
	CHECK(imsg_cursor_get_u32(&c, &v) == 0 && v == 0xdeadbeef);
	CHECK(c.left == 0);
	CHECK(imsg_cursor_end(&c) == 0);
	errno = 0;
	CHECK(imsg_cursor_get_u32(&c, &v) == -1 && errno == EBADMSG);
	imsg_free(&m);

	/* string without a NUL */
	CHECK(xfer(&s, &r, "abc", 3, &m) == 1);
	imsg_cursor_init(&c, &m);
	errno = 0;
	CHECK(imsg_cursor_get_string(&c, str, sizeof(str)) == -1 &&
	    errno == EBADMSG);
	CHECK(c.left == 3);
	/* u32 on a 3-byte payload fails without moving */
	errno = 0;
	CHECK(imsg_cursor_get_u32(&c, &v) == -1 && errno == EBADMSG);
	CHECK(c.left == 3 && c.p == m.data);
	CHECK(imsg_cursor_get(&c, NULL, 3) == 0);
	CHECK(imsg_cursor_end(&c) == 0);
	imsg_free(&m);

	/* string longer than the destination: NUL not within dstsize */
	CHECK(xfer(&s, &r, "abcdef", 7, &m) == 1);
	imsg_cursor_init(&c, &m);
	CHECK(imsg_cursor_get_string(&c, str, 6) == -1);
	CHECK(c.left == 7);
	CHECK(imsg_cursor_get_string(&c, str, 7) == 0);
	CHECK(strcmp(str, "abcdef") == 0);
	CHECK(imsg_cursor_end(&c) == 0);
	imsg_free(&m);

	/* trailing garbage is detected */
	v = 1;
	memcpy(p, &v, 4);
	p[4] = 0x55;
	CHECK(xfer(&s, &r, p, 5, &m) == 1);
	imsg_cursor_init(&c, &m);
	CHECK(imsg_cursor_get_u32(&c, &v) == 0 && v == 1);
	errno = 0;
	CHECK(imsg_cursor_end(&c) == -1 && errno == EBADMSG);
	CHECK(imsg_cursor_get(&c, p, 2) == -1);
	CHECK(imsg_cursor_get(&c, p, 1) == 0 && p[0] == 0x55);
	CHECK(imsg_cursor_end(&c) == 0);
	imsg_free(&m);

	/* empty payload */
	CHECK(xfer(&s, &r, NULL, 0, &m) == 1);
	imsg_cursor_init(&c, &m);
	CHECK(imsg_cursor_end(&c) == 0);
	CHECK(imsg_cursor_get_string(&c, str, sizeof(str)) == -1);
	CHECK(imsg_cursor_get_u32(&c, &v) == -1);
	imsg_free(&m);

	imsgbuf_clear(&s);
	imsgbuf_clear(&r);
	close(sv[0]);
	close(sv[1]);
}

static void
test_eof(void)
{
	struct imsgbuf	s, r;
	struct imsg	m;
	int		sv[2];
	uint8_t		hdr[16];

	/* clean EOF */
	mkpair(sv);
	CHECK(imsgbuf_init(&r, sv[1]) == 0);
	CHECK(imsgbuf_read(&r) == 1);	/* nothing yet: would block */
	close(sv[0]);
	CHECK(imsgbuf_read(&r) == 0);
	CHECK(imsgbuf_get(&r, &m) == 0);
	imsgbuf_clear(&r);
	close(sv[1]);

	/* EOF in the middle of a header */
	mkpair(sv);
	CHECK(imsgbuf_init(&r, sv[1]) == 0);
	mkhdr(hdr, 1, 16, 0, 0);
	CHECK(raw_write(sv[0], hdr, 8) == 0);
	close(sv[0]);
	CHECK(imsgbuf_read(&r) == 1);
	CHECK(imsgbuf_get(&r, &m) == 0);
	CHECK(imsgbuf_read(&r) == 0);
	CHECK(imsgbuf_get(&r, &m) == 0);
	imsgbuf_clear(&r);
	close(sv[1]);

	/* writing to a closed peer: EPIPE, and no SIGPIPE kills us */
	mkpair(sv);
	CHECK(imsgbuf_init(&s, sv[0]) == 0);
	close(sv[1]);
	CHECK(imsg_compose(&s, 1, 0, 0, -1, "x", 1) == 0);
	errno = 0;
	CHECK(imsgbuf_write(&s) == -1 && errno == EPIPE);
	CHECK(imsgbuf_queuelen(&s) == 1);
	errno = 0;
	CHECK(imsgbuf_flush(&s) == -1 && errno == EPIPE);
	imsgbuf_clear(&s);
	close(sv[0]);

	/* a broken fd is an error on both sides */
	CHECK(imsgbuf_init(&s, -1) == 0);
	CHECK(imsgbuf_read(&s) == -1);
	CHECK(imsg_compose(&s, 1, 0, 0, -1, NULL, 0) == 0);
	CHECK(imsgbuf_write(&s) == -1 && errno == EBADF);
	imsgbuf_clear(&s);
}

/* child: drain messages first..N-1 of MSGLEN from r, in order */
static int
drain_child(struct imsgbuf *r, int first, int n, size_t msglen)
{
	struct imsg	m;
	int		i, bad = 0;

	for (i = first; i < n; i++) {
		if (recv_one(r, &m) != 1)
			return (1);
		if (imsg_get_type(&m) != (uint32_t)i ||
		    imsg_get_len(&m) != msglen ||
		    !pattern_ok(m.data, msglen, (unsigned)i))
			bad++;
		imsg_free(&m);
	}
	return (bad ? 3 : 0);
}

static void
test_nonblock_full(void)
{
	enum { N = 300, LEN = 1000 };
	struct imsgbuf	 s, r;
	struct imsg	 m;
	uint8_t		 p[LEN];
	uint32_t	 q1, q2;
	int		 sv[2], sz = 4096, i, got = 0, bad = 0, status = -1;
	pid_t		 pid;

	mkpair(sv);
	CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) == 0);
	CHECK(imsgbuf_init(&s, sv[0]) == 0);
	CHECK(imsgbuf_init(&r, sv[1]) == 0);
	for (i = 0; i < N; i++) {
		pattern(p, LEN, (unsigned)i);
		CHECK(imsg_compose(&s, (uint32_t)i, 0, 0, -1, p, LEN) == 0);
	}
	CHECK(imsgbuf_write(&s) == 0);
	q1 = imsgbuf_queuelen(&s);
	CHECK(q1 > 0 && q1 < N);
	/* a partially written message stays at the head */
	CHECK(TAILQ_FIRST(&s.wq) != NULL);
	CHECK(imsgbuf_write(&s) == 0);
	CHECK(imsgbuf_queuelen(&s) == q1);

	/* drain a little: the writer makes progress */
	CHECK(imsgbuf_read(&r) == 1);
	while (imsgbuf_get(&r, &m) == 1) {
		if (imsg_get_type(&m) != (uint32_t)got ||
		    !pattern_ok(m.data, LEN, (unsigned)got))
			bad++;
		imsg_free(&m);
		got++;
	}
	CHECK(got > 0);
	CHECK(bad == 0);
	CHECK(imsgbuf_write(&s) == 0);
	q2 = imsgbuf_queuelen(&s);
	CHECK(q2 < q1);
	CHECK(q2 > 0);

	/* the rest: a child drains while flush waits in poll() */
	fflush(stderr);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		i = drain_child(&r, got, N, LEN);
		imsgbuf_clear(&r);
		_exit(i);
	}
	CHECK(pid > 0);
	CHECK(imsgbuf_flush(&s) == 0);
	CHECK(imsgbuf_queuelen(&s) == 0);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	imsgbuf_clear(&s);
	imsgbuf_clear(&r);
	close(sv[0]);
	close(sv[1]);
}

static void
test_flowctl(void)
{
	struct imsgbuf	s, r;
	struct imsg	m;
	struct pollfd	pfd;
	uint8_t		junk[1024];
	size_t		filled = 0, drained = 0;
	ssize_t		n;
	int		sv[2], sz = 4096, i, got = 0;

	mkpair(sv);
	CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) == 0);
	CHECK(imsgbuf_init(&s, sv[0]) == 0);
	CHECK(imsgbuf_init(&r, sv[1]) == 0);

	/* marks off: never throttles */
	for (i = 0; i < 50; i++)
		CHECK(imsg_compose(&s, 1, 0, 0, -1, NULL, 0) == 0);
	CHECK(imsgbuf_flowctl(&s) == IMSGBUF_FLOW_NONE);
	imsgbuf_clear(&s);
	CHECK(imsgbuf_init(&s, sv[0]) == 0);

	/* low >= high is clamped below high */
	imsgbuf_set_watermarks(&s, 10, 10);
	CHECK(s.high_mark == 10 && s.low_mark == 9);
	imsgbuf_set_watermarks(&s, 10, 5);
	CHECK(s.high_mark == 10 && s.low_mark == 5);

	/* stuff the socket so nothing the imsgbuf writes can leave */
	memset(junk, 0, sizeof(junk));
	while ((n = write(sv[0], junk, sizeof(junk))) > 0)
		filled += (size_t)n;
	CHECK(n == -1 && errno == EAGAIN);

	for (i = 0; i < 9; i++)
		CHECK(imsg_compose(&s, 2, 0, 0, -1, NULL, 0) == 0);
	CHECK(imsgbuf_flowctl(&s) == IMSGBUF_FLOW_NONE);
	CHECK(imsg_compose(&s, 2, 0, 0, -1, NULL, 0) == 0);
	CHECK(imsgbuf_flowctl(&s) == IMSGBUF_FLOW_XOFF);
	CHECK(s.throttled == 1);
	CHECK(imsgbuf_flowctl(&s) == IMSGBUF_FLOW_NONE);
	CHECK(imsg_compose(&s, 2, 0, 0, -1, NULL, 0) == 0);
	CHECK(imsgbuf_flowctl(&s) == IMSGBUF_FLOW_NONE);
	CHECK(imsgbuf_write(&s) == 0);
	CHECK(imsgbuf_queuelen(&s) == 11);
	CHECK(imsgbuf_flowctl(&s) == IMSGBUF_FLOW_NONE);

	/* peer drains the filler; the queue empties: XON exactly once */
	while (drained < filled) {
		pfd.fd = sv[1];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 2000) <= 0)
			break;
		n = read(sv[1], junk, filled - drained < sizeof(junk) ?
		    filled - drained : sizeof(junk));
		if (n <= 0)
			break;
		drained += (size_t)n;
	}
	CHECK(drained == filled);
	CHECK(imsgbuf_write(&s) == 0);
	CHECK(imsgbuf_queuelen(&s) == 0);
	CHECK(imsgbuf_flowctl(&s) == IMSGBUF_FLOW_XON);
	CHECK(s.throttled == 0);
	CHECK(imsgbuf_flowctl(&s) == IMSGBUF_FLOW_NONE);
	while (got < 11 && recv_one(&r, &m) == 1) {
		if (imsg_get_type(&m) == 2)
			got++;
		imsg_free(&m);
	}
	CHECK(got == 11);

	/* turning the marks off while throttled releases the producer */
	for (i = 0; i < 10; i++)
		CHECK(imsg_compose(&s, 2, 0, 0, -1, NULL, 0) == 0);
	CHECK(imsgbuf_flowctl(&s) == IMSGBUF_FLOW_XOFF);
	imsgbuf_set_watermarks(&s, 0, 0);
	CHECK(imsgbuf_flowctl(&s) == IMSGBUF_FLOW_XON);
	CHECK(imsgbuf_flowctl(&s) == IMSGBUF_FLOW_NONE);

	imsgbuf_clear(&s);
	imsgbuf_clear(&r);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	int	base = count_fds();

	/* a hang (e.g. a write loop that never finishes) is a failure too */
	alarm(30);
	test_init();
	test_roundtrip();
	test_partial();
	test_two_in_one_read();
	test_bad_headers();
	test_full_rbuf();
	test_fdpass();
	test_fdpass_order();
	test_no_fdpass();
	test_fd_flood();
	test_clear_queued_fd();
	test_exact_len();
	test_cursor();
	test_eof();
	test_nonblock_full();
	test_flowctl();
	CHECK(count_fds() == base);

	printf("test_imsg: %d checks, %d failed\n", nchecks, nfailed);
	return (nfailed == 0 ? 0 : 1);
}
