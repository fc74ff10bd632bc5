#!/bin/bash
# Churn benchmark: ctsyncd against conntrackd 1.4.7 on a table that
# keeps changing.  Both nodes run the same daemon with the same FTFW
# over UDP configuration as replicate.sh; first ctsyncd on both, then
# conntrackd on both, each in a fresh pair of namespaces fw1 and fw2
# joined by a veth pair (169.254.77.1/.2 on veth0).
#
#  steady table  tests/rawinsert -n N on fw1 while both daemons run,
#                until fw2's external cache holds N (not timed here,
#                the fill time goes to the notes).
#  churn         ROUNDS rounds on fw1, back to back, same for both
#                daemons: round r updates all N entries (rawinsert -U
#                -m r), deletes a slice of SLICE entries (rawinsert -D,
#                a different slice each round) and creates it again
#                with mark r.  The final state is N entries, all with
#                mark ROUNDS.  Events: ROUNDS x (N + 2 SLICE).
#  measured      time from the start of the churn until fw2's external
#                cache holds the final state: count N and every entry
#                with mark=ROUNDS in -e; the time is that of the last
#                change of fw2's external cache counters before the
#                check passed (polled every 0.1-0.25 s).  Events per
#                second taken in by fw1 ("events received" of -s runtime
#                over the time until it stopped growing), CPU seconds
#                (utime+stime from /proc/PID/stat) of every daemon
#                process of each node over the churn, divided by the
#                events; VmRSS at the end; entries missing at fw2 and
#                stale ones (present, other mark) at the end.
#  raw           the same churn with no daemon and no listener in a
#                fresh namespace: the kernel's own time for the work.
#
# Usage (root, from anywhere):
#	tests/bench/churn.sh BUILD_DIR [N]	# default N: 100000
# (only the first N is used: make passes all of BENCH_N).
#
# Every wait is bounded: the churn gives up when neither fw1's event
# count nor fw2's cache counters moved for BENCH_STALL s (60; more than
# the daemons' 30 s overrun resync) or after 60 + N/1000 s in all, and
# records "never" with the entries missing/stale.  nf_conntrack_max and
# the conntrack hash size are raised as in replicate.sh and restored at
# exit.  One line per daemon and the tables are appended to
# tests/bench/results/latest.txt (BENCH_OUT) and printed; the daemons'
# logs, progress and statistics go to tests/bench/results/churn-N.log.
# Environment: BENCH_CHURN_ROUNDS (3), BENCH_CHURN_SLICE (N/10),
# BENCH_STALL (60), BENCH_HASHSIZE (kernel buckets, 1048576),
# BENCH_DAEMON_HASHSIZE (both daemons' HashSize, 1048576), BENCH_DAEMONS
# ("ctsyncd conntrackd"), BENCH_WAIT_OTHERS (s to wait for benchmark
# runs started earlier, 3600).

set -u

usage() {
	echo "usage: $0 BUILD_DIR [N]" >&2
	exit 2
}

[ $# -ge 1 ] || usage
BUILD="$(cd "$1" 2>/dev/null && pwd)" || { echo "no such dir: $1" >&2; exit 2; }
shift
N="${1:-100000}"
[[ "$N" =~ ^[1-9][0-9]*$ ]] && [ "$N" -ge 100 ] && [ "$N" -le 4000000 ] ||
    usage
[ $# -le 1 ] || echo "churn.sh: only N=$N is used (of: $*)" >&2

cd "$(dirname "$0")/../.." || exit 2
BENCH_PREFIX="${BENCH_PREFIX:-ctbn}"
BENCH_OUT="${BENCH_OUT:-tests/bench/results/latest.txt}"
. tests/bench/lib.sh
BENCH_SELF=churn.sh
. tests/bench/nodes.sh

RAW="$BUILD/tests/rawinsert"
CTSYNCD="$BUILD/ctsyncd"
CTL="$BUILD/ctsyncctl"
HASHSIZE="${BENCH_HASHSIZE:-1048576}"
DHASHSIZE="${BENCH_DAEMON_HASHSIZE:-1048576}"
STALL="${BENCH_STALL:-60}"
ROUNDS="${BENCH_CHURN_ROUNDS:-3}"
SLICE="${BENCH_CHURN_SLICE:-$((N / 10))}"
DAEMONS="${BENCH_DAEMONS:-ctsyncd conntrackd}"
RESULTS_DIR="$(dirname "$BENCH_OUT")"
LOG="$RESULTS_DIR/churn-$N.log"
LIMIT=$((60 + N / 1000))	# s, the whole churn wait
QUIET=100			# cs without change before fw2 is checked
CTSD_USER=_ctsyncd
CLIENT_TIMEOUT=120
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

die() {
	echo "churn.sh: $*" >&2
	exit 1
}

FAILED=0
[ "$(id -u)" -eq 0 ] || die "must run as root"
for f in "$RAW" "$CTSYNCD" "$CTL"; do
	[ -x "$f" ] || die "$f missing (make all $BUILD/tests/rawinsert first?)"
done
"$RAW" -h 2>&1 | grep -q -- '-6DFU' ||
    die "$RAW has no -D (rebuild it: make $BUILD/tests/rawinsert)"
for c in ip conntrack awk pgrep timeout; do
	command -v "$c" >/dev/null || die "$c not found"
done
for d in $DAEMONS; do
	case "$d" in
	ctsyncd) ;;
	conntrackd) command -v conntrackd >/dev/null ||
	    die "conntrackd not installed (BENCH_DAEMONS=ctsyncd to skip it)" ;;
	*) die "BENCH_DAEMONS: unknown daemon $d" ;;
	esac
done
[[ "$STALL" =~ ^[1-9][0-9]*$ ]] || die "BENCH_STALL must be seconds"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] && [ "$ROUNDS" -le 1000 ] ||
    die "BENCH_CHURN_ROUNDS must be 1..1000"
[[ "$SLICE" =~ ^[0-9]+$ ]] && [ "$SLICE" -ge 1 ] && [ "$SLICE" -le "$N" ] ||
    die "BENCH_CHURN_SLICE must be 1..N"
if ! id "$CTSD_USER" >/dev/null 2>&1; then
	useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin "$CTSD_USER" ||
	    die "cannot create user $CTSD_USER"
fi
mkdir -p "$RESULTS_DIR" || die "cannot create $RESULTS_DIR"
EVENTS=$((ROUNDS * (N + 2 * SLICE)))

cs2s() {	# centiseconds -> seconds, 2 decimals
	printf '%d.%02d' "$(($1 / 100))" "$(($1 % 100))"
}

kb2mib() {	# kB -> MiB, 1 decimal, "-" if not a number
	if isnum "${1:-}"; then
		awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
	else
		echo -
	fi
}

# ratio A / B, 2 decimals, "-" unless both are positive numbers
ratio() {
	if isnum "${1:-}" && isnum "${2:-}" &&
	    awk "BEGIN { exit !($2 > 0) }"; then
		calc "$1 / $2"
	else
		echo -
	fi
}

# Run a command in namespace NS's network namespace.  nsenter only
# enters the network namespace: ~10 ms where "ip netns exec" (a mount
# namespace and /sys too) takes 50-150 ms on this VM, which would
# dominate the short steps of the workload and slow the polls.
in_ns() {
	local ns="$1"; shift
	if [ -n "$NSENTER" ]; then
		"$NSENTER" --net="/run/netns/$ns" "$@"
	else
		ip netns exec "$ns" "$@"
	fi
}
NSENTER="$(command -v nsenter)"

# --------------------------------------------------------- the workload

# The churn on namespace NS, in the foreground: ROUNDS x (update all N
# with mark r, delete a slice, create it again with mark r).  Prints
# each step and at the end "WORK_DONE secs=S failed=F".
churn_work() {
	local ns="$1" r first t0 out failed=0 step

	t0="$(now_cs)"
	for ((r = 1; r <= ROUNDS; r++)); do
		first=$(((r - 1) * SLICE % (N - SLICE + 1)))
		for step in "-U -n $N -m $r" "-D -o $first -n $SLICE" \
		    "-o $first -n $SLICE -m $r"; do
			# shellcheck disable=SC2086  # the options split
			out="$(in_ns "$ns" "$RAW" -t 3600 $step 2>&1)"
			echo "round $r: rawinsert $step: $(tr '\n' ' ' <<< "$out")"
			[[ "$out" == *" errors=0"* ]] || failed=$((failed + 1))
		done
	done
	echo "WORK_DONE secs=$(cs2s $(($(now_cs) - t0))) failed=$failed"
}

# The kernel alone: fill and churn in a fresh namespace, no listener.
run_raw() {
	local out

	RAW_SECS=-
	bench_ns_add raw || { fail "raw namespace"; return 1; }
	bench_ct_settle 60 || true
	out="$(ip netns exec "${BENCH_NS[raw]}" "$RAW" -n "$N" -t 3600 2>&1)"
	[[ "$out" == *" errors=0"* ]] || fail "raw fill: $out"
	out="$(churn_work "${BENCH_NS[raw]}")"
	echo "--- raw churn, no daemon" >> "$LOG"
	echo "$out" >> "$LOG"
	RAW_SECS="$(sed -n 's/^WORK_DONE secs=\([0-9.]*\) .*/\1/p' <<< "$out")"
	[[ "$out" == *"WORK_DONE"*" failed=0" ]] || fail "raw churn: $out"
	[ "$(ns_count_ns "${BENCH_NS[raw]}")" = "$N" ] ||
	    fail "raw churn: table has $(ns_count_ns "${BENCH_NS[raw]}")"
	bench_ns_del raw
	[ -n "$RAW_SECS" ] || RAW_SECS=-
}

ns_count_ns() {
	ip netns exec "$1" conntrack -C 2>/dev/null
}

# ------------------------------------------------------------ the nodes
# (start, stop and the clients: nodes.sh)

KIND=""		# ctsyncd | conntrackd, both nodes alike
DIR=""		# the run's private directory
declare -a MPID=("" "" "")	# daemon (monitor) pid per node
declare -a CHILDREN=("" "" "")	# ctsyncd's sync and kernel pids
declare -a STARTS=(0 0 0)	# how often each node was started

# "ACTIVE COUNTERS" of node I's external cache (-s cache, the same
# shape for both daemons); COUNTERS change with every create, update
# and delete.  "" if no answer.
node_ext_sig() {
	node_ctl "$1" -T 20 -s cache 2>/dev/null | awk '
	    $1 == "cache:external" { f = 1; a = $NF }
	    f && /^[ \t]*$/ { exit }
	    f { gsub(/[ \t]+/, ""); s = s $0 ";" }
	    END { if (f) print a, s }'
}

# node I's "events received" (-s runtime), "" if no answer
node_events() {
	node_ctl "$1" -T 20 -s runtime 2>/dev/null |
	    awk '$1 == "events" && $2 == "received:" { print $3; exit }'
}

node_overruns() {
	node_ctl "$1" -T 20 -s runtime 2>/dev/null | awk -F'\t' \
	    '$2 ~ /^netlink overrun:/ { gsub(/ /, "", $NF); print $NF; exit }'
}

node_diag() {	# statistics of node i into the log
	local i="$1" what="$2" s

	{
		echo "=== $KIND fw$i, $what ($(cs2s "$(now_cs)") s uptime)"
		node_procs "$i"
		echo "--- processes: $NODE_PROCS"
		echo "--- /proc/net/snmp Udp"
		ip netns exec "${BENCH_NS[fw$i]}" awk '$1 == "Udp:"' \
		    /proc/net/snmp 2>&1
		for s in "-s" "-s network" "-s cache" "-s link" "-s runtime"; do
			echo "--- $s"
			# shellcheck disable=SC2086
			node_ctl "$i" -T 30 $s 2>&1
		done
	} >> "$LOG"
}

# Check node 2's external cache against the final state: sets
# CK_LINES (entries), CK_FRESH (with mark=ROUNDS), CK_MISSING, CK_STALE.
check_fw2() {
	local out

	CK_LINES=- CK_FRESH=- CK_MISSING=- CK_STALE=-
	out="$(node_ctl 2 -T 60 -e 2>/dev/null | awk -v m="mark=$ROUNDS" '
	    NF { n++; for (k = 1; k <= NF; k++) if ($k == m) { f++; break } }
	    END { print n + 0, f + 0 }')" || return 1
	read -r CK_LINES CK_FRESH <<< "$out"
	isnum "$CK_LINES" || { CK_LINES=-; return 1; }
	CK_MISSING=$((N > CK_LINES ? N - CK_LINES : 0))
	CK_STALE=$((CK_LINES - CK_FRESH))
}

# Bounded wait until node 2's external cache holds N (the fill).
wait_fill() {
	local t0 now got last=-1 lastprog

	t0="$(now_cs)" lastprog="$t0"
	FILL_SECS=never
	while :; do
		got="$(node_cache 2 external)"
		now="$(now_cs)"
		if [ "${got:-0}" -ge "$N" ] 2>/dev/null; then
			FILL_SECS="$(cs2s $((now - t0)))"
			return 0
		fi
		isnum "$got" && [ "$got" -gt "$last" ] &&
		    { last="$got"; lastprog="$now"; }
		kill -0 "${MPID[2]}" 2>/dev/null || return 1
		[ $((now - lastprog)) -lt $((STALL * 100)) ] || return 1
		[ $((now - t0)) -lt $((LIMIT * 100)) ] || return 1
		sleep 0.2
	done
}

# Until fw1's event count and fw2's counters have not moved for 2 s
# (at most MAX s).
wait_quiet() {
	local max="$1" t0 now a b la="" lb="" since

	t0="$(now_cs)" since="$t0"
	while :; do
		a="$(node_events 1)" b="$(node_ext_sig 2)"
		now="$(now_cs)"
		[ "$a" = "$la" ] && [ "$b" = "$lb" ] || since="$now"
		la="$a" lb="$b"
		[ $((now - since)) -ge 200 ] && return 0
		[ $((now - t0)) -lt $((max * 100)) ] || return 1
		sleep 0.25
	done
}

# ----------------------------------------------------------- one run

# Sets R_* for KIND.
run_kind() {
	local limit="$1" i k out t0 now el wpid wdone="" ev0 ev lev="" tev
	local sig lsig="" tchg checked=0 prog cpu0_1 cpu0_2 c1="" c2="" iv
	local active logged=0 done_cs=""

	R_SECS=never R_WORK=- R_EVIN=- R_EVRATE=- R_CPU1=- R_CPU2=- R_US1=-
	R_US2=- R_RSS1=- R_RSS2=- R_MISSING=- R_STALE=- R_PROCS1="" R_PROCS2=""
	R_DETECT=-
	NOTES="load_at_start=$(cut -d' ' -f1 /proc/loadavg) "

	bench_tmpdir || { fail "tmpdir"; return 1; }
	DIR="$BENCH_TMPDIR"
	bench_ns_add fw1 && bench_ns_add fw2 || { fail "namespaces"; return 1; }
	ip -n "${BENCH_NS[fw1]}" link add veth0 type veth peer name veth0 \
	    netns "${BENCH_NS[fw2]}" || { fail "veth"; return 1; }
	for i in 1 2; do
		ip -n "${BENCH_NS[fw$i]}" addr add "169.254.77.$i/24" dev veth0
		ip -n "${BENCH_NS[fw$i]}" link set veth0 up
		node_conf "$i" "$limit"
	done
	{
		echo "##### $KIND n=$N rounds=$ROUNDS slice=$SLICE" \
		    "$(date -u +%FT%TZ) load $(cat /proc/loadavg)"
		echo "--- fw1 configuration"
		cat "$(conf_of 1)"
	} >> "$LOG"
	bench_ct_settle 60 || true
	node_start 1 && node_start 2 || return 1
	if [ "$KIND" = ctsyncd ]; then
		for ((k = 0; k < 100; k++)); do
			[ "$(cts_json 1 peer.handshake_done)" = true ] &&
			    [ "$(cts_json 2 peer.handshake_done)" = true ] && break
			sleep 0.1
		done
		[ "$k" -lt 100 ] || NOTES+="no_handshake_before_fill "
	else
		sleep 1
	fi

	# ---- the steady table
	echo "# churn n=$N $KIND: steady table ..." >&2
	out="$(ip netns exec "${BENCH_NS[fw1]}" "$RAW" -n "$N" -t 3600 2>&1)"
	echo "fill: $out" >> "$LOG"
	[[ "$out" == *" errors=0"* ]] || fail "$KIND: fill: $out"
	wait_fill || fail "$KIND: fw2 has $(node_cache 2 external) of $N" \
	    "after the fill"
	NOTES+="fill_secs=$FILL_SECS "
	if [ "$KIND" = ctsyncd ]; then	# an overrun resync still to come?
		for ((k = 0; k < 90; k++)); do
			[ "$(cts_json 1 resync_pending)" = false ] &&
			    [ "$(cts_json 2 resync_pending)" = false ] && break
			sleep 1
		done
	fi
	wait_quiet 60 || NOTES+="not_quiet_before_churn "
	NOTES+="fill_overruns_fw1=$(node_overruns 1) "
	echo "before churn: fw1 internal $(node_cache 1 internal)," \
	    "fw2 external $(node_cache 2 external)" >> "$LOG"
	bench_ct_settle 60 || true

	# ---- the churn, in the background; fw1 and fw2 polled meanwhile
	echo "# churn n=$N $KIND: $ROUNDS rounds ..." >&2
	ev0="$(node_events 1)"
	cpu0_1="$(node_cpu 1)" cpu0_2="$(node_cpu 2)"
	t0="$(now_cs)"
	churn_work "${BENCH_NS[fw1]}" > "$DIR/work.out" 2>&1 &
	wpid=$!
	bench_pid_add "$wpid"
	tev="$t0" tchg="$t0" prog="$t0"
	while :; do
		if [ -z "$wdone" ] && ! kill -0 "$wpid" 2>/dev/null; then
			wait "$wpid"
			drop_pid "$wpid" churn
			wdone=1
			done_cs="$(now_cs)"
			prog="$done_cs"
			cat "$DIR/work.out" >> "$LOG"
			out="$(tail -n 1 "$DIR/work.out")"
			R_WORK="$(sed -n 's/^WORK_DONE secs=\([0-9.]*\) .*/\1/p' \
			    <<< "$out")"
			[ -n "$R_WORK" ] || R_WORK=-
			[[ "$out" == "WORK_DONE"*" failed=0" ]] ||
			    fail "$KIND: the churn workload: $out"
		fi
		ev="$(node_events 1)" sig="$(node_ext_sig 2)"
		now="$(now_cs)"
		el=$((now - t0))
		if isnum "$ev" && [ "$ev" != "$lev" ]; then
			lev="$ev" tev="$now" prog="$now"
		fi
		if [ -n "$sig" ] && [ "$sig" != "$lsig" ]; then
			lsig="$sig" tchg="$now" prog="$now" checked=0
		fi
		active="${sig%% *}"
		if [ $((now - logged)) -ge 100 ]; then
			echo "churn: $(cs2s "$el") s fw1 events $((${ev:-0} - ${ev0:-0}))" \
			    "fw2 external ${active:-?}" >> "$LOG"
			logged="$now"
		fi
		if [ -n "$wdone" ] && [ "$active" = "$N" ] && [ "$checked" = 0 ] &&
		    [ $((now - tchg)) -ge "$QUIET" ]; then
			# CPU before the -e dump, which costs fw2 CPU
			c1="$(node_cpu 1)" c2="$(node_cpu 2)"
			check_fw2
			checked=1
			echo "churn: check at $(cs2s "$el") s: $CK_LINES entries," \
			    "$CK_FRESH with mark=$ROUNDS" >> "$LOG"
			if [ "$CK_LINES" = "$N" ] && [ "$CK_FRESH" = "$N" ]; then
				R_SECS="$(cs2s $((tchg - t0)))"
				R_DETECT="$(cs2s "$el")"
				break
			fi
		fi
		if ! kill -0 "${MPID[1]}" 2>/dev/null ||
		    ! kill -0 "${MPID[2]}" 2>/dev/null; then
			fail "$KIND: a daemon is gone during the churn"
			break
		fi
		if [ -n "$wdone" ] && [ $((now - prog)) -ge $((STALL * 100)) ]; then
			echo "churn: nothing moved for $STALL s at $(cs2s "$el") s" \
			    >> "$LOG"
			break
		fi
		if [ "$el" -ge $((LIMIT * 100)) ]; then
			echo "churn: gave up after $LIMIT s" >> "$LOG"
			break
		fi
		if [ "$el" -lt 300 ]; then iv=0.1; else iv=0.25; fi
		sleep "$iv"
	done
	if [ -z "$wdone" ]; then	# bounded: rawinsert's ACK wait is
		for ((k = 0; k < 600; k++)); do
			kill -0 "$wpid" 2>/dev/null || break
			sleep 0.1
		done
		drop_pid "$wpid" churn
		cat "$DIR/work.out" >> "$LOG"
		fail "$KIND: the churn workload did not end in time"
	fi
	if [ "$R_SECS" = never ]; then	# the final state, as it is
		c1="$(node_cpu 1)" c2="$(node_cpu 2)"
		check_fw2
		echo "churn: final check: $CK_LINES entries, $CK_FRESH with" \
		    "mark=$ROUNDS" >> "$LOG"
		fail "$KIND: fw2 did not reach the final state" \
		    "($CK_LINES entries, $CK_FRESH with mark=$ROUNDS)"
	fi
	R_MISSING="$CK_MISSING" R_STALE="$CK_STALE"
	if isnum "$ev0" && isnum "$lev"; then
		R_EVIN=$((lev - ev0))
		[ "$tev" -gt "$t0" ] &&
		    R_EVRATE="$(awk -v e="$R_EVIN" -v t=$((tev - t0)) \
			'BEGIN { printf "%.0f", e * 100 / t }')"
	fi
	if isnum "$cpu0_1" && isnum "$c1"; then
		R_CPU1="$(calc "$c1 - $cpu0_1")"
		R_US1="$(calc "$R_CPU1 * 1000000 / $EVENTS")"
	fi
	if isnum "$cpu0_2" && isnum "$c2"; then
		R_CPU2="$(calc "$c2 - $cpu0_2")"
		R_US2="$(calc "$R_CPU2 * 1000000 / $EVENTS")"
	fi
	for i in 1 2; do
		node_procs "$i"
		eval "R_PROCS$i=\"\$NODE_PROCS\" R_RSS$i=\$NODE_RSS_KB"
	done
	NOTES+="fw1_overruns=$(node_overruns 1) "
	NOTES+="fw1_internal=$(node_cache 1 internal) "
	NOTES+="fw1_kernel=$(ns_count_ns "${BENCH_NS[fw1]}") "
	NOTES+="detected_secs=$R_DETECT "
	NOTES+="load_at_end=$(cut -d' ' -f1 /proc/loadavg) "
	node_diag 1 "after the churn"
	node_diag 2 "after the churn"
	return 0
}

finish_kind() {
	local i

	for i in 1 2; do
		node_stop "$i"
	done
	for i in 1 2; do
		echo "=== $KIND fw$i daemon log"
		cat "$DIR/fw$i"/daemon.*.log 2>/dev/null
	done >> "$LOG"
	bench_ns_del fw1
	bench_ns_del fw2
	bench_ct_settle 120 || true
}

# --------------------------------------------------------------- main

bench_wait_others

ctmax=$((2 * N + 100000))
[ "$ctmax" -ge 262144 ] || ctmax=262144
limit=$((4 * N))
[ "$limit" -ge 262144 ] || limit=262144
bench_raise_ct_max "$ctmax" || die "cannot raise nf_conntrack_max"
oldhash="$(cat /sys/module/nf_conntrack/parameters/hashsize)"
bench_set_ct_hashsize "$HASHSIZE" || die "cannot set conntrack hashsize"

: > "$LOG"
T_START="$(now_cs)"
hdr="# churn benchmark $(date -u +%FT%TZ), kernel $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), build $BUILD; n=$N rounds=$ROUNDS slice=$SLICE events=$EVENTS; FTFW over UDP on a veth pair, both daemons HashSize $DHASHSIZE HashLimit $limit; kernel hashsize $(cat /sys/module/nf_conntrack/parameters/hashsize) (was $oldhash), nf_conntrack_max $(cat /proc/sys/net/netfilter/nf_conntrack_max); stall limit ${STALL}s, limit ${LIMIT}s; other benchmark runs at the start: ${OTHERS_AT_START:-none}; conntrackd: $(command -v conntrackd >/dev/null && conntrackd -v 2>&1 | head -1)"
echo "$hdr"
echo "$hdr" >> "$BENCH_OUT"
echo "$hdr" >> "$LOG"

echo "# churn n=$N: raw kernel ..." >&2
run_raw
line="churn_raw n=$N rounds=$ROUNDS slice=$SLICE events=$EVENTS secs=$RAW_SECS"
echo "$line"
echo "$line" >> "$BENCH_OUT"

ROWS=()
declare -A SECS=() US1=() US2=() RSS1=() RSS2=()
for KIND in $DAEMONS; do
	run_kind "$limit" || fail "$KIND: run stopped early"
	finish_kind
	line="churn n=$N daemon=$KIND date=$(date -u +%FT%TZ)"
	line+=" rounds=$ROUNDS slice=$SLICE events=$EVENTS"
	line+=" converge_secs=$R_SECS workload_secs=$R_WORK raw_secs=$RAW_SECS"
	line+=" fw1_events_in=$R_EVIN fw1_events_per_sec=$R_EVRATE"
	line+=" fw1_cpu_secs=$R_CPU1 fw2_cpu_secs=$R_CPU2"
	line+=" fw1_cpu_us_per_event=$R_US1 fw2_cpu_us_per_event=$R_US2"
	line+=" fw1_rss_kb=$R_RSS1 fw2_rss_kb=$R_RSS2"
	line+=" fw2_missing=$R_MISSING fw2_stale=$R_STALE"
	line+=" fw1_procs=[$R_PROCS1] fw2_procs=[$R_PROCS2] ${NOTES% }"
	echo "$line"
	echo "$line" >> "$BENCH_OUT"
	echo "$line" >> "$LOG"
	ROWS+=("| $N | $KIND | $R_SECS | $(ratio "$R_SECS" "$RAW_SECS") |\
 $R_WORK | $R_EVIN | $R_EVRATE | $R_US1 | $R_US2 |\
 $(kb2mib "$R_RSS1") | $(kb2mib "$R_RSS2") | $R_MISSING | $R_STALE |")
	# shellcheck disable=SC2034  # read through a nameref
	SECS[$KIND]="$R_SECS" US1[$KIND]="$R_US1" US2[$KIND]="$R_US2"
	# shellcheck disable=SC2034  # read through a nameref
	RSS1[$KIND]="$R_RSS1" RSS2[$KIND]="$R_RSS2"
done

r=()
for v in SECS US1 US2 RSS1 RSS2; do
	declare -n arr="$v"
	r+=("$(ratio "${arr[ctsyncd]:-}" "${arr[conntrackd]:-}")")
	unset -n arr
done
{
	echo
	echo "| N | daemon | churn s | × raw | workload s | fw1 events in |" \
	    "fw1 events/s | fw1 CPU µs/event | fw2 CPU µs/event |" \
	    "fw1 RSS MiB | fw2 RSS MiB | fw2 missing | fw2 stale |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	printf '%s\n' "${ROWS[@]}"
	echo "| $N | raw kernel | $RAW_SECS | 1.00 | $RAW_SECS | | | | | | | | |"
	echo
	echo "| N | ctsyncd/conntrackd churn time | CPU/event fw1 |" \
	    "CPU/event fw2 | RSS fw1 | RSS fw2 |"
	echo "|---:|---:|---:|---:|---:|---:|"
	echo "| $N | ${r[0]} | ${r[1]} | ${r[2]} | ${r[3]} | ${r[4]} |"
	echo
	echo "$ROUNDS rounds on fw1 of a steady table of N entries, each" \
	    "round: update all N (new mark), delete a slice of $SLICE," \
	    "create it again; $EVENTS events in all.  churn s: from the" \
	    "start of the churn until fw2's external cache holds N entries," \
	    "all with the last round's mark (\"never\": not within the" \
	    "limits, ${STALL} s without progress or ${LIMIT} s).  raw: the" \
	    "same work with no daemon and no listener.  workload s: the" \
	    "work itself on fw1 with the daemons running.  fw1 events in:" \
	    "\"events received\" of fw1's daemon, events/s: over the time" \
	    "until that count stopped growing.  CPU: utime+stime of all of" \
	    "a node's daemon processes over the churn / $EVENTS; RSS: their" \
	    "VmRSS at the end.  missing/stale: entries absent at fw2 / present" \
	    "with another mark, at the end."
} | tee -a "$BENCH_OUT"
echo "churn.sh: took $(cs2s $(($(now_cs) - T_START))) s" >&2
exit "$FAILED"
