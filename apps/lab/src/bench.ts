// The lab's benchmark mode: bmlb, then MetalLB's own controller and native speaker (v0.15.2) in its
// place, on the same control plane, ToRs, nodes, client and manifests, measured the same way in the
// same run; one table at the end. MetalLB's native speaker has no BFD, so it runs without.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import {
  BENCH_NET,
  BENCH_POOL,
  type ClusterLab,
  type DrainResult,
  type HardFailureResult,
  percentile,
} from './cluster-lab.ts';
import { fmtMs } from './report.ts';

export interface BenchOptions {
  /** Services for the per-Service latency (p50/p99; default 1,000). */
  readonly latencyServices: number;
  /** Services for "all routes" (default 10,000). */
  readonly scaleServices: number;
}

export interface ImplResult {
  readonly name: string;
  readonly p50: number;
  readonly p99: number;
  readonly allMs: number;
  /** From the last Service's creation to the last route. */
  readonly tailMs: number;
  readonly withdrawMs: number;
  /** Per drain (DRAINS of them): from the eviction to the next hop gone from both FIBs. */
  readonly drainMs: readonly number[];
  /** From the EndpointSlice without node-21 (a watch's view) to the next hop gone. */
  readonly sliceToFibMs: readonly number[];
  /** From the EndpointSlice without node-21 to node-21's UPDATE at the later ToR (tcpdump): the speaker's part. */
  readonly sliceToWireMs: readonly number[];
  /** With the seed's BFD profile (bmlb), or without BFD (MetalLB). */
  readonly hard: HardFailureResult;
  /** FAST_DRILLS of them (bmlb), or none (MetalLB). */
  readonly fast: readonly HardFailureResult[];
  readonly noBfd: HardFailureResult | undefined;
  readonly speakerPeakMiB: number;
  readonly controllerPeakMiB: number;
  /** The FIB trackers' lost messages (tor1 + tor2) over both scale runs: 0 for rows that mean what they say. */
  readonly overflows: number;
}

/** Builds (or finds in the cache) MetalLB's binaries; returns their directory. */
export function metallbBinaries(write: (line: string) => void): string {
  const script = path.join(import.meta.dirname, '../scripts/build-metallb.sh');
  write(
    `  $ apps/lab/scripts/build-metallb.sh      # MetalLB v0.15.2 from the Go module (a few minutes the first time)`,
  );
  const out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').at(-1) as string;
}

async function measure(lab: ClusterLab, name: string, o: BenchOptions, bfd: boolean): Promise<ImplResult> {
  const lat = await lab.scale(o.latencyServices, { pool: 'bench-pool', what: `[${name}] ` });
  const big = await lab.scale(o.scaleServices, { pool: 'bench-pool', what: `[${name}] ` });
  const drains: DrainResult[] = [];
  for (let i = 0; i < DRAINS; i++) drains.push(await lab.drain());
  const last = (xs: readonly (number | undefined)[]) => Math.max(...xs.map((x) => x ?? Number.NaN));
  // Peak resident memory so far (VmHWM): before the hard failures restart node-21's speaker.
  const mem = lab.memory();
  const peak = (re: RegExp) => Math.max(...mem.filter((m) => re.test(m.name)).map((m) => m.peakKiB / 1024));
  const hard = await lab.hardFailure(bfd ? 'seed' : 'none');
  const fast: HardFailureResult[] = [];
  for (let i = 0; bfd && i < FAST_DRILLS; i++) fast.push(await lab.hardFailure('fast'));
  const noBfd = bfd ? await lab.hardFailure('none') : undefined;
  return {
    name,
    p50: percentile(lat.routeMs, 50),
    p99: percentile(lat.routeMs, 99),
    allMs: big.allMs,
    tailMs: big.allMs - big.createdMs,
    withdrawMs: big.withdrawMs,
    drainMs: drains.map((d) => last(d.fibMs)),
    sliceToFibMs: drains.map((d) => last(d.fibMs) - (d.sliceGoneMs ?? Number.NaN)),
    sliceToWireMs: drains.map((d) => last(d.wireMs) - (d.sliceGoneMs ?? Number.NaN)),
    hard,
    fast,
    noBfd,
    speakerPeakMiB: peak(/speaker/),
    controllerPeakMiB: peak(/controller/),
    overflows: [...lat.overflows, ...big.overflows].reduce((a, b) => a + b, 0),
  };
}

/** Runs both and prints the table; returns the rows (bmlb's value, MetalLB's, whether bmlb is ahead). */
export async function benchmark(lab: ClusterLab, o: BenchOptions, metallbDir: string): Promise<ImplResult[]> {
  const r = lab.report;
  r.section(
    `Benchmark: the pool for it (${BENCH_NET}, only for Services that ask for it) and its advertisement`,
  );
  await lab.kubectl(['apply', '-f', '-'], { input: BENCH_POOL, shown: 'apply -f bench-pool.yaml' });
  r.say(BENCH_POOL.replace(/^/gm, '    | '));
  const ours = await measure(lab, 'bmlb', o, true);
  await lab.switchToMetallb(metallbDir);
  const theirs = await measure(lab, 'MetalLB', o, false);
  printTable(lab, o, ours, theirs);
  return [ours, theirs];
}

/**
 * Drains per implementation. One drain's figures swing by tens of ms with the ToRs' scheduling on a
 * loaded machine (bgpd read the UPDATE 0-35 ms after it came, zebra took 1-37 ms after bgpd) and
 * with the Pod's deletion (kube-controller-manager and kwok: the EndpointSlice without node-21
 * 58-238 ms after the eviction): the table has the median and the range.
 */
const DRAINS = 3;

/**
 * Hard failures with BFD 50 ms x 3. Where in the node's transmit interval the cut falls decides
 * 0-50 ms of the time (BFD declares the peer down 150 ms after the last packet it got), so one
 * drill is a draw: the table has the median, the range and how many met the goal.
 */
const FAST_DRILLS = 5;

function median(xs: readonly number[]): number {
  return percentile(xs, 50);
}

/** A time, or what it means that none was measured: the step did not finish within its time limit. */
function time(ms: number): string {
  return Number.isFinite(ms) ? fmtMs(ms) : 'not within its time limit';
}

function spread(xs: readonly number[]): string {
  if (!xs.every(Number.isFinite))
    return `${xs.filter(Number.isFinite).length} of ${xs.length} within the time limit`;
  return `${fmtMs(median(xs))} (${fmtMs(Math.min(...xs))}-${fmtMs(Math.max(...xs))})`;
}

/**
 * Whether bmlb's time is ahead of MetalLB's: shorter, or measured where MetalLB's step did not finish
 * within the same time limit (a step that never finished is not a tie). A step bmlb did not finish
 * is never ahead.
 */
export function ahead(ours: number, theirs: number): boolean {
  return Number.isFinite(ours) && (!Number.isFinite(theirs) || ours < theirs);
}

/** The median of each, compared as {@link ahead}: a drain that did not finish counts as the slowest. */
export function aheadByMedian(ours: readonly number[], theirs: readonly number[]): boolean {
  const m = (xs: readonly number[]) =>
    median(xs.map((x) => (Number.isFinite(x) ? x : Number.POSITIVE_INFINITY)));
  return ahead(m(ours), m(theirs));
}

function printTable(lab: ClusterLab, o: BenchOptions, b: ImplResult, m: ImplResult): void {
  const r = lab.report;
  const n = (x: number) => x.toLocaleString('en-US');
  const hard = (h: HardFailureResult | undefined) =>
    h === undefined ? 'no BFD in its native speaker' : `${fmtMs(h.removalMs)} / ${fmtMs(h.outageMs)}`;
  const mib = (x: number) => `${x.toFixed(0)} MiB`;
  const fastDrills = (hs: readonly HardFailureResult[]) =>
    hs.length === 0
      ? 'no BFD in its native speaker'
      : `${spread(hs.map((h) => h.removalMs ?? Number.NaN))} / ${spread(hs.map((h) => h.outageMs))}; ${hs.filter((h) => h.outageMs < 200).length} of ${hs.length}`;
  const rows: [string, string, string, boolean | undefined][] = [
    [
      `Service created → route at both ToRs, p50 / p99 (${n(o.latencyServices)} Services)`,
      `${fmtMs(b.p50)} / ${fmtMs(b.p99)}`,
      `${fmtMs(m.p50)} / ${fmtMs(m.p99)}`,
      ahead(b.p50, m.p50) && ahead(b.p99, m.p99),
    ],
    [
      `${n(o.scaleServices)} Services → all routes at both ToRs (from the first creation)`,
      time(b.allMs),
      time(m.allMs),
      ahead(b.allMs, m.allMs),
    ],
    [
      `… from the last Service's creation to the last route`,
      time(b.tailMs),
      time(m.tailMs),
      ahead(b.tailMs, m.tailMs),
    ],
    [
      `${n(o.scaleServices)} Services deleted → all routes gone`,
      time(b.withdrawMs),
      time(m.withdrawMs),
      ahead(b.withdrawMs, m.withdrawMs),
    ],
    [
      `kubectl drain → next hop gone (Local), median of ${DRAINS} (range)`,
      spread(b.drainMs),
      spread(m.drainMs),
      aheadByMedian(b.drainMs, m.drainMs),
    ],
    [
      '… from the EndpointSlice without node-21 (as a watch saw it)',
      spread(b.sliceToFibMs),
      spread(m.sliceToFibMs),
      aheadByMedian(b.sliceToFibMs, m.sliceToFibMs),
    ],
    [
      "… of which to node-21's UPDATE on the wire (tcpdump at the ToRs; the speaker's part)",
      spread(b.sliceToWireMs),
      spread(m.sliceToWireMs),
      aheadByMedian(b.sliceToWireMs, m.sliceToWireMs),
    ],
    [
      'hard failure → next hop gone / traffic outage (bmlb: BFD 300 ms x 3; MetalLB: hold time)',
      hard(b.hard),
      hard(m.hard),
      ahead(b.hard.outageMs, m.hard.outageMs) &&
        ahead(b.hard.removalMs ?? Number.NaN, m.hard.removalMs ?? Number.NaN),
    ],
    [
      `hard failure, BFD 50 ms x 3 → next hop gone / outage, median of ${FAST_DRILLS} (range); outage under 200 ms`,
      fastDrills(b.fast),
      fastDrills(m.fast),
      undefined,
    ],
    [
      `hard failure without BFD (hold ${9} s) → next hop gone / outage`,
      hard(b.noBfd),
      hard(m.hard),
      undefined,
    ],
    [
      'speaker memory (peak RSS, largest of 3)',
      mib(b.speakerPeakMiB),
      mib(m.speakerPeakMiB),
      b.speakerPeakMiB < m.speakerPeakMiB,
    ],
    [
      'controller memory (peak RSS)',
      mib(b.controllerPeakMiB),
      mib(m.controllerPeakMiB),
      b.controllerPeakMiB < m.controllerPeakMiB,
    ],
    [
      "FIB trackers' lost messages (ip monitor overflows, both ToRs; must be 0)",
      n(b.overflows),
      n(m.overflows),
      undefined,
    ],
  ];
  r.section(
    `bmlb against MetalLB v0.15.2, measured in this run (same control plane, ToRs, nodes, client, manifests)`,
  );
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(4, ...rows.map((x) => x[1].length));
  const w2 = Math.max(7, ...rows.map((x) => x[2].length));
  r.say(`  | ${''.padEnd(w0)} | ${'bmlb'.padEnd(w1)} | ${'MetalLB'.padEnd(w2)} | ahead |`);
  r.say(`  | ${'-'.repeat(w0)} | ${'-'.repeat(w1)} | ${'-'.repeat(w2)} | ----- |`);
  for (const [what, ours, theirs, ahead] of rows)
    r.say(
      `  | ${what.padEnd(w0)} | ${ours.padEnd(w1)} | ${theirs.padEnd(w2)} | ${ahead === undefined ? '' : ahead ? 'yes' : 'NO'}${' '.repeat(ahead === undefined ? 5 : ahead ? 2 : 3)} |`,
    );
  for (const [what, , , ahead] of rows)
    if (ahead !== undefined) r.goal(ahead, `bmlb ahead of MetalLB: ${what}`);
}
