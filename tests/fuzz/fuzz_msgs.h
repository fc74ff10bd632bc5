/*
 * Input layout shared by fuzz_kimsg, fuzz_simsg and their seed
 * generator (mkcorpus.c):
 *   byte 0   the message type, an index into the target's table below
 *            (modulo its size): what the sending process could emit,
 *            including types the direction table refuses
 *   byte 1   the configuration, FUZZ_CONF_* bits
 *   rest     the imsg payload
 */
#ifndef CTSYNCD_FUZZ_MSGS_H
#define CTSYNCD_FUZZ_MSGS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctsyncd.h"
#include "imsg.h"

#define FUZZ_HEAD_LEN		2
#define FUZZ_CONF_EXPECT	0x01	/* ExpectationSync on */
#define FUZZ_CONF_INJECT	0x02	/* DisableExternalCache on */

/* sync -> kernel */
static const uint32_t fuzz_kimsg_types[] = {
	IMSG_KERNEL_DUMP_REQ, IMSG_KERNEL_COMMIT_CT, IMSG_KERNEL_COMMIT_EXP,
	IMSG_KERNEL_INJECT_CT, IMSG_KERNEL_INJECT_EXP, IMSG_XOFF, IMSG_XON,
	IMSG_KERNEL_COMMIT_BEGIN,
	/* refused by the direction table */
	IMSG_KERNEL_CT_EVENTS, IMSG_KERNEL_OP_REQ, IMSG_SHUTDOWN,
};

/* kernel -> sync */
static const uint32_t fuzz_simsg_types[] = {
	IMSG_KERNEL_CT_EVENTS, IMSG_KERNEL_EXP_EVENTS, IMSG_KERNEL_DUMP_END,
	IMSG_KERNEL_COMMIT_ACK, IMSG_KERNEL_FLUSHED, IMSG_KERNEL_OVERRUN,
	IMSG_XOFF, IMSG_XON,
	/* refused by the direction table */
	IMSG_KERNEL_COMMIT_CT, IMSG_KERNEL_DUMP_REQ, IMSG_SYNC_OP_REQ,
};

#define FUZZ_NTYPES(t)		(sizeof(t) / sizeof((t)[0]))

/* as imsgbuf_get() hands a message to dispatch: a private payload copy */
static inline void
fake_imsg(struct imsg *m, uint32_t type, const uint8_t *p, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->hdr.type = type;
	m->hdr.len = IMSG_HEADER_SIZE + (uint32_t)len;
	m->fd = -1;
	m->datalen = len;
	if (len > 0) {
		if ((m->data = malloc(len)) == NULL)
			abort();
		memcpy(m->data, p, len);
	}
}

#endif
