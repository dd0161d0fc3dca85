import fs from 'node:fs';
import path from 'node:path';
import { run } from './exec.ts';
import type { Lab, Namespace } from './lab.ts';
import { taskState } from './proc.ts';
import { sleep, type WaitOptions, waitFor } from './wait.ts';

const FRR_SBIN = '/usr/lib/frr';
const FRR_RUN = '/var/run/frr';

export type FrrDaemon = 'zebra' | 'bgpd' | 'bfdd' | 'staticd' | 'ospfd' | 'ospf6d';

export interface FrrOptions {
  /**
   * FRR pathspace (`-N`): sockets and pid files go to /var/run/frr/NAME. Default: the namespace's
   * full name, which is unique to the lab.
   */
  name?: string;
  /**
   * The configuration (frr.conf syntax), read by every daemon with `-f`. Start it with
   * `frr defaults datacenter`; eBGP needs `no bgp ebgp-requires-policy` (or policies) to exchange routes.
   */
  config: string;
  /** Daemons to start, in this order after zebra (default `['zebra', 'bgpd']`). */
  daemons?: readonly FrrDaemon[];
  /** Extra command-line arguments per daemon (e.g. `{ bgpd: ['-p', '1179'] }`). */
  args?: Partial<Record<FrrDaemon, readonly string[]>>;
  /** How long to wait for every daemon to answer vtysh (default 15 s). */
  startTimeoutMs?: number;
  /**
   * Sub-second digits (1–6) in the daemons' log timestamps. FRR's `log timestamp precision` does
   * not apply to the `--log file:` target a daemon starts with, so once each daemon answers, its
   * log goes to the same file through a configured `log file` target with this precision instead
   * (and the startup target is cleared). Default: seconds only.
   */
  logTimestampPrecision?: number;
  /**
   * Daemons to run under SCHED_FIFO, priority 1, once started (`chrt`), e.g. `['bfdd']`: a lab's
   * router shares the host's CPUs with what it routes for, where a switch runs BFD on its own. On a
   * saturated 2-CPU host (a control plane creating 10,000 Services) FRR's bfdd at normal priority
   * waited up to 470 ms at a time for a CPU and sent nothing for 680 ms; a 300 ms x 3 session goes
   * down after 900 ms. bfdd needs little CPU (under 1 % there), so it cannot starve the host.
   */
  realtime?: readonly FrrDaemon[];
}

/** One line of an FRR daemon log. */
export interface FrrLogEntry {
  /** Wall-clock ms (epoch) of the timestamp (local time, as FRR writes it). */
  readonly at: number;
  /** Sub-second digits the timestamp had (0 when the log has whole seconds only). */
  readonly precision: number;
  /** `BGP`, `BFD`, `ZEBRA`, … */
  readonly tag: string;
  /** The message, without the `[XXXXX-XXXXX]` id and `[EC n]` prefixes. */
  readonly text: string;
}

const FRR_LOG_LINE =
  /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))? ([A-Z0-9_-]+): (?:\[[A-Z0-9]{5}-[A-Z0-9]{5}\])?(?:\[EC \d+\])? ?(.*)$/;

/** Parses an FRR log file's text (`2026/11/25 21:38:27.431 BGP: [XXXXX-XXXXX] text`); other lines are skipped. */
export function parseFrrLog(text: string): FrrLogEntry[] {
  const out: FrrLogEntry[] = [];
  for (const line of text.split('\n')) {
    const m = FRR_LOG_LINE.exec(line);
    if (m === null) continue;
    const [, y, mo, d, h, mi, s, frac, tag, msg] = m as unknown as string[];
    const base = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)).getTime();
    const f = frac ?? '';
    out.push({
      at: f === '' ? base : base + Number(f) / 10 ** (f.length - 3),
      precision: f.length,
      tag: tag as string,
      text: msg as string,
    });
  }
  return out;
}

/** `apt-get install frr` hint used in errors and skip messages. */
export const FRR_INSTALL_HINT = 'install FRR (Debian/Ubuntu: `apt-get install -y frr`)';

export function frrInstalled(): boolean {
  return (
    ['zebra', 'bgpd', 'bfdd'].every((d) => isExecutable(path.join(FRR_SBIN, d))) &&
    isExecutable('/usr/bin/vtysh')
  );
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let frrIds: { uid: number; gid: number } | undefined;
function frrUser(): { uid: number; gid: number } {
  if (frrIds) return frrIds;
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('frr:'));
  const f = line?.split(':');
  if (!f?.[2] || !f[3]) throw new Error(`netlab: no 'frr' user in /etc/passwd; ${FRR_INSTALL_HINT}`);
  frrIds = { uid: Number(f[2]), gid: Number(f[3]) };
  return frrIds;
}

/** Whether a PID is a live (non-zombie) process. */
export function pidAlive(pid: number): boolean {
  const state = taskState(pid);
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** One FRR instance (zebra plus protocol daemons) running in a namespace under its own pathspace. */
export class FrrInstance {
  readonly lab: Lab;
  readonly ns: Namespace;
  readonly name: string;
  readonly daemons: readonly FrrDaemon[];
  /** /var/run/frr/NAME: vty sockets and pid files. */
  readonly runDir: string;
  /** Config and logs, in the lab directory. */
  readonly confDir: string;
  readonly configFile: string;
  readonly pids = new Map<FrrDaemon, number>();
  #opts: FrrOptions;
  #stopped = false;

  constructor(lab: Lab, ns: Namespace, opts: FrrOptions) {
    this.lab = lab;
    this.ns = ns;
    this.#opts = opts;
    this.name = opts.name ?? ns.fullName;
    if (!/^[a-zA-Z0-9_.-]+$/.test(this.name))
      throw new RangeError(`netlab: bad FRR instance name ${this.name}`);
    const ds = opts.daemons ?? ['zebra', 'bgpd'];
    this.daemons = ds.includes('zebra') ? ['zebra', ...ds.filter((d) => d !== 'zebra')] : [...ds];
    const p = opts.logTimestampPrecision;
    if (p !== undefined && (!Number.isInteger(p) || p < 0 || p > 6))
      throw new RangeError(`netlab: logTimestampPrecision ${p} must be an integer 0–6`);
    this.runDir = path.join(FRR_RUN, this.name);
    this.confDir = path.join(lab.dir, `frr-${this.name}`);
    this.configFile = path.join(this.confDir, 'frr.conf');
  }

  /** @internal */
  async start(): Promise<void> {
    if (!frrInstalled()) throw new Error(`netlab: FRR not found in ${FRR_SBIN}; ${FRR_INSTALL_HINT}`);
    const { uid, gid } = frrUser();
    if (
      fs.existsSync(path.join(this.runDir, 'zebra.pid')) ||
      fs.existsSync(path.join(this.runDir, 'bgpd.pid'))
    ) {
      // A leftover of a crashed run with the same name: stop it so our daemons own the sockets.
      await this.#stopFromPidFiles();
    }
    fs.mkdirSync(FRR_RUN, { recursive: true });
    fs.mkdirSync(this.runDir, { recursive: true });
    fs.chownSync(this.runDir, uid, gid);
    fs.mkdirSync(this.confDir, { recursive: true, mode: 0o755 });
    fs.chownSync(this.confDir, uid, gid);
    fs.writeFileSync(this.configFile, this.#opts.config, { mode: 0o640 });
    fs.chownSync(this.configFile, uid, gid);
    fs.writeFileSync(path.join(this.confDir, 'vtysh.conf'), '', { mode: 0o644 });
    for (const d of this.daemons) {
      // Owned by FRR's user, so a daemon can reopen its log after dropping privileges (logTimestampPrecision).
      fs.writeFileSync(this.logFile(d), '', { flag: 'a', mode: 0o644 });
      fs.chownSync(this.logFile(d), uid, gid);
      const argv = [
        path.join(FRR_SBIN, d),
        '-d',
        '-N',
        this.name,
        '-f',
        this.configFile,
        '-P',
        '0', // no TCP vty: vtysh talks over the unix socket in runDir
        '--log',
        `file:${this.logFile(d)}`,
        ...(this.#opts.args?.[d] ?? []),
      ];
      try {
        await this.ns.exec(argv, { timeoutMs: 15_000 });
      } catch (err) {
        throw new Error(
          `netlab: FRR ${d} failed to start in ${this.ns.fullName}:\n${(err as Error).message}\n${this.logs(d)}`,
        );
      }
      const pid = await waitFor(() => this.#readPid(d), {
        timeoutMs: 5_000,
        intervalMs: 20,
        what: `${this.runDir}/${d}.pid`,
      });
      this.pids.set(d, pid);
      if (this.#opts.realtime?.includes(d) === true)
        await run(['chrt', '--all-tasks', '--fifo', '--pid', '1', String(pid)], { timeoutMs: 5_000 });
    }
    for (const d of this.daemons) {
      await waitFor(() => this.vtysh(['show version'], d).then(() => true), {
        timeoutMs: this.#opts.startTimeoutMs ?? 15_000,
        intervalMs: 50,
        what: `FRR ${d} (${this.name}) to answer vtysh`,
      });
    }
    const p = this.#opts.logTimestampPrecision;
    if (p !== undefined) {
      for (const d of this.daemons) {
        await this.vtysh(
          ['configure terminal', `log file ${this.logFile(d)}`, `log timestamp precision ${p}`],
          d,
        );
        await this.vtysh(['clear log cmdline-targets'], d);
      }
    }
    this.lab.log(
      `FRR ${this.name} up in ${this.ns.fullName}: ${[...this.pids].map(([d, p]) => `${d}=${p}`).join(' ')}`,
    );
  }

  #readPid(d: FrrDaemon): number | undefined {
    try {
      const pid = Number(fs.readFileSync(path.join(this.runDir, `${d}.pid`), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Run vtysh commands (several `-c`, in order, e.g. `['configure terminal', 'router bgp 65000', …]`)
   * against this instance, or only one daemon. Resolves with stdout; rejects when vtysh fails or
   * reports an unknown or incomplete command.
   */
  async vtysh(cmds: string | readonly string[], daemon?: FrrDaemon): Promise<string> {
    const list = typeof cmds === 'string' ? [cmds] : cmds;
    const argv = [
      'vtysh',
      '--vty_socket',
      this.runDir,
      '--config_dir',
      this.confDir,
      ...(daemon ? ['-d', daemon] : []),
      ...list.flatMap((c) => ['-c', c]),
    ];
    const { stdout } = await run(argv, { timeoutMs: 15_000 });
    const bad = /^% (Unknown command|Command incomplete|Ambiguous command|There is no matching)[^\n]*/m.exec(
      stdout,
    );
    if (bad) throw new Error(`vtysh (${this.name}): ${bad[0]} in ${JSON.stringify(list)}`);
    return stdout;
  }

  /** Run one `show … json` command and parse it. */
  async vtyshJson<T = unknown>(cmd: string): Promise<T> {
    const out = await this.vtysh(cmd);
    try {
      return JSON.parse(out) as T;
    } catch {
      throw new Error(`vtysh (${this.name}) ${JSON.stringify(cmd)}: not JSON: ${out.slice(0, 500)}`);
    }
  }

  /** Apply configuration lines (`configure terminal` first). */
  async configure(lines: readonly string[]): Promise<string> {
    return this.vtysh(['configure terminal', ...lines]);
  }

  /** `show bgp neighbors PEER json`'s entry for the peer (undefined if unknown). */
  async bgpNeighbor(peer: string): Promise<FrrBgpNeighbor | undefined> {
    const all = await this.vtyshJson<Record<string, FrrBgpNeighbor>>(`show bgp neighbors ${peer} json`);
    return all[peer];
  }

  /** Wait until the BGP session with `peer` is in `state` (default Established); returns the neighbor. */
  async waitForBgpState(
    peer: string,
    state = 'Established',
    opts: WaitOptions = {},
  ): Promise<FrrBgpNeighbor> {
    return waitFor(
      async () => {
        const n = await this.bgpNeighbor(peer);
        return n?.bgpState === state ? n : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: `${this.name}: BGP ${peer} ${state}`, ...opts },
    ).catch(async (err: unknown) => {
      throw new Error(
        `${(err as Error).message}\n${await this.vtysh(`show bgp neighbors ${peer}`).catch(() => '')}`,
      );
    });
  }

  /** `show bfd peers json`. */
  async bfdPeers(): Promise<Array<Record<string, unknown>>> {
    return this.vtyshJson(`show bfd peers json`);
  }

  /** `show ip route PREFIX json` (or `show ipv6 route` for v6) entries for the prefix. */
  async routes(prefix: string): Promise<Array<Record<string, unknown>>> {
    const v6 = prefix.includes(':');
    const all = await this.vtyshJson<Record<string, Array<Record<string, unknown>>>>(
      `show ${v6 ? 'ipv6' : 'ip'} route ${prefix} json`,
    );
    return all[prefix] ?? [];
  }

  /** Poll a predicate (see waitFor). */
  waitFor<T>(probe: () => T | Promise<T>, opts?: WaitOptions): Promise<NonNullable<T>> {
    return waitFor(probe, { what: `${this.name}: condition`, ...opts });
  }

  /** The path of a daemon's log file. */
  logFile(d: FrrDaemon): string {
    return path.join(this.confDir, `${d}.log`);
  }

  /** A daemon's log, parsed (see parseFrrLog); empty when there is none yet. */
  logEntries(d: FrrDaemon): FrrLogEntry[] {
    try {
      return parseFrrLog(fs.readFileSync(this.logFile(d), 'utf8'));
    } catch {
      return [];
    }
  }

  /** A daemon's log (or all of them), for failure messages. */
  logs(daemon?: FrrDaemon): string {
    return (daemon ? [daemon] : this.daemons)
      .map((d) => {
        try {
          return `--- ${d}.log ---\n${fs.readFileSync(path.join(this.confDir, `${d}.log`), 'utf8').slice(-8000)}`;
        } catch {
          return `--- ${d}.log: none ---`;
        }
      })
      .join('\n');
  }

  /** Kill one daemon at once (SIGKILL), e.g. to simulate a crash. */
  killDaemon(d: FrrDaemon, signal: NodeJS.Signals = 'SIGKILL'): void {
    const pid = this.pids.get(d) ?? this.#readPid(d);
    if (pid !== undefined && pidAlive(pid)) process.kill(pid, signal);
  }

  /** Stop every daemon by PID (SIGTERM, then SIGKILL after 3 s) and remove the run directory. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const d of this.daemons)
      if (!this.pids.has(d)) {
        const p = this.#readPid(d);
        if (p) this.pids.set(d, p);
      }
    const pids = [...this.pids.values()].reverse();
    for (const p of pids) if (pidAlive(p)) process.kill(p, 'SIGTERM');
    for (let i = 0; i < 60 && pids.some(pidAlive); i++) await sleep(50);
    for (const p of pids) if (pidAlive(p)) process.kill(p, 'SIGKILL');
    fs.rmSync(this.runDir, { recursive: true, force: true });
    this.lab.log(`FRR ${this.name} stopped`);
  }

  async #stopFromPidFiles(): Promise<void> {
    for (const d of ['zebra', 'bgpd', 'bfdd', 'staticd', 'ospfd', 'ospf6d'] as const) {
      const p = this.#readPid(d);
      if (p && pidAlive(p)) {
        process.kill(p, 'SIGKILL');
        await sleep(50);
      }
    }
    fs.rmSync(this.runDir, { recursive: true, force: true });
  }

  /** @internal */
  close(): Promise<void> {
    return this.stop();
  }

  /** @internal */
  closeSync(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const d of this.daemons) {
      const p = this.pids.get(d) ?? this.#readPid(d);
      if (p && pidAlive(p)) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    fs.rmSync(this.runDir, { recursive: true, force: true });
  }
}

/** The fields of FRR's `show bgp neighbors X json` entry that tests use most (others pass through). */
export interface FrrBgpNeighbor {
  bgpState: string;
  remoteAs?: number;
  localAs?: number;
  bgpTimerUpEstablishedEpoch?: number;
  connectionsEstablished?: number;
  connectionsDropped?: number;
  lastResetDueTo?: string;
  [key: string]: unknown;
}
