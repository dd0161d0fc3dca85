// Benchmark: N LoadBalancer Services created through the API of a real control plane; how long
// until every one has an address in its status, and the latency from create to status (p50, p99),
// for bmlb's controller and, on the same API server, the same Services (deleted and created again)
// for MetalLB's own controller v0.15.2 (scripts/build-metallb.sh builds it). Prints both, their
// ratios and each controller's memory (peak RSS).
//
//   npx -y pnpm@10.34.8 --filter @bmlb/controller bench        # builds both controllers, N = 10,000
//   cd apps/controller && ../../node_modules/node/bin/node --conditions=@bmlb/source \
//     src/controller.bench.ts [N] [--skip-metallb] [--catch-up]   # after pnpm build and scripts/build-metallb.sh
//
// --catch-up: the Services are created first, with no controller running; then the controller
// starts, and the time is from its start until every Service has an address (its own throughput,
// not the API server's pace of creating Services).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { deployEnv, KubeControlPlane, Proc, processMemory, waitFor } from '@bmlb/netlab';
import { ControllerProcess, controllerAccess, controllerDir, installCrds } from './test-support/kube.ts';

const N = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 10_000);
const SKIP_METALLB = process.argv.includes('--skip-metallb');
/** Create the Services first, then start the controller: its own throughput, not the API's create rate. */
const CATCH_UP = process.argv.includes('--catch-up');
const NS = 'bench';
const CREATE_CONCURRENCY = 16;

interface Api {
  request(method: string, p: string, body?: unknown): Promise<{ status: number; body: string }>;
  watch(p: string, onLine: (obj: Record<string, unknown>) => void): () => void;
}

function api(cp: KubeControlPlane): Api {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 64, ca: cp.caPem });
  const base = new URL(cp.server);
  const headers = { authorization: `Bearer ${cp.adminToken}`, accept: 'application/json' };
  return {
    request: (method, p, body) =>
      new Promise((resolve, reject) => {
        const data = body === undefined ? undefined : JSON.stringify(body);
        const req = https.request(
          {
            host: base.hostname,
            port: base.port,
            path: p,
            method,
            agent,
            headers: { ...headers, ...(data ? { 'content-type': 'application/json' } : {}) },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (text += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        req.end(data);
      }),
    watch: (p, onLine) => {
      const req = https.request(
        { host: base.hostname, port: base.port, path: p, method: 'GET', agent: false, ca: cp.caPem, headers },
        (res) => {
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            buf += d;
            let i = buf.indexOf('\n');
            while (i >= 0) {
              const line = buf.slice(0, i);
              buf = buf.slice(i + 1);
              if (line.trim() !== '') onLine(JSON.parse(line) as Record<string, unknown>);
              i = buf.indexOf('\n');
            }
          });
        },
      );
      req.on('error', () => {});
      req.end();
      return () => req.destroy();
    },
  };
}

function service(i: number) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `s${i}`, namespace: NS },
    spec: {
      type: 'LoadBalancer',
      // 10,000 Services would exhaust the node port range (2,768 ports); neither controller needs them.
      allocateLoadBalancerNodePorts: false,
      externalTrafficPolicy: 'Cluster',
      selector: { app: `s${i}` },
      ports: [{ port: 80, protocol: 'TCP' }],
    },
  };
}

async function pool<T>(items: readonly T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

interface Result {
  name: string;
  totalMs: number;
  p50: number;
  p99: number;
  max: number;
  peakRssMB: number;
  rssMB: number;
}

function rss(pid: number): { peak: number; now: number } {
  const m = processMemory(pid);
  return { peak: m.peakKiB / 1024, now: m.rssKiB / 1024 };
}

/** Creates the N Services and times them until each has an address; `pid` is the controller's. */
async function run(a: Api, name: string, pid: number): Promise<Result> {
  const list = await a.request('GET', `/api/v1/namespaces/${NS}/services?limit=1`);
  const rv = (JSON.parse(list.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const created = new Map<string, number>();
  const done = new Map<string, number>();
  const stop = a.watch(
    `/api/v1/namespaces/${NS}/services?watch=1&resourceVersion=${rv}&allowWatchBookmarks=false`,
    (ev) => {
      const o = ev.object as {
        metadata: { name: string };
        status?: { loadBalancer?: { ingress?: unknown[] } };
      };
      if ((o.status?.loadBalancer?.ingress?.length ?? 0) > 0 && !done.has(o.metadata.name))
        done.set(o.metadata.name, performance.now());
    },
  );
  const t0 = performance.now();
  await pool(
    Array.from({ length: N }, (_, i) => i),
    CREATE_CONCURRENCY,
    async (i) => {
      const r = await a.request('POST', `/api/v1/namespaces/${NS}/services`, service(i));
      if (r.status !== 201) throw new Error(`create s${i}: ${r.status} ${r.body.slice(0, 200)}`);
      created.set(`s${i}`, performance.now());
    },
  );
  const tCreated = performance.now();
  process.stderr.write(`${name}: ${N} Services created in ${Math.round(tCreated - t0)} ms\n`);
  let last = 0;
  await waitFor(
    () => {
      if (Math.floor(done.size / 1000) !== Math.floor(last / 1000))
        process.stderr.write(`${name}: ${done.size}/${N} with an address\n`);
      last = done.size;
      return done.size >= N;
    },
    { timeoutMs: 3_600_000, intervalMs: 200, what: `${name}: every Service with an address` },
  );
  stop();
  const lat = [...done].map(([k, t]) => t - created.get(k)!).sort((x, y) => x - y);
  const end = Math.max(...done.values());
  const mem = rss(pid);
  return {
    name,
    totalMs: end - t0,
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    max: lat.at(-1)!,
    peakRssMB: mem.peak,
    rssMB: mem.now,
  };
}

async function createAll(a: Api): Promise<void> {
  await pool(
    Array.from({ length: N }, (_, i) => i),
    CREATE_CONCURRENCY,
    async (i) => {
      const r = await a.request('POST', `/api/v1/namespaces/${NS}/services`, service(i));
      if (r.status !== 201) throw new Error(`create s${i}: ${r.status} ${r.body.slice(0, 200)}`);
    },
  );
}

/** The N Services exist and wait; `start` starts the controller: time until every one has an address. */
async function catchUp(a: Api, name: string, start: () => Promise<number>): Promise<Result> {
  const t1 = performance.now();
  await createAll(a);
  process.stderr.write(
    `${name}: ${N} Services created (no controller) in ${Math.round(performance.now() - t1)} ms\n`,
  );
  const list = await a.request('GET', `/api/v1/namespaces/${NS}/services?limit=1`);
  const rv = (JSON.parse(list.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const done = new Map<string, number>();
  const stop = a.watch(`/api/v1/namespaces/${NS}/services?watch=1&resourceVersion=${rv}`, (ev) => {
    const o = ev.object as {
      metadata: { name: string };
      status?: { loadBalancer?: { ingress?: unknown[] } };
    };
    if ((o.status?.loadBalancer?.ingress?.length ?? 0) > 0 && !done.has(o.metadata.name))
      done.set(o.metadata.name, performance.now());
  });
  const t0 = performance.now();
  const pid = await start();
  await waitFor(() => done.size >= N, {
    timeoutMs: 3_600_000,
    intervalMs: 200,
    what: `${name}: every waiting Service with an address`,
  });
  stop();
  const lat = [...done.values()].map((t) => t - t0).sort((x, y) => x - y);
  const mem = rss(pid);
  return {
    name: `${name} (catch-up)`,
    totalMs: lat.at(-1)!,
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    max: lat.at(-1)!,
    peakRssMB: mem.peak,
    rssMB: mem.now,
  };
}

async function deleteAll(a: Api): Promise<void> {
  await pool(
    Array.from({ length: N }, (_, i) => i),
    CREATE_CONCURRENCY,
    async (i) => {
      await a.request('DELETE', `/api/v1/namespaces/${NS}/services/s${i}`);
    },
  );
  await waitFor(
    async () =>
      (JSON.parse((await a.request('GET', `/api/v1/namespaces/${NS}/services`)).body) as { items: unknown[] })
        .items.length === 0,
    { timeoutMs: 300_000, intervalMs: 500, what: 'every bench Service deleted' },
  );
}

/** A probe Service in another namespace gets an address: the controller is working. */
async function probe(cp: KubeControlPlane, a: Api, name: string): Promise<void> {
  const svc = { ...service(0), metadata: { name, namespace: 'probe' } };
  await a.request('POST', '/api/v1/namespaces/probe/services', svc);
  await waitFor(
    async () => {
      const r = JSON.parse((await a.request('GET', `/api/v1/namespaces/probe/services/${name}`)).body) as {
        status?: { loadBalancer?: { ingress?: unknown[] } };
      };
      return (r.status?.loadBalancer?.ingress?.length ?? 0) > 0;
    },
    { timeoutMs: 120_000, intervalMs: 200, what: `probe ${name} to get an address` },
  );
  void cp;
}

function fmt(r: Result): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return `${r.name.padEnd(22)} all ${N} in ${s(r.totalMs).padStart(9)}  (${Math.round((N / r.totalMs) * 1000)}/s)  latency p50 ${s(r.p50).padStart(8)}  p99 ${s(r.p99).padStart(8)}  max ${s(r.max).padStart(8)}  RSS peak ${r.peakRssMB.toFixed(0)} MB, at end ${r.rssMB.toFixed(0)} MB`;
}

async function main(): Promise<void> {
  const metallbDir = SKIP_METALLB
    ? undefined
    : execFileSync('bash', [path.join(controllerDir, 'scripts/build-metallb.sh')], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .at(-1)!;
  const cp = await KubeControlPlane.start({ controllerManager: false, scheduler: false, kwok: false });
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bmlb-bench-'));
  const results: Result[] = [];
  try {
    const a = api(cp);
    await installCrds(cp);
    const kubeconfig = await controllerAccess(cp);
    for (const ns of [NS, 'probe']) await cp.kubectl(['create', 'namespace', ns]);
    const poolYaml = {
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      metadata: { name: 'bench', namespace: 'metallb-system' },
      spec: { addresses: ['10.128.0.0/16'] },
    };
    await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(poolYaml) });

    // bmlb: the built bin, as deployed (`pnpm build` first; the package's bench script does).
    const built = fs.existsSync(path.join(controllerDir, 'dist/main.js'));
    if (!built) process.stderr.write('dist/main.js missing: running the controller from its sources\n');
    // As deployed: the Deployment's environment (V8's settings, malloc arenas; deploy/controller.yaml).
    const env = deployEnv('controller');
    process.stderr.write(`bmlb controller: ${JSON.stringify(env)}\n`);
    const startOurs = async () => {
      const c = await ControllerProcess.start({
        identity: 'bench',
        kubeconfig,
        logDir,
        built,
        env,
        args: ['--log-level=warn'],
      });
      return c;
    };
    let ours: ControllerProcess | undefined;
    if (CATCH_UP) {
      results.push(
        await catchUp(a, 'bmlb controller', async () => {
          ours = await startOurs();
          return ours.proc.pid;
        }),
      );
    } else {
      ours = await startOurs();
      await ours.ready();
      await ours.leading();
      await probe(cp, a, 'p-bmlb');
      results.push(await run(a, 'bmlb controller', ours.proc.pid));
    }
    process.stderr.write(`${fmt(results[0]!)}\n`);
    await ours?.proc.stop();
    await deleteAll(a);
    if (!CATCH_UP) await a.request('DELETE', '/api/v1/namespaces/probe/services/p-bmlb');

    if (metallbDir !== undefined) {
      // MetalLB's CRDs (they add its status kinds) replace ours; the pool is kept.
      for (const f of fs.readdirSync(path.join(metallbDir, 'crds')))
        await cp.kubectl([
          'apply',
          '--server-side',
          '--force-conflicts',
          '-f',
          path.join(metallbDir, 'crds', f),
        ]);
      await cp.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
      const startMetallb = () =>
        new Proc(
          [
            'setpriv',
            '--pdeathsig',
            'KILL',
            '--',
            path.join(metallbDir, 'controller'),
            `--kubeconfig=${cp.kubeconfig}`,
            '--namespace=metallb-system',
            '--webhook-mode=disabled',
            '--disable-cert-rotation',
            '--log-level=warn',
          ],
          { name: 'metallb-controller', logFile: path.join(logDir, 'metallb.log') },
        );
      let ml: Proc | undefined;
      try {
        if (CATCH_UP) {
          results.push(
            await catchUp(a, 'MetalLB controller', async () => {
              ml = startMetallb();
              return ml.pid;
            }),
          );
        } else {
          ml = startMetallb();
          await probe(cp, a, 'p-metallb');
          results.push(await run(a, 'MetalLB controller', ml.pid));
        }
        process.stderr.write(`${fmt(results[1]!)}\n`);
      } finally {
        await ml?.stop();
      }
    }
  } finally {
    await cp.close();
    if (!process.env.NETLAB_KEEP) fs.rmSync(logDir, { recursive: true, force: true });
  }
  const [b, m] = results;
  process.stdout.write(
    `\n${N} LoadBalancer Services ${CATCH_UP ? 'waiting when the controller starts (times from its start)' : `created through the API (${CREATE_CONCURRENCY} at a time)`}, one /16 pool; ${os.cpus().length} CPUs\n`,
  );
  for (const r of results) process.stdout.write(`${fmt(r)}\n`);
  if (b !== undefined && m !== undefined) {
    process.stdout.write(
      `ratios (MetalLB / bmlb): total ${(m.totalMs / b.totalMs).toFixed(1)}×, p50 ${(m.p50 / b.p50).toFixed(1)}×, p99 ${(m.p99 / b.p99).toFixed(1)}×, peak RSS ${(m.peakRssMB / b.peakRssMB).toFixed(2)}×\n`,
    );
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
