# Two (or three) firewall namespaces joined by sync links, each running
# ctsyncd or the real conntrackd, for the replication and interop tests.
# Node i has 169.254.77.i and fd77::i on link s0 (and 169.254.78.i on s1
# when a second link is asked for).  Everything a test starts is killed
# by PID at teardown, also when the test fails.

load helpers

# node i: NSN[i] namespace, RUNN[i] run dir, KIND[i] ctsyncd|conntrackd
declare -a NSN RUNN KIND PIDN

sync_setup() {
	local i
	SYNC_TAG="cy$$t${BATS_TEST_NUMBER}"
	for i in 1 2 3; do
		NSN[$i]="${SYNC_TAG}n$i"
		RUNN[$i]="/tmp/ctsyncd-sync.$$.${BATS_TEST_NUMBER}.$i"
		PIDN[$i]=""
	done
}

# sync_link A B [LINK]: a veth pair between node A and B named LINK (s0)
sync_link() {
	local a="$1" b="$2" l="${3:-s0}" net=77
	[ "$l" = s1 ] && net=78
	ip -n "${NSN[$a]}" link add "$l" type veth peer name "$l" \
	    netns "${NSN[$b]}"
	for i in "$a" "$b"; do
		ip -n "${NSN[$i]}" addr add "169.254.$net.$i/24" dev "$l"
		ip -n "${NSN[$i]}" addr add "fd$net::$i/64" dev "$l" nodad
		ip -n "${NSN[$i]}" link set "$l" up
	done
}

# sync_nodes N: N namespaces; 2 are joined directly, 3 by a bridge
sync_nodes() {
	local n="$1" i
	for i in $(seq 1 "$n"); do
		ip netns add "${NSN[$i]}"
		ip -n "${NSN[$i]}" link set lo up
		rm -rf "${RUNN[$i]}"
		mkdir -p "${RUNN[$i]}/empty"
		chmod 755 "${RUNN[$i]}" "${RUNN[$i]}/empty"
	done
	if [ "$n" -eq 2 ]; then
		sync_link 1 2
		return
	fi
	# three nodes: a bridge in node 3's namespace... kept simple: a
	# hub namespace with a bridge and one veth per node
	HUB="${SYNC_TAG}hub"
	ip netns add "$HUB"
	ip -n "$HUB" link add br0 type bridge
	ip -n "$HUB" link set br0 up
	for i in $(seq 1 "$n"); do
		ip -n "$HUB" link add "p$i" type veth peer name s0 \
		    netns "${NSN[$i]}"
		ip -n "$HUB" link set "p$i" master br0
		ip -n "$HUB" link set "p$i" up
		ip -n "${NSN[$i]}" addr add "169.254.77.$i/24" dev s0
		ip -n "${NSN[$i]}" addr add "fd77::$i/64" dev s0 nodad
		ip -n "${NSN[$i]}" link set s0 up
	done
}

sync_teardown() {
	local i p
	for i in 1 2 3; do
		p="${PIDN[$i]:-}"
		[ -n "$p" ] || continue
		kill -TERM "$p" 2>/dev/null || true
	done
	for i in 1 2 3; do
		p="${PIDN[$i]:-}"
		[ -n "$p" ] || continue
		for _ in $(seq 1 30); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null || true
	done
	for i in 1 2 3; do
		# ctsyncd children, found by their chroot
		for p in $(pgrep -f "ctsyncd(-testhooks)?: " 2>/dev/null); do
			[ "$(readlink /proc/$p/root 2>/dev/null)" = \
			    "${RUNN[$i]}/empty" ] && kill -KILL "$p" 2>/dev/null
		done
		if [ "${BATS_ERROR_STATUS:-0}" != 0 ] &&
		    [ -f "${RUNN[$i]}/log" ]; then
			echo "# --- node $i (${KIND[$i]:-}) log ---" >&3
			tail -n 40 "${RUNN[$i]}/log" | sed 's/^/# /' >&3
		fi
		ip netns del "${NSN[$i]}" 2>/dev/null || true
		rm -rf "${RUNN[$i]}"
	done
	[ -z "${HUB:-}" ] || ip netns del "$HUB" 2>/dev/null || true
	[ -z "${RELAY_PID:-}" ] || kill -KILL "$RELAY_PID" 2>/dev/null || true
	[ -z "${LABELMAP_MADE:-}" ] || rm -f "$LABELMAP"
	[ -z "${LABELDIR_MADE:-}" ] || rmdir "$(dirname "$LABELMAP")" || true
	return 0
}

# transport block for node i talking to node j: udp4 udp6 mcast4 tcp4 tcp6
transport_block() {
	local t="$1" i="$2" j="$3" l="${4:-s0}" def="${5:-}" net=77
	[ "$l" = s1 ] && net=78
	case "$t" in
	udp4) cat <<EOF
	UDP $def {
		IPv4_address 169.254.$net.$i
		IPv4_Destination_Address 169.254.$net.$j
		Port 3780
		Interface $l
		Checksum on
	}
EOF
	;;
	udp6) cat <<EOF
	UDP $def {
		IPv6_address fd$net::$i
		IPv6_Destination_Address fd$net::$j
		Port 3780
		Interface $l
	}
EOF
	;;
	mcast4) cat <<EOF
	Multicast $def {
		IPv4_address 225.0.0.50
		Group 3780
		IPv4_interface 169.254.$net.$i
		Interface $l
	}
EOF
	;;
	tcp4) cat <<EOF
	TCP $def {
		IPv4_address 169.254.$net.$i
		IPv4_Destination_Address 169.254.$net.$j
		Port 3790
		Interface $l
	}
EOF
	;;
	tcp6) cat <<EOF
	TCP $def {
		IPv6_address fd$net::$i
		IPv6_Destination_Address fd$net::$j
		Port 3790
		Interface $l
	}
EOF
	;;
	esac
}

# mode_block MODE [extra options]
mode_block() {
	local m="$1"; shift
	printf '\tMode %s {\n' "$m"
	[ "$m" = ALARM ] && printf '\t\tRefreshTime 2\n\t\tCacheTimeout 10\n'
	for o in "$@"; do printf '\t\t%s\n' "$o"; done
	printf '\t}\n'
}

# node_conf I KIND MODE TRANSPORT PEER [mode options...]
# SYNC_OPTIONS: extra lines for Sync { Options { } }
# SYNC_LINKS: extra transport blocks (already formatted)
node_conf() {
	local i="$1" kind="$2" mode="$3" t="$4" j="$5"; shift 5
	local run="${RUNN[$i]}" conf="${RUNN[$i]}/$kind.conf"
	KIND[$i]="$kind"
	# ctsyncd makes its own run directory, owned by its user
	[ "$kind" = ctsyncd ] || mkdir -p "$run/run"
	{
		echo "Sync {"
		mode_block "$mode" "$@"
		transport_block "$t" "$i" "$j"
		printf '%s\n' "${SYNC_LINKS:-}"
		printf '\tOptions {\n%s\n\t}\n' "${SYNC_OPTIONS:-}"
		echo "}"
		echo "General {"
		if [ "$kind" = ctsyncd ]; then
			cat <<EOF
	User $CTS_USER
	Chroot $run/empty
	LockFile $run/run/ctsyncd.lock
	UNIX { Path $run/run/ctsyncd.ctl }
EOF
		else
			cat <<EOF
	Systemd off
	HashSize 32768
	HashLimit 262144
	LogFile $run/log
	Syslog off
	LockFile $run/run/ctd.lock
	UNIX { Path $run/run/ctd.sock }
	NetlinkBufferSize 2097152
	NetlinkBufferSizeMaxGrowth 8388608
EOF
		fi
		printf '%s\n' "${GENERAL_EXTRA:-}"
		echo "}"
	} > "$conf"
	chmod 644 "$conf"
}

node_start() {
	local i="$1" conf="${RUNN[$1]}/${KIND[$1]}.conf" k
	if [ "${KIND[$i]}" = ctsyncd ]; then
		ip netns exec "${NSN[$i]}" "${CTSYNCD_BIN:-$CTSYNCD}" -d \
		    -C "$conf" 2> "${RUNN[$i]}/log" &
		PIDN[$i]=$!
		for k in $(seq 1 100); do
			node_ctl "$i" show status >/dev/null 2>&1 && return 0
			sleep 0.1
		done
	else
		ip netns exec "${NSN[$i]}" conntrackd -C "$conf" \
		    >/dev/null 2>&1 &
		PIDN[$i]=$!
		for k in $(seq 1 100); do
			[ -S "${RUNN[$i]}/run/ctd.sock" ] && return 0
			sleep 0.1
		done
	fi
	echo "node $i did not start" >&2
	cat "${RUNN[$i]}/log" >&2 || true
	return 1
}

# stop node i (SIGTERM, then SIGKILL), bounded
node_stop() {
	local i="$1" p="${PIDN[$1]}" sig="${2:-TERM}"
	[ -n "$p" ] || return 0
	kill -"$sig" "$p" 2>/dev/null || true
	for _ in $(seq 1 50); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	PIDN[$i]=""
}

# the client of node i, whichever daemon runs there
node_ctl() {
	local i="$1"; shift
	if [ "${KIND[$i]}" = ctsyncd ]; then
		"$B/ctsyncctl" -C "${RUNN[$i]}/ctsyncd.conf" "$@"
	else
		ip netns exec "${NSN[$i]}" conntrackd \
		    -C "${RUNN[$i]}/conntrackd.conf" "$@"
	fi
}

# node i's external cache, as conntrack -L lines (sorted, no timers)
node_ext() {
	node_ctl "$1" -e ${2:-} 2>/dev/null |
	    sed -E 's/ \[(active since|expires in) [0-9]+s\]//g' | sort
}
node_ext_count() { node_ext "$@" | grep -c . || true; }

# node i's kernel table, in the same shape
node_kernel() {
	ip netns exec "${NSN[$1]}" conntrack -L ${2:-} 2>/dev/null |
	    sed -E 's/^([a-z0-9-]+ +[0-9]+) [0-9]+ /\1 /; s/ use=[0-9]+//' |
	    sort
}
node_kernel_count() { node_kernel "$@" | grep -c . || true; }

node_ct() {
	local i="$1"; shift
	ip netns exec "${NSN[$i]}" conntrack "$@" >/dev/null 2>&1
}

# A varied table on node i: TCP+mark, UDP, ICMP, IPv6, zone, DNAT, SNAT
node_populate() {
	local i="$1"
	node_ct "$i" -I -p tcp -s 198.51.100.1 -d 203.0.113.1 --sport 1001 \
	    --dport 80 --state ESTABLISHED -t 300 -u ASSURED -m 7
	node_ct "$i" -I -p udp -s 198.51.100.2 -d 203.0.113.2 --sport 53001 \
	    --dport 53 -t 120
	node_ct "$i" -I -p icmp -s 198.51.100.3 -d 203.0.113.3 --icmp-type 8 \
	    --icmp-code 0 --icmp-id 4660 -t 30
	node_ct "$i" -I -p tcp -s 2001:db8::1 -d 2001:db8::2 --sport 3000 \
	    --dport 22 --state ESTABLISHED -t 300 -m 9
	node_ct "$i" -I -p tcp -s 198.51.100.4 -d 203.0.113.4 --sport 1004 \
	    --dport 80 --state SYN_SENT -t 60 --zone 5
	node_ct "$i" -I -p tcp -s 198.51.100.5 -d 203.0.113.5 --sport 1005 \
	    --dport 80 --state ESTABLISHED -t 300 -u ASSURED \
	    --dst-nat 203.0.113.50:8080
	node_ct "$i" -I -p tcp -s 198.51.100.6 -d 203.0.113.6 --sport 1006 \
	    --dport 80 --state ESTABLISHED -t 300 -u ASSURED \
	    --src-nat 203.0.113.60
}

# Bounded wait until a command prints a number >= want.
wait_at_least() {
	local want="$1" i got=""; shift
	for i in $(seq 1 "${WAIT_TICKS:-150}"); do
		got="$("$@" 2>/dev/null || true)"
		[ -n "$got" ] && [ "$got" -ge "$want" ] && return 0
		sleep 0.1
	done
	echo "wait_at_least: wanted >= $want, got '$got' from: $*" >&2
	return 1
}

# node i's sync JSON stats field (network.NAME)
node_net() {
	node_ctl "$1" -j -s network | python3 -c \
	    'import json,sys; print(json.load(sys.stdin)["network"][sys.argv[1]])' "$2"
}

# Start node i (test build) with an FTP master committed into its kernel
# with the ftp helper attached, which conntrack -I cannot do.
ftp_master_start() {
	local i="$1"
	"$B/tests/mkinject" ftpmaster > "${RUNN[$i]}/inject"
	chmod 644 "${RUNN[$i]}/inject"
	CTSYNCD_TEST_INJECT="${RUNN[$i]}/inject" CTSYNCD_BIN="$CTSYNCD_TEST" \
	    node_start "$i"
}

# An expectation on that master, as the FTP helper would make it.
ftp_expect() {
	node_ct "$1" -I expect -p tcp -s 198.51.100.200 \
	    -d 203.0.113.200 --sport 4000 --dport 21 \
	    --tuple-src 198.51.100.200 --tuple-dst 203.0.113.200 \
	    --tuple-port-src 0 --tuple-port-dst 41739 \
	    --mask-src 255.255.255.255 --mask-dst 255.255.255.255 \
	    --mask-port-src 0 --mask-port-dst 65535 -t 200
}

# link_loss I PCT: node i drops PCT % of the sync packets it receives
# (nftables numgen: this kernel has no netem); table "inet loss".  A
# ctsyncd peer's segmented send crosses the veth as one packet: its
# datagrams are lost together, a burst of up to 16
link_loss() {
	ip netns exec "${NSN[$1]}" nft -f - <<NFT
table inet loss {
	chain in {
		type filter hook input priority 0;
		udp dport 3780 numgen random mod 100 < $2 counter drop
	}
}
NFT
}

# Connection labels on nodes "$@": the kernel keeps them only in a
# namespace where a rule uses them (ours matches no packet of the
# tests), and conntrack names them through
# libnetfilter_conntrack's map (made for the test when there is none).
LABELMAP=/etc/xtables/connlabel.conf
labels_on() {
	local i
	if [ ! -e "$LABELMAP" ]; then
		if [ ! -d "$(dirname "$LABELMAP")" ]; then
			mkdir -p "$(dirname "$LABELMAP")"
			LABELDIR_MADE=1
		fi
		printf '5 ctsync-five\n100 ctsync-hundred\n' > "$LABELMAP"
		LABELMAP_MADE=1
	fi
	grep -q ctsync-five "$LABELMAP" || skip "$LABELMAP has other labels"
	for i in "$@"; do
		ip netns exec "${NSN[$i]}" nft -f - <<EOF
table inet ctsynclabels {
	chain c {
		type filter hook prerouting priority 0;
		ip daddr 192.0.2.1 ct label set 5;
	}
}
EOF
	done
}
