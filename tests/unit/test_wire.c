/*
 * Unit tests for the sync wire codec (net/wire*.c): the canonical
 * examples of conntrackd-spec.md §4.8 built byte for byte, real
 * conntrackd 1.4.7 datagrams from the reference captures parsed and
 * rebuilt byte-identical, every rejection rule, and round trips of
 * random valid records.
 *
 * The capture datagrams below were extracted with
 * `tests/fuzz/extract_pcap.py --hex` from the reference captures
 * (ftfw.pcap, loss.pcap, nat.pcap, nt.pcap, al.pcap); each is one UDP
 * payload or TCP segment as a 1.4.7 conntrackd on x86-64 sent it.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctentry.h"
#include "wire.h"

#include "check.h"
#include "tuples.h"

#define RANDOM_ROUNDS	5000

/* the datagrams: a name and the payload in hex */
struct capture {
	const char	*name;
	const char	*hex;
};

static const struct capture captures[] = {
	{ "ftfw ALIVE|HELLO",
	    "1a3000086b084625" },
	{ "ftfw ACK|HELLO|HELLO_BACK",
	    "1a6800106b0846256b0846256b084625" },
	{ "ftfw RESYNC",
	    "1a0200106b0846360000000000000000" },
	{ "ftfw RESYNC|HELLO after restart",
	    "1a2200106b08466d0000000000000000" },
	{ "loss ACK + NACK",
	    "1a0800106b0846936b0846976b0846971a0400106b0846946b0846986b084698" },
	{ "ftfw TCP NEW, mark 7 (the canonical example)",
	    "100000546b08462b000c00000101010102020202000800050000000e00050002"
	    "060000000008000303e800500005000403000000000800060000006400080007"
	    "000000070010001f000000000000000000000000" },
	{ "ftfw UDP NEW",
	    "1000004c6b08462c000c00000303030304040404000800050000000800050002"
	    "110000000008000314e90035000800060000001e00080007000000000010001f"
	    "000000000000000000000000" },
	{ "ftfw ICMP echo NEW, id 0x1234",
	    "1000005c6b08462d000c00000505050506060606000800050000000800050002"
	    "0100000000050016080000000005001700000000000600183412000000080006"
	    "0000001e00080007000000000010001f000000000000000000000000" },
	{ "ftfw SNAT to 9.9.9.9 NEW",
	    "1000005c6b08462e000c00000707070708080808000800050000019a00050002"
	    "060000000008000307d001bb000500040300000000080006000000c800080007"
	    "000000000008000c090909090010001f000000000000000000000000" },
	{ "ftfw IPv6 zone 5 NEW",
	    "100000746b08462f0024000120010db800000000000000000000000120010db8"
	    "0000000000000000000000020008000500000008000500020600000000080003"
	    "0bb800160005000403000000000800060000012c00080007000000000010001f"
	    "0000000000000000000000000006002000050000" },
	{ "ftfw TCP UPDATE, mark 9",
	    "110000546b084636000c00000101010102020202000800050000000e00050002"
	    "060000000008000303e800500005000403000000000800060000005b00080007"
	    "000000090010001f000000000000000000000000" },
	{ "ftfw UDP DESTROY",
	    "1200004c6b084637000c00000303030304040404000800050000000800050002"
	    "110000000008000314e90035000800060000001e00080007000000000010001f"
	    "000000000000000000000000" },
	{ "ftfw FTP master with helper NEW",
	    "1000005c6b084664000c00000a0101010a020202000800050000200e00050002"
	    "06000000000800039c4000150005000403000000000800060000012c00080007"
	    "000000000008001b667470000010001f000000000000000000000000" },
	{ "ftfw FTP expectation NEW",
	    "1300007c6b084669000c00000a0101010a020202000500020600000000080003"
	    "9c400015000c00040a0101010a0202020005000606000000000800070000a30b"
	    "000c0008ffffffffffffffff0005000a060000000008000b0000ffff0008000c"
	    "0000012c0008000d000000000008000e000000000008001366747000" },
	{ "ftfw resync answer, HELLO_BACK on the first",
	    "1040005c6b08467a000c00000707070708080808000800050000019a00050002"
	    "060000000008000307d001bb000500040300000000080006000000c800080007"
	    "000000000008000c090909090010001f0000000000000000000000001000005c"
	    "6b08467b000c00000a0101010a020202000800050000200e0005000206000000"
	    "000800039c4000150005000403000000000800060000012c0008000700000000"
	    "0008001b667470000010001f000000000000000000000000100000746b08467c"
	    "0024000120010db800000000000000000000000120010db80000000000000000"
	    "0000000200080005000000080005000206000000000800030bb8001600050004"
	    "03000000000800060000012c00080007000000000010001f0000000000000000"
	    "000000000006002000050000110000546b08467d000c00000101010102020202"
	    "000800050000000e00050002060000000008000303e800500005000403000000"
	    "000800060000005b00080007000000090010001f000000000000000000000000"
	    "1300007c6b08467e000c00000a0101010a020202000500020600000000080003"
	    "9c400015000c00040a0101010a0202020005000606000000000800070000a30b"
	    "000c0008ffffffffffffffff0005000a060000000008000b0000ffff0008000c"
	    "0000012c0008000d000000000008000e000000000008001366747000" },
	{ "nat ALIVE|HELLO",
	    "1a3000086b08472f" },
	{ "nat SNAT+SPAT 5555, HELLO",
	    "102000646b084730000c00000707070708080808000800050000019a00050002"
	    "060000000008000307d001bb000500040300000000080006000000c800080007"
	    "000000000008000c090909090006000eb31500000010001f0000000000000000"
	    "00000000" },
	{ "nat DNAT+DPAT 8080, HELLO",
	    "102000646b084731000c0000070707080808080800080005000001aa00050002"
	    "060000000008000307d001bb000500040300000000080006000000c800080007"
	    "000000000008000d0a0a0a0a0006000f901f00000010001f0000000000000000"
	    "00000000" },
	{ "nt RESYNC",
	    "1a0200106b0846a60000000000000000" },
	{ "nt bulk over one TCP segment",
	    "1a1000086b0846a6100000546b0846a7000c0000010101050202020200080005"
	    "0000000e00050002060000000008000303e80050000500040300000000080006"
	    "0000005200080007000000000010001f00000000000000000000000010000054"
	    "6b0846a8000c00000101010802020202000800050000000e0005000206000000"
	    "0008000303e80050000500040300000000080006000000530008000700000000"
	    "0010001f000000000000000000000000100000546b0846a9000c00000101010e"
	    "02020202000800050000000e00050002060000000008000303e8005000050004"
	    "03000000000800060000005400080007000000000010001f0000000000000000"
	    "00000000100000546b0846aa000c00000101010902020202000800050000000e"
	    "00050002060000000008000303e8005000050004030000000008000600000053"
	    "00080007000000000010001f000000000000000000000000100000546b0846ab"
	    "000c00000101010c02020202000800050000000e000500020600000000080003"
	    "03e800500005000403000000000800060000005400080007000000000010001f"
	    "000000000000000000000000100000546b0846ac000c00000101010602020202"
	    "000800050000000e00050002060000000008000303e800500005000403000000"
	    "000800060000005300080007000000000010001f000000000000000000000000"
	    "100000546b0846ad000c00000101010b02020202000800050000000e00050002"
	    "060000000008000303e800500005000403000000000800060000005400080007"
	    "000000000010001f000000000000000000000000100000546b0846ae000c0000"
	    "0101010302020202000800050000000e00050002060000000008000303e80050"
	    "0005000403000000000800060000005200080007000000000010001f00000000"
	    "0000000000000000100000546b0846af000c0000010101020202020200080005"
	    "0000000e00050002060000000008000303e80050000500040300000000080006"
	    "0000005200080007000000000010001f00000000000000000000000010000054"
	    "6b0846b0000c00000101010a02020202000800050000000e0005000206000000"
	    "0008000303e80050000500040300000000080006000000530008000700000000"
	    "0010001f000000000000000000000000100000546b0846b1000c00000101010f"
	    "02020202000800050000000e00050002060000000008000303e8005000050004"
	    "03000000000800060000005400080007000000000010001f0000000000000000"
	    "00000000100000546b0846b2000c00000101010d02020202000800050000000e"
	    "00050002060000000008000303e8005000050004030000000008000600000054"
	    "00080007000000000010001f000000000000000000000000100000546b0846b3"
	    "000c00000101010702020202000800050000000e000500020600000000080003"
	    "03e800500005000403000000000800060000005300080007000000000010001f"
	    "000000000000000000000000100000546b0846b4000c00000101010402020202"
	    "000800050000000e00050002060000000008000303e800500005000403000000"
	    "000800060000005200080007000000000010001f000000000000000000000000"
	    "100000546b0846b5000c00000101010102020202000800050000000e00050002"
	    "060000000008000303e800500005000403000000000800060000005200080007"
	    "000000000010001f0000000000000000000000001a1000086b0846b61a100008"
	    "6b0846b71a1000086b0846b8" },
	{ "al DESTROY burst",
	    "120000546b0846b7000c00000101010d02020202000800050000000e00050002"
	    "060000000008000303e800500005000403000000000800060000004200080007"
	    "000000000010001f000000000000000000000000120000546b0846b8000c0000"
	    "0101010402020202000800050000000e00050002060000000008000303e80050"
	    "0005000403000000000800060000004000080007000000000010001f00000000"
	    "0000000000000000120000546b0846b9000c0000010101060202020200080005"
	    "0000000e00050002060000000008000303e80050000500040300000000080006"
	    "0000004000080007000000000010001f00000000000000000000000012000054"
	    "6b0846ba000c00000101010302020202000800050000000e0005000206000000"
	    "0008000303e80050000500040300000000080006000000400008000700000000"
	    "0010001f000000000000000000000000120000546b0846bb000c00000101010c"
	    "02020202000800050000000e00050002060000000008000303e8005000050004"
	    "03000000000800060000004200080007000000000010001f0000000000000000"
	    "000000001200004c6b0846bc000c000001010202020202020008000500000008"
	    "00050002110000000008000303e8003500080006000000570008000700000000"
	    "0010001f000000000000000000000000120000546b0846bd000c00000101010f"
	    "02020202000800050000000e00050002060000000008000303e8005000050004"
	    "03000000000800060000004200080007000000000010001f0000000000000000"
	    "00000000120000546b0846be000c00000101010a02020202000800050000000e"
	    "00050002060000000008000303e8005000050004030000000008000600000041"
	    "00080007000000000010001f0000000000000000000000001200004c6b0846bf"
	    "000c000001010203020202020008000500000008000500021100000000080003"
	    "03e80035000800060000005700080007000000000010001f0000000000000000"
	    "00000000120000546b0846c0000c00000101010502020202000800050000000e"
	    "00050002060000000008000303e8005000050004030000000008000600000040"
	    "00080007000000000010001f000000000000000000000000120000546b0846c1"
	    "000c00000101010802020202000800050000000e000500020600000000080003"
	    "03e800500005000403000000000800060000004100080007000000000010001f"
	    "000000000000000000000000120000546b0846c2000c00000101010902020202"
	    "000800050000000e00050002060000000008000303e800500005000403000000"
	    "000800060000004100080007000000000010001f000000000000000000000000"
	    "120000546b0846c3000c00000101010202020202000800050000000e00050002"
	    "060000000008000303e800500005000403000000000800060000004000080007"
	    "000000000010001f000000000000000000000000" },
};

static const struct wire_opts	le_opts = { 1, 0, 0 };

static size_t
unhex(uint8_t *out, size_t size, const char *hex)
{
	size_t		n = 0;
	unsigned int	b;

	while (hex[0] != '\0' && hex[1] != '\0') {
		if (n == size || sscanf(hex, "%2x", &b) != 1)
			abort();
		out[n++] = b;
		hex += 2;
	}
	return n;
}

/* the reply tuple of a connection without NAT */
static void
set_inverse(struct ct_entry *e)
{
	const struct ct_tuple	*o = &e->orig;
	struct ct_tuple		*r = &e->repl;

	memset(r, 0, sizeof(*r));
	memcpy(r->src, o->dst, sizeof(r->src));
	memcpy(r->dst, o->src, sizeof(r->dst));
	r->l3 = o->l3;
	r->l4 = o->l4;
	if (ct_proto_is_icmp(o->l3, o->l4)) {
		r->icmp_type = ct_icmp_reply_type(o->l3, o->icmp_type);
		r->icmp_code = o->icmp_code;
		r->sport = o->sport;
	} else {
		r->sport = o->dport;
		r->dport = o->sport;
	}
	e->flags |= CTE_F_REPL;
}

/* does needle occur in hay? */
static int
contains(const uint8_t *hay, size_t n, const char *hex)
{
	uint8_t	needle[256];
	size_t	m, i;

	m = unhex(needle, sizeof(needle), hex);
	for (i = 0; i + m <= n; i++)
		if (memcmp(hay + i, needle, m) == 0)
			return 1;
	return 0;
}

/* parse one data message, rebuild it with the same header: identical? */
static int
rebuild_data(const uint8_t *raw, const struct wire_msg *m)
{
	struct ct_entry		 ct;
	struct exp_entry	 exp;
	uint8_t			 buf[WIRE_MSG_MAX];
	size_t			 n;

	if (m->type <= WIRE_CT_DESTROY) {
		if (wire_parse_ct(m->payload, m->plen, &ct, &le_opts) != NULL)
			return 0;
		n = wire_build_ct(buf, sizeof(buf), m->type, m->flags, m->seq,
		    &ct, &le_opts);
	} else {
		if (wire_parse_exp(m->payload, m->plen, &exp, &le_opts) !=
		    NULL)
			return 0;
		n = wire_build_exp(buf, sizeof(buf), m->type, m->flags, m->seq,
		    &exp, &le_opts);
	}
	return n == m->len && memcmp(buf, raw, n) == 0;
}

static int
rebuild_ctl(const uint8_t *raw, const struct wire_msg *m)
{
	uint8_t	buf[WIRE_CTL_LEN];
	size_t	n;

	n = wire_build_ctl(buf, sizeof(buf), m->flags, m->seq, m->from, m->to);
	return n == m->len && memcmp(buf, raw, n) == 0;
}

/*
 * (b) Every message of every captured datagram is accepted, and is
 * rebuilt byte for byte from its record (or its control fields).
 */
static void
test_captures(void)
{
	struct wire_msg	 m;
	uint8_t		 d[2048];
	size_t		 i, n, off, msgs = 0;
	int		 rv, ok;

	for (i = 0; i < sizeof(captures) / sizeof(captures[0]); i++) {
		n = unhex(d, sizeof(d), captures[i].hex);
		for (off = 0; off < n; off += m.len) {
			rv = wire_next(d + off, n - off, &m);
			CHECK(rv == WIRE_OK);
			if (rv != WIRE_OK)
				break;
			if (m.type == WIRE_CTL)
				ok = !wire_is_data(&m) && rebuild_ctl(d + off, &m);
			else
				ok = wire_is_data(&m) && rebuild_data(d + off, &m);
			CHECK(ok);
			if (!ok)
				fprintf(stderr, "capture \"%s\", offset %zu\n",
				    captures[i].name, off);
			msgs++;
		}
		CHECK(off == n);
	}
	CHECK(msgs == 56);
	if (msgs != 56)
		fprintf(stderr, "%zu capture messages\n", msgs);
}

/* the first message of capture name */
static size_t
capture_msg(const char *name, uint8_t *d, size_t size, struct wire_msg *m)
{
	size_t	i;

	for (i = 0; i < sizeof(captures) / sizeof(captures[0]); i++)
		if (strcmp(captures[i].name, name) == 0)
			break;
	if (i == sizeof(captures) / sizeof(captures[0]))
		abort();
	unhex(d, size, captures[i].hex);
	if (wire_next(d, size, m) != WIRE_OK)
		abort();
	return m->len;
}

static int
parse_capture_ct(const char *name, struct ct_entry *e)
{
	struct wire_msg	m;
	uint8_t		d[2048];

	capture_msg(name, d, sizeof(d), &m);
	return wire_parse_ct(m.payload, m.plen, e, &le_opts) == NULL;
}

static void
mk_tcp_canon(struct ct_entry *e)
{
	memset(e, 0, sizeof(*e));
	tuple4(&e->orig, IPPROTO_TCP, "1.1.1.1", "2.2.2.2", 1000, 80);
	e->flags = CTE_F_TIMEOUT | CTE_F_MARK | CTE_F_STATE;
	e->status = 0x0e;
	e->timeout = 100;
	e->mark = 7;
	e->state = 3;
	set_inverse(e);
}

static void
mk_icmp(struct ct_entry *e)
{
	memset(e, 0, sizeof(*e));
	tuple4(&e->orig, IPPROTO_ICMP, "5.5.5.5", "6.6.6.6", 0x1234, 0);
	e->orig.icmp_type = 8;
	e->flags = CTE_F_TIMEOUT | CTE_F_MARK;
	e->status = IPS_CONFIRMED;
	e->timeout = 30;
	set_inverse(e);
}

static void
mk_ftp_exp(struct exp_entry *x)
{
	memset(x, 0, sizeof(*x));
	tuple4(&x->master, IPPROTO_TCP, "10.1.1.1", "10.2.2.2", 40000, 21);
	tuple4(&x->tuple, IPPROTO_TCP, "10.1.1.1", "10.2.2.2", 0, 41739);
	tuple4(&x->mask, IPPROTO_TCP, "255.255.255.255", "255.255.255.255",
	    0, 65535);
	x->flags = EXE_F_TIMEOUT | EXE_F_CLASS | EXE_F_HELPER;
	x->timeout = 300;
	strlcpy(x->helper, "ftp", sizeof(x->helper));
}

/* (b) the captured records are what conntrackd meant */
static void
test_capture_records(void)
{
	struct ct_entry		 e, want;
	struct exp_entry	 x, xwant;
	struct wire_msg		 m;
	uint8_t			 d[2048];

	mk_tcp_canon(&want);
	CHECK(parse_capture_ct("ftfw TCP NEW, mark 7 (the canonical example)",
	    &e) && memcmp(&e, &want, sizeof(e)) == 0);

	want.timeout = 91;
	want.mark = 9;
	CHECK(parse_capture_ct("ftfw TCP UPDATE, mark 9", &e) &&
	    memcmp(&e, &want, sizeof(e)) == 0);

	memset(&want, 0, sizeof(want));
	tuple4(&want.orig, IPPROTO_UDP, "3.3.3.3", "4.4.4.4", 5353, 53);
	want.flags = CTE_F_TIMEOUT | CTE_F_MARK;
	want.status = IPS_CONFIRMED;
	want.timeout = 30;
	set_inverse(&want);
	CHECK(parse_capture_ct("ftfw UDP NEW", &e) &&
	    memcmp(&e, &want, sizeof(e)) == 0);
	CHECK(parse_capture_ct("ftfw UDP DESTROY", &e) &&
	    memcmp(&e, &want, sizeof(e)) == 0);

	mk_icmp(&want);
	CHECK(parse_capture_ct("ftfw ICMP echo NEW, id 0x1234", &e) &&
	    memcmp(&e, &want, sizeof(e)) == 0);
	CHECK(e.repl.icmp_type == 0 && e.repl.sport == htons(0x1234));

	memset(&want, 0, sizeof(want));
	tuple4(&want.orig, IPPROTO_TCP, "7.7.7.7", "8.8.8.8", 2000, 443);
	want.flags = CTE_F_TIMEOUT | CTE_F_MARK | CTE_F_STATE;
	want.status = 0x19a;	/* SEEN_REPLY ASSURED SRC_NAT *_NAT_DONE */
	want.timeout = 200;
	want.state = 3;
	set_inverse(&want);
	v4(want.repl.dst, "9.9.9.9");
	CHECK(parse_capture_ct("ftfw SNAT to 9.9.9.9 NEW", &e) &&
	    memcmp(&e, &want, sizeof(e)) == 0);

	want.repl.dport = htons(5555);
	CHECK(parse_capture_ct("nat SNAT+SPAT 5555, HELLO", &e) &&
	    memcmp(&e, &want, sizeof(e)) == 0);

	memset(&want, 0, sizeof(want));
	tuple4(&want.orig, IPPROTO_TCP, "7.7.7.8", "8.8.8.8", 2000, 443);
	want.flags = CTE_F_TIMEOUT | CTE_F_MARK | CTE_F_STATE;
	want.status = 0x1aa;	/* SEEN_REPLY ASSURED DST_NAT *_NAT_DONE */
	want.timeout = 200;
	want.state = 3;
	set_inverse(&want);
	v4(want.repl.src, "10.10.10.10");
	want.repl.sport = htons(8080);
	CHECK(parse_capture_ct("nat DNAT+DPAT 8080, HELLO", &e) &&
	    memcmp(&e, &want, sizeof(e)) == 0);

	memset(&want, 0, sizeof(want));
	tuple6(&want.orig, IPPROTO_TCP, "2001:db8::1", "2001:db8::2", 3000,
	    22);
	want.flags = CTE_F_TIMEOUT | CTE_F_MARK | CTE_F_STATE | CTE_F_ZONE;
	want.status = IPS_CONFIRMED;
	want.timeout = 300;
	want.state = 3;
	want.zone = 5;
	set_inverse(&want);
	CHECK(parse_capture_ct("ftfw IPv6 zone 5 NEW", &e) &&
	    memcmp(&e, &want, sizeof(e)) == 0);

	memset(&want, 0, sizeof(want));
	tuple4(&want.orig, IPPROTO_TCP, "10.1.1.1", "10.2.2.2", 40000, 21);
	want.flags = CTE_F_TIMEOUT | CTE_F_MARK | CTE_F_STATE | CTE_F_HELPER;
	want.status = 0x200e;	/* ... HELPER */
	want.timeout = 300;
	want.state = 3;
	strlcpy(want.helper, "ftp", sizeof(want.helper));
	set_inverse(&want);
	CHECK(parse_capture_ct("ftfw FTP master with helper NEW", &e) &&
	    memcmp(&e, &want, sizeof(e)) == 0);

	mk_ftp_exp(&xwant);
	capture_msg("ftfw FTP expectation NEW", d, sizeof(d), &m);
	CHECK(m.type == WIRE_EXP_NEW && m.len == 124);
	CHECK(wire_parse_exp(m.payload, m.plen, &x, &le_opts) == NULL &&
	    memcmp(&x, &xwant, sizeof(x)) == 0);

	/* control fields */
	capture_msg("ftfw ACK|HELLO|HELLO_BACK", d, sizeof(d), &m);
	CHECK(m.type == WIRE_CTL && m.flags == (WIRE_F_ACK | WIRE_F_HELLO |
	    WIRE_F_HELLO_BACK) && m.seq == 0x6b084625 &&
	    m.from == 0x6b084625 && m.to == 0x6b084625);
	capture_msg("loss ACK + NACK", d, sizeof(d), &m);
	CHECK(m.flags == WIRE_F_ACK && m.from == 0x6b084697 &&
	    m.to == 0x6b084697 && m.len == 16);
	CHECK(wire_next(d + 16, 16, &m) == WIRE_OK &&
	    m.flags == WIRE_F_NACK && m.seq == 0x6b084694 &&
	    m.from == 0x6b084698 && m.to == 0x6b084698);
	capture_msg("nt RESYNC", d, sizeof(d), &m);
	CHECK(m.flags == WIRE_F_RESYNC && m.len == 16 && m.from == 0 &&
	    m.to == 0);
	capture_msg("ftfw RESYNC|HELLO after restart", d, sizeof(d), &m);
	CHECK(m.flags == (WIRE_F_RESYNC | WIRE_F_HELLO) && m.len == 16);
	capture_msg("ftfw ALIVE|HELLO", d, sizeof(d), &m);
	CHECK(m.flags == (WIRE_F_ALIVE | WIRE_F_HELLO) && m.len == 8 &&
	    m.plen == 0);
}

/* (a) the canonical examples of §4.8, built from records */
static void
test_canonical(void)
{
	static const char *tcp_hex =
	    "100000546b08462b"			/* v1 type 0, len 84, seq */
	    "000c00000101010102020202"		/* IPV4 */
	    "000800050000000e"			/* STATUS */
	    "0005000206000000"			/* L4PROTO 6 */
	    "0008000303e80050"			/* PORT 1000 80 */
	    "0005000403000000"			/* TCP_STATE 3 */
	    "0008000600000064"			/* TIMEOUT 100 */
	    "0008000700000007"			/* MARK 7 */
	    "0010001f000000000000000000000000";	/* SYNPROXY zeros */
	static const char *exp_hex =
	    "1300007c6b084669"			/* v1 type 3, len 124 */
	    "000c00000a0101010a020202"		/* MASTER_IPV4 */
	    "0005000206000000"			/* MASTER_L4PROTO */
	    "000800039c400015"			/* MASTER_PORT 40000 21 */
	    "000c00040a0101010a020202"		/* EXPECT_IPV4 */
	    "0005000606000000"			/* EXPECT_L4PROTO */
	    "000800070000a30b"			/* EXPECT_PORT 0 41739 */
	    "000c0008ffffffffffffffff"		/* MASK_IPV4 */
	    "0005000a06000000"			/* MASK_L4PROTO */
	    "0008000b0000ffff"			/* MASK_PORT 0 65535 */
	    "0008000c0000012c"			/* TIMEOUT 300 */
	    "0008000d00000000"			/* FLAGS */
	    "0008000e00000000"			/* CLASS */
	    "0008001366747000";			/* HELPER_NAME "ftp" */
	struct ct_entry		 e, back;
	struct exp_entry	 x, xback;
	uint8_t			 want[256], buf[WIRE_MSG_MAX];
	size_t			 n, wn;

	mk_tcp_canon(&e);
	wn = unhex(want, sizeof(want), tcp_hex);
	n = wire_build_ct(buf, sizeof(buf), WIRE_CT_NEW, 0, 0x6b08462b, &e,
	    NULL);
	CHECK(n == 84 && wn == 84 && memcmp(buf, want, n) == 0);
	CHECK(wire_parse_ct(buf + 8, n - 8, &back, NULL) == NULL &&
	    memcmp(&e, &back, sizeof(e)) == 0);

	/* ICMP: type 8, code 0, id little-endian */
	mk_icmp(&e);
	n = wire_build_ct(buf, sizeof(buf), WIRE_CT_NEW, 0, 1, &e, NULL);
	CHECK(n == 92 && contains(buf, n,
	    "0005001608000000000500170000000000060018341200"));
	CHECK(wire_parse_ct(buf + 8, n - 8, &back, NULL) == NULL &&
	    memcmp(&e, &back, sizeof(e)) == 0);

	/* SNAT to 9.9.9.9 port 5555 */
	memset(&e, 0, sizeof(e));
	tuple4(&e.orig, IPPROTO_TCP, "7.7.7.7", "8.8.8.8", 2000, 443);
	e.status = IPS_CONFIRMED | IPS_SRC_NAT | IPS_SRC_NAT_DONE |
	    IPS_DST_NAT_DONE;
	set_inverse(&e);
	v4(e.repl.dst, "9.9.9.9");
	e.repl.dport = htons(5555);
	n = wire_build_ct(buf, sizeof(buf), WIRE_CT_NEW, 0, 1, &e, NULL);
	CHECK(n > 0 && contains(buf, n, "0008000c090909090006000eb3150000"));
	CHECK(wire_parse_ct(buf + 8, n - 8, &back, NULL) == NULL &&
	    memcmp(&e, &back, sizeof(e)) == 0);

	/* IPv6 in zone 5 ends with ZONE */
	memset(&e, 0, sizeof(e));
	tuple6(&e.orig, IPPROTO_TCP, "2001:db8::1", "2001:db8::2", 3000, 22);
	e.flags = CTE_F_ZONE;
	e.zone = 5;
	set_inverse(&e);
	n = wire_build_ct(buf, sizeof(buf), WIRE_CT_NEW, 0, 1, &e, NULL);
	wn = unhex(want, sizeof(want), "0006002000050000");
	CHECK(n > 8 && memcmp(buf + n - 8, want, wn) == 0);
	CHECK(wire_parse_ct(buf + 8, n - 8, &back, NULL) == NULL &&
	    memcmp(&e, &back, sizeof(e)) == 0);

	/* the FTP expectation, 124 bytes */
	mk_ftp_exp(&x);
	wn = unhex(want, sizeof(want), exp_hex);
	n = wire_build_exp(buf, sizeof(buf), WIRE_EXP_NEW, 0, 0x6b084669, &x,
	    NULL);
	CHECK(n == 124 && wn == 124 && memcmp(buf, want, n) == 0);
	CHECK(wire_parse_exp(buf + 8, n - 8, &xback, NULL) == NULL &&
	    memcmp(&x, &xback, sizeof(x)) == 0);

	/* control */
	n = wire_build_ctl(buf, sizeof(buf), WIRE_F_ALIVE | WIRE_F_HELLO,
	    0x01020304, 7, 8);
	wn = unhex(want, sizeof(want), "1a30000801020304");
	CHECK(n == 8 && memcmp(buf, want, n) == 0);
	n = wire_build_ctl(buf, sizeof(buf), WIRE_F_ACK | WIRE_F_HELLO |
	    WIRE_F_HELLO_BACK, 0x01020304, 0x0a0b0c0d, 0x0e0f1011);
	wn = unhex(want, sizeof(want), "1a680010010203040a0b0c0d0e0f1011");
	CHECK(n == 16 && memcmp(buf, want, n) == 0);
	n = wire_build_ctl(buf, sizeof(buf), WIRE_F_NACK, 5, 6, 7);
	wn = unhex(want, sizeof(want), "1a040010000000050000000600000007");
	CHECK(n == 16 && memcmp(buf, want, n) == 0);
	n = wire_build_ctl(buf, sizeof(buf), WIRE_F_RESYNC | WIRE_F_HELLO, 9,
	    0, 0);
	wn = unhex(want, sizeof(want), "1a220010000000090000000000000000");
	CHECK(n == 16 && memcmp(buf, want, n) == 0);
	CHECK(wire_build_ctl(buf, 15, WIRE_F_ACK, 1, 2, 3) == 0);
	CHECK(wire_build_ctl(buf, 8, WIRE_F_ALIVE, 1, 0, 0) == 8);
	CHECK(wire_build_ctl(buf, 7, WIRE_F_ALIVE, 1, 0, 0) == 0);
}

/*
 * (c) Rejections.  A message under construction: attributes with any
 * length field, padded to 4.
 */
struct msgb {
	uint8_t	b[2048];
	size_t	n;
};

static void
mb_raw(struct msgb *mb, uint16_t type, uint16_t lenfield, const void *p,
    size_t plen)
{
	size_t	padded = (4 + plen + 3) & ~(size_t)3;

	if (mb->n + padded > sizeof(mb->b))
		abort();
	mb->b[mb->n] = lenfield >> 8;
	mb->b[mb->n + 1] = lenfield & 0xff;
	mb->b[mb->n + 2] = type >> 8;
	mb->b[mb->n + 3] = type & 0xff;
	memset(mb->b + mb->n + 4, 0, padded - 4);
	if (plen > 0)
		memcpy(mb->b + mb->n + 4, p, plen);
	mb->n += padded;
}

static void
mb_attr(struct msgb *mb, uint16_t type, const void *p, size_t plen)
{
	mb_raw(mb, type, 4 + plen, p, plen);
}

static void
mb_u32(struct msgb *mb, uint16_t type, uint32_t v)
{
	v = htonl(v);
	mb_attr(mb, type, &v, 4);
}

static void
mb_u8(struct msgb *mb, uint16_t type, uint8_t v)
{
	mb_attr(mb, type, &v, 1);
}

/* a valid UDP 1.2.3.4:1000 -> 5.6.7.8:53 */
static void
mb_udp(struct msgb *mb)
{
	static const uint8_t	addrs[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t	ports[4] = { 0x03, 0xe8, 0x00, 0x35 };

	mb->n = 0;
	mb_attr(mb, 0, addrs, sizeof(addrs));
	mb_u8(mb, 2, IPPROTO_UDP);
	mb_attr(mb, 3, ports, sizeof(ports));
}

static const char *
mb_ct(struct msgb *mb, struct ct_entry *e)
{
	return wire_parse_ct(mb->b, mb->n, e, NULL);
}

static int
reason_is(const char *r, const char *want)
{
	if (r != NULL && strcmp(r, want) == 0)
		return 1;
	fprintf(stderr, "reason \"%s\", want \"%s\"\n", r ? r : "(null)",
	    want);
	return 0;
}

static int
reason_has(const char *r, const char *want)
{
	if (r != NULL && strstr(r, want) != NULL)
		return 1;
	fprintf(stderr, "reason \"%s\", want \"...%s...\"\n",
	    r ? r : "(null)", want);
	return 0;
}

static void
test_walk_errors(void)
{
	struct wire_msg	m;
	uint8_t		d[64];
	size_t		n;

	memset(d, 0, sizeof(d));
	CHECK(wire_next(d, 0, &m) == WIRE_E_TRUNCATED);
	n = unhex(d, sizeof(d), "1a30000801020304");
	CHECK(wire_next(d, n - 1, &m) == WIRE_E_TRUNCATED);
	CHECK(wire_next(d, n, &m) == WIRE_OK && m.len == 8 && !wire_is_data(&m));
	/* length 0, beyond the datagram, below 8 */
	n = unhex(d, sizeof(d), "1000000001020304");
	CHECK(wire_next(d, n, &m) == WIRE_E_BAD_SIZE);
	n = unhex(d, sizeof(d), "100000540102030400000000");
	CHECK(wire_next(d, n, &m) == WIRE_E_BAD_SIZE);
	n = unhex(d, sizeof(d), "1000000401020304");
	CHECK(wire_next(d, n, &m) == WIRE_E_BAD_SIZE);
	/* ACK, NACK, RESYNC need 16 bytes; ALIVE does not */
	n = unhex(d, sizeof(d), "1a08000801020304");
	CHECK(wire_next(d, n, &m) == WIRE_E_BAD_SIZE);
	n = unhex(d, sizeof(d), "1a04000c010203040000000100000002");
	CHECK(wire_next(d, n, &m) == WIRE_E_BAD_SIZE);
	n = unhex(d, sizeof(d), "1a02000c010203040000000100000002");
	CHECK(wire_next(d, n, &m) == WIRE_E_BAD_SIZE);
	n = unhex(d, sizeof(d), "1a0400100102030400000001");
	CHECK(wire_next(d, n, &m) == WIRE_E_BAD_SIZE);
	n = unhex(d, sizeof(d), "1a0400100102030400000001000000020000");
	CHECK(wire_next(d, n, &m) == WIRE_OK && m.from == 1 && m.to == 2 &&
	    m.plen == 8);
	n = unhex(d, sizeof(d), "1a10000c0102030400000000");
	CHECK(wire_next(d, n, &m) == WIRE_OK && m.len == 12 && m.from == 0);
	/* a control message's 16-byte rule is for type 10 only */
	n = unhex(d, sizeof(d), "1008000801020304");
	CHECK(wire_next(d, n, &m) == WIRE_OK && !wire_is_data(&m));

	/* version 2 and type 7 are skipped: the walk goes on */
	n = unhex(d, sizeof(d),
	    "2000000c01020304aabbccdd" "1700000801020304" "1a10000801020305");
	CHECK(wire_next(d, n, &m) == WIRE_E_VERSION && m.len == 12 &&
	    m.version == 2);
	CHECK(wire_next(d + 12, n - 12, &m) == WIRE_E_TYPE && m.len == 8 &&
	    m.type == 7);
	CHECK(wire_next(d + 20, n - 20, &m) == WIRE_OK &&
	    m.flags == WIRE_F_ALIVE && m.seq == 0x01020305);
	/* the size rules come before the version, as in conntrackd */
	n = unhex(d, sizeof(d), "2a08000801020304");
	CHECK(wire_next(d, n, &m) == WIRE_E_BAD_SIZE);

	/* data: type <= 5, and no flag but HELLO/HELLO_BACK */
	memset(&m, 0, sizeof(m));
	m.type = WIRE_EXP_DESTROY;
	m.flags = WIRE_F_HELLO | WIRE_F_HELLO_BACK;
	CHECK(wire_is_data(&m));
	m.flags |= WIRE_F_ALIVE;
	CHECK(!wire_is_data(&m));
	m.flags = 0x01;
	CHECK(!wire_is_data(&m));
	m.type = 6;
	m.flags = 0;
	CHECK(!wire_is_data(&m));
}

static void
test_attr_errors(void)
{
	static const uint8_t	zero[1100];
	struct msgb		mb;
	struct ct_entry		e;
	struct exp_entry	x;
	uint8_t			w[20];
	uint32_t		status;

	mb_udp(&mb);
	CHECK(mb_ct(&mb, &e) == NULL && e.orig.l4 == IPPROTO_UDP &&
	    e.orig.dport == htons(53));

	/* a tail of up to 4 bytes is ignored, 5 is an attribute */
	mb_udp(&mb);
	memset(mb.b + mb.n, 0xee, 4);
	mb.n += 4;
	CHECK(mb_ct(&mb, &e) == NULL);
	mb.b[mb.n++] = 0xee;
	CHECK(reason_is(mb_ct(&mb, &e), "attribute overruns message"));

	/* attribute length below its header */
	mb_udp(&mb);
	mb_raw(&mb, 7, 3, zero, 4);
	CHECK(reason_is(mb_ct(&mb, &e), "attribute 7 has length 3"));
	mb_udp(&mb);
	mb_raw(&mb, 7, 0, zero, 4);
	CHECK(reason_is(mb_ct(&mb, &e), "attribute 7 has length 0"));

	/* beyond the message */
	mb_udp(&mb);
	mb_raw(&mb, 7, 40, zero, 4);
	CHECK(reason_is(mb_ct(&mb, &e), "attribute overruns message"));

	/* unknown types: 33 and up for conntracks, 21 and up for exps */
	mb_udp(&mb);
	mb_attr(&mb, 33, zero, 4);
	CHECK(reason_is(mb_ct(&mb, &e), "unknown attribute 33"));
	mb_udp(&mb);
	mb_attr(&mb, 40, zero, 4);
	CHECK(reason_is(mb_ct(&mb, &e), "unknown attribute 40"));
	mb_udp(&mb);
	mb_attr(&mb, 0xffff, zero, 1);
	CHECK(reason_is(mb_ct(&mb, &e), "unknown attribute 65535"));
	mb_udp(&mb);
	mb_attr(&mb, 0xffff, zero, 0);	/* a 4-byte tail: never looked at */
	CHECK(mb_ct(&mb, &e) == NULL);
	mb_udp(&mb);
	mb_attr(&mb, 21, zero, 4);
	CHECK(reason_is(wire_parse_exp(mb.b, mb.n, &x, NULL),
	    "unknown attribute 21"));

	/* fixed sizes */
	mb_udp(&mb);
	mb_attr(&mb, 5, zero, 5);
	CHECK(reason_is(mb_ct(&mb, &e), "attribute 5 has length 9"));
	mb_udp(&mb);
	mb_attr(&mb, 2, zero, 4);
	CHECK(reason_is(mb_ct(&mb, &e), "attribute 2 has length 8"));
	mb_udp(&mb);
	mb_attr(&mb, 24, zero, 4);	/* ICMP_ID in the 0.9.12 size */
	CHECK(reason_is(mb_ct(&mb, &e), "attribute 24 has length 8"));
	mb_udp(&mb);
	mb_attr(&mb, 1, zero, 16);
	CHECK(reason_is(mb_ct(&mb, &e), "attribute 1 has length 20"));
	mb_udp(&mb);
	mb_attr(&mb, 32, zero, 4);
	CHECK(reason_is(mb_ct(&mb, &e), "attribute 32 has length 8"));
	mb_udp(&mb);
	mb_attr(&mb, 31, zero, 16);
	CHECK(reason_is(mb_ct(&mb, &e), "attribute 31 has length 20"));
	mb_udp(&mb);
	mb_attr(&mb, 17, zero, 4);
	CHECK(reason_is(wire_parse_exp(mb.b, mb.n, &x, NULL),
	    "attribute 17 has length 8"));

	/* names: at most 11 characters (16 with header and NUL), fn 27 */
	mb_udp(&mb);
	mb_attr(&mb, 27, "abcdefghijk", 12);
	CHECK(mb_ct(&mb, &e) == NULL && strcmp(e.helper, "abcdefghijk") == 0 &&
	    (e.flags & CTE_F_HELPER));
	mb_udp(&mb);
	mb_attr(&mb, 27, "abcdefghijkl", 13);
	CHECK(reason_is(mb_ct(&mb, &e), "attribute 27 has length 17"));
	mb_udp(&mb);
	mb_attr(&mb, 27, "abcdefghijkl", 12);	/* no NUL, 12 characters */
	CHECK(reason_is(mb_ct(&mb, &e), "helper name too long"));
	mb_udp(&mb);
	mb_attr(&mb, 27, "sip", 3);		/* no NUL: accepted */
	CHECK(mb_ct(&mb, &e) == NULL && strcmp(e.helper, "sip") == 0);
	mb_udp(&mb);
	mb_attr(&mb, 27, "", 1);		/* empty: no helper */
	CHECK(mb_ct(&mb, &e) == NULL && !(e.flags & CTE_F_HELPER));
	mb_udp(&mb);
	mb_attr(&mb, 27, "f p", 4);
	CHECK(reason_has(mb_ct(&mb, &e), "unprintable"));
	mb_udp(&mb);
	mb_attr(&mb, 27, "ftp\0xx", 6);		/* after the NUL: ignored */
	CHECK(mb_ct(&mb, &e) == NULL && strcmp(e.helper, "ftp") == 0);

	/* labels: up to 1028 bytes, but nothing above bit 127 */
	mb_udp(&mb);
	mb_attr(&mb, 28, zero, 1024);
	CHECK(mb_ct(&mb, &e) == NULL && !(e.flags & CTE_F_LABELS));
	mb_udp(&mb);
	mb_attr(&mb, 28, zero, 1028);
	CHECK(reason_is(mb_ct(&mb, &e), "attribute 28 has length 1032"));
	memset(w, 0, sizeof(w));
	w[19] = 1;			/* word 4, bit 0: label 128 */
	mb_udp(&mb);
	mb_attr(&mb, 28, w, 20);
	CHECK(reason_is(mb_ct(&mb, &e), "label bit above 127"));
	memset(w, 0, sizeof(w));
	w[12] = 0x80;			/* word 3, bit 31: label 127 */
	w[3] = 0x02;			/* word 0, bit 1 */
	mb_udp(&mb);
	mb_attr(&mb, 28, w, 20);
	CHECK(mb_ct(&mb, &e) == NULL && (e.flags & CTE_F_LABELS) &&
	    e.labels[0] == 2 && e.labels[3] == 0x80000000U);
	mb_udp(&mb);
	mb_attr(&mb, 28, w, 6);
	CHECK(reason_is(mb_ct(&mb, &e), "labels not a whole number of words"));

	/* no attribute is mandatory to conntrackd, but we need a key */
	mb.n = 0;
	CHECK(reason_is(mb_ct(&mb, &e), "no address attribute"));
	mb_udp(&mb);
	memcpy(mb.b + 16, "\x00\x00\x00\x00", 4);	/* L4PROTO -> a tail */
	mb.n = 12;
	CHECK(reason_is(mb_ct(&mb, &e), "no L4 protocol attribute"));
	mb.n = 0;
	mb_u8(&mb, 2, IPPROTO_UDP);
	mb_u32(&mb, 6, 30);
	CHECK(reason_is(mb_ct(&mb, &e), "no address attribute"));
	mb_udp(&mb);
	mb_u8(&mb, 10, IPPROTO_TCP);
	CHECK(reason_is(mb_ct(&mb, &e), "master tuple without an address"));

	/* a repeated attribute overwrites; the later address wins */
	mb_udp(&mb);
	mb_u32(&mb, 7, 1);
	mb_u32(&mb, 7, 2);
	CHECK(mb_ct(&mb, &e) == NULL && e.mark == 2);
	mb_attr(&mb, 1, zero, 32);
	CHECK(mb_ct(&mb, &e) == NULL && e.orig.l3 == AF_INET6 &&
	    e.repl.l3 == AF_INET6);

	/* what ct_entry_check refuses, parsing refuses */
	mb_udp(&mb);
	mb.n -= 8;
	mb_u8(&mb, 2, IPPROTO_ICMP);
	mb_u8(&mb, 22, 3);		/* destination unreachable */
	CHECK(reason_is(mb_ct(&mb, &e), "ICMP type without a reply type"));
	mb_udp(&mb);
	mb.n -= 16;
	mb_u8(&mb, 2, IPPROTO_TCP);
	mb_u8(&mb, 4, 10);
	CHECK(reason_is(mb_ct(&mb, &e), "state out of range"));
	mb_udp(&mb);
	mb.n -= 16;
	mb_u8(&mb, 2, IPPROTO_TCP);
	mb_u8(&mb, 4, 3);
	mb_u8(&mb, 25, 15);
	CHECK(reason_is(mb_ct(&mb, &e), "window scale above 14"));

	/* unknown status bits are dropped, as from the kernel */
	mb_udp(&mb);
	status = 0xffffffffU;
	mb_u32(&mb, 5, status);
	CHECK(mb_ct(&mb, &e) == NULL && e.status == CT_STATUS_KNOWN);

	/* attributes that do not apply are ignored */
	mb_udp(&mb);
	mb_u8(&mb, 4, 3);		/* TCP_STATE on UDP */
	mb_u8(&mb, 22, 8);		/* ICMP_TYPE on UDP */
	mb_u32(&mb, 12, 0x09090909);	/* SNAT without SRC_NAT_DONE */
	mb_u32(&mb, 29, 0);		/* SNAT_IPV6 on IPv4 (short) */
	CHECK(reason_is(mb_ct(&mb, &e), "attribute 29 has length 8"));
	mb.n -= 8;
	CHECK(mb_ct(&mb, &e) == NULL && !(e.flags & CTE_F_STATE) &&
	    e.orig.icmp_type == 0 && e.repl.dst[0] == e.orig.src[0]);

	/* expectations need all three tuples */
	mb_udp(&mb);			/* types 0-3: the master */
	CHECK(reason_is(wire_parse_exp(mb.b, mb.n, &x, NULL),
	    "no expected address attribute"));
	mb.n = 0;
	CHECK(reason_is(wire_parse_exp(mb.b, mb.n, &x, NULL),
	    "no master address attribute"));
	mk_ftp_exp(&x);
	mb.n = wire_build_exp(mb.b, sizeof(mb.b), WIRE_EXP_NEW, 0, 1, &x,
	    NULL);
	memmove(mb.b, mb.b + 8, mb.n - 8);
	mb.n -= 8;
	CHECK(wire_parse_exp(mb.b, mb.n, &x, NULL) == NULL);
	mb_attr(&mb, 20, "abcdefghijklmnopqrstuvwxyzA", 28);
	CHECK(wire_parse_exp(mb.b, mb.n, &x, NULL) == NULL &&
	    (x.flags & EXE_F_FN) && strlen(x.fn) == 27);
	mb_attr(&mb, 20, "abcdefghijklmnopqrstuvwxyzAB", 29);
	CHECK(reason_is(wire_parse_exp(mb.b, mb.n, &x, NULL),
	    "attribute 20 has length 33"));
	mb.n -= 36;
	mb_attr(&mb, 19, "abcdefghijkl", 13);
	CHECK(reason_is(wire_parse_exp(mb.b, mb.n, &x, NULL),
	    "attribute 19 has length 17"));
	mb.n -= 20;
	mb_u32(&mb, 18, 2);		/* NAT_DIR 2 */
	CHECK(reason_is(wire_parse_exp(mb.b, mb.n, &x, NULL),
	    "nat direction out of range"));
	mb.n -= 8;
	mb_u32(&mb, 13, 8);		/* unknown expectation flag */
	CHECK(reason_is(wire_parse_exp(mb.b, mb.n, &x, NULL),
	    "unknown expectation flags"));
}

/* options, sizes, and the rules not in any capture */
static void
test_build_rules(void)
{
	struct ct_entry		 e, back;
	struct exp_entry	 x, xback;
	struct wire_opts	 o;
	uint8_t			 buf[WIRE_MSG_MAX];
	size_t			 n;

	/* size: exact fits, one less does not; types of the right kind */
	mk_tcp_canon(&e);
	CHECK(wire_build_ct(buf, 84, WIRE_CT_NEW, 0, 1, &e, NULL) == 84);
	CHECK(wire_build_ct(buf, 83, WIRE_CT_NEW, 0, 1, &e, NULL) == 0);
	CHECK(wire_build_ct(buf, 4, WIRE_CT_NEW, 0, 1, &e, NULL) == 0);
	CHECK(wire_build_ct(buf, sizeof(buf), WIRE_EXP_NEW, 0, 1, &e,
	    NULL) == 0);
	mk_ftp_exp(&x);
	CHECK(wire_build_exp(buf, sizeof(buf), WIRE_CT_DESTROY, 0, 1, &x,
	    NULL) == 0);
	CHECK(wire_build_exp(buf, 123, WIRE_EXP_DESTROY, 0, 1, &x, NULL) == 0);
	CHECK(wire_build_exp(buf, 124, WIRE_EXP_DESTROY, 0, 1, &x, NULL) ==
	    124 && buf[0] == 0x15);

	/* retransmission: new flags and seq in place */
	n = wire_build_ct(buf, sizeof(buf), WIRE_CT_UPDATE, 0, 1, &e, NULL);
	wire_set_seq_flags(buf, WIRE_F_HELLO, 0xa1b2c3d4);
	CHECK(n == 84 && buf[0] == 0x11 && buf[1] == WIRE_F_HELLO &&
	    buf[2] == 0 && buf[3] == 84 && buf[4] == 0xa1 && buf[7] == 0xd4);

	/* CommitTimeout: no TIMEOUT; TCPWindowTracking: window scales */
	e.flags |= CTE_F_WSCALE;
	e.wscale_orig = 7;
	e.wscale_repl = 14;
	o.le16 = 1;
	o.wscale = 0;
	o.no_timeout = 1;
	n = wire_build_ct(buf, sizeof(buf), WIRE_CT_NEW, 0, 1, &e, &o);
	CHECK(n == 76 && !contains(buf, n, "00080006") &&
	    !contains(buf, n, "00050019"));
	o.wscale = 1;
	o.no_timeout = 0;
	n = wire_build_ct(buf, sizeof(buf), WIRE_CT_NEW, 0, 1, &e, &o);
	CHECK(n == 100 && contains(buf, n,
	    "000500040300000000050019070000000005001a0e000000"
	    "0008000600000064"));
	CHECK(wire_parse_ct(buf + 8, n - 8, &back, &o) == NULL &&
	    memcmp(&e, &back, sizeof(e)) == 0);

	/* big-endian peers: ICMP id in network order */
	mk_icmp(&e);
	o.le16 = 0;
	n = wire_build_ct(buf, sizeof(buf), WIRE_CT_NEW, 0, 1, &e, &o);
	CHECK(contains(buf, n, "000600181234"));
	CHECK(wire_parse_ct(buf + 8, n - 8, &back, &o) == NULL &&
	    memcmp(&e, &back, sizeof(e)) == 0);
	CHECK(wire_parse_ct(buf + 8, n - 8, &back, &le_opts) == NULL &&
	    back.orig.sport == htons(0x3412));

	/*
	 * A NATed ICMP flow: the port unions differ, so conntrackd sends
	 * SPAT = the reply's type/code (0, 0) and DPAT = the id; they do
	 * not change our reply, which follows the original.
	 */
	e.status |= IPS_SRC_NAT | IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE;
	v4(e.repl.dst, "9.9.9.9");
	n = wire_build_ct(buf, sizeof(buf), WIRE_CT_NEW, 0, 1, &e, NULL);
	CHECK(contains(buf, n,
	    "0008000c090909090006000e000000000006000f34120000"));
	CHECK(wire_parse_ct(buf + 8, n - 8, &back, NULL) == NULL &&
	    memcmp(&e, &back, sizeof(e)) == 0);

	/* SCTP, DCCP: PORT first, companions only with the state */
	memset(&e, 0, sizeof(e));
	tuple4(&e.orig, IPPROTO_SCTP, "1.1.1.1", "2.2.2.2", 1, 2);
	e.flags = CTE_F_STATE | CTE_F_SCTP_VTAG;
	e.state = 3;
	e.sctp_vtag_orig = 0x11223344;
	e.sctp_vtag_repl = 0x55667788;
	set_inverse(&e);
	n = wire_build_ct(buf, sizeof(buf), WIRE_CT_NEW, 0, 1, &e, NULL);
	CHECK(contains(buf, n, "0005000284000000000800030001000200050011"
	    "03000000000800121122334400080013556677880010001f"));
	CHECK(wire_parse_ct(buf + 8, n - 8, &back, NULL) == NULL &&
	    memcmp(&e, &back, sizeof(e)) == 0);
	memset(&e, 0, sizeof(e));
	tuple4(&e.orig, IPPROTO_DCCP, "1.1.1.1", "2.2.2.2", 1, 2);
	e.flags = CTE_F_STATE | CTE_F_DCCP_ROLE;
	e.state = 2;
	e.dccp_role = 1;
	set_inverse(&e);
	n = wire_build_ct(buf, sizeof(buf), WIRE_CT_NEW, 0, 1, &e, NULL);
	CHECK(contains(buf, n, "0005000221000000" "0008000300010002"
	    "0005001402000000" "0005001501000000" "0010001f"));
	CHECK(wire_parse_ct(buf + 8, n - 8, &back, NULL) == NULL &&
	    memcmp(&e, &back, sizeof(e)) == 0);

	/* GRE, UDP-Lite: no PORT (their ports do not travel) */
	memset(&e, 0, sizeof(e));
	tuple4(&e.orig, IPPROTO_GRE, "1.1.1.1", "2.2.2.2", 0, 0);
	set_inverse(&e);
	n = wire_build_ct(buf, sizeof(buf), WIRE_CT_NEW, 0, 1, &e, NULL);
	CHECK(n == 8 + 12 + 8 + 8 + 16 && !contains(buf, n, "00080003"));

	/*
	 * Master, IPv6 NAT with ports, sequence adjustment, helper,
	 * labels (two words for label 40), synproxy (its first), zone:
	 * rules 6-12 in order.
	 */
	memset(&e, 0, sizeof(e));
	tuple6(&e.orig, IPPROTO_UDP, "2001:db8::1", "2001:db8::2", 5060, 5061);
	tuple4(&e.master, IPPROTO_TCP, "10.0.0.1", "10.0.0.2", 1234, 21);
	e.flags = CTE_F_MASTER | CTE_F_SEQADJ | CTE_F_HELPER | CTE_F_LABELS |
	    CTE_F_SYNPROXY | CTE_F_ZONE;
	e.status = IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE;
	set_inverse(&e);
	v6(e.repl.src, "2001:db8::99");
	v6(e.repl.dst, "2001:db8::98");
	e.repl.sport = htons(7000);
	e.repl.dport = htons(7001);
	e.seqadj[0] = 1;
	e.seqadj[5] = 6;
	snprintf(e.helper, sizeof(e.helper), "%s", "sip");
	e.labels[1] = 1U << 8;
	e.synproxy[0] = 0xa;	/* isn */
	e.synproxy[1] = 0xb;	/* its */
	e.synproxy[2] = 0xc;
	e.zone = 0xfffe;
	n = wire_build_ct(buf, sizeof(buf), WIRE_CT_NEW, 0, 1, &e, NULL);
	CHECK(contains(buf, n, "000c00080a0000010a00000200050"
	    "00a06000000000800" "0b04d20015"));
	CHECK(contains(buf, n,
	    "0014001d" "20010db8000000000000000000000098"
	    "0014001e" "20010db8000000000000000000000099"
	    "0006000e591b00000006000f581b0000"
	    "001c0010000000010000000000000000000000000000000000000006"
	    "0008001b73697000" "000c001c0000000000000100"
	    "0010001f0000000b0000000a0000000c" "00060020fffe0000"));
	CHECK(wire_parse_ct(buf + 8, n - 8, &back, NULL) == NULL &&
	    memcmp(&e, &back, sizeof(e)) == 0);

	/* expectation with NAT, IPv4 then IPv6 (no NAT address there) */
	mk_ftp_exp(&x);
	x.flags |= EXE_F_NAT | EXE_F_FN;
	tuple4(&x.nat, IPPROTO_TCP, "0.0.0.0", "192.168.1.1", 0, 2121);
	x.nat_dir = 1;
	x.expflags = 3;
	snprintf(x.fn, sizeof(x.fn), "%s", "nat-follow-master");
	n = wire_build_exp(buf, sizeof(buf), WIRE_EXP_NEW, 0, 1, &x, NULL);
	CHECK(contains(buf, n, "0008000d00000003" "0008000e00000000"
	    "000c000f00000000c0a80101" "0005001106000000" "0008001000000849"
	    "0008001200000001" "0008001366747000"
	    "00160014" "6e61742d666f6c6c6f772d6d617374657200"));
	CHECK(wire_parse_exp(buf + 8, n - 8, &xback, NULL) == NULL &&
	    memcmp(&x, &xback, sizeof(x)) == 0);
	tuple6(&x.master, IPPROTO_UDP, "2001:db8::1", "2001:db8::2", 1, 2);
	tuple6(&x.tuple, IPPROTO_UDP, "2001:db8::1", "2001:db8::2", 3, 4);
	tuple6(&x.mask, IPPROTO_UDP, "ffff::", "ffff::", 0xffff, 0xffff);
	tuple6(&x.nat, IPPROTO_UDP, "::", "::", 5, 6);
	x.flags &= ~EXE_F_TIMEOUT;
	x.timeout = 0;
	n = wire_build_exp(buf, sizeof(buf), WIRE_EXP_NEW, 0, 1, &x, NULL);
	CHECK(!contains(buf, n, "000c000f") && !contains(buf, n, "0008000c") &&
	    contains(buf, n, "0005001111000000" "0008001000050006"));
	CHECK(wire_parse_exp(buf + 8, n - 8, &xback, NULL) == NULL &&
	    memcmp(&x, &xback, sizeof(x)) == 0);
	/* a master without ports: no port attribute for any tuple */
	x.master.l4 = IPPROTO_GRE;
	x.master.sport = x.master.dport = 0;
	x.tuple.sport = x.tuple.dport = 0;
	x.mask.sport = x.mask.dport = 0;
	x.nat.sport = x.nat.dport = 0;
	n = wire_build_exp(buf, sizeof(buf), WIRE_EXP_NEW, 0, 1, &x, NULL);
	CHECK(!contains(buf, n, "00080003") && !contains(buf, n, "00080007") &&
	    !contains(buf, n, "0008000b") && !contains(buf, n, "00080010"));
	CHECK(wire_parse_exp(buf + 8, n - 8, &xback, NULL) == NULL &&
	    memcmp(&x, &xback, sizeof(x)) == 0);
}

/*
 * (d) Random valid records survive build and parse.  Only what the
 * wire can carry is made random: e.g. no ports for GRE, no zone on
 * expectations, no IPv6 NAT address on expectations.
 */
static uint64_t	rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng >> 32;
}

static uint8_t
rnd_l4(uint8_t l3)
{
	static const uint8_t	l4s[] = {
		IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_DCCP,
		IPPROTO_ICMP, IPPROTO_UDPLITE, IPPROTO_GRE, 0, 99
	};
	uint8_t			l4;

	l4 = l4s[rnd() % sizeof(l4s)];
	if (l4 == IPPROTO_ICMP && l3 == AF_INET6)
		l4 = IPPROTO_ICMPV6;
	return l4;
}

static void
rnd_addrs(struct ct_tuple *t, uint8_t l3)
{
	int	i, n = l3 == AF_INET ? 1 : 4;

	t->l3 = l3;
	for (i = 0; i < n; i++) {
		t->src[i] = rnd();
		t->dst[i] = rnd();
	}
}

static void
rnd_name(char *s, size_t max)
{
	size_t	i, n = 1 + rnd() % max;

	for (i = 0; i < n; i++)
		s[i] = '!' + rnd() % ('~' - '!' + 1);
	s[n] = '\0';
}

static void
rnd_ct_proto(struct ct_entry *e)
{
	int	l4 = e->orig.l4;

	if ((l4 != IPPROTO_TCP && l4 != IPPROTO_SCTP && l4 != IPPROTO_DCCP) ||
	    rnd() % 4 == 0)
		return;
	e->flags |= CTE_F_STATE;
	e->state = rnd() % 10;
	if (l4 == IPPROTO_TCP && rnd() % 2) {
		e->flags |= CTE_F_WSCALE;
		e->wscale_orig = rnd() % 15;
		e->wscale_repl = rnd() % 15;
	}
	if (l4 == IPPROTO_SCTP && rnd() % 2) {
		e->flags |= CTE_F_SCTP_VTAG;
		e->sctp_vtag_orig = rnd();
		e->sctp_vtag_repl = rnd();
	}
	if (l4 == IPPROTO_DCCP && rnd() % 2) {
		e->flags |= CTE_F_DCCP_ROLE;
		e->dccp_role = rnd() % 2;
	}
}

static void
rnd_ct_nat(struct ct_entry *e)
{
	struct ct_tuple	tmp;
	int		ports;

	set_inverse(e);
	ports = !ct_proto_is_icmp(e->orig.l3, e->orig.l4) &&
	    ct_proto_uses_port_fields(e->orig.l4);
	memset(&tmp, 0, sizeof(tmp));
	rnd_addrs(&tmp, e->orig.l3);
	if ((e->status & IPS_SRC_NAT_DONE) && rnd() % 2) {
		memcpy(e->repl.dst, tmp.dst, sizeof(tmp.dst));
		if (ports && rnd() % 2)
			e->repl.dport = rnd();
	}
	if ((e->status & IPS_DST_NAT_DONE) && rnd() % 2) {
		memcpy(e->repl.src, tmp.src, sizeof(tmp.src));
		if (ports && rnd() % 2)
			e->repl.sport = rnd();
	}
}

static void
rnd_ct_extra(struct ct_entry *e)
{
	int	i;

	if (rnd() % 3 == 0) {
		e->flags |= CTE_F_SEQADJ;
		for (i = 0; i < 6; i++)
			e->seqadj[i] = rnd() % 2 ? rnd() : 0;
		e->seqadj[rnd() % 6] |= 1;
	}
	if (rnd() % 3 == 0) {
		e->flags |= CTE_F_SYNPROXY;
		for (i = 0; i < 3; i++)
			e->synproxy[i] = rnd() % 2 ? rnd() : 0;
		e->synproxy[rnd() % 3] |= 0x100;
	}
	if (rnd() % 3 == 0) {
		e->flags |= CTE_F_LABELS;
		for (i = 0; i < CT_LABEL_WORDS; i++)
			e->labels[i] = rnd() % 2 ? rnd() : 0;
		e->labels[rnd() % CT_LABEL_WORDS] |= 1U << (rnd() % 32);
	}
	if (rnd() % 3 == 0) {
		e->flags |= CTE_F_HELPER;
		rnd_name(e->helper, 11);
	}
	if (rnd() % 3 == 0) {
		e->flags |= CTE_F_ZONE;
		e->zone = 1 + rnd() % 0xffff;
	}
}

static void
rnd_ct(struct ct_entry *e)
{
	static const uint8_t	v4types[] = { 0, 8, 13, 14, 15, 16, 17, 18 };
	static const uint8_t	v6types[] = { 128, 129, 139, 140 };
	struct ct_tuple		*t = &e->orig, *m = &e->master;

	memset(e, 0, sizeof(*e));
	rnd_addrs(t, rnd() % 2 ? AF_INET : AF_INET6);
	t->l4 = rnd_l4(t->l3);
	if (ct_proto_is_icmp(t->l3, t->l4)) {
		t->icmp_type = t->l3 == AF_INET ? v4types[rnd() % 8] :
		    v6types[rnd() % 4];
		t->icmp_code = rnd();
		t->sport = rnd();
	} else if (t->l4 == IPPROTO_TCP || t->l4 == IPPROTO_UDP ||
	    t->l4 == IPPROTO_SCTP || t->l4 == IPPROTO_DCCP) {
		t->sport = rnd();
		t->dport = rnd();
	}
	e->status = rnd() & CT_STATUS_KNOWN;
	rnd_ct_nat(e);
	rnd_ct_proto(e);
	if (rnd() % 2) {
		e->flags |= CTE_F_TIMEOUT;
		e->timeout = rnd();
	}
	if (rnd() % 2) {
		e->flags |= CTE_F_MARK;
		e->mark = rnd() % 2 ? rnd() : 0;
	}
	if (rnd() % 3 == 0) {
		e->flags |= CTE_F_MASTER;
		rnd_addrs(m, rnd() % 2 ? AF_INET : AF_INET6);
		m->l4 = rnd_l4(m->l3);
		if (ct_proto_uses_port_fields(m->l4)) {
			m->sport = rnd();
			m->dport = rnd();
		}
	}
	rnd_ct_extra(e);
}

/* the ports an expectation tuple carries when its master has ports */
static void
rnd_exp_l4(struct ct_tuple *t, int ports)
{
	if (!ports)
		return;
	if (ct_proto_is_icmp(t->l3, t->l4)) {
		t->sport = rnd();
		t->icmp_type = rnd();
		t->icmp_code = rnd();
	} else if (ct_proto_uses_port_fields(t->l4)) {
		t->sport = rnd();
		t->dport = rnd();
	}
}

static void
rnd_exp(struct exp_entry *x)
{
	uint8_t	l3 = rnd() % 2 ? AF_INET : AF_INET6;
	int	ports;

	memset(x, 0, sizeof(*x));
	rnd_addrs(&x->master, l3);
	rnd_addrs(&x->tuple, l3);
	rnd_addrs(&x->mask, l3);
	x->master.l4 = rnd_l4(l3);
	x->tuple.l4 = rnd_l4(l3);
	x->mask.l4 = rnd() % 2 ? x->tuple.l4 : rnd_l4(l3);
	ports = x->master.l4 == IPPROTO_TCP || x->master.l4 == IPPROTO_UDP ||
	    x->master.l4 == IPPROTO_SCTP || x->master.l4 == IPPROTO_DCCP;
	rnd_exp_l4(&x->master, ports);
	rnd_exp_l4(&x->tuple, ports);
	rnd_exp_l4(&x->mask, ports);
	if (rnd() % 3 == 0) {
		x->flags |= EXE_F_NAT;
		x->nat.l3 = l3;
		if (l3 == AF_INET)
			rnd_addrs(&x->nat, l3);
		x->nat.l4 = rnd_l4(l3);
		rnd_exp_l4(&x->nat, ports);
		x->nat_dir = rnd() % 2;
	}
	if (rnd() % 2) {
		x->flags |= EXE_F_TIMEOUT;
		x->timeout = rnd();
	}
	x->expflags = rnd() % 8;
	if (rnd() % 2) {
		x->flags |= EXE_F_CLASS;
		x->class = rnd() % 2 ? rnd() : 0;
	}
	if (rnd() % 2) {
		x->flags |= EXE_F_HELPER;
		rnd_name(x->helper, 11);
	}
	if (rnd() % 2) {
		x->flags |= EXE_F_FN;
		rnd_name(x->fn, 27);
	}
}

static void
test_random(void)
{
	struct ct_entry		 e, back;
	struct exp_entry	 x, xback;
	struct wire_opts	 o;
	struct wire_msg		 m;
	uint8_t			 buf[WIRE_MSG_MAX];
	size_t			 n;
	int			 i, bad_ct = 0, bad_exp = 0, invalid = 0;

	for (i = 0; i < RANDOM_ROUNDS; i++) {
		o.le16 = rnd() % 2;
		o.wscale = 1;
		o.no_timeout = 0;
		rnd_ct(&e);
		if (ct_entry_check(&e) != NULL)
			invalid++;
		n = wire_build_ct(buf, sizeof(buf), rnd() % 3, rnd() & 0x60,
		    rnd(), &e, &o);
		if (n == 0 || n % 4 != 0 || wire_next(buf, n, &m) != WIRE_OK ||
		    m.len != n || !wire_is_data(&m) ||
		    wire_parse_ct(m.payload, m.plen, &back, &o) != NULL ||
		    memcmp(&e, &back, sizeof(e)) != 0)
			bad_ct++;

		rnd_exp(&x);
		if (exp_entry_check(&x) != NULL)
			invalid++;
		n = wire_build_exp(buf, sizeof(buf), 3 + rnd() % 3, 0, rnd(),
		    &x, &o);
		if (n == 0 || n % 4 != 0 || wire_next(buf, n, &m) != WIRE_OK ||
		    m.len != n ||
		    wire_parse_exp(m.payload, m.plen, &xback, &o) != NULL ||
		    memcmp(&x, &xback, sizeof(x)) != 0)
			bad_exp++;
	}
	CHECK(invalid == 0);
	CHECK(bad_ct == 0);
	CHECK(bad_exp == 0);
	if (invalid || bad_ct || bad_exp)
		fprintf(stderr, "random: %d invalid, %d ct, %d exp failed\n",
		    invalid, bad_ct, bad_exp);
}

int
main(void)
{
	test_canonical();
	test_captures();
	test_capture_records();
	test_walk_errors();
	test_attr_errors();
	test_build_rules();
	test_random();
	printf("test_wire: %d checks, %d failed\n", nchecks, nfailed);
	return (nfailed == 0 ? 0 : 1);
}
