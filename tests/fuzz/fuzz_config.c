/*
 * libFuzzer target for the configuration parser: any input must be
 * accepted or rejected without crashing, leaking or overrunning.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * The parser reports every error on stderr; that only slows fuzzing.
 * Swap the stdio stream rather than fd 2: libFuzzer keeps the FILE * it
 * took at start-up and the sanitizers write to fd 2 directly, so crash
 * reports still show.
 */
static void
quiet_stderr(void)
{
	static int	 done;
	FILE		*null;

	if (done)
		return;
	done = 1;
	if ((null = fopen("/dev/null", "w")) != NULL)
		stderr = null;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctsyncd_conf	*conf;

	quiet_stderr();
	if ((conf = conf_new()) == NULL)
		return 0;
	(void)parse_config_buffer("fuzz", (const char *)data, size, conf);
	conf_free(conf);
	return 0;
}
