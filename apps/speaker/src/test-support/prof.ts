import { buildConfig, parseManifests } from '@bmlb/metallb-api';
import { computeAnnouncements } from '../announce/announce.ts';
import { loadManifests } from '../config/load.ts';
import { seedManifests } from './topology.ts';

const hostIp = (i: number) => `198.18.${(i >> 8) & 0xff}.${i & 0xff}`;
const out: string[] = [];
for (let i = 0; i < 10000; i++)
  out.push(
    `{apiVersion: v1, kind: Service, metadata: {name: s${i}, namespace: bench}, spec: {type: LoadBalancer, externalTrafficPolicy: Cluster, ports: [{port: 80}]}, status: {loadBalancer: {ingress: [{ip: ${hostIp(i)}}]}}}`,
    `{apiVersion: discovery.k8s.io/v1, kind: EndpointSlice, metadata: {name: s${i}-1, namespace: bench, labels: {kubernetes.io/service-name: s${i}}}, addressType: IPv4, endpoints: [{addresses: [10.244.0.1], nodeName: node1, conditions: {ready: true}}]}`,
  );
const text = `${seedManifests({ bfd: false })}\n---\napiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: { name: bench-pool, namespace: metallb-system }\nspec: { addresses: [198.18.0.0/16] }\n---\n${out.join('\n---\n')}`;
for (let k = 0; k < 2; k++) {
  let t = performance.now();
  const p = parseManifests(text, { source: 'x' });
  console.log('parseManifests', (performance.now() - t).toFixed(0), p.errors.length);
  t = performance.now();
  const b = buildConfig(p.objects);
  console.log('buildConfig', (performance.now() - t).toFixed(0), b.errors.length);
  t = performance.now();
  const r = loadManifests(text, 'x');
  console.log('loadManifests', (performance.now() - t).toFixed(0));
  if (!r.ok) throw new Error(r.errors[0]);
  t = performance.now();
  const a = computeAnnouncements({ ...r.snapshot, config: r.snapshot.announce, nodeName: 'node1' });
  console.log('compute', (performance.now() - t).toFixed(0), a.routes.get('tor1')?.ipv4.size);
}
