// OPEN checks and capability negotiation: each rule with the exact NOTIFICATION it sends.
import { describe, expect, test } from 'vitest';
import type { Capability, OpenMessage } from '../model.ts';
import { Probe, peerOpen } from '../testing/index.ts';
import type { BgpSessionConfig } from './config.ts';
import type { Negotiated } from './negotiate.ts';

function rejected(open: OpenMessage, over: Partial<BgpSessionConfig> = {}) {
  const p = new Probe(over).open();
  p.peerSends(open);
  return p;
}

function accepted(open: OpenMessage, over: Partial<BgpSessionConfig> = {}): Negotiated {
  const p = new Probe(over).open();
  p.peerSends(open);
  expect(p.notificationsSent()).toEqual([]);
  expect(p.session.state).toBe('OpenConfirm');
  p.peerSends({ type: 'keepalive' });
  expect(p.session.state).toBe('Established');
  const n = p.session.negotiated;
  if (n === undefined) throw new Error('not negotiated');
  return n;
}

function expectRejected(p: Probe, code: number, subcode: number, data: number[] = []): void {
  expect(p.notificationsSent()).toEqual([{ code, subcode, data }]);
  expect(p.closed()).toBe(true);
  expect(p.session.state).toBe('Idle');
  const ev = p.events.find((e) => e.type === 'notification-sent');
  expect(ev).toBeDefined();
}

const caps = (...extra: Capability[]): Capability[] => [
  ...(peerOpen().capabilities as Capability[]),
  ...extra,
];

describe('OPEN checks', () => {
  test('RFC 4271 §6.2: unsupported version → 2/1 with the largest supported version (4) as data', () => {
    const p = new Probe().open();
    // Hand-made OPEN with version 3 (the encoder is not asked to produce it).
    const bytes = Uint8Array.from([
      ...new Array(16).fill(0xff),
      0,
      29,
      1,
      3,
      0xfd,
      0xea,
      0,
      90,
      2,
      2,
      2,
      2,
      0,
    ]);
    p.peerBytes(bytes);
    expectRejected(p, 2, 1, [0, 4]);
  });

  test('RFC 4271 §6.2: peer AS other than the configured one → 2/2 Bad Peer AS', () => {
    expectRejected(rejected(peerOpen({ myAs: 65003, capabilities: [] })), 2, 2);
  });

  test('RFC 4271 §6.2: dynamic internal peer must have our AS → 2/2', () => {
    expectRejected(rejected(peerOpen(), { peerAs: 'internal' }), 2, 2);
    const n = accepted(peerOpen({ myAs: 65001, capabilities: caps({ code: 65, kind: 'as4', asn: 65001 }) }), {
      peerAs: 'internal',
    });
    expect(n.internal).toBe(true);
    expect(n.peerAs).toBe(65001);
  });

  test('RFC 4271 §6.2: dynamic external peer must not have our AS → 2/2', () => {
    expectRejected(
      rejected(peerOpen({ myAs: 65001, capabilities: [{ code: 65, kind: 'as4', asn: 65001 }] }), {
        peerAs: 'external',
      }),
      2,
      2,
    );
    const n = accepted(peerOpen(), { peerAs: 'external' });
    expect(n.internal).toBe(false);
    expect(n.peerAs).toBe(65002);
  });

  test('RFC 6793 §4.1: the 4-octet AS capability gives the peer AS (My AS is AS_TRANS)', () => {
    const n = accepted(
      peerOpen({
        myAs: 23456,
        capabilities: [
          { code: 1, kind: 'multiprotocol', afi: 1, safi: 1 },
          { code: 65, kind: 'as4', asn: 4200000001 },
        ],
      }),
      { peerAs: 4200000001 },
    );
    expect(n.peerAs).toBe(4200000001);
    expect(n.as4).toBe(true);
  });

  test('RFC 6793 §4.1: a 2-octet My AS that disagrees with the capability → 2/2', () => {
    expectRejected(
      rejected(peerOpen({ myAs: 65002, capabilities: [{ code: 65, kind: 'as4', asn: 65009 }] }), {
        peerAs: 'external',
      }),
      2,
      2,
    );
  });

  test('RFC 6793 §4.1: AS_TRANS in the 4-octet AS capability → 2/2', () => {
    expectRejected(
      rejected(peerOpen({ myAs: 23456, capabilities: [{ code: 65, kind: 'as4', asn: 23456 }] }), {
        peerAs: 'external',
      }),
      2,
      2,
    );
  });

  test('RFC 7607 §2: peer AS 0 → 2/2', () => {
    expectRejected(rejected(peerOpen({ myAs: 0, capabilities: [] }), { peerAs: 'external' }), 2, 2);
  });

  test('RFC 6793 §4.1: a 2-octet peer (no capability) is accepted and AS4 is off', () => {
    const n = accepted(peerOpen({ capabilities: [] }));
    expect(n.as4).toBe(false);
    expect(n.codecOptions.as4).toBe(false);
    expect(n.families).toEqual(['ipv4-unicast']);
  });

  test('RFC 6286 §2.2: BGP Identifier 0 → 2/3 Bad BGP Identifier', () => {
    expectRejected(rejected(peerOpen({ bgpId: '0.0.0.0' })), 2, 3);
  });

  test('RFC 6286 §2.2: an iBGP peer with our own BGP Identifier → 2/3', () => {
    expectRejected(
      rejected(
        peerOpen({ myAs: 65001, bgpId: '1.1.1.1', capabilities: [{ code: 65, kind: 'as4', asn: 65001 }] }),
        {
          peerAs: 65001,
        },
      ),
      2,
      3,
    );
  });

  test('RFC 6286 §2.2: an eBGP peer may use our BGP Identifier', () => {
    const n = accepted(peerOpen({ bgpId: '1.1.1.1' }));
    expect(n.peerBgpId).toBe('1.1.1.1');
  });

  test('RFC 4271 §6.2: hold time 1 or 2 seconds → 2/6 Unacceptable Hold Time', () => {
    expectRejected(rejected(peerOpen({ holdTime: 1 })), 2, 6);
    expectRejected(rejected(peerOpen({ holdTime: 2 })), 2, 6);
  });

  test('RFC 4271 §4.2: the negotiated hold time is the smaller of both; keepalive a third of it', () => {
    expect(accepted(peerOpen({ holdTime: 3 }))).toMatchObject({ holdTime: 3, keepaliveTime: 1 });
    expect(accepted(peerOpen({ holdTime: 240 }))).toMatchObject({ holdTime: 90, keepaliveTime: 30 });
    expect(accepted(peerOpen({ holdTime: 30 }), { holdTime: 60 })).toMatchObject({
      holdTime: 30,
      keepaliveTime: 10,
    });
  });

  test('RFC 4271 §4.4: a configured keepalive time is used, never more than a third of the hold time', () => {
    expect(accepted(peerOpen(), { keepaliveTime: 10 })).toMatchObject({ holdTime: 90, keepaliveTime: 10 });
    expect(accepted(peerOpen({ holdTime: 9 }), { keepaliveTime: 10 })).toMatchObject({
      holdTime: 9,
      keepaliveTime: 3,
    });
  });

  test('RFC 4271 §4.2: hold time 0 from either side means no hold timer and no keepalives', () => {
    const p = new Probe().open();
    p.peerSends(peerOpen({ holdTime: 0 }));
    p.peerSends({ type: 'keepalive' });
    expect(p.session.negotiated).toMatchObject({ holdTime: 0, keepaliveTime: 0 });
    const before = p.sent().length;
    expect(p.session.nextTimeout()).toBeUndefined();
    p.advance(24 * 3600_000);
    expect(p.sent().length).toBe(before);
    expect(p.session.state).toBe('Established');
  });

  test('RFC 5492 §3: unknown capabilities are skipped, never fatal', () => {
    const n = accepted(
      peerOpen({ capabilities: caps({ code: 250, kind: 'unknown', data: Uint8Array.of(1, 2, 3) }) }),
    );
    expect(n.peerCapabilities.some((c) => c.code === 250)).toBe(true);
  });
});

describe('capability negotiation', () => {
  test('RFC 4760 §8: families are those both sides advertise', () => {
    expect(accepted(peerOpen(), { families: ['ipv6-unicast'] }).families).toEqual(['ipv6-unicast']);
    expect(
      accepted(peerOpen({ capabilities: [{ code: 1, kind: 'multiprotocol', afi: 2, safi: 1 }] })).families,
    ).toEqual(['ipv6-unicast']);
  });

  test('RFC 7911 §4: ADD-PATH send/receive per family from both wishes', () => {
    const n = accepted(
      peerOpen({
        capabilities: caps({
          code: 69,
          kind: 'add-path',
          families: [
            { afi: 1, safi: 1, sendReceive: 3 },
            { afi: 2, safi: 1, sendReceive: 2 },
          ],
        }),
      }),
      { addPath: { 'ipv4-unicast': 'send', 'ipv6-unicast': 'both' } },
    );
    expect(n.addPath).toEqual({
      'ipv4-unicast': { send: true, receive: false },
      'ipv6-unicast': { send: false, receive: true },
    });
    expect([...(n.codecOptions.addPathSend ?? [])]).toEqual(['1/1']);
    expect([...(n.codecOptions.addPathReceive ?? [])]).toEqual(['2/1']);
  });

  test('RFC 4724 §3: graceful restart both ways is exposed', () => {
    const n = accepted(
      peerOpen({
        capabilities: caps({
          code: 64,
          kind: 'graceful-restart',
          restarting: true,
          notification: false,
          restartTime: 120,
          families: [{ afi: 1, safi: 1, forwardingState: true }],
        }),
      }),
      { gracefulRestart: { restartTime: 90 } },
    );
    expect(n.gracefulRestart).toEqual({
      local: true,
      peer: {
        restarting: true,
        notification: false,
        restartTime: 120,
        families: [{ family: 'ipv4-unicast', forwardingState: true }],
      },
    });
  });

  test('RFC 2918 / RFC 7313 / RFC 8654 / RFC 8950: route refresh, enhanced RR, extended message, extended next hop', () => {
    const all = accepted(
      peerOpen({
        capabilities: caps(
          { code: 70, kind: 'enhanced-route-refresh' },
          { code: 6, kind: 'extended-message' },
          { code: 5, kind: 'extended-next-hop', entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] },
          { code: 73, kind: 'fqdn', hostname: 'tor1', domain: 'example.net' },
        ),
      }),
      { extendedNextHop: true },
    );
    expect(all).toMatchObject({
      routeRefresh: true,
      enhancedRouteRefresh: true,
      extendedMessage: true,
      extendedNextHop: ['ipv4-unicast'],
      peerHostname: { hostName: 'tor1', domainName: 'example.net' },
    });
    expect(all.codecOptions.extendedMessage).toBe(true);
    const none = accepted(peerOpen({ capabilities: [] }));
    expect(none).toMatchObject({
      routeRefresh: false,
      enhancedRouteRefresh: false,
      extendedMessage: false,
      extendedNextHop: [],
      peerHostname: undefined,
    });
    const notOffered = accepted(peerOpen({ capabilities: caps({ code: 6, kind: 'extended-message' }) }), {
      extendedMessage: false,
      routeRefresh: false,
    });
    expect(notOffered).toMatchObject({ extendedMessage: false, routeRefresh: false });
  });

  test('RFC 8950: extended next hop is offered only where IPv4 routes need an IPv6 next hop', () => {
    const offered = (over: Partial<BgpSessionConfig>, local?: string, remote?: string) => {
      const p = new Probe(over).open(local, remote);
      const open = p.sent()[0];
      if (open?.type !== 'open') throw new Error('no OPEN');
      return open.capabilities.some((c) => c.kind === 'extended-next-hop');
    };
    // an IPv4 session has an IPv4 next hop for its IPv4 routes: nothing to offer (MetalLB and FRR do
    // not send it by default either)
    expect(offered({})).toBe(false);
    expect(offered({ families: ['ipv4-unicast'] })).toBe(false);
    // an IPv6 connection carrying IPv4 unicast without a configured IPv4 next hop needs it
    expect(offered({ peerAddress: 'fd00::2' }, 'fd00::1', 'fd00::2')).toBe(true);
    expect(offered({ peerAddress: 'fe80::2' }, 'fe80::1%eth0', 'fe80::2%eth0')).toBe(true);
    expect(offered({ peerAddress: 'fd00::2', nextHop: { ipv4: '192.0.2.1' } }, 'fd00::1', 'fd00::2')).toBe(
      false,
    );
    expect(offered({ peerAddress: 'fd00::2', families: ['ipv6-unicast'] }, 'fd00::1', 'fd00::2')).toBe(false);
    // IPv4-mapped addresses are an IPv4 connection
    expect(offered({}, '::ffff:10.0.0.1', '::ffff:10.0.0.2')).toBe(false);
    // stated explicitly, the configuration wins
    expect(offered({ extendedNextHop: true })).toBe(true);
    expect(offered({ peerAddress: 'fd00::2', extendedNextHop: false }, 'fd00::1', 'fd00::2')).toBe(false);
    // and it is negotiated only when we offered it
    const p = new Probe({}).open();
    p.peerSends(
      peerOpen({
        capabilities: caps({
          code: 5,
          kind: 'extended-next-hop',
          entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }],
        }),
      }),
    );
    p.peerSends({ type: 'keepalive' });
    expect(p.session.negotiated?.extendedNextHop).toEqual([]);
  });

  test('RFC 5492 §5: capabilities the peer refuses with 2/7 are left out of the next OPEN', () => {
    const p = new Probe({ hostname: { hostName: 'node-1' }, idleHoldTime: 1 }).open();
    const first = p.sent()[0];
    expect(first?.type === 'open' && first.capabilities.some((c) => c.kind === 'fqdn')).toBe(true);
    p.peerSends({ type: 'notification', code: 2, subcode: 7, data: Uint8Array.of(73, 0, 6, 0) });
    expect(p.session.state).toBe('Idle');
    p.advance(2000);
    p.session.connectionUp(p.now, { id: 'again', localAddress: '10.0.0.1', remoteAddress: '10.0.0.2' });
    p.drain();
    const opens = p.sent().filter((m) => m.type === 'open');
    const kinds = opens[1]?.type === 'open' ? opens[1].capabilities.map((c) => c.kind) : [];
    expect(kinds).not.toContain('fqdn');
    expect(kinds).not.toContain('extended-message');
    expect(kinds).toContain('multiprotocol');
    expect(kinds).toContain('as4');
  });

  test('our OPEN carries the configured capabilities (AS_TRANS for a 4-octet AS, RFC 6793 §4.1)', () => {
    const p = new Probe({
      localAs: 4200000001,
      gracefulRestart: { restartTime: 120, restarting: true, forwardingState: true },
      addPath: { 'ipv4-unicast': 'both' },
      hostname: { hostName: 'node-1', domainName: 'cluster.local' },
      holdTime: 30,
      extendedNextHop: true,
    }).open();
    const open = p.sent()[0];
    expect(open?.type).toBe('open');
    if (open?.type !== 'open') return;
    expect(open).toMatchObject({ version: 4, myAs: 23456, holdTime: 30, bgpId: '1.1.1.1' });
    const kinds = open.capabilities.map((c) => c.kind);
    expect(kinds).toEqual([
      'multiprotocol',
      'multiprotocol',
      'route-refresh',
      'enhanced-route-refresh',
      'extended-next-hop',
      'extended-message',
      'graceful-restart',
      'as4',
      'add-path',
      'fqdn',
    ]);
    expect(open.capabilities.find((c) => c.kind === 'as4')).toMatchObject({ asn: 4200000001 });
    expect(open.capabilities.find((c) => c.kind === 'graceful-restart')).toMatchObject({
      restarting: true,
      restartTime: 120,
      families: [
        { afi: 1, safi: 1, forwardingState: true },
        { afi: 2, safi: 1, forwardingState: true },
      ],
    });
    expect(open.capabilities.find((c) => c.kind === 'fqdn')).toMatchObject({
      hostname: 'node-1',
      domain: 'cluster.local',
    });
  });
});
