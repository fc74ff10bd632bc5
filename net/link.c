/*
 * Sync links, sync side (see link.h): what every link has in common,
 * and datagrams.  Datagram sockets arrive from the monitor already
 * bound; this process only reads and writes them.  TCP lives in
 * link_tcp.c.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "link_priv.h"
#include "log.h"

#define LINK_RX_BUF		65536
#define LINK_UDP_OVERHEAD	28	/* IPv4 + UDP headers, as conntrackd */
#define LINK_TCP_OVERHEAD	40	/* IPv4 + TCP headers, as conntrackd */
#define LINK_RX_BUDGET		64	/* datagrams per wake-up and link, or
					   the first batch of reads past it */
#define LINK_RX_BATCH		16	/* datagrams per read */
#define LINK_GSO_MAX		65000	/* bytes per segmented send: IPv4's
					   limit less headers, rounded down */

/* room for one UDP_SEGMENT (u16) or UDP_GRO (int) control message */
union link_cmsg {
	struct cmsghdr	hdr;
	char		buf[CMSG_SPACE(sizeof(int))];
};

static struct link	links[CONF_MAX_LINKS];
static char		link_names[CONF_MAX_LINKS][IFNAMSIZ];
static int		nlinks;
static int		cur;
static link_rx_cb	rx_cb;
static link_room_cb	room_cb;
static uint32_t		rx_budget = LINK_RX_BUDGET;

/* A socket from the monitor, before the configuration is complete. */
void
link_recv_fd(const struct sync_link *sl, int fd)
{
	struct link	*l;

	if (fd < 0 || sl->link >= CONF_MAX_LINKS ||
	    sl->destlen > sizeof(l->dest) || (sl->role != SLINK_RECV &&
	    sl->role != SLINK_SEND && sl->role != SLINK_LISTEN))
		fatalx("malformed link socket from the monitor");
	l = &links[sl->link];
	l->used = 1;
	l->mtu = sl->mtu;
	l->ifindex = sl->ifindex;
	l->ifflags = sl->ifflags;
	if (sl->role == SLINK_LISTEN) {
		tcp_recv_fd(l, sl, fd);
		return;
	}
	if (sl->role == SLINK_RECV) {
		l->rfd = fd;
		return;
	}
	l->sfd = fd;
	memcpy(&l->dest, sl->dest, sl->destlen);
	l->destlen = sl->destlen;
}

static void
link_rx(int fd, short revents);
static void
link_tx_ready(int fd, short revents);
static int
link_send_batch(struct link *);

/* The send buffer: MTU minus the IPv4 headers, as conntrackd (§4.6). */
static size_t
link_txmax(const struct link *l)
{
	size_t	ovh = l->kind == CONF_LINK_TCP ? LINK_TCP_OVERHEAD :
		    LINK_UDP_OVERHEAD;

	return l->mtu > ovh + 64 ? l->mtu - ovh : 1500 - ovh;
}

/*
 * Whether the kernel cuts one send into datagrams for us (UDP_SEGMENT,
 * Linux 4.18): it refuses that without UDP checksums (Checksum off).
 */
static int
link_gso_usable(int fd)
{
	socklen_t	len;
	int		v;

	len = sizeof(v);
	if (getsockopt(fd, SOL_UDP, UDP_SEGMENT, &v, &len) == -1)
		return 0;
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_NO_CHECK, &v, &len) == -1 || v != 0)
		return 0;
	return 1;
}

void
link_init(const struct conf_sync *cs, uint32_t budget, link_rx_cb rx,
    link_room_cb room)
{
	struct link	*l;
	uint32_t	 i;

	rx_cb = rx;
	room_cb = room;
	if (budget > 0)
		rx_budget = budget;
	nlinks = (int)cs->nlinks;
	for (i = 0; i < cs->nlinks; i++) {
		l = &links[i];
		l->kind = cs->links[i].kind;
		if (!l->used || (l->kind != CONF_LINK_TCP &&
		    (l->rfd <= 0 || l->sfd <= 0)))
			fatalx("link %u: sockets missing from the monitor", i);
		strlcpy(link_names[i], cs->links[i].ifname[0] ?
		    cs->links[i].ifname : "-", sizeof(link_names[i]));
		if (cs->links[i].is_default)
			cur = (int)i;
		l->txmax = link_txmax(l);
		/* UDP: a batch of whole datagrams and the one being filled */
		if ((l->txbuf = reallocarray(NULL, l->kind == CONF_LINK_TCP ?
		    1 : LINK_TX_BATCH + 1, l->txmax)) == NULL)
			fatal("link buffer");
		l->tx = l->txbuf;
		if (l->kind == CONF_LINK_TCP) {
			tcp_init(l, &cs->links[i], rx_budget);
			continue;
		}
		l->gso = link_gso_usable(l->sfd);
		l->iphdr = l->dest.ss_family == AF_INET6 ? 40 : 20;
		child_fd_add(l->rfd, POLLIN, link_rx);
		child_fd_add(l->sfd, 0, link_tx_ready);
	}
}

int
link_index(const struct link *l)
{
	return (int)(l - links);
}

/* A datagram, or one whole message of a stream, for the sync mode. */
void
link_deliver(struct link *l, const uint8_t *buf, size_t len,
    const struct sockaddr_storage *from)
{
	rx_cb(link_index(l), buf, len, from);
}

/* Link l can take messages again: tell the queue if it is ours. */
void
link_room(struct link *l)
{
	if (link_index(l) == cur && room_cb != NULL)
		room_cb();
}

static const char *
link_name(int i)
{
	return link_names[i];
}

int
link_count(void)
{
	return nlinks;
}

int
link_current(void)
{
	return cur;
}

static int
link_usable(const struct link *l)
{
	return (l->ifflags & (IFF_UP | IFF_RUNNING)) ==
	    (IFF_UP | IFF_RUNNING);
}

static void
link_slot(struct link *l)
{
	l->tx = l->txbuf + (size_t)l->txq_n * l->txmax;
}

/*
 * Datagrams that waited on a link that is left go out on the new one
 * when it has room for them; the rest are lost, counted, as a send
 * error would lose them (FTFW sends them again).
 */
static void
link_move_queue(struct link *o, struct link *n)
{
	int	i;

	for (i = 0; i < o->txq_n; i++) {
		if (n->kind == CONF_LINK_TCP || n->txq_n >= LINK_TX_BATCH ||
		    o->txq_len[i] >= n->txmax || n->txlen > 0) {
			o->cnt.err_send++;
			continue;
		}
		memcpy(n->txbuf + (size_t)n->txq_n * n->txmax,
		    o->txbuf + (size_t)i * o->txmax, o->txq_len[i]);
		n->txq_len[n->txq_n++] = o->txq_len[i];
	}
	o->txq_n = 0;
	link_slot(o);
	link_slot(n);
}

/*
 * Switch the sending side to link i.  What was being filled for the old
 * link goes out on the new one: the old one may be dead.
 */
static void
link_switch(int i, const char *why)
{
	struct link	*o = &links[cur], *n = &links[i];
	uint8_t		*part = o->tx;	/* being filled: after the queue */

	log_info("%s: link %d (%s) becomes the dedicated link", why, i,
	    link_name(i));
	link_move_queue(o, n);
	if (o->txlen > 0 && o->txlen < n->txmax && n->txlen == 0) {
		memcpy(n->tx, part, o->txlen);
		n->txlen = o->txlen;
	}
	o->txlen = 0;
	o->blocked = 0;
	if (o->kind == CONF_LINK_TCP)
		tcp_handover(o, n);
	else
		child_fd_events(o->sfd, 0);
	cur = i;
	/* what moved goes now, even if nothing new may be sent */
	if (n->kind != CONF_LINK_TCP && link_send_batch(n) == -1)
		return;
	if (room_cb != NULL)
		room_cb();
}

/* A valid message arrived on link i: the peers use it, so do we. */
void
link_make_current(int i)
{
	if (i < 0 || i >= nlinks || i == cur || !link_usable(&links[i]))
		return;
	link_switch(i, "peer traffic");
}

/*
 * The monitor saw an interface change.  Leave a link that is not up and
 * running for the first one that is; come back to any working link when
 * the current one is dead.
 */
void
link_state(uint32_t ifindex, uint32_t flags)
{
	int	i;

	for (i = 0; i < nlinks; i++)
		if (links[i].ifindex == ifindex)
			links[i].ifflags = flags;
	if (nlinks == 0 || link_usable(&links[cur]))
		return;
	for (i = 0; i < nlinks; i++) {
		if (i != cur && link_usable(&links[i])) {
			link_switch(i, "link down");
			return;
		}
	}
	log_warnx("no dedicated links available");
}

uint32_t
link_ifflags(int i)
{
	return links[i].ifflags;
}

const struct link_counters *
link_counters(int i)
{
	return &links[i].cnt;
}

/* largest message a datagram can carry: "used + len < max" */
size_t
link_payload_max(void)
{
	return nlinks ? links[cur].txmax - 1 : 0;
}

int
link_busy(void)
{
	return nlinks == 0 || links[cur].blocked;
}

/* the first k waiting datagrams are gone: move the rest up */
static void
link_dequeue(struct link *l, int k)
{
	int	i;

	for (i = k; i < l->txq_n; i++) {
		memmove(l->txbuf + (size_t)(i - k) * l->txmax,
		    l->txbuf + (size_t)i * l->txmax, l->txq_len[i]);
		l->txq_len[i - k] = l->txq_len[i];
	}
	l->txq_n -= k;
	link_slot(l);
}

/*
 * How many waiting datagrams from i on go out as one segmented send:
 * a run of one length, perhaps ended by a shorter one.  The kernel cuts
 * it into the same datagrams, byte for byte, and the stack below UDP
 * (routing, netfilter, the device) runs once for all of them.
 */
static int
link_run(const struct link *l, int i)
{
	size_t	seg = l->txq_len[i], total = seg;
	int	k;

	/* the kernel wants each datagram to fit the MTU unfragmented */
	if (!l->gso || seg + l->iphdr + 8 > l->mtu)
		return 1;
	for (k = i + 1; k < l->txq_n; k++) {
		if (l->txq_len[k] > seg || total + l->txq_len[k] > LINK_GSO_MAX)
			break;
		total += l->txq_len[k];
		if (l->txq_len[k] < seg)
			return k + 1 - i;
	}
	return k - i;
}

static void
link_segment(struct msghdr *mh, union link_cmsg *c, size_t seg)
{
	uint16_t	v = (uint16_t)seg;

	memset(c, 0, sizeof(*c));
	mh->msg_control = c->buf;
	mh->msg_controllen = CMSG_SPACE(sizeof(v));
	c->hdr.cmsg_level = SOL_UDP;
	c->hdr.cmsg_type = UDP_SEGMENT;
	c->hdr.cmsg_len = CMSG_LEN(sizeof(v));
	memcpy(CMSG_DATA(&c->hdr), &v, sizeof(v));
}

/* The waiting datagrams, in runs; sendmmsg(2)'s result. */
static int
link_sendmmsg(struct link *l, struct mmsghdr *mm, struct iovec *iov,
    union link_cmsg *ctl)
{
	int	i, m, run;

	memset(mm, 0, sizeof(*mm) * (size_t)l->txq_n);
	for (i = 0; i < l->txq_n; i++) {
		iov[i].iov_base = l->txbuf + (size_t)i * l->txmax;
		iov[i].iov_len = l->txq_len[i];
	}
	for (i = m = 0; i < l->txq_n; i += run, m++) {
		run = link_run(l, i);
		mm[m].msg_hdr.msg_iov = &iov[i];
		mm[m].msg_hdr.msg_iovlen = (size_t)run;
		mm[m].msg_hdr.msg_name = &l->dest;
		mm[m].msg_hdr.msg_namelen = l->destlen;
		if (run > 1)
			link_segment(&mm[m].msg_hdr, &ctl[m], l->txq_len[i]);
	}
	return sendmmsg(l->sfd, mm, (unsigned int)m, MSG_DONTWAIT);
}

/*
 * A segmented send refused for what it is (a route through IPsec, a
 * device or MTU that cannot take it): send datagram by datagram.
 */
static int
link_gso_refused(struct link *l, const struct mmsghdr *mm)
{
	if (!l->gso || mm[0].msg_hdr.msg_iovlen < 2 || (errno != EINVAL &&
	    errno != EIO && errno != EMSGSIZE))
		return 0;
	log_warnx("link %d: segmented send refused (%s); sending one "
	    "datagram per buffer", link_index(l), strerror(errno));
	l->gso = 0;
	return 1;
}

/*
 * The waiting datagrams go out, LINK_TX_BATCH at most per system call:
 * a bulk sends tens of thousands, and in a VM a system call is dear.
 * -1: the socket is full; the room callback says when to go on.
 */
static int
link_send_batch(struct link *l)
{
	struct mmsghdr	mm[LINK_TX_BATCH];
	struct iovec	iov[LINK_TX_BATCH];
	union link_cmsg	ctl[LINK_TX_BATCH];
	int		i, k, n;

	while (l->txq_n > 0) {
		n = link_sendmmsg(l, mm, iov, ctl);
		if (n == -1 && (errno == EAGAIN || errno == ENOBUFS)) {
			l->blocked = 1;
			child_fd_events(l->sfd, POLLOUT);
			return -1;
		}
		if (n == -1 && link_gso_refused(l, mm))
			continue;
		k = 0;
		if (n == -1) {
			/* the first send is lost; FTFW recovers it, the
			   others resync */
			k = (int)mm[0].msg_hdr.msg_iovlen;
			l->cnt.err_send += (uint64_t)k;
			log_debug("link send: %s", strerror(errno));
		}
		for (i = 0; i < n; i++) {
			l->cnt.bytes_sent += mm[i].msg_len;
			l->cnt.pkts_sent += mm[i].msg_hdr.msg_iovlen;
			k += (int)mm[i].msg_hdr.msg_iovlen;
		}
		link_dequeue(l, k);
	}
	return 0;
}

/* The filled datagram joins the batch, sent first when it is full. */
static int
link_enqueue(struct link *l)
{
	if (l->txq_n >= LINK_TX_BATCH && link_send_batch(l) == -1)
		return -1;
	l->txq_len[l->txq_n++] = l->txlen;
	l->txlen = 0;
	link_slot(l);
	return 0;
}

/* The filled datagram waits for the others of its batch. */
static int
link_queue(struct link *l)
{
	if (link_enqueue(l) == -1)
		return -1;
	if (l->txq_n < LINK_TX_BATCH)
		return 0;
	return link_send_batch(l);
}

/* The filled buffer goes out.  -1: not yet; the room callback says when. */
static int
link_push(struct link *l)
{
	if (l->kind == CONF_LINK_TCP)
		return tcp_send(l);
	return link_queue(l);
}

/*
 * Send the datagram being filled, and those waiting.  -1: the socket
 * (TCP: the error queue) is full, try later.
 */
int
link_flush(void)
{
	struct link	*l;

	if (nlinks == 0)
		return 0;
	l = &links[cur];
	if (l->blocked)
		return l->txlen == 0 && l->txq_n == 0 ? 0 : -1;
	if (l->kind == CONF_LINK_TCP)
		return l->txlen == 0 ? 0 : tcp_send(l);
	if (l->txlen > 0 && link_enqueue(l) == -1)
		return -1;
	return link_send_batch(l);
}

/*
 * Add one whole message to the current link's datagram, sending the
 * datagram first when the message does not fit.  -1: the socket (TCP:
 * the error queue) is full and the message was not taken; the room
 * callback says when to retry.
 */
int
link_append(const uint8_t *msg, size_t len)
{
	struct link	*l;

	if (nlinks == 0)
		return -1;
	l = &links[cur];
	if (l->blocked)
		return -1;
	if (len >= l->txmax)
		fatalx("message of %zu bytes for a %zu byte link", len,
		    l->txmax);
	if (l->txlen + len >= l->txmax && link_push(l) == -1)
		return -1;
	memcpy(l->tx + l->txlen, msg, len);
	l->txlen += len;
	return 0;
}

static void
link_tx_ready(int fd, short revents)
{
	int	i;

	for (i = 0; i < nlinks; i++) {
		if (links[i].sfd != fd)
			continue;
		child_fd_events(fd, 0);
		links[i].blocked = 0;
		if (link_send_batch(&links[i]) == -1)
			return;
		if (i == cur && room_cb != NULL)
			room_cb();
	}
}

static int
link_index_rfd(int fd)
{
	int	i;

	for (i = 0; i < nlinks; i++)
		if (links[i].rfd == fd)
			return i;
	return -1;
}

/* The datagram size of a read the kernel coalesced (UDP_GRO), or 0. */
static size_t
link_gro_size(struct msghdr *mh)
{
	struct cmsghdr	*cm;
	int		 v;

	if (mh->msg_flags & MSG_CTRUNC)
		return 0;
	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_UDP || cm->cmsg_type != UDP_GRO ||
		    cm->cmsg_len < CMSG_LEN(sizeof(v)))
			continue;
		memcpy(&v, CMSG_DATA(cm), sizeof(v));
		return v > 0 ? (size_t)v : 0;
	}
	return 0;
}

/*
 * One read: a datagram, or datagrams of one sender that the kernel
 * handed over together, all of one size but the last.  Each goes to
 * the sync mode on its own, as if read alone.  The number of them.
 */
static uint32_t
link_rx_read(int i, const uint8_t *buf, size_t len, struct msghdr *mh,
    const struct sockaddr_storage *from)
{
	struct link	*l = &links[i];
	size_t		 seg = link_gro_size(mh), off = 0, n;
	uint32_t	 k = 0;

	if (seg == 0 || seg > len)
		seg = len;
	do {
		n = len - off < seg ? len - off : seg;
		l->cnt.bytes_recv += n;
		l->cnt.pkts_recv++;
		k++;
		rx_cb(i, buf + off, n, from);
		off += n;
	} while (off < len);
	return k;
}

/*
 * Datagrams are read LINK_RX_BATCH at a time: a bulk or a resync brings
 * tens of thousands of them, and in a VM a system call is dear.
 */
static void
link_rx(int fd, short revents)
{
	static uint8_t			 buf[LINK_RX_BATCH][LINK_RX_BUF];
	static struct sockaddr_storage	 from[LINK_RX_BATCH];
	static union link_cmsg		 ctl[LINK_RX_BATCH];
	struct mmsghdr			 mm[LINK_RX_BATCH];
	struct iovec			 iov[LINK_RX_BATCH];
	uint32_t			 k, want;
	int				 i, j, n;

	if ((i = link_index_rfd(fd)) == -1)
		return;
	for (k = 0; k < rx_budget; ) {
		want = rx_budget - k < LINK_RX_BATCH ? rx_budget - k :
		    LINK_RX_BATCH;
		mmsg_setup(mm, iov, want, buf, sizeof(buf[0]), from,
		    sizeof(from[0]));
		for (j = 0; j < (int)want; j++) {
			mm[j].msg_hdr.msg_control = ctl[j].buf;
			mm[j].msg_hdr.msg_controllen = sizeof(ctl[j].buf);
		}
		n = recvmmsg(fd, mm, want, MSG_DONTWAIT, NULL);
		if (n == -1) {
			if (errno != EAGAIN && errno != EINTR) {
				links[i].cnt.err_recv++;
				log_debug("link recv: %s", strerror(errno));
			}
			return;
		}
		for (j = 0; j < n; j++)
			k += link_rx_read(i, buf[j], mm[j].msg_len,
			    &mm[j].msg_hdr, &from[j]);
		if ((uint32_t)n < want)
			return;
	}
}

/* TCP state for -s: datagram links are always "connected". */
int
link_connected(int i, int *server, int *client)
{
	*server = *client = 1;
	if (links[i].kind == CONF_LINK_TCP)
		tcp_connected(&links[i], server, client);
	return links[i].kind;
}

/* TCP links (re)connect on a timer; -1 when none needs one. */
int64_t
link_next_timer(void)
{
	int64_t	at = -1, t;
	int	i;

	for (i = 0; i < nlinks; i++) {
		if (links[i].kind != CONF_LINK_TCP)
			continue;
		t = tcp_next_timer(&links[i]);
		if (t >= 0 && (at < 0 || t < at))
			at = t;
	}
	return at;
}

void
link_timer(int64_t now)
{
	int	i;

	for (i = 0; i < nlinks; i++)
		if (links[i].kind == CONF_LINK_TCP)
			tcp_timer(&links[i], now);
}
