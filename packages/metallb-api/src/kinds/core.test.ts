import { describe, expect, it } from 'vitest';
import { parseManifests } from '../manifests.ts';
import {
  decodeBase64,
  type EndpointSlice,
  endpointSliceServiceName,
  endpointState,
  type Node,
  nodeExcludedFromLB,
  nodeNetworkUnavailable,
  type Service,
  serviceIngressIPs,
  serviceTrafficPolicy,
  validateEndpointSlice,
  validateService,
} from './core.ts';

describe('core v1 Service', () => {
  it('keeps the fields bmlb reads and tolerates everything else', () => {
    const r = parseManifests(`apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  uid: 1234
  annotations: { metallb.io/loadBalancerIPs: 203.0.113.10, metallb.io/address-pool: prod-pool }
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.10
  clusterIPs: [10.96.0.10, "fd00::10"]
  ipFamilyPolicy: PreferDualStack
  ipFamilies: [IPv4, IPv6]
  externalTrafficPolicy: Local
  loadBalancerClass: bmlb.io/bgp
  sessionAffinity: None
  healthCheckNodePort: 30000
  ports: [{ name: https, port: 443, targetPort: https, protocol: TCP, nodePort: 31443 }]
  selector: { app: web }
status:
  loadBalancer:
    ingress: [{ ip: 203.0.113.10, ipMode: VIP }, { ip: "2001:db8::10" }]
  conditions: []
`);
    expect(r.errors).toEqual([]);
    const s = r.objects[0] as Service;
    expect(s.metadata.namespace).toBe('shop');
    expect(s.spec.ports![0]).toEqual({
      name: 'https',
      port: 443,
      targetPort: 'https',
      protocol: 'TCP',
      nodePort: 31443,
    });
    expect((s.spec as Record<string, unknown>).sessionAffinity).toBe('None');
    expect(serviceIngressIPs(s)).toEqual(['203.0.113.10', '2001:db8::10']);
    expect(serviceTrafficPolicy(s)).toBe('Local');
  });

  it('defaults: namespace default, type ClusterIP, externalTrafficPolicy Cluster, port protocol TCP', () => {
    const r = validateService({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: { ports: [{ port: 53 }] },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.object.metadata.namespace).toBe('default');
    expect(r.object.spec.type).toBe('ClusterIP');
    expect(r.object.spec.ports![0]!.protocol).toBe('TCP');
    expect(serviceTrafficPolicy(r.object)).toBe('Cluster');
  });

  it('names bad fields', () => {
    const r = validateService({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: {
        type: 'LoadBalancr',
        loadBalancerIP: '1.2.3',
        externalTrafficPolicy: 'Global',
        ports: [{ port: 70000 }],
      },
    });
    expect(r.ok ? [] : r.errors.map((e) => [e.path, e.rule])).toEqual([
      ['spec.type', 'enum'],
      ['spec.externalTrafficPolicy', 'enum'],
      ['spec.ports[0].port', 'maximum'],
    ]);
    const r2 = validateService({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: { loadBalancerIP: '1.2.3' },
    });
    expect(r2.ok ? [] : r2.errors.map((e) => [e.path, e.rule])).toEqual([
      ['spec.loadBalancerIP', 'invalid-ip'],
    ]);
  });
});

describe('discovery.k8s.io/v1 EndpointSlice', () => {
  const slice = (endpoints: unknown, labels: unknown = { 'kubernetes.io/service-name': 'web' }) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-abc', labels },
    addressType: 'IPv4',
    endpoints,
    ports: [{ name: 'https', port: 8443, protocol: 'TCP' }],
  });
  it('reads endpoints, conditions and nodeName', () => {
    const r = validateEndpointSlice(
      slice([
        {
          addresses: ['10.244.1.5'],
          conditions: { ready: true, serving: true, terminating: false },
          nodeName: 'node1',
          targetRef: { kind: 'Pod' },
        },
        {
          addresses: ['10.244.2.5'],
          conditions: { ready: false, serving: true, terminating: true },
          nodeName: 'node2',
        },
        { addresses: ['10.244.3.5'], nodeName: 'node3' },
      ]),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const s: EndpointSlice = r.object;
    expect(endpointSliceServiceName(s)).toBe('web');
    expect(s.endpoints.map(endpointState)).toEqual([
      { ready: true, serving: true, terminating: false },
      { ready: false, serving: true, terminating: true },
      { ready: true, serving: true, terminating: false },
    ]);
  });
  it('addresses must match addressType; a slice without its service label is a warning', () => {
    const bad = validateEndpointSlice(slice([{ addresses: ['2001:db8::1'] }]));
    expect(bad.ok ? [] : bad.errors.map((e) => [e.path, e.rule])).toEqual([
      ['endpoints[0].addresses[0]', 'invalid-ip'],
    ]);
    const orphan = validateEndpointSlice(slice([], {}));
    expect(orphan.ok).toBe(true);
    expect(orphan.warnings.map((w) => w.path)).toEqual(['metadata.labels["kubernetes.io/service-name"]']);
  });
});

describe('v1 Node', () => {
  it('labels and NetworkUnavailable; cluster-scoped', () => {
    const r = parseManifests(`apiVersion: v1
kind: Node
metadata:
  name: node1
  namespace: ignored
  labels: { kubernetes.io/hostname: node1, node.kubernetes.io/exclude-from-external-load-balancers: "" }
status:
  conditions:
    - { type: Ready, status: "True" }
    - { type: NetworkUnavailable, status: "True", reason: NoRouteCreated }
  addresses: [{ type: InternalIP, address: 10.0.0.11 }]
  nodeInfo: { kubeletVersion: v1.31.0 }
`);
    expect(r.errors).toEqual([]);
    const n = r.objects[0] as Node;
    expect(n.metadata.namespace).toBeUndefined();
    expect(nodeNetworkUnavailable(n)).toBe(true);
    expect(nodeExcludedFromLB(n)).toBe(true);
  });
});

describe('base64', () => {
  it('decodes standard base64 and rejects garbage', () => {
    expect(new TextDecoder().decode(decodeBase64('czNjcjN0'))).toBe('s3cr3t');
    expect(new TextDecoder().decode(decodeBase64('YQ=='))).toBe('a');
    expect(new TextDecoder().decode(decodeBase64('YWI='))).toBe('ab');
    expect(decodeBase64('YQ')).toBeUndefined();
    expect(decodeBase64('Y$==')).toBeUndefined();
    expect(Buffer.from(decodeBase64(Buffer.from('héllo wörld').toString('base64'))!).toString()).toBe(
      'héllo wörld',
    );
  });
});
