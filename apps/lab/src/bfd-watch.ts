// BFD at the ToRs through a step, for the one question a BGP flap under load raises: which end went
// quiet. tcpdump in each ToR's namespace stamps every BFD Control packet on the ToR's segment link
// (from a node: the node sent it; to a node: the ToR's bfdd sent it), and bfdd's scheduler
// statistics (/proc/PID/schedstat's run delay, /proc/PID/stat's state) say whether bfdd waited for a
// CPU or for I/O meanwhile. Nothing here asks either side anything.
import fs from 'node:fs';
import type { Namespace, Proc } from '@bmlb/netlab';

/** The longest silence of one direction between two addresses (tcpdump's stamps, epoch ms). */
export interface Silence {
  /** `SRC > DST`. */
  readonly key: string;
  readonly packets: number;
  readonly longestMs: number;
  /** When the longest silence began (the packet before it) and ended (the next one, or the watch's end). */
  readonly from: number;
  readonly to: number;
}

/**
 * Per direction (`SRC > DST`), the longest time without a BFD packet, from tcpdump's `-tt -n` lines
 * (`1733401234.567890 IP 10.0.0.21.49152 > 10.0.0.1.3784: BFDv1, …`). A direction still silent
 * when the watch ends counts that silence up to `end`. Pure: fed line by line.
 */
export class SilenceCounter {
  readonly #last = new Map<
    string,
    { at: number; packets: number; longest: number; from: number; to: number }
  >();
  #partial = '';

  /** Feeds a chunk of tcpdump's output (lines may be split across chunks). */
  feed(chunk: string): void {
    const text = this.#partial + chunk;
    const lines = text.split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  /** One tcpdump line; other lines (its banner, its summary) are skipped. */
  line(line: string): void {
    const m = /^(\d{9,}\.\d+) IP6? ([0-9a-f.:]+)\.\d+ > ([0-9a-f.:]+)\.\d+: /.exec(line);
    if (m === null) return;
    const at = Number(m[1]) * 1000;
    const key = `${m[2]} > ${m[3]}`;
    const s = this.#last.get(key);
    if (s === undefined) {
      this.#last.set(key, { at, packets: 1, longest: 0, from: at, to: at });
      return;
    }
    const gap = at - s.at;
    if (gap > s.longest) Object.assign(s, { longest: gap, from: s.at, to: at });
    s.at = at;
    s.packets++;
  }

  /** Every direction seen, longest silence first; `end` (epoch ms) closes a silence still running. */
  silences(end: number): Silence[] {
    return [...this.#last]
      .map(([key, s]) => {
        const open = end - s.at;
        return open > s.longest
          ? { key, packets: s.packets, longestMs: open, from: s.at, to: end }
          : { key, packets: s.packets, longestMs: s.longest, from: s.from, to: s.to };
      })
      .sort((a, b) => b.longestMs - a.longestMs);
  }
}

/** Run delay and CPU time of a task, from /proc/PID/schedstat (ns); undefined once it is gone. */
export function schedstat(pid: number): { runNs: number; waitNs: number } | undefined {
  try {
    const [run, wait] = fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return run === undefined || wait === undefined ? undefined : { runNs: run, waitNs: wait };
  } catch {
    return undefined;
  }
}

/** A task's state letter (R, S, D, …) from /proc/PID/stat; undefined once it is gone. */
export function taskState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /\) (\S) /.exec(stat)?.[1];
  } catch {
    return undefined;
  }
}

/** What one ToR's bfdd went through: the largest wait for a CPU within one sample, and when. */
export interface SchedulerView {
  readonly samples: number;
  /** The longest interval between two samples (this process's own lateness bounds what it saw). */
  readonly longestSampleMs: number;
  readonly maxWaitMs: number;
  readonly maxWaitAt: number;
  /** Samples that found bfdd in uninterruptible sleep (D: waiting for I/O). */
  readonly blocked: number;
}

const SAMPLE_MS = 100;

export interface BfdWatchResult {
  readonly at: number;
  /** Per ToR, longest first. */
  readonly silences: readonly (readonly Silence[])[];
  /** Per ToR: what tcpdump reported as dropped by the kernel (NaN if it said nothing). */
  readonly dropped: readonly number[];
  readonly views: readonly SchedulerView[];
}

/** tcpdump of BFD at each ToR plus bfdd's scheduler samples, from start() to stop(). */
export class BfdWatch {
  readonly #dumps: Proc[];
  readonly #counters: SilenceCounter[];
  readonly #pids: readonly (number | undefined)[];
  readonly #views: {
    samples: number;
    longest: number;
    maxWait: number;
    maxWaitAt: number;
    blocked: number;
  }[];
  readonly #timer: NodeJS.Timeout;
  readonly #last: ({ at: number; waitNs: number } | undefined)[];
  #stopped: BfdWatchResult | undefined;

  private constructor(dumps: Proc[], counters: SilenceCounter[], pids: readonly (number | undefined)[]) {
    this.#dumps = dumps;
    this.#counters = counters;
    this.#pids = pids;
    this.#views = pids.map(() => ({ samples: 0, longest: 0, maxWait: 0, maxWaitAt: 0, blocked: 0 }));
    this.#last = pids.map(() => undefined);
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), SAMPLE_MS);
  }

  /** Starts tcpdump on each ToR's `eth0` (its segment with the nodes) and the samples of `bfddPids`. */
  static async start(
    torNs: readonly Namespace[],
    bfddPids: readonly (number | undefined)[],
  ): Promise<BfdWatch> {
    const counters = torNs.map(() => new SilenceCounter());
    const dumps = torNs.map((ns, i) =>
      ns.spawn(['tcpdump', '-i', 'eth0', '-n', '-tt', '-l', '--immediate-mode', 'udp port 3784'], {
        name: 'tcpdump-bfd',
        onStdout: (chunk) => counters[i]?.feed(chunk),
      }),
    );
    const w = new BfdWatch(dumps, counters, bfddPids);
    try {
      await Promise.all(dumps.map((d) => d.waitForOutput(/listening on/, { timeoutMs: 10_000 })));
    } catch (err) {
      await w.stop();
      throw err;
    }
    return w;
  }

  #sample(): void {
    const now = Date.now();
    for (const [i, pid] of this.#pids.entries()) {
      const v = this.#views[i];
      if (pid === undefined || v === undefined) continue;
      const s = schedstat(pid);
      if (s === undefined) continue;
      if (taskState(pid) === 'D') v.blocked++;
      const prev = this.#last[i];
      this.#last[i] = { at: now, waitNs: s.waitNs };
      v.samples++;
      if (prev === undefined) continue;
      v.longest = Math.max(v.longest, now - prev.at);
      const wait = (s.waitNs - prev.waitNs) / 1e6;
      if (wait > v.maxWait) Object.assign(v, { maxWait: wait, maxWaitAt: now });
    }
  }

  /** Stops tcpdump and the samples; what they saw (per ToR), also on later calls. */
  async stop(): Promise<BfdWatchResult> {
    if (this.#stopped !== undefined) return this.#stopped;
    clearInterval(this.#timer);
    const at = Date.now();
    await Promise.all(this.#dumps.map((d) => d.stop(1_000)));
    this.#stopped = {
      at,
      silences: this.#counters.map((c) => c.silences(at)),
      // Packets tcpdump could not take from its buffer: a silence it shows may be its own.
      dropped: this.#dumps.map((d) =>
        Number(/(\d+) packets? dropped by kernel/.exec(d.stderr)?.[1] ?? Number.NaN),
      ),
      views: this.#views.map((v) => ({
        samples: v.samples,
        longestSampleMs: v.longest,
        maxWaitMs: v.maxWait,
        maxWaitAt: v.maxWaitAt,
        blocked: v.blocked,
      })),
    };
    return this.#stopped;
  }
}

/**
 * What a network engineer reads from a BfdWatch: per ToR, the longest silence from any node and to
 * any node, and bfdd's largest wait for a CPU; with `every`, each direction's longest silence and
 * when it began (ms after `since`). `names` maps addresses to names (10.0.0.21 → node-21).
 */
export function describeBfdWatch(
  seen: BfdWatchResult,
  torAddrs: readonly string[],
  names: Readonly<Record<string, string>>,
  since: number,
  every: boolean,
): string[] {
  const out: string[] = [];
  const name = (a: string) => names[a] ?? a;
  const ms = (x: number) => `${Math.round(x)} ms`;
  for (const [i, silences] of seen.silences.entries()) {
    const tor = `tor${i + 1}`;
    const own = torAddrs[i];
    const rx = silences.filter((s) => !s.key.startsWith(`${own} `));
    const tx = silences.filter((s) => s.key.startsWith(`${own} `));
    const peer = (s: Silence, j: 0 | 1) => name(s.key.split(' > ')[j] as string);
    const v = seen.views[i];
    let sched =
      v === undefined || v.samples === 0
        ? "bfdd's scheduling not sampled"
        : `bfdd waited for a CPU at most ${ms(v.maxWaitMs)} within one sample (at +${ms(v.maxWaitAt - since)}; ${v.samples} samples, at most ${ms(v.longestSampleMs)} apart)${v.blocked === 0 ? '' : `, found waiting for I/O (D) in ${v.blocked}`}`;
    if (rx.length + tx.length === 0) {
      out.push(`    ${tor}: no BFD packets on eth0 (BFD off); ${sched}`);
      continue;
    }
    const lost = seen.dropped[i] ?? Number.NaN;
    if (lost > 0) sched += `; tcpdump lost ${lost} packets (a silence may be its own)`;
    const r = rx[0];
    const t = tx[0];
    out.push(
      `    ${tor}: longest silence from a node ${r === undefined ? '-' : `${ms(r.longestMs)} (${peer(r, 0)})`}, to a node ${t === undefined ? '-' : `${ms(t.longestMs)} (${peer(t, 1)})`}; ${sched}`,
    );
    if (every)
      for (const s of silences)
        out.push(
          `      ${name(s.key.split(' > ')[0] as string)} → ${name(s.key.split(' > ')[1] as string)}: ${s.packets} packets, longest silence ${ms(s.longestMs)} from +${ms(s.from - since)}`,
        );
  }
  return out;
}
