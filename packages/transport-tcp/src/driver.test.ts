import type { BgpSessionConfig, SessionEvent } from '@bmlb/bgp-core';
import { seeded } from '@bmlb/bgp-core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { BgpSessionDriver, startSession } from './driver.ts';
import { BgpListener } from './listener.ts';

const linux = process.platform === 'linux';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

// Polls a condition on real sockets: a busy machine may take longer, so wait for the state rather
// than for a fixed time (bounded, then the caller's expectations report what was seen).
async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

async function listener(host: string): Promise<BgpListener> {
  const l = await BgpListener.listen({ host, port: 0 });
  cleanups.push(() => l.close());
  return l;
}

function driver(
  config: Partial<BgpSessionConfig> & Pick<BgpSessionConfig, 'localAs' | 'peerAs' | 'bgpId'>,
  opts: ConstructorParameters<typeof BgpSessionDriver>[1] = {},
) {
  const d = new BgpSessionDriver(
    {
      holdTime: 9,
      connectRetryTime: 1,
      idleHoldTime: 0,
      random: seeded(config.localAs),
      ...config,
    },
    opts,
  );
  const events: SessionEvent[] = [];
  d.on('event', (e) => events.push(e));
  cleanups.push(() => d.close());
  return { d, events };
}

/** Resolves with the first event (already seen or coming) that matches. */
function waitEvent<E extends SessionEvent>(
  d: BgpSessionDriver,
  seen: SessionEvent[],
  match: (e: SessionEvent) => e is E,
  timeoutMs = 10_000,
): Promise<E> {
  const found = seen.find(match);
  if (found) return Promise.resolve(found);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      d.off('event', on);
      reject(new Error(`timed out; state ${d.state}; events: ${JSON.stringify(seen.map((e) => e.type))}`));
    }, timeoutMs);
    const on = (e: SessionEvent) => {
      if (match(e)) {
        clearTimeout(t);
        d.off('event', on);
        resolve(e);
      }
    };
    d.on('event', on);
  });
}

const isEstablished = (e: SessionEvent): e is Extract<SessionEvent, { type: 'established' }> =>
  e.type === 'established';

/** The two sides of the loopback tests: A on 127.0.0.1 (AS 65001), B on 127.0.0.2 (AS 65002). */
const A_SIDE = {
  localAs: 65001,
  peerAs: 65002,
  bgpId: '1.1.1.1',
  peerAddress: '127.0.0.2',
  localAddress: '127.0.0.1',
} as const;
const B_SIDE = { localAs: 65002, peerAs: 65001, bgpId: '2.2.2.2', peerAddress: '127.0.0.1' } as const;

/** A (127.0.0.1) dials B, passive on `lb` (127.0.0.2); resolves once both are Established. */
async function establishedPair(
  lb: BgpListener,
  aConfig: Partial<BgpSessionConfig> = {},
  opts: ConstructorParameters<typeof BgpSessionDriver>[1] = {},
) {
  const a = driver({ ...A_SIDE, peerPort: lb.address.port, ...aConfig }, opts);
  const b = driver({ ...B_SIDE, passive: true }, { ...opts, listener: lb });
  b.d.start();
  a.d.start();
  const [ea, eb] = await Promise.all([
    waitEvent(a.d, a.events, isEstablished),
    waitEvent(b.d, b.events, isEstablished),
  ]);
  return { a, b, ea, eb };
}

describe.skipIf(!linux)('BgpSessionDriver over TCP on loopback', () => {
  it('two sessions reach Established with TCP MD5 and GTSM, exchange a route, and shut down with Cease', async () => {
    const lb = await listener('127.0.0.2');
    const { a, b, ea, eb } = await establishedPair(
      lb,
      // A loopback next hop (the session's own address) is martian: the receiver would treat the
      // route as withdrawn (RFC 7606 §7.3). Announce a routable next hop instead.
      { nextHop: { ipv4: '198.51.100.1' } },
      { md5Key: 'loopback-secret', ttl: 255, minTtl: 255 },
    );
    expect(ea.negotiated.peerAs).toBe(65002);
    expect(eb.negotiated.peerAs).toBe(65001);
    expect(a.d.state).toBe('Established');
    expect(b.d.state).toBe('Established');

    a.d.setRoutes('ipv4-unicast', [['203.0.113.7/32', { communities: ['65000:100'] }]]);
    const got = await waitEvent(
      b.d,
      b.events,
      (e): e is Extract<SessionEvent, { type: 'route-received' }> =>
        e.type === 'route-received' && e.prefixes.includes('203.0.113.7/32'),
    );
    expect(got.afi).toBe(1);
    expect(b.d.stats().prefixesReceived['ipv4-unicast']).toBe(1);

    await a.d.shutdown('maintenance');
    const n = await waitEvent(
      b.d,
      b.events,
      (e): e is Extract<SessionEvent, { type: 'notification-received' }> =>
        e.type === 'notification-received',
    );
    expect([n.notification.code, n.notification.subcode]).toEqual([6, 2]);
    expect(b.d.state).not.toBe('Established');
  });

  const ceases: Array<[method: 'reconfigure' | 'deconfigure', subcode: number, name: string]> = [
    ['reconfigure', 6, 'Other Configuration Change'],
    ['deconfigure', 3, 'Peer De-configured'],
  ];
  it.each(ceases)(
    '%s sends Cease 6/%i (%s, RFC 4486) to the peer, flushed before the driver closes',
    async (method, subcode, name) => {
      const { a, b } = await establishedPair(await listener('127.0.0.2'));
      await a.d[method]();
      // resolved once the NOTIFICATION was flushed and the driver closed: it starts nothing more
      expect(() => a.d.start()).toThrow('BgpSessionDriver is closed');
      const sent = a.events.filter(
        (e): e is Extract<SessionEvent, { type: 'notification-sent' }> => e.type === 'notification-sent',
      );
      expect(sent.map((e) => [e.notification.code, e.notification.subcode])).toEqual([[6, subcode]]);
      // what the peer read off the wire
      const got = await waitEvent(
        b.d,
        b.events,
        (e): e is Extract<SessionEvent, { type: 'notification-received' }> =>
          e.type === 'notification-received',
      );
      expect([got.notification.code, got.notification.subcode]).toEqual([6, subcode]);
      expect(got.description).toContain(name);
      expect(b.events.filter((e) => e.type === 'notification-received')).toHaveLength(1);
    },
  );

  it('resolves a collision: both dial and accept, one connection survives', async () => {
    const la = await listener('127.0.0.1');
    const lb = await listener('127.0.0.2');
    const delay = { delayOpen: true, delayOpenTime: 4 };
    const a = driver({ ...A_SIDE, peerPort: lb.address.port, ...delay }, { listener: la });
    const b = driver(
      { ...B_SIDE, peerPort: la.address.port, localAddress: '127.0.0.2', ...delay },
      { listener: lb },
    );
    a.d.start();
    b.d.start();
    await Promise.all([waitEvent(a.d, a.events, isEstablished), waitEvent(b.d, b.events, isEstablished)]);
    // DelayOpen holds both OPENs back 4 s (wide enough for a busy machine), so both connections exist
    // on both sides before either OPEN: a collision (RFC 4271 §6.8). The higher BGP Identifier (B,
    // 2.2.2.2) keeps the connection it initiated. A side may also never see its losing connection's
    // OPEN, when the other side's Cease 6/7 closes it first: at least one side resolves the collision,
    // and every side that does keeps B's connection.
    const kept = (events: SessionEvent[]) =>
      events.flatMap((e) => (e.type === 'collision-resolved' ? [String(e.kept)] : []));
    const keptByA = kept(a.events);
    const keptByB = kept(b.events);
    expect(keptByA.length + keptByB.length).toBeGreaterThanOrEqual(1);
    for (const id of keptByA) expect(id).toMatch(/^accept#/);
    for (const id of keptByB) expect(id).toMatch(/^connect#/);
    // Let the losing connection finish closing, then exactly one open connection remains on each
    // side: the one B dialed.
    const open = (d: BgpSessionDriver) => d.connections().filter((c) => c.open);
    await until(() => open(a.d).length === 1 && open(b.d).length === 1);
    expect(open(a.d).map((c) => c.outbound)).toEqual([false]);
    expect(open(b.d).map((c) => c.outbound)).toEqual([true]);
    expect(a.d.state).toBe('Established');
    expect(b.d.state).toBe('Established');
  });

  it('reports a refused dial as a typed transport error and keeps retrying', async () => {
    const { d } = driver({
      localAs: 65001,
      peerAs: 65002,
      bgpId: '1.1.1.1',
      peerAddress: '127.0.0.1',
      peerPort: 1,
      localAddress: '127.0.0.1',
    });
    const errs: Error[] = [];
    d.on('transportError', (e) => errs.push(e));
    d.start();
    await until(() => errs.length >= 2);
    expect(errs.length).toBeGreaterThanOrEqual(2);
    expect(errs[0]).toMatchObject({ kind: 'refused', peer: '127.0.0.1:1', local: '127.0.0.1' });
    expect(['Active', 'Connect', 'Idle']).toContain(d.state);
    expect(d.lastError?.message).toBe(
      'BGP connect to 127.0.0.1:1 from 127.0.0.1: connection refused (ECONNREFUSED)',
    );
  });

  it('startSession: MetalLB-style options (password, TTL rules), poke after a direct call', async () => {
    const lb = await listener('127.0.0.2');
    const b = startSession(
      {
        localAs: 65002,
        peerAs: 'external',
        bgpId: '2.2.2.2',
        peerAddress: '127.0.0.1',
        passive: true,
        random: seeded(2),
      },
      { password: 'pw', listener: lb },
    );
    const a = startSession(
      {
        localAs: 65001,
        peerAs: 65002,
        bgpId: '1.1.1.1',
        peerAddress: '127.0.0.2',
        peerPort: lb.address.port,
        connectRetryTime: 1,
        nextHop: { ipv4: '198.51.100.1' },
        random: seeded(1),
      },
      { password: 'pw', ebgpMultiHop: true, localAddress: '127.0.0.1' },
    );
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    const bEvents: SessionEvent[] = [];
    b.on('event', (e) => bEvents.push(e));
    await waitEvent(b, bEvents, isEstablished);
    expect(a.connections()[0]?.label).toMatch(/^to 127\.0\.0\.2:\d+ \(local 127\.0\.0\.1:\d+\)$/);
    // A call through the façade: the UPDATE goes out at once.
    a.announce('ipv4-unicast', [['192.0.2.99/32', {}]]);
    await waitEvent(
      b,
      bEvents,
      (e): e is Extract<SessionEvent, { type: 'route-received' }> =>
        e.type === 'route-received' && e.prefixes.includes('192.0.2.99/32'),
    );
  });
});
