// Adj-RIB-Out benchmark: 100k IPv4 /32 routes announced through an Established session, then 10k
// changed. Prints time, UPDATE count and bytes, and retained memory per route.
//
//   cd packages/bgp-core && ../../node_modules/.bin/node --expose-gc src/rib/test-support/rib-benchmark.ts
//
// (also run by `vitest bench` through adj-rib-out.bench.ts, where memory figures are rougher without gc).
import { encodeMessage } from '../../codec/encode.ts';
import { BgpSession } from '../../session/session.ts';
import { peerOpen } from '../../testing/index.ts';
import type { RouteAttributes } from '../attributes.ts';

export interface RibFigures {
  routes: number;
  changed: number;
  announceMs: number;
  announceUpdates: number;
  announceBytes: number;
  changeMs: number;
  changeUpdates: number;
  changeBytes: number;
  /** The same 10k changed back with `announce` (incremental) instead of a full `setRoutes`. */
  incrementalMs: number;
  incrementalUpdates: number;
  bytesPerRoute: number;
  gc: boolean;
}

function establishedSession(extendedMessage: boolean): BgpSession {
  const s = new BgpSession({
    localAs: 65001,
    peerAs: 65002,
    bgpId: '1.1.1.1',
    passive: true,
    extendedMessage,
    random: () => 0.5,
  });
  s.start(0);
  s.connectionUp(0, { id: 'peer', localAddress: '10.0.0.1', remoteAddress: '10.0.0.2' });
  s.receive(
    0,
    'peer',
    encodeMessage(
      peerOpen({
        capabilities: [
          { code: 1, kind: 'multiprotocol', afi: 1, safi: 1 },
          { code: 65, kind: 'as4', asn: 65002 },
          ...(extendedMessage ? [{ code: 6, kind: 'extended-message' } as const] : []),
        ],
      }),
    ),
  );
  s.receive(0, 'peer', encodeMessage({ type: 'keepalive' }));
  if (s.state !== 'Established') throw new Error(`benchmark session is ${s.state}`);
  s.drain();
  return s;
}

function host(i: number): string {
  const v = 0x0a000000 + i;
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}/32`;
}

function countUpdates(s: BgpSession): { updates: number; bytes: number } {
  let updates = 0;
  let bytes = 0;
  for (const a of s.drain()) {
    if (a.type === 'send' && a.bytes[18] === 2) {
      updates++;
      bytes += a.bytes.length;
    }
  }
  return { updates, bytes };
}

type Gc = () => void;

function heapUsed(gc: Gc | undefined): number {
  if (gc !== undefined) {
    gc();
    gc();
  }
  return process.memoryUsage().heapUsed;
}

export function runRibBenchmark(routes = 100_000, changed = 10_000, extendedMessage = false): RibFigures {
  const gc = (globalThis as { gc?: Gc }).gc;
  const session = establishedSession(extendedMessage);
  const base: RouteAttributes = { communities: ['65000:100'], largeCommunities: ['65000:1:1'] };
  const other: RouteAttributes = { communities: ['65000:200'], largeCommunities: ['65000:1:1'] };
  const before = heapUsed(gc);
  // The caller's desired state (built outside the timed part: that is the caller's cost).
  let input: [string, RouteAttributes][] | undefined = new Array(routes);
  for (let i = 0; i < routes; i++) input[i] = [host(i), base];
  heapUsed(gc);
  let t0 = performance.now();
  session.setRoutes(1, 1, input);
  const a = countUpdates(session);
  const announceMs = performance.now() - t0;
  input = undefined;
  const after = heapUsed(gc);
  input = new Array(routes);
  for (let i = 0; i < routes; i++) input[i] = [host(i), i % (routes / changed) === 0 ? other : base];
  heapUsed(gc);
  t0 = performance.now();
  session.setRoutes(1, 1, input);
  const c = countUpdates(session);
  const changeMs = performance.now() - t0;
  const back: [string, RouteAttributes][] = [];
  for (let i = 0; i < routes; i += routes / changed) back.push([host(i), base]);
  heapUsed(gc);
  t0 = performance.now();
  session.announce(1, 1, back);
  const inc = countUpdates(session);
  const incrementalMs = performance.now() - t0;
  return {
    routes,
    changed,
    announceMs,
    announceUpdates: a.updates,
    announceBytes: a.bytes,
    changeMs,
    changeUpdates: c.updates,
    changeBytes: c.bytes,
    incrementalMs,
    incrementalUpdates: inc.updates,
    bytesPerRoute: (after - before) / routes,
    gc: gc !== undefined,
  };
}

export function formatFigures(f: RibFigures, label: string): string {
  return [
    `Adj-RIB-Out (${label}): ${f.routes} IPv4 /32 announced in ${f.announceMs.toFixed(1)} ms → ${f.announceUpdates} UPDATEs, ${f.announceBytes} bytes`,
    `  ${f.changed} changed (full setRoutes of ${f.routes}) in ${f.changeMs.toFixed(1)} ms → ${f.changeUpdates} UPDATEs, ${f.changeBytes} bytes`,
    `  ${f.changed} changed back with announce() in ${f.incrementalMs.toFixed(1)} ms → ${f.incrementalUpdates} UPDATEs`,
    f.gc
      ? `  retained memory: ${f.bytesPerRoute.toFixed(0)} bytes per route (desired + sent state, prefix keys included)`
      : '  retained memory: run the script with --expose-gc to measure',
  ].join('\n');
}

/** Median of `runs` fresh runs for the times; memory from the first run. */
export function medianFigures(
  runs: number,
  routes: number,
  changed: number,
  extendedMessage: boolean,
): RibFigures {
  const all = Array.from({ length: runs }, () => runRibBenchmark(routes, changed, extendedMessage));
  const med = (f: (x: RibFigures) => number) => {
    const v = all.map(f).sort((x, y) => x - y);
    return v[Math.floor(v.length / 2)] ?? 0;
  };
  const first = all[0] as RibFigures;
  return {
    ...first,
    announceMs: med((x) => x.announceMs),
    changeMs: med((x) => x.changeMs),
    incrementalMs: med((x) => x.incrementalMs),
    bytesPerRoute: med((x) => x.bytesPerRoute),
  };
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\0')) {
  runRibBenchmark(20_000, 2_000); // warm-up
  console.log(formatFigures(medianFigures(5, 100_000, 10_000, false), '4096-octet messages, median of 5'));
  console.log(
    formatFigures(medianFigures(5, 100_000, 10_000, true), 'extended messages (RFC 8654), median of 5'),
  );
}
