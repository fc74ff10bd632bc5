/*
 * The conntrackd 1.4.7 sync wire format: message header walk, control
 * messages, and the TLV helpers the conntrack and expectation codecs
 * (wire_ct.c, wire_exp.c) share.
 *
 * All multi-byte fields are written byte by byte: the wire layout does
 * not depend on the host, except for the three "host-swapped" 16-bit
 * attributes whose order is the peer's choice (wire_opts.le16).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "ctentry.h"
#include "wire.h"
#include "wire_tlv.h"

#define WIRE_CTL_RANGE	(WIRE_F_RESYNC | WIRE_F_NACK | WIRE_F_ACK)

static const struct wire_opts	wire_defaults = { 1, 0, 0 };

static int	 wire_has_range(uint8_t, uint8_t);

uint16_t
wire_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t
wire_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

void
wire_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

void
wire_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

/*
 * ICMP_ID, SPAT_PORT, DPAT_PORT: conntrackd converts a field that is
 * already in network order to network order once more, so the wire
 * carries its sender's host order (§4.4).  The field is network order
 * in our records.
 */
uint16_t
wire_get_hs16(const uint8_t *p, const struct wire_opts *o)
{
	uint16_t	v;

	if (o->le16)
		v = (uint16_t)(p[1] << 8 | p[0]);
	else
		v = wire_get16(p);
	return htons(v);
}

void
wire_put_hs16(uint8_t *p, uint16_t netval, const struct wire_opts *o)
{
	uint16_t	v = ntohs(netval);

	if (o->le16) {
		p[0] = v & 0xff;
		p[1] = v >> 8;
	} else
		wire_put16(p, v);
}

const struct wire_opts *
wire_opts_or_default(const struct wire_opts *o)
{
	return o != NULL ? o : &wire_defaults;
}

/* a reason with numbers in it; valid until the next call */
const char *
wire_reason(const char *fmt, unsigned int a, unsigned int b)
{
	static char	buf[64];

	snprintf(buf, sizeof(buf), fmt, a, b);
	return buf;
}

/*
 * Message header.
 */

/* the control messages that carry a from/to range: 16 bytes */
static int
wire_has_range(uint8_t type, uint8_t flags)
{
	return type == WIRE_CTL && (flags & WIRE_CTL_RANGE) != 0;
}

int
wire_next(const uint8_t *buf, size_t left, struct wire_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (left < WIRE_HDR_LEN)
		return WIRE_E_TRUNCATED;
	m->version = buf[0] >> 4;
	m->type = buf[0] & 0x0f;
	m->flags = buf[1];
	m->len = wire_get16(buf + 2);
	m->seq = wire_get32(buf + 4);
	if (m->len == 0 || m->len > left)
		return WIRE_E_BAD_SIZE;
	/* sizes before the version, as conntrackd: a bad one stops the walk */
	if (wire_has_range(m->type, m->flags)) {
		if (m->len < WIRE_CTL_LEN)
			return WIRE_E_BAD_SIZE;
		m->from = wire_get32(buf + 8);
		m->to = wire_get32(buf + 12);
	} else if (m->len < WIRE_HDR_LEN)
		return WIRE_E_BAD_SIZE;
	m->payload = buf + WIRE_HDR_LEN;
	m->plen = m->len - WIRE_HDR_LEN;
	if (m->version != WIRE_VERSION)
		return WIRE_E_VERSION;
	if (m->type > WIRE_EXP_DESTROY && m->type != WIRE_CTL)
		return WIRE_E_TYPE;
	return WIRE_OK;
}

int
wire_is_data(const struct wire_msg *m)
{
	return m->type <= WIRE_EXP_DESTROY &&
	    (m->flags & ~(WIRE_F_HELLO | WIRE_F_HELLO_BACK)) == 0;
}

static void
wire_put_hdr(uint8_t *buf, uint8_t type, uint8_t flags, uint16_t len,
    uint32_t seq)
{
	buf[0] = WIRE_VERSION << 4 | (type & 0x0f);
	buf[1] = flags;
	wire_put16(buf + 2, len);
	wire_put32(buf + 4, seq);
}

size_t
wire_build_ctl(uint8_t *buf, size_t size, uint8_t flags, uint32_t seq,
    uint32_t from, uint32_t to)
{
	size_t	len;

	len = wire_has_range(WIRE_CTL, flags) ? WIRE_CTL_LEN : WIRE_HDR_LEN;
	if (size < len)
		return 0;
	wire_put_hdr(buf, WIRE_CTL, flags, len, seq);
	if (len == WIRE_CTL_LEN) {
		wire_put32(buf + 8, from);
		wire_put32(buf + 12, to);
	}
	return len;
}

void
wire_set_seq_flags(uint8_t *msg, uint8_t flags, uint32_t seq)
{
	msg[1] = flags;
	wire_put32(msg + 4, seq);
}

/*
 * TLV writer: the header is written last, once the length is known.
 * Each attribute is its 4-byte header, its payload and zero padding
 * to 4; the length field does not count the padding (§4.3).
 */

void
wire_out_init(struct wire_out *o, uint8_t *buf, size_t size)
{
	o->buf = buf;
	o->size = size < WIRE_MSG_MAX ? size : WIRE_MSG_MAX;
	o->len = WIRE_HDR_LEN;
	o->full = o->size < WIRE_HDR_LEN;
}

void
wire_out_attr(struct wire_out *o, uint16_t type, const void *p, size_t n)
{
	size_t	alen = WIRE_ATTR_HDR + n, padded = (alen + 3) & ~(size_t)3;

	if (o->full || padded > o->size - o->len) {
		o->full = 1;
		return;
	}
	wire_put16(o->buf + o->len, alen);
	wire_put16(o->buf + o->len + 2, type);
	if (n > 0)
		memcpy(o->buf + o->len + WIRE_ATTR_HDR, p, n);
	memset(o->buf + o->len + alen, 0, padded - alen);
	o->len += padded;
}

void
wire_out_u8(struct wire_out *o, uint16_t type, uint8_t v)
{
	wire_out_attr(o, type, &v, 1);
}

void
wire_out_u32(struct wire_out *o, uint16_t type, uint32_t v)
{
	uint8_t	b[4];

	wire_put32(b, v);
	wire_out_attr(o, type, b, sizeof(b));
}

/* a name with its NUL, as conntrackd sends it */
void
wire_out_str(struct wire_out *o, uint16_t type, const char *s)
{
	wire_out_attr(o, type, s, strlen(s) + 1);
}

size_t
wire_out_finish(struct wire_out *o, uint8_t type, uint8_t flags,
    uint32_t seq)
{
	if (o->full)
		return 0;
	wire_put_hdr(o->buf, type, flags, o->len, seq);
	return o->len;
}

/*
 * Attribute collector: the walk and the rejection rules of §4.3.  A
 * repeated attribute overwrites the previous one; pos[] remembers the
 * order so that the later of two alternatives (IPV4, IPV6) wins.
 */
const char *
wire_attrs_collect(struct wire_attrs *a, const uint8_t *p, size_t plen,
    const struct wire_rule *rules, size_t nrules)
{
	size_t		 off = 0, left, step;
	unsigned int	 n = 0;
	uint16_t	 len, type;

	memset(a, 0, sizeof(*a));
	if (nrules > WIRE_ATTR_SLOTS)
		return "attribute table too large";
	/* a tail of up to 4 bytes is ignored, as conntrackd does */
	while (plen - off > WIRE_ATTR_HDR) {
		left = plen - off;
		len = wire_get16(p + off);
		type = wire_get16(p + off + 2);
		if (len > left)
			return "attribute overruns message";
		if (len < WIRE_ATTR_HDR)
			return wire_reason("attribute %u has length %u", type,
			    len);
		if (type >= nrules)
			return wire_reason("unknown attribute %u", type, 0);
		if (len < rules[type].min || len > rules[type].max)
			return wire_reason("attribute %u has length %u", type,
			    len);
		a->val[type] = p + off + WIRE_ATTR_HDR;
		a->len[type] = len - WIRE_ATTR_HDR;
		a->pos[type] = ++n;
		step = (len + 3) & ~3U;
		if (step >= left)
			break;
		off += step;
	}
	return NULL;
}

int
wire_has(const struct wire_attrs *a, int type)
{
	return a->pos[type] != 0;
}

/* fixed-size attributes: collect checked the size */
uint8_t
wire_attr_u8(const struct wire_attrs *a, int type)
{
	return wire_has(a, type) ? a->val[type][0] : 0;
}

uint32_t
wire_attr_u32(const struct wire_attrs *a, int type)
{
	return wire_has(a, type) ? wire_get32(a->val[type]) : 0;
}

/*
 * A name: the bytes up to the first NUL or the end of the attribute
 * (conntrackd does not check the NUL), zero-filled to size.  -1 if it
 * has more than max characters: sent again with its NUL, it would not
 * fit the attribute's limit.
 */
int
wire_attr_str(char *dst, size_t size, const struct wire_attrs *a, int type,
    size_t max)
{
	size_t	n;

	memset(dst, 0, size);
	if (!wire_has(a, type))
		return 0;
	n = strnlen((const char *)a->val[type], a->len[type]);
	if (n > max || n >= size)
		return -1;
	memcpy(dst, a->val[type], n);
	return 0;
}

/*
 * Tuples.
 */

/* conntrackd sends ports for these protocols only (§4.4 rule 3, §4.5) */
int
wire_l4_has_port(uint8_t l4)
{
	switch (l4) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		return 1;
	}
	return 0;
}

/*
 * libnetfilter_conntrack keeps a tuple's source and destination "port"
 * in unions: the ICMP id aliases the source port and the ICMP type and
 * code (in that byte order) alias the destination port.  conntrackd
 * reads and writes ports through those unions whatever the protocol.
 */
uint16_t
wire_l4src(const struct ct_tuple *t)
{
	return t->sport;
}

uint16_t
wire_l4dst(const struct ct_tuple *t)
{
	uint8_t		b[2];
	uint16_t	v;

	if (!ct_proto_is_icmp(t->l3, t->l4))
		return t->dport;
	b[0] = t->icmp_type;
	b[1] = t->icmp_code;
	memcpy(&v, b, sizeof(v));
	return v;
}

/* a 4-byte port pair (network order) into the fields t has */
void
wire_set_l4(struct ct_tuple *t, const uint8_t *p)
{
	if (ct_proto_is_icmp(t->l3, t->l4)) {
		memcpy(&t->sport, p, 2);
		t->icmp_type = p[2];
		t->icmp_code = p[3];
	} else if (ct_proto_uses_port_fields(t->l4)) {
		memcpy(&t->sport, p, 2);
		memcpy(&t->dport, p + 2, 2);
	}
}

/* a port pair as libnetfilter_conntrack's unions hold it */
void
wire_out_port(struct wire_out *o, uint16_t type, const struct ct_tuple *t)
{
	uint16_t	v[2];

	v[0] = wire_l4src(t);
	v[1] = wire_l4dst(t);
	wire_out_attr(o, type, v, sizeof(v));
}

void
wire_out_addrs(struct wire_out *o, uint16_t v4type, uint16_t v6type,
    const struct ct_tuple *t)
{
	uint8_t	b[32];

	if (t->l3 == AF_INET) {
		memcpy(b, &t->src[0], 4);
		memcpy(b + 4, &t->dst[0], 4);
		wire_out_attr(o, v4type, b, 8);
	} else {
		memcpy(b, t->src, 16);
		memcpy(b + 16, t->dst, 16);
		wire_out_attr(o, v6type, b, 32);
	}
}

/*
 * Family and addresses from the later of an IPv4 and an IPv6 address
 * attribute; 0 if there is neither.
 */
int
wire_get_addrs(struct ct_tuple *t, const struct wire_attrs *a, int v4type,
    int v6type)
{
	memset(t->src, 0, sizeof(t->src));
	memset(t->dst, 0, sizeof(t->dst));
	if (!wire_has(a, v4type) && !wire_has(a, v6type))
		return 0;
	if (a->pos[v4type] > a->pos[v6type]) {
		t->l3 = AF_INET;
		memcpy(&t->src[0], a->val[v4type], 4);
		memcpy(&t->dst[0], a->val[v4type] + 4, 4);
	} else {
		t->l3 = AF_INET6;
		memcpy(t->src, a->val[v6type], 16);
		memcpy(t->dst, a->val[v6type] + 16, 16);
	}
	return 1;
}
