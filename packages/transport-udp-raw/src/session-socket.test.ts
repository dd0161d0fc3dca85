import { afterEach, describe, expect, it } from 'vitest';
import { SessionSocket, SOURCE_PORT_MAX, SOURCE_PORT_MIN } from './session-socket.ts';
import { openSocket } from './socket.ts';
import { record, testPort } from './test-support/udp.ts';

const toClose: { close(): void }[] = [];
afterEach(() => {
  for (const s of toClose.splice(0)) s.close();
});

describe.each([
  ['IPv4', '127.0.0.1'],
  ['IPv6', '::1'],
])('session sockets over %s loopback', (_name, address) => {
  it('send from distinct ports in 49152–65535 with TTL 255 (a single-hop listener takes them all)', async () => {
    const port = testPort();
    const r = record({ address, port });
    toClose.push(r.listener);
    const sockets = Array.from({ length: 200 }, () =>
      SessionSocket.open({ localAddress: address, remoteAddress: address, remotePort: port }),
    );
    toClose.push(...sockets);
    const ports = sockets.map((s) => s.sourcePort);
    expect(new Set(ports).size).toBe(ports.length);
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(SOURCE_PORT_MIN);
      expect(p).toBeLessThanOrEqual(SOURCE_PORT_MAX);
    }
    // sent at once, before the sockets are connected: the packet waits for the connection
    for (const [i, s] of sockets.entries())
      s.send(Uint8Array.of(0x20, 0x40, 3, 24, i >> 8, i & 255, ...new Uint8Array(18)));
    await r.until(sockets.length);
    expect(r.listener.counters).toMatchObject({ received: 200, ttlDropped: 0 });
    expect(new Set(r.packets.map((p) => p.remotePort))).toEqual(new Set(ports));
    for (const p of r.packets) {
      const i = ((p.data[4] ?? 0) << 8) | (p.data[5] ?? 0);
      expect(p.remotePort).toBe(sockets[i]?.sourcePort);
    }
    expect(sockets.reduce((n, s) => n + s.counters.sent, 0)).toBe(200);
  });
});

it('skips a port another socket holds and says so when the range is exhausted', () => {
  const base = 60000 + Math.floor(Math.random() * 5000);
  const squatter = openSocket({ address: '127.0.0.1', port: base });
  toClose.push(squatter.socket);
  const a = SessionSocket.open({
    localAddress: '127.0.0.1',
    remoteAddress: '127.0.0.1',
    remotePort: 3784,
    portRange: [base, base + 2],
  });
  const b = SessionSocket.open({
    localAddress: '127.0.0.1',
    remoteAddress: '127.0.0.1',
    remotePort: 3784,
    portRange: [base, base + 2],
  });
  toClose.push(a, b);
  expect(new Set([a.sourcePort, b.sourcePort])).toEqual(new Set([base + 1, base + 2]));
  expect(() =>
    SessionSocket.open({
      localAddress: '127.0.0.1',
      remoteAddress: '127.0.0.1',
      remotePort: 3784,
      portRange: [base, base + 2],
    }),
  ).toThrow(`no free UDP source port in ${base}–${base + 2} on 127.0.0.1 for the BFD session to 127.0.0.1`);
  // a closed session's port is free again
  a.close();
  const c = SessionSocket.open({
    localAddress: '127.0.0.1',
    remoteAddress: '127.0.0.1',
    remotePort: 3784,
    portRange: [base, base + 2],
  });
  toClose.push(c);
  expect(c.sourcePort).toBe(a.sourcePort);
});

it('refuses a port range outside 49152–65535', () => {
  expect(() =>
    SessionSocket.open({
      localAddress: '127.0.0.1',
      remoteAddress: '127.0.0.1',
      remotePort: 3784,
      portRange: [1024, 2000],
    }),
  ).toThrow(/portRange must lie within 49152–65535/);
});

it('counts the ICMP port unreachable a connected socket reports when nobody listens', async () => {
  const s = SessionSocket.open({
    localAddress: '127.0.0.1',
    remoteAddress: '127.0.0.1',
    remotePort: testPort(),
  });
  toClose.push(s);
  const errors: Error[] = [];
  s.onError = (e) => errors.push(e);
  for (let i = 0; i < 3 && errors.length === 0; i++) {
    s.send(new Uint8Array(24));
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(errors.length).toBeGreaterThan(0);
  expect(s.counters.sendErrors).toBe(errors.length);
  expect(String(errors[0])).toMatch(/ECONNREFUSED/);
});
