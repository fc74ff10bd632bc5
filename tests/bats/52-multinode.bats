#!/usr/bin/env bats
# Three firewalls on one multicast group (a bridge in a hub namespace).
# conntrackd keeps one FTFW sequence space for all its peers and loses
# entries with three nodes; ctsyncd tracks each peer on its own.

load sync

setup_file() { cts_setup_users; }
teardown_file() { cts_teardown_users; }
setup() { sync_setup; sync_nodes 3; }
teardown() { sync_teardown; }

# N TCP entries on node i, distinct per node by source port range
node_flows() {
	local i="$1" n="$2" k
	for k in $(seq 1 "$n"); do
		node_ct "$i" -I -p tcp -s "198.51.100.$i" -d 203.0.113.9 \
		    --sport $((10000 * i + k)) --dport 443 \
		    --state ESTABLISHED -t 600 -u ASSURED
	done
}

# node i's external cache holds exactly the other nodes' kernel tables
holds_others() {
	local i="$1" j
	for j in 1 2 3; do
		[ "$j" = "$i" ] && continue
		node_kernel "$j"
	done | sort > "${RUNN[$i]}/want"
	diff "${RUNN[$i]}/want" <(node_ext "$i")
}

@test "FTFW, three ctsyncd nodes on one multicast group, 10% loss at one: all converge" {
	for i in 1 2 3; do node_conf "$i" ctsyncd FTFW mcast4 0; done
	for i in 1 2 3; do node_start "$i"; done
	link_loss 3 10
	node_flows 1 60 & f1=$!
	node_flows 2 60 & f2=$!
	node_flows 3 60
	wait "$f1" "$f2"
	for i in 1 2 3; do WAIT_TICKS=300 wait_for 120 node_ext_count "$i"; done
	for i in 1 2 3; do holds_others "$i"; done
	# each node tracks two live peers
	for i in 1 2 3; do
		[ "$(node_ctl "$i" -j show status | python3 -c \
		    'import json,sys; print(json.load(sys.stdin)["peer"]["peers_live"])')" = 2 ]
	done
	# deletes reach everyone too
	node_ct 1 -D -s 198.51.100.1
	for i in 2 3; do wait_for 60 node_ext_count "$i"; done
	for i in 2 3; do holds_others "$i"; done
}

@test "NOTRACK, two ctsyncd nodes and one conntrackd on one multicast group" {
	command -v conntrackd >/dev/null || skip "conntrackd not installed"
	node_conf 1 ctsyncd NOTRACK mcast4 0
	node_conf 2 ctsyncd NOTRACK mcast4 0
	node_conf 3 conntrackd NOTRACK mcast4 0
	for i in 1 2 3; do node_start "$i"; done
	node_flows 1 20
	node_flows 2 20
	node_flows 3 20
	for i in 1 2 3; do wait_for 40 node_ext_count "$i"; done
	holds_others 1
	holds_others 2
}
