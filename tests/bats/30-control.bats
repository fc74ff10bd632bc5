#!/usr/bin/env bats
# ctsyncctl end to end through the monitor: requests, permissions,
# exit codes, hostile clients.

load helpers

setup_file() { cts_setup_users; }
teardown_file() { cts_teardown_users; }
setup() { cts_setup; BG_PIDS=; }
# background clients a test started, killed by pid also when it failed
teardown() {
	local p
	for p in ${BG_PIDS:-}; do
		kill -KILL "$p" 2>/dev/null || true
	done
	cts_teardown
}

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

# A flooding client: rounds of N connections opened as fast as the
# daemon lets them in and held together, by turns idle, with a length
# field far above the limit, exactly one byte over MAX_IMSGSIZE_CTL
# (16384, header included) and random bytes; then all closed, and again
# until HOLD seconds are over.  Prints "rounds connected failed", where
# failed counts connect()s that failed.
write_flooder() {
	cat > "$RUN/flood.py" <<'PY'
import os, resource, signal, socket, struct, sys, time
path, n, hold = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
MAX = 16384
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 64)), hard))
signal.alarm(int(hold) + 10)        # a blocked connect cannot outlive the test
over = struct.pack("=IIII", 1, MAX + 1, 0, 0) + bytes(MAX + 1 - 16)
rounds = connected = failed = 0
end = time.monotonic() + hold
while time.monotonic() < end:
    held = []
    for i in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        held.append(s)
        try:
            s.connect(path)
            connected += 1
        except OSError:
            failed += 1
            continue
        try:            # the daemon may have dropped it already
            if i % 4 == 1:
                s.sendall(struct.pack("=IIII", 1, 0x7fffffff, 0, 0) +
                          os.urandom(64))
            elif i % 4 == 2:
                s.sendall(over)
            elif i % 4 == 3:
                s.sendall(os.urandom(200))
        except OSError:
            pass
    rounds += 1
    time.sleep(0.2)
    for s in held:
        s.close()
print(rounds, connected, failed)
PY
	chmod 644 "$RUN/flood.py"
}

@test "thousands of connections at once: a legitimate client is served throughout" {
	cts_start
	local mon="$DPID" sync kern fd0 fd1 i t0 s ms calls=0 worst=0 f
	local rounds con fail
	sync=$(cts_pid sync)
	kern=$(cts_pid kernel)
	fd0=$(ls /proc/"$mon"/fd | wc -l)
	write_flooder
	# 3000 connections at a time: 2000 from root, 1000 from a reader
	for f in r1 r2; do
		/usr/bin/python3 "$RUN/flood.py" "$SOCK" 1000 6 > "$RUN/flood.$f" &
		BG_PIDS="$BG_PIDS $!"
	done
	for f in u1 u2; do
		as_user "$CTS_READER" /usr/bin/python3 "$RUN/flood.py" "$SOCK" \
		    500 6 > "$RUN/flood.$f" &
		BG_PIDS="$BG_PIDS $!"
	done
	sleep 0.2
	# a root client, every call bounded, for as long as the flood lasts
	t0=$SECONDS
	while [ $((SECONDS - t0)) -lt 12 ] && [ "$calls" -lt 200 ]; do
		kill -0 $BG_PIDS 2>/dev/null || break
		s=$(date +%s%N)
		run timeout 5 "$CTL" -C "$CONF" -s process
		[ "$status" -eq 0 ] || echo "-s process -> $status: $output"
		[ "$status" -eq 0 ]
		[[ "$output" == *"PID=$mon type=monitor"* ]]
		[[ "$output" == *"PID=$sync type=sync"* ]]
		[[ "$output" == *"PID=$kern type=kernel"* ]]
		run timeout 5 "$CTL" -C "$CONF" show status
		[ "$status" -eq 0 ] || echo "show status -> $status: $output"
		[ "$status" -eq 0 ]
		ms=$((($(date +%s%N) - s) / 1000000))
		[ "$ms" -gt "$worst" ] && worst=$ms
		calls=$((calls + 1))
	done
	echo "# root client: $calls rounds during the flood, slowest ${worst} ms" >&3
	[ "$calls" -ge 3 ]
	# no waiting behind silent clients (the idle timeout is 2 s)
	[ "$worst" -lt 3000 ]
	for f in $BG_PIDS; do
		wait "$f"
	done
	BG_PIDS=
	# every flooder made all its connections, round after round
	for f in r1 r2 u1 u2; do
		read -r rounds con fail < "$RUN/flood.$f"
		echo "# flooder $f: $rounds rounds, $con connected, $fail failed" >&3
		[ "$rounds" -ge 2 ]
		[ "$fail" -eq 0 ]
		[ "$con" -ge 1000 ]
	done
	# the same three processes, still answering
	[ "$(cts_pid sync)" = "$sync" ]
	[ "$(cts_pid kernel)" = "$kern" ]
	kill -0 "$mon"
	run "$CTL" -C "$CONF" -s process
	[ "$status" -eq 0 ]
	# every connection was closed again: the monitor's fds are back
	for i in $(seq 1 50); do
		fd1=$(ls /proc/"$mon"/fd | wc -l)
		[ "$fd1" -le "$fd0" ] && break
		sleep 0.1
	done
	echo "# monitor fds: $fd0 before, $fd1 after" >&3
	[ "$fd1" -le "$fd0" ]
	# the log names the garbage and is rate-limited, not flooded
	"$CTL" -C "$CONF" -k
	rc=0; wait "$DPID" || rc=$?
	DPID=
	[ "$rc" -eq 0 ]
	grep -q "control: garbage from uid 0, dropping" "$DLOG"
	grep -Eq "control: [0-9]+ more complaints about control clients not logged \(rate limit 50 per 10 s\)" "$DLOG"
	echo "# daemon log: $(wc -l < "$DLOG") lines" >&3
	[ "$(wc -l < "$DLOG")" -le 40 ]
}

# kernel timeouts of this test's flows (none was created below 600 s)
ct_min_timeout() {
	ip netns exec "$NS" conntrack -L 2>/dev/null |
	    awk '{ t = $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ ? $3 : $2;
	        if (min == "" || t + 0 < min) min = t + 0 } END { print min }'
}

@test "a read-only user cannot change anything" {
	local args i uid sync kern kern0 int0 ext0 tmo0
	ct_add -p tcp -s 198.51.100.1 -d 203.0.113.1 --sport 1001 --dport 80 \
	    --state ESTABLISHED -t 600 -u ASSURED -m 7
	ct_add -p udp -s 198.51.100.2 -d 203.0.113.2 --sport 53001 \
	    --dport 53 -t 600
	ct_add -p tcp -s 2001:db8::1 -d 2001:db8::2 --sport 3000 --dport 22 \
	    --state ESTABLISHED -t 600
	ct_add -p tcp -s 198.51.100.5 -d 203.0.113.5 --sport 1005 --dport 80 \
	    --state ESTABLISHED -t 600 -u ASSURED --dst-nat 203.0.113.50:8080
	# the test build mirrors the internal cache into the external one
	CTSYNCD_TEST_MIRROR=1 cts_start "$CTSYNCD_TEST"
	wait_for 4 sh -c "'$CTL' -C '$CONF' -i | wc -l"
	wait_for 4 sh -c "'$CTL' -C '$CONF' -e | wc -l"
	sync=$(cts_pid sync)
	kern=$(cts_pid kernel)
	uid=$(id -u "$CTS_READER")
	kern0="$(ct_kernel_list)"
	int0="$(ct_cache_list -i)"
	ext0="$(ct_cache_list -e)"
	[ "$(echo "$kern0" | wc -l)" -eq 4 ]
	[ "$(echo "$ext0" | wc -l)" -eq 4 ]
	tmo0=$(ct_min_timeout)
	[ "$tmo0" -gt 500 ]
	# every changing operation, flags and words: refused, exit code 4
	for args in "-c" "-c expect" "-f" "-f internal" "-f external" "-F" \
	    "-F expect" "-R" "-n" "-B" "-t" "-k" "commit" "flush kernel" \
	    "resync kernel" "shorten-timers" "stop"; do
		run as_user "$CTS_READER" "$CTL" -C "$CONF" $args
		echo "$args -> $status: $output"
		[ "$status" -eq 4 ]
		[[ "$output" == *"permission denied: this operation needs root or membership of the AdminGroup"* ]]
	done
	# the refusals were counted, and logged per operation
	run "$CTL" -C "$CONF" -j -s runtime
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | json_ok "['runtime']['control_denied']")" = 17 ]
	for op in "commit" "flush cache" "flush kernel table" \
	    "resync with kernel" "request resync from peers" "bulk send" \
	    "shorten kernel timers" "kill"; do
		grep -q "control: denied $op to uid $uid pid" "$DLOG"
	done
	! grep -q "requested by uid $uid" "$DLOG"
	# raw requests the client would never send, as the same user
	run as_user "$CTS_READER" /usr/bin/python3 - "$SOCK" <<'PY'
import socket, struct, sys
def ask(op, arg=0, flags=0, version=1):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sys.argv[1])
    req = struct.pack("=IIII", version, op, arg, flags)
    s.sendall(struct.pack("=IIII", 1, 16 + len(req), 0, 0) + req)
    data = b""
    while len(data) < 24:
        d = s.recv(4096)
        if not d:
            break
        data += d
    s.close()
    if len(data) < 24:
        return "closed"
    return "%d %s" % (struct.unpack("=i", data[16:20])[0],
                      data[24:].split(b"\0")[0].decode())
for op, arg, flags in ((13, 0, 0), (99, 0, 0), (0xffffffff, 0, 0),
                       (0, 0, 0), (3, 99, 0), (1, 0, 0x80), (11, 0, 0),
                       (3, 1, 0)):
    print(op, arg, flags, "->", ask(op, arg, flags))
PY
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 8 ]
	# ops beyond the table, op 0, a bad argument or flag: malformed (5)
	for i in 0 1 2 3 4 5; do
		[[ "${lines[$i]}" == *"-> 5 malformed request" ]]
	done
	grep -q "control: malformed request (op 13 arg 0 flags 0) from uid $uid" "$DLOG"
	grep -q "control: malformed request (op 4294967295 arg 0 flags 0) from uid $uid" "$DLOG"
	# well-formed shorten-timers and flush kernel: permission denied (2)
	[[ "${lines[6]}" == *"-> 2 permission denied: this operation needs root"* ]]
	[[ "${lines[7]}" == *"-> 2 permission denied: this operation needs root"* ]]
	# nothing changed: kernel table, its timers, both caches, processes
	sleep 0.5
	[ "$(ct_kernel_list)" = "$kern0" ]
	[ "$(ct_min_timeout)" -gt 500 ]
	[ "$(ct_cache_list -i)" = "$int0" ]
	[ "$(ct_cache_list -e)" = "$ext0" ]
	kill -0 "$DPID"
	[ "$(cts_pid sync)" = "$sync" ]
	[ "$(cts_pid kernel)" = "$kern" ]
	run "$CTL" -C "$CONF" -s process
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
}
