/*
 * The kernel process's checks of what sync asks it to write.  Sync is
 * network-facing and unprivileged; if it is compromised, these checks
 * are what stands between it and CAP_NET_ADMIN.  So a batch is refused
 * whole on its first bad record, and nothing here depends on state that
 * sync could have influenced: only the payload and the configuration.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "ctentry.h"
#include "ctsyncd.h"
#include "imsg.h"
#include "kcheck.h"

/* room for the largest batch in one sync -> kernel imsg */
_Static_assert(sizeof(struct ct_batch_hdr) + KCHECK_BATCH_MAX *
    sizeof(struct exp_item) <= MAX_IMSGSIZE_SYNC_KERNEL - IMSG_HEADER_SIZE,
    "a full batch does not fit one imsg");

/* What the record's head says, for a commit (NEW only) or an inject. */
static const char *
kcheck_head(uint8_t kind, uint8_t origin, const uint8_t *pad, size_t padlen,
    int inject)
{
	if (inject) {
		if (kind != CT_KIND_NEW && kind != CT_KIND_UPDATE &&
		    kind != CT_KIND_DESTROY)
			return "inject record of an unknown kind";
		if (origin != 0)
			return "inject record with an origin";
	} else {
		if (kind != CT_KIND_NEW)
			return "commit record is not a NEW";
		if (origin != 0)
			return "commit record with an origin";
	}
	if (!ct_is_zero(pad, padlen))
		return "non-zero padding";
	return NULL;
}

/* a created entry needs a timeout: the kernel would make one up */
static const char *
kcheck_timeout(int inject)
{
	return inject ? "inject record without a timeout" :
	    "commit record without a timeout";
}

/* Copied out: the caller's buffer need not be aligned for the struct. */
static const char *
kcheck_ct(const void *p, int inject)
{
	struct ct_item	 it;
	const char	*why;

	memcpy(&it, p, sizeof(it));
	if ((why = kcheck_head(it.kind, it.origin, it.pad0, sizeof(it.pad0),
	    inject)) != NULL || (why = ct_entry_check(&it.ct)) != NULL)
		return why;
	if (it.kind != CT_KIND_DESTROY &&
	    (!(it.ct.flags & CTE_F_TIMEOUT) || it.ct.timeout == 0))
		return kcheck_timeout(inject);
	return NULL;
}

static const char *
kcheck_exp(const void *p, int inject)
{
	struct exp_item	 it;
	const char	*why;

	memcpy(&it, p, sizeof(it));
	if ((why = kcheck_head(it.kind, it.origin, it.pad0, sizeof(it.pad0),
	    inject)) != NULL || (why = exp_entry_check(&it.exp)) != NULL)
		return why;
	if (it.kind != CT_KIND_DESTROY &&
	    (!(it.exp.flags & EXE_F_TIMEOUT) || it.exp.timeout == 0))
		return kcheck_timeout(inject);
	return NULL;
}

/* Whether the configuration lets sync send this type at all. */
static const char *
kcheck_allowed(uint32_t type, const struct conf_sync *cs)
{
	switch (type) {
	case IMSG_KERNEL_COMMIT_CT:
		return NULL;
	case IMSG_KERNEL_COMMIT_EXP:
		return cs->expect_sync ? NULL :
		    "expectation commit without ExpectationSync";
	case IMSG_KERNEL_INJECT_CT:
	case IMSG_KERNEL_INJECT_EXP:
		if (!cs->disable_external_cache)
			return "inject without DisableExternalCache";
		if (type == IMSG_KERNEL_INJECT_EXP && !cs->expect_sync)
			return "expectation inject without ExpectationSync";
		return NULL;
	}
	return "not a commit or inject batch";
}

const char *
kcheck_batch(uint32_t type, const void *buf, size_t len,
    const struct conf_sync *cs, struct ct_batch_hdr *h)
{
	const char	*p = buf, *why;
	int		 exp = type == IMSG_KERNEL_COMMIT_EXP ||
			    type == IMSG_KERNEL_INJECT_EXP;
	int		 inject = type == IMSG_KERNEL_INJECT_CT ||
			    type == IMSG_KERNEL_INJECT_EXP;
	size_t		 isz = exp ? sizeof(struct exp_item) :
			    sizeof(struct ct_item);
	struct ct_batch_hdr hdr;
	uint32_t	 i;

	memset(h, 0, sizeof(*h));
	if ((why = kcheck_allowed(type, cs)) != NULL)
		return why;
	if (len < sizeof(hdr))
		return KCHECK_BAD_BATCH;
	memcpy(&hdr, p, sizeof(hdr));
	/* the writer keeps a result per record of one batch */
	if (hdr.count == 0 || hdr.count > KCHECK_BATCH_MAX ||
	    len != sizeof(hdr) + (size_t)hdr.count * isz)
		return KCHECK_BAD_BATCH;
	*h = hdr;
	p += sizeof(hdr);
	for (i = 0; i < hdr.count; i++, p += isz)
		if ((why = exp ? kcheck_exp(p, inject) : kcheck_ct(p, inject))
		    != NULL)
			return why;
	return NULL;
}

const char *
kcheck_dump_req(const void *buf, size_t len, const struct conf_sync *cs,
    struct kernel_dump_req *req)
{
	if (len != sizeof(*req))
		return "bad length";
	memcpy(req, buf, sizeof(*req));
	if (req->table != KTABLE_CT && req->table != KTABLE_EXP)
		return "unknown table";
	if (req->reason == 0 || req->reason >= KDUMP_MAX_)
		return "unknown dump reason";
	if (req->table == KTABLE_EXP && !cs->expect_sync)
		return "expectation dump without ExpectationSync";
	return NULL;
}
