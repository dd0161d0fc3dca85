// Builders for the controller's unit tests: objects as the API server would hold them (defaults the
// API server fills in are filled in here), and a controller on a MemoryCluster.
import { MemoryCluster } from '@bmlb/k8s-adapter';
import pino from 'pino';
import { Controller, type ControllerOptions } from '../controller.ts';
import { ControllerMetrics } from '../metrics.ts';

export const NS = 'metallb-system';

let clock = Date.parse('2025-01-01T00:00:00Z');
/** Strictly increasing creation timestamps (one second apart), as the API server stamps them. */
function stamp(): string {
  clock += 1000;
  return new Date(clock).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function pool(name: string, addresses: string[], spec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'metallb.io/v1beta1',
    kind: 'IPAddressPool',
    metadata: { name, namespace: NS },
    spec: { addresses, ...spec },
  };
}

export interface SvcOptions {
  namespace?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  type?: string;
  loadBalancerIP?: string;
  loadBalancerClass?: string;
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  ports?: { port: number; protocol?: string }[];
  local?: boolean;
  selector?: Record<string, string>;
  status?: string[];
  created?: string;
}

export function service(name: string, o: SvcOptions = {}) {
  const families = o.ipFamilies ?? ['IPv4'];
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: o.namespace ?? 'default',
      creationTimestamp: o.created ?? stamp(),
      ...(o.annotations ? { annotations: o.annotations } : {}),
      ...(o.labels ? { labels: o.labels } : {}),
    },
    spec: {
      type: o.type ?? 'LoadBalancer',
      clusterIP: families[0] === 'IPv6' ? 'fd00::10' : '10.96.0.10',
      clusterIPs: families.map((f) => (f === 'IPv6' ? 'fd00::10' : '10.96.0.10')),
      ipFamilies: families,
      ipFamilyPolicy: o.ipFamilyPolicy ?? 'SingleStack',
      ports: (o.ports ?? [{ port: 80 }]).map((p) => ({ protocol: 'TCP', ...p })),
      externalTrafficPolicy: o.local ? 'Local' : 'Cluster',
      selector: o.selector ?? { app: name },
      ...(o.loadBalancerIP ? { loadBalancerIP: o.loadBalancerIP } : {}),
      ...(o.loadBalancerClass ? { loadBalancerClass: o.loadBalancerClass } : {}),
    },
    status: { loadBalancer: o.status ? { ingress: o.status.map((ip) => ({ ip })) } : {} },
  };
}

export function namespace(name: string, labels: Record<string, string> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } },
  };
}

export const silent = pino({ level: 'silent' });

export interface Harness {
  readonly cluster: MemoryCluster;
  readonly controller: Controller;
  readonly metrics: ControllerMetrics;
  /** Converges and writes everything pending. */
  settle(): Promise<void>;
  /** status.loadBalancer.ingress IPs of a Service as the "server" holds it. */
  ips(ns: string, name: string): string[];
  annotation(ns: string, name: string): string | undefined;
  /** Events recorded about one object: `reason: note`. */
  events(name: string, kind?: string): string[];
}

/** A controller on `cluster` (a new MemoryCluster by default), started; activated unless told not to. */
export function harness(
  opts: { cluster?: MemoryCluster; activate?: boolean; objects?: object[] } & Partial<ControllerOptions> = {},
): Harness {
  const cluster = opts.cluster ?? new MemoryCluster();
  for (const o of opts.objects ?? []) cluster.put(o as Record<string, unknown>);
  const metrics = new ControllerMetrics({ processMetrics: false });
  const controller = new Controller({
    logger: silent,
    poolStatusDelayMs: 1,
    ...opts,
    cluster,
    metrics,
  });
  controller.start();
  if (opts.activate !== false) controller.activate();
  return harnessFor(cluster, controller, metrics);
}

function harnessFor(cluster: MemoryCluster, controller: Controller, metrics: ControllerMetrics): Harness {
  return {
    cluster,
    controller,
    metrics,
    settle: () => controller.settle(),
    ips(ns, name) {
      const s = cluster.get('Service', ns, name) as
        | { status?: { loadBalancer?: { ingress?: { ip: string }[] } } }
        | undefined;
      return (s?.status?.loadBalancer?.ingress ?? []).map((i) => i.ip);
    },
    annotation(ns, name) {
      const s = cluster.get('Service', ns, name) as
        | { metadata: { annotations?: Record<string, string> } }
        | undefined;
      return s?.metadata.annotations?.['metallb.io/ip-allocated-from-pool'];
    },
    events(name, kind = 'Service') {
      return cluster.recorded
        .filter((e) => e.regarding.name === name && e.regarding.kind === kind)
        .map((e) => `${e.reason}: ${e.note}`);
    },
  };
}

/** Every object a MemoryCluster holds, to load into a new one (a restarted controller's first list). */
export function copyAll(cluster: MemoryCluster): object[] {
  const kinds = [
    'Namespace',
    'IPAddressPool',
    'BGPPeer',
    'BGPAdvertisement',
    'BFDProfile',
    'Community',
    'Service',
  ];
  return kinds.flatMap((k) => cluster.list(k));
}
