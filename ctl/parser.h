/* ctsyncctl command line: conntrackd's flags and words for people. */
#ifndef CTSYNCCTL_PARSER_H
#define CTSYNCCTL_PARSER_H

#include <stddef.h>
#include <stdint.h>

enum ctl_action {
	ACT_NONE = 0,
	ACT_REQUEST,		/* send req to the daemon */
	ACT_VERSION,		/* -v */
	ACT_HELP,		/* -h */
};

struct ctl_cmd {
	int		 action;
	uint32_t	 op;		/* enum ctl_op */
	uint32_t	 arg;		/* enum ctl_table / enum ctl_stats */
	uint32_t	 flags;		/* CTL_FLAG_* */
	const char	*config;	/* -C / -f */
};

int	ctl_parse_args(int, char *[], struct ctl_cmd *, char *, size_t);
int	ctl_match_word(const char *, const char *const *, int *);

#endif
