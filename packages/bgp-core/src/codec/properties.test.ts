// fast-check properties: encode∘decode is the identity; hostile input never throws; splitting the
// stream anywhere changes nothing.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type {
  AsPathSegment,
  BgpMessage,
  Capability,
  CodecOptions,
  NextHop,
  PathAttributes,
} from '../model.ts';
import { formatIPv4, formatIPv6Words, PrefixList } from '../prefix.ts';
import { decodeMessage, MessageReader } from './decode.ts';
import { encodeMessage } from './encode.ts';
import type { ReadResult } from './types.ts';

const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (max: number) => fc.uint8Array({ maxLength: max });

// host next hops: not 0/8, 127/8 or class D/E (RFC 4271 §6.3)
const hostV4 = fc
  .tuple(
    fc.integer({ min: 1, max: 223 }).filter((a) => a !== 127),
    u8,
    u8,
    u8,
  )
  .map(([a, b, c, d]) => formatIPv4(((a << 24) | (b << 16) | (c << 8) | d) >>> 0));
const anyV4 = u32.map(formatIPv4);
// RFC 2545 §3 next hops: a global address (outside ::/8, fe80::/10 and ff00::/8), then link-local
const globalV6 = fc
  .tuple(fc.integer({ min: 0x01000000, max: 0xfe7fffff }), u32, u32, u32)
  .map((w) => formatIPv6Words(w));
const linkLocalV6 = fc
  .tuple(fc.integer({ min: 0, max: 0x3fffff }), u32, u32, u32)
  .map(([a, ...w]) => formatIPv6Words([(0xfe800000 | a) >>> 0, ...w]));

function prefixList(afi: 1 | 2, withIds: boolean, max = 20): fc.Arbitrary<PrefixList> {
  const wpp = afi === 1 ? 1 : 4;
  const maxLen = afi === 1 ? 32 : 128;
  return fc
    .array(
      fc.tuple(fc.integer({ min: 0, max: maxLen }), fc.array(u32, { minLength: wpp, maxLength: wpp }), u32),
      { maxLength: max },
    )
    .map((items) => {
      const n = items.length;
      const lengths = new Uint8Array(n);
      const words = new Uint32Array(n * wpp);
      const ids = withIds ? new Uint32Array(n) : null;
      items.forEach(([len, w, id], i) => {
        lengths[i] = len;
        for (let k = 0; k < wpp; k++) {
          const bits = Math.max(0, Math.min(32, len - 32 * k));
          const mask = bits === 0 ? 0 : bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
          words[i * wpp + k] = ((w[k] ?? 0) & mask) >>> 0;
        }
        if (ids !== null) ids[i] = id;
      });
      return new PrefixList(afi, n, lengths, words, ids);
    });
}

const KNOWN_CAPS = new Set([1, 2, 5, 6, 64, 65, 69, 70, 71, 73, 128]);
const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const capability: fc.Arbitrary<Capability> = fc.oneof(
  fc.record({
    code: fc.constant(1 as const),
    kind: fc.constant('multiprotocol' as const),
    afi: u16,
    safi: u8,
  }),
  fc.record({ code: fc.constantFrom(2 as const, 128 as const), kind: fc.constant('route-refresh' as const) }),
  fc.record({
    code: fc.constant(5 as const),
    kind: fc.constant('extended-next-hop' as const),
    entries: fc.array(fc.record({ afi: u16, safi: u16, nextHopAfi: u16 }), { minLength: 1, maxLength: 4 }),
  }),
  fc.record({ code: fc.constant(6 as const), kind: fc.constant('extended-message' as const) }),
  fc.record({
    code: fc.constant(64 as const),
    kind: fc.constant('graceful-restart' as const),
    restarting: fc.boolean(),
    notification: fc.boolean(),
    restartTime: fc.integer({ min: 0, max: 4095 }),
    families: fc.array(fc.record({ afi: u16, safi: u8, forwardingState: fc.boolean() }), { maxLength: 4 }),
  }),
  fc.record({ code: fc.constant(65 as const), kind: fc.constant('as4' as const), asn: u32 }),
  fc.record({
    code: fc.constant(69 as const),
    kind: fc.constant('add-path' as const),
    families: fc.array(
      fc.record({ afi: u16, safi: u8, sendReceive: fc.constantFrom(1 as const, 2 as const, 3 as const) }),
      { minLength: 1, maxLength: 4 },
    ),
  }),
  fc.record({ code: fc.constant(70 as const), kind: fc.constant('enhanced-route-refresh' as const) }),
  fc.record({
    code: fc.constant(71 as const),
    kind: fc.constant('long-lived-gr' as const),
    families: fc.array(
      fc.record({
        afi: u16,
        safi: u8,
        forwardingState: fc.boolean(),
        staleTime: fc.integer({ min: 0, max: 0xffffff }),
      }),
      { maxLength: 3 },
    ),
  }),
  fc.record({
    code: fc.constant(73 as const),
    kind: fc.constant('fqdn' as const),
    hostname: text,
    domain: text,
  }),
  fc.record({
    code: u8.filter((c) => !KNOWN_CAPS.has(c)),
    kind: fc.constant('unknown' as const),
    data: bytes(40),
  }),
);

const openMessage: fc.Arbitrary<BgpMessage> = fc.record({
  type: fc.constant('open' as const),
  version: fc.constant(4),
  myAs: u16,
  holdTime: u16,
  bgpId: fc.integer({ min: 1, max: 0xffffffff }).map(formatIPv4),
  capabilities: fc.array(capability, { maxLength: 8 }),
});

function segments(asn: fc.Arbitrary<number>): fc.Arbitrary<AsPathSegment[]> {
  return fc.array(
    fc.record({
      type: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const),
      asns: fc.array(asn, { minLength: 1, maxLength: 5 }),
    }),
    {
      maxLength: 3,
    },
  );
}

const RECOGNIZED = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 32]);

function attributes(opts: CodecOptions): fc.Arbitrary<PathAttributes> {
  const as4 = opts.as4 === true;
  const asn = as4 ? u32 : u16;
  const ap = (afi: number, safi: number) => opts.addPathReceive?.has(`${afi}/${safi}`) === true;
  const nextHopV6: fc.Arbitrary<NextHop> = fc.oneof(
    globalV6.map((global) => ({ global })),
    fc.tuple(globalV6, linkLocalV6).map(([global, linkLocal]) => ({ global, linkLocal })),
  );
  // IPv4 NLRI: an IPv4 next hop or (RFC 8950) an IPv6 one; IPv6 NLRI: IPv6 only (RFC 2545 §3)
  const nextHop: Record<1 | 2, fc.Arbitrary<NextHop>> = {
    1: fc.oneof(
      hostV4.map((global): NextHop => ({ global })),
      nextHopV6,
    ),
    2: nextHopV6,
  };
  const mpReach = fc
    .tuple(fc.constantFrom(1 as const, 2 as const), fc.constantFrom(1, 2))
    .chain(([afi, safi]) =>
      fc.record({
        afi: fc.constant(afi),
        safi: fc.constant(safi),
        nextHop: nextHop[afi],
        nlri: prefixList(afi, ap(afi, safi)),
      }),
    );
  const mpUnreach = fc
    .tuple(fc.constantFrom(1 as const, 2 as const), fc.constantFrom(1, 2))
    .chain(([afi, safi]) =>
      fc.record({
        afi: fc.constant(afi),
        safi: fc.constant(safi),
        withdrawn: prefixList(afi, ap(afi, safi)),
      }),
    );
  const unknown = fc
    .uniqueArray(
      fc.record({
        flags: fc.constantFrom(0x80, 0xc0, 0xe0),
        code: u8.filter((c) => !RECOGNIZED.has(c)),
        data: bytes(30),
      }),
      { minLength: 1, maxLength: 3, selector: (u) => u.code },
    )
    .map((list) => list.sort((a, b) => a.code - b.code)); // the canonical layout orders by type code
  return fc.record(
    {
      origin: fc.constantFrom(0 as const, 1 as const, 2 as const),
      asPath: segments(asn),
      nextHop: hostV4,
      med: u32,
      localPref: u32,
      atomicAggregate: fc.constant(true),
      aggregator: fc.record({ asn, address: anyV4 }),
      communities: fc.array(u32, { minLength: 1, maxLength: 5 }),
      originatorId: anyV4,
      clusterList: fc.array(anyV4, { minLength: 1, maxLength: 3 }),
      mpReach,
      mpUnreach,
      extendedCommunities: fc.array(fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }), {
        minLength: 1,
        maxLength: 3,
      }),
      // unique: repeated values are removed on both sides (RFC 8092 §5)
      largeCommunities: fc.uniqueArray(fc.tuple(u32, u32, u32), {
        minLength: 1,
        maxLength: 3,
        selector: (c) => c.join(':'),
      }),
      unknown,
      ...(as4
        ? {}
        : {
            as4Path: segments(u32).filter((s) => s.length > 0),
            as4Aggregator: fc.record({ asn: u32, address: anyV4 }),
          }),
    },
    { requiredKeys: [] },
  ) as fc.Arbitrary<PathAttributes>;
}

const options: fc.Arbitrary<CodecOptions> = fc
  .record({ as4: fc.boolean(), ap: fc.subarray(['1/1', '2/1', '1/2', '2/2']) })
  .map(({ as4, ap }) => ({
    as4,
    extendedMessage: true,
    addPathReceive: new Set(ap),
    addPathSend: new Set(ap),
  }));

function updateMessage(opts: CodecOptions): fc.Arbitrary<BgpMessage> {
  const ap = opts.addPathReceive?.has('1/1') === true;
  return fc.record({
    type: fc.constant('update' as const),
    withdrawn: prefixList(1, ap),
    attributes: attributes(opts),
    nlri: prefixList(1, ap),
  });
}

function anyMessage(opts: CodecOptions): fc.Arbitrary<BgpMessage> {
  return fc.oneof(
    openMessage,
    updateMessage(opts),
    fc.record({ type: fc.constant('notification' as const), code: u8, subcode: u8, data: bytes(40) }),
    fc.constant({ type: 'keepalive' as const }),
    fc.record({ type: fc.constant('route-refresh' as const), afi: u16, safi: u8, subtype: u8 }),
  );
}

/** Plain comparable form: prefix lists as text, bigints and bytes as strings, no wire hints. */
function plain(v: unknown): unknown {
  if (v instanceof PrefixList) return { afi: v.afi, prefixes: v.toArray(), ids: Array.from(v.pathIds ?? []) };
  if (v instanceof Uint8Array) return `bytes:${Array.from(v).join(',')}`;
  if (typeof v === 'bigint') return `big:${v}`;
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'wire' && x !== undefined) out[k] = plain(x);
    return out;
  }
  return v;
}

const withOpts = options.chain((opts) => fc.tuple(fc.constant(opts), anyMessage(opts)));

describe('properties', () => {
  test('encode∘decode is the identity on random valid messages of every type', () => {
    fc.assert(
      fc.property(withOpts, ([opts, msg]) => {
        const bytes = encodeMessage(msg, opts);
        const r = decodeMessage(bytes, opts);
        if (r.kind === 'error')
          throw new Error(`${r.reason} (${r.notification.code}/${r.notification.subcode})`);
        // treat-as-withdraw only for missing mandatory attributes; the content is still identical
        for (const i of r.issues) expect(i.reason).toMatch(/missing well-known/);
        expect(plain(r.message)).toEqual(plain(msg));
        expect(Array.from(encodeMessage(r.message, opts))).toEqual(Array.from(bytes));
      }),
      { numRuns: 400 },
    );
  });

  const isResult = (r: ReadResult | undefined): void => {
    if (r === undefined) return;
    expect(['message', 'treat-as-withdraw', 'error']).toContain(r.kind);
    if (r.kind === 'error') {
      expect(r.notification.code).toBeGreaterThanOrEqual(1);
      expect(r.reason).not.toBe('');
    }
  };

  function drain(reader: MessageReader): ReadResult[] {
    const out: ReadResult[] = [];
    for (let i = 0; i < 10000; i++) {
      const r = reader.next();
      if (r === undefined) return out;
      out.push(r);
      if (r.kind === 'error') return out;
    }
    throw new Error('reader did not stop');
  }

  test('random bytes never throw and end in a message, a withdraw or an error (or wait for more)', () => {
    fc.assert(
      fc.property(options, fc.uint8Array({ maxLength: 300 }), (opts, input) => {
        isResult(input.length >= 19 ? decodeMessage(input, opts) : undefined);
        const reader = new MessageReader(opts);
        reader.push(input);
        for (const r of drain(reader)) isResult(r);
      }),
      { numRuns: 500 },
    );
  });

  test('random bodies behind a valid header never throw, and decoded results re-encode to the same meaning', () => {
    fc.assert(
      fc.property(
        options,
        fc.integer({ min: 1, max: 5 }),
        fc.uint8Array({ maxLength: 200 }),
        (opts, type, body) => {
          const m = new Uint8Array(19 + body.length).fill(0xff);
          m[16] = m.length >> 8;
          m[17] = m.length & 255;
          m[18] = type;
          m.set(body, 19);
          const r = decodeMessage(m, opts);
          isResult(r);
          if (r.kind !== 'error')
            expect(plain(decodeMessage(encodeMessage(r.message, opts), opts))).toMatchObject({
              message: plain(r.message),
            });
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('random mutations of valid messages never throw and always end in a result', () => {
    const mutation = fc.array(fc.tuple(fc.nat(), u8), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(withOpts, mutation, fc.nat(), (pair, muts, cut) => {
        const [opts, msg] = pair;
        const bytes = encodeMessage(msg, opts).slice();
        for (const [pos, val] of muts) {
          const p = 16 + (pos % Math.max(1, bytes.length - 16)); // keep the marker mostly intact
          bytes[p] = val;
        }
        isResult(decodeMessage(bytes, opts));
        // and truncated / extended variants through the stream reader
        const reader = new MessageReader(opts);
        reader.push(bytes.subarray(0, cut % (bytes.length + 1)));
        for (const r of drain(reader)) isResult(r);
        reader.push(bytes);
        for (const r of drain(reader)) isResult(r);
      }),
      { numRuns: 500 },
    );
  });

  test('splitting the stream at any bytes gives the same results as whole messages', () => {
    fc.assert(
      fc.property(
        options.chain((opts) =>
          fc.tuple(fc.constant(opts), fc.array(anyMessage(opts), { minLength: 1, maxLength: 5 })),
        ),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.boolean(),
        ([opts, msgs], cuts, badTail) => {
          const parts = msgs.map((m) => encodeMessage(m, opts));
          if (badTail) parts.push(Uint8Array.of(...new Uint8Array(16).fill(0xff), 0, 18, 4));
          const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
          let off = 0;
          for (const p of parts) {
            all.set(p, off);
            off += p.length;
          }
          const expected = parts.map((p) => plain(p.length >= 19 ? decodeMessage(p, opts) : undefined));
          const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
          const reader = new MessageReader(opts);
          const got: unknown[] = [];
          let prev = 0;
          let failed = false;
          for (const c of [...points, all.length]) {
            reader.push(all.subarray(prev, c));
            prev = c;
            if (failed) continue; // a failed reader repeats its error; count it once
            for (const r of drain(reader)) {
              got.push(plain(r));
              if (r.kind === 'error') failed = true;
            }
          }
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
