/*
 * Sync links, sync side: the sockets the monitor opened for us, a
 * datagram being filled per link (as many whole messages as fit in
 * MTU - 28 bytes, MTU - 40 for TCP, as conntrackd does), and reception.
 * Only the current link transmits; every link receives, and a valid
 * message arriving on a link makes it current, so peers converge on one
 * link.  TCP links connect to the peer themselves and keep what they
 * cannot send yet on an error queue (ErrorQueueLength buffers).
 */
#ifndef CTSYNCD_LINK_H
#define CTSYNCD_LINK_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ctsyncd.h"

/* Per-link counters, as conntrackd's -s link lines. */
struct link_counters {
	uint64_t	bytes_sent;
	uint64_t	bytes_recv;
	uint64_t	pkts_sent;
	uint64_t	pkts_recv;
	uint64_t	err_send;
	uint64_t	err_recv;
};

/* rx: one datagram, or one whole message of a TCP stream */
typedef void (*link_rx_cb)(int, const uint8_t *, size_t,
    const struct sockaddr_storage *);
/* room: the current link can take messages again */
typedef void (*link_room_cb)(void);

void	 link_recv_fd(const struct sync_link *, int);
void	 link_init(const struct conf_sync *, uint32_t, link_rx_cb,
	    link_room_cb);
int	 link_count(void);
int	 link_current(void);
void	 link_make_current(int);
void	 link_state(uint32_t, uint32_t);
uint32_t link_ifflags(int);
int	 link_append(const uint8_t *, size_t);
int	 link_flush(void);
int	 link_busy(void);
size_t	 link_payload_max(void);
const struct link_counters *link_counters(int);
int	 link_connected(int, int *, int *);
int64_t	 link_next_timer(void);
void	 link_timer(int64_t);

#endif
