// Session engine cost: two endpoints with 1,000 sessions each at 100 ms × 3, wired back to back in
// simulated time. Prints the CPU time the cores need per simulated second (one process side), i.e.
// the share of one core that BFD's protocol work takes, without sockets.
// Run: cd packages/bfd-core && ../../node_modules/.bin/vitest bench --run
import { test } from 'vitest';
import * as endpointModule from './endpoint.ts';
import { seededRandom } from './testing/index.ts';
import type { BfdOutput } from './types.ts';

const { BfdEndpoint } = endpointModule;

test('1,000 sessions at 100 ms × 3: core CPU per simulated second', () => {
  const SESSIONS = 1000;
  const SIMULATED_MS = 60_000;
  const a = new BfdEndpoint({ random: seededRandom(1) });
  const b = new BfdEndpoint({ random: seededRandom(2) });
  const profile = { transmitInterval: 100, receiveInterval: 100, detectMultiplier: 3 };
  let now = 0;
  for (let i = 0; i < SESSIONS; i++) {
    const addr = `10.${(i >> 8) & 255}.${i & 255}`;
    a.addSession(now, { key: `a${i}`, localAddress: `${addr}.1`, remoteAddress: `${addr}.2`, profile });
    b.addSession(now, { key: `b${i}`, localAddress: `${addr}.2`, remoteAddress: `${addr}.1`, profile });
  }
  let downs = 0;
  let packets = 0;
  // Deliver each endpoint's packets to the other one at once (zero delay, same simulated instant).
  const pump = (from: InstanceType<typeof BfdEndpoint>, to: InstanceType<typeof BfdEndpoint>): boolean => {
    const outs: BfdOutput[] = from.drain();
    for (const o of outs) {
      if (o.type === 'send') {
        packets++;
        to.receive(now, o.bytes, { localAddress: o.remoteAddress, remoteAddress: o.localAddress, ttl: 255 });
      } else if (o.type === 'down') downs++;
    }
    return outs.length > 0;
  };
  const run = (until: number) => {
    for (;;) {
      const ta = a.nextTimeout() ?? Number.POSITIVE_INFINITY;
      const tb = b.nextTimeout() ?? Number.POSITIVE_INFINITY;
      const t = Math.min(ta, tb);
      if (t > until) break;
      now = t;
      a.handleTimeout(now);
      b.handleTimeout(now);
      while (pump(a, b) || pump(b, a)) {}
    }
    now = until;
  };
  while (pump(a, b) || pump(b, a)) {}
  run(5_000); // handshake
  const up = [...a.sessions()].filter((s) => s.state === 'Up').length;
  packets = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  run(5_000 + SIMULATED_MS);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const perSecond = cpuMs / (SIMULATED_MS / 1000) / 2; // two endpoints ran in this process
  console.log(
    [
      `BFD sessions: ${SESSIONS} per endpoint at 100 ms × 3, ${SIMULATED_MS / 1000} s simulated (${up} Up after the handshake)`,
      `  packets exchanged: ${packets} (${Math.round(packets / (SIMULATED_MS / 1000))}/s both ways), false downs: ${downs}`,
      `  CPU ${cpuMs.toFixed(0)} ms for both endpoints (wall ${wall.toFixed(0)} ms)`,
      `  one endpoint needs ${perSecond.toFixed(1)} ms CPU per second = ${(perSecond / 10).toFixed(2)}% of one core (codec + FSM, no sockets)`,
    ].join('\n'),
  );
});
