#!/usr/bin/env bats
# ctsyncctl end to end through the monitor: requests, permissions,
# exit codes, hostile clients.

load helpers

setup_file() { cts_setup_users; }
teardown_file() { cts_teardown_users; }
setup() { cts_setup; }
teardown() { cts_teardown; }

json_ok() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d'"$1"')'; }

@test "root: -s runtime in conntrackd's layout" {
	cts_start
	run "$CTL" -C "$CONF" -s runtime
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^daemon\ uptime:\ [0-9]+\ min$ ]]
	[[ "$output" == *"netlink stats:"* ]]
	[[ "$output" == *"runtime stats:"* ]]
	echo "$output" | grep -qP '^\tchild process failed:\t\t +0$'
	echo "$output" | grep -qP '^\tevents received:\t +0$'
}

@test "-s runtime counts a control client that was denied" {
	cts_start
	run as_user "$CTS_READER" "$CTL" -C "$CONF" -k
	[ "$status" -eq 4 ]
	run "$CTL" -C "$CONF" -j -s runtime
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | json_ok "['runtime']['control_denied']")" = 1 ]
}

@test "root: -s process lists the three processes" {
	cts_start
	run "$CTL" -C "$CONF" -s process
	[ "$status" -eq 0 ]
	[[ "$output" == *"PID=$DPID type=monitor"* ]]
	[[ "$output" == *"PID=$(cts_pid sync) type=sync"* ]]
	[[ "$output" == *"PID=$(cts_pid kernel) type=kernel"* ]]
	[ "${#lines[@]}" -eq 3 ]
	run "$CTL" -C "$CONF" -j -s process
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | json_ok "['processes'][1]['type']")" = sync ]
}

@test "root: show status, text and JSON" {
	cts_start
	run "$CTL" -C "$CONF" show status
	[ "$status" -eq 0 ]
	[[ "$output" == *"mode:         FTFW, 1 sync link configured"* ]]
	[[ "$output" == *"processes:    monitor $DPID, sync $(cts_pid sync), kernel $(cts_pid kernel)"* ]]
	[[ "$output" == *"in sync:      no"* ]]
	run "$CTL" -C "$CONF" -j show status
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | json_ok "['mode']")" = FTFW ]
	[ "$(echo "$output" | json_ok "['processes']['kernel']")" = "$(cts_pid kernel)" ]
	[ "$(echo "$output" | json_ok "['in_sync']")" = False ]
}

@test "socket group member may read but not kill" {
	cts_start
	run as_user "$CTS_READER" "$CTL" -C "$CONF" -s runtime
	[ "$status" -eq 0 ]
	run as_user "$CTS_READER" "$CTL" -C "$CONF" show status
	[ "$status" -eq 0 ]
	run as_user "$CTS_READER" "$CTL" -C "$CONF" -k
	[ "$status" -eq 4 ]
	[[ "$output" == *"permission denied"* ]]
	kill -0 "$DPID"
	grep -q "control: denied kill to uid $(id -u "$CTS_READER")" "$DLOG"
}

@test "a stranger is refused with the permission-denied exit code" {
	cts_start
	run as_user "$CTS_STRANGER" "$CTL" -C "$CONF" -s runtime
	[ "$status" -eq 4 ]
	[[ "$output" == *"permission denied"* ]]
	kill -0 "$DPID"
}

@test "AdminGroup member may stop the daemon with -k" {
	cts_start
	run as_user "$CTS_ADMIN" "$CTL" -C "$CONF" -k
	[ "$status" -eq 0 ]
	rc=0; wait "$DPID" || rc=$?
	[ "$rc" -eq 0 ]
	DPID=
	[ ! -e "$SOCK" ]
	[ ! -e "$LOCK" ]
}

@test "ctsyncctl stop (word) stops the daemon" {
	cts_start
	run "$CTL" -C "$CONF" stop
	[ "$status" -eq 0 ]
	rc=0; wait "$DPID" || rc=$?
	[ "$rc" -eq 0 ]
	DPID=
}

@test "daemon not running: distinct exit code" {
	run "$CTL" -C "$CONF" -s runtime
	[ "$status" -eq 3 ]
	[[ "$output" == *"not running"* ]]
}

@test "replication operations answer on a lone node, in conntrackd's layout" {
	cts_start
	for args in "-B" "-n" "bulk" "resync peers"; do
		run "$CTL" -C "$CONF" $args
		echo "$args -> $status: $output"
		[ "$status" -eq 0 ]
	done
	run "$CTL" -C "$CONF" -s network
	[ "$status" -eq 0 ]
	[[ "$output" == *"network statistics:"* ]]
	[[ "$output" == *"Packets lost:"* ]]
	[[ "$output" == *"UDP traffic (active device=veth0):"* ]]
	run "$CTL" -C "$CONF" -s link
	[[ "$output" == *"UDP traffic device=veth0 status=RUNNING role=ACTIVE:"* ]]
	run "$CTL" -C "$CONF" -s queue
	[[ "$output" == *"queue txqueue:"* ]]
	run "$CTL" -C "$CONF" -s rsqueue
	[[ "$output" == "resent queue (len="* ]]
	run "$CTL" -C "$CONF" -s expect
	[ "$status" -eq 0 ]
	# the lone node said HELLO and keeps sending ALIVE
	sleep 1.5
	[ "$("$CTL" -C "$CONF" -j -s network | python3 -c \
	    'import json,sys; print(json.load(sys.stdin)["network"]["messages_sent"] > 0)')" = True ]
	kill -0 "$DPID"
}

@test "usage errors exit 2 without contacting the daemon" {
	run "$CTL" -C "$CONF" -f bogus
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown parameter \`bogus' for option \`-f'"* ]]
	run "$CTL" -C "$CONF" -x
	[ "$status" -eq 2 ]
	run "$CTL" -C "$CONF" show
	[ "$status" -ne 2 ]
}

@test "idle and garbage clients are dropped; the daemon keeps answering" {
	cts_start
	python3 - "$SOCK" <<'PY' &
import socket, sys, time
path = sys.argv[1]
idle = []
for _ in range(20):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    idle.append(s)
time.sleep(4)
# the daemon closed every idle connection (EOF on read)
closed = 0
for s in idle:
    s.settimeout(1)
    try:
        if s.recv(1) == b"":
            closed += 1
    except OSError:
        closed += 1
sys.exit(0 if closed == len(idle) else 1)
PY
	idle_pid=$!
	# a legitimate client is served while idle ones hang around
	run "$CTL" -C "$CONF" -s process
	[ "$status" -eq 0 ]
	# garbage: a header with an absurd length, then random bytes
	for i in $(seq 1 20); do
		python3 -c '
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"\x01\x00\x00\x00\xff\xff\xff\x7f" + os.urandom(64))
s.settimeout(3)
try:
    s.recv(100)
except OSError:
    pass
' "$SOCK"
	done
	wait "$idle_pid"
	run "$CTL" -C "$CONF" show status
	[ "$status" -eq 0 ]
	grep -q "control: garbage from uid 0, dropping" "$DLOG"
	# a wrong version or op gets a clear error
	run python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
req = struct.pack("=IIII", 99, 7, 3, 0)
s.sendall(struct.pack("=IIII", 1, 16 + len(req), 0, 0) + req)
data = s.recv(4096)
status = struct.unpack("=i", data[16:20])[0]
print(status, data[24:].split(b"\0")[0].decode())
' "$SOCK"
	[[ "$output" == "4 control protocol version mismatch"* ]]
}

@test "repeated identical warnings are summarised" {
	cts_start
	for i in $(seq 1 12); do
		python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"\x00" * 8 + b"\xff" * 8)
s.settimeout(3)
try:
    s.recv(100)
except OSError:
    pass
' "$SOCK"
	done
	"$CTL" -C "$CONF" -k
	rc=0; wait "$DPID" || rc=$?
	DPID=
	[ "$(grep -c 'control: garbage from uid 0, dropping' "$DLOG")" -eq 2 ]
	grep -q "11 more like this: control: garbage from uid 0, dropping" "$DLOG"
}

@test "a read-only user cannot crowd out admins" {
	cts_start
	as_user "$CTS_READER" /usr/bin/python3 - "$SOCK" > "$RUN/crowd.out" <<'PY' &
import socket, struct, sys, time
held, busy = [], 0
for _ in range(70):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    held.append(s)
time.sleep(0.5)
for s in held:
    s.settimeout(0.2)
    try:
        d = s.recv(4096)
        if len(d) >= 20 and struct.unpack("=i", d[16:20])[0] == 6:
            busy += 1
    except OSError:
        pass
print(busy)
time.sleep(1.5)
PY
	crowd=$!
	sleep 0.3
	# root is served while the reader holds its connections
	run "$CTL" -C "$CONF" -s process
	[ "$status" -eq 0 ]
	wait "$crowd"
	# all but CTL_MAX_PER_READER (8) were told the daemon is busy
	[ "$(cat "$RUN/crowd.out")" -ge 60 ]
}

@test "something that is not a socket at UNIX Path is neither used nor deleted" {
	mkdir -p "$RUN/run"
	echo precious > "$SOCK"
	run ip netns exec "$NS" "$CTSYNCD" -d -C "$CONF"
	[ "$status" -eq 1 ]
	[[ "$output" == *"exists and is not a socket"* ]]
	[ "$(cat "$SOCK")" = precious ]
}

@test "-j keeps stdout pure JSON" {
	cts_start
	run "$CTL" -C "$CONF" -j -k
	[ "$status" -eq 0 ]
	out=$("$CTL" -C "$CONF" -j -k 2>/dev/null || true)
	[ -z "$out" ] || echo "$out" | python3 -c 'import json,sys; json.load(sys.stdin)'
	rc=0; wait "$DPID" || rc=$?
	DPID=
}
