#!/usr/bin/env python3
"""Seed corpus for fuzz_wire: one file per sync datagram payload.

Reads classic pcap files (Ethernet, IPv4/IPv6, UDP or TCP) and writes
each non-empty UDP payload or TCP segment payload to OUTDIR as
<capture>-<NNN>.  Payloads already written (same bytes) are skipped,
so the corpus holds each distinct datagram once.  Python stdlib only.

usage: extract_pcap.py OUTDIR CAPTURE.pcap...
       extract_pcap.py --hex CAPTURE.pcap    (print payloads as hex)
"""
import os
import struct
import sys


def frames(path):
    """Yield the captured bytes of every frame of a classic pcap."""
    with open(path, 'rb') as f:
        data = f.read()
    magic = data[:4]
    if magic == b'\xd4\xc3\xb2\xa1' or magic == b'\x4d\x3c\xb2\xa1':
        endian = '<'
    elif magic == b'\xa1\xb2\xc3\xd4' or magic == b'\xa1\xb2\x3c\x4d':
        endian = '>'
    else:
        raise ValueError('%s: not a classic pcap file' % path)
    (linktype,) = struct.unpack(endian + 'I', data[20:24])
    if linktype != 1:
        raise ValueError('%s: link type %d, want Ethernet' % (path, linktype))
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(endian + 'IIII', data[off:off + 16])[2]
        off += 16
        yield data[off:off + incl]
        off += incl


def l4_payload(frame):
    """The UDP payload or TCP segment payload of an Ethernet frame."""
    if len(frame) < 14:
        return None
    (ethertype,) = struct.unpack('!H', frame[12:14])
    ip = frame[14:]
    if ethertype == 0x0800 and len(ip) >= 20:
        proto = ip[9]
        (total,) = struct.unpack('!H', ip[2:4])
        l4 = ip[(ip[0] & 0x0f) * 4:total]
    elif ethertype == 0x86dd and len(ip) >= 40:
        proto = ip[6]
        (plen,) = struct.unpack('!H', ip[4:6])
        l4 = ip[40:40 + plen]
    else:
        return None
    if proto == 17 and len(l4) >= 8:
        return l4[8:]
    if proto == 6 and len(l4) >= 20:
        return l4[(l4[12] >> 4) * 4:]
    return None


def payloads(path):
    for frame in frames(path):
        p = l4_payload(frame)
        if p:
            yield p


def main(argv):
    if len(argv) == 3 and argv[1] == '--hex':
        for p in payloads(argv[2]):
            print(p.hex())
        return 0
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    outdir = argv[1]
    os.makedirs(outdir, exist_ok=True)
    seen = set()
    for path in argv[2:]:
        name = os.path.splitext(os.path.basename(path))[0]
        n = 0
        for p in payloads(path):
            if p in seen:
                continue
            seen.add(p)
            with open(os.path.join(outdir, '%s-%03d' % (name, n)), 'wb') as f:
                f.write(p)
            n += 1
        print('%s: %d distinct payloads' % (path, n))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
