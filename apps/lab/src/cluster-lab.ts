// The cluster lab: the seed end to end, as a user runs it. A real Kubernetes control plane (etcd,
// kube-apiserver, controller-manager, scheduler; kwok nodes node-21..23 with InternalIPs
// 10.0.0.21–23), the bmlb controller (2 replicas, its ServiceAccount) beside it, one bmlb speaker per
// node in the node's network namespace (its ServiceAccount's token, NODE_NAME), two FRR ToRs
// (10.0.0.1/.2, AS 65000, ECMP hashing on L4, BFD), a client behind both ToRs, and a responder on
// every node. Configured with kubectl apply exactly as the seed reads, then checked the way its
// Verification and Failover Drill sections read: kubectl, the ToRs' routes and kernel FIBs, and
// the client's traffic. Exits non-zero if any expectation fails; torn down on exit and on Ctrl-C.
//
//   sudo npx -y pnpm@10.34.8 lab            (from the repository root; `-- --hold` keeps it up)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  FibWatch,
  freePorts,
  KubeControlPlane,
  Lab,
  lineReader,
  type Namespace,
  Proc,
  processMemory,
  type WaitOptions,
  waitFor,
} from '@bmlb/netlab';
import {
  bfdFirst,
  FailoverProbe,
  type FailureMeasurement,
  formatMeasurement,
  removalMs,
  timingDebugs,
} from '@bmlb/speaker/test-support/failover';
import { SEED_DIR, type SpeakerNode, Topology } from '@bmlb/speaker/test-support/topology';
import { Api, mapConcurrent } from './api.ts';
import { benchmark, metallbBinaries } from './bench.ts';
import { BfdWatch, describeBfdWatch } from './bfd-watch.ts';
import { buildClient, Flows, nodeReturnPath, rxPackets, startResponder } from './dataplane.ts';
import { DrainTrace, logLineTime, type TraceStep, type WireUpdate } from './drain-trace.ts';
import { FibTracker, rmemMaxRaised } from './fib-tracker.ts';
import { summarize, type TrafficReport, type TrafficSummary } from './flow-stats.ts';
import {
  buildApps,
  CONTROLLER_MAIN,
  controllerEnv,
  ensureKubeBinaries,
  ensurePackages,
  REPO,
  SPEAKER_MAIN,
  speakerEnv,
} from './prereq.ts';
import { fmtMs, Report } from './report.ts';

export const NODES = [
  { name: 'node-21', ip: '10.0.0.21' },
  { name: 'node-22', ip: '10.0.0.22' },
  { name: 'node-23', ip: '10.0.0.23' },
] as const;
const NODE_IP: Record<string, string> = Object.fromEntries(NODES.map((n) => [n.name, n.ip]));
const TOR_ADDRS = ['10.0.0.1', '10.0.0.2'] as const;
/** Names by address, for what tcpdump shows. */
const NODE_NAME: Record<string, string> = {
  ...Object.fromEntries(NODES.map((n) => [n.ip, n.name])),
  ...Object.fromEntries(TOR_ADDRS.map((a, i) => [a, `tor${i + 1}`])),
};
const NS = 'metallb-system';
const WEB_PORT = 443;
/** The hold time the ToRs offer (FRR's datacenter default); the seed's 90 s is negotiated down to it. */
const HOLD_TIME = 9;
/** How the seed's paths read in the commands the lab prints. */
const SHOWN_SEED_DIR = '../shared/seed-manifests/';

/** The `web` Deployment behind the seed's `web` Service: 3 replicas, one per node. */
export const WEB_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 3
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      # One replica per node; a cordoned node does not count (nodeTaintsPolicy: Honor), and a rollout
      # spreads its own ReplicaSet's Pods (matchLabelKeys: pod-template-hash).
      topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: kubernetes.io/hostname
        whenUnsatisfiable: DoNotSchedule
        nodeTaintsPolicy: Honor
        labelSelector:
          matchLabels: { app: web }
        matchLabelKeys: [pod-template-hash]
      containers:
      - name: web
        image: registry.k8s.io/pause:3.10
        ports:
        - containerPort: 8443
`;

/** What #sessions read: when, and per `torN ADDR` bgpd's state and drop count. */
interface Sessions {
  readonly at: number;
  readonly bgp: ReadonlyMap<string, { readonly state: string; readonly drops: number }>;
}

export interface ClusterLabOptions {
  readonly report?: Report;
  /** Flows of the traffic spread step (default 64). */
  readonly spreadFlows?: number;
  /** Flows running through each hard failure (default 32). */
  readonly failoverFlows?: number;
  /** Each flow sends a datagram this often (ms; default 10). */
  readonly intervalMs?: number;
  /** The control plane's directory (etcd's data) on tmpfs, for the benchmark's thousands of writes. */
  readonly tmpfs?: boolean;
}

/** `kubectl …` as it reads in a shell (arguments with spaces or JSON quoted). */
function shellWords(args: readonly string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ');
}

const sorted = (xs: Iterable<string>) => [...xs].sort();
const same = (a: readonly string[] | undefined, b: readonly string[]) =>
  (a ?? []).join(',') === sorted(b).join(',');

/** BFD on the peers during a hard failure: the seed's profile (300 ms x 3), 50 ms x 3, or none. */
export type BfdMode = 'seed' | 'fast' | 'none';

/** A BFD profile of 50 ms x 3, for the goal of under 200 ms of outage. */
export const FAST_BFD = `apiVersion: metallb.io/v1beta1
kind: BFDProfile
metadata: { name: fast-bfd, namespace: metallb-system }
spec: { receiveInterval: 50, transmitInterval: 50, detectMultiplier: 3 }
`;

export interface HardFailureResult {
  readonly mode: BfdMode;
  readonly measurement: FailureMeasurement;
  readonly removalMs: number | undefined;
  readonly traffic: TrafficReport;
  readonly summary: TrafficSummary;
  /** Flows that node-21 answered before the failure. */
  readonly onFailedNode: number;
  /** The longest gap on any flow, and the packets lost on all flows. */
  readonly outageMs: number;
  readonly lost: number;
}

export interface ScaleResult {
  readonly services: number;
  /** Per Service: ms from its creation (the API's answer) until its route was in both ToRs' kernel FIBs (three next hops). */
  readonly routeMs: readonly number[];
  /** From the first creation request until the last route was in both FIBs. */
  readonly allMs: number;
  /** From the first creation request until the last Service was created. */
  readonly createdMs: number;
  /** From the first DELETE until the last route left both FIBs. */
  readonly withdrawMs: number;
  /**
   * Per ToR: how often its FIB tracker's `ip monitor` lost messages (its netlink socket's buffer
   * overflowed), creations and deletions together; each loss times the routes it hid late.
   */
  readonly overflows: readonly number[];
}

/** Stand-ins for MetalLB's speaker Pods (it reads its own Pod at start): pause on every node. */
export const METALLB_SPEAKER_STANDIN = `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: speaker, namespace: metallb-system, labels: { app: metallb, component: speaker } }
spec:
  selector: { matchLabels: { app: metallb, component: speaker } }
  template:
    metadata: { labels: { app: metallb, component: speaker } }
    spec:
      serviceAccountName: speaker
      hostNetwork: true
      containers: [{ name: speaker, image: registry.k8s.io/pause:3.10 }]
`;

/** The benchmark's pool (autoAssign off: only Services that ask for it), and its advertisement. */
export const BENCH_NET = '198.18.0.0/16';
export const BENCH_POOL = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: bench-pool, namespace: metallb-system }
spec: { addresses: ["${BENCH_NET}"], autoAssign: false }
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: bench-adv, namespace: metallb-system }
spec: { ipAddressPools: [bench-pool] }
`;

/** The p-th percentile (nearest rank) of `xs`. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
}

export interface DrainResult {
  readonly evictedAt: number;
  readonly speakerWithdrewMs: number | undefined;
  /** Per ToR: ms from the eviction until node-21's next hop left the kernel FIB. */
  readonly fibMs: readonly (number | undefined)[];
  /** When web's EndpointSlice, as a watch saw it, no longer had node-21 (ms after the eviction). */
  readonly sliceGoneMs: number | undefined;
  /** Per ToR: when node-21's UPDATE withdrawing web's IP reached it (tcpdump; ms after the eviction). */
  readonly wireMs: readonly (number | undefined)[];
}

export class ClusterLab {
  readonly report: Report;
  readonly cp: KubeControlPlane;
  readonly lab: Lab;
  readonly topo: Topology;
  readonly client: Namespace;
  readonly opts: ClusterLabOptions;
  readonly controllers: { proc: Proc; identity: string; healthPort: number }[] = [];
  readonly responders = new Map<string, Proc>();
  /** The ToRs' kernel FIBs for web's /32 (from setup on). */
  fib: FibWatch[] = [];
  webIP = '';
  /** Whose speakers and controller run: ours, or MetalLB's (benchmark mode). */
  impl: 'bmlb' | 'metallb' = 'bmlb';
  #speakerKubeconfig = '';
  /** The speaker DaemonSet's environment (V8's heap limits, malloc arenas), read from deploy/speaker.yaml. */
  readonly #speakerEnv = speakerEnv();
  /** The ToRs' BFD profile rate (ms). */
  #torBfdMs = 300;

  private constructor(
    report: Report,
    cp: KubeControlPlane,
    lab: Lab,
    topo: Topology,
    client: Namespace,
    opts: ClusterLabOptions,
  ) {
    this.report = report;
    this.cp = cp;
    this.lab = lab;
    this.topo = topo;
    this.client = client;
    this.opts = opts;
  }

  get prefix(): string {
    return `${this.webIP}/32`;
  }

  /** Builds the network, starts the control plane and the daemons, applies the manifests. */
  static async start(opts: ClusterLabOptions = {}): Promise<ClusterLab> {
    const r = opts.report ?? new Report();
    const t0 = Date.now();
    r.section('Building the speaker and the controller (the JavaScript the images ship)');
    buildApps(r);
    r.section('Control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok');
    // WatchList off: with it on (the 1.37 default), the apiserver turns every watch from
    // resourceVersion 0 into a watch-list stream, which it refuses over Debian's etcd 3.4
    // ("the required storage feature RequestWatchProgress is disabled"). kwok watches from
    // resourceVersion 0 only, so it would see Pods only on its periodic re-lists: a scheduled Pod
    // Running, an evicted one deleted, 5-20 s late.
    const dir =
      opts.tmpfs === true && fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/netlab-kube-') : undefined;
    const cp = await KubeControlPlane.start({ dir, apiserverArgs: ['--feature-gates=WatchList=false'] });
    let lab: Lab | undefined;
    try {
      r.say(
        `  started in ${fmtMs(cp.timings.total)} (apiserver ${cp.server}; admin kubeconfig ${cp.kubeconfig})`,
      );
      await cp.createNodes(NODES.map((n) => ({ name: n.name, internalIP: n.ip })));
      r.cmd('$ kubectl get nodes -o wide', (await cp.kubectl(['get', 'nodes', '-o', 'wide'])).stdout);

      r.section(
        'Network: ToRs 10.0.0.1 and 10.0.0.2 (FRR, AS 65000, ECMP, BFD), node-21..23 on 10.0.0.21-23, a client behind both ToRs',
      );
      lab = await Lab.create({ prefix: 'clb' }); // names: clb<4 hex>-node-21 (15 characters at most)
      const topo = await Topology.create(lab, {
        nodeNames: NODES.map((n) => n.name),
        firstNodeHost: 21,
        bfd: true,
        holdTime: HOLD_TIME,
      });
      const client = await buildClient(lab, topo);
      for (const n of topo.nodes) await cp.exposeIn(n.ns);
      r.say(
        `  lab ${lab.id}: namespaces ${[...topo.torNs, ...topo.nodes.map((n) => n.ns), client].map((n) => n.fullName).join(', ')}`,
      );
      const cl = new ClusterLab(r, cp, lab, topo, client, opts);
      await cl.#install();
      r.say(`\n  the lab is up in ${fmtMs(Date.now() - t0)}`);
      return cl;
    } catch (err) {
      await lab?.close().catch(() => undefined);
      await cp.close().catch(() => undefined);
      throw err;
    }
  }

  /** `kubectl ARGS` with the admin kubeconfig; printed as typed, with its output, unless `quiet`. */
  async kubectl(
    args: readonly string[],
    o: { input?: string; quiet?: boolean; shown?: string } = {},
  ): Promise<string> {
    const res = await this.cp.kubectl([...args], { input: o.input });
    if (o.quiet !== true)
      this.report.cmd(`$ kubectl ${o.shown ?? shellWords(args)}`, res.stdout + res.stderr);
    return res.stdout;
  }

  async #install(): Promise<void> {
    const r = this.report;
    r.section(
      'Installing bmlb: the CRDs and RBAC from deploy/, the controller (2 replicas), a speaker per node',
    );
    await this.kubectl(['create', 'namespace', NS]);
    await this.kubectl(['apply', '--server-side', '-k', path.join(REPO, 'deploy/crds')], {
      shown: 'apply --server-side -k deploy/crds',
    });
    await this.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all'], {
      quiet: true,
    });
    await this.kubectl(['apply', '-f', path.join(REPO, 'deploy/rbac')], { shown: 'apply -f deploy/rbac/' });

    // The controller: two replicas beside the control plane, with the `controller` ServiceAccount's
    // token, electing a leader on the Lease. (No validating webhook here: the API server would reach
    // it through its Service, and the lab has no Service proxy.)
    const ctrlToken = await this.cp.tokenFor(NS, 'controller', { seconds: 24 * 3600 });
    const ctrlKubeconfig = this.cp.kubeconfigFor({ token: ctrlToken, name: 'controller' });
    for (const i of [0, 1]) {
      const [metricsPort, healthPort] = (await freePorts(2)) as [number, number];
      const identity = `controller-${i}`;
      const proc = new Proc(
        [
          'setpriv',
          '--pdeathsig',
          'KILL',
          '--',
          process.execPath,
          CONTROLLER_MAIN,
          `--kubeconfig=${ctrlKubeconfig}`,
          `--metrics-address=127.0.0.1:${metricsPort}`,
          `--health-address=127.0.0.1:${healthPort}`,
          '--webhook-address=',
        ],
        {
          name: identity,
          env: { ...controllerEnv(), POD_NAME: identity },
          logFile: path.join(this.lab.dir, `${identity}.log`),
        },
      );
      this.lab.track({ close: async () => void (await proc.stop(5_000)), closeSync: () => proc.killSync() });
      this.controllers.push({ proc, identity, healthPort });
    }
    for (const c of this.controllers)
      await waitFor(
        async () => {
          if (!c.proc.running) throw new Error(`${c.identity} exited:\n${c.proc.output().slice(-3000)}`);
          return (
            (await fetch(`http://127.0.0.1:${c.healthPort}/readyz`).catch(() => undefined))?.status === 200
          );
        },
        { timeoutMs: 60_000, intervalMs: 100, what: `${c.identity} ready` },
      );
    await waitFor(
      async () =>
        (
          await this.cp.kubectl(
            ['get', 'lease', '-n', NS, 'bmlb-controller', '-o', 'jsonpath={.spec.holderIdentity}'],
            { allowFail: true },
          )
        ).stdout !== '',
      { timeoutMs: 30_000, what: 'a controller holding the Lease' },
    );
    r.say(`  controller-0, controller-1 (pids ${this.controllers.map((c) => c.proc.pid).join(', ')}): ready`);
    await this.kubectl([
      'get',
      'lease',
      '-n',
      NS,
      'bmlb-controller',
      '-o',
      'custom-columns=LEASE:.metadata.name,HOLDER:.spec.holderIdentity',
    ]);

    // One speaker per node, as its DaemonSet Pod runs: in the node's network namespace, with the
    // `speaker` ServiceAccount's token and NODE_NAME.
    const spkToken = await this.cp.tokenFor(NS, 'speaker', { seconds: 24 * 3600 });
    this.#speakerKubeconfig = this.cp.kubeconfigFor({ token: spkToken, name: 'speaker' });
    await Promise.all(this.topo.nodes.map((n) => this.startSpeaker(n)));
    r.say(`  speakers on ${this.topo.nodes.map((n) => `${n.name} (pid ${n.proc?.pid})`).join(', ')}: ready`);

    r.section(
      `Applying the seed manifests unchanged (${SHOWN_SEED_DIR}), and the Deployment web behind its Service`,
    );
    await this.kubectl(['apply', '-f', SEED_DIR], { shown: `apply -f ${SHOWN_SEED_DIR}` });
    await this.kubectl(['apply', '-f', '-'], {
      input: WEB_DEPLOYMENT,
      shown: 'apply -f web-deployment.yaml',
    });
    r.say(WEB_DEPLOYMENT.replace(/^/gm, '    | '));
    await this.kubectl(['rollout', 'status', 'deployment/web', '--timeout=120s']);
    // The rollout is done when the Pods are Ready; the EndpointSlice controller follows a moment
    // later (CI once verified and sent traffic with only one node's endpoint in it yet).
    await waitFor(async () => ((await this.endpointNodes()).length === NODES.length ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: "web's EndpointSlice with a ready endpoint on every node",
    });
    this.webIP = await waitFor(
      async () =>
        (await this.cp.kubectl(['get', 'svc', 'web', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}']))
          .stdout || undefined,
      { timeoutMs: 30_000, what: 'an EXTERNAL-IP for the Service web' },
    );

    // The data plane: each node accepts web's IP and answers on it.
    for (const n of this.topo.nodes)
      this.responders.set(n.name, await startResponder(this.lab, n, [this.webIP], WEB_PORT));
    this.fib = await Promise.all(this.topo.torNs.map((ns) => FibWatch.start(ns, this.prefix)));
  }

  /** Starts (or restarts) the node's speaker (ours in Kubernetes mode, or MetalLB's) and waits until it is ready. */
  async startSpeaker(node: SpeakerNode): Promise<Proc> {
    if (this.#metallb !== undefined) return this.#startMetallbSpeaker(node, this.#metallb);
    const proc = this.lab.spawn(
      node.ns,
      [
        process.execPath,
        SPEAKER_MAIN,
        '--kubeconfig',
        this.#speakerKubeconfig,
        '--status-socket',
        node.statusSocket,
      ],
      { name: `speaker-${node.name}`, env: { ...this.#speakerEnv, NODE_NAME: node.name } },
    );
    node.proc = proc;
    await proc.waitForOutput(/"event":"ready"/, { timeoutMs: 60_000 });
    return proc;
  }

  /**
   * Benchmark mode: MetalLB's own controller and native speaker (v0.15.2, `dir` from
   * scripts/build-metallb.sh) take over from ours on the same cluster, network and manifests.
   * Ours stop first (SIGTERM: Cease to the ToRs, routes withdrawn). MetalLB's native speaker refuses
   * any BFD configuration ("bfd-profile set on native bgp mode"), so it runs as it supports: the
   * peers without bfdProfile and no BFDProfile objects. It gets MetalLB's own RBAC (from its
   * metallb-native.yaml) on the same ServiceAccounts, the CRDs of the kinds ours lack, and stand-in
   * speaker Pods (a DaemonSet of pause on the kwok nodes): it reads its own Pod at start.
   */
  async switchToMetallb(dir: string): Promise<void> {
    const r = this.report;
    r.section('MetalLB v0.15.2 in place of bmlb: its controller and native speaker, on the same manifests');
    await this.setBfd('none');
    for (const n of this.topo.nodes) await n.proc?.stop(5_000);
    for (const c of this.controllers) await c.proc.stop(5_000);
    this.controllers.length = 0;
    r.say(
      '  bmlb stopped (SIGTERM: each speaker closed its sessions with a Cease and the controllers released the Lease)',
    );
    await this.kubectl(['delete', 'bfdprofile', '--all', '-n', NS]);
    // Our speakers' status objects (one request each: kubectl deletes thousands one at a time).
    const api = new Api(this.cp.server, this.cp.caPem, this.cp.adminToken);
    try {
      for (const p of [
        `/apis/metallb.io/v1beta1/namespaces/${NS}/servicebgpstatuses`,
        `/apis/bmlb.io/v1alpha1/namespaces/${NS}/bgpsessionstates`,
      ]) {
        const a = await api.request('DELETE', p);
        r.say(
          `  $ kubectl delete ${p.split('/').at(-1)} --all -n ${NS}   (one DELETE of the collection: ${a.status})`,
        );
      }
    } finally {
      api.close();
    }
    for (const f of ['metallb.io_l2advertisements.yaml', 'metallb.io_servicel2statuses.yaml'])
      await this.kubectl(['apply', '--server-side', '-f', path.join(dir, 'crds', f)], {
        shown: `apply --server-side -f ${f}`,
      });
    const rbac = fs
      .readFileSync(path.join(dir, 'metallb-native.yaml'), 'utf8')
      .split(/^---$/m)
      .filter((d) => /^kind: (ServiceAccount|Role|ClusterRole|RoleBinding|ClusterRoleBinding)$/m.test(d))
      .join('\n---\n');
    await this.kubectl(['apply', '-f', '-'], {
      input: rbac,
      shown: 'apply -f - <<< "$(MetalLB\'s RBAC from metallb-native.yaml)"',
    });
    await this.kubectl(['apply', '-f', '-'], {
      input: METALLB_SPEAKER_STANDIN,
      shown: 'apply -f speaker-standin-daemonset.yaml',
    });
    await this.kubectl(['rollout', 'status', '-n', NS, 'daemonset/speaker', '--timeout=60s'], {
      quiet: true,
    });
    const pods = await this.cp.kubectlJson<{
      items: { metadata: { name: string }; spec: { nodeName: string } }[];
    }>(['get', 'pods', '-n', NS, '-l', 'app=metallb,component=speaker']);
    const podOf = new Map(pods.items.map((p) => [p.spec.nodeName, p.metadata.name]));

    const ctrlKubeconfig = this.cp.kubeconfigFor({
      token: await this.cp.tokenFor(NS, 'controller', { seconds: 24 * 3600 }),
      name: 'metallb-controller',
    });
    const [port] = (await freePorts(1)) as [number];
    const proc = new Proc(
      [
        'setpriv',
        '--pdeathsig',
        'KILL',
        '--',
        path.join(dir, 'controller'),
        `--kubeconfig=${ctrlKubeconfig}`,
        `--namespace=${NS}`,
        '--webhook-mode=disabled',
        '--disable-cert-rotation',
        `--port=${port}`,
        '--log-level=info',
      ],
      { name: 'metallb-controller', logFile: path.join(this.lab.dir, 'metallb-controller.log') },
    );
    this.lab.track({ close: async () => void (await proc.stop(5_000)), closeSync: () => proc.killSync() });
    this.controllers.push({ proc, identity: 'metallb-controller', healthPort: 0 });
    await proc.waitForOutput(/Starting workers/, { timeoutMs: 60_000 });
    r.say(`  MetalLB controller (pid ${proc.pid}): running`);

    this.impl = 'metallb';
    this.#metallb = {
      dir,
      kubeconfig: this.cp.kubeconfigFor({
        token: await this.cp.tokenFor(NS, 'speaker', { seconds: 24 * 3600 }),
        name: 'metallb-speaker',
      }),
      pods: podOf,
    };
    await Promise.all(this.topo.nodes.map((n) => this.startSpeaker(n)));
    r.say(
      `  MetalLB speakers on ${this.topo.nodes.map((n) => `${n.name} (pid ${n.proc?.pid})`).join(', ')}: sessions Established with both ToRs`,
    );
    for (const [i, tor] of this.topo.tors.entries())
      r.cmd(`tor${i + 1}# show bgp summary`, await tor.vtysh('show bgp summary'));
    const eps = (await this.endpointNodes()).map((n) => NODE_IP[n] as string);
    await this.checkRoutes(eps, 'MetalLB: the nodes with an endpoint of web');
  }

  #metallb: { dir: string; kubeconfig: string; pods: Map<string, string> } | undefined;

  /** MetalLB's native speaker in the node's namespace, as its DaemonSet Pod runs it (no memberlist). */
  async #startMetallbSpeaker(
    node: SpeakerNode,
    m: { dir: string; kubeconfig: string; pods: Map<string, string> },
  ): Promise<Proc> {
    const proc = this.lab.spawn(node.ns, [path.join(m.dir, 'speaker'), '--port=7472', '--log-level=info'], {
      name: `metallb-speaker-${node.name}`,
      env: {
        KUBECONFIG: m.kubeconfig,
        METALLB_NODE_NAME: node.name,
        METALLB_HOST: node.addr,
        METALLB_NAMESPACE: NS,
        METALLB_POD_NAME: m.pods.get(node.name) ?? '',
      },
    });
    node.proc = proc;
    for (const tor of this.topo.tors)
      await tor.waitForBgpState(node.addr, 'Established', { timeoutMs: 60_000 }).catch((err: Error) => {
        throw new Error(`${err.message}\nMetalLB speaker on ${node.name}:\n${proc.output().slice(-3000)}`);
      });
    return proc;
  }

  /** The nodes with a ready endpoint of web (from its EndpointSlices). */
  async endpointNodes(): Promise<string[]> {
    const slices = await this.cp.kubectlJson<{
      items: { endpoints?: { nodeName?: string; conditions?: { ready?: boolean } }[] }[];
    }>(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web']);
    return sorted(
      new Set(
        slices.items
          .flatMap((s) => s.endpoints ?? [])
          .filter((e) => e.conditions?.ready === true && e.nodeName !== undefined)
          .map((e) => e.nodeName as string),
      ),
    );
  }

  /** Waits until both ToRs' kernel FIBs forward web's IP to exactly `hops`; returns what they have. */
  async waitFib(hops: readonly string[], o: WaitOptions = {}): Promise<(string[] | undefined)[]> {
    await Promise.all(
      this.fib.map((w) =>
        w.waitGateways((g) => same(g, hops), { timeoutMs: o.timeoutMs ?? 30_000 }).catch(() => undefined),
      ),
    );
    return this.fib.map((w) => w.gateways());
  }

  /** Checks both ToRs' kernel FIBs against `hops` (after waiting for them) and prints `show ip route`. */
  async checkRoutes(hops: readonly string[], why: string): Promise<boolean> {
    const got = await this.waitFib(hops);
    let ok = true;
    for (const [i, tor] of this.topo.tors.entries()) {
      this.report.cmd(
        `tor${i + 1}# show ip route ${this.webIP}`,
        await tor.vtysh(`show ip route ${this.webIP}`),
      );
      ok =
        this.report.check(
          same(got[i], hops),
          `tor${i + 1} forwards ${this.webIP} to ${hops.length === 0 ? 'nobody' : sorted(hops).join(', ')} (${why})`,
          {
            detail: `its kernel FIB has [${(got[i] ?? []).join(', ')}]`,
          },
        ) && ok;
    }
    return ok;
  }

  /** The seed's Verification section. */
  async verify(): Promise<void> {
    const r = this.report;
    r.section("Verification (the seed's): the Service's IP, the speakers' sessions, the ToRs' routes");
    const svc = await this.kubectl(['get', 'svc', 'web']);
    r.check(
      /^203\.0\.113\.\d+$/.test(this.webIP) && !svc.includes('<pending>'),
      `web's EXTERNAL-IP ${this.webIP} is from 203.0.113.0/24`,
    );
    const pool = await this.cp.kubectlJson<{ metadata: { annotations?: Record<string, string> } }>([
      'get',
      'svc',
      'web',
    ]);
    r.check(
      pool.metadata.annotations?.['metallb.io/ip-allocated-from-pool'] === 'prod-pool',
      'web is annotated metallb.io/ip-allocated-from-pool: prod-pool',
    );
    await this.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'wide']);

    // The speakers' logs: "BGP session" lines for both ToRs.
    await waitFor(
      () =>
        this.topo.nodes.every((n) =>
          TOR_ADDRS.every((t) => n.proc?.output().includes(`BGP session established with ${t}`)),
        ),
      { timeoutMs: 30_000, what: 'every speaker established with both ToRs' },
    ).catch(() => undefined);
    for (const n of this.topo.nodes) {
      const lines = (n.proc?.stdout ?? '').split('\n').filter((l) => l.includes('BGP session'));
      r.cmd(
        `$ kubectl logs -n ${NS} <speaker on ${n.name}> | grep "BGP session"      # (a process here: its log)`,
        lines.join('\n'),
      );
      for (const t of TOR_ADDRS)
        r.check(
          lines.some((l) => l.includes(`BGP session established with ${t}`)),
          `${n.name}: BGP session established with ${t}`,
        );
    }

    // The session-state kind.
    const states = await waitFor(
      async () => {
        const l = await this.cp
          .kubectlJson<{ items: { status?: { node?: string; peerAddress?: string; bgpState?: string } }[] }>([
            'get',
            'bgpsessionstates',
            '-n',
            NS,
          ])
          .catch(() => ({ items: [] }));
        return l.items.filter((s) => s.status?.bgpState === 'Established').length >= 6 ? l : undefined;
      },
      { timeoutMs: 20_000, what: 'six BGPSessionStates Established' },
    ).catch(() => undefined);
    const table = await this.cp.kubectl(['get', 'bgpsessionstates', '-n', NS], { allowFail: true });
    r.cmd(`$ kubectl get bgpsessionstates -n ${NS}`, table.stdout + table.stderr);
    r.check(states !== undefined, 'BGPSessionState: each node Established with both ToRs (6 sessions)', {
      detail: table.stderr.trim() || 'fewer than 6 Established',
    });
    const sbs = await this.cp.kubectl(['get', 'servicebgpstatuses', '-n', NS, '-o', 'wide'], {
      allowFail: true,
    });
    r.cmd(`$ kubectl get servicebgpstatuses -n ${NS} -o wide`, sbs.stdout + sbs.stderr);

    // The ToRs: sessions, and web's route under Local: the nodes with an endpoint.
    for (const [i, tor] of this.topo.tors.entries())
      r.cmd(`tor${i + 1}# show bgp summary`, await tor.vtysh('show bgp summary'));
    const eps = await this.endpointNodes();
    r.say(`  web's ready endpoints are on ${eps.join(', ')} (externalTrafficPolicy: Local)`);
    await this.checkRoutes(
      eps.map((n) => NODE_IP[n] as string),
      'Local: the nodes with an endpoint',
    );
    r.cmd(
      `tor1# show bgp ipv4 unicast ${this.webIP}`,
      await this.topo.tors[0]!.vtysh(`show bgp ipv4 unicast ${this.webIP}`),
    );
  }

  /** The client's flows to web's IP, spread over the ToRs and the nodes. */
  async traffic(): Promise<TrafficSummary> {
    const r = this.report;
    const flows = this.opts.spreadFlows ?? 64;
    r.section(
      `Traffic: the client (198.51.100.10) opens ${flows} UDP flows to ${this.webIP}:${WEB_PORT}, each from its own source port`,
    );
    // The nodes with an endpoint, and both ToRs forwarding to exactly them, before the first flow.
    const eps = await this.endpointNodes();
    await this.waitFib(eps.map((n) => NODE_IP[n] as string));
    const rx0 = await Promise.all(this.topo.torNs.map((ns) => rxPackets(ns, 'client0')));
    const report = await Flows.run(
      this.lab,
      this.client,
      { dst: this.webIP, port: WEB_PORT, flows, intervalMs: 20 },
      2_000,
    );
    const rx1 = await Promise.all(this.topo.torNs.map((ns) => rxPackets(ns, 'client0')));
    const s = summarize(report);
    r.say(`  ${s.sent} datagrams sent, ${s.sent - s.lost} answered`);
    for (const [i] of this.topo.torNs.entries())
      r.say(
        `  via tor${i + 1}: ${(rx1[i] ?? 0) - (rx0[i] ?? 0)} packets from the client (ip -s link show client0)`,
      );
    for (const n of this.topo.nodes) {
      const c = s.flowsByNode[n.name] ?? 0;
      r.say(`  answered by ${n.name}: ${String(c).padStart(3)} flows  ${'#'.repeat(c)}`);
    }
    r.check(
      s.lost === 0 && s.flowsByNode['(no reply)'] === undefined,
      'every flow was answered, nothing lost',
      {
        detail: `${s.lost} lost`,
      },
    );
    r.check(
      eps.every((n) => (s.flowsByNode[n] ?? 0) > 0),
      `the flows spread over every node announcing the IP (${eps.join(', ')})`,
    );
    r.check(
      rx1.every((x, i) => x - (rx0[i] ?? 0) > 0),
      'the client used both ToRs',
    );
    return s;
  }

  /**
   * `n` more Services (Cluster, selecting web's Pods) created at once (16 requests in flight), each
   * timed from its own creation until its /32 is in both ToRs' kernel FIBs with three next hops;
   * then all deleted the same way, each timed until its route left both.
   */
  async scale(n: number, o: { pool?: 'bench-pool'; what?: string } = {}): Promise<ScaleResult> {
    const r = this.report;
    const [poolRe, poolNet] =
      o.pool === undefined ? [/^203\.0\.113\.\d+$/, '203.0.113.0/24'] : [/^198\.18\.\d+\.\d+$/, BENCH_NET];
    r.section(
      `${o.what ?? ''}${n} Services created at once (type LoadBalancer, Cluster, selecting web's Pods${o.pool === undefined ? '' : `, pool ${o.pool}`}; ${this.impl}): each one's route at both ToRs`,
    );
    const stepStart = Date.now();
    const sessionsBefore = await this.#sessions();
    const trackers = await Promise.all(this.topo.torNs.map((ns) => FibTracker.start(ns)));
    const bfd = await BfdWatch.start(this.topo.torNs, [
      ...this.topo.tors.map((t, i) => ({ name: `tor${i + 1} bfdd`, pid: t.pids.get('bfdd') })),
      ...this.topo.nodes.map((n) => ({ name: `${n.name} speaker`, pid: n.proc?.pid })),
    ]).catch(async (err: unknown) => {
      await Promise.all(trackers.map((t) => t.stop()));
      throw err;
    });
    const raised = rmemMaxRaised();
    r.say(
      `  each ToR's FIB followed by \`ip -rcvbuf ${32 << 20} -ts monitor route nexthop\` (src/fib-tracker.ts): receive buffer ${trackers.map((t) => (t.receiveBuffer === undefined ? '?' : `${t.receiveBuffer >> 20} MiB`)).join(' / ')} at tor1 / tor2${raised === undefined ? '' : ` (net.core.rmem_max raised from ${raised.original} to ${raised.value} bytes while the trackers run, put back after)`}`,
    );
    const api = new Api(this.cp.server, this.cp.caPem, this.cp.adminToken);
    try {
      const names = Array.from({ length: n }, (_, i) => `svc-${String(i + 1).padStart(4, '0')}`);
      const svc = (name: string) => ({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name,
          namespace: 'default',
          labels: { lab: 'scale' },
          ...(o.pool === undefined ? {} : { annotations: { 'metallb.io/address-pool': o.pool } }),
        },
        spec: {
          type: 'LoadBalancer',
          externalTrafficPolicy: 'Cluster',
          allocateLoadBalancerNodePorts: false,
          selector: { app: 'web' },
          ports: [{ port: 443, targetPort: 8443 }],
        },
      });
      r.say(`  POST /api/v1/namespaces/default/services x ${n}, 16 at a time, e.g.:`);
      r.say(JSON.stringify(svc(names[0] as string)).replace(/^/gm, '    | '));
      const t0 = Date.now();
      let retried = 0;
      const created = await mapConcurrent(names, 16, async (name) => {
        const a = await api.requestRetrying('POST', '/api/v1/namespaces/default/services', svc(name));
        if (a.tries > 1) retried++;
        if (a.status === 201) return a.at;
        // A retried create that finds its Service: the attempt whose answer was lost made it, at
        // some moment after the first one was sent; timing from then overstates its latency.
        if (a.status === 409 && a.tries > 1) return a.first;
        throw new Error(`creating Service ${name}: ${a.status} ${a.body.slice(0, 300)}`);
      });
      const createdMs = Math.max(...created) - t0;
      r.say(
        `  created in ${fmtMs(createdMs)}${retried === 0 ? '' : ` (${retried} creates tried again after the API server answered 429/5xx or the connection failed; those are timed from their first attempt)`}`,
      );
      const ips = await waitFor(
        async () => {
          const a = await api.request('GET', '/api/v1/namespaces/default/services?labelSelector=lab%3Dscale');
          const l = JSON.parse(a.body) as {
            items: {
              metadata: { name: string };
              status?: { loadBalancer?: { ingress?: { ip?: string }[] } };
            }[];
          };
          const byName = new Map(
            l.items.map((x) => [x.metadata.name, x.status?.loadBalancer?.ingress?.[0]?.ip]),
          );
          const got = names.map((nm) => byName.get(nm));
          return got.every((x) => x !== undefined) ? (got as string[]) : undefined;
        },
        {
          timeoutMs: 120_000 + n * 60,
          intervalMs: n > 1000 ? 2_000 : 250,
          what: `${n} Services with an EXTERNAL-IP`,
        },
      ).catch(() => [] as string[]);
      r.check(
        ips.length === n && ips.every((ip) => poolRe.test(ip)) && new Set(ips).size === n,
        `${n} distinct EXTERNAL-IPs from ${poolNet}`,
      );
      const three = (g: string[] | undefined) => (g ?? []).length === 3;
      const targets = ips.map((dst, i) => ({ dst, since: created[i] as number }));
      const at = await Promise.all(
        trackers.map((t) =>
          t.when(targets, three, 120_000 + n * 60).catch((err: Error) => {
            r.say(`  ${err.message}`);
            return targets.map(() => Number.NaN);
          }),
        ),
      );
      const routeMs = targets.map((t, i) => Math.max(...at.map((xs) => (xs[i] as number) - t.since)));
      const allMs = Math.max(...at.flat()) - t0;
      r.cmd(
        '$ kubectl get svc -l lab=scale | head -4',
        (await this.kubectl(['get', 'svc', '-l', 'lab=scale', '--sort-by=.metadata.name'], { quiet: true }))
          .split('\n')
          .slice(0, 4)
          .join('\n'),
      );
      for (const [i, tor] of this.topo.tors.entries())
        r.cmd(`tor${i + 1}# show ip route summary`, await tor.vtysh('show ip route summary'));
      r.say(
        `  Service created → its route with three next hops in both ToRs' kernel FIBs: p50 ${fmtMs(percentile(routeMs, 50))}, p99 ${fmtMs(percentile(routeMs, 99))}, max ${fmtMs(Math.max(...routeMs))}; all ${n} routes ${fmtMs(allMs)} after the first request`,
      );
      r.say(
        `  the last route came ${fmtMs(allMs - createdMs)} after the last Service was created; ip monitor lost messages (its buffer overflowed) ${trackers.map((t) => t.overflows).join(' / ')} times at tor1 / tor2${trackers.some((t) => t.overflows > 0) ? ': the routes changed meanwhile are timed when the FIB was re-read, later than they came' : ''}`,
      );
      r.check(
        routeMs.every(Number.isFinite),
        `all ${n} routes in both ToRs' kernel FIBs with three next hops`,
      );

      const t1 = Date.now();
      const deleted = await mapConcurrent(names, 16, async (name) => {
        const a = await api.requestRetrying('DELETE', `/api/v1/namespaces/default/services/${name}`);
        if (a.status === 200 || a.status === 202) return a.at;
        if (a.status === 404 && a.tries > 1) return a.first; // the lost answer's attempt deleted it
        throw new Error(`deleting Service ${name}: ${a.status} ${a.body.slice(0, 300)}`);
      });
      const gone = await Promise.all(
        trackers.map((t) =>
          t
            .when(
              ips.map((dst, i) => ({ dst, since: deleted[i] as number })),
              (g) => g === undefined,
              // Longer than for the creations: MetalLB's speakers still held 3,759 of 10,000 routes
              // 720 s after the last DELETE (a full run, 2026-12-05), and the steps after this one
              // (the drains) must start from a settled cluster to measure anything.
              120_000 + n * 240,
            )
            .catch((err: Error) => {
              r.say(`  ${err.message}`);
              return ips.map(() => Number.NaN);
            }),
        ),
      );
      const withdrawMs = Math.max(...gone.flat()) - t1;
      const perService = ips.map((_, i) =>
        Math.max(...gone.map((xs) => (xs[i] as number) - (deleted[i] as number))),
      );
      r.say(
        `  DELETE x ${n} → each route gone from both ToRs: p50 ${fmtMs(percentile(perService, 50))}, p99 ${fmtMs(percentile(perService, 99))}; all gone ${fmtMs(withdrawMs)} after the first request`,
      );
      r.check(Number.isFinite(withdrawMs), `all ${n} routes withdrawn from both ToRs`);
      // kube-controller-manager's garbage collector deletes the Services' EndpointSlices (which
      // carry the Services' labels) after them, thousands of deletes that hold up its other work: a
      // drain started meanwhile waits longer for its EndpointSlice, whichever speaker runs.
      const slicesGone = await waitFor(
        async () => {
          const a = await api.request(
            'GET',
            '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=lab%3Dscale&limit=1',
          );
          return a.status === 200 && (JSON.parse(a.body) as { items?: unknown[] }).items?.length === 0
            ? Date.now()
            : undefined;
        },
        { timeoutMs: 120_000 + n * 60, intervalMs: 1_000, what: "the deleted Services' EndpointSlices gone" },
      ).catch(() => Number.NaN);
      r.say(
        `  the Services' EndpointSlices deleted by the garbage collector ${fmtMs(slicesGone - t1)} after the first DELETE`,
      );
      r.check(
        Number.isFinite(slicesGone),
        "the deleted Services' EndpointSlices gone (a settled control plane)",
      );
      const seen = await bfd.stop();
      const steady = await this.#checkNoFlap(sessionsBefore, `${n} Services were created and deleted`);
      r.say(
        "  BFD at the ToRs through the step (tcpdump on each ToR's eth0; the run delay in /proc/PID/schedstat of bfdd and the speakers):",
      );
      for (const l of describeBfdWatch(seen, TOR_ADDRS, NODE_NAME, stepStart, !steady)) r.say(l);
      const overflows = trackers.map((t) => t.overflows);
      r.say(
        `  ip monitor's lost messages over creations and deletions: ${overflows.join(' / ')} at tor1 / tor2`,
      );
      return { services: n, routeMs, allMs, createdMs, withdrawMs, overflows };
    } finally {
      api.close();
      await Promise.all(trackers.map((t) => t.stop()));
      await bfd.stop();
    }
  }

  /**
   * Per ToR and node (`tor1 10.0.0.21`), bgpd's session state and how many times it has dropped
   * the session (`show bgp neighbors json`), for #checkNoFlap.
   */
  async #sessions(): Promise<Sessions> {
    const at = Date.now();
    const bgp = new Map<string, { state: string; drops: number }>();
    for (const [i, tor] of this.topo.tors.entries()) {
      const all = JSON.parse(await tor.vtysh('show bgp neighbors json')) as Record<
        string,
        { bgpState?: string; connectionsDropped?: number }
      >;
      for (const node of NODES) {
        const p = all[node.ip];
        bgp.set(`tor${i + 1} ${node.ip}`, {
          state: p?.bgpState ?? 'no session',
          drops: p?.connectionsDropped ?? Number.NaN,
        });
      }
    }
    return { at, bgp };
  }

  /**
   * No BGP session of `nodes` at either ToR went down since `before`: each is Established and bgpd
   * has dropped it no more times than then. (Its uptime would not do: bgpd counts it in whole
   * seconds, and a session established within a second before the step read as younger than it.)
   * A session that flapped under load (a BFD daemon or a speaker kept from sending) withdrew every
   * route of its node meanwhile.
   */
  async #checkNoFlap(
    before: Sessions,
    what: string,
    nodes: readonly { name: string; ip: string }[] = NODES,
  ): Promise<boolean> {
    const now = await this.#sessions();
    const flapped: string[] = [];
    for (const [i] of this.topo.tors.entries())
      for (const node of nodes) {
        const key = `tor${i + 1} ${node.ip}`;
        const a = before.bgp.get(key);
        const b = now.bgp.get(key);
        const drops = (b?.drops ?? Number.NaN) - (a?.drops ?? Number.NaN);
        if (b?.state !== 'Established' || drops !== 0)
          flapped.push(
            `tor${i + 1}–${node.name}: ${b?.state ?? 'no session'}, dropped ${Number.isNaN(drops) ? '?' : drops} times meanwhile`,
          );
      }
    return this.report.check(
      flapped.length === 0,
      `no BGP session${nodes.length < NODES.length ? ` of ${nodes.map((n) => n.name).join(' or ')}` : ''} went down while ${what} (${fmtMs(now.at - before.at)}; bgpd's drop counts at both ToRs unchanged)${flapped.length === 0 ? '' : `: ${flapped.join('; ')}`}`,
    );
  }

  /** The drain: `kubectl drain node-21` under Local, timed from the eviction to the ToRs' FIBs; then uncordon. */
  async drain(): Promise<DrainResult> {
    const r = this.report;
    const node = this.topo.node('node-21');
    r.section(
      `Failover drill: kubectl drain node-21 (web under Local: node-21's next hop must leave both ToRs)`,
    );
    await this.checkRoutes(
      NODES.map((n) => n.ip),
      'before the drain: an endpoint on every node',
    );
    // The EndpointSlice as the speakers see it, each change stamped as it arrives.
    const slices = this.#stamped([
      'get',
      'endpointslices',
      '-l',
      'kubernetes.io/service-name=web',
      '--watch',
      '--output-watch-events',
      '-o',
      'json',
    ]);
    await waitFor(() => slices.lines.length > 0, {
      timeoutMs: 10_000,
      what: 'the EndpointSlice watch',
    }).catch(() => undefined);
    // tcpdump at each ToR and FRR's debugs: the steps between the speaker and the kernel FIB.
    const trace = await DrainTrace.start(this.topo.tors, this.topo.torNs, TOR_ADDRS);
    const args = ['drain', 'node-21', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=120s'];
    const { lines, code } = await this.#stampedKubectl(args);
    const evictedAt = lines.find((l) => /evicting pod/.test(l.text))?.at ?? Number.NaN;
    r.cmd(
      `$ kubectl ${args.slice(0, -1).join(' ')}`,
      lines
        .map(
          (l) => `${l.text.padEnd(48)} (${l.at >= evictedAt ? '+' : ''}${Math.round(l.at - evictedAt)} ms)`,
        )
        .join('\n'),
    );
    r.check(code === 0, 'kubectl drain node-21 succeeded');
    const hop = node.addr;
    const fibMs = await Promise.all(
      this.fib.map((w) =>
        w
          .until((g) => !(g ?? []).includes(hop), { since: evictedAt - 5, timeoutMs: 30_000 })
          .then(
            (m) => m.at - evictedAt,
            () => undefined,
          ),
      ),
    );
    await slices.stop();
    // bgpd and zebra write their debug lines as they go; the FIB change is the last step.
    const updates = trace.updates();
    const frrSteps = trace.frrSteps(this.webIP, evictedAt - 5);
    const loop = trace.loopDelay();
    await trace.stop();
    const events = jsonObjects(slices.lines) as {
      at: number;
      value: { object?: { endpoints?: { nodeName?: string; conditions?: { ready?: boolean } }[] } };
    }[];
    const node21 = (e: (typeof events)[number]) =>
      (e.value.object?.endpoints ?? []).find((x) => x.nodeName === 'node-21');
    const terminating = events.find(
      (e) => e.at >= evictedAt - 5 && node21(e)?.conditions?.ready === false,
    )?.at;
    const sliceGone = events.find((e) => e.at >= evictedAt - 5 && node21(e) === undefined)?.at;
    const withdrew = speakerEvents(node, 'serviceWithdrawn').find((e) => e.time >= evictedAt - 5);
    r.say(`  from kubectl's "evicting pod" (its eviction request; the Pod is deleted by kwok's fast stage):`);
    r.say(
      `    web's EndpointSlice: node-21's endpoint terminating (ready false, still serving) +${fmtMs(terminating === undefined ? undefined : terminating - evictedAt)}, gone (the Pod deleted) +${fmtMs(sliceGone === undefined ? undefined : sliceGone - evictedAt)}   (kubectl get endpointslices --watch)`,
    );
    r.say(
      `    node-21's speaker withdrew ${this.webIP} (${String(withdrew?.reason ?? '?')}): +${fmtMs(withdrew === undefined ? undefined : withdrew.time - evictedAt)}`,
    );
    for (const [i, ms] of fibMs.entries())
      r.say(`    tor${i + 1}'s kernel FIB without 10.0.0.21: +${fmtMs(ms)}`);
    // The whole path on one clock, for either implementation.
    const mentionsWeb = (u: WireUpdate) => u.text.includes(`${this.webIP}/32`);
    const wire = updates.map((us) =>
      us.find((u) => u.at >= evictedAt - 5 && u.from === node.addr && mentionsWeb(u)),
    );
    // Every other UPDATE a ToR received from the eviction until its FIB changed: work for its bgpd.
    const others = updates.flatMap((us, i) =>
      us
        .filter((u) => u.at >= evictedAt - 5 && u.at <= evictedAt + (fibMs[i] ?? 0) && u !== wire[i])
        .map((u) => ({
          at: u.at,
          where: `tor${i + 1} eth0`,
          what: `BGP UPDATE from ${NODES.find((n) => n.ip === u.from)?.name ?? u.from}: ${u.text.slice(0, 100)}`,
        })),
    );
    // What bgpd logged between the withdrawal's arrival and its reading of it.
    const busy = trace.bgpdBetween(
      Math.min(...wire.map((u) => u?.at ?? Number.POSITIVE_INFINITY)),
      evictedAt + Math.max(...fibMs.map((x) => x ?? 0)),
    );
    const steps: TraceStep[] = [
      { at: evictedAt, where: 'kubectl', what: 'evicting pod (the eviction request)' },
      ...(terminating === undefined
        ? []
        : [{ at: terminating, where: 'watch', what: "EndpointSlice: node-21's endpoint terminating" }]),
      ...(sliceGone === undefined
        ? []
        : [{ at: sliceGone, where: 'watch', what: "EndpointSlice: node-21's endpoint gone" }]),
      ...speakerLog(node, evictedAt - 5, 8),
      ...wire.flatMap((u, i) =>
        u === undefined
          ? []
          : [
              {
                at: u.at,
                where: `tor${i + 1} eth0`,
                what: `BGP UPDATE from node-21: ${u.text.slice(0, 140)}`,
              },
            ],
      ),
      ...frrSteps.flatMap((xs) => xs.slice(0, 8)),
      ...others.slice(0, 12),
      ...busy.flatMap((xs, i) =>
        xs.filter((x) => !frrSteps[i]?.some((y) => y.at === x.at && y.what === x.what)).slice(0, 6),
      ),
      ...fibMs.flatMap((ms, i) =>
        ms === undefined
          ? []
          : [{ at: evictedAt + ms, where: `tor${i + 1} kernel`, what: 'FIB without 10.0.0.21' }],
      ),
    ].sort((a, b) => a.at - b.at);
    r.say(
      `  the drain step by step (${this.impl}; ms after the eviction request${this.impl === 'metallb' ? "; MetalLB's speaker stamps its log in whole seconds, so its lines cannot be placed" : ''}):`,
    );
    r.say(
      `    (kubectl's lines are stamped by this process, whose event loop was late by up to ${loop.maxMs.toFixed(1)} ms meanwhile, p99 ${loop.p99Ms.toFixed(1)} ms)`,
    );
    for (const st of steps)
      r.say(
        `    +${(st.at - evictedAt).toFixed(1).padStart(7)}  ${st.where.padEnd(14)} ${st.what.replace(/\s+/g, ' ').slice(0, 150)}`,
      );
    const remaining = (await this.endpointNodes()).map((n) => NODE_IP[n] as string);
    r.check(
      !remaining.includes(hop) && remaining.length > 0,
      `web's endpoints left node-21 (now on ${remaining.join(', ')})`,
    );
    await this.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'wide']);
    await this.checkRoutes(remaining, 'after the drain, Local: node-21 has no endpoint');
    r.check(
      fibMs.every((x) => x !== undefined),
      'node-21 left both kernel FIBs after the eviction',
    );

    r.section(
      'Switching web to externalTrafficPolicy: Cluster: every node announces (node-21 too, though cordoned and without a Pod)',
    );
    const cluster = await this.#policy(
      'Cluster',
      NODES.map((n) => n.ip),
    );
    r.say(`  kubectl patch → 3 next hops in both kernel FIBs: ${fmtMs(cluster)}`);
    await this.checkRoutes(
      NODES.map((n) => n.ip),
      'Cluster: every node',
    );
    const local = await this.#policy('Local', remaining);
    r.say(`  back to Local → node-21 withdrawn from both kernel FIBs: ${fmtMs(local)}`);
    await this.checkRoutes(remaining, 'Local again');

    r.section('kubectl uncordon node-21, and a rollout that puts a web replica back on it');
    await this.kubectl(['uncordon', 'node-21']);
    await this.kubectl(['rollout', 'restart', 'deployment/web']);
    await this.kubectl(['rollout', 'status', 'deployment/web', '--timeout=120s']);
    await waitFor(async () => (await this.endpointNodes()).length === 3, {
      timeoutMs: 30_000,
      what: 'endpoints on all three nodes',
    }).catch(() => undefined);
    await this.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'wide']);
    await this.checkRoutes(
      NODES.map((n) => n.ip),
      'node-21 has an endpoint again',
    );
    return {
      evictedAt,
      speakerWithdrewMs: withdrew === undefined ? undefined : withdrew.time - evictedAt,
      fibMs,
      sliceGoneMs: sliceGone === undefined ? undefined : sliceGone - evictedAt,
      wireMs: wire.map((u) => (u === undefined ? undefined : u.at - evictedAt)),
    };
  }

  /** kubectl patch of web's policy, timed until both kernel FIBs have `hops`. */
  async #policy(policy: 'Local' | 'Cluster', hops: readonly string[]): Promise<number | undefined> {
    const t0 = Date.now();
    await this.kubectl([
      'patch',
      'svc',
      'web',
      '-p',
      JSON.stringify({ spec: { externalTrafficPolicy: policy } }),
    ]);
    const at = await Promise.all(
      this.fib.map((w) =>
        w
          .until((g) => same(g, hops), { since: t0 - 1, timeoutMs: 30_000 })
          .then(
            (m) => m.at,
            () => undefined,
          ),
      ),
    );
    return at.some((x) => x === undefined) ? undefined : Math.max(...(at as number[])) - t0;
  }

  /** Runs kubectl, stamping each output line (stdout and stderr) as it arrives. */
  /** Runs kubectl, stamping each output line (stdout and stderr) as it arrives. */
  async #stampedKubectl(
    args: readonly string[],
  ): Promise<{ lines: { at: number; text: string }[]; code: number | null }> {
    const k = this.#stamped(args);
    const code = await k.done;
    return { lines: k.lines, code };
  }

  /** Starts kubectl (e.g. a `--watch`), stamping each output line as it arrives; `stop()` ends it. */
  #stamped(args: readonly string[]): {
    lines: { at: number; text: string }[];
    done: Promise<number | null>;
    stop: () => Promise<number | null>;
  } {
    const lines: { at: number; text: string }[] = [];
    const child = spawn(
      path.join(this.cp.binDir, 'kubectl'),
      [`--kubeconfig=${this.cp.kubeconfig}`, ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    for (const s of [child.stdout, child.stderr]) {
      let at = 0;
      const read = lineReader((text) => lines.push({ at, text }));
      s.setEncoding('utf8');
      s.on('data', (chunk: string) => {
        at = Date.now();
        read(chunk);
      });
    }
    const done = new Promise<number | null>((resolve) =>
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve(code);
      }),
    );
    return {
      lines,
      done,
      stop: () => {
        child.kill('SIGTERM');
        return done;
      },
    };
  }

  /**
   * BFD on both peers: the seed's profile (tor-bfd, 300 ms x 3; 05-bfd.yaml sets it on tor1 only,
   * so tor2 gets it too), a fast one (fast-bfd, 50 ms x 3, on our side and the ToRs'), or none.
   */
  async setBfd(mode: BfdMode): Promise<void> {
    const r = this.report;
    const torRate = async (ms: number) => {
      for (const [i, tor] of this.topo.tors.entries()) {
        const lines = ['bfd', ' profile tor-bfd', `  receive-interval ${ms}`, `  transmit-interval ${ms}`];
        await tor.configure(lines);
        if (ms !== this.#torBfdMs)
          r.say(
            `  tor${i + 1}(config)# bfd / profile tor-bfd / receive-interval ${ms} / transmit-interval ${ms}`,
          );
      }
      this.#torBfdMs = ms;
    };
    const peers = async (profile: string | null) => {
      for (const p of ['tor1', 'tor2'])
        await this.kubectl([
          'patch',
          'bgppeer',
          p,
          '-n',
          NS,
          '--type=merge',
          '-p',
          JSON.stringify({ spec: { bfdProfile: profile } }),
        ]);
    };
    if (mode === 'seed') {
      r.say("  the seed's BFD profile on both peers (05-bfd.yaml sets it on tor1 only):");
      await torRate(300);
      await peers('tor-bfd');
      await this.#waitBfdRate(300);
    } else if (mode === 'fast') {
      r.say('  a faster BFD profile, 50 ms x 3, on both peers and on the ToRs:');
      await this.kubectl(['apply', '-f', '-'], {
        input: FAST_BFD,
        shown: `apply -f - <<< '${FAST_BFD.replaceAll('\n', ' ').trim()}'`,
      });
      await torRate(50);
      await peers('fast-bfd');
      await this.#waitBfdRate(50);
    } else {
      r.say('  BFD taken off both peers (the ToRs keep only the BGP hold time):');
      await peers(null);
      await waitFor(
        async () => {
          for (const tor of this.topo.tors)
            if ((await tor.bfdPeers()).some((p) => p.status !== 'down')) return false;
          return true;
        },
        {
          timeoutMs: 20_000,
          intervalMs: 200,
          what: "every BFD session down on the ToRs (the nodes' gone quiet)",
        },
      );
    }
    const tor = this.topo.tors[0]!;
    r.cmd('tor1# show bfd peers brief', await tor.vtysh('show bfd peers brief'));
  }

  /** Waits until both ToRs run BFD with every node, the node transmitting every `ms` (past the 1 s slow start). */
  async #waitBfdRate(ms: number): Promise<void> {
    await waitFor(
      async () => {
        for (const tor of this.topo.tors) {
          const peers = await tor.bfdPeers();
          for (const n of this.topo.nodes) {
            const p = peers.find((x) => x.peer === n.addr);
            if (p?.status !== 'up' || p['remote-transmit-interval'] !== ms) return false;
          }
        }
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: `BFD up at ${ms} ms on both ToRs with every node` },
    );
  }

  /**
   * A hard failure of node-21: its link down, then its speaker SIGKILLed (nothing more leaves the
   * node), timed at both ToRs' kernel FIBs, with the client's flows running through it.
   */
  async hardFailure(mode: BfdMode): Promise<HardFailureResult> {
    const r = this.report;
    const node = this.topo.node('node-21');
    const bfd = mode !== 'none';
    r.section(
      mode === 'seed'
        ? `Hard failure of node-21 (${this.impl}) with the seed's BFD profile (300 ms x 3): link down, then its speaker SIGKILLed`
        : mode === 'fast'
          ? `Hard failure of node-21 (${this.impl}) with BFD 50 ms x 3: link down, then its speaker SIGKILLed`
          : `Hard failure of node-21 (${this.impl}) without BFD: the ToRs wait for the BGP hold time (${HOLD_TIME} s)`,
    );
    await this.setBfd(mode);
    const all = NODES.map((n) => n.ip);
    await this.waitFib(all);
    await timingDebugs(this.topo, true);
    const sessionsBefore = await this.#sessions();
    const probe = await FailoverProbe.start(this.topo, this.prefix);
    let measurement: FailureMeasurement;
    let traffic: TrafficReport;
    try {
      await probe.waitFib(all);
      await probe.watchLinks(node);
      const flows = await Flows.start(this.lab, this.client, {
        dst: this.webIP,
        port: WEB_PORT,
        // A flow's longest gap overstates the outage by about one interval (its last answer came up
        // to one before the cut, its next one up to one after the repair): 10 ms is noise against
        // a second, but not against the 50 ms profile's goal of 200 ms. That drill sends every 2 ms
        // on half the flows (8,000 datagrams a second), still several of them through node-21.
        flows:
          mode === 'fast' ? Math.ceil((this.opts.failoverFlows ?? 32) / 2) : (this.opts.failoverFlows ?? 32),
        intervalMs: mode === 'fast' ? Math.min(2, this.opts.intervalMs ?? 2) : (this.opts.intervalMs ?? 10),
        maxMs: 60_000,
      });
      await new Promise((res) => setTimeout(res, 1_000));
      r.say(
        `  the client sends ${flows.opts.flows} flows, a datagram each every ${flows.opts.intervalMs} ms; now: ip link set eth0 down in node-21, kill -9 its speaker`,
      );
      measurement = await probe.fail(node, 'cut', bfd ? 5_000 : 30_000);
      await new Promise((res) => setTimeout(res, 1_000));
      traffic = await flows.stop();
    } finally {
      await probe.stop();
      await timingDebugs(this.topo, false).catch(() => undefined);
    }
    const removal = removalMs(measurement);
    r.say(
      formatMeasurement(
        bfd
          ? `next hop gone from both ToRs, BFD ${mode === 'fast' ? 50 : 300} ms x 3`
          : `next hop gone from both ToRs, no BFD (hold ${HOLD_TIME} s)`,
        measurement,
      ),
    );
    const s = summarize(traffic);
    const onFailed = traffic.flows.filter((f) => f.firstNode === node.name);
    const outage = s.worst?.longestGap.ms ?? 0;
    r.say(
      `  the client's traffic: ${s.flows} flows (${onFailed.length} of them on node-21), ${s.sent} datagrams, ${s.lost} lost on ${s.affected.length} flows`,
    );
    r.say(
      `  worst flow: silent for ${fmtMs(outage)} (${s.worst?.longestGap.lost ?? 0} datagrams lost), then answered by ${s.worst?.longestGap.toNode ?? 'nobody'}`,
    );
    for (const f of s.affected.slice(0, 8))
      r.say(
        `    flow :${f.port}  ${f.longestGap.fromNode ?? '-'} → ${f.longestGap.toNode ?? '(silent)'}  gap ${fmtMs(f.longestGap.ms)}, ${f.lost} lost`,
      );
    if (s.affected.length > 8) r.say(`    … ${s.affected.length - 8} more`);
    for (const [i, tor] of this.topo.tors.entries())
      r.cmd(`tor${i + 1}# show ip route ${this.webIP}`, await tor.vtysh(`show ip route ${this.webIP}`));

    r.check(removal !== undefined, "node-21's next hop left both ToRs' kernel FIBs");
    r.check(
      measurement.tors.every((t) => t.ribAgrees),
      "both ToRs' RIBs agree",
    );
    r.check(s.unrecovered === 0, 'every flow was answered again after the failure', {
      detail: `${s.unrecovered} flows still silent`,
    });
    r.check(
      onFailed.length > 0 && s.affected.length > 0,
      'the flows on node-21 saw the outage (and moved to the other nodes)',
    );
    if (bfd) {
      r.check(
        measurement.tors.every((t) => bfdFirst(t)),
        'BFD (not the hold timer) took node-21 down at both ToRs',
      );
      if (mode === 'seed') {
        r.check(
          removal !== undefined && removal < 1_000,
          `the seed's promise: next hop gone in under a second (${fmtMs(removal)})`,
          { timing: true },
        );
        r.goal(
          outage < 1_000,
          `the client's traffic outage under a second with the seed's profile (${fmtMs(outage)})`,
        );
      } else
        r.goal(outage < 200, `the client's traffic outage under 200 ms with 50 ms x 3 (${fmtMs(outage)})`);
    } else {
      // bgpd logs the NOTIFICATION it sends when the hold timer expires.
      const holdExpired = this.topo.tors.map((tor) =>
        tor
          .logEntries('bgpd')
          .some(
            (e) => e.at >= measurement.t0 - 1 && /neighbor 10\.0\.0\.21\b.*Hold Timer Expired/.test(e.text),
          ),
      );
      r.check(
        holdExpired.every((x) => x),
        "the ToRs' hold timers took node-21 down (bgpd: Hold Timer Expired)",
        {
          detail: measurement.tors
            .map((t, i) => `${t.tor}: ${holdExpired[i] ? 'hold timer' : t.bgpDownReason}`)
            .join('; '),
        },
      );
    }
    // Only node-21 failed: a session of another node that went down meanwhile (a ToR's BFD starved,
    // say) took its routes too, and the figures above are not node-21's failure alone.
    await this.#checkNoFlap(
      sessionsBefore,
      `node-21 failed`,
      NODES.filter((n) => n.name !== node.name),
    );
    await this.restore(node);
    return {
      mode,
      measurement,
      removalMs: removal,
      traffic,
      summary: s,
      onFailedNode: onFailed.length,
      outageMs: outage,
      lost: s.lost,
    };
  }

  /** Brings a failed node back: link up, its return route, its speaker; waits for its next hop. */
  async restore(node: SpeakerNode): Promise<void> {
    await node.ns.setUp('eth0');
    await nodeReturnPath(node, this.topo.torNs.length);
    await this.startSpeaker(node);
    const eps = (await this.endpointNodes()).map((n) => NODE_IP[n] as string);
    await this.waitFib(eps, { timeoutMs: 60_000 });
  }

  /** Resident memory of the speakers and controllers now and at their peak (KiB, /proc's VmRSS and VmHWM). */
  memory(): { name: string; rssKiB: number; peakKiB: number }[] {
    // setpriv execs the controller, and `ip netns exec` the speaker: the PIDs are theirs.
    return [
      ...this.topo.nodes.map((n) => ({ name: `speaker ${n.name}`, ...processMemory(n.proc?.pid) })),
      ...this.controllers.map((c) => ({ name: c.identity, ...processMemory(c.proc.pid) })),
    ];
  }

  async close(): Promise<void> {
    for (const w of this.fib) await w.stop().catch(() => undefined);
    await this.lab.close();
    await this.cp.close();
  }
}

/** The JSON values in stamped output lines (one per line, or pretty-printed over several), each stamped with its last line. */
export function jsonObjects(
  lines: readonly { at: number; text: string }[],
): { at: number; value: unknown }[] {
  const out: { at: number; value: unknown }[] = [];
  let buf = '';
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (const l of lines) {
    for (const ch of `${l.text}\n`) {
      if (depth === 0 && ch !== '{' && ch !== '[') continue;
      buf += ch;
      if (inString) {
        if (escaped) escaped = false;
        else if (ch === '\\') escaped = true;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === '{' || ch === '[') depth++;
      else if (ch === '}' || ch === ']') {
        depth--;
        if (depth === 0) {
          try {
            out.push({ at: l.at, value: JSON.parse(buf) });
          } catch {
            // not JSON after all: skip it
          }
          buf = '';
        }
      }
    }
  }
  return out;
}

/** The node's speaker's first `max` log lines stamped at or after `since` (either implementation's JSON log). */
function speakerLog(node: SpeakerNode, since: number, max: number): TraceStep[] {
  const out: TraceStep[] = [];
  for (const l of (node.proc?.stdout ?? '').split('\n')) {
    const at = logLineTime(l);
    if (at === undefined || at < since) continue;
    const o = JSON.parse(l) as { event?: unknown; msg?: unknown };
    // A rebuild's line (configProcessed) comes at its end and says how long it took.
    out.push({ at, where: `${node.name} speaker`, what: `${String(o.event ?? '')}: ${String(o.msg ?? '')}` });
    if (out.length >= max) break;
  }
  return out;
}

/** The node's speaker's JSON log lines with `event` = `name` (pino: `time` in epoch ms). */
function speakerEvents(node: SpeakerNode, name: string): { time: number; [k: string]: unknown }[] {
  return (node.proc?.stdout ?? '')
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes(`"event":"${name}"`))
    .map((l) => JSON.parse(l) as { time: number });
}

/** Prints the goals and the checks' outcome; returns whether a check failed. */
function finish(report: Report): boolean {
  for (const g of report.goals) report.say(`  goal ${g.met ? 'met' : 'MISSED'}: ${g.what}`);
  const failures = report.failures;
  report.say(
    failures.length === 0
      ? `\n  all ${report.checks.length} checks passed`
      : `\n  ${failures.length} of ${report.checks.length} checks FAILED:\n${failures.map((f) => `    - ${f.what}${f.detail ? `: ${f.detail}` : ''}`).join('\n')}`,
  );
  return failures.length > 0;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const hold = args.includes('--hold');
  const bench = args.includes('--bench');
  const num = (flag: string, dflt: number) => {
    const i = args.indexOf(flag);
    const v = i < 0 ? dflt : Number(args[i + 1]);
    if (!Number.isInteger(v) || v < 1 || v > 60_000) {
      process.stderr.write(`${flag} N: a whole number from 1 to 60000\n`);
      process.exit(2);
    }
    return v;
  };
  const si = args.indexOf('--services');
  // The seed's pool is a /24: web has one address, the rest can go to these.
  const services = si < 0 ? 200 : Number(args[si + 1]);
  if (!Number.isInteger(services) || services < 1 || services > 250) {
    process.stderr.write('--services N: 1 to 250 (the seed pool is a /24)\n');
    process.exit(2);
  }
  const report = new Report((t) => process.stdout.write(t), process.stdout.isTTY === true);
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    process.stderr.write(
      'the lab builds network namespaces and a control plane: run it as root on Linux (sudo …)\n',
    );
    process.exit(2);
  }
  ensurePackages(report);
  await ensureKubeBinaries(report);
  if (bench) {
    report.section(
      'Benchmark mode: MetalLB v0.15.2 (controller and native speaker) built from its Go module',
    );
    const dir = metallbBinaries((l) => report.say(l));
    const lab = await ClusterLab.start({ report, tmpfs: true });
    let failed = true;
    try {
      await lab.verify();
      await lab.traffic();
      await benchmark(
        lab,
        { latencyServices: num('--bench-latency', 1000), scaleServices: num('--bench-scale', 10_000) },
        dir,
      );
      failed = finish(report);
    } finally {
      report.section('Tearing down');
      await lab.close();
      report.say('  done: control plane, namespaces, daemons and files removed');
    }
    process.exit(failed ? 1 : 0);
  }
  const lab = await ClusterLab.start({ report });
  let failed = true;
  try {
    await lab.verify();
    await lab.traffic();
    const scale = await lab.scale(services);
    const drain = await lab.drain();
    const withBfd = await lab.hardFailure('seed');
    const noBfd = await lab.hardFailure('none');
    report.section('Summary');
    report.say(
      `  ${scale.services} Services created at once → each one's route at both ToRs: p50 ${fmtMs(percentile(scale.routeMs, 50))}, p99 ${fmtMs(percentile(scale.routeMs, 99))}, all ${fmtMs(scale.allMs)}; deleted → all withdrawn ${fmtMs(scale.withdrawMs)}`,
    );
    report.say(
      `  kubectl drain node-21 → node-21's next hop gone from both ToRs' kernel FIBs: ${fmtMs(Math.max(...drain.fibMs.map((x) => x ?? Number.NaN)))} after the eviction`,
    );
    report.say(
      `  hard failure, BFD 300 ms x 3: next hop gone ${fmtMs(withBfd.removalMs)}, traffic outage ${fmtMs(withBfd.outageMs)} (${withBfd.lost} datagrams lost)`,
    );
    report.say(
      `  hard failure, no BFD (hold ${HOLD_TIME} s): next hop gone ${fmtMs(noBfd.removalMs)}, traffic outage ${fmtMs(noBfd.outageMs)} (${noBfd.lost} datagrams lost)`,
    );
    for (const m of lab.memory())
      report.say(
        `  ${m.name}: ${(m.rssKiB / 1024).toFixed(0)} MiB resident (peak ${(m.peakKiB / 1024).toFixed(0)} MiB)`,
      );
    failed = finish(report);
    if (hold) {
      report.section('Holding the lab up until Ctrl-C');
      report.say(`  export KUBECONFIG=${lab.cp.kubeconfig}; ${lab.cp.binDir}/kubectl get svc web`);
      report.say(
        `  ip netns exec ${lab.topo.torNs[0]?.fullName} vtysh --vty_socket /var/run/frr/${lab.topo.tors[0]?.name} -c 'show ip route ${lab.webIP}'`,
      );
      await new Promise(() => {});
    }
  } finally {
    report.section('Tearing down');
    await lab.close();
    report.say('  done: control plane, namespaces, daemons and files removed');
  }
  process.exit(failed ? 1 : 0);
}

if (import.meta.url === `file://${process.argv[1]}`)
  main().catch((err: unknown) => {
    process.stderr.write(`lab failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
