// Benchmark: N BFD sessions between two processes of ours over loopback, for a while; prints the
// CPU each process uses (% of one core) and the false downs (any session leaving Up).
//
//   node --conditions=@bmlb/source src/sessions.bench.ts [--sessions 1000] [--interval 100]
//        [--multiplier 3] [--duration 60] [--port 3784] [--nice=0] [--fifo=0]
//        [--node-listeners wildcard|per-address]
// (--nice sets both processes' scheduling priority, e.g. -10 as root; on a host whose CPUs other
// work saturates, --fifo=N runs them SCHED_FIFO priority N through chrt, as root, the way a router
// runs its BFD process: with autogroup scheduling, nice alone does not reach across sessions.)
//
// Process A (a "router") has one address, 127.10.0.1, and one session to each of B's N addresses
// 127.11.x.y; B listens on 0.0.0.0 (one socket; `--node-listeners per-address` gives it one listener
// per address instead, like N separate nodes). Both sides send every `interval` ms.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '1000' },
    interval: { type: 'string', default: '100' },
    multiplier: { type: 'string', default: '3' },
    duration: { type: 'string', default: '60' },
    port: { type: 'string', default: '3784' },
    nice: { type: 'string', default: '0' },
    'node-listeners': { type: 'string', default: 'wildcard' },
    fifo: { type: 'string', default: '0' },
  },
});
const n = Number(values.sessions);
const interval = Number(values.interval);
const multiplier = Number(values.multiplier);
const duration = Number(values.duration);
const port = Number(values.port);
const nice = Number(values.nice);
const fifo = Number(values.fifo);
const nodeListeners = values['node-listeners'];
if (nodeListeners !== 'wildcard' && nodeListeners !== 'per-address') {
  throw new RangeError(`--node-listeners must be wildcard or per-address, got ${nodeListeners}`);
}
for (const [name, v, lo, hi] of [
  ['sessions', n, 1, 60000],
  ['interval', interval, 10, 60000],
  ['multiplier', multiplier, 2, 255],
  ['duration', duration, 1, 86400],
  ['port', port, 1, 65535],
  ['nice', nice, -20, 19],
  ['fifo', fifo, 0, 99],
] as const) {
  if (!Number.isInteger(v) || v < lo || v > hi)
    throw new RangeError(`--${name} must be an integer in ${lo}–${hi}, got ${v}`);
}

const routerAddress = '127.10.0.1';
const nodeAddress = (i: number) => `127.11.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
const profile = { transmitInterval: interval, receiveInterval: interval, detectMultiplier: multiplier };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bfd-bench-'));
const peerScript = fileURLToPath(new URL('./test-support/bfd-peer.ts', import.meta.url));

interface Stats {
  event: string;
  t: number;
  cpuPercent: number;
  userPercent: number;
  loopDelayMaxMs: number;
  loopDelayP99Ms: number;
  contextSwitches: number;
  up: number;
  downs: number;
  failures: number;
  packetsIn: number;
  packetsOut: number;
  ttlDropped: number;
  sendErrors: number;
  discarded: number;
}

function start(name: string, sessions: object[], wildcardListeners: boolean) {
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify({
      sessions,
      statsMs: 1000,
      quiet: true,
      driver: { singleHopPort: port, reuseAddr: true, wildcardListeners },
    }),
  );
  const argv = [
    process.execPath,
    ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
    '--conditions=@bmlb/source',
    peerScript,
    file,
  ];
  if (fifo) argv.unshift('chrt', '--fifo', String(fifo));
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  if (nice !== 0 && child.pid !== undefined) os.setPriority(child.pid, nice);
  const stats: Stats[] = [];
  const downs: object[] = [];
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    const o = JSON.parse(line) as Stats;
    if (o.event === 'stats') {
      stats.push(o);
      if (process.env.BENCH_RAW) process.stderr.write(`${name} ${line}\n`);
    } else if (o.event === 'down') downs.push(o);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { name, child, stats, downs, exited };
}

const router = start(
  'router',
  Array.from({ length: n }, (_, i) => ({
    key: `n${i}`,
    localAddress: routerAddress,
    remoteAddress: nodeAddress(i),
    profile,
  })),
  false,
);
const node = start(
  'nodes',
  Array.from({ length: n }, (_, i) => ({
    key: `r${i}`,
    localAddress: nodeAddress(i),
    remoteAddress: routerAddress,
    profile,
  })),
  nodeListeners === 'wildcard',
);
const procs = [router, node];
const cleanup = () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

/** Udp RcvbufErrors from /proc/net/snmp (host-wide). */
function udpRcvbufErrors(): number {
  const lines = fs
    .readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Udp:'));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  return Number(values[names.indexOf('RcvbufErrors')] ?? 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const last = (p: (typeof procs)[number]) => p.stats[p.stats.length - 1];
const t0 = performance.now();
console.log(
  `${n} sessions at ${interval} ms × ${multiplier} between two processes over loopback (${routerAddress} ↔ 127.11.x.y, node side: ${nodeListeners} listeners)${nice ? `, nice ${nice}` : ''}${fifo ? `, SCHED_FIFO ${fifo}` : ''}`,
);
for (;;) {
  await sleep(250);
  for (const p of procs)
    if (p.child.exitCode !== null) throw new Error(`${p.name} exited with ${p.child.exitCode}`);
  if (procs.every((p) => (last(p)?.up ?? 0) === n)) break;
  if (performance.now() - t0 > 60_000) {
    throw new Error(
      `not all sessions came Up within 60 s: router ${last(router)?.up}, nodes ${last(node)?.up}`,
    );
  }
}
console.log(
  `all ${n} sessions Up on both sides after ${((performance.now() - t0) / 1000).toFixed(1)} s; measuring for ${duration} s`,
);
const mark = procs.map((p) => ({ stats: p.stats.length, downs: p.downs.length, last: last(p) }));
const udpBefore = udpRcvbufErrors();
const loadBefore = os.loadavg()[0] ?? 0;
await sleep(duration * 1000 + 500);
const udpDropped = udpRcvbufErrors() - udpBefore;
console.log('');
console.log(
  'process  CPU % of one core: mean (user) / max per s  loop delay ms p99/max  packets in/s  packets out/s  wakeups/s  false downs  ttl drops  discards  send errors',
);
for (const [i, p] of procs.entries()) {
  const window = p.stats.slice(mark[i]?.stats);
  const cpu = window.map((s) => s.cpuPercent);
  const mean = cpu.reduce((a, b) => a + b, 0) / cpu.length;
  const first = mark[i]?.last;
  const end = window[window.length - 1];
  if (!first || !end) throw new Error(`${p.name}: no stats`);
  const secs = (end.t - first.t) / 1000;
  const falseDowns = p.downs.length - (mark[i]?.downs ?? 0);
  console.log(
    [
      p.name.padEnd(8),
      `${mean.toFixed(1)} (${(window.reduce((a, s) => a + s.userPercent, 0) / window.length).toFixed(1)}) / ${Math.max(...cpu).toFixed(1)}`.padEnd(
        47,
      ),
      `${Math.max(...window.map((s) => s.loopDelayP99Ms)).toFixed(1)} / ${Math.max(...window.map((s) => s.loopDelayMaxMs)).toFixed(1)}`.padStart(
        21,
      ),
      ((end.packetsIn - first.packetsIn) / secs).toFixed(0).padStart(12),
      ((end.packetsOut - first.packetsOut) / secs).toFixed(0).padStart(14),
      ((end.contextSwitches - first.contextSwitches) / secs).toFixed(0).padStart(10),
      String(falseDowns).padStart(12),
      String(end.ttlDropped - first.ttlDropped).padStart(10),
      String(end.discarded - first.discarded).padStart(9),
      String(end.sendErrors - first.sendErrors).padStart(12),
    ].join(' '),
  );
}
console.log(
  `\nkernel UDP receive-buffer drops during the window (whole host): ${udpDropped}; load average ${loadBefore.toFixed(2)} → ${(os.loadavg()[0] ?? 0).toFixed(2)}`,
);
console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} CPUs`);
const totalFalse = procs.reduce((a, p, i) => a + p.downs.length - (mark[i]?.downs ?? 0), 0);
cleanup();
process.exitCode = totalFalse === 0 ? 0 : 1;
