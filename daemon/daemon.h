/* Prototypes shared by the daemon's own modules (not by ctsyncctl). */
#ifndef CTSYNCD_DAEMON_H
#define CTSYNCD_DAEMON_H

#include <sys/types.h>

#include <poll.h>
#include <stdarg.h>

#include <stdint.h>

#include "config.h"
#include "ctsyncd.h"
#include "imsg.h"
#include "privsep.h"

#ifndef __dead
#define __dead __attribute__((__noreturn__))
#endif

struct monitor_opts {
	int		 debug;		/* -d: foreground, stderr */
	int		 verbose;
	const char	*self;		/* absolute path of our binary */
};

/* config_imsg.c */
int	conf_send(struct imsgbuf *, const struct ctsyncd_conf *,
	    const struct priv_ids *);
int	conf_recv(struct ctsyncd_conf *, struct priv_ids *,
	    const struct imsg *);

/* monitor.c */
__dead void	monitor_main(struct ctsyncd_conf *, const struct monitor_opts *);
void		monitor_relay_to_child(int, uint32_t, uint32_t, const void *,
		    size_t);
void		monitor_shutdown_request(void);
void		monitor_fill_runtime(struct ctl_runtime *);
void		monitor_fill_status(struct ctl_status *);
void		monitor_fill_processes(struct ctl_process *, int *);

/* sdnotify.c: systemd's notification protocol, Systemd on */
void	sdnotify_open(int);
void	sdnotify_ready(int64_t);
void	sdnotify_stopping(void);
void	sdnotify_watchdog(int64_t);
int	sdnotify_timeout_ms(int64_t, int);

/* mlink.c: sync link sockets, opened as root */
int	mlink_open(const struct ctsyncd_conf *);
int	mlink_send(struct imsgbuf *);
int	mlink_watch_open(const struct ctsyncd_conf *);
int	mlink_watch_fd(void);
void	mlink_watch_read(void);
void	mlink_watch_refresh(int64_t);

/* control.c */
int	control_init(const char *, int, const char *, gid_t);
void	control_listen(int);
int	control_pollfds(struct pollfd *, int);
void	control_handle(struct pollfd *, int, int64_t);
void	control_timeouts(int64_t);
void	control_child_reply(int, const struct imsg *);
void	control_set_groups(gid_t, gid_t, int);
void	control_shutdown(void);
uint64_t control_denied(void);
uint64_t control_timedout(void);
uint64_t control_read_failed(void);
uint64_t control_bad_request(void);

/* child.c */
typedef void (*child_fd_cb)(int, short);
typedef void (*child_timer_cb)(int64_t);
typedef void (*child_idle_cb)(void);
__dead void	child_main(int, int, int);
void		child_send_monitor(uint32_t, uint32_t, const void *, size_t);
void		child_send_peer(uint32_t, uint32_t, const void *, size_t);
void		child_flush_peer(void);
void		child_send_resultv(uint32_t, int, const char *, va_list);
void		child_send_result(uint32_t, int, const char *, ...)
		    __attribute__((__format__(printf, 3, 4)));
void		child_fd_add(int, short, child_fd_cb);
void		child_fd_del(int);
void		child_fd_events(int, short);
void		child_set_timer(int64_t, child_timer_cb);
void		child_set_idle(child_idle_cb);
size_t		child_peer_queued(void);
size_t		child_monitor_queued(void);

/* sync.c / kernel.c: per-role life (from = sending role) */
void	sync_init(const struct ctsyncd_conf *);
void	sync_start(void);
void	sync_dispatch(struct imsg *, int);
void	sync_link_recv(struct imsg *);
void	kernel_init(const struct ctsyncd_conf *);
void	kernel_start(void);
void	kernel_dispatch(struct imsg *, int);

/* testhook.c: no-op unless built with CTSYNCD_TEST_HOOKS */
void	testhook_after_sandbox(int);
int	testhook_enabled(void);
int	testhook_mirror(void);
void	testhook_inject_load(void);
void	testhook_inject_send(void);

/* monotime */
int64_t	monotime_ms(void);
int64_t	monotime_coarse_ms(void);

/* recvmmsg slots */
struct mmsghdr;
struct iovec;
void	mmsg_setup(struct mmsghdr *, struct iovec *, unsigned int, void *,
	    size_t, void *, size_t);

#endif
