import { validateObject } from './src/manifests.ts';

const svc = (i: number) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: `svc-${i}`, namespace: 'default' },
  spec: {
    type: 'LoadBalancer',
    externalTrafficPolicy: 'Cluster',
    selector: { app: `svc-${i}` },
    ports: [{ port: 80, targetPort: 8080 }],
  },
  status: { loadBalancer: { ingress: [{ ip: '10.0.0.1' }] } },
});
const eps = (i: number) => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: {
    name: `svc-${i}-abc`,
    namespace: 'default',
    labels: { 'kubernetes.io/service-name': `svc-${i}` },
  },
  addressType: 'IPv4',
  endpoints: [{ addresses: ['10.244.0.1'], conditions: { ready: true }, nodeName: 'node1' }],
  ports: [{ port: 8080, protocol: 'TCP' }],
});
const objs = Array.from({ length: 10000 }, (_, i) => [svc(i), eps(i)]).flat();
for (let r = 0; r < 6; r++) {
  const c = process.cpuUsage();
  const t = performance.now();
  for (const o of objs) validateObject(o);
  const cpu = process.cpuUsage(c);
  console.log(
    `20000 objects: ${(performance.now() - t).toFixed(0)} ms wall, ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU`,
  );
}
