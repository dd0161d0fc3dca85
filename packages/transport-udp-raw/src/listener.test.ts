import { afterEach, describe, expect, it } from 'vitest';
import type { BfdListener } from './listener.ts';
import { record, sendWithTtl, testPort } from './test-support/udp.ts';

const open: BfdListener[] = [];
afterEach(() => {
  for (const l of open.splice(0)) l.close();
});

const bfdLike = (marker: number) => Uint8Array.of(0x20, 0x40, marker, 24, ...new Uint8Array(20));

describe.each([
  ['IPv4', '127.0.0.1'],
  ['IPv6', '::1'],
])('single-hop listener over %s loopback', (_name, address) => {
  it('hands on TTL 255 and drops every other TTL in the kernel, counting each with its sender', async () => {
    const port = testPort();
    const r = record({ address, port });
    open.push(r.listener);
    const ttls = [255, 64, 1, 254, 255];
    const ports: number[] = [];
    for (const [i, ttl] of ttls.entries())
      ports.push(await sendWithTtl(address, address, port, ttl, bfdLike(i)));
    await r.until(ttls.length);
    expect(r.packets.map((p) => p.data[2])).toEqual([0, 4]);
    for (const p of r.packets) {
      expect(p).toMatchObject({ localAddress: address, remoteAddress: address, ttl: 255, multihop: false });
      expect(p.data.length).toBe(24);
    }
    expect(r.packets.map((p) => p.remotePort)).toEqual([ports[0], ports[4]]);
    expect(r.drops.map((d) => d.remotePort)).toEqual([ports[1], ports[2], ports[3]]);
    expect(r.drops.every((d) => d.remoteAddress === address && !d.multihop)).toBe(true);
    expect(r.listener.counters).toEqual({ received: 2, ttlDropped: 3, errors: 0 });
  });

  it('refuses a minimum TTL other than 255 for single hop', () => {
    expect(() => record({ address, port: testPort(), minTtl: 254 })).toThrow(
      /single-hop listener accepts TTL 255 only/,
    );
  });
});

describe.each([
  ['IPv4', '127.0.0.1', '127.0.0.2'],
  ['IPv6', '::1', '::2'],
])('multihop listener over %s loopback', (_name, address, other) => {
  it('honours the default minimum (254) and per-peer minimums, replaced at run time', async () => {
    const port = testPort();
    const r = record({ address, port, multihop: true });
    open.push(r.listener);
    expect(r.listener.port).toBe(port);
    await sendWithTtl(address, address, port, 254, bfdLike(1));
    await sendWithTtl(address, address, port, 253, bfdLike(2));
    await r.until(2);
    expect(r.packets.map((p) => p.data[2])).toEqual([1]);
    expect(r.packets[0]).toMatchObject({ multihop: true, ttl: undefined });
    expect(r.drops).toHaveLength(1);

    // this peer's profile says minimumTtl 100; an unrelated override does not change the default
    r.listener.setTtlPolicy(254, [
      { address, minTtl: 100 },
      { address: other, minTtl: 2 },
    ]);
    for (const [i, ttl] of [100, 99, 150, 2].entries())
      await sendWithTtl(address, address, port, ttl, bfdLike(10 + i));
    await r.until(6);
    expect(r.packets.map((p) => p.data[2])).toEqual([1, 10, 12]);
    expect(r.listener.counters).toMatchObject({ received: 3, ttlDropped: 3 });

    r.listener.setTtlPolicy(200, []);
    await sendWithTtl(address, address, port, 200, bfdLike(20));
    await sendWithTtl(address, address, port, 199, bfdLike(21));
    await r.until(8);
    expect(r.packets.map((p) => p.data[2])).toEqual([1, 10, 12, 20]);
    expect(r.listener.counters).toMatchObject({ received: 4, ttlDropped: 4 });
  });
});

it('names the problem when the address is not one', () => {
  expect(() => record({ address: '10.0.0.300', port: testPort() })).toThrow(
    /not an IP address: "10.0.0.300"/,
  );
});

it('reports a bind failure with its errno', () => {
  const port = testPort();
  const a = record({ address: '127.0.0.1', port });
  open.push(a.listener);
  expect(() => record({ address: '127.0.0.1', port })).toThrow(
    /bind\(\[127.0.0.1\]:\d+\) failed: Address already in use \(EADDRINUSE, errno 98\)/,
  );
});

it('multihop per-peer minimums tell sources apart (IPv4, two loopback sources)', async () => {
  const port = testPort();
  const r = record({ address: '127.0.0.1', port, multihop: true });
  open.push(r.listener);
  r.listener.setTtlPolicy(254, [{ address: '127.0.0.2', minTtl: 100 }]);
  await sendWithTtl('127.0.0.2', '127.0.0.1', port, 150, bfdLike(1));
  await sendWithTtl('127.0.0.1', '127.0.0.1', port, 150, bfdLike(2));
  await sendWithTtl('127.0.0.3', '127.0.0.1', port, 254, bfdLike(3));
  await r.until(3);
  expect(r.packets.map((p) => [p.remoteAddress, p.data[2]])).toEqual([
    ['127.0.0.2', 1],
    ['127.0.0.3', 3],
  ]);
  expect(r.drops.map((d) => d.remoteAddress)).toEqual(['127.0.0.1']);
});

it.each(['127.0.0.1', '::1'])(
  'drain() reads what is queued synchronously, before the event loop gets to it (%s)',
  async (address) => {
    const port = testPort();
    const r = record({ address, port });
    open.push(r.listener);
    const { SessionSocket } = await import('./session-socket.ts');
    const good = SessionSocket.open({
      localAddress: address,
      remoteAddress: address,
      remotePort: port,
    });
    const bad = SessionSocket.open({
      localAddress: address,
      remoteAddress: address,
      remotePort: port,
      ttl: 64,
    });
    try {
      // loopback queues each datagram on the listener inside send(2); the event loop has not run
      for (let i = 0; i < 5; i++) good.send(bfdLike(i));
      bad.send(bfdLike(9));
      expect(r.listener.drain()).toBe(6);
      expect(r.packets.map((p) => p.data[2])).toEqual([0, 1, 2, 3, 4]);
      expect(
        r.packets.every(
          (p) => p.remotePort === good.sourcePort && p.remoteAddress === address && p.ttl === 255,
        ),
      ).toBe(true);
      expect(r.drops.map((d) => d.remotePort)).toEqual([bad.sourcePort]);
      expect(r.listener.drain()).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(r.packets).toHaveLength(5); // nothing delivered twice
    } finally {
      good.close();
      bad.close();
    }
  },
);

describe.skipIf(process.getuid?.() !== 0)('SO_BINDTODEVICE (needs CAP_NET_RAW)', () => {
  it('binds a listener to an interface, and names a missing one', async () => {
    const port = testPort();
    const r = record({ address: '127.0.0.1', port, device: 'lo' });
    open.push(r.listener);
    await sendWithTtl('127.0.0.1', '127.0.0.1', port, 255, bfdLike(1));
    await r.until(1);
    expect(r.packets[0]).toMatchObject({ interface: 'lo', ttl: 255 });
    expect(() => record({ address: '127.0.0.1', port: testPort(), device: 'bfdt-none0' })).toThrow(
      /SO_BINDTODEVICE bfdt-none0\) failed: No such device/,
    );
  });
});
