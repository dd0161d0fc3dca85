// Benchmark: what one rebuild costs the speaker's announcement logic at 10,000 Services and 20,000
// EndpointSlices when a few Services change (their IPs written, as the controller writes them in a
// burst): a full recompute (computeAnnouncements over every Service, what each rebuild did before)
// against the incremental Announcer (only the changed Services). Prints figures; asserts nothing.
//
//   node --conditions=@bmlb/source src/announce/incremental.bench.ts [SERVICES] [CHANGED]
import { advertisement, peerInfo } from '../test-support/fixtures.ts';
import { computeAnnouncements } from './announce.ts';
import { Announcer } from './incremental.ts';
import type { AnnounceConfig, EndpointSlice, Service } from './types.ts';

const N = Number(process.argv[2] ?? 10_000);
const CHANGED = Number(process.argv[3] ?? 32);
const ROUNDS = Math.floor(N / CHANGED);

const config: AnnounceConfig = {
  pools: [{ name: 'bench', addresses: ['198.18.0.0/16'], labels: {} }],
  peers: [peerInfo('tor1'), peerInfo('tor2')],
  advertisements: [advertisement('bench', { ipAddressPools: ['bench'], communities: [65000 * 65536 + 100] })],
};
const nodes = [{ metadata: { name: 'node1' } }];
const service = (i: number, withIP: boolean): Service => ({
  metadata: { name: `svc-${i}`, namespace: 'bench' },
  spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster' },
  status: { loadBalancer: withIP ? { ingress: [{ ip: `198.18.${i >> 8}.${i & 255}` }] } : {} },
});
const slices: EndpointSlice[] = [];
for (let i = 0; i < N; i++)
  for (const k of [0, 1])
    slices.push({
      metadata: {
        name: `svc-${i}-${k}`,
        namespace: 'bench',
        labels: { 'kubernetes.io/service-name': `svc-${i}` },
      },
      endpoints: [
        { addresses: [`10.244.${k}.${(i % 250) + 1}`], nodeName: 'node1', conditions: { ready: true } },
      ],
    });

/** Runs the IPs appearing in rounds of CHANGED Services; returns ms per round, sorted. */
function run(step: (services: Service[], changed: Service[]) => void): number[] {
  const services = Array.from({ length: N }, (_, i) => service(i, false));
  const ms: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const changed: Service[] = [];
    for (let i = r * CHANGED; i < (r + 1) * CHANGED; i++) {
      const s = service(i, true);
      services[i] = s;
      changed.push(s);
    }
    const t0 = performance.now();
    step(services, changed);
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b);
}

const q = (xs: number[], p: number) =>
  (xs[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? 0).toFixed(3);
const report = (name: string, ms: number[]) => {
  const total = ms.reduce((a, b) => a + b, 0);
  process.stdout.write(
    `  ${name}: per rebuild p50 ${q(ms, 0.5)} ms, p99 ${q(ms, 0.99)} ms; all ${ROUNDS} rebuilds ${(total / 1000).toFixed(2)} s\n`,
  );
};

process.stdout.write(
  `${N} Services, ${2 * N} EndpointSlices, IPs written ${CHANGED} Services at a time (${ROUNDS} rebuilds):\n`,
);
for (let pass = 0; pass < 2; pass++) {
  // The second pass is what counts (the first warms V8 up).
  const full = run((services) => {
    computeAnnouncements({ config, services, endpointSlices: slices, nodes, nodeName: 'node1' });
  });
  const a = new Announcer({ nodeName: 'node1' });
  const inc = run((services, changed) => {
    if (!a.ready) a.reset(config, nodes, services, slices);
    else a.update({ services: changed, deletedServices: [], endpointSlices: [], deletedEndpointSlices: [] });
  });
  if (pass === 1) {
    report('full recompute (computeAnnouncements)', full);
    report('incremental (Announcer.update)', inc);
  }
}
