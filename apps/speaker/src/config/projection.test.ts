import { type KubeObject, Resources, type ResourceType, slim } from '@bmlb/k8s-adapter';
import { buildConfig, type ManifestObject } from '@bmlb/metallb-api';
import { describe, expect, it } from 'vitest';
import { computeAnnouncements } from '../announce/announce.ts';
import {
  projectEndpointSlice,
  projectNode,
  projectOwnStatus,
  projectSecret,
  projectService,
} from './projection.ts';
import { snapshotFromConfig } from './snapshot.ts';

// Objects as the API server sends them (less what slim drops), with the fields the speaker never reads.
const managed = { managedFields: [{ manager: 'kube-controller-manager', fieldsV1: { 'f:x': {} } }] };
const service = (name: string, ip: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: {
    name,
    namespace: 'shop',
    uid: `uid-${name}`,
    resourceVersion: '17',
    creationTimestamp: '2026-01-01T00:00:00Z',
    labels: { app: name, team: 'web' },
    annotations: { 'metallb.io/ip-allocated-from-pool': 'prod', 'example.com/note': 'x'.repeat(200) },
    ...managed,
  },
  spec: {
    type: 'LoadBalancer',
    clusterIP: '10.96.0.10',
    clusterIPs: ['10.96.0.10'],
    ipFamilies: ['IPv4'],
    ipFamilyPolicy: 'SingleStack',
    ports: [{ name: 'https', port: 443, targetPort: 8443, protocol: 'TCP', nodePort: 31443 }],
    selector: { app: name },
    sessionAffinity: 'None',
    externalTrafficPolicy: 'Local',
    internalTrafficPolicy: 'Cluster',
    allocateLoadBalancerNodePorts: true,
  },
  status: { loadBalancer: { ingress: [{ ip, ipMode: 'VIP' }] } },
  ...extra,
});
const slice = (name: string, svc: string, nodes: { node: string; ready: boolean }[]) => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: {
    name,
    namespace: 'shop',
    uid: `uid-${name}`,
    resourceVersion: '18',
    generateName: `${svc}-`,
    labels: {
      'kubernetes.io/service-name': svc,
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    },
    ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: svc, uid: `uid-${svc}` }],
    ...managed,
  },
  addressType: 'IPv4',
  ports: [{ name: 'https', port: 8443, protocol: 'TCP' }],
  endpoints: nodes.map((n, i) => ({
    addresses: [`10.244.${i}.7`],
    conditions: { ready: n.ready, serving: n.ready, terminating: false },
    nodeName: n.node,
    zone: 'z1',
    targetRef: { kind: 'Pod', name: `${svc}-${i}`, namespace: 'shop', uid: `pod-${i}` },
    hints: { forZones: [{ name: 'z1' }] },
  })),
});
const node = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: {
    name: 'node-21',
    uid: 'uid-node-21',
    resourceVersion: '5',
    labels: { 'kubernetes.io/hostname': 'node-21', rack: 'r1' },
    annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
    ...managed,
  },
  spec: { podCIDR: '10.244.0.0/24', unschedulable: false },
  status: {
    conditions: [
      { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
      { type: 'NetworkUnavailable', status: 'False', reason: 'RouteCreated' },
    ],
    addresses: [{ type: 'InternalIP', address: '10.0.0.21' }],
    capacity: { cpu: '8', memory: '32Gi' },
    images: [{ names: ['registry.example/big:1'], sizeBytes: 1 }],
    nodeInfo: { kubeletVersion: 'v1.37.2' },
  },
};
const secret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'tor-password', namespace: 'metallb-system', resourceVersion: '3', ...managed },
  type: 'kubernetes.io/basic-auth',
  data: { username: 'dXNlcg==', password: 'c2VjcmV0' },
};
const metallb: Record<string, unknown>[] = [
  {
    apiVersion: 'metallb.io/v1beta1',
    kind: 'IPAddressPool',
    metadata: { name: 'prod', namespace: 'metallb-system' },
    spec: { addresses: ['203.0.113.0/24'] },
  },
  {
    apiVersion: 'metallb.io/v1beta1',
    kind: 'BGPAdvertisement',
    metadata: { name: 'rack-r1', namespace: 'metallb-system' },
    spec: { nodeSelectors: [{ matchLabels: { rack: 'r1' } }], communities: ['65000:100'] },
  },
  {
    apiVersion: 'metallb.io/v1beta1',
    kind: 'BGPAdvertisement',
    metadata: { name: 'web-only', namespace: 'metallb-system' },
    spec: { serviceSelectors: [{ matchLabels: { app: 'web' } }], communities: ['65000:200'] },
  },
  {
    apiVersion: 'metallb.io/v1beta2',
    kind: 'BGPPeer',
    metadata: { name: 'tor1', namespace: 'metallb-system' },
    spec: {
      myASN: 65100,
      peerASN: 65000,
      peerAddress: '10.0.0.1',
      nodeSelectors: [{ matchLabels: { 'kubernetes.io/hostname': 'node-21' } }],
      passwordSecret: { name: 'tor-password', namespace: 'metallb-system' },
    },
  },
];

function convert<T extends KubeObject>(
  type: ResourceType<T>,
  raw: Record<string, unknown>,
  project?: (r: Record<string, unknown>) => Record<string, unknown>,
): T {
  const copy = slim(structuredClone(raw));
  const r = type.convert(project === undefined ? copy : project(copy));
  if (!r.ok) throw new Error(`${type.kind} did not validate: ${JSON.stringify(r.errors)}`);
  return r.object;
}

function announce(project: boolean) {
  const p = <R>(f: R) => (project ? f : undefined);
  const objects = [
    ...metallb.map((o) => convert(validatedKind(o), o)),
    convert(Resources.Secret, secret, p(projectSecret)),
    convert(Resources.Node, node, p(projectNode)),
    convert(Resources.Service, service('web', '203.0.113.10'), p(projectService)),
    convert(Resources.Service, service('api', '203.0.113.11'), p(projectService)),
    convert(Resources.Service, service('cluster', '203.0.113.12'), p(projectService)),
    convert(
      Resources.EndpointSlice,
      slice('web-a', 'web', [{ node: 'node-21', ready: true }]),
      p(projectEndpointSlice),
    ),
    // api: its only endpoint on this node is not ready; externalTrafficPolicy Local → not announced.
    convert(
      Resources.EndpointSlice,
      slice('api-a', 'api', [
        { node: 'node-21', ready: false },
        { node: 'node-22', ready: true },
      ]),
      p(projectEndpointSlice),
    ),
  ] as unknown as ManifestObject[];
  const built = buildConfig(objects);
  expect(built.errors).toEqual([]);
  const snap = snapshotFromConfig(built.config, []);
  expect(snap.peers[0]?.password).toBe('secret');
  return computeAnnouncements({
    config: snap.announce,
    services: snap.services,
    endpointSlices: snap.endpointSlices,
    nodes: snap.nodes,
    nodeName: 'node-21',
  });
}

function validatedKind(o: Record<string, unknown>): ResourceType {
  const t = Object.values(Resources).find((r) => r.kind === o.kind) as ResourceType | undefined;
  if (t === undefined) throw new Error(`no resource type for ${String(o.kind)}`);
  return t;
}

describe('the Kubernetes-mode projections', () => {
  it('keep exactly the fields the speaker reads', () => {
    expect(convert(Resources.Service, service('web', '203.0.113.10'), projectService)).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'web',
        namespace: 'shop',
        uid: 'uid-web',
        resourceVersion: '17',
        labels: { app: 'web', team: 'web' },
        annotations: { 'metallb.io/ip-allocated-from-pool': 'prod' },
      },
      spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local' },
      status: { loadBalancer: { ingress: [{ ip: '203.0.113.10' }] } },
    });
    const s = convert(
      Resources.EndpointSlice,
      slice('web-a', 'web', [{ node: 'node-21', ready: true }]),
      projectEndpointSlice,
    );
    expect(s).toEqual({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'web-a',
        namespace: 'shop',
        resourceVersion: '18',
        labels: { 'kubernetes.io/service-name': 'web' },
      },
      addressType: 'IPv4',
      endpoints: [
        {
          addresses: ['10.244.0.7'],
          nodeName: 'node-21',
          conditions: { ready: true, serving: true, terminating: false },
        },
      ],
    });
    const n = convert(Resources.Node, node, projectNode) as unknown as Record<string, unknown>;
    expect(n.metadata).toEqual({
      name: 'node-21',
      uid: 'uid-node-21',
      resourceVersion: '5',
      labels: { 'kubernetes.io/hostname': 'node-21', rack: 'r1' },
    });
    expect(n.status).toEqual({
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'NetworkUnavailable', status: 'False' },
      ],
    });
    const sec = convert(Resources.Secret, secret, projectSecret) as unknown as Record<string, unknown>;
    expect([sec.type, sec.data, sec.stringData]).toEqual([
      'kubernetes.io/basic-auth',
      { password: 'c2VjcmV0' },
      undefined,
    ]);
    const own = convert(
      Resources.ServiceBGPStatus,
      {
        apiVersion: 'metallb.io/v1beta1',
        kind: 'ServiceBGPStatus',
        metadata: { name: 'bgp-1', namespace: 'metallb-system', labels: { 'metallb.io/node': 'n' } },
        status: { node: 'n', peers: ['tor1'] },
      },
      projectOwnStatus,
    );
    expect(own).toEqual({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'ServiceBGPStatus',
      metadata: { name: 'bgp-1', namespace: 'metallb-system' },
    });
  });

  it('give the same announcements as the whole objects', () => {
    const whole = announce(false);
    const projected = announce(true);
    expect(projected).toEqual(whole);
    // The inputs exercise what the projections keep: node selectors on Node labels, serviceSelectors
    // on Service labels (web's route carries web-only's community), the pool
    // annotation, externalTrafficPolicy Local with a not-ready local endpoint (api) or none (cluster), the
    // peer's password.
    expect(projected.services.map((v) => [v.service, v.reason])).toEqual([
      ['shop/web', ''],
      ['shop/api', 'noLocalEndpoints'],
      ['shop/cluster', 'noLocalEndpoints'],
    ]);
    expect([...(projected.routes.get('tor1')?.ipv4.keys() ?? [])]).toEqual(['203.0.113.10/32']);
    expect(projected.routes.get('tor1')?.ipv4.get('203.0.113.10/32')?.communities).toEqual([
      65000 * 65536 + 100,
      65000 * 65536 + 200,
    ]);
  });

  it('pass a value of the wrong type on, so validation still reports it', () => {
    const bad = { ...slice('x', 'web', []), endpoints: 'none' };
    const r = Resources.EndpointSlice.convert(projectEndpointSlice(slim(structuredClone(bad))));
    expect(r.ok).toBe(false);
    const badSvc = service('y', '203.0.113.99', { status: { loadBalancer: { ingress: [{ ip: 'nope' }] } } });
    const r2 = Resources.Service.convert(projectService(slim(structuredClone(badSvc))));
    expect(r2.ok).toBe(false);
    if (!r2.ok) expect(r2.errors[0]?.path).toBe('status.loadBalancer.ingress[0].ip');
  });
});
