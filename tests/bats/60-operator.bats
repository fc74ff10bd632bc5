#!/usr/bin/env bats
# The operator surface around the daemon: systemd's notification
# protocol (READY, MAINPID, WATCHDOG, STOPPING) as a real listener sees
# it, and the keepalived hook driving a failover between two firewall
# namespaces.

load sync

HOOK="$BATS_TEST_DIRNAME/../../contrib/keepalived/ctsyncd-notify.sh"

setup_file() { cts_setup_users; }
teardown_file() { cts_teardown_users; }
setup() { sync_setup; sync_nodes 2; LISTENER_PID=""; }
teardown() {
	[ -z "$LISTENER_PID" ] || kill -KILL "$LISTENER_PID" 2>/dev/null || true
	sync_teardown
}

# notify_listen NETNS ADDR: a datagram server in NETNS on ADDR (a path or
# @abstract) writing "TIME MESSAGE" lines ('|' for newlines) to
# $NLOG; it ends by itself after 60 s
notify_listen() {
	local ns="$1" addr="$2"
	NLOG="${RUNN[1]}/notify.log"
	: > "$NLOG"
	ip netns exec "$ns" python3 -c '
import socket, sys, time
addr, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
open(out + ".ready", "w").close()
end = time.monotonic() + 60
with open(out, "a", buffering=1) as f:
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            d = s.recv(4096)
        except socket.timeout:
            break
        f.write("%.3f %s\n" % (time.monotonic(),
            d.decode(errors="replace").replace("\n", "|")))
' "$addr" "$NLOG" &
	LISTENER_PID=$!
	for _ in $(seq 1 50); do
		[ -e "$NLOG.ready" ] && return 0
		sleep 0.1
	done
	echo "notify listener did not start" >&2
	return 1
}

nmsg_count() { grep -c " $1" "$NLOG" || true; }

@test "systemd: READY with MAINPID, WATCHDOG every half period, STOPPING" {
	GENERAL_EXTRA="	Systemd on" node_conf 1 ctsyncd FTFW udp4 2
	notify_listen "${NSN[1]}" "${RUNN[1]}/notify"
	NOTIFY_SOCKET="${RUNN[1]}/notify" WATCHDOG_USEC=500000 node_start 1
	wait_for 1 nmsg_count "READY=1"
	grep -q " READY=1|MAINPID=${PIDN[1]}\$" "$NLOG"
	# READY comes first, and only once the monitor is sandboxed
	head -n 1 "$NLOG" | grep -q " READY=1|"
	grep -q "^Seccomp:[[:space:]]*2" /proc/"${PIDN[1]}"/status
	# the children did not inherit the variables
	[ -n "$(pgrep -P "${PIDN[1]}")" ]
	for p in $(pgrep -P "${PIDN[1]}"); do
		[ -z "$(tr '\0' '\n' < /proc/"$p"/environ | grep NOTIFY_)" ]
	done
	sleep 2
	[ "$(nmsg_count "WATCHDOG=1")" -ge 5 ]
	# no gap between keep-alives reaches the 500 ms deadline
	awk '/ WATCHDOG=1$/ { if (t && $1 - t > max) max = $1 - t; t = $1 }
	    END { printf "max gap %.3f\n", max; exit !(max < 0.5) }' "$NLOG"
	kill -TERM "${PIDN[1]}"
	rc=0; wait "${PIDN[1]}" || rc=$?
	PIDN[1]=""
	[ "$rc" -eq 0 ]
	wait_for 1 nmsg_count "STOPPING=1"
	# nothing after STOPPING
	tail -n 1 "$NLOG" | grep -q " STOPPING=1\$"
}

@test "systemd: detached (no -d), abstract socket: MAINPID is the daemon's final pid" {
	GENERAL_EXTRA="	Systemd on" node_conf 1 ctsyncd FTFW udp4 2
	notify_listen "${NSN[1]}" "@ctsyncd-test-$$"
	ip netns exec "${NSN[1]}" env NOTIFY_SOCKET="@ctsyncd-test-$$" \
	    "$CTSYNCD" -C "${RUNN[1]}/ctsyncd.conf"
	PIDN[1]=$(cat "${RUNN[1]}/run/ctsyncd.lock")
	wait_for 1 nmsg_count "READY=1"
	grep -q " READY=1|MAINPID=${PIDN[1]}\$" "$NLOG"
	# no WATCHDOG_USEC, no keep-alives
	sleep 1
	[ "$(nmsg_count "WATCHDOG=1")" -eq 0 ]
	node_ctl 1 -k
	wait_for 1 nmsg_count "STOPPING=1"
}

@test "systemd: Systemd off sends nothing; a WATCHDOG_PID not ours, no keep-alive" {
	GENERAL_EXTRA="	Systemd off" node_conf 1 ctsyncd FTFW udp4 2
	notify_listen "${NSN[1]}" "${RUNN[1]}/notify"
	NOTIFY_SOCKET="${RUNN[1]}/notify" WATCHDOG_USEC=200000 node_start 1
	sleep 1
	node_stop 1
	sleep 0.3
	[ ! -s "$NLOG" ]
	# Systemd on (the default) but the watchdog is for another process
	node_conf 1 ctsyncd FTFW udp4 2
	NOTIFY_SOCKET="${RUNN[1]}/notify" WATCHDOG_USEC=200000 \
	    WATCHDOG_PID=1 node_start 1
	wait_for 1 nmsg_count "READY=1"
	sleep 1
	[ "$(nmsg_count "WATCHDOG=1")" -eq 0 ]
}

# hook N ARGS...: the keepalived hook run in node N's namespace against
# node N's daemon
hook() {
	local n="$1"; shift
	ip netns exec "${NSN[$n]}" env CTSYNCCTL="$B/ctsyncctl" \
	    CTSYNCD_CONF="${RUNN[$n]}/ctsyncd.conf" CTSYNCD_NOTIFY_LOCK= \
	    CTSYNCD_NOTIFY_DEFAULTS=/nonexistent "$HOOK" "$@"
}

# highest timeout left in node N's kernel table
max_timeout() {
	ip netns exec "${NSN[$1]}" conntrack -L 2>/dev/null |
	    awk '{ if ($3 > m) m = $3 } END { print m + 0 }'
}

@test "keepalived hook: fw1 fails, master on fw2 commits its flows; backup and fault shorten timers" {
	node_conf 1 ctsyncd FTFW udp4 2
	node_conf 2 ctsyncd FTFW udp4 1 "PurgeTimeout 5"
	node_start 1
	node_start 2
	node_populate 1
	wait_for 7 node_ext_count 2
	before="$(node_kernel 1)"
	[ "$(node_kernel_count 2)" -eq 0 ]
	node_stop 1

	run hook 2 master
	echo "$output"
	[ "$status" -eq 0 ]
	# the four steps, in conntrackd's order, each ok
	[ "$(echo "$output" | grep -c ': ok')" -eq 4 ]
	echo "$output" | grep -o 'ctsyncctl -[cfRB]' | tr '\n' ' ' |
	    grep -qx 'ctsyncctl -c ctsyncctl -f ctsyncctl -R ctsyncctl -B '
	[[ "$output" == *"committed 7, failed 0"* ]]
	diff <(echo "$before") <(node_kernel 2)
	# -f then -R: the internal cache is the kernel's table, the external empty
	[ "$(node_ext_count 2)" -eq 0 ]
	wait_for 7 sh -c "'$B/ctsyncctl' -C '${RUNN[2]}/ctsyncd.conf' -i | grep -c ."
	[ "$(max_timeout 2)" -gt 5 ]

	run hook 2 backup
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c ': ok')" -eq 2 ]
	[ "$(max_timeout 2)" -le 5 ]

	# keepalived's generic notify form
	run hook 2 INSTANCE VI_1 FAULT 100
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ctsyncctl -t): ok"* ]]
	[ "$(max_timeout 2)" -le 5 ]
	run hook 2 GROUP G1 STOP 0
	[ "$status" -eq 0 ]
}

@test "keepalived hook: a failing step makes it fail, the other steps still run" {
	node_conf 1 ctsyncd FTFW udp4 2
	# node 1 is configured but not running: nothing listens
	run hook 1 master
	echo "$output"
	[ "$status" -eq 3 ]
	[ "$(echo "$output" | grep -c 'failed, exit 3')" -eq 4 ]
	[[ "$output" == *"transition to master incomplete (exit 3)"* ]]
	run hook 1 backup
	[ "$status" -eq 3 ]
	# a missing configuration file
	run env CTSYNCCTL="$B/ctsyncctl" CTSYNCD_CONF=/nonexistent \
	    CTSYNCD_NOTIFY_LOCK= "$HOOK" fault
	[ "$status" -eq 1 ]
	# usage errors
	run "$HOOK"
	[ "$status" -eq 2 ]
	run "$HOOK" sideways
	[ "$status" -eq 2 ]
	run "$HOOK" VRRP x MASTER 1
	[ "$status" -eq 2 ]
}

@test "keepalived hook: defaults file, the environment overrides it" {
	node_conf 2 ctsyncd FTFW udp4 1
	node_start 2
	cat > "${RUNN[2]}/defaults" <<EOF
CTSYNCCTL=$B/ctsyncctl
CTSYNCD_CONF=/nonexistent
CTSYNCD_NOTIFY_LOCK=${RUNN[2]}/hook.lock
EOF
	run env CTSYNCD_NOTIFY_DEFAULTS="${RUNN[2]}/defaults" "$HOOK" fault
	[ "$status" -eq 1 ]
	[ -e "${RUNN[2]}/hook.lock" ]
	run env CTSYNCD_NOTIFY_DEFAULTS="${RUNN[2]}/defaults" \
	    CTSYNCD_CONF="${RUNN[2]}/ctsyncd.conf" "$HOOK" fault
	echo "$output"
	[ "$status" -eq 0 ]
}

# a figure from node i's -j output: jq-like path as python subscripts
jfig() {
	local i="$1" path="$2"; shift 2
	node_ctl "$i" -j "$@" | python3 -c \
	    "import json,sys; print(json.load(sys.stdin)$path)"
}

@test "every -s section parses (text and JSON) and its figures move with traffic" {
	node_conf 1 ctsyncd FTFW udp4 2
	node_conf 2 ctsyncd FTFW udp4 1
	node_start 1
	node_start 2
	# text layouts, in conntrackd's headings
	node_ctl 1 -s | grep -q '^cache internal:'
	node_ctl 1 -s | grep -q '^message tracking:'
	node_ctl 1 -s network | grep -q '^sequence tracking statistics:'
	node_ctl 1 -s cache | grep -q '^cache:internal'
	node_ctl 1 -s runtime | grep -q '^netlink stats:'
	node_ctl 1 -s link | grep -q 'UDP traffic device=s0 status=RUNNING role=ACTIVE:'
	node_ctl 1 -s queue | grep -q '^queue rsqueue:'
	node_ctl 1 -s rsqueue | grep -q '^resent queue (len='
	node_ctl 1 -s process | grep -q 'type=sync'
	node_ctl 1 -s expect | grep -q '^cache external:'
	# figures before traffic
	s1="$(jfig 1 '["network"]["messages_sent"]' -s network)"
	b1="$(jfig 1 '["links"][0]["bytes_sent"]' -s link)"
	r2="$(jfig 2 '["network"]["messages_recv"]' -s)"
	e1="$(jfig 1 '["netlink"]["events_received"]' -s runtime)"
	node_populate 1
	wait_for 7 node_ext_count 2
	# and after: every section saw it
	[ "$(jfig 1 '["network"]["messages_sent"]' -s network)" -gt "$s1" ]
	[ "$(jfig 1 '["links"][0]["bytes_sent"]' -s link)" -gt "$b1" ]
	[ "$(jfig 2 '["network"]["messages_recv"]' -s)" -ge $((r2 + 7)) ]
	[ "$(jfig 1 '["netlink"]["events_received"]' -s runtime)" -ge $((e1 + 7)) ]
	[ "$(jfig 1 '["caches"]["internal"]["active"]' -s cache)" -eq 7 ]
	[ "$(jfig 2 '["caches"]["external"]["active"]' -s cache)" -eq 7 ]
	[ "$(jfig 2 '["caches"]["external"]["added"]' -s)" -ge 7 ]
	node_ctl 2 -s | awk '/^cache external:/ { f = 1 }
	    f && /current active connections:/ { print $NF; exit }' | grep -qx 7
	[ "$(jfig 1 '["queues"]["txqueue_max"]' -s queue)" -ge 1 ]
	# show status: the peer is heard, the node is in sync
	[ "$(jfig 2 '["peer"]["last_seq"]' show status)" -gt 0 ]
	wait_for True jfig 2 '["in_sync"]' show status
}
