/*
 * Chained hash table for the sync process's caches.  Bucket count is a
 * power of two; the hash is seeded at creation so a peer cannot choose
 * tuples that all land in one chain.
 */
#include <sys/types.h>

#ifdef CTSYNCD_SANITIZE
#include <sanitizer/asan_interface.h>
#endif

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"

#define CACHE_MIN_BUCKETS	256U
#define CACHE_MAX_BUCKETS	(1U << 26)
#define CACHE_FULL_LOG_SECS	10	/* rate limit of "cache full" lines */

/*
 * Records come from slabs: one allocation per CACHE_SLAB records and a
 * free list, instead of one malloc per record (no allocator header per
 * record, no allocator work per record).  A slab goes back to the
 * system only when the cache is flushed.
 */
#define CACHE_SLAB		1024

struct cache_slab {
	struct cache_slab	*next;
	struct cache_obj	 objs[CACHE_SLAB];
};

struct cache {
	char			  name[32];
	struct cache_slab	 *slabs;
	struct cache_obj	 *free_objs;	/* chained by hnext */
	int			  kind;
	struct cache_obj	**table;
	uint32_t		  nbuckets;	/* power of two */
	uint32_t		  limit;
	uint32_t		  count;
	uint64_t		  seed;
	uint32_t		  full_logged;	/* when we last said "full" */
	struct cache_stats	  stats;
};

static uint32_t
pow2_at_least(uint32_t n)
{
	uint32_t	p = CACHE_MIN_BUCKETS;

	while (p < n && p < CACHE_MAX_BUCKETS)
		p <<= 1;
	return p;
}

/*
 * buckets == 0: half the limit, which keeps chains short without the
 * table costing more than a pointer per two entries.
 */
struct cache *
cache_new(const char *name, int kind, uint32_t buckets, uint32_t limit)
{
	struct cache	*c;

	if (limit == 0 || (kind != CACHE_CT && kind != CACHE_EXP)) {
		errno = EINVAL;
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	strlcpy(c->name, name, sizeof(c->name));
	c->kind = kind;
	c->limit = limit;
	c->nbuckets = pow2_at_least(buckets ? buckets : limit / 2);
	c->seed = ((uint64_t)arc4random() << 32) | arc4random();
	if ((c->table = calloc(c->nbuckets, sizeof(*c->table))) == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

void
cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	cache_flush(c, NULL, NULL);
	free(c->table);
	free(c);
}

const char *
cache_name(const struct cache *c)
{
	return c->name;
}

uint32_t
cache_count(const struct cache *c)
{
	return c->count;
}

uint32_t
cache_limit(const struct cache *c)
{
	return c->limit;
}

uint32_t
cache_buckets(const struct cache *c)
{
	return c->nbuckets;
}

const struct cache_stats *
cache_stats(const struct cache *c)
{
	return &c->stats;
}

/* bytes one cached record costs, allocator overhead excluded */
size_t
cache_obj_size(const struct cache *c)
{
	(void)c;
	return sizeof(struct cache_obj);
}

static uint32_t
cache_bucket(const struct cache *c, const void *key)
{
	uint64_t	h;

	if (c->kind == CACHE_CT)
		h = ct_key_hash(key, c->seed);
	else
		h = exp_key_hash(key, c->seed);
	return (uint32_t)(h & (c->nbuckets - 1));
}

static int
cache_key_eq(const struct cache *c, const struct cache_obj *o,
    const void *key)
{
	if (c->kind == CACHE_CT)
		return ct_key_cmp(&o->u.ct, key) == 0;
	return exp_key_cmp(&o->u.exp, key) == 0;
}

struct cache_obj *
cache_find(struct cache *c, const void *key)
{
	struct cache_obj	*o;

	for (o = c->table[cache_bucket(c, key)]; o != NULL; o = o->hnext)
		if (cache_key_eq(c, o, key))
			return o;
	return NULL;
}

static void
cache_copy(const struct cache *c, struct cache_obj *o, const void *entry)
{
	if (c->kind == CACHE_CT)
		memcpy(&o->u.ct, entry, sizeof(o->u.ct));
	else
		memcpy(&o->u.exp, entry, sizeof(o->u.exp));
}

/* ASan wants a region unpoisoned before it goes back to free() */
static void
cache_slab_unpoison(struct cache_slab *sl)
{
#ifdef CTSYNCD_SANITIZE
	__asan_unpoison_memory_region(sl, sizeof(*sl));
#else
	(void)sl;
#endif
}

/*
 * Sanitizer builds poison a record while it sits on the free list, so a
 * use after cache_del() is still caught as it would be with free().
 * The chain pointer stays readable: the free list runs through it.
 */
static void
cache_obj_poison(struct cache_obj *o, int poison)
{
#ifdef CTSYNCD_SANITIZE
	char	*p = (char *)o + sizeof(o->hnext);
	size_t	 len = sizeof(*o) - sizeof(o->hnext);

	if (poison)
		__asan_poison_memory_region(p, len);
	else
		__asan_unpoison_memory_region(p, len);
#else
	(void)o;
	(void)poison;
#endif
}

static void
cache_obj_put(struct cache *c, struct cache_obj *o)
{
	o->hnext = c->free_objs;
	c->free_objs = o;
	cache_obj_poison(o, 1);
}

static struct cache_obj *
cache_obj_get(struct cache *c)
{
	struct cache_slab	*sl;
	struct cache_obj	*o;
	int			 i;

	if (c->free_objs == NULL) {
		if ((sl = malloc(sizeof(*sl))) == NULL)
			return NULL;
		sl->next = c->slabs;
		c->slabs = sl;
		for (i = CACHE_SLAB - 1; i >= 0; i--)
			cache_obj_put(c, &sl->objs[i]);
	}
	o = c->free_objs;
	c->free_objs = o->hnext;
	cache_obj_poison(o, 0);
	memset(o, 0, sizeof(*o));
	return o;
}

/*
 * Insert a record known to be absent.  NULL with errno ENOSPC when the
 * limit is reached (counted here; the caller logs via
 * cache_full_log_due()), ENOMEM when malloc fails.
 */
struct cache_obj *
cache_add(struct cache *c, const void *entry, uint32_t now)
{
	struct cache_obj	*o;
	uint32_t		 b;

	if (c->count >= c->limit) {
		c->stats.add_failed_full++;
		errno = ENOSPC;
		return NULL;
	}
	if ((o = cache_obj_get(c)) == NULL) {
		c->stats.add_failed_nomem++;
		return NULL;
	}
	cache_copy(c, o, entry);
	o->first_seen = o->last_update = now;
	o->state = CACHE_NEW;
	b = cache_bucket(c, entry);
	o->hnext = c->table[b];
	c->table[b] = o;
	c->count++;
	c->stats.added++;
	c->stats.active = c->count;
	if (c->count > c->stats.peak)
		c->stats.peak = c->count;
	return o;
}

void
cache_update(struct cache *c, struct cache_obj *o, const void *entry,
    uint32_t now)
{
	cache_copy(c, o, entry);
	o->last_update = now;
	c->stats.updated++;
}

/* Unlink and free; the owner has taken it off its queues already. */
void
cache_del(struct cache *c, struct cache_obj *o)
{
	struct cache_obj	**pp;

	for (pp = &c->table[cache_bucket(c, &o->u)]; *pp != NULL;
	    pp = &(*pp)->hnext) {
		if (*pp != o)
			continue;
		*pp = o->hnext;
		c->count--;
		c->stats.deleted++;
		c->stats.active = c->count;
		cache_obj_put(c, o);
		return;
	}
}

/* Free everything; release() lets the owner unlink each object first. */
void
cache_flush(struct cache *c, void (*release)(struct cache_obj *, void *),
    void *arg)
{
	struct cache_obj	*o, *next;
	struct cache_slab	*sl;
	uint32_t		 b;

	for (b = 0; b < c->nbuckets; b++) {
		for (o = c->table[b]; o != NULL; o = next) {
			next = o->hnext;
			if (release != NULL)
				release(o, arg);
		}
		c->table[b] = NULL;
	}
	while ((sl = c->slabs) != NULL) {
		c->slabs = sl->next;
		cache_slab_unpoison(sl);
		free(sl);
	}
	c->free_objs = NULL;
	c->stats.flushed += c->count;
	c->count = 0;
	c->stats.active = 0;
}

/*
 * Next object of a walk.  The cursor is a bucket and a position in its
 * chain, so changes between calls may make the walk miss or repeat an
 * object of the bucket in progress, but never touch freed memory.
 */
struct cache_obj *
cache_iter_next(struct cache *c, struct cache_iter *it)
{
	struct cache_obj	*o;
	uint32_t		 i;

	for (; it->bucket < c->nbuckets; it->bucket++, it->pos = 0) {
		o = c->table[it->bucket];
		for (i = 0; o != NULL && i < it->pos; i++)
			o = o->hnext;
		if (o != NULL) {
			it->pos++;
			return o;
		}
	}
	return NULL;
}

/* Chain of one bucket, for walks that visit a slice of the table. */
struct cache_obj *
cache_bucket_first(struct cache *c, uint32_t b)
{
	return b < c->nbuckets ? c->table[b] : NULL;
}

/* true at most once per CACHE_FULL_LOG_SECS while the cache is full */
int
cache_full_log_due(struct cache *c, uint32_t now)
{
	if (c->full_logged != 0 && now - c->full_logged < CACHE_FULL_LOG_SECS)
		return 0;
	c->full_logged = now ? now : 1;
	return 1;
}
