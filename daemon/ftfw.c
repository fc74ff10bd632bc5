/*
 * FTFW: reliable replication over an unreliable link, as conntrackd
 * 1.4.7 does it on the wire (conntrackd-spec §5.3): every message is
 * numbered, the receiver acknowledges windows of ACKWindowSize messages
 * or after a second of silence, asks for gaps with NACK, and a
 * (re)started node says HELLO until it hears HELLO_BACK.
 *
 * Where we differ, on purpose and invisibly on the wire: the resend
 * queue is never trimmed by dropping the oldest message.  Sending pauses
 * while ResendQueueSize messages wait for acknowledgement, so a bulk of
 * any size is paced by the peer instead of overrunning the queue; and a
 * peer's restart re-sends our unacknowledged objects instead of
 * forgetting them.
 */
#include <sys/types.h>

#include <string.h>

#include "daemon.h"
#include "link.h"
#include "log.h"
#include "sync.h"
#include "wire.h"

#define ALIVE_MS	1000
#define HELLO_GAP_MAX	65536	/* larger jumps under HELLO: a restart */

enum hello_state {
	HELLO_INIT = 0,		/* nothing sent yet */
	HELLO_SAY,		/* HELLO on everything until HELLO_BACK */
	HELLO_DONE,
};

static struct {
	int		hello;
	int		say_hello_back;
	int		ack_pending;
	uint32_t	ack_from;
	uint32_t	window;
	int		rx_init;
	uint32_t	rx_last;
	int64_t		alive_at;
	int		paused;		/* window full: counted once per pause */
} ft;

static uint32_t
ack_window(void)
{
	return sy.conf->sync.ack_window_size ? sy.conf->sync.ack_window_size :
	    300;
}

static uint8_t
ftfw_tx_flags(int ctl)
{
	uint8_t	f = 0;

	(void)ctl;
	if (ft.hello == HELLO_INIT)
		ft.hello = HELLO_SAY;
	if (ft.hello == HELLO_SAY)
		f |= WIRE_F_HELLO;
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

static int
ftfw_can_send(void)
{
	uint32_t	max = sy.conf->sync.resend_queue_size;

	if (max == 0 || sy.net.rsq_len < max) {
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
ftfw_ctl(const struct wire_msg *m)
{
	if (m->flags & WIRE_F_ACK) {
		sy.net.acks_recv++;
		if ((int32_t)(m->to - m->from) >= 0)
			rsq_ack(m->from, m->to);
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

/* In sequence, or the first message ever, or a peer's HELLO. */
static void
ftfw_in_seq(uint32_t seq)
{
	if (!ft.ack_pending) {
		ft.ack_from = seq;
		ft.ack_pending = 1;
	}
	if (--ft.window == 0) {
		txq_ctl(WIRE_F_ACK, ft.ack_from, seq);
		ft.window = ack_window();
		ft.ack_pending = 0;
	}
}

/* A gap: acknowledge what came before it, ask for what is missing. */
static void
ftfw_gap(uint32_t expected, uint32_t seq)
{
	if (ft.ack_pending)
		txq_ctl(WIRE_F_ACK, ft.ack_from, expected - 1);
	txq_ctl(WIRE_F_NACK, expected, seq - 1);
	ft.window = ack_window() - 1;
	ft.ack_from = seq;
	ft.ack_pending = 1;
}

/*
 * A peer says HELLO on everything until it hears our HELLO_BACK.  Only
 * a HELLO that does not continue the peer's numbering is a new start (a
 * restarted peer numbers from its clock): a small forward jump is loss
 * among a burst of HELLOs, and is NACKed like any gap rather than
 * accepted as conntrackd does, which would lose it for good.  Returns 1
 * when the message starts a new sequence space.
 */
static int
ftfw_hello(const struct wire_msg *m, uint32_t expected)
{
	int32_t	d = (int32_t)(m->seq - expected);

	ft.say_hello_back = 1;
	if (ft.rx_init && d >= 0 && d < HELLO_GAP_MAX)
		return 0;
	if (ft.ack_pending && (int32_t)(m->seq - ft.ack_from) < 0)
		ft.ack_from = m->seq;
	sy.net.hello_recv++;
	if (ft.rx_init)
		log_info("peer restarted: sending it what it did not "
		    "acknowledge");
	rsq_restart();
	return 1;
}

static int
ftfw_rx(int link, const struct wire_msg *m)
{
	uint32_t	expected;
	int		data = wire_is_data(m);

	(void)link;
	if (!data && m->type != WIRE_CTL)
		return RX_BAD;
	if ((m->flags & WIRE_F_HELLO_BACK) && ft.hello == HELLO_SAY) {
		ft.hello = HELLO_DONE;
		sy.net.peer_ok = 1;
	}
	expected = ft.rx_last + 1;
	if ((m->flags & WIRE_F_HELLO) && ftfw_hello(m, expected))
		;	/* a new sequence space: in sequence by definition */
	else if (ft.rx_init && m->seq != expected) {
		if ((int32_t)(m->seq - expected) < 0) {
			sy.net.before++;
			return RX_DROP;
		}
		sy.net.lost += m->seq - expected;
		ftfw_gap(expected, m->seq);
		ft.rx_last = m->seq;
		if (!data)
			ftfw_ctl(m);
		return data ? RX_DATA : RX_CTL;
	}
	ftfw_in_seq(m->seq);
	ft.rx_init = 1;
	ft.rx_last = m->seq;
	if (!data)
		ftfw_ctl(m);
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
	if (ft.alive_at < 0 || now < ft.alive_at || link_count() == 0)
		return;
	ft.alive_at = -1;
	if (ft.ack_pending && ft.rx_init) {
		txq_ctl(WIRE_F_ACK, ft.ack_from, ft.rx_last);
		ft.ack_pending = 0;
		ft.window = ack_window();
	} else
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
	ft.window = ack_window();
	/* say HELLO at once: a peer that hears it late drops its resend queue */
	ft.alive_at = monotime_ms();
}
