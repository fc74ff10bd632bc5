#!/bin/bash
# Replication benchmark: ctsyncd against conntrackd 1.4.7, both nodes
# running the same daemon, same FTFW-over-UDP configuration, same
# machine, in one run.  For every N and every daemon, two namespaces fw1
# and fw2 are joined by a veth pair (169.254.77.1/.2 on veth0) and:
#
#  (a) replication  tests/rawinsert puts N entries into fw1's kernel
#                   (with events) while both daemons run; timed from the
#                   start of the insert until fw2's external cache holds
#                   N.  Entries still missing when the count has not
#                   grown for BENCH_STALL seconds (default 120) are
#                   recorded as lost.
#  (b) resync       fw2's daemon restarts empty, then "-n" on fw2; timed
#                   until fw2's external cache holds N again.  Three
#                   rounds (BENCH_RESYNCS); the median round is reported.
#  (c) promotion    fw1's daemon restarts empty (its start-up dump of
#                   the kernel table is awaited first), then on fw2 what
#                   the keepalived hook runs: -c, -f, -R, -B; timed from
#                   the start of -c until fw1's external cache holds N.
#  (d) CPU and RSS  utime+stime (/proc/PID/stat) of every daemon process
#                   on both nodes over (a), VmRSS at the end of (a); per
#                   entry: CPU µs / N and RSS bytes / N, per node (for
#                   ctsyncd a node is its monitor, sync and kernel
#                   processes; for conntrackd its single process).
#
# Usage (root, from anywhere):
#	tests/bench/replicate.sh BUILD_DIR [N...]  # default N: 100000 1000000
#
# Cache counters are polled with "-s cache" (external "active objects"),
# which both daemons answer in the same shape.  nf_conntrack_max and the
# conntrack hash size are raised as in commit.sh and restored at exit.
# Raw lines and the table go to tests/bench/results/latest-replicate.txt
# (BENCH_OUT, rewritten every run); the daemons' logs, progress and
# statistics of each N go to tests/bench/results/replicate-N.log.
# Environment: BENCH_STALL (s without progress before entries count as
# lost, 120), BENCH_HASHSIZE (kernel conntrack buckets, 1048576),
# BENCH_DAEMON_HASHSIZE (HashSize of both daemons, 1048576),
# BENCH_DAEMONS ("ctsyncd conntrackd"), BENCH_WAIT_OTHERS (s to wait
# for commit.sh/replicate.sh runs started earlier, 3600), BENCH_RESYNCS
# (rounds of (b), 3; the median is reported, every round in the notes),
# BENCH_PERF (a directory: a system-wide "perf record -g" of (a), of
# each (b) round and of (c) goes there), BENCH_PERF_CALLGRAPH (its
# call graph method: fp, the default, or dwarf for code built without
# frame pointers).

set -u

# A profile of the whole machine while (a), (b) or (c) runs, when
# BENCH_PERF is set.
PERF_PID=""
perf_start() {
	[ -n "${BENCH_PERF:-}" ] && command -v perf >/dev/null || return 0
	mkdir -p "$BENCH_PERF"
	perf record -q -a --call-graph "${BENCH_PERF_CALLGRAPH:-fp}" \
	    -o "$BENCH_PERF/$1.data" >/dev/null 2>&1 &
	PERF_PID=$!
	sleep 0.5
}
perf_stop() {
	[ -n "$PERF_PID" ] || return 0
	kill -INT "$PERF_PID" 2>/dev/null
	wait "$PERF_PID" 2>/dev/null
	PERF_PID=""
}

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
	[[ "$n" =~ ^[1-9][0-9]*$ ]] && [ "$n" -le 8000000 ] || usage
done

cd "$(dirname "$0")/../.." || exit 2
BENCH_PREFIX="${BENCH_PREFIX:-ctbr}"
BENCH_OUT="${BENCH_OUT:-tests/bench/results/latest-replicate.txt}"
. tests/bench/lib.sh
BENCH_SELF=replicate.sh
trap 'perf_stop; bench_cleanup' EXIT
. tests/bench/nodes.sh

RAW="$BUILD/tests/rawinsert"
CTSYNCD="$BUILD/ctsyncd"
CTL="$BUILD/ctsyncctl"
HASHSIZE="${BENCH_HASHSIZE:-1048576}"
DHASHSIZE="${BENCH_DAEMON_HASHSIZE:-1048576}"
STALL="${BENCH_STALL:-120}"
DAEMONS="${BENCH_DAEMONS:-ctsyncd conntrackd}"
RESYNCS="${BENCH_RESYNCS:-3}"
RESULTS_DIR="$(dirname "$BENCH_OUT")"
CTSD_USER=_ctsyncd
CLIENT_TIMEOUT=600
# python3 may be a slow shim; only used for a few JSON reads, not polls
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

die() {
	echo "replicate.sh: $*" >&2
	exit 1
}

FAILED=0
[ "$(id -u)" -eq 0 ] || die "must run as root"
for f in "$RAW" "$CTSYNCD" "$CTL"; do
	[ -x "$f" ] || die "$f missing (make all $BUILD/tests/rawinsert first?)"
done
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
[[ "$RESYNCS" =~ ^[1-9]$ ]] || die "BENCH_RESYNCS must be 1 to 9"
if ! id "$CTSD_USER" >/dev/null 2>&1; then
	useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin "$CTSD_USER" ||
	    die "cannot create user $CTSD_USER"
fi
mkdir -p "$RESULTS_DIR" || die "cannot create $RESULTS_DIR"

cs2s() {	# centiseconds -> seconds, 2 decimals
	printf '%d.%02d' "$(($1 / 100))" "$(($1 % 100))"
}

# ------------------------------------------------------------ the nodes

KIND=""		# ctsyncd | conntrackd, both nodes alike
DIR=""		# the run's private directory
LOG=""		# the per-N log
declare -a MPID=("" "" "")	# daemon (monitor) pid per node
declare -a CHILDREN=("" "" "")	# ctsyncd's sync and kernel pids
declare -a STARTS=(0 0 0)	# how often each node was started

# Every statistic that is safe to ask for, into the log.
node_diag() {
	local i="$1" what="$2" s

	{
		echo "=== $KIND fw$i, $what ($(cs2s "$(now_cs)") s uptime)"
		echo "--- processes: $(node_procs "$i"; echo "$NODE_PROCS")"
		# the kernel's UDP counters: RcvbufErrors are datagrams
		# dropped because the receive buffer was full
		echo "--- /proc/net/snmp Udp"
		ip netns exec "${BENCH_NS[fw$i]}" awk '$1 == "Udp:"' \
		    /proc/net/snmp 2>&1
		if [ "$KIND" = ctsyncd ]; then
			# -s queue and -s rsqueue come at the end of the run
			# only (see node_queue_stats)
			for s in "show status" "-s network" "-s cache" \
			    "-s link" "-s runtime"; do
				echo "--- $s"
				node_ctl "$i" -T 30 $s 2>&1
			done
		else
			for s in "-s" "-s network" "-s cache" "-s link" \
			    "-s runtime" "-s queue" "-s rsqueue"; do
				echo "--- $s"
				node_ctl "$i" -T 30 $s 2>&1
			done
		fi
	} >> "$LOG"
}

# -s queue and -s rsqueue, asked last because with ctsyncd they have
# stopped the daemon: then that is written down.
node_queue_stats() {
	local i="$1" s

	for s in queue rsqueue; do
		{
			echo "=== $KIND fw$i -s $s"
			node_ctl "$i" -T 30 -s "$s" 2>&1
			echo "(exit $?)"
		} >> "$LOG"
		sleep 0.3
		if ! kill -0 "${MPID[$i]}" 2>/dev/null ||
		    [ -z "$(node_cache "$i" external)" ]; then
			echo "!!! $KIND fw$i stopped after -s $s" >> "$LOG"
			warn "$KIND fw$i stopped after '-s $s' (see $LOG)"
			NOTES+="fw${i}_died_on_-s_$s "
			return 1
		fi
	done
}

# Bounded wait until node I's CACHE holds WANT, timed from T0 (cs).
# Gives up when the count has not grown for STALL s.  Progress goes to
# the log.  Sets W_SECS (or "-"), W_GOT, W_LOST.
wait_cache() {
	local i="$1" cache="$2" want="$3" t0="$4" label="$5" out argv

	if [ "$KIND" = ctsyncd ]; then
		argv=("$CTL" -C "$(conf_of "$i")" -s cache)
	elif [ -n "${NSENTER:-}" ]; then
		argv=("$NSENTER" --net="/run/netns/${BENCH_NS[fw$i]}" \
		    conntrackd -C "$(conf_of "$i")" -s cache)
	else
		argv=(ip netns exec "${BENCH_NS[fw$i]}" conntrackd \
		    -C "$(conf_of "$i")" -s cache)
	fi
	out="$("$PY" tests/bench/pollcache.py "$want" "$STALL" "${MPID[$i]}" \
	    "$t0" "$label: fw$i $cache" "$LOG" "cache:$cache" -- "${argv[@]}")"
	read -r W_SECS W_GOT <<< "$out"
	W_SECS="${W_SECS:--}" W_LOST=-
	kill -0 "${MPID[$i]}" 2>/dev/null ||
	    fail "$KIND fw$i: daemon gone during $label"
	isnum "$W_GOT" && W_LOST=$((want - W_GOT))
	[ "$W_LOST" = - ] || [ "$W_LOST" -ge 0 ] || W_LOST=0
}

# "idle total" jiffies of the whole machine, from /proc/stat
machine_ticks() {
	awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i
		print $5 + $6, t; exit }' /proc/stat
}

# percent of the machine idle since "idle total" $1 $2
machine_idle_pct() {
	local i1 t1
	read -r i1 t1 <<< "$(machine_ticks)"
	[ "$t1" -gt "$2" ] || { echo -; return; }
	echo $(((i1 - $1) * 100 / (t1 - $2)))
}

ns_count() {
	ip netns exec "${BENCH_NS[fw$1]}" conntrack -C 2>/dev/null
}

# CPU seconds node I's daemon used since it had used $2, or "-"
cpu_since() {
	local v

	v="$(node_cpu "$1")"
	if isnum "$2" && isnum "$v"; then
		calc "$v - $2"
	else
		echo -
	fi
}

# ctsyncd: until node I's FTFW handshake is done (bounded, 10 s);
# conntrackd has no such state to ask for: a second.
wait_handshake() {
	local k

	if [ "$KIND" != ctsyncd ]; then
		sleep 1
		return
	fi
	for ((k = 0; k < 100; k++)); do
		[ "$(cts_json "$1" peer.handshake_done)" = true ] && return
		sleep 0.1
	done
}

# One (b) round R at N: fw2 restarts empty, then "-n" on fw2, timed
# until its external cache holds N.  Sets R_RES, R_RES_LOST, R_RES_CPU1,
# R_RES_CPU2 and B_IDLE.
resync_once() {
	local n="$1" r="$2" c1 c2 t0 out rc idle0 tot0

	R_RES=- R_RES_LOST=- R_RES_CPU1=- R_RES_CPU2=- B_IDLE=-
	node_stop 2
	node_start 2 || return 1
	wait_handshake 2
	[ "$r" -gt 1 ] || NOTES+="b_fw2_external_before=$(node_cache 2 external) "
	c1="$(node_cpu 1)" c2="$(node_cpu 2)"
	perf_start "b-$KIND-$n-$r"
	read -r idle0 tot0 <<< "$(machine_ticks)"
	t0="$(now_cs)"
	out="$(node_ctl 2 -n 2>&1)"
	rc=$?
	echo "(b) round $r: fw2 -n: exit $rc: $out" >> "$LOG"
	[ "$rc" -eq 0 ] || fail "$KIND n=$n: -n on fw2: exit $rc: $out"
	wait_cache 2 external "$n" "$t0" "(b) round $r"
	B_IDLE="$(machine_idle_pct "$idle0" "$tot0")"
	perf_stop
	R_RES="$W_SECS" R_RES_LOST="$W_LOST"
	R_RES_CPU1="$(cpu_since 1 "$c1")" R_RES_CPU2="$(cpu_since 2 "$c2")"
	node_diag 1 "after (b) round $r"
	node_diag 2 "after (b) round $r"
}

# ----------------------------------------------------------- one run

# Sets R_* for KIND at N.
run_kind() {
	local n="$1" limit="$2" i out rpid rc k t0 c1 c2 v
	local cpu0_1 cpu0_2 cpu1_1 cpu1_2

	R_REP=- R_REP_LOST=- R_INSERT=- R_RES=- R_RES_LOST=- R_PRO=-
	R_PRO_LOST=- R_CPU1=- R_CPU2=- R_RSS1=- R_RSS2=- R_US1=- R_US2=-
	R_BPE1=- R_BPE2=- R_PROCS1="" R_PROCS2="" R_PRO_STEPS=""
	R_RES_CPU1=- R_RES_CPU2=- R_PRO_CPU1=- R_PRO_CPU2=-
	NOTES="load_at_start=$(cut -d' ' -f1 /proc/loadavg) "
	STARTS=(0 0 0)

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
		echo "##### $KIND n=$n $(date -u +%FT%TZ) load $(cat /proc/loadavg)"
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
		[ "$k" -lt 100 ] || NOTES+="no_handshake_before_insert "
	else
		sleep 1
	fi

	# ---- (a) replication of N new entries
	echo "# n=$n $KIND: (a) replication ..." >&2
	cpu0_1="$(node_cpu 1)" cpu0_2="$(node_cpu 2)"
	perf_start "a-$KIND-$n"
	t0="$(now_cs)"
	ip netns exec "${BENCH_NS[fw1]}" "$RAW" -n "$n" -t 3600 \
	    > "$DIR/rawinsert.out" 2>&1 &
	rpid=$!
	bench_pid_add "$rpid"
	wait_cache 2 external "$n" "$t0" "(a)"
	perf_stop
	R_REP="$W_SECS" R_REP_LOST="$W_LOST"
	cpu1_1="$(node_cpu 1)" cpu1_2="$(node_cpu 2)"
	for i in 1 2; do
		node_procs "$i"
		eval "R_PROCS$i=\"\$NODE_PROCS\" R_RSS$i=\$NODE_RSS_KB"
	done
	# rawinsert ends by itself (its ACK wait is bounded)
	for ((k = 0; k < 6000; k++)); do
		kill -0 "$rpid" 2>/dev/null || break
		sleep 0.1
	done
	wait "$rpid"
	rc=$?
	drop_pid "$rpid" rawinsert
	out="$(cat "$DIR/rawinsert.out")"
	echo "(a) rawinsert: $out (exit $rc)" >> "$LOG"
	R_INSERT="$(sed -n 's/.* secs=\([0-9.]*\) .*/\1/p' <<< "$out" | tail -1)"
	[ -n "$R_INSERT" ] || R_INSERT=-
	v="$(sed -n 's/.* errors=\([0-9]*\).*/\1/p' <<< "$out" | tail -1)"
	[ "$rc" -eq 0 ] && [ "${v:-1}" -eq 0 ] ||
	    fail "$KIND n=$n: rawinsert: $out"
	v="$(ns_count 1)"
	[ "$v" = "$n" ] || fail "$KIND n=$n: fw1's kernel has $v entries"
	if isnum "$cpu0_1" && isnum "$cpu1_1"; then
		R_CPU1="$(calc "$cpu1_1 - $cpu0_1")"
		R_US1="$(calc "$R_CPU1 * 1000000 / $n")"
	fi
	if isnum "$cpu0_2" && isnum "$cpu1_2"; then
		R_CPU2="$(calc "$cpu1_2 - $cpu0_2")"
		R_US2="$(calc "$R_CPU2 * 1000000 / $n")"
	fi
	[ "$R_RSS1" -gt 0 ] && R_BPE1=$((R_RSS1 * 1024 / n))
	[ "$R_RSS2" -gt 0 ] && R_BPE2=$((R_RSS2 * 1024 / n))
	NOTES+="a_fw1_internal=$(node_cache 1 internal) "
	if [ "$KIND" = ctsyncd ]; then
		NOTES+="a_fw1_overruns=$(cts_json 1 netlink_overruns) "
	else
		NOTES+="a_fw1_overruns=$(node_ctl 1 -T 20 -s runtime 2>/dev/null |
		    awk -F'\t' '$2 ~ /^netlink overrun:/ { gsub(/ /, "", $NF); print $NF }') "
	fi
	[ "$R_REP_LOST" = 0 ] || fail "$KIND n=$n: (a) $R_REP_LOST entries" \
	    "never reached fw2"
	node_diag 1 "after (a)"
	node_diag 2 "after (a)"

	# ---- (b) fw2 restarts empty and asks for a resync, RESYNCS times
	echo "# n=$n $KIND: (b) resync ..." >&2
	local secs=() cpus1=() cpus2=() idles=() r lost=0
	for ((r = 1; r <= RESYNCS; r++)); do
		resync_once "$n" "$r" || return 1
		secs+=("$R_RES") cpus1+=("$R_RES_CPU1") cpus2+=("$R_RES_CPU2")
		idles+=("$B_IDLE")
		isnum "$R_RES_LOST" && [ "$R_RES_LOST" -gt "$lost" ] &&
		    lost="$R_RES_LOST"
		isnum "$R_RES_LOST" || lost="$R_RES_LOST"
		# a round that lost entries waited out the stall limit:
		# more would only wait again
		[ "$lost" = 0 ] || break
	done
	# the round in the middle by time stands for all of them
	r="$(for ((k = 0; k < ${#secs[@]}; k++)); do
		echo "${secs[$k]} $k"; done | sort -g |
	    awk -v m=$(((${#secs[@]} + 1) / 2)) 'NR == m { print $2 }')"
	R_RES="${secs[$r]}" R_RES_CPU1="${cpus1[$r]}" R_RES_CPU2="${cpus2[$r]}"
	R_RES_LOST="$lost"
	NOTES+="b_rounds_secs=$(IFS=,; echo "${secs[*]}") "
	NOTES+="b_rounds_cpu_fw1=$(IFS=,; echo "${cpus1[*]}") "
	NOTES+="b_rounds_cpu_fw2=$(IFS=,; echo "${cpus2[*]}") "
	NOTES+="b_rounds_machine_idle_pct=$(IFS=,; echo "${idles[*]}") "
	[ "$R_RES_LOST" = 0 ] || fail "$KIND n=$n: (b) $R_RES_LOST entries" \
	    "missing at fw2 after a resync"

	# ---- (c) fw1 restarts empty; fw2 is promoted: -c -f -R -B
	echo "# n=$n $KIND: (c) promotion ..." >&2
	node_stop 1
	node_start 1 || return 1
	# fw1's start-up dump of its kernel table is not part of (c)
	t0="$(now_cs)"
	for ((k = 0; k < (60 + n / 5000) * 10; k++)); do
		[ "$(node_cache 1 internal)" = "$n" ] && break
		sleep 0.1
	done
	NOTES+="c_fw1_startup_dump=$(cs2s $(($(now_cs) - t0)))s "
	NOTES+="c_fw1_internal=$(node_cache 1 internal) "
	NOTES+="c_fw1_external_before=$(node_cache 1 external) "
	NOTES+="c_fw2_kernel_before=$(ns_count 2) "
	wait_handshake 1
	bench_ct_settle 60 || true
	c1="$(node_cpu 1)" c2="$(node_cpu 2)"
	perf_start "c-$KIND-$n"
	t0="$(now_cs)"
	for v in -c -f -R -B; do
		k="$(now_cs)"
		out="$(node_ctl 2 "$v" 2>&1)"
		rc=$?
		R_PRO_STEPS+="${v#-}=$(cs2s $(($(now_cs) - k)))s "
		echo "(c) fw2 $v: exit $rc after $(cs2s $(($(now_cs) - k))) s:" \
		    "$out" >> "$LOG"
		[ "$rc" -eq 0 ] || fail "$KIND n=$n: $v on fw2: exit $rc: $out"
		# what fw1 has got so far, step by step
		NOTES+="c_fw1_external_after_${v#-}=$(node_cache 1 external) "
		[ "$v" = -R ] &&
		    NOTES+="c_fw2_internal_after_R=$(node_cache 2 internal) "
	done
	wait_cache 1 external "$n" "$t0" "(c)"
	perf_stop
	R_PRO="$W_SECS" R_PRO_LOST="$W_LOST"
	R_PRO_CPU1="$(cpu_since 1 "$c1")" R_PRO_CPU2="$(cpu_since 2 "$c2")"
	NOTES+="c_fw2_kernel_after=$(ns_count 2) "
	[ "$R_PRO_LOST" = 0 ] || fail "$KIND n=$n: (c) $R_PRO_LOST entries" \
	    "missing at fw1 after the promotion"
	NOTES+="load_at_end=$(cut -d' ' -f1 /proc/loadavg) "
	node_diag 1 "after (c)"
	node_diag 2 "after (c)"
	node_queue_stats 1
	node_queue_stats 2
	return 0
}

finish_kind() {
	local i

	for i in 1 2; do
		node_stop "$i"
	done
	for i in 1 2; do
		for f in "$DIR/fw$i"/daemon.*.log; do
			[ -f "$f" ] || continue
			echo "=== $KIND fw$i $(basename "$f")"
			cat "$f"
		done
	done >> "$LOG"
	bench_ns_del fw1
	bench_ns_del fw2
	bench_ct_settle 120 || true
}

# --------------------------------------------------------------- main

# one benchmark at a time: wait (bounded) for runs that were here first
bench_wait_others

maxn=0
for n in "${NLIST[@]}"; do
	[ "$n" -gt "$maxn" ] && maxn="$n"
done
ctmax=$((2 * maxn + 100000))
[ "$ctmax" -ge 262144 ] || ctmax=262144
limit=$((4 * maxn))
[ "$limit" -ge 262144 ] || limit=262144
bench_raise_ct_max "$ctmax" || die "cannot raise nf_conntrack_max"
oldhash="$(cat /sys/module/nf_conntrack/parameters/hashsize)"
bench_set_ct_hashsize "$HASHSIZE" || die "cannot set conntrack hashsize"

: > "$BENCH_OUT"
hdr="# replication benchmark $(date -u +%FT%TZ), kernel $(uname -r), $(nproc) CPUs, build $BUILD; FTFW over UDP on a veth pair, both daemons HashSize $DHASHSIZE HashLimit $limit; kernel hashsize $(cat /sys/module/nf_conntrack/parameters/hashsize) (was $oldhash), nf_conntrack_max $(cat /proc/sys/net/netfilter/nf_conntrack_max); stall limit ${STALL}s; other benchmark runs at the start: ${OTHERS_AT_START:-none}; conntrackd: $(command -v conntrackd >/dev/null && conntrackd -v 2>&1 | head -1)"
echo "$hdr"
echo "$hdr" >> "$BENCH_OUT"

# shellcheck disable=SC2034  # read through namerefs (declare -n)
ROWS=() RATIOS=() MARGINAL=()
declare -A RSSN1=() RSSN2=()
for N in "${NLIST[@]}"; do
	LOG="$RESULTS_DIR/replicate-$N.log"
	: > "$LOG"
	declare -A US1=() US2=() BPE1=() BPE2=() RES=()
	# shellcheck disable=SC2034  # the arrays are read through namerefs
	for KIND in $DAEMONS; do
		run_kind "$N" "$limit" || fail "$KIND n=$N: run stopped early"
		finish_kind
		line="replicate n=$N daemon=$KIND date=$(date -u +%FT%TZ)"
		line+=" replication_secs=$R_REP replication_lost=$R_REP_LOST"
		line+=" insert_secs=$R_INSERT"
		line+=" resync_secs=$R_RES resync_lost=$R_RES_LOST"
		line+=" promotion_secs=$R_PRO promotion_lost=$R_PRO_LOST"
		line+=" promotion_steps=${R_PRO_STEPS% }"
		line+=" fw1_cpu_secs=$R_CPU1 fw2_cpu_secs=$R_CPU2"
		line+=" fw1_cpu_us_per_entry=$R_US1 fw2_cpu_us_per_entry=$R_US2"
		line+=" fw1_rss_kb=$R_RSS1 fw2_rss_kb=$R_RSS2"
		line+=" fw1_rss_bytes_per_entry=$R_BPE1"
		line+=" fw2_rss_bytes_per_entry=$R_BPE2"
		line+=" fw1_procs=[$R_PROCS1] fw2_procs=[$R_PROCS2]"
		line+=" resync_cpu_fw1=$R_RES_CPU1 resync_cpu_fw2=$R_RES_CPU2"
		line+=" promotion_cpu_fw1=$R_PRO_CPU1"
		line+=" promotion_cpu_fw2=$R_PRO_CPU2 ${NOTES% }"
		echo "$line"
		echo "$line" >> "$BENCH_OUT"
		ROWS+=("| $N | $KIND | $R_REP | $R_REP_LOST | $R_RES |\
 $R_RES_LOST | $R_PRO | $R_PRO_LOST | $R_US1 | $R_US2 | $R_BPE1 |\
 $R_BPE2 |")
		RSSN1["$N/$KIND"]="$R_RSS1" RSSN2["$N/$KIND"]="$R_RSS2"
		US1[$KIND]="$R_US1" US2[$KIND]="$R_US2"
		BPE1[$KIND]="$R_BPE1" BPE2[$KIND]="$R_BPE2" RES[$KIND]="$R_RES"
	done
	# ctsyncd / conntrackd per node: the target is <= 0.5
	r=()
	for v in US1 US2 BPE1 BPE2; do
		declare -n arr="$v"
		if isnum "${arr[ctsyncd]:-}" && isnum "${arr[conntrackd]:-}" &&
		    awk "BEGIN { exit !(${arr[conntrackd]} > 0) }"; then
			r+=("$(calc "${arr[ctsyncd]} / ${arr[conntrackd]}")")
		else
			r+=(-)
		fi
		unset -n arr
	done
	RATIOS+=("| $N | ${r[0]} | ${r[1]} | ${r[2]} | ${r[3]} | ${RES[ctsyncd]:--} |")
	unset US1 US2 BPE1 BPE2 RES
done

# RSS growth per entry between consecutive N (fixed costs cancel out)
for ((k = 1; k < ${#NLIST[@]}; k++)); do
	a="${NLIST[k - 1]}" b="${NLIST[k]}"
	[ "$b" -gt "$a" ] || continue
	row="| $a → $b |" kv=""
	for KIND in $DAEMONS; do
		for v in 1 2; do
			declare -n arr="RSSN$v"
			x="${arr[$a/$KIND]:-}" y="${arr[$b/$KIND]:-}"
			g=-
			[[ "$x" =~ ^[0-9]+$ ]] && [[ "$y" =~ ^[0-9]+$ ]] &&
			    g=$(((y - x) * 1024 / (b - a)))
			row+=" $g |"
			kv+=" ${KIND}_fw${v}_bytes_per_entry=$g"
			unset -n arr
		done
	done
	MARGINAL+=("$row")
	bench_result "replicate_rss_growth n=$a..$b$kv"
done

{
	echo
	echo "| N | daemon | (a) replication s | (a) lost | (b) resync s |" \
	    "(b) lost | (c) promotion s | (c) lost | fw1 CPU µs/entry |" \
	    "fw2 CPU µs/entry | fw1 RSS B/entry | fw2 RSS B/entry |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	printf '%s\n' "${ROWS[@]}"
	echo
	echo "| N | ctsyncd/conntrackd CPU fw1 | CPU fw2 | RSS fw1 | RSS fw2 |" \
	    "ctsyncd resync s |"
	echo "|---:|---:|---:|---:|---:|---:|"
	printf '%s\n' "${RATIOS[@]}"
	if [ ${#MARGINAL[@]} -gt 0 ]; then
		echo
		printf '| RSS growth, N |'
		for KIND in $DAEMONS; do
			printf ' %s fw1 B/entry | %s fw2 B/entry |' "$KIND" "$KIND"
		done
		echo
		printf '|---|'
		for KIND in $DAEMONS; do printf -- '---:|---:|'; done
		echo
		printf '%s\n' "${MARGINAL[@]}"
	fi
	echo
	echo "(a) from the start of rawinsert on fw1 until fw2's external" \
	    "cache holds N; (b) from -n on a freshly restarted fw2; (c) from" \
	    "-c on fw2 (then -f -R -B) until a freshly restarted fw1's" \
	    "external cache holds N.  lost: entries missing when the count" \
	    "had not grown for ${STALL} s.  CPU: utime+stime of all the" \
	    "node's daemon processes over (a), including any recovery from" \
	    "an event overrun and the ${STALL} s wait when entries went" \
	    "missing; RSS: their VmRSS at the end of (a) (fw1: internal" \
	    "cache, fw2: external cache); RSS growth: (RSS at the larger N -" \
	    "RSS at the smaller N) / difference of N, so fixed costs cancel" \
	    "out.  Targets: ctsyncd/conntrackd <= 0.5, resync of 1M <= 0.5 s," \
	    "lost = 0."
} | tee -a "$BENCH_OUT"
exit "$FAILED"
