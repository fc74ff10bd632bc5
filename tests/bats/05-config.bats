#!/usr/bin/env bats
# ctsyncd -n: configuration checks from the command line.

load helpers

setup() {
	T="$(mktemp -d /tmp/ctsyncd-conf.XXXXXX)"
}
teardown() {
	rm -rf "$T"
}

@test "every conntrackd example config from the Debian package passes -n" {
	n=0
	for f in $(find /usr/share/doc/conntrackd/examples -name 'conntrackd.conf*'); do
		case "$f" in
		*.gz) zcat "$f" > "$T/ex.conf"; f="$T/ex.conf" ;;
		esac
		run "$CTSYNCD" -n -C "$f"
		echo "$f: $output"
		[ "$status" -eq 0 ]
		[[ "$output" == *"configuration OK"* ]]
		n=$((n + 1))
	done
	[ "$n" -ge 4 ]
}

@test "the shipped sample configs and the man page example pass -n" {
	n=0
	for f in "$BATS_TEST_DIRNAME"/../../etc/*.conf; do
		run "$CTSYNCD" -n -C "$f"
		echo "$f: $output"
		[ "$status" -eq 0 ]
		[[ "$output" == *"configuration OK"* ]]
		n=$((n + 1))
	done
	# FTFW/UDP, FTFW/multicast with a redundant link, NOTRACK/TCP, ALARM
	[ "$n" -ge 4 ]
	awk '/^\.Bd -literal/ { f = 1; next } /^\.Ed/ { f = 0 } f' \
	    "$BATS_TEST_DIRNAME/../../man/ctsyncd.conf.5" > "$T/man.conf"
	grep -q '^Sync {' "$T/man.conf"
	run "$CTSYNCD" -n -f "$T/man.conf"
	[ "$status" -eq 0 ]
}

@test "errors are FILE:LINE: message, exit 1, all of them reported" {
	cat > "$T/bad.conf" <<'CONF'
General {
	UNIX {
		Path /run/x.ctl
	}
	HashSize 0
	Frobnicate yes
}
Sync {
	UDP {
		IPv4_address 198.51.100.300
	}
}
CONF
	run "$CTSYNCD" -n -C "$T/bad.conf"
	[ "$status" -eq 1 ]
	echo "$output"
	[[ "$output" == *"$T/bad.conf:5: "* ]]
	[[ "$output" == *"$T/bad.conf:6: "*"Frobnicate"* ]]
	[[ "$output" == *"$T/bad.conf:10: "* ]]
	[[ "$output" != *"configuration OK"* ]]
}

@test "a missing UNIX Path is an error" {
	printf 'General {\n\tHashSize 1024\n}\n' > "$T/nopath.conf"
	run "$CTSYNCD" -n -C "$T/nopath.conf"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/nopath.conf"*"UNIX"*"Path"* ]]
}

@test "a missing file is a clear error" {
	run "$CTSYNCD" -n -C "$T/nonexistent.conf"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/nonexistent.conf"* ]]
}

@test "-nv prints a normalised config that parses to the same result" {
	f=/usr/share/doc/conntrackd/examples/sync/ftfw/conntrackd.conf
	"$CTSYNCD" -nv -C "$f" > "$T/norm.conf"
	run "$CTSYNCD" -n -C "$T/norm.conf"
	[ "$status" -eq 0 ]
	"$CTSYNCD" -nv -C "$T/norm.conf" > "$T/norm2.conf"
	diff -u "$T/norm.conf" "$T/norm2.conf"
	grep -q "225.0.0.50" "$T/norm.conf"
}

@test "ctsyncctl reads the socket path from the same config" {
	run "$B/ctsyncctl" -C "$T/nonexistent.conf" -s runtime
	[ "$status" -eq 1 ]
	printf 'General {\n\tUNIX {\n\t\tPath %s/none.ctl\n\t}\n}\n' "$T" > "$T/c.conf"
	run "$B/ctsyncctl" -C "$T/c.conf" -s runtime
	[ "$status" -eq 3 ]
	[[ "$output" == *"not running"*"$T/none.ctl"* ]]
}
