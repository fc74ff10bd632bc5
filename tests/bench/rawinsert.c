/*
 * rawinsert: the kernel's raw batched conntrack insert rate.
 *
 * This is the reference the commit benchmark compares ctsyncd's commit
 * against: the fastest a user process can get entries into the table
 * over ctnetlink.  One socket, IPCTNL_MSG_CT_NEW messages packed
 * back to back, one send per batch, then the batch's ACKs drained with
 * recvmmsg.  No event listener, no library objects per entry, no
 * userspace cache: only message building, the syscalls and the
 * kernel's own work.  Anything the daemon does on top shows up as the
 * gap to this number.  The ACKs are part of the limit on purpose: a
 * commit that does not read them cannot tell which entries failed.
 *
 * ctnetlink handles a send synchronously, so all ACKs of a batch are
 * queued when the send returns; the receive buffer must hold a whole
 * batch of them or the kernel drops some (counted as ENOBUFS).
 *
 * Build:
 *	cc -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o rawinsert \
 *	    rawinsert.c $(pkg-config --cflags --libs libmnl)
 * (libnetfilter_conntrack is not needed; adding its flags is harmless.)
 * -m MARK sets a mark on every entry; -U changes the entries -n names
 * instead of creating them (the fault tests' bulk updates: conntrack -U
 * over thousands of entries overruns its own socket).  -D deletes them
 * (by original tuple), and -o FIRST makes the entries FIRST..FIRST+count-1
 * instead of 0..count-1: the churn benchmark's slices.
 * Run it in a throwaway network namespace only.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#define MAX_N		16777216	/* entries; ~5 GB of kernel memory */
#define MAX_BATCH	4096		/* messages per send */
#define MAX_TIMEOUT	604800		/* entry timeout, seconds */
#define MSG_MAX		256		/* one CT_NEW is ~204 bytes for IPv6 */
#define RECV_VLEN	256		/* datagrams per recvmmsg */
#define ACK_BUFSZ	128		/* an ACK with NETLINK_CAP_ACK is 36 */
#define RECV_TIMEO	10		/* seconds; ACKs are already queued */
#define ERRNO_SLOTS	4096

static struct mnl_socket	*nl;
static char			*sbuf;
static unsigned long		 errs[ERRNO_SLOTS];
static struct mmsghdr		 rmsg[RECV_VLEN];
static struct iovec		 riov[RECV_VLEN];
static char			 rbuf[RECV_VLEN][ACK_BUFSZ];
static uint32_t			 mark;		/* -m: CTA_MARK, 0 none */
static int			 update;	/* -U: change existing ones */
static int			 delete;	/* -D: delete them */

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: rawinsert [-6DFU] [-b batch] [-m mark] "
	    "[-n count] [-o first] [-t timeout]\n");
	exit(2);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	fputs("rawinsert: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (saved != 0)
		fprintf(stderr, ": %s", strerror(saved));
	fputc('\n', stderr);
	exit(1);
}

static long
number(const char *s, long min, long max, const char *what)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		errno = 0;
		die("%s must be %ld..%ld: %s", what, min, max, s);
	}
	return v;
}

static double
now(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		die("clock_gettime");
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Force a buffer size past rmem_max/wmem_max; fall back to the plain one. */
static void
setbuf_force(int fd, int force, int plain, int size, const char *what)
{
	int	got;
	socklen_t len = sizeof(got);

	if (setsockopt(fd, SOL_SOCKET, force, &size, sizeof(size)) == -1 &&
	    setsockopt(fd, SOL_SOCKET, plain, &size, sizeof(size)) == -1)
		die("setsockopt %s %d", what, size);
	if (getsockopt(fd, SOL_SOCKET, plain, &got, &len) == -1)
		die("getsockopt %s", what);
	if (got < size) {
		errno = 0;
		die("%s is %d bytes, need %d (no CAP_NET_ADMIN?)",
		    what, got, size);
	}
}

static struct nlmsghdr *
put_header(char *buf, uint16_t type, uint16_t flags, uint8_t family,
    uint32_t seq)
{
	struct nlmsghdr	*nlh;
	struct nfgenmsg	*nfg;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

static void
put_tuple(struct nlmsghdr *nlh, uint16_t type, int v6, const void *src,
    const void *dst, uint16_t sport, uint16_t dport)
{
	struct nlattr	*t, *n;

	t = mnl_attr_nest_start(nlh, type);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	if (v6) {
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, src);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, dst);
	} else {
		mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, src);
		mnl_attr_put(nlh, CTA_IP_V4_DST, 4, dst);
	}
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_TCP);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, t);
}

/*
 * Entry i as a mixed-radix number, so every i < 254*254*64512 is a
 * distinct tuple: src host (254), dst host (254), source port (64512).
 * IPv4 198.51.100.a -> 203.0.113.b, IPv6 2001:db8:100::a -> 2001:db8:200::b.
 */
static size_t
build_new(char *buf, uint32_t i, int v6, uint32_t timeout)
{
	struct nlmsghdr	*nlh;
	struct nlattr	*pi, *tcp;
	unsigned char	 s[16], d[16];
	uint16_t	 sport;

	memset(s, 0, sizeof(s));
	memset(d, 0, sizeof(d));
	if (v6) {
		s[0] = 0x20; s[1] = 0x01; s[2] = 0x0d; s[3] = 0xb8;
		memcpy(d, s, 4);
		s[4] = 0x01;
		d[4] = 0x02;
		s[15] = 1 + i % 254;
		d[15] = 1 + (i / 254) % 254;
	} else {
		s[0] = 198; s[1] = 51; s[2] = 100; s[3] = 1 + i % 254;
		d[0] = 203; d[1] = 0; d[2] = 113; d[3] = 1 + (i / 254) % 254;
	}
	sport = 1024 + i / (254 * 254);

	if (delete) {
		nlh = put_header(buf, IPCTNL_MSG_CT_DELETE,
		    NLM_F_REQUEST | NLM_F_ACK, v6 ? AF_INET6 : AF_INET, i);
		put_tuple(nlh, CTA_TUPLE_ORIG, v6, s, d, sport, 80);
		return nlh->nlmsg_len;
	}
	nlh = put_header(buf, IPCTNL_MSG_CT_NEW, update ?
	    NLM_F_REQUEST | NLM_F_ACK :
	    NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK,
	    v6 ? AF_INET6 : AF_INET, i);
	put_tuple(nlh, CTA_TUPLE_ORIG, v6, s, d, sport, 80);
	put_tuple(nlh, CTA_TUPLE_REPLY, v6, d, s, 80, sport);
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(IPS_CONFIRMED | IPS_SEEN_REPLY |
	    IPS_ASSURED));
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(timeout));
	if (mark != 0)
		mnl_attr_put_u32(nlh, CTA_MARK, htonl(mark));
	pi = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
	tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
	mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE,
	    TCP_CONNTRACK_ESTABLISHED);
	mnl_attr_nest_end(nlh, tcp);
	mnl_attr_nest_end(nlh, pi);
	return nlh->nlmsg_len;
}

static void
count_errno(int e)
{
	errs[e > 0 && e < ERRNO_SLOTS ? e : 0]++;
}

/*
 * Read the ACKs for seq [first, first + want).  Returns how many were
 * read; errors are counted in errs[].  ENOBUFS means the kernel dropped
 * ACKs: drain what is left and count the missing ones as ENOBUFS.
 */
static uint32_t
read_acks(uint32_t first, uint32_t want)
{
	const struct nlmsghdr	*nlh;
	const struct nlmsgerr	*err;
	uint32_t		 got = 0;
	int			 fd = mnl_socket_get_fd(nl), flags, i, r, len;
	int			 overrun = 0;

	flags = MSG_WAITFORONE;
	while (got < want) {
		unsigned int vlen = want - got < RECV_VLEN ?
		    want - got : RECV_VLEN;

		r = recvmmsg(fd, rmsg, vlen, flags, NULL);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				overrun = 1;
				flags = MSG_DONTWAIT;
				continue;
			}
			if (overrun && (errno == EAGAIN ||
			    errno == EWOULDBLOCK))
				break;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				die("no ACK within %d s (got %u of %u)",
				    RECV_TIMEO, got, want);
			die("recvmmsg");
		}
		for (i = 0; i < r; i++) {
			len = rmsg[i].msg_len;
			nlh = (const struct nlmsghdr *)rbuf[i];
			for (; mnl_nlmsg_ok(nlh, len);
			    nlh = mnl_nlmsg_next(nlh, &len)) {
				if (nlh->nlmsg_type != NLMSG_ERROR ||
				    nlh->nlmsg_seq - first >= want)
					continue;
				err = mnl_nlmsg_get_payload(nlh);
				if (nlh->nlmsg_len < mnl_nlmsg_size(
				    sizeof(err->error)))
					continue;
				if (err->error != 0)
					count_errno(-err->error);
				got++;
			}
		}
	}
	if (got < want) {
		errs[ENOBUFS] += want - got;
		got = want;
	}
	return got;
}

/* Flush: IPCTNL_MSG_CT_DELETE without tuple attributes, any family. */
static void
flush(void)
{
	char		 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr	*nlh;
	double		 t0;
	int		 e;

	nlh = put_header(buf, IPCTNL_MSG_CT_DELETE,
	    NLM_F_REQUEST | NLM_F_ACK, AF_UNSPEC, 0);
	t0 = now();
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) == -1)
		die("flush: send");
	read_acks(0, 1);
	for (e = 0; e < ERRNO_SLOTS; e++) {
		if (errs[e] != 0) {
			errno = e;
			die("flush failed");
		}
	}
	fprintf(stderr, "rawinsert: flushed in %.3f s\n", now() - t0);
}

int
main(int argc, char *argv[])
{
	uint32_t	 n = 100000, batch = 256, timeout = 3600, i, k;
	uint32_t	 first = 0;
	unsigned long	 nerr = 0;
	size_t		 off;
	double		 t0, secs;
	int		 ch, v6 = 0, doflush = 0, one = 1, fd, e;
	struct timeval	 tv = { RECV_TIMEO, 0 };
	const char	*name;

	while ((ch = getopt(argc, argv, "6b:DFm:n:o:t:U")) != -1) {
		switch (ch) {
		case '6':
			v6 = 1;
			break;
		case 'b':
			batch = number(optarg, 1, MAX_BATCH, "batch");
			break;
		case 'D':
			delete = 1;
			break;
		case 'F':
			doflush = 1;
			break;
		case 'm':
			mark = number(optarg, 0, INT32_MAX, "mark");
			break;
		case 'n':
			n = number(optarg, 1, MAX_N, "count");
			break;
		case 'o':
			first = number(optarg, 0, MAX_N - 1, "first");
			break;
		case 't':
			timeout = number(optarg, 1, MAX_TIMEOUT, "timeout");
			break;
		case 'U':
			update = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || (delete && update))
		usage();
	if (n > MAX_N - first) {
		errno = 0;
		die("first + count must be at most %d", MAX_N);
	}

	if ((sbuf = malloc((size_t)batch * MSG_MAX)) == NULL)
		die("malloc");
	for (k = 0; k < RECV_VLEN; k++) {
		riov[k].iov_base = rbuf[k];
		riov[k].iov_len = sizeof(rbuf[k]);
		rmsg[k].msg_hdr.msg_iov = &riov[k];
		rmsg[k].msg_hdr.msg_iovlen = 1;
	}

	if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL)
		die("netlink socket");
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1)
		die("netlink bind");
	fd = mnl_socket_get_fd(nl);
	/* ACKs are skbs of ~1 KB truesize each; a whole batch must fit. */
	setbuf_force(fd, SO_RCVBUFFORCE, SO_RCVBUF,
	    batch * 2048 > (8 << 20) ? (int)batch * 2048 : 8 << 20,
	    "SO_RCVBUF");
	/* netlink refuses a send larger than the send buffer. */
	setbuf_force(fd, SO_SNDBUFFORCE, SO_SNDBUF,
	    batch * MSG_MAX * 2 + 65536, "SO_SNDBUF");
	/* An error ACK then carries only the header, not our message. */
	if (mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one,
	    sizeof(one)) == -1)
		die("NETLINK_CAP_ACK");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		die("SO_RCVTIMEO");

	if (doflush)
		flush();

	t0 = now();
	for (i = 0; i < n; i += k) {
		off = 0;
		for (k = 0; k < batch && i + k < n; k++)
			off += build_new(sbuf + off, first + i + k, v6,
			    timeout);
		if (mnl_socket_sendto(nl, sbuf, off) == -1)
			die("send of %u messages (%zu bytes)", k, off);
		read_acks(first + i, k);
	}
	secs = now() - t0;

	for (e = 0; e < ERRNO_SLOTS; e++) {
		if (errs[e] == 0)
			continue;
		nerr += errs[e];
		name = e ? strerrorname_np(e) : NULL;
		fprintf(stderr, "rawinsert: %lu x %s (%d)\n", errs[e],
		    name ? name : "unknown error", e);
	}
	printf("rawinsert n=%u batch=%u secs=%.3f rate=%.0f errors=%lu\n",
	    n, batch, secs, secs > 0 ? n / secs : 0.0, nerr);
	mnl_socket_close(nl);
	free(sbuf);
	return 0;
}
