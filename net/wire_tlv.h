/*
 * Internals shared by the wire codec files: byte order helpers, the
 * TLV writer and the attribute collector.
 */
#ifndef CTSYNCD_WIRE_TLV_H
#define CTSYNCD_WIRE_TLV_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define WIRE_ATTR_HDR		4
#define WIRE_ATTR_SLOTS		33	/* conntrack types 0-32, exp 0-20 */

/* status bits the NAT attributes depend on (IPS_*_NAT_DONE) */
#define WIRE_IPS_SRC_NAT_DONE	0x0080
#define WIRE_IPS_DST_NAT_DONE	0x0100

/* a message being built */
struct wire_out {
	uint8_t		*buf;
	size_t		 size;
	size_t		 len;
	int		 full;		/* an attribute did not fit */
};

/* allowed total attribute lengths (header included) per type */
struct wire_rule {
	uint16_t	 min;
	uint16_t	 max;
};

/* the last occurrence of each attribute type in a message */
struct wire_attrs {
	const uint8_t	*val[WIRE_ATTR_SLOTS];
	uint16_t	 len[WIRE_ATTR_SLOTS];	/* payload bytes */
	unsigned int	 pos[WIRE_ATTR_SLOTS];	/* 0 absent, else order */
};

uint16_t	 wire_get16(const uint8_t *);
uint32_t	 wire_get32(const uint8_t *);
void		 wire_put16(uint8_t *, uint16_t);
void		 wire_put32(uint8_t *, uint32_t);
uint16_t	 wire_get_hs16(const uint8_t *, const struct wire_opts *);
void		 wire_put_hs16(uint8_t *, uint16_t, const struct wire_opts *);
const struct wire_opts *wire_opts_or_default(const struct wire_opts *);
const char	*wire_reason(const char *, unsigned int, unsigned int);

void		 wire_out_init(struct wire_out *, uint8_t *, size_t);
void		 wire_out_attr(struct wire_out *, uint16_t, const void *,
		    size_t);
void		 wire_out_u8(struct wire_out *, uint16_t, uint8_t);
void		 wire_out_u32(struct wire_out *, uint16_t, uint32_t);
void		 wire_out_str(struct wire_out *, uint16_t, const char *);
size_t		 wire_out_finish(struct wire_out *, uint8_t, uint8_t,
		    uint32_t);

const char	*wire_attrs_collect(struct wire_attrs *, const uint8_t *,
		    size_t, const struct wire_rule *, size_t);
int		 wire_has(const struct wire_attrs *, int);
uint8_t		 wire_attr_u8(const struct wire_attrs *, int);
uint32_t	 wire_attr_u32(const struct wire_attrs *, int);
int		 wire_attr_str(char *, size_t, const struct wire_attrs *, int,
		    size_t);

int		 wire_l4_has_port(uint8_t);
uint16_t	 wire_l4src(const struct ct_tuple *);
uint16_t	 wire_l4dst(const struct ct_tuple *);
void		 wire_set_l4(struct ct_tuple *, const uint8_t *);
void		 wire_out_port(struct wire_out *, uint16_t,
		    const struct ct_tuple *);
void		 wire_out_addrs(struct wire_out *, uint16_t, uint16_t,
		    const struct ct_tuple *);
int		 wire_get_addrs(struct ct_tuple *, const struct wire_attrs *,
		    int, int);

#endif
