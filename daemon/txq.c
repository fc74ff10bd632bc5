/*
 * Transmission: the queue of objects and control messages waiting to go
 * out, the one sequence space of everything we send (as conntrackd: data
 * and control alike, starting at the current Unix time), and the FTFW
 * resend queue of what was sent but not yet acknowledged.
 *
 * Objects are queued by reference, so several changes between two
 * transmissions coalesce and the message reflects the object at
 * transmission time.  Control messages go before queued objects: an
 * acknowledgement stuck behind a million-entry bulk would stall the
 * peer's resend queue.
 */
#include <sys/types.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "link.h"
#include "log.h"
#include "sync.h"
#include "wire.h"

#define TXQ_RUN_BUDGET	8192	/* messages per wake-up: keep intake alive */
#define BULK_SLICE	256	/* objects a bulk send queues at a time */
#define BYPASS_MAX	(1U << 20)	/* records waiting in bypass mode */

struct ctlmsg {
	struct txnode	n;
	uint32_t	from;
	uint32_t	to;
};

static struct txnode_q	ctlq = TAILQ_HEAD_INITIALIZER(ctlq);
static struct txnode_q	txq = TAILQ_HEAD_INITIALIZER(txq);
static struct txnode_q	rsq = TAILQ_HEAD_INITIALIZER(rsq);
static uint32_t		next_seq;
static uint32_t		first_seq;	/* where our sequence space began */
static struct wire_opts	wopts;

static struct ctlmsg *
txn_ctl(struct txnode *n)
{
	return (struct ctlmsg *)(void *)n;
}

void
txq_init(void)
{
	const struct conf_sync	*cs = &sy.conf->sync;

	/*
	 * conntrackd starts at the current time; any start is valid on
	 * the wire.  A random one keeps the sequence spaces of several
	 * nodes on one multicast group apart, so an ACK meant for another
	 * node's messages practically never matches ours.
	 */
	next_seq = first_seq = arc4random();
	wopts.le16 = 1;
	wopts.wscale = cs->tcp_window_tracking;
	wopts.no_timeout = cs->commit_timeout != 0;
}

static struct txnode_q *
where_q(int where, int kind)
{
	if (where == TXN_RSQ)
		return &rsq;
	return kind == TXN_CTL ? &ctlq : &txq;
}

static void
txq_unlink(struct txnode *n)
{
	if (n->where == TXN_NONE)
		return;
	TAILQ_REMOVE(where_q(n->where, n->kind), n, entry);
	if (n->where == TXN_TXQ)
		sy.net.txq_len--;
	else
		sy.net.rsq_len--;
	n->where = TXN_NONE;
}

static void
txq_append(struct txnode *n)
{
	TAILQ_INSERT_TAIL(where_q(TXN_TXQ, n->kind), n, entry);
	n->where = TXN_TXQ;
	if (++sy.net.txq_len > sy.net.txq_max)
		sy.net.txq_max = sy.net.txq_len;
	/* no sync_schedule(): sync_idle() runs after every loop iteration */
}

/* Queue an internal object (again): it goes out as it is then. */
void
txq_obj(struct cache_obj *o, int kind)
{
	struct txnode	*n = cache_obj_txn(o);

	if (!sync_replicating())
		return;
	n->kind = kind == CACHE_CT ? TXN_CT : TXN_EXP;
	if (n->where == TXN_TXQ)
		return;
	txq_unlink(n);
	txq_append(n);
}

void
txq_ctl(uint8_t flags, uint32_t from, uint32_t to)
{
	struct ctlmsg	*c;
	struct txnode	*n;

	/* a link that cannot send must not pile up keep-alives */
	if (flags == WIRE_F_ALIVE)
		TAILQ_FOREACH(n, &ctlq, entry)
			if (n->flags == WIRE_F_ALIVE)
				return;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("control message");
		return;
	}
	c->n.kind = TXN_CTL;
	c->n.flags = flags;
	c->from = from;
	c->to = to;
	txq_append(&c->n);
}

/* An object leaves the cache: take it off every queue first. */
void
txq_forget(struct cache_obj *o)
{
	txq_unlink(cache_obj_txn(o));
}

/* Done with a message: a dead object is finally dropped from its cache. */
void
txq_release(struct txnode *n)
{
	struct cache_obj	*o;

	txq_unlink(n);
	if (n->kind == TXN_CTL) {
		free(txn_ctl(n));
		return;
	}
	o = cache_txn_obj(n);
	if (n->transient) {
		sy.net.bypass_queued--;
		cache_obj_free(n->kind == TXN_CT ? CACHE_CT : CACHE_EXP, o);
		return;
	}
	if (o->state == CACHE_DEAD)
		cache_del(n->kind == TXN_CT ? sy.int_ct : sy.int_exp, o);
}

/*
 * DisableInternalCache: an event goes to the peers as it is, in a
 * record of its own that no cache holds.  The queue is bounded: past
 * BYPASS_MAX waiting records new events are dropped, counted and
 * logged, never silently.
 */
void
txq_bypass(const void *entry, int exp, int state)
{
	struct cache_obj	*o;

	if (!sync_replicating())
		return;
	if (sy.net.bypass_queued >= BYPASS_MAX ||
	    (o = cache_obj_new(exp ? CACHE_EXP : CACHE_CT, entry)) == NULL) {
		if (sy.net.bypass_dropped++ % 10000 == 0)
			log_warnx("internal bypass: %llu events dropped, the "
			    "link cannot keep up",
			    (unsigned long long)sy.net.bypass_dropped);
		return;
	}
	o->state = state;
	cache_obj_txn(o)->transient = 1;
	cache_obj_txn(o)->kind = exp ? TXN_EXP : TXN_CT;
	sy.net.bypass_queued++;
	sy.net.bypass_sent++;
	if (state == CACHE_NEW)
		sy.net.bypass_new++;
	else if (state == CACHE_ALIVE)
		sy.net.bypass_upd++;
	else
		sy.net.bypass_del++;
	txq_append(cache_obj_txn(o));
}

static size_t
txq_build(struct txnode *n, uint8_t *buf, size_t size, uint8_t flags,
    uint32_t seq)
{
	struct cache_obj	*o;
	struct ctlmsg		*c;
	union {
		struct ct_entry	 ct;
		struct exp_entry exp;
	}			 e;
	uint8_t			 type;

	if (n->kind == TXN_CTL) {
		c = txn_ctl(n);
		return wire_build_ctl(buf, size, n->flags | flags, seq,
		    c->from, c->to);
	}
	o = cache_txn_obj(n);
	type = o->state == CACHE_NEW ? 0 : o->state == CACHE_ALIVE ? 1 : 2;
	if (n->kind == TXN_CT) {
		cache_obj_ct(o, &e.ct);
		return wire_build_ct(buf, size, WIRE_CT_NEW + type, flags, seq,
		    &e.ct, &wopts);
	}
	cache_obj_exp(o, &e.exp);
	return wire_build_exp(buf, size, WIRE_EXP_NEW + type, flags, seq,
	    &e.exp, &wopts);
}

static void
txq_count(const struct txnode *n)
{
	sy.net.msg_sent++;
	if (n->kind != TXN_CTL)
		return;
	if (n->flags & WIRE_F_ACK)
		sy.net.acks_sent++;
	if (n->flags & WIRE_F_NACK)
		sy.net.nacks_sent++;
	if (n->flags & WIRE_F_RESYNC)
		sy.net.resync_sent++;
	if (n->flags & WIRE_F_ALIVE)
		sy.net.alive_sent++;
}

/* One message onto the link; 0 when it went, -1 when the link is full. */
static int
txq_send_one(struct txnode *n)
{
	uint8_t		buf[WIRE_MSG_MAX];
	size_t		len;
	uint8_t		flags = smode->tx_flags(n->kind == TXN_CTL);

	len = txq_build(n, buf, sizeof(buf), flags, next_seq);
	if (len == 0 || len > link_payload_max()) {
		/* cannot happen with our records; never loop on it */
		log_warnx("message of %zu bytes does not fit the link", len);
		sy.net.send_malformed++;
		txq_release(n);
		return 0;
	}
	if (link_append(buf, len) == -1)
		return -1;
	smode->tx_done(n->kind == TXN_CTL);
	txq_unlink(n);
	txq_count(n);
	smode->sent(n, next_seq++);
	return 0;
}

static int
txq_send_from(struct txnode_q *q, uint32_t *budget)
{
	struct txnode	*n;

	while (*budget > 0 && (n = TAILQ_FIRST(q)) != NULL) {
		if (q == &txq && !smode->can_send())
			return 0;
		if (txq_send_one(n) == -1)
			return -1;
		(*budget)--;
	}
	return 0;
}

/* Drain what the mode and the link allow; the rest waits. */
void
txq_run(void)
{
	uint32_t	budget = TXQ_RUN_BUDGET, before;

	if (link_count() == 0 || link_busy())
		return;
	before = budget;
	if (txq_send_from(&ctlq, &budget) == 0)
		while (txq_send_from(&txq, &budget) == 0 && budget > 0 &&
		    TAILQ_EMPTY(&txq) && smode_bulk_pending() &&
		    smode->can_send())
			(void)smode_bulk_feed(BULK_SLICE);
	if (budget != before) {
		(void)link_flush();
		smode->idle_rearm();
	}
}

/* Whether txq_run() has more it could send right now. */
int
txq_pending(void)
{
	if (link_count() == 0 || link_busy())
		return 0;
	return !TAILQ_EMPTY(&ctlq) || ((!TAILQ_EMPTY(&txq) ||
	    smode_bulk_pending()) && smode->can_send());
}

/* ---- the FTFW resend queue, in sequence order ---- */

/*
 * Where each recent sequence number's message sits, so that a walk of
 * the resend queue can ask for the messages ahead of it (see
 * cache_prefetch()).  Only a hint: a stale slot costs one wasted
 * prefetch, which never faults.
 */
#define RSQ_HINTS	8192U		/* a power of two */
#define RSQ_AHEAD	12U		/* messages an ACK walk asks ahead */
static struct txnode	*rsq_hint[RSQ_HINTS];

static void
rsq_prefetch(uint32_t seq)
{
	struct txnode	*n = rsq_hint[seq & (RSQ_HINTS - 1)];

	if (n == NULL)
		return;
	/* the node, and the state txq_release() reads before it */
	__builtin_prefetch(n, 1);
	__builtin_prefetch(&cache_txn_obj(n)->state);
}

void
rsq_add(struct txnode *n, uint32_t seq)
{
	rsq_hint[seq & (RSQ_HINTS - 1)] = n;
	n->seq = seq;
	n->acked = 0;
	n->where = TXN_RSQ;
	TAILQ_INSERT_TAIL(&rsq, n, entry);
	if (++sy.net.rsq_len > sy.net.rsq_max)
		sy.net.rsq_max = sy.net.rsq_len;
}

static int
seq_in(uint32_t s, uint32_t from, uint32_t to)
{
	return (int32_t)(s - from) >= 0 && (int32_t)(to - s) >= 0;
}

/* Back to the transmit queue: it goes again with a new number. */
static void
rsq_resend(struct txnode *n)
{
	txq_unlink(n);
	txq_append(n);
	sy.net.retransmitted++;
}

/*
 * Whether a range from an ACK or NACK is about our messages.  They are
 * not addressed: on a multicast group every node hears the others'
 * acknowledgements, which refer to other sequence spaces.  Ours starts
 * at a random number, so theirs practically never falls inside it.
 */
static int
rsq_ours(uint32_t from, uint32_t to)
{
	return seq_in(from, first_seq, next_seq - 1) &&
	    seq_in(to, first_seq, next_seq - 1);
}

/*
 * ACK(from, to) from the peer with bit `peer': it has those.  A message
 * is done when every live peer has it; with one peer that is exactly
 * conntrackd's release of the acknowledged range.  A message before the
 * range that this peer never acknowledged was never seen by it (sent
 * before its numbering of us began, say, so it could not NACK it): it
 * goes again.
 */
void
rsq_ack(uint32_t from, uint32_t to, uint32_t peer, uint32_t live)
{
	struct txnode	*n, *next;

	if (!rsq_ours(from, to))
		return;
	for (n = TAILQ_FIRST(&rsq); n != NULL; n = next) {
		next = TAILQ_NEXT(n, entry);
		if ((int32_t)(n->seq - to) > 0)
			break;
		rsq_prefetch(n->seq + RSQ_AHEAD);
		if ((int32_t)(n->seq - from) < 0 && !(n->acked & peer) &&
		    n->kind != TXN_CTL) {
			sy.net.skipped_resent++;
			rsq_resend(n);
			continue;
		}
		/* an old control message it skipped is moot: count it as had */
		n->acked |= peer;
		if ((n->acked & live) == live)
			txq_release(n);
	}
}

/* A peer's slot is reused: its acknowledgements are not the new one's. */
void
rsq_forget_peer(uint32_t peer)
{
	struct txnode	*n;

	TAILQ_FOREACH(n, &rsq, entry)
		n->acked &= ~peer;
}

/* The set of live peers shrank: some messages may be done now. */
uint64_t
rsq_recheck(uint32_t live)
{
	struct txnode	*n, *next;
	uint64_t	 data = 0;

	for (n = TAILQ_FIRST(&rsq); n != NULL; n = next) {
		next = TAILQ_NEXT(n, entry);
		if ((n->acked & live) != live)
			continue;
		if (n->kind != TXN_CTL)
			data++;
		txq_release(n);
	}
	return data;
}

/* NACK(from, to): send those again, with new sequence numbers. */
void
rsq_nack(uint32_t from, uint32_t to)
{
	struct txnode	*n, *next;

	if (!rsq_ours(from, to))
		return;
	for (n = TAILQ_FIRST(&rsq); n != NULL; n = next) {
		next = TAILQ_NEXT(n, entry);
		if ((int32_t)(n->seq - to) > 0)
			break;
		if (seq_in(n->seq, from, to))
			rsq_resend(n);
	}
}

/*
 * The peer restarted and cannot NACK what it lost: our old control
 * messages are moot, but the objects still matter, so they go again
 * rather than being dropped as conntrackd does.
 */
void
rsq_restart(void)
{
	struct txnode	*n;

	while ((n = TAILQ_FIRST(&rsq)) != NULL) {
		if (n->kind == TXN_CTL) {
			txq_release(n);
			continue;
		}
		txq_unlink(n);
		if (cache_txn_obj(n)->state == CACHE_DEAD) {
			/* the restarted peer never had it */
			txq_release(n);
			continue;
		}
		txq_append(n);
		sy.net.retransmitted++;
	}
}

/* -s rsqueue: walk the resend queue */
void
rsq_walk(void (*cb)(uint32_t, int, uint8_t, void *), void *arg)
{
	struct txnode	*n;

	TAILQ_FOREACH(n, &rsq, entry)
		cb(n->seq, n->kind == TXN_CTL, n->flags, arg);
}
