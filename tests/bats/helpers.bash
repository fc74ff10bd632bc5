# Shared set-up for ctsyncd's bats tests: throwaway users and groups,
# a network namespace per test, a private run directory, and cleanup of
# every process the test started, also when it fails.

B="${CTSYNCD_BUILD:-$BATS_TEST_DIRNAME/../../build}"
CTSYNCD="$B/ctsyncd"
CTSYNCD_TEST="$B/ctsyncd-testhooks"

# Once per file: users and groups named after the bats process.
cts_setup_users() {
	export CTS_TAG="ct$$"
	export CTS_USER="${CTS_TAG}d" CTS_GROUP="${CTS_TAG}g"
	export CTS_ADMGRP="${CTS_TAG}a"
	export CTS_READER="${CTS_TAG}r" CTS_ADMIN="${CTS_TAG}m"
	export CTS_STRANGER="${CTS_TAG}s"
	groupadd "$CTS_GROUP"
	groupadd "$CTS_ADMGRP"
	useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin "$CTS_USER"
	useradd --no-create-home -G "$CTS_GROUP" "$CTS_READER"
	useradd --no-create-home -G "$CTS_GROUP,$CTS_ADMGRP" "$CTS_ADMIN"
	useradd --no-create-home "$CTS_STRANGER"
}

cts_teardown_users() {
	for u in "$CTS_USER" "$CTS_READER" "$CTS_ADMIN" "$CTS_STRANGER"; do
		userdel "$u" 2>/dev/null || true
	done
	for g in "$CTS_GROUP" "$CTS_ADMGRP" "$CTS_USER"; do
		groupdel "$g" 2>/dev/null || true
	done
}

# Per test: namespace, run dir (traversable by the test users), config.
cts_setup() {
	export NS="ctsd$$t${BATS_TEST_NUMBER}"
	export RUN="/tmp/ctsyncd-test.$$.${BATS_TEST_NUMBER}"
	rm -rf "$RUN"
	mkdir -p "$RUN/empty"
	chmod 755 "$RUN" "$RUN/empty"
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	# the configured sync link; its far end stays in the namespace
	ip -n "$NS" link add veth0 type veth peer name veth1
	ip -n "$NS" addr add 169.254.77.1/24 dev veth0
	ip -n "$NS" link set veth0 up
	ip -n "$NS" link set veth1 up
	# users other than root run the client from here
	cp "$B/ctsyncctl" "$RUN/ctsyncctl"
	chmod 755 "$RUN/ctsyncctl"
	CTL="$RUN/ctsyncctl"
	CONF="$RUN/ctsyncd.conf"
	DLOG="$RUN/daemon.log"
	SOCK="$RUN/run/ctsyncd.ctl"
	LOCK="$RUN/run/ctsyncd.lock"
	cts_write_conf
}

cts_write_conf() {
	cat > "$CONF" <<CONF
General {
	User $CTS_USER
	Chroot $RUN/empty
	LockFile $RUN/run/ctsyncd.lock
	UNIX {
		Path $RUN/run/ctsyncd.ctl
		Group $CTS_GROUP
		AdminGroup $CTS_ADMGRP
	}
${CTS_GENERAL_EXTRA:-}
}
Sync {
	Mode FTFW { }
${CTS_SYNC_EXTRA:-}
	UDP {
		IPv4_address 169.254.77.1
		IPv4_Destination_Address 169.254.77.2
		Port 3780
		Interface veth0
	}
}
CONF
	chmod 644 "$CONF"
}

cts_teardown() {
	local p
	if [ -n "${DPID:-}" ]; then
		kill -TERM "$DPID" 2>/dev/null || true
		for _ in $(seq 1 50); do
			kill -0 "$DPID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$DPID" 2>/dev/null || true
	fi
	# any ctsyncd still running from this test's config
	for p in $(pgrep -f "ctsyncd(-testhooks)?: " 2>/dev/null); do
		if [ "$(readlink /proc/$p/root 2>/dev/null)" = "$RUN/empty" ]; then
			kill -KILL "$p" 2>/dev/null || true
		fi
	done
	ip netns del "$NS" 2>/dev/null || true
	if [ -n "${RUN:-}" ] && [ -f "$DLOG" ] && [ "${BATS_ERROR_STATUS:-0}" != 0 ]; then
		echo "# --- daemon log ---" >&3
		sed 's/^/# /' "$DLOG" >&3 || true
	fi
	rm -rf "$RUN"
}

# Start the daemon in the foreground (-d) in the namespace, in the
# background of the test; DPID is the monitor.
cts_start() {
	local bin="${1:-$CTSYNCD}"
	ip netns exec "$NS" "$bin" -d -C "$CONF" 2> "$DLOG" &
	DPID=$!
	cts_wait_ready
}

# Bounded wait until the three processes exist and the socket answers.
cts_wait_ready() {
	local i
	for i in $(seq 1 100); do
		if [ -S "$SOCK" ] && [ -n "$(cts_pid sync)" ] &&
		    [ -n "$(cts_pid kernel)" ] &&
		    grep -q "^Seccomp:[[:space:]]*2" \
		    /proc/"$(cts_pid kernel)"/status 2>/dev/null &&
		    grep -q "^Seccomp:[[:space:]]*2" \
		    /proc/"$(cts_pid sync)"/status 2>/dev/null &&
		    grep -q "^Seccomp:[[:space:]]*2" \
		    /proc/"$(cts_pid monitor)"/status 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "daemon did not become ready" >&2
	cat "$DLOG" >&2 || true
	return 1
}

# pid of a role of this test's daemon (matched by its chroot)
cts_pid() {
	local p
	for p in $(pgrep -f "^ctsyncd(-testhooks)?: $1" 2>/dev/null); do
		if [ "$(readlink /proc/$p/root 2>/dev/null)" = "$RUN/empty" ]; then
			echo "$p"
			return 0
		fi
	done
	# before the chroot the monitor is still root-ed at /
	return 0
}

# Wait (bounded) for a pid to exit; prints its exit status if it was our child.
cts_wait_exit() {
	local pid="$1" i
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "pid $pid still running" >&2
		return 1
	fi
	return 0
}

# a /proc/PID/status field, its values separated by single spaces
status_field() {
	awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' \
	    "/proc/$1/status"
}

as_user() {
	local u="$1"; shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups -- "$@"
}

# conntrack -L lines without what a cache does not keep (timeout, use)
ct_kernel_list() {
	ip netns exec "$NS" conntrack -L "$@" 2>/dev/null |
	    sed -E 's/^([a-z0-9-]+ +[0-9]+) [0-9]+ /\1 /; s/ use=[0-9]+//' |
	    sort
}

# the daemon's -i dump in the same shape (without "[active since Ns]")
ct_cache_list() {
	"$CTL" -C "$CONF" "$@" | sed -E 's/ \[active since [0-9]+s\]$//' |
	    sort
}

# Bounded wait until a command's output equals a value.
wait_for() {
	local want="$1" i got=""; shift
	for i in $(seq 1 "${WAIT_TICKS:-100}"); do
		got="$("$@" 2>/dev/null || true)"
		[ "$got" = "$want" ] && return 0
		sleep 0.1
	done
	echo "wait_for: wanted '$want', got '$got' from: $*" >&2
	return 1
}

ct_add() {
	ip netns exec "$NS" conntrack -I "$@" >/dev/null 2>&1
}
