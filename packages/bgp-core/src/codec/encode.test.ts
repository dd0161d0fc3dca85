// Encoding, packing, AS4, End-of-RIB, NOTIFICATION and community helpers.
import { describe, expect, test } from 'vitest';
import { AS_TRANS, type Capability, type PathAttributes, type UpdateMessage } from '../model.ts';
import { PrefixList } from '../prefix.ts';
import { asPathLength, mergeAs4Path, prependAs, reconstructAs4 } from './as4.ts';
import {
  decodeExtendedCommunity,
  formatCommunity,
  linkBandwidth,
  parseCommunity,
  parseLargeCommunity,
  routeTarget,
  routeTargetIPv4,
} from './communities.ts';
import { decodeMessage } from './decode.ts';
import {
  encodeEndOfRib,
  encodeKeepalive,
  encodeMessage,
  forwardableUnknownAttributes,
  isEndOfRib,
} from './encode.ts';
import {
  adminReset,
  adminShutdown,
  decodeShutdownCommunication,
  describeNotification,
  encodeShutdownCommunication,
  notification,
} from './notification.ts';
import { packUpdates } from './pack.ts';
import { bytesToHex } from './test-support/build.ts';

function decodeUpdate(bytes: Uint8Array, opts = {}): UpdateMessage {
  const r = decodeMessage(bytes, opts);
  if (r.kind === 'error') throw new Error(r.reason);
  if (r.message.type !== 'update') throw new Error(r.message.type);
  return r.message;
}

const ATTRS: PathAttributes = {
  origin: 0,
  asPath: [{ type: 2, asns: [65001, 65002] }],
  nextHop: '192.0.2.1',
  med: 10,
  communities: [0xfde80001],
};

describe('RFC 6793 4-octet AS numbers', () => {
  const four: PathAttributes = {
    origin: 0,
    asPath: [{ type: 2, asns: [4200000001, 65001] }],
    nextHop: '192.0.2.1',
    aggregator: { asn: 4200000001, address: '192.0.2.9' },
  };
  test('RFC 6793 §4.2.2: toward a 2-octet speaker, AS_TRANS in AS_PATH/AGGREGATOR plus AS4_PATH/AS4_AGGREGATOR', () => {
    const bytes = encodeMessage(
      {
        type: 'update',
        withdrawn: PrefixList.empty(1),
        attributes: four,
        nlri: PrefixList.fromStrings(1, ['203.0.113.5/32']),
      },
      { as4: false },
    );
    const u = decodeUpdate(bytes, { as4: false });
    expect(u.attributes.asPath).toEqual([{ type: 2, asns: [AS_TRANS, 65001] }]);
    expect(u.attributes.aggregator).toEqual({ asn: AS_TRANS, address: '192.0.2.9' });
    expect(u.attributes.as4Path).toEqual([{ type: 2, asns: [4200000001, 65001] }]);
    expect(u.attributes.as4Aggregator).toEqual({ asn: 4200000001, address: '192.0.2.9' });
    // RFC 6793 §4.2.3: and the receiver reconstructs the 4-octet path
    const r = reconstructAs4(u.attributes);
    expect(r.asPath).toEqual(four.asPath);
    expect(r.aggregator).toEqual(four.aggregator);
    expect(r.as4Path).toBeUndefined();
  });
  test('RFC 6793 §4.2.2: no AS4_PATH when every AS fits in 2 octets', () => {
    const bytes = encodeMessage(
      {
        type: 'update',
        withdrawn: PrefixList.empty(1),
        attributes: ATTRS,
        nlri: PrefixList.fromStrings(1, ['203.0.113.5']),
      },
      { as4: false },
    );
    expect(decodeUpdate(bytes, { as4: false }).attributes.as4Path).toBeUndefined();
  });
  test('RFC 6793 §4.1: between 4-octet speakers AS_PATH carries 4-octet ASNs and no AS4_PATH', () => {
    const bytes = encodeMessage(
      {
        type: 'update',
        withdrawn: PrefixList.empty(1),
        attributes: four,
        nlri: PrefixList.fromStrings(1, ['203.0.113.5']),
      },
      { as4: true },
    );
    const u = decodeUpdate(bytes, { as4: true });
    expect(u.attributes.asPath).toEqual(four.asPath);
    expect(u.attributes.as4Path).toBeUndefined();
  });
  test('RFC 6793 §4.2.3: ASes prepended by 2-octet speakers are kept in front of AS4_PATH', () => {
    const merged = mergeAs4Path(
      [{ type: 2, asns: [65010, 65011, AS_TRANS, 65001] }],
      [{ type: 2, asns: [4200000001, 65001] }],
    );
    expect(merged).toEqual({
      path: [{ type: 2, asns: [65010, 65011, 4200000001, 65001] }],
      usedAs4Path: true,
    });
  });
  test('RFC 6793 §4.2.3: AS4_PATH longer than AS_PATH is ignored', () => {
    const merged = mergeAs4Path([{ type: 2, asns: [65010] }], [{ type: 2, asns: [4200000001, 65001] }]);
    expect(merged).toEqual({ path: [{ type: 2, asns: [65010] }], usedAs4Path: false });
  });
  test('RFC 6793 §4.2.3: AGGREGATOR not carrying AS_TRANS means AS4_AGGREGATOR and AS4_PATH are ignored', () => {
    const r = reconstructAs4({
      asPath: [{ type: 2, asns: [AS_TRANS] }],
      as4Path: [{ type: 2, asns: [4200000001] }],
      aggregator: { asn: 65001, address: '192.0.2.1' },
      as4Aggregator: { asn: 4200000001, address: '192.0.2.1' },
    });
    expect(r.asPath).toEqual([{ type: 2, asns: [AS_TRANS] }]);
    expect(r.aggregator).toEqual({ asn: 65001, address: '192.0.2.1' });
  });
  test('RFC 4271 §9.1.2.2: AS_PATH length counts an AS_SET as 1 and confederation segments as 0', () => {
    expect(
      asPathLength([
        { type: 2, asns: [1, 2, 3] },
        { type: 1, asns: [4, 5] },
        { type: 3, asns: [6] },
      ]),
    ).toBe(4);
  });
  test('RFC 4271 §5.1.2: prepending adds to the leading AS_SEQUENCE or starts one', () => {
    expect(prependAs([{ type: 2, asns: [2] }], 1)).toEqual([{ type: 2, asns: [1, 2] }]);
    expect(prependAs([{ type: 1, asns: [2, 3] }], 1)).toEqual([
      { type: 2, asns: [1] },
      { type: 1, asns: [2, 3] },
    ]);
    expect(prependAs([], 7, 2)).toEqual([{ type: 2, asns: [7, 7] }]);
  });
  test('RFC 4271 §4.3: an AS_SEQUENCE longer than 255 ASes is split into segments', () => {
    const asns = Array.from({ length: 300 }, (_, i) => 64512 + i);
    const u = decodeUpdate(
      encodeMessage(
        {
          type: 'update',
          withdrawn: PrefixList.empty(1),
          attributes: { ...ATTRS, asPath: [{ type: 2, asns }] },
          nlri: PrefixList.fromStrings(1, ['10.0.0.0/8']),
        },
        { as4: true },
      ),
      { as4: true },
    );
    expect(u.attributes.asPath?.map((s) => s.asns.length)).toEqual([255, 45]);
  });
});

describe('RFC 4271 §4.3 attribute encoding', () => {
  test('RFC 4271 §4.3: an attribute value above 255 bytes uses the Extended Length bit', () => {
    const communities = Array.from({ length: 100 }, (_, i) => i);
    const bytes = encodeMessage({
      type: 'update',
      withdrawn: PrefixList.empty(1),
      attributes: { ...ATTRS, communities },
      nlri: PrefixList.fromStrings(1, ['10.0.0.0/8']),
    });
    const u = decodeUpdate(bytes);
    expect(u.attributes.communities).toEqual(communities);
    expect(u.attributes.wire?.find((w) => w.code === 8)?.flags).toBe(0xd0);
  });
  test('RFC 7606 §5.1: MP_REACH_NLRI and MP_UNREACH_NLRI are encoded first', () => {
    const bytes = encodeMessage({
      type: 'update',
      withdrawn: PrefixList.empty(1),
      nlri: PrefixList.empty(1),
      attributes: {
        origin: 0,
        asPath: [],
        mpReach: {
          afi: 2,
          safi: 1,
          nextHop: { global: '2001:db8::1' },
          nlri: PrefixList.fromStrings(2, ['2001:db8:1::/48']),
        },
      },
    });
    expect(bytes[23]).toBe(0x80);
    expect(bytes[24]).toBe(14);
  });
  test('RFC 4271 §5 / §9.1.4: unknown optional transitive attributes are passed on with the Partial bit; non-transitive ones are not', () => {
    expect(
      forwardableUnknownAttributes({
        unknown: [
          { flags: 0xc0, code: 200, data: Uint8Array.of(1) },
          { flags: 0x80, code: 201, data: Uint8Array.of(2) },
          { flags: 0xd0, code: 202, data: Uint8Array.of(3) },
        ],
      }),
    ).toEqual([
      { flags: 0xe0, code: 200, data: Uint8Array.of(1) },
      { flags: 0xe0, code: 202, data: Uint8Array.of(3) },
    ]);
  });
  test('RFC 4271 §4.3: invalid attribute values are local misuse (RangeError), not silent corruption', () => {
    const up = (attributes: PathAttributes) => ({
      type: 'update' as const,
      withdrawn: PrefixList.empty(1),
      nlri: PrefixList.empty(1),
      attributes,
    });
    expect(() => encodeMessage(up({ nextHop: '300.1.1.1' }))).toThrow(/NEXT_HOP/);
    expect(() => encodeMessage(up({ med: -1 }))).toThrow(/MED/);
    expect(() => encodeMessage(up({ communities: [2 ** 32] }))).toThrow(/community/);
  });
  test('RFC 4271 §4.3: an UPDATE larger than the maximum size is refused (use packUpdates)', () => {
    const many = PrefixList.fromStrings(
      1,
      Array.from({ length: 1000 }, (_, i) => `10.0.${i >> 8}.${i & 255}/32`),
    );
    expect(() =>
      encodeMessage({ type: 'update', withdrawn: PrefixList.empty(1), nlri: many, attributes: ATTRS }),
    ).toThrow(/packUpdates/);
    expect(
      encodeMessage(
        { type: 'update', withdrawn: PrefixList.empty(1), nlri: many, attributes: ATTRS },
        { extendedMessage: true },
      ).length,
    ).toBeGreaterThan(4096);
  });
});

describe('packUpdates', () => {
  const many = (n: number) =>
    PrefixList.fromStrings(
      1,
      Array.from({ length: n }, (_, i) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32`),
    );
  function unpack(
    msgs: Uint8Array[],
    opts = {},
  ): { nlri: string[]; withdrawn: string[]; mp: string[]; mpw: string[] } {
    const out = { nlri: [] as string[], withdrawn: [] as string[], mp: [] as string[], mpw: [] as string[] };
    for (const m of msgs) {
      expect(m.length).toBeLessThanOrEqual(
        (opts as { extendedMessage?: boolean }).extendedMessage === true ? 65535 : 4096,
      );
      const u = decodeUpdate(m, opts);
      out.nlri.push(...u.nlri);
      out.withdrawn.push(...u.withdrawn);
      out.mp.push(...(u.attributes.mpReach?.nlri ?? []));
      out.mpw.push(...(u.attributes.mpUnreach?.withdrawn ?? []));
    }
    return out;
  }
  test('RFC 4271 §4.3: 10,000 /32s fill as few UPDATEs as fit 4096 bytes, each prefix once, attributes in each', () => {
    const list = many(10000);
    const msgs = packUpdates({
      afi: 1,
      safi: 1,
      attributes: ATTRS,
      announce: list,
      withdraw: PrefixList.empty(1),
    });
    // attributes: ORIGIN 4 + AS_PATH 9 (2-octet) + NEXT_HOP 7 + MED 7 + COMMUNITIES 7 = 34 bytes
    expect(msgs.length).toBe(Math.ceil(10000 / Math.floor((4096 - 23 - 34) / 5)));
    for (const m of msgs.slice(0, -1)) expect(m.length).toBeGreaterThan(4096 - 5);
    const got = unpack(msgs);
    expect(got.nlri).toEqual(list.toArray());
    for (const m of msgs) expect(decodeUpdate(m).attributes.communities).toEqual([0xfde80001]);
  });
  test('RFC 8654: with extended messages the packer fills up to 65535 bytes', () => {
    const msgs = packUpdates(
      { afi: 1, safi: 1, attributes: ATTRS, announce: many(30000), withdraw: PrefixList.empty(1) },
      { extendedMessage: true },
    );
    expect(msgs.length).toBe(3);
    expect(unpack(msgs, { extendedMessage: true }).nlri.length).toBe(30000);
  });
  test('RFC 4271 §4.3: withdrawals first, then announcements in the same UPDATE when they fit', () => {
    const msgs = packUpdates({
      afi: 1,
      safi: 1,
      attributes: ATTRS,
      announce: PrefixList.fromStrings(1, ['192.0.2.0/24']),
      withdraw: PrefixList.fromStrings(1, ['198.51.100.0/24', '0.0.0.0/0']),
    });
    expect(msgs.length).toBe(1);
    const u = decodeUpdate(msgs[0] as Uint8Array);
    expect(u.withdrawn.toArray()).toEqual(['198.51.100.0/24', '0.0.0.0/0']);
    expect(u.nlri.toArray()).toEqual(['192.0.2.0/24']);
  });
  test('RFC 4760 §3: IPv6 goes in MP_REACH_NLRI / MP_UNREACH_NLRI with global and link-local next hops (RFC 2545 §3)', () => {
    const v6 = PrefixList.fromStrings(
      2,
      Array.from({ length: 600 }, (_, i) => `2001:db8::${i.toString(16)}/128`),
    );
    const msgs = packUpdates({
      afi: 2,
      safi: 1,
      attributes: { origin: 0, asPath: [{ type: 2, asns: [65001] }], nextHop: '192.0.2.1' },
      mpNextHop: { global: '2001:db8::1', linkLocal: 'fe80::1' },
      announce: v6,
      withdraw: PrefixList.fromStrings(2, ['2001:db8:ffff::/48']),
    });
    expect(msgs.length).toBe(3);
    const got = unpack(msgs);
    expect(got.mp).toEqual(v6.toArray());
    expect(got.mpw).toEqual(['2001:db8:ffff::/48']);
    const first = decodeUpdate(msgs[0] as Uint8Array);
    expect(first.attributes.mpReach?.nextHop).toEqual({ global: '2001:db8::1', linkLocal: 'fe80::1' });
    expect(first.attributes.nextHop).toBeUndefined(); // NEXT_HOP left out with MP_REACH only
    // RFC 2545 §3: never an IPv4 next hop for IPv6 NLRI (encodeMessage refuses it the same way)
    expect(() =>
      packUpdates({
        afi: 2,
        safi: 1,
        attributes: { origin: 0, asPath: [] },
        mpNextHop: { global: '192.0.2.1' },
        announce: PrefixList.fromStrings(2, ['2001:db8::1/128']),
        withdraw: PrefixList.empty(2),
      }),
    ).toThrow(/IPv6 NLRI need an IPv6 \(or IPv4-mapped\) next hop \(RFC 2545 §3\)/);
  });
  test('RFC 8950 §4: IPv4 NLRI with an IPv6 next hop go in MP_REACH_NLRI (AFI 1) when negotiated', () => {
    const input = {
      afi: 1,
      safi: 1,
      attributes: { origin: 0 as const, asPath: [] },
      mpNextHop: { global: '2001:db8::1' },
      announce: PrefixList.fromStrings(1, ['203.0.113.5']),
      withdraw: PrefixList.empty(1),
    };
    expect(() => packUpdates(input)).toThrow(/RFC 8950/);
    const msgs = packUpdates(input, { extendedNextHop: new Set(['1/1']) });
    const u = decodeUpdate(msgs[0] as Uint8Array);
    expect(u.attributes.mpReach).toMatchObject({ afi: 1, safi: 1, nextHop: { global: '2001:db8::1' } });
    expect(u.attributes.mpReach?.nlri.toArray()).toEqual(['203.0.113.5/32']);
  });
  test('RFC 7911 §3: path identifiers are sent when ADD-PATH send is negotiated for the family', () => {
    const list = PrefixList.fromStrings(1, ['203.0.113.5', '203.0.113.5'], [1, 2]);
    const opts = { addPathSend: new Set(['1/1']), addPathReceive: new Set(['1/1']) };
    const msgs = packUpdates(
      {
        afi: 1,
        safi: 1,
        attributes: ATTRS,
        announce: list,
        withdraw: PrefixList.fromStrings(1, ['10.0.0.0/8'], [7]),
      },
      opts,
    );
    const u = decodeUpdate(msgs[0] as Uint8Array, opts);
    expect(Array.from(u.nlri.pathIds ?? [])).toEqual([1, 2]);
    expect(Array.from(u.withdrawn.pathIds ?? [])).toEqual([7]);
    // without ADD-PATH the same list is sent without identifiers
    const plain = decodeUpdate(
      packUpdates({
        afi: 1,
        safi: 1,
        attributes: ATTRS,
        announce: list,
        withdraw: PrefixList.empty(1),
      })[0] as Uint8Array,
    );
    expect(plain.nlri.pathIds).toBeNull();
  });
  test('packUpdates with nothing to send sends nothing', () => {
    expect(
      packUpdates({
        afi: 1,
        safi: 1,
        attributes: ATTRS,
        announce: PrefixList.empty(1),
        withdraw: PrefixList.empty(1),
      }),
    ).toEqual([]);
  });
});

describe('RFC 4724 End-of-RIB', () => {
  test('RFC 4724 §2: IPv4 unicast End-of-RIB is an empty UPDATE', () => {
    expect(bytesToHex(encodeEndOfRib(1, 1))).toBe(`${'FF'.repeat(16)}00170200000000`);
    expect(isEndOfRib(decodeUpdate(encodeEndOfRib(1, 1)))).toEqual({ afi: 1, safi: 1 });
  });
  test('RFC 4724 §2: other families use an MP_UNREACH_NLRI with no withdrawn routes', () => {
    expect(bytesToHex(encodeEndOfRib(2, 1))).toBe(`${'FF'.repeat(16)}001D0200000006800F03000201`);
    expect(isEndOfRib(decodeUpdate(encodeEndOfRib(2, 1)))).toEqual({ afi: 2, safi: 1 });
    expect(isEndOfRib(decodeUpdate(encodeEndOfRib(1, 133)))).toEqual({ afi: 1, safi: 133 });
  });
  test('RFC 4724 §2: an UPDATE with routes is not an End-of-RIB', () => {
    expect(
      isEndOfRib(
        decodeUpdate(
          packUpdates({
            afi: 1,
            safi: 1,
            attributes: ATTRS,
            announce: PrefixList.fromStrings(1, ['10.0.0.0/8']),
            withdraw: PrefixList.empty(1),
          })[0] as Uint8Array,
        ),
      ),
    ).toBeUndefined();
  });
});

describe('NOTIFICATION (RFC 4271 §4.5, RFC 9003)', () => {
  test('RFC 4271 §4.5: NOTIFICATION round trip with data', () => {
    const n = notification(3, 6, Uint8Array.of(0x40, 1, 1, 3));
    expect(decodeMessage(encodeMessage(n))).toEqual({ kind: 'message', message: n, issues: [] });
  });
  test('RFC 9003 §2: Administrative Shutdown carries a length-prefixed UTF-8 message', () => {
    const n = adminShutdown('maintenance — back at 10:00 ✓');
    expect([n.code, n.subcode]).toEqual([6, 2]);
    expect(decodeShutdownCommunication(n.data)?.message).toBe('maintenance — back at 10:00 ✓');
    expect(describeNotification(n)).toBe(
      'Cease/Administrative Shutdown (6/2): "maintenance — back at 10:00 ✓"',
    );
  });
  test('RFC 9003 §2: Administrative Reset (6/4) carries a shutdown communication too', () => {
    expect(describeNotification(adminReset('config change'))).toBe(
      'Cease/Administrative Reset (6/4): "config change"',
    );
  });
  test('RFC 8538 §3.1: Hard Reset (6/9) describes the encapsulated Cease reason', () => {
    const inner = adminShutdown('bye');
    const n = notification(6, 9, Uint8Array.of(inner.subcode, ...inner.data));
    expect(describeNotification(n)).toBe('Cease/Hard Reset (6/9): Administrative Shutdown (6/2): "bye"');
  });
  test('RFC 9003 §2: at most 255 octets; adminShutdown truncates on a character boundary', () => {
    expect(() => encodeShutdownCommunication('é'.repeat(128))).toThrow(RangeError);
    const n = adminShutdown('é'.repeat(200));
    expect(n.data[0]).toBe(254);
    expect(decodeShutdownCommunication(n.data)?.message).toBe('é'.repeat(127));
  });
  test('RFC 9003 §4: an invalid shutdown communication is reported, not trusted', () => {
    expect(decodeShutdownCommunication(Uint8Array.of(5, 0x41))).toBeUndefined();
    expect(decodeShutdownCommunication(Uint8Array.of(2, 0xc3, 0x28))).toBeUndefined();
    expect(describeNotification(notification(6, 2, Uint8Array.of(5, 0x41)))).toMatch(
      /not a valid shutdown communication/,
    );
  });
  test('RFC 4271 §4.5 / RFC 4486: every code and subcode has a name', () => {
    expect(describeNotification(notification(1, 2, Uint8Array.of(0x10, 0x01)))).toBe(
      'Message Header Error/Bad Message Length (1/2), data 1001',
    );
    expect(describeNotification(notification(2, 7))).toBe('OPEN Message Error/Unsupported Capability (2/7)');
    expect(describeNotification(notification(4, 0))).toBe('Hold Timer Expired/Unspecific (4/0)');
    expect(describeNotification(notification(5, 3))).toBe(
      'Finite State Machine Error/Receive Unexpected Message in Established State (5/3)',
    );
    expect(describeNotification(notification(6, 1, Uint8Array.of(0, 1, 1, 0, 0, 0, 100)))).toBe(
      'Cease/Maximum Number of Prefixes Reached (6/1): afi 1 safi 1 limit 100',
    );
    expect(describeNotification(notification(7, 1))).toBe(
      'ROUTE-REFRESH Message Error/Invalid Message Length (7/1)',
    );
    expect(describeNotification(notification(9, 9))).toBe('Unknown error code 9/unknown subcode 9 (9/9)');
    for (let s = 0; s <= 10; s++) expect(describeNotification(notification(6, s))).not.toMatch(/unknown/);
    for (let s = 0; s <= 11; s++) expect(describeNotification(notification(3, s))).not.toMatch(/unknown/);
  });
  test('RFC 8654: NOTIFICATION data that cannot fit is truncated, never an exception', () => {
    expect(encodeMessage(notification(3, 1, new Uint8Array(5000))).length).toBe(4096);
  });
  test('RFC 4271 §4.4: KEEPALIVE is a bare 19-byte header', () => {
    expect(bytesToHex(encodeKeepalive())).toBe(`${'FF'.repeat(16)}001304`);
  });
});

describe('capability layouts (bytes as the RFCs draw them)', () => {
  const capBytes = (c: Capability): string => {
    const open = encodeMessage({
      type: 'open',
      version: 4,
      myAs: 65000,
      holdTime: 90,
      bgpId: '192.0.2.1',
      capabilities: [c],
    });
    return bytesToHex(open.subarray(31)); // after the parameter header: code, length, value
  };
  test('RFC 4724 §3 / RFC 8538 §2: graceful restart — R and N bits, 12-bit time, F bit per family', () => {
    expect(
      capBytes({
        code: 64,
        kind: 'graceful-restart',
        restarting: true,
        notification: true,
        restartTime: 120,
        families: [
          { afi: 1, safi: 1, forwardingState: true },
          { afi: 2, safi: 1, forwardingState: false },
        ],
      }),
    ).toBe('400AC078000101800002010 0'.replace(/ /g, ''));
  });
  test('RFC 7911 §4: ADD-PATH — AFI, SAFI, send/receive', () => {
    expect(
      capBytes({
        code: 69,
        kind: 'add-path',
        families: [
          { afi: 1, safi: 1, sendReceive: 3 },
          { afi: 2, safi: 1, sendReceive: 1 },
        ],
      }),
    ).toBe('450800010103 00020101'.replace(/ /g, ''));
  });
  test('RFC 9494 §3: long-lived graceful restart — AFI, SAFI, F bit, 24-bit stale time', () => {
    expect(
      capBytes({
        code: 71,
        kind: 'long-lived-gr',
        families: [{ afi: 1, safi: 1, forwardingState: true, staleTime: 0x123456 }],
      }),
    ).toBe('470700010180123456');
  });
  test('RFC 8950 §3: extended next hop — NLRI AFI, NLRI SAFI (2 octets), next hop AFI', () => {
    expect(
      capBytes({ code: 5, kind: 'extended-next-hop', entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] }),
    ).toBe('0506000100010002');
  });
  test('RFC 7313 §3 / RFC 8654 §3 / RFC 2918 §2: empty capabilities', () => {
    expect(capBytes({ code: 70, kind: 'enhanced-route-refresh' })).toBe('4600');
    expect(capBytes({ code: 6, kind: 'extended-message' })).toBe('0600');
    expect(capBytes({ code: 128, kind: 'route-refresh' })).toBe('8000');
  });
  test('RFC 4760 §8: multiprotocol — AFI, reserved, SAFI', () => {
    expect(capBytes({ code: 1, kind: 'multiprotocol', afi: 2, safi: 1 })).toBe('010400020001');
  });
});

describe('communities', () => {
  test('RFC 1997: communities as "asn:value" and well-known names', () => {
    expect(parseCommunity('65000:100')).toBe(0xfde80064);
    expect(parseCommunity('no-export')).toBe(0xffffff01);
    expect(parseCommunity('65536:1')).toBeUndefined();
    expect(formatCommunity(0xfde80064)).toBe('65000:100');
  });
  test('RFC 8092: large communities parse', () => {
    expect(parseLargeCommunity('4200000000:1:2')).toEqual([4200000000, 1, 2]);
    expect(parseLargeCommunity('4294967296:1:2')).toBeUndefined();
  });
  test('RFC 8092 §5: duplicate large communities are never sent', () => {
    const u: UpdateMessage = {
      type: 'update',
      withdrawn: PrefixList.empty(1),
      attributes: {
        origin: 0,
        asPath: [{ type: 2, asns: [65001] }],
        nextHop: '10.0.0.1',
        largeCommunities: [
          [64512, 1, 2],
          [64512, 1, 3],
          [64512, 1, 2],
        ],
      },
      nlri: PrefixList.fromStrings(1, ['203.0.113.0/24']),
    };
    const bytes = encodeMessage(u, { as4: true });
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    // one LARGE_COMMUNITY attribute of two values (24 octets), 64512:1:2 first as given
    expect(hex).toContain('c020180000fc00000000010000000200 00fc0000000001000000 03'.replace(/ /g, ''));
    const r = decodeMessage(bytes, { as4: true });
    if (r.kind !== 'message' || r.message.type !== 'update') throw new Error(r.kind);
    expect(r.message.attributes.largeCommunities).toEqual([
      [64512, 1, 2],
      [64512, 1, 3],
    ]);
  });
  test('RFC 4360 §4: route targets in 2-octet AS, IPv4 and 4-octet AS forms', () => {
    expect(decodeExtendedCommunity(routeTarget(65000, 100)).text).toBe('target:65000:100');
    expect(decodeExtendedCommunity(routeTargetIPv4('192.0.2.1', 7)).text).toBe('target:192.0.2.1:7');
    expect(decodeExtendedCommunity(routeTarget(4200000000, 7))).toMatchObject({
      kind: 'route-target',
      global: 4200000000,
      local: 7,
    });
    expect(() => routeTarget(4200000000, 70000)).toThrow(RangeError);
  });
  test('draft-ietf-idr-link-bandwidth §3: link bandwidth as IEEE float32 bytes per second', () => {
    const v = linkBandwidth(65000, 1.25e9);
    expect(v >> 48n).toBe(0x4004n);
    expect(decodeExtendedCommunity(v)).toMatchObject({
      kind: 'link-bandwidth',
      global: 65000,
      bandwidth: 1.25e9,
      transitive: false,
    });
  });
});
