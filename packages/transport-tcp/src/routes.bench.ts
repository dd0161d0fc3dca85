// Two BgpSessionDrivers over loopback TCP: how long 10,000 /32 routes take to reach the peer's
// session, and to be withdrawn. Prints the figures of each round and the median; asserts nothing
// about speed. Run: cd packages/transport-tcp && ../../node_modules/.bin/vitest bench --run
import type { BgpSession } from '@bmlb/bgp-core';
import { afterAll, test } from 'vitest';
import { BgpSessionDriver } from './driver.ts';
import { BgpListener } from './listener.ts';

const N = 10_000;
const routes: Array<[string, object]> = [];
// A routable next hop: the session's own 127.0.0.1 would be martian to the receiver (RFC 7606 §7.3:
// treat-as-withdraw), and nothing would arrive.
for (let i = 0; i < N; i++)
  routes.push([`198.18.${i >> 8}.${i & 255}/32`, { communities: ['65000:100'], nextHop: '192.0.2.1' }]);
const prefixes = routes.map(([p]) => p);

const listener = await BgpListener.listen({ host: '127.0.0.2', port: 0 });
const mk = (over: Partial<ConstructorParameters<typeof BgpSession>[0]>, l?: BgpListener) =>
  new BgpSessionDriver(
    {
      localAs: 65001,
      peerAs: 65002,
      bgpId: '1.1.1.1',
      families: ['ipv4-unicast'],
      random: () => 0.5,
      ...over,
    } as ConstructorParameters<typeof BgpSession>[0],
    { listener: l },
  );
const a = mk({ peerAddress: '127.0.0.2', peerPort: listener.address.port, localAddress: '127.0.0.1' });
const b = mk(
  { localAs: 65002, peerAs: 65001, bgpId: '2.2.2.2', peerAddress: '127.0.0.1', passive: true },
  listener,
);
b.start();
a.start();
await new Promise<void>((resolve) => {
  const check = () => a.state === 'Established' && b.state === 'Established' && resolve();
  a.on('event', check);
  b.on('event', check);
});

function until(pred: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (pred()) return resolve();
    const on = () => {
      if (pred()) {
        b.off('event', on);
        resolve();
      }
    };
    b.on('event', on);
  });
}

afterAll(async () => {
  await a.close();
  await b.close();
  await listener.close();
});

test(`${N} /32 routes between two drivers over loopback TCP`, { timeout: 120_000 }, async () => {
  const ann: number[] = [];
  const wd: number[] = [];
  for (let round = 0; round < 6; round++) {
    const t0 = performance.now();
    a.announce('ipv4-unicast', routes as never);
    await until(() => b.receivedPrefixCount === N);
    const t1 = performance.now();
    a.withdraw('ipv4-unicast', prefixes);
    await until(() => b.receivedPrefixCount === 0);
    const t2 = performance.now();
    if (round === 0) continue; // warm-up
    ann.push(t1 - t0);
    wd.push(t2 - t1);
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
  process.stdout.write(
    `${N} routes over loopback TCP: announce ${median(ann).toFixed(1)} ms, withdraw ${median(wd).toFixed(1)} ms ` +
      `(median of ${ann.length}; announce rounds ${ann.map((x) => x.toFixed(0)).join('/')} ms)\n`,
  );
});
