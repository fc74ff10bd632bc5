/*
 * FTFW: reliable replication over an unreliable link, as conntrackd
 * 1.4.7 does it on the wire (conntrackd-spec §5.3): every message is
 * numbered, the receiver acknowledges windows of ACKWindowSize messages
 * or after a second of silence, asks for gaps with NACK, and a
 * (re)started node says HELLO until it hears HELLO_BACK.
 *
 * Where we differ, on purpose and invisibly on the wire:
 * - each peer (by source address) has its own receive sequence space,
 *   window and acknowledgement state, and a sent message is released
 *   only when every live peer has acknowledged it; a peer silent for
 *   PEER_TIMEOUT_MS, or last heard on a link that went down, leaves
 *   that set.  conntrackd keeps one space for everybody, so three nodes
 *   on a multicast group confuse it.
 * - the resend queue is never trimmed by dropping the oldest message:
 *   sending pauses while ResendQueueSize messages wait, so a bulk of
 *   any size is paced by the peers instead of overrunning the queue.
 * - a peer's restart re-sends our unacknowledged objects instead of
 *   forgetting them, and a peer that comes back after we released
 *   messages without it gets a bulk send (counted).
 * - conntrackd drops its whole resend queue on every HELLO it hears, so
 *   a gap NACKed while our HELLO may still reach it can go unanswered
 *   for good (its HELLO_BACK was lost, say, and the NACK itself says
 *   HELLO).  Once our handshake is done we ask for a resync instead
 *   (counted, once: it covers everything sent before it).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>

#include "daemon.h"
#include "link.h"
#include "log.h"
#include "sync.h"
#include "wire.h"

#define ALIVE_MS	1000
#define HELLO_GAP_MAX	65536	/* larger jumps under HELLO: a restart */
#define HELLO_LATE_MAX	8192	/* further back: not a late datagram */
#define HELLO_LATE_MS	1000	/* late HELLOs for so long: a restart */
#define HELLO_FLUSH_MS	(2 * ALIVE_MS)	/* a gap this soon after our HELLO */
#define PEER_TIMEOUT_MS	10000	/* silent this long: not waited for */
#define PEERS_MAX	32	/* one bit each in txnode.acked */
#define INFLIGHT_WINDOWS 32	/* ACK windows unacknowledged at most */

enum hello_state {
	HELLO_INIT = 0,		/* nothing sent yet */
	HELLO_SAY,		/* HELLO on everything until HELLO_BACK */
	HELLO_DONE,
};

struct peer {
	int		used;
	int		live;
	int		missed;		/* messages released without it */
	struct in6_addr	addr;		/* IPv4 mapped */
	int64_t		last_heard;
	int		link;		/* heard on it last */
	int		rx_init;
	uint32_t	rx_last;
	int64_t		late_since;	/* first late HELLO of a run, 0 none */
	int		ack_pending;
	uint32_t	ack_from;
	uint32_t	window;
};

static struct {
	int		hello;
	int		say_hello_back;
	int64_t		hello_sent;	/* our last HELLO went then */
	int		gap_in_hello;	/* a NACK the peer may not answer */
	int		hello_resynced;
	int64_t		alive_at;
	int		paused;		/* window full: counted once per pause */
	uint32_t	live;		/* bits of live peers */
	struct peer	peers[PEERS_MAX];
} ft;

static uint32_t
ack_window(void)
{
	return sy.conf->sync.ack_window_size ? sy.conf->sync.ack_window_size :
	    300;
}

static const char *
peer_name(const struct peer *p, char *buf, size_t len)
{
	if (IN6_IS_ADDR_V4MAPPED(&p->addr))
		return inet_ntop(AF_INET, &p->addr.s6_addr[12], buf, len);
	return inet_ntop(AF_INET6, &p->addr, buf, len);
}

static void
addr_key(const struct sockaddr_storage *ss, struct in6_addr *a)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)ss;

	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET6) {
		*a = sin6->sin6_addr;
		return;
	}
	a->s6_addr[10] = a->s6_addr[11] = 0xff;
	memcpy(&a->s6_addr[12], &sin->sin_addr, 4);
}

static uint32_t	peer_bit(const struct peer *);

static struct peer *
peer_oldest_dead(void)
{
	struct peer	*p, *best = NULL;
	int		 i;

	for (i = 0; i < PEERS_MAX; i++) {
		p = &ft.peers[i];
		if (p->used && !p->live &&
		    (best == NULL || p->last_heard < best->last_heard))
			best = p;
	}
	return best;
}

/* The peer a datagram came from; NULL when every slot is a live peer. */
static struct peer *
peer_get(const struct sockaddr_storage *from)
{
	struct in6_addr	 a;
	struct peer	*free_slot = NULL;
	int		 i;

	addr_key(from, &a);
	for (i = 0; i < PEERS_MAX; i++) {
		if (ft.peers[i].used &&
		    memcmp(&ft.peers[i].addr, &a, sizeof(a)) == 0)
			return &ft.peers[i];
		if (!ft.peers[i].used && free_slot == NULL)
			free_slot = &ft.peers[i];
	}
	/*
	 * Full (spoofed sources can fill it): the peer silent the longest,
	 * if it is not live, makes room; what it acknowledged no longer
	 * counts for anyone.
	 */
	if (free_slot == NULL && (free_slot = peer_oldest_dead()) != NULL)
		rsq_forget_peer(peer_bit(free_slot));
	if (free_slot == NULL)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = 1;
	free_slot->addr = a;
	free_slot->window = ack_window();
	return free_slot;
}

/* Whether a source is one of our peers already. */
int
ftfw_knows(const struct sockaddr_storage *from)
{
	struct in6_addr	 a;
	int		 i;

	addr_key(from, &a);
	for (i = 0; i < PEERS_MAX; i++)
		if (ft.peers[i].used &&
		    memcmp(&ft.peers[i].addr, &a, sizeof(a)) == 0)
			return 1;
	return 0;
}

static uint32_t
peer_bit(const struct peer *p)
{
	return 1U << (p - ft.peers);
}

/* Heard from p: it counts again, and catches up if it missed data. */
static void
peer_heard(struct peer *p)
{
	char	name[INET6_ADDRSTRLEN];

	p->last_heard = monotime_coarse_ms();
	if (p->live)
		return;
	p->live = 1;
	ft.live |= peer_bit(p);
	log_info("peer %s is up", peer_name(p, name, sizeof(name)));
	if (p->missed) {
		p->missed = 0;
		sy.net.peer_catchups++;
		log_info("peer %s missed messages while silent: bulk send",
		    name);
		smode_bulk();
	}
}

/* Link i is down and we send on another. */
static int
link_left(int i)
{
	return i != link_current() && i < link_count() &&
	    (link_ifflags(i) & (IFF_UP | IFF_RUNNING)) != (IFF_UP | IFF_RUNNING);
}

/*
 * Peers silent too long are no longer waited for, nor those last heard
 * on a link we left because it went down: nothing reaches them there.
 * After a failover the same node speaks from its address on the new
 * link, a new peer; waiting for the old one would stall sending for
 * PEER_TIMEOUT_MS.
 */
static void
peers_expire(int64_t now)
{
	struct peer	*p;
	char		 name[INET6_ADDRSTRLEN];
	uint64_t	 released;
	int		 i, down;

	for (i = 0; i < PEERS_MAX; i++) {
		p = &ft.peers[i];
		if (!p->used || !p->live)
			continue;
		down = link_left(p->link);
		if (!down && now - p->last_heard < PEER_TIMEOUT_MS)
			continue;
		p->live = 0;
		ft.live &= ~peer_bit(p);
		sy.net.peers_lost++;
		if (down)
			log_warnx("peer %s: link %d is down: no longer waiting "
			    "for its acknowledgements", peer_name(p, name,
			    sizeof(name)), p->link);
		else
			log_warnx("peer %s silent for %d s: no longer waiting "
			    "for its acknowledgements", peer_name(p, name,
			    sizeof(name)), PEER_TIMEOUT_MS / 1000);
		if (ft.live == 0)
			continue;	/* nobody to release for */
		released = rsq_recheck(ft.live);
		if (released > 0)
			p->missed = 1;
	}
}

static uint8_t
ftfw_tx_flags(int ctl)
{
	uint8_t	f = 0;

	(void)ctl;
	if (ft.hello == HELLO_INIT)
		ft.hello = HELLO_SAY;
	if (ft.hello == HELLO_SAY) {
		f |= WIRE_F_HELLO;
		ft.hello_sent = monotime_ms();
	}
	if (ft.say_hello_back)
		f |= WIRE_F_HELLO_BACK;
	return f;
}

static void
ftfw_tx_done(int ctl)
{
	(void)ctl;
	ft.say_hello_back = 0;
}

/* ALIVE is not kept: nobody needs it again. */
static void
ftfw_sent(struct txnode *n, uint32_t seq)
{
	if (n->kind == TXN_CTL && (n->flags & WIRE_F_ALIVE)) {
		txq_release(n);
		return;
	}
	rsq_add(n, seq);
}

/*
 * How much may wait for acknowledgement: ResendQueueSize, but never more
 * than a peer's receive buffer holds, or a bulk overflows it and most of
 * it comes back as NACKs.  With the default window, 32 windows are 9600
 * messages in about 600 datagrams, some 1.4 MB of the 4 MiB a link's
 * receive buffer gets by default.  Peers acknowledge every ACKWindowSize
 * messages: with 16 windows in flight both sides of a 1M resync sat
 * idle for part of it, the sender waiting for acknowledgements.
 */
static int
ftfw_can_send(void)
{
	uint32_t	max = sy.conf->sync.resend_queue_size;
	uint32_t	inflight = INFLIGHT_WINDOWS * ack_window();

	if (max == 0 || max > inflight)
		max = inflight;
	if (sy.net.rsq_len < max) {
		ft.paused = 0;
		return 1;
	}
	if (!ft.paused) {
		ft.paused = 1;
		sy.net.rsq_full++;
	}
	return 0;
}

static void
ftfw_ctl(struct peer *p, const struct wire_msg *m)
{
	if (m->flags & WIRE_F_ACK) {
		sy.net.acks_recv++;
		if ((int32_t)(m->to - m->from) >= 0)
			rsq_ack(m->from, m->to, peer_bit(p), ft.live);
	} else if (m->flags & WIRE_F_NACK) {
		sy.net.nacks_recv++;
		if ((int32_t)(m->to - m->from) >= 0)
			rsq_nack(m->from, m->to);
	} else if (m->flags & WIRE_F_RESYNC) {
		sy.net.resync_recv++;
		log_info("resync requested by other node");
		smode_bulk();
	}
}

/* In sequence, or the first message ever, or a peer's new start. */
static void
ftfw_in_seq(struct peer *p, uint32_t seq)
{
	p->late_since = 0;
	if (!p->ack_pending) {
		p->ack_from = seq;
		p->ack_pending = 1;
	}
	if (--p->window == 0) {
		txq_ctl(WIRE_F_ACK, p->ack_from, seq);
		p->window = ack_window();
		p->ack_pending = 0;
	}
}

/*
 * Whether the peer may have heard a HELLO of ours after it sent what a
 * gap misses: we still say HELLO, this message answers one, or the last
 * went so recently that the gap may predate its arrival (a peer idle
 * sends at least every ALIVE_MS, so a loss shows within that).
 */
static int
ftfw_gap_in_hello(const struct wire_msg *m, int64_t now)
{
	return ft.hello != HELLO_DONE || (m->flags & WIRE_F_HELLO_BACK) ||
	    now - ft.hello_sent < HELLO_FLUSH_MS;
}

/* A gap: acknowledge what came before it, ask for what is missing. */
static void
ftfw_gap(struct peer *p, uint32_t expected, uint32_t seq)
{
	p->late_since = 0;
	if (p->ack_pending)
		txq_ctl(WIRE_F_ACK, p->ack_from, expected - 1);
	txq_ctl(WIRE_F_NACK, expected, seq - 1);
	p->window = ack_window() - 1;
	p->ack_from = seq;
	p->ack_pending = 1;
}

/*
 * A peer says HELLO on everything until it hears our HELLO_BACK.  Only
 * a HELLO that does not continue the peer's numbering is a new start (a
 * restarted peer numbers from scratch): a small forward jump is loss
 * among a burst of HELLOs, and is NACKed like any gap rather than
 * accepted as conntrackd does, which would lose it for good.  A HELLO a
 * little behind is a late or repeated datagram of that burst (reordered,
 * duplicated): taken as a start it would apply stale state and number
 * the peer backwards, so it is dropped like any old message, unless
 * they keep coming for HELLO_LATE_MS without one in order: a restarted
 * peer whose new numbers happen to start a little behind.  (Counting
 * them would not do: one repeated datagram holds dozens of messages.)
 * Returns 1 when the message starts a new sequence space.
 */
static int
ftfw_hello(struct peer *p, const struct wire_msg *m, uint32_t expected)
{
	char	name[INET6_ADDRSTRLEN];
	int32_t	d = (int32_t)(m->seq - expected);

	if (p->rx_init && d < 0 && d > -HELLO_LATE_MAX) {
		if (p->late_since == 0)
			p->late_since = p->last_heard;
		/* no HELLO_BACK: a restarted peer must go on saying HELLO */
		if (p->last_heard - p->late_since < HELLO_LATE_MS)
			return 0;
	}
	ft.say_hello_back = 1;
	if (p->rx_init && d >= 0 && d < HELLO_GAP_MAX)
		return 0;
	p->ack_pending = 0;
	p->window = ack_window();
	sy.net.hello_recv++;
	log_info("peer %s %s: sending it what it did not acknowledge",
	    peer_name(p, name, sizeof(name)), p->rx_init ? "restarted" :
	    "says hello");
	rsq_restart();
	return 1;
}

/*
 * After a gap that our HELLO may have made the peer unable to answer,
 * and once we say HELLO no more: everything again, asked for once.  A
 * later such gap is covered, as the peer heard our last HELLO before
 * this RESYNC.
 */
static void
ftfw_hello_resync(void)
{
	if (!ft.gap_in_hello || ft.hello != HELLO_DONE)
		return;
	ft.gap_in_hello = 0;
	if (ft.hello_resynced)
		return;
	ft.hello_resynced = 1;
	sy.net.hello_resyncs++;
	log_info("a gap in what the peer sent around our HELLO: it may have "
	    "dropped its resend queue on that HELLO, asking for a resync");
	smode_request_resync();
}

static int
ftfw_rx(int link, const struct wire_msg *m,
    const struct sockaddr_storage *from)
{
	struct peer	*p;
	uint32_t	 expected;
	int		 data = wire_is_data(m);

	if (!data && m->type != WIRE_CTL)
		return RX_BAD;
	if ((p = peer_get(from)) == NULL) {
		sy.net.peers_refused++;
		return RX_DROP;
	}
	p->link = link;
	peer_heard(p);
	if ((m->flags & WIRE_F_HELLO_BACK) && ft.hello == HELLO_SAY) {
		ft.hello = HELLO_DONE;
		sy.net.peer_ok = 1;
		ftfw_hello_resync();
	}
	expected = p->rx_last + 1;
	if ((m->flags & WIRE_F_HELLO) && ftfw_hello(p, m, expected))
		;	/* a new sequence space: in sequence by definition */
	else if (p->rx_init && m->seq != expected) {
		if ((int32_t)(m->seq - expected) < 0) {
			sy.net.before++;
			return RX_DROP;
		}
		sy.net.lost += m->seq - expected;
		if (ftfw_gap_in_hello(m, p->last_heard))
			ft.gap_in_hello = 1;
		ftfw_gap(p, expected, m->seq);
		p->rx_last = m->seq;
		if (!data)
			ftfw_ctl(p, m);
		ftfw_hello_resync();
		return data ? RX_DATA : RX_CTL;
	}
	ftfw_in_seq(p, m->seq);
	p->rx_init = 1;
	p->rx_last = m->seq;
	if (!data)
		ftfw_ctl(p, m);
	return data ? RX_DATA : RX_CTL;
}

static void
ftfw_idle_rearm(void)
{
	ft.alive_at = monotime_ms() + ALIVE_MS;
	sync_schedule();
}

/* A second without sending: acknowledge what is pending, else ALIVE. */
static void
ftfw_timer(int64_t now)
{
	struct peer	*p;
	int		 i, acked = 0;

	peers_expire(now);
	if (ft.alive_at < 0 || now < ft.alive_at || link_count() == 0)
		return;
	ft.alive_at = -1;
	for (i = 0; i < PEERS_MAX; i++) {
		p = &ft.peers[i];
		if (!p->used || !p->ack_pending || !p->rx_init)
			continue;
		txq_ctl(WIRE_F_ACK, p->ack_from, p->rx_last);
		p->ack_pending = 0;
		p->window = ack_window();
		acked = 1;
	}
	if (!acked)
		txq_ctl(WIRE_F_ALIVE, 0, 0);
}

static int64_t
ftfw_next_timer(void)
{
	if (ft.alive_at < 0 && link_count() > 0)
		ft.alive_at = monotime_ms() + ALIVE_MS;
	return ft.alive_at;
}

const struct smode smode_ftfw = {
	"FTFW", ftfw_tx_flags, ftfw_tx_done, ftfw_sent, ftfw_can_send,
	ftfw_rx, ftfw_timer, ftfw_next_timer, ftfw_idle_rearm,
};

void
ftfw_init(void)
{
	memset(&ft, 0, sizeof(ft));
	/* say HELLO at once: a peer that hears it late drops its resend queue */
	ft.alive_at = monotime_ms();
}

/* live peers, for show status */
uint32_t
ftfw_live_peers(void)
{
	return (uint32_t)__builtin_popcount(ft.live);
}
