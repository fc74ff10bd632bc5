/*
 * mkinject RULE: write to stdout the imsgs the test build's sync process
 * sends to the kernel process (CTSYNCD_TEST_INJECT, see testhook.c): a
 * commit batch of two conntracks where the second breaks RULE.  "good"
 * breaks nothing, so the same test proves the path creates entries.
 * "inject-RULE" does the same with a DisableExternalCache inject batch
 * (where "kind" means a record of no inject kind).
 * Format: u32 type, u32 length, payload (host order).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctentry.h"
#include "ctsyncd.h"

#define IPS_CONFIRMED_SEEN_ASSURED	(0x8 | 0x2 | 0x4)

static uint32_t	batch_type = IMSG_KERNEL_COMMIT_CT;

static void
emit(uint32_t type, const void *p, uint32_t len)
{
	fwrite(&type, sizeof(type), 1, stdout);
	fwrite(&len, sizeof(len), 1, stdout);
	if (len > 0)
		fwrite(p, len, 1, stdout);
}

static void
good_entry(struct ct_item *it, int n)
{
	memset(it, 0, sizeof(*it));
	it->kind = CT_KIND_NEW;
	it->ct.orig.l3 = AF_INET;
	it->ct.orig.l4 = IPPROTO_TCP;
	inet_pton(AF_INET, "198.51.100.200", &it->ct.orig.src[0]);
	inet_pton(AF_INET, "203.0.113.200", &it->ct.orig.dst[0]);
	it->ct.orig.sport = htons(4000 + n);
	it->ct.orig.dport = htons(80);
	it->ct.flags = CTE_F_TIMEOUT | CTE_F_STATE | CTE_F_MARK;
	it->ct.status = IPS_CONFIRMED_SEEN_ASSURED;
	it->ct.timeout = 300;
	it->ct.state = 3;		/* ESTABLISHED */
	it->ct.mark = 42;
}

struct rule {
	const char	*name;
	void		(*apply)(struct ct_item *);
};

static void r_kind(struct ct_item *it)
{
	it->kind = batch_type == IMSG_KERNEL_COMMIT_CT ? CT_KIND_DESTROY :
	    CT_KIND_DUMP;
}
static void r_origin(struct ct_item *it) { it->origin = CT_ORIGIN_SELF; }
static void r_padding(struct ct_item *it) { it->pad0[3] = 1; }
static void r_family(struct ct_item *it) { it->ct.orig.l3 = 99; }
static void r_v4upper(struct ct_item *it) { it->ct.orig.src[2] = 1; }
static void r_flags(struct ct_item *it) { it->ct.flags |= 0x80000000U; }
static void r_timeout(struct ct_item *it) { it->ct.flags &= ~CTE_F_TIMEOUT; }
static void r_wscale(struct ct_item *it)
{
	it->ct.flags |= CTE_F_WSCALE;
	it->ct.wscale_orig = 15;
}
static void r_zone(struct ct_item *it) { it->ct.zone = 5; }
static void r_icmp(struct ct_item *it) { it->ct.orig.icmp_type = 8; }
static void r_state(struct ct_item *it)
{
	it->ct.orig.l4 = IPPROTO_UDP;	/* UDP has no state to set */
}
static void r_helper(struct ct_item *it)
{
	it->ct.flags |= CTE_F_HELPER;
	memset(it->ct.helper, 'a', sizeof(it->ct.helper));
}
static void r_status(struct ct_item *it) { it->ct.status |= 0x10000000U; }

static const struct rule rules[] = {
	{ "good", NULL }, { "kind", r_kind }, { "origin", r_origin },
	{ "padding", r_padding }, { "family", r_family },
	{ "v4upper", r_v4upper }, { "flags", r_flags },
	{ "timeout", r_timeout }, { "wscale", r_wscale }, { "zone", r_zone },
	{ "icmp", r_icmp }, { "state", r_state }, { "helper", r_helper },
	{ "status", r_status },
};

static void
batch(void (*apply)(struct ct_item *), int count_delta)
{
	struct {
		struct ct_batch_hdr	h;
		struct ct_item		it[2];
	} b;

	memset(&b, 0, sizeof(b));
	good_entry(&b.it[0], 0);
	good_entry(&b.it[1], 1);
	if (apply != NULL)
		apply(&b.it[1]);
	b.h.count = 2 + count_delta;
	b.h.seq = 1;
	emit(batch_type, &b, sizeof(b));
}

int
main(int argc, char *argv[])
{
	struct kernel_dump_req	d;
	struct ct_batch_hdr	h;
	const char		*rule;
	size_t			i;

	if (argc != 2) {
		fprintf(stderr, "usage: mkinject rule\n");
		return 2;
	}
	rule = argv[1];
	if (strncmp(rule, "inject-", 7) == 0) {
		batch_type = IMSG_KERNEL_INJECT_CT;
		rule += 7;
	}
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (strcmp(rule, rules[i].name) == 0) {
			batch(rules[i].apply, 0);
			return 0;
		}
	}
	if (strcmp(argv[1], "ftpmaster") == 0) {
		/* an FTP control connection with the ftp helper attached */
		struct {
			struct ct_batch_hdr	h;
			struct ct_item		it;
		} m;

		memset(&m, 0, sizeof(m));
		good_entry(&m.it, 0);
		m.it.ct.orig.dport = htons(21);
		m.it.ct.flags |= CTE_F_HELPER;
		strlcpy(m.it.ct.helper, "ftp", sizeof(m.it.ct.helper));
		m.h.count = 1;
		emit(IMSG_KERNEL_COMMIT_CT, &m, sizeof(m));
		return 0;
	}
	if (strcmp(argv[1], "count") == 0) {
		batch(NULL, 1);		/* announces 3, carries 2 */
		return 0;
	}
	if (strcmp(argv[1], "empty") == 0) {
		memset(&h, 0, sizeof(h));
		emit(IMSG_KERNEL_COMMIT_CT, &h, sizeof(h));
		return 0;
	}
	if (strcmp(argv[1], "exp") == 0) {
		/* expectations without ExpectationSync */
		struct {
			struct ct_batch_hdr	h;
			struct exp_item		it;
		} e;

		memset(&e, 0, sizeof(e));
		e.h.count = 1;
		e.it.kind = CT_KIND_NEW;
		emit(IMSG_KERNEL_COMMIT_EXP, &e, sizeof(e));
		return 0;
	}
	if (strcmp(argv[1], "dumptable") == 0) {
		memset(&d, 0, sizeof(d));
		d.table = 9;
		d.reason = KDUMP_RESYNC;
		emit(IMSG_KERNEL_DUMP_REQ, &d, sizeof(d));
		return 0;
	}
	if (strcmp(argv[1], "begin") == 0) {
		/* a commit that never ends: no dump request follows */
		emit(IMSG_KERNEL_COMMIT_BEGIN, NULL, 0);
		return 0;
	}
	if (strcmp(argv[1], "type") == 0) {
		/* only the kernel process sends events */
		memset(&h, 0, sizeof(h));
		emit(IMSG_KERNEL_CT_EVENTS, &h, sizeof(h));
		return 0;
	}
	fprintf(stderr, "mkinject: unknown rule %s\n", argv[1]);
	return 2;
}
