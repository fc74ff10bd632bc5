/*
 * Unit tests for the sync process's hash cache: add/find/del, the hard
 * limit (counted, never silent), flush with a release callback, and a
 * walk that survives removals between steps, a walk in memory order that
 * survives removals and additions between slices, the rare parts of a record
 * kept apart and read back whole, keys that share bucket and hash tag,
 * IPv4 and IPv6 records in objects of their own sizes.
 */
#include <arpa/inet.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "cacherec.h"

#include "check.h"

static void
mk(struct ct_entry *e, uint32_t i)
{
	memset(e, 0, sizeof(*e));
	e->orig.l3 = AF_INET;
	e->orig.l4 = 6;
	e->orig.src[0] = htonl(0xc6336400 | (i & 0xff));	/* 198.51.100.x */
	e->orig.dst[0] = htonl(0xcb007101);			/* 203.0.113.1 */
	e->orig.sport = htons(1024 + (i >> 8));
	e->orig.dport = htons(80);
	e->flags = CTE_F_MARK;
	e->mark = i;
}

/* records 0 .. n - 1, added at time 1 */
static void
fill(struct cache *c, uint32_t n)
{
	struct ct_entry	e;
	uint32_t	i;

	for (i = 0; i < n; i++) {
		mk(&e, i);
		CHECK(cache_add(c, &e, 1) != NULL);
	}
}

static int	released;

static void
count_release(struct cache_obj *o, void *arg)
{
	(void)o;
	(void)arg;
	released++;
}

static void
test_basic(void)
{
	struct cache		*c;
	struct cache_obj	*o;
	struct ct_entry		 e, got;
	uint32_t		 i;

	c = cache_new("t", CACHE_CT, 0, 1000, 0);
	CHECK(c != NULL);
	for (i = 0; i < 1000; i++) {
		mk(&e, i);
		CHECK(cache_find(c, &e) == NULL);
		CHECK(cache_add(c, &e, 5) != NULL);
	}
	CHECK(cache_count(c) == 1000);
	mk(&e, 1000);
	errno = 0;
	CHECK(cache_add(c, &e, 5) == NULL && errno == ENOSPC);
	CHECK(cache_stats(c)->add_failed_full == 1);
	CHECK(cache_full_log_due(c, 100) == 1);
	CHECK(cache_full_log_due(c, 101) == 0);
	CHECK(cache_full_log_due(c, 200) == 1);

	mk(&e, 7);
	e.mark = 99;		/* not part of the key */
	o = cache_find(c, &e);
	CHECK(o != NULL);
	cache_obj_ct(o, &got);
	CHECK(got.mark == 7);
	CHECK(cache_update(c, o, &e, 9) == 0);
	cache_obj_ct(o, &got);
	CHECK(memcmp(&got, &e, sizeof(e)) == 0);
	CHECK(o->last_update == 9 && o->first_seen == 5);
	e.zone = 3;		/* the zone is */
	e.flags |= CTE_F_ZONE;
	CHECK(cache_find(c, &e) == NULL);

	mk(&e, 7);
	cache_del(c, cache_find(c, &e));
	CHECK(cache_find(c, &e) == NULL && cache_count(c) == 999);
	released = 0;
	cache_flush(c, count_release, NULL);
	CHECK(released == 999 && cache_count(c) == 0);
	cache_free(c);
}

static void
test_walk(void)
{
	struct cache		*c;
	struct cache_obj	*o;
	struct cache_iter	 it;
	struct ct_entry		 got;
	uint32_t		 seen = 0;

	c = cache_new("w", CACHE_CT, 16, 5000, 0);
	CHECK(c != NULL && cache_buckets(c) >= 16);
	fill(c, 5000);
	memset(&it, 0, sizeof(it));
	/* delete every other object as we go: no use after free (ASan) */
	while ((o = cache_iter_next(c, &it)) != NULL && seen < 100000) {
		seen++;
		cache_obj_ct(o, &got);
		if (got.mark % 2 == 0) {
			cache_del(c, o);
			if (it.pos > 0)
				it.pos--;
		}
	}
	CHECK(seen == 5000);
	CHECK(cache_count(c) == 2500);
	cache_free(c);
}

/*
 * The memory-order walk, in slices as a bulk send takes it: every record
 * present from start to end is visited exactly once, whatever is
 * deleted or added between slices (deleted ones are never visited
 * after their deletion, which ASan watches), and a flush ends it.
 * 20000 records reach past the small slabs into huge ones.
 */
#define MW_N	20000U

static void
test_mwalk(void)
{
	static uint8_t		 hits[MW_N];
	struct cache		*c;
	struct cache_obj	*o;
	struct cache_walk	 w;
	struct ct_entry		 e, got;
	uint32_t		 i, k, next_new = MW_N, slices = 0, bad = 0;

	c = cache_new("m", CACHE_CT, 0, 4 * MW_N, CACHE_F_TX);
	CHECK(c != NULL);
	fill(c, MW_N);
	/* every third record goes before the walk starts */
	for (i = 0; i < MW_N; i += 3) {
		mk(&e, i);
		cache_del(c, cache_find(c, &e));
	}
	cache_walk_start(c, &w);
	for (;;) {
		for (k = 0; k < 256 && (o = cache_walk_next(c, &w)) != NULL;
		    k++) {
			cache_obj_ct(o, &got);
			if (got.mark < MW_N)
				hits[got.mark]++;
		}
		if (k < 256)
			break;
		slices++;
		/* between slices: delete some records, add new ones */
		for (i = 0; i < 4; i++) {
			mk(&e, (slices * 97 + i * 13) % MW_N);
			if ((e.mark % 3) != 0 && e.mark % 7 == 0 &&
			    (o = cache_find(c, &e)) != NULL)
				cache_del(c, o);
			mk(&e, next_new++);
			CHECK(cache_add(c, &e, 2) != NULL);
		}
	}
	CHECK(slices > 40);
	for (i = 0; i < MW_N; i++) {
		mk(&e, i);
		if (i % 3 == 0)
			bad += hits[i] != 0;		/* deleted before */
		else if (cache_find(c, &e) != NULL)
			bad += hits[i] != 1;		/* there all along */
		else
			bad += hits[i] > 1;		/* deleted during */
	}
	CHECK(bad == 0);
	/* a flush frees the slabs: a walk in progress ends */
	cache_walk_start(c, &w);
	CHECK(cache_walk_next(c, &w) != NULL);
	cache_flush(c, NULL, NULL);
	CHECK(cache_walk_next(c, &w) == NULL);
	mk(&e, 1);
	CHECK(cache_add(c, &e, 3) != NULL);
	CHECK(cache_walk_next(c, &w) == NULL);
	cache_walk_start(c, &w);
	CHECK(cache_walk_next(c, &w) != NULL && cache_walk_next(c, &w) == NULL);
	cache_free(c);
}

/*
 * Past the first slabs a cache grows by 2 MiB slabs: records there must
 * be found, removed, reused and freed like any other, and keep their
 * replication nodes apart (ASan watches).
 */
static void
test_big(void)
{
	struct cache		*c;
	struct cache_obj	*o;
	struct ct_entry		 e, got;
	uint32_t		 i, n = 40000, found = 0;

	c = cache_new("b", CACHE_CT, 0, n, CACHE_F_TX);
	CHECK(c != NULL);
	fill(c, n);
	for (i = 0; i < n; i += 2) {
		mk(&e, i);
		if ((o = cache_find(c, &e)) != NULL)
			cache_del(c, o);
	}
	for (i = 0; i < n; i += 2) {
		mk(&e, i);
		e.mark = 5;
		CHECK(cache_add(c, &e, 2) != NULL);
	}
	/* each object's node in front of it is its own */
	for (i = 0; i < n; i++) {
		mk(&e, i);
		if ((o = cache_find(c, &e)) != NULL)
			cache_obj_txn(o)->seq = i;
	}
	for (i = 0; i < n; i++) {
		mk(&e, i);
		if ((o = cache_find(c, &e)) == NULL ||
		    cache_obj_txn(o)->seq != i)
			continue;
		cache_obj_ct(o, &got);
		e.mark = i % 2 ? i : 5;
		found += memcmp(&got, &e, sizeof(got)) == 0;
	}
	CHECK(found == n && cache_count(c) == n);
	cache_flush(c, NULL, NULL);
	CHECK(cache_count(c) == 0);
	mk(&e, 1);
	CHECK(cache_add(c, &e, 3) != NULL && cache_count(c) == 1);
	cache_free(c);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* the record of key i is found, and is record i */
static int
finds(struct cache *c, uint32_t i)
{
	struct cache_obj	*o;
	struct ct_entry		 e, got;

	mk(&e, i);
	if ((o = cache_find(c, &e)) == NULL)
		return 0;
	cache_obj_ct(o, &got);
	return got.mark == i;
}

/*
 * A lookup skips records by their hash tag: keys that share bucket and
 * tag must still be told apart by the key itself.  20000 keys in 256
 * buckets with 16 bit tags give about a dozen such pairs.
 */
static void
test_tags(void)
{
	struct cache		*c;
	struct ct_entry		 e;
	uint64_t		 h, bt[20000];
	uint32_t		 i, n = 20000, same = 0, found = 0, a = 0, b = 0;

	c = cache_new("t", CACHE_CT, 256, n, 0);
	CHECK(c != NULL && cache_buckets(c) == 256);
	fill(c, n);
	for (i = 0; i < n; i++) {
		mk(&e, i);
		h = cache_hash(c, &e);
		bt[i] = ((h >> 48) << 8 | (h & 255)) << 16 | i;
	}
	qsort(bt, n, sizeof(bt[0]), cmp_u64);
	for (i = 1; i < n; i++) {
		if (bt[i] >> 16 != bt[i - 1] >> 16)
			continue;
		same++;
		a = (uint32_t)(bt[i] & 0xffff);
		b = (uint32_t)(bt[i - 1] & 0xffff);
		found += finds(c, a) && finds(c, b);
	}
	CHECK(same > 0 && found == same);
	/* one of a pair goes, the other stays */
	mk(&e, a);
	cache_del(c, cache_find(c, &e));
	CHECK(!finds(c, a) && finds(c, b));
	for (i = 0, found = 0; i < n; i++)
		found += finds(c, i);
	CHECK(found == n - 1 && !finds(c, n));
	cache_free(c);
}

/*
 * Record i of a mix: IPv4, IPv4 with a NAT reply, ICMP, IPv6 (whose
 * first address word alone is set at every fourth: 2001:db8::, the same
 * word as an IPv4 record's address).
 */
static void
mk_mix(struct ct_entry *e, uint32_t i)
{
	mk(e, i);
	e->orig.dst[0] = htonl(0x20010db8);
	e->flags |= CTE_F_REPL;
	ct_tuple_invert(&e->repl, &e->orig);
	switch (i % 4) {
	case 1:
		e->repl.dst[0] = htonl(0xcb007100 | (i & 0xff));
		e->repl.dport = htons(40000);
		break;
	case 2:
		memset(&e->orig, 0, sizeof(e->orig));
		e->orig.l3 = AF_INET;
		e->orig.l4 = 1;
		e->orig.src[0] = htonl(0xc6336400 | (i & 0xff));
		e->orig.dst[0] = htonl(0x20010db8);
		e->orig.sport = htons(i >> 8);	/* the ICMP id */
		e->orig.icmp_type = 8;
		ct_tuple_invert(&e->repl, &e->orig);
		break;
	case 3:
		e->orig.l3 = e->repl.l3 = AF_INET6;
		if (i % 8 == 7) {
			e->orig.src[3] = htonl(i);
			e->repl.dst[3] = htonl(i);
		}
		break;
	}
}

/*
 * IPv4 conntracks take smaller objects than IPv6 ones, from their own
 * slabs: each class must read back exactly, be found by its own key
 * only, and be visited by a memory-order walk.
 */
static void
test_classes(void)
{
	struct cache		*c;
	struct cache_obj	*o;
	struct cache_walk	 w;
	struct ct_entry		 e, got;
	uint32_t		 i, n = 12000, same = 0, seen = 0;

	c = cache_new("m", CACHE_CT, 0, n, 0);
	CHECK(c != NULL);
	for (i = 0; i < n; i++) {
		mk_mix(&e, i);
		CHECK((o = cache_add(c, &e, 1)) != NULL &&
		    o->cls == (i % 4 == 3 ? REC_FULL : REC_V4));
	}
	for (i = 0; i < n; i += 2) {
		mk_mix(&e, i);
		cache_del(c, cache_find(c, &e));
	}
	for (i = 0; i < n; i += 2) {
		mk_mix(&e, i);
		CHECK(cache_add(c, &e, 2) != NULL);
	}
	for (i = 0; i < n; i++) {
		mk_mix(&e, i);
		if ((o = cache_find(c, &e)) == NULL)
			continue;
		cache_obj_ct(o, &got);
		same += memcmp(&got, &e, sizeof(got)) == 0;
	}
	CHECK(same == n && cache_count(c) == n);
	cache_walk_start(c, &w);
	while (cache_walk_next(c, &w) != NULL && seen <= n)
		seen++;
	CHECK(seen == n);
	/* a NAT reply that comes and goes on an IPv4 record */
	mk_mix(&e, 4);
	o = cache_find(c, &e);
	e.repl.src[0] = htonl(0xcb0071fe);
	CHECK(o != NULL && cache_update(c, o, &e, 3) == 0);
	cache_obj_ct(o, &got);
	CHECK(memcmp(&got, &e, sizeof(got)) == 0);
	cache_free(c);
}

/* a conntrack with every rare part set */
static void
mk_rare(struct ct_entry *e, uint32_t i)
{
	mk(e, i);
	e->flags |= CTE_F_MASTER | CTE_F_SEQADJ | CTE_F_SYNPROXY |
	    CTE_F_LABELS | CTE_F_HELPER | CTE_F_SCTP_VTAG;
	e->master = e->orig;
	e->master.sport = htons(21);
	e->sctp_vtag_orig = 0x11111111;
	e->sctp_vtag_repl = 0x22222222;
	e->seqadj[0] = 1;
	e->seqadj[5] = 6;
	e->synproxy[2] = 3;
	e->labels[3] = 0x80000000;
	strlcpy(e->helper, "ftp", sizeof(e->helper));
}

/*
 * The cache keeps the rare parts apart: every field must come back,
 * and a record that loses or gains them must read back exactly (the
 * sanitizer build also checks that no rare block leaks).
 */
static void
test_rare(void)
{
	struct cache		*c;
	struct cache_obj	*o;
	struct ct_entry		 e, plain, got;
	uint32_t		 i;

	c = cache_new("r", CACHE_CT, 0, 100, CACHE_F_TX);
	CHECK(c != NULL);
	CHECK(cache_obj_size(c) < sizeof(struct ct_entry));
	for (i = 0; i < 100; i++) {
		if (i % 2)
			mk_rare(&e, i);
		else
			mk(&e, i);
		CHECK((o = cache_add(c, &e, 1)) != NULL);
		cache_obj_ct(o, &got);
		CHECK(memcmp(&got, &e, sizeof(e)) == 0);
	}
	mk_rare(&e, 3);
	mk(&plain, 3);
	o = cache_find(c, &e);
	CHECK(o != NULL && cache_update(c, o, &plain, 2) == 0);
	cache_obj_ct(o, &got);
	CHECK(memcmp(&got, &plain, sizeof(got)) == 0);
	CHECK(cache_update(c, o, &e, 3) == 0);
	cache_obj_ct(o, &got);
	CHECK(memcmp(&got, &e, sizeof(got)) == 0);
	e.labels[0] = 1;	/* a rare block changing in place */
	CHECK(cache_update(c, o, &e, 4) == 0);
	cache_obj_ct(o, &got);
	CHECK(got.labels[0] == 1 && memcmp(&got, &e, sizeof(got)) == 0);
	mk_rare(&e, 5);
	cache_del(c, cache_find(c, &e));
	CHECK(cache_count(c) == 99);
	o = cache_obj_new(CACHE_CT, &e);
	CHECK(o != NULL);
	cache_obj_ct(o, &got);
	CHECK(memcmp(&got, &e, sizeof(got)) == 0);
	cache_obj_free(CACHE_CT, o);
	cache_free(c);
}

/* each rare part alone must be enough for a rare block */
static void
test_rare_each(void)
{
	struct cache		*c;
	struct cache_obj	*o;
	struct ct_entry		 e, got;
	uint32_t		 part;

	c = cache_new("r1", CACHE_CT, 0, 100, 0);
	CHECK(c != NULL);
	for (part = 0; part < 7; part++) {
		mk(&e, part);
		switch (part) {
		case 0:
			e.master = e.orig;
			break;
		case 1:
			e.sctp_vtag_orig = 1;
			break;
		case 2:
			e.seqadj[5] = 1;
			break;
		case 3:
			e.synproxy[2] = 1;
			break;
		case 4:
			e.labels[CT_LABEL_WORDS - 1] = 1;
			break;
		case 5:
			e.helper[CT_HELPER_MAX - 2] = 'x';
			break;
		default:
			e.sctp_vtag_repl = 1;
			break;
		}
		CHECK((o = cache_add(c, &e, 1)) != NULL);
		cache_obj_ct(o, &got);
		CHECK(memcmp(&got, &e, sizeof(e)) == 0);
	}
	cache_free(c);
}

int
main(void)
{
	test_basic();
	test_walk();
	test_mwalk();
	test_rare();
	test_rare_each();
	test_big();
	test_tags();
	test_classes();
	printf("test_cache: %d checks, %d failures\n", nchecks, nfailed);
	return nfailed != 0;
}
