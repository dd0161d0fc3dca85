// The speaker in Kubernetes mode with 10,000 Services (and 20,000 EndpointSlices): how long from the
// Services' IPs appearing in the API (their status written, as the controller would) until FRR holds
// every route, and the speaker's memory. A real control plane (etcd + kube-apiserver), one FRR ToR,
// the speaker in its node's namespace with its ServiceAccount.
//
//   pnpm --filter @bmlb/speaker bench:k8s [COUNT]      (as root; tools/kube/build.sh first)
//   SPEAKER_NODE_ARGS='--max-semi-space-size=4|--optimize-for-size' …   (several heap settings, one run)
//   SPEAKER_NODE_ARGS='--optimize-for-size MALLOC_ARENA_MAX=1|…' …   (NAME=VALUE: the speaker's environment)
//   SPEAKER_MAIN_JS='/a/dist/main.js|/b/dist/main.js' …   (several builds, one run)
//   SPEAKER_HEAPSNAPSHOT_DIR=DIR …   (V8 heap snapshots of the speaker: before any IP, and announced)
//
// Environment: the DaemonSet's (deploy/speaker.yaml, deployEnv: NODE_OPTIONS, MALLOC_ARENA_MAX), so
// the figures are the product's as deployed, unless this process's environment sets the same name
// (MALLOC_ARENA_MAX= … : glibc's default). SPEAKER_NODE_ARGS replaces NODE_OPTIONS with flags on the
// command line (an empty set, as in SPEAKER_NODE_ARGS='|…', is V8's default heap).
//
// The speaker runs as it is deployed: the built JavaScript (dist/, `pnpm build`; the script builds
// first), not the TypeScript sources (type stripping alone adds about 17 MB of RSS).
//
// Timing (this process's clock): t0 = the first status write sent; tLast = the last status write
// acknowledged by the API server; tRoutes = FRR's `show bgp summary` counts COUNT prefixes from the
// node. Printed: tRoutes − tLast (how far the ToR trails the API) and tRoutes − t0.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deployEnv, KubeControlPlane, Lab, type ProcessMemory, processMemory, waitFor } from '@bmlb/netlab';
import { Topology } from './test-support/topology.ts';

const N = Number(process.argv[2] ?? 10_000);
const CONCURRENCY = 32;
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
// SPEAKER_MAIN_JS='A|B': other builds of the speaker to measure one after the other on the same
// objects (a build before and after a change), instead of this package's dist/main.js.
const MAINS = (process.env.SPEAKER_MAIN_JS ?? fileURLToPath(new URL('../dist/main.js', import.meta.url)))
  .split('|')
  .filter((m) => m !== '');
for (const m of MAINS) {
  if (!fs.existsSync(m)) {
    console.error(`kube.bench: ${m} is missing: run pnpm build first`);
    process.exit(1);
  }
}

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/**
 * Where the RSS is: anonymous memory (V8's heap, malloc, stacks) and file-backed pages (mostly the
 * `node` binary's code, shared by every Node process on the host).
 */
function rssSplit(m: ProcessMemory): string {
  return `RSS ${mb(m.rssKiB)} = anonymous ${mb(m.anonymousKiB)} + file-backed ${mb(m.rssKiB - m.anonymousKiB)}`;
}

/**
 * The speaker's V8 heap (used / total) and memory outside it (external: buffers, and what native
 * code allocates through V8), from its /metrics on the status socket: where the RSS goes.
 */
function heapOf(socketPath: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/metrics', timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => {
        const v = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
        const m = (b: number) => `${(b / 1048576).toFixed(0)}`;
        resolve(
          `heap ${m(v('nodejs_heap_size_used_bytes'))} used / ${m(v('nodejs_heap_size_total_bytes'))} MB, external ${m(v('nodejs_external_memory_bytes'))} MB`,
        );
      });
    });
    req.on('error', (err) => resolve(`heap unknown (${err.message})`));
    req.on('timeout', () => req.destroy(new Error('timed out')));
  });
}

function ipOf(i: number): string {
  return `198.18.${Math.floor(i / 256)}.${i % 256}`;
}

async function pool<T>(items: readonly T[], fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) {
        const x = items[next++] as T;
        for (let attempt = 0; ; attempt++) {
          try {
            await fn(x);
            break;
          } catch (err) {
            if (attempt > 20) throw err;
            await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
          }
        }
      }
    }),
  );
}

const cp = await KubeControlPlane.start({ controllerManager: false, scheduler: false, kwok: false });
const lab = await Lab.create({ prefix: 'bk8s' });
try {
  const topo = await Topology.create(lab, { nodes: 1, tors: 1 });
  const node = topo.node('node1');
  const tor = topo.tors[0] as NonNullable<(typeof topo.tors)[0]>;
  await cp.exposeIn(node.ns);
  const api = async (method: string, p: string, body: unknown, contentType?: string) => {
    const r = await cp.request(p, {
      method,
      body,
      headers: contentType ? { 'content-type': contentType } : {},
    });
    if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${r.body.slice(0, 200)}`);
  };
  await cp.kubectl(['create', 'namespace', 'metallb-system']);
  await cp.kubectl(['create', 'namespace', 'bench']);
  const crdDir = path.join(REPO, 'deploy/crds');
  for (const f of fs.readdirSync(crdDir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml'))
    await cp.kubectl(['apply', '--server-side', '-f', path.join(crdDir, f)]);
  await cp.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
  await cp.kubectl(['apply', '-f', path.join(REPO, 'deploy/rbac/speaker.yaml')]);
  await cp.apply(`apiVersion: v1
kind: Node
metadata: { name: node1 }
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: bench, namespace: metallb-system }
spec: { addresses: [198.18.0.0/16] }
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: bench, namespace: metallb-system }
spec: { ipAddressPools: [bench] }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: tor1, namespace: metallb-system }
spec: { myASN: 65100, peerASN: 65000, peerAddress: 10.0.0.1 }
`);

  process.stdout.write(`creating ${N} Services and ${2 * N} EndpointSlices through the API…\n`);
  const c0 = performance.now();
  const idx = Array.from({ length: N }, (_, i) => i);
  await pool(idx, async (i) => {
    await api('POST', '/api/v1/namespaces/bench/services', {
      metadata: { name: `svc-${i}`, namespace: 'bench' },
      spec: {
        type: 'LoadBalancer',
        allocateLoadBalancerNodePorts: false,
        externalTrafficPolicy: 'Cluster',
        ports: [{ port: 443, targetPort: 8443 }],
        selector: { app: `svc-${i}` },
      },
    });
    for (const k of [0, 1])
      await api('POST', '/apis/discovery.k8s.io/v1/namespaces/bench/endpointslices', {
        metadata: {
          name: `svc-${i}-${k}`,
          namespace: 'bench',
          labels: { 'kubernetes.io/service-name': `svc-${i}` },
        },
        addressType: 'IPv4',
        ports: [{ port: 8443, protocol: 'TCP' }],
        endpoints: [
          { addresses: [`10.244.${k}.${(i % 250) + 1}`], nodeName: 'node1', conditions: { ready: true } },
        ],
      });
  });
  process.stdout.write(`  created in ${s(performance.now() - c0)}\n`);

  const token = await cp.tokenFor('metallb-system', 'speaker');
  const kubeconfig = cp.kubeconfigFor({ token, name: 'speaker-bench' });
  // The DaemonSet's environment (NODE_OPTIONS included, so a flag Node refuses there fails here as in
  // a Pod), where this process's does not name a variable.
  const deploy = deployEnv('speaker');
  const speakerEnv = Object.fromEntries(Object.entries(deploy).filter(([k]) => process.env[k] === undefined));
  // SPEAKER_NODE_ARGS: Node flags for the speaker's command line instead of the DaemonSet's
  // NODE_OPTIONS; several sets separated by `|` are measured one after the other on the same objects
  // (the IPs are taken away between them and the speaker restarted), which saves creating 30,000
  // objects again for each.
  const nodeArgSets = process.env.SPEAKER_NODE_ARGS ?? '';
  if (process.env.SPEAKER_NODE_ARGS !== undefined) delete speakerEnv.NODE_OPTIONS;
  const envShown = Object.keys(deploy).map(
    (k) => `${k}=${JSON.stringify(speakerEnv[k] ?? process.env[k] ?? '')}`,
  );
  process.stdout.write(`  speaker environment (deploy/speaker.yaml's): ${envShown.join(' ')}\n`);
  // SPEAKER_HEAPSNAPSHOT_DIR: the speaker writes a V8 heap snapshot there (SIGUSR2,
  // --heapsnapshot-signal) before any IP and once every route is announced.
  const snapDir = process.env.SPEAKER_HEAPSNAPSHOT_DIR;
  if (snapDir !== undefined) fs.mkdirSync(snapDir, { recursive: true });
  const snapArgs =
    snapDir === undefined
      ? []
      : ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${path.resolve(snapDir)}`];
  // A set's NAME=VALUE words are environment variables of the speaker (over the DaemonSet's).
  const isEnv = (a: string) => /^[A-Z_][A-Z0-9_]*=/.test(a);
  const variants = MAINS.flatMap((main) =>
    nodeArgSets.split('|').map((v) => {
      const words = v.split(' ').filter((a) => a !== '');
      const env = Object.fromEntries(
        words.filter(isEnv).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]),
      );
      const label =
        words.join(' ') ||
        (speakerEnv.NODE_OPTIONS !== undefined
          ? `NODE_OPTIONS="${speakerEnv.NODE_OPTIONS}"`
          : 'default V8 heap');
      return { main, args: words.filter((a) => !isEnv(a)), env, label };
    }),
  );
  /** Writes a heap snapshot of the speaker (SPEAKER_HEAPSNAPSHOT_DIR) and waits until it is complete. */
  const snapshot = async (pid: number | undefined, what: string) => {
    if (snapDir === undefined || pid === undefined) return;
    const before = new Set(fs.readdirSync(snapDir));
    process.kill(pid, 'SIGUSR2');
    let file = '';
    await waitFor(
      async () => {
        file = fs.readdirSync(snapDir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f)) ?? '';
        if (file === '') return false;
        // Complete: the size stops changing.
        const a = fs.statSync(path.join(snapDir, file)).size;
        await new Promise((r) => setTimeout(r, 1000));
        return a > 0 && fs.statSync(path.join(snapDir, file)).size === a;
      },
      { timeoutMs: 300_000, intervalMs: 500, what: `the speaker's heap snapshot (${what})` },
    );
    const named = path.join(snapDir, `${what}-${file}`);
    fs.renameSync(path.join(snapDir, file), named);
    process.stdout.write(`  heap snapshot ${what}: ${named}\n`);
  };
  const results: string[] = [];
  for (const [vi, { main: MAIN_JS, args: nodeArgs, env: variantEnv, label }] of variants.entries()) {
    if (vi > 0) {
      // Take the IPs away (the previous speaker is stopped: FRR holds nothing from this node).
      await pool(idx, (i) =>
        api(
          'PATCH',
          `/api/v1/namespaces/bench/services/svc-${i}/status`,
          { status: { loadBalancer: { ingress: null } } },
          'application/merge-patch+json',
        ),
      );
    }
    const proc = lab.spawn(
      node.ns,
      [
        process.execPath,
        ...nodeArgs,
        ...snapArgs,
        MAIN_JS,
        '--node-name',
        'node1',
        '--kubeconfig',
        kubeconfig,
        '--status-socket',
        node.statusSocket,
        '--log-level',
        'warn',
      ],
      { name: `speaker-bench-${vi}`, env: { ...speakerEnv, ...variantEnv } },
    );
    const s0 = performance.now();
    await waitFor(async () => (await topo.bgpPeers(tor))['10.0.0.11']?.state === 'Established', {
      timeoutMs: 120_000,
      intervalMs: 100,
      what: 'the session',
    });
    process.stdout.write(
      `  speaker [${label}] synced ${3 * N} objects and established its session in ${s(performance.now() - s0)}\n`,
    );
    // `ip netns exec … node main.js` execs node: the speaker is the namespace's process running main.js.
    const pid = (await node.ns.pids()).find((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(MAIN_JS);
      } catch {
        return false;
      }
    });
    // Settle a moment: the first status writes and the sync's garbage.
    await new Promise((r) => setTimeout(r, 3000));
    const idleRss = processMemory(pid).rssKiB;
    const idleHeap = await heapOf(node.statusSocket);
    await snapshot(pid, `${vi}-idle`);

    // The IPs appear: status writes, as the controller makes them.
    const t0 = performance.now();
    await pool(idx, (i) =>
      api(
        'PATCH',
        `/api/v1/namespaces/bench/services/svc-${i}/status`,
        { status: { loadBalancer: { ingress: [{ ip: ipOf(i) }] } } },
        'application/merge-patch+json',
      ),
    );
    const tLast = performance.now();
    let count = 0;
    await waitFor(
      async () => {
        count = (await topo.bgpPeers(tor))['10.0.0.11']?.pfxRcd ?? 0;
        return count >= N;
      },
      { timeoutMs: 300_000, intervalMs: 50, what: `FRR to hold ${N} routes` },
    );
    const tRoutes = performance.now();
    const rss = processMemory(pid).rssKiB;
    const heap = await heapOf(node.statusSocket);
    // A while later: the ServiceBGPStatus writes that follow the routes are done.
    await new Promise((r) => setTimeout(r, 10_000));
    const later = processMemory(pid);
    const laterRss = later.rssKiB;
    // The /metrics read (10,000 series rendered) itself allocates: RSS is read before it and after.
    const laterHeap = await heapOf(node.statusSocket);
    const afterScrape = processMemory(pid);
    const peak = afterScrape.peakKiB;
    await snapshot(pid, `${vi}-announced`);
    const line =
      `\nspeaker ${MAINS.length > 1 ? `${MAIN_JS} ` : ''}[${label}], Kubernetes mode, ${N} Services (${2 * N} EndpointSlices):\n` +
      `  status writes: ${s(tLast - t0)} for ${N} (${Math.round(N / ((tLast - t0) / 1000))}/s, the API server's pace)\n` +
      `  all ${N} routes at FRR ${s(tRoutes - tLast)} after the last IP appeared in the API (goal: under 2 s), ${s(tRoutes - t0)} after the first\n` +
      `  speaker RSS: ${mb(idleRss)} with the objects before any IP, ${mb(rss)} announcing ${N} routes, ${mb(laterRss)} 10 s later, peak ${mb(peak)} (goal: under 150 MB)\n` +
      `  speaker memory: ${idleHeap} before any IP; ${heap} announcing; ${laterHeap} 10 s later\n` +
      `  10 s later: ${rssSplit(later)}; after that /metrics read: ${rssSplit(afterScrape)}\n`;
    results.push(line);
    process.stdout.write(line);
    await proc.stop(5000);
    await waitFor(async () => ((await topo.bgpPeers(tor))['10.0.0.11']?.pfxRcd ?? 0) === 0, {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: "FRR to drop the stopped speaker's routes",
    });
  }
  if (results.length > 1) process.stdout.write(`\nall runs:${results.join('')}`);
} finally {
  await lab.close();
  await cp.close();
}
