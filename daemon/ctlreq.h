/*
 * Control requests as the monitor takes them from a client: decoding,
 * checking and routing, with no socket and no state.  control.c acts on
 * the answers; the fuzzer (tests/fuzz/fuzz_ctl.c) checks them.
 */
#ifndef CTSYNCD_CTLREQ_H
#define CTSYNCD_CTLREQ_H

#include <stdint.h>

struct ctl_request;
struct imsg;

/* the client's one message: IMSG_CTL_REQUEST of the exact size; 0 or -1 */
int		 ctlreq_decode(const struct imsg *, struct ctl_request *);

/* CTL_RES_OK, CTL_RES_VERSION, or CTL_RES_BADREQ (op, arg or flags) */
int		 ctlreq_check(const struct ctl_request *);

/* what a member of the socket group (not AdminGroup) may ask */
int		 ctlreq_readonly(uint32_t);

/*
 * Which process does the work of a checked request: PROC_SYNC,
 * PROC_KERNEL, or 0 when the monitor answers it itself; and the message
 * type that carries it there.
 */
int		 ctlreq_owner(const struct ctl_request *);
uint32_t	 ctlreq_relay_type(const struct ctl_request *, int);

/* for log lines and answers; "unknown" out of range */
const char	*ctlreq_op_name(uint32_t);
const char	*ctlreq_stats_name(uint32_t);

#endif
