/*
 * ctsyncctl: control client for ctsyncd.  Finds the control socket the
 * way conntrackd's client does (UNIX Path in the config file), sends
 * one framed request and prints the reply.  The exit status tells what
 * happened (see ctsyncctl(8)).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ctsyncd.h"
#include "dump.h"
#include "imsg.h"
#include "output.h"
#include "parser.h"

/* the daemon bounds its own work; commit/-t of millions take minutes */
#define CTL_WAIT_MS	(16 * 60 * 1000)

extern char *__progname;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: %s [-j] [-C file] command\n"
	    "conntrackd-compatible flags:\n"
	    "  -c [ct|expect]          commit external cache to the kernel\n"
	    "  -f [internal|external]  flush caches\n"
	    "  -F [ct|expect]          flush kernel conntrack/expect table\n"
	    "  -i [ct|expect]          dump internal cache (-x for XML)\n"
	    "  -e [ct|expect]          dump external cache (-x for XML)\n"
	    "  -k                      stop the daemon\n"
	    "  -s [network|cache|runtime|link|rsqueue|queue|process|ct|"
	    "expect]\n"
	    "                          statistics\n"
	    "  -R [ct|expect]          resync internal cache with kernel\n"
	    "  -n                      request resync from peers\n"
	    "  -B                      bulk send to peers\n"
	    "  -t                      shorten kernel timers (PurgeTimeout)\n"
	    "  -v, -h                  version, help\n"
	    "words: show status|stats|cache|network|link|queue|rsqueue|"
	    "runtime|process\n"
	    "       show internal|external [ct|expect]\n"
	    "       commit [ct|expect]   flush internal|external|kernel\n"
	    "       resync kernel|peers  bulk  shorten-timers  stop\n"
	    "  -j                      JSON output\n", __progname);
}

static int
ctl_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		fprintf(stderr, "%s: socket path too long\n", __progname);
		exit(CTLX_ERROR);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		perror("socket");
		exit(CTLX_ERROR);
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	if (errno == EACCES || errno == EPERM) {
		fprintf(stderr, "%s: permission denied: cannot connect to %s "
		    "(need root or membership of its group)\n", __progname,
		    path);
		exit(CTLX_DENIED);
	}
	if (errno == ENOENT || errno == ECONNREFUSED) {
		fprintf(stderr, "%s: ctsyncd is not running (no daemon "
		    "listening on %s)\n", __progname, path);
		exit(CTLX_NOT_RUNNING);
	}
	fprintf(stderr, "%s: connect %s: %s\n", __progname, path,
	    strerror(errno));
	exit(CTLX_ERROR);
}

static int
result_exit(const struct ctl_result *res, int json)
{
	char	msg[CTL_MSG_MAX];

	memcpy(msg, res->msg, sizeof(msg));
	msg[sizeof(msg) - 1] = '\0';
	if (res->status == CTL_RES_OK) {
		/* with -j, stdout carries JSON only */
		if (msg[0] != '\0')
			fprintf(json ? stderr : stdout, "%s\n", msg);
		return CTLX_OK;
	}
	fprintf(stderr, "%s: %s\n", __progname, msg[0] ? msg : "failed");
	switch (res->status) {
	case CTL_RES_DENIED:
		return CTLX_DENIED;
	case CTL_RES_NOTIMPL:
		return CTLX_NOTIMPL;
	default:
		return CTLX_ERROR;
	}
}

/* One reply message; returns an exit code when the reply is complete. */
static int
handle_reply(struct imsg *imsg, const struct ctl_cmd *cmd, int *nproc)
{
	struct ctl_result	res;
	struct ctl_runtime	rt;
	struct ctl_process	p;
	struct ctl_status	st;
	struct sync_stats	ss;
	int			json = (cmd->flags & CTL_FLAG_JSON) != 0;

	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_RESULT:
		if (imsg_get_data(imsg, &res, sizeof(res)) == -1)
			break;
		res.msg[sizeof(res.msg) - 1] = '\0';
		if (*nproc >= 0)
			output_process_end(json);
		if (cmd->op == CTL_OP_DUMP_INTERNAL ||
		    cmd->op == CTL_OP_DUMP_EXTERNAL) {
			dump_end(cmd->flags);
			if (res.status == CTL_RES_OK)
				res.msg[0] = '\0';	/* the count is noise */
		}
		if (cmd->op == CTL_OP_STATS && res.status == CTL_RES_OK)
			res.msg[0] = '\0';
		return result_exit(&res, json);
	case IMSG_CTL_CT_DUMP:
	case IMSG_CTL_EXP_DUMP:
		if (dump_chunk(imsg->data, imsg_get_len(imsg),
		    imsg_get_type(imsg) == IMSG_CTL_EXP_DUMP, cmd->flags) == -1)
			break;
		return -1;
	case IMSG_CTL_SYNC_STATS:
		if (imsg_get_data(imsg, &ss, sizeof(ss)) == -1)
			break;
		output_sync_stats(&ss, cmd->arg, json);
		return -1;
	case IMSG_CTL_RUNTIME:
		if (imsg_get_data(imsg, &rt, sizeof(rt)) == -1)
			break;
		output_runtime(&rt, json);
		return -1;
	case IMSG_CTL_PROCESS:
		if (imsg_get_data(imsg, &p, sizeof(p)) == -1)
			break;
		if (*nproc < 0) {
			output_process_begin(json);
			*nproc = 0;
		}
		output_process(&p, json);
		(*nproc)++;
		return -1;
	case IMSG_CTL_STATUS:
		if (imsg_get_data(imsg, &st, sizeof(st)) == -1)
			break;
		st.version[sizeof(st.version) - 1] = '\0';
		st.config_file[sizeof(st.config_file) - 1] = '\0';
		output_status(&st, json);
		return -1;
	default:
		break;
	}
	fprintf(stderr, "%s: malformed reply from the daemon\n", __progname);
	return CTLX_ERROR;
}

static int
ctl_run(int fd, const struct ctl_cmd *cmd)
{
	struct imsgbuf		ibuf;
	struct ctl_request	req;
	struct imsg		imsg;
	struct pollfd		pfd;
	int			n, rc = -1, nproc = -1;

	if (imsgbuf_init(&ibuf, fd) == -1 ||
	    imsgbuf_set_maxsize(&ibuf, MAX_IMSGSIZE_CTL) == -1) {
		perror("imsgbuf_init");
		return CTLX_ERROR;
	}
	memset(&req, 0, sizeof(req));
	req.version = CTL_PROTO_VERSION;
	req.op = cmd->op;
	req.arg = cmd->arg;
	req.flags = cmd->flags;
	if (imsg_compose(&ibuf, IMSG_CTL_REQUEST, 0, 0, -1, &req,
	    sizeof(req)) == -1 || imsgbuf_flush(&ibuf) == -1) {
		fprintf(stderr, "%s: send request: %s\n", __progname,
		    strerror(errno));
		return CTLX_ERROR;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (rc == -1) {
		if ((n = poll(&pfd, 1, CTL_WAIT_MS)) == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "%s: no reply from the daemon\n",
			    __progname);
			return CTLX_ERROR;
		}
		if ((n = imsgbuf_read(&ibuf)) <= 0) {
			fprintf(stderr, "%s: daemon closed the connection\n",
			    __progname);
			return CTLX_ERROR;
		}
		while (rc == -1 && (n = imsgbuf_get(&ibuf, &imsg)) > 0) {
			rc = handle_reply(&imsg, cmd, &nproc);
			imsg_free(&imsg);
		}
		if (n == -1) {
			fprintf(stderr, "%s: bad reply: %s\n", __progname,
			    strerror(errno));
			return CTLX_ERROR;
		}
	}
	imsgbuf_clear(&ibuf);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct ctl_cmd		 cmd;
	struct ctsyncd_conf	*conf;
	char			 err[256];
	int			 fd, rc;

	if (ctl_parse_args(argc, argv, &cmd, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", __progname, err);
		usage(stderr);
		return CTLX_USAGE;
	}
	if (cmd.action == ACT_VERSION) {
		printf("ctsyncctl %s (control protocol %d)\n", CTSYNCD_VERSION,
		    CTL_PROTO_VERSION);
		return CTLX_OK;
	}
	if (cmd.action == ACT_HELP) {
		usage(stdout);
		return CTLX_OK;
	}
	if ((conf = conf_new()) == NULL) {
		perror("conf_new");
		return CTLX_ERROR;
	}
	if (parse_config(cmd.config, conf) == -1)
		return CTLX_ERROR;
	fd = ctl_connect(conf->general.unix_path);
	rc = ctl_run(fd, &cmd);
	close(fd);
	conf_free(conf);
	return rc;
}
