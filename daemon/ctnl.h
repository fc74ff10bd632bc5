/*
 * ctnetlink sockets of the kernel process: the event listener, the dump
 * socket and the command socket (commit, flush, timer updates) whose
 * port id marks the events we caused ourselves.
 */
#ifndef CTSYNCD_CTNL_H
#define CTSYNCD_CTNL_H

#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;

struct ctnl {
	struct mnl_socket	*nl;
	int			 fd;
	uint32_t		 portid;
	uint32_t		 seq;
	uint32_t		 rcvbuf;	/* current size, bytes */
};

/* callback for one message of a dump or an event burst */
typedef void (*ctnl_msg_cb)(const struct nlmsghdr *, void *);
/* callback for one ACK of a batch: index in the batch, 0 or errno */
typedef void (*ctnl_ack_cb)(uint32_t, int, void *);

int	ctnl_open(struct ctnl *, uint32_t, uint32_t);
void	ctnl_close(struct ctnl *);
int	ctnl_set_rcvbuf(struct ctnl *, uint32_t);
int	ctnl_rcv_fill(struct ctnl *);
int	ctnl_groups(struct ctnl *, uint32_t, int);
int	ctnl_read(struct ctnl *, void *, size_t, ctnl_msg_cb, void *, int *);
int	ctnl_read_many(struct ctnl *, ctnl_msg_cb, void *);
struct nlmsghdr *ctnl_put_header(void *, uint16_t, uint16_t, uint8_t, uint32_t);
int	ctnl_transact(struct ctnl *, void *, size_t, uint32_t, uint32_t,
	    ctnl_ack_cb, void *);
int	ctnl_dump_start(struct ctnl *, uint16_t);

#endif
