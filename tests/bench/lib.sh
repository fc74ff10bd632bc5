# shellcheck shell=bash
# Shared helpers for the benchmark scripts.  Source it from bash, as
# root, from the top of the tree:
#
#	. tests/bench/lib.sh
#	bench_raise_ct_max 1200000
#	bench_ns_add fw1
#	ip netns exec "${BENCH_NS[fw1]}" ctsyncd -d ... &
#	bench_pid_add $!
#	t0=$(bench_now)
#	...
#	bench_result commit n=1000000 secs="$(bench_elapsed "$t0")" \
#	    rss_kb="$(bench_rss_kb "$pid")" cpu="$(bench_cpu_secs "$pid")"
#
# Sourcing installs the traps: namespaces, started processes,
# nf_conntrack_max, the conntrack hash size and temporary directories
# are put back on exit, Ctrl-C and TERM.

BENCH_PREFIX="${BENCH_PREFIX:-ctb}"
declare -A BENCH_NS=()		# NAME -> namespace
BENCH_PIDS=()
BENCH_CT_MAX_OLD=""
BENCH_CT_HASHSIZE_OLD=""
BENCH_TMPDIRS=()
BENCH_CLK_TCK="$(getconf CLK_TCK)"

# Create namespace $BENCH_PREFIX$$-NAME with lo up; BENCH_NS[NAME] holds it.
bench_ns_add() {
	local ns="$BENCH_PREFIX$$-$1"

	[ -z "${BENCH_NS[$1]+x}" ] || { echo "bench: $1 exists" >&2; return 1; }
	ip netns add "$ns" || return 1
	BENCH_NS[$1]="$ns"
	ip -n "$ns" link set lo up
}

# Register a background process for cleanup.
bench_pid_add() {
	BENCH_PIDS+=("$1")
}

# nf_conntrack_max is global (read-only inside a namespace): raise it
# from the init namespace; the old value comes back at cleanup.
bench_raise_ct_max() {
	local f=/proc/sys/net/netfilter/nf_conntrack_max cur

	cur="$(cat "$f")" || return 1
	[ -n "$BENCH_CT_MAX_OLD" ] || BENCH_CT_MAX_OLD="$cur"
	[ "$cur" -ge "$1" ] || echo "$1" > "$f"
}

# Delete namespace NAME now (bench_ns_add's name).  Its conntrack table
# is flushed first, synchronously, so the kernel does not free a big
# table in the background while the next measurement runs.
bench_ns_del() {
	local ns="${BENCH_NS[$1]:-}"

	[ -n "$ns" ] || return 0
	ip netns exec "$ns" conntrack -F >/dev/null 2>&1 || true
	ip netns del "$ns" 2>/dev/null || true
	unset "BENCH_NS[$1]"
}

# Stop one registered process now: TERM, 10 s, KILL.
bench_pid_stop() {
	local pid="$1" i p rest=()

	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	for p in "${BENCH_PIDS[@]}"; do
		[ "$p" = "$pid" ] || rest+=("$p")
	done
	BENCH_PIDS=("${rest[@]}")
}

# The conntrack hash table is global (all namespaces share it): resize
# it from the init namespace; the old size comes back at cleanup.
bench_set_ct_hashsize() {
	local f=/sys/module/nf_conntrack/parameters/hashsize cur

	cur="$(cat "$f")" || return 1
	[ -n "$BENCH_CT_HASHSIZE_OLD" ] || BENCH_CT_HASHSIZE_OLD="$cur"
	[ "$cur" -eq "$1" ] || echo "$1" > "$f"
}

# A private directory (mode 755) in BENCH_TMPDIR, removed at cleanup.
# Not in a $(...): the cleanup list would stay in the subshell.
bench_tmpdir() {
	BENCH_TMPDIR="$(mktemp -d "/tmp/$BENCH_PREFIX$$.XXXXXX")" || return 1
	chmod 755 "$BENCH_TMPDIR"
	BENCH_TMPDIRS+=("$BENCH_TMPDIR")
}

# Allocated conntrack objects, all namespaces (slab active objects).
bench_ct_objs() {
	awk '$1 == "nf_conntrack" { print $2; exit }' /proc/slabinfo
}

# Wait (at most $1 s, default 60) until the kernel has finished freeing
# conntrack objects: the slab count changes by < 1000 over half a second.
bench_ct_settle() {
	local max="${1:-60}" a b i

	a="$(bench_ct_objs)"
	for ((i = 0; i < max * 2; i++)); do
		sleep 0.5
		b="$(bench_ct_objs)"
		[ -n "$a" ] && [ -n "$b" ] || return 0
		[ $((a - b)) -lt 1000 ] && [ $((b - a)) -lt 1000 ] && return 0
		a="$b"
	done
	echo "bench: conntrack objects still changing after $max s" >&2
	return 1
}

bench_cleanup() {
	local pid ns i d

	for pid in "${BENCH_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${BENCH_PIDS[@]}"; do
		for ((i = 0; i < 50; i++)); do	# 5 s each at most
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	done
	BENCH_PIDS=()
	for ns in "${BENCH_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null || true
	done
	BENCH_NS=()
	if [ -n "$BENCH_CT_MAX_OLD" ]; then
		echo "$BENCH_CT_MAX_OLD" \
		    > /proc/sys/net/netfilter/nf_conntrack_max || true
		BENCH_CT_MAX_OLD=""
	fi
	if [ -n "$BENCH_CT_HASHSIZE_OLD" ]; then
		echo "$BENCH_CT_HASHSIZE_OLD" \
		    > /sys/module/nf_conntrack/parameters/hashsize || true
		BENCH_CT_HASHSIZE_OLD=""
	fi
	for d in "${BENCH_TMPDIRS[@]}"; do
		rm -rf -- "$d"
	done
	BENCH_TMPDIRS=()
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Monotonic seconds (CLOCK_BOOTTIME, 10 ms resolution), no fork.
bench_now() {
	local up rest

	read -r up rest < /proc/uptime
	echo "$up"
}

# Seconds since T0 (a bench_now value), 2 decimals.
bench_elapsed() {
	awk -v a="$1" -v b="$(bench_now)" 'BEGIN { printf "%.2f\n", b - a }'
}

bench_rss_kb() {
	awk '$1 == "VmRSS:" { print $2; exit }' "/proc/$1/status"
}

# utime + stime in seconds.  Fields counted after the last ')' so a
# command name with spaces or parentheses does not shift them.
bench_cpu_secs() {
	local stat

	stat="$(cat "/proc/$1/stat")" || return 1
	stat="${stat##*) }"
	awk -v t="$BENCH_CLK_TCK" '{ printf "%.2f\n", ($12 + $13) / t }' \
	    <<< "$stat"
}

# Append "NAME KEY=VALUE..." to $BENCH_OUT.
bench_result() {
	local out="${BENCH_OUT:-tests/bench/results/latest.txt}"

	mkdir -p "$(dirname "$out")" || return 1
	echo "$*" >> "$out"
}
