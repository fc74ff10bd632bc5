/*
 * libFuzzer target for the control socket's request parser: the input
 * is the byte stream a client (any member of the socket's group) writes
 * to /var/run/ctsyncd.sock.  It goes through the same framing as in
 * control.c (imsgbuf on a stream socket, MAX_IMSGSIZE_CTL), and the
 * first complete message through ctlreq.c's decoding, checking and
 * routing, as control_request() does.
 *
 * Invariants (abort on violation):
 * - a decoded request is an IMSG_CTL_REQUEST of exactly its size;
 * - a checked one has a known op, an argument in range for it and
 *   known flags, and names for both (log lines and answers use them);
 * - read-only access never reaches anything but a read: no write
 *   request is relayed for it;
 * - whatever the monitor relays, the receiving child's direction table
 *   accepts from the monitor, and the child's own checks (sync_op(),
 *   which is fatal, kop_request()) accept too;
 * - the framing never leaves a descriptor open.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctlreq.h"
#include "ctsyncd.h"
#include "imsg.h"
#include "privsep.h"

#define FUZZ_STREAM_MAX	(64 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* what the child at the other end makes of a relayed request */
static void
check_child(int owner, uint32_t type, const struct ctl_request *req)
{
	struct imsg	m;

	memset(&m, 0, sizeof(m));
	m.hdr.type = type;
	m.fd = -1;
	if (type == IMSG_SYNC_OP_REQ || type == IMSG_KERNEL_OP_REQ) {
		m.data = (uint8_t *)(uintptr_t)req;
		m.datalen = sizeof(*req);
	}
	m.hdr.len = IMSG_HEADER_SIZE + (uint32_t)m.datalen;
	if (channel_check(owner, PROC_MONITOR, &m) == -1)
		abort();
	/* sync_op(): fatalx on this */
	if (type == IMSG_SYNC_OP_REQ && req->arg >= (req->op == CTL_OP_STATS ?
	    CTL_STATS_MAX_ : CTL_TABLE_MAX_))
		abort();
	/* kop_request(): refused as malformed, or as not its operation */
	if (type == IMSG_KERNEL_OP_REQ && (req->arg >= CTL_TABLE_MAX_ ||
	    (req->op != CTL_OP_FLUSH_KERNEL && req->op != CTL_OP_RESET_TIMERS)))
		abort();
}

/* A read-only client may read: statistics, status, cache dumps. */
static void
check_readonly(const struct ctl_request *req, uint32_t type)
{
	switch (type) {
	case IMSG_SYNC_STATUS_REQ:
	case IMSG_KERNEL_STATS_REQ:
		return;
	case IMSG_SYNC_OP_REQ:
		if (req->op == CTL_OP_STATS ||
		    req->op == CTL_OP_DUMP_INTERNAL ||
		    req->op == CTL_OP_DUMP_EXTERNAL)
			return;
		break;
	}
	abort();
}

/* control_request() and control_dispatch_request(), less the socket */
static void
check_request(const struct imsg *m)
{
	struct ctl_request	req;
	uint32_t		type;
	int			owner;

	if (ctlreq_decode(m, &req) == -1)
		return;
	if (imsg_get_type(m) != IMSG_CTL_REQUEST ||
	    imsg_get_len(m) != sizeof(req) ||
	    memcmp(&req, m->data, sizeof(req)) != 0)
		abort();
	switch (ctlreq_check(&req)) {
	case CTL_RES_OK:
		break;
	case CTL_RES_VERSION:
		if (req.version == CTL_PROTO_VERSION)
			abort();
		return;
	case CTL_RES_BADREQ:
		return;
	default:
		abort();
	}
	if (req.version != CTL_PROTO_VERSION || req.op == CTL_OP_NONE ||
	    req.op >= CTL_OP_MAX_ ||
	    (req.flags & ~(CTL_FLAG_XML | CTL_FLAG_JSON)) != 0 ||
	    strcmp(ctlreq_op_name(req.op), "unknown") == 0 ||
	    (req.op == CTL_OP_STATS &&
	    strcmp(ctlreq_stats_name(req.arg), "unknown") == 0))
		abort();
	/* answered by the monitor itself */
	if (req.op == CTL_OP_KILL ||
	    (req.op == CTL_OP_STATS && req.arg == CTL_STATS_PROCESS))
		return;
	if ((owner = ctlreq_owner(&req)) == 0)
		return;		/* "not implemented", by name */
	if (owner != PROC_SYNC && owner != PROC_KERNEL)
		abort();
	type = ctlreq_relay_type(&req, owner);
	check_child(owner, type, &req);
	if (ctlreq_readonly(req.op))
		check_readonly(&req, type);
}

/* one read, then at most one message: control_conn_io() */
static int
step(struct imsgbuf *ib)
{
	struct imsg	m;
	int		n;

	if ((n = imsgbuf_read(ib)) <= 0)
		return -1;	/* closed, or failed: the client is dropped */
	if ((n = imsgbuf_get(ib, &m)) == -1)
		return -1;	/* garbage */
	if (n == 0)
		return 0;	/* wait for more */
	check_request(&m);
	imsg_free(&m);
	return -1;	/* the request is answered; the rest is ignored */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imsgbuf	ib;
	size_t		off = 0;
	ssize_t		n;
	int		sv[2], done = 0;

	if (size > FUZZ_STREAM_MAX)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, sv) == -1)
		abort();
	if (imsgbuf_init(&ib, sv[1]) == -1 ||
	    imsgbuf_set_maxsize(&ib, MAX_IMSGSIZE_CTL) == -1)
		abort();
	while (off < size && !done) {
		n = send(sv[0], data + off, size - off, MSG_NOSIGNAL);
		if (n == -1 && errno != EAGAIN)
			abort();
		if (n > 0)
			off += (size_t)n;
		done = step(&ib) == -1;
	}
	shutdown(sv[0], SHUT_WR);
	while (!done)
		done = step(&ib) == -1;
	imsgbuf_clear(&ib);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
