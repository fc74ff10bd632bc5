/*
 * Unit tests for the configuration parser (daemon/parse.y, daemon/config.c).
 * Run from the repository root: it reads tests/config/{ok,bad}/ and the
 * conntrackd example configs in /usr/share/doc/conntrackd/examples.
 * Prints every failed check; exits non-zero if any failed.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"

#define EXAMPLES	"/usr/share/doc/conntrackd/examples"
#define OK_DIR		"tests/config/ok"
#define BAD_DIR		"tests/config/bad"
#define MIN_OK		8
#define MIN_BAD		30

static int	 failures;
static int	 checks;

#define CHECK(cond, ...) do {						\
	checks++;							\
	if (!(cond)) {							\
		failures++;						\
		printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);	\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

/* ---- stderr capture ---- */

struct capture {
	FILE	*tmp;
	int	 saved;
};

static void
cap_begin(struct capture *c)
{
	fflush(stderr);
	if ((c->tmp = tmpfile()) == NULL || (c->saved = dup(2)) == -1) {
		perror("capture");
		exit(2);
	}
	dup2(fileno(c->tmp), 2);
}

/* returns what was written to stderr (malloc'd, NUL-terminated) */
static char *
cap_end(struct capture *c)
{
	char	*s;
	long	 n;

	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	n = ftell(c->tmp);
	if (n < 0 || (s = malloc(n + 1)) == NULL) {
		perror("capture");
		exit(2);
	}
	rewind(c->tmp);
	n = fread(s, 1, n, c->tmp);
	s[n] = '\0';
	fclose(c->tmp);
	return s;
}

/* ---- parse helpers ---- */

static struct ctsyncd_conf *
parse_file(const char *path, int *rv, char **err)
{
	struct ctsyncd_conf	*conf;
	struct capture		 cap;

	if ((conf = conf_new()) == NULL) {
		perror("conf_new");
		exit(2);
	}
	cap_begin(&cap);
	*rv = parse_config(path, conf);
	*err = cap_end(&cap);
	return conf;
}

static struct ctsyncd_conf *
parse_buf(const char *text, size_t len, int *rv, char **err)
{
	struct ctsyncd_conf	*conf;
	struct capture		 cap;

	if ((conf = conf_new()) == NULL) {
		perror("conf_new");
		exit(2);
	}
	cap_begin(&cap);
	*rv = parse_config_buffer("buf", text, len, conf);
	*err = cap_end(&cap);
	return conf;
}

/* parse a string that must be accepted; NULL (after a FAIL) if not */
static struct ctsyncd_conf *
parse_ok(const char *text, int line)
{
	struct ctsyncd_conf	*conf;
	char			*err;
	int			 rv;

	conf = parse_buf(text, strlen(text), &rv, &err);
	if (rv != 0) {
		failures++;
		printf("FAIL %s:%d: parse failed:\n%s\n--- input:\n%s\n",
		    __FILE__, line, err, text);
		conf_free(conf);
		conf = NULL;
	}
	free(err);
	return conf;
}

/* a string that must be rejected with `frag' in the messages */
static void
parse_bad(const char *text, size_t len, const char *frag, int line)
{
	struct ctsyncd_conf	*conf;
	char			*err;
	int			 rv;

	conf = parse_buf(text, len, &rv, &err);
	checks++;
	if (rv != -1 || strstr(err, frag) == NULL) {
		failures++;
		printf("FAIL %s:%d: expected failure with `%s', got rv=%d, "
		    "stderr:\n%s\n", __FILE__, line, frag, rv, err);
	}
	free(err);
	conf_free(conf);
}

#define PARSE_OK(t)		parse_ok((t), __LINE__)
#define PARSE_BAD(t, f)		parse_bad((t), strlen(t), (f), __LINE__)

static int
addr_is(const void *a, int af, const char *text)
{
	struct in6_addr	 x;

	memset(&x, 0, sizeof(x));
	if (inet_pton(af, text, &x) != 1)
		return 0;
	return memcmp(a, &x, af == AF_INET ? 4 : 16) == 0;
}

static int
proto_set(const struct ctsyncd_conf *c, int p)
{
	return (c->filter.protos[p / 8] >> (p % 8)) & 1;
}

/* ---- round trip ---- */

static void
clear_lines(struct ctsyncd_conf *c)
{
	int	 i;

	c->general.general_line = 0;
	c->sync.line = 0;
	c->sync.mode_line = 0;
	for (i = 0; i < CONF_MAX_LINKS; i++)
		c->sync.links[i].line = 0;
}

#define SAME(a, b, field) do {						\
	checks++;							\
	if (memcmp(&(a)->field, &(b)->field, sizeof((a)->field))) {	\
		failures++;						\
		printf("FAIL round trip of %s: `" #field "' differs; "	\
		    "printed form:\n%s\n", what, text);			\
	}								\
} while (0)

/* print, parse the output back, and compare (line numbers excepted) */
static void
roundtrip(const char *what, const struct ctsyncd_conf *orig)
{
	struct ctsyncd_conf	 a;
	struct ctsyncd_conf	*b;
	char			*text = NULL, *err;
	size_t			 len = 0;
	FILE			*fp;
	int			 rv;

	if ((fp = open_memstream(&text, &len)) == NULL) {
		perror("open_memstream");
		exit(2);
	}
	conf_print(fp, orig);
	fclose(fp);
	b = parse_buf(text, len, &rv, &err);
	checks++;
	if (rv != 0) {
		failures++;
		printf("FAIL round trip of %s: reparse failed:\n%s\n%s\n",
		    what, err, text);
		goto done;
	}
	a = *orig;
	clear_lines(&a);
	clear_lines(b);
	SAME(&a, b, general);
	SAME(&a, b, sync);
	SAME(&a, b, stats);
	SAME(&a, b, filter);
	SAME(&a, b, helper);
	checks++;
	if (a.filter.naddrs == b->filter.naddrs && a.filter.naddrs &&
	    memcmp(a.filter_addrs, b->filter_addrs,
	    a.filter.naddrs * sizeof(*a.filter_addrs)) != 0) {
		failures++;
		printf("FAIL round trip of %s: filter addresses differ\n",
		    what);
	}
 done:
	free(err);
	free(text);
	conf_free(b);
}

/* ---- directory helpers ---- */

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/* sorted list of DIR/NAME for names ending in .conf */
static char **
list_confs(const char *dir, size_t *n)
{
	DIR		*d;
	struct dirent	*de;
	char		**v = NULL, *p;
	size_t		 len;

	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		if ((v = reallocarray(v, *n + 1, sizeof(*v))) == NULL ||
		    asprintf(&p, "%s/%s", dir, de->d_name) == -1) {
			perror("list_confs");
			exit(2);
		}
		v[(*n)++] = p;
	}
	closedir(d);
	qsort(v, *n, sizeof(*v), cmpstr);
	return v;
}

static void
free_list(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

/* every conntrackd.conf below dir (recursively) */
static void
find_examples(const char *dir, char ***v, size_t *n)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		*p;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&p, "%s/%s", dir, de->d_name) == -1)
			exit(2);
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			find_examples(p, v, n);
			free(p);
		} else if (strcmp(de->d_name, "conntrackd.conf") == 0) {
			if ((*v = reallocarray(*v, *n + 1, sizeof(**v))) ==
			    NULL)
				exit(2);
			(*v)[(*n)++] = p;
		} else
			free(p);
	}
	closedir(d);
}

/* ---- the conntrackd examples ---- */

static void
check_ftfw_example(const struct ctsyncd_conf *c)
{
	const struct conf_link	*l = &c->sync.links[0];

	CHECK(c->sync.mode == CONF_MODE_FTFW, "mode %d", c->sync.mode);
	CHECK(c->general.has_sync && !c->general.has_stats, "sections");
	CHECK(c->sync.nlinks == 1, "nlinks %u", c->sync.nlinks);
	CHECK(l->kind == CONF_LINK_MCAST, "kind %d", l->kind);
	CHECK(l->family == AF_INET, "family %d", l->family);
	CHECK(addr_is(&l->addr, AF_INET, "225.0.0.50"), "group address");
	CHECK(l->port == 3780, "port %u", l->port);
	CHECK(l->has_mcast_ifaddr &&
	    addr_is(&l->mcast_ifaddr, AF_INET, "192.168.100.100"),
	    "IPv4_interface");
	CHECK(strcmp(l->ifname, "eth2") == 0, "ifname %s", l->ifname);
	CHECK(l->sndbuf == 1249280 && l->rcvbuf == 1249280, "buffers");
	CHECK(l->checksum == 1, "checksum");
	CHECK(!l->is_default, "default");
	CHECK(c->general.hashsize == 32768, "HashSize %u",
	    c->general.hashsize);
	CHECK(c->general.hashlimit == 131072, "HashLimit %u",
	    c->general.hashlimit);
	CHECK(strcmp(c->general.logfile, CTSYNCD_LOGFILE) == 0, "LogFile %s",
	    c->general.logfile);
	CHECK(c->general.syslog_facility == -1, "Syslog");
	CHECK(strcmp(c->general.lockfile, "/var/lock/conntrack.lock") == 0,
	    "LockFile %s", c->general.lockfile);
	CHECK(strcmp(c->general.unix_path, "/var/run/conntrackd.ctl") == 0,
	    "UNIX Path %s", c->general.unix_path);
	CHECK(c->general.netlink_bufsize == 2097152, "NetlinkBufferSize");
	CHECK(c->general.netlink_bufsize_max == 8388608, "MaxGrowth");
	CHECK(c->general.netlink_overrun_resync == 30, "overrun resync");
	CHECK(c->filter.from_kernel == 0, "From Userspace");
	CHECK(c->filter.proto_policy == CONF_FILTER_ACCEPT, "proto policy");
	CHECK(proto_set(c, IPPROTO_TCP) && proto_set(c, IPPROTO_SCTP) &&
	    proto_set(c, IPPROTO_DCCP), "TCP, SCTP, DCCP accepted");
	CHECK(!proto_set(c, IPPROTO_UDP) && !proto_set(c, IPPROTO_ICMP),
	    "UDP, ICMP not in the set");
	CHECK(c->filter.addr_policy == CONF_FILTER_IGNORE, "addr policy");
	CHECK(c->filter.naddrs == 6, "naddrs %u", c->filter.naddrs);
	CHECK(c->filter.naddrs > 0 && c->filter_addrs[0].family == AF_INET &&
	    c->filter_addrs[0].prefixlen == 32 &&
	    addr_is(&c->filter_addrs[0].addr, AF_INET, "127.0.0.1"),
	    "first filter address");
	CHECK(c->filter.state_policy == CONF_FILTER_NONE, "no state filter");
	CHECK(c->sync.expect_sync == 0 && c->sync.tcp_window_tracking == 0,
	    "Options defaults");
	CHECK(c->sync.resend_queue_size == 131072 &&
	    c->sync.ack_window_size == 300 && c->sync.purge_timeout == 60,
	    "FTFW defaults");
}

static void
check_example(const char *path, const struct ctsyncd_conf *c)
{
	if (strstr(path, "/sync/ftfw/"))
		check_ftfw_example(c);
	else if (strstr(path, "/sync/alarm/")) {
		CHECK(c->sync.mode == CONF_MODE_ALARM, "mode %d", c->sync.mode);
		CHECK(c->sync.refresh_time == 15, "RefreshTime %u",
		    c->sync.refresh_time);
		CHECK(c->sync.cache_timeout == 180, "CacheTimeout");
		CHECK(c->sync.nlinks == 1 &&
		    c->sync.links[0].kind == CONF_LINK_MCAST, "link");
	} else if (strstr(path, "/sync/notrack/")) {
		CHECK(c->sync.mode == CONF_MODE_NOTRACK, "mode %d",
		    c->sync.mode);
		CHECK(!c->sync.disable_internal_cache &&
		    !c->sync.disable_external_cache, "caches on");
		CHECK(c->sync.nlinks == 1 && c->sync.links[0].port == 3780,
		    "link");
	} else if (strstr(path, "/stats/")) {
		CHECK(c->general.has_stats && !c->general.has_sync,
		    "sections");
		CHECK(c->sync.mode == CONF_MODE_NONE, "mode");
		CHECK(strcmp(c->stats.logfile, CTSYNCD_STATS_LOGFILE) == 0,
		    "stats LogFile %s", c->stats.logfile);
		CHECK(c->stats.syslog_facility == -1, "stats Syslog");
		CHECK(c->general.hashsize == 8192 &&
		    c->general.hashlimit == 65535, "hash sizes");
		CHECK(proto_set(c, IPPROTO_TCP) && !proto_set(c, IPPROTO_UDP),
		    "protocols");
		CHECK(c->filter.naddrs == 1, "naddrs %u", c->filter.naddrs);
	}
}

static void
test_examples(void)
{
	static const char	*need[] = { "sync/ftfw", "sync/alarm",
				    "sync/notrack", "stats" };
	struct ctsyncd_conf	*c;
	char			**v = NULL, *err, path[PATH_MAX];
	size_t			 n = 0, i;
	int			 rv;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s/conntrackd.conf",
		    EXAMPLES, need[i]);
		CHECK(access(path, R_OK) == 0, "%s is missing (install the "
		    "conntrackd package)", path);
	}
	find_examples(EXAMPLES, &v, &n);
	CHECK(n >= 4, "found %zu example configs", n);
	for (i = 0; i < n; i++) {
		c = parse_file(v[i], &rv, &err);
		CHECK(rv == 0, "%s: rejected:\n%s", v[i], err);
		if (rv == 0) {
			check_example(v[i], c);
			roundtrip(v[i], c);
		}
		free(err);
		conf_free(c);
	}
	free_list(v, n);
}

/* ---- tests/config/ok and tests/config/bad ---- */

static void
test_ok_dir(void)
{
	struct ctsyncd_conf	*c;
	char			**v, *err;
	size_t			 n, i;
	int			 rv;

	v = list_confs(OK_DIR, &n);
	CHECK(n >= MIN_OK, "%s has %zu files", OK_DIR, n);
	for (i = 0; i < n; i++) {
		c = parse_file(v[i], &rv, &err);
		CHECK(rv == 0, "%s: rejected:\n%s", v[i], err);
		CHECK(strcmp(c->file, v[i]) == 0, "conf->file %s", c->file);
		if (rv == 0)
			roundtrip(v[i], c);
		free(err);
		conf_free(c);
	}
	free_list(v, n);
}

/* the first line says what must be reported: "# expect: LINE: fragment" */
static void
test_bad_file(const char *path)
{
	struct ctsyncd_conf	*c;
	FILE			*fp;
	char			 first[512], prefix[PATH_MAX + 32];
	char			*err, *frag, *line, *end;
	long			 lineno;
	int			 rv, found = 0;

	if ((fp = fopen(path, "r")) == NULL ||
	    fgets(first, sizeof(first), fp) == NULL) {
		CHECK(0, "%s: cannot read", path);
		if (fp)
			fclose(fp);
		return;
	}
	fclose(fp);
	first[strcspn(first, "\n")] = '\0';
	if (strncmp(first, "# expect: ", 10) != 0 ||
	    (lineno = strtol(first + 10, &end, 10)) < 0 ||
	    strncmp(end, ": ", 2) != 0) {
		CHECK(0, "%s: first line is not `# expect: LINE: text'", path);
		return;
	}
	frag = end + 2;
	if (lineno > 0)
		snprintf(prefix, sizeof(prefix), "%s:%ld: ", path, lineno);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", path);

	c = parse_file(path, &rv, &err);
	for (line = err; line && *line; line = end ? end + 1 : NULL) {
		if ((end = strchr(line, '\n')) != NULL)
			*end = '\0';
		if (strncmp(line, prefix, strlen(prefix)) == 0 &&
		    strstr(line, frag) != NULL)
			found = 1;
		if (end)
			*end = '\n';
	}
	CHECK(rv == -1, "%s: accepted", path);
	CHECK(found, "%s: no `%s...%s' in:\n%s", path, prefix, frag, err);
	free(err);
	conf_free(c);
}

static void
test_bad_dir(void)
{
	char	**v;
	size_t	 n, i;

	v = list_confs(BAD_DIR, &n);
	CHECK(n >= MIN_BAD, "%s has %zu files", BAD_DIR, n);
	for (i = 0; i < n; i++)
		test_bad_file(v[i]);
	free_list(v, n);
}

/* ---- edge cases through parse_config_buffer ---- */

#define GEN	"General { UNIX { Path /run/t.sock } }\n"
#define MCAST	"Multicast { IPv4_address 225.0.0.50 Group 3780 " \
		"Interface eth0 }\n"

static void
test_values(void)
{
	struct ctsyncd_conf	*c;

	c = PARSE_OK("General { UNIX { Path /run/t.sock }\n"
	    "Systemd oFf NetlinkEventsReliable YeS\n"
	    "Syslog lOcAl7 NetlinkOverrunResync nO }\n");
	if (c) {
		CHECK(c->general.systemd == 0, "Systemd oFf");
		CHECK(c->general.netlink_events_reliable == 1, "YeS");
		CHECK(c->general.syslog_facility == LOG_LOCAL7, "facility");
		CHECK(c->general.netlink_overrun_resync == -1, "resync off");
		CHECK(c->sync.mode == CONF_MODE_NONE, "bare: no mode");
		CHECK(strcmp(c->file, "buf") == 0, "file %s", c->file);
		conf_free(c);
	}

	c = PARSE_OK("General { UNIX { Path /run/t.sock }\n"
	    "Filter From Kernelspace { Address Accept {\n"
	    "IPv6_address 2001:db8:1:2::1/64 IPv4_address 10.1.2.3/8\n"
	    "IPv4_address 10.9.9.9 } State Ignore { CLOSE LISTEN for TCP }\n"
	    "Protocol Ignore { IPv6-ICMP 132 udplite } } }\n");
	if (c) {
		CHECK(c->filter.from_kernel == 1, "From Kernelspace");
		CHECK(c->filter.naddrs == 3, "naddrs %u", c->filter.naddrs);
		if (c->filter.naddrs == 3) {
			CHECK(c->filter_addrs[0].family == AF_INET6 &&
			    c->filter_addrs[0].prefixlen == 64 &&
			    addr_is(&c->filter_addrs[0].addr, AF_INET6,
			    "2001:db8:1:2::"), "IPv6 /64 (masked)");
			CHECK(c->filter_addrs[1].prefixlen == 8 &&
			    addr_is(&c->filter_addrs[1].addr, AF_INET,
			    "10.0.0.0"), "IPv4 /8 (masked)");
			CHECK(c->filter_addrs[2].prefixlen == 32, "host");
		}
		CHECK(c->filter.state_policy == CONF_FILTER_IGNORE, "state");
		CHECK(c->filter.tcp_states == ((1U << CONF_TCP_CLOSE) |
		    (1U << CONF_TCP_LISTEN)), "states %#x",
		    c->filter.tcp_states);
		CHECK(proto_set(c, IPPROTO_ICMPV6) && proto_set(c, 132) &&
		    proto_set(c, IPPROTO_UDPLITE) && !proto_set(c, 6),
		    "protocols");
		roundtrip("filter edge case", c);
		conf_free(c);
	}

	c = PARSE_OK(GEN "Sync { Mode NoTrack { } UDP {\n"
	    "IPv6_address fe80::1 IPv6_Destination_Address fe80::2 Port 1\n"
	    "Interface eth0 } UDP Default { IPv6_address ::1\n"
	    "IPv6_Destination_Address ::2 Port 2 Interface \"Default\" }\n"
	    "Options { ExpectationSync { ftp q.931 \"Odd Name\" } } }");
	if (c) {
		CHECK(c->sync.mode == CONF_MODE_NOTRACK, "NoTrack");
		CHECK(c->sync.nlinks == 2, "nlinks");
		CHECK(!c->sync.links[0].is_default &&
		    c->sync.links[1].is_default, "second link is Default");
		CHECK(c->sync.links[1].family == AF_INET6 &&
		    addr_is(&c->sync.links[1].dest, AF_INET6, "::2"), "v6");
		CHECK(strcmp(c->sync.links[1].ifname, "Default") == 0,
		    "quoted keyword as a name");
		CHECK(c->sync.expect_sync == 2 && c->sync.nexp_helpers == 3,
		    "ExpectationSync list");
		CHECK(strcmp(c->sync.exp_helpers[1], "q.931") == 0 &&
		    strcmp(c->sync.exp_helpers[2], "Odd Name") == 0,
		    "helper names");
		CHECK(c->sync.links[0].checksum == 1 &&
		    c->sync.links[0].error_queue_len == 128, "link defaults");
		roundtrip("links edge case", c);
		conf_free(c);
	}

	/* a comment at EOF without newline; CR LF line ends */
	c = PARSE_OK("General {\r\n UNIX { Path /run/t.sock }\r\n}\r\n"
	    "# trailing comment");
	conf_free(c);
	c = PARSE_OK("General{UNIX{Path /x}}#");
	conf_free(c);
	c = PARSE_OK(GEN "Helper { Setup on Type ftp inet6 UDP {\n"
	    "QueueNum 65535 Policy p { ExpectTimeout 5 } } }");
	if (c) {
		CHECK(c->helper.setup == 1 && c->helper.nhelpers == 1,
		    "helpers");
		CHECK(c->helper.helpers[0].family == AF_INET6 &&
		    c->helper.helpers[0].l4proto == IPPROTO_UDP &&
		    c->helper.helpers[0].queue_num == 65535 &&
		    c->helper.helpers[0].npolicies == 1 &&
		    c->helper.helpers[0].policies[0].expect_timeout == 5,
		    "helper values");
		roundtrip("helper edge case", c);
		conf_free(c);
	}
}

static void
test_defaults(void)
{
	struct ctsyncd_conf	*c;

	if ((c = conf_new()) == NULL)
		exit(2);
	CHECK(c->general.hashsize == 0 && c->general.hashlimit == 0,
	    "automatic hash sizes");
	CHECK(strcmp(c->general.lockfile, CTSYNCD_LOCKFILE) == 0, "lockfile");
	CHECK(c->general.netlink_overrun_resync == 30, "resync");
	CHECK(c->general.event_iteration_limit == 100, "iteration limit");
	CHECK(c->general.systemd == 1, "systemd");
	CHECK(c->general.sched_type == -1 && c->general.sched_priority == -1,
	    "scheduler unset");
	CHECK(c->general.syslog_facility == -1 &&
	    c->stats.syslog_facility == -1, "syslog off");
	CHECK(strcmp(c->general.user, CTSYNCD_USER) == 0, "user");
	CHECK(strcmp(c->general.chroot, CTSYNCD_CHROOT) == 0, "chroot");
	CHECK(c->general.unix_group[0] == '\0', "unix group");
	CHECK(c->sync.resend_queue_size == 131072 &&
	    c->sync.ack_window_size == 300 && c->sync.purge_timeout == 60 &&
	    c->sync.refresh_time == 60 && c->sync.cache_timeout == 180 &&
	    c->sync.commit_timeout == 0, "sync defaults");
	CHECK(c->sync.links[3].checksum == 1 &&
	    c->sync.links[3].error_queue_len == 128, "link defaults");
	CHECK(strcmp(conf_mode_name(CONF_MODE_FTFW), "FTFW") == 0 &&
	    strcmp(conf_mode_name(CONF_MODE_ALARM), "ALARM") == 0 &&
	    strcmp(conf_mode_name(CONF_MODE_NOTRACK), "NOTRACK") == 0 &&
	    strcmp(conf_mode_name(CONF_MODE_NONE), "none") == 0 &&
	    strcmp(conf_mode_name(42), "none") == 0, "mode names");
	conf_free(c);
	conf_free(NULL);
}

static void
test_filter_addr_limit(void)
{
	struct ctsyncd_conf	*c;
	struct conf_filter_addr	 fa;
	uint32_t		 i;
	int			 ok = 1;

	if ((c = conf_new()) == NULL)
		exit(2);
	memset(&fa, 0, sizeof(fa));
	fa.family = AF_INET;
	fa.prefixlen = 32;
	for (i = 0; i < CONF_MAX_FILTER_ADDRS; i++) {
		memcpy(&fa.addr, &i, sizeof(i));
		if (conf_add_filter_addr(c, &fa) != 0)
			ok = 0;
	}
	CHECK(ok && c->filter.naddrs == CONF_MAX_FILTER_ADDRS, "fill");
	CHECK(conf_add_filter_addr(c, &fa) == -1, "full array refused");
	i = 4097;
	CHECK(memcmp(&c->filter_addrs[4097].addr, &i, sizeof(i)) == 0,
	    "entries kept across growth");
	conf_free(c);
}

static void
test_warnings(void)
{
	struct ctsyncd_conf	*c;
	char			*err;
	int			 rv;

	c = parse_buf(GEN "Sync { " MCAST " }", strlen(GEN "Sync { " MCAST
	    " }"), &rv, &err);
	CHECK(rv == 0 && c->sync.mode == CONF_MODE_FTFW, "default FTFW");
	CHECK(strstr(err, "buf:2: warning: no synchronization mode "
	    "specified, defaulting to FTFW") != NULL, "warning: %s", err);
	free(err);
	conf_free(c);

	c = parse_buf("General { UNIX { Path /x Backlog 5 }\nNice -20 }",
	    strlen("General { UNIX { Path /x Backlog 5 }\nNice -20 }"), &rv,
	    &err);
	CHECK(rv == 0, "Nice/Backlog accepted: %s", err);
	CHECK(strstr(err, "buf:1: warning: UNIX Backlog is ignored") &&
	    strstr(err, "buf:2: warning: Nice"), "warnings: %s", err);
	free(err);
	conf_free(c);
}

static void
test_errors(void)
{
	char	*big;
	size_t	 i, n;

	PARSE_BAD("", "buf: missing UNIX { Path }");
	PARSE_BAD("# only a comment", "missing UNIX");
	parse_bad("General { UNIX { Path /x } }\0", 30, "buf:1: NUL byte",
	    __LINE__);
	PARSE_BAD("General { HashSize 5 } Sync { Mode FTFW { } Mode ALARM {} }",
	    "buf:1: only one Mode block");
	PARSE_BAD(GEN "Sync { Mode FTFW {} Multicast Default { } Multicast "
	    "Default { } }", "buf:2: more than one Default link");
	PARSE_BAD(GEN "Sync {\nMode FTFW {}\n" MCAST "TCP {} }",
	    "buf:5: cannot use `TCP' together with `Multicast' links");
	PARSE_BAD(GEN "Stats {}\nSync {}", "buf:3: Sync and Stats");
	PARSE_BAD("General { User \"a\nb\" }", "buf:1: unterminated quoted");
	PARSE_BAD("General { Chroot relative }",
	    "syntax error near `relative'");
	PARSE_BAD("Foo", "buf:1: unknown keyword `Foo'");
	PARSE_BAD("General { UNIX { Path /x } } }", "syntax error near `}'");

	/* a token far longer than any buffer */
	n = 100000;
	if ((big = malloc(n + 64)) == NULL)
		exit(2);
	memcpy(big, "General { User ", 15);
	memset(big + 15, 'a', n);
	strlcpy(big + 15 + n, " }", 64);
	PARSE_BAD(big, "is too long");
	/* deeply nested braces: an error, not a crash */
	memcpy(big, "General ", 8);
	memset(big + 8, '{', n);
	big[8 + n] = '\0';
	PARSE_BAD(big, "buf:1: syntax error near `{'");
	memset(big, '}', n);
	big[n] = '\0';
	PARSE_BAD(big, "buf:1: syntax error near `}'");
	/* every error is reported, up to a limit */
	for (i = 0; i + 20 < n; i += 20)
		memcpy(big + i, "General{HashSize 0} ", 20);
	big[i] = '\0';
	PARSE_BAD(big, "buf: too many errors, giving up");
	free(big);

	/* more than 1 MiB */
	n = 1024 * 1024 + 1;
	if ((big = malloc(n)) == NULL)
		exit(2);
	for (i = 0; i < n; i++)
		big[i] = '\n';
	parse_bad(big, n, "buf: file too large", __LINE__);
	free(big);
}

static void
test_files(void)
{
	struct ctsyncd_conf	*c;
	char			*err;
	int			 rv;

	c = parse_file("tests/config/does-not-exist.conf", &rv, &err);
	CHECK(rv == -1 && strstr(err, "tests/config/does-not-exist.conf: "
	    "cannot open: No such file or directory"), "missing file: %s",
	    err);
	free(err);
	conf_free(c);
	c = parse_file("tests/config", &rv, &err);
	CHECK(rv == -1 && strstr(err, "tests/config: cannot read"),
	    "directory: %s", err);
	free(err);
	conf_free(c);
}

int
main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_defaults();
	test_filter_addr_limit();
	test_values();
	test_warnings();
	test_errors();
	test_files();
	test_examples();
	test_ok_dir();
	test_bad_dir();
	printf("test_config: %d checks, %d failed\n", checks, failures);
	return failures != 0;
}
