/*
 * ctsyncd: connection tracking state synchronisation daemon.
 * Entry point: option parsing, config check (-n), role dispatch.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <err.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

extern char *__progname;
extern char **environ;

#ifdef CTSYNCD_SANITIZE
/*
 * LeakSanitizer cannot work in a chroot under seccomp (it needs ptrace
 * and /proc); leaks are checked by the unit tests and fuzzers instead.
 */
const char	*__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

static __dead void
usage(void)
{
	fprintf(stderr, "usage: %s [-dnvV] [-C file | -f file]\n",
	    __progname);
	exit(1);
}

static int64_t
clock_ms(clockid_t clock)
{
	struct timespec	ts;

	if (clock_gettime(clock, &ts) == -1)
		fatal("clock_gettime");
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
monotime_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

/*
 * The same clock to the last tick (a few ms behind at most), for what
 * is stamped on every message: reading the precise clock costs ~100 ns
 * in a VM, the coarse one only a load.
 */
int64_t
monotime_coarse_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC_COARSE);
}

static const char *
self_path(void)
{
	static char	path[PATH_MAX];
	ssize_t		n;

	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n <= 0 || (size_t)n >= sizeof(path) - 1)
		err(1, "cannot find own binary via /proc/self/exe");
	path[n] = '\0';
	return path;
}

int
main(int argc, char *argv[])
{
	struct ctsyncd_conf	*conf;
	struct monitor_opts	 opts;
	const char		*file = CTSYNCD_CONF_FILE;
	int			 ch, noaction = 0, role = -1;

	/* process titles overwrite argv: do it before anything reads it */
	setproctitle_init(argc, argv, environ);
	/*
	 * Batches of 64 KB come and go all the time: keep freed memory
	 * instead of giving it back and faulting it in again at once.
	 */
	(void)mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
	(void)mallopt(M_MMAP_THRESHOLD, 512 * 1024);
	memset(&opts, 0, sizeof(opts));
	while ((ch = getopt(argc, argv, "C:df:nP:vV")) != -1) {
		switch (ch) {
		case 'C':
		case 'f':
			file = optarg;
			break;
		case 'd':
			opts.debug = 1;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'P':
			if ((role = proc_role_from_name(optarg)) <= PROC_MONITOR)
				errx(1, "unknown process role %s", optarg);
			break;
		case 'v':
			opts.verbose++;
			break;
		case 'V':
			printf("ctsyncd %s\n", CTSYNCD_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	if (role != -1)
		child_main(role, opts.debug, opts.verbose);

	if ((conf = conf_new()) == NULL)
		err(1, "conf_new");
	if (parse_config(file, conf) == -1)
		return 1;
	if (noaction) {
		if (opts.verbose)
			conf_print(stdout, conf);
		fprintf(stderr, "configuration OK\n");
		conf_free(conf);
		return 0;
	}
	if (geteuid() != 0)
		errx(1, "need root privileges");
	opts.self = self_path();
	monitor_main(conf, &opts);
}
