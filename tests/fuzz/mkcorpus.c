/*
 * mkcorpus DIR: write the seed corpora of fuzz_kimsg, fuzz_simsg and
 * fuzz_ctl into DIR/<target>/ (`make fuzz-corpus` regenerates
 * tests/fuzz/corpus).  The seeds are valid messages, each checked here
 * against the validator it seeds, so the fuzzers start past the length
 * and record checks; a few refused ones mark the edges.  The control
 * requests are what ctsyncctl's own argument parser makes of its
 * common flags.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctentry.h"
#include "ctlreq.h"
#include "ctsyncd.h"
#include "fuzz_msgs.h"
#include "imsg.h"
#include "kcheck.h"
#include "parser.h"
#include "scheck.h"
#include "tuples.h"

#define IPS_CONFIRMED_SEEN_ASSURED	(0x8 | 0x2 | 0x4)
#define SEED_MAX			8192

static const char	*outdir;
static char		 prog[] = "ctsyncctl";

static void
put(const char *target, const char *name, const void *p, size_t len)
{
	char	 path[1024];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		err(1, "%s", path);
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	if ((f = fopen(path, "w")) == NULL ||
	    fwrite(p, 1, len, f) != len || fclose(f) != 0)
		err(1, "%s", path);
}

/* ---- records ---- */

static void
ct_tcp4(struct ct_entry *e, int n)
{
	memset(e, 0, sizeof(*e));
	tuple4(&e->orig, IPPROTO_TCP, "198.51.100.200", "203.0.113.200",
	    4000 + n, 80);
	e->flags = CTE_F_TIMEOUT | CTE_F_STATE | CTE_F_MARK;
	e->status = IPS_CONFIRMED_SEEN_ASSURED;
	e->timeout = 300;
	e->state = 3;		/* ESTABLISHED */
	e->mark = 42;
}

static void
ct_udp6(struct ct_entry *e)
{
	memset(e, 0, sizeof(*e));
	tuple6(&e->orig, IPPROTO_UDP, "2001:db8::1", "2001:db8::2", 5353,
	    53);
	tuple6(&e->repl, IPPROTO_UDP, "2001:db8::2", "2001:db8::1", 53,
	    5353);
	e->flags = CTE_F_TIMEOUT | CTE_F_REPL | CTE_F_ZONE;
	e->status = IPS_CONFIRMED_SEEN_ASSURED;
	e->timeout = 30;
	e->zone = 7;
}

static void
ct_icmp4(struct ct_entry *e)
{
	memset(e, 0, sizeof(*e));
	tuple4(&e->orig, IPPROTO_ICMP, "192.0.2.1", "192.0.2.2", 0, 0);
	e->orig.sport = htons(77);	/* echo id */
	e->orig.icmp_type = 8;		/* echo request */
	e->flags = CTE_F_TIMEOUT;
	e->status = 0x8;
	e->timeout = 30;
}

/* an FTP data connection: a master, helper and labels */
static void
ct_related(struct ct_entry *e)
{
	memset(e, 0, sizeof(*e));
	tuple4(&e->orig, IPPROTO_TCP, "10.0.0.2", "10.0.0.1", 20, 50000);
	tuple4(&e->master, IPPROTO_TCP, "10.0.0.1", "10.0.0.2", 40000, 21);
	e->flags = CTE_F_TIMEOUT | CTE_F_MASTER | CTE_F_STATE | CTE_F_WSCALE |
	    CTE_F_LABELS | CTE_F_HELPER;
	e->status = IPS_CONFIRMED_SEEN_ASSURED | 0x1;
	e->timeout = 120;
	e->state = 3;
	e->wscale_orig = 7;
	e->wscale_repl = 7;
	e->labels[0] = 0x5;
	strlcpy(e->helper, "ftp", sizeof(e->helper));
}

static void
exp_ftp(struct exp_entry *x, int nat)
{
	memset(x, 0, sizeof(*x));
	tuple4(&x->master, IPPROTO_TCP, "10.0.0.1", "10.0.0.2", 40000, 21);
	tuple4(&x->tuple, IPPROTO_TCP, "10.0.0.2", "10.0.0.1", 0, 50000);
	tuple4(&x->mask, IPPROTO_TCP, "255.255.255.255", "255.255.255.255",
	    0, 65535);
	x->flags = EXE_F_CLASS | EXE_F_HELPER | EXE_F_TIMEOUT;
	x->timeout = 300;
	strlcpy(x->helper, "ftp", sizeof(x->helper));
	if (nat) {
		tuple4(&x->nat, IPPROTO_TCP, "10.9.9.9", "0.0.0.0", 1234, 0);
		x->flags |= EXE_F_NAT | EXE_F_FN | EXE_F_ZONE;
		x->nat_dir = 1;
		x->zone = 3;
		strlcpy(x->fn, "nat-follow-master", sizeof(x->fn));
	}
}

/* ---- batches: type, configuration, header, items ---- */

struct seed {
	uint8_t	buf[SEED_MAX];
	size_t	len;
};

static void
seed_start(struct seed *s, const uint32_t *types, size_t ntypes,
    uint32_t type, uint8_t conf)
{
	size_t	i;

	for (i = 0; i < ntypes && types[i] != type; i++)
		;
	if (i == ntypes)
		errx(1, "type %u not in the table", type);
	s->buf[0] = (uint8_t)i;
	s->buf[1] = conf;
	s->len = FUZZ_HEAD_LEN;
}

static void
seed_add(struct seed *s, const void *p, size_t len)
{
	if (len > sizeof(s->buf) - s->len)
		errx(1, "seed too large");
	memcpy(s->buf + s->len, p, len);
	s->len += len;
}

static void
seed_hdr(struct seed *s, uint32_t count, uint32_t seq)
{
	struct ct_batch_hdr	h;

	h.count = count;
	h.seq = seq;
	seed_add(s, &h, sizeof(h));
}

static void
seed_ct(struct seed *s, uint8_t kind, uint8_t origin,
    const struct ct_entry *e)
{
	struct ct_item	it;

	memset(&it, 0, sizeof(it));
	it.kind = kind;
	it.origin = origin;
	it.ct = *e;
	seed_add(s, &it, sizeof(it));
}

static void
seed_exp(struct seed *s, uint8_t kind, const struct exp_entry *x)
{
	struct exp_item	it;

	memset(&it, 0, sizeof(it));
	it.kind = kind;
	it.exp = *x;
	seed_add(s, &it, sizeof(it));
}

/* ---- fuzz_kimsg ---- */

static void
kput(const char *name, const struct seed *s, int want_ok)
{
	struct conf_sync	 cs;
	struct ct_batch_hdr	 h;
	struct kernel_dump_req	 req;
	uint32_t		 type = fuzz_kimsg_types[s->buf[0]];
	const char		*why = NULL;

	memset(&cs, 0, sizeof(cs));
	cs.expect_sync = (s->buf[1] & FUZZ_CONF_EXPECT) != 0;
	cs.disable_external_cache = (s->buf[1] & FUZZ_CONF_INJECT) != 0;
	if (type == IMSG_KERNEL_DUMP_REQ)
		why = kcheck_dump_req(s->buf + FUZZ_HEAD_LEN,
		    s->len - FUZZ_HEAD_LEN, &cs, &req);
	else if (type != IMSG_XOFF && type != IMSG_XON)
		why = kcheck_batch(type, s->buf + FUZZ_HEAD_LEN,
		    s->len - FUZZ_HEAD_LEN, &cs, &h);
	if ((why == NULL) != want_ok)
		errx(1, "kimsg seed %s: %s", name, why ? why : "accepted");
	put("fuzz_kimsg", name, s->buf, s->len);
}

static void
kimsg_batches(void)
{
	struct seed		s;
	struct ct_entry		e;
	struct exp_entry	x;
	int			i;

	seed_start(&s, fuzz_kimsg_types, FUZZ_NTYPES(fuzz_kimsg_types),
	    IMSG_KERNEL_COMMIT_CT, 0);
	seed_hdr(&s, 4, 1);
	ct_tcp4(&e, 0);
	seed_ct(&s, CT_KIND_NEW, 0, &e);
	ct_udp6(&e);
	seed_ct(&s, CT_KIND_NEW, 0, &e);
	ct_icmp4(&e);
	seed_ct(&s, CT_KIND_NEW, 0, &e);
	ct_related(&e);
	seed_ct(&s, CT_KIND_NEW, 0, &e);
	kput("commit-ct", &s, 1);

	/* a larger batch: the count and length arithmetic */
	seed_start(&s, fuzz_kimsg_types, FUZZ_NTYPES(fuzz_kimsg_types),
	    IMSG_KERNEL_COMMIT_CT, 0);
	seed_hdr(&s, 16, 2);
	for (i = 0; i < 16; i++) {
		ct_tcp4(&e, i);
		seed_ct(&s, CT_KIND_NEW, 0, &e);
	}
	kput("commit-ct-16", &s, 1);

	seed_start(&s, fuzz_kimsg_types, FUZZ_NTYPES(fuzz_kimsg_types),
	    IMSG_KERNEL_COMMIT_EXP, FUZZ_CONF_EXPECT);
	seed_hdr(&s, 2, 3);
	exp_ftp(&x, 0);
	seed_exp(&s, CT_KIND_NEW, &x);
	exp_ftp(&x, 1);
	seed_exp(&s, CT_KIND_NEW, &x);
	kput("commit-exp", &s, 1);

	seed_start(&s, fuzz_kimsg_types, FUZZ_NTYPES(fuzz_kimsg_types),
	    IMSG_KERNEL_INJECT_CT, FUZZ_CONF_INJECT);
	seed_hdr(&s, 3, 0);
	ct_tcp4(&e, 1);
	seed_ct(&s, CT_KIND_NEW, 0, &e);
	seed_ct(&s, CT_KIND_UPDATE, 0, &e);
	/* a DESTROY needs no timeout */
	e.flags &= ~CTE_F_TIMEOUT;
	e.timeout = 0;
	seed_ct(&s, CT_KIND_DESTROY, 0, &e);
	kput("inject-ct", &s, 1);

	seed_start(&s, fuzz_kimsg_types, FUZZ_NTYPES(fuzz_kimsg_types),
	    IMSG_KERNEL_INJECT_EXP, FUZZ_CONF_INJECT | FUZZ_CONF_EXPECT);
	seed_hdr(&s, 2, 0);
	exp_ftp(&x, 1);
	seed_exp(&s, CT_KIND_NEW, &x);
	seed_exp(&s, CT_KIND_DESTROY, &x);
	kput("inject-exp", &s, 1);

	/* refused: the count says one more than there is */
	seed_start(&s, fuzz_kimsg_types, FUZZ_NTYPES(fuzz_kimsg_types),
	    IMSG_KERNEL_COMMIT_CT, 0);
	seed_hdr(&s, 2, 4);
	ct_tcp4(&e, 0);
	seed_ct(&s, CT_KIND_NEW, 0, &e);
	kput("commit-bad-count", &s, 0);
}

static void
kimsg_other(void)
{
	struct seed		s;
	struct kernel_dump_req	req;

	memset(&req, 0, sizeof(req));
	seed_start(&s, fuzz_kimsg_types, FUZZ_NTYPES(fuzz_kimsg_types),
	    IMSG_KERNEL_DUMP_REQ, 0);
	req.seq = 1;
	req.table = KTABLE_CT;
	req.reason = KDUMP_STARTUP;
	seed_add(&s, &req, sizeof(req));
	kput("dump-req-ct", &s, 1);

	seed_start(&s, fuzz_kimsg_types, FUZZ_NTYPES(fuzz_kimsg_types),
	    IMSG_KERNEL_DUMP_REQ, FUZZ_CONF_EXPECT);
	req.seq = 2;
	req.table = KTABLE_EXP;
	req.reason = KDUMP_RESYNC;
	seed_add(&s, &req, sizeof(req));
	kput("dump-req-exp", &s, 1);

	seed_start(&s, fuzz_kimsg_types, FUZZ_NTYPES(fuzz_kimsg_types),
	    IMSG_XOFF, 0);
	kput("xoff", &s, 1);
}

/* ---- fuzz_simsg ---- */

static void
sput(const char *name, const struct seed *s)
{
	const uint8_t		*p = s->buf + FUZZ_HEAD_LEN;
	size_t			 len = s->len - FUZZ_HEAD_LEN, isz;
	uint32_t		 type = fuzz_simsg_types[s->buf[0]];
	struct ct_batch_hdr	 h;
	struct kernel_dump_end	 end;
	struct kernel_dump_req	 f;
	struct ct_item		 ci;
	struct exp_item		 ei;
	uint32_t		 i;
	int			 exp, bad = 0;

	exp = type == IMSG_KERNEL_EXP_EVENTS;
	if (type == IMSG_KERNEL_CT_EVENTS || exp) {
		isz = exp ? sizeof(ei) : sizeof(ci);
		bad = scheck_batch(p, len, isz, &h) != NULL;
		for (i = 0; !bad && i < h.count; i++) {
			memcpy(exp ? (void *)&ei : (void *)&ci,
			    p + sizeof(h) + i * isz, isz);
			bad = exp ? scheck_exp_item(&ei) : scheck_ct_item(&ci);
		}
	} else if (type == IMSG_KERNEL_DUMP_END)
		bad = scheck_dump_end(p, len, &end);
	else if (type == IMSG_KERNEL_FLUSHED)
		bad = scheck_flushed(p, len,
		    (s->buf[1] & FUZZ_CONF_EXPECT) != 0, &f);
	if (bad)
		errx(1, "simsg seed %s refused", name);
	put("fuzz_simsg", name, s->buf, s->len);
}

static void
simsg_batches(void)
{
	struct seed		s;
	struct ct_entry		e;
	struct exp_entry	x;
	int			i;

	seed_start(&s, fuzz_simsg_types, FUZZ_NTYPES(fuzz_simsg_types),
	    IMSG_KERNEL_CT_EVENTS, 0);
	seed_hdr(&s, 5, 0);
	ct_tcp4(&e, 0);
	seed_ct(&s, CT_KIND_NEW, CT_ORIGIN_EXTERNAL, &e);
	seed_ct(&s, CT_KIND_UPDATE, CT_ORIGIN_EXTERNAL, &e);
	ct_udp6(&e);
	seed_ct(&s, CT_KIND_NEW, CT_ORIGIN_SELF, &e);
	ct_related(&e);
	seed_ct(&s, CT_KIND_NEW, CT_ORIGIN_EXTERNAL, &e);
	ct_tcp4(&e, 0);
	seed_ct(&s, CT_KIND_DESTROY, CT_ORIGIN_EXTERNAL, &e);
	sput("ct-events", &s);

	seed_start(&s, fuzz_simsg_types, FUZZ_NTYPES(fuzz_simsg_types),
	    IMSG_KERNEL_CT_EVENTS, 0);
	seed_hdr(&s, 12, 1);
	for (i = 0; i < 10; i++) {
		ct_tcp4(&e, i);
		seed_ct(&s, CT_KIND_DUMP, 0, &e);
	}
	ct_icmp4(&e);
	seed_ct(&s, CT_KIND_DUMP, 0, &e);
	ct_udp6(&e);
	seed_ct(&s, CT_KIND_DUMP, 0, &e);
	sput("ct-dump", &s);

	seed_start(&s, fuzz_simsg_types, FUZZ_NTYPES(fuzz_simsg_types),
	    IMSG_KERNEL_EXP_EVENTS, FUZZ_CONF_EXPECT);
	seed_hdr(&s, 3, 0);
	exp_ftp(&x, 0);
	seed_exp(&s, CT_KIND_NEW, &x);
	exp_ftp(&x, 1);
	seed_exp(&s, CT_KIND_DUMP, &x);
	seed_exp(&s, CT_KIND_DESTROY, &x);
	sput("exp-events", &s);
}

static void
simsg_other(void)
{
	struct seed			s;
	struct kernel_dump_end		end;
	struct kernel_commit_ack	ack;
	struct kernel_dump_req		f;

	memset(&end, 0, sizeof(end));
	seed_start(&s, fuzz_simsg_types, FUZZ_NTYPES(fuzz_simsg_types),
	    IMSG_KERNEL_DUMP_END, 0);
	end.seq = 1;
	end.table = KTABLE_CT;
	end.reason = KDUMP_STARTUP;
	end.count = 12;
	seed_add(&s, &end, sizeof(end));
	sput("dump-end", &s);

	seed_start(&s, fuzz_simsg_types, FUZZ_NTYPES(fuzz_simsg_types),
	    IMSG_KERNEL_DUMP_END, FUZZ_CONF_EXPECT);
	end.seq = 2;
	end.table = KTABLE_EXP;
	end.reason = KDUMP_OVERRUN;
	end.error = ENOBUFS;
	end.count = 0;
	seed_add(&s, &end, sizeof(end));
	sput("dump-end-exp-error", &s);

	memset(&ack, 0, sizeof(ack));
	seed_start(&s, fuzz_simsg_types, FUZZ_NTYPES(fuzz_simsg_types),
	    IMSG_KERNEL_COMMIT_ACK, 0);
	ack.seq = 1;
	ack.ok = 250;
	ack.failed = 6;
	seed_add(&s, &ack, sizeof(ack));
	sput("commit-ack", &s);

	memset(&f, 0, sizeof(f));
	seed_start(&s, fuzz_simsg_types, FUZZ_NTYPES(fuzz_simsg_types),
	    IMSG_KERNEL_FLUSHED, FUZZ_CONF_EXPECT);
	f.table = KTABLE_EXP;
	f.reason = KDUMP_FLUSHED;
	seed_add(&s, &f, sizeof(f));
	sput("flushed-exp", &s);

	seed_start(&s, fuzz_simsg_types, FUZZ_NTYPES(fuzz_simsg_types),
	    IMSG_KERNEL_OVERRUN, 0);
	sput("overrun", &s);
}

/* ---- fuzz_ctl: the byte stream ctsyncctl writes ---- */

static size_t
ctl_frame(uint8_t *buf, const struct ctl_request *req)
{
	struct imsg_hdr	hdr;

	hdr.type = IMSG_CTL_REQUEST;
	hdr.len = IMSG_HEADER_SIZE + sizeof(*req);
	hdr.peerid = 0;
	hdr.pid = 4242;
	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), req, sizeof(*req));
	return sizeof(hdr) + sizeof(*req);
}

/* what `ctsyncctl ARGS' sends */
static void
ctl_args(const char *name, const char *args)
{
	struct ctl_cmd		cmd;
	struct ctl_request	req;
	char			line[128], *argv[8], *p, errbuf[256];
	uint8_t			buf[64];
	int			argc = 1;

	strlcpy(line, args, sizeof(line));
	argv[0] = prog;
	for (p = strtok(line, " "); p != NULL && argc < 7;
	    p = strtok(NULL, " "))
		argv[argc++] = p;
	argv[argc] = NULL;
	if (ctl_parse_args(argc, argv, &cmd, errbuf, sizeof(errbuf)) == -1 ||
	    cmd.action != ACT_REQUEST)
		errx(1, "ctsyncctl %s: %s", args, errbuf);
	memset(&req, 0, sizeof(req));
	req.version = CTL_PROTO_VERSION;
	req.op = cmd.op;
	req.arg = cmd.arg;
	req.flags = cmd.flags;
	if (ctlreq_check(&req) != CTL_RES_OK)
		errx(1, "ctsyncctl %s: request refused", args);
	put("fuzz_ctl", name, buf, ctl_frame(buf, &req));
}

static void
ctl_seeds(void)
{
	struct ctl_request	req;
	uint8_t			buf[128];
	size_t			n;

	ctl_args("stats", "-s");
	ctl_args("stats-cache", "-s cache");
	ctl_args("stats-runtime", "-s runtime");
	ctl_args("stats-process", "-s process");
	ctl_args("dump-internal", "-i");
	ctl_args("dump-internal-expect-json", "-j -i expect");
	ctl_args("dump-external-xml", "-x -e");
	ctl_args("commit", "-c");
	ctl_args("flush-caches", "-f");
	ctl_args("flush-internal", "-f internal");
	ctl_args("flush-kernel", "-F");
	ctl_args("resync-peers", "-n");
	ctl_args("bulk", "-B");
	ctl_args("kill", "-k");
	ctl_args("timers", "-t");
	ctl_args("resync-kernel", "-R");
	ctl_args("status", "show status");

	/* edges: an old client, a request cut short, one after another */
	memset(&req, 0, sizeof(req));
	req.version = CTL_PROTO_VERSION + 1;
	req.op = CTL_OP_STATS;
	put("fuzz_ctl", "version-mismatch", buf, ctl_frame(buf, &req));
	req.version = CTL_PROTO_VERSION;
	n = ctl_frame(buf, &req);
	put("fuzz_ctl", "truncated", buf, n - 3);
	req.op = CTL_OP_KILL;
	n += ctl_frame(buf + n, &req);
	put("fuzz_ctl", "two-requests", buf, n);
}

int
main(int argc, char *argv[])
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkcorpus dir\n");
		return 2;
	}
	outdir = argv[1];
	kimsg_batches();
	kimsg_other();
	simsg_batches();
	simsg_other();
	ctl_seeds();
	return 0;
}
