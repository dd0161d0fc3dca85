// Adj-RIB-Out through two sessions: what goes on the wire, and what the peer ends up holding.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decodeMessage } from '../codec/decode.ts';
import { encodeMessage } from '../codec/encode.ts';
import type { UpdateMessage } from '../model.ts';
import { PrefixList } from '../prefix.ts';
import type { RouteAttributes } from '../rib/attributes.ts';
import { Network, Probe, peerOpen } from '../testing/index.ts';
import { SEND_BATCH_PREFIXES } from './session.ts';

const HOUR = 3600_000;

function hosts(n: number, base = 0x0a640000): [string, RouteAttributes][] {
  const attrs: RouteAttributes = { communities: ['65000:100'] };
  const out: [string, RouteAttributes][] = [];
  for (let i = 0; i < n; i++) {
    const v = base + i;
    out.push([`${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}/32`, attrs]);
  }
  return out;
}

/** UPDATEs a sent after index `from` (End-of-RIB included). */
function updatesSince(net: Network, side: 'a' | 'b', from: number): UpdateMessage[] {
  return net
    .messages(side, 'update')
    .slice(from)
    .map((m) => m.message);
}

function announced(u: UpdateMessage): number {
  return u.nlri.count + (u.attributes.mpReach?.nlri.count ?? 0);
}

function withdrawnCount(u: UpdateMessage): number {
  return u.withdrawn.count + (u.attributes.mpUnreach?.withdrawn.count ?? 0);
}

describe('Adj-RIB-Out over a session', () => {
  test('RFC 4271 §9.2: routes set before Established are sent when it comes up, then End-of-RIB (RFC 4724 §2)', () => {
    const net = Network.pair();
    net.act('a', (s, now) => s.setRoutes(now, 1, hosts(3)));
    expect(net.sent.a).toEqual([]);
    net.establish();
    const ups = updatesSince(net, 'a', 0);
    expect(ups.map(announced)).toEqual([3, 0, 0]);
    expect(net.eventsOf('b', 'end-of-rib').map((e) => e.afi)).toEqual([1, 2]);
    expect([...net.ribIn('b', 1).keys()]).toEqual(['10.100.0.0/32', '10.100.0.1/32', '10.100.0.2/32']);
  });

  test('RFC 4271 §9.2: only the difference is sent (changed, new, removed)', () => {
    const net = Network.pair();
    net.establish();
    net.act('a', (s, now) => s.setRoutes(now, 1, hosts(1000)));
    const mark = net.messages('a', 'update').length;
    const next = hosts(1000).slice(5);
    for (let i = 0; i < 10; i++) next[i] = [next[i]?.[0] ?? '', { communities: ['65000:200'] }];
    next.push(...hosts(5, 0x0a650000));
    net.act('a', (s, now) => s.setRoutes(now, 1, next));
    const ups = updatesSince(net, 'a', mark);
    expect(ups.reduce((n, u) => n + announced(u), 0)).toBe(15);
    expect(ups.reduce((n, u) => n + withdrawnCount(u), 0)).toBe(5);
    // one UPDATE for the withdrawals with the first group, one per other attribute set
    expect(ups).toHaveLength(2);
    const rib = net.ribIn('b', 1);
    expect(rib.size).toBe(1000);
    expect(rib.get('10.100.0.5/32')?.attributes.communities).toEqual([65000 * 65536 + 200]);
    // the same state again sends nothing
    net.act('a', (s, now) => s.setRoutes(now, 1, next));
    expect(updatesSince(net, 'a', mark)).toHaveLength(2);
    expect(net.sessions.a.stats().prefixesAdvertised['ipv4-unicast']).toBe(1000);
    expect(net.sessions.b.stats().prefixesReceived['ipv4-unicast']).toBe(1000);
  });

  test('RFC 4271 §9.2: prefixes that share attributes are packed into as few UPDATEs as fit 4096 octets', () => {
    const net = Network.pair({ a: { extendedMessage: false } });
    net.establish();
    const mark = net.messages('a', 'update').length;
    net.act('a', (s, now) => s.setRoutes(now, 1, hosts(2000)));
    const ups = net.messages('a', 'update').slice(mark);
    // 2000 × 5 octets of NLRI at ~4050 octets per message: 3 UPDATEs
    expect(ups).toHaveLength(3);
    for (const u of ups) expect(u.bytes.length).toBeLessThanOrEqual(4096);
    expect(ups.reduce((n, u) => n + announced(u.message), 0)).toBe(2000);
  });

  test('RFC 8654 §3: with extended messages negotiated UPDATEs grow to 65535 octets', () => {
    const net = Network.pair();
    net.establish();
    const mark = net.messages('a', 'update').length;
    net.act('a', (s, now) => s.setRoutes(now, 1, hosts(10_000)));
    const ups = net.messages('a', 'update').slice(mark);
    expect(ups).toHaveLength(1);
    expect(ups[0]?.bytes.length).toBeGreaterThan(4096);
  });

  test('RFC 4271 §9.2: different attribute sets go in different UPDATEs', () => {
    const net = Network.pair();
    net.establish();
    const mark = net.messages('a', 'update').length;
    net.act('a', (s, now) =>
      s.setRoutes(now, 1, [
        ['192.0.2.1/32', { communities: ['65000:1'] }],
        ['192.0.2.2/32', { communities: ['65000:2'] }],
        ['192.0.2.3/32', { communities: ['65000:1'] }],
        ['192.0.2.4/32', { largeCommunities: ['65000:1:2'] }],
      ]),
    );
    expect(updatesSince(net, 'a', mark).map(announced)).toEqual([2, 1, 1]);
  });

  test('RFC 4271 §9.1.3: withdrawn routes reach the peer', () => {
    const net = Network.pair();
    net.establish();
    net.act('a', (s, now) => s.announce(now, 1, hosts(4)));
    net.act('a', (s, now) => s.withdraw(now, 1, ['10.100.0.1/32', '10.100.0.2']));
    expect([...net.ribIn('b', 1).keys()]).toEqual(['10.100.0.0/32', '10.100.0.3/32']);
    const w = net.eventsOf('b', 'route-withdrawn');
    expect(w).toMatchObject([
      { afi: 1, safi: 1, prefixes: ['10.100.0.1/32', '10.100.0.2/32'], cause: 'withdrawn' },
    ]);
  });

  test('RFC 4271 §5.1.2/§5.1.5: eBGP prepends the local AS and never sends LOCAL_PREF; NEXT_HOP is our address', () => {
    const net = Network.pair();
    net.establish();
    net.act('a', (s, now) =>
      s.setRoutes(now, 1, [
        ['192.0.2.1/32', { asPath: [65001, 65001], localPref: 300, med: 7, origin: 'incomplete' }],
      ]),
    );
    const r = net.ribIn('b', 1).get('192.0.2.1/32');
    expect(r?.attributes).toMatchObject({ origin: 2, med: 7, nextHop: '10.0.0.1' });
    expect(r?.attributes.asPath).toEqual([{ type: 2, asns: [65001, 65001, 65001] }]);
    expect(r?.attributes.localPref).toBeUndefined();
    expect(r?.nextHop).toEqual({ global: '10.0.0.1' });
  });

  test('RFC 4271 §5.1.5: iBGP sends LOCAL_PREF (default 100) and does not prepend', () => {
    const net = Network.pair({ a: { peerAs: 65001 }, b: { localAs: 65001, peerAs: 'internal' } });
    net.establish();
    net.act('a', (s, now) =>
      s.setRoutes(now, 1, [
        ['192.0.2.1/32', {}],
        ['192.0.2.2/32', { localPref: 250 }],
      ]),
    );
    const rib = net.ribIn('b', 1);
    expect(rib.get('192.0.2.1/32')?.attributes).toMatchObject({
      localPref: 100,
      asPath: [],
      nextHop: '10.0.0.1',
    });
    expect(rib.get('192.0.2.2/32')?.attributes).toMatchObject({ localPref: 250 });
  });

  test('RFC 4760 §3 / RFC 2545 §3: IPv6 routes go in MP_REACH_NLRI with global and link-local next hops', () => {
    const net = Network.pair({ a: { nextHop: { ipv6: '2001:db8::1', ipv6LinkLocal: 'fe80::1' } } });
    net.establish();
    net.act('a', (s, now) => s.setRoutes(now, 'ipv6-unicast', [['2001:DB8:0:1::/64', {}]]));
    const r = net.ribIn('b', 2).get('2001:db8:0:1::/64');
    expect(r?.nextHop).toEqual({ global: '2001:db8::1', linkLocal: 'fe80::1' });
    expect(r?.attributes.nextHop).toBeUndefined();
  });

  test('IPv6 routes over an IPv4 session default to the IPv4-mapped next hop', () => {
    const net = Network.pair();
    net.establish();
    net.act('a', (s, now) => s.setRoutes(now, 2, [['2001:db8::5/128', {}]]));
    expect(net.ribIn('b', 2).get('2001:db8::5/128')?.nextHop).toEqual({ global: '::ffff:10.0.0.1' });
  });

  test('RFC 8950 §3: IPv4 routes with an IPv6 next hop only when extended next hop is negotiated', () => {
    const withEnh = Network.pair({
      a: { nextHop: { ipv6: '2001:db8::1' }, extendedNextHop: true },
      b: { extendedNextHop: true },
    });
    withEnh.establish();
    withEnh.act('a', (s, now) => s.setRoutes(now, 1, [['192.0.2.9/32', { nextHop: '2001:db8::9' }]]));
    expect(withEnh.ribIn('b', 1).get('192.0.2.9/32')?.nextHop).toEqual({ global: '2001:db8::9' });

    const without = Network.pair({ b: { extendedNextHop: false } });
    without.establish();
    without.act('a', (s, now) => s.setRoutes(now, 1, [['192.0.2.9/32', { nextHop: '2001:db8::9' }]]));
    expect(without.ribIn('b', 1).size).toBe(0);
    expect(without.eventsOf('a', 'export-error')[0]?.reason).toMatch(/RFC 8950/);
  });

  test('RFC 8950 §4: over an IPv6-only session IPv4 routes take the local IPv6 (and link-local) next hop', () => {
    const enh = {
      code: 5,
      kind: 'extended-next-hop',
      entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }],
    } as const;
    const sentUpdate = (p: Probe) => {
      const u = p.sent().find((m) => m.type === 'update' && (m.attributes.mpReach?.nlri.count ?? 0) > 0);
      return u?.type === 'update' ? u : undefined;
    };
    const p = new Probe().open('fe80::1%eth0', 'fe80::2%eth0');
    p.peerSends(peerOpen({ capabilities: [...peerOpen().capabilities, enh] }));
    p.peerSends({ type: 'keepalive' });
    p.session.setRoutes(p.now, 1, [['192.0.2.1/32', {}]]);
    p.drain();
    expect(sentUpdate(p)?.attributes.mpReach).toMatchObject({ afi: 1, safi: 1 });
    expect(sentUpdate(p)?.attributes.mpReach?.nextHop).toEqual({ global: 'fe80::1' });

    const q = new Probe({ nextHop: { ipv6: '2001:db8::1' } }).open('fe80::1', 'fe80::2');
    q.peerSends(peerOpen({ capabilities: [...peerOpen().capabilities, enh] }));
    q.peerSends({ type: 'keepalive' });
    q.session.setRoutes(q.now, 1, [['192.0.2.1/32', {}]]);
    q.session.setRoutes(q.now, 2, [['2001:db8:5::/48', {}]]);
    q.drain();
    const ups = q.sent().filter((m) => m.type === 'update' && (m.attributes.mpReach?.nlri.count ?? 0) > 0);
    expect(ups.map((u) => u.type === 'update' && u.attributes.mpReach?.nextHop)).toEqual([
      { global: '2001:db8::1', linkLocal: 'fe80::1' },
      { global: '2001:db8::1', linkLocal: 'fe80::1' },
    ]);

    const r = new Probe().open('2001:db8::1', '2001:db8::2');
    r.peerSends(peerOpen());
    r.peerSends({ type: 'keepalive' });
    r.session.setRoutes(r.now, 1, [['192.0.2.1/32', {}]]);
    r.drain();
    expect(r.events.filter((e) => e.type === 'export-error')).toHaveLength(1);
  });

  test("a dual-stack socket's IPv4-mapped local address gives an IPv4 NEXT_HOP", () => {
    const p = new Probe().open('::ffff:10.0.0.1', '::ffff:10.0.0.2');
    p.peerSends(peerOpen());
    p.peerSends({ type: 'keepalive' });
    p.session.setRoutes(p.now, 1, [['192.0.2.1/32', {}]]);
    p.drain();
    const u = p.sent().find((m) => m.type === 'update' && m.nlri.count > 0);
    expect(u?.type === 'update' && u.attributes.nextHop).toBe('10.0.0.1');
  });

  test('RFC 7911 §3: ADD-PATH send puts a path identifier on every prefix', () => {
    const net = Network.pair({
      a: { addPath: { 'ipv4-unicast': 'send' } },
      b: { addPath: { 'ipv4-unicast': 'receive' } },
    });
    net.establish();
    net.act('a', (s, now) => s.setRoutes(now, 1, hosts(3)));
    const ev = net.eventsOf('b', 'route-received');
    expect(ev).toMatchObject([
      { prefixes: ['10.100.0.0/32', '10.100.0.1/32', '10.100.0.2/32'], pathIds: [1, 1, 1] },
    ]);
    net.act('a', (s, now) => s.withdraw(now, 1, ['10.100.0.1/32']));
    expect(net.eventsOf('b', 'route-withdrawn')).toMatchObject([
      { prefixes: ['10.100.0.1/32'], pathIds: [1] },
    ]);
  });

  test('RFC 4271 §9.2.1.1: with a MinRouteAdvertisementInterval changes are batched per interval', () => {
    const net = Network.pair({ a: { minRouteAdvertisementInterval: 30, random: () => 0.999_999_9 } });
    net.establish();
    const mark = net.messages('a', 'update').length;
    net.act('a', (s, now) => s.announce(now, 1, hosts(1)));
    const t0 = net.now;
    expect(net.messages('a', 'update').length).toBe(mark + 1); // the first change goes at once
    net.advance(1000);
    net.act('a', (s, now) => s.announce(now, 1, hosts(3).slice(1)));
    net.act('a', (s, now) => s.withdraw(now, 1, ['10.100.0.0/32']));
    expect(net.messages('a', 'update').length).toBe(mark + 1);
    net.advance(30_000 - 1001);
    expect(net.messages('a', 'update').length).toBe(mark + 1);
    net.advance(1);
    const later = net.messages('a', 'update').slice(mark + 1);
    expect(later.map((m) => m.at)).toEqual([t0 + 30_000]);
    expect([...net.ribIn('b', 1).keys()]).toEqual(['10.100.0.1/32', '10.100.0.2/32']);
  });

  test('RFC 4271 §9.2: changes while not Established are kept and sent in full when it comes back', () => {
    const net = Network.pair({ a: { idleHoldTime: 1 }, b: { idleHoldTime: 1 } });
    net.establish();
    net.act('a', (s, now) => s.setRoutes(now, 1, hosts(10)));
    net.cut();
    expect(net.sessions.a.state).not.toBe('Established');
    net.act('a', (s, now) => s.setRoutes(now, 1, hosts(20)));
    net.act('a', (s, now) => s.withdraw(now, 1, ['10.100.0.0/32']));
    net.advance(150_000);
    expect(net.bothEstablished()).toBe(true);
    expect(net.ribIn('b', 1).size).toBe(19);
    expect(net.sessions.a.stats().prefixesAdvertised['ipv4-unicast']).toBe(19);
  });

  test('RFC 7606 §2: treat-as-withdraw UPDATEs become withdraw events', () => {
    const p = new Probe().open();
    p.peerSends(peerOpen());
    p.peerSends({ type: 'keepalive' });
    const good: UpdateMessage = {
      type: 'update',
      withdrawn: PrefixList.empty(1),
      attributes: { origin: 0, asPath: [{ type: 2, asns: [65002] }], nextHop: '10.0.0.2' },
      nlri: PrefixList.fromStrings(1, ['198.51.100.0/24']),
    };
    p.peerSends(good);
    expect(p.session.receivedPrefixCount).toBe(1);
    const bytes = encodeMessage(good, { as4: true });
    // ORIGIN value 7 is invalid: RFC 7606 §7.1 treat-as-withdraw.
    for (let i = 23; i < bytes.length - 3; i++) {
      if (bytes[i] === 0x40 && bytes[i + 1] === 1 && bytes[i + 2] === 1) bytes[i + 3] = 7;
    }
    p.peerBytes(bytes);
    expect(p.session.state).toBe('Established');
    expect(p.events.filter((e) => e.type === 'route-withdrawn')).toMatchObject([
      { prefixes: ['198.51.100.0/24'], cause: 'treat-as-withdraw' },
    ]);
    expect(p.events.some((e) => e.type === 'attribute-issue')).toBe(true);
    expect(p.session.receivedPrefixCount).toBe(0);
  });

  test('RFC 6793 §4.2.2: toward a 2-octet peer a 4-octet AS becomes AS_TRANS with AS4_PATH', () => {
    const p = new Probe({ localAs: 4200000001 }).open();
    p.peerSends(peerOpen({ capabilities: [] }));
    p.peerSends({ type: 'keepalive' });
    p.session.setRoutes(p.now, 1, [['192.0.2.1/32', {}]]);
    p.drain();
    const u = p.sent().find((m) => m.type === 'update' && m.nlri.count > 0);
    expect(u?.type === 'update' && u.attributes.asPath).toEqual([{ type: 2, asns: [23456] }]);
    expect(u?.type === 'update' && u.attributes.as4Path).toEqual([{ type: 2, asns: [4200000001] }]);
  });

  test("attributes too large for the peer's message size are reported, the rest is still sent", () => {
    const net = Network.pair({ a: { extendedMessage: false } });
    net.establish();
    const huge: RouteAttributes = { communities: Array.from({ length: 1100 }, (_, i) => i + 1) };
    net.act('a', (s, now) =>
      s.setRoutes(now, 1, [
        ['192.0.2.1/32', huge],
        ['192.0.2.2/32', {}],
      ]),
    );
    expect(net.eventsOf('a', 'export-error')).toMatchObject([{ prefixes: ['192.0.2.1/32'] }]);
    expect([...net.ribIn('b', 1).keys()]).toEqual(['192.0.2.2/32']);
    expect(net.sessions.a.stats().prefixesAdvertised['ipv4-unicast']).toBe(1);
    // Fixed attributes are sent at once.
    net.act('a', (s, now) => s.announce(now, 1, [['192.0.2.1/32', { communities: [1] }]]));
    expect(net.ribIn('b', 1).size).toBe(2);
    expect(net.sessions.a.stats().prefixesAdvertised['ipv4-unicast']).toBe(2);
    expect(net.bothEstablished()).toBe(true);
  });

  test('local misuse throws with the offending prefix named', () => {
    const net = Network.pair();
    expect(() => net.sessions.a.setRoutes(0, 1, [['10.0.0.1/24', {}]])).toThrow(/10\.0\.0\.1\/24.*beyond/);
    expect(() => net.sessions.a.setRoutes(0, 1, [['2001:db8::/64', {}]])).toThrow(/not an IPv4 prefix/);
    expect(() => net.sessions.a.setRoutes(0, 1, [['10.0.0.1/32', { communities: ['x'] }]])).toThrow(
      /community 'x'/,
    );
  });

  test('property: after any sequence of route changes and flaps the peer holds exactly the last desired state', () => {
    const prefix = fc.integer({ min: 0, max: 40 }).map((i) => `10.${i >> 4}.${i & 15}.0/24`);
    const attrs = fc.record({
      med: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      communities: fc.array(fc.constantFrom('65000:1', '65000:2', 'no-export'), { maxLength: 2 }),
    });
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('set' as const),
        routes: fc.array(fc.tuple(prefix, attrs), { maxLength: 30 }),
      }),
      fc.record({
        kind: fc.constant('announce' as const),
        routes: fc.array(fc.tuple(prefix, attrs), { maxLength: 10 }),
      }),
      fc.record({ kind: fc.constant('withdraw' as const), prefixes: fc.array(prefix, { maxLength: 10 }) }),
      fc.record({ kind: fc.constant('flap' as const) }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 200_000 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
        const net = Network.pair({ a: { idleHoldTime: 1 }, b: { idleHoldTime: 1 } });
        net.establish();
        const model = new Map<string, { med?: number; communities: string[] }>();
        for (const o of ops) {
          if (o.kind === 'set') {
            model.clear();
            for (const [p, a] of o.routes) model.set(p, a);
            net.act('a', (s, now) => s.setRoutes(now, 1, o.routes));
          } else if (o.kind === 'announce') {
            for (const [p, a] of o.routes) model.set(p, a);
            net.act('a', (s, now) => s.announce(now, 1, o.routes));
          } else if (o.kind === 'withdraw') {
            for (const p of o.prefixes) model.delete(p);
            net.act('a', (s, now) => s.withdraw(now, 1, o.prefixes));
          } else if (o.kind === 'flap') {
            net.cut();
          } else {
            net.advance(o.ms);
          }
        }
        net.advance(200_000);
        expect(net.bothEstablished()).toBe(true);
        const rib = net.ribIn('b', 1);
        expect(new Set(rib.keys())).toEqual(new Set(model.keys()));
        for (const [p, a] of model) {
          const got = rib.get(p)?.attributes;
          expect(got?.med).toBe(a.med);
          const want = [...new Set(a.communities)]
            .map((c) => (c === 'no-export' ? 0xffffff01 : 65000 * 65536 + Number(c.split(':')[1])))
            .sort((x, y) => x - y);
          expect(got?.communities ?? []).toEqual(want);
        }
      }),
      { numRuns: 60, seed: 0x5e55 },
    );
  });
});

describe('route refresh', () => {
  test('RFC 2918 §4: a ROUTE-REFRESH is answered with the whole Adj-RIB-Out', () => {
    const net = Network.pair({ b: { routeRefresh: true }, a: {} });
    net.establish();
    net.act('a', (s, now) => s.setRoutes(now, 1, hosts(100)));
    const mark = net.messages('a', 'update').length;
    net.act('b', (s, now) => {
      expect(s.requestRouteRefresh(now, 1)).toBe(true);
    });
    expect(net.eventsOf('a', 'route-refresh-requested')).toEqual([
      { type: 'route-refresh-requested', afi: 1, safi: 1 },
    ]);
    expect(updatesSince(net, 'a', mark).reduce((n, u) => n + announced(u), 0)).toBe(100);
  });

  test('RFC 7313 §4: with enhanced route refresh the re-advertisement is framed by BoRR and EoRR', () => {
    const net = Network.pair();
    net.establish();
    net.act('a', (s, now) => s.setRoutes(now, 1, hosts(5)));
    const mark = net.sent.a.length;
    net.act('b', (s, now) => s.requestRouteRefresh(now, 1));
    const seq = net.sent.a
      .slice(mark)
      .map((m) => (m.message?.type === 'route-refresh' ? `rr${m.message.subtype}` : m.message?.type));
    expect(seq).toEqual(['rr1', 'update', 'rr2']);
    expect(net.eventsOf('b', 'enhanced-route-refresh').map((e) => e.phase)).toEqual(['begin', 'end']);
    expect(net.ribIn('b', 1).size).toBe(5);
  });

  test('RFC 7313 §4.2: routes not re-advertised between BoRR and EoRR are purged as stale', () => {
    const p = new Probe().open();
    p.peerSends(
      peerOpen({ capabilities: [...peerOpen().capabilities, { code: 70, kind: 'enhanced-route-refresh' }] }),
    );
    p.peerSends({ type: 'keepalive' });
    const update = (prefixes: string[]): UpdateMessage => ({
      type: 'update',
      withdrawn: PrefixList.empty(1),
      attributes: { origin: 0, asPath: [{ type: 2, asns: [65002] }], nextHop: '10.0.0.2' },
      nlri: PrefixList.fromStrings(1, prefixes),
    });
    p.peerSends(update(['198.51.100.0/24', '203.0.113.0/24']));
    p.peerSends({ type: 'route-refresh', afi: 1, safi: 1, subtype: 1 });
    p.peerSends(update(['198.51.100.0/24']));
    p.peerSends({ type: 'route-refresh', afi: 1, safi: 1, subtype: 2 });
    expect(p.events.filter((e) => e.type === 'route-withdrawn')).toMatchObject([
      { prefixes: ['203.0.113.0/24'], cause: 'stale' },
    ]);
    expect(p.session.receivedPrefixCount).toBe(1);
  });

  test('RFC 2918 §4: a ROUTE-REFRESH for a family not negotiated is ignored', () => {
    const net = Network.pair({ b: { families: ['ipv4-unicast'] } });
    net.establish();
    const mark = net.sent.a.length;
    net.act('a', (s, now) => s.setRoutes(now, 2, [['2001:db8::/64', {}]]));
    expect(net.sent.a.length).toBe(mark);
    expect(net.sessions.b.requestRouteRefresh(net.now, 2)).toBe(false);
  });
});

describe('graceful restart (RFC 4724)', () => {
  test('RFC 4724 §4.1: the restarting speaker sets R and F, re-sends its routes and End-of-RIB after the restart', () => {
    const grA = { restartTime: 120, restarting: true, forwardingState: true };
    const net = Network.pair({ a: { gracefulRestart: grA }, b: { gracefulRestart: { restartTime: 120 } } });
    net.act('a', (s, now) => s.setRoutes(now, 1, hosts(50)));
    net.establish();
    const n = net.eventsOf('b', 'established')[0]?.negotiated.gracefulRestart.peer;
    expect(n).toEqual({
      restarting: true,
      notification: false,
      restartTime: 120,
      families: [
        { family: 'ipv4-unicast', forwardingState: true },
        { family: 'ipv6-unicast', forwardingState: true },
      ],
    });
    // Initial sync: the routes, then End-of-RIB per family.
    const ups = net.messages('a', 'update').map((m) => m.message);
    expect(ups.map(announced)).toEqual([50, 0, 0]);
    expect(net.eventsOf('b', 'end-of-rib').map((e) => [e.afi, e.safi])).toEqual([
      [1, 1],
      [2, 1],
    ]);
    expect(net.ribIn('b', 1).size).toBe(50);
  });
});

describe('graceful restart, receiving side', () => {
  test('RFC 4724 §4.2: losing a GR peer without a NOTIFICATION tells the application to keep its routes', () => {
    const gr = { restartTime: 90 };
    const net = Network.pair({ a: { gracefulRestart: gr }, b: { gracefulRestart: gr } });
    net.establish();
    net.cut();
    expect(net.eventsOf('a', 'peer-graceful-restart')).toEqual([
      {
        type: 'peer-graceful-restart',
        restartTime: 90,
        families: [
          { family: 'ipv4-unicast', forwardingState: false },
          { family: 'ipv6-unicast', forwardingState: false },
        ],
      },
    ]);
    // An orderly stop (NOTIFICATION) is not a restart.
    const net2 = Network.pair({ a: { gracefulRestart: gr }, b: { gracefulRestart: gr } });
    net2.establish();
    net2.act('b', (s, now) => s.stop(now, 'bye'));
    expect(net2.eventsOf('a', 'peer-graceful-restart')).toEqual([]);
  });
});

describe('graceful restart, R bit', () => {
  test('RFC 4724 §4.1: the R bit is set only until the first session after the restart is Established', () => {
    const net = Network.pair({
      a: { gracefulRestart: { restartTime: 120, restarting: true }, idleHoldTime: 1 },
      b: { gracefulRestart: { restartTime: 120 }, idleHoldTime: 1 },
    });
    net.establish();
    net.cut();
    net.advance(200_000);
    expect(net.bothEstablished()).toBe(true);
    const rBits = net.eventsOf('b', 'established').map((e) => e.negotiated.gracefulRestart.peer?.restarting);
    expect(rBits).toEqual([true, false]);
  });
});

describe('prefix limit (RFC 4486)', () => {
  test('RFC 4486 §4: more received prefixes than the limit → Cease 6/1 with AFI, SAFI and the limit', () => {
    const net = Network.pair({ b: { maxPrefixes: 10 } });
    net.establish();
    net.act('a', (s, now) => s.setRoutes(now, 1, hosts(10)));
    expect(net.sessions.b.state).toBe('Established');
    net.act('a', (s, now) => s.announce(now, 1, hosts(1, 0x0a650000)));
    const sent = net.eventsOf('b', 'notification-sent')[0];
    expect(sent?.notification.code).toBe(6);
    expect(sent?.notification.subcode).toBe(1);
    expect([...(sent?.notification.data ?? [])]).toEqual([0, 1, 1, 0, 0, 0, 10]);
    expect(sent?.description).toBe('Cease/Maximum Number of Prefixes Reached (6/1): afi 1 safi 1 limit 10');
    expect(net.sessions.b.state).toBe('Idle');
  });
});

describe('administrative shutdown (RFC 9003)', () => {
  test('RFC 9003 §2: stop sends Cease 6/2 with the shutdown communication and stays Idle', () => {
    const net = Network.pair();
    net.establish();
    net.act('a', (s, now) => s.stop(now, 'maintenance: replacing PSU ⚡'));
    const sent = net.eventsOf('a', 'notification-sent')[0]?.notification;
    expect(sent).toMatchObject({ code: 6, subcode: 2 });
    const text = 'maintenance: replacing PSU ⚡';
    const utf8 = [...new TextEncoder().encode(text)];
    expect([...(sent?.data ?? [])]).toEqual([utf8.length, ...utf8]);
    expect(net.eventsOf('b', 'notification-received')[0]?.description).toBe(
      `Cease/Administrative Shutdown (6/2): "${text}"`,
    );
    net.advance(HOUR);
    expect(net.sessions.a.state).toBe('Idle');
    expect(net.sessions.a.nextTimeout()).toBeUndefined();
    // b keeps trying (automatic restart) and a refuses while stopped
    expect(net.sessions.b.state).not.toBe('Established');
    net.act('a', (s, now) => s.start(now));
    net.advance(200_000);
    expect(net.bothEstablished()).toBe(true);
  });

  test('RFC 4486 §4: deconfigure sends Cease 6/3; bfdDown sends 6/10 and restarts', () => {
    const net = Network.pair({ a: { idleHoldTime: 1 } });
    net.establish();
    net.act('a', (s, now) => s.bfdDown(now));
    expect(net.eventsOf('a', 'notification-sent')[0]?.notification).toMatchObject({ code: 6, subcode: 10 });
    net.advance(200_000);
    expect(net.bothEstablished()).toBe(true);
    net.act('a', (s, now) => s.deconfigure(now));
    expect(net.eventsOf('a', 'notification-sent')[1]?.notification).toMatchObject({ code: 6, subcode: 3 });
    net.advance(HOUR);
    expect(net.sessions.a.state).toBe('Idle');
  });

  test('RFC 4486 §4: a changed session parameter sends Cease 6/6 (Other Configuration Change), not 6/3', () => {
    const net = Network.pair();
    net.establish();
    net.act('a', (s, now) => s.reconfigure(now));
    expect(net.eventsOf('a', 'notification-sent').map((e) => e.notification)).toMatchObject([
      { code: 6, subcode: 6 },
    ]);
    expect(net.eventsOf('b', 'notification-received')[0]?.description).toMatch(
      /Cease\/Other Configuration Change \(6\/6\)/,
    );
    // the caller replaces the session: this one stays down
    net.advance(HOUR);
    expect(net.sessions.a.state).toBe('Idle');
    expect(net.sessions.a.nextTimeout()).toBeUndefined();
  });
});

describe('received routes', () => {
  test('RFC 4760 §7: routes of a family that was not negotiated are ignored with an event', () => {
    const p = new Probe({ families: ['ipv4-unicast'] }).open();
    p.peerSends(peerOpen());
    p.peerSends({ type: 'keepalive' });
    const u: UpdateMessage = {
      type: 'update',
      withdrawn: PrefixList.empty(1),
      attributes: {
        origin: 0,
        asPath: [{ type: 2, asns: [65002] }],
        mpReach: {
          afi: 2,
          safi: 1,
          nextHop: { global: '2001:db8::2' },
          nlri: PrefixList.fromStrings(2, ['2001:db8:1::/48']),
        },
      },
      nlri: PrefixList.empty(1),
    };
    p.peerSends(u);
    expect(p.events.filter((e) => e.type === 'family-not-negotiated')).toMatchObject([
      { afi: 2, safi: 1, prefixes: 1 },
    ]);
    expect(p.session.receivedPrefixCount).toBe(0);
    expect(p.session.state).toBe('Established');
  });

  test('RFC 4271 §9.1.2: a path holding our own AS is not accepted (loop) and replaces the earlier route', () => {
    const p = new Probe().open();
    p.peerSends(peerOpen());
    p.peerSends({ type: 'keepalive' });
    const update = (asns: number[]): UpdateMessage => ({
      type: 'update',
      withdrawn: PrefixList.empty(1),
      attributes: { origin: 0, asPath: [{ type: 2, asns }], nextHop: '10.0.0.2' },
      nlri: PrefixList.fromStrings(1, ['198.51.100.0/24']),
    });
    p.peerSends(update([65002]));
    expect(p.session.receivedPrefixCount).toBe(1);
    p.peerSends(update([65002, 65001]));
    expect(p.session.receivedPrefixCount).toBe(0);
    expect(p.events.filter((e) => e.type === 'route-withdrawn')).toMatchObject([
      { prefixes: ['198.51.100.0/24'], cause: 'as-loop' },
    ]);
    expect(p.session.state).toBe('Established');
  });

  test('RFC 4271 §6.3 / RFC 7606 §7.3: a martian next hop withdraws the route and keeps the session', () => {
    const p = new Probe().open();
    p.peerSends(peerOpen());
    p.peerSends({ type: 'keepalive' });
    const update = (nextHop: string): UpdateMessage => ({
      type: 'update',
      withdrawn: PrefixList.empty(1),
      attributes: { origin: 0, asPath: [{ type: 2, asns: [65002] }], nextHop },
      nlri: PrefixList.fromStrings(1, ['203.0.113.0/24']),
    });
    p.peerSends(update('10.0.0.2'));
    expect(p.session.receivedPrefixCount).toBe(1);
    p.peerSends(update('0.1.2.3'));
    expect(p.session.receivedPrefixCount).toBe(0);
    expect(p.events.filter((e) => e.type === 'route-withdrawn')).toMatchObject([
      { prefixes: ['203.0.113.0/24'], cause: 'treat-as-withdraw' },
    ]);
    expect(p.events.some((e) => e.type === 'attribute-issue')).toBe(true);
    expect(p.session.state).toBe('Established');
  });

  test('framing: a stream delivered one byte at a time establishes and carries routes', () => {
    const net = Network.pair();
    net.chunkSize = 1;
    net.act('a', (s, now) => s.setRoutes(now, 1, hosts(20)));
    net.establish();
    expect(net.ribIn('b', 1).size).toBe(20);
    const u = net.messages('a', 'update')[0];
    expect(u && decodeMessage(u.bytes, { as4: true }).kind).toBe('message');
  });
});

describe('flow control (send window)', () => {
  const WINDOW = 8192;
  /** Established Probe whose connection has a send window. */
  function windowed(routes: [string, RouteAttributes][] = []): Probe {
    const p = new Probe().open('10.0.0.1', '10.0.0.2', WINDOW);
    p.session.setRoutes(p.now, 1, routes);
    p.peerSends(peerOpen());
    p.peerSends({ type: 'keepalive' });
    expect(p.session.state).toBe('Established');
    return p;
  }
  /** UPDATE bytes handed over since action index `from`. */
  const updateBytes = (p: Probe, from: number) =>
    p.actions.slice(from).reduce((n, a) => {
      if (a.type !== 'send') return n;
      const r = decodeMessage(a.bytes, p.decodeOpts);
      return r.kind !== 'error' && r.message.type === 'update' ? n + a.bytes.length : n;
    }, 0);
  // Every route its own attribute set: one UPDATE per prefix, the most bytes per route.
  const distinct = (n: number): [string, RouteAttributes][] =>
    hosts(n).map(([prefix], i) => [prefix, { med: i, communities: ['65000:100'] }]);

  test('one window of UPDATEs (plus at most one batch) per connectionWritable; the rest waits, then all arrive with End-of-RIB last', () => {
    const bound = WINDOW + SEND_BATCH_PREFIXES * 64;
    const p = windowed(distinct(3000)); // the initial sync of a large Adj-RIB-Out
    let mark = 0;
    const steps: number[] = [updateBytes(p, mark)];
    for (let i = 0; i < 1000 && p.sent().filter(isEor).length < 2; i++) {
      mark = p.actions.length;
      p.session.connectionWritable(p.now, p.connId);
      p.drain();
      steps.push(updateBytes(p, mark));
    }
    expect(steps.length).toBeGreaterThan(3);
    expect(Math.max(...steps)).toBeLessThanOrEqual(bound);
    const ups = p.sent().filter((m): m is UpdateMessage => m.type === 'update');
    expect(ups.reduce((n, u) => n + announced(u), 0)).toBe(3000);
    expect(ups.slice(-2).every(isEor)).toBe(true);
    // Nothing more once everything is out.
    mark = p.actions.length;
    p.session.connectionWritable(p.now, p.connId);
    p.drain();
    expect(p.actions.length).toBe(mark);
  });

  test('while the window is used up, a change replaces the pending one and KEEPALIVEs still go out', () => {
    const p = windowed();
    const routes = distinct(2000);
    p.session.setRoutes(p.now, 1, routes);
    p.drain();
    const mark = p.actions.length;
    // Withdraw the last 1000 before they were handed over: they never go on the wire.
    p.session.setRoutes(p.now, 1, routes.slice(0, 1000));
    p.advance(60_000); // hold 90 s: keepalive every 30 s (jittered)
    const waiting = p.sent().slice(-2);
    expect(waiting.map((m) => m.type)).toEqual(['keepalive', 'keepalive']);
    expect(p.actions.length - mark).toBe(2);
    for (let i = 0; i < 1000 && p.session.stats().prefixesAdvertised['ipv4-unicast'] < 1000; i++) {
      p.session.connectionWritable(p.now, p.connId);
      p.drain();
    }
    const ups = p.sent().filter((m): m is UpdateMessage => m.type === 'update');
    expect(ups.reduce((n, u) => n + announced(u), 0)).toBe(1000);
    expect(ups.reduce((n, u) => n + withdrawnCount(u), 0)).toBe(0);
  });

  test('a send window that is not a positive number is refused', () => {
    const p = new Probe();
    p.session.start(0);
    expect(() =>
      p.session.connectionUp(0, {
        id: 'x',
        localAddress: '10.0.0.1',
        remoteAddress: '10.0.0.2',
        sendWindow: 0,
      }),
    ).toThrow(/sendWindow 0 of connection 'x' is not a positive number of bytes/);
  });
});

function isEor(m: { type: string }): boolean {
  if (m.type !== 'update') return false;
  const u = m as UpdateMessage;
  return announced(u) === 0 && withdrawnCount(u) === 0;
}
