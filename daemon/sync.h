/*
 * Internals of the sync process: sync.c (life, dispatch, status),
 * intcache.c (the internal cache fed by kernel events and dumps),
 * scommit.c (streaming the external cache to the kernel) and ctldump.c
 * (cache dumps to ctsyncctl, paced by the client).
 */
#ifndef CTSYNCD_SYNC_H
#define CTSYNCD_SYNC_H

#include <stdint.h>

#include "cache.h"
#include "config.h"
#include "ctsyncd.h"
#include "imsg.h"

struct sockaddr_storage;

#define SYNC_BATCH_MAX	COMMIT_BATCH_MAX	/* records per commit imsg */

struct sync_state {
	const struct ctsyncd_conf *conf;
	struct cache	*int_ct, *int_exp;	/* local kernel state */
	struct cache	*ext_ct, *ext_exp;	/* state received from peers */
	int64_t		 start_ms;
	struct sync_stats stats;
	uint64_t	 overruns;
	int		 startup_done;
	int64_t		 overrun_resync_at;	/* -1: none scheduled */
	struct sync_net_stats net;
};

struct wire_msg;

/* what a mode's receive logic makes of a message */
enum rx_verdict {
	RX_DATA = 0,		/* apply to the external cache */
	RX_CTL,			/* handled */
	RX_DROP,		/* ignored (old, duplicate, mode says so) */
	RX_BAD,			/* malformed header for this mode */
};

/*
 * A sync mode: FTFW, NOTRACK or ALARM.  txq.c asks it which flags to
 * put on a message and whether the window allows one more, and tells it
 * what went out; smode.c hands it every received message.
 */
struct smode {
	const char	*name;
	uint8_t		(*tx_flags)(int);
	void		(*tx_done)(int);
	void		(*sent)(struct txnode *, uint32_t);
	int		(*can_send)(void);
	int		(*rx)(int, const struct wire_msg *,
			    const struct sockaddr_storage *);
	void		(*timer)(int64_t);
	int64_t		(*next_timer)(void);
	void		(*idle_rearm)(void);
};

extern const struct smode	*smode;
extern const struct smode	 smode_ftfw, smode_notrack, smode_alarm;

extern struct sync_state	sy;

/* sync.c */
uint32_t	sync_now(void);
int		sync_replicating(void);
void		sync_cache_full(struct cache *);
void		sync_schedule(void);
void		sync_fill_figures(struct cache_figures *, struct cache *);

/* intcache.c */
void	intcache_init(void);
void	intcache_startup(void);
void	intcache_events_ct(struct imsg *);
void	intcache_events_exp(struct imsg *);
void	intcache_dump_end(struct imsg *);
void	intcache_overrun(void);
void	intcache_flushed(struct imsg *);
int	intcache_resync(uint32_t, uint32_t);
int	intcache_bypass(void);
void	intcache_bulk_dump(void);
void	intcache_commit_done(void);
void	intcache_committed(uint32_t, const void *);
void	intcache_flush(int);
void	intcache_timer(int64_t);
int64_t	intcache_next_timer(void);

/* txq.c */
void	txq_init(void);
void	txq_obj(struct cache_obj *, int);
void	txq_ctl(uint8_t, uint32_t, uint32_t);
void	txq_forget(struct cache_obj *);
void	txq_bypass(const void *, int, int);
void	txq_release(struct txnode *);
void	txq_run(void);
int	txq_pending(void);
void	rsq_add(struct txnode *, uint32_t);
void	rsq_ack(uint32_t, uint32_t, uint32_t, uint32_t);
uint64_t rsq_recheck(uint32_t);
void	rsq_forget_peer(uint32_t);
void	rsq_nack(uint32_t, uint32_t);
void	rsq_restart(void);
void	rsq_walk(void (*)(uint32_t, int, uint8_t, void *), void *);

/* ftfw.c */
void	ftfw_init(void);
uint32_t ftfw_live_peers(void);
int	ftfw_knows(const struct sockaddr_storage *);

/* smode.c */
void	smode_init(void);
void	smode_rx(int, const uint8_t *, size_t, const struct sockaddr_storage *);
void	smode_bulk(void);
int	smode_bulk_pending(void);
uint32_t smode_bulk_feed(uint32_t);
void	smode_startup_done(void);
void	smode_request_resync(void);
int	smode_track_seq(uint32_t);
void	smode_timer(int64_t);
int64_t	smode_next_timer(void);

/* extcache.c */
void	extcache_apply(const struct wire_msg *);
int	extcache_check(const struct wire_msg *);
void	extcache_flush(void);
void	extcache_prefetch(const struct wire_msg *);
void	extcache_prefetch_heads(void);
void	extcache_prefetch_reset(void);
void	extcache_timer(int64_t);
int64_t	extcache_next_timer(void);
int64_t	extcache_expires(const struct cache_obj *);

/* scommit.c */
void	scommit_request(uint32_t, uint32_t);
void	scommit_ack(struct imsg *);
int	scommit_active(void);

/* ctldump.c */
void	ctldump_request(uint32_t, const struct ctl_request *);
void	ctldump_more(uint32_t);

#endif
