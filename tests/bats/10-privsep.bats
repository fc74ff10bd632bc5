#!/usr/bin/env bats
# Process model and privilege drop, proven from outside via /proc.

load helpers

setup_file() { cts_setup_users; }
teardown_file() { cts_teardown_users; }
setup() { cts_setup; }
teardown() { cts_teardown; }

@test "three processes with titles monitor, sync, kernel" {
	cts_start
	[ "$(cts_pid monitor)" = "$DPID" ]
	[ -n "$(cts_pid sync)" ]
	[ -n "$(cts_pid kernel)" ]
	[ "$(cat /proc/$(cts_pid sync)/cmdline | tr '\0' ' ')" != "" ]
	grep -q "^ctsyncd: sync" /proc/"$(cts_pid sync)"/cmdline
	grep -q "^ctsyncd: kernel" /proc/"$(cts_pid kernel)"/cmdline
	grep -q "^ctsyncd: monitor" /proc/"$DPID"/cmdline
	# children belong to the monitor
	[ "$(status_field "$(cts_pid sync)" PPid)" = "$DPID" ]
	[ "$(status_field "$(cts_pid kernel)" PPid)" = "$DPID" ]
}

@test "monitor and sync: unprivileged user, no capabilities, NNP, seccomp, chroot" {
	cts_start
	uid=$(id -u "$CTS_USER"); gid=$(id -g "$CTS_USER")
	for role in monitor sync; do
		p=$(cts_pid "$role")
		[ -n "$p" ]
		[ "$(status_field "$p" Uid)" = "$uid $uid $uid $uid" ]
		[ "$(status_field "$p" Gid)" = "$gid $gid $gid $gid" ]
		[ "$(status_field "$p" Groups)" = "" ]
		[ "$(status_field "$p" CapEff)" = "0000000000000000" ]
		[ "$(status_field "$p" CapPrm)" = "0000000000000000" ]
		[ "$(status_field "$p" NoNewPrivs)" = "1" ]
		[ "$(status_field "$p" Seccomp)" = "2" ]
		[ "$(readlink /proc/$p/root)" = "$RUN/empty" ]
	done
	# the chroot is empty
	[ -z "$(ls -A "$RUN/empty")" ]
}

@test "kernel: unprivileged user, exactly CAP_NET_ADMIN, NNP, seccomp, chroot" {
	cts_start
	uid=$(id -u "$CTS_USER")
	p=$(cts_pid kernel)
	[ "$(status_field "$p" Uid)" = "$uid $uid $uid $uid" ]
	# CAP_NET_ADMIN is bit 12
	[ "$(status_field "$p" CapEff)" = "0000000000001000" ]
	[ "$(status_field "$p" CapPrm)" = "0000000000001000" ]
	[ "$(status_field "$p" CapBnd)" = "0000000000000000" ]
	[ "$(status_field "$p" NoNewPrivs)" = "1" ]
	[ "$(status_field "$p" Seccomp)" = "2" ]
	[ "$(readlink /proc/$p/root)" = "$RUN/empty" ]
}

@test "control socket: mode 0660, root:group" {
	cts_start
	[ "$(stat -c '%a %U %G %F' "$SOCK")" = "660 root $CTS_GROUP socket" ]
}

@test "missing user: refuses to start and says how to create it" {
	sed -i "s/User $CTS_USER/User nosuchuser$$/" "$CONF"
	run ip netns exec "$NS" "$CTSYNCD" -d -C "$CONF"
	[ "$status" -eq 1 ]
	[[ "$output" == *"user \`nosuchuser$$' does not exist"* ]]
	[[ "$output" == *"useradd --system"* ]]
	[ ! -e "$SOCK" ]
}

@test "non-empty chroot directory is refused" {
	touch "$RUN/empty/stray"
	run ip netns exec "$NS" "$CTSYNCD" -d -C "$CONF"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not empty"* ]]
}

@test "without -d the daemon detaches and keeps running" {
	run ip netns exec "$NS" "$CTSYNCD" -C "$CONF"
	[ "$status" -eq 0 ]
	cts_wait_ready
	DPID=$(cts_pid monitor)
	[ -n "$DPID" ]
	# the lock file names the monitor
	[ "$(cat "$LOCK")" = "$DPID" ]
	# detached: no controlling terminal, own session
	[ "$(awk '{print $7}' /proc/$DPID/stat)" = "0" ]
	run "$CTL" -C "$CONF" -k
	[ "$status" -eq 0 ]
	cts_wait_exit "$DPID"
	[ ! -e "$SOCK" ]
	[ ! -e "$LOCK" ]
	DPID=
}
