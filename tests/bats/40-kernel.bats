#!/usr/bin/env bats
# The kernel process against the real kernel, one namespace per test:
# start-up dump, events, commit, flush, timers, resync, filters,
# overrun, and the kernel side refusing bad messages from sync.

load helpers

setup_file() { cts_setup_users; }
teardown_file() { cts_teardown_users; }
setup() { cts_setup; }
teardown() { cts_teardown; }

RAW() { ip netns exec "$NS" "$B/tests/rawinsert" "$@"; }

# A varied table: TCP with mark, UDP, ICMP, IPv6, zone, DNAT and SNAT.
populate() {
	ct_add -p tcp -s 198.51.100.1 -d 203.0.113.1 --sport 1001 --dport 80 \
	    --state ESTABLISHED -t 300 -u ASSURED -m 7
	ct_add -p udp -s 198.51.100.2 -d 203.0.113.2 --sport 53001 \
	    --dport 53 -t 120
	ct_add -p icmp -s 198.51.100.3 -d 203.0.113.3 --icmp-type 8 \
	    --icmp-code 0 --icmp-id 4660 -t 30
	ct_add -p tcp -s 2001:db8::1 -d 2001:db8::2 --sport 3000 --dport 22 \
	    --state ESTABLISHED -t 300 -m 9
	ct_add -p tcp -s 198.51.100.4 -d 203.0.113.4 --sport 1004 --dport 80 \
	    --state SYN_SENT -t 60 --zone 5
	ct_add -p tcp -s 198.51.100.5 -d 203.0.113.5 --sport 1005 --dport 80 \
	    --state ESTABLISHED -t 300 -u ASSURED --dst-nat 203.0.113.50:8080
	ct_add -p tcp -s 198.51.100.6 -d 203.0.113.6 --sport 1006 --dport 80 \
	    --state ESTABLISHED -t 300 -u ASSURED --src-nat 203.0.113.60
}

kernel_all() { ct_kernel_list; }
kernel_count() { kernel_all | wc -l; }
cache_count() { "$CTL" -C "$CONF" -i | wc -l; }
runtime_field() {
	"$CTL" -C "$CONF" -s runtime | awk -F'\t' -v k="$1" \
	    '$2 ~ "^"k { gsub(/ /, "", $NF); print $NF; exit }'
}

@test "start-up dump: -i equals conntrack -L field by field" {
	populate
	[ "$(kernel_count)" -eq 7 ]
	cts_start
	wait_for 7 cache_count
	diff <(kernel_all) <(ct_cache_list -i)
}

@test "events: new, updated and deleted entries follow the kernel" {
	cts_start
	wait_for 0 cache_count
	populate
	wait_for 7 cache_count
	diff <(kernel_all) <(ct_cache_list -i)
	# an update: the mark changes
	ip netns exec "$NS" conntrack -U -s 198.51.100.1 -m 99 >/dev/null 2>&1
	wait_for 1 sh -c "'$CTL' -C '$CONF' -i | grep -c 'mark=99'"
	ip netns exec "$NS" conntrack -D -p udp >/dev/null 2>&1
	wait_for 6 cache_count
	diff <(kernel_all) <(ct_cache_list -i)
	[ "$(runtime_field 'events received')" -ge 9 ]
}

@test "-i -j and -i -x: JSON parses, XML has one flow per entry" {
	populate
	cts_start
	wait_for 7 cache_count
	n=$("$CTL" -C "$CONF" -i -j | python3 -c \
	    'import json,sys; print(len(json.load(sys.stdin)["conntracks"]))')
	[ "$n" -eq 7 ]
	[ "$("$CTL" -C "$CONF" -i -x | grep -c '^<flow>.*</flow>$')" -eq 7 ]
}

@test "commit: an external cache into an emptied kernel table, nothing lost" {
	populate
	before="$(kernel_all)"
	CTSYNCD_TEST_MIRROR=1 cts_start "$CTSYNCD_TEST"
	wait_for 7 sh -c "'$CTL' -C '$CONF' -e | wc -l"
	run "$CTL" -C "$CONF" -F
	[ "$status" -eq 0 ]
	[ "$(kernel_count)" -eq 0 ]
	wait_for 0 cache_count
	run "$CTL" -C "$CONF" -c
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^committed\ 7,\ failed\ 0,\ took\ [0-9.]+\ s$ ]]
	# NAT, zone, mark, state, v6 all back; the commit makes TCP liberal
	diff <(echo "$before") <(kernel_all)
	# and the internal cache already holds them: no wait, no overrun
	diff <(kernel_all) <(ct_cache_list -i)
}

@test "commit of 20000 entries: internal cache equals the kernel at once" {
	RAW -n 20000 -t 600 >/dev/null
	CTSYNCD_TEST_MIRROR=1 cts_start "$CTSYNCD_TEST"
	wait_for 20000 sh -c "'$CTL' -C '$CONF' -e | wc -l"
	"$CTL" -C "$CONF" -F
	[ "$(kernel_count)" -eq 0 ]
	# a real flow appears while the commit runs: it must not be lost
	( sleep 0.05; ct_add -p udp -s 198.51.100.250 -d 203.0.113.250 \
	    --sport 5000 --dport 5001 -t 120 ) &
	adder=$!
	run "$CTL" -C "$CONF" -c
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "committed 20000, failed 0,"* ]]
	# every committed entry is in the cache when -c returns
	real='198\.51\.100\.250'
	diff <(kernel_all | grep -v "$real") <(ct_cache_list -i | grep -v "$real")
	wait "$adder"
	[ "$(kernel_count)" -eq 20001 ]
	# the real flow's NEW event was not heard: the dump after the
	# commit finds it
	wait_for 20001 cache_count
	diff <(kernel_all) <(ct_cache_list -i)
	[ "$(runtime_field 'netlink overrun')" -eq 0 ]
	# the kernel process heard none of the commit's own events
	[ "$(runtime_field 'events from own requests')" -eq 0 ]
}

@test "commit recreates an entry that exists already (EEXIST)" {
	populate
	CTSYNCD_TEST_MIRROR=1 cts_start "$CTSYNCD_TEST"
	wait_for 7 sh -c "'$CTL' -C '$CONF' -e | wc -l"
	run "$CTL" -C "$CONF" -c
	[ "$status" -eq 0 ]
	[[ "$output" == "committed 7, failed 0,"* ]]
	"$CTL" -C "$CONF" -s runtime | grep -P '^\trecreated \(EEXIST\):\t+ *7$'
}

@test "-F flushes the kernel table; the cache follows without propagating" {
	populate
	cts_start
	wait_for 7 cache_count
	run "$CTL" -C "$CONF" -F
	[ "$status" -eq 0 ]
	[ "$(kernel_count)" -eq 0 ]
	wait_for 0 cache_count
	[ "$("$CTL" -C "$CONF" -s runtime | grep -cP '^\tflush kernel table:\t+ *1$')" -eq 1 ]
}

@test "-t shortens every kernel timer to PurgeTimeout" {
	export CTS_SYNC_EXTRA="	PurgeTimeout 15"
	cts_write_conf
	populate
	cts_start
	run "$CTL" -C "$CONF" -t
	echo "$output"
	[ "$status" -eq 0 ]
	max=$(ip netns exec "$NS" conntrack -L 2>/dev/null | awk '{ print $3 }' |
	    sort -n | tail -1)
	[ "$max" -le 15 ]
	[ "$(kernel_count)" -eq 7 ]
}

@test "overrun: tiny buffer and a burst; counted, resynced, converged" {
	export CTS_GENERAL_EXTRA="	NetlinkBufferSize 8192
	NetlinkBufferSizeMaxGrowth 8192
	NetlinkOverrunResync 1"
	cts_write_conf
	cts_start
	RAW -n 20000 -b 1024 >/dev/null
	wait_for 20000 cache_count
	[ "$(runtime_field 'netlink overrun')" -gt 0 ]
	diff <(kernel_all) <(ct_cache_list -i)
	# deletions during an overrun are found by the resync's sweep
	ip netns exec "$NS" conntrack -F >/dev/null 2>&1
	RAW -n 5000 -b 1024 >/dev/null
	wait_for 5000 cache_count
	diff <(kernel_all) <(ct_cache_list -i)
}

@test "a filling event socket grows before it overruns" {
	local kpid
	# 1 MiB holds ~1600 events (the kernel counts ~1.3 KB for each)
	export CTS_GENERAL_EXTRA="	NetlinkBufferSize 1048576
	NetlinkBufferSizeMaxGrowth 4194304"
	cts_write_conf
	cts_start
	kpid="$(cts_pid kernel)"
	[ -n "$kpid" ]
	# the kernel process busy elsewhere: 1000 events wait in the socket
	kill -STOP "$kpid"
	RAW -n 1000 >/dev/null || { kill -CONT "$kpid"; false; }
	kill -CONT "$kpid"
	wait_for 1000 cache_count
	[ "$(runtime_field 'netlink overrun')" -eq 0 ]
	[ "$(runtime_field 'buffer grown before overrun')" -ge 1 ]
	[ "$(runtime_field 'current buffer size')" -gt 1048576 ]
	diff <(kernel_all) <(ct_cache_list -i)
}

@test "-R resynchronises a cache that missed events" {
	export CTS_GENERAL_EXTRA="	NetlinkBufferSize 8192
	NetlinkOverrunResync Off"
	cts_write_conf
	cts_start
	RAW -n 20000 -b 1024 >/dev/null
	sleep 1
	[ "$(runtime_field 'netlink overrun')" -gt 0 ]
	[ "$(cache_count)" -lt 20000 ]
	run "$CTL" -C "$CONF" -R
	[ "$status" -eq 0 ]
	[ "$(cache_count)" -eq 20000 ]
	diff <(kernel_all) <(ct_cache_list -i)
}

@test "filters: protocol, address and state, accept and ignore" {
	export CTS_GENERAL_EXTRA="	Filter From Userspace {
		Protocol Accept { TCP ICMP }
		Address Ignore { IPv4_address 198.51.100.1 }
		State Accept { ESTABLISHED for TCP }
	}"
	cts_write_conf
	populate
	cts_start
	# kept: v6 TCP, the two NAT flows (ESTABLISHED), ICMP (no TCP state)
	wait_for 4 cache_count
	run "$CTL" -C "$CONF" -i
	[[ "$output" != *"198.51.100.1 "* ]]
	[[ "$output" != *"udp"* ]]
	[[ "$output" != *"SYN_SENT"* ]]
	[[ "$output" == *"icmp"* ]]
	ct_add -p udp -s 198.51.100.9 -d 203.0.113.9 --sport 1 --dport 2 -t 60
	ct_add -p tcp -s 198.51.100.8 -d 203.0.113.8 --sport 1 --dport 2 \
	    --state ESTABLISHED -t 60
	wait_for 5 cache_count
	[ "$(runtime_field 'events filtered')" -ge 1 ]
}

@test "filters from kernel space: BPF on the event socket" {
	export CTS_GENERAL_EXTRA="	Filter From Kernelspace {
		Protocol Ignore { UDP }
	}"
	cts_write_conf
	cts_start
	populate
	wait_for 6 cache_count
	run "$CTL" -C "$CONF" -i
	[[ "$output" != *"udp"* ]]
}

@test "-f internal empties the cache; -R fills it again" {
	populate
	cts_start
	wait_for 7 cache_count
	run "$CTL" -C "$CONF" -f internal
	[ "$status" -eq 0 ]
	[ "$(cache_count)" -eq 0 ]
	"$CTL" -C "$CONF" -R
	[ "$(cache_count)" -eq 7 ]
}

@test "HashLimit: a full cache is counted, logged and shown" {
	export CTS_GENERAL_EXTRA="	HashLimit 5"
	cts_write_conf
	populate
	cts_start
	wait_for 5 cache_count
	run "$CTL" -C "$CONF" show status
	echo "$output"
	[[ "$output" == *"not cached"* ]]
	grep -q "cache full" "$DLOG"
}

@test "caches are sized from nf_conntrack_max without HashLimit" {
	cts_start
	max=$(cat /proc/sys/net/netfilter/nf_conntrack_max)
	n=$("$CTL" -C "$CONF" -j show status | python3 -c \
	    'import json,sys; d=json.load(sys.stdin); print(d["caches"]["internal"]["limit"])')
	[ "$n" -eq "$max" ]
}

# Every validation rule of the kernel process: the batch is refused as a
# whole, the table is unchanged; "good" proves the same path commits.
inject() {
	"$B/tests/mkinject" "$1" > "$RUN/inject"
	chmod 644 "$RUN/inject"
	CTSYNCD_TEST_INJECT="$RUN/inject" cts_start "$CTSYNCD_TEST"
	sleep 0.5
}

@test "a commit start with no dump after it: events come back, counted as an overrun" {
	export CTS_GENERAL_EXTRA="	NetlinkOverrunResync 1"
	cts_write_conf
	inject begin
	# the kernel process is out of the NEW groups: this event is lost
	ct_add -p udp -s 198.51.100.240 -d 203.0.113.240 --sport 7000 \
	    --dport 7001 -t 120
	WAIT_TICKS=200 wait_for 1 sh -c "grep -c 'no reconciling dump' '$DLOG'"
	[ "$(runtime_field 'netlink overrun')" -eq 1 ]
	# the overrun resync finds it, and events flow again
	wait_for 1 cache_count
	ct_add -p udp -s 198.51.100.241 -d 203.0.113.241 --sport 7000 \
	    --dport 7001 -t 120
	wait_for 2 cache_count
	diff <(kernel_all) <(ct_cache_list -i)
}

@test "injected good commit batch creates its two entries" {
	inject good
	wait_for 2 kernel_count
	! grep -q refusing "$DLOG"
}

@test "kernel refuses bad commit batches whole, table unchanged" {
	for rule in count empty kind origin padding family v4upper flags \
	    timeout wscale zone icmp state helper status exp dumptable; do
		inject "$rule"
		grep -q "refusing" "$DLOG" || { echo "rule $rule"; false; }
		[ "$(kernel_count)" -eq 0 ] || { echo "rule $rule"; false; }
		"$CTL" -C "$CONF" -k >/dev/null
		cts_wait_exit "$DPID"
		DPID=
	done
}

@test "expectations: -i expect equals conntrack -L expect; -F flushes them" {
	export CTS_SYNC_EXTRA="	Options { ExpectationSync On }"
	cts_write_conf
	inject ftpmaster
	wait_for 1 kernel_count
	ip netns exec "$NS" conntrack -I expect -p tcp -s 198.51.100.200 \
	    -d 203.0.113.200 --sport 4000 --dport 21 \
	    --tuple-src 198.51.100.200 --tuple-dst 203.0.113.200 \
	    --tuple-port-src 0 --tuple-port-dst 41739 \
	    --mask-src 255.255.255.255 --mask-dst 255.255.255.255 \
	    --mask-port-src 0 --mask-port-dst 65535 -t 200 >/dev/null 2>&1
	exp_kernel() {
		ip netns exec "$NS" conntrack -L expect 2>/dev/null |
		    sed -E 's/^[0-9]+ //'
	}
	[ "$(exp_kernel | wc -l)" -eq 1 ]
	wait_for 1 sh -c "'$CTL' -C '$CONF' -i expect | wc -l"
	diff <(exp_kernel) <(ct_cache_list -i expect)
	run "$CTL" -C "$CONF" -F
	[ "$status" -eq 0 ]
	[ "$(exp_kernel | wc -l)" -eq 0 ]
	wait_for 0 sh -c "'$CTL' -C '$CONF' -i expect | wc -l"
}

@test "kernel process dies on a message type sync may not send" {
	inject type || true
	cts_wait_exit "$DPID"
	run wait "$DPID"
	[ "$status" -ne 0 ]
	grep -q "unexpected KERNEL_CT_EVENTS" "$DLOG"
	[ ! -e "$SOCK" ]
}

@test "kernel refuses inject batches: without DisableExternalCache, and bad ones whole" {
	# the option is off: even a good batch is refused
	inject inject-good
	grep -q "refusing.*inject without DisableExternalCache" "$DLOG"
	[ "$(kernel_count)" -eq 0 ]
	"$CTL" -C "$CONF" -k >/dev/null
	cts_wait_exit "$DPID"
	DPID=
	export CTS_SYNC_EXTRA="	Mode NOTRACK { DisableExternalCache on }"
	sed -i '/Mode FTFW { }/d' "$CONF"
	cts_write_conf
	sed -i '/Mode FTFW { }/d' "$CONF"
	inject inject-good
	wait_for 2 kernel_count
	"$CTL" -C "$CONF" -k >/dev/null
	cts_wait_exit "$DPID"
	DPID=
	ip netns exec "$NS" conntrack -F >/dev/null 2>&1
	for rule in kind origin padding family flags timeout zone status; do
		inject "inject-$rule"
		grep -q "refusing" "$DLOG" || { echo "rule $rule"; false; }
		[ "$(kernel_count)" -eq 0 ] || { echo "rule $rule"; false; }
		"$CTL" -C "$CONF" -k >/dev/null
		cts_wait_exit "$DPID"
		DPID=
	done
}
