import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectBgp } from './connect.ts';
import { BgpTransportError } from './errors.ts';
import { type AcceptedConnection, BgpListener, type RejectedConnection } from './listener.ts';
import { readSocketOptions } from './sockopt.ts';
import { bgpTtl, sessionIsExternal } from './ttl.ts';

const linux = process.platform === 'linux';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function listen(host: string): Promise<BgpListener> {
  const l = await BgpListener.listen({ host, port: 0 });
  cleanups.push(() => l.close());
  return l;
}

function track(s: net.Socket): net.Socket {
  cleanups.push(() => s.destroy());
  return s;
}

/** Resolves with the next accepted connection of `peer`. */
function acceptOne(
  l: BgpListener,
  peer: string,
  opts: Omit<Parameters<BgpListener['addPeer']>[1], 'onConnection'> = {},
) {
  return new Promise<AcceptedConnection>((resolve) =>
    l.addPeer(peer, {
      ...opts,
      onConnection: (c) => {
        track(c.socket);
        resolve(c);
      },
    }),
  );
}

async function echoCheck(a: net.Socket, b: net.Socket): Promise<void> {
  const got = new Promise<string>((r) => b.once('data', (d) => r(d.toString())));
  a.write('open');
  expect(await got).toBe('open');
}

/**
 * The listener resets an unwanted connection right after the handshake: the client sees either a
 * connect that fails with a reset, or a connect followed by a reset. Returns the error code.
 */
async function resetOnArrival(p: Promise<net.Socket>): Promise<string | undefined> {
  try {
    const s = track(await p);
    return await new Promise<string | undefined>((r) => {
      s.once('error', (e: NodeJS.ErrnoException) => r(e.code));
      s.once('close', () => r('closed without error'));
    });
  } catch (e) {
    expect(e).toBeInstanceOf(BgpTransportError);
    expect((e as BgpTransportError).kind).toBe('reset');
    return (e as BgpTransportError).code;
  }
}

async function expectConnectError(p: Promise<unknown>): Promise<BgpTransportError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BgpTransportError);
  return err as BgpTransportError;
}

describe.skipIf(!linux)('transport on loopback', () => {
  it.each([
    ['IPv4', '127.0.0.1', '127.0.0.1'],
    ['IPv6', '::1', '::1'],
    ['IPv4 on a dual-stack listener', '::', '127.0.0.1'],
  ])('connects and accepts a configured peer (%s)', async (_n, listenOn, addr) => {
    const l = await listen(listenOn);
    const accepted = acceptOne(l, addr);
    const s = track(await connectBgp({ host: addr, port: l.address.port, localAddress: addr }));
    const c = await accepted;
    expect(c.remoteAddress).toBe(addr);
    expect(c.remotePort).toBe(s.localPort);
    await echoCheck(s, c.socket);
    await echoCheck(c.socket, s);
    for (const sock of [s, c.socket]) {
      const o = readSocketOptions(sock);
      expect(o.noDelay).toBe(true);
      expect(o.keepAlive).toBe(false);
    }
    expect(l.acceptedCount).toBe(1);
  });

  it('resets a connection from an address that is not a configured peer, and counts it', async () => {
    const l = await listen('127.0.0.1');
    l.addPeer('127.0.0.2', { onConnection: () => expect.unreachable('wrong peer accepted') });
    const rejected = new Promise<RejectedConnection>((r) => l.once('rejected', r));
    expect(
      await resetOnArrival(
        connectBgp({ host: '127.0.0.1', port: l.address.port, localAddress: '127.0.0.3' }),
      ),
    ).toBe('ECONNRESET');
    const rej = await rejected;
    expect(rej.remoteAddress).toBe('127.0.0.3');
    expect(rej.reason).toBe('not a configured peer');
    expect(l.rejectedCount).toBe(1);
    // The configured one still gets in.
    const ok = acceptOne(l, '127.0.0.2');
    track(await connectBgp({ host: '127.0.0.1', port: l.address.port, localAddress: '127.0.0.2' }));
    expect((await ok).remoteAddress).toBe('127.0.0.2');
  });

  it('applies TTL and minimum TTL (GTSM) to connecting, listening and accepted sockets', async () => {
    const gtsm = bgpTtl({ external: true, gtsmHops: 1 });
    expect(gtsm).toEqual({ ttl: 255, minTtl: 255 });
    for (const [host, listenOn] of [
      ['127.0.0.1', '127.0.0.1'],
      ['::1', '::1'],
      ['127.0.0.1', '::'],
    ] as const) {
      const l = await listen(listenOn);
      const accepted = acceptOne(l, host, gtsm);
      expect(readSocketOptions(l.server)).toMatchObject({ ttl: 255, minTtl: 255 });
      const s = track(await connectBgp({ host, port: l.address.port, ...gtsm }));
      const c = await accepted;
      expect(readSocketOptions(s)).toMatchObject({ ttl: 255, minTtl: 255 });
      expect(readSocketOptions(c.socket)).toMatchObject({ ttl: 255, minTtl: 255 });
      await echoCheck(s, c.socket);
    }
  });

  it('GTSM: a peer that does not send TTL 255 never connects', async () => {
    const l = await listen('127.0.0.1');
    l.addPeer('127.0.0.1', {
      ...bgpTtl({ external: true, gtsmHops: 1 }),
      onConnection: () => expect.unreachable(),
    });
    const err = await expectConnectError(
      connectBgp({ host: '127.0.0.1', port: l.address.port, ttl: 64, timeoutMs: 500 }),
    );
    expect(err.kind).toBe('timeout');
    // and the single-hop eBGP default (TTL 1) reaches a non-GTSM listener on loopback
    const l2 = await listen('127.0.0.1');
    const acc = acceptOne(l2, '127.0.0.1', bgpTtl({ external: true }));
    const s = track(
      await connectBgp({ host: '127.0.0.1', port: l2.address.port, ...bgpTtl({ external: true }) }),
    );
    expect(readSocketOptions(s)).toMatchObject({ ttl: 1, minTtl: 0 });
    expect(readSocketOptions((await acc).socket).ttl).toBe(1);
  });

  it.each([
    ['IPv4', '127.0.0.1', '127.0.0.1'],
    ['IPv6', '::1', '::1'],
    ['IPv4 on a dual-stack listener', '::', '127.0.0.1'],
  ])(
    'TCP MD5 (%s): the right key connects, a wrong or missing key never does',
    async (_n, listenOn, addr) => {
      const l = await listen(listenOn);
      const accepted = acceptOne(l, addr, { md5Key: 'bgp-secret' });
      const port = l.address.port;
      const wrong = await expectConnectError(
        connectBgp({ host: addr, port, md5Key: 'wrong', timeoutMs: 400 }),
      );
      expect(wrong.kind).toBe('timeout');
      const none = await expectConnectError(connectBgp({ host: addr, port, timeoutMs: 400 }));
      expect(none.kind).toBe('timeout');
      const s = track(await connectBgp({ host: addr, port, md5Key: 'bgp-secret', timeoutMs: 2000 }));
      await echoCheck(s, (await accepted).socket);
      expect(l.acceptedCount).toBe(1);
    },
  );

  it('removing a peer drops its key and stops accepting it', async () => {
    const l = await listen('127.0.0.1');
    const reg = l.addPeer('127.0.0.1', { md5Key: new Uint8Array([1, 2, 3]), onConnection: () => {} });
    reg.remove();
    expect(l.peers).toEqual([]);
    const rejected = new Promise<RejectedConnection>((r) => l.once('rejected', r));
    expect(
      await resetOnArrival(connectBgp({ host: '127.0.0.1', port: l.address.port, timeoutMs: 2000 })),
    ).toBe('ECONNRESET');
    expect((await rejected).reason).toBe('not a configured peer');
  });

  it('types connect errors: refused, timeout, local address, aborted', async () => {
    // A port that was just free: nothing listens there.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const freePort = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));

    const refused = await expectConnectError(
      connectBgp({ host: '127.0.0.1', port: freePort, localAddress: '127.0.0.1' }),
    );
    expect(refused.kind).toBe('refused');
    expect(refused.code).toBe('ECONNREFUSED');
    expect(refused.message).toBe(
      `BGP connect to 127.0.0.1:${freePort} from 127.0.0.1: connection refused (ECONNREFUSED)`,
    );

    const refusedNative = await expectConnectError(connectBgp({ host: '::1', port: freePort, ttl: 255 }));
    expect(refusedNative.kind).toBe('refused');
    expect(refusedNative.peer).toBe(`[::1]:${freePort}`);

    const l = await listen('127.0.0.1');
    l.addPeer('127.0.0.1', { md5Key: 'k', onConnection: () => {} });
    const timeout = await expectConnectError(
      connectBgp({ host: '127.0.0.1', port: l.address.port, timeoutMs: 200 }),
    );
    expect(timeout.kind).toBe('timeout');
    expect(timeout.message).toMatch(/timed out: no answer within 200 ms/);

    // 192.0.2.1 (TEST-NET-1) is not an address of this host: the bind fails before any packet.
    const local = await expectConnectError(
      connectBgp({ host: '127.0.0.1', port: freePort, localAddress: '192.0.2.1', ttl: 1 }),
    );
    expect(local.kind).toBe('local-address');
    expect(local.code).toBe('EADDRNOTAVAIL');
    const localPlain = await expectConnectError(
      connectBgp({ host: '127.0.0.1', port: freePort, localAddress: '192.0.2.1' }),
    );
    expect(localPlain.kind).toBe('local-address');

    const ac = new AbortController();
    const pending = connectBgp({
      host: '127.0.0.1',
      port: l.address.port,
      timeoutMs: 5000,
      signal: ac.signal,
    });
    ac.abort();
    expect((await expectConnectError(pending)).kind).toBe('aborted');

    await expect(connectBgp({ host: '127.0.0.1', localAddress: '::1' })).rejects.toThrow(
      /not of the peer's family/,
    );
    await expect(connectBgp({ host: 'router.example' })).rejects.toThrow(/not an IPv4 or IPv6 address/);
    await expect(connectBgp({ host: '127.0.0.1', md5Key: 'x'.repeat(81) })).rejects.toThrow(/at most 80/);
  });

  it('rejects a bad peer registration with a clear error', async () => {
    const l = await listen('127.0.0.1');
    expect(() => l.addPeer('::1', { onConnection: () => {} })).toThrow(/IPv6 peer ::1 on an IPv4 listener/);
    expect(() => l.addPeer('127.0.0.1', { ttl: 256, onConnection: () => {} })).toThrow(/ttl 256 must be/);
    await expect(BgpListener.listen({ host: '127.0.0.1', port: l.address.port })).rejects.toThrow(
      /EADDRINUSE/,
    );
  });
});

describe('bgpTtl', () => {
  it('follows FRR: single-hop eBGP TTL 1, multihop and iBGP 255, GTSM 255 with a floor', () => {
    expect(bgpTtl({ external: true })).toEqual({ ttl: 1, minTtl: undefined });
    expect(bgpTtl({ external: true, ebgpMultiHop: true })).toEqual({ ttl: 255, minTtl: undefined });
    expect(bgpTtl({ external: false })).toEqual({ ttl: 255, minTtl: undefined });
    expect(bgpTtl({ external: false, gtsmHops: 3 })).toEqual({ ttl: 255, minTtl: 253 });
    expect(() => bgpTtl({ external: true, gtsmHops: 0 })).toThrow(/gtsmHops 0/);
    expect(sessionIsExternal({ localAs: 65100, peerAs: 65000 })).toBe(true);
    expect(sessionIsExternal({ localAs: 65100, peerAs: 65100 })).toBe(false);
    expect(sessionIsExternal({ localAs: 65100, peerAs: 'external' })).toBe(true);
    expect(sessionIsExternal({ localAs: 65100, peerAs: 'internal' })).toBe(false);
  });
});
