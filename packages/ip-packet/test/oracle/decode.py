#!/usr/bin/python3
"""Independent oracle for ip-packet's tests: decode packets with scapy.

Reads one hex packet per line on stdin, prints one JSON object per line with
the fields scapy decodes and whether each checksum verifies. Run with Debian's
/usr/bin/python3 (python3-scapy). Checksums are verified with scapy's own
helpers (checksum, in4_chksum, in6_chksum), not by re-serialising.
"""
import json
import sys

from scapy.all import (ICMP, IP, TCP, UDP, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Raw, raw)
from scapy.layers.inet6 import _ICMPv6, in6_chksum
from scapy.utils import checksum
from scapy.layers.inet import in4_chksum

EXT = [(IPv6ExtHdrHopByHop, 'hbh'), (IPv6ExtHdrRouting, 'routing'),
       (IPv6ExtHdrFragment, 'fragment'), (IPv6ExtHdrDestOpt, 'dstopts')]


def decode(b):
    out = {}
    if b[0] >> 4 == 4:
        p = IP(b)
        ip = p
        out.update(version=4, src=p.src, dst=p.dst, ttl=p.ttl, proto=p.proto, ident=p.id,
                   ihl=p.ihl, total_len=p.len, frag=p.frag * 8, mf=bool(p.flags.MF), df=bool(p.flags.DF),
                   ip_ok=checksum(b[:p.ihl * 4]) == 0)
        end = p.len
        l4 = p.payload
    else:
        p = IPv6(b)
        ip = p
        out.update(version=6, src=p.src, dst=p.dst, ttl=p.hlim, tc=p.tc, fl=p.fl, plen=p.plen, ext=[])
        end = 40 + p.plen
        nh = p.nh
        l4 = p.payload
        while True:
            name = next((n for cls, n in EXT if isinstance(l4, cls)), None)
            if name is None:
                break
            out['ext'].append(name)
            if name == 'fragment':
                out.update(frag=l4.offset * 8, mf=bool(l4.m), frag_id=l4.id)
            nh = l4.nh
            l4 = l4.payload
        out['proto'] = nh
    # The transport bytes as they are on the wire (not re-serialised by scapy).
    l4b = b[end - len(raw(l4)):end]
    if isinstance(l4, (TCP, UDP)):
        out.update(sport=l4.sport, dport=l4.dport, l4_len=len(l4b))
        if isinstance(l4, TCP):
            out.update(seq=l4.seq, ack=l4.ack, flags=int(l4.flags), window=l4.window, dataofs=l4.dataofs)
            proto = 6
        else:
            out.update(udp_len=l4.len, udp_chksum=l4.chksum)
            proto = 17
        if out['version'] == 4:
            out['l4_ok'] = in4_chksum(proto, ip, l4b) == 0
        else:
            out['l4_ok'] = in6_chksum(proto, ip, l4b) == 0
        out['payload'] = raw(l4.payload).hex()
    elif isinstance(l4, ICMP):
        out.update(icmp_type=l4.type, icmp_code=l4.code, l4_ok=checksum(l4b) == 0)
        if l4.type in (0, 8):
            out.update(echo_id=l4.id, echo_seq=l4.seq)
        out['payload'] = l4b[8:].hex()
    elif isinstance(l4, _ICMPv6):
        out.update(icmp_type=l4.type, icmp_code=l4.code, l4_ok=in6_chksum(58, ip, l4b) == 0)
        if l4.type in (128, 129):
            out.update(echo_id=l4.id, echo_seq=l4.seq)
        out['payload'] = l4b[8:].hex()
    else:
        out['payload'] = l4b.hex()
    return out


for line in sys.stdin:
    line = line.strip()
    if line:
        print(json.dumps(decode(bytes.fromhex(line))))
