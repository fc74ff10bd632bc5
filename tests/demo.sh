#!/bin/bash
# make demo: two firewalls in network namespaces joined by a sync link,
# each running ctsyncd.  Shows the privilege-separated processes and the
# control interface.  Cleans up on exit and on Ctrl-C.
set -euo pipefail

B="${1:-build}"
TAG="ctdemo$$"
RUN="/run/$TAG"
USER_NAME="_ctsyncd"
declare -A PIDS=()

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

cleanup() {
	local fw
	for fw in "${!PIDS[@]}"; do
		kill -TERM "${PIDS[$fw]}" 2>/dev/null || true
	done
	sleep 0.5
	for fw in fw1 fw2; do
		ip netns del "$TAG-$fw" 2>/dev/null || true
	done
	rm -rf "$RUN"
}
trap cleanup EXIT
trap 'echo; echo "interrupted, cleaning up"; exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || { echo "make demo must run as root" >&2; exit 1; }
if ! getent passwd "$USER_NAME" >/dev/null; then
	say "creating the unprivileged system user $USER_NAME"
	useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin "$USER_NAME"
fi

say "two firewalls, fw1 and fw2, joined by a veth sync link"
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
	printf "%s: " "$fw"; ip -n "$TAG-$fw" -br addr show dev sync0
done

write_conf() {
	local fw=$1 me=$2 peer=$3
	mkdir -p "$RUN/$fw/empty"
	cat > "$RUN/$fw/ctsyncd.conf" <<CONF
Sync {
	Mode FTFW {
		StartupResync on
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
	LockFile $RUN/$fw/ctsyncd.lock
	UNIX {
		Path $RUN/$fw/ctsyncd.ctl
	}
}
CONF
}
write_conf fw1 169.254.100.1 169.254.100.2
write_conf fw2 169.254.100.2 169.254.100.1

say "configuration check (ctsyncd -n)"
for fw in fw1 fw2; do
	printf '%s: ' "$fw"
	"$B/ctsyncd" -n -C "$RUN/$fw/ctsyncd.conf"
done

say "starting ctsyncd on both firewalls"
for fw in fw1 fw2; do
	ip netns exec "$TAG-$fw" "$B/ctsyncd" -C "$RUN/$fw/ctsyncd.conf"
	for _ in $(seq 1 50); do
		[ -s "$RUN/$fw/ctsyncd.lock" ] && [ -S "$RUN/$fw/ctsyncd.ctl" ] && break
		sleep 0.1
	done
	PIDS[$fw]=$(cat "$RUN/$fw/ctsyncd.lock")
	echo "$fw: monitor pid ${PIDS[$fw]}"
done
sleep 0.5

say "fw1: ctsyncctl -s process"
"$B/ctsyncctl" -C "$RUN/fw1/ctsyncd.conf" -s process

say "fw1: what each process may do (from /proc)"
printf '%-8s %-6s %-8s %-18s %-4s %-8s %s\n' process pid uid CapEff NNP seccomp root
while read -r line; do
	pid=${line#PID=}; pid=${pid%% *}; role=${line##*type=}
	st=/proc/$pid/status
	printf '%-8s %-6s %-8s %-18s %-4s %-8s %s\n' "$role" "$pid" \
	    "$(awk '/^Uid:/{print $2}' "$st")" "$(awk '/^CapEff:/{print $2}' "$st")" \
	    "$(awk '/^NoNewPrivs:/{print $2}' "$st")" \
	    "$(awk '/^Seccomp:/{print $2}' "$st")" "$(readlink /proc/$pid/root)"
done < <("$B/ctsyncctl" -C "$RUN/fw1/ctsyncd.conf" -s process)

say "fw2: ctsyncctl show status"
"$B/ctsyncctl" -C "$RUN/fw2/ctsyncd.conf" show status

say "fw2: ctsyncctl -j -s runtime (JSON for scripts)"
"$B/ctsyncctl" -C "$RUN/fw2/ctsyncd.conf" -j -s runtime | head -12

say "replication"
echo "Kernel events, caches and the sync protocol are not implemented yet;"
"$B/ctsyncctl" -C "$RUN/fw2/ctsyncd.conf" -c && true
echo "(exit status $? = not implemented)"

say "stopping both daemons (ctsyncctl -k)"
for fw in fw1 fw2; do
	"$B/ctsyncctl" -C "$RUN/$fw/ctsyncd.conf" -k
	unset "PIDS[$fw]"
done
echo "done; namespaces and files are removed on exit"
