// Backpressure over real loopback sockets: a peer that stops reading must not make the driver's
// write queue grow with the Adj-RIB-Out; the routes wait in the Adj-RIB-Out and all arrive once the
// peer reads again.
import net from 'node:net';
import {
  encodeKeepalive,
  encodeMessage,
  MessageReader,
  type RouteAttributes,
  SEND_BATCH_PREFIXES,
  type UpdateMessage,
} from '@bmlb/bgp-core';
import { peerOpen } from '@bmlb/bgp-core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { BgpSessionDriver } from './driver.ts';
import { SOL_SOCKET, setIntOption } from './native.ts';
import { fdOf } from './sockopt.ts';

const SO_RCVBUF = 8;

const linux = process.platform === 'linux';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

/**
 * A minimal BGP peer on a plain socket: answers our OPEN with its OPEN and a KEEPALIVE, then stops
 * reading (`socket.pause()`) until `resume`; counts the prefixes and End-of-RIBs it receives.
 */
async function stalledPeer() {
  const peer = {
    socket: undefined as net.Socket | undefined,
    prefixes: 0,
    endOfRib: 0,
    keepalives: 0,
    errors: [] as string[],
    port: 0,
    resume: () => peer.socket?.resume(),
  };
  const server = net.createServer((sock) => {
    peer.socket = sock;
    const reader = new MessageReader({ as4: true });
    sock.on('error', () => {});
    sock.on('data', (bytes) => {
      reader.push(bytes);
      for (let r = reader.next(); r !== undefined; r = reader.next()) {
        if (r.kind === 'error') {
          peer.errors.push(r.reason);
          return;
        }
        const m = r.message;
        if (m.type === 'open') {
          // bgp-core's test peer (AS 65002, 2.2.2.2, IPv4 and IPv6 unicast, 4-octet AS).
          const open = encodeMessage(peerOpen());
          sock.write(open);
          sock.write(encodeKeepalive());
          sock.pause(); // from here on the peer reads nothing until resume()
        } else if (m.type === 'update') {
          const u: UpdateMessage = m;
          if (u.nlri.count === 0 && u.withdrawn.count === 0) peer.endOfRib++;
          peer.prefixes += u.nlri.count;
        } else if (m.type === 'keepalive') {
          peer.keepalives++;
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.2', r));
  // A small receive buffer (accepted sockets inherit it), so that the kernel does not absorb the
  // test's routes before the driver's own queue fills.
  setIntOption(fdOf(server), SOL_SOCKET, SO_RCVBUF, 16 * 1024, 'SO_RCVBUF');
  peer.port = (server.address() as net.AddressInfo).port;
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        peer.socket?.destroy();
        server.close(() => r());
      }),
  );
  return peer;
}

// 30,000 routes, each its own attribute set with 40 communities (one UPDATE of ~220 bytes each,
// ~6.6 MB in all): more than the kernel's socket buffers absorb (up to 4 MB for sending here) while
// the peer does not read.
const N = 30_000;
const COMMUNITIES = Array.from({ length: 40 }, (_, i) => `65000:${i}`);
const UPDATE_MAX = 300;
function routes(n = N): [string, RouteAttributes][] {
  const out: [string, RouteAttributes][] = [];
  for (let i = 0; i < n; i++)
    out.push([`198.18.${i >> 8}.${i & 255}/32`, { med: i, nextHop: '192.0.2.1', communities: COMMUNITIES }]);
  return out;
}

/** A driver dialing the peer on 127.0.0.2:port with this write mark and send window. */
function driverTo(port: number, writeHighWaterMark: number, sendWindow: number): BgpSessionDriver {
  const d = new BgpSessionDriver(
    {
      localAs: 65001,
      peerAs: 65002,
      bgpId: '1.1.1.1',
      peerAddress: '127.0.0.2',
      peerPort: port,
      localAddress: '127.0.0.1',
      families: ['ipv4-unicast'],
      holdTime: 90,
      random: () => 0.5,
    },
    { writeHighWaterMark, sendWindow },
  );
  cleanups.push(() => d.close());
  return d;
}

describe.runIf(linux)('backpressure', () => {
  it('a peer that stops reading: the write queue stays bounded, the Adj-RIB-Out holds the rest, all arrive once it reads', async () => {
    const peer = await stalledPeer();
    const HIGH_WATER = 64 * 1024;
    const WINDOW = 64 * 1024;
    const d = driverTo(peer.port, HIGH_WATER, WINDOW);
    d.setRoutes('ipv4-unicast', routes());
    d.start();
    await until(() => d.state === 'Established');
    expect(d.state).toBe('Established');

    // The peer reads nothing: wait until the queue stops moving (the kernel buffers are full).
    let last = -1;
    for (let i = 0; i < 200; i++) {
      await new Promise((r) => setTimeout(r, 25));
      const q = d.connections()[0]?.queuedBytes ?? 0;
      if (q === last && q > 0) break;
      last = q;
    }
    const stalled = d.connections()[0];
    const advertised = d.stats().prefixesAdvertised['ipv4-unicast'];
    // Bound: the mark, one window, and one batch of UPDATEs (SEND_BATCH_PREFIXES routes, one UPDATE each).
    const bound = HIGH_WATER + WINDOW + SEND_BATCH_PREFIXES * UPDATE_MAX;
    expect(stalled?.peakQueuedBytes).toBeGreaterThan(0);
    expect(stalled?.peakQueuedBytes).toBeLessThanOrEqual(bound);
    expect(advertised).toBeLessThan(N); // the rest waits in the Adj-RIB-Out
    expect(peer.prefixes).toBe(0);

    peer.resume();
    await until(() => peer.endOfRib === 1 && peer.prefixes === N);
    expect(peer.errors).toEqual([]);
    expect(peer.prefixes).toBe(N);
    expect(peer.endOfRib).toBe(1);
    expect(d.stats().prefixesAdvertised['ipv4-unicast']).toBe(N);
    expect(d.connections()[0]?.peakQueuedBytes).toBeLessThanOrEqual(bound);
    await until(() => d.connections()[0]?.queuedBytes === 0);
    expect(d.connections()[0]?.queuedBytes).toBe(0);
    expect(d.state).toBe('Established');
  }, 60_000);

  it("a mark below the socket's own (16 KiB) and a small window still deliver everything", async () => {
    const peer = await stalledPeer();
    const d = driverTo(peer.port, 1024, 2048);
    d.setRoutes('ipv4-unicast', routes(5000));
    d.start();
    await until(() => d.state === 'Established');
    peer.resume();
    await until(() => peer.endOfRib === 1 && peer.prefixes === 5000);
    expect(peer.errors).toEqual([]);
    expect(peer.prefixes).toBe(5000);
    expect(peer.endOfRib).toBe(1);
  }, 60_000);

  it('refuses a write high-water mark or send window that is not a positive whole number', () => {
    const s = {
      localAs: 65001,
      peerAs: 65002,
      bgpId: '1.1.1.1',
      peerAddress: '127.0.0.2',
      random: () => 0.5,
    };
    expect(() => new BgpSessionDriver(s, { sendWindow: 0 })).toThrow(
      /sendWindow 0 is not a positive whole number/,
    );
    expect(() => new BgpSessionDriver(s, { writeHighWaterMark: 1.5 })).toThrow(
      /writeHighWaterMark 1.5 is not a positive whole number/,
    );
  });
});
