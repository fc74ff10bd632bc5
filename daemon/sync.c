/*
 * The sync process: the network half.  In this version it holds the
 * configuration and answers status requests; caches, sync modes and the
 * wire protocol come with their own modules.
 */
#include <sys/types.h>

#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

static const struct ctsyncd_conf *sconf;

void
sync_init(const struct ctsyncd_conf *conf)
{
	sconf = conf;
}

static void
sync_send_status(uint32_t id)
{
	struct sync_status	st;

	memset(&st, 0, sizeof(st));
	st.pid = getpid();
	st.mode = sconf->sync.mode;
	st.nlinks = sconf->sync.nlinks;
	st.replicating = 0;	/* no sync mode runs in this version */
	child_send_monitor(IMSG_SYNC_STATUS, id, &st, sizeof(st));
}

void
sync_dispatch(struct imsg *imsg, int from)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_SYNC_STATUS_REQ:
		sync_send_status(imsg_get_id(imsg));
		break;
	default:
		log_warnx("%s: unhandled %s from %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)), proc_name(from));
		break;
	}
}
