/*
 * The conntrackd 1.4.7 sync wire codec (conntrackd-spec.md §4.2-§4.8):
 * message headers, control messages, and the conntrack and expectation
 * TLV payloads, to and from the fixed-layout records of ctentry.h.
 * Depends on libc and ctentry.c only; no state, no allocation.
 */
#ifndef CTSYNCD_WIRE_H
#define CTSYNCD_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "ctentry.h"

#define WIRE_VERSION		1
#define WIRE_HDR_LEN		8
#define WIRE_CTL_LEN		16
#define WIRE_MSG_MAX		4096	/* largest message we build */

enum wire_type {
	WIRE_CT_NEW = 0,
	WIRE_CT_UPDATE,
	WIRE_CT_DESTROY,
	WIRE_EXP_NEW,
	WIRE_EXP_UPDATE,
	WIRE_EXP_DESTROY,
	WIRE_CTL = 10
};

/* header flags; bit 0 is never set */
#define WIRE_F_RESYNC		0x02
#define WIRE_F_NACK		0x04
#define WIRE_F_ACK		0x08
#define WIRE_F_ALIVE		0x10
#define WIRE_F_HELLO		0x20
#define WIRE_F_HELLO_BACK	0x40

/* one message found in a datagram */
struct wire_msg {
	uint8_t		 version, type, flags;
	uint16_t	 len;		/* whole message, header included */
	uint32_t	 seq;
	uint32_t	 from, to;	/* ACK/NACK/RESYNC (16-byte form) only */
	const uint8_t	*payload;	/* the bytes after the 8-byte header */
	size_t		 plen;
};

enum wire_err {
	WIRE_OK = 0,
	WIRE_E_TRUNCATED,
	WIRE_E_BAD_SIZE,
	WIRE_E_VERSION,
	WIRE_E_TYPE
};

/*
 * What the peers agreed on.  A NULL options pointer means the defaults:
 * le16 1, wscale 0, no_timeout 0.
 */
struct wire_opts {
	uint8_t	le16;		/* ICMP_ID/SPAT/DPAT little-endian on the
				   wire (1: x86/ARM peers); 0: big-endian */
	uint8_t	wscale;		/* TCPWindowTracking: emit TCP_WSCALE_* */
	uint8_t	no_timeout;	/* CommitTimeout set: omit TIMEOUT */
};

/*
 * One step of a datagram or stream walk (§4.6 steps 1-5, 7) over
 * buf[0..left).  WIRE_OK: m filled, consume m->len bytes.
 * WIRE_E_VERSION, WIRE_E_TYPE: m filled (m->len valid): skip the
 * message and go on.  WIRE_E_TRUNCATED (fewer than 8 bytes) and
 * WIRE_E_BAD_SIZE (length 0, beyond left, or below the 8/16-byte
 * minimum of its kind): stop; a stream keeps the tail for later.
 * Never reads past buf + left.
 */
int		 wire_next(const uint8_t *, size_t, struct wire_msg *);
/* type <= 5 and no flag other than HELLO/HELLO_BACK */
int		 wire_is_data(const struct wire_msg *);

/*
 * Parse the TLVs of a data message into a record that passes
 * ct_entry_check()/exp_entry_check().  NULL on success, else a short
 * reason, valid until the next call.  The whole message is refused on
 * any malformed attribute (§4.3).  The reply tuple, not on the wire, is
 * rebuilt from the original and the NAT attributes (CTE_F_REPL set).
 * Attributes that do not apply to the entry's protocol, family or NAT
 * status are ignored, as a conntrackd receiver effectively does.
 */
const char	*wire_parse_ct(const uint8_t *, size_t, struct ct_entry *,
		    const struct wire_opts *);
const char	*wire_parse_exp(const uint8_t *, size_t, struct exp_entry *,
		    const struct wire_opts *);

/*
 * Build one whole message (header and TLVs, in conntrackd's order) into
 * buf; return its length, a multiple of 4, or 0 if it does not fit in
 * size or the type is not one of the record's kind.
 */
size_t		 wire_build_ct(uint8_t *, size_t, uint8_t, uint8_t, uint32_t,
		    const struct ct_entry *, const struct wire_opts *);
size_t		 wire_build_exp(uint8_t *, size_t, uint8_t, uint8_t, uint32_t,
		    const struct exp_entry *, const struct wire_opts *);
/* 16 bytes (from, to) with RESYNC, ACK or NACK in flags, else 8 */
size_t		 wire_build_ctl(uint8_t *, size_t, uint8_t, uint32_t, uint32_t,
		    uint32_t);
/* new flags and seq on a built message: a retransmission is renumbered */
void		 wire_set_seq_flags(uint8_t *, uint8_t, uint32_t);

#endif
