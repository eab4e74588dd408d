import { describe, expect, setDefaultTimeout, test } from 'bun:test'
import dnsPacket from 'dns-packet'
import fc from 'fast-check'
import {
  ANSWER_BUF_LEN,
  decodeMessage,
  encodeMessage,
  FLAG_QR,
  FLAG_RD,
  FLAG_TC,
  frameTcp,
  MessageView,
  nameToWire,
  RCODE,
  RCODE_BADVERS,
  scanMessage,
  TcpDeframer,
  TYPE,
  truncateForUdp,
  WIRE_DROPS,
  writeAddressAnswer,
  writeEmptyAnswer,
  writeFormErr,
  writePtrAnswer,
} from '../src/wire.ts'
import { arbName, arbQuery, fuzzRuns, hex } from './helpers.ts'

// bun's default is 5 s per test (the root bunfig's [test] timeout is not read); a shared CI core needs more.
setDefaultTimeout(60_000)

// `dig @127.0.0.1 App.Example.com A` as sent by dig 9.18 (captured with tcpdump -X; the cookie
// option is removed and the OPT RDLENGTH set to 0): id 0x1d2e, RD + AD, one question, one OPT
// advertising 1232 bytes.
const DIG_QUERY = hex(
  '1d2e 0120 0001 0000 0000 0001' +
    '03 417070 07 4578616d706c65 03 636f6d 00 0001 0001' +
    '00 0029 04d0 00 00 0000 0000',
)

describe('RFC 1035 §4.1 message scan', () => {
  test('deconstruct: a dig query gives its header, question and OPT fields', () => {
    const v = new MessageView()
    expect(scanMessage(DIG_QUERY, 0, DIG_QUERY.length, v)).toBeNull()
    expect(v.id).toBe(0x1d2e)
    expect(v.qr).toBe(false)
    expect(v.rd).toBe(true)
    expect(v.opcode).toBe(0)
    expect(v.qdcount).toBe(1)
    expect(v.qname).toBe('app.example.com')
    expect(v.qtype).toBe(TYPE.A)
    expect(v.qclass).toBe(1)
    expect(v.hasEdns).toBe(true)
    expect(v.ednsUdpSize).toBe(1232)
    expect(v.udpLimit).toBe(1232)
    expect(v.questionEnd).toBe(12 + 17 + 4)
    // The wire name keeps the asker's case (RFC 4343 §4: case is preserved in answers).
    expect(Array.from(v.qnameWire.subarray(0, 5))).toEqual([3, 0x41, 0x70, 0x70, 7])
  })

  test('scan at an offset inside a larger buffer', () => {
    const big = new Uint8Array(DIG_QUERY.length + 40)
    big.set(DIG_QUERY, 17)
    const v = new MessageView()
    expect(scanMessage(big, 17, DIG_QUERY.length, v)).toBeNull()
    expect(v.qname).toBe('app.example.com')
  })

  test('RFC 1035 §4.1.4: a pointer to a prior name is followed', () => {
    // question example.com A, answer with owner = pointer to offset 12
    const m = hex(
      '0001 8180 0001 0001 0000 0000' +
        '07 6578616d706c65 03 636f6d 00 0001 0001' +
        'c00c 0001 0001 00000001 0004 01020304',
    )
    const d = decodeMessage(m)
    if (typeof d === 'string') throw new Error(d)
    expect(d.answers).toEqual([{ name: 'example.com', ttl: 1, type: 'A', address: '1.2.3.4' }])
  })

  test('RFC 1035 §3.2.4: the question class comes through (CH for version.bind, an unassigned one)', () => {
    const ch = hex('0001 0100 0001 0000 0000 0000 07 76657273696f6e 04 62696e64 00 0010 0003')
    const d = decodeMessage(ch)
    if (typeof d === 'string') throw new Error(d)
    expect(d.questions).toEqual([{ name: 'version.bind', type: TYPE.TXT, class: 3 }])
    const odd = hex('0001 0100 0001 0000 0000 0000 01 61 00 0001 0099')
    const o = decodeMessage(odd)
    expect(typeof o !== 'string' && o.questions[0].class).toBe(0x99)
  })

  test('RFC 1035 §4.1.4: a pointer loop is refused, never followed forever', () => {
    // question name: label "a" then a pointer back to itself (offset 12)
    const m = hex('0001 0100 0001 0000 0000 0000 01 61 c00c 0001 0001')
    expect(scanMessage(m, 0, m.length, new MessageView())).toBe('dns-bad-pointer')
    // pointer to itself
    const self = hex('0001 0100 0001 0000 0000 0000 c00c 0001 0001')
    expect(scanMessage(self, 0, self.length, new MessageView())).toBe('dns-bad-pointer')
    // forward pointer
    const fwd = hex('0001 0100 0001 0000 0000 0000 c010 0001 0001 00')
    expect(scanMessage(fwd, 0, fwd.length, new MessageView())).toBe('dns-bad-pointer')
  })

  test('RFC 1035 §3.1: a name over 255 bytes is refused', () => {
    const labels = Array.from({ length: 5 }, () => `3f${'61'.repeat(63)}`).join('')
    const m = hex(`0001 0100 0001 0000 0000 0000 ${labels} 00 0001 0001`)
    expect(scanMessage(m, 0, m.length, new MessageView())).toBe('dns-name-too-long')
  })

  test('RFC 6891 §5: extended label types are refused', () => {
    const m = hex('0001 0100 0001 0000 0000 0000 41 61 00 0001 0001')
    expect(scanMessage(m, 0, m.length, new MessageView())).toBe('dns-bad-label')
  })

  test('RFC 6891 §6.1.1: two OPT records, or an OPT not owned by the root, are refused', () => {
    const opt = '00 0029 04d0 00 00 0000 0000'
    const two = hex(`0001 0100 0001 0000 0000 0002 01 61 00 0001 0001 ${opt} ${opt}`)
    expect(scanMessage(two, 0, two.length, new MessageView())).toBe('dns-bad-opt')
    const owned = hex('0001 0100 0001 0000 0000 0001 01 61 00 0001 0001 01 61 00 0029 04d0 00 00 0000 0000')
    expect(scanMessage(owned, 0, owned.length, new MessageView())).toBe('dns-bad-opt')
  })

  test('an RR whose RDLENGTH runs past the end is refused (dns-packet would not notice)', () => {
    const m = hex('0001 8180 0001 0001 0000 0000 01 61 00 0001 0001 c00c 0001 0001 00000001 0010 01020304')
    expect(scanMessage(m, 0, m.length, new MessageView())).toBe('dns-truncated')
    expect(decodeMessage(m)).toBe('dns-truncated')
  })

  test('an A record with RDLENGTH other than 4 is refused', () => {
    const m = hex('0001 8180 0001 0001 0000 0000 01 61 00 0001 0001 c00c 0001 0001 00000001 0002 0102')
    expect(scanMessage(m, 0, m.length, new MessageView())).toBe('dns-malformed')
  })

  test('round trip: any query encoded by dns-packet scans to the same name and type', () => {
    const v = new MessageView()
    fc.assert(
      fc.property(
        arbName(),
        fc.constantFrom(1, 28, 12, 16, 33, 65, 255),
        fc.nat(0xffff),
        (name, type, id) => {
          const bytes = encodeMessage({ id, flags: FLAG_RD, questions: [{ name, type }], ednsUdpSize: 1232 })
          expect(scanMessage(bytes, 0, bytes.length, v)).toBeNull()
          expect(v.qname).toBe(name.toLowerCase())
          expect(v.qtype).toBe(type)
          expect(v.id).toBe(id)
          const d = decodeMessage(bytes)
          if (typeof d === 'string') throw new Error(d)
          expect(d.questions[0]).toEqual({ name: name.toLowerCase(), type, class: 1 })
        },
      ),
      { numRuns: 200 },
    )
  })

  test('hostile input: random bytes never throw, and give null or a listed drop', () => {
    const v = new MessageView()
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const r = scanMessage(bytes, 0, bytes.length, v)
        expect(r === null || WIRE_DROPS.includes(r)).toBe(true)
        const d = decodeMessage(bytes)
        expect(typeof d === 'object' || WIRE_DROPS.includes(d)).toBe(true)
      }),
      { numRuns: fuzzRuns(500) },
    )
  })

  test('hostile input: mutated and truncated valid messages never throw', () => {
    const v = new MessageView()
    fc.assert(
      fc.property(
        arbQuery(),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 6 }),
        fc.nat(),
        (q, flips, cut) => {
          const m = q.slice(0, Math.max(0, q.length - (cut % 8)))
          for (const [at, byte] of flips) if (m.length > 0) m[at % m.length] = byte
          const r = scanMessage(m, 0, m.length, v)
          expect(r === null || WIRE_DROPS.includes(r)).toBe(true)
          const d = decodeMessage(m)
          expect(typeof d === 'object' || WIRE_DROPS.includes(d)).toBe(true)
        },
      ),
      { numRuns: fuzzRuns(500) },
    )
  })
})

describe('answers written by hand, read back by dns-packet (independent decoder)', () => {
  const v = new MessageView()
  scanMessage(DIG_QUERY, 0, DIG_QUERY.length, v)
  const out = new Uint8Array(ANSWER_BUF_LEN)

  test('RFC 1035 §3.4.1: four A records, TTL 1, owner compressed to the question (§4.1.4)', () => {
    const addrs = new Uint8Array([100, 96, 0, 1, 100, 96, 0, 2, 100, 96, 0, 3, 100, 96, 0, 4])
    const n = writeAddressAnswer(v, out, TYPE.A, addrs, 4, 1)
    // header 12 + question 21 + 4 x (2 pointer + 10 + 4) + OPT 11
    expect(n).toBe(12 + 21 + 4 * 16 + 11)
    const d = dnsPacket.decode(Buffer.from(out.subarray(0, n)))
    expect(d.id).toBe(0x1d2e)
    expect(d.type).toBe('response')
    expect(d.flag_rd).toBe(true)
    expect((d as { rcode?: string }).rcode).toBe('NOERROR')
    expect(d.questions).toEqual([{ name: 'App.Example.com', type: 'A', class: 'IN' }])
    expect(
      d.answers?.map((a) => [a.name, a.type, (a as { ttl: number }).ttl, (a as { data: string }).data]),
    ).toEqual([1, 2, 3, 4].map((i) => ['App.Example.com', 'A', 1, `100.96.0.${i}`]))
    expect(d.additionals?.[0]?.type).toBe('OPT')
  })

  test('RFC 3596 §2.2: AAAA records', () => {
    const addrs = new Uint8Array(64)
    for (let i = 0; i < 4; i++) {
      addrs.set([0xfd, 0x00, 0x20, 0x21, 0x11, 0x11, 0x80, 0x00], i * 16)
      addrs[i * 16 + 15] = i
    }
    const n = writeAddressAnswer(v, out, TYPE.AAAA, addrs, 4, 1)
    const d = decodeMessage(out.slice(0, n))
    if (typeof d === 'string') throw new Error(d)
    expect(d.answers.map((a) => (a.type === 'AAAA' ? a.address : ''))).toEqual([
      'fd00:2021:1111:8000::',
      'fd00:2021:1111:8000::1',
      'fd00:2021:1111:8000::2',
      'fd00:2021:1111:8000::3',
    ])
  })

  test('RFC 1035 §3.3.12: a PTR record', () => {
    const target = new Uint8Array(255)
    const tl = nameToWire('app.example.com', target)
    const n = writePtrAnswer(v, out, target, tl, 1)
    const d = decodeMessage(out.slice(0, n))
    if (typeof d === 'string') throw new Error(d)
    expect(d.answers).toEqual([{ name: 'app.example.com', ttl: 1, type: 'PTR', target: 'app.example.com' }])
  })

  test('RFC 1035 §4.1.1: empty answers carry the RCODE; BADVERS goes into the OPT (RFC 6891 §6.1.3)', () => {
    for (const rcode of [RCODE.NOERROR, RCODE.NXDOMAIN, RCODE.SERVFAIL, RCODE.REFUSED, RCODE.NOTIMP]) {
      const n = writeEmptyAnswer(v, out, rcode)
      const d = decodeMessage(out.slice(0, n))
      if (typeof d === 'string') throw new Error(d)
      expect(d.rcode).toBe(rcode)
      expect(d.answers).toEqual([])
      expect(d.questions[0].name).toBe('app.example.com')
    }
    const n = writeEmptyAnswer(v, out, RCODE_BADVERS)
    const w = new MessageView()
    expect(scanMessage(out, 0, n, w)).toBeNull()
    expect(w.rcode).toBe(RCODE_BADVERS)
  })

  test('RFC 1035 §4.1.1: FORMERR echoes the id and has no question', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 12, maxLength: 40 }), (bytes) => {
        const n = writeFormErr(bytes, 0, bytes.length, out)
        expect(n).toBe(12)
        const w = new MessageView()
        expect(scanMessage(out, 0, n, w)).toBeNull()
        expect(w.id).toBe((bytes[0] << 8) | bytes[1])
        expect(w.qr).toBe(true)
        expect(w.rcode).toBe(RCODE.FORMERR)
        expect(w.qdcount).toBe(0)
      }),
      { numRuns: 100 },
    )
    expect(writeFormErr(new Uint8Array(11), 0, 11, out)).toBe(0)
  })
})

describe('RFC 1035 §4.2.1 / RFC 6891 §7 truncation', () => {
  test('an answer over the limit keeps header, question and OPT, sets TC and drops the records', () => {
    const txt = Array.from({ length: 10 }, () => new Uint8Array(200).fill(0x61))
    const big = encodeMessage({
      id: 7,
      flags: FLAG_QR | FLAG_RD,
      questions: [{ name: 'big.example', type: TYPE.TXT }],
      answers: [{ name: 'big.example', ttl: 60, type: 'TXT', strings: txt }],
      ednsUdpSize: 4096,
    })
    const v = new MessageView()
    expect(scanMessage(big, 0, big.length, v)).toBeNull()
    expect(truncateForUdp(big, v, 4096)).toBe(big)
    const t = truncateForUdp(big, v, 512)
    expect(t.length).toBeLessThanOrEqual(512)
    const w = new MessageView()
    expect(scanMessage(t, 0, t.length, w)).toBeNull()
    expect(w.flags & FLAG_TC).toBe(FLAG_TC)
    expect(w.id).toBe(7)
    expect(w.qname).toBe('big.example')
    expect(w.ancount).toBe(0)
    expect(w.hasEdns).toBe(true)
  })
})

describe('RFC 1035 §4.2.2 / RFC 7766 §8 TCP framing', () => {
  test('messages split and joined at random points come out whole and in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 5 }),
        fc.array(fc.nat(50), { maxLength: 20 }),
        (msgs, cuts) => {
          const stream = new Uint8Array(msgs.reduce((s, m) => s + m.length + 2, 0))
          let p = 0
          for (const m of msgs) {
            stream.set(frameTcp(m), p)
            p += m.length + 2
          }
          const d = new TcpDeframer()
          const got: Uint8Array[] = []
          let at = 0
          for (const c of cuts) {
            const next = Math.min(stream.length, at + c)
            got.push(...d.push(stream.subarray(at, next)))
            at = next
          }
          got.push(...d.push(stream.subarray(at)))
          expect(got.map((m) => Array.from(m))).toEqual(msgs.map((m) => Array.from(m)))
          expect(d.buffered).toBe(0)
        },
      ),
      { numRuns: 200 },
    )
  })
})

describe('names', () => {
  test('nameToWire inverts the scanner (RFC 1035 §3.1 presentation with escapes)', () => {
    const v = new MessageView()
    const out = new Uint8Array(600)
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 5 }),
        (labels) => {
          let p = 12
          out.fill(0, 0, 12)
          out[5] = 1
          for (const l of labels) {
            out[p++] = l.length
            out.set(l, p)
            p += l.length
          }
          out[p++] = 0
          p += 4
          expect(scanMessage(out, 0, p, v)).toBeNull()
          const wire = new Uint8Array(255)
          const n = nameToWire(v.qname, wire)
          expect(n).toBe(v.qnameWireLen)
          // lower-cased on both sides: qname is lower-case, the wire name keeps case
          const lowered = Array.from(v.qnameWire.subarray(0, n)).map((c) =>
            c >= 0x41 && c <= 0x5a ? c | 0x20 : c,
          )
          expect(Array.from(wire.subarray(0, n))).toEqual(lowered)
        },
      ),
      { numRuns: 200 },
    )
  })

  test('nameToWire refuses empty labels, labels over 63 and names over 255 bytes', () => {
    const out = new Uint8Array(300)
    expect(nameToWire('a..b', out)).toBe(-1)
    expect(nameToWire(`${'a'.repeat(64)}.com`, out)).toBe(-1)
    expect(nameToWire(Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.'), out)).toBe(-1)
    expect(nameToWire('example.com.', out)).toBe(13)
    expect(nameToWire('.', out)).toBe(1)
  })

  test('encodeMessage throws naming the field for a name it cannot encode', () => {
    expect(() =>
      encodeMessage({ id: 1, flags: 0, questions: [{ name: `${'a'.repeat(64)}.com`, type: 1 }] }),
    ).toThrow('questions[0].name')
  })
})
