/*
 * The datagram side of net/link.c against real sockets: messages are
 * packed into datagrams, batched, held back while the socket is full
 * and sent on when it has room, moved to the other link on failover,
 * and read back a budget at a time.  AF_UNIX datagram socketpairs push
 * back (EAGAIN) where UDP would drop, so back-pressure is exact here.
 * The daemon's event loop is played by this file (child_fd_*).
 * test_gso, in a child process and a network namespace of its own, does
 * the same over UDP, where runs of datagrams go out as one send.
 */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <arpa/inet.h>
#include <sched.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "daemon.h"
#include "link_priv.h"
#include "log.h"

#define NLINKS		2
#define MTU		1500
#define MSGS		3000

/* ---- the event loop, as far as link.c uses it */

static struct {
	int		fd;
	short		events;
	child_fd_cb	cb;
} fds[8];
static int	nfds;

void
child_fd_add(int fd, short events, child_fd_cb cb)
{
	if (nfds < 8)
		fds[nfds++] = (typeof(fds[0])){ fd, events, cb };
}

void
child_fd_del(int fd)
{
	int	i;

	for (i = 0; i < nfds; i++)
		if (fds[i].fd == fd)
			fds[i].fd = -1;
}

void
child_fd_events(int fd, short events)
{
	int	i;

	for (i = 0; i < nfds; i++)
		if (fds[i].fd == fd)
			fds[i].events = events;
}

/* one loop iteration: the callbacks of whatever is ready */
static void
loop_once(void)
{
	struct pollfd	pfd;
	int		i;

	for (i = 0; i < nfds; i++) {
		if (fds[i].fd < 0 || fds[i].events == 0)
			continue;
		pfd.fd = fds[i].fd;
		pfd.events = fds[i].events;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) == 1)
			fds[i].cb(fds[i].fd, pfd.revents);
	}
}

static short
fd_events(int fd)
{
	int	i;

	for (i = 0; i < nfds; i++)
		if (fds[i].fd == fd)
			return fds[i].events;
	return -1;
}

/* TCP is not exercised here */
void	tcp_recv_fd(struct link *l, const struct sync_link *sl, int fd)
	{ (void)l; (void)sl; (void)fd; }
void	tcp_init(struct link *l, const struct conf_link *c, uint32_t b)
	{ (void)l; (void)c; (void)b; }
int	tcp_send(struct link *l) { (void)l; return -1; }
void	tcp_handover(struct link *o, struct link *n) { (void)o; (void)n; }
void	tcp_connected(const struct link *l, int *s, int *c)
	{ (void)l; *s = *c = 0; }
int64_t	tcp_next_timer(const struct link *l) { (void)l; return -1; }
void	tcp_timer(struct link *l, int64_t now) { (void)l; (void)now; }

/* ---- the links: for each, a send pair and a receive pair */

static int	send_fd[NLINKS];	/* link i sends on it */
static int	out_peer[NLINKS];	/* reads what link i sends */
static int	in_peer[NLINKS];	/* writes what link i receives */
static int	room_calls;

static void
room(void)
{
	room_calls++;
}

static uint32_t	rx_next;		/* sequence rx_cb expects */
static int	rx_calls, rx_bad;
static int	rx_link = 1;		/* the link it expects them on */

static void
rx(int link, const uint8_t *buf, size_t len,
    const struct sockaddr_storage *from)
{
	uint32_t	seq;

	(void)from;
	rx_calls++;
	if (link != rx_link || len != sizeof(seq)) {
		rx_bad++;
		return;
	}
	memcpy(&seq, buf, sizeof(seq));
	if (seq != rx_next++)
		rx_bad++;
}

static void
setup(void)
{
	static struct conf_sync	cs;
	struct sync_link	sl;
	int			i, sp[2], rp[2], small = 16384;

	cs.nlinks = NLINKS;
	for (i = 0; i < NLINKS; i++) {
		cs.links[i].kind = CONF_LINK_UDP;
		cs.links[i].is_default = i == 0;
		snprintf(cs.links[i].ifname, sizeof(cs.links[i].ifname),
		    "t%d", i);
		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sp) == -1 ||
		    socketpair(AF_UNIX, SOCK_DGRAM, 0, rp) == -1)
			fatal("socketpair");
		/* a few datagrams in flight, then EAGAIN */
		if (setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &small,
		    sizeof(small)) == -1)
			fatal("SO_SNDBUF");
		memset(&sl, 0, sizeof(sl));
		sl.link = (uint32_t)i;
		sl.mtu = MTU;
		sl.ifindex = (uint32_t)(10 + i);
		sl.ifflags = IFF_UP | IFF_RUNNING;
		sl.role = SLINK_SEND;
		link_recv_fd(&sl, sp[0]);
		sl.role = SLINK_RECV;
		link_recv_fd(&sl, rp[0]);
		send_fd[i] = sp[0];
		out_peer[i] = sp[1];
		in_peer[i] = rp[1];
	}
	link_init(&cs, 0, rx, room);
}

/*
 * ---- messages: [u16 length][u32 sequence][filler] of 40..400 bytes,
 * or of 98 bytes below sequence fixed_until
 */

static uint32_t	fixed_until;

static size_t
msg_make(uint8_t *buf, uint32_t seq)
{
	uint16_t	len = (uint16_t)(seq < fixed_until ? 98 :
			    40 + (seq * 37) % 361);

	memset(buf, (int)(seq & 0xff), len);
	memcpy(buf, &len, sizeof(len));
	memcpy(buf + sizeof(len), &seq, sizeof(seq));
	return len;
}

/* bytes of messages from .. to - 1 */
static size_t
msg_bytes(uint32_t from, uint32_t to)
{
	uint8_t	m[512];
	size_t	n = 0;

	for (; from < to; from++)
		n += msg_make(m, from);
	return n;
}

struct seen {
	uint32_t	next;		/* the sequence expected next */
	int		bad;		/* out of order, torn or too long */
	int		dgrams;
};

/* One datagram: whole messages, in order, each as made. */
static void
dgram_check(struct seen *s, const uint8_t *buf, size_t n)
{
	uint8_t		want[512];
	uint16_t	len;
	uint32_t	seq;
	size_t		off;

	s->dgrams++;
	if (n >= MTU - 28)
		s->bad++;
	for (off = 0; off + 6 <= n; off += len) {
		memcpy(&len, buf + off, sizeof(len));
		memcpy(&seq, buf + off + 2, sizeof(seq));
		if (len < 6 || off + len > n || seq != s->next ||
		    msg_make(want, seq) != len ||
		    memcmp(want, buf + off, len) != 0) {
			s->bad++;
			return;
		}
		s->next++;
	}
	if (off != n)
		s->bad++;
}

/* Read what link i sent, up to max datagrams; check every message. */
static int
drain(int i, struct seen *s, int max)
{
	uint8_t		buf[65536];
	ssize_t		n;
	int		k;

	for (k = 0; k < max; k++) {
		if ((n = recv(out_peer[i], buf, sizeof(buf), MSG_DONTWAIT)) <= 0)
			break;
		dgram_check(s, buf, (size_t)n);
	}
	return k;
}

/*
 * A bulk through link 0, the reader slower than the sender: the link
 * refuses messages while its socket is full and calls room() when it
 * has room again; nothing is lost, torn, reordered or sent twice.
 */
static void
test_backpressure(uint32_t *seq)
{
	struct seen	s = { 0, 0, 0 };
	uint8_t		m[512];
	size_t		len;
	int		refused = 0, rounds;

	for (rounds = 0; *seq < MSGS && rounds < 100000; rounds++) {
		len = msg_make(m, *seq);
		if (link_append(m, len) == 0) {
			(*seq)++;
			continue;
		}
		refused++;
		CHECK(link_busy());
		CHECK(fd_events(send_fd[0]) == POLLOUT);
		drain(0, &s, 3);
		loop_once();		/* POLLOUT: the batch goes on */
	}
	CHECK(*seq == MSGS);
	CHECK(refused > 0);		/* the socket did push back */
	CHECK(room_calls > 0);
	for (rounds = 0; rounds < 10000; rounds++) {
		if (link_flush() == 0)
			break;
		drain(0, &s, 3);
		loop_once();
	}
	CHECK(link_flush() == 0);
	drain(0, &s, 1 << 20);
	CHECK(s.bad == 0);
	CHECK(s.next == MSGS);
	CHECK(link_counters(0)->pkts_sent == (uint64_t)s.dgrams);
	CHECK(link_counters(0)->err_send == 0);
	/* full datagrams: each left less room than the largest message */
	CHECK((size_t)s.dgrams <= msg_bytes(0, MSGS) / (MTU - 28 - 1 - 400) + 1);
}

/*
 * Link 0 full and a batch of datagrams waiting on it, then its
 * interface loses carrier: link 1 takes over and sends what waited
 * first, then the rest (a datagram being filled: test_partial_moves).  What link 0's socket had accepted
 * arrives there; together the two readers see every message once.
 */
static void
test_failover(uint32_t *seq)
{
	struct seen	s0, s1;
	uint8_t		m[512];
	uint32_t	first = *seq, stop;
	int		rounds;

	/* bounded: a link that never fills fails the checks below */
	while (*seq < first + 100000 && link_append(m, msg_make(m, *seq)) == 0)
		(*seq)++;
	CHECK(link_busy());
	CHECK(fd_events(send_fd[0]) == POLLOUT);
	link_state(10, IFF_UP);		/* no carrier */
	CHECK(link_current() == 1);
	CHECK(fd_events(send_fd[0]) == 0);
	/* link 0 sends nothing more: what it took is all there */
	s0 = (struct seen){ first, 0, 0 };
	drain(0, &s0, 1 << 20);
	CHECK(s0.bad == 0);
	CHECK(s0.next > first);
	s1 = (struct seen){ s0.next, 0, 0 };
	stop = *seq + 500;
	for (rounds = 0; *seq < stop && rounds < 100000; rounds++) {
		if (link_append(m, msg_make(m, *seq)) == 0) {
			(*seq)++;
			continue;
		}
		drain(1, &s1, 3);
		loop_once();
	}
	for (rounds = 0; link_flush() != 0 && rounds < 10000; rounds++) {
		drain(1, &s1, 3);
		loop_once();
	}
	drain(1, &s1, 1 << 20);
	CHECK(s1.bad == 0);
	CHECK(s1.next == stop);		/* what waited on link 0 came first */
	CHECK(link_counters(0)->err_send == 0);
	CHECK(link_counters(1)->err_send == 0);
}

/*
 * A datagram being filled when its link goes down goes out on the
 * next one (here link 0 again, its carrier back).
 */
static void
test_partial_moves(uint32_t *seq)
{
	struct seen	s = { *seq, 0, 0 };
	uint8_t		m[512];
	uint32_t	stop = *seq + 3;

	link_state(10, IFF_UP | IFF_RUNNING);
	CHECK(link_current() == 1);	/* no reason to leave link 1 */
	for (; *seq < stop; (*seq)++)
		CHECK(link_append(m, msg_make(m, *seq)) == 0);
	link_state(11, 0);
	CHECK(link_current() == 0);
	CHECK(link_flush() == 0);
	CHECK(drain(1, &s, 1 << 20) == 0);
	CHECK(drain(0, &s, 1 << 20) == 1);
	CHECK(s.bad == 0 && s.next == stop);
}

/* Link 1 reads at most its budget (64) per wake-up, in order. */
static void
test_rx_budget(void)
{
	uint32_t	i;
	int		k;

	for (i = 0; i < 100; i++)
		CHECK(send(in_peer[1], &i, sizeof(i), 0) == sizeof(i));
	for (k = 0; k < nfds; k++)
		if (fds[k].events == POLLIN && fds[k].fd >= 0)
			fds[k].cb(fds[k].fd, POLLIN);
	CHECK(rx_calls == 64);
	loop_once();
	CHECK(rx_calls == 100);
	CHECK(rx_bad == 0);
	CHECK(link_counters(1)->pkts_recv == 100);
}

/* ---- UDP, in a network namespace of its own (a child of main) */

/* lo up, with the MTU of an Ethernet sync link */
static void
lo_up(void)
{
	struct ifreq	ifr;
	int		s;

	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		fatal("socket");
	memset(&ifr, 0, sizeof(ifr));
	strlcpy(ifr.ifr_name, "lo", sizeof(ifr.ifr_name));
	ifr.ifr_mtu = MTU;
	if (ioctl(s, SIOCSIFMTU, &ifr) == -1)
		fatal("SIOCSIFMTU");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == -1)
		fatal("SIOCGIFFLAGS");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) == -1)
		fatal("SIOCSIFFLAGS");
	close(s);
}

/* A UDP socket on loopback, its address in *ss; gro: UDP_GRO on. */
static int
udp_open(int af, struct sockaddr_storage *ss, int gro)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	socklen_t		 len = sizeof(*ss);
	int			 s, big = 4 << 20;

	memset(ss, 0, sizeof(*ss));
	ss->ss_family = (sa_family_t)af;
	if (af == AF_INET)
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		sin6->sin6_addr = in6addr_loopback;
	if ((s = socket(af, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1 ||
	    bind(s, (struct sockaddr *)ss, af == AF_INET ? sizeof(*sin) :
	    sizeof(*sin6)) == -1 ||
	    getsockname(s, (struct sockaddr *)ss, &len) == -1)
		fatal("udp socket");
	if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) == -1)
		fatal("SO_RCVBUFFORCE");
	if (gro && setsockopt(s, SOL_UDP, UDP_GRO, &gro, sizeof(gro)) == -1)
		fatal("UDP_GRO");
	return s;
}

static socklen_t
ss_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6);
}

/* fd readable within a second? (loopback may deliver in a softirq) */
static int
readable(int fd)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };

	return poll(&pfd, 1, 1000) == 1;
}

/*
 * Read one buffer from a UDP_GRO socket and check each datagram in it.
 * The number of datagrams, 0 when nothing was waiting.
 */
static int
gro_read(int fd, struct seen *s)
{
	static uint8_t	buf[65536];
	union {
		struct cmsghdr	hdr;
		char		b[CMSG_SPACE(sizeof(int))];
	}		ctl;
	struct iovec	iov = { buf, sizeof(buf) };
	struct msghdr	mh;
	struct cmsghdr	*cm;
	ssize_t		n;
	size_t		off, seg;
	int		v, k = 0;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.b;
	mh.msg_controllen = sizeof(ctl.b);
	if ((n = recvmsg(fd, &mh, MSG_DONTWAIT)) <= 0)
		return 0;
	seg = (size_t)n;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO) {
			memcpy(&v, CMSG_DATA(cm), sizeof(v));
			seg = (size_t)v;
		}
	for (off = 0; off < (size_t)n; off += seg, k++)
		dgram_check(s, buf + off, (size_t)n - off < seg ?
		    (size_t)n - off : seg);
	return k;
}

/* 40 datagrams of 4 bytes as one segmented send, to *to. */
static void
gso_send40(const struct sockaddr_storage *to)
{
	uint32_t	seqs[40];
	uint16_t	seg = sizeof(seqs[0]);
	union {
		struct cmsghdr	hdr;
		char		b[CMSG_SPACE(sizeof(uint16_t))];
	}		ctl;
	struct iovec	iov = { seqs, sizeof(seqs) };
	struct msghdr	mh;
	uint32_t	i;
	int		s;

	for (i = 0; i < 40; i++)
		seqs[i] = i;
	memset(&mh, 0, sizeof(mh));
	memset(&ctl, 0, sizeof(ctl));
	mh.msg_name = (void *)to;
	mh.msg_namelen = ss_len(to);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.b;
	mh.msg_controllen = CMSG_SPACE(sizeof(seg));
	ctl.hdr.cmsg_level = SOL_UDP;
	ctl.hdr.cmsg_type = UDP_SEGMENT;
	ctl.hdr.cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(&ctl.hdr), &seg, sizeof(seg));
	if ((s = socket(to->ss_family, SOCK_DGRAM, 0)) == -1 ||
	    sendmsg(s, &mh, 0) != (ssize_t)sizeof(seqs))
		fatal("segmented send");
	close(s);
}

/* link 0 of this process: af over loopback, sending to *out; its
   receiving socket */
static int
gso_setup(int af, const struct sockaddr_storage *out,
    struct sockaddr_storage *in)
{
	static struct conf_sync	cs;
	struct sync_link	sl;
	int			rfd;

	memset(&sl, 0, sizeof(sl));
	sl.mtu = MTU;
	sl.ifflags = IFF_UP | IFF_RUNNING;
	sl.role = SLINK_RECV;
	link_recv_fd(&sl, rfd = udp_open(af, in, 1));
	sl.role = SLINK_SEND;
	memcpy(sl.dest, out, ss_len(out));
	sl.destlen = ss_len(out);
	link_recv_fd(&sl, socket(af, SOCK_DGRAM | SOCK_NONBLOCK, 0));
	cs.nlinks = 1;
	cs.links[0].kind = CONF_LINK_UDP;
	cs.links[0].is_default = 1;
	rx_link = 0;
	link_init(&cs, 0, rx, room);
	return rfd;
}

/*
 * Sending: 2000 messages of 98 bytes (datagrams of 1470, the largest a
 * link of MTU 1500 makes), then 1000 of 40..400 (datagrams of every
 * length), through link 0 to a UDP_GRO reader.  Each buffer it reads
 * is one send; cut at the datagram size it must give whole datagrams
 * of whole messages, all of them once and in order, so a run that
 * grouped a longer datagram after a shorter one tears messages.  Some
 * sends are segmented: on IPv6, whose header is 20 bytes longer, only
 * those of smaller datagrams (the kernel refuses a segment that does
 * not fit the MTU, and the link would give up segmenting).
 * Receiving: a segmented send of 40 datagrams reaches the sync mode as
 * 40 datagrams.
 */
static void
test_gso(int af)
{
	struct sockaddr_storage	out, in;
	struct seen		s = { 0, 0, 0 };
	uint8_t			m[512];
	uint32_t		seq;
	int			gfd, rfd, rounds, k, runs = 0;

	if (unshare(CLONE_NEWNET) == -1)
		fatal("unshare");
	lo_up();
	gfd = udp_open(af, &out, 1);
	rfd = gso_setup(af, &out, &in);

	fixed_until = 2000;
	for (seq = 0, rounds = 0; seq < 3000 && rounds < 100000; rounds++) {
		if (link_append(m, msg_make(m, seq)) == 0)
			seq++;
		else
			loop_once();
		while ((k = gro_read(gfd, &s)) > 0)
			runs += k > 1;
	}
	for (rounds = 0; link_flush() != 0 && rounds < 10000; rounds++)
		loop_once();
	while (s.next < 3000 && readable(gfd))
		while ((k = gro_read(gfd, &s)) > 0)
			runs += k > 1;
	CHECK(s.bad == 0);
	CHECK(s.next == 3000);
	CHECK(runs > 0);
	CHECK(link_counters(0)->pkts_sent == (uint64_t)s.dgrams);
	CHECK(link_counters(0)->err_send == 0);

	gso_send40(&in);
	for (rounds = 0; rx_next < 40 && rounds < 40; rounds++) {
		(void)readable(rfd);
		loop_once();
	}
	CHECK(rx_next == 40);
	CHECK(rx_bad == 0);
	CHECK(link_counters(0)->pkts_recv == 40);
}

/* test_gso in a child: it needs link.c's state and a namespace anew */
static void
run_gso(int af)
{
	pid_t	pid;
	int	st;

	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		test_gso(af);
		printf("test_link (UDP, %s): %d checks, %d failed\n",
		    af == AF_INET ? "IPv4" : "IPv6", nchecks, nfailed);
		exit(nfailed != 0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int
main(void)
{
	uint32_t	seq = 0;

	log_init(1, 0);
	run_gso(AF_INET);
	run_gso(AF_INET6);
	setup();
	test_backpressure(&seq);
	test_failover(&seq);
	test_partial_moves(&seq);
	test_rx_budget();
	printf("test_link: %d checks, %d failed\n", nchecks, nfailed);
	return nfailed != 0;
}
