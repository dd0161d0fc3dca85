import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeOnExit } from '../cleanup.ts';
import { CommandError, run } from '../exec.ts';
import { killQuiet, type Namespace } from '../lab.ts';
import { ownerRecord, ownerRecordAlive, procCmdline } from '../owner.ts';
import { Proc } from '../proc.ts';
import { waitFor } from '../wait.ts';
import { ETCD_PATH, kubeBinDir, kubeUnavailableReason, kwokStagesDir } from './binaries.ts';
import {
  firstServiceIP,
  type KwokNodeSpec,
  kubeconfig,
  kwokNode,
  nodeReady,
  pickHostAddress,
  promSamples,
  type StaticToken,
  tokenAuthFile,
} from './config.ts';
import { EtcdClient } from './etcd.ts';
import { type ApiRequestOptions, type ApiResponse, httpsRequest } from './https.ts';
import { createPki, type KubePki } from './pki.ts';

export interface KubeControlPlaneOptions {
  /**
   * Directory for the PKI, kubeconfigs, etcd data and logs (created; must be empty if it exists).
   * Default: a fresh `netlab-kube-*` directory in the system temp dir. Removed by close() unless
   * kept.
   */
  dir?: string;
  /** Run kube-controller-manager (default true): ServiceAccounts, Deployments, EndpointSlices, GC. */
  controllerManager?: boolean;
  /** Run kube-scheduler (default true). */
  scheduler?: boolean;
  /** Run kwok (default true): Nodes annotated `kwok.x-k8s.io/node: fake` and their Pods come alive. */
  kwok?: boolean;
  /** Lifecycle log lines (default: stderr when NETLAB_DEBUG is set). */
  log?: (line: string) => void;
  /** Keep the directory after close (default: when NETLAB_KEEP is set). */
  keepDir?: boolean;
  /** Where the binaries are (default kubeBinDir(), filled by tools/kube/build.sh). */
  binDir?: string;
  /** `--service-cluster-ip-range` (default 10.96.0.0/16). */
  serviceClusterIPRange?: string;
  /** kwok's `--cidr`: Pod addresses for nodes without a podCIDR (default 10.244.0.0/16). */
  podCIDR?: string;
  /** Extra kube-apiserver flags (feature gates, admission plugins...). */
  apiserverArgs?: readonly string[];
  /** Bound on start() (default 60 s). */
  startTimeoutMs?: number;
}

export interface KubectlOptions {
  /** Text for kubectl's stdin (`-f -`). */
  input?: string;
  /** Resolve with the result even when kubectl exits non-zero (default: throw a CommandError). */
  allowFail?: boolean;
  /** Kill kubectl after this many ms (default 60 s). */
  timeoutMs?: number;
  /** Another kubeconfig (default: the admin one). */
  kubeconfig?: string;
}

export interface KubectlResult {
  stdout: string;
  stderr: string;
  /** Exit code (0 on success). */
  code: number;
}

/** Milliseconds each step of start() took. */
export interface KubeStartTimings {
  /** Directory, host address, ports, CA and certificates. */
  prepare: number;
  /** etcd started until healthy. */
  etcd: number;
  /** kube-apiserver started until /readyz answers 200. */
  apiserver: number;
  /** From the apiserver being ready to namespace `default` (and its ServiceAccount) existing. */
  components: number;
  total: number;
}

type ResolvedOptions = KubeControlPlaneOptions &
  Required<Pick<KubeControlPlaneOptions, 'controllerManager' | 'scheduler' | 'kwok'>>;

export type KubeComponent = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok';

const DIR_PREFIX = 'netlab-kube-';
const OWNER_FILE = 'owner';
const PIDS_FILE = 'pids';

/**
 * A real Kubernetes control plane for tests and the lab: etcd (Debian's), kube-apiserver,
 * kube-controller-manager, kube-scheduler and kwok (built by tools/kube/build.sh), on loopback ports
 * chosen at start, with a fresh CA. Clients verify the apiserver's certificate against `caFile`.
 * Everything runs as child processes, stopped by PID in close() (also on process exit, SIGINT,
 * SIGTERM, SIGHUP; and killed by the kernel if this process dies, through `setpriv --pdeathsig`).
 */
export class KubeControlPlane {
  /** Directory with the PKI, kubeconfigs, etcd data and a log per component. */
  readonly dir: string;
  /** `https://127.0.0.1:<port>` */
  readonly server: string;
  readonly port: number;
  /** The CA that signed the apiserver's certificate (PEM file and text). */
  readonly caFile: string;
  readonly caPem: string;
  /** An admin kubeconfig (user in `system:masters`, bearer token). */
  readonly kubeconfig: string;
  /** The admin user's bearer token. */
  readonly adminToken: string;
  /** The non-loopback host address the apiserver advertises (the `kubernetes` Service's endpoint). */
  readonly advertiseAddress: string;
  /** etcd's client URL (`http://127.0.0.1:<port>`). */
  readonly etcdUrl: string;
  readonly binDir: string;
  readonly timings: KubeStartTimings;
  readonly log: (line: string) => void;

  #opts: ResolvedOptions;
  #pki: KubePki;
  #procs = new Map<KubeComponent, Proc>();
  #apiserverArgv: string[] = [];
  #etcd: EtcdClient;
  #etcdPort: number;
  #closed = false;
  #keepDir: boolean;
  #untrack: () => void = () => {};
  #kubeconfigs = 0;
  /** The root namespace's end of the relay that lab namespaces reach the apiserver through. */
  #relay: Proc | undefined;

  private constructor(init: {
    dir: string;
    port: number;
    etcdPort: number;
    pki: KubePki;
    adminToken: string;
    advertiseAddress: string;
    opts: ResolvedOptions;
    log: (line: string) => void;
  }) {
    this.dir = init.dir;
    this.port = init.port;
    this.server = `https://127.0.0.1:${init.port}`;
    this.#pki = init.pki;
    this.caFile = init.pki.caFile;
    this.caPem = init.pki.caPem;
    this.adminToken = init.adminToken;
    this.advertiseAddress = init.advertiseAddress;
    this.#etcdPort = init.etcdPort;
    this.etcdUrl = `http://127.0.0.1:${init.etcdPort}`;
    this.#etcd = new EtcdClient(this.etcdUrl);
    this.#opts = init.opts;
    this.binDir = init.opts.binDir ?? kubeBinDir();
    this.log = init.log;
    this.#keepDir = init.opts.keepDir ?? Boolean(process.env.NETLAB_KEEP);
    this.kubeconfig = path.join(this.dir, 'admin.kubeconfig');
    this.timings = { prepare: 0, etcd: 0, apiserver: 0, components: 0, total: 0 };
  }

  /** Start a control plane; resolves once the apiserver is ready and namespace `default` exists. */
  static async start(options: KubeControlPlaneOptions = {}): Promise<KubeControlPlane> {
    const opts: ResolvedOptions = { controllerManager: true, scheduler: true, kwok: true, ...options };
    const reason = kubeUnavailableReason(opts.binDir ?? kubeBinDir(), { root: false });
    if (reason) throw new Error(reason);
    const t0 = performance.now();
    const log =
      opts.log ??
      (process.env.NETLAB_DEBUG ? (l: string) => process.stderr.write(`[kube] ${l}\n`) : () => {});
    if (!opts.dir) sweepStaleControlPlanes(log);
    const dir = makeDir(opts.dir);
    let cp: KubeControlPlane;
    let etcdPeerPort: number;
    try {
      fs.writeFileSync(path.join(dir, OWNER_FILE), ownerRecord());
      const advertiseAddress = await hostAddress();
      const [port = 0, etcdPort = 0, peerPort = 0] = await freePorts(3);
      etcdPeerPort = peerPort;
      const pki = await createPki(path.join(dir, 'pki'), [
        '127.0.0.1',
        '::1',
        advertiseAddress,
        firstServiceIP(opts.serviceClusterIPRange ?? '10.96.0.0/16'),
        'localhost',
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        'kubernetes.default.svc.cluster.local',
      ]);
      const adminToken = randomBytes(24).toString('hex');
      cp = new KubeControlPlane({ dir, port, etcdPort, pki, adminToken, advertiseAddress, opts, log });
    } catch (err) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    cp.#untrack = closeOnExit(cp);
    cp.timings.prepare = Math.round(performance.now() - t0);
    try {
      await cp.#start(etcdPeerPort, t0);
    } catch (err) {
      const logs = cp.#logTails();
      await cp.close();
      throw new Error(`KubeControlPlane.start failed: ${(err as Error).message}${logs}`, { cause: err });
    }
    return cp;
  }

  async #start(etcdPeerPort: number, t0: number): Promise<void> {
    const deadline = performance.now() + (this.#opts.startTimeoutMs ?? 60_000);
    const left = () => Math.max(1_000, deadline - performance.now());
    const tokens: StaticToken[] = [
      { token: this.adminToken, user: 'bmlb-admin', uid: 'bmlb-admin', groups: ['system:masters'] },
    ];
    const componentKubeconfig = (name: string, user: string, groups: string[] = []) => {
      const token = randomBytes(24).toString('hex');
      tokens.push({ token, user, uid: user, groups });
      const file = path.join(this.dir, `${name}.kubeconfig`);
      fs.writeFileSync(file, kubeconfig({ server: this.server, caPem: this.caPem, token, user }), {
        mode: 0o600,
      });
      return file;
    };
    fs.writeFileSync(
      this.kubeconfig,
      kubeconfig({ server: this.server, caPem: this.caPem, token: this.adminToken, user: 'bmlb-admin' }),
      { mode: 0o600 },
    );
    const kcmKubeconfig = componentKubeconfig('controller-manager', 'system:kube-controller-manager');
    const schedKubeconfig = componentKubeconfig('scheduler', 'system:kube-scheduler');
    const kwokKubeconfig = componentKubeconfig('kwok', 'kwok', ['system:masters']);
    const tokenFile = path.join(this.dir, 'pki', 'tokens.csv');
    fs.writeFileSync(tokenFile, tokenAuthFile(tokens), { mode: 0o600 });

    // etcd
    const tEtcd = performance.now();
    const etcdDir = path.join(this.dir, 'etcd');
    const peer = `http://127.0.0.1:${etcdPeerPort}`;
    this.#spawn('etcd', ETCD_PATH, [
      '--name=bmlb',
      `--data-dir=${etcdDir}`,
      `--listen-client-urls=${this.etcdUrl}`,
      `--advertise-client-urls=${this.etcdUrl}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=bmlb=${peer}`,
      '--initial-cluster-state=new',
      '--listen-metrics-urls=',
      '--log-level=warn',
      '--logger=zap',
      // one member: elect itself quickly
      '--heartbeat-interval=20',
      '--election-timeout=200',
    ]);
    await this.#waitUp('etcd', () => this.#etcd.healthy(), left());
    this.timings.etcd = Math.round(performance.now() - tEtcd);

    // kube-apiserver
    const range = this.#opts.serviceClusterIPRange ?? '10.96.0.0/16';
    const issuer = 'https://kubernetes.default.svc.cluster.local';
    this.#apiserverArgv = [
      `--etcd-servers=${this.etcdUrl}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${this.port}`,
      `--advertise-address=${this.advertiseAddress}`,
      `--tls-cert-file=${this.#pki.serverCertFile}`,
      `--tls-private-key-file=${this.#pki.serverKeyFile}`,
      `--token-auth-file=${tokenFile}`,
      '--authorization-mode=Node,RBAC',
      `--service-account-issuer=${issuer}`,
      `--service-account-key-file=${this.#pki.saPubFile}`,
      `--service-account-signing-key-file=${this.#pki.saKeyFile}`,
      `--service-cluster-ip-range=${range}`,
      '--allow-privileged=true',
      '--profiling=false',
      // On SIGTERM, end open watches within 2 s and exit (without it, the watches of the other
      // components hold a stopping apiserver until it is killed).
      '--shutdown-watch-termination-grace-period=2s',
      ...(this.#opts.apiserverArgs ?? []),
    ];
    const tApi = performance.now();
    await this.#startApiserver(left());
    this.timings.apiserver = Math.round(performance.now() - tApi);

    // the rest, side by side
    const tComp = performance.now();
    if (this.#opts.controllerManager)
      this.#spawn('kube-controller-manager', this.#bin('kube-controller-manager'), [
        `--kubeconfig=${kcmKubeconfig}`,
        `--service-account-private-key-file=${this.#pki.saKeyFile}`,
        `--root-ca-file=${this.caFile}`,
        '--use-service-account-credentials=true',
        '--leader-elect=false',
        '--secure-port=0',
        '--profiling=false',
        // The default client rate (20/s) spreads the controllers' start (each gets its own
        // ServiceAccount and token) over 5 s; with this they all run within 0.2 s.
        '--kube-api-qps=200',
        '--kube-api-burst=400',
      ]);
    if (this.#opts.scheduler)
      this.#spawn('kube-scheduler', this.#bin('kube-scheduler'), [
        `--kubeconfig=${schedKubeconfig}`,
        '--leader-elect=false',
        '--secure-port=0',
        '--profiling=false',
      ]);
    if (this.#opts.kwok) {
      const stages = kwokStageFiles(kwokStagesDir(this.binDir), [
        'node/fast',
        'node/heartbeat-with-lease',
        'pod/fast',
      ]);
      this.#spawn('kwok', this.#bin('kwok'), [
        `--kubeconfig=${kwokKubeconfig}`,
        '--manage-all-nodes=false',
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        '--node-lease-duration-seconds=40',
        `--cidr=${this.#opts.podCIDR ?? '10.244.0.0/16'}`,
        `--node-ip=${this.advertiseAddress}`,
        ...stages.map((s) => `--config=${s}`),
      ]);
    }
    await waitFor(
      async () => {
        this.#checkRunning();
        const ns = await this.request('/api/v1/namespaces/default');
        if (ns.status !== 200) return false;
        if (!this.#opts.controllerManager) return true;
        return (await this.request('/api/v1/namespaces/default/serviceaccounts/default')).status === 200;
      },
      { timeoutMs: left(), intervalMs: 100, what: 'namespace default and its ServiceAccount' },
    );
    this.timings.components = Math.round(performance.now() - tComp);
    this.timings.total = Math.round(performance.now() - t0);
    this.log(`control plane at ${this.server} ready in ${this.timings.total} ms (${this.dir})`);
  }

  #bin(name: string): string {
    return path.join(this.binDir, name);
  }

  #spawn(name: KubeComponent, file: string, args: readonly string[]): Proc {
    if (this.#closed) throw new Error('KubeControlPlane: closed');
    // The kernel kills the component if this process dies without cleaning up (SIGKILL, a crash).
    const argv = ['setpriv', '--pdeathsig', 'KILL', '--', file, ...args];
    this.log(`spawn ${name}`);
    const proc = new Proc(argv, { name, logFile: path.join(this.dir, `${name}.log`) });
    this.#procs.set(name, proc);
    fs.appendFileSync(path.join(this.dir, PIDS_FILE), `${proc.pid} ${name}\n`);
    return proc;
  }

  /** Throws if a component exited on its own. */
  #checkRunning(): void {
    for (const [name, p] of this.#procs)
      if (!p.running) throw new Error(`${name} exited (${JSON.stringify(p.exit)}); see ${p.logFile}`);
  }

  async #waitUp(name: KubeComponent, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const proc = this.#procs.get(name)!;
    await waitFor(
      async () => {
        if (!proc.running) throw new ExitedError(`${name} exited (${JSON.stringify(proc.exit)})`);
        return probe();
      },
      { timeoutMs, intervalMs: 50, what: `${name} to be ready` },
    ).catch((err: unknown) => {
      const last = (err as { last?: unknown }).last;
      throw last instanceof ExitedError ? last : err;
    });
  }

  async #startApiserver(timeoutMs = 60_000): Promise<void> {
    if (this.#procs.get('kube-apiserver')?.running) throw new Error('kube-apiserver runs already');
    this.#spawn('kube-apiserver', this.#bin('kube-apiserver'), this.#apiserverArgv);
    await this.#waitUp(
      'kube-apiserver',
      async () => {
        const r = await this.request('/readyz', { timeoutMs: 5_000 }).catch(() => undefined);
        return r?.status === 200;
      },
      timeoutMs,
    );
  }

  /** The component processes that run (by name). */
  get processes(): ReadonlyMap<string, Proc> {
    return this.#procs;
  }

  /** PIDs of the running components. */
  pids(): number[] {
    return [...this.#procs.values()].filter((p) => p.running).map((p) => p.pid);
  }

  /** Path of a component's log (stdout and stderr). */
  logFile(component: KubeComponent): string {
    return path.join(this.dir, `${component}.log`);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** An HTTPS request to the apiserver (certificate verified against the CA), as admin by default. */
  request(apiPath: string, opts: ApiRequestOptions = {}): Promise<ApiResponse> {
    return httpsRequest(`${this.server}${apiPath}`, this.caPem, { token: this.adminToken, ...opts });
  }

  /** Run the built kubectl with the admin kubeconfig. Throws a CommandError unless `allowFail`. */
  async kubectl(args: readonly string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
    const argv = [
      this.#bin('kubectl'),
      `--kubeconfig=${opts.kubeconfig ?? this.kubeconfig}`,
      `--cache-dir=${path.join(this.dir, 'kubectl-cache')}`,
      ...args,
    ];
    try {
      const { stdout, stderr } = await run(argv, { input: opts.input, timeoutMs: opts.timeoutMs ?? 60_000 });
      return { stdout, stderr, code: 0 };
    } catch (err) {
      if (opts.allowFail && err instanceof CommandError && err.exitCode !== null)
        return { stdout: err.stdout, stderr: err.stderr, code: err.exitCode };
      throw err;
    }
  }

  /** `kubectl <args> -o json`, parsed. */
  async kubectlJson<T = Record<string, unknown>>(
    args: readonly string[],
    opts: KubectlOptions = {},
  ): Promise<T> {
    return JSON.parse((await this.kubectl([...args, '-o', 'json'], opts)).stdout) as T;
  }

  /** `kubectl apply` of YAML (or JSON) text, or of a file or directory path. Resolves with kubectl's output. */
  async apply(yamlOrPath: string, opts: Omit<KubectlOptions, 'input'> = {}): Promise<string> {
    const isPath = !yamlOrPath.includes('\n') && fs.existsSync(yamlOrPath);
    const r = isPath
      ? await this.kubectl(['apply', '-f', yamlOrPath], opts)
      : await this.kubectl(['apply', '-f', '-'], { ...opts, input: yamlOrPath });
    return r.stdout;
  }

  /**
   * Create kwok-managed fake Nodes (see kwokNode) and wait until kwok has made each Ready (unless
   * `wait: false`). Pods scheduled onto them become Running and Ready; `kubectl drain` works.
   */
  async createNodes(
    nodes: readonly KwokNodeSpec[],
    opts: { wait?: boolean; timeoutMs?: number } = {},
  ): Promise<void> {
    if (!this.#opts.kwok) throw new Error('createNodes: this control plane runs without kwok');
    const list = { apiVersion: 'v1', kind: 'List', items: nodes.map(kwokNode) };
    await this.kubectl(['create', '-f', '-'], { input: JSON.stringify(list) });
    if (opts.wait === false) return;
    const names = new Set(nodes.map((n) => n.name));
    await waitFor(
      async () => {
        const res = await this.request('/api/v1/nodes');
        const items = (JSON.parse(res.body) as { items?: Array<{ metadata: { name: string } }> }).items ?? [];
        const ready = items.filter((n) => names.has(n.metadata.name) && nodeReady(n)).length;
        return ready === names.size;
      },
      { timeoutMs: opts.timeoutMs ?? 30_000, intervalMs: 100, what: `nodes ${[...names].join(', ')} Ready` },
    );
  }

  /** A ServiceAccount token (TokenRequest, `kubectl create token`; default lifetime 1 h, at least 10 min). */
  async tokenFor(
    namespace: string,
    serviceAccount: string,
    opts: { seconds?: number } = {},
  ): Promise<string> {
    const r = await this.kubectl([
      'create',
      'token',
      serviceAccount,
      '-n',
      namespace,
      `--duration=${opts.seconds ?? 3600}s`,
    ]);
    return r.stdout.trim();
  }

  /**
   * Write a kubeconfig for a bearer token (same CA; the server defaults to this apiserver, or e.g. a
   * TcpProxy's `https://127.0.0.1:<port>`) and return its path.
   */
  kubeconfigFor(opts: { token: string; server?: string; name?: string; namespace?: string }): string {
    const name = opts.name ?? `user-${++this.#kubeconfigs}`;
    if (!/^[\w.-]+$/.test(name)) throw new RangeError(`kubeconfigFor: bad name ${JSON.stringify(name)}`);
    const file = path.join(this.dir, `${name}.kubeconfig`);
    fs.writeFileSync(
      file,
      kubeconfig({
        server: opts.server ?? this.server,
        caPem: this.caPem,
        token: opts.token,
        user: name,
        namespace: opts.namespace,
      }),
      { mode: 0o600 },
    );
    return file;
  }

  /**
   * Stop kube-apiserver (SIGTERM, or `signal`; SIGKILL after 10 s). Its clients see the connection
   * go; etcd and the other components keep running.
   */
  async stopApiserver(opts: { signal?: NodeJS.Signals } = {}): Promise<void> {
    const p = this.#procs.get('kube-apiserver');
    if (!p?.running) return;
    this.log('stopping kube-apiserver');
    if (opts.signal && opts.signal !== 'SIGTERM') p.kill(opts.signal);
    await p.stop(10_000);
  }

  /** Start kube-apiserver again (same port, same etcd, same flags); resolves when it is ready. */
  async startApiserver(opts: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#closed) throw new Error('KubeControlPlane: closed');
    this.log('starting kube-apiserver');
    await this.#startApiserver(opts.timeoutMs ?? 60_000);
  }

  async restartApiserver(opts: { signal?: NodeJS.Signals; timeoutMs?: number } = {}): Promise<void> {
    await this.stopApiserver(opts);
    await this.startApiserver(opts);
  }

  /**
   * Compact etcd at its current revision, so a watch (or list) from an older resourceVersion gets
   * 410 Gone; resolves with that revision.
   *
   * The apiserver serves watches from its watch cache, which keeps its own event history and does
   * not forget it when etcd compacts. So, as happens when an apiserver loses etcd long enough for a
   * compaction to pass: the apiserver's connections to etcd are reset (`ss -K`, needs root); its
   * caches resume their etcd watches from revisions that are now compacted, re-list, and end their
   * clients' watches. Resolves once every watch cache has re-listed. Clients see their watches end;
   * requests in those few hundred ms may get 429 while a cache re-lists.
   */
  async compact(opts: { timeoutMs?: number } = {}): Promise<number> {
    if (process.getuid?.() !== 0) throw new Error('KubeControlPlane.compact: needs root (ss -K)');
    const inits = async () =>
      promSamples((await this.request('/metrics')).body, 'apiserver_watch_cache_initializations_total');
    const before = await inits();
    // Two writes outside /registry, so every cache's last-seen revision is at least two behind the
    // compaction revision and its resumed watch (from last + 1) falls before it.
    await this.#etcd.put('/netlab/compact-marker', String(Date.now()));
    const revision = await this.#etcd.put('/netlab/compact-marker', String(Date.now()));
    await this.#etcd.compact(revision);
    this.log(`etcd compacted at revision ${revision}`);
    await run(['ss', '-K', '-t', 'dst', '127.0.0.1', 'dport', '=', `:${this.#etcdPort}`]);
    let behind: string[] = [];
    await waitFor(
      async () => {
        const now = await inits();
        behind = [...before].filter(([k, v]) => (now.get(k) ?? 0) <= v).map(([k]) => k);
        return behind.length === 0;
      },
      {
        timeoutMs: opts.timeoutMs ?? 30_000,
        intervalMs: 100,
        what: 'every watch cache to re-list after the compaction',
      },
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; still to re-list: ${behind.join(' ')}`);
    });
    return revision;
  }

  /**
   * Makes the apiserver reachable inside a lab namespace at the same `https://127.0.0.1:<port>`
   * (so `kubeconfig`, `kubeconfigFor()` files and the server's certificate work there as they are):
   * a relay process in the namespace listens on that port and forwards each connection through a
   * Unix socket in this control plane's directory (files are not network-namespaced) to a second
   * relay process, in the root namespace, that connects to the apiserver. Neither end runs in this
   * process, so its own work (a test's, the lab's) does not delay the watch events they carry. The
   * namespace's relay is stopped with the lab, the root one with the control plane. Resolves once
   * it listens.
   */
  async exposeIn(ns: Namespace): Promise<void> {
    const socketPath = path.join(this.dir, 'apiserver.sock');
    const script = fileURLToPath(new URL('./relay.ts', import.meta.url));
    if (this.#relay === undefined) {
      if (this.#closed) throw new Error('KubeControlPlane: closed');
      fs.rmSync(socketPath, { force: true });
      // The root namespace's end, a process of its own (killed by the kernel if this one dies).
      const relay = new Proc(
        [
          'setpriv',
          '--pdeathsig',
          'KILL',
          '--',
          process.execPath,
          '--disable-warning=ExperimentalWarning',
          script,
          socketPath,
          `127.0.0.1:${this.port}`,
        ],
        { name: 'apiserver-relay', logFile: path.join(this.dir, 'apiserver-relay.log') },
      );
      this.#relay = relay;
      fs.appendFileSync(path.join(this.dir, PIDS_FILE), `${relay.pid} apiserver-relay\n`);
      await relay.waitForOutput(/relaying/, { timeoutMs: 10_000 });
    }
    const proc = ns.spawn(
      [
        process.execPath,
        '--disable-warning=ExperimentalWarning',
        script,
        `127.0.0.1:${this.port}`,
        socketPath,
      ],
      {
        name: 'apiserver-relay',
      },
    );
    await proc.waitForOutput(/relaying/, { timeoutMs: 10_000 });
  }

  /** The last `maxChars` of each component's log, for error messages. */
  #logTails(maxChars = 3_000): string {
    let out = '';
    for (const [name, p] of this.#procs) {
      const text = p.output().trim();
      if (!p.running || /error|fatal|failed/i.test(text))
        out += `\n--- ${name} (${p.running ? 'running' : JSON.stringify(p.exit)}) ---\n${text.slice(-maxChars)}`;
    }
    return out;
  }

  /** Stop every component (SIGTERM, SIGKILL after a grace period), newest first; remove the directory. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeRelay();
    const order: KubeComponent[] = [
      'kwok',
      'kube-scheduler',
      'kube-controller-manager',
      'kube-apiserver',
      'etcd',
    ];
    await Promise.all(
      order.filter((c) => c !== 'kube-apiserver' && c !== 'etcd').map((c) => this.#procs.get(c)?.stop(3_000)),
    );
    await this.#procs.get('kube-apiserver')?.stop(5_000);
    await this.#procs.get('etcd')?.stop(5_000);
    this.#finish();
  }

  /** Synchronous teardown (SIGKILL by PID, remove the directory), for exit and signal handlers. */
  closeSync(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeRelay();
    for (const p of this.#procs.values()) p.killSync();
    this.#finish();
  }

  #closeRelay(): void {
    this.#relay?.killSync();
    this.#relay = undefined;
  }

  #finish(): void {
    this.#untrack();
    if (!this.#keepDir) fs.rmSync(this.dir, { recursive: true, force: true });
    else {
      fs.rmSync(path.join(this.dir, OWNER_FILE), { force: true });
      process.stderr.write(`netlab: kept control plane directory ${this.dir}\n`);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

class ExitedError extends Error {}

function makeDir(dir: string | undefined): string {
  if (!dir) return fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
  fs.mkdirSync(dir, { recursive: true });
  if (fs.readdirSync(dir).length > 0) throw new Error(`KubeControlPlane: ${dir} is not empty`);
  return dir;
}

/** The Stage manifests (YAML files, testdata left out) under kwok's stage directories. */
export function kwokStageFiles(root: string, stages: readonly string[]): string[] {
  return stages.flatMap((s) => {
    const dir = path.join(root, s);
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
      .sort()
      .map((f) => path.join(dir, f));
    if (files.length === 0) throw new Error(`kwok: no stage manifests in ${dir}`);
    return files;
  });
}

async function hostAddress(): Promise<string> {
  const json = async (argv: string[]): Promise<[]> => JSON.parse((await run(argv)).stdout || '[]');
  const addr = pickHostAddress(
    await json(['ip', '-j', '-4', 'route', 'show', 'default']),
    await json(['ip', '-j', '-4', 'addr', 'show']),
  );
  if (!addr)
    throw new Error(
      'KubeControlPlane: no non-loopback IPv4 address on this host for kube-apiserver to advertise (it refuses a loopback one)',
    );
  return addr;
}

/** `n` distinct free TCP ports on 127.0.0.1 (held open together while chosen). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const s = net.createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/**
 * Remove what control planes in the default location left behind when their process died without
 * closing them (SIGKILL, a crash): their components (if the kernel has not killed them already)
 * and their directories.
 */
export function sweepStaleControlPlanes(log: (line: string) => void = () => {}): string[] {
  const removed: string[] = [];
  const tmp = os.tmpdir();
  for (const name of fs.readdirSync(tmp).filter((n) => n.startsWith(DIR_PREFIX))) {
    const dir = path.join(tmp, name);
    let owner: string;
    try {
      owner = fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8');
    } catch {
      continue; // being created, or kept on purpose (NETLAB_KEEP)
    }
    if (ownerRecordAlive(owner)) continue;
    let pids: number[] = [];
    try {
      pids = fs
        .readFileSync(path.join(dir, PIDS_FILE), 'utf8')
        .split('\n')
        .map((l) => Number(l.split(' ')[0]))
        .filter((p) => Number.isInteger(p) && p > 0);
    } catch {
      // no component started
    }
    for (const pid of pids) if (procCmdline(pid).includes(dir)) killQuiet(pid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    log(`removed the remains of dead control plane ${dir}`);
    process.stderr.write(`netlab: removed the remains of dead control plane ${dir}\n`);
    removed.push(dir);
  }
  return removed;
}
