#!/usr/bin/env bats
# Replication between two ctsyncd firewalls in network namespaces joined
# by a veth sync link: every mode and transport, updates and deletes,
# resync and bulk, commit on the receiver, loss on the link, and
# malformed datagrams.

load sync

setup_file() { cts_setup_users; }
teardown_file() { cts_teardown_users; }
setup() { sync_setup; sync_nodes 2; }
teardown() { sync_teardown; }

handshake() {
	node_ctl "$1" -j show status | python3 -c \
	    'import json,sys; print(json.load(sys.stdin)["peer"]["handshake_done"])'
}

RAW() { ip netns exec "${NSN[$1]}" "$B/tests/rawinsert" "${@:2}"; }

# fw1's kernel table arrives in fw2's external cache, field by field
replicates_all() {
	local mode="$1" t="$2"
	node_conf 1 ctsyncd "$mode" "$t" 2
	node_conf 2 ctsyncd "$mode" "$t" 1
	node_start 1
	node_start 2
	node_populate 1
	wait_for 7 node_ext_count 2
	diff <(node_kernel 1) <(node_ext 2)
	# an update: the mark changes
	node_ct 1 -U -s 198.51.100.1 -m 99
	wait_for 1 sh -c "'$B/ctsyncctl' -C '${RUNN[2]}/ctsyncd.conf' -e |
	    grep -c 'mark=99'"
	# deletes
	node_ct 1 -D -p udp
	node_ct 1 -D -s 2001:db8::1
	wait_for 5 node_ext_count 2
	diff <(node_kernel 1) <(node_ext 2)
	# nothing flows the other way: fw2's kernel is empty
	[ "$(node_ext_count 1)" -eq 0 ]
}

@test "FTFW over UDP/IPv4: new, update, destroy replicate" {
	replicates_all FTFW udp4
	# the HELLO handshake completes on both sides
	wait_for True handshake 1
	wait_for True handshake 2
}

@test "FTFW over UDP/IPv6" {
	replicates_all FTFW udp6
}

@test "FTFW over IPv4 multicast" {
	replicates_all FTFW mcast4
}

@test "NOTRACK over UDP/IPv4" {
	replicates_all NOTRACK udp4
}

@test "ALARM over UDP/IPv4, and external entries expire after CacheTimeout" {
	replicates_all ALARM udp4
	# entries are refreshed while fw1 runs ...
	sleep 3
	[ "$(node_ext_count 2)" -eq 5 ]
	# ... and expire (CacheTimeout 10) once it stops
	node_stop 1
	WAIT_TICKS=200 wait_for 0 node_ext_count 2
}

@test "FTFW: -c on the receiver puts the peer's entries in its kernel" {
	node_conf 1 ctsyncd FTFW udp4 2
	node_conf 2 ctsyncd FTFW udp4 1
	node_start 1
	node_start 2
	node_populate 1
	wait_for 7 node_ext_count 2
	run node_ctl 2 -c
	[ "$status" -eq 0 ]
	[[ "$output" == *"committed 7, failed 0"* ]]
	diff <(node_kernel 1) <(node_kernel 2)
	# our own commit is not sent back to fw1
	sleep 1.5
	[ "$(node_ext_count 1)" -eq 0 ]
}

@test "-n and -B resync a peer that started late; StartupResync too" {
	node_conf 1 ctsyncd FTFW udp4 2
	node_conf 2 ctsyncd FTFW udp4 1
	node_populate 1
	node_start 1
	node_start 2
	# entries that existed before start-up are not sent by themselves
	sleep 1.5
	[ "$(node_ext_count 2)" -eq 0 ]
	run node_ctl 2 -n
	[ "$status" -eq 0 ]
	wait_for 7 node_ext_count 2
	diff <(node_kernel 1) <(node_ext 2)
	# fw2 restarts empty; -B on fw1 fills it again
	node_stop 2
	node_start 2
	[ "$(node_ext_count 2)" -eq 0 ]
	run node_ctl 1 -B
	[ "$status" -eq 0 ]
	wait_for 7 node_ext_count 2
	# and with StartupResync, a restart alone is enough
	node_stop 2
	node_conf 2 ctsyncd FTFW udp4 1 "StartupResync on"
	node_start 2
	wait_for 7 node_ext_count 2
	diff <(node_kernel 1) <(node_ext 2)
}

@test "FTFW with 20% loss on the sync link: every entry arrives" {
	node_conf 1 ctsyncd FTFW udp4 2
	node_conf 2 ctsyncd FTFW udp4 1
	node_start 1
	node_start 2
	ip netns exec "${NSN[2]}" nft -f - <<'EOF'
table inet loss {
	chain in {
		type filter hook input priority 0;
		udp dport 3780 numgen random mod 100 < 20 counter drop
	}
}
EOF
	RAW 1 -n 3000 -t 600
	WAIT_TICKS=300 wait_for 3000 node_ext_count 2
	diff <(node_kernel 1) <(node_ext 2)
	# loss really happened, and FTFW repaired it
	ip netns exec "${NSN[2]}" nft list table inet loss |
	    grep -Eq 'counter packets [1-9]'
	[ "$(node_net 1 retransmitted)" -gt 0 ]
	[ "$(node_net 2 nacks_sent)" -gt 0 ]
}

@test "NOTRACK: malformed datagrams are counted and change nothing" {
	node_conf 1 ctsyncd NOTRACK udp4 2
	node_conf 2 ctsyncd NOTRACK udp4 1
	node_start 1
	node_start 2
	node_populate 1
	wait_for 7 node_ext_count 2
	before="$(node_ext 2)"
	ip netns exec "${NSN[1]}" python3 - <<'EOF'
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("169.254.77.1", 0))
dst = ("169.254.77.2", 3780)
def hdr(t, flags, ln, seq):
    return struct.pack(">BBHI", 0x10 | t, flags, ln, seq)
ipv4 = struct.pack(">HH", 12, 0) + bytes([198, 51, 100, 99, 203, 0, 113, 99])
bad = [
    b"\x10\x00\x00",                              # truncated header
    hdr(0, 0, 0, 1),                              # length 0
    hdr(0, 0, 200, 2) + ipv4,                     # length beyond datagram
    hdr(0, 0, 8 + 12 + 8, 3) + ipv4 + struct.pack(">HHI", 8, 40, 0),  # unknown attr
    hdr(0, 0, 8 + 12 + 12, 4) + ipv4 + struct.pack(">HH", 12, 6) + b"\0" * 8,  # TIMEOUT 8 bytes
    struct.pack(">BBHI", 0x20, 0, 20, 5) + ipv4,  # version 2
    hdr(7, 0, 20, 6) + ipv4,                      # type 7
]
for b in bad:
    s.sendto(b, dst)
EOF
	wait_at_least 7 node_net 2 malformed
	[ "$(node_net 2 truncated)" -ge 1 ]
	[ "$(node_net 2 bad_size)" -ge 2 ]
	[ "$(node_net 2 malformed_payload)" -ge 2 ]
	[ "$(node_net 2 wrong_version)" -ge 1 ]
	[ "$(node_net 2 bad_type)" -ge 1 ]
	[ "$(node_ext 2)" = "$before" ]
	# and the daemon still replicates
	node_ct 1 -D -p udp
	wait_for 6 node_ext_count 2
}

@test "FTFW: failover to the second link when the dedicated one goes down" {
	sync_link 1 2 s1
	SYNC_LINKS="$(transport_block udp4 1 2 s1)"
	node_conf 1 ctsyncd FTFW udp4 2
	SYNC_LINKS="$(transport_block udp4 2 1 s1)"
	node_conf 2 ctsyncd FTFW udp4 1
	node_start 1
	node_start 2
	node_populate 1
	wait_for 7 node_ext_count 2
	node_ctl 1 -s link | grep -q 'device=s0 status=RUNNING role=ACTIVE'
	# pull the dedicated link; replication carries on over s1
	ip -n "${NSN[1]}" link set s0 down
	wait_for 1 sh -c "'$B/ctsyncctl' -C '${RUNN[1]}/ctsyncd.conf' -s link |
	    grep -c 'device=s1 status=RUNNING role=ACTIVE'"
	node_ctl 1 -s link | grep -q 'device=s0 status=DOWN role=BACKUP'
	RAW 1 -n 500 -t 600
	wait_for 507 node_ext_count 2
	diff <(node_kernel 1) <(node_ext 2)
	# fw2 noticed too (its s0 lost carrier) and sends on s1
	node_ctl 2 -s link | grep -q 'device=s1 status=RUNNING role=ACTIVE'
	grep -q "becomes the dedicated link" "${RUNN[1]}/log"
}
