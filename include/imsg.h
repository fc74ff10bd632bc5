/*
 * imsg-style framing for ctsyncd: typed, length-checked messages over a
 * stream socket (socketpair between processes, or the control socket).
 * Our own implementation of the documented OpenBSD imsg semantics.
 */
#ifndef CTSYNCD_IMSG_H
#define CTSYNCD_IMSG_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <stddef.h>
#include <stdint.h>

/*
 * Wire header, native endian (both ends are one build on one host).
 * len counts header + payload; its top bit says an fd travels with the
 * message (in SCM_RIGHTS of the same sendmsg).
 */
struct imsg_hdr {
	uint32_t	type;
	uint32_t	len;
	uint32_t	peerid;
	uint32_t	pid;
};

#define IMSG_HEADER_SIZE	((uint32_t)sizeof(struct imsg_hdr))
#define IMSG_FD_MARK		0x80000000U
#define IMSG_LEN_MASK		0x7fffffffU
#define IMSG_DEFAULT_MAXSIZE	16384U		/* header included */
#define IMSG_MAXSIZE_LIMIT	(1U << 24)	/* hard cap for any channel */
#define IMSG_READ_CHUNK		65536U
#define IMSG_MAX_QUEUED_FDS	16

/* One queued outgoing message. */
struct ibuf {
	TAILQ_ENTRY(ibuf)	 entry;
	uint8_t			*buf;
	size_t			 size;	/* allocated */
	size_t			 wpos;	/* bytes filled */
	size_t			 rpos;	/* bytes already written out / read */
	int			 fd;	/* fd to pass with this message, or -1 */
};

TAILQ_HEAD(ibuf_queue, ibuf);

struct imsgbuf {
	int			 fd;
	pid_t			 pid;		/* ours, put in headers */
	uint32_t		 maxsize;	/* max message size, hdr incl. */
	int			 flags;
#define IMSGBUF_FDPASS		0x01
	/* read side */
	uint8_t			*rbuf;
	size_t			 rsize;		/* allocated */
	size_t			 rpos;		/* offset of first unread byte */
	size_t			 rlen;		/* bytes buffered (from rpos) */
	int			 rfds[IMSG_MAX_QUEUED_FDS];
	int			 nrfds;
	/* write side */
	struct ibuf_queue	 wq;
	uint32_t		 wq_count;	/* messages queued */
	/* flow control (message counts; 0 = off) */
	uint32_t		 high_mark;
	uint32_t		 low_mark;
	int			 throttled;	/* we told the producer XOFF */
};

/* A received message: owns a private copy of the payload. */
struct imsg {
	struct imsg_hdr		 hdr;
	int			 fd;
	uint8_t			*data;
	size_t			 datalen;
};

/* Read cursor over a received payload, for count-prefixed batches. */
struct imsg_cursor {
	const uint8_t		*p;
	size_t			 left;
};

int	 imsgbuf_init(struct imsgbuf *, int);
/* once per process: slots of slot bytes for large messages, total bytes */
int	 imsg_pool_init(size_t, size_t);
void	 imsgbuf_allow_fdpass(struct imsgbuf *);
int	 imsgbuf_set_maxsize(struct imsgbuf *, uint32_t);
void	 imsgbuf_clear(struct imsgbuf *);
int	 imsgbuf_read(struct imsgbuf *);
int	 imsgbuf_write(struct imsgbuf *);
int	 imsgbuf_flush(struct imsgbuf *);
uint32_t imsgbuf_queuelen(const struct imsgbuf *);
int	 imsgbuf_get(struct imsgbuf *, struct imsg *);

/* flow control hooks */
void	 imsgbuf_set_watermarks(struct imsgbuf *, uint32_t, uint32_t);
int	 imsgbuf_flowctl(struct imsgbuf *);
#define IMSGBUF_FLOW_NONE	0
#define IMSGBUF_FLOW_XOFF	1	/* crossed high mark: tell producer XOFF */
#define IMSGBUF_FLOW_XON	2	/* fell below low mark: tell producer XON */

int	 imsg_compose(struct imsgbuf *, uint32_t, uint32_t, pid_t, int,
	    const void *, size_t);
int	 imsg_composev(struct imsgbuf *, uint32_t, uint32_t, pid_t, int,
	    const struct iovec *, int);

uint32_t imsg_get_type(const struct imsg *);
uint32_t imsg_get_id(const struct imsg *);
pid_t	 imsg_get_pid(const struct imsg *);
size_t	 imsg_get_len(const struct imsg *);
int	 imsg_get_fd(struct imsg *);
int	 imsg_get_data(const struct imsg *, void *, size_t);
void	 imsg_free(struct imsg *);

void	 imsg_cursor_init(struct imsg_cursor *, const struct imsg *);
int	 imsg_cursor_get(struct imsg_cursor *, void *, size_t);
int	 imsg_cursor_get_u32(struct imsg_cursor *, uint32_t *);
int	 imsg_cursor_get_string(struct imsg_cursor *, char *, size_t);
int	 imsg_cursor_end(const struct imsg_cursor *);

#endif
