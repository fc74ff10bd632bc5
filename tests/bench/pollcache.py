#!/usr/bin/env python3
"""Wait until a daemon's cache holds WANT entries, polling its client.

One resident process that spawns only the client for each poll: a
shell loop forking subshells, awk and date every 50 ms took a third of
this 2-CPU machine during a 1M resync and slowed what it timed.

usage: pollcache.py WANT STALL_S PID T0_CS LABEL LOG KEY -- CLIENT ARGV...
Prints "SECS GOT" (SECS "-" when WANT was not reached); progress lines
go to LOG once a second.  KEY is the first field of the client's line
("cache:external"), whose last field is the count.
"""
import os
import subprocess
import sys
import time


def now_cs():
    with open("/proc/uptime") as f:
        return int(round(float(f.read().split()[0]) * 100))


def poll(argv, key):
    try:
        out = subprocess.run(argv, capture_output=True, text=True,
                             timeout=20).stdout
    except (subprocess.TimeoutExpired, OSError):
        return None
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == key and f[-1].isdigit():
            return int(f[-1])
    return None


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def main():
    a = sys.argv
    if len(a) < 10 or a[8] != "--":
        sys.exit(__doc__)
    want, stall, pid, t0 = int(a[1]), int(a[2]), int(a[3]), int(a[4])
    label, log, key, argv = a[5], a[6], a[7], a[9:]
    last, lastprog, logged, got, secs = -1, t0, -100, None, "-"
    with open(log, "a") as lf:
        while True:
            g = poll(argv, key)
            now = now_cs()
            el = now - t0
            if g is not None:
                got = g
                if got >= want:
                    secs = "%.2f" % (el / 100)
                    lf.write("%s %d at %s s\n" % (label, got, secs))
                    break
                if got > last:
                    last, lastprog = got, now
            if now - logged >= 100:
                lf.write("%s %s at %.2f s\n" % (label,
                         "?" if got is None else got, el / 100))
                lf.flush()
                logged = now
            if not alive(pid):
                lf.write("%s: the daemon is gone at %.2f s\n" %
                         (label, el / 100))
                break
            if now - lastprog >= stall * 100:
                lf.write("%s stuck at %s for %d s (since %.2f s)\n" %
                         (label, got, stall, (lastprog - t0) / 100))
                break
            # fine polls while the time is short, coarser later
            time.sleep(0.05 if el < 200 else 0.1 if el < 1000 else 0.25)
    print(secs, "" if got is None else got)


main()
