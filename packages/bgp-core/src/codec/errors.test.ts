// One named test per RFC rule of message decoding and error handling.
import { describe, expect, test } from 'vitest';
import type { UpdateMessage } from '../model.ts';
import { decodeMessage, MessageReader } from './decode.ts';
import { encodeMessage } from './encode.ts';
import {
  AS_PATH_EMPTY,
  attr,
  bytesToHex,
  expectError,
  expectIssue,
  hexToBytes,
  MANDATORY,
  message,
  NEXT_HOP,
  ORIGIN_IGP,
  update,
} from './test-support/build.ts';

const OPEN_BODY = '04fde800b4c0000201';
const open = (params: string, optLen?: number): Uint8Array =>
  message(1, `${OPEN_BODY}${(optLen ?? params.length / 2).toString(16).padStart(2, '0')}${params}`);

function asUpdate(r: ReturnType<typeof decodeMessage>): UpdateMessage {
  if (r.kind === 'error') throw new Error(r.reason);
  if (r.message.type !== 'update') throw new Error(r.message.type);
  return r.message;
}

describe('RFC 4271 §6.1 message header errors', () => {
  test('RFC 4271 §6.1: marker not all ones → 1/1 Connection Not Synchronized', () => {
    const m = message(4, '');
    m[3] = 0;
    expectError(decodeMessage(m), 1, 1);
  });
  test('RFC 4271 §6.1: length below 19 → 1/2 with the length field', () => {
    expectError(decodeMessage(message(4, '', 18).subarray(0, 19)), 1, 2, '0012');
  });
  test('RFC 4271 §6.1: length above 4096 → 1/2 with the length field', () => {
    const m = message(2, `0000 0000 ${'00'.repeat(4097 - 23)}`.replace(/ /g, ''));
    expectError(decodeMessage(m), 1, 2, '1001');
  });
  test('RFC 8654 §3: with extended messages an UPDATE may reach 65535 bytes', () => {
    const nlri = '20c0000201'.repeat(1000);
    const m = update(MANDATORY, nlri);
    expect(m.length).toBeGreaterThan(4096);
    expectError(decodeMessage(m), 1, 2, m.length.toString(16).padStart(4, '0'));
    const r = decodeMessage(m, { extendedMessage: true });
    expect(asUpdate(r).nlri.count).toBe(1000);
  });
  test('RFC 8654 §3: an OPEN above 4096 bytes is an error even with extended messages', () => {
    const m = message(1, `${OPEN_BODY}00${'00'.repeat(4100)}`);
    expectError(decodeMessage(m, { extendedMessage: true }), 1, 2, m.length.toString(16).padStart(4, '0'));
  });
  test('RFC 4271 §6.1: KEEPALIVE longer than 19 → 1/2', () => {
    expectError(decodeMessage(message(4, '00')), 1, 2, '0014');
  });
  test('RFC 4271 §6.1: OPEN shorter than 29 → 1/2', () => {
    expectError(decodeMessage(message(1, '04fde800b4c00002')), 1, 2, '001b');
  });
  test('RFC 4271 §6.1: UPDATE shorter than 23 → 1/2', () => {
    expectError(decodeMessage(message(2, '0000')), 1, 2, '0015');
  });
  test('RFC 4271 §6.1: NOTIFICATION shorter than 21 → 1/2', () => {
    expectError(decodeMessage(message(3, '06')), 1, 2, '0014');
  });
  test('RFC 4271 §6.1: unknown message type → 1/3 with the type', () => {
    expectError(decodeMessage(message(6, '')), 1, 3, '06');
    expectError(decodeMessage(message(255, '')), 1, 3, 'ff');
  });
  test('RFC 4271 §6.1: a bad header is reported as soon as the header is in, without waiting for the body', () => {
    const r = new MessageReader();
    r.push(message(2, '', 5000).subarray(0, 19));
    expectError(r.next() ?? decodeMessage(new Uint8Array()), 1, 2, '1388');
    // and the reader stays failed
    r.push(message(4, ''));
    expect(r.next()?.kind).toBe('error');
  });
});

describe('RFC 4271 §6.2 OPEN errors, RFC 5492, RFC 9072', () => {
  test('RFC 4271 §6.2: unsupported version → 2/1 with the largest supported version (2 octets)', () => {
    const m = open('');
    m[19] = 3;
    expectError(decodeMessage(m), 2, 1, '0004');
  });
  test('RFC 4271 §6.2 / RFC 6286 §2.1: BGP Identifier 0.0.0.0 → 2/3', () => {
    expectError(decodeMessage(message(1, '04fde800b40000000000')), 2, 3);
  });
  test('RFC 4271 §6.2: unsupported optional parameter → 2/4', () => {
    expectError(decodeMessage(open('0102abcd')), 2, 4);
  });
  test('RFC 4271 §6.2: optional parameters length inconsistent with the message → 2/0', () => {
    expectError(decodeMessage(open('02020200', 5)), 2, 0);
    expectError(decodeMessage(open('02050200')), 2, 0);
  });
  test('RFC 5492 §4: capability overrunning its parameter → 2/0', () => {
    expectError(decodeMessage(open('0203410400')), 2, 0);
  });
  test('RFC 5492 §5: an unknown capability is kept and skipped, never fatal', () => {
    const r = decodeMessage(open('0206fe04deadbeef0202 0200'.replace(/ /g, '')));
    if (r.kind !== 'message' || r.message.type !== 'open') throw new Error(r.kind);
    expect(r.message.capabilities).toEqual([
      { code: 254, kind: 'unknown', data: Uint8Array.of(0xde, 0xad, 0xbe, 0xef) },
      { code: 2, kind: 'route-refresh' },
    ]);
  });
  test('RFC 5492 §4: several capabilities in one parameter are all read', () => {
    const r = decodeMessage(open('020c010400010001410400010000'.slice(0, 28)));
    if (r.kind !== 'message' || r.message.type !== 'open')
      throw new Error(r.kind === 'error' ? r.reason : r.kind);
    expect(r.message.capabilities).toEqual([
      { code: 1, kind: 'multiprotocol', afi: 1, safi: 1 },
      { code: 65, kind: 'as4', asn: 65536 },
    ]);
  });
  test('RFC 6793 §3: a 4-octet AS capability of the wrong length is kept as unknown', () => {
    const r = decodeMessage(open('0204410200ff'));
    if (r.kind !== 'message' || r.message.type !== 'open') throw new Error(r.kind);
    expect(r.message.capabilities).toEqual([{ code: 65, kind: 'unknown', data: Uint8Array.of(0, 0xff) }]);
  });
  test('RFC 9072 §2: extended optional parameters (length 255, type 255, 2-octet lengths) are decoded', () => {
    const caps = '010400010001020006004104 0000fde8'.replace(/ /g, '');
    const param = `02${(caps.length / 2).toString(16).padStart(4, '0')}${caps}`;
    const body = `${OPEN_BODY}ffff${(param.length / 2).toString(16).padStart(4, '0')}${param}`;
    const r = decodeMessage(message(1, body));
    if (r.kind !== 'message' || r.message.type !== 'open')
      throw new Error(r.kind === 'error' ? r.reason : r.kind);
    expect(r.message.capabilities.map((c) => c.kind)).toEqual([
      'multiprotocol',
      'route-refresh',
      'extended-message',
      'as4',
    ]);
  });
  test('RFC 9072 §2: OPEN with more than 255 bytes of parameters is encoded in the extended format', () => {
    const capabilities = Array.from({ length: 70 }, (_, i) => ({
      code: 1 as const,
      kind: 'multiprotocol' as const,
      afi: 1,
      safi: i + 1,
    }));
    const bytes = encodeMessage({
      type: 'open',
      version: 4,
      myAs: 65000,
      holdTime: 90,
      bgpId: '192.0.2.1',
      capabilities,
    });
    expect(bytes[28]).toBe(255);
    expect(bytes[29]).toBe(255);
    const r = decodeMessage(bytes);
    if (r.kind !== 'message' || r.message.type !== 'open') throw new Error(r.kind);
    expect(r.message.capabilities).toEqual(capabilities);
  });
  test('RFC 4271 §4.2: My Autonomous System above 65535 is local misuse (use AS_TRANS)', () => {
    expect(() =>
      encodeMessage({
        type: 'open',
        version: 4,
        myAs: 4200000000,
        holdTime: 90,
        bgpId: '192.0.2.1',
        capabilities: [],
      }),
    ).toThrow(RangeError);
  });
});

describe('RFC 4271 §6.3 UPDATE errors (with RFC 7606 revised handling)', () => {
  test('RFC 4271 §6.3: Withdrawn Routes Length beyond the message → 3/1', () => {
    expectError(decodeMessage(message(2, '00ff0000')), 3, 1);
  });
  test('RFC 4271 §6.3: Total Path Attribute Length beyond the message → 3/1', () => {
    expectError(decodeMessage(message(2, '000000ff')), 3, 1);
  });
  test('RFC 4271 §6.3: unrecognized well-known attribute → 3/2 with the attribute', () => {
    const bad = attr(0x40, 99, 'aabb');
    expectError(decodeMessage(update([...MANDATORY, bad], '18c00002')), 3, 2, bad);
  });
  test('RFC 4271 §6.3 / RFC 7606 §3(d): missing ORIGIN with NLRI → treat-as-withdraw (3/3 with type 1)', () => {
    const r = decodeMessage(update([AS_PATH_EMPTY, NEXT_HOP], '18c00002'));
    expectIssue(r, 'treat-as-withdraw', 'treat-as-withdraw', 3, '01');
    expect(asUpdate(r).nlri.toArray()).toEqual(['192.0.2.0/24']);
  });
  test('RFC 4271 §6.3: missing AS_PATH → 3/3 with type 2 (strict handling)', () => {
    expectError(
      decodeMessage(update([ORIGIN_IGP, NEXT_HOP], '18c00002'), { strictErrorHandling: true }),
      3,
      3,
      '02',
    );
  });
  test('RFC 4271 §6.3: missing NEXT_HOP with IPv4 NLRI → 3/3 with type 3', () => {
    expectIssue(
      decodeMessage(update([ORIGIN_IGP, AS_PATH_EMPTY], '18c00002')),
      'treat-as-withdraw',
      'treat-as-withdraw',
      3,
      '03',
    );
  });
  test('RFC 4271 §6.3: an UPDATE with only withdrawn routes needs no attributes', () => {
    const r = decodeMessage(update([], '', '18c0000220c6336401'));
    expect(r.kind).toBe('message');
    expect(asUpdate(r).withdrawn.toArray()).toEqual(['192.0.2.0/24', '198.51.100.1/32']);
  });
  test('RFC 4760 §3: with MP_REACH_NLRI only, NEXT_HOP is not required', () => {
    const mp = attr(0x80, 14, '00020110 20010db8000000000000000000000001 00 4020010db800000000');
    const r = decodeMessage(update([mp, ORIGIN_IGP, AS_PATH_EMPTY]));
    expect(r.kind).toBe('message');
    expect(asUpdate(r).attributes.mpReach?.nlri.toArray()).toEqual(['2001:db8::/64']);
  });
  test('RFC 7606 §3(c): ORIGIN with the Optional bit set → 3/4 with the attribute, treat-as-withdraw', () => {
    const bad = attr(0xc0, 1, '00');
    expectIssue(
      decodeMessage(update([bad, AS_PATH_EMPTY, NEXT_HOP], '18c00002')),
      'treat-as-withdraw',
      'treat-as-withdraw',
      4,
      bad,
    );
  });
  test('RFC 4271 §6.3: attribute flags conflicting with the type code → 3/4 (strict handling)', () => {
    const bad = attr(0x40, 4, '00000001'); // MED must be optional non-transitive
    expectError(
      decodeMessage(update([...MANDATORY, bad], '18c00002'), { strictErrorHandling: true }),
      3,
      4,
      bad,
    );
  });
  test('RFC 7606 §7.11: MP_REACH_NLRI with wrong flags resets the session (3/4)', () => {
    const bad = attr(0xc0, 14, '0002011020010db8000000000000000000000001004020010db800000000');
    expectError(decodeMessage(update([bad, ORIGIN_IGP, AS_PATH_EMPTY])), 3, 4, bad);
  });
  test('RFC 4271 §6.3: ORIGIN of length 2 → 3/5 with the attribute', () => {
    const bad = attr(0x40, 1, '0000');
    expectIssue(
      decodeMessage(update([bad, AS_PATH_EMPTY, NEXT_HOP], '18c00002')),
      'treat-as-withdraw',
      'treat-as-withdraw',
      5,
      bad,
    );
  });
  test('RFC 4271 §6.3: NEXT_HOP of length 5 → 3/5 with the attribute', () => {
    const bad = attr(0x40, 3, 'c000020100');
    expectIssue(
      decodeMessage(update([ORIGIN_IGP, AS_PATH_EMPTY, bad], '18c00002')),
      'treat-as-withdraw',
      'treat-as-withdraw',
      5,
      bad,
    );
  });
  test('RFC 4271 §6.3: invalid ORIGIN value → 3/6 with the attribute', () => {
    const bad = attr(0x40, 1, '03');
    const r = decodeMessage(update([bad, AS_PATH_EMPTY, NEXT_HOP], '18c00002'));
    expectIssue(r, 'treat-as-withdraw', 'treat-as-withdraw', 6, bad);
    expectError(
      decodeMessage(update([bad, AS_PATH_EMPTY, NEXT_HOP], '18c00002'), { strictErrorHandling: true }),
      3,
      6,
      bad,
    );
  });
  test('RFC 4271 §6.3: NEXT_HOP that is not a host address (0.0.0.0, multicast) → 3/8, routes ignored', () => {
    for (const nh of ['00000000', 'e0000001', 'ffffffff']) {
      const bad = attr(0x40, 3, nh);
      expectIssue(
        decodeMessage(update([ORIGIN_IGP, AS_PATH_EMPTY, bad], '18c00002')),
        'treat-as-withdraw',
        'treat-as-withdraw',
        8,
        bad,
      );
    }
  });
  test('RFC 4271 §6.3 / RFC 7606 §7.3: a martian NEXT_HOP (0/8, 127/8, class D and E) → 3/8, routes ignored', () => {
    // the issue's UPDATE (4-octet AS): NEXT_HOP 0.1.2.3, 203.0.113.0/24 from AS 65001
    const wire = hexToBytes(
      'ffffffffffffffffffffffffffffffff002f02000000144001010040020602010000fde94003040001020318cb0071',
    );
    const r = decodeMessage(wire, { as4: true });
    expectIssue(r, 'treat-as-withdraw', 'treat-as-withdraw', 8, '40030400010203');
    expect(asUpdate(r).nlri.toArray()).toEqual(['203.0.113.0/24']);
    // still decoded as received, so it re-encodes to the same bytes
    expect(bytesToHex(encodeMessage(asUpdate(r), { as4: true }))).toBe(bytesToHex(wire));
    for (const nh of ['00000001', '00ffffff', '7f000001', '7fffffff', 'e0000005', 'efffffff', 'f0000001']) {
      const bad = attr(0x40, 3, nh);
      expectIssue(
        decodeMessage(update([ORIGIN_IGP, AS_PATH_EMPTY, bad], '18c00002')),
        'treat-as-withdraw',
        'treat-as-withdraw',
        8,
        bad,
      );
      expectError(
        decodeMessage(update([ORIGIN_IGP, AS_PATH_EMPTY, bad], '18c00002'), { strictErrorHandling: true }),
        3,
        8,
        bad,
      );
    }
    // the edges of the martian blocks are ordinary host addresses
    for (const nh of ['01000000', '7effffff', '80000000', 'dfffffff']) {
      const r2 = decodeMessage(update([ORIGIN_IGP, AS_PATH_EMPTY, attr(0x40, 3, nh)], '18c00002'));
      expect(r2.kind, nh).toBe('message');
    }
  });
  test('RFC 2545 §3 / RFC 4760 §3: MP_REACH_NLRI next hops that are not a usable host address → 3/9, routes ignored', () => {
    const G = '20010db8000000000000000000000001'; // 2001:db8::1
    const LL = 'fe800000000000000000000000000001'; // fe80::1
    const mp = (afi: string, nh: string, nlri: string): string =>
      attr(0x80, 14, `${afi}01${(nh.length / 2).toString(16).padStart(2, '0')}${nh}00${nlri}`);
    const v6 = (nh: string) => mp('0002', nh, '4020010db800000000'); // 2001:db8::/64
    const v4 = (nh: string) => mp('0001', nh, '18c00002'); // 192.0.2.0/24
    const bad: Array<[string, string]> = [
      ['unspecified global', v6('00000000000000000000000000000000')],
      ['loopback global', v6('00000000000000000000000000000001')],
      ['multicast global', v6('ff020000000000000000000000000001')],
      ['link-local alone (RFC 2545: only beside a global address)', v6(LL)],
      ['link-local in the global position', v6(`${LL}fe800000000000000000000000000002`)],
      ['second address not link-local', v6(`${G}20010db8000000000000000000000002`)],
      ['unspecified link-local', v6(`${G}00000000000000000000000000000000`)],
      ['multicast link-local', v6(`${G}ff020000000000000000000000000001`)],
      ['IPv4-mapped loopback', v6('00000000000000000000ffff7f000001')],
      ['IPv4 NLRI in MP_REACH with next hop 0.1.2.3', v4('00010203')],
      ['IPv4 NLRI with an RFC 8950 multicast next hop', v4('ff020000000000000000000000000001')],
    ];
    for (const [what, a] of bad) {
      const r = decodeMessage(update([a, ORIGIN_IGP, AS_PATH_EMPTY]), { extendedNextHop: new Set(['1/1']) });
      if (r.kind === 'error') throw new Error(`${what}: ${r.reason}`);
      expect(r.kind, what).toBe('treat-as-withdraw');
      expect(
        r.issues.map((i) => [i.action, i.code, i.notification?.subcode]),
        what,
      ).toEqual([['treat-as-withdraw', 14, 9]]);
      expect(bytesToHex(r.issues[0]?.notification?.data ?? new Uint8Array()), what).toBe(a.toUpperCase());
      // the prefixes are still there to be withdrawn
      expect(asUpdate(r).attributes.mpReach?.nlri.count, what).toBe(1);
    }
    for (const [what, a] of [
      ['global', v6(G)],
      ['global and link-local', v6(`${G}${LL}`)],
      ['link-local fe bf', v6(`${G}febf0000000000000000000000000001`)],
      ['IPv4-mapped host', v6('00000000000000000000ffffc0000201')],
      ['IPv4 NLRI, RFC 8950 global and link-local', v4(`${G}${LL}`)],
    ] as const) {
      const r = decodeMessage(update([a, ORIGIN_IGP, AS_PATH_EMPTY]), { extendedNextHop: new Set(['1/1']) });
      expect(r.kind, what).toBe('message');
    }
  });
  test('RFC 2545 §3 / RFC 7606 §7.11: a 4-octet (IPv4) next hop for IPv6 NLRI is malformed → 3/9, session reset', () => {
    // ExaBGP sends this for `announce ipv6 unicast … next-hop <IPv4>` and FRR reads it; the RFCs
    // give IPv6 NLRI a 16- or 32-octet next hop, and a length other than expected resets the session.
    for (const nh of ['c0000201', '7f000001']) {
      const a = attr(0x80, 14, `00020104${nh}004020010db800000000`); // 2001:db8::/64
      const r = decodeMessage(update([a, ORIGIN_IGP, AS_PATH_EMPTY]));
      expectError(r, 3, 9, a);
      if (r.kind === 'error') expect(r.reason).toMatch(/length 4 is invalid for IPv6 NLRI.*RFC 2545 §3/);
    }
    // the same address IPv4-mapped (16 octets) is an IPv6 next hop: accepted
    const mapped = attr(0x80, 14, '0002011000000000000000000000ffffc0000201004020010db800000000');
    const ok = asUpdate(decodeMessage(update([mapped, ORIGIN_IGP, AS_PATH_EMPTY])));
    expect(ok.attributes.mpReach?.nextHop).toEqual({ global: '::ffff:192.0.2.1' });
    // IPv4 NLRI in MP_REACH_NLRI still take a 4-octet next hop
    const v4 = attr(0x80, 14, '00010104c00002010018c00002');
    expect(
      asUpdate(decodeMessage(update([v4, ORIGIN_IGP, AS_PATH_EMPTY]))).attributes.mpReach?.nextHop,
    ).toEqual({
      global: '192.0.2.1',
    });
    // and our encoder never writes one: an IPv4 next hop for IPv6 NLRI is a caller's mistake
    const mpReach = ok.attributes.mpReach;
    if (mpReach === undefined) throw new Error('no MP_REACH_NLRI');
    const msg: UpdateMessage = {
      ...ok,
      attributes: { ...ok.attributes, mpReach: { ...mpReach, nextHop: { global: '192.0.2.1' } } },
    };
    expect(() => encodeMessage(msg)).toThrow(
      /IPv6 NLRI need an IPv6 \(or IPv4-mapped\) next hop \(RFC 2545 §3\)/,
    );
  });
  test('RFC 4760 §3: a martian NEXT_HOP in an UPDATE whose only NLRI is in MP_REACH_NLRI is ignored', () => {
    const mp = attr(0x80, 14, '0002011020010db8000000000000000000000001004020010db800000000');
    for (const nh of ['7f000001', '00000000', 'e0000001', 'ffffffff']) {
      const martian = attr(0x40, 3, nh);
      const wire = update([mp, ORIGIN_IGP, AS_PATH_EMPTY, martian]);
      const r = decodeMessage(wire);
      // the IPv6 routes stand: the NEXT_HOP names the next hop of no route in this UPDATE
      expect(r.kind, nh).toBe('message');
      if (r.kind === 'error') continue;
      expect(r.issues, nh).toEqual([]);
      expect(asUpdate(r).attributes.mpReach?.nlri.toArray()).toEqual(['2001:db8::/64']);
      // kept as received, so it re-encodes to the same bytes
      expect(bytesToHex(encodeMessage(asUpdate(r)))).toBe(bytesToHex(wire));
      // beside IPv4 NLRI of its own it is the next hop of those: treat-as-withdraw (3/8)
      expectIssue(
        decodeMessage(update([mp, ORIGIN_IGP, AS_PATH_EMPTY, martian], '18c00002')),
        'treat-as-withdraw',
        'treat-as-withdraw',
        8,
        martian,
      );
    }
    // a malformed NEXT_HOP (length ≠ 4) is still treat-as-withdraw there (RFC 7606 §7.3)
    const bad = attr(0x40, 3, 'c000020101');
    expectIssue(
      decodeMessage(update([mp, ORIGIN_IGP, AS_PATH_EMPTY, bad])),
      'treat-as-withdraw',
      'treat-as-withdraw',
      5,
      bad,
    );
  });
  test('RFC 4271 §6.3 / RFC 7606 §7.8: COMMUNITIES not a multiple of 4 → 3/9, treat-as-withdraw', () => {
    const bad = attr(0xc0, 8, 'fde800');
    expectIssue(
      decodeMessage(update([...MANDATORY, bad], '18c00002')),
      'treat-as-withdraw',
      'treat-as-withdraw',
      9,
      bad,
    );
  });
  test('RFC 4271 §6.3: NLRI prefix length above 32 → 3/10', () => {
    expectError(decodeMessage(update(MANDATORY, '21c0000201')), 3, 10);
  });
  test('RFC 4271 §6.3: NLRI prefix running past the message → 3/10', () => {
    expectError(decodeMessage(update(MANDATORY, '20c00002')), 3, 10);
  });
  test('RFC 7606 §5.3: a malformed withdrawn route resets the session (3/10)', () => {
    expectError(decodeMessage(update([], '', '28c0000201')), 3, 10);
  });
  test('RFC 4271 §6.3: AS_PATH with an invalid segment type → 3/11 (treat-as-withdraw under RFC 7606 §7.2)', () => {
    const bad = attr(0x40, 2, '0501 0000fde8'.replace(/ /g, ''));
    expectIssue(
      decodeMessage(update([ORIGIN_IGP, bad, NEXT_HOP], '18c00002'), { as4: true }),
      'treat-as-withdraw',
      'treat-as-withdraw',
      11,
    );
    expectError(
      decodeMessage(update([ORIGIN_IGP, bad, NEXT_HOP], '18c00002'), {
        as4: true,
        strictErrorHandling: true,
      }),
      3,
      11,
    );
  });
  test('RFC 7606 §7.2: AS_PATH segment of length zero is malformed', () => {
    expectIssue(
      decodeMessage(update([ORIGIN_IGP, attr(0x40, 2, '0200'), NEXT_HOP], '18c00002')),
      'treat-as-withdraw',
      'treat-as-withdraw',
      11,
    );
  });
  test('RFC 7606 §7.2: AS_PATH segment overrunning the attribute is malformed', () => {
    expectIssue(
      decodeMessage(update([ORIGIN_IGP, attr(0x40, 2, '0202fde8'), NEXT_HOP], '18c00002')),
      'treat-as-withdraw',
      'treat-as-withdraw',
      11,
    );
  });
  test('RFC 7606 §7.2: a single octet left after the last AS_PATH segment is malformed', () => {
    expectIssue(
      decodeMessage(update([ORIGIN_IGP, attr(0x40, 2, '0201fde802'), NEXT_HOP], '18c00002')),
      'treat-as-withdraw',
      'treat-as-withdraw',
      11,
    );
  });
});

describe('RFC 7606 revised error handling', () => {
  test('RFC 7606 §3(g): a repeated attribute is discarded after the first', () => {
    const r = decodeMessage(
      update([...MANDATORY, attr(0xc0, 8, 'fde80001'), attr(0xc0, 8, 'fde80002')], '18c00002'),
    );
    expectIssue(r, 'message', 'attribute-discard', 1);
    expect(asUpdate(r).attributes.communities).toEqual([0xfde80001]);
  });
  test('RFC 7606 §3(g): a repeated MP_REACH_NLRI resets the session (3/1)', () => {
    const mp = attr(0x80, 14, '0002011020010db8000000000000000000000001004020010db800000000');
    expectError(decodeMessage(update([mp, mp, ORIGIN_IGP, AS_PATH_EMPTY])), 3, 1);
  });
  test('RFC 7606 §3(g): a repeated MP_UNREACH_NLRI resets the session (3/1)', () => {
    const mp = attr(0x80, 15, '000201');
    expectError(decodeMessage(update([mp, mp])), 3, 1);
  });
  test('RFC 7606 §4: an attribute length overrunning the path attributes → treat-as-withdraw', () => {
    const body = `${ORIGIN_IGP}${AS_PATH_EMPTY}${NEXT_HOP}c00808fde80001`;
    const r = decodeMessage(
      message(2, `0000${(body.length / 2).toString(16).padStart(4, '0')}${body}18c00002`),
    );
    expectIssue(r, 'treat-as-withdraw', 'treat-as-withdraw', 5, 'c00808fde80001');
    // the NLRI is located by the Total Path Attribute Length
    expect(asUpdate(r).nlri.toArray()).toEqual(['192.0.2.0/24']);
  });
  test('RFC 7606 §4: fewer octets than an attribute header left → treat-as-withdraw', () => {
    const body = `${ORIGIN_IGP}${AS_PATH_EMPTY}${NEXT_HOP}c008`;
    expectIssue(
      decodeMessage(message(2, `0000${(body.length / 2).toString(16).padStart(4, '0')}${body}18c00002`)),
      'treat-as-withdraw',
      'treat-as-withdraw',
      1,
    );
  });
  test('RFC 7606 §7.6: ATOMIC_AGGREGATE of non-zero length → attribute-discard', () => {
    const bad = attr(0x40, 6, '01');
    const r = decodeMessage(update([...MANDATORY, bad], '18c00002'));
    expectIssue(r, 'message', 'attribute-discard', 5, bad);
    expect(asUpdate(r).attributes.atomicAggregate).toBeUndefined();
  });
  test('RFC 7606 §7.7: AGGREGATOR of the wrong length → attribute-discard', () => {
    const bad = attr(0xc0, 7, 'fde8c0000201');
    expectIssue(
      decodeMessage(update([...MANDATORY, bad], '18c00002'), { as4: true }),
      'message',
      'attribute-discard',
      5,
      bad,
    );
  });
  test('RFC 7606 §7.9: ORIGINATOR_ID of the wrong length → treat-as-withdraw', () => {
    const bad = attr(0x80, 9, 'c00002');
    expectIssue(
      decodeMessage(update([...MANDATORY, bad], '18c00002')),
      'treat-as-withdraw',
      'treat-as-withdraw',
      9,
      bad,
    );
  });
  test('RFC 7606 §7.10: CLUSTER_LIST not a multiple of 4 → treat-as-withdraw', () => {
    const bad = attr(0x80, 10, 'c00002');
    expectIssue(
      decodeMessage(update([...MANDATORY, bad], '18c00002')),
      'treat-as-withdraw',
      'treat-as-withdraw',
      9,
      bad,
    );
  });
  test('RFC 7606 §7.11: MP_REACH_NLRI with a next hop length invalid for the family resets the session (3/9)', () => {
    const bad = attr(0x80, 14, '0002010720010db800000000');
    expectError(decodeMessage(update([bad, ORIGIN_IGP, AS_PATH_EMPTY])), 3, 9, bad);
  });
  test('RFC 7606 §5.3 / RFC 4760 §7: malformed NLRI inside MP_REACH_NLRI resets the session (3/9)', () => {
    const bad = attr(0x80, 14, '0002011020010db8000000000000000000000001008120010db8');
    expectError(decodeMessage(update([bad, ORIGIN_IGP, AS_PATH_EMPTY])), 3, 9, bad);
  });
  test('RFC 7606 §7.14: EXTENDED_COMMUNITIES not a multiple of 8 → treat-as-withdraw', () => {
    const bad = attr(0xc0, 16, '00020000fde800');
    expectIssue(
      decodeMessage(update([...MANDATORY, bad], '18c00002')),
      'treat-as-withdraw',
      'treat-as-withdraw',
      9,
      bad,
    );
  });
  test('RFC 8092 §6: LARGE_COMMUNITY not a non-zero multiple of 12 → treat-as-withdraw', () => {
    const bad = attr(0xc0, 32, '000000010000000200000003ff');
    expectIssue(
      decodeMessage(update([...MANDATORY, bad], '18c00002')),
      'treat-as-withdraw',
      'treat-as-withdraw',
      9,
      bad,
    );
  });
  test('RFC 8092 §5: repeated large communities are removed silently', () => {
    // the issue's UPDATE: 64512:1:2 twice
    const wire = hexToBytes(
      'ffffffffffffffffffffffffffffffff004a020000002f4001010040020602010000fde94003040a000001c020180000fc0000000001000000020000fc00000000010000000218cb0071',
    );
    const r = decodeMessage(wire, { as4: true });
    expect(r.kind).toBe('message');
    if (r.kind === 'error') return;
    expect(r.issues).toEqual([]);
    expect(asUpdate(r).attributes.largeCommunities).toEqual([[64512, 1, 2]]);
    // first occurrences kept, in the order received
    const many = attr(
      0xc0,
      32,
      [
        '000000030000000000000000',
        '000000010000000000000000',
        '000000030000000000000000',
        '000000010000000000000000',
        '000000020000000000000000',
      ].join(''),
    );
    const r2 = decodeMessage(update([...MANDATORY, many], '18c00002'));
    expect(asUpdate(r2).attributes.largeCommunities).toEqual([
      [3, 0, 0],
      [1, 0, 0],
      [2, 0, 0],
    ]);
  });
  test('RFC 6793 §6: a malformed AS4_PATH is discarded', () => {
    const bad = attr(0xc0, 17, '0201000100');
    const r = decodeMessage(update([...MANDATORY, bad], '18c00002'));
    expectIssue(r, 'message', 'attribute-discard', 9, bad);
    expect(asUpdate(r).attributes.as4Path).toBeUndefined();
  });
  test('RFC 6793 §3: AS4_PATH from a 4-octet speaker is discarded', () => {
    const a4 = attr(0xc0, 17, '020100010000');
    expectIssue(
      decodeMessage(update([...MANDATORY, a4], '18c00002'), { as4: true }),
      'message',
      'attribute-discard',
      9,
      a4,
    );
  });
  test('RFC 7606 §2: treat-as-withdraw keeps every prefix of the UPDATE, including MP_REACH_NLRI', () => {
    const mp = attr(0x80, 14, '0002011020010db8000000000000000000000001004020010db800000000');
    const r = decodeMessage(update([mp, attr(0x40, 1, '07'), AS_PATH_EMPTY]));
    expect(r.kind).toBe('treat-as-withdraw');
    expect(asUpdate(r).attributes.mpReach?.nlri.toArray()).toEqual(['2001:db8::/64']);
  });
  test('RFC 4760 §7: MP_REACH_NLRI of an unsupported AFI/SAFI is kept opaque, not an error', () => {
    const mp = attr(0x80, 14, '0001850000 0004 01020304'.replace(/ /g, ''));
    const r = decodeMessage(update([mp, ORIGIN_IGP, AS_PATH_EMPTY]));
    expect(r.kind).toBe('message');
    const u = asUpdate(r);
    expect(u.attributes.mpReach).toBeUndefined();
    expect(u.attributes.unknown).toEqual([
      { flags: 0x80, code: 14, data: Uint8Array.of(0, 1, 0x85, 0, 0, 0, 4, 1, 2, 3, 4) },
    ]);
    expect(bytesToHex(encodeMessage(u))).toBe(bytesToHex(update([mp, ORIGIN_IGP, AS_PATH_EMPTY])));
  });
  test('RFC 4271 §5: unknown optional attributes are kept with their flags', () => {
    const r = decodeMessage(update([...MANDATORY, attr(0xe0, 200, '0102'), attr(0x80, 201, '')], '18c00002'));
    expect(asUpdate(r).attributes.unknown).toEqual([
      { flags: 0xe0, code: 200, data: Uint8Array.of(1, 2) },
      { flags: 0x80, code: 201, data: new Uint8Array(0) },
    ]);
  });
});

describe('RFC 2918 / RFC 7313 ROUTE-REFRESH', () => {
  test('RFC 2918 §3: ROUTE-REFRESH decodes AFI, SAFI and (RFC 7313 §3) the subtype', () => {
    for (const subtype of [0, 1, 2]) {
      const bytes = message(5, `0002${subtype.toString(16).padStart(2, '0')}01`);
      const r = decodeMessage(bytes);
      if (r.kind !== 'message') throw new Error(r.kind);
      expect(r.message).toEqual({ type: 'route-refresh', afi: 2, safi: 1, subtype });
      expect(bytesToHex(encodeMessage(r.message))).toBe(bytesToHex(bytes));
    }
  });
  test('RFC 7313 §5: BoRR/EoRR of the wrong length → 7/1 with the whole message', () => {
    const m = message(5, '0001010100');
    expectError(decodeMessage(m), 7, 1, bytesToHex(m));
  });
  test('RFC 7313 §5: a normal ROUTE-REFRESH of the wrong length → 1/2', () => {
    expectError(decodeMessage(message(5, '0001000100')), 1, 2, '0018');
  });
  test('RFC 7313 §5: an unknown subtype is decoded (the session ignores it), not an error', () => {
    const r = decodeMessage(message(5, '00010701'));
    if (r.kind !== 'message') throw new Error(r.kind);
    expect(r.message).toEqual({ type: 'route-refresh', afi: 1, safi: 1, subtype: 7 });
  });
});

describe('framing', () => {
  test('RFC 4271 §4.1: many messages in one chunk come out one by one', () => {
    const msgs = [message(4, ''), update(MANDATORY, '18c00002'), message(3, '0602'), message(4, '')];
    const all = new Uint8Array(msgs.reduce((n, m) => n + m.length, 0));
    let p = 0;
    for (const m of msgs) {
      all.set(m, p);
      p += m.length;
    }
    const r = new MessageReader();
    r.push(all);
    const kinds: string[] = [];
    for (let x = r.next(); x !== undefined; x = r.next())
      kinds.push(x.kind === 'message' ? x.message.type : x.kind);
    expect(kinds).toEqual(['keepalive', 'update', 'notification', 'keepalive']);
    expect(r.buffered).toBe(0);
  });
  test('RFC 4271 §4.1: input split one byte at a time gives the same messages', () => {
    const m = update([...MANDATORY, attr(0xc0, 8, 'fde80001')], '18c0000220c6336401');
    const r = new MessageReader();
    for (let i = 0; i < m.length; i++) {
      expect(r.next()).toBeUndefined();
      r.push(m.subarray(i, i + 1));
    }
    expect(r.next()).toEqual(decodeMessage(m));
  });
  test('the reader copies pushed chunks (the caller may reuse its buffer)', () => {
    const m = message(4, '');
    const r = new MessageReader();
    const chunk = m.slice(0, 10);
    r.push(chunk);
    chunk.fill(0);
    r.push(m.subarray(10));
    expect(r.next()).toEqual({ kind: 'message', message: { type: 'keepalive' }, issues: [] });
  });
});
