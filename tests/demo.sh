#!/bin/bash
# make demo: the whole story of a firewall pair.  Two firewalls in
# network namespaces joined by a sync link run ctsyncd (FTFW over UDP);
# a few thousand connections appear on fw1 and replicate to fw2; fw1
# fails; the keepalived hook's MASTER sequence on fw2 puts the flows in
# fw2's kernel table.  Everything it creates is removed on exit, also on
# Ctrl-C: only the processes it started, only its own namespaces.
set -euo pipefail

B="${1:-build}"
FLOWS="${DEMO_FLOWS:-5000}"
TAG="ctdemo$$"
RUN="/run/$TAG"
USER_NAME="_ctsyncd"
HOOK="$(cd "$(dirname "$0")/.." && pwd)/contrib/keepalived/ctsyncd-notify.sh"
declare -A PIDS=()	# fw -> monitor pid
declare -a KIDS=()	# the monitors' children, as they were at start

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
note() { printf '   %s\n' "$*"; }
ctl() { local fw=$1; shift; "$B/ctsyncctl" -C "$RUN/$fw/ctsyncd.conf" "$@"; }
ns() { local fw=$1; shift; ip netns exec "$TAG-$fw" "$@"; }

# kill a pid only if it still is ours: a ctsyncd process in our chroot
ours() {
	case "$(readlink "/proc/$1/root" 2>/dev/null)" in
	"$RUN"/*/empty|/) [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = \
	    "$(readlink -f "$B/ctsyncd")" ] ;;
	*) return 1 ;;
	esac
}

cleanup() {
	local fw p
	set +e
	trap - INT TERM
	for fw in "${!PIDS[@]}"; do
		kill -TERM "${PIDS[$fw]}" 2>/dev/null || true
	done
	for _ in $(seq 1 50); do
		p=0
		for fw in "${!PIDS[@]}"; do
			kill -0 "${PIDS[$fw]}" 2>/dev/null && p=1
		done
		[ "$p" -eq 0 ] && break
		sleep 0.1
	done
	for p in "${PIDS[@]}" "${KIDS[@]}"; do
		ours "$p" && kill -KILL "$p" 2>/dev/null || true
	done
	for fw in fw1 fw2; do
		ip netns del "$TAG-$fw" 2>/dev/null || true
	done
	rm -rf "$RUN"
}
trap cleanup EXIT
interrupted() { echo; echo "interrupted, cleaning up"; exit 130; }
trap interrupted INT TERM

[ "$(id -u)" -eq 0 ] || { echo "make demo must run as root" >&2; exit 1; }
[ -x "$B/tests/rawinsert" ] || { echo "missing $B/tests/rawinsert" >&2; exit 1; }
if ! getent passwd "$USER_NAME" >/dev/null; then
	say "creating the unprivileged system user $USER_NAME"
	useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin "$USER_NAME"
fi

say "two firewalls, fw1 and fw2, joined by a veth sync link"
note "each firewall is a network namespace with its own conntrack table"
mkdir -p "$RUN"
ip netns add "$TAG-fw1"
ip netns add "$TAG-fw2"
ip link add sync0 netns "$TAG-fw1" type veth peer name sync0 netns "$TAG-fw2"
ip -n "$TAG-fw1" addr add 169.254.100.1/24 dev sync0
ip -n "$TAG-fw2" addr add 169.254.100.2/24 dev sync0
for fw in fw1 fw2; do
	ip -n "$TAG-$fw" link set lo up
	ip -n "$TAG-$fw" link set sync0 up
done
for fw in fw1 fw2; do
	printf "   %s: " "$fw"; ip -n "$TAG-$fw" -br addr show dev sync0
done

write_conf() {
	local fw=$1 me=$2 peer=$3
	mkdir -p "$RUN/$fw/empty"
	cat > "$RUN/$fw/ctsyncd.conf" <<CONF
Sync {
	Mode FTFW {
		PurgeTimeout 15
	}
	UDP Default {
		IPv4_address $me
		IPv4_Destination_Address $peer
		Port 3780
		Interface sync0
	}
}
General {
	User $USER_NAME
	Chroot $RUN/$fw/empty
	LockFile $RUN/$fw/run/ctsyncd.lock
	UNIX {
		Path $RUN/$fw/run/ctsyncd.ctl
	}
}
CONF
}
write_conf fw1 169.254.100.1 169.254.100.2
write_conf fw2 169.254.100.2 169.254.100.1

say "the configuration (conntrackd's language), checked with ctsyncd -n"
sed 's/^/   /' "$RUN/fw1/ctsyncd.conf"
for fw in fw1 fw2; do
	printf '   %s: ' "$fw"
	"$B/ctsyncd" -n -C "$RUN/$fw/ctsyncd.conf" 2>&1
done

say "starting ctsyncd on both firewalls"
for fw in fw1 fw2; do
	# not through ns(): $! must be the daemon (ip netns exec execs it)
	ip netns exec "$TAG-$fw" "$B/ctsyncd" -d -C "$RUN/$fw/ctsyncd.conf" \
	    2> "$RUN/$fw/log" &
	PIDS[$fw]=$!
	for _ in $(seq 1 50); do
		ctl "$fw" show status >/dev/null 2>&1 && break
		kill -0 "${PIDS[$fw]}" 2>/dev/null ||
		    { cat "$RUN/$fw/log"; exit 1; }
		sleep 0.1
	done
	while read -r line; do
		p=${line#PID=}; p=${p%% *}
		[ "$p" = "${PIDS[$fw]}" ] || KIDS+=("$p")
	done < <(ctl "$fw" -s process)
	note "$fw: monitor pid ${PIDS[$fw]} (log: $RUN/$fw/log)"
done

say "fw1: three processes, and what each may do (from /proc)"
printf '   %-8s %-6s %-8s %-18s %-4s %-8s %s\n' process pid uid CapEff NNP seccomp root
while read -r line; do
	pid=${line#PID=}; pid=${pid%% *}; role=${line##*type=}
	awk -v role="$role" -v pid="$pid" '
	    $1 == "Uid:" { u = $2 } $1 == "CapEff:" { c = $2 }
	    $1 == "NoNewPrivs:" { n = $2 } $1 == "Seccomp:" { s = $2 }
	    END { printf "   %-8s %-6s %-8s %-18s %-4s %-8s ", role, pid,
	        u, c, n, s }' "/proc/$pid/status"
	readlink "/proc/$pid/root"
done < <(ctl fw1 -s process)
note "only the kernel process keeps a capability (CAP_NET_ADMIN = 1000);"
note "all three run as $USER_NAME, chrooted, with a seccomp filter (2)"

say "fw1 handles traffic: $FLOWS connections appear in its kernel table"
ns fw1 "$B/tests/rawinsert" -n "$FLOWS" -t 600 | sed 's/^/   /'
note "fw1 kernel: $(ns fw1 conntrack -C) entries"
note "fw2 kernel: $(ns fw2 conntrack -C) entries"

external_count() {
	ctl fw2 -j show status | python3 -c \
	    'import json,sys; print(json.load(sys.stdin)["caches"]["external"]["active"])'
}

say "ctsyncd on fw1 sends them to fw2, which keeps them in its external cache"
got=0
for _ in $(seq 1 300); do
	got=$(external_count)
	printf '\r   fw2 external cache: %6d / %d' "$got" "$FLOWS"
	[ "$got" -ge "$FLOWS" ] && break
	sleep 0.1
done
echo
[ "$got" -ge "$FLOWS" ] || { echo "replication did not complete" >&2; exit 1; }
note "fw2 is a hot standby: it knows every connection, its kernel does not"
note "need them yet (fw2 kernel: $(ns fw2 conntrack -C) entries)"
echo
ctl fw2 show status | sed 's/^/   /'

say "fw1 fails: its daemon stops (keepalived moves the virtual IPs to fw2)"
kill -TERM "${PIDS[fw1]}"
wait "${PIDS[fw1]}" || true
unset "PIDS[fw1]"
note "fw1's ctsyncd is gone"

say "keepalived on fw2 runs the hook: ctsyncd-notify.sh master"
note "commit (-c), flush caches (-f), resync from the kernel (-R), bulk send (-B)"
set +e
ns fw2 env CTSYNCCTL="$B/ctsyncctl" CTSYNCD_CONF="$RUN/fw2/ctsyncd.conf" \
    CTSYNCD_NOTIFY_LOCK= CTSYNCD_NOTIFY_DEFAULTS=/nonexistent \
    "$HOOK" master 2>&1 | sed 's/^/   /'
rc=${PIPESTATUS[0]}
set -e
note "hook exit status: $rc (0: every step succeeded)"
[ "$rc" -eq 0 ] || exit 1

say "fw2's kernel table now holds fw1's connections"
norm() {
	ns "$1" conntrack -L 2>/dev/null |
	    sed -E 's/^([a-z0-9-]+ +[0-9]+) [0-9]+ /\1 /; s/ use=[0-9]+//' | sort
}
note "fw1 kernel: $(ns fw1 conntrack -C) entries"
note "fw2 kernel: $(ns fw2 conntrack -C) entries"
# sed, not head: conntrack must not die of SIGPIPE (pipefail)
ns fw2 conntrack -L 2>/dev/null | sed -n 's/^/   /; 1,3p'
if diff -q <(norm fw1) <(norm fw2) >/dev/null; then
	note "the two tables are identical (apart from timers): no connection"
	note "is reset by the failover"
else
	echo "   the tables differ:" >&2
	diff <(norm fw1) <(norm fw2) | head -n 10 >&2
	exit 1
fi

say "done; namespaces, daemons and files are removed on exit"
