import { BfdDiag, type BfdDownEvent, encodeControlPacket } from '@bmlb/bfd-core';
import { afterEach, describe, expect, it } from 'vitest';
import { BfdDriver, type BfdDriverOptions } from './driver.ts';
import { SOURCE_PORT_MAX, SOURCE_PORT_MIN } from './session-socket.ts';
import { sendWithTtl, testPort } from './test-support/udp.ts';

const drivers: BfdDriver[] = [];
afterEach(() => {
  for (const d of drivers.splice(0)) d.close();
});

function driver(options: BfdDriverOptions): BfdDriver {
  const d = new BfdDriver(options);
  drivers.push(d);
  return d;
}

function next<K extends 'up' | 'down'>(d: BfdDriver, event: K, key: string, timeoutMs = 8000) {
  return new Promise<{ at: number; e: K extends 'down' ? BfdDownEvent : unknown }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ${event} event for ${key} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const on = (e: { sessionKey: string }) => {
      if (e.sessionKey !== key) return;
      clearTimeout(timer);
      d.off(event, on as never);
      resolve({ at: performance.now(), e: e as never });
    };
    d.on(event, on as never);
  });
}

// Fast enough for quick tests, slow enough that a loaded machine (the fast tier runs two packages
// at once on two cores) does not stall the event loop past a detection time: 500 ms, not 90 ms.
const fast = { transmitInterval: 100, receiveInterval: 100, detectMultiplier: 5 };

/** Two drivers with a session each way; over IPv6 loopback they share ::1 and use two ports. */
function pair(a: string, b: string, multihop = false) {
  const pa = testPort();
  const pb = a === b ? testPort() : pa;
  const ports = (own: number, peer: number): BfdDriverOptions =>
    multihop
      ? { multihopPort: own, peerPorts: { multihop: peer } }
      : { singleHopPort: own, peerPorts: { singleHop: peer } };
  const da = driver(ports(pa, pb));
  const db = driver(ports(pb, pa));
  return { da, db, pa, pb };
}

describe.each([
  ['IPv4', '127.0.0.1', '127.0.0.2'],
  ['IPv6', '::1', '::1'],
])('two drivers over %s loopback', (_name, a, b) => {
  it('come Up, renegotiate timers with Poll/Final, and see a lost peer as diag 1, a failure', async () => {
    const { da, db } = pair(a, b);
    const upA = next(da, 'up', 'x');
    const upB = next(db, 'up', 'y');
    da.addSession({ key: 'x', localAddress: a, remoteAddress: b, profile: fast });
    db.addSession({ key: 'y', localAddress: b, remoteAddress: a, profile: fast });
    await Promise.all([upA, upB]);
    const ia = da.sessionInfo('x');
    expect(ia?.state).toBe('Up');
    expect(ia?.sourcePort).toBeGreaterThanOrEqual(SOURCE_PORT_MIN);
    expect(ia?.sourcePort).toBeLessThanOrEqual(SOURCE_PORT_MAX);

    // timer change on one side shows on the other after the Poll/Final exchange
    da.setProfile('x', { transmitInterval: 40, receiveInterval: 50, detectMultiplier: 4 });
    await waitUntil(() => {
      const ib = db.sessionInfo('y');
      return (
        ib?.remoteDesiredMinTxInterval === 40_000 &&
        ib.remoteMinRxInterval === 50_000 &&
        ib.remoteDetectMult === 4
      );
    });
    await waitUntil(() => da.sessionInfo('x')?.pollActive === false);
    expect(da.sessionInfo('x')?.state).toBe('Up');

    // the peer disappears: detection time expires (diag 1), a failure
    const lost = next(da, 'down', 'x');
    const t0 = performance.now();
    db.close();
    const { at, e: detection } = await lost;
    expect(detection).toMatchObject({
      diag: BfdDiag.ControlDetectionTimeExpired,
      failure: true,
      peerAdminDown: false,
    });
    expect(at - t0).toBeGreaterThan(0);
    const c = da.counters();
    expect(c.packetsIn).toBeGreaterThan(2);
    expect(c.packetsOut).toBeGreaterThan(2);
    expect(c.ttlDropped).toBe(0);
  });

  it('see the peer going AdminDown as Down with diag 3, not a failure, and come back Up', async () => {
    const { da, db } = pair(a, b);
    const upA = next(da, 'up', 'x');
    da.addSession({ key: 'x', localAddress: a, remoteAddress: b, profile: fast });
    db.addSession({ key: 'y', localAddress: b, remoteAddress: a, profile: fast });
    await upA;
    // the peer goes AdminDown: Down with "neighbor signaled session down", not a failure
    const downA = next(da, 'down', 'x');
    db.setAdminDown('y', true);
    const { e: adminDown } = await downA;
    expect(adminDown).toMatchObject({
      diag: BfdDiag.NeighborSignaledSessionDown,
      peerAdminDown: true,
      failure: false,
    });
    const upAgain = next(da, 'up', 'x');
    db.setAdminDown('y', false);
    await upAgain;
  });

  it('drops and counts (per session) a packet from the peer with TTL 64', async () => {
    const { da, pa } = pair(a, b);
    da.addSession({ key: 'x', localAddress: a, remoteAddress: b, profile: fast });
    const packet = encodeControlPacket({
      diag: 0,
      state: 1,
      poll: false,
      final: false,
      controlPlaneIndependent: false,
      demand: false,
      multipoint: false,
      detectMult: 3,
      myDiscriminator: 7,
      yourDiscriminator: 0,
      desiredMinTxInterval: 1_000_000,
      requiredMinRxInterval: 1_000_000,
      requiredMinEchoRxInterval: 0,
    });
    await sendWithTtl(b, a, pa, 64, packet);
    await waitUntil(() => da.counters().ttlDropped === 1);
    expect(da.sessionInfo('x')?.ttlDropped).toBe(1);
    expect(da.counters().packetsIn).toBe(0);
    // the same packet with TTL 255 reaches the session
    await sendWithTtl(b, a, pa, 255, packet);
    await waitUntil(() => da.counters().packetsIn === 1);
    expect(da.sessionInfo('x')?.remoteDiscriminator).toBe(7);
  });
});

describe('multihop', () => {
  it('comes Up on 4784-style listeners and applies each session minimumTtl in the kernel', async () => {
    const { da, db, pa } = pair('127.0.0.1', '127.0.0.2', true);
    const upA = next(da, 'up', 'x');
    da.addSession({
      key: 'x',
      localAddress: '127.0.0.1',
      remoteAddress: '127.0.0.2',
      multihop: true,
      profile: fast,
    });
    db.addSession({
      key: 'y',
      localAddress: '127.0.0.2',
      remoteAddress: '127.0.0.1',
      multihop: true,
      profile: fast,
    });
    await upA;
    const junk = new Uint8Array(24); // reaches the core only if the filter admits it (then: a version discard)
    await sendWithTtl('127.0.0.2', '127.0.0.1', pa, 253, junk); // default minimumTtl 254: dropped
    await waitUntil(() => da.counters().ttlDropped === 1);
    expect(da.sessionInfo('x')?.ttlDropped).toBe(1);

    da.setProfile('x', { ...fast, minimumTtl: 100 });
    const before = da.counters().discarded.version;
    await sendWithTtl('127.0.0.2', '127.0.0.1', pa, 100, junk); // admitted now
    await sendWithTtl('127.0.0.2', '127.0.0.1', pa, 99, junk); // still too low
    await waitUntil(() => da.counters().ttlDropped === 2 && da.counters().discarded.version === before + 1);
    // other sources keep the default minimum
    await sendWithTtl('127.0.0.3', '127.0.0.1', pa, 200, junk);
    await waitUntil(() => da.counters().ttlDropped === 3);
    expect(da.sessionInfo('x')?.state).toBe('Up');
  });
});

describe('session management', () => {
  it('shares one listener per local address, gives every session its own source port, and cleans up', async () => {
    const d = driver({ singleHopPort: testPort() });
    for (let i = 0; i < 20; i++)
      d.addSession({ key: `s${i}`, localAddress: '127.0.0.1', remoteAddress: `127.0.1.${i + 1}` });
    const ports = d.sessionKeys().map((k) => d.sessionInfo(k)?.sourcePort);
    expect(new Set(ports).size).toBe(20);
    expect(() => d.addSession({ key: 's0', localAddress: '127.0.0.1', remoteAddress: '127.0.9.9' })).toThrow(
      /exists already/,
    );
    expect(() => d.setProfile('nope', {})).toThrow(/no BFD session "nope"/);
    for (let i = 0; i < 20; i++) expect(d.removeSession(`s${i}`)).toBe(true);
    expect(d.removeSession('s0')).toBe(false);
    expect(d.sessionKeys()).toEqual([]);
    // the listener closed with its last session: the port is free for a new one
    d.addSession({ key: 'again', localAddress: '127.0.0.1', remoteAddress: '127.0.1.1' });
  });

  it('reports a local address that is not ours and leaves nothing behind', () => {
    const d = driver({ singleHopPort: testPort() });
    expect(() => d.addSession({ key: 'bad', localAddress: '192.0.2.1', remoteAddress: '192.0.2.2' })).toThrow(
      /bind\(\[192\.0\.2\.1\]:\d+\) failed: Cannot assign requested address/,
    );
    expect(d.sessionKeys()).toEqual([]);
  });
});

async function waitUntil(probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!probe()) {
    if (performance.now() > end)
      throw new Error(`condition not met within ${timeoutMs} ms: ${probe.toString()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('retireSession', () => {
  it('signals AdminDown to the peer (no failure there) and then removes the session', async () => {
    const { da, db } = pair('127.0.0.1', '127.0.0.2');
    const upB = next(db, 'up', 'y');
    da.addSession({
      key: 'x',
      localAddress: '127.0.0.1',
      remoteAddress: '127.0.0.2',
      profile: { transmitInterval: 300, receiveInterval: 300 },
    });
    db.addSession({
      key: 'y',
      localAddress: '127.0.0.2',
      remoteAddress: '127.0.0.1',
      profile: { transmitInterval: 300, receiveInterval: 300 },
    });
    await upB;
    const downB = next(db, 'down', 'y');
    const retired = da.retireSession('x');
    const { e } = await downB;
    expect(e).toMatchObject({ peerAdminDown: true, failure: false });
    expect(await retired).toBe(true);
    expect(da.sessionKeys()).toEqual([]);
    expect(await da.retireSession('x')).toBe(false);
  });
});

describe('authentication', () => {
  it.each(['meticulous-keyed-sha1', 'keyed-md5', 'simple-password'] as const)(
    'comes Up with %s (digests from node:crypto), and a key mismatch is discarded and counted',
    async (type) => {
      const { da, db } = pair('127.0.0.1', '127.0.0.2');
      const auth = { type, keys: [{ id: 3, secret: 'bfd-secret' }] };
      const upA = next(da, 'up', 'x');
      da.addSession({ key: 'x', localAddress: '127.0.0.1', remoteAddress: '127.0.0.2', profile: fast, auth });
      db.addSession({ key: 'y', localAddress: '127.0.0.2', remoteAddress: '127.0.0.1', profile: fast, auth });
      await upA;
      expect(da.sessionInfo('x')?.authType).toBeGreaterThan(0);
      db.setAuth('y', { type, keys: [{ id: 3, secret: 'other-secret' }] });
      const reason = type === 'simple-password' ? 'auth-password' : 'auth-digest';
      await waitUntil(() => da.counters().discarded[reason] > 0);
    },
  );
});

describe('wildcard listeners', () => {
  it('one 0.0.0.0 listener serves sessions from several local addresses next to an address-bound listener', async () => {
    const port = testPort();
    const router = driver({ singleHopPort: port, reuseAddr: true });
    const nodes = driver({ singleHopPort: port, reuseAddr: true, wildcardListeners: true });
    const locals = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
    const ups = locals.flatMap((l) => [next(nodes, 'up', l), next(router, 'up', l)]);
    for (const l of locals) {
      router.addSession({ key: l, localAddress: '127.0.0.1', remoteAddress: l, profile: fast });
      nodes.addSession({ key: l, localAddress: l, remoteAddress: '127.0.0.1', profile: fast });
    }
    await Promise.all(ups);
    for (const l of locals) expect(router.sessionInfo(l)?.state).toBe('Up');
    expect(nodes.counters().discarded['address-mismatch']).toBe(0);
  });
});
