/*
 * Inside the link layer: what link.c (common ground and datagrams) and
 * link_tcp.c (streams) share.  Nothing outside net/link*.c includes it.
 */
#ifndef CTSYNCD_LINK_PRIV_H
#define CTSYNCD_LINK_PRIV_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ctsyncd.h"
#include "link.h"

struct link_tcp;

#define LINK_TX_BATCH	16		/* datagrams per send (UDP), and
					   per segmented send (at most 64) */

struct link {
	int			 used;
	int			 kind;		/* enum conf_link_kind */
	int			 rfd;		/* datagrams in */
	int			 sfd;		/* datagrams out */
	uint32_t		 mtu;
	uint32_t		 ifindex;
	uint32_t		 ifflags;	/* IFF_UP, IFF_RUNNING */
	struct sockaddr_storage	 dest;
	socklen_t		 destlen;
	uint8_t			*tx;		/* datagram being filled */
	size_t			 txlen;
	size_t			 txmax;
	uint8_t			*txbuf;		/* datagrams: slots of txmax */
	size_t			 txq_len[LINK_TX_BATCH]; /* waiting ones */
	int			 txq_n;		/* tx is slot txq_n */
	int			 blocked;	/* tx full, cannot go out yet */
	int			 gso;		/* runs go out as one send */
	uint32_t		 iphdr;		/* IP header bytes, no options */
	struct link_counters	 cnt;
	struct link_tcp		*tcp;		/* TCP links only */
};

/* link.c, for link_tcp.c */
int	 link_index(const struct link *);
void	 link_deliver(struct link *, const uint8_t *, size_t,
	    const struct sockaddr_storage *);
void	 link_room(struct link *);

/* link_tcp.c */
void	 tcp_recv_fd(struct link *, const struct sync_link *, int);
void	 tcp_init(struct link *, const struct conf_link *, uint32_t);
int	 tcp_send(struct link *);
void	 tcp_handover(struct link *, struct link *);
void	 tcp_connected(const struct link *, int *, int *);
int64_t	 tcp_next_timer(const struct link *);
void	 tcp_timer(struct link *, int64_t);

#endif
