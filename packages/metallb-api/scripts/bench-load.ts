// Loading speed: N LoadBalancer Services, each with an EndpointSlice, plus the seed's metallb.io
// objects, through parseManifests + buildConfig. Prints figures; asserts nothing.
// Run: cd packages/metallb-api && ../../node_modules/.bin/node scripts/bench-load.ts [N]
import { buildConfig } from '../src/config.ts';
import { parseManifests } from '../src/manifests.ts';

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
for (let round = 0; round < 3; round++) {
  const t0 = performance.now();
  const r = parseManifests(text, { source: 'bench.yaml' });
  const t1 = performance.now();
  const b = buildConfig(r.objects);
  const t2 = performance.now();
  if (r.errors.length + b.errors.length > 0) throw new Error('unexpected errors');
  console.log(
    `round ${round + 1}: ${r.objects.length} objects, ${(text.length / 1e6).toFixed(1)} MB: parseManifests ${(t1 - t0).toFixed(0)} ms, buildConfig ${(t2 - t1).toFixed(0)} ms`,
  );
}
