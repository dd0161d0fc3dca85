// BFD at the ToRs through a step, for the one question a BGP flap under load raises: which end went
// quiet. tcpdump in each ToR's namespace stamps every BFD Control packet on the ToR's segment link
// (from a node: the node sent it; to a node: the ToR's bfdd sent it), and the scheduler statistics
// of each ToR's bfdd and each speaker (/proc/PID/schedstat's run delay, /proc/PID/stat's state) say
// whether one waited for a CPU or for I/O meanwhile. Nothing here asks either side anything.
import { lineReader, type Namespace, type Proc, schedstat, taskState } from '@bmlb/netlab';

/** The longest silence of one direction between two addresses (tcpdump's stamps, epoch ms). */
export interface Silence {
  /** `SRC > DST`. */
  readonly key: string;
  readonly packets: number;
  /** Of them, in state Up. */
  readonly upPackets: number;
  /** The longest time from a packet in state Up to the next packet (or the watch's end). */
  readonly longestMs: number;
  /** When the longest silence began (the Up packet before it) and ended. */
  readonly from: number;
  readonly to: number;
  /** Where this direction left Up (its first packet in another state), the first few. */
  readonly leftUp: readonly { at: number; state: string; diag: number }[];
}

const STATES = ['AdminDown', 'Down', 'Init', 'Up'] as const;
const MAX_LEFT_UP = 5;

/**
 * Per direction (`SRC > DST`), the longest time without a BFD packet after one in state Up, from
 * tcpdump's `-tt -n -x` output: a line per packet (`1733401234.567890 IP 10.0.0.21.49152 >
 * 10.0.0.1.3784: …`), then its bytes from the IP header on in hex. The state is read from those
 * bytes, not from tcpdump's text, which decodes a packet from port 49152 as Broadcom's LI shim.
 * Pure: fed line by line.
 */
export class SilenceCounter {
  readonly #dirs = new Map<
    string,
    {
      at: number;
      up: boolean;
      packets: number;
      upPackets: number;
      longest: number;
      from: number;
      to: number;
      leftUp: { at: number; state: string; diag: number }[];
    }
  >();
  #packet: { at: number; key: string; hex: string } | undefined;

  /** Feeds a chunk of tcpdump's output (lines may be split across chunks). */
  readonly feed = lineReader((line) => this.line(line));

  /** One line of tcpdump's output; what is neither a packet nor its bytes is skipped. */
  line(line: string): void {
    const hex = /^\s+0x[0-9a-f]+:\s+((?:[0-9a-f]{2,4} ?)+)/.exec(line);
    if (hex !== null) {
      if (this.#packet !== undefined) this.#packet.hex += (hex[1] as string).replace(/ /g, '');
      return;
    }
    const m = /^(\d{9,}\.\d+) IP6? ([0-9a-f.:]+)\.\d+ > ([0-9a-f.:]+)\.\d+: /.exec(line);
    if (m === null) return;
    this.#flush();
    this.#packet = { at: Number(m[1]) * 1000, key: `${m[2]} > ${m[3]}`, hex: '' };
  }

  #flush(): void {
    const p = this.#packet;
    this.#packet = undefined;
    if (p === undefined) return;
    const byte = (i: number) => Number.parseInt(p.hex.slice(2 * i, 2 * i + 2), 16);
    const v6 = p.hex.startsWith('6');
    const bfd = v6 ? 48 : (byte(0) & 0x0f) * 4 + 8;
    const flags = byte(bfd + 1);
    const state = Number.isNaN(flags) ? 'unknown' : (STATES[flags >> 6] as string);
    const up = state === 'Up';
    const s = this.#dirs.get(p.key);
    if (s === undefined) {
      this.#dirs.set(p.key, {
        at: p.at,
        up,
        packets: 1,
        upPackets: up ? 1 : 0,
        longest: 0,
        from: p.at,
        to: p.at,
        leftUp: [],
      });
      return;
    }
    const gap = p.at - s.at;
    if (s.up && gap > s.longest) Object.assign(s, { longest: gap, from: s.at, to: p.at });
    if (s.up && !up && s.leftUp.length < MAX_LEFT_UP)
      s.leftUp.push({ at: p.at, state, diag: byte(bfd) & 0x1f });
    s.at = p.at;
    s.up = up;
    s.packets++;
    if (up) s.upPackets++;
  }

  /** Every direction seen, longest silence first; `end` (epoch ms) closes a silence still running. */
  silences(end: number): Silence[] {
    this.#flush();
    return [...this.#dirs]
      .map(([key, s]) => {
        const open = s.up ? end - s.at : 0;
        const base = { key, packets: s.packets, upPackets: s.upPackets, leftUp: [...s.leftUp] };
        return open > s.longest
          ? { ...base, longestMs: open, from: s.at, to: end }
          : { ...base, longestMs: s.longest, from: s.from, to: s.to };
      })
      .sort((a, b) => b.longestMs - a.longestMs);
  }
}

/** What one task went through: the largest wait for a CPU within one sample, and when. */
interface SchedulerView {
  /** `tor1 bfdd`, `node-21 speaker`, … */
  readonly name: string;
  readonly samples: number;
  /** The longest interval between two samples (this process's own lateness bounds what it saw). */
  readonly longestSampleMs: number;
  readonly maxWaitMs: number;
  readonly maxWaitAt: number;
  /** Samples that found the task in uninterruptible sleep (D: waiting for I/O). */
  readonly blocked: number;
}

const SAMPLE_MS = 100;

/**
 * A process whose main thread's waits for a CPU the watch samples (/proc/PID/schedstat): for a
 * Node program the thread that runs its JavaScript (our speaker's BFD timers too), for a Go
 * program only one of the threads its goroutines run on.
 */
export interface WatchedTask {
  readonly name: string;
  readonly pid: number | undefined;
}

export interface BfdWatchResult {
  readonly at: number;
  /** Per ToR, longest first. */
  readonly silences: readonly (readonly Silence[])[];
  /** Per ToR: what tcpdump reported as dropped by the kernel (NaN if it said nothing). */
  readonly dropped: readonly number[];
  /** Per watched task, in the order given. */
  readonly views: readonly SchedulerView[];
}

/** tcpdump of BFD at each ToR plus the watched tasks' scheduler samples, from start() to stop(). */
export class BfdWatch {
  readonly #dumps: Proc[];
  readonly #counters: SilenceCounter[];
  readonly #tasks: readonly WatchedTask[];
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

  private constructor(dumps: Proc[], counters: SilenceCounter[], tasks: readonly WatchedTask[]) {
    this.#dumps = dumps;
    this.#counters = counters;
    this.#tasks = tasks;
    this.#views = tasks.map(() => ({ samples: 0, longest: 0, maxWait: 0, maxWaitAt: 0, blocked: 0 }));
    this.#last = tasks.map(() => undefined);
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), SAMPLE_MS);
  }

  /**
   * Starts tcpdump on each ToR's `eth0` (its segment with the nodes) and the scheduler samples of
   * `tasks` (name them `tor1 bfdd`, `tor2 bfdd`, … for describeBfdWatch to put them on their ToR's line).
   */
  static async start(torNs: readonly Namespace[], tasks: readonly WatchedTask[]): Promise<BfdWatch> {
    const counters = torNs.map(() => new SilenceCounter());
    const dumps = torNs.map((ns, i) =>
      ns.spawn(['tcpdump', '-i', 'eth0', '-n', '-tt', '-l', '-x', '--immediate-mode', 'udp port 3784'], {
        name: 'tcpdump-bfd',
        onStdout: (chunk) => counters[i]?.feed(chunk),
      }),
    );
    const w = new BfdWatch(dumps, counters, tasks);
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
    for (const [i, { pid }] of this.#tasks.entries()) {
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
      views: this.#views.map((v, i) => ({
        name: this.#tasks[i]?.name ?? '?',
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
 * any node, and its bfdd's largest wait for a CPU; then the other tasks' (the speakers'). With
 * `every`, each direction's longest silence, when it began and where it left Up (ms after `since`).
 * `names` maps addresses to names (10.0.0.21 → node-21).
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
  const waited = (v: SchedulerView) =>
    v.samples === 0
      ? 'not sampled'
      : `${ms(v.maxWaitMs)}${Math.round(v.maxWaitMs) > 0 ? ` (at +${ms(v.maxWaitAt - since)})` : ''}${v.blocked === 0 ? '' : `, in I/O wait (D) in ${v.blocked} samples`}`;
  const views = new Map(seen.views.map((v) => [v.name, v]));
  for (const [i, silences] of seen.silences.entries()) {
    const tor = `tor${i + 1}`;
    const own = torAddrs[i];
    const up = silences.filter((s) => s.upPackets > 0);
    const rx = up.filter((s) => !s.key.startsWith(`${own} `));
    const tx = up.filter((s) => s.key.startsWith(`${own} `));
    const peer = (s: Silence, j: 0 | 1) => name(s.key.split(' > ')[j] as string);
    const v = views.get(`${tor} bfdd`);
    let sched = `bfdd waited for a CPU at most ${v === undefined ? 'not sampled' : waited(v)}`;
    if (up.length === 0) {
      out.push(
        `    ${tor}: no BFD session Up (${silences.reduce((a, s) => a + s.packets, 0)} packets on eth0, none in state Up); ${sched}`,
      );
      continue;
    }
    const lost = seen.dropped[i] ?? Number.NaN;
    if (lost > 0) sched += `; tcpdump lost ${lost} packets (a silence may be its own)`;
    const r = rx[0];
    const t = tx[0];
    out.push(
      `    ${tor}: longest silence after an Up packet, from a node ${r === undefined ? '-' : `${ms(r.longestMs)} (${peer(r, 0)})`}, to a node ${t === undefined ? '-' : `${ms(t.longestMs)} (${peer(t, 1)})`}; ${sched}`,
    );
    if (every)
      for (const s of silences)
        out.push(
          `      ${peer(s, 0)} → ${peer(s, 1)}: ${s.packets} packets, longest silence after Up ${ms(s.longestMs)} from +${ms(s.from - since)}${s.leftUp.map((l) => `; left Up at +${ms(l.at - since)} (${l.state}, diagnostic ${l.diag})`).join('')}`,
        );
  }
  const others = seen.views.filter((v) => !/^tor\d+ bfdd$/.test(v.name));
  if (others.length > 0)
    out.push(`    waited for a CPU at most: ${others.map((v) => `${v.name} ${waited(v)}`).join(', ')}`);
  const v0 = seen.views[0];
  if (v0 !== undefined && v0.samples > 0)
    out.push(
      `    (sampled every ${SAMPLE_MS} ms: ${v0.samples} samples, at most ${ms(v0.longestSampleMs)} apart, this process being late as well)`,
    );
  return out;
}
