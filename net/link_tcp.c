/*
 * TCP sync links, sync side (conntrackd-spec.md §4.1, §4.7).  Each node
 * listens on its own address (the monitor opened that socket for us)
 * and separately connects to its peer: it sends only on the connection
 * it made and receives only on the one it accepted; a newer incoming
 * connection replaces the current one.
 *
 * The stream is the plain concatenation of sync messages.  Reception
 * keeps the incomplete tail per link and hands on whole messages only.
 * A buffer that cannot be written (no connection, socket full) goes on
 * the error queue and is sent, in order, before anything newer once the
 * connection is up.  When that queue is full the link says so, and the
 * transmit queue keeps its objects until there is room: nothing is
 * dropped to make space.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "link_priv.h"
#include "log.h"
#include "wire.h"

#define TCP_RX_BUF		(2 * 65536)	/* a read + the longest tail */
#define TCP_CONNECT_EVERY_MS	1000		/* as conntrackd */
#define TCP_CONNECT_WAIT_MS	5000		/* then try afresh */
#define TCP_EQ_DEFAULT		128

enum tcp_state {
	TCP_DOWN = 0,
	TCP_CONNECTING,
	TCP_UP
};

/* A buffer of whole messages waiting for the connection. */
struct tcp_buf {
	TAILQ_ENTRY(tcp_buf)	 entry;
	size_t			 len;
	size_t			 off;		/* already written */
	uint8_t			 data[];
};
TAILQ_HEAD(tcp_bufq, tcp_buf);

struct link_tcp {
	int			 lfd;		/* the monitor's listener */
	int			 afd;		/* accepted: peer's stream */
	int			 cfd;		/* ours, to the peer */
	int			 state;		/* of cfd: enum tcp_state */
	int			 complained;	/* connect failure logged */
	int64_t			 tried;		/* last connect attempt */
	struct sockaddr_storage	 dest;
	socklen_t		 destlen;
	struct sockaddr_storage	 local;		/* bind before connecting */
	socklen_t		 locallen;
	struct sockaddr_storage	 peer;		/* of the accepted stream */
	uint32_t		 sndbuf;
	uint32_t		 budget;	/* reads per wake-up */
	uint8_t			*rx;		/* incomplete tail, then more */
	size_t			 rxlen;
	struct tcp_bufq		 eq;		/* the error queue */
	uint32_t		 eqlen;
	uint32_t		 eqmax;
	char			 name[INET6_ADDRSTRLEN + 16];
};

static struct link	*tlinks[CONF_MAX_LINKS];
static int		 ntlinks;

static void	tcp_accept_cb(int, short);
static void	tcp_rx_cb(int, short);
static void	tcp_client_cb(int, short);

static const char *
tcp_ntop(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const struct sockaddr_in	*sin = (const void *)ss;
	const struct sockaddr_in6	*sin6 = (const void *)ss;
	const char			*p = NULL;

	if (ss->ss_family == AF_INET)
		p = inet_ntop(AF_INET, &sin->sin_addr, buf, len);
	else if (ss->ss_family == AF_INET6)
		p = inet_ntop(AF_INET6, &sin6->sin6_addr, buf, len);
	return p != NULL ? p : "?";
}

/* The listening socket, before the configuration is complete. */
void
tcp_recv_fd(struct link *l, const struct sync_link *sl, int fd)
{
	struct link_tcp	*t;

	if (l->tcp != NULL || sl->locallen > sizeof(t->local))
		fatalx("malformed TCP link socket from the monitor");
	if ((t = calloc(1, sizeof(*t))) == NULL)
		fatal("TCP link");
	t->lfd = fd;
	t->afd = t->cfd = -1;
	memcpy(&t->dest, sl->dest, sl->destlen);
	t->destlen = sl->destlen;
	memcpy(&t->local, sl->local, sl->locallen);
	t->locallen = sl->locallen;
	TAILQ_INIT(&t->eq);
	l->tcp = t;
}

void
tcp_init(struct link *l, const struct conf_link *cl, uint32_t budget)
{
	struct link_tcp	*t = l->tcp;
	char		 a[INET6_ADDRSTRLEN];

	if (t == NULL)
		fatalx("link %d: TCP socket missing from the monitor",
		    link_index(l));
	t->sndbuf = cl->sndbuf;
	t->budget = budget;
	t->eqmax = cl->error_queue_len ? cl->error_queue_len : TCP_EQ_DEFAULT;
	t->tried = -TCP_CONNECT_EVERY_MS;
	if ((t->rx = malloc(TCP_RX_BUF)) == NULL)
		fatal("TCP receive buffer");
	snprintf(t->name, sizeof(t->name), "%s port %u",
	    tcp_ntop(&t->dest, a, sizeof(a)), cl->port);
	tlinks[ntlinks++] = l;
	child_fd_add(t->lfd, POLLIN, tcp_accept_cb);
}

static struct link *
tcp_find(int fd)
{
	struct link_tcp	*t;
	int		 i;

	for (i = 0; i < ntlinks; i++) {
		t = tlinks[i]->tcp;
		if (t->lfd == fd || t->afd == fd || t->cfd == fd)
			return tlinks[i];
	}
	return NULL;
}

void
tcp_connected(const struct link *l, int *server, int *client)
{
	*server = l->tcp->afd != -1;
	*client = l->tcp->state == TCP_UP;
}

/* ---- receiving: the connection the peer made to us ---- */

static void
tcp_server_close(struct link *l)
{
	struct link_tcp	*t = l->tcp;

	if (t->afd == -1)
		return;
	child_fd_del(t->afd);
	close(t->afd);
	t->afd = -1;
	t->rxlen = 0;
}

static void
tcp_accept_cb(int fd, short revents)
{
	struct link		*l;
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	char			 a[INET6_ADDRSTRLEN];
	int			 s;

	if ((l = tcp_find(fd)) == NULL || fd != l->tcp->lfd)
		return;
	memset(&ss, 0, sizeof(ss));
	s = accept4(fd, (struct sockaddr *)&ss, &sl,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (s == -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED) {
			l->cnt.err_recv++;
			log_warn("link %d: accept", link_index(l));
		}
		return;
	}
	/* the peer reconnected: its old stream is dead or about to be */
	tcp_server_close(l);
	l->tcp->afd = s;
	l->tcp->peer = ss;
	child_fd_add(s, POLLIN, tcp_rx_cb);
	log_info("link %d: connection from %s", link_index(l),
	    tcp_ntop(&ss, a, sizeof(a)));
}

/*
 * Hand on every whole message, keep the incomplete tail.  -1: a length
 * shorter than a header, which no sender writes: the stream has lost
 * its framing and nothing after this point can be trusted.
 */
static int
tcp_deliver(struct link *l, int fd)
{
	struct link_tcp	*t = l->tcp;
	size_t		 off = 0, len;

	while (t->rxlen - off >= WIRE_HDR_LEN) {
		len = (size_t)t->rx[off + 2] << 8 | t->rx[off + 3];
		if (len < WIRE_HDR_LEN)
			return -1;
		if (len > t->rxlen - off)
			break;
		link_deliver(l, t->rx + off, len, &t->peer);
		if (t->afd != fd)
			return 0;	/* closed meanwhile */
		off += len;
	}
	memmove(t->rx, t->rx + off, t->rxlen - off);
	t->rxlen -= off;
	return 0;
}

static void
tcp_rx_cb(int fd, short revents)
{
	struct link	*l;
	struct link_tcp	*t;
	ssize_t		 n;
	uint32_t	 k;

	if ((l = tcp_find(fd)) == NULL || fd != l->tcp->afd)
		return;
	t = l->tcp;
	for (k = 0; k < t->budget && t->afd == fd; k++) {
		n = recv(fd, t->rx + t->rxlen, TCP_RX_BUF - t->rxlen,
		    MSG_DONTWAIT);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			if (n == -1) {
				l->cnt.err_recv++;
				log_info("link %d: peer's connection: %s",
				    link_index(l), strerror(errno));
			} else
				log_info("link %d: peer closed its "
				    "connection", link_index(l));
			tcp_server_close(l);
			return;
		}
		l->cnt.bytes_recv += (uint64_t)n;
		l->cnt.pkts_recv++;
		t->rxlen += (size_t)n;
		if (tcp_deliver(l, fd) == -1) {
			/* conntrackd stays lost; a new connection resyncs */
			l->cnt.err_recv++;
			log_warnx("link %d: corrupt message length from the "
			    "peer, closing its connection", link_index(l));
			tcp_server_close(l);
			return;
		}
	}
}

/* ---- sending: our connection to the peer ---- */

static int
tcp_pending(const struct link *l)
{
	return l->tcp->eqlen > 0 || l->txlen > 0 || l->blocked;
}

static void
tcp_want_out(struct link *l, int out)
{
	struct link_tcp	*t = l->tcp;

	if (t->state == TCP_UP)
		child_fd_events(t->cfd, POLLIN | (out ? POLLOUT : 0));
}

/*
 * A buffer partly written on a dead connection cannot go on in the
 * middle of a message: resume at the next message boundary.
 */
static void
tcp_eq_realign(struct link_tcp *t)
{
	struct tcp_buf	*b = TAILQ_FIRST(&t->eq);
	size_t		 pos = 0, len;

	if (b == NULL || b->off == 0)
		return;
	while (pos < b->off && pos + WIRE_HDR_LEN <= b->len) {
		len = (size_t)b->data[pos + 2] << 8 | b->data[pos + 3];
		if (len < WIRE_HDR_LEN)
			break;		/* cannot happen: we built them */
		pos += len;
	}
	if (pos >= b->off && pos < b->len) {
		b->off = pos;
		return;
	}
	TAILQ_REMOVE(&t->eq, b, entry);
	t->eqlen--;
	free(b);
}

static void
tcp_client_close(struct link *l)
{
	struct link_tcp	*t = l->tcp;

	if (t->cfd != -1) {
		child_fd_del(t->cfd);
		close(t->cfd);
	}
	t->cfd = -1;
	t->state = TCP_DOWN;
	tcp_eq_realign(t);
}

/* err 0: the peer closed it */
static void
tcp_lost(struct link *l, int err)
{
	log_info("link %d: connection to %s lost: %s", link_index(l),
	    l->tcp->name, err ? strerror(err) : "closed by the peer");
	tcp_client_close(l);
}

static void
tcp_connect_failed(struct link *l, int err)
{
	struct link_tcp	*t = l->tcp;

	l->cnt.err_send++;
	/* once per outage: the peer may be down for hours */
	if (!t->complained)
		log_info("link %d: cannot connect to %s: %s (retrying every "
		    "second while there is something to send)",
		    link_index(l), t->name, strerror(err));
	t->complained = 1;
	tcp_client_close(l);
}

static int
tcp_client_opts(const struct link_tcp *t, int s)
{
	int	on = 1, v = (int)t->sndbuf;

	if (setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) == -1)
		return -1;
	/* without CAP_NET_ADMIN: capped by net.core.wmem_max */
	if (t->sndbuf != 0 &&
	    setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) == -1)
		return -1;
	if (t->locallen != 0 &&
	    bind(s, (const struct sockaddr *)&t->local, t->locallen) == -1)
		return -1;
	return 0;
}

/* A non-blocking connect, at most one a second; POLLOUT says how. */
static void
tcp_connect(struct link *l, int64_t now)
{
	struct link_tcp	*t = l->tcp;
	int		 s;

	if (t->state != TCP_DOWN || now - t->tried < TCP_CONNECT_EVERY_MS)
		return;
	t->tried = now;
	s = socket(t->dest.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (s == -1) {
		tcp_connect_failed(l, errno);
		return;
	}
	if (tcp_client_opts(t, s) == -1 || (connect(s,
	    (const struct sockaddr *)&t->dest, t->destlen) == -1 &&
	    errno != EINPROGRESS)) {
		close(s);
		tcp_connect_failed(l, errno);
		return;
	}
	t->cfd = s;
	t->state = TCP_CONNECTING;
	child_fd_add(s, POLLOUT, tcp_client_cb);
}

/*
 * Write to our connection: the bytes taken (0 when the socket is full;
 * POLLOUT is then watched), -1 when the connection is gone.
 */
static ssize_t
tcp_write(struct link *l, const uint8_t *p, size_t len)
{
	ssize_t	n;

	n = send(l->tcp->cfd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == -1 && (errno == EAGAIN || errno == EINTR ||
	    errno == ENOBUFS))
		n = 0;
	else if (n == -1) {
		/* EPIPE, ECONNRESET, ...: a new socket next time */
		l->cnt.err_send++;
		tcp_lost(l, errno);
		return -1;
	} else {
		l->cnt.bytes_sent += (uint64_t)n;
		l->cnt.pkts_sent++;
	}
	if ((size_t)n < len)
		tcp_want_out(l, 1);
	return n;
}

/* Write the error queue in order.  0: it is empty; -1: some waits. */
static int
tcp_drain(struct link *l)
{
	struct link_tcp	*t = l->tcp;
	struct tcp_buf	*b;
	ssize_t		 n;

	while ((b = TAILQ_FIRST(&t->eq)) != NULL) {
		if (t->state != TCP_UP)
			return -1;
		if ((n = tcp_write(l, b->data + b->off, b->len - b->off)) == -1)
			return -1;
		b->off += (size_t)n;
		if (b->off < b->len)
			return -1;
		TAILQ_REMOVE(&t->eq, b, entry);
		t->eqlen--;
		free(b);
	}
	tcp_want_out(l, 0);
	return 0;
}

/* off: bytes already written; the buffer starts on a message, always */
static int
tcp_queue(struct link_tcp *t, const uint8_t *p, size_t len, size_t off)
{
	struct tcp_buf	*b;

	if ((b = malloc(sizeof(*b) + len)) == NULL) {
		log_warn("TCP error queue");
		return -1;
	}
	memcpy(b->data, p, len);
	b->len = len;
	b->off = off;
	TAILQ_INSERT_TAIL(&t->eq, b, entry);
	t->eqlen++;
	return 0;
}

/*
 * The filled buffer goes out behind whatever waits on the error queue.
 * -1: the queue is full (or memory ran out) and the buffer stays; the
 * link is blocked until tcp_output() makes room.
 */
int
tcp_send(struct link *l)
{
	struct link_tcp	*t = l->tcp;
	ssize_t		 n = 0;

	if (tcp_drain(l) == 0 && t->state == TCP_UP &&
	    (n = tcp_write(l, l->tx, l->txlen)) == -1)
		n = 0;
	if ((size_t)n == l->txlen) {
		l->txlen = 0;
		return 0;
	}
	tcp_connect(l, monotime_ms());
	/* a partly written buffer is mid-stream: it must be kept */
	if ((n == 0 && t->eqlen >= t->eqmax) ||
	    tcp_queue(t, l->tx, l->txlen, (size_t)n) == -1) {
		if (n > 0)	/* cannot resume mid-message: start afresh */
			tcp_lost(l, ENOMEM);
		l->blocked = 1;
		return -1;
	}
	l->txlen = 0;
	return 0;
}

/* The connection can take more: older buffers first, then the rest. */
static void
tcp_output(struct link *l)
{
	(void)tcp_drain(l);
	if (!l->blocked || l->tcp->eqlen >= l->tcp->eqmax)
		return;
	l->blocked = 0;
	if (l->txlen > 0 && tcp_send(l) == -1)
		return;
	link_room(l);
}

/* POLLOUT on a connecting socket: a second connect() tells how it went. */
static void
tcp_connect_done(struct link *l)
{
	struct link_tcp	*t = l->tcp;

	if (connect(t->cfd, (const struct sockaddr *)&t->dest,
	    t->destlen) == -1 && errno != EISCONN) {
		if (errno != EALREADY && errno != EINPROGRESS &&
		    errno != EINTR)
			tcp_connect_failed(l, errno);
		return;
	}
	t->state = TCP_UP;
	t->complained = 0;
	log_info("link %d: connected to %s", link_index(l), t->name);
	tcp_want_out(l, 0);
	tcp_output(l);
}

/*
 * Our connection is read only to notice its end: the peer never writes
 * on it, but its FIN or RST shows here before a write is lost to it.
 */
static int
tcp_client_check(struct link *l)
{
	uint8_t	buf[512];
	ssize_t	n;

	n = recv(l->tcp->cfd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n > 0 || (n == -1 && (errno == EAGAIN || errno == EINTR)))
		return 0;
	tcp_lost(l, n == 0 ? 0 : errno);
	return -1;
}

static void
tcp_client_cb(int fd, short revents)
{
	struct link	*l;

	if ((l = tcp_find(fd)) == NULL || fd != l->tcp->cfd)
		return;
	if (l->tcp->state == TCP_CONNECTING) {
		tcp_connect_done(l);
		return;
	}
	if (revents & (POLLIN | POLLHUP | POLLERR) &&
	    tcp_client_check(l) == -1)
		return;
	if (revents & POLLOUT)
		tcp_output(l);
}

/*
 * The dedicated link moves from o to n: whole buffers waiting on o go
 * out on n, behind n's own older ones.  A buffer o has partly written
 * stays: only o's stream can finish it.
 */
void
tcp_handover(struct link *o, struct link *n)
{
	struct link_tcp	*ot = o->tcp, *nt = n->tcp;
	struct tcp_buf	*b, *next;

	if (nt == NULL)
		return;
	for (b = TAILQ_FIRST(&ot->eq); b != NULL; b = next) {
		next = TAILQ_NEXT(b, entry);
		if (b->off > 0)
			continue;
		TAILQ_REMOVE(&ot->eq, b, entry);
		ot->eqlen--;
		TAILQ_INSERT_TAIL(&nt->eq, b, entry);
		nt->eqlen++;
	}
	if (nt->eqlen > 0)
		tcp_want_out(n, 1);
}

/* ---- the (re)connect timer ---- */

int64_t
tcp_next_timer(const struct link *l)
{
	const struct link_tcp	*t = l->tcp;

	if (t->state == TCP_CONNECTING)
		return t->tried + TCP_CONNECT_WAIT_MS;
	if (t->state == TCP_DOWN && tcp_pending(l))
		return t->tried + TCP_CONNECT_EVERY_MS;
	return -1;
}

void
tcp_timer(struct link *l, int64_t now)
{
	struct link_tcp	*t = l->tcp;

	/* a black-holed SYN would take minutes to fail by itself */
	if (t->state == TCP_CONNECTING &&
	    now - t->tried >= TCP_CONNECT_WAIT_MS)
		tcp_connect_failed(l, ETIMEDOUT);
	if (t->state == TCP_DOWN && tcp_pending(l))
		tcp_connect(l, now);
}
