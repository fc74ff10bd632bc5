/*
 * Output of ctsyncctl.  Text follows conntrackd's layouts so scripts
 * that grep them keep working; JSON carries the same figures under
 * stable key names.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ctsyncd.h"
#include "json.h"
#include "output.h"

/* conntrackd's uptime: "[D day(s) ][H h ]M min" */
static void
fmt_uptime(int64_t secs, char *buf, size_t len)
{
	long	d = secs / 86400, h = (secs / 3600) % 24, mi = (secs / 60) % 60;
	size_t	n = 0;

	buf[0] = '\0';
	if (d > 0)
		n = snprintf(buf, len, "%ld day%s ", d, d == 1 ? "" : "s");
	if (h > 0 && n < len)
		n += snprintf(buf + n, len - n, "%ld h ", h);
	if (n < len)
		snprintf(buf + n, len - n, "%ld min", mi);
}

static void
runtime_json(const struct ctl_runtime *rt)
{
	const struct kernel_stats *k = &rt->kernel;

	json_begin(stdout);
	json_int("uptime_seconds", rt->uptime);
	json_object("netlink");
	json_uint("events_received", k->events_received);
	json_uint("events_filtered", k->events_filtered);
	json_uint("events_unknown_type", k->events_unknown);
	json_uint("catch_event_failed", k->catch_event_failed);
	json_uint("dump_unknown_type", k->dump_unknown);
	json_uint("netlink_overrun", k->netlink_overrun);
	json_uint("flush_kernel_table", k->flush_kernel);
	json_uint("resync_kernel_table", k->resync_kernel);
	json_uint("buffer_size", k->netlink_bufsize);
	json_close();
	json_object("runtime");
	json_uint("child_process_failed", rt->child_failed);
	json_uint("child_process_segfault", rt->child_segfault);
	json_uint("child_process_termsig", rt->child_termsig);
	json_uint("poll_failed", rt->poll_failed);
	json_uint("wait_failed", rt->wait_failed);
	json_uint("local_read_failed", rt->local_read_failed);
	json_uint("local_unknown_request", rt->local_unknown_request);
	json_uint("control_denied", rt->ctl_denied);
	json_uint("control_timeouts", rt->ctl_timeouts);
	json_close();
	json_end();
}

void
output_runtime(const struct ctl_runtime *rt, int json)
{
	const struct kernel_stats	*k = &rt->kernel;
	char				 up[64];

	if (json) {
		runtime_json(rt);
		return;
	}
	fmt_uptime(rt->uptime, up, sizeof(up));
	printf("daemon uptime: %s\n\n", up);
	printf("netlink stats:\n");
	printf("\tevents received:\t%20llu\n",
	    (unsigned long long)k->events_received);
	printf("\tevents filtered:\t%20llu\n",
	    (unsigned long long)k->events_filtered);
	printf("\tevents unknown type:\t\t%12llu\n",
	    (unsigned long long)k->events_unknown);
	printf("\tcatch event failed:\t\t%12llu\n",
	    (unsigned long long)k->catch_event_failed);
	printf("\tdump unknown type:\t\t%12llu\n",
	    (unsigned long long)k->dump_unknown);
	printf("\tnetlink overrun:\t\t%12llu\n",
	    (unsigned long long)k->netlink_overrun);
	printf("\tflush kernel table:\t\t%12llu\n",
	    (unsigned long long)k->flush_kernel);
	printf("\tresync with kernel table:\t%12llu\n",
	    (unsigned long long)k->resync_kernel);
	printf("\tcurrent buffer size (in bytes):\t%12llu\n\n",
	    (unsigned long long)k->netlink_bufsize);
	printf("runtime stats:\n");
	printf("\tchild process failed:\t\t%12llu\n",
	    (unsigned long long)rt->child_failed);
	printf("\t\tchild process segfault:\t%12llu\n",
	    (unsigned long long)rt->child_segfault);
	printf("\t\tchild process termsig:\t%12llu\n",
	    (unsigned long long)rt->child_termsig);
	printf("\tselect failed:\t\t\t%12llu\n",
	    (unsigned long long)rt->poll_failed);
	printf("\twait failed:\t\t\t%12llu\n",
	    (unsigned long long)rt->wait_failed);
	printf("\tlocal read failed:\t\t%12llu\n",
	    (unsigned long long)rt->local_read_failed);
	printf("\tlocal unknown request:\t\t%12llu\n\n",
	    (unsigned long long)rt->local_unknown_request);
}

void
output_process_begin(int json)
{
	if (json) {
		json_begin(stdout);
		json_array("processes");
	}
}

void
output_process(const struct ctl_process *p, int json)
{
	char	role[sizeof(p->role) + 1];

	memcpy(role, p->role, sizeof(p->role));
	role[sizeof(p->role)] = '\0';
	if (!json) {
		printf("PID=%d type=%s\n", p->pid, role);
		return;
	}
	json_object(NULL);
	json_int("pid", p->pid);
	json_string("type", role);
	json_close();
}

void
output_process_end(int json)
{
	if (json)
		json_end();
}

static void
status_json(const struct ctl_status *st)
{
	json_begin(stdout);
	json_string("version", st->version);
	json_string("config", st->config_file);
	json_int("uptime_seconds", st->uptime);
	json_string("mode", conf_mode_name(st->mode));
	json_uint("links", st->nlinks);
	json_object("processes");
	json_int("monitor", st->monitor_pid);
	json_int("sync", st->sync_pid);
	json_int("kernel", st->kernel_pid);
	json_close();
	json_bool("replicating", st->replicating);
	json_bool("in_sync", st->in_sync);
	json_uint("control_denied", st->ctl_denied);
	json_end();
}

void
output_status(const struct ctl_status *st, int json)
{
	char	up[64];

	if (json) {
		status_json(st);
		return;
	}
	fmt_uptime(st->uptime, up, sizeof(up));
	printf("ctsyncd %.16s, up %s\n", st->version, up);
	printf("config:       %.256s\n", st->config_file);
	printf("mode:         %s, %u sync link%s configured\n",
	    conf_mode_name(st->mode), st->nlinks, st->nlinks == 1 ? "" : "s");
	printf("processes:    monitor %d, sync %d, kernel %d\n",
	    st->monitor_pid, st->sync_pid, st->kernel_pid);
	printf("replication:  %s\n", st->replicating ? "running" :
	    "not running (not implemented in this version)");
	printf("in sync:      %s\n", st->in_sync ? "yes" : "no");
	printf("control:      %llu request%s denied\n",
	    (unsigned long long)st->ctl_denied, st->ctl_denied == 1 ? "" : "s");
}
