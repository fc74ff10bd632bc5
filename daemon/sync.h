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

#define SYNC_BATCH_MAX	256	/* records per commit imsg (kernel's cap) */

struct sync_state {
	const struct ctsyncd_conf *conf;
	struct cache	*int_ct, *int_exp;	/* local kernel state */
	struct cache	*ext_ct, *ext_exp;	/* state received from peers */
	int64_t		 start_ms;
	struct sync_stats stats;
	uint64_t	 overruns;
	int		 startup_done;
	int64_t		 overrun_resync_at;	/* -1: none scheduled */
};

extern struct sync_state	sy;

/* sync.c */
uint32_t	sync_now(void);
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
void	intcache_flush(int);
void	intcache_timer(int64_t);
int64_t	intcache_next_timer(void);

/* scommit.c */
void	scommit_request(uint32_t, uint32_t);
void	scommit_ack(struct imsg *);
int	scommit_active(void);

/* ctldump.c */
void	ctldump_request(uint32_t, const struct ctl_request *);
void	ctldump_more(uint32_t);

#endif
