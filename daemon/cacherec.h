/*
 * How a record sits in a cache object (cacherec.c): the cache's own
 * business, used by cache.c alone.  Conntracks come in two classes of
 * object size; expectations in one.
 */
#ifndef CTSYNCD_CACHEREC_H
#define CTSYNCD_CACHEREC_H

#include <stddef.h>
#include <stdint.h>

#include "cache.h"

enum rec_class {
	REC_FULL = 0,		/* any conntrack; every expectation */
	REC_V4,			/* a conntrack of IPv4 tuples */
	REC_CLASSES,
};

size_t		 rec_size(int, int);
int		 rec_class(int, const void *);
int		 rec_pack(int, struct cache_obj *, const void *);
void		 rec_unpack_ct(const struct cache_obj *, struct ct_entry *);
void		 rec_unpack_exp(const struct cache_obj *, struct exp_entry *);
void		 rec_clear(int, struct cache_obj *);
int		 rec_key_eq(int, const struct cache_obj *, const void *);
uint64_t	 rec_key_hash(int, const struct cache_obj *, uint64_t);

#endif
