#!/usr/bin/env bats
# Supervision: child death, seccomp violations, signals, lock handling.

load helpers

setup_file() { cts_setup_users; }
teardown_file() { cts_teardown_users; }
setup() { cts_setup; }
teardown() { cts_teardown; }

kill_child_test() {
	local role="$1" victim
	cts_start
	victim=$(cts_pid "$role")
	kill -9 "$victim"
	rc=0; wait "$DPID" || rc=$?
	[ "$rc" -ne 0 ]
	DPID=
	[ ! -e "$SOCK" ]
	[ ! -e "$LOCK" ]
	grep -q "$role process (pid $victim) killed by signal 9" "$DLOG"
	grep -q "lost $role process, shutting down" "$DLOG"
	# nothing of this daemon is left
	[ -z "$(cts_pid sync)" ]
	[ -z "$(cts_pid kernel)" ]
}

@test "kill -9 of sync: daemon exits non-zero, logs it, removes socket and lock" {
	kill_child_test sync
}

@test "kill -9 of kernel: daemon exits non-zero, logs it, removes socket and lock" {
	kill_child_test kernel
}

@test "a child killed by seccomp is logged with the syscall" {
	[ "${CTSYNCD_SANITIZE:-0}" = 1 ] &&
	    skip "sanitizer builds log seccomp violations instead of killing"
	for role in sync kernel; do
		CTSYNCD_TEST_SECCOMP=$role ip netns exec "$NS" "$CTSYNCD_TEST" \
		    -d -C "$CONF" 2> "$DLOG" &
		DPID=$!
		rc=0; wait "$DPID" || rc=$?
		[ "$rc" -ne 0 ]
		grep -q "$role process (pid [0-9]*) killed by signal 31 (SIGSYS): seccomp violation, syscall socketpair" "$DLOG"
		[ ! -e "$SOCK" ]
		[ ! -e "$LOCK" ]
	done
	DPID=
}

@test "sync may open TCP connections only: a datagram socket is a violation" {
	[ "${CTSYNCD_SANITIZE:-0}" = 1 ] &&
	    skip "sanitizer builds log seccomp violations instead of killing"
	CTSYNCD_TEST_SECCOMP=sync-udp ip netns exec "$NS" "$CTSYNCD_TEST" \
	    -d -C "$CONF" 2> "$DLOG" &
	DPID=$!
	rc=0; wait "$DPID" || rc=$?
	DPID=
	[ "$rc" -ne 0 ]
	grep -q "sync process (pid [0-9]*) killed by signal 31 (SIGSYS): seccomp violation, syscall socket " "$DLOG"
}

@test "the production binary has no seccomp test trigger" {
	CTSYNCD_TEST_SECCOMP=sync cts_start
	sleep 0.5
	kill -0 "$(cts_pid sync)"
	run "$CTL" -C "$CONF" -s process
	[ "$status" -eq 0 ]
}

@test "SIGTERM: clean shutdown, exit 0, socket and lock removed" {
	cts_start
	kill -TERM "$DPID"
	rc=0; wait "$DPID" || rc=$?
	[ "$rc" -eq 0 ]
	DPID=
	[ ! -e "$SOCK" ]
	[ ! -e "$LOCK" ]
	grep -q "received SIGTERM, shutting down" "$DLOG"
	# an orderly stop: no child complains
	! grep -Eq "fatal|exited with status|did not stop" "$DLOG"
}

@test "SIGINT: clean shutdown too" {
	cts_start
	kill -INT "$DPID"
	rc=0; wait "$DPID" || rc=$?
	[ "$rc" -eq 0 ]
	DPID=
	[ ! -e "$SOCK" ]
}

@test "second instance on the same lock is refused, first keeps running" {
	cts_start
	run ip netns exec "$NS" "$CTSYNCD" -d -C "$CONF"
	[ "$status" -eq 1 ]
	[[ "$output" == *"another ctsyncd is running (pid $DPID"* ]]
	kill -0 "$DPID"
	run "$CTL" -C "$CONF" -s process
	[ "$status" -eq 0 ]
}

@test "stale lock and socket of a killed daemon do not block a restart" {
	cts_start
	old=$DPID
	kill -9 "$old"
	wait "$old" || true
	# children notice the monitor is gone and exit on their own
	for _ in $(seq 1 50); do
		[ -z "$(cts_pid sync)$(cts_pid kernel)" ] && break
		sleep 0.1
	done
	[ -z "$(cts_pid sync)$(cts_pid kernel)" ]
	[ -e "$LOCK" ]
	[ -S "$SOCK" ]
	cts_start
	[ "$DPID" != "$old" ]
	run "$CTL" -C "$CONF" show status
	[ "$status" -eq 0 ]
}

@test "LogFile: conntrackd's line format, children's lines arrive through the monitor" {
	sed -i "s|^General {|General {\n\tLogFile $RUN/ctsyncd.log|" "$CONF"
	run ip netns exec "$NS" "$CTSYNCD" -v -C "$CONF"
	[ "$status" -eq 0 ]
	cts_wait_ready
	mon=$(cts_pid monitor)
	victim=$(cts_pid kernel)
	kill -9 "$victim"
	cts_wait_exit "$mon"
	cat "$RUN/ctsyncd.log"
	grep -Eq "^\[[A-Z][a-z]{2} .*\] \(pid=$mon\) \[info\] ctsyncd .* started" "$RUN/ctsyncd.log"
	grep -q "(pid=$mon) \[warning\] kernel process (pid $victim) killed by signal 9" "$RUN/ctsyncd.log"
	# the sync process was told to stop and said so through the monitor
	grep -q "(pid=$mon) \[debug\] sync: exiting" "$RUN/ctsyncd.log"
	! grep -q "fatal in sync" "$RUN/ctsyncd.log"
	[ ! -e "$SOCK" ]
	[ ! -e "$LOCK" ]
}

@test "SIGTERM during start-up: bounded, clean, no process left" {
	ip netns exec "$NS" "$CTSYNCD" -d -C "$CONF" 2> "$DLOG" &
	DPID=$!
	sleep 0.05
	kill -TERM "$DPID"
	cts_wait_exit "$DPID"
	DPID=
	sleep 0.3
	[ -z "$(pgrep -f "ctsyncd: sync|ctsyncd: kernel" | while read -r p; do
	    [ "$(readlink /proc/$p/root)" = "$RUN/empty" ] && echo "$p"; done)" ]
	# nothing still runs as the daemon user from this test
	[ -z "$(pgrep -u "$CTS_USER")" ]
	[ ! -e "$SOCK" ]
}

@test "nf_conntrack_events 2 or 0 is warned about at start-up, 1 is not" {
	local v
	for v in 2 0 1; do
		ip netns exec "$NS" sysctl -qw net.netfilter.nf_conntrack_events=$v
		: > "$DLOG"
		cts_start
		"$CTL" -C "$CONF" -k >/dev/null
		cts_wait_exit "$DPID"
		case $v in
		2) grep -q 'nf_conntrack_events is 2: connections older' "$DLOG" ;;
		0) grep -q 'nf_conntrack_events is 0' "$DLOG" ;;
		1) [ "$(grep -c nf_conntrack_events "$DLOG" || true)" -eq 0 ] ;;
		esac
	done
}
