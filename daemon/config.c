/*
 * ctsyncd configuration: defaults, value tables shared with the grammar,
 * cross-section validation and the normalised printer used by `ctsyncd -nv'
 * and the round-trip test.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <netdb.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "config.h"

#define MODEBIT(m)	(1U << (m))
#define M_FTFW		MODEBIT(CONF_MODE_FTFW)
#define M_ALARM		MODEBIT(CONF_MODE_ALARM)
#define M_NOTRACK	MODEBIT(CONF_MODE_NOTRACK)

/*
 * Options of the Mode blocks (spec 3.4).  `synclevel' options are also
 * accepted directly in Sync for backward compatibility.
 */
static const struct mode_opt {
	const char	*name;
	unsigned int	 modes;
	int		 synclevel;
	int		 isbool;
	size_t		 off;		/* in struct conf_sync */
	uint32_t	 def;
} mode_opts[] = {
	{ "ResendQueueSize", M_FTFW, 0, 0,
	    offsetof(struct conf_sync, resend_queue_size), 131072 },
	{ "ACKWindowSize", M_FTFW, 0, 0,
	    offsetof(struct conf_sync, ack_window_size), 300 },
	{ "RefreshTime", M_ALARM, 1, 0,
	    offsetof(struct conf_sync, refresh_time), 60 },
	{ "CacheTimeout", M_ALARM, 1, 0,
	    offsetof(struct conf_sync, cache_timeout), 180 },
	{ "CommitTimeout", M_FTFW | M_ALARM | M_NOTRACK, 1, 0,
	    offsetof(struct conf_sync, commit_timeout), 0 },
	{ "PurgeTimeout", M_FTFW | M_ALARM | M_NOTRACK, 1, 0,
	    offsetof(struct conf_sync, purge_timeout), 60 },
	{ "DisableInternalCache", M_NOTRACK, 0, 1,
	    offsetof(struct conf_sync, disable_internal_cache), 0 },
	{ "DisableExternalCache", M_FTFW | M_NOTRACK, 0, 1,
	    offsetof(struct conf_sync, disable_external_cache), 0 },
	{ "StartupResync", M_FTFW | M_NOTRACK, 0, 1,
	    offsetof(struct conf_sync, startup_resync), 0 },
};

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Protocol names accepted in Filter Protocol without /etc/protocols;
 * the first entry for a number is the name conf_print() uses.
 */
static const struct proto_name {
	const char	*name;
	int		 num;
} proto_names[] = {
	{ "icmp", IPPROTO_ICMP },
	{ "igmp", IPPROTO_IGMP },
	{ "ipip", IPPROTO_IPIP },
	{ "ipencap", IPPROTO_IPIP },
	{ "tcp", IPPROTO_TCP },
	{ "egp", IPPROTO_EGP },
	{ "udp", IPPROTO_UDP },
	{ "dccp", IPPROTO_DCCP },
	{ "ipv6", IPPROTO_IPV6 },
	{ "rsvp", IPPROTO_RSVP },
	{ "gre", IPPROTO_GRE },
	{ "esp", IPPROTO_ESP },
	{ "ah", IPPROTO_AH },
	{ "ipv6-icmp", IPPROTO_ICMPV6 },
	{ "icmpv6", IPPROTO_ICMPV6 },
	{ "icmp6", IPPROTO_ICMPV6 },
	{ "ospf", 89 },
	{ "pim", IPPROTO_PIM },
	{ "vrrp", 112 },
	{ "l2tp", 115 },
	{ "sctp", IPPROTO_SCTP },
	{ "udplite", IPPROTO_UDPLITE },
};

static const struct facility_name {
	const char	*name;
	int		 val;
} facility_names[] = {
	{ "daemon", LOG_DAEMON },
	{ "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 },
};

/* indexed by enum conf_tcp_state; CLOSE is an alias of CLOSED */
static const char *tcp_state_names[] = {
	NULL, "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
	"CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSED", "LISTEN",
};

static const char *link_kind_names[] = { "none", "Multicast", "UDP", "TCP" };

static void	conf_msg(const struct ctsyncd_conf *, uint32_t, int,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
static int	check_link(const struct ctsyncd_conf *,
		    const struct conf_link *);
static int	check_links(const struct ctsyncd_conf *);
static int	check_mode(struct ctsyncd_conf *);
static void	put_word(FILE *, const char *);
static void	pr_word(FILE *, int, const char *, const char *);
static void	pr_path(FILE *, int, const char *, const char *);
static void	pr_addr(FILE *, int, const char *, int, const void *, int);
static void	print_general(FILE *, const struct ctsyncd_conf *);
static void	print_filter(FILE *, const struct ctsyncd_conf *);
static void	print_sync(FILE *, const struct conf_sync *);
static void	print_link(FILE *, const struct conf_link *);
static void	print_stats(FILE *, const struct conf_stats *);
static void	print_helper(FILE *, const struct conf_helpers *);

struct ctsyncd_conf *
conf_new(void)
{
	struct ctsyncd_conf	*conf;

	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		return NULL;
	conf_defaults(conf);
	return conf;
}

/*
 * Overwrites everything (filter_addrs is not freed): use on a fresh
 * struct only.
 */
void
conf_defaults(struct ctsyncd_conf *conf)
{
	struct conf_general	*g = &conf->general;
	struct conf_sync	*s = &conf->sync;
	size_t			 i;

	memset(conf, 0, sizeof(*conf));

	strlcpy(g->lockfile, CTSYNCD_LOCKFILE, sizeof(g->lockfile));
	g->syslog_facility = -1;
	g->netlink_overrun_resync = 30;
	g->systemd = 1;
	g->event_iteration_limit = 100;
	g->sched_type = -1;
	g->sched_priority = -1;
	strlcpy(g->user, CTSYNCD_USER, sizeof(g->user));
	strlcpy(g->chroot, CTSYNCD_CHROOT, sizeof(g->chroot));

	s->resend_queue_size = 131072;
	s->ack_window_size = 300;
	s->purge_timeout = 60;
	s->refresh_time = 60;
	s->cache_timeout = 180;
	for (i = 0; i < CONF_MAX_LINKS; i++) {
		s->links[i].checksum = 1;
		s->links[i].error_queue_len = 128;
	}

	conf->stats.syslog_facility = -1;
}

void
conf_free(struct ctsyncd_conf *conf)
{
	if (conf == NULL)
		return;
	free(conf->filter_addrs);
	free(conf);
}

/*
 * The array has no capacity field: its capacity is implied by naddrs
 * (16, then the next power of two), so grow exactly when it is full.
 */
int
conf_add_filter_addr(struct ctsyncd_conf *conf,
    const struct conf_filter_addr *fa)
{
	struct conf_filter_addr	*na;
	uint32_t		 n = conf->filter.naddrs;
	size_t			 cap;

	/* a caller that set naddrs by hand must also supply the array */
	if (n >= CONF_MAX_FILTER_ADDRS || (n > 0 && conf->filter_addrs == NULL))
		return -1;
	if (n == 0 || (n >= 16 && (n & (n - 1)) == 0)) {
		cap = n == 0 ? 16 : (size_t)n * 2;
		na = reallocarray(conf->filter_addrs, cap, sizeof(*na));
		if (na == NULL)
			return -1;
		conf->filter_addrs = na;
	}
	conf->filter_addrs[n] = *fa;
	conf->filter.naddrs = n + 1;
	return 0;
}

const char *
conf_mode_name(int mode)
{
	switch (mode) {
	case CONF_MODE_FTFW:
		return "FTFW";
	case CONF_MODE_ALARM:
		return "ALARM";
	case CONF_MODE_NOTRACK:
		return "NOTRACK";
	default:
		return "none";
	}
}

/* ---- value tables shared with parse.y ---- */

/* built-in names first so parsing does not depend on /etc/protocols */
int
conf_proto_lookup(const char *name)
{
	struct protoent	*pe;
	size_t		 i;

	for (i = 0; i < nitems(proto_names); i++)
		if (strcasecmp(name, proto_names[i].name) == 0)
			return proto_names[i].num;
	if ((pe = getprotobyname(name)) != NULL &&
	    pe->p_proto >= 0 && pe->p_proto <= 255)
		return pe->p_proto;
	return -1;
}

const char *
conf_proto_name(int num)
{
	size_t	 i;

	for (i = 0; i < nitems(proto_names); i++)
		if (proto_names[i].num == num)
			return proto_names[i].name;
	return NULL;
}

int
conf_facility_lookup(const char *name)
{
	size_t	 i;

	for (i = 0; i < nitems(facility_names); i++)
		if (strcasecmp(name, facility_names[i].name) == 0)
			return facility_names[i].val;
	return -1;
}

const char *
conf_facility_name(int val)
{
	size_t	 i;

	for (i = 0; i < nitems(facility_names); i++)
		if (facility_names[i].val == val)
			return facility_names[i].name;
	return NULL;
}

int
conf_tcp_state_lookup(const char *name)
{
	size_t	 i;

	if (strcasecmp(name, "CLOSE") == 0)
		return CONF_TCP_CLOSE;
	for (i = 1; i < nitems(tcp_state_names); i++)
		if (strcasecmp(name, tcp_state_names[i]) == 0)
			return (int)i;
	return -1;
}

/* mode CONF_MODE_NONE means "directly in Sync" */
int
conf_mode_allows(int mode, const char *option)
{
	size_t	 i;

	for (i = 0; i < nitems(mode_opts); i++) {
		if (strcmp(mode_opts[i].name, option) != 0)
			continue;
		if (mode == CONF_MODE_NONE)
			return mode_opts[i].synclevel;
		return (mode_opts[i].modes & MODEBIT(mode)) != 0;
	}
	return 0;
}

/* ---- validation ---- */

static void
conf_msg(const struct ctsyncd_conf *conf, uint32_t line, int warn,
    const char *fmt, ...)
{
	va_list	 ap;

	if (line)
		fprintf(stderr, "%s:%u: ", conf->file, line);
	else
		fprintf(stderr, "%s: ", conf->file);
	if (warn)
		fputs("warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int
is_mcast(const struct conf_link *l)
{
	struct in_addr	 a4;

	if (l->family == AF_INET6)
		return IN6_IS_ADDR_MULTICAST(&l->addr);
	memcpy(&a4, &l->addr, sizeof(a4));
	return IN_MULTICAST(ntohl(a4.s_addr));
}

static int
check_link(const struct ctsyncd_conf *conf, const struct conf_link *l)
{
	const char	*k;
	int		 bad = 0;

	if (l->kind < CONF_LINK_MCAST || l->kind > CONF_LINK_TCP) {
		conf_msg(conf, l->line, 0, "link of unknown kind %u", l->kind);
		return -1;
	}
	k = link_kind_names[l->kind];
	if (memchr(l->ifname, '\0', sizeof(l->ifname)) == NULL) {
		conf_msg(conf, l->line, 0, "%s: interface name too long", k);
		bad = 1;
	}
	if (!l->has_addr) {
		conf_msg(conf, l->line, 0, "%s link lacks %s", k,
		    l->kind == CONF_LINK_MCAST ? "a multicast group address" :
		    "a local address (IPv4_address or IPv6_address)");
		return -1;
	}
	if (l->family != AF_INET && l->family != AF_INET6) {
		conf_msg(conf, l->line, 0, "%s link has no address family", k);
		return -1;
	}
	if (l->port == 0) {
		conf_msg(conf, l->line, 0, "%s link lacks %s", k,
		    l->kind == CONF_LINK_MCAST ? "Group (the UDP port)" :
		    "Port");
		bad = 1;
	}
	if (l->kind == CONF_LINK_MCAST) {
		if (!is_mcast(l)) {
			conf_msg(conf, l->line, 0,
			    "Multicast group address is not a multicast "
			    "address");
			bad = 1;
		}
		if (l->has_mcast_ifaddr && l->family != AF_INET) {
			conf_msg(conf, l->line, 0, "IPv4 and IPv6 addresses "
			    "mixed in one link");
			bad = 1;
		}
		if (!l->has_mcast_ifaddr && l->ifname[0] == '\0') {
			conf_msg(conf, l->line, 0, "Multicast link lacks "
			    "IPv4_interface or Interface");
			bad = 1;
		}
	} else if (!l->has_dest) {
		conf_msg(conf, l->line, 0, "%s link lacks a destination "
		    "address (IPv%c_Destination_Address)", k,
		    l->family == AF_INET6 ? '6' : '4');
		bad = 1;
	}
	return bad ? -1 : 0;
}

static int
check_links(const struct ctsyncd_conf *conf)
{
	const struct conf_sync	*s = &conf->sync;
	uint32_t		 i, ndef = 0;
	int			 rv = 0;

	if (s->nlinks == 0) {
		conf_msg(conf, s->line, 0, "Sync section without a dedicated "
		    "link (Multicast, UDP or TCP block)");
		return -1;
	}
	if (s->nlinks > CONF_MAX_LINKS) {
		conf_msg(conf, s->line, 0, "more than %d dedicated links",
		    CONF_MAX_LINKS);
		return -1;
	}
	for (i = 0; i < s->nlinks; i++) {
		if (check_link(conf, &s->links[i]) == -1)
			rv = -1;
		if (s->links[i].kind != s->links[0].kind) {
			conf_msg(conf, s->links[i].line, 0, "cannot mix "
			    "dedicated link kinds in one Sync section");
			rv = -1;
		}
		if (s->links[i].is_default && ndef++ > 0) {
			conf_msg(conf, s->links[i].line, 0,
			    "more than one Default link");
			rv = -1;
		}
	}
	return rv;
}

static int
check_mode(struct ctsyncd_conf *conf)
{
	struct conf_sync	*s = &conf->sync;
	uint32_t		 line = s->mode_line ? s->mode_line : s->line;
	int			 rv = 0;

	if (s->mode == CONF_MODE_NONE) {
		conf_msg(conf, s->line, 1, "no synchronization mode "
		    "specified, defaulting to FTFW");
		s->mode = CONF_MODE_FTFW;
	}
	if (s->mode > CONF_MODE_NOTRACK) {
		conf_msg(conf, line, 0, "unknown synchronization mode %u",
		    s->mode);
		return -1;
	}
	if (s->disable_internal_cache &&
	    !conf_mode_allows(s->mode, "DisableInternalCache")) {
		conf_msg(conf, line, 0, "DisableInternalCache is only valid "
		    "in Mode NOTRACK");
		rv = -1;
	}
	if (s->disable_external_cache &&
	    !conf_mode_allows(s->mode, "DisableExternalCache")) {
		conf_msg(conf, line, 0, "DisableExternalCache is not valid "
		    "in Mode %s", conf_mode_name(s->mode));
		rv = -1;
	}
	if (s->startup_resync &&
	    !conf_mode_allows(s->mode, "StartupResync")) {
		conf_msg(conf, line, 0, "StartupResync is not valid in "
		    "Mode %s", conf_mode_name(s->mode));
		rv = -1;
	}
	/* conntrackd silently drops CommitTimeout here; say so instead */
	if (s->disable_external_cache && s->commit_timeout) {
		conf_msg(conf, line, 0, "CommitTimeout cannot be used with "
		    "DisableExternalCache (there is nothing to commit)");
		rv = -1;
	}
	if (s->expect_sync > 2 || s->nexp_helpers > CONF_MAX_EXP_HELPERS) {
		conf_msg(conf, s->line, 0, "bad ExpectationSync settings");
		rv = -1;
	}
	return rv;
}

/*
 * Cross-section checks after a successful parse.  Prints every problem as
 * "FILE:LINE: message" and returns -1 if any was an error.
 */
int
conf_validate(struct ctsyncd_conf *conf)
{
	struct conf_general	*g = &conf->general;
	int			 rv = 0;

	if (g->unix_path[0] == '\0') {
		conf_msg(conf, g->general_line, 0, "missing UNIX { Path } "
		    "in General (the control socket is required)");
		rv = -1;
	}
	if (g->netlink_bufsize && g->netlink_bufsize_max &&
	    g->netlink_bufsize > g->netlink_bufsize_max) {
		conf_msg(conf, g->general_line, 0, "NetlinkBufferSize (%u) "
		    "is larger than NetlinkBufferSizeMaxGrowth (%u)",
		    g->netlink_bufsize, g->netlink_bufsize_max);
		rv = -1;
	}
	if (g->user[0] == '\0' || g->chroot[0] != '/') {
		conf_msg(conf, g->general_line, 0, "User must be set and "
		    "Chroot must be an absolute path");
		rv = -1;
	}
	if (g->has_sync && g->has_stats) {
		conf_msg(conf, conf->sync.line, 0, "Sync and Stats sections "
		    "cannot be used together");
		rv = -1;
	}
	if (g->has_sync) {
		if (check_mode(conf) == -1)
			rv = -1;
		if (check_links(conf) == -1)
			rv = -1;
	}
	if (g->has_stats && g->syslog_facility != -1 &&
	    conf->stats.syslog_facility != -1 &&
	    g->syslog_facility != conf->stats.syslog_facility)
		conf_msg(conf, g->general_line, 1, "General and Stats use "
		    "different syslog facilities");
	if (conf->helper.nhelpers > CONF_MAX_HELPERS) {
		conf_msg(conf, 0, 0, "too many helpers");
		rv = -1;
	}
	return rv;
}

/* ---- printing ---- */

static const char tabs[] = "\t\t\t\t\t\t";

/* names that would not lex back as the same bare word get quoted */
static void
put_word(FILE *fp, const char *w)
{
	if (parse_word_is_plain(w))
		fputs(w, fp);
	else
		fprintf(fp, "\"%s\"", w);
}

static void
pr_word(FILE *fp, int ind, const char *kw, const char *w)
{
	fprintf(fp, "%.*s%s ", ind, tabs, kw);
	put_word(fp, w);
	fputc('\n', fp);
}

/* a path is quoted if it holds a character that ends a bare path token */
static void
pr_path(FILE *fp, int ind, const char *kw, const char *p)
{
	if (p[strcspn(p, " \t{}#\"")] == '\0')
		fprintf(fp, "%.*s%s %s\n", ind, tabs, kw, p);
	else
		fprintf(fp, "%.*s%s \"%s\"\n", ind, tabs, kw, p);
}

static void
pr_addr(FILE *fp, int ind, const char *kw, int af, const void *a, int plen)
{
	char	 buf[INET6_ADDRSTRLEN];

	if (inet_ntop(af, a, buf, sizeof(buf)) == NULL)
		strlcpy(buf, "invalid", sizeof(buf));
	if (plen < 0 || plen == (af == AF_INET ? 32 : 128))
		fprintf(fp, "%.*s%s %s\n", ind, tabs, kw, buf);
	else
		fprintf(fp, "%.*s%s %s/%d\n", ind, tabs, kw, buf, plen);
}

static const char *
onoff(int b)
{
	return b ? "on" : "off";
}

static const char *
policy_name(int p)
{
	return p == CONF_FILTER_ACCEPT ? "Accept" : "Ignore";
}

static void
print_filter(FILE *fp, const struct ctsyncd_conf *conf)
{
	const struct conf_filter	*f = &conf->filter;
	const struct conf_filter_addr	*fa;
	const char			*name;
	uint32_t			 i;
	int				 p;

	if (!f->from_kernel && !f->proto_policy && !f->addr_policy &&
	    !f->state_policy && f->naddrs == 0)
		return;
	fprintf(fp, "\tFilter From %s {\n",
	    f->from_kernel ? "Kernelspace" : "Userspace");
	if (f->proto_policy) {
		fprintf(fp, "\t\tProtocol %s {\n",
		    policy_name(f->proto_policy));
		for (p = 0; p < 256; p++) {
			if (!(f->protos[p / 8] & (1U << (p % 8))))
				continue;
			if (p == IPPROTO_TCP || p == IPPROTO_UDP)
				name = p == IPPROTO_TCP ? "TCP" : "UDP";
			else
				name = conf_proto_name(p);
			if (name != NULL)
				fprintf(fp, "\t\t\t%s\n", name);
			else
				fprintf(fp, "\t\t\t%d\n", p);
		}
		fputs("\t\t}\n", fp);
	}
	if (f->addr_policy || f->naddrs) {
		fprintf(fp, "\t\tAddress %s {\n", policy_name(f->addr_policy));
		for (i = 0; i < f->naddrs; i++) {
			fa = &conf->filter_addrs[i];
			pr_addr(fp, 3, fa->family == AF_INET ? "IPv4_address" :
			    "IPv6_address", fa->family, &fa->addr,
			    fa->prefixlen);
		}
		fputs("\t\t}\n", fp);
	}
	if (f->state_policy) {
		fprintf(fp, "\t\tState %s {\n\t\t\t",
		    policy_name(f->state_policy));
		for (p = CONF_TCP_SYN_SENT; p <= CONF_TCP_LISTEN; p++)
			if (f->tcp_states & (1U << p))
				fprintf(fp, "%s ", tcp_state_names[p]);
		fputs("for TCP\n\t\t}\n", fp);
	}
	fputs("\t}\n", fp);
}

static void
print_general(FILE *fp, const struct ctsyncd_conf *conf)
{
	const struct conf_general	*g = &conf->general;
	const char			*fac;

	fputs("General {\n", fp);
	fprintf(fp, "\tSystemd %s\n", onoff(g->systemd));
	if (g->hashsize)
		fprintf(fp, "\tHashSize %u\n", g->hashsize);
	if (g->hashlimit)
		fprintf(fp, "\tHashLimit %u\n", g->hashlimit);
	if (g->logfile[0])
		pr_path(fp, 1, "LogFile", g->logfile);
	else
		fputs("\tLogFile off\n", fp);
	if ((fac = conf_facility_name(g->syslog_facility)) != NULL)
		fprintf(fp, "\tSyslog %s\n", fac);
	else
		fputs("\tSyslog off\n", fp);
	pr_path(fp, 1, "LockFile", g->lockfile);
	fputs("\tUNIX {\n", fp);
	if (g->unix_path[0])
		pr_path(fp, 2, "Path", g->unix_path);
	if (g->unix_backlog)
		fprintf(fp, "\t\tBacklog %u\n", g->unix_backlog);
	if (g->unix_group[0])
		pr_word(fp, 2, "Group", g->unix_group);
	if (g->unix_admin_group[0])
		pr_word(fp, 2, "AdminGroup", g->unix_admin_group);
	fputs("\t}\n", fp);
	if (g->netlink_bufsize)
		fprintf(fp, "\tNetlinkBufferSize %u\n", g->netlink_bufsize);
	if (g->netlink_bufsize_max)
		fprintf(fp, "\tNetlinkBufferSizeMaxGrowth %u\n",
		    g->netlink_bufsize_max);
	if (g->netlink_overrun_resync < 0)
		fputs("\tNetlinkOverrunResync off\n", fp);
	else
		fprintf(fp, "\tNetlinkOverrunResync %d\n",
		    g->netlink_overrun_resync);
	fprintf(fp, "\tNetlinkEventsReliable %s\n",
	    onoff(g->netlink_events_reliable));
	if (g->poll_secs)
		fprintf(fp, "\tPollSecs %u\n", g->poll_secs);
	fprintf(fp, "\tEventIterationLimit %u\n", g->event_iteration_limit);
	if (g->sched_type != -1 || g->sched_priority != -1) {
		fputs("\tScheduler {\n", fp);
		if (g->sched_type != -1)
			fprintf(fp, "\t\tType %s\n",
			    g->sched_type == SCHED_FIFO ? "FIFO" : "RR");
		if (g->sched_priority != -1)
			fprintf(fp, "\t\tPriority %d\n", g->sched_priority);
		fputs("\t}\n", fp);
	}
	pr_word(fp, 1, "User", g->user);
	pr_path(fp, 1, "Chroot", g->chroot);
	print_filter(fp, conf);
	fputs("}\n", fp);
}

static void
print_link(FILE *fp, const struct conf_link *l)
{
	int	 v6 = l->family == AF_INET6;

	if (l->kind < CONF_LINK_MCAST || l->kind > CONF_LINK_TCP)
		return;
	fprintf(fp, "\t%s %s{\n", link_kind_names[l->kind],
	    l->is_default ? "Default " : "");
	if (l->has_addr)
		pr_addr(fp, 2, v6 ? "IPv6_address" : "IPv4_address",
		    l->family, &l->addr, -1);
	if (l->has_dest)
		pr_addr(fp, 2, v6 ? "IPv6_Destination_Address" :
		    "IPv4_Destination_Address", l->family, &l->dest, -1);
	if (l->has_mcast_ifaddr)
		pr_addr(fp, 2, "IPv4_interface", AF_INET, &l->mcast_ifaddr,
		    -1);
	if (l->port)
		fprintf(fp, "\t\t%s %u\n", l->kind == CONF_LINK_MCAST ?
		    "Group" : "Port", l->port);
	if (l->ifname[0])
		pr_word(fp, 2, "Interface", l->ifname);
	if (l->sndbuf)
		fprintf(fp, "\t\tSndSocketBuffer %u\n", l->sndbuf);
	if (l->rcvbuf)
		fprintf(fp, "\t\tRcvSocketBuffer %u\n", l->rcvbuf);
	fprintf(fp, "\t\tChecksum %s\n", onoff(l->checksum));
	if (l->kind == CONF_LINK_TCP)
		fprintf(fp, "\t\tErrorQueueLength %u\n", l->error_queue_len);
	fputs("\t}\n", fp);
}

static uint32_t
mode_opt_value(const struct conf_sync *s, const struct mode_opt *o)
{
	const char	*p = (const char *)s + o->off;
	uint32_t	 v;

	if (o->isbool)
		return *(const uint8_t *)p;
	memcpy(&v, p, sizeof(v));
	return v;
}

static void
print_mode_opt(FILE *fp, int ind, const struct conf_sync *s,
    const struct mode_opt *o)
{
	uint32_t	 v = mode_opt_value(s, o);

	if (o->isbool)
		fprintf(fp, "%.*s%s %s\n", ind, tabs, o->name, onoff(v));
	else if (v != 0 || o->def != 0)	/* CommitTimeout 0 = unset */
		fprintf(fp, "%.*s%s %u\n", ind, tabs, o->name, v);
}

static void
print_sync(FILE *fp, const struct conf_sync *s)
{
	const struct mode_opt	*o;
	uint32_t		 i;

	fputs("Sync {\n", fp);
	if (s->mode >= CONF_MODE_FTFW && s->mode <= CONF_MODE_NOTRACK) {
		fprintf(fp, "\tMode %s {\n", conf_mode_name(s->mode));
		for (i = 0; i < nitems(mode_opts); i++)
			if (mode_opts[i].modes & MODEBIT(s->mode))
				print_mode_opt(fp, 2, s, &mode_opts[i]);
		fputs("\t}\n", fp);
	}
	/* timeouts the mode does not take: the backward-compatible form */
	for (i = 0; i < nitems(mode_opts); i++) {
		o = &mode_opts[i];
		if (o->synclevel && !(o->modes & MODEBIT(s->mode)) &&
		    mode_opt_value(s, o) != o->def)
			print_mode_opt(fp, 1, s, o);
	}
	for (i = 0; i < s->nlinks && i < CONF_MAX_LINKS; i++)
		print_link(fp, &s->links[i]);
	fputs("\tOptions {\n", fp);
	fprintf(fp, "\t\tTCPWindowTracking %s\n",
	    onoff(s->tcp_window_tracking));
	if (s->expect_sync == 2) {
		fputs("\t\tExpectationSync {\n", fp);
		for (i = 0; i < s->nexp_helpers &&
		    i < CONF_MAX_EXP_HELPERS; i++) {
			fputs("\t\t\t", fp);
			put_word(fp, s->exp_helpers[i]);
			fputc('\n', fp);
		}
		fputs("\t\t}\n", fp);
	} else
		fprintf(fp, "\t\tExpectationSync %s\n", onoff(s->expect_sync));
	fputs("\t}\n}\n", fp);
}

static void
print_stats(FILE *fp, const struct conf_stats *st)
{
	const char	*fac;

	fputs("Stats {\n", fp);
	if (st->logfile[0])
		pr_path(fp, 1, "LogFile", st->logfile);
	else
		fputs("\tLogFile off\n", fp);
	if ((fac = conf_facility_name(st->syslog_facility)) != NULL)
		fprintf(fp, "\tSyslog %s\n", fac);
	else
		fputs("\tSyslog off\n", fp);
	fputs("}\n", fp);
}

static void
print_helper(FILE *fp, const struct conf_helpers *h)
{
	const struct conf_helper	*t;
	uint32_t			 i, j;

	fputs("Helper {\n", fp);
	fprintf(fp, "\tSetup %s\n", onoff(h->setup));
	for (i = 0; i < h->nhelpers && i < CONF_MAX_HELPERS; i++) {
		t = &h->helpers[i];
		fputs("\tType ", fp);
		put_word(fp, t->name);
		fprintf(fp, " %s %s {\n", t->family == AF_INET6 ? "inet6" :
		    "inet", t->l4proto == IPPROTO_UDP ? "udp" : "tcp");
		fprintf(fp, "\t\tQueueNum %u\n", t->queue_num);
		if (t->queue_len)
			fprintf(fp, "\t\tQueueLen %u\n", t->queue_len);
		for (j = 0; j < t->npolicies && j < CONF_MAX_POLICIES; j++) {
			fputs("\t\tPolicy ", fp);
			put_word(fp, t->policies[j].name);
			fprintf(fp, " {\n\t\t\tExpectMax %u\n"
			    "\t\t\tExpectTimeout %u\n\t\t}\n",
			    t->policies[j].expect_max,
			    t->policies[j].expect_timeout);
		}
		fputs("\t}\n", fp);
	}
	fputs("}\n", fp);
}

/*
 * Print the configuration in conntrackd.conf syntax; parsing the output
 * gives back the same structs (line numbers aside).
 */
void
conf_print(FILE *fp, const struct ctsyncd_conf *conf)
{
	if (conf->general.has_general)
		print_general(fp, conf);
	if (conf->general.has_sync)
		print_sync(fp, &conf->sync);
	if (conf->general.has_stats)
		print_stats(fp, &conf->stats);
	if (conf->general.has_helper)
		print_helper(fp, &conf->helper);
}

#define TERMINATE(a)	((a)[sizeof(a) - 1] = '\0')

/*
 * Force every string of a configuration received over imsg to be
 * terminated: the receiver must not trust the sender's buffers.
 */
void
conf_terminate_strings(struct ctsyncd_conf *conf)
{
	struct conf_general	*g = &conf->general;
	uint32_t		 i, j;

	TERMINATE(g->logfile);
	TERMINATE(g->lockfile);
	TERMINATE(g->unix_path);
	TERMINATE(g->user);
	TERMINATE(g->chroot);
	TERMINATE(g->unix_group);
	TERMINATE(g->unix_admin_group);
	TERMINATE(conf->stats.logfile);
	TERMINATE(conf->file);
	for (i = 0; i < CONF_MAX_LINKS; i++)
		TERMINATE(conf->sync.links[i].ifname);
	for (i = 0; i < CONF_MAX_EXP_HELPERS; i++)
		TERMINATE(conf->sync.exp_helpers[i]);
	for (i = 0; i < CONF_MAX_HELPERS; i++) {
		TERMINATE(conf->helper.helpers[i].name);
		for (j = 0; j < CONF_MAX_POLICIES; j++)
			TERMINATE(conf->helper.helpers[i].policies[j].name);
	}
}
