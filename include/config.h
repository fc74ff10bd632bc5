/*
 * The parsed configuration: conntrackd.conf (1.4.7 grammar) plus ctsyncd's
 * documented extensions.  Every struct here is fixed-layout (no pointers)
 * except struct ctsyncd_conf itself, so the monitor can send each piece to
 * the children as one imsg (see config_imsg.c).
 */
#ifndef CTSYNCD_CONFIG_H
#define CTSYNCD_CONFIG_H

#include <sys/types.h>
#include <net/if.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdio.h>

#define CONF_PATH_MAX		256	/* LogFile, LockFile, Chroot */
#define CONF_UNIX_PATH_MAX	108	/* sizeof(sun_path) */
#define CONF_NAME_MAX		32	/* user, group, helper names */
#define CONF_MAX_LINKS		4
#define CONF_MAX_EXP_HELPERS	32
#define CONF_MAX_HELPERS	16
#define CONF_MAX_POLICIES	8
#define CONF_MAX_FILTER_ADDRS	65536

#define CTSYNCD_CONF_FILE	"/etc/ctsyncd/ctsyncd.conf"
#define CTSYNCD_USER		"_ctsyncd"
#define CTSYNCD_CHROOT		"/var/empty"
#define CTSYNCD_LOCKFILE	"/var/lock/ctsyncd.lock"
#define CTSYNCD_LOGFILE		"/var/log/ctsyncd.log"	/* LogFile yes */
#define CTSYNCD_STATS_LOGFILE	"/var/log/ctsyncd-stats.log"

/* tri-state for options whose absence matters */
#define CONF_UNSET		(-1)

enum conf_mode {
	CONF_MODE_NONE = 0,	/* no Sync section (Stats or bare) */
	CONF_MODE_FTFW,
	CONF_MODE_ALARM,
	CONF_MODE_NOTRACK,
};

enum conf_link_kind {
	CONF_LINK_NONE = 0,
	CONF_LINK_MCAST,
	CONF_LINK_UDP,
	CONF_LINK_TCP,
};

enum conf_filter_policy {
	CONF_FILTER_NONE = 0,	/* not configured: everything passes */
	CONF_FILTER_ACCEPT,
	CONF_FILTER_IGNORE,
};

/* TCP states as in the kernel's enum tcp_conntrack (bit n = state n) */
enum conf_tcp_state {
	CONF_TCP_NONE = 0,
	CONF_TCP_SYN_SENT = 1,
	CONF_TCP_SYN_RECV = 2,
	CONF_TCP_ESTABLISHED = 3,
	CONF_TCP_FIN_WAIT = 4,
	CONF_TCP_CLOSE_WAIT = 5,
	CONF_TCP_LAST_ACK = 6,
	CONF_TCP_TIME_WAIT = 7,
	CONF_TCP_CLOSE = 8,
	CONF_TCP_LISTEN = 9,	/* SYN_SENT2 in the kernel; conntrackd's LISTEN */
};

struct conf_general {
	uint32_t	hashsize;		/* 0 = size automatically */
	uint32_t	hashlimit;		/* 0 = from nf_conntrack_max */
	char		logfile[CONF_PATH_MAX];	/* "" = off */
	int32_t		syslog_facility;	/* LOG_* value, -1 = off */
	char		lockfile[CONF_PATH_MAX];
	char		unix_path[CONF_UNIX_PATH_MAX];	/* "" = missing */
	uint32_t	unix_backlog;		/* accepted, ignored (warned) */
	uint32_t	netlink_bufsize;	/* 0 = system default */
	uint32_t	netlink_bufsize_max;	/* 0 = no growth */
	int32_t		netlink_overrun_resync;	/* seconds, -1 = disabled */
	uint8_t		netlink_events_reliable;
	uint8_t		systemd;
	uint8_t		pad0[2];
	uint32_t	poll_secs;		/* 0 = event driven */
	uint32_t	event_iteration_limit;
	int32_t		sched_type;		/* SCHED_RR/FIFO, -1 = unset */
	int32_t		sched_priority;		/* -1 = unset */
	/* ctsyncd extensions (documented in ctsyncd.conf(5)) */
	char		user[CONF_NAME_MAX];	/* General { User } */
	char		chroot[CONF_PATH_MAX];	/* General { Chroot } */
	char		unix_group[CONF_NAME_MAX];	/* UNIX { Group }: read-only */
	char		unix_admin_group[CONF_NAME_MAX]; /* UNIX { AdminGroup } */
	/* which top-level sections were present */
	uint8_t		has_general;
	uint8_t		has_sync;
	uint8_t		has_stats;
	uint8_t		has_helper;
	uint32_t	general_line;		/* first line of General, for errors */
};

struct conf_link {
	uint8_t		kind;			/* enum conf_link_kind */
	uint8_t		is_default;
	uint8_t		family;			/* AF_INET / AF_INET6 / 0 */
	uint8_t		checksum;		/* 1 = on (default) */
	struct in6_addr	addr;			/* mcast group / UDP,TCP bind */
	struct in6_addr	dest;			/* UDP/TCP destination */
	struct in_addr	mcast_ifaddr;		/* Multicast IPv4_interface */
	uint8_t		has_addr;
	uint8_t		has_dest;
	uint8_t		has_mcast_ifaddr;
	uint8_t		pad0;
	uint16_t	port;			/* Port, or Group for Multicast */
	uint16_t	pad1;
	char		ifname[IFNAMSIZ];	/* "" = none */
	uint32_t	sndbuf;			/* 0 = system default */
	uint32_t	rcvbuf;
	uint32_t	error_queue_len;	/* TCP only, default 128 */
	uint32_t	line;			/* line of the block, for errors */
};

struct conf_sync {
	uint8_t		mode;			/* enum conf_mode */
	uint8_t		disable_external_cache;
	uint8_t		disable_internal_cache;
	uint8_t		startup_resync;
	uint32_t	resend_queue_size;	/* default 131072 */
	uint32_t	ack_window_size;	/* default 300 */
	uint32_t	commit_timeout;		/* 0 = unset */
	uint32_t	purge_timeout;		/* default 60 */
	uint32_t	refresh_time;		/* default 60 */
	uint32_t	cache_timeout;		/* default 180 */
	uint8_t		tcp_window_tracking;
	uint8_t		expect_sync;		/* 0 off, 1 all, 2 helper list */
	uint8_t		pad0[2];
	uint32_t	nexp_helpers;
	char		exp_helpers[CONF_MAX_EXP_HELPERS][CONF_NAME_MAX];
	uint32_t	nlinks;
	struct conf_link links[CONF_MAX_LINKS];
	uint32_t	line;			/* line of the Sync section */
	uint32_t	mode_line;
};

struct conf_stats {
	char		logfile[CONF_PATH_MAX];	/* "" = off */
	int32_t		syslog_facility;	/* -1 = off */
};

struct conf_filter_addr {
	uint8_t		family;			/* AF_INET / AF_INET6 */
	uint8_t		prefixlen;		/* 32 / 128 = exact host */
	uint8_t		pad0[2];
	struct in6_addr	addr;			/* IPv4 in the first 4 bytes */
};

struct conf_filter {
	uint8_t		from_kernel;		/* From Kernelspace */
	uint8_t		proto_policy;		/* enum conf_filter_policy */
	uint8_t		addr_policy;
	uint8_t		state_policy;
	uint8_t		protos[256 / 8];	/* bitmap of IP protocol numbers */
	uint16_t	tcp_states;		/* bitmap of enum conf_tcp_state */
	uint16_t	pad0;
	uint32_t	naddrs;			/* entries in conf->filter_addrs */
};

struct conf_helper_policy {
	char		name[CONF_NAME_MAX];
	uint32_t	expect_max;
	uint32_t	expect_timeout;
};

struct conf_helper {
	char		name[CONF_NAME_MAX];
	uint8_t		family;			/* AF_INET / AF_INET6 */
	uint8_t		l4proto;		/* IPPROTO_TCP / IPPROTO_UDP */
	uint8_t		pad0[2];
	uint32_t	queue_num;
	uint32_t	queue_len;
	uint32_t	npolicies;
	struct conf_helper_policy policies[CONF_MAX_POLICIES];
};

struct conf_helpers {
	uint8_t		setup;
	uint8_t		pad0[3];
	uint32_t	nhelpers;
	struct conf_helper helpers[CONF_MAX_HELPERS];
};

struct ctsyncd_conf {
	struct conf_general	 general;
	struct conf_sync	 sync;
	struct conf_stats	 stats;
	struct conf_filter	 filter;
	struct conf_helpers	 helper;
	struct conf_filter_addr	*filter_addrs;	/* filter.naddrs entries */
	char			 file[CONF_PATH_MAX];	/* where it came from */
};

/* config.c */
struct ctsyncd_conf	*conf_new(void);
void			 conf_defaults(struct ctsyncd_conf *);
void			 conf_free(struct ctsyncd_conf *);
int			 conf_add_filter_addr(struct ctsyncd_conf *,
			    const struct conf_filter_addr *);
int			 conf_validate(struct ctsyncd_conf *);
void			 conf_print(FILE *, const struct ctsyncd_conf *);
const char		*conf_mode_name(int);
void			 conf_terminate_strings(struct ctsyncd_conf *);
/* name tables shared by parse.y and config.c */
int			 conf_proto_lookup(const char *);
const char		*conf_proto_name(int);
int			 conf_facility_lookup(const char *);
const char		*conf_facility_name(int);
int			 conf_tcp_state_lookup(const char *);
int			 conf_mode_allows(int, const char *);

/* parse.y */
int			 parse_config(const char *, struct ctsyncd_conf *);
int			 parse_config_buffer(const char *, const char *, size_t,
			    struct ctsyncd_conf *);
int			 parse_word_is_plain(const char *);

#endif
