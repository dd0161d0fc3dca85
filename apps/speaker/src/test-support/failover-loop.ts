// Repeated hard node failures in one seed-topology lab, measured like the drill (kernel link-down →
// each ToR's bfdd → each ToR's kernel FIB), with the distribution printed at the end.
//
//   cd apps/speaker && sudo ../../node_modules/.bin/node --conditions=@bmlb/source \
//     --disable-warning=ExperimentalWarning src/test-support/failover-loop.ts [RUNS=10]
//
// Each run: wait until both ToRs run BFD with node1 at 300 ms (past the 1 s slow start) and both
// kernel FIBs forward the prefix to all three nodes; cut node1's eth0, SIGKILL its speaker; measure;
// bring eth0 back up and restart the speaker.
import { Lab } from '@bmlb/netlab';
import {
  bfdDetected,
  FailoverProbe,
  type FailureMeasurement,
  formatMeasurement,
  loadAverage,
  noticed,
  removalMs,
  timingDebugs,
  waitBfdFast,
} from './failover.ts';
import { speakerConfig, Topology } from './topology.ts';

const PREFIX = '203.0.113.20/32';

export interface Distribution {
  readonly n: number;
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly sorted: readonly number[];
}

export function distribution(xs: readonly number[]): Distribution | undefined {
  if (xs.length === 0) return undefined;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { n: sorted.length, min: sorted[0] as number, median, max: sorted.at(-1) as number, sorted };
}

function row(name: string, xs: readonly (number | undefined)[]): string {
  const d = distribution(xs.filter((x): x is number => x !== undefined));
  const missing = xs.filter((x) => x === undefined).length;
  if (d === undefined) return `| ${name} | – | – | – | (none) |`;
  const r = (x: number) => Math.round(x).toString();
  return `| ${name} | ${r(d.min)} | ${r(d.median)} | ${r(d.max)} | ${d.sorted.map(r).join(' ')}${missing > 0 ? ` (${missing} missing)` : ''} |`;
}

/** The summary table over many hard failures (ms). */
export function summarize(runs: readonly FailureMeasurement[]): string {
  const lines = ['| ms | min | median | max | all, sorted |', '| --- | --- | --- | --- | --- |'];
  const torNames = [...new Set(runs.flatMap((m) => m.tors.map((t) => t.tor)))];
  for (const tor of torNames) {
    const ts = runs.map((m) => ({ m, t: m.tors.find((x) => x.tor === tor) }));
    const d = (f: (x: NonNullable<(typeof ts)[number]['t']>, m: FailureMeasurement) => number | undefined) =>
      ts.map(({ m, t }) => (t === undefined ? undefined : f(t, m)));
    const sub = (a: number | undefined, b: number | undefined) =>
      a === undefined || b === undefined ? undefined : a - b;
    lines.push(
      row(
        `${tor}: cut → BFD down`,
        d((t, m) => sub(bfdDetected(t), m.t0)),
      ),
      row(
        `${tor}:   last BFD packet received → cut`,
        d((t, m) => sub(m.t0, t.lastBfdRx)),
      ),
      row(
        `${tor}:   last BFD packet received → BFD down`,
        d((t) => sub(bfdDetected(t), t.lastBfdRx)),
      ),
      row(
        `${tor}: BFD down → gone from the kernel FIB`,
        d((t) => sub(t.fib, noticed(t))),
      ),
      row(
        `${tor}:   of which bgpd (BFD down → route to zebra)`,
        d((t) => sub(t.zebraTx, noticed(t))),
      ),
      row(
        `${tor}:   of which zebra (route from bgpd → netlink)`,
        d((t) => sub(t.netlinkTx, t.zebraTx)),
      ),
      row(
        `${tor}:   of which kernel (netlink → notification)`,
        d((t) => sub(t.fib, t.netlinkTx)),
      ),
      row(
        `${tor}: cut → gone from the kernel FIB`,
        d((t, m) => sub(t.fib, m.t0)),
      ),
    );
  }
  lines.push(row('both ToRs: cut → gone from both', runs.map(removalMs)));
  lines.push(
    row(
      'cut lag (spawn of ip link set down → kernel link-down)',
      runs.map((m) => m.cutLagMs),
    ),
  );
  lines.push(
    row(
      'test process read the FIB change after ip stamped it',
      runs.flatMap((m) =>
        m.tors.map((t) =>
          t.fib === undefined || t.fibReceived === undefined ? undefined : t.fibReceived - t.fib,
        ),
      ),
    ),
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? process.env.FAILOVER_RUNS ?? 10);
  if (!Number.isInteger(runs) || runs < 1)
    throw new RangeError(`RUNS must be a positive integer, got ${process.argv[2]}`);
  const lab = await Lab.create({ prefix: 'fod' });
  const out: FailureMeasurement[] = [];
  const say = (s: string) => process.stdout.write(`${s}\n`);
  try {
    const topo = await Topology.create(lab, { nodes: 3, bfd: true, holdTime: 9 });
    const services = [
      { name: 'api', ips: ['203.0.113.20'], policy: 'Cluster' as const, endpointsOn: ['node1'] },
    ];
    for (const n of topo.nodes) topo.writeConfig(n, speakerConfig({ bfd: true, services }));
    await Promise.all(topo.nodes.map((n) => topo.startSpeaker(n)));
    await topo.waitEstablished();
    const all = topo.nodes.map((n) => n.addr);
    await topo.waitNextHops(PREFIX, all);
    await timingDebugs(topo, true);
    const probe = await FailoverProbe.start(topo, PREFIX);
    const node = topo.node('node1');
    await probe.watchLinks(node);
    try {
      for (let i = 1; i <= runs; i++) {
        await waitBfdFast(topo, [node]);
        await probe.waitFib(all);
        const before = loadAverage();
        const m = await probe.fail(node, 'cut', 5_000);
        out.push(m);
        say(
          `run ${i}/${runs} (load ${before.toFixed(2)} before)\n${formatMeasurement('hard failure of node1', m)}`,
        );
        await node.ns.setUp('eth0');
        await topo.startSpeaker(node);
        await topo.waitNextHops(PREFIX, all, 30_000);
      }
    } finally {
      await probe.stop();
    }
  } finally {
    await lab.close();
  }
  const loads = out.map((m) => m.load1);
  say(
    `\n${out.length} hard failures (link cut, then SIGKILL) of node1, BFD 300 ms x 3 with both ToRs; load average (1 min) ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}\n`,
  );
  say(summarize(out));
}

if (import.meta.url === `file://${process.argv[1]}`)
  main().catch((err: unknown) => {
    process.stderr.write(`failover-loop failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
