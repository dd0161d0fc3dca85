// Scale benchmark: prints figures, asserts nothing about speed. Wall time swings with the machine's
// load; the process CPU time (which includes the GC's helper threads) swings less.
//   cd packages/allocator && ../../node_modules/.bin/node --expose-gc --conditions=@bmlb/source src/scale.bench.ts
// (`pnpm --filter @bmlb/allocator bench` runs the same.)
import { keyText } from './addr.ts';
import { Allocator } from './allocator.ts';
import type { AllocatorService } from './service.ts';
import { pool } from './test-support/fixtures.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('run with node --expose-gc to measure memory');
  process.exit(2);
}

function heap(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

/** xorshift32: a seeded source, so every run does the same work. */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

function services(n: number, prefix: string, families: ('IPv4' | 'IPv6')[]): AllocatorService[] {
  const out: AllocatorService[] = [];
  const ports = [{ port: 443, protocol: 'TCP' }];
  for (let i = 0; i < n; i++) {
    out.push({
      namespace: `ns${i % 100}`,
      name: `${prefix}-${i}`,
      spec: { ipFamilies: families, ports, externalTrafficPolicy: 'Cluster' },
    });
  }
  return out;
}

const fmtMs = (ns: bigint): string => `${(Number(ns) / 1e6).toFixed(1)} ms`;
const fmtMB = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MB`;

function fill(label: string, addresses: string, family: 'IPv4' | 'IPv6', n: number): void {
  const input = services(n, label, [family]);
  const before = heap();
  const a = new Allocator();
  a.setPools([pool('p', [addresses])]);
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let last = '';
  for (const s of input) {
    const r = a.assign(s);
    if (!r.ok) throw new Error(r.reason.message);
    last = r.ips[0]!;
  }
  const t1 = process.hrtime.bigint();
  const cpu = process.cpuUsage(c0);
  const after = heap();
  // Lookups of every assigned address.
  const probe = a.assignments().map((x) => x.ips[0]!);
  const t2 = process.hrtime.bigint();
  for (const ip of probe) if (a.lookup(ip) === undefined) throw new Error(`lost ${ip}`);
  const t3 = process.hrtime.bigint();
  const st = a.poolStats('p')!;
  console.log(
    `${label}: ${n.toLocaleString('en')} Services from ${addresses}: ${fmtMs(t1 - t0)} total ` +
      `(CPU ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms) ` +
      `(${(Number(t1 - t0) / n / 1000).toFixed(2)} µs/assign), heap +${fmtMB(after - before)} ` +
      `(${Math.round((after - before) / n)} B/Service); last ${last}; ` +
      `lookup ${(Number(t3 - t2) / probe.length / 1000).toFixed(2)} µs; ` +
      `assigned ${family === 'IPv4' ? st.assignedIPv4 : st.assignedIPv6}, available ${family === 'IPv4' ? st.availableIPv4 : st.availableIPv6}`,
  );
  // Re-applying the same pools re-files every assignment (O(n log n)); nothing moves.
  const t4 = process.hrtime.bigint();
  const re = a.setPools([pool('p', [addresses])]);
  const t5 = process.hrtime.bigint();
  if (!re.ok || re.changes.length !== 0 || a.serviceCount !== n) throw new Error('setPools moved something');
  console.log(`${label}: setPools with ${n.toLocaleString('en')} assignments: ${fmtMs(t5 - t4)}`);
}

function churn(cycles: number): void {
  // A /16 filled to 99%: 64,880 of 65,536 addresses in use.
  const size = 65_536;
  const used = Math.floor(size * 0.99);
  const a = new Allocator();
  a.setPools([pool('p', ['10.20.0.0/16'])]);
  const live = services(used, 'full', ['IPv4']);
  for (const s of live) if (!a.assign(s).ok) throw new Error('fill');
  const next = rng(42);
  let fresh = 0;
  let tAssign = 0n;
  let tRelease = 0n;
  for (let c = 0; c < cycles; c++) {
    const i = Math.floor(next() * live.length);
    const victim = live[i]!;
    const t0 = process.hrtime.bigint();
    a.release(`${victim.namespace}/${victim.name}`);
    const t1 = process.hrtime.bigint();
    const s: AllocatorService = { namespace: 'churn', name: `c${fresh++}`, spec: { ipFamilies: ['IPv4'] } };
    const r = a.assign(s);
    const t2 = process.hrtime.bigint();
    if (!r.ok) throw new Error(r.reason.message);
    live[i] = s;
    tRelease += t1 - t0;
    tAssign += t2 - t1;
  }
  const st = a.poolStats('p')!;
  console.log(
    `churn: ${cycles.toLocaleString('en')} release+assign cycles on a 99%-full /16 (${used.toLocaleString('en')} in use): ` +
      `assign ${(Number(tAssign) / cycles / 1000).toFixed(2)} µs/op, release ${(Number(tRelease) / cycles / 1000).toFixed(2)} µs/op; ` +
      `still ${st.assignedIPv4.toLocaleString('en')} in use`,
  );
}

function sharing(n: number): void {
  // One sharing key for everyone; DNS over TCP and UDP pairs up on each address.
  const input: AllocatorService[] = [];
  for (let i = 0; i < n; i++) {
    input.push({
      namespace: 'dns',
      name: `d${i}`,
      annotations: { 'metallb.io/allow-shared-ip': 'shared' },
      spec: { ipFamilies: ['IPv4'], ports: [{ port: 53, protocol: i % 2 === 0 ? 'TCP' : 'UDP' }] },
    });
  }
  const before = heap();
  const a = new Allocator();
  a.setPools([pool('p', ['10.0.0.0/12'])]);
  const t0 = process.hrtime.bigint();
  for (const s of input) if (!a.assign(s).ok) throw new Error('sharing');
  const t1 = process.hrtime.bigint();
  const after = heap();
  const st = a.poolStats('p')!;
  console.log(
    `sharing: ${n.toLocaleString('en')} Services with one allow-shared-ip key, TCP/53 and UDP/53 pairing up: ` +
      `${fmtMs(t1 - t0)} (${(Number(t1 - t0) / n / 1000).toFixed(2)} µs/assign), heap +${fmtMB(after - before)}; ` +
      `${st.assignedIPv4.toLocaleString('en')} addresses in use`,
  );
}

function manyEntries(n: number): void {
  // A pool written as n single addresses (every other one), allocated to exhaustion.
  const entries: string[] = [];
  for (let i = 0; i < n; i++) entries.push(keyText(0x0a400000 + 2 * i));
  const a = new Allocator();
  a.setPools([pool('p', entries)]);
  const input = services(n, 'one', ['IPv4']);
  const t0 = process.hrtime.bigint();
  for (const s of input) if (!a.assign(s).ok) throw new Error('entries');
  const t1 = process.hrtime.bigint();
  console.log(
    `entries: a pool of ${n.toLocaleString('en')} single-address entries, filled: ${fmtMs(t1 - t0)} ` +
      `(${(Number(t1 - t0) / n / 1000).toFixed(2)} µs/assign)`,
  );
}

console.log(`node ${process.version}, ${process.arch}`);
fill('ipv4', '10.0.0.0/12', 'IPv4', 100_000);
fill('ipv6', '2001:db8::/64', 'IPv6', 100_000);
churn(10_000);
sharing(100_000);
manyEntries(20_000);
