// When each of many host routes reached (or left) a state in a namespace's kernel FIB: one
// `ip -ts monitor route nexthop` (netlab's NetlinkMonitor) feeding a FibView, with each message
// checked against the prefixes it can have changed: a route message against its own destination, a
// nexthop message against the routes that use that nexthop object or a group holding it (zebra
// installs ECMP routes on nexthop groups and may change a group in place). For 10,000 Services'
// routes, where one FibWatch (one process) per prefix would not do.
import fs from 'node:fs';
import {
  closeOnExit,
  FibView,
  type MonitorMessage,
  type Namespace,
  NetlinkMonitor,
  WaitTimeoutError,
} from '@bmlb/netlab';

const ROUTE_TYPES = new Set([
  'unicast',
  'local',
  'broadcast',
  'multicast',
  'anycast',
  'blackhole',
  'unreachable',
]);

/** The object a monitor or dump line is about: a nexthop id, or a route's destination (and its nhid). */
function messageTarget(
  text: string,
): { nexthop: number; group: number[] } | { dst: string; nhid: number | undefined } | undefined {
  let words = (text.split('\n')[0] ?? '').trim().split(/\s+/);
  if (words[0] === 'Deleted') words = words.slice(1);
  if (words[0] === '[ROUTE]' || words[0] === '[NEXTHOP]') words = words.slice(1);
  if (words[0] === 'id' && /^\d+$/.test(words[1] ?? '')) {
    const gi = words.indexOf('group');
    const group = gi < 0 ? [] : (words[gi + 1] ?? '').split('/').map((m) => Number(m.split(',')[0]));
    return { nexthop: Number(words[1]), group };
  }
  if (words[0] !== undefined && ROUTE_TYPES.has(words[0])) words = words.slice(1);
  const dst = words[0];
  if (dst === undefined || !/^\d+\.\d+\.\d+\.\d+(\/\d+)?$|:/.test(dst)) return undefined;
  const ni = words.indexOf('nhid');
  return { dst: dst.replace(/\/(32|128)$/, ''), nhid: ni < 0 ? undefined : Number(words[ni + 1]) };
}

/**
 * What ip monitor asks for its netlink socket (SO_RCVBUF; the kernel doubles it, capped at twice
 * net.core.rmem_max): 64 MiB, room for about 80,000 route notifications (each takes about 830
 * bytes of it) that pile up while ip, or this process, is not scheduled. Measured: ip's default
 * (1 MiB, so 2 MiB) lost messages when 20,000 routes were installed at once; rmem_max's usual 4 MiB
 * (8 MiB, about 10,000 notifications) did not in the same test but would with a reader stalled
 * through the 10,000 Services' changes of the benchmark.
 */
const RECEIVE_BUFFER = 32 << 20;
const RMEM_MAX = '/proc/sys/net/core/rmem_max';

/** net.core.rmem_max as the trackers raised it (one host-wide setting; no namespace has its own). */
let raised: { original: number; value: number; users: number; untrack: () => void } | undefined;

/** What the trackers did to net.core.rmem_max, for the report: undefined if they left it alone. */
export function rmemMaxRaised(): { original: number; value: number } | undefined {
  return raised === undefined ? undefined : { original: raised.original, value: raised.value };
}

function restoreRmemMax(): void {
  const r = raised;
  if (r === undefined) return;
  raised = undefined;
  r.untrack();
  // Only if it is still what we wrote: someone else's later change is theirs to keep.
  if (readRmemMax() === r.value) fs.writeFileSync(RMEM_MAX, String(r.original));
}

function readRmemMax(): number | undefined {
  try {
    return Number(fs.readFileSync(RMEM_MAX, 'utf8').trim());
  } catch {
    return undefined;
  }
}

/**
 * Lets SO_RCVBUF reach RECEIVE_BUFFER while a tracker runs: raises net.core.rmem_max if it is
 * lower (as root; else ip gets what the cap allows, and overflows are counted and resynced), and
 * restores it when the last tracker stops, and at exit or on a signal (netlab's closeOnExit).
 * Returns the release.
 */
function holdRmemMax(): () => void {
  let released = false;
  const release = () => {
    if (released || raised === undefined) return;
    released = true;
    if (--raised.users === 0) restoreRmemMax();
  };
  if (raised !== undefined) {
    raised.users++;
    return release;
  }
  const original = readRmemMax();
  if (original === undefined || original >= RECEIVE_BUFFER) return () => undefined;
  try {
    fs.writeFileSync(RMEM_MAX, String(RECEIVE_BUFFER));
  } catch {
    return () => undefined;
  }
  raised = { original, value: RECEIVE_BUFFER, users: 1, untrack: () => undefined };
  raised.untrack = closeOnExit({ closeSync: restoreRmemMax });
  return release;
}

type Pred = (gateways: string[] | undefined) => boolean;

/** One destination's gateways from `at` (ip's stamp, epoch ms) on; undefined: no route. */
export interface FibChange {
  readonly at: number;
  readonly gateways: string[] | undefined;
}

/**
 * Every host route's history in a namespace's kernel FIB from its start: ask afterwards when each
 * destination (learnt later, e.g. a Service's IP) first satisfied a predicate after its own moment.
 */
export class FibTracker {
  readonly monitor: NetlinkMonitor;
  #view = new FibView();
  /** nexthop id → destinations whose route uses it (directly or through a group holding it). */
  #users = new Map<number, Set<string>>();
  #groups = new Map<number, number[]>();
  #history = new Map<string, FibChange[]>();

  /** Messages that came in while the FIB was being re-read (applied once it is). */
  #queued: MonitorMessage[] | undefined;
  #overflowsSeen = 0;
  #timer: ReturnType<typeof setInterval>;
  /** How often `ip monitor` lost messages (its socket's buffer overflowed) and the FIB was re-read. */
  resyncs = 0;

  #release: () => void;

  private constructor(monitor: NetlinkMonitor, release: () => void) {
    this.monitor = monitor;
    this.#release = release;
    this.#timer = setInterval(() => this.#housekeeping(), 250);
  }

  /** How many times `ip monitor` reported lost messages ("No buffer space available") so far. */
  get overflows(): number {
    return this.monitor.overflows;
  }

  /** ip monitor's netlink receive buffer as the kernel granted it (bytes), if known. */
  get receiveBuffer(): number | undefined {
    return this.monitor.receiveBuffer;
  }

  get view(): FibView {
    return this.#view;
  }

  static async start(ns: Namespace): Promise<FibTracker> {
    const release = holdRmemMax();
    const mon = await NetlinkMonitor.start(ns, ['route', 'nexthop'], { receiveBuffer: RECEIVE_BUFFER }).catch(
      (err: unknown) => {
        release();
        throw err;
      },
    );
    const t = new FibTracker(mon, release);
    t.#queued = [];
    mon.subscribe((m) => t.#apply(m));
    await t.#read();
    return t;
  }

  /**
   * Reads the FIB (at start, and whenever `ip monitor` lost messages): a new view from the dump,
   * every destination's state recorded as of the dump (so a change lost in an overflow is timed at
   * the re-read, later than it happened), then what came in meanwhile replayed in order.
   */
  async #read(): Promise<void> {
    this.#queued ??= [];
    const at = Date.now();
    const ns = this.monitor.ns;
    const nexthops = await ns.exec(['ip', 'nexthop', 'show']).catch(() => ''); // none without kernel nexthop support
    const routes = await ns.exec(['ip', '-4', 'route', 'show', 'table', 'main']);
    this.#view = new FibView();
    this.#view.load(nexthops);
    this.#view.load(routes);
    this.#users.clear();
    this.#groups.clear();
    const dsts = new Set<string>(this.#history.keys());
    for (const dump of [nexthops, routes])
      for (const line of dump.split('\n').filter((l) => l.trim() !== '' && !/^\s/.test(l)))
        for (const d of this.#index(line)) dsts.add(d);
    for (const d of dsts) this.#record(d, at);
    const queued = this.#queued;
    this.#queued = undefined;
    for (const m of queued) this.#apply(m);
  }

  /** Re-reads the FIB after `ip monitor` reported lost messages; drops netlab's copy of the messages. */
  #housekeeping(): void {
    // The tracker keeps its own history: the monitor's list of every message would only grow.
    this.monitor.messages.length = 0;
    const overflows = this.monitor.overflows;
    if (overflows > this.#overflowsSeen && this.#queued === undefined) {
      this.#overflowsSeen = overflows;
      this.resyncs++;
      void this.#read().catch(() => undefined);
    }
  }

  /** Updates the nexthop → route index; returns the destinations the message may have changed. */
  #index(text: string): Iterable<string> {
    const target = messageTarget(text);
    if (target === undefined) return [];
    if ('nexthop' in target) {
      if (target.group.length > 0) {
        this.#groups.set(target.nexthop, target.group);
        for (const member of target.group) this.#use(member, this.#users.get(target.nexthop) ?? []);
      }
      return this.#users.get(target.nexthop) ?? [];
    }
    if (target.nhid !== undefined) {
      this.#use(target.nhid, [target.dst]);
      for (const member of this.#groups.get(target.nhid) ?? []) this.#use(member, [target.dst]);
    }
    return [target.dst];
  }

  #use(id: number, dsts: Iterable<string>): void {
    let s = this.#users.get(id);
    if (s === undefined) {
      s = new Set();
      this.#users.set(id, s);
    }
    for (const d of dsts) s.add(d);
  }

  /** Appends the destination's gateways now, if they changed. */
  #record(dst: string, at: number): void {
    const gateways = this.#view.gateways(dst);
    let h = this.#history.get(dst);
    if (h === undefined) {
      h = [];
      this.#history.set(dst, h);
    }
    const last = h.at(-1);
    const key = (g: string[] | undefined) => (g === undefined ? '-' : g.join(','));
    if (last === undefined || key(last.gateways) !== key(gateways)) h.push({ at, gateways });
  }

  #apply(m: MonitorMessage): void {
    if (this.#queued !== undefined) {
      this.#queued.push(m);
      return;
    }
    if (!this.#view.apply(m.text)) return;
    for (const dst of this.#index(m.text)) this.#record(dst, m.at);
  }

  /** The destination's gateway changes so far. */
  history(dst: string): readonly FibChange[] {
    return this.#history.get(dst.replace(/\/(32|128)$/, '')) ?? [];
  }

  /** When `pred` first held for `dst` at or after `since` (`since` itself if it held then), or undefined. */
  first(dst: string, pred: Pred, since: number): number | undefined {
    const h = this.history(dst);
    let i = 0;
    while (i < h.length && (h[i] as FibChange).at < since) i++;
    // The state at `since`: the last change before it (none: no route).
    if (pred(i === 0 ? undefined : (h[i - 1] as FibChange).gateways)) return since;
    for (; i < h.length; i++) if (pred((h[i] as FibChange).gateways)) return (h[i] as FibChange).at;
    return undefined;
  }

  /**
   * Resolves with, per destination, when `pred` first held at or after its own `since` (see
   * `first`), once that is known for all of them (checked every 100 ms: the times come from the
   * history, so the check's rate does not change them).
   */
  async when(
    targets: readonly { dst: string; since: number }[],
    pred: Pred,
    timeoutMs: number,
  ): Promise<number[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const xs = targets.map((t) => this.first(t.dst, pred, t.since));
      if (xs.every((x) => x !== undefined)) return xs as number[];
      if (Date.now() > deadline) {
        const missing = targets.filter((_, i) => xs[i] === undefined).map((t) => t.dst);
        throw new WaitTimeoutError(
          `${missing.length} of ${targets.length} routes in ${this.monitor.ns.fullName}'s FIB`,
          timeoutMs,
          missing.slice(0, 3).map((d) => `${d}: [${(this.view.gateways(d) ?? []).join(', ')}]`),
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    try {
      await this.monitor.stop();
    } finally {
      this.#release();
    }
  }
}
