/*
 * Unit tests for the direction table (who may send what, how long) and
 * for the configuration transfer monitor -> children over imsg.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ctsyncd.h"
#include "daemon.h"
#include "imsg.h"
#include "privsep.h"

static int	checks, failed;

#define CHECK(c) do {							\
	checks++;							\
	if (!(c)) {							\
		printf("%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
		failed++;						\
	}								\
} while (0)

static struct imsg
fake(uint32_t type, size_t len)
{
	static uint8_t	buf[65536];
	struct imsg	imsg;

	memset(&imsg, 0, sizeof(imsg));
	imsg.hdr.type = type;
	imsg.hdr.len = IMSG_HEADER_SIZE + len;
	imsg.fd = -1;
	imsg.data = len ? buf : NULL;
	imsg.datalen = len;
	return imsg;
}

static void
test_direction_table(void)
{
	struct imsg	i;

	/* configuration only from the monitor, exact sizes */
	i = fake(IMSG_RECONF_GENERAL, sizeof(struct conf_general));
	CHECK(channel_check(PROC_KERNEL, PROC_MONITOR, &i) == 0);
	CHECK(channel_check(PROC_SYNC, PROC_MONITOR, &i) == 0);
	CHECK(channel_check(PROC_KERNEL, PROC_SYNC, &i) == -1);
	i = fake(IMSG_RECONF_GENERAL, sizeof(struct conf_general) - 1);
	CHECK(channel_check(PROC_KERNEL, PROC_MONITOR, &i) == -1);
	i = fake(IMSG_RECONF_GENERAL, sizeof(struct conf_general) + 1);
	CHECK(channel_check(PROC_KERNEL, PROC_MONITOR, &i) == -1);
	/* sync may not tell the kernel to shut down or give it privileges */
	i = fake(IMSG_SHUTDOWN, 0);
	CHECK(channel_check(PROC_KERNEL, PROC_MONITOR, &i) == 0);
	CHECK(channel_check(PROC_KERNEL, PROC_SYNC, &i) == -1);
	i = fake(IMSG_RECONF_PRIV, sizeof(struct priv_ids));
	CHECK(channel_check(PROC_KERNEL, PROC_SYNC, &i) == -1);
	/* stats requests go monitor -> kernel, answers back */
	i = fake(IMSG_KERNEL_STATS_REQ, 0);
	CHECK(channel_check(PROC_KERNEL, PROC_MONITOR, &i) == 0);
	CHECK(channel_check(PROC_KERNEL, PROC_SYNC, &i) == -1);
	CHECK(channel_check(PROC_SYNC, PROC_MONITOR, &i) == -1);
	i = fake(IMSG_KERNEL_STATS_REQ, 4);
	CHECK(channel_check(PROC_KERNEL, PROC_MONITOR, &i) == -1);
	i = fake(IMSG_KERNEL_STATS, sizeof(struct kernel_stats));
	CHECK(channel_check(PROC_MONITOR, PROC_KERNEL, &i) == 0);
	CHECK(channel_check(PROC_MONITOR, PROC_SYNC, &i) == -1);
	/* log lines: bounded, from children only */
	i = fake(IMSG_LOG, sizeof(struct log_hdr) + 10);
	CHECK(channel_check(PROC_MONITOR, PROC_SYNC, &i) == 0);
	CHECK(channel_check(PROC_KERNEL, PROC_SYNC, &i) == -1);
	i = fake(IMSG_LOG, sizeof(struct log_hdr));
	CHECK(channel_check(PROC_MONITOR, PROC_SYNC, &i) == -1);
	i = fake(IMSG_LOG, sizeof(struct log_hdr) + LOG_LINE_MAX + 1);
	CHECK(channel_check(PROC_MONITOR, PROC_SYNC, &i) == -1);
	/* control messages never travel between processes */
	i = fake(IMSG_CTL_REQUEST, sizeof(struct ctl_request));
	CHECK(channel_check(PROC_MONITOR, PROC_SYNC, &i) == -1);
	CHECK(channel_check(PROC_KERNEL, PROC_SYNC, &i) == -1);
	/* unknown types and bad roles */
	i = fake(IMSG_NONE, 0);
	CHECK(channel_check(PROC_MONITOR, PROC_SYNC, &i) == -1);
	i = fake(9999, 0);
	CHECK(channel_check(PROC_MONITOR, PROC_SYNC, &i) == -1);
	i = fake(IMSG_SHUTDOWN, 0);
	CHECK(channel_check(PROC_MAX, PROC_MONITOR, &i) == -1);
	CHECK(channel_check(PROC_KERNEL, -1, &i) == -1);
	CHECK(strcmp(imsg_type_name(IMSG_RECONF_DONE), "RECONF_DONE") == 0);
	CHECK(strcmp(imsg_type_name(9999), "unknown") == 0);
}

/* Send conf through a socketpair and feed the result to conf_recv. */
static int
transfer(const struct ctsyncd_conf *in, struct ctsyncd_conf *out,
    struct priv_ids *ids_out)
{
	struct imsgbuf		tx, rx;
	struct priv_ids		ids = { 1234, 5678 };
	struct imsg		imsg;
	int			sp[2], n, done = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1)
		return -1;
	imsgbuf_init(&tx, sp[0]);
	imsgbuf_init(&rx, sp[1]);
	imsgbuf_set_maxsize(&tx, MAX_IMSGSIZE_MONITOR);
	imsgbuf_set_maxsize(&rx, MAX_IMSGSIZE_MONITOR);
	if (conf_send(&tx, in, &ids) == -1)
		return -1;
	/* bounded: the whole config is far below 1000 reads */
	for (n = 0; !done && n < 1000; n++) {
		if (imsgbuf_write(&tx) == -1 || imsgbuf_read(&rx) != 1)
			return -1;
		while (!done && imsgbuf_get(&rx, &imsg) > 0) {
			if (channel_check(PROC_KERNEL, PROC_MONITOR,
			    &imsg) == -1)
				done = -1;
			else
				done = conf_recv(out, ids_out, &imsg);
			imsg_free(&imsg);
		}
	}
	imsgbuf_clear(&tx);
	imsgbuf_clear(&rx);
	close(sp[0]);
	close(sp[1]);
	return done;
}

static void
test_conf_transfer(void)
{
	struct ctsyncd_conf	*in, *out;
	struct conf_filter_addr	 a;
	struct priv_ids		 ids;
	uint32_t		 i;

	in = conf_new();
	out = conf_new();
	CHECK(parse_config("/usr/share/doc/conntrackd/examples/sync/ftfw/"
	    "conntrackd.conf", in) == 0);
	/* more addresses than fit one imsg */
	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	a.prefixlen = 32;
	for (i = 0; i < 700; i++) {
		uint32_t v = htonl(0xcb007100U + i);	/* 203.0.113.0 + i */
		memcpy(&a.addr, &v, 4);
		CHECK(conf_add_filter_addr(in, &a) == 0);
	}
	CHECK(transfer(in, out, &ids) == 1);
	CHECK(ids.uid == 1234 && ids.gid == 5678);
	CHECK(memcmp(&in->general, &out->general, sizeof(in->general)) == 0);
	CHECK(memcmp(&in->sync, &out->sync, sizeof(in->sync)) == 0);
	CHECK(memcmp(&in->filter, &out->filter, sizeof(in->filter)) == 0);
	CHECK(memcmp(&in->helper, &out->helper, sizeof(in->helper)) == 0);
	CHECK(out->filter.naddrs == in->filter.naddrs);
	CHECK(in->filter.naddrs > 700);
	CHECK(memcmp(in->filter_addrs, out->filter_addrs,
	    in->filter.naddrs * sizeof(a)) == 0);
	conf_free(out);

	/* a hostile filter address is refused */
	out = conf_new();
	in->filter_addrs[3].family = 99;
	CHECK(transfer(in, out, &ids) == -1);
	conf_free(out);
	out = conf_new();
	in->filter_addrs[3].family = AF_INET;
	in->filter_addrs[3].prefixlen = 33;
	CHECK(transfer(in, out, &ids) == -1);
	conf_free(out);

	/* unterminated strings arrive terminated */
	out = conf_new();
	in->filter_addrs[3].prefixlen = 32;
	memset(in->general.user, 'A', sizeof(in->general.user));
	memset(in->general.unix_path, 'B', sizeof(in->general.unix_path));
	CHECK(transfer(in, out, &ids) == 1);
	CHECK(strlen(out->general.user) == sizeof(out->general.user) - 1);
	CHECK(strlen(out->general.unix_path) ==
	    sizeof(out->general.unix_path) - 1);
	conf_free(out);

	/* too many links is refused */
	out = conf_new();
	in->sync.nlinks = CONF_MAX_LINKS + 1;
	CHECK(transfer(in, out, &ids) == -1);
	conf_free(out);
	conf_free(in);
}

int
main(void)
{
	test_direction_table();
	test_conf_transfer();
	printf("test_privsep: %d checks, %d failed\n", checks, failed);
	return failed != 0;
}
