/*
 * Unit tests for ctsyncctl's argument parser: both faces, prefixes,
 * ambiguity, missing and unknown arguments.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ctsyncd.h"
#include "../../ctl/parser.h"

static int	checks, failed;

#define MAXARGS	8

static int
parse(const char *line, struct ctl_cmd *cmd, char *err, size_t errlen)
{
	static char	 buf[256];
	char		*argv[MAXARGS + 1], *tok, *save = NULL;
	int		 argc = 0;

	argv[argc++] = (char *)"ctsyncctl";
	strlcpy(buf, line, sizeof(buf));
	for (tok = strtok_r(buf, " ", &save); tok != NULL && argc < MAXARGS;
	    tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	return ctl_parse_args(argc, argv, cmd, err, errlen);
}

static void
expect_ok(const char *line, uint32_t op, uint32_t arg, uint32_t flags,
    int lineno)
{
	struct ctl_cmd	cmd;
	char		err[256];

	checks++;
	if (parse(line, &cmd, err, sizeof(err)) == -1) {
		printf("line %d: `%s': unexpected error: %s\n", lineno, line,
		    err);
		failed++;
		return;
	}
	if (cmd.action != ACT_REQUEST || cmd.op != op || cmd.arg != arg ||
	    cmd.flags != flags) {
		printf("line %d: `%s': got action %d op %u arg %u flags %u, "
		    "want op %u arg %u flags %u\n", lineno, line, cmd.action,
		    cmd.op, cmd.arg, cmd.flags, op, arg, flags);
		failed++;
	}
}

static void
expect_err(const char *line, const char *fragment, int lineno)
{
	struct ctl_cmd	cmd;
	char		err[256];

	checks++;
	if (parse(line, &cmd, err, sizeof(err)) == 0) {
		printf("line %d: `%s': parsed, want an error\n", lineno, line);
		failed++;
		return;
	}
	if (strstr(err, fragment) == NULL) {
		printf("line %d: `%s': error `%s' lacks `%s'\n", lineno, line,
		    err, fragment);
		failed++;
	}
}

#define OK(l, o, a, f)	expect_ok(l, o, a, f, __LINE__)
#define ERR(l, frag)	expect_err(l, frag, __LINE__)

static void
test_flags(void)
{
	OK("-c", CTL_OP_COMMIT, CTL_TABLE_ALL, 0);
	OK("-c ct", CTL_OP_COMMIT, CTL_TABLE_CT, 0);
	OK("-c e", CTL_OP_COMMIT, CTL_TABLE_EXPECT, 0);
	OK("-c exp", CTL_OP_COMMIT, CTL_TABLE_EXPECT, 0);
	OK("-f", CTL_OP_FLUSH_CACHE, CTL_TABLE_ALL, 0);
	OK("-f internal", CTL_OP_FLUSH_CACHE, CTL_TABLE_INTERNAL, 0);
	OK("-f ext", CTL_OP_FLUSH_CACHE, CTL_TABLE_EXTERNAL, 0);
	OK("-F", CTL_OP_FLUSH_KERNEL, CTL_TABLE_ALL, 0);
	OK("-F expect", CTL_OP_FLUSH_KERNEL, CTL_TABLE_EXPECT, 0);
	OK("-i", CTL_OP_DUMP_INTERNAL, CTL_TABLE_CT, 0);
	OK("-i -x", CTL_OP_DUMP_INTERNAL, CTL_TABLE_CT, CTL_FLAG_XML);
	OK("-e expect -x", CTL_OP_DUMP_EXTERNAL, CTL_TABLE_EXPECT,
	    CTL_FLAG_XML);
	OK("-k", CTL_OP_KILL, 0, 0);
	OK("-s", CTL_OP_STATS, CTL_STATS_SUMMARY, 0);
	OK("-s runtime", CTL_OP_STATS, CTL_STATS_RUNTIME, 0);
	OK("-s ru", CTL_OP_STATS, CTL_STATS_RUNTIME, 0);
	ERR("-s r", "ambiguous parameter `r'");
	OK("-s process", CTL_OP_STATS, CTL_STATS_PROCESS, 0);
	OK("-s network", CTL_OP_STATS, CTL_STATS_NETWORK, 0);
	OK("-s ct", CTL_OP_STATS, CTL_STATS_SUMMARY, 0);
	OK("-s expect", CTL_OP_STATS, CTL_STATS_EXPECT, 0);
	OK("-s queue", CTL_OP_STATS, CTL_STATS_QUEUE, 0);
	OK("-s rsqueue", CTL_OP_STATS, CTL_STATS_RSQUEUE, 0);
	OK("-s link", CTL_OP_STATS, CTL_STATS_LINK, 0);
	OK("-s multicast", CTL_OP_STATS, CTL_STATS_LINK, 0);
	OK("-R", CTL_OP_RESYNC_KERNEL, CTL_TABLE_ALL, 0);
	OK("-R ct", CTL_OP_RESYNC_KERNEL, CTL_TABLE_CT, 0);
	OK("-B", CTL_OP_BULK_SEND, 0, 0);
	OK("-n", CTL_OP_REQUEST_RESYNC, 0, 0);
	OK("-t", CTL_OP_RESET_TIMERS, 0, 0);
	OK("-C /etc/x.conf -s runtime", CTL_OP_STATS, CTL_STATS_RUNTIME, 0);
	OK("-s runtime -C /etc/x.conf", CTL_OP_STATS, CTL_STATS_RUNTIME, 0);
	OK("-j -s runtime", CTL_OP_STATS, CTL_STATS_RUNTIME, CTL_FLAG_JSON);
}

static void
test_words(void)
{
	OK("show status", CTL_OP_STATUS, 0, 0);
	OK("show", CTL_OP_STATUS, 0, 0);
	OK("show statu", CTL_OP_STATUS, 0, 0);
	OK("shor", CTL_OP_RESET_TIMERS, 0, 0);
	ERR("sh", "ambiguous command `sh'");
	ERR("show sta", "ambiguous show argument");
	OK("show stats", CTL_OP_STATS, CTL_STATS_SUMMARY, 0);
	OK("show runtime", CTL_OP_STATS, CTL_STATS_RUNTIME, 0);
	OK("show process", CTL_OP_STATS, CTL_STATS_PROCESS, 0);
	OK("show cache", CTL_OP_STATS, CTL_STATS_CACHE, 0);
	OK("show network", CTL_OP_STATS, CTL_STATS_NETWORK, 0);
	OK("show link", CTL_OP_STATS, CTL_STATS_LINK, 0);
	OK("show queue", CTL_OP_STATS, CTL_STATS_QUEUE, 0);
	OK("show internal", CTL_OP_DUMP_INTERNAL, CTL_TABLE_CT, 0);
	OK("show external expect", CTL_OP_DUMP_EXTERNAL, CTL_TABLE_EXPECT, 0);
	OK("commit", CTL_OP_COMMIT, CTL_TABLE_ALL, 0);
	OK("commit ct", CTL_OP_COMMIT, CTL_TABLE_CT, 0);
	OK("flush internal", CTL_OP_FLUSH_CACHE, CTL_TABLE_INTERNAL, 0);
	OK("flush external", CTL_OP_FLUSH_CACHE, CTL_TABLE_EXTERNAL, 0);
	OK("flush kernel", CTL_OP_FLUSH_KERNEL, CTL_TABLE_ALL, 0);
	OK("flush kernel expect", CTL_OP_FLUSH_KERNEL, CTL_TABLE_EXPECT, 0);
	OK("resync kernel", CTL_OP_RESYNC_KERNEL, CTL_TABLE_ALL, 0);
	OK("resync peers", CTL_OP_REQUEST_RESYNC, 0, 0);
	OK("bulk", CTL_OP_BULK_SEND, 0, 0);
	OK("shorten-timers", CTL_OP_RESET_TIMERS, 0, 0);
	OK("stop", CTL_OP_KILL, 0, 0);
	OK("-j show status", CTL_OP_STATUS, 0, CTL_FLAG_JSON);
	OK("show -j", CTL_OP_STATUS, 0, CTL_FLAG_JSON);
	OK("show internal -x", CTL_OP_DUMP_INTERNAL, CTL_TABLE_CT,
	    CTL_FLAG_XML);
}

static void
test_errors(void)
{
	ERR("", "no command");
	ERR("-f bogus", "unknown parameter `bogus' for option `-f'");
	ERR("-s bogus", "unknown parameter `bogus' for option `-s'");
	ERR("-s c", "ambiguous parameter `c'");
	ERR("-c bogus", "unknown parameter `bogus' for option `-c'");
	ERR("-x", "no command");
	ERR("-s runtime -x", "-x requires -i or -e");
	ERR("-i -x -j", "exclude each other");
	ERR("-k -s", "only one operation");
	ERR("-c -f", "only one operation");
	ERR("-q", "unknown option: -q");
	ERR("-kk", "unknown option: -kk");
	ERR("-C", "missing config filename");
	ERR("frobnicate", "unknown command `frobnicate'");
	ERR("s", "ambiguous command `s'");
	ERR("show bogus", "unknown show argument `bogus'");
	ERR("show s", "ambiguous show argument `s'");
	ERR("flush", "flush what?");
	ERR("flush nothing", "unknown flush target `nothing'");
	ERR("resync", "resync what?");
	ERR("commit bogus", "unknown table `bogus'");
	ERR("show status show status", "only one operation");
}

static void
test_version_help(void)
{
	struct ctl_cmd	cmd;
	char		err[256];

	checks++;
	if (parse("-v", &cmd, err, sizeof(err)) == -1 ||
	    cmd.action != ACT_VERSION) {
		printf("-v: want ACT_VERSION\n");
		failed++;
	}
	checks++;
	if (parse("-h", &cmd, err, sizeof(err)) == -1 ||
	    cmd.action != ACT_HELP) {
		printf("-h: want ACT_HELP\n");
		failed++;
	}
	checks++;
	if (parse("-C /tmp/a.conf -k", &cmd, err, sizeof(err)) == -1 ||
	    strcmp(cmd.config, "/tmp/a.conf") != 0) {
		printf("-C: config path not kept\n");
		failed++;
	}
	checks++;
	if (parse("-k", &cmd, err, sizeof(err)) == -1 ||
	    strcmp(cmd.config, CTSYNCD_CONF_FILE) != 0) {
		printf("default config path not set\n");
		failed++;
	}
}

int
main(void)
{
	test_flags();
	test_words();
	test_errors();
	test_version_help();
	printf("test_ctlparse: %d checks, %d failed\n", checks, failed);
	return failed != 0;
}
