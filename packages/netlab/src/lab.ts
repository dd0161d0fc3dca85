import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeOnExit } from './cleanup.ts';
import { type RunOptions, run, runSyncQuiet } from './exec.ts';
import { FrrInstance, type FrrOptions } from './frr.ts';
import { GobgpInstance, type GobgpOptions } from './gobgp.ts';
import { ownerRecord, ownerRecordAlive, procCmdline } from './owner.ts';
import { Proc, type SpawnOptions } from './proc.ts';
import { sleep } from './wait.ts';

/** Linux limit on interface names (IFNAMSIZ - 1). Namespace names are kept within it as well. */
export const MAX_NAME = 15;

export interface LabOptions {
  /**
   * Prefix unique to the package using the lab (`tcpt`, `bfdt`, `spk`): 1–5 of [a-z0-9]. Every
   * namespace and FRR instance is named `<prefix><4 hex>-<name>`, so parallel labs never collide.
   */
  prefix: string;
  /** Print each command and lifecycle step (default: when NETLAB_DEBUG is set). */
  log?: (line: string) => void;
  /** Keep the lab directory (configs, daemon logs) after close (default: when NETLAB_KEEP is set). */
  keepDir?: boolean;
}

export interface NamespaceOptions {
  /** Enable IPv4 and IPv6 forwarding (for routers). Default false. */
  ipForward?: boolean;
}

export interface AddressOptions {
  /** IPv6 only: skip duplicate address detection so the address is usable at once. Default true. */
  nodad?: boolean;
}

export interface Endpoint {
  ns: Namespace;
  ifname: string;
}

export interface LinkOptions {
  /** Interface name in the first namespace (default `eth-<b.name>`, cut to 15 characters). */
  aName?: string;
  /** Interface name in the second namespace (default `eth-<a.name>`). */
  bName?: string;
  /** Addresses (CIDR, v4 or v6) to put on the first end. */
  aAddrs?: readonly string[];
  /** Addresses to put on the second end. */
  bAddrs?: readonly string[];
  mtu?: number;
}

export interface AttachOptions {
  /** Interface name inside the host namespace (default `eth0`, or `eth<N>` if taken). */
  ifname?: string;
  /** Addresses (CIDR) for that interface. */
  addrs?: readonly string[];
}

interface Closeable {
  close(): Promise<void>;
  closeSync(): void;
}

function checkName(kind: string, name: string): void {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name) || name.length > MAX_NAME)
    throw new RangeError(
      `netlab: ${kind} name ${JSON.stringify(name)} must be 1–${MAX_NAME} characters of [a-zA-Z0-9_.-]`,
    );
}

/**
 * A network lab: namespaces, links, bridges, processes and routing daemons, all tracked and torn
 * down by `close()` (also on process exit, SIGINT, SIGTERM and SIGHUP). Needs Linux and root.
 */
export class Lab {
  readonly prefix: string;
  /** `<prefix><4 hex>`: prefix of every name this lab creates. */
  readonly id: string;
  /** Directory for configs and logs (world-readable so FRR's user can read its config). */
  readonly dir: string;
  readonly log: (line: string) => void;
  #resources: Closeable[] = [];
  #namespaces = new Map<string, Namespace>();
  #closed = false;
  #keepDir: boolean;
  #seq = 0;
  #untrack: () => void = () => {};

  private constructor(opts: LabOptions, dir: string, id: string) {
    this.prefix = opts.prefix;
    this.id = id;
    this.dir = dir;
    const debug = process.env.NETLAB_DEBUG;
    this.log = opts.log ?? (debug ? (l) => process.stderr.write(`[netlab ${id}] ${l}\n`) : () => {});
    this.#keepDir = opts.keepDir ?? Boolean(process.env.NETLAB_KEEP);
  }

  /**
   * Create a lab. Fails with a clear message when not root or `ip` is missing. First removes what
   * labs of the same prefix left behind when their process died without cleaning up (SIGKILL, a
   * crash): their namespaces, processes, FRR run directories and root-namespace links.
   */
  static async create(opts: LabOptions): Promise<Lab> {
    if (!/^[a-z0-9]{1,5}$/.test(opts.prefix))
      throw new RangeError(
        `netlab: prefix ${JSON.stringify(opts.prefix)} must be 1–5 characters of [a-z0-9]`,
      );
    if (process.platform !== 'linux') throw new Error('netlab: needs Linux (network namespaces)');
    if (process.getuid?.() !== 0) throw new Error('netlab: needs root (ip netns, veth, routing daemons)');
    await sweepStale(opts.prefix);
    let id: string;
    do id = opts.prefix + randomBytes(2).toString('hex');
    while (fs.existsSync(ownerFile(id)));
    writeOwner(id);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `netlab-${id}-`));
    fs.chmodSync(dir, 0o755);
    const lab = new Lab(opts, dir, id);
    lab.#untrack = closeOnExit(lab);
    lab.log(`lab created in ${dir}`);
    return lab;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Track something to tear down on close (closed in reverse order of tracking). */
  track(resource: Closeable): void {
    if (this.#closed) throw new Error(`netlab ${this.id}: lab is closed`);
    this.#resources.push(resource);
  }

  /** Run a command inside a namespace; resolves with stdout (same as `ns.exec`). */
  exec(ns: Namespace, argv: readonly string[], opts?: RunOptions): Promise<string> {
    return ns.exec(argv, opts);
  }

  /** Run a command in the root namespace; resolves with stdout. */
  async run(argv: readonly string[], opts?: RunOptions): Promise<string> {
    this.log(`$ ${argv.join(' ')}`);
    return (await run(argv, opts)).stdout;
  }

  /** A fresh file path in the lab directory. */
  file(name: string, contents?: string, mode = 0o644): string {
    const p = path.join(this.dir, name);
    if (contents !== undefined) fs.writeFileSync(p, contents, { mode });
    return p;
  }

  /** Create a network namespace `<id>-<name>` with loopback up and IPv6 DAD off. */
  async namespace(name: string, opts: NamespaceOptions = {}): Promise<Namespace> {
    const fullName = `${this.id}-${name}`;
    checkName('namespace', fullName);
    if (this.#namespaces.has(name)) throw new Error(`netlab ${this.id}: namespace ${name} exists already`);
    await this.run(['ip', 'netns', 'add', fullName]);
    const ns = new Namespace(this, name, fullName);
    this.#namespaces.set(name, ns);
    this.track(ns);
    await this.run(['ip', '-n', fullName, 'link', 'set', 'lo', 'up']);
    const fwd = opts.ipForward ? '1' : '0';
    await ns.sysctl({
      'net.ipv6.conf.all.accept_dad': '0',
      'net.ipv6.conf.default.accept_dad': '0',
      'net.ipv4.ip_forward': fwd,
      'net.ipv6.conf.all.forwarding': fwd,
    });
    return ns;
  }

  /** A veth pair between two namespaces (both ends up, addresses added). */
  async link(a: Namespace, b: Namespace, opts: LinkOptions = {}): Promise<{ a: Endpoint; b: Endpoint }> {
    const aName = opts.aName ?? `eth-${b.name}`.slice(0, MAX_NAME);
    const bName = opts.bName ?? `eth-${a.name}`.slice(0, MAX_NAME);
    checkName('interface', aName);
    checkName('interface', bName);
    a.claimIfname(aName);
    b.claimIfname(bName);
    await this.run([
      'ip',
      'link',
      'add',
      aName,
      'netns',
      a.fullName,
      ...(opts.mtu ? ['mtu', String(opts.mtu)] : []),
      'type',
      'veth',
      'peer',
      'name',
      bName,
      'netns',
      b.fullName,
    ]);
    for (const [ns, ifn, addrs] of [
      [a, aName, opts.aAddrs],
      [b, bName, opts.bAddrs],
    ] as const) {
      for (const addr of addrs ?? []) await ns.addAddress(ifn, addr);
      await ns.setUp(ifn);
    }
    return { a: { ns: a, ifname: aName }, b: { ns: b, ifname: bName } };
  }

  /**
   * A veth pair between the root namespace (where the test process runs) and `ns`, so in-process
   * code can talk to daemons in the lab. The root end is named `<lab id>-<ns.name>` (cut to 15)
   * unless given; pick subnets no other lab on the machine uses. Removed on close.
   */
  async rootLink(
    ns: Namespace,
    opts: {
      rootName?: string;
      nsName?: string;
      rootAddrs?: readonly string[];
      nsAddrs?: readonly string[];
    } = {},
  ): Promise<{ rootIfname: string; ns: Endpoint }> {
    const rootName = opts.rootName ?? `${this.id}-${ns.name}`.slice(0, MAX_NAME);
    const nsName = opts.nsName ?? ns.freeIfname('eth');
    checkName('interface', rootName);
    checkName('interface', nsName);
    ns.claimIfname(nsName);
    await this.run([
      'ip',
      'link',
      'add',
      rootName,
      'type',
      'veth',
      'peer',
      'name',
      nsName,
      'netns',
      ns.fullName,
    ]);
    this.track({
      close: async () => {
        await this.run(['ip', 'link', 'del', rootName]).catch(() => undefined);
      },
      closeSync: () => void runSyncQuiet(['ip', 'link', 'del', rootName]),
    });
    for (const a of opts.rootAddrs ?? []) {
      const v6 = a.includes(':');
      await this.run([
        'ip',
        ...(v6 ? ['-6'] : []),
        'addr',
        'add',
        a,
        'dev',
        rootName,
        ...(v6 ? ['nodad'] : []),
      ]);
    }
    await this.run(['ip', 'link', 'set', rootName, 'up']);
    for (const a of opts.nsAddrs ?? []) await ns.addAddress(nsName, a);
    await ns.setUp(nsName);
    return { rootIfname: rootName, ns: { ns, ifname: nsName } };
  }

  /** One L2 segment (a bridge in its own namespace) that many namespaces attach to. */
  async segment(name: string): Promise<Segment> {
    const ns = await this.namespace(`s${name}`);
    await this.run([
      'ip',
      '-n',
      ns.fullName,
      'link',
      'add',
      'br0',
      'type',
      'bridge',
      'stp_state',
      '0',
      'forward_delay',
      '0',
      'mcast_snooping',
      '0',
    ]);
    ns.claimIfname('br0');
    await ns.setUp('br0');
    return new Segment(this, name, ns);
  }

  /** Start a long-running process in a namespace, tracked and killed by PID on close. */
  spawn(ns: Namespace, argv: readonly string[], opts: SpawnOptions = {}): Proc {
    const name = opts.name ?? `${argv[0]?.split('/').pop() ?? 'proc'}`;
    const logFile = opts.logFile ?? path.join(this.dir, `${ns.name}-${name}-${++this.#seq}.log`);
    const full = ['ip', 'netns', 'exec', ns.fullName, ...argv];
    this.log(`spawn $ ${full.join(' ')}`);
    const proc = new Proc(full, { ...opts, name, logFile });
    this.track({ close: async () => void (await proc.stop()), closeSync: () => proc.killSync() });
    return proc;
  }

  /** Start FRR daemons in a namespace (see FrrOptions). */
  async frr(ns: Namespace, opts: FrrOptions): Promise<FrrInstance> {
    const inst = new FrrInstance(this, ns, opts);
    this.track(inst);
    await inst.start();
    return inst;
  }

  /** Start gobgpd in a namespace (see GobgpOptions). */
  async gobgp(ns: Namespace, opts: GobgpOptions): Promise<GobgpInstance> {
    const inst = new GobgpInstance(this, ns, opts);
    this.track(inst);
    await inst.start();
    return inst;
  }

  /** Tear everything down, newest first; never throws (failures are logged). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const errors: string[] = [];
    for (const r of this.#resources.reverse()) {
      try {
        await r.close();
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    this.#resources = [];
    this.#finish();
    if (errors.length) process.stderr.write(`netlab ${this.id}: cleanup problems:\n${errors.join('\n')}\n`);
  }

  /** Synchronous teardown (SIGKILL everything, delete namespaces), for exit and signal handlers. */
  closeSync(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const r of this.#resources.reverse()) {
      try {
        r.closeSync();
      } catch {
        // best effort at exit
      }
    }
    this.#resources = [];
    this.#finish();
  }

  #finish(): void {
    fs.rmSync(ownerFile(this.id), { force: true });
    if (!this.#keepDir) fs.rmSync(this.dir, { recursive: true, force: true });
    else process.stderr.write(`netlab ${this.id}: kept ${this.dir}\n`);
    this.#untrack();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** A network namespace created by a Lab. */
export class Namespace {
  readonly lab: Lab;
  /** Short name given to `lab.namespace()`. */
  readonly name: string;
  /** The real namespace name (`ip netns exec <fullName>`). */
  readonly fullName: string;
  #ifnames = new Set<string>(['lo']);

  constructor(lab: Lab, name: string, fullName: string) {
    this.lab = lab;
    this.name = name;
    this.fullName = fullName;
  }

  /** @internal reserve an interface name in this namespace (clear error on a clash). */
  claimIfname(ifname: string): void {
    if (this.#ifnames.has(ifname))
      throw new Error(`netlab: interface ${ifname} exists already in namespace ${this.fullName}`);
    this.#ifnames.add(ifname);
  }

  /** Pick a free interface name `<base><N>`. */
  freeIfname(base: string): string {
    for (let i = 0; ; i++) {
      const n = `${base}${i}`;
      if (!this.#ifnames.has(n)) return n;
    }
  }

  /** Run a command inside the namespace; resolves with stdout, rejects with CommandError. */
  exec(argv: readonly string[], opts?: RunOptions): Promise<string> {
    return this.lab.run(['ip', 'netns', 'exec', this.fullName, ...argv], opts);
  }

  /** Run a shell script inside the namespace. */
  sh(script: string, opts?: RunOptions): Promise<string> {
    return this.exec(['sh', '-c', script], opts);
  }

  /** Set sysctls inside the namespace. */
  async sysctl(values: Record<string, string>): Promise<void> {
    await this.exec(['sysctl', '-q', '-w', ...Object.entries(values).map(([k, v]) => `${k}=${v}`)]);
  }

  /** Add an address (`10.0.0.1/24`, `fd00::1/64`); IPv6 gets `nodad` unless told otherwise. */
  async addAddress(ifname: string, cidr: string, opts: AddressOptions = {}): Promise<void> {
    const v6 = cidr.includes(':');
    await this.lab.run([
      'ip',
      '-n',
      this.fullName,
      ...(v6 ? ['-6'] : []),
      'addr',
      'add',
      cidr,
      'dev',
      ifname,
      ...(v6 && (opts.nodad ?? true) ? ['nodad'] : []),
    ]);
  }

  async setUp(ifname: string): Promise<void> {
    await this.lab.run(['ip', '-n', this.fullName, 'link', 'set', ifname, 'up']);
  }

  async setDown(ifname: string): Promise<void> {
    await this.lab.run(['ip', '-n', this.fullName, 'link', 'set', ifname, 'down']);
  }

  /** `ip route add <dst> <args…>`, e.g. `addRoute('10.1.0.0/24', 'via', '10.0.0.1')`. */
  async addRoute(dst: string, ...args: string[]): Promise<void> {
    await this.lab.run([
      'ip',
      '-n',
      this.fullName,
      ...(dst.includes(':') ? ['-6'] : []),
      'route',
      'add',
      dst,
      ...args,
    ]);
  }

  /** Parsed `ip -j route show` (v4, or v6 with `family: 6`). */
  async routes(family: 4 | 6 = 4): Promise<Array<Record<string, unknown>>> {
    return JSON.parse(
      await this.lab.run(['ip', '-n', this.fullName, `-${family}`, '-j', 'route', 'show']),
    ) as Array<Record<string, unknown>>;
  }

  /**
   * Reachability without ping: open a TCP connection from inside the namespace. `open` and `refused`
   * (a RST came back) both prove the path works; `timeout` and `unreachable` say it does not.
   */
  async probeTcp(
    host: string,
    port = 9,
    timeoutMs = 2_000,
  ): Promise<'open' | 'refused' | 'timeout' | 'unreachable'> {
    const script = `const s=require('node:net').connect({host:${JSON.stringify(host)},port:${port}});
s.setTimeout(${timeoutMs},()=>{console.log('timeout');process.exit(0)});
s.on('connect',()=>{console.log('open');process.exit(0)});
s.on('error',e=>{console.log(e.code==='ECONNREFUSED'?'refused':'unreachable');process.exit(0)});`;
    const out = (await this.exec([process.execPath, '-e', script], { timeoutMs: timeoutMs + 5_000 })).trim();
    if (out === 'open' || out === 'refused' || out === 'timeout' || out === 'unreachable') return out;
    throw new Error(
      `probeTcp ${host}:${port} from ${this.fullName}: unexpected output ${JSON.stringify(out)}`,
    );
  }

  /** Start a long-running process in this namespace (see Lab.spawn). */
  spawn(argv: readonly string[], opts?: SpawnOptions): Proc {
    return this.lab.spawn(this, argv, opts);
  }

  /** PIDs of every process inside the namespace. */
  async pids(): Promise<number[]> {
    return parsePids(await this.lab.run(['ip', 'netns', 'pids', this.fullName]));
  }

  /** @internal kill what is left inside, then delete the namespace. */
  async close(): Promise<void> {
    let pids = await this.pids().catch(() => []);
    if (pids.length) {
      this.lab.log(`namespace ${this.fullName}: SIGTERM leftover pids ${pids.join(' ')}`);
      for (const p of pids) killQuiet(p, 'SIGTERM');
      for (let i = 0; i < 30 && pids.length; i++) {
        await sleep(100);
        pids = await this.pids().catch(() => []);
      }
      for (const p of pids) killQuiet(p, 'SIGKILL');
      if (pids.length) await sleep(100);
    }
    await this.lab.run(['ip', 'netns', 'del', this.fullName]);
  }

  closeSync(): void {
    for (const p of parsePids(runSyncQuiet(['ip', 'netns', 'pids', this.fullName]) ?? ''))
      killQuiet(p, 'SIGKILL');
    runSyncQuiet(['ip', 'netns', 'del', this.fullName]);
  }
}

/** An L2 segment: a bridge (`br0`) in its own namespace; hosts attach with a veth each. */
export class Segment {
  readonly lab: Lab;
  readonly name: string;
  /** The namespace holding the bridge (for `tcpdump -i br0`, say). */
  readonly bridgeNs: Namespace;
  #ports = 0;

  constructor(lab: Lab, name: string, bridgeNs: Namespace) {
    this.lab = lab;
    this.name = name;
    this.bridgeNs = bridgeNs;
  }

  /** Connect a namespace to the segment; returns its end (interface up, addresses added). */
  async attach(ns: Namespace, opts: AttachOptions = {}): Promise<Endpoint> {
    const port = `p${this.#ports++}-${ns.name}`.slice(0, MAX_NAME);
    const ifname = opts.ifname ?? ns.freeIfname('eth');
    const { b } = await this.lab.link(this.bridgeNs, ns, { aName: port, bName: ifname, bAddrs: opts.addrs });
    await this.lab.run(['ip', '-n', this.bridgeNs.fullName, 'link', 'set', port, 'master', 'br0']);
    return b;
  }
}

function parsePids(text: string): number[] {
  return text
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number);
}

export function killQuiet(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Owner records: /run/netlab/<lab id> holds the owning process's PID and start time, so a later lab
// of the same prefix can tell a live lab from the remains of a dead one.

const OWNER_DIR = '/run/netlab';

function ownerFile(id: string): string {
  return path.join(OWNER_DIR, id);
}

function writeOwner(id: string): void {
  fs.mkdirSync(OWNER_DIR, { recursive: true });
  fs.writeFileSync(ownerFile(id), ownerRecord());
}

function ownerAlive(id: string): boolean {
  try {
    return ownerRecordAlive(fs.readFileSync(ownerFile(id), 'utf8'));
  } catch {
    return false;
  }
}

/** Remove namespaces, processes, FRR run dirs and root links of dead labs with this prefix. */
export async function sweepStale(prefix: string): Promise<string[]> {
  const idRe = new RegExp(`^(${prefix}[0-9a-f]{4})-`);
  const stale = new Set<string>();
  const namespaces = (await run(['ip', 'netns', 'list']).catch(() => ({ stdout: '' }))).stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => idRe.test(n));
  const frrDirs = fs.existsSync('/var/run/frr')
    ? fs.readdirSync('/var/run/frr').filter((n) => idRe.test(n))
    : [];
  const links = (
    (await run(['ip', '-o', 'link', 'show']).catch(() => ({ stdout: '' }))).stdout.match(
      /^\d+: ([^:@\s]+)/gm,
    ) ?? []
  )
    .map((l) => l.replace(/^\d+: /, ''))
    .filter((n) => idRe.test(n));
  for (const n of [...namespaces, ...frrDirs, ...links]) {
    const id = idRe.exec(n)?.[1];
    if (id && !ownerAlive(id)) stale.add(id);
  }
  for (const id of stale) {
    for (const d of frrDirs.filter((n) => n.startsWith(`${id}-`))) {
      const dir = path.join('/var/run/frr', d);
      for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.pid'))) {
        const pid = Number(fs.readFileSync(path.join(dir, f), 'utf8').trim());
        if (procCmdline(pid).includes(d)) killQuiet(pid, 'SIGKILL');
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
    for (const n of namespaces.filter((x) => x.startsWith(`${id}-`))) {
      for (const p of parsePids(runSyncQuiet(['ip', 'netns', 'pids', n]) ?? '')) killQuiet(p, 'SIGKILL');
      await run(['ip', 'netns', 'del', n]).catch(() => undefined);
    }
    for (const l of links.filter((x) => x.startsWith(`${id}-`)))
      await run(['ip', 'link', 'del', l]).catch(() => undefined);
    fs.rmSync(ownerFile(id), { force: true });
    process.stderr.write(`netlab: removed the remains of dead lab ${id}\n`);
  }
  return [...stale];
}
