# Two firewall namespaces fw1 and fw2, each running ctsyncd or
# conntrackd: configuration, client, start, stop and process figures,
# shared by replicate.sh and churn.sh.  Sourced after lib.sh; the
# caller sets BENCH_SELF (its name, for messages), KIND, DIR, N, LOG
# and the arrays MPID, CHILDREN and STARTS, and may set NSENTER.

fail() {	# a failed check; the run goes on
	echo "$BENCH_SELF: FAIL: $*" >&2
	[ -z "${LOG:-}" ] || echo "FAIL: $*" >> "$LOG"
	FAILED=1
}

warn() {
	echo "$BENCH_SELF: $*" >&2
}

# awk arithmetic, 2 decimals
calc() {
	awk "BEGIN { printf \"%.2f\", $* }"
}

isnum() {
	[[ "${1:-}" =~ ^[0-9]+(\.[0-9]+)?$ ]]
}

# /proc/uptime in centiseconds, no fork
now_cs() {
	local up rest

	read -r up rest < /proc/uptime
	up="${up/./}"
	echo "$((10#$up))"
}

# Other benchmark runs that started before this one (not our ancestors
# or subshells): they would share the CPUs and the global sysctls.
bench_others() {
	local p q mine st stat fam=" "

	q=$$
	while [ -n "$q" ] && [ "$q" -gt 1 ]; do	# our ancestors
		fam+="$q "
		q="$(ps -o ppid= -p "$q" 2>/dev/null | tr -d ' ')"
	done
	stat="$(cat /proc/$$/stat)"
	stat="${stat##*) }"
	mine="$(awk '{ print $20 }' <<< "$stat")"
	for p in $(pgrep -f 'tests/bench/(commit|replicate|churn)\.sh' \
	    2>/dev/null); do
		[[ "$fam" == *" $p "* ]] && continue
		q="$p"		# a subshell of ours?
		while [ -n "$q" ] && [ "$q" -gt 1 ]; do
			[ "$q" = $$ ] && continue 2
			q="$(ps -o ppid= -p "$q" 2>/dev/null | tr -d ' ')"
		done
		stat="$(cat "/proc/$p/stat" 2>/dev/null)" || continue
		stat="${stat##*) }"
		st="$(awk '{ print $20 }' <<< "$stat")"
		[ "$st" -le "$mine" ] && echo "$p"
	done
}

# One benchmark at a time: wait, at most BENCH_WAIT_OTHERS s (3600),
# for the runs that were here first.  OTHERS_AT_START: their pids.
bench_wait_others() {
	local others k

	others="$(bench_others)"
	OTHERS_AT_START="$(echo $others)"
	[ -n "$others" ] || return 0
	warn "waiting for other benchmark runs to end (pid $(echo $others))," \
	    "at most ${BENCH_WAIT_OTHERS:-3600} s"
	for ((k = 0; k < ${BENCH_WAIT_OTHERS:-3600}; k += 5)); do
		others="$(bench_others)"
		[ -z "$others" ] && return 0
		sleep 5
	done
	warn "still running: $(echo $others); going on"
}

conf_of() {
	echo "$DIR/fw$1/$KIND.conf"
}

node_conf() {
	local i="$1" j=$((3 - $1)) d="$DIR/fw$1" limit="$2"

	mkdir -p "$d/empty" "$d/run"
	chmod 755 "$d" "$d/empty"
	{
		echo "General {"
		if [ "$KIND" = ctsyncd ]; then
			# ctsyncd makes its run directory for its user
			rmdir "$d/run"
			cat <<EOF
	User $CTSD_USER
	Chroot $d/empty
	LockFile $d/run/ctsyncd.lock
	UNIX { Path $d/run/ctsyncd.ctl }
EOF
		else
			cat <<EOF
	Systemd no
	LockFile $d/run/conntrackd.lock
	UNIX { Path $d/run/conntrackd.ctl }
EOF
		fi
		cat <<EOF
	HashSize $DHASHSIZE
	HashLimit $limit
	NetlinkBufferSize 2097152
	NetlinkBufferSizeMaxGrowth 8388608
}
Sync {
	Mode FTFW { }
	UDP {
		IPv4_address 169.254.77.$i
		IPv4_Destination_Address 169.254.77.$j
		Port 3780
		Interface veth0
	}
}
EOF
	} > "$(conf_of "$i")"
	chmod 644 "$(conf_of "$i")"
}

# the client of node i, bounded
node_ctl() {
	local i="$1" t="$CLIENT_TIMEOUT"; shift
	[ "$1" = -T ] && { t="$2"; shift 2; }
	if [ "$KIND" = ctsyncd ]; then
		timeout --foreground -k 5 "$t" "$CTL" -C "$(conf_of "$i")" "$@"
	else
		# conntrackd's client parses the whole file (Interface
		# included): run it where the interface exists
		if [ -n "${NSENTER:-}" ]; then
			timeout --foreground -k 5 "$t" "$NSENTER" \
			    --net="/run/netns/${BENCH_NS[fw$i]}" \
			    conntrackd -C "$(conf_of "$i")" "$@"
		else
			timeout --foreground -k 5 "$t" ip netns exec \
			    "${BENCH_NS[fw$i]}" conntrackd -C "$(conf_of "$i")" "$@"
		fi
	fi
}

# node_cache I internal|external: active objects, "" if no answer
node_cache() {
	node_ctl "$1" -T 20 -s cache 2>/dev/null |
	    awk -v c="cache:$2" '$1 == c { print $NF; exit }'
}

# a ctsyncd status field from the JSON (top level or unique key)
cts_json() {
	node_ctl "$1" -T 20 -j show status 2>/dev/null | "$PY" -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k]
print(str(v).lower() if isinstance(v, bool) else v)' "$2" 2>/dev/null
}

# A ctsyncd child of monitor MPID: process title, parent and chroot.
cts_child() {
	local role="$1" mpid="$2" root="$3" p

	for p in $(pgrep -f "^ctsyncd: $role" 2>/dev/null); do
		[ "$(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ')" = "$mpid" ] ||
		    continue
		[ "$(readlink "/proc/$p/root" 2>/dev/null)" = "$root" ] ||
		    continue
		echo "$p"
		return 0
	done
	return 1
}

node_start() {
	local i="$1" log pid k max spid kpid

	STARTS[$i]=$((STARTS[$i] + 1))
	log="$DIR/fw$i/daemon.${STARTS[$i]}.log"
	# a large kernel table is dumped before the socket answers
	max=$((100 + N / 5000))
	if [ "$KIND" = ctsyncd ]; then
		ip netns exec "${BENCH_NS[fw$i]}" "$CTSYNCD" -d \
		    -C "$(conf_of "$i")" 2> "$log" &
	else
		rm -f "$DIR/fw$i/run/conntrackd.lock"
		# console mode in the background: $! is the daemon
		ip netns exec "${BENCH_NS[fw$i]}" conntrackd \
		    -C "$(conf_of "$i")" > "$log" 2>&1 &
	fi
	pid=$!
	bench_pid_add "$pid"
	MPID[$i]="$pid"
	CHILDREN[$i]=""
	for ((k = 0; k < max * 10; k++)); do
		kill -0 "$pid" 2>/dev/null || break
		[ -n "$(node_cache "$i" external)" ] && break
		sleep 0.1
	done
	if [ -z "$(node_cache "$i" external)" ]; then
		fail "$KIND fw$i did not start"
		tail -n 20 "$log" >&2
		return 1
	fi
	if [ "$KIND" = ctsyncd ]; then
		spid="$(cts_child sync "$pid" "$DIR/fw$i/empty")"
		kpid="$(cts_child kernel "$pid" "$DIR/fw$i/empty")"
		if [ -z "$spid" ] || [ -z "$kpid" ]; then
			fail "ctsyncd fw$i: sync ($spid) or kernel ($kpid)" \
			    "process not found"
			return 1
		fi
		CHILDREN[$i]="$spid $kpid"
		bench_pid_add "$spid"
		bench_pid_add "$kpid"
	fi
	return 0
}

# Forget a pid that is gone (or kill it if it still is ours).
drop_pid() {
	local pid="$1" want="$2" p rest=()

	if kill -0 "$pid" 2>/dev/null &&
	    tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "$want"
	then
		kill -KILL "$pid" 2>/dev/null || true
	fi
	for p in "${BENCH_PIDS[@]}"; do
		[ "$p" = "$pid" ] || rest+=("$p")
	done
	BENCH_PIDS=("${rest[@]}")
}

# stop node i: TERM to the daemon, 20 s, KILL; then its children
node_stop() {
	local i="$1" pid="${MPID[$1]}" k c

	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((k = 0; k < 200; k++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		fail "$KIND fw$i: still running 20 s after TERM, killed"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null
	drop_pid "$pid" "$KIND"
	for c in ${CHILDREN[$i]}; do
		for ((k = 0; k < 50; k++)); do
			kill -0 "$c" 2>/dev/null || break
			sleep 0.1
		done
		drop_pid "$c" "ctsyncd: "
	done
	MPID[$i]=""
	CHILDREN[$i]=""
	[ "$KIND" = conntrackd ] && rm -f "$DIR/fw$i/run/conntrackd.lock"
	return 0
}

node_pids() {	# "role:pid ..." of node i
	local i="$1"

	if [ "$KIND" = ctsyncd ]; then
		set -- ${CHILDREN[$i]}
		echo "monitor:${MPID[$i]} sync:${1:-} kernel:${2:-}"
	else
		echo "conntrackd:${MPID[$i]}"
	fi
}

# CPU seconds of node i (all its processes); "" when one is missing
node_cpu() {
	local rp c sum=0.00

	for rp in $(node_pids "$1"); do
		c="$(bench_cpu_secs "${rp#*:}" 2>/dev/null)" || return 1
		isnum "$c" || return 1
		sum="$(calc "$sum + $c")"
	done
	echo "$sum"
}

# "role=cpu_s/rss_kB/sleeps ..." of node i, and NODE_RSS_KB (sum);
# sleeps: voluntary context switches so far, each one a later wake-up
node_procs() {
	local rp c r w out=""

	NODE_RSS_KB=0
	for rp in $(node_pids "$1"); do
		c="$(bench_cpu_secs "${rp#*:}" 2>/dev/null)"
		r="$(bench_rss_kb "${rp#*:}" 2>/dev/null)"
		w="$(awk '$1 == "voluntary_ctxt_switches:" { print $2 }' \
		    "/proc/${rp#*:}/status" 2>/dev/null)"
		out+="${rp%%:*}=${c:-?}s/${r:-?}kB/${w:-?}w "
		isnum "$r" && NODE_RSS_KB=$((NODE_RSS_KB + r))
	done
	NODE_PROCS="${out% }"
}
