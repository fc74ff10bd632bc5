/*
 * Chained hash table for the sync process's caches.  Bucket count is a
 * power of two; the hash is seeded at creation so a peer cannot choose
 * tuples that all land in one chain.
 */
#include <sys/types.h>
#include <sys/mman.h>

#ifdef CTSYNCD_SANITIZE
#include <sanitizer/asan_interface.h>
#endif

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "cacherec.h"

#define CACHE_MIN_BUCKETS	256U
#define CACHE_MAX_BUCKETS	(1U << 26)
#define CACHE_FULL_LOG_SECS	10	/* rate limit of "cache full" lines */

/*
 * Records come from slabs: one allocation per CACHE_SLAB records and a
 * free list, instead of one malloc per record (no allocator header per
 * record, no allocator work per record).  A slab goes back to the
 * system only when the cache is flushed.  The objects, all of one
 * class (cacherec.h) and of its size, follow the header.
 *
 * A big cache gets its later slabs as aligned 2 MiB mappings ("huge"
 * slabs), fewer and bigger than malloc's.  The first slabs stay small so
 * that a small cache stays small.  Whether huge pages back them is the
 * system's policy (transparent_hugepage "always"); we do not ask for
 * them: where the host takes back free guest memory (virtio-balloon
 * free page reporting), a fresh huge page faulted in at ~450 MB/s
 * against ~2500 MB/s for 4 KiB pages, a third of the sync process's
 * time in a 1M replication.
 */
#define CACHE_SLAB		1024		/* records in a small slab */
#define CACHE_SMALL_SLABS	8		/* then huge slabs */
#define CACHE_HUGE		(2UL << 20)	/* bytes in a huge slab */

/*
 * A slab holds objects of one class.  Its header takes a cache line, so
 * that in a huge slab no object straddles more lines than its size asks.
 */
struct cache_slab {
	struct cache_slab	*next;
	uint32_t		 nobjs;
	uint8_t			 huge;		/* mmap'd, CACHE_HUGE bytes */
	uint8_t			 cls;		/* enum rec_class */
	uint8_t			 pad[50];
};

_Static_assert(sizeof(struct cache_slab) == 64, "slab header not a line");

struct cache {
	char			  name[32];
	struct cache_slab	 *slabs;
	uint32_t		  nslabs;
	uint32_t		  slab_gen;	/* slabs freed: walks end */
	struct cache_obj	 *free_objs[REC_CLASSES]; /* chained by hnext */
	int			  kind;
	size_t			  prefix;	/* CACHE_F_TX: a txnode */
	size_t			  objsize;	/* of the largest class */
	struct cache_obj	**table;
	int			  table_mapped;	/* cache_huge_alloc() */
	uint32_t		  nbuckets;	/* power of two */
	uint32_t		  limit;
	uint32_t		  count;
	uint64_t		  seed;
	uint32_t		  full_logged;	/* when we last said "full" */
	struct cache_stats	  stats;
};

/*
 * len bytes (a multiple of CACHE_HUGE) aligned to CACHE_HUGE, zeroed,
 * so that the kernel may back them with huge pages; NULL if no such
 * mapping is to be had.
 */
static void *
cache_huge_alloc(size_t len)
{
	size_t		 maplen = len + CACHE_HUGE;
	uint8_t		*p, *a;

	p = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	a = (uint8_t *)(((uintptr_t)p + CACHE_HUGE - 1) &
	    ~(uintptr_t)(CACHE_HUGE - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (a + len < p + maplen)
		munmap(a + len, (size_t)(p + maplen - (a + len)));
	return a;
}

static size_t
cache_table_bytes(const struct cache *c)
{
	return (size_t)c->nbuckets * sizeof(*c->table);
}

/* a table of 2 MiB or more is mapped as the huge slabs are */
static int
cache_table_alloc(struct cache *c)
{
	size_t	len = cache_table_bytes(c);

	if (len >= CACHE_HUGE && (c->table = cache_huge_alloc(len)) != NULL) {
		c->table_mapped = 1;
		return 0;
	}
	c->table = calloc(c->nbuckets, sizeof(*c->table));
	return c->table == NULL ? -1 : 0;
}

static void
cache_table_free(struct cache *c)
{
	if (c->table_mapped)
		munmap(c->table, cache_table_bytes(c));
	else
		free(c->table);
}

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
cache_new(const char *name, int kind, uint32_t buckets, uint32_t limit,
    int flags)
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
	c->prefix = flags & CACHE_F_TX ? sizeof(struct txnode) : 0;
	c->objsize = c->prefix + rec_size(kind, REC_FULL);
	c->limit = limit;
	c->nbuckets = pow2_at_least(buckets ? buckets : limit / 2);
	c->seed = ((uint64_t)arc4random() << 32) | arc4random();
	if (cache_table_alloc(c) == -1) {
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
	cache_table_free(c);
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

/* bytes a cached record costs at most, allocator overhead excluded */
size_t
cache_obj_size(const struct cache *c)
{
	return c->objsize;
}

/* the hash of a key: its low bits pick the bucket, its high bits tag */
uint64_t
cache_hash(const struct cache *c, const void *key)
{
	if (c->kind == CACHE_CT)
		return ct_key_hash(key, c->seed);
	return exp_key_hash(key, c->seed);
}

static uint32_t
hash_bucket(const struct cache *c, uint64_t h)
{
	return (uint32_t)(h & (c->nbuckets - 1));
}

static uint16_t
hash_tag(uint64_t h)
{
	return (uint16_t)(h >> 48);
}

static uint32_t
cache_obj_bucket(const struct cache *c, const struct cache_obj *o)
{
	return hash_bucket(c, rec_key_hash(c->kind, o, c->seed));
}

/*
 * The tag, next to the chain pointer, passes over the records of a
 * chain that cannot match without reading their keys: one cache miss
 * per record instead of two or three.
 */
struct cache_obj *
cache_find_hashed(struct cache *c, const void *key, uint64_t h)
{
	struct cache_obj	*o;
	uint16_t		 tag = hash_tag(h);

	for (o = c->table[hash_bucket(c, h)]; o != NULL; o = o->hnext)
		if (o->tag == tag && rec_key_eq(c->kind, o, key))
			return o;
	return NULL;
}

struct cache_obj *
cache_find(struct cache *c, const void *key)
{
	return cache_find_hashed(c, key, cache_hash(c, key));
}

void
cache_obj_ct(const struct cache_obj *o, struct ct_entry *e)
{
	rec_unpack_ct(o, e);
}

void
cache_obj_exp(const struct cache_obj *o, struct exp_entry *e)
{
	rec_unpack_exp(o, e);
}

/*
 * An object in no cache (DisableInternalCache), with its replication
 * node, freed by cache_obj_free().
 */
struct cache_obj *
cache_obj_new(int kind, const void *entry)
{
	struct txnode		*n;
	struct cache_obj	*o;
	int			 cls = rec_class(kind, entry);

	if ((n = calloc(1, sizeof(*n) + rec_size(kind, cls))) == NULL)
		return NULL;
	o = cache_txn_obj(n);
	o->cls = cls;
	if (rec_pack(kind, o, entry) == -1) {
		free(n);
		return NULL;
	}
	return o;
}

void
cache_obj_free(int kind, struct cache_obj *o)
{
	if (o == NULL)
		return;
	rec_clear(kind, o);
	free(cache_obj_txn(o));
}

/* from one object of class cls to the next in a slab */
static size_t
cls_stride(const struct cache *c, int cls)
{
	return c->prefix + rec_size(c->kind, cls);
}

/* object i of a slab */
static struct cache_obj *
slab_obj(const struct cache *c, struct cache_slab *sl, uint32_t i)
{
	return (struct cache_obj *)(void *)((char *)(sl + 1) +
	    (size_t)i * cls_stride(c, sl->cls) + c->prefix);
}

/*
 * ASan wants a region unpoisoned before it goes back to free(), and a
 * region unmapped must not leave poisoned shadow for the next mapping.
 */
static void
cache_slab_free(const struct cache *c, struct cache_slab *sl)
{
	size_t	len = sl->huge ? CACHE_HUGE : sizeof(*sl) +
		    (size_t)sl->nobjs * cls_stride(c, sl->cls);

#ifdef CTSYNCD_SANITIZE
	__asan_unpoison_memory_region(sl, len);
#endif
	if (sl->huge)
		munmap(sl, len);
	else
		free(sl);
}

static struct cache_slab *
cache_slab_new(struct cache *c, int cls)
{
	struct cache_slab	*sl;
	size_t			 objsize = cls_stride(c, cls);

	if (c->nslabs >= CACHE_SMALL_SLABS &&
	    (sl = cache_huge_alloc(CACHE_HUGE)) != NULL) {
		sl->huge = 1;
		sl->nobjs = (CACHE_HUGE - sizeof(*sl)) / objsize;
	} else {
		if ((sl = calloc(1, sizeof(*sl) + CACHE_SLAB * objsize)) ==
		    NULL)
			return NULL;
		sl->nobjs = CACHE_SLAB;
	}
	sl->cls = cls;
	sl->next = c->slabs;
	c->slabs = sl;
	c->nslabs++;
	return sl;
}

/*
 * Sanitizer builds poison a record while it sits on the free list, so a
 * use after cache_del() is still caught as it would be with free().
 * The header stays readable: the free list runs through its chain
 * pointer, its state tells a memory-order walk to pass it over, and its
 * class tells the free list it goes back to.
 */
static void
cache_obj_poison(const struct cache *c, struct cache_obj *o, int poison)
{
#ifdef CTSYNCD_SANITIZE
	char	*rec = (char *)(o + 1), *pre = (char *)o - c->prefix;
	size_t	 len = rec_size(c->kind, o->cls) - sizeof(*o);

	if (poison) {
		__asan_poison_memory_region(pre, c->prefix);
		__asan_poison_memory_region(rec, len);
	} else {
		__asan_unpoison_memory_region(pre, c->prefix);
		__asan_unpoison_memory_region(rec, len);
	}
#else
	(void)c;
	(void)o;
	(void)poison;
#endif
}

static void
cache_obj_put(struct cache *c, struct cache_obj *o)
{
	rec_clear(c->kind, o);
	o->state = CACHE_FREE;
	o->hnext = c->free_objs[o->cls];
	c->free_objs[o->cls] = o;
	cache_obj_poison(c, o, 1);
}

static struct cache_obj *
cache_obj_get(struct cache *c, int cls)
{
	struct cache_slab	*sl;
	struct cache_obj	*o;
	int			 i;

	if (c->free_objs[cls] == NULL) {
		if ((sl = cache_slab_new(c, cls)) == NULL)
			return NULL;
		for (i = (int)sl->nobjs - 1; i >= 0; i--) {
			o = slab_obj(c, sl, (uint32_t)i);
			o->cls = cls;
			cache_obj_put(c, o);
		}
	}
	o = c->free_objs[cls];
	c->free_objs[cls] = o->hnext;
	cache_obj_poison(c, o, 0);
	memset((char *)o - c->prefix, 0, cls_stride(c, cls));
	o->cls = cls;
	return o;
}

/*
 * Insert a record known to be absent.  NULL with errno ENOSPC when the
 * limit is reached (counted here; the caller logs via
 * cache_full_log_due()), ENOMEM when malloc fails.  h is the entry's
 * cache_hash().
 */
struct cache_obj *
cache_add_hashed(struct cache *c, const void *entry, uint32_t now,
    uint64_t h)
{
	struct cache_obj	*o;
	uint32_t		 b;

	if (c->count >= c->limit) {
		c->stats.add_failed_full++;
		errno = ENOSPC;
		return NULL;
	}
	if ((o = cache_obj_get(c, rec_class(c->kind, entry))) == NULL ||
	    rec_pack(c->kind, o, entry)) {
		if (o != NULL)
			cache_obj_put(c, o);
		c->stats.add_failed_nomem++;
		errno = ENOMEM;
		return NULL;
	}
	o->first_seen = o->last_update = now;
	o->state = CACHE_NEW;
	o->tag = hash_tag(h);
	b = hash_bucket(c, h);
	o->hnext = c->table[b];
	c->table[b] = o;
	c->count++;
	c->stats.added++;
	c->stats.active = c->count;
	if (c->count > c->stats.peak)
		c->stats.peak = c->count;
	return o;
}

struct cache_obj *
cache_add(struct cache *c, const void *entry, uint32_t now)
{
	return cache_add_hashed(c, entry, now, cache_hash(c, entry));
}

/*
 * -1 leaves the object as it was: ENOMEM (counted), or EINVAL for an
 * entry of another class than the record's, which a checked entry of
 * the same key never is (see rec_class()).
 */
int
cache_update(struct cache *c, struct cache_obj *o, const void *entry,
    uint32_t now)
{
	if (rec_pack(c->kind, o, entry) == -1) {
		if (errno == ENOMEM)
			c->stats.add_failed_nomem++;
		return -1;
	}
	o->last_update = now;
	c->stats.updated++;
	return 0;
}

/* Unlink and free; the owner has taken it off its queues already. */
void
cache_del(struct cache *c, struct cache_obj *o)
{
	struct cache_obj	**pp;

	for (pp = &c->table[cache_obj_bucket(c, o)]; *pp != NULL;
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
			rec_clear(c->kind, o);
		}
		c->table[b] = NULL;
	}
	while ((sl = c->slabs) != NULL) {
		c->slabs = sl->next;
		cache_slab_free(c, sl);
	}
	c->nslabs = 0;
	c->slab_gen++;
	memset(c->free_objs, 0, sizeof(c->free_objs));
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

/*
 * A walk of the records in the order they sit in memory, slab by slab.
 * Over a big cache it is many times faster than bucket order, which
 * costs a cache miss per record: here the hardware fetches ahead.  It
 * is resumable across calls: records never move, so a record freed
 * ahead of the cursor is passed over, one added behind it is not
 * visited, and none is visited twice.  A flush frees the slabs, and
 * ends every walk in progress.
 */
void
cache_walk_start(const struct cache *c, struct cache_walk *w)
{
	w->slab = c->slabs;
	w->idx = 0;
	w->gen = c->slab_gen;
}

struct cache_obj *
cache_walk_next(const struct cache *c, struct cache_walk *w)
{
	struct cache_obj	*o;

	if (w->gen != c->slab_gen)
		w->slab = NULL;
	for (; w->slab != NULL; w->slab = w->slab->next, w->idx = 0)
		while (w->idx < w->slab->nobjs) {
			o = slab_obj(c, w->slab, w->idx++);
			if (o->state != CACHE_FREE)
				return o;
		}
	return NULL;
}

/* Chain of one bucket, for walks that visit a slice of the table. */
struct cache_obj *
cache_bucket_first(struct cache *c, uint32_t b)
{
	return b < c->nbuckets ? c->table[b] : NULL;
}

/*
 * Start loading a record into the CPU cache.  A million records do not
 * fit it, and in this kind of VM a miss costs 200-400 ns: a walk or
 * a batch that asks for its next records early overlaps those misses
 * instead of waiting for each in turn.
 */
void
cache_prefetch(const struct cache *c, const struct cache_obj *o)
{
	const char	*p;
	size_t		 off, len = c->objsize;	/* reading the class would wait */

	if (o == NULL)
		return;
	p = (const char *)o - c->prefix;
	for (off = 0; off < len; off += 64)
		__builtin_prefetch(p + off, 1);
	__builtin_prefetch(p + len - 1, 1);
}

/* Ask for the slot of the bucket a key goes to; the key's hash. */
uint64_t
cache_prefetch_slot(const struct cache *c, const void *key)
{
	uint64_t	h = cache_hash(c, key);

	__builtin_prefetch(&c->table[hash_bucket(c, h)]);
	return h;
}

/* the first record of the chain of hash h (its slot asked for already) */
void
cache_prefetch_chain(const struct cache *c, uint64_t h)
{
	cache_prefetch(c, c->table[hash_bucket(c, h)]);
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
