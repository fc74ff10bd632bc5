/*
 * libFuzzer target for the sync wire codec (net/wire*.c): the input is
 * one datagram (or a stretch of a TCP stream) from a hostile peer.
 *
 * The datagram is walked with wire_next() as the sync process does.
 * Every data message is parsed as a conntrack and as an expectation,
 * with little- and big-endian 16-bit fields.  Invariants (abort on
 * violation):
 * - the walk stays inside the input and always advances;
 * - an accepted record passes ct_entry_check()/exp_entry_check();
 * - it rebuilds into a well-formed message that parses back into the
 *   same record, and rebuilding that gives the same bytes;
 * - with CommitTimeout and without TCPWindowTracking it parses back
 *   into the same record less the timeout and window scales;
 * - it does not fit in one byte less than its length;
 * - a control message of the exact size rebuilds byte for byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctentry.h"
#include "wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* what a build with these options leaves out */
static void
ct_strip(struct ct_entry *e, const struct wire_opts *o)
{
	if (o->no_timeout) {
		e->flags &= ~CTE_F_TIMEOUT;
		e->timeout = 0;
	}
	if (!o->wscale) {
		e->flags &= ~CTE_F_WSCALE;
		e->wscale_orig = e->wscale_repl = 0;
	}
}

static void
exp_strip(struct exp_entry *x, const struct wire_opts *o)
{
	if (o->no_timeout) {
		x->flags &= ~EXE_F_TIMEOUT;
		x->timeout = 0;
	}
}

/* a built message: whole, aligned, walkable, a data message */
static const struct wire_msg *
walk_built(const uint8_t *buf, size_t n, uint8_t type, uint8_t flags,
    uint32_t seq)
{
	static struct wire_msg	m;

	if (n == 0 || n % 4 != 0 || n > WIRE_MSG_MAX)
		abort();
	if (wire_next(buf, n, &m) != WIRE_OK || m.len != n ||
	    m.type != type || m.flags != flags || m.seq != seq ||
	    !wire_is_data(&m))
		abort();
	return &m;
}

static void
check_ct(const struct wire_msg *m, const struct wire_opts *o,
    const struct wire_opts *lossy)
{
	struct ct_entry		 e, back;
	const struct wire_msg	*b;
	uint8_t			 buf[WIRE_MSG_MAX], buf2[WIRE_MSG_MAX];
	uint8_t			 type = WIRE_CT_NEW + m->type % 3;
	uint8_t			 flags = m->flags &
				    (WIRE_F_HELLO | WIRE_F_HELLO_BACK);
	size_t			 n;

	if (wire_parse_ct(m->payload, m->plen, &e, o) != NULL)
		return;
	if (ct_entry_check(&e) != NULL)
		abort();

	n = wire_build_ct(buf, sizeof(buf), type, flags, m->seq, &e, o);
	b = walk_built(buf, n, type, flags, m->seq);
	if (wire_parse_ct(b->payload, b->plen, &back, o) != NULL ||
	    memcmp(&e, &back, sizeof(e)) != 0)
		abort();
	if (wire_build_ct(buf2, sizeof(buf2), type, flags, m->seq, &back,
	    o) != n || memcmp(buf, buf2, n) != 0)
		abort();
	if (wire_build_ct(buf2, n - 1, type, flags, m->seq, &e, o) != 0)
		abort();

	n = wire_build_ct(buf, sizeof(buf), type, flags, m->seq, &e, lossy);
	b = walk_built(buf, n, type, flags, m->seq);
	if (wire_parse_ct(b->payload, b->plen, &back, lossy) != NULL)
		abort();
	ct_strip(&e, lossy);
	if (memcmp(&e, &back, sizeof(e)) != 0)
		abort();
}

static void
check_exp(const struct wire_msg *m, const struct wire_opts *o,
    const struct wire_opts *lossy)
{
	struct exp_entry	 x, back;
	const struct wire_msg	*b;
	uint8_t			 buf[WIRE_MSG_MAX], buf2[WIRE_MSG_MAX];
	uint8_t			 type = WIRE_EXP_NEW + m->type % 3;
	size_t			 n;

	if (wire_parse_exp(m->payload, m->plen, &x, o) != NULL)
		return;
	if (exp_entry_check(&x) != NULL)
		abort();

	n = wire_build_exp(buf, sizeof(buf), type, 0, m->seq, &x, o);
	b = walk_built(buf, n, type, 0, m->seq);
	if (wire_parse_exp(b->payload, b->plen, &back, o) != NULL ||
	    memcmp(&x, &back, sizeof(x)) != 0)
		abort();
	if (wire_build_exp(buf2, sizeof(buf2), type, 0, m->seq, &back, o) !=
	    n || memcmp(buf, buf2, n) != 0)
		abort();
	if (wire_build_exp(buf2, n - 1, type, 0, m->seq, &x, o) != 0)
		abort();

	n = wire_build_exp(buf, sizeof(buf), type, 0, m->seq, &x, lossy);
	b = walk_built(buf, n, type, 0, m->seq);
	if (wire_parse_exp(b->payload, b->plen, &back, lossy) != NULL)
		abort();
	exp_strip(&x, lossy);
	if (memcmp(&x, &back, sizeof(x)) != 0)
		abort();
}

static void
check_ctl(const uint8_t *raw, const struct wire_msg *m)
{
	uint8_t	buf[WIRE_CTL_LEN];
	size_t	n;

	if (wire_is_data(m))
		abort();
	n = wire_build_ctl(buf, sizeof(buf), m->flags, m->seq, m->from,
	    m->to);
	if (n != WIRE_HDR_LEN && n != WIRE_CTL_LEN)
		abort();
	if (n > m->len)
		abort();
	if (n == m->len && memcmp(buf, raw, n) != 0)
		abort();
}

static void
check_msg(const uint8_t *raw, const struct wire_msg *m)
{
	struct wire_opts	o, lossy;
	int			le;

	if (m->type == WIRE_CTL) {
		check_ctl(raw, m);
		return;
	}
	if (!wire_is_data(m))
		return;
	for (le = 0; le < 2; le++) {
		o.le16 = lossy.le16 = le;
		o.wscale = 1;
		o.no_timeout = 0;
		lossy.wscale = 0;
		lossy.no_timeout = 1;
		check_ct(m, &o, &lossy);
		check_exp(m, &o, &lossy);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_msg	m;
	size_t		off = 0;
	int		rv;

	while (off < size) {
		rv = wire_next(data + off, size - off, &m);
		if (rv == WIRE_E_TRUNCATED || rv == WIRE_E_BAD_SIZE)
			break;
		if (m.len < WIRE_HDR_LEN || m.len > size - off ||
		    m.payload != data + off + WIRE_HDR_LEN ||
		    m.plen != (size_t)m.len - WIRE_HDR_LEN)
			abort();
		if (rv == WIRE_OK)
			check_msg(data + off, &m);
		else if (rv != WIRE_E_VERSION && rv != WIRE_E_TYPE)
			abort();
		off += m.len;
	}
	return 0;
}
