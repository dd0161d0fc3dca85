// Loading speed: N LoadBalancer Services, each with an EndpointSlice, plus the seed's metallb.io
// objects, through parseManifests + buildConfig. Prints figures; asserts nothing.
// Run: cd packages/metallb-api && ../../node_modules/.bin/node src/load.bench.ts [N]
import { buildConfig } from './config.ts';
import { ManifestCache, parseManifests } from './manifests.ts';

const n = Number(process.argv[2] ?? 10000);
const parts: string[] = [
  `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: big, namespace: metallb-system }
spec: { addresses: [10.128.0.0/12] }
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: adv, namespace: metallb-system }
spec: { communities: ["65000:100"] }
---
apiVersion: metallb.io/v1beta1
kind: BGPPeer
metadata: { name: tor1, namespace: metallb-system }
spec: { myASN: 65100, peerASN: 65000, peerAddress: 10.0.0.1 }`,
];
for (let i = 0; i < n; i++) {
  const ip = `10.128.${(i >> 8) & 255}.${i & 255}`;
  parts.push(`apiVersion: v1
kind: Service
metadata: { name: svc-${i}, namespace: default }
spec:
  type: LoadBalancer
  externalTrafficPolicy: Cluster
  selector: { app: svc-${i} }
  ports: [{ port: 80, targetPort: 8080 }]
status:
  loadBalancer:
    ingress: [{ ip: ${ip} }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: svc-${i}-abc
  namespace: default
  labels: { kubernetes.io/service-name: svc-${i} }
addressType: IPv4
endpoints:
  - addresses: [10.244.${(i >> 8) & 255}.${i & 255}]
    conditions: { ready: true }
    nodeName: node${i % 3}
ports: [{ port: 8080, protocol: TCP }]`);
}
const text = parts.join('\n---\n');
const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
const measure = <T>(f: () => T): [T, string] => {
  const w = performance.now();
  const c = process.cpuUsage();
  const r = f();
  return [
    r,
    `${(performance.now() - w).toFixed(0)} ms wall / ${cpuMs(process.cpuUsage(c)).toFixed(0)} ms CPU`,
  ];
};
console.log(
  `${n} Services + ${n} EndpointSlices + 3 metallb.io objects, ${(text.length / 1e6).toFixed(1)} MB`,
);
for (let round = 0; round < 3; round++) {
  const [r, tp] = measure(() => parseManifests(text, { source: 'bench.yaml' }));
  const [b, tb] = measure(() => buildConfig(r.objects));
  if (r.errors.length + b.errors.length > 0) throw new Error('unexpected errors');
  console.log(`cold round ${round + 1}: parseManifests ${tp}; buildConfig ${tb}`);
}
const cache = new ManifestCache();
parseManifests(text, { cache });
const edited = text.replace(
  'name: svc-0, namespace: default',
  'name: svc-0, namespace: default, labels: { edited: "true" }',
);
for (let round = 0; round < 3; round++) {
  const [r, tp] = measure(() => parseManifests(round % 2 === 0 ? edited : text, { cache }));
  if (r.errors.length > 0) throw new Error('unexpected errors');
  console.log(`re-read with one document changed (ManifestCache) ${round + 1}: parseManifests ${tp}`);
}
