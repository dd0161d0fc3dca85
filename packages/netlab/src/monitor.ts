// Event-driven observation of a namespace's kernel state: `ip -ts monitor OBJECTS` as a child
// process, its messages parsed with the kernel-side timestamp ip prints (wall clock, µs) and the
// moment this process read them; and a small model of the FIB (routes and nexthop objects) that
// those messages keep up to date, so a test can tell when a gateway stopped forwarding a prefix.
import fs from 'node:fs';
import type { Namespace } from './lab.ts';
import { lineReader, type Proc } from './proc.ts';
import { sleep, WaitTimeoutError, waitFor } from './wait.ts';

export type MonitorObject = 'link' | 'address' | 'route' | 'nexthop' | 'neigh' | 'rule' | 'netconf';

/** One netlink notification as `ip monitor` printed it. */
export interface MonitorMessage {
  /** The message without its timestamp: first line, then indented continuation lines. */
  readonly text: string;
  /** Wall-clock ms (epoch, with the µs fraction) stamped by `ip` when it read the notification. */
  readonly at: number;
  /** Wall-clock ms (performance.timeOrigin + performance.now(), sub-ms) when this process read it from ip's stdout. */
  readonly receivedAt: number;
}

const STAMP = /^\[(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{1,9})\] ?/;

/** Parses ip's `-ts` stamp (`[2026-11-25T21:37:10.506021]`, local time) to epoch ms; undefined if absent. */
export function parseIpStamp(line: string): { at: number; rest: string } | undefined {
  const m = STAMP.exec(line);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, frac] = m as unknown as string[];
  const base = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)).getTime();
  const f = frac as string;
  return { at: base + Number(f) / 10 ** (f.length - 3), rest: line.slice(m[0].length) };
}

/**
 * Splits `ip -ts monitor` output into messages: a message starts with a `[timestamp]` line and
 * goes on with indented lines. Feed chunks as they arrive; `flush()` returns the one still open.
 */
export class MonitorParser {
  #open: { at: number; lines: string[]; receivedAt: number } | undefined;
  /** The messages the current chunk completes, and when it came. */
  #done: MonitorMessage[] = [];
  #receivedAt = 0;
  readonly #read = lineReader((line) => {
    const stamp = parseIpStamp(line);
    if (stamp !== undefined) {
      const done = this.flush();
      if (done !== undefined) this.#done.push(done);
      this.#open = { at: stamp.at, lines: [stamp.rest.trimEnd()], receivedAt: this.#receivedAt };
    } else if (this.#open !== undefined && line.trim() !== '') this.#open.lines.push(line.trimEnd());
    // Lines before the first stamp (none with -ts) are dropped.
  });

  /** Returns the messages completed by this chunk (the last one stays open until `flush`). */
  push(chunk: string, receivedAt: number): MonitorMessage[] {
    this.#done = [];
    this.#receivedAt = receivedAt;
    this.#read(chunk);
    return this.#done;
  }

  flush(): MonitorMessage | undefined {
    const o = this.#open;
    this.#open = undefined;
    return o === undefined ? undefined : { text: o.lines.join('\n'), at: o.at, receivedAt: o.receivedAt };
  }
}

interface NexthopObject {
  gateway?: string;
  group?: number[];
}
interface RouteEntry {
  nhid?: number;
  gateways: string[];
}

const ROUTE_TYPES = new Set([
  'unicast',
  'local',
  'broadcast',
  'multicast',
  'anycast',
  'blackhole',
  'unreachable',
  'prohibit',
  'throw',
  'nat',
]);

// A route's destination (a link message starts `2: eth0…`, which must not match).
const ROUTE_DST = /^(default|\d+\.\d+\.\d+\.\d+(\/\d+)?|(?=[^/]*:[^/]*:)[0-9a-fA-F:.]+(\/\d+)?)$/;

/** `203.0.113.10/32` and `203.0.113.10` name the same host route (ip prints the latter). */
function normDst(dst: string): string {
  return dst.replace(/\/(32|128)$/, '');
}

/**
 * The part of a namespace's FIB that `ip route` and `ip nexthop` print: routes (per table) with
 * their gateways, and nexthop objects (single gateways and groups), kept current by feeding
 * `ip monitor route nexthop` messages. Answers which gateways forward a prefix right now, also
 * when the route points at a nexthop group (`nhid N`, as zebra installs them) that changed alone.
 */
export class FibView {
  #nexthops = new Map<number, NexthopObject>();
  #routes = new Map<string, RouteEntry>();

  /** Loads a dump (`ip route show …`, `ip nexthop show`): one message per unindented line. */
  load(dump: string): void {
    let cur: string[] = [];
    for (const line of dump.split('\n')) {
      if (line.trim() === '') continue;
      if (/^\s/.test(line)) cur.push(line);
      else {
        if (cur.length > 0) this.apply(cur.join('\n'));
        cur = [line];
      }
    }
    if (cur.length > 0) this.apply(cur.join('\n'));
  }

  /** Applies one message (route or nexthop; others are ignored). Returns whether it was one of those. */
  apply(text: string): boolean {
    const [first = '', ...more] = text.split('\n');
    let words = first.trim().split(/\s+/);
    const deleted = words[0] === 'Deleted';
    if (deleted) words = words.slice(1);
    if (words[0] === '[ROUTE]' || words[0] === '[NEXTHOP]') words = words.slice(1);
    if (words[0] === 'id' && words[1] !== undefined && /^\d+$/.test(words[1])) {
      const id = Number(words[1]);
      if (deleted) {
        this.#nexthops.delete(id);
        return true;
      }
      const nh: NexthopObject = {};
      const gi = words.indexOf('group');
      if (gi >= 0) nh.group = (words[gi + 1] ?? '').split('/').map((m) => Number(m.split(',')[0]));
      const vi = words.indexOf('via');
      if (vi >= 0 && words[vi + 1] !== undefined) nh.gateway = words[vi + 1] as string;
      this.#nexthops.set(id, nh);
      return true;
    }
    if (words[0] !== undefined && ROUTE_TYPES.has(words[0])) words = words.slice(1);
    const dst = words[0];
    if (dst === undefined || !ROUTE_DST.test(dst)) return false;
    const ti = words.indexOf('table');
    const key = `${ti >= 0 ? words[ti + 1] : 'main'} ${normDst(dst)}`;
    if (deleted) {
      this.#routes.delete(key);
      return true;
    }
    const entry: RouteEntry = { gateways: [] };
    const ni = words.indexOf('nhid');
    if (ni >= 0) entry.nhid = Number(words[ni + 1]);
    const vi = words.indexOf('via');
    if (vi >= 0) entry.gateways.push(viaAddr(words, vi));
    for (const l of more) {
      const w = l.trim().split(/\s+/);
      if (w[0] === 'nexthop') {
        const i = w.indexOf('via');
        if (i >= 0) entry.gateways.push(viaAddr(w, i));
      }
    }
    this.#routes.set(key, entry);
    return true;
  }

  /** The gateways forwarding `dst` in `table` (sorted), or undefined when there is no such route. */
  gateways(dst: string, table = 'main'): string[] | undefined {
    const r = this.#routes.get(`${table} ${normDst(dst)}`);
    if (r === undefined) return undefined;
    const nh = r.nhid === undefined ? undefined : this.#nexthops.get(r.nhid);
    let gws = r.gateways;
    if (nh !== undefined) {
      if (nh.group !== undefined)
        gws = nh.group.flatMap((m) => {
          const g = this.#nexthops.get(m)?.gateway;
          return g === undefined ? [] : [g];
        });
      else if (nh.gateway !== undefined) gws = [nh.gateway];
    }
    return [...gws].sort();
  }
}

function viaAddr(words: readonly string[], i: number): string {
  // `via 10.0.0.1` or `via inet6 fe80::1` (an IPv4 route over an IPv6 next hop).
  const a = words[i + 1] ?? '';
  return a === 'inet' || a === 'inet6' ? (words[i + 2] ?? '') : a;
}

/** Whether a process has a NETLINK_ROUTE socket subscribed to some multicast group (ip monitor is listening). */
function subscribed(pid: number): boolean {
  let inodes: Set<string>;
  try {
    inodes = new Set(
      fs
        .readdirSync(`/proc/${pid}/fd`)
        .map((fd) => {
          try {
            return /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
          } catch {
            return undefined;
          }
        })
        .filter((x): x is string => x !== undefined),
    );
    // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
    return fs
      .readFileSync(`/proc/${pid}/net/netlink`, 'utf8')
      .split('\n')
      .slice(1)
      .some((l) => {
        const f = l.trim().split(/\s+/);
        return (
          f[1] === '0' && f[3] !== undefined && Number.parseInt(f[3], 16) !== 0 && inodes.has(f[9] ?? '')
        );
      });
  } catch {
    return false;
  }
}

/** The receive buffer (`rb`, bytes) of process `pid`'s NETLINK_ROUTE socket, as `ss` shows it. */
async function receiveBufferOf(ns: Namespace, pid: number): Promise<number | undefined> {
  const out = await ns.exec(['ss', '-f', 'netlink', '-a', '-m']).catch(() => '');
  // UNCONN 0 0 rtnl:ip/15698 *  skmem:(r0,rb6000000,t0,…): the local address names the PID.
  const re = new RegExp(`\\brtnl:[^\\s/]+/${pid}\\s[\\s\\S]*?\\brb(\\d+)`);
  const m = re.exec(out);
  return m === null ? undefined : Number(m[1]);
}

export interface MonitorWaitOptions {
  timeoutMs?: number;
  what?: string;
  /** Only messages stamped at or after this wall-clock ms count (default: all received so far). */
  since?: number;
}

/**
 * `ip -ts monitor OBJECTS` running in a namespace. Every message is kept (`messages`), in order;
 * `next()` resolves as soon as a matching one arrives, without polling.
 */
export class NetlinkMonitor {
  readonly ns: Namespace;
  readonly objects: readonly MonitorObject[];
  readonly messages: MonitorMessage[] = [];
  readonly proc: Proc;
  #parser = new MonitorParser();
  #listeners = new Set<(m: MonitorMessage) => void>();
  #quiet: ReturnType<typeof setTimeout> | undefined;

  /**
   * The netlink socket's receive buffer as the kernel sized it (`ss`'s `rb`, bytes; the kernel
   * doubles what SO_RCVBUF asks for, capped at net.core.rmem_max), once started; undefined if `ss`
   * could not tell.
   */
  receiveBuffer: number | undefined;
  /**
   * How many times ip reported that the kernel dropped notifications for it (its socket's receive
   * buffer overflowed: "No buffer space available"); what changed meanwhile is not in `messages`.
   */
  overflows = 0;

  private constructor(ns: Namespace, objects: readonly MonitorObject[], receiveBuffer: number | undefined) {
    this.ns = ns;
    this.objects = objects;
    const rcvbuf = receiveBuffer === undefined ? [] : ['-rcvbuf', String(receiveBuffer)];
    this.proc = ns.spawn(['ip', '-ts', ...rcvbuf, 'monitor', ...objects], {
      name: `monitor-${objects.join('-')}`,
      onStdout: (chunk) => this.#data(chunk, performance.timeOrigin + performance.now()),
      onStderr: (chunk) => this.#stderr(chunk),
    });
  }

  /**
   * Starts the monitor and resolves once it is subscribed (nothing after this is missed).
   * `receiveBuffer` (bytes) is passed to `ip -rcvbuf` (SO_RCVBUF; ip's default is 1 MiB): room
   * for the notifications that pile up while ip or this process is busy, e.g. thousands of routes
   * changing at once. When the buffer overflows, ip prints "No buffer space available" and the
   * messages in between are lost. The size the kernel granted is in `receiveBuffer` afterwards.
   */
  static async start(
    ns: Namespace,
    objects: readonly MonitorObject[],
    opts: { timeoutMs?: number; receiveBuffer?: number } = {},
  ): Promise<NetlinkMonitor> {
    if (objects.length === 0) throw new RangeError('NetlinkMonitor: name at least one object');
    const rb = opts.receiveBuffer;
    if (rb !== undefined && !(Number.isInteger(rb) && rb > 0 && rb <= 0x7fffffff))
      throw new RangeError(
        `NetlinkMonitor: receiveBuffer must be a positive number of bytes below 2 GiB, not ${rb}`,
      );
    const m = new NetlinkMonitor(ns, objects, rb);
    await waitFor(
      () => {
        if (!m.proc.running) throw new Error(`ip monitor exited: ${m.proc.output().slice(-500)}`);
        return subscribed(m.proc.pid);
      },
      {
        timeoutMs: opts.timeoutMs ?? 5_000,
        intervalMs: 5,
        what: `ip monitor ${objects.join(' ')} in ${ns.fullName}`,
      },
    );
    // Groups beyond the first 32 (nexthop) are joined right after the bind that made it visible.
    await sleep(20);
    m.receiveBuffer = await receiveBufferOf(ns, m.proc.pid);
    return m;
  }

  #data(chunk: string, receivedAt: number): void {
    for (const msg of this.#parser.push(chunk, receivedAt)) this.#emit(msg);
    // ip flushes after each message: a quiet moment means the open message is complete.
    if (this.#quiet !== undefined) clearTimeout(this.#quiet);
    this.#quiet = setTimeout(() => {
      this.#quiet = undefined;
      const m = this.#parser.flush();
      if (m !== undefined) this.#emit(m);
    }, 2);
  }

  readonly #stderr = lineReader((line) => {
    if (line.includes('No buffer space available')) this.overflows++;
  });

  #emit(m: MonitorMessage): void {
    this.messages.push(m);
    for (const l of this.#listeners) l(m);
  }

  /** Calls `fn` with every message from now on; returns the unsubscribe function. */
  subscribe(fn: (m: MonitorMessage) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** The first message (already received or still to come) matching `match`, stamped at or after `since`. */
  next(match: (m: MonitorMessage) => boolean, opts: MonitorWaitOptions = {}): Promise<MonitorMessage> {
    const ok = (m: MonitorMessage) => (opts.since === undefined || m.at >= opts.since) && match(m);
    const have = this.messages.find(ok);
    if (have !== undefined) return Promise.resolve(have);
    const timeoutMs = opts.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(
          new WaitTimeoutError(
            opts.what ?? `a message from ip monitor ${this.objects.join(' ')}`,
            timeoutMs,
            this.messages.at(-1)?.text,
          ),
        );
      }, timeoutMs);
      const off = this.subscribe((m) => {
        if (!ok(m)) return;
        clearTimeout(timer);
        off();
        resolve(m);
      });
    });
  }

  /** Stops ip monitor (by PID). */
  async stop(): Promise<void> {
    if (this.#quiet !== undefined) clearTimeout(this.#quiet);
    const m = this.#parser.flush();
    if (m !== undefined) this.#emit(m);
    await this.proc.stop(1_000);
  }
}

/** Whether a `link` message reports interface `ifname` administratively down (no `UP` flag). */
export function linkDown(m: MonitorMessage, ifname: string): boolean {
  const x = /^(?:Deleted )?\d+: ([^:@\s]+)(?:@\S+)?: <([^>]*)>/.exec(m.text);
  return x !== null && x[1] === ifname && !(x[2] ?? '').split(',').includes('UP');
}

/**
 * Watches `dst` in a namespace's FIB from now on: a FibView loaded from a dump taken after the
 * monitor subscribed, then kept current by its messages. `until(pred)` resolves with the first
 * message after which the gateways satisfy `pred` (undefined gateways: no route).
 */
export class FibWatch {
  readonly monitor: NetlinkMonitor;
  readonly view = new FibView();
  readonly dst: string;
  readonly table: string;
  #changes: Array<{ m: MonitorMessage; gateways: string[] | undefined }> = [];
  #listeners = new Set<() => void>();

  private constructor(monitor: NetlinkMonitor, dst: string, table: string) {
    this.monitor = monitor;
    this.dst = dst;
    this.table = table;
  }

  static async start(ns: Namespace, dst: string, opts: { table?: string } = {}): Promise<FibWatch> {
    const mon = await NetlinkMonitor.start(ns, ['route', 'nexthop']);
    const w = new FibWatch(mon, dst, opts.table ?? 'main');
    const dumpStart = Date.now();
    w.view.load(await ns.exec(['ip', 'nexthop', 'show']).catch(() => '')); // none without kernel nexthop support
    w.view.load(await ns.exec(['ip', dst.includes(':') ? '-6' : '-4', 'route', 'show', 'table', w.table]));
    // What came in before the dump is in it; what came in since may be older or newer than the
    // dump, and replaying it in order ends in the current state either way.
    for (const m of mon.messages) if (m.receivedAt >= dumpStart) w.#apply(m);
    mon.subscribe((m) => w.#apply(m));
    return w;
  }

  #apply(m: MonitorMessage): void {
    if (!this.view.apply(m.text)) return;
    this.#changes.push({ m, gateways: this.view.gateways(this.dst, this.table) });
    for (const l of this.#listeners) l();
  }

  /** The gateways forwarding the prefix now (sorted), undefined when there is no route. */
  gateways(): string[] | undefined {
    return this.view.gateways(this.dst, this.table);
  }

  /**
   * The first route/nexthop message stamped at or after `since` after which `pred(gateways)` holds
   * (already seen or still to come).
   */
  until(
    pred: (gateways: string[] | undefined) => boolean,
    opts: MonitorWaitOptions = {},
  ): Promise<MonitorMessage> {
    return this.#when(
      () =>
        this.#changes.find((c) => (opts.since === undefined || c.m.at >= opts.since) && pred(c.gateways))?.m,
      opts,
    );
  }

  /** Resolves with the gateways once they satisfy `pred`: at once if they do now, else at the change that makes them. */
  async waitGateways(
    pred: (gateways: string[] | undefined) => boolean,
    opts: { timeoutMs?: number; what?: string } = {},
  ): Promise<string[] | undefined> {
    const g = await this.#when(() => {
      const now = this.gateways();
      return pred(now) ? { now } : undefined;
    }, opts);
    return g.now;
  }

  /** `probe()`'s first defined value: now, or after the change that gives one. */
  #when<T>(probe: () => T | undefined, opts: { timeoutMs?: number; what?: string }): Promise<T> {
    const have = probe();
    if (have !== undefined) return Promise.resolve(have);
    const timeoutMs = opts.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const off = () => this.#listeners.delete(check);
      const timer = setTimeout(() => {
        off();
        const what = opts.what ?? `${this.dst} in ${this.monitor.ns.fullName}'s FIB`;
        reject(new WaitTimeoutError(what, timeoutMs, this.gateways()));
      }, timeoutMs);
      const check = () => {
        const v = probe();
        if (v === undefined) return;
        clearTimeout(timer);
        off();
        resolve(v);
      };
      this.#listeners.add(check);
    });
  }

  stop(): Promise<void> {
    return this.monitor.stop();
  }
}
