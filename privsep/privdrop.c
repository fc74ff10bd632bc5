/*
 * Privilege drop: chroot to an empty directory, switch to the
 * unprivileged user, keep only the capabilities the role needs
 * (CAP_NET_ADMIN for kernel, none otherwise), then verify.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cap-ng.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "privsep.h"

/*
 * The chroot directory must be owned by root, not writable by anyone
 * else, and empty: a process that escapes the sandbox must find nothing.
 */
int
privdrop_check_dir(const char *dir, char *err, size_t errlen)
{
	struct stat	 st;
	DIR		*d;
	struct dirent	*de;
	int		 entries = 0;

	if (stat(dir, &st) == -1) {
		snprintf(err, errlen, "chroot directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "chroot %s is not a directory", dir);
		return -1;
	}
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(err, errlen, "chroot directory %s must be owned by "
		    "root and not writable by group or others", dir);
		return -1;
	}
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "chroot directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			entries++;
	}
	closedir(d);
	if (entries != 0) {
		snprintf(err, errlen, "chroot directory %s is not empty", dir);
		return -1;
	}
	return 0;
}

void
privdrop_rlimits(int role)
{
	struct rlimit	rl;

	rl.rlim_cur = rl.rlim_max = 0;
	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		fatal("setrlimit(RLIMIT_CORE)");
	/* no process forks after the drop */
	if (setrlimit(RLIMIT_NPROC, &rl) == -1)
		fatal("setrlimit(RLIMIT_NPROC)");
#ifndef CTSYNCD_SANITIZE
	/*
	 * Only the monitor writes a file (LogFile, opened already).  Not in
	 * sanitizer builds: a report on stderr would be killed by SIGXFSZ.
	 */
	if (role != PROC_MONITOR && setrlimit(RLIMIT_FSIZE, &rl) == -1)
		fatal("setrlimit(RLIMIT_FSIZE)");
#endif
}

static void
privdrop_verify(int role, const struct priv_ids *ids)
{
	uid_t	ruid, euid, suid;
	gid_t	rgid, egid, sgid;

	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1)
		fatal("getresuid");
	if (ruid != ids->uid || euid != ids->uid || suid != ids->uid ||
	    rgid != ids->gid || egid != ids->gid || sgid != ids->gid)
		fatalx("privilege drop left uid %u/%u/%u gid %u/%u/%u",
		    ruid, euid, suid, rgid, egid, sgid);
	if (getgroups(0, NULL) != 0)
		fatalx("privilege drop left supplementary groups");
	capng_get_caps_process();
	if (role == PROC_KERNEL) {
		if (!capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_ADMIN))
			fatalx("CAP_NET_ADMIN lost in privilege drop");
		if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_PARTIAL)
			fatalx("unexpected capability set after drop");
	} else if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE)
		fatalx("capabilities left after privilege drop");
}

/*
 * chroot + setres[ug]id + capabilities + NO_NEW_PRIVS.  The seccomp
 * filter is loaded by the caller afterwards (sandbox_enter).
 */
void
privdrop(int role, const struct priv_ids *ids, const char *root)
{
	int	rc;

	if (ids->uid == 0 || ids->gid == 0)
		fatalx("refusing to run %s as root", proc_name(role));
	if (chroot(root) == -1)
		fatal("chroot %s", root);
	if (chdir("/") == -1)
		fatal("chdir /");

	capng_clear(CAPNG_SELECT_BOTH);
	if (role == PROC_KERNEL &&
	    capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
	    CAP_NET_ADMIN) == -1)
		fatalx("capng_update failed");
	rc = capng_change_id(ids->uid, ids->gid,
	    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING);
	/* capng_change_id may leave KEEPCAPS set on failure */
	(void)prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	if (rc != 0)
		fatalx("capng_change_id to uid %u gid %u failed (%d)",
		    ids->uid, ids->gid, rc);
	privdrop_verify(role, ids);
	privdrop_rlimits(role);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_NO_NEW_PRIVS)");
}
