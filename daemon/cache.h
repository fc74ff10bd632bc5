/*
 * The caches of the sync process: a chained hash table of ct_entry or
 * exp_entry records, keyed on the original tuple + zone (conntracks) or
 * the expected tuple + zone (expectations), with a hard entry limit that
 * is counted and reported when hit, never silent.
 */
#ifndef CTSYNCD_CACHE_H
#define CTSYNCD_CACHE_H

#include <sys/queue.h>

#include <stdint.h>

#include "ctentry.h"

enum cache_kind {
	CACHE_CT = 0,
	CACHE_EXP,
};

/* object state, as conntrackd's: drives the message type on the wire */
enum cache_state {
	CACHE_NEW = 0,
	CACHE_ALIVE,
	CACHE_DEAD,
	CACHE_FREE,		/* on its slab's free list: no object */
};

/*
 * A message waiting to go out or to be acknowledged: embedded in every
 * cached object (an object is queued at most once, by reference, and
 * goes out as it is at transmission time) and in control messages.
 */
enum txn_kind {
	TXN_CT = 1,
	TXN_EXP,
	TXN_CTL,
};

enum txn_where {
	TXN_NONE = 0,
	TXN_TXQ,		/* waiting to be sent */
	TXN_RSQ,		/* FTFW: sent, kept until acknowledged */
};

struct txnode {
	TAILQ_ENTRY(txnode)	 entry;
	uint32_t		 seq;		/* on the resend queue */
	uint32_t		 acked;		/* FTFW: peers that have it */
	uint8_t			 kind;		/* enum txn_kind */
	uint8_t			 where;		/* enum txn_where */
	uint8_t			 flags;		/* TXN_CTL: control flags */
	uint8_t			 transient;	/* bypass: in no cache, freed
						   once sent */
};

TAILQ_HEAD(txnode_q, txnode);

/*
 * A cached object: this header, then the record in one of the layouts
 * of cacherec.c, which its class names.  Read the record with
 * cache_obj_ct()/cache_obj_exp().  The objects of a cache made with
 * CACHE_F_TX (the internal caches, which replicate) and those of
 * cache_obj_new() have their replication node just in front of the
 * header (cache_obj_txn()); the external caches' objects go without.
 */
struct cache_obj {
	struct cache_obj	*hnext;		/* hash chain */
	uint8_t			 state;		/* enum cache_state */
	uint8_t			 cls;		/* enum rec_class */
	uint16_t		 tag;		/* high bits of the key's hash */
	uint32_t		 first_seen;	/* seconds, monotonic */
	uint32_t		 last_update;
	uint32_t		 gen;		/* resync generation */
};

#define CACHE_F_TX	0x01		/* objects carry a struct txnode */

/* the node in front of an object of a CACHE_F_TX cache */
static inline struct txnode *
cache_obj_txn(struct cache_obj *o)
{
	return (struct txnode *)(void *)o - 1;
}

static inline struct cache_obj *
cache_txn_obj(struct txnode *n)
{
	return (struct cache_obj *)(void *)(n + 1);
}

struct cache_stats {
	uint64_t	active;
	uint64_t	peak;
	uint64_t	added;
	uint64_t	add_failed_full;	/* HashLimit reached */
	uint64_t	add_failed_nomem;
	uint64_t	updated;
	uint64_t	deleted;
	uint64_t	flushed;
};

struct cache;
struct cache_slab;

/* resumable walk: survives inserts/removals between calls */
struct cache_iter {
	uint32_t	bucket;
	uint32_t	pos;
};

/* resumable walk in memory order (see cache_walk_next()) */
struct cache_walk {
	struct cache_slab	*slab;
	uint32_t		 idx;
	uint32_t		 gen;
};

struct cache	*cache_new(const char *, int, uint32_t, uint32_t, int);
void		 cache_free(struct cache *);
const char	*cache_name(const struct cache *);
uint32_t	 cache_count(const struct cache *);
uint32_t	 cache_limit(const struct cache *);
uint32_t	 cache_buckets(const struct cache *);
const struct cache_stats *cache_stats(const struct cache *);
size_t		 cache_obj_size(const struct cache *);
uint64_t	 cache_hash(const struct cache *, const void *);
struct cache_obj *cache_find(struct cache *, const void *);
struct cache_obj *cache_find_hashed(struct cache *, const void *, uint64_t);
struct cache_obj *cache_add(struct cache *, const void *, uint32_t);
struct cache_obj *cache_add_hashed(struct cache *, const void *, uint32_t,
		    uint64_t);
int		 cache_update(struct cache *, struct cache_obj *, const void *,
		    uint32_t);
void		 cache_obj_ct(const struct cache_obj *, struct ct_entry *);
void		 cache_obj_exp(const struct cache_obj *, struct exp_entry *);
struct cache_obj *cache_obj_new(int, const void *);
void		 cache_obj_free(int, struct cache_obj *);
void		 cache_del(struct cache *, struct cache_obj *);
void		 cache_flush(struct cache *, void (*)(struct cache_obj *,
		    void *), void *);
struct cache_obj *cache_iter_next(struct cache *, struct cache_iter *);
void		 cache_walk_start(const struct cache *, struct cache_walk *);
struct cache_obj *cache_walk_next(const struct cache *, struct cache_walk *);
struct cache_obj *cache_bucket_first(struct cache *, uint32_t);
void		 cache_prefetch(const struct cache *, const struct cache_obj *);
void		 cache_prefetch_chain(const struct cache *, uint64_t);
uint64_t	 cache_prefetch_slot(const struct cache *, const void *);
int		 cache_full_log_due(struct cache *, uint32_t);

#endif
