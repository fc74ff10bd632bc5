#!/bin/bash
# Commit benchmark: how fast does an external cache of N entries get
# into an empty kernel table?  For every N, three measurements:
#
#  raw         tests/rawinsert -n N in a fresh namespace, median of 3:
#              batched creates with ACKs, no event listener, no cache;
#              the physical limit of the commit path.
#  ctsyncd     ctsyncd-testhooks with CTSYNCD_TEST_MIRROR=1 (the start-up
#              dump is copied into the external cache), kernel table
#              flushed with ctsyncctl -F, then ctsyncctl -c timed; three
#              such rounds in the same daemon, median.  The ratio to raw
#              uses the time the daemon reports (took: request to last
#              ACK), as rawinsert times only its insert loop; the wall
#              time around the client, which adds starting timeout and
#              ctsyncctl (40-90 ms on the 2-vCPU VM), is kept beside it.
#  conntrackd  (if installed) two namespaces joined by a veth pair, FTFW
#              over UDP, fw1 bulk-sends (-B) to fw2, then conntrackd -c
#              on fw2 timed.  conntrackd may lose entries on the way at
#              large N: they are recorded, not treated as a failure.
#
# Usage (root, from anywhere):
#	tests/bench/commit.sh BUILD_DIR [N...]	# default N: 100000 1000000
#
# nf_conntrack_max is raised and the (global) conntrack hash table is
# resized to BENCH_HASHSIZE (default 1048576) for all measurements
# alike; both come back at exit.  Results are appended to
# tests/bench/results/latest.txt (BENCH_OUT), the daemons' logs and
# statistics of the last run of each N go to
# tests/bench/results/commit-N.log.

set -u

usage() {
	echo "usage: $0 BUILD_DIR [N...]" >&2
	exit 2
}

[ $# -ge 1 ] || usage
BUILD="$(cd "$1" 2>/dev/null && pwd)" || { echo "no such dir: $1" >&2; exit 2; }
shift
NLIST=("$@")
[ ${#NLIST[@]} -gt 0 ] || NLIST=(100000 1000000)
for n in "${NLIST[@]}"; do
	[[ "$n" =~ ^[1-9][0-9]*$ ]] && [ "$n" -le 16000000 ] || usage
done

cd "$(dirname "$0")/../.." || exit 2
BENCH_PREFIX="${BENCH_PREFIX:-ctbc}"
. tests/bench/lib.sh

RAW="$BUILD/tests/rawinsert"
CTSYNCD="$BUILD/ctsyncd-testhooks"
CTL="$BUILD/ctsyncctl"
HASHSIZE="${BENCH_HASHSIZE:-1048576}"
RESULTS_DIR="$(dirname "${BENCH_OUT:-tests/bench/results/latest.txt}")"
RAW_RUNS=3
# also time rawinsert with an event listener (BENCH_RAW_EV=0: skip)
RAW_EV="${BENCH_RAW_EV:-1}"
# conntrackd -B sends at most this often while entries are missing at fw2
CTD_BULKS="${BENCH_CTD_BULKS:-1}"
CTSD_USER=_ctsyncd

die() {
	echo "commit.sh: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root"
for f in "$RAW" "$CTSYNCD" "$CTL"; do
	[ -x "$f" ] || die "$f missing (make tests first?)"
done
for c in ip conntrack python3 awk; do
	command -v "$c" >/dev/null || die "$c not found"
done
HAVE_CONNTRACKD=0
command -v conntrackd >/dev/null && HAVE_CONNTRACKD=1
if ! id "$CTSD_USER" >/dev/null 2>&1; then
	useradd --system --no-create-home --shell /usr/sbin/nologin \
	    "$CTSD_USER" || die "cannot create user $CTSD_USER"
fi
mkdir -p "$RESULTS_DIR" || die "cannot create $RESULTS_DIR"

FAILED=0
# note a failed check; the run goes on
fail() {
	echo "commit.sh: FAIL: $*" >&2
	FAILED=1
}

warn() {
	echo "commit.sh: $*" >&2
}

# awk arithmetic, 2 decimals
calc() {
	awk "BEGIN { printf \"%.2f\", $* }"
}

# median of the arguments, "fail" if none
median() {
	[ $# -gt 0 ] || { echo fail; return; }
	printf '%s\n' "$@" | sort -g |
	    awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

# a positive number?
isnum() {
	[[ "$1" =~ ^[0-9.]+$ ]] && awk "BEGIN { exit !($1 > 0) }"
}

# the value of a key in a JSON document on stdin ("a.b.c")
json_get() {
	python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k]
print(v)' "$1" 2>/dev/null
}

ns_count() {
	ip netns exec "$1" conntrack -C 2>/dev/null
}

# ---------------------------------------------------------------- raw

# The namespace has a ctnetlink socket subscribed to multicast groups.
has_listener() {
	ip netns exec "$1" cat /proc/net/netlink |
	    awk '$2 == 12 && $4 != "00000000" { f = 1 } END { exit !f }'
}

# ctnetlink sockets in the NEW group in any network namespace of the
# host but namespace $1 (ours: the daemon leaves the group for a
# commit, and nothing else listens there).  The kernel
# keeps one listener mask per netlink family for all namespaces, so one
# such socket anywhere (another test's daemon, conntrack -E) makes every
# namespace with an event listener build a NEW event per created entry,
# which costs the commit (and raw) about as much as "raw + listener".
host_new_listeners() {
	local p ino n=0 k skip=""
	declare -A seen=()

	[ -z "${1:-}" ] ||
	    skip="$(ip netns exec "$1" readlink /proc/self/ns/net 2>/dev/null)"

	for p in /proc/[0-9]*; do
		ino="$(readlink "$p/ns/net" 2>/dev/null)" || continue
		[ -z "${seen[$ino]:-}" ] && [ "$ino" != "$skip" ] || continue
		seen[$ino]=1
		k="$(nsenter -t "${p#/proc/}" -n cat /proc/net/netlink 2>/dev/null |
		    awk '$2 == 12 &&
		    index("13579bdfBDF", substr($4, length($4), 1)) { c++ }
		    END { print c + 0 }')"
		n=$((n + ${k:-0}))
	done
	echo "$n"
}

# One rawinsert run in a fresh namespace; sets RAW_SECS.  With "ev",
# "conntrack -E -e NEW" listens meanwhile: the kernel then builds an
# event for every entry, as it does for a daemon's event socket.
raw_once() {
	local n="$1" ev="${2:-}" ns out secs errs lpid="" i

	RAW_SECS=""
	bench_ns_add raw || return 1
	ns="${BENCH_NS[raw]}"
	bench_ct_settle 60 || true
	if [ -n "$ev" ]; then
		ip netns exec "$ns" conntrack -E -e NEW >/dev/null 2>&1 &
		lpid=$!
		bench_pid_add "$lpid"
		for ((i = 0; i < 50; i++)); do
			has_listener "$ns" && break
			sleep 0.1
		done
		has_listener "$ns" || fail "conntrack -E did not subscribe"
	fi
	out="$(ip netns exec "$ns" "$RAW" -n "$n" 2>&1)"
	[ -z "$lpid" ] || bench_pid_stop "$lpid"
	secs="$(sed -n 's/.* secs=\([0-9.]*\) .*/\1/p' <<< "$out" | tail -1)"
	errs="$(sed -n 's/.* errors=\([0-9]*\).*/\1/p' <<< "$out" | tail -1)"
	if [ -z "$secs" ]; then
		fail "rawinsert -n $n: $out"
		bench_ns_del raw
		return 1
	fi
	[ "${errs:-1}" -eq 0 ] || fail "rawinsert -n $n: $errs errors: $out"
	[ "$(ns_count "$ns")" = "$n" ] ||
	    fail "rawinsert -n $n: table has $(ns_count "$ns") entries"
	bench_ns_del raw
	RAW_SECS="$secs"
}

# ------------------------------------------------------------ ctsyncd

CTS_DIR="" CTS_CONF=""

# clients are bounded too: a daemon that never answers stops the run
CLIENT_TIMEOUT=600

cts_ctl() {
	timeout "$CLIENT_TIMEOUT" "$CTL" -C "$CTS_CONF" "$@"
}

cts_status() {
	cts_ctl -j show status | json_get "$1"
}

# Bounded wait until "cts_status KEY" equals VALUE; WAIT_SECS is the
# time it took.  Not to be run in a $(...): a TERM to the script would
# wait for the whole loop.
cts_wait_status() {
	local key="$1" want="$2" max="$3" t0 got="" i

	t0="$(bench_now)"
	WAIT_SECS=""
	for ((i = 0; i < max * 5; i++)); do
		got="$(cts_status "$key")"
		if [ "$got" = "$want" ]; then
			WAIT_SECS="$(bench_elapsed "$t0")"
			return 0
		fi
		sleep 0.2
	done
	warn "$key is '$got' after $max s, wanted $want"
	return 1
}

# pid of role ROLE (sync|kernel) of the monitor MPID: from show status,
# checked to be the monitor's child; else by process title
cts_role_pid() {
	local role="$1" mpid="$2" p

	p="$(cts_status "processes.$role")"
	if [ -n "$p" ] && [ "$(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ')" \
	    = "$mpid" ]; then
		echo "$p"
		return 0
	fi
	for p in $(pgrep -f "^ctsyncd(-testhooks)?: $role" 2>/dev/null); do
		if [ "$(ps -o ppid= -p "$p" | tr -d ' ')" = "$mpid" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# Sets CTS_SECS CTS_TOOK CTS_COMMITTED CTS_FAILED CTS_SYNC_RSS
# CTS_KERNEL_RSS CTS_MON_RSS CTS_BPE CTS_DUMP_SECS CTS_SYNC_CPU
# CTS_KERNEL_CPU (CPU seconds used during the commit) CTS_NOTES
run_ctsyncd() {
	local n="$1" log="$2" ns mpid spid kpid out t0 v i got wait_max
	local overrun internal scpu kcpu

	CTS_SECS=fail CTS_TOOK=- CTS_COMMITTED=- CTS_FAILED=- CTS_SYNC_RSS=-
	CTS_KERNEL_RSS=- CTS_MON_RSS=- CTS_BPE=- CTS_DUMP_SECS=- CTS_NOTES=""
	CTS_SYNC_CPU=- CTS_KERNEL_CPU=- CTS_TOOKS=() CTS_LISTENERS=-
	wait_max=$((60 + n / 5000))

	bench_tmpdir || return 1
	CTS_DIR="$BENCH_TMPDIR"
	mkdir -m 755 "$CTS_DIR/empty"
	CTS_CONF="$CTS_DIR/ctsyncd.conf"
	cat > "$CTS_CONF" <<EOF
General {
	User $CTSD_USER
	Chroot $CTS_DIR/empty
	LockFile $CTS_DIR/run/ctsyncd.lock
	UNIX { Path $CTS_DIR/run/ctsyncd.ctl }
}
Sync {
	Mode FTFW { }
	UDP {
		IPv4_address 169.254.77.1
		IPv4_Destination_Address 169.254.77.2
		Port 3780
		Interface veth0
	}
}
EOF
	chmod 644 "$CTS_CONF"

	bench_ns_add cts || return 1
	ns="${BENCH_NS[cts]}"
	# the sync link must exist; nobody listens at its other end
	ip -n "$ns" link add veth0 type veth peer name veth1 &&
	    ip -n "$ns" addr add 169.254.77.1/24 dev veth0 &&
	    ip -n "$ns" link set veth0 up && ip -n "$ns" link set veth1 up ||
	    { fail "ctsyncd: sync link"; return 1; }
	out="$(ip netns exec "$ns" "$RAW" -n "$n" -t 3600 2>&1)" ||
	    { fail "ctsyncd: populate: $out"; return 1; }
	[ "$(ns_count "$ns")" = "$n" ] ||
	    { fail "ctsyncd: populate: $(ns_count "$ns") entries"; return 1; }

	t0="$(bench_now)"
	CTSYNCD_TEST_MIRROR=1 ip netns exec "$ns" "$CTSYNCD" -d \
	    -C "$CTS_CONF" 2> "$CTS_DIR/daemon.log" &
	mpid=$!
	bench_pid_add "$mpid"

	for ((i = 0; i < 100; i++)); do
		[ -S "$CTS_DIR/run/ctsyncd.ctl" ] && break
		kill -0 "$mpid" 2>/dev/null || break
		sleep 0.1
	done
	if ! cts_wait_status caches.external.active "$n" "$wait_max"
	then
		fail "ctsyncd: external cache never reached $n"
		cts_finish "$mpid" "$ns" "$log"
		return 1
	fi
	CTS_DUMP_SECS="$(bench_elapsed "$t0")"
	got="$(cts_status caches.internal.active)"
	[ "$got" = "$n" ] || fail "ctsyncd: internal cache $got after start-up"

	out="$(cts_ctl -F 2>&1)" || fail "ctsyncctl -F: $out"
	got="$(ns_count "$ns")"
	[ "$got" = 0 ] || fail "ctsyncd: kernel has $got entries after -F"
	# the destroy events of the flush must be through before the commit
	if cts_wait_status caches.internal.active 0 "$wait_max"; then
		CTS_NOTES+="flush_events_drained_in=${WAIT_SECS}s "
	else
		fail "ctsyncd: internal cache not empty after -F"
	fi
	bench_ct_settle 60 || true
	spid="$(cts_role_pid sync "$mpid")"
	kpid="$(cts_role_pid kernel "$mpid")"
	[ -n "$spid" ] && [ -n "$kpid" ] ||
	    fail "ctsyncd: sync ($spid) or kernel ($kpid) process not found"
	CTS_LISTENERS="$(host_new_listeners "$ns")"
	scpu="$(bench_cpu_secs "$spid" 2>/dev/null)"
	kcpu="$(bench_cpu_secs "$kpid" 2>/dev/null)"

	t0="$(bench_now)"
	out="$(cts_ctl -c 2>&1)"
	v=$?
	CTS_SECS="$(bench_elapsed "$t0")"
	[ -n "$scpu" ] && CTS_SYNC_CPU="$(calc "$(bench_cpu_secs "$spid") - $scpu")"
	[ -n "$kcpu" ] && CTS_KERNEL_CPU="$(calc "$(bench_cpu_secs "$kpid") - $kcpu")"
	echo "ctsyncctl -c: $out (exit $v, ${CTS_SECS}s wall)" >> "$log"
	[ "$v" -eq 0 ] || fail "ctsyncctl -c exit $v: $out"
	if [[ "$out" =~ committed\ ([0-9]+),\ failed\ ([0-9]+),\ took\ ([0-9.]+)\ s ]]
	then
		CTS_COMMITTED="${BASH_REMATCH[1]}"
		CTS_FAILED="${BASH_REMATCH[2]}"
		CTS_TOOK="${BASH_REMATCH[3]}"
		CTS_TOOKS=("$CTS_TOOK")
	else
		fail "ctsyncctl -c output: $out"
	fi
	# right after the commit: memory and the internal cache
	[ -n "$spid" ] && CTS_SYNC_RSS="$(bench_rss_kb "$spid")"
	[ -n "$kpid" ] && CTS_KERNEL_RSS="$(bench_rss_kb "$kpid")"
	CTS_MON_RSS="$(bench_rss_kb "$mpid")"
	[ "$CTS_SYNC_RSS" != - ] &&
	    CTS_BPE=$((CTS_SYNC_RSS * 1024 / n))
	internal="$(cts_status caches.internal.active)"

	[ "$CTS_COMMITTED" = "$n" ] ||
	    fail "ctsyncd: committed $CTS_COMMITTED of $n"
	[ "$CTS_FAILED" = 0 ] || fail "ctsyncd: $CTS_FAILED failed"
	got="$(ns_count "$ns")"
	[ "$got" = "$n" ] || fail "ctsyncd: kernel has $got entries after -c"
	if [ "$internal" != "$n" ]; then
		CTS_NOTES+="internal_after_commit=$internal "
		if cts_wait_status caches.internal.active "$n" 60; then
			fail "ctsyncd: internal cache $internal right after" \
			    "commit, $n after another ${WAIT_SECS}s"
		else
			fail "ctsyncd: internal cache $internal != $n"
		fi
	fi
	cts_more_rounds "$n" "$ns" "$wait_max" "$log"
	overrun="$(cts_ctl -s runtime |
	    awk -F'\t' '$2 ~ /^netlink overrun:/ { gsub(/ /, "", $NF); print $NF }')"
	[ "$overrun" = 0 ] || fail "ctsyncd: netlink overrun: '$overrun'"
	CTS_NOTES+="overrun=$overrun"
	cts_finish "$mpid" "$ns" "$log"
}

# The VM is noisy: CTS_ROUNDS (3) commits in the same daemon, each after
# a -F, and CTS_SECS becomes their median.  Each is checked like the
# first: all N in the kernel and in the internal cache at once.
cts_more_rounds() {
	local n="$1" ns="$2" wait_max="$3" log="$4" r t0 out secs=("$CTS_SECS")
	local lis

	for ((r = 1; r < ${CTS_ROUNDS:-3}; r++)); do
		out="$(cts_ctl -F 2>&1)" || { fail "ctsyncctl -F: $out"; break; }
		cts_wait_status caches.internal.active 0 "$wait_max" ||
		    { fail "ctsyncd: internal cache not empty after -F"; break; }
		bench_ct_settle 60 || true
		lis="$(host_new_listeners "$ns")"
		t0="$(bench_now)"
		out="$(cts_ctl -c 2>&1)"
		secs+=("$(bench_elapsed "$t0")")
		echo "ctsyncctl -c round $((r + 1)): $out" \
		    "(${secs[-1]}s wall, $lis NEW listeners on the host)" >> "$log"
		CTS_LISTENERS+=",$lis"
		[[ "$out" =~ took\ ([0-9.]+)\ s ]] &&
		    CTS_TOOKS+=("${BASH_REMATCH[1]}")
		[[ "$out" == "committed $n, failed 0,"* ]] ||
		    fail "ctsyncctl -c round $((r + 1)): $out"
		[ "$(cts_status caches.internal.active)" = "$n" ] ||
		    fail "ctsyncd: internal cache short right after round $((r + 1))"
		[ "$(ns_count "$ns")" = "$n" ] ||
		    fail "ctsyncd: kernel short after round $((r + 1))"
	done
	CTS_NOTES+="commit_runs=$(IFS=,; echo "${secs[*]}") "
	CTS_NOTES+="took_runs=$(IFS=,; echo "${CTS_TOOKS[*]}") "
	CTS_NOTES+="host_new_listeners=$CTS_LISTENERS "
	CTS_SECS="$(median "${secs[@]}")"
	CTS_TOOK="$(median "${CTS_TOOKS[@]}")"
}

cts_finish() {
	local mpid="$1" ns="$2" log="$3" i

	{
		echo "=== ctsyncd show status"
		cts_ctl show status 2>&1
		echo "=== ctsyncd -s runtime"
		cts_ctl -s runtime 2>&1
	} >> "$log"
	cts_ctl -k >/dev/null 2>&1
	for ((i = 0; i < 100; i++)); do
		kill -0 "$mpid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$mpid" 2>/dev/null && fail "ctsyncd: still running 10 s after -k"
	bench_pid_stop "$mpid"
	{
		echo "=== ctsyncd log"
		cat "$CTS_DIR/daemon.log"
	} >> "$log"
	bench_ns_del cts
}

# --------------------------------------------------------- conntrackd

CTD_DIR=""

ctd() {	# ctd 1|2 ARGS...: conntrackd client for fw1/fw2, inside its ns
	local i="$1"; shift
	timeout "$CLIENT_TIMEOUT" ip netns exec "${BENCH_NS[fw$i]}" \
	    conntrackd -C "$CTD_DIR/fw$i.conf" "$@"
}

ctd_cache_active() {	# ctd_cache_active 1|2 internal|external
	ctd "$1" -s cache 2>/dev/null |
	    awk -v c="cache:$2" '$1 == c { print $NF; exit }'
}

# Sets CTD_SECS CTD_TOOK CTD_ARRIVED CTD_COMMITTED CTD_RSS CTD_NOTES
run_conntrackd() {
	local n="$1" log="$2" i b p pids=() out t0 v last same got max rc

	CTD_SECS=fail CTD_TOOK=- CTD_ARRIVED=- CTD_COMMITTED=- CTD_RSS=-
	CTD_NOTES=""
	max=$((60 + n / 5000))

	bench_tmpdir || return 1
	CTD_DIR="$BENCH_TMPDIR"
	bench_ns_add fw1 || return 1
	bench_ns_add fw2 || return 1
	ip -n "${BENCH_NS[fw1]}" link add veth0 type veth peer name veth0 \
	    netns "${BENCH_NS[fw2]}" || { fail "veth"; ctd_finish; return 1; }
	for i in 1 2; do
		ip -n "${BENCH_NS[fw$i]}" addr add "169.254.77.$i/24" dev veth0
		ip -n "${BENCH_NS[fw$i]}" link set veth0 up
		cat > "$CTD_DIR/fw$i.conf" <<EOF
General {
	HashSize 1048576
	HashLimit 4194304
	NetlinkBufferSize 2097152
	NetlinkBufferSizeMaxGrowth 8388608
	LockFile $CTD_DIR/fw$i.lock
	UNIX { Path $CTD_DIR/fw$i.ctl }
	Systemd no
}
Sync {
	Mode FTFW { }
	UDP {
		IPv4_address 169.254.77.$i
		IPv4_Destination_Address 169.254.77.$((3 - i))
		Port 3780
		Interface veth0
	}
}
EOF
	done
	out="$(ip netns exec "${BENCH_NS[fw1]}" "$RAW" -n "$n" -t 3600 2>&1)" ||
	    { fail "conntrackd: populate: $out"; ctd_finish; return 1; }

	t0="$(bench_now)"
	for i in 1 2; do
		# console mode in the background: $! is the daemon
		ip netns exec "${BENCH_NS[fw$i]}" conntrackd \
		    -C "$CTD_DIR/fw$i.conf" > "$CTD_DIR/fw$i.log" 2>&1 &
		bench_pid_add $!
		pids+=($!)
	done
	CTD_PIDS=("${pids[@]}")
	for ((i = 0; i < max * 5; i++)); do
		[ "$(ctd_cache_active 1 internal)" = "$n" ] &&
		    [ -S "$CTD_DIR/fw2.ctl" ] && break
		kill -0 "${pids[0]}" 2>/dev/null &&
		    kill -0 "${pids[1]}" 2>/dev/null || break
		sleep 0.2
	done
	got="$(ctd_cache_active 1 internal)"
	if [ "$got" != "$n" ] || [ ! -S "$CTD_DIR/fw2.ctl" ]; then
		fail "conntrackd: fw1 internal cache $got of $n / not started"
		ctd_finish "$log"
		return 1
	fi
	CTD_NOTES+="fw1_startup_dump_secs=$(bench_elapsed "$t0") "

	t0="$(bench_now)"
	for ((b = 1; b <= CTD_BULKS; b++)); do
		ctd 1 -B >/dev/null 2>&1
		# until fw2's external cache stops growing (5 polls, 1 s
		# apart), 300 s at most
		last=-1 same=0
		for ((i = 0; i < 300; i++)); do
			sleep 1
			got="$(ctd_cache_active 2 external)"
			[ -n "$got" ] || continue
			if [ "$got" = "$n" ]; then
				break
			elif [ "$got" = "$last" ] && [ "$got" -gt 0 ]; then
				same=$((same + 1))
				[ "$same" -ge 5 ] && break
			else
				same=0
			fi
			last="$got"
		done
		[ "$got" = "$n" ] && break
		[ "$b" -lt "$CTD_BULKS" ] &&
		    warn "conntrackd: $got of $n arrived, bulk send again"
	done
	CTD_NOTES+="bulks=$((b > CTD_BULKS ? CTD_BULKS : b))"
	CTD_NOTES+=" bulk_secs=$(bench_elapsed "$t0") "
	CTD_ARRIVED="$(ctd 2 -e 2>/dev/null | wc -l)"
	[ "$CTD_ARRIVED" -eq "$n" ] ||
	    warn "conntrackd: $CTD_ARRIVED of $n arrived at fw2 (recorded)"
	got="$(ns_count "${BENCH_NS[fw2]}")"
	[ "$got" = 0 ] || CTD_NOTES+="fw2_before_commit=$got "
	bench_ct_settle 60 || true

	t0="$(bench_now)"
	out="$(ctd 2 -c 2>&1)"
	rc=$?
	CTD_SECS="$(bench_elapsed "$t0")"
	echo "conntrackd -c: rc=$rc ${CTD_SECS}s wall: $out" >> "$log"
	CTD_RSS="$(bench_rss_kb "${pids[1]}")"
	# conntrackd's own commit events: how many reached its internal cache
	CTD_NOTES+="fw2_internal_after_commit=$(ctd_cache_active 2 internal) "
	CTD_NOTES+="fw2_netlink_overrun=$(ctd 2 -s runtime 2>/dev/null |
	    awk -F'\t' '$2 ~ /^netlink overrun:/ { gsub(/ /, "", $NF); print $NF }') "
	CTD_COMMITTED="$(ns_count "${BENCH_NS[fw2]}")"
	CTD_TOOK="$(sed -n 's/.*commit has taken \([0-9.]*\) seconds.*/\1/p' \
	    "$CTD_DIR/fw2.log" | tail -1)"
	[ -n "$CTD_TOOK" ] || CTD_TOOK=-
	v="$(sed -n "s/.*\] \([0-9]*\) entries can't be committed.*/\1/p" \
	    "$CTD_DIR/fw2.log" | tail -1)"
	[ -z "$v" ] || CTD_NOTES+="cant_commit=$v "
	[ "$CTD_COMMITTED" = "$CTD_ARRIVED" ] ||
	    warn "conntrackd: fw2 kernel has $CTD_COMMITTED, $CTD_ARRIVED arrived"
	ctd_finish "$log"
}

ctd_finish() {
	local log="${1:-/dev/null}" p

	{
		for i in 1 2; do
			[ -S "$CTD_DIR/fw$i.ctl" ] || continue
			echo "=== conntrackd fw$i -s"
			ctd "$i" -s 2>&1
			echo "=== conntrackd fw$i -s runtime"
			ctd "$i" -s runtime 2>&1
		done
		for i in 1 2; do
			echo "=== conntrackd fw$i log"
			cat "$CTD_DIR/fw$i.log" 2>/dev/null
			echo
		done
	} >> "$log"
	for p in "${CTD_PIDS[@]}"; do
		bench_pid_stop "$p"
	done
	CTD_PIDS=()
	bench_ns_del fw1
	bench_ns_del fw2
}
CTD_PIDS=()

# --------------------------------------------------------------- main

maxn=0
for n in "${NLIST[@]}"; do
	[ "$n" -gt "$maxn" ] && maxn="$n"
done
ctmax=$((2 * maxn + 100000))
[ "$ctmax" -ge 262144 ] || ctmax=262144
bench_raise_ct_max "$ctmax" || die "cannot raise nf_conntrack_max"
oldhash="$(cat /sys/module/nf_conntrack/parameters/hashsize)"
bench_set_ct_hashsize "$HASHSIZE" || die "cannot set conntrack hashsize"
echo "# commit benchmark $(date -u +%FT%TZ), kernel $(uname -r)," \
    "$(nproc) CPUs, build $BUILD"
echo "# all three measurements with nf_conntrack hashsize" \
    "$(cat /sys/module/nf_conntrack/parameters/hashsize) (was $oldhash)," \
    "nf_conntrack_max $(cat /proc/sys/net/netfilter/nf_conntrack_max);" \
    "raw = median of $RAW_RUNS"
[ "$HAVE_CONNTRACKD" -eq 1 ] ||
    echo "# conntrackd not installed: its column is n/a"

ROWS=()
for n in "${NLIST[@]}"; do
	log="$RESULTS_DIR/commit-$n.log"
	: > "$log"
	echo "# n=$n: raw kernel x$RAW_RUNS ..." >&2
	rawlis="$(host_new_listeners)"
	raws=()
	for ((r = 0; r < RAW_RUNS; r++)); do
		raw_once "$n" && raws+=("$RAW_SECS")
	done
	raw="$(median "${raws[@]}")"
	rawlist="$(IFS=,; echo "${raws[*]:-}")"
	rawev=- rawevlist=""
	if [ "$RAW_EV" = 1 ]; then
		echo "# n=$n: raw kernel with an event listener x$RAW_RUNS ..." >&2
		raws=()
		for ((r = 0; r < RAW_RUNS; r++)); do
			raw_once "$n" ev && raws+=("$RAW_SECS")
		done
		rawev="$(median "${raws[@]}")"
		rawevlist="$(IFS=,; echo "${raws[*]:-}")"
	fi

	echo "# n=$n: ctsyncd ..." >&2
	run_ctsyncd "$n" "$log"
	if [ "$HAVE_CONNTRACKD" -eq 1 ]; then
		echo "# n=$n: conntrackd ..." >&2
		run_conntrackd "$n" "$log"
	else
		CTD_SECS=n/a CTD_TOOK=- CTD_ARRIVED=- CTD_COMMITTED=- CTD_RSS=-
		CTD_NOTES=""
	fi

	# against raw: both timed inside the process, from the first
	# request to the last ACK; conntrackd below: wall against wall
	ratio=- ratiowall=- speedup=- ctdnorm=- speedup_norm=-
	isnum "$raw" && isnum "$CTS_TOOK" &&
	    ratio="$(calc "$CTS_TOOK / $raw")"
	isnum "$raw" && isnum "$CTS_SECS" &&
	    ratiowall="$(calc "$CTS_SECS / $raw")"
	ratioev=-
	isnum "$rawev" && isnum "$CTS_TOOK" &&
	    ratioev="$(calc "$CTS_TOOK / $rawev")"
	isnum "$CTD_SECS" && isnum "$CTS_SECS" &&
	    speedup="$(calc "$CTD_SECS / $CTS_SECS")"
	# conntrackd's time scaled to N when fewer entries reached fw2
	if isnum "$CTD_SECS" && isnum "$CTD_COMMITTED"; then
		ctdnorm="$(awk -v s="$CTD_SECS" -v n="$n" \
		    -v c="$CTD_COMMITTED" 'BEGIN { printf "%.2f", s * n / c }')"
		isnum "$CTS_SECS" &&
		    speedup_norm="$(calc "$ctdnorm / $CTS_SECS")"
	fi

	line="commit n=$n raw=${raw}s ctsyncd_took=${CTS_TOOK}s (${ratio}x raw)"
	line+=" ctsyncd_wall=${CTS_SECS}s (${ratiowall}x raw)"
	[ "$RAW_EV" = 1 ] &&
	    line+=" raw_with_listener=${rawev}s (ctsyncd ${ratioev}x)"
	if [ "$HAVE_CONNTRACKD" -eq 1 ]; then
		line+=" conntrackd=${CTD_SECS}s (ctsyncd ${speedup}x faster)"
		line+=" conntrackd_arrived=$CTD_ARRIVED"
		line+=" conntrackd_committed=$CTD_COMMITTED"
		[ "$CTD_COMMITTED" = "$n" ] ||
		    line+=" conntrackd_scaled_to_n=${ctdnorm}s (ctsyncd ${speedup_norm}x faster per entry)"
	else
		line+=" conntrackd=n/a"
	fi
	line+=" ctsyncd_sync_rss=${CTS_SYNC_RSS}kB"
	line+=" ctsyncd_kernel_rss=${CTS_KERNEL_RSS}kB"
	line+=" bytes_per_entry=$CTS_BPE"
	echo "$line"
	echo "#   raw runs: $rawlist (host NEW listeners: $rawlis);" \
	    "with listener: ${rawevlist:--}; ctsyncd: took=${CTS_TOOK}s" \
	    "committed=$CTS_COMMITTED failed=$CTS_FAILED" \
	    "cpu_during_commit sync=${CTS_SYNC_CPU}s kernel=${CTS_KERNEL_CPU}s" \
	    "startup_dump+mirror=${CTS_DUMP_SECS}s monitor_rss=${CTS_MON_RSS}kB" \
	    "$CTS_NOTES; conntrackd: took=${CTD_TOOK}s rss=${CTD_RSS}kB" \
	    "$CTD_NOTES"
	bench_result commit n="$n" date="$(date -u +%FT%TZ)" \
	    kernel="$(uname -r)" hashsize="$HASHSIZE" ct_max="$ctmax" \
	    raw_secs="$raw" raw_runs="$rawlist" \
	    raw_listener_secs="$rawev" raw_listener_runs="${rawevlist:--}" \
	    ctsyncd_vs_raw_listener="$ratioev" \
	    ctsyncd_secs="$CTS_SECS" ctsyncd_took="$CTS_TOOK" \
	    ctsyncd_committed="$CTS_COMMITTED" ctsyncd_failed="$CTS_FAILED" \
	    ctsyncd_vs_raw="$ratio" ctsyncd_wall_vs_raw="$ratiowall" \
	    raw_host_new_listeners="$rawlis" \
	    ctsyncd_host_new_listeners="$CTS_LISTENERS" \
	    ctsyncd_dump_secs="$CTS_DUMP_SECS" \
	    ctsyncd_sync_cpu="$CTS_SYNC_CPU" \
	    ctsyncd_kernel_cpu="$CTS_KERNEL_CPU" \
	    ctsyncd_sync_rss_kb="$CTS_SYNC_RSS" \
	    ctsyncd_kernel_rss_kb="$CTS_KERNEL_RSS" \
	    ctsyncd_monitor_rss_kb="$CTS_MON_RSS" \
	    bytes_per_entry="$CTS_BPE" \
	    conntrackd_secs="$CTD_SECS" conntrackd_took="$CTD_TOOK" \
	    conntrackd_arrived="$CTD_ARRIVED" \
	    conntrackd_committed="$CTD_COMMITTED" \
	    conntrackd_scaled_secs="$ctdnorm" conntrackd_bulks="$CTD_BULKS" \
	    conntrackd_rss_kb="$CTD_RSS" speedup_vs_conntrackd="$speedup" \
	    speedup_vs_conntrackd_per_entry="$speedup_norm"
	ROWS+=("| $n | $raw | $rawev | $CTS_TOOK | $CTS_SECS | $ratio | $ratioev |\
 $CTD_SECS |\
 ${CTD_ARRIVED}/${CTD_COMMITTED} | $speedup | $speedup_norm |\
 $CTS_SYNC_RSS | $CTS_KERNEL_RSS | $CTS_BPE |")
done

echo
echo "| N | raw s | raw+listener s | ctsyncd took s | ctsyncd wall s |" \
    "ctsyncd took/raw |" \
    "ctsyncd/raw+listener | conntrackd s |" \
    "conntrackd arrived/committed | conntrackd/ctsyncd |" \
    "conntrackd/ctsyncd per entry | sync RSS kB | kernel RSS kB |" \
    "sync bytes/entry |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"
echo
echo "hashsize $HASHSIZE and nf_conntrack_max $ctmax for all columns." \
    "raw: rawinsert alone, median of $RAW_RUNS fresh namespaces;" \
    "raw+listener: the same with conntrack -E subscribed (the kernel" \
    "builds an event per entry, as for any daemon)." \
    "ctsyncd took: the commit as the daemon times it (request to last" \
    "ACK), as rawinsert times its loop; wall adds starting the client." \
    "conntrackd/ctsyncd: wall against wall." \
    "conntrackd/ctsyncd per entry: conntrackd's time scaled to N when" \
    "fewer entries reached fw2.  bytes/entry = sync RSS / N (the sync" \
    "process holds the internal and the mirrored external cache, 2 N" \
    "entries)."
exit "$FAILED"
