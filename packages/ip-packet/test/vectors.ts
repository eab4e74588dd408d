/**
 * Known packets. Source: built by scapy 2.5.0 (Debian python3-scapy), an
 * independent implementation; the scapy expression is beside each vector so
 * it can be rebuilt. Addresses: 10.0.0.1 / 192.0.2.7, fd00::1 / 2001:db8::7.
 */
export const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'))

/** IP(src='10.0.0.1',dst='192.0.2.7',id=0x1234)/UDP(sport=5353,dport=53)/b'hello' */
export const UDP4 = hex('450000211234000040119c900a000001c000020714e90035000ddadb68656c6c6f')
/** IPv6(src='fd00::1',dst='2001:db8::7')/TCP(sport=40000,dport=443,seq=1,flags='S',window=64240) */
export const TCP6 = hex(
  '6000000000140640fd00000000000000000000000000000120010db80000000000000000000000079c4001bb00000001000000005002faf0ec330000',
)
/** IP(src='192.0.2.1',dst='10.0.0.1',id=1)/ICMP(type=3,code=3)/IP(src='10.0.0.1',dst='192.0.2.1',id=7)/UDP(sport=1000,dport=2000)/b'abcd' */
export const ICMP4_PORT_UNREACH = hex(
  '4500003c000100004001aebec00002010a0000010303c91c0000000045000020000700004011aec40a000001c000020103e807d0000c635561626364',
)
/** IPv6(...)/IPv6ExtHdrHopByHop()/IPv6ExtHdrDestOpt()/UDP(sport=5353,dport=53)/b'hi' (each header one PadN option) */
export const UDP6_EXT = hex(
  '60000000001a0040fd00000000000000000000000000000120010db80000000000000000000000073c00010400000000110001040000000014e90035000a57916869',
)
/** IPv6(...)/ICMPv6EchoRequest(id=0x4242,seq=7,data=b'ping') */
export const ICMP6_ECHO = hex(
  '60000000000c3a40fd00000000000000000000000000000120010db8000000000000000000000007800033dd4242000770696e67',
)
/** IP(id=2,options=[NOP,NOP,NOP,EOL])/TCP(sport=40000,dport=80,seq=100,flags='S',window=1024) */
export const TCP4_OPTIONS = hex(
  '4600002c000200004006abc10a000001c0000207010101009c40005000000064000000005002040042e60000',
)
/** IP(id=3,flags='MF',frag=0,proto=17)/Raw(UDP header 8080->80 len 32 + 'x'*8): a first fragment */
export const UDP4_FIRST_FRAGMENT = hex(
  '450000240003200040118ebe0a000001c00002071f900050002000007878787878787878',
)
/** IP(id=3,frag=2,proto=17)/Raw(b'y'*8): a non-first fragment (offset 16 bytes) */
export const IPV4_LATER_FRAGMENT = hex('4500001c000300024011aec40a000001c00002077979797979797979')
/** IPv6(nh=44)/IPv6ExtHdrFragment(nh=17,offset=1,m=0,id=0xdeadbeef)/Raw(b'z'*8): a non-first fragment */
export const IPV6_LATER_FRAGMENT = hex(
  '6000000000102c40fd00000000000000000000000000000120010db800000000000000000000000711000008deadbeef7a7a7a7a7a7a7a7a',
)
/** IPv6(src='2001:db8::7',dst='fd00::1')/ICMPv6DestUnreach(code=3)/(a TCP SYN fd00::1 -> 2001:db8::7 cut to 40+8 bytes) */
export const ICMP6_UNREACH_TRUNCATED_TCP = hex(
  '6000000000383a4020010db8000000000000000000000007fd0000000000000000000000000000010103a4b600000000600000000014063ffd00000000000000000000000000000120010db80000000000000000000000079c4001bb00000001',
)
/** IP(id=9)/ICMP(type=8,id=0x1234,seq=1)/b'abcdefgh' */
export const ICMP4_ECHO = hex('45000024000900004001aec80a000001c000020708005435123400016162636465666768')
