#!/bin/sh
# ctsyncd-notify.sh: keepalived notify hook for ctsyncd(8).
#
# Runs the ctsyncctl(8) sequence a conntrackd cluster runs on a VRRP
# transition:
#   MASTER  -c (commit peers' states to the kernel), -f (flush caches),
#           -R (resync internal cache from the kernel), -B (bulk send)
#   BACKUP  -t (shorten kernel timers), -n (ask the peers to resync)
#   FAULT   -t
#
# Usage:  ctsyncd-notify.sh master|backup|fault
#         ctsyncd-notify.sh GROUP|INSTANCE NAME STATE PRIORITY  (notify)
#
# Every step is logged with its result to syslog (logger(1)) and stderr.
# A failed step does not stop the ones after it (the node should end up
# as good as it can); the exit status is that of the first failure, 0
# if all succeeded, 2 on a usage error.
#
# Settings, from the environment or the defaults file
# ($CTSYNCD_NOTIFY_DEFAULTS, default /etc/default/ctsyncd-notify; the
# environment wins):
#   CTSYNCCTL       client binary (default: ctsyncctl in $sbindir below,
#                   else from PATH)
#   CTSYNCD_CONF    configuration file passed with -C
#                   (default /etc/ctsyncd/ctsyncd.conf)
#   CTSYNCD_NOTIFY_TAG   syslog tag (default ctsyncd-notify)
#   CTSYNCD_NOTIFY_LOCK  lock file serialising concurrent runs
#                   (default /run/lock/ctsyncd-notify.lock; empty: none)

# where ctsyncctl is installed (make install sets this line)
sbindir=/usr/local/sbin
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

# keep what the caller set: it overrides the defaults file
e_ctl=${CTSYNCCTL-}
e_conf=${CTSYNCD_CONF-}
e_tag=${CTSYNCD_NOTIFY_TAG-}
e_lock=${CTSYNCD_NOTIFY_LOCK-unset}
defaults=${CTSYNCD_NOTIFY_DEFAULTS:-/etc/default/ctsyncd-notify}
if [ -r "$defaults" ]; then
	# shellcheck source=/dev/null
	. "$defaults"
fi
[ -n "$e_ctl" ] && CTSYNCCTL=$e_ctl
[ -n "$e_conf" ] && CTSYNCD_CONF=$e_conf
[ -n "$e_tag" ] && CTSYNCD_NOTIFY_TAG=$e_tag
[ "$e_lock" != unset ] && CTSYNCD_NOTIFY_LOCK=$e_lock
if [ -z "${CTSYNCCTL:-}" ]; then
	CTSYNCCTL=$sbindir/ctsyncctl
	[ -x "$CTSYNCCTL" ] || CTSYNCCTL=$(command -v ctsyncctl || echo ctsyncctl)
fi
CTSYNCD_CONF=${CTSYNCD_CONF:-/etc/ctsyncd/ctsyncd.conf}
TAG=${CTSYNCD_NOTIFY_TAG:-ctsyncd-notify}
LOCK=${CTSYNCD_NOTIFY_LOCK-/run/lock/ctsyncd-notify.lock}

status=0

# log PRIORITY MESSAGE: syslog (if it can) and stderr
log() {
	printf '%s: %s\n' "$TAG" "$2" >&2
	logger -t "$TAG" -p "daemon.$1" -- "$2" 2>/dev/null || :
}

usage() {
	echo "usage: ${0##*/} master|backup|fault" >&2
	echo "       ${0##*/} GROUP|INSTANCE NAME STATE PRIORITY" >&2
	exit 2
}

# step DESCRIPTION CTSYNCCTL-ARGS...: run one step, log its result,
# remember the first failure
step() {
	what=$1
	shift
	out=$("$CTSYNCCTL" -C "$CTSYNCD_CONF" "$@" 2>&1)
	rc=$?
	out=$(printf '%s' "$out" | tr '\n' ' ' | sed 's/ *$//')
	if [ "$rc" -eq 0 ]; then
		log info "$what (ctsyncctl $*): ok${out:+: $out}"
		return 0
	fi
	log err "$what (ctsyncctl $*): failed, exit $rc${out:+: $out}"
	[ "$status" -eq 0 ] && status=$rc
	return "$rc"
}

# keepalived may run scripts for two transitions at once: one at a time
lock() {
	[ -n "$LOCK" ] && command -v flock >/dev/null 2>&1 || return 0
	# a failed redirection on exec would end the shell: try it first
	if ! { : >>"$LOCK"; } 2>/dev/null; then
		log warning "cannot open lock file $LOCK, running unserialised"
		return 0
	fi
	exec 9>>"$LOCK"
	flock -w 120 9 ||
	    log warning "waited 120 s for $LOCK, running anyway"
}

to_master() {
	# only -c is on the critical path: the kernel needs the states
	# before the connections' next packets arrive
	step "commit external cache to the kernel" -c
	step "flush internal and external caches" -f
	step "resync internal cache with the kernel" -R
	step "bulk send to the peers" -B
}

to_backup() {
	step "shorten kernel timers to PurgeTimeout" -t
	step "request resync from the peers" -n
}

to_fault() {
	step "shorten kernel timers to PurgeTimeout" -t
}

case $# in
1)	state=$1 ;;
4)	case $1 in
	GROUP|INSTANCE|group|instance) state=$3 ;;
	*) usage ;;
	esac ;;
*)	usage ;;
esac
state=$(printf '%s' "$state" | tr '[:upper:]' '[:lower:]')
case $state in
master|primary|backup|fault) ;;
stop|deleted)
	log info "state $state: nothing to do"
	exit 0 ;;
*)	usage ;;
esac

lock
log notice "transition to $state (config $CTSYNCD_CONF)"
case $state in
master|primary) to_master ;;
backup) to_backup ;;
fault) to_fault ;;
esac
if [ "$status" -eq 0 ]; then
	log notice "transition to $state done"
else
	log err "transition to $state incomplete (exit $status)"
fi
exit "$status"
