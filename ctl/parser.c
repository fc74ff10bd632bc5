/*
 * Argument parsing for ctsyncctl.  Two faces over one set of
 * operations: conntrackd's client flags (so existing VRRP hooks work
 * by renaming the program) and plain words.  Words and table selectors
 * match by unambiguous prefix, as conntrackd matches its selectors.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ctsyncd.h"
#include "parser.h"

enum { W_CT = 0, W_EXPECT };
static const char *const w_ctexp[] = { "ct", "expect", NULL };
static const uint32_t t_ctexp[] = { CTL_TABLE_CT, CTL_TABLE_EXPECT };

static const char *const w_intext[] = { "internal", "external", NULL };
static const uint32_t t_intext[] = { CTL_TABLE_INTERNAL, CTL_TABLE_EXTERNAL };

static const char *const w_stats[] = { "network", "cache", "runtime",
    "link", "rsqueue", "process", "queue", "ct", "expect", "multicast",
    NULL };
static const uint32_t t_stats[] = { CTL_STATS_NETWORK, CTL_STATS_CACHE,
    CTL_STATS_RUNTIME, CTL_STATS_LINK, CTL_STATS_RSQUEUE, CTL_STATS_PROCESS,
    CTL_STATS_QUEUE, CTL_STATS_SUMMARY, CTL_STATS_EXPECT, CTL_STATS_LINK };

/* words for people */
static const char *const w_verbs[] = { "show", "commit", "flush", "resync",
    "bulk", "shorten-timers", "stop", NULL };
enum { V_SHOW, V_COMMIT, V_FLUSH, V_RESYNC, V_BULK, V_SHORTEN, V_STOP };

static const char *const w_show[] = { "status", "stats", "cache", "network",
    "link", "queue", "rsqueue", "runtime", "process", "internal",
    "external", NULL };
enum { S_STATUS, S_STATS, S_CACHE, S_NETWORK, S_LINK, S_QUEUE, S_RSQUEUE,
    S_RUNTIME, S_PROCESS, S_INTERNAL, S_EXTERNAL };
static const uint32_t t_show_stats[] = { 0, CTL_STATS_SUMMARY,
    CTL_STATS_CACHE, CTL_STATS_NETWORK, CTL_STATS_LINK, CTL_STATS_QUEUE,
    CTL_STATS_RSQUEUE, CTL_STATS_RUNTIME, CTL_STATS_PROCESS };

static const char *const w_flush[] = { "internal", "external", "kernel",
    NULL };
static const char *const w_resync[] = { "kernel", "peers", NULL };

/*
 * Index of the word `arg' is an unambiguous prefix of (an exact match
 * wins over longer candidates).  0 found, -1 unknown, -2 ambiguous.
 */
int
ctl_match_word(const char *arg, const char *const *words, int *idx)
{
	size_t	len = strlen(arg);
	int	i, found = -1;

	if (len == 0)
		return -1;
	for (i = 0; words[i] != NULL; i++) {
		if (strcmp(arg, words[i]) == 0) {
			*idx = i;
			return 0;
		}
		if (strncmp(arg, words[i], len) != 0)
			continue;
		if (found != -1)
			return -2;
		found = i;
	}
	if (found == -1)
		return -1;
	*idx = found;
	return 0;
}

static int
set_op(struct ctl_cmd *cmd, uint32_t op, uint32_t arg, char *err,
    size_t errlen)
{
	if (cmd->action != ACT_NONE) {
		snprintf(err, errlen, "only one operation per invocation");
		return -1;
	}
	cmd->action = ACT_REQUEST;
	cmd->op = op;
	cmd->arg = arg;
	return 0;
}

/* Optional selector after a flag: consumed only if it does not look like
 * an option, as conntrackd does. */
static int
opt_selector(int argc, char *argv[], int *i, const char *const *words,
    const uint32_t *vals, uint32_t dflt, const char *flag, uint32_t *out,
    char *err, size_t errlen)
{
	int	idx, rc;

	*out = dflt;
	if (*i + 1 >= argc || argv[*i + 1][0] == '-')
		return 0;
	rc = ctl_match_word(argv[*i + 1], words, &idx);
	if (rc != 0) {
		snprintf(err, errlen, "%s parameter `%s' for option `%s'",
		    rc == -2 ? "ambiguous" : "unknown", argv[*i + 1], flag);
		return -1;
	}
	(*i)++;
	*out = vals[idx];
	return 0;
}

static int
parse_flag(int argc, char *argv[], int *i, struct ctl_cmd *cmd, char *err,
    size_t errlen)
{
	const char	*a = argv[*i];
	uint32_t	 sel;
	uint32_t	 op;

	if (strlen(a) != 2) {
		snprintf(err, errlen, "unknown option: %s", a);
		return -1;
	}
	switch (a[1]) {
	case 'C':
	case 'f':
		if (a[1] == 'f')
			break;	/* -f is flush below; -C takes a file */
		if (*i + 1 >= argc) {
			snprintf(err, errlen, "missing config filename");
			return -1;
		}
		cmd->config = argv[++(*i)];
		return 0;
	case 'j':
		cmd->flags |= CTL_FLAG_JSON;
		return 0;
	case 'x':
		cmd->flags |= CTL_FLAG_XML;
		return 0;
	case 'v':
		return set_op(cmd, 0, 0, err, errlen) == -1 ? -1 :
		    (cmd->action = ACT_VERSION, 0);
	case 'h':
		return set_op(cmd, 0, 0, err, errlen) == -1 ? -1 :
		    (cmd->action = ACT_HELP, 0);
	case 'k':
		return set_op(cmd, CTL_OP_KILL, 0, err, errlen);
	case 'B':
		return set_op(cmd, CTL_OP_BULK_SEND, 0, err, errlen);
	case 'n':
		return set_op(cmd, CTL_OP_REQUEST_RESYNC, 0, err, errlen);
	case 't':
		return set_op(cmd, CTL_OP_RESET_TIMERS, 0, err, errlen);
	case 's':
		if (opt_selector(argc, argv, i, w_stats, t_stats,
		    CTL_STATS_SUMMARY, a, &sel, err, errlen) == -1)
			return -1;
		return set_op(cmd, CTL_OP_STATS, sel, err, errlen);
	case 'c': op = CTL_OP_COMMIT; goto ctexp;
	case 'F': op = CTL_OP_FLUSH_KERNEL; goto ctexp;
	case 'i': op = CTL_OP_DUMP_INTERNAL; goto ctexp;
	case 'e': op = CTL_OP_DUMP_EXTERNAL; goto ctexp;
	case 'R': op = CTL_OP_RESYNC_KERNEL; goto ctexp;
	default:
		snprintf(err, errlen, "unknown option: %s", a);
		return -1;
	}
	/* -f [internal|external] */
	if (opt_selector(argc, argv, i, w_intext, t_intext, CTL_TABLE_ALL, a,
	    &sel, err, errlen) == -1)
		return -1;
	return set_op(cmd, CTL_OP_FLUSH_CACHE, sel, err, errlen);
ctexp:
	if (opt_selector(argc, argv, i, w_ctexp, t_ctexp, CTL_TABLE_ALL, a,
	    &sel, err, errlen) == -1)
		return -1;
	/* -i/-e without a table means conntracks, as in conntrackd */
	if (sel == CTL_TABLE_ALL &&
	    (op == CTL_OP_DUMP_INTERNAL || op == CTL_OP_DUMP_EXTERNAL))
		sel = CTL_TABLE_CT;
	return set_op(cmd, op, sel, err, errlen);
}

static int
word(const char *arg, const char *const *words, int *idx, const char *what,
    char *err, size_t errlen)
{
	int	rc = ctl_match_word(arg, words, idx);

	if (rc == 0)
		return 0;
	snprintf(err, errlen, "%s %s `%s'", rc == -2 ? "ambiguous" :
	    "unknown", what, arg);
	return -1;
}

/* Optional trailing ct|expect after a word. */
static int
word_table(int argc, char *argv[], int *i, uint32_t dflt, uint32_t *out,
    char *err, size_t errlen)
{
	int	idx;

	*out = dflt;
	if (*i + 1 >= argc || argv[*i + 1][0] == '-')
		return 0;
	if (word(argv[++(*i)], w_ctexp, &idx, "table", err, errlen) == -1)
		return -1;
	*out = t_ctexp[idx];
	return 0;
}

static int
parse_show(int argc, char *argv[], int *i, struct ctl_cmd *cmd, char *err,
    size_t errlen)
{
	uint32_t	t;
	int		idx;

	if (*i + 1 >= argc || argv[*i + 1][0] == '-')
		return set_op(cmd, CTL_OP_STATUS, 0, err, errlen);
	if (word(argv[++(*i)], w_show, &idx, "show argument", err,
	    errlen) == -1)
		return -1;
	switch (idx) {
	case S_STATUS:
		return set_op(cmd, CTL_OP_STATUS, 0, err, errlen);
	case S_INTERNAL:
	case S_EXTERNAL:
		if (word_table(argc, argv, i, CTL_TABLE_CT, &t, err,
		    errlen) == -1)
			return -1;
		return set_op(cmd, idx == S_INTERNAL ? CTL_OP_DUMP_INTERNAL :
		    CTL_OP_DUMP_EXTERNAL, t, err, errlen);
	default:
		return set_op(cmd, CTL_OP_STATS, t_show_stats[idx], err,
		    errlen);
	}
}

static int
parse_words(int argc, char *argv[], int *i, struct ctl_cmd *cmd, char *err,
    size_t errlen)
{
	uint32_t	t;
	int		idx, sub;

	if (word(argv[*i], w_verbs, &idx, "command", err, errlen) == -1)
		return -1;
	switch (idx) {
	case V_SHOW:
		return parse_show(argc, argv, i, cmd, err, errlen);
	case V_COMMIT:
		if (word_table(argc, argv, i, CTL_TABLE_ALL, &t, err,
		    errlen) == -1)
			return -1;
		return set_op(cmd, CTL_OP_COMMIT, t, err, errlen);
	case V_FLUSH:
		if (*i + 1 >= argc) {
			snprintf(err, errlen, "flush what? internal, "
			    "external or kernel");
			return -1;
		}
		if (word(argv[++(*i)], w_flush, &sub, "flush target", err,
		    errlen) == -1)
			return -1;
		if (sub == 2) {
			if (word_table(argc, argv, i, CTL_TABLE_ALL, &t, err,
			    errlen) == -1)
				return -1;
			return set_op(cmd, CTL_OP_FLUSH_KERNEL, t, err, errlen);
		}
		return set_op(cmd, CTL_OP_FLUSH_CACHE, t_intext[sub], err,
		    errlen);
	case V_RESYNC:
		if (*i + 1 >= argc) {
			snprintf(err, errlen, "resync what? kernel or peers");
			return -1;
		}
		if (word(argv[++(*i)], w_resync, &sub, "resync target", err,
		    errlen) == -1)
			return -1;
		if (sub == 1)
			return set_op(cmd, CTL_OP_REQUEST_RESYNC, 0, err,
			    errlen);
		if (word_table(argc, argv, i, CTL_TABLE_ALL, &t, err,
		    errlen) == -1)
			return -1;
		return set_op(cmd, CTL_OP_RESYNC_KERNEL, t, err, errlen);
	case V_BULK:
		return set_op(cmd, CTL_OP_BULK_SEND, 0, err, errlen);
	case V_SHORTEN:
		return set_op(cmd, CTL_OP_RESET_TIMERS, 0, err, errlen);
	default:
		return set_op(cmd, CTL_OP_KILL, 0, err, errlen);
	}
}

/* 0 and a filled cmd, or -1 with a message in err. */
int
ctl_parse_args(int argc, char *argv[], struct ctl_cmd *cmd, char *err,
    size_t errlen)
{
	int	i, rc;

	memset(cmd, 0, sizeof(*cmd));
	cmd->config = CTSYNCD_CONF_FILE;
	err[0] = '\0';
	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			rc = parse_flag(argc, argv, &i, cmd, err, errlen);
		else
			rc = parse_words(argc, argv, &i, cmd, err, errlen);
		if (rc == -1)
			return -1;
	}
	if (cmd->action == ACT_NONE) {
		snprintf(err, errlen, "no command given");
		return -1;
	}
	if ((cmd->flags & CTL_FLAG_XML) && cmd->op != CTL_OP_DUMP_INTERNAL &&
	    cmd->op != CTL_OP_DUMP_EXTERNAL) {
		snprintf(err, errlen, "-x requires -i or -e");
		return -1;
	}
	if ((cmd->flags & CTL_FLAG_XML) && (cmd->flags & CTL_FLAG_JSON)) {
		snprintf(err, errlen, "-x and -j exclude each other");
		return -1;
	}
	return 0;
}
