/** fast-check generators for packet specs, shared by the tests. */
import fc from 'fast-check'
import {
  buildIcmp4,
  buildIcmp4Echo,
  buildIcmp6,
  buildIcmp6Echo,
  buildTcp4,
  buildTcp6,
  buildUdp4,
  buildUdp6,
  type Ipv4Spec,
  type Ipv6ExtSpec,
  type Ipv6Spec,
} from '../src/index.ts'

/** `FUZZ_RUNS=10000000 bun run fuzz` raises the hostile-input properties' budget; 0 keeps the modest CI defaults. */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 0)

export const u16 = fc.integer({ min: 0, max: 0xffff })
export const u32 = fc.nat(0xffffffff)
export const addr6 = fc.uint8Array({ minLength: 16, maxLength: 16 })
export const payload = (max = 64) => fc.uint8Array({ maxLength: max })

export const ipv4Spec: fc.Arbitrary<Ipv4Spec> = fc.record({
  src: u32,
  dst: u32,
  ttl: fc.integer({ min: 0, max: 255 }),
  tos: fc.integer({ min: 0, max: 255 }),
  ident: u16,
  dontFragment: fc.boolean(),
  // Options padded to a multiple of 4 with zeros; contents are not interpreted.
  ipOptions: fc.option(fc.uint8Array({ minLength: 1, maxLength: 40 }), { nil: undefined }),
})

/** Options headers whose data is all zeros (Pad1 options), routing with segments left 0, atomic fragments. */
export const extSpec: fc.Arbitrary<Ipv6ExtSpec> = fc.oneof(
  fc.record({
    type: fc.constant(60 as const),
    data: fc.integer({ min: 0, max: 30 }).map((n) => new Uint8Array(n)),
  }),
  // Routing type 0 with segments left 0 (ignored, RFC 8200 §4.4) and n addresses: 8 + 16n bytes.
  fc.record({
    type: fc.constant(43 as const),
    data: fc.integer({ min: 0, max: 2 }).map((n) => new Uint8Array(6 + 16 * n)),
  }),
  fc.record({ type: fc.constant(44 as const), offset: fc.constant(0), more: fc.constant(false), id: u32 }),
)

export const ipv6Spec: fc.Arbitrary<Ipv6Spec> = fc
  .record({
    src: addr6,
    dst: addr6,
    hopLimit: fc.integer({ min: 0, max: 255 }),
    trafficClass: fc.integer({ min: 0, max: 255 }),
    flowLabel: fc.integer({ min: 0, max: 0xfffff }),
    hbh: fc.boolean(),
    ext: fc.array(extSpec, { maxLength: 3 }),
  })
  .map(({ hbh, ext, ...s }) => ({
    ...s,
    ext: hbh ? [{ type: 0 as const, data: new Uint8Array(4) }, ...ext] : ext,
  }))

export const udpSpec = fc.record({ srcPort: u16, dstPort: u16, payload: payload() })
export const tcpSpec = fc.record({
  srcPort: u16,
  dstPort: u16,
  seq: u32,
  ack: u32,
  flags: fc.integer({ min: 0, max: 255 }),
  window: u16,
  urgent: u16,
  tcpOptions: fc.option(fc.uint8Array({ minLength: 1, maxLength: 40 }), { nil: undefined }),
  payload: payload(),
})
export const echoSpec = fc.record({ id: u16, seq: u16, reply: fc.boolean(), payload: payload() })

export type Kind = 'udp4' | 'udp6' | 'tcp4' | 'tcp6' | 'icmp4' | 'icmp6'
export const KINDS: Kind[] = ['udp4', 'udp6', 'tcp4', 'tcp6', 'icmp4', 'icmp6']

/** A built packet of any kind, with the spec it came from. */
export const anyPacket = fc.oneof(
  fc
    .tuple(ipv4Spec, udpSpec)
    .map(([ip, t]) => ({ kind: 'udp4' as Kind, spec: { ...ip, ...t }, bytes: buildUdp4({ ...ip, ...t }) })),
  fc
    .tuple(ipv6Spec, udpSpec)
    .map(([ip, t]) => ({ kind: 'udp6' as Kind, spec: { ...ip, ...t }, bytes: buildUdp6({ ...ip, ...t }) })),
  fc
    .tuple(ipv4Spec, tcpSpec)
    .map(([ip, t]) => ({ kind: 'tcp4' as Kind, spec: { ...ip, ...t }, bytes: buildTcp4({ ...ip, ...t }) })),
  fc
    .tuple(ipv6Spec, tcpSpec)
    .map(([ip, t]) => ({ kind: 'tcp6' as Kind, spec: { ...ip, ...t }, bytes: buildTcp6({ ...ip, ...t }) })),
  fc.tuple(ipv4Spec, echoSpec).map(([ip, t]) => ({
    kind: 'icmp4' as Kind,
    spec: { ...ip, ...t },
    bytes: buildIcmp4Echo({ ...ip, ...t }),
  })),
  fc.tuple(ipv6Spec, echoSpec).map(([ip, t]) => ({
    kind: 'icmp6' as Kind,
    spec: { ...ip, ...t },
    bytes: buildIcmp6Echo({ ...ip, ...t }),
  })),
)

/**
 * An ICMP error quoting a UDP, TCP or echo packet cut after `keep` bytes of transport: ICMPv4 Destination
 * Unreachable (several codes), Time Exceeded or Parameter Problem; ICMPv6 Destination Unreachable, Packet Too Big,
 * Time Exceeded or Parameter Problem. IPv6 quotes may carry extension headers.
 */
export const icmpError = fc
  .tuple(
    fc.boolean(),
    fc.constantFrom('udp', 'tcp', 'echo'),
    ipv4Spec,
    ipv6Spec,
    udpSpec,
    tcpSpec,
    echoSpec,
    fc.integer({ min: 8, max: 80 }),
    fc.boolean(),
    fc.constantFrom([3, 0], [3, 1], [3, 3], [3, 4], [3, 13], [11, 0], [12, 0]),
    fc.constantFrom([1, 3], [1, 1], [1, 4], [2, 0], [3, 0], [4, 0]),
    u32,
  )
  .map(([v6, inner, ip4, ip6, u, t, e, keep, zeroUdp, [t4, c4], [t6, c6], rest]) => {
    const quoted =
      inner === 'udp'
        ? v6
          ? buildUdp6({ ...ip6, ...u })
          : buildUdp4({ ...ip4, ...u, zeroChecksum: zeroUdp })
        : inner === 'tcp'
          ? v6
            ? buildTcp6({ ...ip6, ...t })
            : buildTcp4({ ...ip4, ...t })
          : v6
            ? buildIcmp6Echo({ ...ip6, ...e })
            : buildIcmp4Echo({ ...ip4, ...e })
    // Headers before the transport: IPv4 IHL, or 40 + the extension headers the builder wrote.
    let hl = v6 ? 40 : (quoted[0] & 15) * 4
    if (v6) for (const x of ip6.ext ?? []) hl += x.type === 44 ? 8 : (2 + (x.data?.length ?? 6) + 7) & ~7
    const quote = quoted.slice(0, Math.min(quoted.length, hl + keep))
    const bytes = v6
      ? buildIcmp6({ src: ip6.dst, dst: ip6.src, type: t6, code: c6, rest, payload: quote })
      : buildIcmp4({ src: ip4.dst, dst: ip4.src, type: t4, code: c4, rest, payload: quote })
    return { v6, inner, quoted, quote, bytes }
  })
