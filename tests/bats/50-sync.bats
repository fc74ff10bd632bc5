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
	# the HELLO handshake completes on both sides, which are in sync
	wait_for True handshake 1
	wait_for True handshake 2
	node_ctl 2 show status | grep -q "^in sync:      yes"
	node_stop 1
	node_ctl 2 show status | grep -q "peers live:   1"
	WAIT_TICKS=150 wait_for "in sync:      no" sh -c \
	    "'$B/ctsyncctl' -C '${RUNN[2]}/ctsyncd.conf' show status | grep '^in sync'"
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

@test "FTFW: a flow that starts during -c reaches the peer; the committed ones do not go back" {
	node_conf 1 ctsyncd FTFW udp4 2
	node_conf 2 ctsyncd FTFW udp4 1
	node_start 1
	node_start 2
	RAW 1 -n 20000 -t 600 >/dev/null
	wait_for 20000 node_ext_count 2
	( sleep 0.05; node_ct 2 -I -p udp -s 198.51.100.250 \
	    -d 203.0.113.250 --sport 5000 --dport 5001 -t 120 ) &
	adder=$!
	run node_ctl 2 -c
	[ "$status" -eq 0 ]
	[[ "$output" == *"committed 20000, failed 0"* ]]
	wait "$adder"
	[ "$(node_kernel_count 2)" -eq 20001 ]
	wait_for 1 sh -c "'$B/ctsyncctl' -C '${RUNN[1]}/ctsyncd.conf' -e |
	    grep -c 198.51.100.250"
	# the real flow, and none of the 20000 fw2 committed
	sleep 1.5
	[ "$(node_ext_count 1)" -eq 1 ]
	[ "$(node_ctl 2 -i | wc -l)" -eq 20001 ]
}

@test "connection labels replicate, and -c puts them in the peer's kernel" {
	labels_on 1 2
	node_conf 1 ctsyncd FTFW udp4 2
	node_conf 2 ctsyncd FTFW udp4 1
	node_start 1
	node_start 2
	node_ct 1 -I -p udp -s 198.51.100.9 -d 203.0.113.9 --sport 1 \
	    --dport 2 -t 100 --label-add ctsync-five
	node_ct 1 -I -p tcp -s 198.51.100.10 -d 203.0.113.10 --sport 3 \
	    --dport 4 --state ESTABLISHED -t 300 --label-add ctsync-hundred
	run ip netns exec "${NSN[1]}" conntrack -L -o labels
	echo "$output"
	[ "$(grep -c 'labels=ctsync' <<< "$output")" -eq 2 ]
	wait_for 2 sh -c "'$B/ctsyncctl' -C '${RUNN[2]}/ctsyncd.conf' -e |
	    grep -c 'sport=[13] dport=[24] '"
	run node_ctl 2 -c
	[ "$status" -eq 0 ]
	run ip netns exec "${NSN[2]}" conntrack -L -o labels
	echo "$output"
	[[ "$output" == *"sport=1 dport=2 "*"labels=ctsync-five"* ]]
	[[ "$output" == *"sport=3 dport=4 "*"labels=ctsync-hundred"* ]]
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
	# fw2 restarts (fw1 re-sends what fw2 had not acknowledged yet);
	# after -f external, -B on fw1 fills it again
	node_stop 2
	node_start 2
	run node_ctl 2 -f external
	[ "$status" -eq 0 ]
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
	link_loss 2 20
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

# node i's link 0 JSON field (-s link)
link_field() {
	node_ctl "$1" -j -s link | python3 -c \
	    'import json,sys; print(json.load(sys.stdin)["links"][0][sys.argv[1]])' "$2"
}

# objects node i holds in its transmit queue
txq_len() {
	node_ctl "$1" -j -s network | python3 -c \
	    'import json,sys; print(json.load(sys.stdin)["queues"]["txqueue"])'
}

tcp_line() {
	node_ctl "$1" -s | grep -c "^TCP traffic (active device=s0) $2:" ||
	    true
}

@test "NOTRACK over TCP" {
	replicates_all NOTRACK tcp4
	# two connections per pair, both up, as -s shows
	wait_for 1 tcp_line 1 "server=connected client=connected"
	wait_for 1 tcp_line 2 "server=connected client=connected"
}

@test "FTFW over TCP" {
	replicates_all FTFW tcp4
	wait_for True handshake 1
	wait_for True handshake 2
}

@test "NOTRACK over TCP: a RESYNC and updates queued while the peer is down arrive when it comes up" {
	node_conf 1 ctsyncd NOTRACK tcp4 2 "StartupResync on"
	node_conf 2 ctsyncd NOTRACK tcp4 1
	# fw2's table exists before fw2 runs: only a resync sends it
	node_populate 2
	# fw1's RESYNC request and its new entries find nobody listening
	node_start 1
	node_populate 1
	sleep 1.5
	[ "$(tcp_line 1 "server=disconnected client=disconnected")" -eq 1 ]
	[ "$(link_field 1 errors_send)" -gt 0 ]
	node_start 2
	# the error queue goes first, in order, once the connection is up
	wait_for 7 node_ext_count 2
	diff <(node_kernel 1) <(node_ext 2)
	wait_for 7 node_ext_count 1
	diff <(node_kernel 2) <(node_ext 1)
	grep -q "resync requested by other node" "${RUNN[2]}/log"
}

@test "TCP: the peer restarts and replication goes on over a new connection" {
	node_conf 1 ctsyncd NOTRACK tcp4 2
	node_conf 2 ctsyncd NOTRACK tcp4 1
	node_start 1
	node_start 2
	node_populate 1
	wait_for 7 node_ext_count 2
	node_stop 2
	# fw1 notices and queues what happens meanwhile
	wait_for 1 tcp_line 1 "server=disconnected client=disconnected"
	node_ct 1 -I -p udp -s 198.51.100.20 -d 203.0.113.20 --sport 5020 \
	    --dport 53 -t 120
	node_start 2
	wait_for 1 node_ext_count 2
	node_ext 2 | grep -q 'src=198.51.100.20'
	# and what comes later too
	node_ct 1 -I -p udp -s 198.51.100.21 -d 203.0.113.21 --sport 5021 \
	    --dport 53 -t 120
	wait_for 2 node_ext_count 2
	wait_for 1 tcp_line 1 "server=connected client=connected"
	[ "$(grep -c "link 0: connected to 169.254.77.2" "${RUNN[1]}/log")" \
	    -ge 2 ]
}

@test "NOTRACK over TCP/IPv6" {
	replicates_all NOTRACK tcp6
}

@test "TCP: a full error queue holds the sender back; nothing is lost" {
	node_conf 1 ctsyncd NOTRACK tcp4 2
	node_conf 2 ctsyncd NOTRACK tcp4 1
	sed -i 's/^\t\tPort 3790$/&\n\t\tErrorQueueLength 2/' \
	    "${RUNN[1]}/ctsyncd.conf"
	grep -q 'ErrorQueueLength 2' "${RUNN[1]}/ctsyncd.conf"
	node_start 1
	# far more than two buffers' worth while nobody listens
	RAW 1 -n 2000 -t 600
	wait_at_least 1000 txq_len 1
	node_start 2
	WAIT_TICKS=300 wait_for 2000 node_ext_count 2
	diff <(node_kernel 1) <(node_ext 2)
}

@test "TCP: messages split across reads are reassembled; a corrupt length closes the stream" {
	node_conf 1 ctsyncd NOTRACK tcp4 2
	node_conf 2 ctsyncd NOTRACK tcp4 1
	node_start 2
	# a stranger (fw1 is not running yet) trickles one entry and an
	# ALIVE in pieces, then sends a header of length 4
	run ip netns exec "${NSN[1]}" python3 - <<'PY'
import socket, struct, time
def attr(t, p):
    a = struct.pack(">HH", 4 + len(p), t) + p
    return a + b"\0" * (-len(a) % 4)
body = (attr(0, bytes([198, 51, 100, 30, 203, 0, 113, 30])) +
        attr(5, struct.pack(">I", 8)) + attr(2, bytes([17])) +
        attr(3, struct.pack(">HH", 5030, 53)) + attr(6, struct.pack(">I", 120)))
msg = struct.pack(">BBHI", 0x10, 0, 8 + len(body), 1) + body
alive = struct.pack(">BBHI", 0x1a, 0x10, 8, 2)
s = socket.create_connection(("169.254.77.2", 3790))
for part in (msg[:3], msg[3:30], msg[30:] + alive[:5], alive[5:]):
    s.sendall(part)
    time.sleep(0.2)
s.sendall(struct.pack(">BBHI", 0x1a, 0x10, 4, 3) + b"\0" * 60)
s.settimeout(5)
print("closed" if s.recv(1) == b"" else "open")
PY
	[ "$status" -eq 0 ]
	[ "$output" = closed ]
	wait_for 1 node_ext_count 2
	node_ext 2 | grep -q 'src=198.51.100.30'
	[ "$(node_net 2 malformed)" -eq 0 ]
	[ "$(node_net 2 messages_recv)" -eq 2 ]
	[ "$(link_field 2 errors_recv)" -eq 1 ]
	grep -q "corrupt message length" "${RUNN[2]}/log"
	# the real peer connects and replicates
	node_start 1
	node_populate 1
	wait_for 8 node_ext_count 2
}

@test "TCP: a stranger's corrupt stream is closed; fw1 reconnects" {
	node_conf 1 ctsyncd NOTRACK tcp4 2
	node_conf 2 ctsyncd NOTRACK tcp4 1
	node_start 1
	node_start 2
	node_populate 1
	wait_for 7 node_ext_count 2
	before="$(node_ext 2)"
	# a stranger's connection replaces fw1's, then says length 4
	ip netns exec "${NSN[1]}" python3 - <<'PY'
import socket, struct, time
s = socket.create_connection(("169.254.77.2", 3790))
s.sendall(struct.pack(">BBHI", 0x10, 0x10, 8, 1) + struct.pack(">BBHI", 0x10, 0, 4, 2) + b"\0" * 64)
time.sleep(0.5)
PY
	wait_at_least 1 link_field 2 errors_recv
	grep -q "corrupt message length" "${RUNN[2]}/log"
	[ "$(node_ext 2)" = "$before" ]
	# fw1 found its connection gone and made a new one
	node_ct 1 -D -p udp
	wait_for 6 node_ext_count 2
	diff <(node_kernel 1) <(node_ext 2)
}

@test "ExpectationSync: an FTP expectation replicates; -B and -c recreate it on the peer" {
	SYNC_OPTIONS="		ExpectationSync On"
	node_conf 1 ctsyncd FTFW udp4 2
	node_conf 2 ctsyncd FTFW udp4 1
	# fw1's kernel gets an FTP master with its helper (conntrack -I
	# cannot attach one) from the test build's commit injector
	ftp_master_start 1
	node_start 2
	wait_for 1 node_kernel_count 1
	ftp_expect 1
	exp_kernel() {
		ip netns exec "${NSN[$1]}" conntrack -L expect 2>/dev/null |
		    sed -E 's/^[0-9]+ //'
	}
	exp_ext() {
		node_ctl "$1" -e expect | sed -E 's/ \[active since [0-9]+s\]$//'
	}
	wait_for 1 sh -c "'$B/ctsyncctl' -C '${RUNN[2]}/ctsyncd.conf' -e expect | wc -l"
	diff <(exp_kernel 1) <(exp_ext 2)
	# the master was our own commit, so it went nowhere; -B sends it
	run node_ctl 1 -B
	[ "$status" -eq 0 ]
	wait_for 1 node_ext_count 2
	run node_ctl 2 -c
	[ "$status" -eq 0 ]
	[ "$(exp_kernel 2 | wc -l)" -eq 1 ]
	diff <(exp_kernel 1 | sed -E 's/^[0-9]+ //') <(exp_kernel 2 | sed -E 's/^[0-9]+ //')
}

@test "NOTRACK with DisableInternalCache: events go straight out, -B walks the kernel" {
	node_conf 1 ctsyncd NOTRACK udp4 2 "DisableInternalCache on"
	node_conf 2 ctsyncd NOTRACK udp4 1
	node_start 1
	node_start 2
	node_populate 1
	wait_for 7 node_ext_count 2
	diff <(node_kernel 1) <(node_ext 2)
	node_ct 1 -D -p udp
	wait_for 6 node_ext_count 2
	# nothing is cached on fw1
	run node_ctl 1 -i
	[ "$status" -ne 0 ]
	[[ "$output" == *"DisableInternalCache"* ]]
	node_ctl 1 -s | grep -q "^internal bypass:"
	run node_ctl 1 -R
	[ "$status" -ne 0 ]
	# a bulk send is a kernel dump
	node_ctl 2 -f external
	[ "$(node_ext_count 2)" -eq 0 ]
	run node_ctl 1 -B
	[ "$status" -eq 0 ]
	wait_for 6 node_ext_count 2
	diff <(node_kernel 1) <(node_ext 2)
}

@test "FTFW with DisableExternalCache: the peer's state goes straight into the kernel" {
	node_conf 1 ctsyncd FTFW udp4 2
	node_conf 2 ctsyncd FTFW udp4 1 "DisableExternalCache on"
	node_start 1
	node_start 2
	node_populate 1
	wait_for 7 node_kernel_count 2
	diff <(node_kernel 1) <(node_kernel 2)
	[ "$(node_ext_count 2)" -eq 0 ]
	node_ct 1 -U -s 198.51.100.1 -m 99
	wait_for 1 sh -c "ip netns exec '${NSN[2]}' conntrack -L 2>/dev/null |
	    grep -c 'mark=99'"
	node_ct 1 -D -p udp
	wait_for 6 node_kernel_count 2
	diff <(node_kernel 1) <(node_kernel 2)
	# what fw2 injected is not sent back: fw1 hears nothing new
	sleep 1.5
	[ "$(node_ext_count 1)" -eq 0 ]
	run node_ctl 2 -c
	[ "$status" -eq 0 ]
	[ "$(node_ctl 2 -j -s runtime | python3 -c \
	    'import json,sys; print(json.load(sys.stdin)["kernel"]["inject_failed"])')" = 0 ]
}

@test "ExpectationSync with a helper list: prefix, any case; others stay home" {
	SYNC_OPTIONS="		ExpectationSync {
			SIP
		}"
	node_conf 1 ctsyncd FTFW udp4 2
	SYNC_OPTIONS="		ExpectationSync On"
	node_conf 2 ctsyncd FTFW udp4 1
	ftp_master_start 1
	node_start 2
	wait_for 1 node_kernel_count 1
	ftp_expect 1
	# the ftp expectation is not on the list: filtered, nothing goes out
	sleep 1.5
	node_ctl 1 -s runtime | grep -Eq 'events filtered:[[:space:]]+[1-9]'
	[ "$(node_ctl 2 -e expect | wc -l)" -eq 0 ]
	# "Ftp" takes it (prefix, any case)
	node_stop 1
	SYNC_OPTIONS="		ExpectationSync {
			Ft
		}"
	node_conf 1 ctsyncd FTFW udp4 2
	node_start 1
	run node_ctl 1 -B
	wait_for 1 sh -c "'$B/ctsyncctl' -C '${RUNN[2]}/ctsyncd.conf' -e expect | wc -l"
}
