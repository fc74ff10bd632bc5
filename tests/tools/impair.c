/*
 * impair: a UDP relay that damages what it forwards, for the fault
 * tests.  It runs in a namespace between two nodes: what arrives at
 * local1:port goes out from local2:port to peer2:port and what arrives
 * at local2:port goes out from local1:port to peer1:port, so each node
 * sees one peer at one stable address.  Each datagram is dropped (-l),
 * held back until the next one in its direction has gone or -D ms have
 * passed (-r), or sent twice (-d); the percentages are drawn from a
 * generator seeded with -s, so a run can be repeated.
 *
 * -w FILE keeps the first datagrams side 1 sent, before any damage,
 * each as a 2-byte big-endian length and the bytes (garble reads it).
 * SIGUSR1 prints the counters on stderr; SIGTERM, SIGINT or -T seconds
 * print them and end the relay.
 *
 * usage: impair [-d dup%] [-D ms] [-l loss%] [-r reorder%] [-s seed]
 *	      [-T seconds] [-w file] local1 peer1 local2 peer2 port
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DGRAM_MAX	65536
#define BURST		64	/* datagrams read per side per wake-up */
#define CAPTURE_MAX	256
#define SOCKBUF		(4 * 1024 * 1024)

struct side {
	int			 fd;
	struct sockaddr_in	 peer;		/* what the other side gets goes here */
};

struct dir {				/* datagrams received on one side */
	uint8_t			 held[DGRAM_MAX];
	ssize_t			 heldlen;	/* 0: nothing held */
	int64_t			 held_until;
	unsigned long		 recv, drop, reord, dup, errs;
};

static struct side		 sides[2];
static struct dir		 dirs[2];
static uint8_t			 buf[DGRAM_MAX];
static int			 loss, reorder, dups, holdms = 5;
static uint32_t			 rstate = 1;
static int			 capfd = -1, ncap;
static volatile sig_atomic_t	 quit, report;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: impair [-d dup%%] [-D ms] [-l loss%%] "
	    "[-r reorder%%] [-s seed] [-T seconds] [-w file]\n"
	    "              local1 peer1 local2 peer2 port\n");
	exit(2);
}

static void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "impair: %s: %s\n", what, strerror(errno));
	exit(1);
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

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* xorshift32: small, and the same sequence for the same seed */
static int
chance(int pct)
{
	if (pct <= 0)
		return 0;
	rstate ^= rstate << 13;
	rstate ^= rstate >> 17;
	rstate ^= rstate << 5;
	return (int)(rstate % 100) < pct;
}

static void
onsig(int sig)
{
	if (sig == SIGUSR1)
		report = 1;
	else
		quit = 1;
}

static void
addr(struct sockaddr_in *sin, const char *s, int port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	if (inet_pton(AF_INET, s, &sin->sin_addr) != 1)
		usage();
}

static int
bound_socket(const struct sockaddr_in *sin)
{
	int	s, sz = SOCKBUF;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket");
	/* the FORCE variants need CAP_NET_ADMIN; the plain ones are capped */
	if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) == -1)
		(void)setsockopt(s, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) == -1)
		(void)setsockopt(s, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (bind(s, (const struct sockaddr *)sin, sizeof(*sin)) == -1)
		die("bind");
	return s;
}

static void
stats(void)
{
	int	i;

	for (i = 0; i < 2; i++)
		fprintf(stderr, "impair: %d>%d recv %lu drop %lu reorder %lu "
		    "dup %lu senderr %lu\n", i + 1, 2 - i, dirs[i].recv,
		    dirs[i].drop, dirs[i].reord, dirs[i].dup, dirs[i].errs);
}

/* A datagram that arrived on side d leaves from the other side. */
static void
out(int d, const uint8_t *p, size_t len)
{
	const struct side	*o = &sides[!d];

	if (sendto(o->fd, p, len, 0, (const struct sockaddr *)&o->peer,
	    sizeof(o->peer)) == -1)
		dirs[d].errs++;
}

static void
release(int d)
{
	struct dir	*r = &dirs[d];

	if (r->heldlen > 0)
		out(d, r->held, (size_t)r->heldlen);
	r->heldlen = 0;
}

static void
capture(const uint8_t *p, ssize_t n)
{
	uint8_t	h[2];

	h[0] = (uint8_t)(n >> 8);
	h[1] = (uint8_t)n;
	if (write(capfd, h, 2) != 2 || write(capfd, p, (size_t)n) != n)
		die("capture");
	if (++ncap == CAPTURE_MAX) {
		close(capfd);
		capfd = -1;
	}
}

static void
relay(int d)
{
	struct dir	*r = &dirs[d];
	ssize_t		 n;
	int		 k;

	for (k = 0; k < BURST; k++) {
		n = recv(sides[d].fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == -1)
			return;
		r->recv++;
		if (d == 0 && capfd != -1)
			capture(buf, n);
		if (chance(loss)) {
			r->drop++;
			continue;
		}
		if (r->heldlen == 0 && chance(reorder)) {
			memcpy(r->held, buf, (size_t)n);
			r->heldlen = n;
			r->held_until = now_ms() + holdms;
			r->reord++;
			continue;
		}
		out(d, buf, (size_t)n);
		if (chance(dups)) {
			out(d, buf, (size_t)n);
			r->dup++;
		}
		release(d);
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 local[2];
	struct pollfd		 pfd[2];
	struct sigaction	 sa;
	int64_t			 end, t;
	long			 lifetime = 120;
	int			 ch, i, port, timeout;

	while ((ch = getopt(argc, argv, "d:D:l:r:s:T:w:")) != -1) {
		switch (ch) {
		case 'd':
			dups = (int)number(optarg, 0, 100);
			break;
		case 'D':
			holdms = (int)number(optarg, 1, 1000);
			break;
		case 'l':
			loss = (int)number(optarg, 0, 100);
			break;
		case 'r':
			reorder = (int)number(optarg, 0, 100);
			break;
		case 's':
			rstate = (uint32_t)number(optarg, 1, UINT32_MAX);
			break;
		case 'T':
			lifetime = number(optarg, 1, 86400);
			break;
		case 'w':
			if ((capfd = open(optarg, O_WRONLY | O_CREAT | O_TRUNC |
			    O_CLOEXEC, 0644)) == -1)
				die(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 5)
		usage();
	port = (int)number(argv[4], 1, 65535);
	for (i = 0; i < 2; i++) {
		addr(&local[i], argv[2 * i], port);
		addr(&sides[i].peer, argv[2 * i + 1], port);
		sides[i].fd = bound_socket(&local[i]);
		pfd[i].fd = sides[i].fd;
		pfd[i].events = POLLIN;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = onsig;		/* no SA_RESTART: poll returns */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGUSR1, &sa, NULL) == -1)
		die("sigaction");

	end = now_ms() + lifetime * 1000;
	while (!quit) {
		if (report) {
			report = 0;
			stats();
		}
		t = now_ms();
		if (t >= end)
			break;
		timeout = (int)(end - t);
		for (i = 0; i < 2; i++) {
			if (dirs[i].heldlen == 0)
				continue;
			if (dirs[i].held_until <= t)
				release(i);
			else if (dirs[i].held_until - t < timeout)
				timeout = (int)(dirs[i].held_until - t);
		}
		if (poll(pfd, 2, timeout) == -1) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		for (i = 0; i < 2; i++)
			if (pfd[i].revents & POLLIN)
				relay(i);
	}
	stats();
	return 0;
}
