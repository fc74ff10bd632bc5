/*
 * Configuration transfer monitor -> children.  The monitor parses the
 * file as root; children get the result as a fixed sequence of imsgs
 * ending with RECONF_DONE, and never parse text.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctsyncd.h"
#include "imsg.h"
#include "log.h"
#include "privsep.h"
#include "daemon.h"

#define ADDRS_PER_IMSG	256

static int
conf_send_addrs(struct imsgbuf *ibuf, const struct ctsyncd_conf *conf)
{
	uint32_t	i, n;

	for (i = 0; i < conf->filter.naddrs; i += n) {
		n = conf->filter.naddrs - i;
		if (n > ADDRS_PER_IMSG)
			n = ADDRS_PER_IMSG;
		if (imsg_compose(ibuf, IMSG_RECONF_FILTER_ADDR, 0, 0, -1,
		    &conf->filter_addrs[i], n * sizeof(conf->filter_addrs[0]))
		    == -1)
			return -1;
	}
	return 0;
}

int
conf_send(struct imsgbuf *ibuf, const struct ctsyncd_conf *conf,
    const struct priv_ids *ids)
{
	if (imsg_compose(ibuf, IMSG_RECONF_PRIV, 0, 0, -1, ids,
	    sizeof(*ids)) == -1 ||
	    imsg_compose(ibuf, IMSG_RECONF_GENERAL, 0, 0, -1, &conf->general,
	    sizeof(conf->general)) == -1 ||
	    imsg_compose(ibuf, IMSG_RECONF_SYNC, 0, 0, -1, &conf->sync,
	    sizeof(conf->sync)) == -1 ||
	    imsg_compose(ibuf, IMSG_RECONF_STATS, 0, 0, -1, &conf->stats,
	    sizeof(conf->stats)) == -1 ||
	    imsg_compose(ibuf, IMSG_RECONF_FILTER, 0, 0, -1, &conf->filter,
	    sizeof(conf->filter)) == -1 ||
	    conf_send_addrs(ibuf, conf) == -1 ||
	    imsg_compose(ibuf, IMSG_RECONF_HELPER, 0, 0, -1, &conf->helper,
	    sizeof(conf->helper)) == -1 ||
	    imsg_compose(ibuf, IMSG_RECONF_DONE, 0, 0, -1, NULL, 0) == -1)
		return -1;
	return 0;
}

static int
conf_recv_addrs(struct ctsyncd_conf *conf, const struct imsg *imsg)
{
	struct imsg_cursor	c;
	struct conf_filter_addr	a;

	if (imsg_get_len(imsg) % sizeof(a) != 0)
		return -1;
	imsg_cursor_init(&c, imsg);
	while (imsg_cursor_get(&c, &a, sizeof(a)) == 0) {
		if ((a.family != AF_INET && a.family != AF_INET6) ||
		    a.prefixlen > (a.family == AF_INET ? 32 : 128))
			return -1;
		if (conf_add_filter_addr(conf, &a) == -1)
			return -1;
	}
	return imsg_cursor_end(&c);
}

/*
 * Feed one imsg into conf.  1 when the transfer is complete, 0 when
 * more is expected, -1 on a malformed or out-of-order message.
 */
int
conf_recv(struct ctsyncd_conf *conf, struct priv_ids *ids,
    const struct imsg *imsg)
{
	uint32_t	naddrs;

	switch (imsg_get_type(imsg)) {
	case IMSG_RECONF_PRIV:
		return imsg_get_data(imsg, ids, sizeof(*ids)) == -1 ? -1 : 0;
	case IMSG_RECONF_GENERAL:
		if (imsg_get_data(imsg, &conf->general,
		    sizeof(conf->general)) == -1)
			return -1;
		return 0;
	case IMSG_RECONF_SYNC:
		if (imsg_get_data(imsg, &conf->sync, sizeof(conf->sync)) == -1)
			return -1;
		if (conf->sync.nlinks > CONF_MAX_LINKS ||
		    conf->sync.nexp_helpers > CONF_MAX_EXP_HELPERS)
			return -1;
		return 0;
	case IMSG_RECONF_STATS:
		return imsg_get_data(imsg, &conf->stats,
		    sizeof(conf->stats)) == -1 ? -1 : 0;
	case IMSG_RECONF_FILTER:
		if (imsg_get_data(imsg, &conf->filter,
		    sizeof(conf->filter)) == -1)
			return -1;
		/* the address array arrives next and recounts */
		naddrs = conf->filter.naddrs;
		conf->filter.naddrs = 0;
		free(conf->filter_addrs);
		conf->filter_addrs = NULL;
		return naddrs > CONF_MAX_FILTER_ADDRS ? -1 : 0;
	case IMSG_RECONF_FILTER_ADDR:
		return conf_recv_addrs(conf, imsg);
	case IMSG_RECONF_HELPER:
		if (imsg_get_data(imsg, &conf->helper,
		    sizeof(conf->helper)) == -1)
			return -1;
		return conf->helper.nhelpers > CONF_MAX_HELPERS ? -1 : 0;
	case IMSG_RECONF_DONE:
		if (imsg_get_len(imsg) != 0)
			return -1;
		conf_terminate_strings(conf);
		return 1;
	default:
		errno = EBADMSG;
		return -1;
	}
}
