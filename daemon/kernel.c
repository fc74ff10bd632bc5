/*
 * The kernel process: the only one that may change the kernel's
 * conntrack tables (it keeps CAP_NET_ADMIN).  In this version it holds
 * the configuration and reports its counters; ctnetlink work comes with
 * the kernel modules.
 */
#include <sys/types.h>

#include <string.h>

#include "daemon.h"
#include "log.h"

static const struct ctsyncd_conf *kconf;
static struct kernel_stats	 kstats;

void
kernel_init(const struct ctsyncd_conf *conf)
{
	kconf = conf;
	memset(&kstats, 0, sizeof(kstats));
}

void
kernel_dispatch(struct imsg *imsg, int from)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_KERNEL_STATS_REQ:
		child_send_monitor(IMSG_KERNEL_STATS, imsg_get_id(imsg),
		    &kstats, sizeof(kstats));
		break;
	default:
		log_warnx("%s: unhandled %s from %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)), proc_name(from));
		break;
	}
}
