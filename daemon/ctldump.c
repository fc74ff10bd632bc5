/*
 * Cache dumps for ctsyncctl (-i, -e).  A dump is a walk over the cache
 * sent in chunks; the monitor asks for the next chunk only when the
 * client has read the previous ones, so a million entries never sit in
 * anybody's memory at once.
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "sync.h"

#define CTLDUMP_MAX	8	/* concurrent dumps */
#define CTLDUMP_WINDOW	4	/* chunks sent before waiting for MORE */
/* a dump whose reader stopped asking is abandoned after this */
#define CTLDUMP_STALE_MS	(60 * 1000)
/* records per chunk: the monitor channel's and the client's imsg limit */
#define CHUNK_BYTES	(MAX_IMSGSIZE_CTL - 64)

struct ctldump {
	int			 active;
	uint32_t		 ctl_id;
	int			 exp;
	int			 external;
	struct cache		*cache;
	struct cache_iter	 it;
	uint32_t		 credit;
	uint64_t		 sent;
	int64_t			 last;		/* last chunk asked for */
};

static struct ctldump	dumps[CTLDUMP_MAX];
static char		chunk[CHUNK_BYTES];

static struct ctldump *
ctldump_by_id(uint32_t id)
{
	int	i;

	for (i = 0; i < CTLDUMP_MAX; i++)
		if (dumps[i].active && dumps[i].ctl_id == id)
			return &dumps[i];
	return NULL;
}

static void
fill_item(struct ctldump *d, const struct cache_obj *o, void *p, uint32_t now)
{
	struct ct_dump_item	*ci = p;
	struct exp_dump_item	*ei = p;

	if (d->exp) {
		memset(ei, 0, sizeof(*ei));
		ei->age = now - o->first_seen;
		ei->expires = d->external ? extcache_expires(o) : -1;
		cache_obj_exp(o, &ei->exp);
	} else {
		memset(ci, 0, sizeof(*ci));
		ci->age = now - o->first_seen;
		ci->expires = d->external ? extcache_expires(o) : -1;
		cache_obj_ct(o, &ci->ct);
	}
}

/* One chunk; 0 when the walk is over. */
static int
send_chunk(struct ctldump *d)
{
	struct ct_batch_hdr	*h = (struct ct_batch_hdr *)chunk;
	struct cache_obj	*o = NULL;
	size_t			 isz = d->exp ? sizeof(struct exp_dump_item) :
				    sizeof(struct ct_dump_item);
	uint32_t		 n = 0, max = (sizeof(chunk) - sizeof(*h)) / isz;
	uint32_t		 now = sync_now();

	while (n < max && (o = cache_iter_next(d->cache, &d->it)) != NULL) {
		/* DEAD records await their DESTROY on the wire: not shown */
		if (o->state == CACHE_DEAD)
			continue;
		fill_item(d, o, chunk + sizeof(*h) + n * isz, now);
		n++;
	}
	if (n > 0) {
		h->count = n;
		h->seq = 0;
		child_send_monitor(d->exp ? IMSG_CTL_EXP_DUMP :
		    IMSG_CTL_CT_DUMP, d->ctl_id, chunk, sizeof(*h) + n * isz);
		d->sent += n;
	}
	return o != NULL;
}

static void
ctldump_run(struct ctldump *d)
{
	while (d->credit > 0) {
		d->credit--;
		if (send_chunk(d))
			continue;
		child_send_result(d->ctl_id, CTL_RES_OK, "%llu entries",
		    (unsigned long long)d->sent);
		d->active = 0;
		return;
	}
}

void
ctldump_request(uint32_t ctl_id, const struct ctl_request *req)
{
	struct ctldump	*d = NULL;
	int		 i, exp = req->arg == CTL_TABLE_EXPECT;
	struct cache	*c;

	if (req->op == CTL_OP_DUMP_INTERNAL)
		c = exp ? sy.int_exp : sy.int_ct;
	else
		c = exp ? sy.ext_exp : sy.ext_ct;
	if (c == NULL) {
		child_send_result(ctl_id, CTL_RES_ERROR, "expectation caches need "
		    "ExpectationSync");
		return;
	}
	if (req->op == CTL_OP_DUMP_INTERNAL && intcache_bypass()) {
		child_send_result(ctl_id, CTL_RES_ERROR, "no internal cache "
		    "(DisableInternalCache): see conntrack -L");
		return;
	}
	/* the monitor does not tell us when a reader goes away: time out */
	for (i = 0; i < CTLDUMP_MAX && d == NULL; i++)
		if (!dumps[i].active ||
		    monotime_ms() - dumps[i].last > CTLDUMP_STALE_MS)
			d = &dumps[i];
	if (d == NULL) {
		child_send_result(ctl_id, CTL_RES_BUSY, "too many dumps running");
		return;
	}
	memset(d, 0, sizeof(*d));
	d->active = 1;
	d->ctl_id = ctl_id;
	d->exp = exp;
	d->external = req->op == CTL_OP_DUMP_EXTERNAL;
	d->cache = c;
	d->credit = CTLDUMP_WINDOW;
	d->last = monotime_ms();
	ctldump_run(d);
}

/* The monitor forwarded a chunk and the client keeps up: one more. */
void
ctldump_more(uint32_t ctl_id)
{
	struct ctldump	*d;

	if ((d = ctldump_by_id(ctl_id)) == NULL)
		return;		/* finished, or the client went away */
	d->credit++;
	d->last = monotime_ms();
	ctldump_run(d);
}
