"""Send or sniff probe packets for the TAYGA differential test (test/tayga.test.ts).

  tayga.py send6 IFACE          send the IPv6 probes out of IFACE (layer 2, to the router's MAC)
  tayga.py send4 IFACE          send the IPv4 probes
  tayga.py sniff IFACE N FAMILY print the first N packets of FAMILY (4 or 6) seen on IFACE as JSON
Run with /usr/bin/python3 (Debian's python3-scapy), inside the right network namespace.
"""
import json
import sys

from scapy.all import (  # noqa: E402
    ICMP, IP, IPv6, TCP, UDP, Ether, ICMPv6EchoReply, ICMPv6EchoRequest, Raw, conf, get_if_hwaddr, getmacbyip,
    getmacbyip6,
    raw, sendp, sniff,
)

conf.verb = 0
SRC6, DST6 = '2001:db8:6::2', '2001:db8:64::c000:202'
SRC4, DST4 = '192.0.2.2', '198.51.100.2'


def probes6():
    base = dict(src=SRC6, dst=DST6)
    return [
        IPv6(**base, hlim=30) / TCP(sport=40000, dport=80, flags='S', seq=1),
        IPv6(**base, tc=0xb8, fl=0x12345, hlim=31) / UDP(sport=40001, dport=53) / Raw(b'q' * 20),
        IPv6(**base, hlim=32) / UDP(sport=40002, dport=5000) / Raw(b'b' * 1300),
        IPv6(**base, hlim=33) / ICMPv6EchoRequest(id=7, seq=1, data=b'ping' * 8),
    ]


def probes4():
    base = dict(src=SRC4, dst=DST4)
    return [
        IP(**base, ttl=30, id=11) / TCP(sport=80, dport=40000, flags='SA', seq=5, ack=2),
        IP(**base, ttl=31, tos=0x28, id=12, flags='DF') / UDP(sport=53, dport=40001) / Raw(b'a' * 20),
        IP(**base, ttl=32, id=13) / UDP(sport=5000, dport=40002) / Raw(b'c' * 1000),
        IP(**base, ttl=33, id=14) / ICMP(type=0, id=7, seq=1) / Raw(b'pong' * 8),
    ]


def fields(p):
    """The fields compared, and whether each checksum verifies (scapy's own recomputation)."""
    def ok(layer, field):
        c = p.copy()
        setattr(c[layer], field, None)
        return c.__class__(raw(c))[layer].getfieldval(field) == p[layer].getfieldval(field)
    out = {}
    if IP in p:
        ip = p[IP]
        out.update(ver=4, src=ip.src, dst=ip.dst, ttl=ip.ttl, tos=ip.tos, len=ip.len, proto=ip.proto,
                   id=ip.id, flags=int(ip.flags), frag=ip.frag, ip_ok=ok(IP, 'chksum'))
    else:
        ip = p[IPv6]
        out.update(ver=6, src=ip.src, dst=ip.dst, hlim=ip.hlim, tc=ip.tc, fl=ip.fl, plen=ip.plen, nh=ip.nh)
    for layer, field in ((TCP, 'chksum'), (UDP, 'chksum'), (ICMP, 'chksum'), (ICMPv6EchoRequest, 'cksum'),
                         (ICMPv6EchoReply, 'cksum')):
        if layer in p:
            out['l4'] = layer.__name__
            out['l4_ok'] = ok(layer, field)
            if layer in (TCP, UDP):
                out.update(sport=p[layer].sport, dport=p[layer].dport)
            break
    return out


def main():
    cmd, iface = sys.argv[1], sys.argv[2]
    if cmd in ('send6', 'send4'):
        gw = '2001:db8:6::1' if cmd == 'send6' else '192.0.2.1'
        mac = getmacbyip6(gw) if cmd == 'send6' else getmacbyip(gw)
        for p in (probes6() if cmd == 'send6' else probes4()):
            sendp(Ether(src=get_if_hwaddr(iface), dst=mac) / p, iface=iface)
    else:
        n, fam = int(sys.argv[3]), sys.argv[4]
        want = IP if fam == '4' else IPv6
        def wanted(p):
            if fam == '4':
                return IP in p and p[IP].dst == SRC4
            if IPv6 not in p or p[IPv6].dst != SRC6:
                return False
            # Not the neighbour discovery / MLD chatter (ICMPv6 types 130-137).
            return not (p[IPv6].nh == 58 and raw(p[IPv6].payload)[0] >= 130)
        got = sniff(iface=iface, count=n, timeout=6, lfilter=wanted,
                    started_callback=lambda: print('ready', flush=True))
        print(json.dumps([fields(p) for p in got]), flush=True)


main()
