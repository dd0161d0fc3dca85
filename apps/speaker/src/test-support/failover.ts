// The failover drill, measured from events rather than by polling:
// - the cut: the kernel's own report of the node's eth0 going down (`ip -ts monitor link` in the
//   node's namespace), or, for a signal, the wall clock just before kill();
// - each ToR's forwarding: `ip -ts monitor route nexthop` in the ToR's namespace, started before the
//   cut, following the prefix through zebra's kernel nexthop groups (netlab's FibWatch): the moment
//   the node's address stops being a next hop of the prefix in the kernel FIB, stamped by ip;
// - what happened in between on the ToR, from its daemons' logs (millisecond timestamps, same wall
//   clock): bfdd declaring the session down, bgpd taking the session down, bgpd handing the
//   prefix's new route to zebra, zebra writing it to the kernel;
// - then one vtysh read per ToR to confirm FRR's RIB agrees with the kernel.
import fs from 'node:fs';
import os from 'node:os';
import {
  FibWatch,
  type FrrInstance,
  type FrrLogEntry,
  linkDown,
  type MonitorMessage,
  type Namespace,
  NetlinkMonitor,
  type Proc,
  waitFor,
} from '@bmlb/netlab';
import type { SpeakerNode, Topology } from './topology.ts';

/** How the node goes away. */
export type Failure = 'cut' | 'sigkill' | 'sigterm';

/** One ToR's view of one failure: wall-clock ms (epoch) of each step, undefined when not seen. */
export interface TorTimeline {
  readonly tor: string;
  /** bfdd declared the BFD session with the node down (bfdd log, `debug bfd peer`). */
  readonly bfdDown: number | undefined;
  /** The last BFD control packet from the node that reached the ToR's eth0 (tcpdump's kernel stamp). */
  readonly lastBfdRx: number | undefined;
  /** bgpd heard of it from zebra (`debug bgp bfd`). */
  readonly bgpBfd: number | undefined;
  /** bgpd took the BGP session down (`%ADJCHANGE … Down`, always logged), and why. */
  readonly bgpDown: number | undefined;
  readonly bgpDownReason: string | undefined;
  /** bgpd sent zebra the prefix's route without the node (`Tx route add|delete`, `debug bgp zebra`). */
  readonly zebraTx: number | undefined;
  /** zebra encoded the kernel update for the prefix (`RTM_NEWROUTE|RTM_DELROUTE`, `debug zebra kernel`). */
  readonly netlinkTx: number | undefined;
  /** The kernel reported the prefix without the node's next hop (ip's stamp). */
  readonly fib: number | undefined;
  /** When the test process read that report. */
  readonly fibReceived: number | undefined;
  /** The kernel message itself. */
  readonly fibMessage: string | undefined;
  /** FRR's RIB (one `show ip route json` afterwards) no longer lists the node. */
  readonly ribAgrees: boolean;
}

export interface FailureMeasurement {
  readonly failure: Failure;
  readonly node: string;
  readonly hop: string;
  readonly prefix: string;
  /** The moment of the failure (wall-clock ms): the kernel's link-down report, or just before kill(). */
  readonly t0: number;
  /** Cut only: ms from just before spawning `ip link set eth0 down` until the kernel reported it. */
  readonly cutLagMs: number | undefined;
  readonly tors: readonly TorTimeline[];
  /** `uptime`'s 1-minute load average when the measurement ended. */
  readonly load1: number;
}

/** ms from t0 until the next hop left every ToR's FIB; undefined if it did not leave one of them. */
export function removalMs(m: FailureMeasurement): number | undefined {
  if (m.tors.some((t) => t.fib === undefined)) return undefined;
  return Math.max(...m.tors.map((t) => (t.fib as number) - m.t0));
}

/**
 * When the ToR's BFD declared the node down: the earlier of bfdd's state-change line and bgpd's
 * receipt of it. (bfdd tells zebra before it logs the change, so on a busy machine bgpd's line can
 * come first by a few ms: the detection happened before both.)
 */
export function bfdDetected(t: TorTimeline): number | undefined {
  return earliest(t.bfdDown, t.bgpBfd);
}

/** When the ToR's control plane noticed: BFD down or the BGP session down, whichever came first. */
export function noticed(t: TorTimeline): number | undefined {
  return earliest(t.bfdDown, t.bgpBfd, t.bgpDown);
}

/** Whether BFD (not BGP itself) took the session down. */
export function bfdFirst(t: TorTimeline): boolean {
  const b = bfdDetected(t);
  return b !== undefined && (t.bgpDown === undefined || b <= t.bgpDown);
}

function earliest(...xs: (number | undefined)[]): number | undefined {
  const ys = xs.filter((x) => x !== undefined);
  return ys.length === 0 ? undefined : Math.min(...ys);
}

/** The debug knobs the timelines need, per daemon (turned on for the drill, off after). */
const DEBUGS = {
  bfdd: ['debug bfd peer'],
  bgpd: ['debug bgp bfd', 'debug bgp zebra'],
  zebra: ['debug zebra kernel'],
} as const;

/** Turns the drill's debug logging on (or off) in every ToR daemon that runs. */
export async function timingDebugs(topo: Topology, on: boolean): Promise<void> {
  for (const tor of topo.tors)
    for (const [d, cmds] of Object.entries(DEBUGS) as [keyof typeof DEBUGS, readonly string[]][])
      if (tor.daemons.includes(d))
        await tor.vtysh(
          cmds.map((c) => (on ? c : `no ${c}`)),
          d,
        );
}

/**
 * BFD control packets arriving on a ToR's eth0 (`tcpdump -tt`, kernel receive stamps): tells when
 * the node's last packet came in, so bfdd's detection can be checked against last packet + 900 ms.
 */
export class BfdCapture {
  readonly proc: Proc;
  #bySource = new Map<string, number[]>();
  #partial = '';

  private constructor(ns: Namespace) {
    this.proc = ns.spawn(['tcpdump', '-i', 'eth0', '-n', '-tt', '-l', '-Q', 'in', 'udp dst port 3784'], {
      name: 'tcpdump-bfd',
      onStdout: (d) => this.#data(d),
    });
  }

  static async start(ns: Namespace): Promise<BfdCapture> {
    const c = new BfdCapture(ns);
    await c.proc.waitForOutput(/listening on eth0/, { timeoutMs: 10_000 });
    return c;
  }

  #data(chunk: string): void {
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const l of lines) {
      // 1764106087.123456 IP 10.0.0.11.49152 > 10.0.0.1.3784: BFDv1, Control, …
      const m = /^(\d+\.\d+) IP6? (\S+)\.\d+ > /.exec(l);
      if (m === null) continue;
      const src = m[2] as string;
      let xs = this.#bySource.get(src);
      if (xs === undefined) {
        xs = [];
        this.#bySource.set(src, xs);
      }
      xs.push(Number(m[1]) * 1000);
    }
  }

  /** The last packet from `src` stamped before `before` (wall-clock ms). */
  lastFrom(src: string, before: number): number | undefined {
    const xs = this.#bySource.get(src) ?? [];
    for (let i = xs.length - 1; i >= 0; i--) if ((xs[i] as number) < before) return xs[i];
    return undefined;
  }

  stop(): Promise<unknown> {
    return this.proc.stop(1_000);
  }
}

/**
 * Kernel FIB watches of `prefix` on every ToR (and BFD packet captures on those running bfdd),
 * started now, before any failure. Stop them with `stop()`.
 */
export class FailoverProbe {
  readonly topo: Topology;
  readonly prefix: string;
  readonly watches: readonly FibWatch[];
  readonly captures: readonly (BfdCapture | undefined)[];
  #links = new Map<string, NetlinkMonitor>();

  private constructor(
    topo: Topology,
    prefix: string,
    watches: FibWatch[],
    captures: (BfdCapture | undefined)[],
  ) {
    this.topo = topo;
    this.prefix = prefix;
    this.watches = watches;
    this.captures = captures;
  }

  static async start(topo: Topology, prefix: string): Promise<FailoverProbe> {
    const watches = await Promise.all(topo.torNs.map((ns) => FibWatch.start(ns, prefix)));
    const captures = await Promise.all(
      topo.torNs.map((ns, i) =>
        topo.tors[i]?.daemons.includes('bfdd') === true && tcpdumpInstalled()
          ? BfdCapture.start(ns)
          : undefined,
      ),
    );
    return new FailoverProbe(topo, prefix, watches, captures);
  }

  /** Waits until every ToR's kernel FIB forwards the prefix to exactly `hops`. */
  async waitFib(hops: readonly string[], timeoutMs = 20_000): Promise<void> {
    const want = [...hops].sort().join(',');
    for (const w of this.watches)
      await w.waitGateways((g) => (g ?? []).join(',') === want, {
        timeoutMs,
        what: `${w.monitor.ns.fullName}: ${this.prefix} via [${want}] in the kernel FIB`,
      });
  }

  /** Watches the node's links (for a cut): start it before the cut. */
  async watchLinks(node: SpeakerNode): Promise<NetlinkMonitor> {
    let m = this.#links.get(node.name);
    if (m === undefined || !m.proc.running) {
      m = await NetlinkMonitor.start(node.ns, ['link']);
      this.#links.set(node.name, m);
    }
    return m;
  }

  /**
   * Makes `node` fail as `failure` says and measures how each ToR took its next hop away:
   * `cut`: eth0 down, then SIGKILL (a hard node failure: nothing more leaves the node);
   * `sigkill`: SIGKILL only (the kernel still closes the TCP connection: FIN);
   * `sigterm`: the speaker shuts down gracefully (Cease 6/2).
   */
  async fail(node: SpeakerNode, failure: Failure, timeoutMs: number): Promise<FailureMeasurement> {
    const hop = node.addr;
    let t0: number;
    let cutLagMs: number | undefined;
    if (failure === 'cut') {
      const links = await this.watchLinks(node);
      const before = Date.now();
      const down = links.next((m) => linkDown(m, 'eth0'), {
        since: before - 1,
        timeoutMs: 5_000,
        what: `${node.name}: eth0 down`,
      });
      await node.ns.setDown('eth0');
      node.proc?.kill('SIGKILL');
      t0 = (await down).at;
      cutLagMs = t0 - before;
    } else {
      t0 = Date.now();
      node.proc?.kill(failure === 'sigkill' ? 'SIGKILL' : 'SIGTERM');
    }
    const fibs = await Promise.all(
      this.watches.map((w) =>
        w
          .until((g) => !(g ?? []).includes(hop), { since: t0, timeoutMs })
          .then(
            (m): MonitorMessage | undefined => m,
            () => undefined,
          ),
      ),
    );
    const tors: TorTimeline[] = [];
    for (const [i, tor] of this.topo.tors.entries()) {
      const fib = fibs[i];
      const logs = await this.#fromLogs(tor, hop, t0);
      tors.push({
        ...logs,
        lastBfdRx:
          failure === 'cut'
            ? this.captures[i]?.lastFrom(hop, logs.bfdDown ?? fib?.at ?? Number.POSITIVE_INFINITY)
            : undefined,
        tor: `tor${i + 1}`,
        fib: fib?.at,
        fibReceived: fib?.receivedAt,
        fibMessage: fib?.text,
        ribAgrees: !(await this.topo.nextHops(tor, this.prefix)).includes(hop),
      });
    }
    return {
      failure,
      node: node.name,
      hop,
      prefix: this.prefix,
      t0,
      cutLagMs,
      tors,
      load1: loadAverage(),
    };
  }

  /** The ToR's daemons' log lines about this failure (waits briefly for FRR to write them). */
  async #fromLogs(
    tor: FrrInstance,
    hop: string,
    t0: number,
  ): Promise<Omit<TorTimeline, 'tor' | 'fib' | 'fibReceived' | 'fibMessage' | 'ribAgrees' | 'lastBfdRx'>> {
    // FRR truncates to the millisecond: an event right after t0 can be stamped up to 1 ms before it.
    const after = (e: FrrLogEntry, t: number | undefined) => t !== undefined && e.at >= Math.floor(t) - 1;
    const esc = hop.replaceAll('.', '\\.').replaceAll(':', '\\:');
    const pfx = this.prefix.replaceAll('.', '\\.');
    const read = () => {
      const bfdd = tor.daemons.includes('bfdd') ? tor.logEntries('bfdd') : [];
      const bgpd = tor.logEntries('bgpd');
      const zebra = tor.logEntries('zebra');
      const bfdDown = bfdd.find(
        (e) =>
          after(e, t0) &&
          new RegExp(`state-change: \\[[^\\]]*peer:${esc} [^\\]]*\\] \\w+ -> down`).test(e.text),
      )?.at;
      const bgpBfd = bgpd.find(
        (e) =>
          after(e, t0) && new RegExp(`bfd_session_status_update: neighbor ${esc} .*-> Down`).test(e.text),
      )?.at;
      const down = bgpd.find(
        (e) =>
          after(e, t0) && new RegExp(`%ADJCHANGE: neighbor ${esc}(\\(.*?\\))? in vrf \\S+ Down`).test(e.text),
      );
      // The prefix's first change after the failure (the route without the node, or its deletion).
      const zebraTx = bgpd.find(
        (e) => after(e, t0) && new RegExp(`Tx route (add|delete) VRF \\d+ ${pfx}(\\s|$)`).test(e.text),
      )?.at;
      const netlinkTx = zebra.find(
        (e) =>
          after(e, zebraTx) &&
          new RegExp(`multipath_msg_encode: RTM_(NEWROUTE|DELROUTE) ${pfx}(\\s|$)`).test(e.text),
      )?.at;
      // A BFD session with the node that was up before the failure must end in a down line.
      const bfdWasUp = bfdd.some(
        (e) =>
          e.at < t0 && new RegExp(`state-change: \\[[^\\]]*peer:${esc} [^\\]]*\\] \\w+ -> up`).test(e.text),
      );
      return {
        bfdWasUp,
        bfdDown,
        bgpBfd,
        bgpDown: down?.at,
        bgpDownReason: down?.text.replace(/^.* Down /, ''),
        zebraTx,
        netlinkTx,
      };
    };
    // FRR writes its log lines through a per-thread buffer, and a busy machine may run bfdd late:
    // wait (bounded) until every line we expect is there.
    const { bfdWasUp: _, ...r } = await waitFor(
      () => {
        const x = read();
        return x.netlinkTx !== undefined && (!x.bfdWasUp || x.bfdDown !== undefined) ? x : undefined;
      },
      { timeoutMs: 3_000, intervalMs: 20, what: 'FRR log lines' },
    ).catch(() => read());
    return r;
  }

  async stop(): Promise<void> {
    await Promise.all([
      ...this.watches.map((w) => w.stop()),
      ...[...this.#links.values()].map((m) => m.stop()),
      ...this.captures.map((c) => c?.stop()),
    ]);
  }
}

function tcpdumpInstalled(): boolean {
  return ['/usr/bin/tcpdump', '/usr/sbin/tcpdump'].some((p) => fs.existsSync(p));
}

export function loadAverage(): number {
  return os.loadavg()[0] ?? Number.NaN;
}

export interface DrillResult {
  /** SIGKILL alone, on the node without BFD (the kernel still sends FIN). */
  readonly sigkill: FailureMeasurement;
  /** Link cut, then SIGKILL, on a node with BFD (300 ms × 3) to both ToRs. */
  readonly hardBfd: FailureMeasurement;
  /** The same on the node without BFD: the ToRs wait for the hold time. */
  readonly hardNoBfd: FailureMeasurement;
  /** SIGTERM: our Cease 6/2 with an RFC 9003 message. */
  readonly sigterm: FailureMeasurement;
  readonly sigtermExitCode: number | null | undefined;
}

/** Waits until both ToRs run BFD with the node at its configured rate (300 ms), past the slow start. */
export async function waitBfdFast(topo: Topology, nodes: readonly SpeakerNode[]): Promise<void> {
  await waitFor(
    async () => {
      for (const tor of topo.tors) {
        const peers = await tor.bfdPeers();
        for (const n of nodes) {
          const p = peers.find((x) => x.peer === n.addr);
          // Before Up, and until its Poll Sequence ends, the node sends at 1 s (RFC 5880 §6.8.3):
          // a failure then would be detected on that slower rate.
          if (p?.status !== 'up' || p['remote-transmit-interval'] !== 300) return false;
        }
      }
      return true;
    },
    {
      timeoutMs: 20_000,
      intervalMs: 100,
      what: `BFD up at 300 ms on both ToRs with ${nodes.map((n) => n.name).join(', ')}`,
    },
  );
}

/**
 * The failover drill on `prefix` (announced by every node): `bfdNode` and `termNode` run BFD,
 * `plainNode` does not. Restarts `plainNode` once (after the plain SIGKILL). Leaves the three dead.
 */
export async function failoverDrill(
  topo: Topology,
  prefix: string,
  names: { bfdNode: string; plainNode: string; termNode: string },
  log: (line: string) => void = () => {},
): Promise<DrillResult> {
  const all = topo.nodes.map((n) => n.addr);
  await topo.waitNextHops(prefix, all);
  const plain = topo.node(names.plainNode);
  const bfd = topo.node(names.bfdNode);
  const term = topo.node(names.termNode);
  await waitBfdFast(topo, [bfd, term]);
  await timingDebugs(topo, true);
  const probe = await FailoverProbe.start(topo, prefix);
  try {
    await probe.waitFib(all);
    log(`SIGKILL ${plain.name} (its kernel still sends a FIN)…`);
    const sigkill = await probe.fail(plain, 'sigkill', 5_000);
    await topo.startSpeaker(plain);
    await topo.waitNextHops(prefix, all);
    await probe.waitFib(all);

    log(`hard failure of ${bfd.name} (link cut, then SIGKILL; BFD 300 ms × 3 with both ToRs)…`);
    await probe.watchLinks(bfd);
    const hardBfd = await probe.fail(bfd, 'cut', 5_000);

    log(`hard failure of ${plain.name} (no BFD: the ToRs wait for the hold time)…`);
    await probe.watchLinks(plain);
    const hardNoBfd = await probe.fail(plain, 'cut', 20_000);

    log(`SIGTERM ${term.name} (graceful: Cease 6/2 with a shutdown message)…`);
    const sigterm = await probe.fail(term, 'sigterm', 5_000);
    const exit = await term.proc?.exited;
    return { sigkill, hardBfd, hardNoBfd, sigterm, sigtermExitCode: exit?.code };
  } finally {
    await probe.stop();
    await timingDebugs(topo, false).catch(() => undefined);
  }
}

const ms = (x: number | undefined, from: number | undefined) =>
  x === undefined || from === undefined ? '?' : `${Math.round(x - from)}`;

/** One ToR's line: each step as ms since the previous one, and the total since t0. */
export function formatTimeline(m: FailureMeasurement, t: TorTimeline): string {
  const seen = noticed(t);
  const who = bfdFirst(t) ? 'BFD down' : `bgpd down (${t.bgpDownReason ?? '?'})`;
  const steps = bfdFirst(t)
    ? `bgpd +${ms(t.bgpDown, bfdDetected(t))}, to zebra +${ms(t.zebraTx, t.bgpDown)}, to kernel +${ms(t.netlinkTx, t.zebraTx)}, in FIB +${ms(t.fib, t.netlinkTx)}`
    : `to zebra +${ms(t.zebraTx, t.bgpDown)}, to kernel +${ms(t.netlinkTx, t.zebraTx)}, in FIB +${ms(t.fib, t.netlinkTx)}`;
  const total = t.fib === undefined ? 'NOT REMOVED' : `${((t.fib - m.t0) / 1000).toFixed(3)} s`;
  const last =
    t.lastBfdRx !== undefined && bfdFirst(t)
      ? ` [its last BFD packet came ${ms(m.t0, t.lastBfdRx)} ms before the cut, BFD down ${ms(bfdDetected(t), t.lastBfdRx)} ms after it]`
      : '';
  return `${t.tor}: ${total}  = ${who} ${ms(seen, m.t0)} ms, then ${ms(t.fib, seen)} ms in FRR (${steps})${last}${t.ribAgrees ? '' : '; RIB STILL LISTS IT'}`;
}

export function formatMeasurement(title: string, m: FailureMeasurement): string {
  const total = removalMs(m);
  const from =
    m.failure === 'cut'
      ? `from the kernel's link-down (${Math.round(m.cutLagMs ?? 0)} ms after spawning ip link set down)`
      : `from kill(${m.failure === 'sigkill' ? 'SIGKILL' : 'SIGTERM'})`;
  return [
    `  ${title}: ${total === undefined ? 'NOT REMOVED' : `${(total / 1000).toFixed(3)} s`} ${from}, load ${m.load1.toFixed(2)}`,
    ...m.tors.map((t) => `      ${formatTimeline(m, t)}`),
  ].join('\n');
}

export function formatDrill(r: DrillResult): string {
  return [
    formatMeasurement('hard node failure, BFD 300 ms x 3', r.hardBfd),
    formatMeasurement('hard node failure, no BFD (hold 9 s)', r.hardNoBfd),
    formatMeasurement('SIGKILL of the speaker (kernel FIN)', r.sigkill),
    formatMeasurement('SIGTERM of the speaker (Cease 6/2)', r.sigterm),
  ].join('\n');
}
