/*
 * conntrackd.conf (1.4.7) grammar plus ctsyncd's extensions.
 *
 * POSIX yacc (byacc or `bison -y') with a hand-written lexer.  Every error
 * is printed as "FILE:LINE: message" and counted; parsing goes on after
 * an error (error productions in every list) so that one run reports as
 * many problems as possible.  Token strings live in an arena freed when
 * the parse ends, so error recovery cannot leak them.
 */

%{
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <net/if.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"

#define PARSE_MAX_FILE		(1024 * 1024)
#define PARSE_MAX_TOKEN		4096
#define PARSE_MAX_ERRORS	50
#define PARSE_MAX_DEPTH		16	/* open braces whose line we keep */
#define PARSE_TOKTEXT		48	/* token text kept for messages */
#define HASHSIZE_MAX		(1 << 26)
#define NOCHAR			(-2)

typedef struct {
	union {
		int64_t		 number;
		char		*string;
	} v;
	int lineno;
} YYSTYPE;
#define YYSTYPE_IS_DECLARED	1

/* keep bison -y (3.8+) from declaring its own, non-static, prototypes */
#define yyerror	yyerror
#define yylex	yylex

struct pstr {
	struct pstr	*next;
	char		 s[];
};

static struct {
	const char		*name;
	const unsigned char	*buf;
	size_t			 len;
	size_t			 pos;
	int			 ungot;
	int			 lineno;
	int			 errors;
	int			 giveup;
	int			 depth;
	int			 braceline[PARSE_MAX_DEPTH];
	int			 toktype;
	int			 tokline;
	int			 tokkw;		/* last token was a keyword */
	int			 tokquoted;
	int			 lastline;	/* of the last real token */
	char			 toktext[PARSE_TOKTEXT];
	struct pstr		*strings;
} pf;

static struct ctsyncd_conf	*conf;
static struct conf_link		*curlink;
static struct conf_helper	*curhelper;
static struct conf_helper_policy *curpolicy;
static struct conf_link		 scratch_link;
static struct conf_helper	 scratch_helper;
static struct conf_helper_policy scratch_policy;
static int			 inmode;	/* inside a Mode block */
static int			 curmode;

static int	 yylex(void);
static void	 yyerror(const char *);
static void	 perr(int, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 pwarn(int, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	 range(int64_t, int64_t, int64_t, const char *, int);
static void	 setstr(char *, size_t, const char *, const char *, int);
static void	 set_facility(int32_t *, const char *, int);
static void	 open_general(int);
static void	 open_sync(int);
static void	 open_stats(int);
static void	 open_mode(const char *, int);
static int	 mode_allows(const char *, int);
static void	 set_sched_type(const char *, int);
static void	 set_policy(uint8_t *, int, const char *, int);
static void	 add_proto(int, const char *, int);
static void	 add_filter_addr(int, const char *, int);
static void	 add_tcp_state(const char *, int);
static void	 open_link(int, int, int);
static int	 link_only(int, const char *, int);
static void	 link_addr(int, int, const char *, int);
static void	 add_exp_helper(const char *, int);
static void	 open_helper(const char *, const char *, int, int);
static void	 open_policy(const char *, int);
%}

%token	<lineno> ACCEPT ACKWINDOWSIZE ADDRESS ADMINGROUP BACKLOG CACHETIMEOUT
%token	<lineno> CHECKSUM CHROOT COMMITTIMEOUT DEFAULT DISABLEEXTERNALCACHE
%token	<lineno> DISABLEINTERNALCACHE ERRORQUEUELENGTH EVENTITERATIONLIMIT
%token	<lineno> EXPECTMAX EXPECTTIMEOUT EXPECTATIONSYNC FILTER FOR FROM
%token	<lineno> GENERAL GROUP HASHLIMIT HASHSIZE HELPER IGNORE INTERFACE
%token	<lineno> IPV4_ADDRESS IPV4_DEST IPV4_INTERFACE IPV6_ADDRESS IPV6_DEST
%token	<lineno> IPV6_INTERFACE KERNELSPACE LOCKFILE LOGFILE MODE MULTICAST
%token	<lineno> NICE NLBUFSIZE NLBUFSIZEMAX NLEVENTSRELIABLE NLOVERRUNRESYNC
%token	<lineno> OPTIONS PATH POLICY POLLSECS PORT PRIORITY PROTOCOL
%token	<lineno> PURGETIMEOUT QUEUELEN QUEUENUM RCVSOCKETBUFFER REFRESHTIME
%token	<lineno> RESENDQUEUESIZE SCHEDULER SETUP SNDSOCKETBUFFER STARTUPRESYNC
%token	<lineno> STATE STATS SYNC SYSLOG SYSTEMD TCP TCPWINDOWTRACKING TYPE
%token	<lineno> UDP UNIX USER USERSPACE
%token	<lineno> ERROR
%token	<v.string> STRING PATHNAME ADDR
%token	<v.number> NUMBER BOOLEAN
%type	<v.number> policy link_default helper_l4

%%

grammar		: /* empty */
		| grammar section
		| grammar error
		;

section		: GENERAL '{' { open_general($1); } general_items '}'
		| SYNC '{' { open_sync($1); } sync_items '}'
		| STATS '{' { open_stats($1); } stats_items '}'
		| HELPER '{' { conf->general.has_helper = 1; } helper_items '}'
		;

/* ---- General ---- */

general_items	: /* empty */
		| general_items general_item
		| general_items error
		;

general_item	: HASHSIZE NUMBER {
			if (range($2, 1, HASHSIZE_MAX, "HashSize", $1))
				conf->general.hashsize = $2;
		}
		| HASHLIMIT NUMBER {
			if (range($2, 1, INT32_MAX, "HashLimit", $1))
				conf->general.hashlimit = $2;
		}
		| LOGFILE BOOLEAN {
			setstr(conf->general.logfile,
			    sizeof(conf->general.logfile),
			    $2 ? CTSYNCD_LOGFILE : "", "LogFile", $1);
		}
		| LOGFILE PATHNAME {
			setstr(conf->general.logfile,
			    sizeof(conf->general.logfile), $2, "LogFile", $1);
		}
		| SYSLOG BOOLEAN {
			conf->general.syslog_facility = $2 ? LOG_DAEMON : -1;
		}
		| SYSLOG STRING {
			set_facility(&conf->general.syslog_facility, $2, $1);
		}
		| LOCKFILE PATHNAME {
			setstr(conf->general.lockfile,
			    sizeof(conf->general.lockfile), $2, "LockFile", $1);
		}
		| UNIX '{' unix_items '}'
		| NLBUFSIZE NUMBER {
			if (range($2, 0, INT32_MAX, "NetlinkBufferSize", $1))
				conf->general.netlink_bufsize = $2;
		}
		| NLBUFSIZEMAX NUMBER {
			if (range($2, 0, INT32_MAX,
			    "NetlinkBufferSizeMaxGrowth", $1))
				conf->general.netlink_bufsize_max = $2;
		}
		| NLOVERRUNRESYNC BOOLEAN {
			conf->general.netlink_overrun_resync = $2 ? 30 : -1;
		}
		| NLOVERRUNRESYNC NUMBER {
			/* 0 never schedules a resync in conntrackd either */
			if (range($2, 0, INT32_MAX, "NetlinkOverrunResync", $1))
				conf->general.netlink_overrun_resync =
				    $2 ? $2 : -1;
		}
		| NLEVENTSRELIABLE BOOLEAN {
			conf->general.netlink_events_reliable = $2;
		}
		| POLLSECS NUMBER {
			if (range($2, 1, INT32_MAX, "PollSecs", $1))
				conf->general.poll_secs = $2;
		}
		| EVENTITERATIONLIMIT NUMBER {
			if (range($2, 1, INT32_MAX, "EventIterationLimit", $1))
				conf->general.event_iteration_limit = $2;
		}
		| NICE NUMBER {
			if (range($2, INT32_MIN, INT32_MAX, "Nice", $1))
				pwarn($1, "Nice is deprecated and ignored "
				    "(use Scheduler or the init system)");
		}
		| SYSTEMD BOOLEAN {
			conf->general.systemd = $2;
		}
		| SCHEDULER '{' sched_items '}'
		| FILTER filter_from '{' filter_items '}'
		| USER STRING {
			setstr(conf->general.user, sizeof(conf->general.user),
			    $2, "User", $1);
		}
		| CHROOT PATHNAME {
			setstr(conf->general.chroot,
			    sizeof(conf->general.chroot), $2, "Chroot", $1);
		}
		;

unix_items	: /* empty */
		| unix_items unix_item
		| unix_items error
		;

unix_item	: PATH PATHNAME {
			setstr(conf->general.unix_path,
			    sizeof(conf->general.unix_path), $2, "UNIX Path",
			    $1);
		}
		| BACKLOG NUMBER {
			if (range($2, 0, INT32_MAX, "Backlog", $1)) {
				conf->general.unix_backlog = $2;
				pwarn($1, "UNIX Backlog is ignored");
			}
		}
		| GROUP STRING {
			setstr(conf->general.unix_group,
			    sizeof(conf->general.unix_group), $2, "UNIX Group",
			    $1);
		}
		| ADMINGROUP STRING {
			setstr(conf->general.unix_admin_group,
			    sizeof(conf->general.unix_admin_group), $2,
			    "UNIX AdminGroup", $1);
		}
		;

sched_items	: /* empty */
		| sched_items sched_item
		| sched_items error
		;

sched_item	: TYPE STRING		{ set_sched_type($2, $1); }
		| PRIORITY NUMBER {
			if (range($2, 0, 99, "Scheduler Priority", $1))
				conf->general.sched_priority = $2;
		}
		;

/* ---- General / Filter ---- */

filter_from	: /* empty: keep what an earlier Filter block said */
		| FROM USERSPACE	{ conf->filter.from_kernel = 0; }
		| FROM KERNELSPACE	{ conf->filter.from_kernel = 1; }
		;

filter_items	: /* empty */
		| filter_items filter_item
		| filter_items error
		;

filter_item	: PROTOCOL policy {
			set_policy(&conf->filter.proto_policy, $2, "Protocol",
			    $1);
		} '{' proto_list '}'
		| ADDRESS policy {
			set_policy(&conf->filter.addr_policy, $2, "Address",
			    $1);
		} '{' addr_list '}'
		| STATE policy {
			set_policy(&conf->filter.state_policy, $2, "State",
			    $1);
		} '{' state_list '}'
		;

policy		: ACCEPT		{ $$ = CONF_FILTER_ACCEPT; }
		| IGNORE		{ $$ = CONF_FILTER_IGNORE; }
		;

proto_list	: /* empty */
		| proto_list proto_item
		| proto_list error
		;

proto_item	: TCP			{ add_proto(IPPROTO_TCP, NULL, $1); }
		| UDP			{ add_proto(IPPROTO_UDP, NULL, $1); }
		| STRING		{ add_proto(-1, $1, $<lineno>1); }
		| NUMBER {
			if (range($1, 0, 255, "protocol number", $<lineno>1))
				add_proto($1, NULL, $<lineno>1);
		}
		;

addr_list	: /* empty */
		| addr_list addr_item
		| addr_list error
		;

addr_item	: IPV4_ADDRESS ADDR	{ add_filter_addr(AF_INET, $2, $1); }
		| IPV6_ADDRESS ADDR	{ add_filter_addr(AF_INET6, $2, $1); }
		;

state_list	: /* empty */
		| state_list state_item
		| state_list error
		;

state_item	: state_names FOR TCP
		;

state_names	: STRING		{ add_tcp_state($1, $<lineno>1); }
		| state_names STRING	{ add_tcp_state($2, $<lineno>2); }
		;

/* ---- Sync ---- */

sync_items	: /* empty */
		| sync_items sync_item
		| sync_items error
		;

sync_item	: MODE STRING '{' { open_mode($2, $1); } mode_items '}' {
			inmode = 0;
		}
		| link_head link_items '}'
		| OPTIONS '{' option_items '}'
		| timeout_item
		;

mode_items	: /* empty */
		| mode_items mode_item
		| mode_items error
		;

mode_item	: timeout_item
		| RESENDQUEUESIZE NUMBER {
			if (mode_allows("ResendQueueSize", $1) &&
			    range($2, 1, INT32_MAX, "ResendQueueSize", $1))
				conf->sync.resend_queue_size = $2;
		}
		| ACKWINDOWSIZE NUMBER {
			if (mode_allows("ACKWindowSize", $1) &&
			    range($2, 1, INT32_MAX, "ACKWindowSize", $1))
				conf->sync.ack_window_size = $2;
		}
		| DISABLEEXTERNALCACHE BOOLEAN {
			if (mode_allows("DisableExternalCache", $1))
				conf->sync.disable_external_cache = $2;
		}
		| DISABLEINTERNALCACHE BOOLEAN {
			if (mode_allows("DisableInternalCache", $1))
				conf->sync.disable_internal_cache = $2;
		}
		| STARTUPRESYNC BOOLEAN {
			if (mode_allows("StartupResync", $1))
				conf->sync.startup_resync = $2;
		}
		;

/* inside a Mode block, or directly in Sync (backward compatibility) */
timeout_item	: REFRESHTIME NUMBER {
			if (mode_allows("RefreshTime", $1) &&
			    range($2, 1, INT32_MAX, "RefreshTime", $1))
				conf->sync.refresh_time = $2;
		}
		| CACHETIMEOUT NUMBER {
			if (mode_allows("CacheTimeout", $1) &&
			    range($2, 1, INT32_MAX, "CacheTimeout", $1))
				conf->sync.cache_timeout = $2;
		}
		| COMMITTIMEOUT NUMBER {
			if (mode_allows("CommitTimeout", $1) &&
			    range($2, 0, INT32_MAX, "CommitTimeout", $1))
				conf->sync.commit_timeout = $2;
		}
		| PURGETIMEOUT NUMBER {
			if (mode_allows("PurgeTimeout", $1) &&
			    range($2, 0, INT32_MAX, "PurgeTimeout", $1))
				conf->sync.purge_timeout = $2;
		}
		;

link_head	: MULTICAST link_default '{' {
			open_link(CONF_LINK_MCAST, $2, $1);
		}
		| UDP link_default '{'	{ open_link(CONF_LINK_UDP, $2, $1); }
		| TCP link_default '{'	{ open_link(CONF_LINK_TCP, $2, $1); }
		;

link_default	: /* empty */		{ $$ = 0; }
		| DEFAULT		{ $$ = 1; }
		;

link_items	: /* empty */
		| link_items link_item
		| link_items error
		;

link_item	: IPV4_ADDRESS ADDR {
			link_addr(IPV4_ADDRESS, AF_INET, $2, $1);
		}
		| IPV6_ADDRESS ADDR {
			link_addr(IPV6_ADDRESS, AF_INET6, $2, $1);
		}
		| IPV4_DEST ADDR {
			link_addr(IPV4_DEST, AF_INET, $2, $1);
		}
		| IPV6_DEST ADDR {
			link_addr(IPV6_DEST, AF_INET6, $2, $1);
		}
		| IPV4_INTERFACE ADDR {
			link_addr(IPV4_INTERFACE, AF_INET, $2, $1);
		}
		| IPV6_INTERFACE ADDR {
			if (link_only(CONF_LINK_MCAST, "IPv6_interface", $1))
				pwarn($1, "IPv6_interface is ignored, use "
				    "Interface");
		}
		| IPV6_INTERFACE STRING {
			if (link_only(CONF_LINK_MCAST, "IPv6_interface", $1))
				pwarn($1, "IPv6_interface is ignored, use "
				    "Interface");
		}
		| INTERFACE STRING {
			setstr(curlink->ifname, sizeof(curlink->ifname), $2,
			    "Interface name", $1);
		}
		| GROUP NUMBER {
			if (link_only(CONF_LINK_MCAST, "Group", $1) &&
			    range($2, 1, 65535, "Group (port)", $1))
				curlink->port = $2;
		}
		| PORT NUMBER {
			if (link_only(-CONF_LINK_MCAST, "Port", $1) &&
			    range($2, 1, 65535, "Port", $1))
				curlink->port = $2;
		}
		| SNDSOCKETBUFFER NUMBER {
			if (range($2, 0, INT32_MAX, "SndSocketBuffer", $1))
				curlink->sndbuf = $2;
		}
		| RCVSOCKETBUFFER NUMBER {
			if (range($2, 0, INT32_MAX, "RcvSocketBuffer", $1))
				curlink->rcvbuf = $2;
		}
		| CHECKSUM BOOLEAN	{ curlink->checksum = $2; }
		| ERRORQUEUELENGTH NUMBER {
			if (link_only(CONF_LINK_TCP, "ErrorQueueLength", $1) &&
			    range($2, 1, INT32_MAX, "ErrorQueueLength", $1))
				curlink->error_queue_len = $2;
		}
		;

option_items	: /* empty */
		| option_items option_item
		| option_items error
		;

option_item	: TCPWINDOWTRACKING BOOLEAN {
			conf->sync.tcp_window_tracking = $2;
		}
		| EXPECTATIONSYNC BOOLEAN {
			conf->sync.expect_sync = $2;
			conf->sync.nexp_helpers = 0;
		}
		| EXPECTATIONSYNC '{' { conf->sync.expect_sync = 2; }
		    exp_list '}'
		;

exp_list	: /* empty */
		| exp_list STRING	{ add_exp_helper($2, $<lineno>2); }
		| exp_list error
		;

/* ---- Stats ---- */

stats_items	: /* empty */
		| stats_items stats_item
		| stats_items error
		;

stats_item	: LOGFILE BOOLEAN {
			setstr(conf->stats.logfile, sizeof(conf->stats.logfile),
			    $2 ? CTSYNCD_STATS_LOGFILE : "", "LogFile", $1);
		}
		| LOGFILE PATHNAME {
			setstr(conf->stats.logfile, sizeof(conf->stats.logfile),
			    $2, "LogFile", $1);
		}
		| SYSLOG BOOLEAN {
			conf->stats.syslog_facility = $2 ? LOG_DAEMON : -1;
		}
		| SYSLOG STRING {
			set_facility(&conf->stats.syslog_facility, $2, $1);
		}
		| NLEVENTSRELIABLE BOOLEAN {
			/* as conntrackd 1.4.7, despite its man page */
			perr($1, "NetlinkEventsReliable is not valid in Stats, "
			    "put it in General");
		}
		;

/* ---- Helper ---- */

helper_items	: /* empty */
		| helper_items helper_item
		| helper_items error
		;

helper_item	: SETUP BOOLEAN		{ conf->helper.setup = $2; }
		| TYPE STRING STRING helper_l4 '{' {
			open_helper($2, $3, $4, $1);
		} helper_type_items '}'
		;

helper_l4	: TCP			{ $$ = IPPROTO_TCP; }
		| UDP			{ $$ = IPPROTO_UDP; }
		| STRING {
			if (strcasecmp($1, "tcp") == 0)
				$$ = IPPROTO_TCP;
			else if (strcasecmp($1, "udp") == 0)
				$$ = IPPROTO_UDP;
			else {
				perr($<lineno>1, "helper protocol must be tcp "
				    "or udp, not `%.32s'", $1);
				$$ = -1;
			}
		}
		;

helper_type_items : /* empty */
		| helper_type_items helper_type_item
		| helper_type_items error
		;

helper_type_item : QUEUENUM NUMBER {
			if (range($2, 0, 65535, "QueueNum", $1))
				curhelper->queue_num = $2;
		}
		| QUEUELEN NUMBER {
			if (range($2, 1, INT32_MAX, "QueueLen", $1))
				curhelper->queue_len = $2;
		}
		| POLICY STRING '{' { open_policy($2, $1); } policy_items '}'
		;

policy_items	: /* empty */
		| policy_items policy_item
		| policy_items error
		;

policy_item	: EXPECTMAX NUMBER {
			if (range($2, 0, INT32_MAX, "ExpectMax", $1))
				curpolicy->expect_max = $2;
		}
		| EXPECTTIMEOUT NUMBER {
			if (range($2, 0, INT32_MAX, "ExpectTimeout", $1))
				curpolicy->expect_timeout = $2;
		}
		;

%%

/* ---- messages ---- */

static void
vmsg(int line, const char *prefix, const char *fmt, va_list ap)
{
	if (line > 0)
		fprintf(stderr, "%s:%d: %s", pf.name, line, prefix);
	else
		fprintf(stderr, "%s: %s", pf.name, prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void
perr(int line, const char *fmt, ...)
{
	va_list	 ap;

	pf.errors++;
	if (pf.giveup)
		return;
	va_start(ap, fmt);
	vmsg(line, "", fmt, ap);
	va_end(ap);
	if (pf.errors >= PARSE_MAX_ERRORS) {
		fprintf(stderr, "%s: too many errors, giving up\n", pf.name);
		pf.giveup = 1;	/* the lexer now reports end of file */
	}
}

static void
pwarn(int line, const char *fmt, ...)
{
	va_list	 ap;

	if (pf.giveup)
		return;
	va_start(ap, fmt);
	vmsg(line, "warning: ", fmt, ap);
	va_end(ap);
}

/* called by the parser: name the token it choked on */
static void
yyerror(const char *msg)
{
	int	 line = pf.tokline;

	if (pf.toktype == ERROR)	/* the lexer has said why */
		return;
	if (strcmp(msg, "syntax error") != 0)
		perr(line, "%s", msg);	/* e.g. stack exhausted */
	else if (pf.toktype == 0 && pf.depth > 0)
		perr(pf.braceline[(pf.depth > PARSE_MAX_DEPTH ?
		    PARSE_MAX_DEPTH : pf.depth) - 1],
		    "unterminated block: `{' without `}' at end of file");
	else if (pf.toktype == 0)
		perr(pf.lastline, "syntax error: unexpected end of file");
	else if (pf.tokkw)
		perr(line, "syntax error: keyword `%s' is not valid here",
		    pf.toktext);
	else if (pf.toktype == STRING && !pf.tokquoted &&
	    pf.toktext[0] >= 'A' && pf.toktext[0] <= 'Z')
		perr(line, "unknown keyword `%s'", pf.toktext);
	else
		perr(line, "syntax error near `%s'", pf.toktext);
}

/* ---- lexer ---- */

static const struct keywords {
	const char	*k_name;
	int		 k_val;
} keywords[] = {	/* sorted for bsearch (LC_ALL=C sort) */
	{ "ACKWindowSize",		ACKWINDOWSIZE },
	{ "Accept",			ACCEPT },
	{ "Address",			ADDRESS },
	{ "AdminGroup",			ADMINGROUP },
	{ "Backlog",			BACKLOG },
	{ "CacheTimeout",		CACHETIMEOUT },
	{ "Checksum",			CHECKSUM },
	{ "Chroot",			CHROOT },
	{ "CommitTimeout",		COMMITTIMEOUT },
	{ "Default",			DEFAULT },
	{ "DisableExternalCache",	DISABLEEXTERNALCACHE },
	{ "DisableInternalCache",	DISABLEINTERNALCACHE },
	{ "ErrorQueueLength",		ERRORQUEUELENGTH },
	{ "EventIterationLimit",	EVENTITERATIONLIMIT },
	{ "ExpectMax",			EXPECTMAX },
	{ "ExpectTimeout",		EXPECTTIMEOUT },
	{ "ExpectationSync",		EXPECTATIONSYNC },
	{ "Filter",			FILTER },
	{ "From",			FROM },
	{ "General",			GENERAL },
	{ "Group",			GROUP },
	{ "HashLimit",			HASHLIMIT },
	{ "HashSize",			HASHSIZE },
	{ "Helper",			HELPER },
	{ "IPv4_Destination_Address",	IPV4_DEST },
	{ "IPv4_address",		IPV4_ADDRESS },
	{ "IPv4_interface",		IPV4_INTERFACE },
	{ "IPv6_Destination_Address",	IPV6_DEST },
	{ "IPv6_address",		IPV6_ADDRESS },
	{ "IPv6_interface",		IPV6_INTERFACE },
	{ "Ignore",			IGNORE },
	{ "Interface",			INTERFACE },
	{ "Kernelspace",		KERNELSPACE },
	{ "LockFile",			LOCKFILE },
	{ "LogFile",			LOGFILE },
	{ "Mode",			MODE },
	{ "Multicast",			MULTICAST },
	{ "NetlinkBufferSize",		NLBUFSIZE },
	{ "NetlinkBufferSizeMaxGrowth",	NLBUFSIZEMAX },
	{ "NetlinkEventsReliable",	NLEVENTSRELIABLE },
	{ "NetlinkOverrunResync",	NLOVERRUNRESYNC },
	{ "Nice",			NICE },
	{ "Options",			OPTIONS },
	{ "Path",			PATH },
	{ "Policy",			POLICY },
	{ "PollSecs",			POLLSECS },
	{ "Port",			PORT },
	{ "Priority",			PRIORITY },
	{ "Protocol",			PROTOCOL },
	{ "PurgeTimeout",		PURGETIMEOUT },
	{ "QueueLen",			QUEUELEN },
	{ "QueueNum",			QUEUENUM },
	{ "RcvSocketBuffer",		RCVSOCKETBUFFER },
	{ "RefreshTime",		REFRESHTIME },
	{ "ResendQueueSize",		RESENDQUEUESIZE },
	{ "Scheduler",			SCHEDULER },
	{ "Setup",			SETUP },
	{ "SndSocketBuffer",		SNDSOCKETBUFFER },
	{ "SocketBufferSize",		NLBUFSIZE },
	{ "SocketBufferSizeMaxGrown",	NLBUFSIZEMAX },
	{ "SocketBufferSizeMaxGrowth",	NLBUFSIZEMAX },
	{ "StartupResync",		STARTUPRESYNC },
	{ "State",			STATE },
	{ "Stats",			STATS },
	{ "Sync",			SYNC },
	{ "Syslog",			SYSLOG },
	{ "Systemd",			SYSTEMD },
	{ "TCP",			TCP },
	{ "TCPWindowTracking",		TCPWINDOWTRACKING },
	{ "Type",			TYPE },
	{ "UDP",			UDP },
	{ "UNIX",			UNIX },
	{ "User",			USER },
	{ "Userspace",			USERSPACE },
	{ "for",			FOR },
};

static int
kw_cmp(const void *k, const void *e)
{
	return strcmp(k, ((const struct keywords *)e)->k_name);
}

static const struct keywords *
kw_lookup(const char *s)
{
	return bsearch(s, keywords, sizeof(keywords) / sizeof(keywords[0]),
	    sizeof(keywords[0]), kw_cmp);
}

static int
kw_bool(const char *s)
{
	if (strcasecmp(s, "on") == 0 || strcasecmp(s, "yes") == 0)
		return 1;
	if (strcasecmp(s, "off") == 0 || strcasecmp(s, "no") == 0)
		return 0;
	return -1;
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!is_digit(*s))
			return 0;
	return 1;
}

/* words: numbers, addresses, keywords, booleans and bare strings */
static int
is_word_char(int c)
{
	return is_alpha(c) || is_digit(c) || (c != '\0' &&
	    strchr("._-:/+", c) != NULL);
}

static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	    c == '\f' || c == '\v';
}

static int
lgetc(void)
{
	int	 c;

	if (pf.ungot != NOCHAR) {
		c = pf.ungot;
		pf.ungot = NOCHAR;
		return c;
	}
	if (pf.pos >= pf.len)
		return EOF;
	c = pf.buf[pf.pos++];
	if (c == '\0') {
		/* report once here, then treat it as a blank */
		perr(pf.lineno, "NUL byte in input");
		c = ' ';
	}
	return c;
}

static void
lungetc(int c)
{
	pf.ungot = c;
}

/* token strings are owned by the parse and freed in one go at its end */
static char *
pstrdup(const char *s)
{
	struct pstr	*p;
	size_t		 n = strlen(s);

	if ((p = malloc(sizeof(*p) + n + 1)) == NULL)
		return NULL;
	memcpy(p->s, s, n + 1);
	p->next = pf.strings;
	pf.strings = p;
	return p->s;
}

static void
pstrfree(void)
{
	struct pstr	*p;

	while ((p = pf.strings) != NULL) {
		pf.strings = p->next;
		free(p);
	}
}

static int
lex_string(const char *s, int tok)
{
	if ((yylval.v.string = pstrdup(s)) == NULL) {
		perr(pf.lineno, "out of memory");
		return ERROR;
	}
	return tok;
}

static int
lex_number(const char *s)
{
	const char	*errstr;

	yylval.v.number = strtonum(s, LLONG_MIN, LLONG_MAX, &errstr);
	if (errstr != NULL) {
		perr(pf.lineno, "number `%.32s' is %s", s, errstr);
		return ERROR;
	}
	return NUMBER;
}

static int
lex_classify(const char *w)
{
	const struct keywords	*kw;
	int			 b;

	if ((w[0] == '+' || w[0] == '-') && all_digits(w + 1))
		return lex_number(w);
	if (all_digits(w))
		return lex_number(w);
	/* validated with inet_pton() where it is used */
	if (strchr(w, ':') != NULL || (is_digit(w[0]) && strchr(w, '.')))
		return lex_string(w, ADDR);
	if ((!is_alpha(w[0]) && w[0] != '_') || strpbrk(w, "/+") != NULL) {
		perr(pf.lineno, "invalid token `%.32s'", w);
		return ERROR;
	}
	if ((kw = kw_lookup(w)) != NULL) {
		pf.tokkw = 1;
		return kw->k_val;
	}
	if ((b = kw_bool(w)) != -1) {
		yylval.v.number = b;
		return BOOLEAN;
	}
	return lex_string(w, STRING);
}

static int
lex_word(int c, char *buf, size_t sz)
{
	size_t	 n = 0;
	int	 toolong = 0;

	do {
		if (n < sz - 1)
			buf[n++] = c;
		else
			toolong = 1;
	} while ((c = lgetc()) != EOF && is_word_char(c));
	lungetc(c);
	buf[n] = '\0';
	if (toolong) {
		perr(pf.lineno, "token `%.32s...' is too long", buf);
		return ERROR;
	}
	return lex_classify(buf);
}

/* an absolute path: up to a blank, quote, brace or comment */
static int
lex_path(int c, char *buf, size_t sz)
{
	size_t	 n = 0;
	int	 toolong = 0, ctl = 0;

	do {
		if (c < 0x20 || c == 0x7f)
			ctl = 1;
		if (n < sz - 1)
			buf[n++] = c;
		else
			toolong = 1;
	} while ((c = lgetc()) != EOF && !is_blank(c) &&
	    strchr("\"{}#", c) == NULL);
	lungetc(c);
	buf[n] = '\0';
	if (toolong || ctl) {
		perr(pf.lineno, "path `%.32s' is %s", buf, toolong ?
		    "too long" : "invalid (control character)");
		return ERROR;
	}
	return lex_string(buf, PATHNAME);
}

/* "...": no escapes, no newline; a path if it starts with `/' */
static int
lex_quoted(char *buf, size_t sz)
{
	size_t	 n = 0;
	int	 c, toolong = 0, ctl = 0;

	pf.tokquoted = 1;
	while ((c = lgetc()) != '"') {
		if (c == EOF || c == '\n') {
			lungetc(c);
			perr(pf.lineno, "unterminated quoted string");
			return ERROR;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			ctl = 1;
		if (n < sz - 1)
			buf[n++] = c;
		else
			toolong = 1;
	}
	buf[n] = '\0';
	if (toolong || ctl || n == 0) {
		perr(pf.lineno, "quoted string `%.32s' is %s", buf, toolong ?
		    "too long" : ctl ? "invalid (control character)" :
		    "empty");
		return ERROR;
	}
	return lex_string(buf, buf[0] == '/' ? PATHNAME : STRING);
}

static int
lex_brace(int c)
{
	if (c == '{') {
		if (pf.depth < PARSE_MAX_DEPTH)
			pf.braceline[pf.depth] = pf.lineno;
		if (pf.depth < INT_MAX)
			pf.depth++;
	} else if (pf.depth > 0)
		pf.depth--;
	return c;
}

static int
lex_token(char *buf, size_t sz)
{
	int	 c;

	for (;;) {
		while (is_blank(c = lgetc()))
			if (c == '\n')
				pf.lineno++;
		if (c != '#')
			break;
		while ((c = lgetc()) != '\n' && c != EOF)
			;
		lungetc(c);
	}
	yylval.lineno = pf.lineno;
	buf[0] = '\0';
	if (c == EOF)
		return 0;
	if (c == '{' || c == '}') {
		buf[0] = c;
		buf[1] = '\0';
		return lex_brace(c);
	}
	if (c == '"')
		return lex_quoted(buf, sz);
	if (c == '/')
		return lex_path(c, buf, sz);
	if (is_word_char(c))
		return lex_word(c, buf, sz);
	if (c >= 0x21 && c <= 0x7e)
		perr(pf.lineno, "invalid character `%c'", c);
	else
		perr(pf.lineno, "invalid character 0x%02x", c & 0xff);
	return ERROR;
}

static int
yylex(void)
{
	char	 buf[PARSE_MAX_TOKEN];
	int	 t;

	pf.tokkw = pf.tokquoted = 0;
	if (pf.giveup) {
		pf.toktype = 0;
		return 0;
	}
	t = lex_token(buf, sizeof(buf));
	pf.toktype = t;
	pf.tokline = yylval.lineno;
	if (t != 0)
		pf.lastline = yylval.lineno;
	strlcpy(pf.toktext, buf, sizeof(pf.toktext));
	return t;
}

/* would `w' lex back as the bare STRING `w'?  (used by conf_print) */
int
parse_word_is_plain(const char *w)
{
	const char	*p;

	if (!is_alpha(w[0]) && w[0] != '_')
		return 0;
	for (p = w; *p; p++)
		if (!is_alpha(*p) && !is_digit(*p) && strchr("._-", *p) == NULL)
			return 0;
	if (p - w >= PARSE_MAX_TOKEN)
		return 0;
	return kw_lookup(w) == NULL && kw_bool(w) == -1;
}

/* ---- semantic helpers ---- */

static int
range(int64_t v, int64_t lo, int64_t hi, const char *what, int line)
{
	if (v >= lo && v <= hi)
		return 1;
	perr(line, "%s %lld is out of range (%lld-%lld)", what,
	    (long long)v, (long long)lo, (long long)hi);
	return 0;
}

static void
setstr(char *dst, size_t sz, const char *src, const char *what, int line)
{
	if (strlen(src) >= sz) {
		perr(line, "%s `%.40s...' is too long (at most %zu bytes)",
		    what, src, sz - 1);
		return;
	}
	strlcpy(dst, src, sz);
}

static void
set_facility(int32_t *fac, const char *name, int line)
{
	int	 f;

	if ((f = conf_facility_lookup(name)) == -1) {
		perr(line, "unknown syslog facility `%.32s' (use daemon or "
		    "local0 to local7)", name);
		return;
	}
	*fac = f;
}

static void
open_general(int line)
{
	conf->general.has_general = 1;
	if (conf->general.general_line == 0)
		conf->general.general_line = line;
}

static void
open_sync(int line)
{
	if (conf->general.has_stats)
		perr(line, "Sync and Stats sections cannot be used together");
	conf->general.has_sync = 1;
	if (conf->sync.line == 0)
		conf->sync.line = line;
}

static void
open_stats(int line)
{
	if (conf->general.has_sync)
		perr(line, "Sync and Stats sections cannot be used together");
	conf->general.has_stats = 1;
}

static void
open_mode(const char *name, int line)
{
	int	 m = CONF_MODE_NONE;

	if (strcasecmp(name, "FTFW") == 0)
		m = CONF_MODE_FTFW;
	else if (strcasecmp(name, "ALARM") == 0)
		m = CONF_MODE_ALARM;
	else if (strcasecmp(name, "NOTRACK") == 0)
		m = CONF_MODE_NOTRACK;
	else if (strcasecmp(name, "persistent") == 0) {
		pwarn(line, "Mode persistent is deprecated, use ALARM");
		m = CONF_MODE_ALARM;
	} else if (strcasecmp(name, "nack") == 0) {
		pwarn(line, "Mode nack is deprecated, use FTFW");
		m = CONF_MODE_FTFW;
	} else
		perr(line, "unknown synchronization mode `%.32s'", name);

	inmode = 1;
	curmode = m;
	if (conf->sync.mode_line != 0) {
		perr(line, "only one Mode block is allowed (the first is at "
		    "line %u)", conf->sync.mode_line);
		return;
	}
	conf->sync.mode_line = line;
	conf->sync.mode = m;
}

/*
 * Outside a Mode block only the timeouts reach here, and conntrackd takes
 * them directly in Sync.  An unknown mode was already reported.
 */
static int
mode_allows(const char *opt, int line)
{
	if (!inmode || curmode == CONF_MODE_NONE)
		return 1;
	if (conf_mode_allows(curmode, opt))
		return 1;
	perr(line, "%s is not valid in Mode %s", opt, conf_mode_name(curmode));
	return 0;
}

static void
set_sched_type(const char *name, int line)
{
	if (strcasecmp(name, "RR") == 0)
		conf->general.sched_type = SCHED_RR;
	else if (strcasecmp(name, "FIFO") == 0)
		conf->general.sched_type = SCHED_FIFO;
	else
		perr(line, "unknown scheduler type `%.32s' (use RR or FIFO)",
		    name);
}

static void
set_policy(uint8_t *p, int pol, const char *what, int line)
{
	if (*p != CONF_FILTER_NONE && *p != pol)
		perr(line, "conflicting %s filter policies (Accept and "
		    "Ignore)", what);
	*p = pol;
}

/* num >= 0, or look `name' up; unknown names are errors */
static void
add_proto(int num, const char *name, int line)
{
	if (name != NULL && (num = conf_proto_lookup(name)) == -1) {
		perr(line, "unknown protocol `%.32s'", name);
		return;
	}
	conf->filter.protos[num / 8] |= 1U << (num % 8);
}

/* "A" or "A/len"; returns the prefix length or -1 */
static int
parse_addr(int af, const char *s, int prefix_ok, struct in6_addr *a,
    int line)
{
	char		 buf[INET6_ADDRSTRLEN];
	const char	*slash = strchr(s, '/');
	size_t		 n = slash ? (size_t)(slash - s) : strlen(s);
	int		 max = af == AF_INET ? 32 : 128, plen = max;
	const char	*fam = af == AF_INET ? "IPv4" : "IPv6";

	memset(a, 0, sizeof(*a));
	if (n >= sizeof(buf)) {
		perr(line, "invalid %s address `%.48s'", fam, s);
		return -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(af, buf, a) != 1) {
		perr(line, "invalid %s address `%.48s'", fam, s);
		return -1;
	}
	if (slash == NULL)
		return plen;
	if (!prefix_ok) {
		perr(line, "a prefix length is not allowed here: `%.48s'", s);
		return -1;
	}
	if (!all_digits(slash + 1) || strlen(slash + 1) > 3 ||
	    (plen = atoi(slash + 1)) > max) {
		perr(line, "prefix length in `%.48s' is out of range (0-%d)",
		    s, max);
		return -1;
	}
	return plen;
}

static void
add_filter_addr(int af, const char *s, int line)
{
	struct conf_filter_addr	 fa;
	int			 plen, i;

	memset(&fa, 0, sizeof(fa));
	if ((plen = parse_addr(af, s, 1, &fa.addr, line)) == -1)
		return;
	fa.family = af;
	fa.prefixlen = plen;
	/* store the network, so consumers can compare without masking */
	for (i = plen; i < (af == AF_INET ? 32 : 128); i++)
		fa.addr.s6_addr[i / 8] &= ~(0x80U >> (i % 8));
	if (conf_add_filter_addr(conf, &fa) == -1)
		perr(line, "too many filter addresses (at most %d)",
		    CONF_MAX_FILTER_ADDRS);
}

static void
add_tcp_state(const char *name, int line)
{
	int	 s;

	if ((s = conf_tcp_state_lookup(name)) == -1) {
		perr(line, "unknown TCP state `%.32s'", name);
		return;
	}
	conf->filter.tcp_states |= 1U << s;
}

static const char *
link_name(int kind)
{
	return kind == CONF_LINK_MCAST ? "Multicast" :
	    kind == CONF_LINK_UDP ? "UDP" : "TCP";
}

static void
open_link(int kind, int isdef, int line)
{
	struct conf_sync	*s = &conf->sync;
	uint32_t		 i;
	int			 ok = 1;

	if (s->nlinks >= CONF_MAX_LINKS) {
		perr(line, "too many dedicated links (at most %d)",
		    CONF_MAX_LINKS);
		ok = 0;
	} else if (s->nlinks > 0 && s->links[0].kind != kind) {
		perr(line, "cannot use `%s' together with `%s' links",
		    link_name(kind), link_name(s->links[0].kind));
		ok = 0;
	}
	for (i = 0; isdef && i < s->nlinks && i < CONF_MAX_LINKS; i++)
		if (s->links[i].is_default) {
			perr(line, "more than one Default link (the first is "
			    "at line %u)", s->links[i].line);
			ok = 0;
			break;
		}
	if (ok)
		curlink = &s->links[s->nlinks++];
	else {
		/* parse the block anyway, into a throw-away link */
		curlink = &scratch_link;
		memset(curlink, 0, sizeof(*curlink));
		curlink->checksum = 1;
		curlink->error_queue_len = 128;
	}
	curlink->kind = kind;
	curlink->is_default = isdef;
	curlink->line = line;
}

/* kind < 0: every kind except -kind */
static int
link_only(int kind, const char *what, int line)
{
	int	 k = curlink->kind;

	if (kind > 0 ? k == kind : k != -kind)
		return 1;
	perr(line, "%s is not valid in a %s block", what, link_name(k));
	return 0;
}

static void
link_addr(int which, int af, const char *s, int line)
{
	struct in6_addr		 a;
	struct conf_link	*l = curlink;

	if (which == IPV4_INTERFACE &&
	    !link_only(CONF_LINK_MCAST, "IPv4_interface", line))
		return;
	if ((which == IPV4_DEST || which == IPV6_DEST) &&
	    !link_only(-CONF_LINK_MCAST, "a destination address", line))
		return;
	if (parse_addr(af, s, 0, &a, line) == -1)
		return;
	if (l->family != 0 && l->family != af) {
		perr(line, "IPv4 and IPv6 addresses mixed in one link");
		return;
	}
	l->family = af;
	switch (which) {
	case IPV4_INTERFACE:
		memcpy(&l->mcast_ifaddr, &a, sizeof(l->mcast_ifaddr));
		l->has_mcast_ifaddr = 1;
		break;
	case IPV4_DEST:
	case IPV6_DEST:
		l->dest = a;
		l->has_dest = 1;
		break;
	default:
		if (l->kind == CONF_LINK_MCAST && (af == AF_INET ?
		    !IN_MULTICAST(ntohl(((struct in_addr *)&a)->s_addr)) :
		    !IN6_IS_ADDR_MULTICAST(&a)))
			perr(line, "`%.48s' is not a multicast address", s);
		l->addr = a;
		l->has_addr = 1;
		break;
	}
}

static void
add_exp_helper(const char *name, int line)
{
	struct conf_sync	*s = &conf->sync;

	if (s->nexp_helpers >= CONF_MAX_EXP_HELPERS) {
		perr(line, "too many ExpectationSync helpers (at most %d)",
		    CONF_MAX_EXP_HELPERS);
		return;
	}
	if (strlen(name) >= CONF_NAME_MAX) {
		perr(line, "helper name `%.40s...' is too long", name);
		return;
	}
	strlcpy(s->exp_helpers[s->nexp_helpers++], name, CONF_NAME_MAX);
}

static void
open_helper(const char *name, const char *family, int l4, int line)
{
	struct conf_helpers	*h = &conf->helper;
	struct conf_helper	*t = &scratch_helper;

	if (h->nhelpers >= CONF_MAX_HELPERS)
		perr(line, "too many helpers (at most %d)", CONF_MAX_HELPERS);
	else
		t = &h->helpers[h->nhelpers++];
	memset(t, 0, sizeof(*t));
	curhelper = t;
	setstr(t->name, sizeof(t->name), name, "helper name", line);
	if (strcmp(family, "inet") == 0)
		t->family = AF_INET;
	else if (strcmp(family, "inet6") == 0)
		t->family = AF_INET6;
	else
		perr(line, "helper family must be inet or inet6, not "
		    "`%.32s'", family);
	if (l4 != -1)
		t->l4proto = l4;
}

static void
open_policy(const char *name, int line)
{
	struct conf_helper	*t = curhelper;

	curpolicy = &scratch_policy;
	if (t->npolicies >= CONF_MAX_POLICIES)
		perr(line, "too many helper policies (at most %d)",
		    CONF_MAX_POLICIES);
	else
		curpolicy = &t->policies[t->npolicies++];
	memset(curpolicy, 0, sizeof(*curpolicy));
	setstr(curpolicy->name, sizeof(curpolicy->name), name,
	    "policy name", line);
}

/* ---- entry points ---- */

int
parse_config_buffer(const char *name, const char *buf, size_t len,
    struct ctsyncd_conf *c)
{
	if (strlcpy(c->file, name, sizeof(c->file)) >= sizeof(c->file)) {
		fprintf(stderr, "%s: file name too long\n", name);
		return -1;
	}
	if (len > PARSE_MAX_FILE) {
		fprintf(stderr, "%s: file too large (more than %d bytes)\n",
		    name, PARSE_MAX_FILE);
		return -1;
	}
	memset(&pf, 0, sizeof(pf));
	pf.name = name;
	pf.buf = (const unsigned char *)buf;
	pf.len = len;
	pf.lineno = 1;
	pf.ungot = NOCHAR;
	conf = c;
	curlink = &scratch_link;
	curhelper = &scratch_helper;
	curpolicy = &scratch_policy;
	inmode = 0;
	curmode = CONF_MODE_NONE;

	if (yyparse() != 0 && pf.errors == 0)
		perr(pf.tokline, "cannot parse");	/* cannot happen */
	pstrfree();
	conf = NULL;
	if (pf.errors)
		return -1;
	return conf_validate(c);
}

int
parse_config(const char *path, struct ctsyncd_conf *c)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd, rv;

	errno = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "%s: cannot open: %s\n", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || S_ISDIR(st.st_mode)) {
		fprintf(stderr, "%s: cannot read: %s\n", path,
		    errno ? strerror(errno) : "is a directory");
		close(fd);
		return -1;
	}
	/* one byte more than allowed, to tell "too large" from "full" */
	if ((buf = malloc(PARSE_MAX_FILE + 1)) == NULL) {
		fprintf(stderr, "%s: out of memory\n", path);
		close(fd);
		return -1;
	}
	while (len < PARSE_MAX_FILE + 1 &&
	    (n = read(fd, buf + len, PARSE_MAX_FILE + 1 - len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			fprintf(stderr, "%s: cannot read: %s\n", path,
			    strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		len += n;
	}
	close(fd);
	rv = parse_config_buffer(path, buf, len, c);
	free(buf);
	return rv;
}
