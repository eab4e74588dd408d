"""Independent oracle for the nat64 tests: decode packets with scapy.

Reads a JSON list of hex strings on stdin; prints a JSON list with, for
each packet, its decoded fields and whether scapy's own recomputation of
each checksum agrees with the one on the wire. Run with /usr/bin/python3
(Debian's python3-scapy).
"""
import json
import sys

from scapy.all import IP, IPv6, TCP, UDP, ICMP, IPerror, IPv6ExtHdrFragment, raw  # noqa: E402
from scapy.layers.inet6 import (  # noqa: E402
    ICMPv6DestUnreach,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6PacketTooBig,
    ICMPv6ParamProblem,
    ICMPv6TimeExceeded,
    IPerror6,
)

ICMP6 = (ICMPv6DestUnreach, ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6PacketTooBig, ICMPv6ParamProblem, ICMPv6TimeExceeded)


def recomputed(pkt, cls, field):
    """The checksum scapy computes for layer `cls` when the field is deleted."""
    c = pkt.copy()
    setattr(c[cls], field, None)
    return c.__class__(raw(c))[cls].getfieldval(field)


def decode(h):
    b = bytes.fromhex(h)
    out = {}
    if b[0] >> 4 == 4:
        p = IP(b)
        out.update(version=4, ihl=p.ihl, tos=p.tos, len=p.len, id=p.id, flags=int(p.flags), frag=p.frag * 8,
                   ttl=p.ttl, proto=p.proto, src=p.src, dst=p.dst, ip_ok=recomputed(p, IP, 'chksum') == p.chksum)
        fragmented = int(p.flags) & 1 or p.frag
    else:
        p = IPv6(b)
        out.update(version=6, tc=p.tc, fl=p.fl, plen=p.plen, nh=p.nh, hlim=p.hlim, src=p.src, dst=p.dst)
        fragmented = False
        if IPv6ExtHdrFragment in p:
            f = p[IPv6ExtHdrFragment]
            out.update(frag_offset=f.offset * 8, frag_m=f.m, frag_id=f.id, frag_nh=f.nh)
            fragmented = f.m or f.offset
    l4 = None
    if not fragmented:
        for cls, field in ((TCP, 'chksum'), (UDP, 'chksum'), (ICMP, 'chksum')) + tuple((c, 'cksum') for c in ICMP6):
            if cls in p and not p[cls].underlayer.__class__.__name__.endswith('error') and \
                    not p[cls].underlayer.__class__.__name__.endswith('error6'):
                layer = p[cls]
                l4 = {'layer': cls.__name__, 'ok': recomputed(p, cls, field) == layer.getfieldval(field)}
                if cls in (TCP, UDP):
                    l4.update(sport=layer.sport, dport=layer.dport)
                if cls is ICMP or cls in ICMP6:
                    l4.update(type=layer.type, code=layer.code)
                if cls in (ICMPv6EchoRequest, ICMPv6EchoReply) or (cls is ICMP and layer.type in (0, 8)):
                    l4.update(id=layer.id, seq=layer.seq)
                if cls is ICMPv6PacketTooBig:
                    l4.update(mtu=layer.mtu)
                if cls is ICMP and layer.type == 3 and layer.code == 4:
                    l4.update(mtu=layer.nexthopmtu)
                break
    out['l4'] = l4
    if IPerror in p:
        q = p[IPerror]
        out['inner'] = {'version': 4, 'src': q.src, 'dst': q.dst, 'proto': q.proto, 'ttl': q.ttl,
                        'ok': recomputed(p, IPerror, 'chksum') == q.chksum}
    elif IPerror6 in p:
        q = p[IPerror6]
        out['inner'] = {'version': 6, 'src': q.src, 'dst': q.dst, 'nh': q.nh, 'hlim': q.hlim}
    return out


print(json.dumps([decode(h) for h in json.load(sys.stdin)]))
