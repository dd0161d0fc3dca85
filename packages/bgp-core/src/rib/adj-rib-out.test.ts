import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { AdjRibOut } from './adj-rib-out.ts';
import { attributeKey, normalizeAttributes, type RouteAttributes } from './attributes.ts';
import { type ExportContext, exportAttributes } from './export.ts';
import { canonicalPrefix } from './prefixes.ts';

const A: RouteAttributes = { communities: ['65000:1'] };
const B: RouteAttributes = { communities: ['65000:2'] };

function summary(rib: AdjRibOut<number>, family = 1) {
  const c = rib.takeChanges(family);
  return {
    withdraw: c.withdraw.sort(),
    announce: c.announce.map((g) => [g.attributes.attributes.communities, g.prefixes.sort()]),
  };
}

describe('AdjRibOut', () => {
  test('first take announces everything, grouped by attribute set', () => {
    const rib = new AdjRibOut<number>();
    rib.setRoutes(1, [
      ['p1', A],
      ['p2', B],
      ['p3', { communities: ['65000:1'] }],
    ]);
    expect(summary(rib)).toEqual({
      withdraw: [],
      announce: [
        [[65000 * 65536 + 1], ['p1', 'p3']],
        [[65000 * 65536 + 2], ['p2']],
      ],
    });
    expect(rib.attributeSetCount).toBe(2);
    expect(summary(rib)).toEqual({ withdraw: [], announce: [] });
  });

  test('only differences are taken; a change and its undo cancel out', () => {
    const rib = new AdjRibOut<number>();
    rib.setRoutes(1, [
      ['p1', A],
      ['p2', A],
    ]);
    rib.takeChanges(1);
    rib.announce(1, [['p1', B]]);
    rib.announce(1, [['p1', A]]);
    rib.withdraw(1, ['p9']);
    expect(rib.hasChanges(1)).toBe(false);
    rib.setRoutes(1, [
      ['p2', B],
      ['p3', A],
    ]);
    expect(summary(rib)).toEqual({
      withdraw: ['p1'],
      announce: [
        [[65000 * 65536 + 2], ['p2']],
        [[65000 * 65536 + 1], ['p3']],
      ],
    });
    expect(rib.sentCount(1)).toBe(2);
    expect(rib.desiredCount(1)).toBe(2);
  });

  test('resetSent makes every desired route pending again and forgets withdrawals', () => {
    const rib = new AdjRibOut<number>();
    rib.setRoutes(1, [
      ['p1', A],
      ['p2', A],
    ]);
    rib.takeChanges(1);
    rib.withdraw(1, ['p1']);
    rib.resetSent();
    expect(rib.sentCount(1)).toBe(0);
    expect(summary(rib)).toEqual({ withdraw: [], announce: [[[65000 * 65536 + 1], ['p2']]] });
  });

  test('takeAll re-sends the whole table and withdraws what is pending', () => {
    const rib = new AdjRibOut<number>();
    rib.setRoutes(1, [
      ['p1', A],
      ['p2', B],
    ]);
    rib.takeChanges(1);
    rib.withdraw(1, ['p2']);
    const all = rib.takeAll(1);
    expect(all.withdraw).toEqual(['p2']);
    expect(all.announce.map((g) => g.prefixes)).toEqual([['p1']]);
    expect(rib.hasChanges(1)).toBe(false);
  });

  test('attribute sets are dropped when no route uses them', () => {
    const rib = new AdjRibOut<number>();
    rib.setRoutes(1, [['p1', A]]);
    rib.takeChanges(1);
    rib.setRoutes(1, [['p1', B]]);
    rib.takeChanges(1);
    expect(rib.attributeSetCount).toBe(1);
    rib.setRoutes(1, []);
    rib.takeChanges(1);
    expect(rib.attributeSetCount).toBe(0);
  });

  test('takeChanges with a limit takes the oldest changes first and leaves the rest pending', () => {
    const rib = new AdjRibOut<number>();
    rib.announce(1, [
      ['p1', A],
      ['p2', A],
      ['p3', B],
    ]);
    expect(rib.takeChanges(1, 2)).toEqual({
      withdraw: [],
      announce: [{ attributes: expect.anything(), prefixes: ['p1', 'p2'] }],
    });
    // A pending change replaced before it is taken: only the latest state goes out.
    rib.announce(1, [['p3', A]]);
    rib.withdraw(1, ['p1']);
    const rest = rib.takeChanges(1, 5);
    expect(rest.withdraw).toEqual(['p1']);
    expect(rest.announce.map((g) => g.prefixes)).toEqual([['p3']]);
    expect(rib.hasChanges(1)).toBe(false);
    expect(() => rib.takeChanges(1, 0)).toThrow(/limit 0 is not at least 1/);
  });

  test('markAllForResend makes every desired route a change again, once', () => {
    const rib = new AdjRibOut<number>();
    rib.announce(1, [
      ['p1', A],
      ['p2', B],
    ]);
    rib.takeChanges(1);
    expect(rib.hasChanges(1)).toBe(false);
    rib.markAllForResend(1);
    expect(rib.hasChanges(1)).toBe(true);
    const first = rib.takeChanges(1, 1);
    const second = rib.takeChanges(1, 1);
    expect([...first.announce, ...second.announce].flatMap((g) => g.prefixes)).toEqual(['p1', 'p2']);
    expect(rib.hasChanges(1)).toBe(false);
    expect(rib.sentCount(1)).toBe(2);
  });

  test('families are independent', () => {
    const rib = new AdjRibOut<number>();
    rib.setRoutes(1, [['p1', A]]);
    rib.setRoutes(2, [['q1', A]]);
    rib.setRoutes(1, []);
    expect(rib.hasChanges(1)).toBe(false);
    expect(rib.desiredCount(2)).toBe(1);
  });

  test('property: sent state always converges to the last desired state', () => {
    const key = fc.constantFrom('p1', 'p2', 'p3', 'p4', 'p5');
    const attr = fc.constantFrom<RouteAttributes>(A, B, { med: 1 }, {});
    const op = fc.oneof(
      fc.record({ t: fc.constant('set' as const), r: fc.array(fc.tuple(key, attr)) }),
      fc.record({ t: fc.constant('ann' as const), r: fc.array(fc.tuple(key, attr)) }),
      fc.record({ t: fc.constant('wd' as const), k: fc.array(key) }),
      fc.record({ t: fc.constant('take' as const) }),
      fc.record({ t: fc.constant('reset' as const) }),
      fc.record({ t: fc.constant('all' as const) }),
      fc.record({ t: fc.constant('part' as const), n: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ t: fc.constant('resend' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const rib = new AdjRibOut<number>();
        const desired = new Map<string, string>();
        const peer = new Map<string, string>();
        const apply = (c: ReturnType<typeof rib.takeChanges>) => {
          for (const p of c.withdraw) peer.delete(p);
          for (const g of c.announce) for (const p of g.prefixes) peer.set(p, g.attributes.key);
        };
        for (const o of ops) {
          if (o.t === 'set') {
            desired.clear();
            for (const [k, a] of o.r) desired.set(k, attributeKey(normalizeAttributes(a)));
            rib.setRoutes(1, o.r);
          } else if (o.t === 'ann') {
            for (const [k, a] of o.r) desired.set(k, attributeKey(normalizeAttributes(a)));
            rib.announce(1, o.r);
          } else if (o.t === 'wd') {
            for (const k of o.k) desired.delete(k);
            rib.withdraw(1, o.k);
          } else if (o.t === 'take') {
            apply(rib.takeChanges(1));
          } else if (o.t === 'all') {
            apply(rib.takeAll(1));
          } else if (o.t === 'part') {
            apply(rib.takeChanges(1, o.n));
          } else if (o.t === 'resend') {
            rib.markAllForResend(1);
          } else {
            rib.resetSent();
            peer.clear();
          }
        }
        apply(rib.takeChanges(1));
        expect(peer).toEqual(desired);
        expect(rib.sentCount(1)).toBe(desired.size);
        expect(rib.desiredCount(1)).toBe(desired.size);
        expect(rib.attributeSetCount).toBe(new Set(desired.values()).size);
      }),
      { numRuns: 300, seed: 0x5e55 },
    );
  });
});

describe('attributes', () => {
  test('communities are canonical: sorted, de-duplicated, names and numbers equal', () => {
    const a = normalizeAttributes({ communities: ['65000:2', 'no-export', 0xffffff01, '65000:2'] });
    expect(a.communities).toEqual([65000 * 65536 + 2, 0xffffff01]);
    expect(attributeKey(a)).toBe(attributeKey(normalizeAttributes({ communities: [0xffffff01, '65000:2'] })));
  });

  test('large communities accept triples, "g:l1:l2" and MetalLB\'s "large:" prefix', () => {
    const a = normalizeAttributes({ largeCommunities: ['large:65000:1:2', [65000, 1, 2], '1:2:3'] });
    expect(a.largeCommunities).toEqual([
      [1, 2, 3],
      [65000, 1, 2],
    ]);
  });

  test('bad values throw naming the field', () => {
    expect(() => normalizeAttributes({ communities: ['65536:1'] })).toThrow(/community '65536:1'/);
    expect(() => normalizeAttributes({ med: -1 })).toThrow(/med/);
    expect(() => normalizeAttributes({ largeCommunities: ['1:2'] })).toThrow(/large community '1:2'/);
    expect(() => normalizeAttributes({ origin: 'bgp' as 'igp' })).toThrow(/origin/);
    expect(() => normalizeAttributes({ extendedCommunities: [-1n] })).toThrow(/extendedCommunities/);
  });
});

describe('export', () => {
  const ctx: ExportContext = {
    localAs: 65001,
    internal: false,
    ipv4NextHop: '10.0.0.1',
    ipv6NextHop: '2001:db8::1',
    ipv6LinkLocal: undefined,
    ipv4ExtendedNextHop: false,
  };

  test('RFC 4271 §5.1.2: eBGP prepends the local AS to the given path', () => {
    const r = exportAttributes(normalizeAttributes({ asPath: [65010] }), 1, ctx);
    expect(r.ok && r.value.attributes.asPath).toEqual([{ type: 2, asns: [65001, 65010] }]);
  });

  test('RFC 4271 §5.1.5: LOCAL_PREF only on iBGP', () => {
    const attrs = normalizeAttributes({ localPref: 50 });
    const e = exportAttributes(attrs, 1, ctx);
    const i = exportAttributes(attrs, 1, { ...ctx, internal: true });
    expect(e.ok && e.value.attributes.localPref).toBeUndefined();
    expect(i.ok && i.value.attributes.localPref).toBe(50);
  });

  test('no usable IPv4 next hop is an error, not a bad UPDATE', () => {
    const r = exportAttributes(normalizeAttributes({}), 1, { ...ctx, ipv4NextHop: undefined });
    expect(r.ok).toBe(false);
  });

  test('RFC 8950: IPv4 over an IPv6-only session uses the IPv6 next hop when negotiated', () => {
    const r = exportAttributes(normalizeAttributes({}), 1, {
      ...ctx,
      ipv4NextHop: undefined,
      ipv4ExtendedNextHop: true,
      ipv6LinkLocal: 'fe80::1',
    });
    expect(r.ok && r.value.mpNextHop).toEqual({ global: '2001:db8::1', linkLocal: 'fe80::1' });
  });
});

describe('canonicalPrefix', () => {
  test('keeps canonical strings and normalizes others', () => {
    const s = '10.1.2.3/32';
    expect(canonicalPrefix(1, s)).toBe(s);
    expect(canonicalPrefix(1, '10.1.2.3')).toBe('10.1.2.3/32');
    expect(canonicalPrefix(2, '2001:DB8:0:0::1')).toBe('2001:db8::1/128');
    expect(canonicalPrefix(2, '2001:db8::/32')).toBe('2001:db8::/32');
  });

  test('rejects other families, bad lengths and host bits', () => {
    expect(() => canonicalPrefix(1, '10.0.0.1/33')).toThrow(/0–32/);
    expect(() => canonicalPrefix(1, '10.0.0.1/24')).toThrow(/beyond \/24/);
    expect(() => canonicalPrefix(2, '10.0.0.1/32')).toThrow(/not an IPv6 prefix/);
    expect(() => canonicalPrefix(1, '010.0.0.1/32')).toThrow(/not an IPv4 prefix/);
  });
});
