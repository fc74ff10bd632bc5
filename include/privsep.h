/* Process roles, privilege drop and seccomp sandbox. */
#ifndef CTSYNCD_PRIVSEP_H
#define CTSYNCD_PRIVSEP_H

#include <sys/types.h>

#include <stdint.h>

#include "imsg.h"

enum proc_role {
	PROC_MONITOR = 0,
	PROC_SYNC,
	PROC_KERNEL,
	PROC_MAX
};

/* fds a child finds after exec */
#define PROC_FD_MONITOR		3	/* imsg channel to the monitor */
#define PROC_FD_PEER		4	/* imsg channel sync <-> kernel */
#define PROC_FD_REPORT		5	/* sandbox violation report pipe */

/* what a SIGSYS handler writes to the report pipe */
struct sandbox_report {
	uint32_t	magic;
#define SANDBOX_REPORT_MAGIC	0x53595343U
	int32_t		syscall;
	uint32_t	arch;
	int32_t		role;
};

/* resolved at start-up as root, sent to children (IMSG_RECONF_PRIV) */
struct priv_ids {
	uint32_t	uid;
	uint32_t	gid;
};

/* proc.c */
const char	*proc_name(int);
int		 proc_role_from_name(const char *);
pid_t		 proc_spawn(const char *, int, int, int, int, int, int);

/* privdrop.c */
int		 privdrop_check_dir(const char *, char *, size_t);
void		 privdrop(int, const struct priv_ids *, const char *);
void		 privdrop_rlimits(int);

/* sandbox.c */
void		 sandbox_enter(int, int);
void		 sandbox_restrict_unlink(int, int);
const char	*sandbox_syscall_name(int32_t, uint32_t, char *, size_t);

/* channel.c: direction table checked before any dispatch */
int		 channel_check(int, int, const struct imsg *);
const char	*imsg_type_name(uint32_t);

#endif
