#!/usr/bin/env bats
# Interoperability with the real conntrackd 1.4.7 (Debian package) as the
# peer, in both directions and every mode, over the same veth sync link:
# the migration path of a running cluster, one firewall at a time.

load sync

setup_file() { cts_setup_users; }
teardown_file() { cts_teardown_users; }
setup() {
	command -v conntrackd >/dev/null || skip "conntrackd not installed"
	sync_setup
	sync_nodes 2
}
teardown() { sync_teardown; }

# What every daemon keeps of an entry: protocol, the original tuple,
# mark and zone (conntrackd's external cache shows no reply tuple).
orig_norm() {
	awk '{
		line = $1; nsrc = 0
		for (i = 2; i <= NF; i++) {
			if ($i ~ /^src=/) nsrc++
			if (nsrc > 1 && $i ~ /^(src|dst|sport|dport|type|code|id)=/)
				continue
			if ($i ~ /^(src|dst|sport|dport|type|code|id|zone|mark)=/ &&
			    $i != "mark=0")
				line = line " " $i
		}
		print line
	}' | sort
}

both_ways() {
	local from="$1" to="$2"
	node_populate "$from"
	wait_for 7 node_ext_count "$to"
	diff <(node_kernel "$from" | orig_norm) <(node_ext "$to" | orig_norm)
	node_ct "$from" -D -p udp
	wait_for 6 node_ext_count "$to"
	diff <(node_kernel "$from" | orig_norm) <(node_ext "$to" | orig_norm)
}

interop() {
	local mode="$1" t="$2" first="$3"
	local second=conntrackd
	[ "$first" = conntrackd ] && second=ctsyncd
	node_conf 1 "$first" "$mode" "$t" 2
	node_conf 2 "$second" "$mode" "$t" 1
	node_start 1
	node_start 2
	both_ways 1 2
}

@test "FTFW/UDP: ctsyncd -> conntrackd" {
	interop FTFW udp4 ctsyncd
}

@test "FTFW/UDP: conntrackd -> ctsyncd, field by field" {
	interop FTFW udp4 conntrackd
	# what ctsyncd rebuilt equals the sender's kernel, reply tuple included
	diff <(node_kernel 1) <(node_ext 2)
}

@test "FTFW/UDP: both directions at once, then -c on each side" {
	node_conf 1 ctsyncd FTFW udp4 2
	node_conf 2 conntrackd FTFW udp4 1
	node_start 1
	node_start 2
	node_populate 1
	node_ct 2 -I -p tcp -s 198.51.100.200 -d 203.0.113.200 --sport 2000 \
	    --dport 443 --state ESTABLISHED -t 300 -u ASSURED
	wait_for 7 node_ext_count 2
	wait_for 1 node_ext_count 1
	# ctsyncd commits what conntrackd sent
	run node_ctl 1 -c
	[ "$status" -eq 0 ]
	[ "$(node_kernel_count 1)" -eq 8 ]
	# conntrackd commits what ctsyncd sent
	node_ctl 2 -c
	wait_for 8 node_kernel_count 2
	diff <(node_kernel 1 | orig_norm) <(node_kernel 2 | orig_norm)
}

@test "NOTRACK/UDP: ctsyncd -> conntrackd" {
	interop NOTRACK udp4 ctsyncd
}

@test "NOTRACK/UDP: conntrackd -> ctsyncd" {
	interop NOTRACK udp4 conntrackd
	diff <(node_kernel 1) <(node_ext 2)
}

@test "ALARM/UDP: ctsyncd -> conntrackd" {
	interop ALARM udp4 ctsyncd
}

@test "ALARM/UDP: conntrackd -> ctsyncd" {
	interop ALARM udp4 conntrackd
}

@test "FTFW/multicast: ctsyncd -> conntrackd and back" {
	interop FTFW mcast4 ctsyncd
	node_ct 2 -I -p udp -s 198.51.100.201 -d 203.0.113.201 --sport 5000 \
	    --dport 53 -t 120
	wait_for 1 node_ext_count 1
}

@test "FTFW/UDP IPv6: conntrackd -> ctsyncd" {
	interop FTFW udp6 conntrackd
}

@test "FTFW: -n on ctsyncd makes conntrackd send its table; -B on ctsyncd fills conntrackd" {
	node_conf 1 ctsyncd FTFW udp4 2
	node_conf 2 conntrackd FTFW udp4 1
	node_populate 1
	node_ct 2 -I -p tcp -s 198.51.100.210 -d 203.0.113.210 --sport 2100 \
	    --dport 443 --state ESTABLISHED -t 300 -u ASSURED
	node_start 1
	node_start 2
	sleep 1.5
	[ "$(node_ext_count 1)" -eq 0 ]
	run node_ctl 1 -n
	[ "$status" -eq 0 ]
	wait_for 1 node_ext_count 1
	run node_ctl 1 -B
	[ "$status" -eq 0 ]
	wait_for 7 node_ext_count 2
	diff <(node_kernel 1 | orig_norm) <(node_ext 2 | orig_norm)
}

@test "FTFW: conntrackd's -B reaches a ctsyncd with 5% loss" {
	node_conf 1 conntrackd FTFW udp4 2
	node_conf 2 ctsyncd FTFW udp4 1
	ip netns exec "${NSN[1]}" "$B/tests/rawinsert" -n 2000 -t 600 >/dev/null
	node_start 1
	node_start 2
	link_loss 2 5
	node_ctl 1 -B
	WAIT_TICKS=300 wait_for 2000 node_ext_count 2
	diff <(node_kernel 1) <(node_ext 2)
}

# conntrackd drops its whole resend queue on every HELLO it hears, and we
# say HELLO until its HELLO_BACK arrives.  With that HELLO_BACK lost, the
# NACK for a gap in its bulk carries HELLO and can never be answered: the
# entries come only through the resync ctsyncd asks for once the
# handshake is done.  Deterministic damage: the first HELLO_BACK and
# every tenth data datagram are dropped.
@test "FTFW: conntrackd's HELLO_BACK lost, its resend queue dropped: a resync recovers the gap" {
	node_conf 1 conntrackd FTFW udp4 2
	node_conf 2 ctsyncd FTFW udp4 1
	ip netns exec "${NSN[1]}" "$B/tests/rawinsert" -n 2000 -t 600 >/dev/null
	ip netns exec "${NSN[2]}" nft -f - <<NFT
table inet damage {
	chain in {
		type filter hook input priority 0;
		udp dport 3780 @th,72,8 & 0x40 == 0x40 numgen inc mod 1000000 == 0 counter drop
		udp dport 3780 @th,64,8 != 0x1a numgen inc mod 10 == 3 counter drop
	}
}
NFT
	node_start 1
	node_start 2
	node_ctl 1 -B
	WAIT_TICKS=300 wait_for 2000 node_ext_count 2
	diff <(node_kernel 1) <(node_ext 2)
	# the damage happened: one HELLO_BACK dropped, and data
	ip netns exec "${NSN[2]}" nft list table inet damage |
	    grep -q '0x40 .* counter packets 1 '
	[ "$(node_net 2 hello_resyncs)" -eq 1 ]
}

@test "NOTRACK/TCP: ctsyncd -> conntrackd" {
	interop NOTRACK tcp4 ctsyncd
}

@test "NOTRACK/TCP: conntrackd -> ctsyncd" {
	interop NOTRACK tcp4 conntrackd
	diff <(node_kernel 1) <(node_ext 2)
}

@test "FTFW/TCP: ctsyncd -> conntrackd" {
	interop FTFW tcp4 ctsyncd
}

@test "FTFW/TCP: conntrackd -> ctsyncd" {
	interop FTFW tcp4 conntrackd
}
