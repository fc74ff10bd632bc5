/*
 * Internals of the kernel process, shared by kernel.c (sockets, events),
 * kdump.c (table dumps and dump-driven work) and kwrite.c (everything
 * that changes the kernel tables: commit, flush, timers).
 */
#ifndef CTSYNCD_KERNEL_H
#define CTSYNCD_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ctnl.h"
#include "ctsyncd.h"
#include "imsg.h"

struct nlmsghdr;

/* records for sync, collected into one imsg */
struct kbatch {
	char		*buf;		/* ct_batch_hdr + items */
	uint32_t	 type;
	uint32_t	 count;
	uint32_t	 max;
	uint32_t	 seq;
	size_t		 itemsize;
};

/* what a running dump does with each record */
enum kdump_action {
	KDUMP_TO_SYNC = 1,	/* send to sync (startup, -R, resyncs) */
	KDUMP_SET_TIMEOUT,	/* -t: shorten the timer */
	KDUMP_DELETE,		/* -F with a Filter: delete what passes */
};

extern const struct ctsyncd_conf	*kconf;
extern struct kernel_stats		 kstats;
extern struct ctnl			 kev, kdump, kcmd;

/* kernel.c */
void	kbatch_init(struct kbatch *, uint32_t, size_t);
void	kbatch_flush(struct kbatch *);
void	*kbatch_slot(struct kbatch *, uint32_t);
void	kbatch_drop_last(struct kbatch *);
int	kernel_drain_events(int);
int	kernel_events_listen(int);
void	kernel_commit_quiet(int);
void	kernel_commit_busy(void);
int	kernel_events_paused(void);
void	kernel_count_errno(int);

/* kdump.c */
void	kdump_init(void);
int	kdump_active(void);
void	kdump_ready(int, short);
const char *kdump_request(struct imsg *);
int	kdump_start_op(uint32_t, int, uint32_t);

/* kwrite.c */
const char *kcommit_ct(struct imsg *);
const char *kcommit_exp(struct imsg *);
const char *kinject_ct(struct imsg *);
const char *kinject_exp(struct imsg *);
void	kop_request(struct imsg *);
void	kop_dump_record(const struct nlmsghdr *, uint32_t, int);
void	kop_dump_done(int, int);

#endif
