/*
 * garble: hostile sync traffic for the fault tests.  Sends -n datagrams
 * to addr:port, each wrong in exactly one way, so that a receiver must
 * count each of them once as malformed and change nothing:
 *
 *	truncated		1 to 7 bytes of a real datagram
 *	bad_size		a real datagram whose length field is 0 or
 *				runs past its end
 *	wrong_version		one real message, version nibble not 1
 *	bad_type		one real message, type 6-9 or 11-15
 *	malformed_header	one real data message with a control flag
 *	malformed_payload	one real conntrack message whose first
 *				attribute is unknown, too short or runs past
 *				the end, or which has no payload at all
 *	random			random bytes with a version nibble not 1 and
 *				a length field that ends the walk
 *
 * Real datagrams come from an impair -w capture (-r); without one they
 * are made up.  Only malformed_payload reaches a receiver's sequence
 * tracking, so those get numbers of their own (from -s) instead of the
 * captured ones: replayed numbers would acknowledge the real sender's
 * messages on the receiver's behalf.  The first line of output gives
 * the count of each kind, named as ctsyncctl -j -s network names them.
 *
 * usage: garble [-i usec] [-n count] [-r capture] [-s seed] addr port
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DGRAM_MAX	2048	/* a sync link's MTU is smaller */
#define CAPTURE_MAX	256
#define HDR		8	/* sync message header */
#define ATTR_HDR	4

enum kind { K_TRUNC, K_SIZE, K_VERSION, K_TYPE, K_HEADER, K_PAYLOAD,
	K_RANDOM, K_MAX };
static const char *kname[K_MAX] = { "truncated", "bad_size",
	"wrong_version", "bad_type", "malformed_header", "malformed_payload",
	"random" };

static uint8_t	cap[CAPTURE_MAX][DGRAM_MAX];
static size_t	caplen[CAPTURE_MAX];
static int	ncap, ndata;		/* datagrams; those starting with CT data */
static int	datai[CAPTURE_MAX];
static uint32_t	rstate = 1;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: garble [-i usec] [-n count] [-r capture] "
	    "[-s seed] addr port\n");
	exit(2);
}

/* libbsd's strtonum(); a bad option value is a usage error */
static long
number(const char *s, long min, long max)
{
	const char	*err;
	long		 v = (long)strtonum(s, min, max, &err);

	if (err != NULL)
		usage();
	return v;
}

static uint32_t
rnd(void)
{
	rstate ^= rstate << 13;
	rstate ^= rstate >> 17;
	rstate ^= rstate << 5;
	return rstate;
}

static void
put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned int
get16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

/* Keep what impair -w wrote; note the datagrams opening with CT data. */
static void
load(const char *path)
{
	FILE	*f;
	uint8_t	 h[2];
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "garble: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	while (ncap < CAPTURE_MAX && fread(h, 1, 2, f) == 2) {
		n = get16(h);
		if (n > DGRAM_MAX || fread(cap[ncap], 1, n, f) != n)
			break;
		if (n < HDR)
			continue;
		caplen[ncap] = n;
		/* version 1, conntrack NEW/UPDATE/DESTROY, a whole message */
		if (cap[ncap][0] >> 4 == 1 && (cap[ncap][0] & 0xf) <= 2 &&
		    get16(cap[ncap] + 2) > HDR + ATTR_HDR &&
		    get16(cap[ncap] + 2) <= n)
			datai[ndata++] = ncap;
		ncap++;
	}
	fclose(f);
}

/* A made-up conntrack NEW: one IPv4 address attribute, 203.0.113.0/24. */
static size_t
madeup(uint8_t *p)
{
	static const uint8_t	msg[] = { 0x10, 0, 0, 20, 0, 0, 0, 1,
	    0, 12, 0, 0, 203, 0, 113, 250, 203, 0, 113, 251 };

	memcpy(p, msg, sizeof(msg));
	return sizeof(msg);
}

/* A real datagram, or a made-up one. */
static size_t
pick_any(uint8_t *p)
{
	int	i;

	if (ncap == 0)
		return madeup(p);
	i = (int)(rnd() % (uint32_t)ncap);
	memcpy(p, cap[i], caplen[i]);
	return caplen[i];
}

/* The first message of a real datagram starting with CT data. */
static size_t
pick_data(uint8_t *p)
{
	int	i;

	if (ndata == 0)
		return madeup(p);
	i = datai[rnd() % (uint32_t)ndata];
	memcpy(p, cap[i], caplen[i]);
	return get16(p + 2);
}

/* The first message of any real datagram, alone. */
static size_t
pick_msg(uint8_t *p)
{
	size_t	n = pick_any(p), m = get16(p + 2);

	if (m < HDR || m > n || (p[0] & 0xf) == 10)
		return pick_data(p);	/* control: sizes checked first */
	return m;
}

static size_t
make(enum kind k, uint8_t *p, uint32_t *seq)
{
	size_t	n, i;

	switch (k) {
	case K_TRUNC:
		pick_any(p);
		return 1 + rnd() % (HDR - 1);
	case K_SIZE:
		n = pick_any(p);
		put16(p + 2, rnd() % 2 ? 0 : n + 1 + rnd() % 64);
		return n;
	case K_VERSION:
		n = pick_msg(p);
		p[0] = (uint8_t)((2 + rnd() % 14) << 4 | (p[0] & 0xf));
		return n;
	case K_TYPE:
		n = pick_msg(p);
		i = 6 + rnd() % 9;		/* 6..14, skipping 10 */
		p[0] = (uint8_t)(0x10 | (i >= 10 ? i + 1 : i));
		p[1] = 0;
		return n;
	case K_HEADER:
		n = pick_data(p);
		p[1] = 0x10;			/* ALIVE on a data message */
		return n;
	case K_PAYLOAD:
		n = pick_data(p);
		p[1] = 0;
		p[4] = (uint8_t)(*seq >> 24);
		p[5] = (uint8_t)(*seq >> 16);
		p[6] = (uint8_t)(*seq >> 8);
		p[7] = (uint8_t)*seq;
		(*seq)++;
		switch (rnd() % 4) {
		case 0:				/* unknown attribute */
			put16(p + HDR + 2, 0x7f00 | (rnd() & 0xff));
			break;
		case 1:				/* shorter than its header */
			put16(p + HDR, rnd() % ATTR_HDR);
			break;
		case 2:				/* past the message's end */
			put16(p + HDR, n - HDR + 1 + rnd() % 64);
			break;
		default:			/* no payload */
			n = HDR;
			break;
		}
		put16(p + 2, n);
		return n;
	default:
		n = 1 + rnd() % 512;
		for (i = 0; i < n; i++)
			p[i] = (uint8_t)rnd();
		if ((p[0] >> 4) == 1)
			p[0] ^= 0x30;
		if (n >= 4)
			put16(p + 2, rnd() % 2 ? n : n + 1 + rnd() % 64);
		return n;
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 dst;
	struct timespec		 gap = { 0, 1000 * 1000 };
	static uint8_t		 p[DGRAM_MAX + 1024];
	unsigned long		 sent[K_MAX], total = 0, errs = 0;
	uint32_t		 seq;
	long			 n = 700, i;
	int			 ch, s, k;

	while ((ch = getopt(argc, argv, "i:n:r:s:")) != -1) {
		switch (ch) {
		case 'i':
			gap.tv_nsec = number(optarg, 0, 999999) * 1000;
			break;
		case 'n':
			n = number(optarg, 1, 1000000);
			break;
		case 'r':
			load(optarg);
			break;
		case 's':
			rstate = (uint32_t)number(optarg, 1, UINT32_MAX);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		usage();
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)number(argv[1], 1, 65535));
	if (inet_pton(AF_INET, argv[0], &dst.sin_addr) != 1)
		usage();
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1) {
		perror("garble: socket");
		return 1;
	}

	memset(sent, 0, sizeof(sent));
	seq = rnd();
	for (i = 0; i < n; i++) {
		k = (int)(i % K_MAX);
		if (sendto(s, p, make(k, p, &seq), 0,
		    (struct sockaddr *)&dst, sizeof(dst)) == -1) {
			errs++;
			continue;
		}
		sent[k]++;
		total++;
		if (gap.tv_nsec > 0)
			nanosleep(&gap, NULL);
	}
	for (k = 0; k < K_MAX; k++)
		printf("%s %lu ", kname[k], sent[k]);
	printf("malformed %lu\n", total);
	printf("captured %d data %d senderr %lu\n", ncap, ndata, errs);
	return 0;
}
