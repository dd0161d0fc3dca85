// Where a drain's time goes, step by step, on one wall clock: the EndpointSlice changes (the lab's
// own watch), node-21's speaker's log, its BGP UPDATE on the wire (tcpdump in each ToR's
// namespace), bgpd's and zebra's debug logs (FRR's millisecond timestamps) and the kernel FIB (ip
// monitor's stamp). The same for either implementation: nothing here asks the speaker anything.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FrrInstance, Namespace, Proc } from '@bmlb/netlab';

/** One stamped step (`at`: epoch ms). */
export interface TraceStep {
  readonly at: number;
  readonly where: string;
  readonly what: string;
}

/** A BGP UPDATE from the node, as tcpdump at a ToR saw it (its first line's stamp, µs). */
export interface WireUpdate {
  readonly at: number;
  /** The sender's address (tcpdump's `A.B.C.D.port > …` line). */
  readonly from: string | undefined;
  /** The decoded message (tcpdump -v) from its type on, e.g. `Update Message (2), length: 23 Withdrawn routes: 203.0.113.5/32`. */
  readonly text: string;
}

const BGPD_DEBUGS = ['debug bgp updates in', 'debug bgp zebra'];
const ZEBRA_DEBUGS = ['debug zebra rib', 'debug zebra kernel'];

/** Splits `tcpdump -tt -v` output into packets (a packet starts with its epoch stamp) and keeps the BGP UPDATEs. */
export function parseTcpdumpUpdates(text: string): WireUpdate[] {
  const out: WireUpdate[] = [];
  let cur: { at: number; lines: string[] } | undefined;
  const done = () => {
    const i = cur?.lines.findIndex((l) => /Update Message \(2\)/.test(l)) ?? -1;
    if (cur !== undefined && i >= 0)
      out.push({
        at: cur.at,
        from: cur.lines
          .map((l) => /^\s*(\d+\.\d+\.\d+\.\d+)\.\d+ > /.exec(l)?.[1])
          .find((x) => x !== undefined),
        text: cur.lines
          .slice(i)
          .map((l) => l.trim())
          .join(' '),
      });
  };
  for (const line of text.split('\n')) {
    const m = /^(\d{9,}\.\d+) /.exec(line);
    if (m !== null) {
      done();
      cur = { at: Number(m[1]) * 1000, lines: [] };
    } else if (cur !== undefined && line.trim() !== '') cur.lines.push(line);
  }
  done();
  return out;
}

/**
 * A speaker's log line's time, when it is stamped to the millisecond or better: pino's `time`
 * (epoch ms) or Go kit's `ts` (RFC 3339 with a fraction). Undefined otherwise, also for MetalLB's
 * speaker, whose `ts` has whole seconds only (time.RFC3339): such a line cannot be placed among
 * steps milliseconds apart.
 */
export function logLineTime(line: string): number | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const o = JSON.parse(line) as { time?: unknown; ts?: unknown };
    if (typeof o.time === 'number') return o.time;
    if (typeof o.ts === 'string' && /T\d\d:\d\d:\d\d\.\d{3}/.test(o.ts)) {
      const t = Date.parse(o.ts);
      // Date.parse keeps milliseconds only; the µs of `…T02:40:01.123456789Z` are dropped.
      return Number.isNaN(t) ? undefined : t;
    }
  } catch {
    // not JSON
  }
  return undefined;
}

export class DrainTrace {
  readonly #tors: readonly FrrInstance[];
  readonly #dumps: readonly Proc[];
  /**
   * This process's event-loop delay while the trace runs: kubectl's lines (the eviction, the
   * EndpointSlice watch) are stamped when this loop reads them, so their stamps are late by up to
   * that much. (The speakers' apiserver relay used to run in this loop too; it is a process of its
   * own now, see netlab's KubeControlPlane.exposeIn.)
   */
  readonly #loop: ReturnType<typeof monitorEventLoopDelay> = monitorEventLoopDelay({ resolution: 1 });

  private constructor(tors: readonly FrrInstance[], dumps: readonly Proc[]) {
    this.#tors = tors;
    this.#dumps = dumps;
    this.#loop.enable();
  }

  /** This process's event-loop delay so far (ms): the largest and the 99th percentile. */
  loopDelay(): { maxMs: number; p99Ms: number } {
    return { maxMs: this.#loop.max / 1e6, p99Ms: this.#loop.percentile(99) / 1e6 };
  }

  /**
   * Starts tcpdump at each ToR (the BGP it receives: from every node, not what it sends; `torAddrs`
   * are the ToRs' own) and turns on bgpd's UPDATE and zebra debugs (a drain changes one route: a
   * few lines each).
   */
  static async start(
    tors: readonly FrrInstance[],
    torNs: readonly Namespace[],
    torAddrs: readonly string[],
  ): Promise<DrainTrace> {
    const dumps = torNs.map((ns, i) =>
      ns.spawn(
        [
          'tcpdump',
          '-i',
          'eth0',
          '-n',
          '-tt',
          '-l',
          '-v',
          '-s',
          '0',
          `tcp port 179 and not src host ${torAddrs[i]}`,
        ],
        { name: 'tcpdump-bgp' },
      ),
    );
    const t = new DrainTrace(tors, dumps);
    try {
      await Promise.all(dumps.map((d) => d.waitForOutput(/listening on/, { timeoutMs: 10_000 })));
      for (const tor of tors) {
        await tor.vtysh(BGPD_DEBUGS, 'bgpd');
        await tor.vtysh(ZEBRA_DEBUGS, 'zebra');
      }
    } catch (err) {
      await t.stop();
      throw err;
    }
    return t;
  }

  /** Per ToR: the BGP UPDATEs it received so far (from any node). */
  updates(): WireUpdate[][] {
    return this.#dumps.map((d) => parseTcpdumpUpdates(d.stdout));
  }

  /** Per ToR: bgpd's log lines from `from` to `to` (e.g. what kept it busy before it read an UPDATE). */
  bgpdBetween(from: number, to: number): TraceStep[][] {
    return this.#tors.map((tor, i) =>
      tor
        .logEntries('bgpd')
        .filter((e) => e.at >= from && e.at < to)
        .map((e) => ({ at: e.at, where: `tor${i + 1} bgpd`, what: e.text })),
    );
  }

  /** Per ToR: bgpd's and zebra's log lines about `ip` stamped at or after `since`. */
  frrSteps(ip: string, since: number): TraceStep[][] {
    const mentions = new RegExp(`\\b${ip.replace(/\./g, '\\.')}(/32)?\\b`);
    return this.#tors.map((tor, i) =>
      (['bgpd', 'zebra'] as const).flatMap((d) =>
        tor
          .logEntries(d)
          .filter((e) => e.at >= since && mentions.test(e.text))
          .map((e) => ({ at: e.at, where: `tor${i + 1} ${d}`, what: e.text })),
      ),
    );
  }

  /** Stops tcpdump and turns the debugs off again. */
  async stop(): Promise<void> {
    this.#loop.disable();
    await Promise.all(this.#dumps.map((d) => d.stop(1_000)));
    for (const tor of this.#tors) {
      await tor.vtysh(
        BGPD_DEBUGS.map((c) => `no ${c}`),
        'bgpd',
      );
      await tor.vtysh(
        ZEBRA_DEBUGS.map((c) => `no ${c}`),
        'zebra',
      );
    }
  }
}
