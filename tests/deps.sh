#!/bin/sh
# Install the Debian packages ctsyncd needs to build and test.  A no-op
# when they are all present.
set -eu

PKGS="gcc make pkg-config byacc libbsd-dev libmnl-dev \
libnetfilter-conntrack-dev libseccomp-dev libcap-ng-dev \
clang libclang-rt-14-dev bats mandoc conntrack conntrackd \
nftables iproute2 procps passwd util-linux python3"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run as root (or: apt-get install -y$missing)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# conntrackd's package would start its own service where systemd runs;
# policy-rc.d keeps the test peer from starting behind our back.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -q --no-install-recommends $missing
