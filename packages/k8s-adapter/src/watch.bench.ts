// Watch throughput against a real API server: 10,000 Services and 10,000 EndpointSlices created
// through the API while the adapter's cache watches them; prints how long until the cache holds all
// of them, how far behind the API server it ran (lag from each create's answer to its event in the
// cache, and the backlog when the last create returned), a cold start (list of all 20,000), and the
// cache's memory per object.
//
//   pnpm --filter @bmlb/k8s-adapter bench [COUNT]      (as root; needs tools/kube/build.sh)
import { KubeControlPlane, kubeUnavailableReason } from '@bmlb/netlab';
import { KubeCluster } from './port.ts';
import { Resources } from './resources.ts';

const COUNT = Number(process.argv[2] ?? 10_000);
const CONCURRENCY = 32;
const gc = (globalThis as { gc?: () => void }).gc;

const why = kubeUnavailableReason();
if (why) {
  console.error(`watch.bench: ${why}`);
  process.exit(1);
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;
function heap(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

const service = (i: number) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: `svc-${i}`, namespace: 'bench', labels: { app: `app-${i % 100}` } },
  spec: {
    type: 'LoadBalancer',
    allocateLoadBalancerNodePorts: false,
    externalTrafficPolicy: 'Cluster',
    ports: [{ name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' }],
    selector: { app: `app-${i}` },
  },
});
const slice = (i: number) => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: {
    name: `svc-${i}-abcde`,
    namespace: 'bench',
    labels: { 'kubernetes.io/service-name': `svc-${i}`, 'endpointslice.kubernetes.io/managed-by': 'bench' },
  },
  addressType: 'IPv4',
  ports: [{ name: 'https', port: 8443, protocol: 'TCP' }],
  endpoints: [0, 1, 2].map((k) => ({
    addresses: [`10.244.${(i + k) % 250}.${(i % 250) + 1}`],
    nodeName: `node-${21 + k}`,
    conditions: { ready: true, serving: true, terminating: false },
  })),
});

const cp = await KubeControlPlane.start({ controllerManager: false, scheduler: false, kwok: false });
const clusters: KubeCluster[] = [];
try {
  const connect = () => {
    const c = new KubeCluster({
      kubeconfig: cp.kubeconfig,
      fieldManager: 'bench',
      controller: 'bmlb.io/bench',
    });
    clusters.push(c);
    return c;
  };
  const writer = connect();
  await writer.client.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'bench' } } });

  // --- live: the cache follows while the objects are created
  const base = heap();
  const live = connect();
  const services = live.watch(Resources.Service, { namespace: 'bench' });
  const slices = live.watch(Resources.EndpointSlice, { namespace: 'bench' });
  const createdAt = new Map<string, number>();
  const lags: number[] = [];
  let cached = 0;
  let allCached: () => void = () => {};
  const done = new Promise<void>((r) => {
    allCached = r;
  });
  live.cache.on((e) => {
    if (e.type !== 'added') return;
    const t = createdAt.get(`${e.kind}/${e.key}`);
    if (t !== undefined) lags.push(performance.now() - t);
    if (++cached === 2 * COUNT) allCached();
  });
  live.start();
  await live.cache.waitForSync();

  const jobs: { kind: string; path: string; body: { metadata: { name: string } } }[] = [];
  for (let i = 0; i < COUNT; i++) {
    jobs.push({ kind: 'Service', path: '/api/v1/namespaces/bench/services', body: service(i) });
    jobs.push({
      kind: 'EndpointSlice',
      path: '/apis/discovery.k8s.io/v1/namespaces/bench/endpointslices',
      body: slice(i),
    });
  }
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < jobs.length) {
        const j = jobs[next++] as (typeof jobs)[number];
        for (let attempt = 0; ; attempt++) {
          try {
            await writer.client.request('POST', j.path, { body: j.body });
            break;
          } catch (err) {
            if (attempt > 20) throw err;
            await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
          }
        }
        createdAt.set(`${j.kind}/bench/${j.body.metadata.name}`, performance.now());
      }
    }),
  );
  const tCreated = performance.now();
  const backlog = 2 * COUNT - cached;
  await done;
  const tCached = performance.now();
  // What the benchmark itself holds (the request bodies, the create times) is not the cache's.
  jobs.length = 0;
  createdAt.clear();
  const liveHeap = heap() - base;

  console.log(
    `\nwatch throughput: ${COUNT} Services + ${COUNT} EndpointSlices created through the API (${CONCURRENCY} at a time)`,
  );
  console.log(
    `  created in ${((tCreated - t0) / 1000).toFixed(2)} s (${Math.round((2 * COUNT) / ((tCreated - t0) / 1000))} objects/s accepted by the API server)`,
  );
  console.log(
    `  cache held all ${2 * COUNT} ${((tCached - t0) / 1000).toFixed(2)} s after the first create, ${(tCached - tCreated).toFixed(0)} ms after the last create returned`,
  );
  console.log(`  backlog when the last create returned: ${backlog} objects`);
  console.log(
    `  lag create-answer → cache: p50 ${pct(lags, 50).toFixed(1)} ms, p99 ${pct(lags, 99).toFixed(1)} ms, max ${Math.max(...lags).toFixed(1)} ms`,
  );
  console.log(
    `  stores: ${services.size} Services, ${slices.size} EndpointSlices; heap ${mb(liveHeap)} = ${Math.round(liveHeap / (2 * COUNT))} B/object${gc ? '' : ' (run with --expose-gc for exact figures)'}`,
  );
  await live.close();
  clusters.splice(clusters.indexOf(live), 1);

  // --- cold: a new cache lists everything
  const base2 = heap();
  const cold = connect();
  const s2 = cold.watch(Resources.Service, { namespace: 'bench' });
  const e2 = cold.watch(Resources.EndpointSlice, { namespace: 'bench' });
  const c0 = performance.now();
  cold.start();
  await cold.cache.waitForSync();
  const c1 = performance.now();
  const coldHeap = heap() - base2;
  console.log(
    `  cold start: listed ${s2.size + e2.size} objects (pages of 500) in ${((c1 - c0) / 1000).toFixed(2)} s; heap ${mb(coldHeap)} = ${Math.round(coldHeap / (2 * COUNT))} B/object`,
  );
  const mu = process.memoryUsage();
  console.log(
    `  process: RSS ${mb(mu.rss)}, heap total ${mb(mu.heapTotal)}, external ${mb(mu.external)} (the writer's 20,000 requests included)`,
  );
} finally {
  for (const c of clusters) await c.close();
  await cp.close();
}
