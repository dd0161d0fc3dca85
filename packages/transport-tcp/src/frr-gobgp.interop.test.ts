// Interop with FRR's bgpd in a network namespace: TCP MD5 (`neighbor X password`), GTSM
// (`neighbor X ttl-security hops 1`), IPv4 and IPv6, routes both ways. Needs root and FRR.
import type { SessionEvent } from '@bmlb/bgp-core';
import { type FrrInstance, Lab, labSkipReason, waitFor } from '@bmlb/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BgpSessionDriver } from './driver.ts';
import { BgpListener } from './listener.ts';
import { bgpTtl } from './ttl.ts';

const skip = labSkipReason({ frr: true });

// Subnets for this package's lab only (the root end lives in the test's own namespace).
const V4 = { us: '10.201.0.1', frr: '10.201.0.2' };
const V6 = { us: 'fd00:201::1', frr: 'fd00:201::2' };
const KEY = 'tcpt-md5-secret';

describe.skipIf(skip)('interop with FRR bgpd (TCP MD5, GTSM)', () => {
  let lab: Lab;
  let frr: FrrInstance;
  const listeners: BgpListener[] = [];
  const drivers: BgpSessionDriver[] = [];

  beforeAll(async () => {
    lab = await Lab.create({ prefix: 'tcpt' });
    const ns = await lab.namespace('frr');
    await lab.rootLink(ns, {
      rootAddrs: [`${V4.us}/30`, `${V6.us}/64`],
      nsAddrs: [`${V4.frr}/30`, `${V6.frr}/64`],
    });
    frr = await lab.frr(ns, {
      daemons: ['zebra', 'bgpd', 'staticd'],
      config: `frr defaults datacenter
hostname tcpt-frr
ip route 10.202.0.0/24 blackhole
ipv6 route fd00:202::/64 blackhole
router bgp 65000
 bgp router-id ${V4.frr}
 no bgp ebgp-requires-policy
 neighbor ${V4.us} remote-as 65100
 neighbor ${V4.us} password ${KEY}
 neighbor ${V4.us} timers 3 9
 neighbor ${V4.us} timers connect 1
 neighbor ${V6.us} remote-as 65100
 neighbor ${V6.us} password ${KEY}
 neighbor ${V6.us} ttl-security hops 1
 neighbor ${V6.us} timers 3 9
 neighbor ${V6.us} timers connect 1
 address-family ipv4 unicast
  network 10.202.0.0/24
  no neighbor ${V6.us} activate
 exit-address-family
 address-family ipv6 unicast
  network fd00:202::/64
  neighbor ${V6.us} activate
 exit-address-family
`,
    });
  }, 60_000);

  afterAll(async () => {
    for (const d of drivers) await d.close();
    for (const l of listeners) await l.close();
    await lab?.close();
  });

  async function session(
    peer: string,
    local: string,
    opts: { key: string; gtsm?: boolean; passiveListener?: boolean },
  ) {
    const listener = await BgpListener.listen({ host: local, port: 179 });
    listeners.push(listener);
    const v6 = peer.includes(':');
    const d = new BgpSessionDriver(
      {
        localAs: 65100,
        peerAs: 65000,
        bgpId: V4.us,
        peerAddress: peer,
        localAddress: local,
        holdTime: 9,
        connectRetryTime: 2,
        idleHoldTime: 0,
        families: v6 ? ['ipv6-unicast'] : ['ipv4-unicast'],
        random: () => 0.5,
      },
      {
        md5Key: opts.key,
        ...bgpTtl({ external: true, gtsmHops: opts.gtsm ? 1 : undefined }),
        listener,
      },
    );
    drivers.push(d);
    const events: SessionEvent[] = [];
    d.on('event', (e) => events.push(e));
    return { d, events, listener };
  }

  it('IPv4 with TCP MD5: Established both ways, routes exchanged', async () => {
    const { d, events } = await session(V4.frr, V4.us, { key: KEY });
    d.start();
    await frr.waitForBgpState(V4.us, 'Established', { timeoutMs: 20_000 });
    await waitFor(() => d.state === 'Established', {
      timeoutMs: 5_000,
      what: 'our session Established',
    });
    const n = await frr.bgpNeighbor(V4.us);
    // FRR reports the MD5 key on the session in `show bgp neighbors` text, not JSON; the session
    // only comes up at all because both sides sign with the same key.
    expect(n?.remoteAs).toBe(65100);

    d.setRoutes('ipv4-unicast', [['203.0.113.50/32', {}]]);
    const routes = await frr.waitFor(
      async () => {
        const r = await frr.routes('203.0.113.50/32');
        return r.length ? r : undefined;
      },
      { timeoutMs: 10_000, what: '203.0.113.50/32 in FRR' },
    );
    const nh = (routes[0]?.nexthops as Array<{ ip?: string }> | undefined)?.map((h) => h.ip);
    expect(nh).toEqual([V4.us]);
    await waitFor(
      () => events.some((e) => e.type === 'route-received' && e.prefixes.includes('10.202.0.0/24')),
      { timeoutMs: 10_000, what: 'FRR route 10.202.0.0/24 received' },
    );
  }, 60_000);

  it('IPv6 with TCP MD5 and GTSM (ttl-security hops 1): Established, route exchanged', async () => {
    const { d, events } = await session(V6.frr, V6.us, { key: KEY, gtsm: true });
    d.start();
    await frr.waitForBgpState(V6.us, 'Established', { timeoutMs: 20_000 });
    d.setRoutes('ipv6-unicast', [['2001:db8:50::/64', {}]]);
    await frr.waitFor(async () => (await frr.routes('2001:db8:50::/64')).length > 0, {
      timeoutMs: 10_000,
      what: '2001:db8:50::/64 in FRR',
    });
    await waitFor(
      () => events.some((e) => e.type === 'route-received' && e.prefixes.includes('fd00:202::/64')),
      {
        timeoutMs: 10_000,
        what: 'FRR route fd00:202::/64 received',
      },
    );
  }, 60_000);

  it('a wrong key never connects; our GTSM refuses FRR sending with hop limit 1', async () => {
    // Drop the sessions of the tests above first (same addresses).
    for (const d of drivers.splice(0)) await d.shutdown('next test');
    for (const l of listeners.splice(0)) await l.close();
    await frr.waitFor(
      async () =>
        (await frr.bgpNeighbor(V4.us))?.bgpState !== 'Established' &&
        (await frr.bgpNeighbor(V6.us))?.bgpState !== 'Established',
      { timeoutMs: 10_000, what: 'FRR to see both sessions go down' },
    );
    // FRR now treats the IPv6 peer as plain single-hop eBGP (hop limit 1); we insist on GTSM.
    await frr.configure(['router bgp 65000', `no neighbor ${V6.us} ttl-security hops 1`]);
    const wrongKey = await session(V4.frr, V4.us, { key: 'not-the-key' });
    const gtsmOnly = await session(V6.frr, V6.us, { key: KEY, gtsm: true });
    const errors: string[] = [];
    wrongKey.d.on('transportError', (e) => errors.push(e.kind));
    wrongKey.d.start();
    gtsmOnly.d.start();
    await new Promise((r) => setTimeout(r, 4_000));
    // A wrongly signed SYN is dropped by FRR's kernel: the dial times out.
    expect(wrongKey.d.state).not.toBe('Established');
    expect((await frr.bgpNeighbor(V4.us))?.bgpState).not.toBe('Established');
    expect(errors).toContain('timeout');
    // FRR's segments arrive with hop limit 1 < 255: our kernel drops them (listener and sockets).
    expect(gtsmOnly.d.state).not.toBe('Established');
    expect((await frr.bgpNeighbor(V6.us))?.bgpState).not.toBe('Established');
  }, 60_000);
});

const skipGobgp = labSkipReason({ gobgp: true });

describe.skipIf(skipGobgp)('interop with GoBGP (TCP MD5)', () => {
  const G = { us: '10.203.0.1', gobgp: '10.203.0.2' };
  let lab: Lab;
  let driver: BgpSessionDriver | undefined;
  let listener: BgpListener | undefined;

  afterAll(async () => {
    await driver?.close();
    await listener?.close();
    await lab?.close();
  });

  it('reaches Established with auth-password and exchanges routes', async () => {
    lab = await Lab.create({ prefix: 'tcpt' });
    const ns = await lab.namespace('gobgp');
    await lab.rootLink(ns, { rootAddrs: [`${G.us}/30`], nsAddrs: [`${G.gobgp}/30`] });
    const gobgp = await lab.gobgp(ns, {
      config: `[global.config]
  as = 65001
  router-id = "${G.gobgp}"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${G.us}"
    peer-as = 65100
    auth-password = "${KEY}"
  [neighbors.timers.config]
    connect-retry = 1
    hold-time = 9
    keepalive-interval = 3
`,
    });
    await gobgp.gobgp(['global', 'rib', 'add', '10.204.0.0/24', '-a', 'ipv4']);
    listener = await BgpListener.listen({ host: G.us, port: 179 });
    driver = new BgpSessionDriver(
      {
        localAs: 65100,
        peerAs: 65001,
        bgpId: G.us,
        peerAddress: G.gobgp,
        localAddress: G.us,
        holdTime: 9,
        connectRetryTime: 2,
        idleHoldTime: 0,
        families: ['ipv4-unicast'],
        random: () => 0.5,
      },
      { md5Key: KEY, ...bgpTtl({ external: true }), listener },
    );
    const events: SessionEvent[] = [];
    driver.on('event', (e) => events.push(e));
    driver.start();
    await gobgp.waitForNeighborState(G.us, 'established', { timeoutMs: 20_000 });
    await waitFor(() => driver?.state === 'Established', { what: 'our session Established' });
    driver.setRoutes('ipv4-unicast', [['203.0.113.60/32', { largeCommunities: ['65100:1:2'] }]]);
    const rib = await waitFor(
      async () => {
        const out = await gobgp.gobgp(['global', 'rib', '-a', 'ipv4']);
        return out.includes('203.0.113.60/32') ? out : undefined;
      },
      { timeoutMs: 10_000, what: '203.0.113.60/32 in GoBGP' },
    );
    expect(rib).toMatch(/203\.0\.113\.60\/32\s+10\.203\.0\.1/);
    expect(rib).toMatch(/LargeCommunity: \[ ?65100:1:2\]/);
    await waitFor(
      () => events.some((e) => e.type === 'route-received' && e.prefixes.includes('10.204.0.0/24')),
      {
        timeoutMs: 10_000,
        what: 'GoBGP route 10.204.0.0/24 received',
      },
    );
  }, 60_000);
});
