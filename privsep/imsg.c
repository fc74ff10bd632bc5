/*
 * imsg-style framing for ctsyncd: our own implementation of the documented
 * OpenBSD imsg semantics (see include/imsg.h and privsep-style.md §1).
 *
 * Wire format: struct imsg_hdr (native endian, 16 bytes) followed by
 * len - 16 bytes of payload.  The top bit of len says that one fd travels
 * in SCM_RIGHTS of the sendmsg carrying the first byte of that message.
 *
 * Syscalls used: recvmsg, sendmsg, poll, close; mmap and madvise once
 * for the optional buffer pool (imsg_pool_init).
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

/* iovecs per sendmsg; more is pointless, the socket buffer is smaller */
#define IMSG_WRITE_IOV		64

static struct ibuf *ibuf_alloc(size_t);
static void	 ibuf_free(struct ibuf *);
static int	 imsgbuf_grow_rbuf(struct imsgbuf *);
static void	 imsgbuf_take_fds(struct imsgbuf *, struct msghdr *);
static void	 imsgbuf_close_rfds(struct imsgbuf *);
static int	 imsgbuf_pop_rfd(struct imsgbuf *);
static int	 imsgbuf_sendbatch(struct imsgbuf *);
static void	 imsgbuf_advance(struct imsgbuf *, size_t);

/*
 * Setup and teardown.
 */

int
imsgbuf_init(struct imsgbuf *buf, int fd)
{
	memset(buf, 0, sizeof(*buf));
	buf->fd = fd;
	buf->pid = getpid();
	buf->maxsize = IMSG_DEFAULT_MAXSIZE;
	TAILQ_INIT(&buf->wq);
	if ((buf->rbuf = malloc(buf->maxsize)) == NULL)
		return (-1);
	buf->rsize = buf->maxsize;
	return (0);
}

void
imsgbuf_allow_fdpass(struct imsgbuf *buf)
{
	buf->flags |= IMSGBUF_FDPASS;
}

int
imsgbuf_set_maxsize(struct imsgbuf *buf, uint32_t max)
{
	if (max < IMSG_HEADER_SIZE || max > IMSG_MAXSIZE_LIMIT) {
		errno = EINVAL;
		return (-1);
	}
	/* the read buffer grows on the next imsgbuf_read */
	buf->maxsize = max;
	return (0);
}

/* Frees both queues and closes every fd we still own; never buf->fd. */
void
imsgbuf_clear(struct imsgbuf *buf)
{
	struct ibuf	*ib;

	while ((ib = TAILQ_FIRST(&buf->wq)) != NULL) {
		TAILQ_REMOVE(&buf->wq, ib, entry);
		ibuf_free(ib);
	}
	buf->wq_count = 0;
	buf->throttled = 0;

	free(buf->rbuf);
	buf->rbuf = NULL;
	buf->rsize = buf->rpos = buf->rlen = 0;
	imsgbuf_close_rfds(buf);
}

uint32_t
imsgbuf_queuelen(const struct imsgbuf *buf)
{
	return (buf->wq_count);
}

/*
 * Read side.
 */

/*
 * Make room for at least one max-size message after the unread bytes.
 * Moving the unread tail to the front happens here, once per read, so
 * imsgbuf_get stays O(message).
 */
static int
imsgbuf_grow_rbuf(struct imsgbuf *buf)
{
	uint8_t	*p;

	if (buf->rpos > 0) {
		if (buf->rlen > 0)
			memmove(buf->rbuf, buf->rbuf + buf->rpos, buf->rlen);
		buf->rpos = 0;
	}
	if (buf->rbuf != NULL && buf->rsize >= buf->maxsize)
		return (0);
	if ((p = realloc(buf->rbuf, buf->maxsize)) == NULL)
		return (-1);
	buf->rbuf = p;
	buf->rsize = buf->maxsize;
	return (0);
}

/* Queue the fds of SCM_RIGHTS, or close them if we may not keep them. */
static void
imsgbuf_take_fds(struct imsgbuf *buf, struct msghdr *msg)
{
	struct cmsghdr	*cm;
	size_t		 i, n;
	int		 fd;

	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS ||
		    cm->cmsg_len < CMSG_LEN(0))
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			    sizeof(fd));
			if ((buf->flags & IMSGBUF_FDPASS) == 0 ||
			    buf->nrfds >= IMSG_MAX_QUEUED_FDS)
				close(fd);
			else
				buf->rfds[buf->nrfds++] = fd;
		}
	}
}

static void
imsgbuf_close_rfds(struct imsgbuf *buf)
{
	int	i;

	for (i = 0; i < buf->nrfds; i++)
		close(buf->rfds[i]);
	buf->nrfds = 0;
}

static int
imsgbuf_pop_rfd(struct imsgbuf *buf)
{
	int	fd;

	if (buf->nrfds <= 0)
		return (-1);
	fd = buf->rfds[0];
	buf->nrfds--;
	memmove(&buf->rfds[0], &buf->rfds[1], buf->nrfds * sizeof(int));
	return (fd);
}

/* One recvmsg.  1: data or would block, 0: EOF, -1: error. */
int
imsgbuf_read(struct imsgbuf *buf)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) *
				    IMSG_MAX_QUEUED_FDS)];
	}		 cmsgbuf;
	struct msghdr	 msg;
	struct iovec	 iov;
	size_t		 room;
	ssize_t		 n;

	if (imsgbuf_grow_rbuf(buf) == -1)
		return (-1);
	room = buf->rsize - buf->rlen;
	/*
	 * Full buffer: it holds a complete or an invalid first message,
	 * either way imsgbuf_get makes progress without more input.
	 */
	if (room == 0)
		return (1);
	if (room > IMSG_READ_CHUNK)
		room = IMSG_READ_CHUNK;

	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = buf->rbuf + buf->rlen;
	iov.iov_len = room;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	/* always take the cmsg so that unwanted fds get closed by us */
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);

	for (;;) {
		n = recvmsg(buf->fd, &msg, MSG_CMSG_CLOEXEC);
		if (n != -1)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return (1);
		return (-1);
	}
	imsgbuf_take_fds(buf, &msg);
	if (n == 0)
		return (0);
	buf->rlen += (size_t)n;
	return (1);
}

/*
 * Take the next complete message.  The header is checked as soon as it
 * is buffered, before anything is allocated: a bad length means the
 * stream is corrupt and the caller must drop the channel.
 */
int
imsgbuf_get(struct imsgbuf *buf, struct imsg *imsg)
{
	struct imsg_hdr	 hdr;
	uint32_t	 len;
	size_t		 datalen;
	uint8_t		*data = NULL;

	memset(imsg, 0, sizeof(*imsg));
	imsg->fd = -1;

	if (buf->rlen < IMSG_HEADER_SIZE)
		return (0);
	memcpy(&hdr, buf->rbuf + buf->rpos, sizeof(hdr));
	len = hdr.len & IMSG_LEN_MASK;
	if (len < IMSG_HEADER_SIZE || len > buf->maxsize) {
		errno = EBADMSG;
		return (-1);
	}
	if (buf->rlen < len)
		return (0);

	datalen = len - IMSG_HEADER_SIZE;
	if (datalen > 0) {
		if ((data = malloc(datalen)) == NULL)
			return (-1);
		memcpy(data, buf->rbuf + buf->rpos + IMSG_HEADER_SIZE,
		    datalen);
	}
	imsg->hdr = hdr;
	imsg->hdr.len = len;
	imsg->data = data;
	imsg->datalen = datalen;
	if (hdr.len & IMSG_FD_MARK)
		imsg->fd = imsgbuf_pop_rfd(buf);

	buf->rpos += len;
	buf->rlen -= len;
	if (buf->rlen == 0)
		buf->rpos = 0;
	return (1);
}

/*
 * Buffer pool for large outgoing messages.  A process that queues many
 * of them in bursts (the kernel process, while sync catches up) would
 * otherwise take fresh pages from malloc for every burst, which glibc
 * gives back to the system afterwards: a page fault per 4 KB, each
 * costing as much as handling several events on a virtual machine.  The
 * pool is one mapping, in huge pages where the system allows it, cut
 * into slots only as deep as the queue ever gets, and never returned.
 * Messages that do not need a slot, or find none free, use malloc.
 */
#define IMSG_THP_SIZE	(2UL * 1024 * 1024)

static struct {
	uint8_t		*base;
	size_t		 slot;		/* bytes per buffer */
	size_t		 len;		/* bytes mapped from base */
	size_t		 carved;	/* slots ever handed out, as bytes */
	void		*free;		/* returned slots, chained in place */
} pool;

int
imsg_pool_init(size_t slot, size_t total)
{
	uint8_t		*p;
	uintptr_t	 a;

	if (pool.base != NULL || slot < sizeof(void *) || total < slot) {
		errno = EINVAL;
		return (-1);
	}
	p = mmap(NULL, total + IMSG_THP_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return (-1);
	/* a huge page needs an aligned start; the slack stays unused */
	a = ((uintptr_t)p + IMSG_THP_SIZE - 1) & ~(IMSG_THP_SIZE - 1);
#ifdef MADV_HUGEPAGE
	(void)madvise((void *)a, total, MADV_HUGEPAGE);
#endif
	pool.base = (uint8_t *)a;
	pool.slot = slot;
	pool.len = total - total % slot;
	return (0);
}

static int
pool_owns(const uint8_t *p)
{
	return (pool.base != NULL && p >= pool.base &&
	    p < pool.base + pool.len);
}

/* A slot for a message of size bytes, or NULL: use malloc. */
static uint8_t *
pool_get(size_t size)
{
	uint8_t	*p;

	/* small messages would waste a slot */
	if (pool.base == NULL || size > pool.slot || size <= pool.slot / 4)
		return (NULL);
	if ((p = pool.free) != NULL) {
		memcpy(&pool.free, p, sizeof(pool.free));
		return (p);
	}
	if (pool.carved + pool.slot > pool.len)
		return (NULL);
	p = pool.base + pool.carved;
	pool.carved += pool.slot;
	return (p);
}

static void
pool_put(uint8_t *p)
{
	memcpy(p, &pool.free, sizeof(pool.free));
	pool.free = p;
}

/*
 * Write side.
 */

static struct ibuf *
ibuf_alloc(size_t size)
{
	struct ibuf	*ib;

	if ((ib = calloc(1, sizeof(*ib))) == NULL)
		return (NULL);
	if ((ib->buf = pool_get(size)) == NULL &&
	    (ib->buf = malloc(size)) == NULL) {
		free(ib);
		return (NULL);
	}
	ib->size = size;
	ib->fd = -1;
	return (ib);
}

static void
ibuf_free(struct ibuf *ib)
{
	if (ib == NULL)
		return;
	if (ib->fd >= 0)
		close(ib->fd);
	if (pool_owns(ib->buf))
		pool_put(ib->buf);
	else
		free(ib->buf);
	free(ib);
}

/*
 * Queue one message.  On failure nothing is queued and the caller still
 * owns fd; on success we own it and close it once it has been sent.
 */
int
imsg_composev(struct imsgbuf *buf, uint32_t type, uint32_t id, pid_t pid,
    int fd, const struct iovec *iov, int iovcnt)
{
	struct imsg_hdr	 hdr;
	struct ibuf	*ib;
	size_t		 datalen = 0, max;
	int		 i;

	if (iovcnt < 0 || (iovcnt > 0 && iov == NULL)) {
		errno = EINVAL;
		return (-1);
	}
	max = buf->maxsize - IMSG_HEADER_SIZE;
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > 0 && iov[i].iov_base == NULL) {
			errno = EINVAL;
			return (-1);
		}
		/* checked per element, so the sum cannot wrap */
		if (iov[i].iov_len > max - datalen) {
			errno = ERANGE;
			return (-1);
		}
		datalen += iov[i].iov_len;
	}

	if ((ib = ibuf_alloc(IMSG_HEADER_SIZE + datalen)) == NULL)
		return (-1);
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = (uint32_t)(IMSG_HEADER_SIZE + datalen);
	hdr.peerid = id;
	hdr.pid = (uint32_t)(pid == 0 ? buf->pid : pid);
	if (fd >= 0)
		hdr.len |= IMSG_FD_MARK;
	memcpy(ib->buf, &hdr, sizeof(hdr));
	ib->wpos = IMSG_HEADER_SIZE;
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len == 0)
			continue;
		memcpy(ib->buf + ib->wpos, iov[i].iov_base, iov[i].iov_len);
		ib->wpos += iov[i].iov_len;
	}
	ib->fd = fd >= 0 ? fd : -1;

	TAILQ_INSERT_TAIL(&buf->wq, ib, entry);
	buf->wq_count++;
	return (0);
}

int
imsg_compose(struct imsgbuf *buf, uint32_t type, uint32_t id, pid_t pid,
    int fd, const void *data, size_t len)
{
	struct iovec	iov;

	/* composev checks the size (ERANGE) */
	if (len > 0 && data == NULL) {
		errno = EINVAL;
		return (-1);
	}
	iov.iov_base = (void *)(uintptr_t)data;
	iov.iov_len = len;
	return (imsg_composev(buf, type, id, pid, fd, &iov, len > 0 ? 1 : 0));
}

/* Account n bytes written: finish and free the messages they cover. */
static void
imsgbuf_advance(struct imsgbuf *buf, size_t n)
{
	struct ibuf	*ib;
	size_t		 left;

	while (n > 0 && (ib = TAILQ_FIRST(&buf->wq)) != NULL) {
		left = ib->wpos - ib->rpos;
		if (n < left) {
			ib->rpos += n;
			return;
		}
		n -= left;
		TAILQ_REMOVE(&buf->wq, ib, entry);
		ibuf_free(ib);
		buf->wq_count--;
	}
}

/*
 * One sendmsg of the head of the queue.  A message with an fd is only
 * ever the first of its batch, so each sendmsg carries at most one fd
 * and the fd reaches the peer together with its message's first byte.
 * Returns 1 if bytes went out, 0 if the socket is full, -1 on error.
 */
static int
imsgbuf_sendbatch(struct imsgbuf *buf)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	}		 cmsgbuf;
	struct iovec	 iov[IMSG_WRITE_IOV];
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	struct ibuf	*ib, *first;
	ssize_t		 n;
	int		 cnt = 0;

	first = TAILQ_FIRST(&buf->wq);
	TAILQ_FOREACH(ib, &buf->wq, entry) {
		if (cnt == IMSG_WRITE_IOV || (ib != first && ib->fd >= 0))
			break;
		iov[cnt].iov_base = ib->buf + ib->rpos;
		iov[cnt].iov_len = ib->wpos - ib->rpos;
		cnt++;
	}

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = cnt;
	if (first->fd >= 0) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &first->fd, sizeof(int));
	}

	for (;;) {
		n = sendmsg(buf->fd, &msg, MSG_NOSIGNAL);
		if (n != -1)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS)
			return (0);
		return (-1);
	}
	/* the fd went out with the first byte; the rest goes without */
	if (n > 0 && first->fd >= 0) {
		close(first->fd);
		first->fd = -1;
	}
	imsgbuf_advance(buf, (size_t)n);
	return (n > 0 ? 1 : 0);
}

/* Write until the queue is empty or the socket is full.  0 or -1. */
int
imsgbuf_write(struct imsgbuf *buf)
{
	int	rv;

	while (!TAILQ_EMPTY(&buf->wq)) {
		if ((rv = imsgbuf_sendbatch(buf)) == -1)
			return (-1);
		if (rv == 0)
			break;
	}
	return (0);
}

/* Write everything, waiting for POLLOUT in between; any fd mode. */
int
imsgbuf_flush(struct imsgbuf *buf)
{
	struct pollfd	pfd;

	while (!TAILQ_EMPTY(&buf->wq)) {
		if (imsgbuf_write(buf) == -1)
			return (-1);
		if (TAILQ_EMPTY(&buf->wq))
			break;
		pfd.fd = buf->fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		if (poll(&pfd, 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		if (pfd.revents & POLLNVAL) {
			errno = EBADF;
			return (-1);
		}
		/* POLLHUP/POLLERR: the next sendmsg reports the error */
	}
	return (0);
}

/*
 * Flow control by message count.  Each transition is reported once so
 * the caller sends exactly one IMSG_XOFF and one IMSG_XON.
 */
void
imsgbuf_set_watermarks(struct imsgbuf *buf, uint32_t high, uint32_t low)
{
	/* low must be below high or the channel would flap */
	if (high > 0 && low >= high)
		low = high - 1;
	buf->high_mark = high;
	buf->low_mark = low;
}

int
imsgbuf_flowctl(struct imsgbuf *buf)
{
	if (buf->high_mark == 0) {
		/* turned off while throttled: release the producer */
		if (buf->throttled) {
			buf->throttled = 0;
			return (IMSGBUF_FLOW_XON);
		}
		return (IMSGBUF_FLOW_NONE);
	}
	if (!buf->throttled && buf->wq_count >= buf->high_mark) {
		buf->throttled = 1;
		return (IMSGBUF_FLOW_XOFF);
	}
	if (buf->throttled && buf->wq_count <= buf->low_mark) {
		buf->throttled = 0;
		return (IMSGBUF_FLOW_XON);
	}
	return (IMSGBUF_FLOW_NONE);
}

/*
 * Received messages.
 */

uint32_t
imsg_get_type(const struct imsg *imsg)
{
	return (imsg->hdr.type);
}

uint32_t
imsg_get_id(const struct imsg *imsg)
{
	return (imsg->hdr.peerid);
}

pid_t
imsg_get_pid(const struct imsg *imsg)
{
	return ((pid_t)imsg->hdr.pid);
}

size_t
imsg_get_len(const struct imsg *imsg)
{
	return (imsg->datalen);
}

/* Hands the fd to the caller; imsg_free will no longer close it. */
int
imsg_get_fd(struct imsg *imsg)
{
	int	fd = imsg->fd;

	imsg->fd = -1;
	return (fd);
}

/* Fixed-struct decode: the payload must be exactly n bytes. */
int
imsg_get_data(const struct imsg *imsg, void *p, size_t n)
{
	if (n != imsg->datalen) {
		errno = EBADMSG;
		return (-1);
	}
	if (n == 0)
		return (0);
	if (p == NULL) {
		errno = EINVAL;
		return (-1);
	}
	memcpy(p, imsg->data, n);
	return (0);
}

void
imsg_free(struct imsg *imsg)
{
	free(imsg->data);
	imsg->data = NULL;
	imsg->datalen = 0;
	if (imsg->fd >= 0)
		close(imsg->fd);
	imsg->fd = -1;
}

/*
 * Bounded reader over a payload.  A failed get never moves the cursor.
 */

void
imsg_cursor_init(struct imsg_cursor *c, const struct imsg *imsg)
{
	c->p = imsg->data;
	c->left = imsg->data != NULL ? imsg->datalen : 0;
}

/* Copy the next n bytes to dst (or skip them if dst is NULL). */
int
imsg_cursor_get(struct imsg_cursor *c, void *dst, size_t n)
{
	if (n > c->left) {
		errno = EBADMSG;
		return (-1);
	}
	if (n == 0)
		return (0);
	if (dst != NULL)
		memcpy(dst, c->p, n);
	c->p += n;
	c->left -= n;
	return (0);
}

int
imsg_cursor_get_u32(struct imsg_cursor *c, uint32_t *v)
{
	return (imsg_cursor_get(c, v, sizeof(*v)));
}

/* A NUL-terminated string that fits dst, NUL included. */
int
imsg_cursor_get_string(struct imsg_cursor *c, char *dst, size_t dstsize)
{
	const uint8_t	*nul;
	size_t		 max;

	if (dst == NULL || dstsize == 0) {
		errno = EINVAL;
		return (-1);
	}
	max = c->left < dstsize ? c->left : dstsize;
	if (max == 0 || (nul = memchr(c->p, '\0', max)) == NULL) {
		errno = EBADMSG;
		return (-1);
	}
	return (imsg_cursor_get(c, dst, (size_t)(nul - c->p) + 1));
}

/* 0 only if the payload was consumed entirely: rejects trailing bytes. */
int
imsg_cursor_end(const struct imsg_cursor *c)
{
	if (c->left != 0) {
		errno = EBADMSG;
		return (-1);
	}
	return (0);
}
