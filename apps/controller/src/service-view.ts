// How the controller reads a v1 Service: what the allocator needs from it, what it has in its
// status now, and MetalLB's event wording.
import {
  type AllocatorService,
  Annotations,
  DeprecatedAnnotations,
  type Family,
  type IPFamilyPolicy,
} from '@bmlb/allocator';
import type { KubeObject } from '@bmlb/k8s-adapter';
import { canonicalIP, type Labels, type Service } from '@bmlb/metallb-api';

export type ServiceObject = Service & KubeObject;

/** The Service as the allocator sees it (the Namespace's labels for namespaceSelectors). */
export function allocatorService(svc: ServiceObject, namespaceLabels: Labels | undefined): AllocatorService {
  const s = svc.spec;
  return {
    namespace: svc.metadata.namespace,
    name: svc.metadata.name,
    labels: svc.metadata.labels,
    annotations: svc.metadata.annotations,
    namespaceLabels,
    spec: {
      loadBalancerIP: s.loadBalancerIP,
      ipFamilyPolicy: s.ipFamilyPolicy as IPFamilyPolicy | undefined,
      ipFamilies: s.ipFamilies as Family[] | undefined,
      ports: s.ports,
      // The API server defaults it to Cluster for LoadBalancer Services.
      externalTrafficPolicy: s.externalTrafficPolicy ?? 'Cluster',
      selector: s.selector,
    },
  };
}

/** The addresses in `status.loadBalancer.ingress`, as written (hostnames skipped). */
export function statusIPs(svc: ServiceObject): string[] {
  const ing = svc.status?.loadBalancer?.ingress;
  if (ing === undefined || ing.length === 0) return [];
  const out: string[] = [];
  for (const i of ing) if (i.ip) out.push(i.ip);
  return out;
}

/** Same addresses in the same order (canonical forms compared, so `::0001` equals `::1`). */
export function sameIPs(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i] && (canonicalIP(a[i]!) ?? a[i]) !== (canonicalIP(b[i]!) ?? b[i])) return false;
  }
  return true;
}

/** The pool annotation the Service carries now (the `metallb.io/` key only: the one MetalLB writes). */
export function poolAnnotation(svc: ServiceObject): string | undefined {
  return svc.metadata.annotations?.[Annotations.ipAllocatedFromPool];
}

/** The `metallb.universe.tf/` annotations the Service uses (MetalLB warns about each). */
export function deprecatedAnnotations(svc: ServiceObject): string[] {
  const ann = svc.metadata.annotations;
  if (ann === undefined) return [];
  const old = Object.values(DeprecatedAnnotations) as string[];
  return Object.keys(ann).filter((k) => old.includes(k) && k !== DeprecatedAnnotations.ipAllocatedFromPool);
}

/** Go's `%q` of a []net.IP, as MetalLB's events print it: `["203.0.113.1" "2001:db8::1"]`. */
export function goQuoteList(ips: readonly string[]): string {
  return `[${ips.map((ip) => JSON.stringify(ip)).join(' ')}]`;
}

/** RFC 3339 creation time, for ordering (Services created first keep or get addresses first). */
function createdAt(o: KubeObject): string {
  const t = o.metadata.creationTimestamp;
  return typeof t === 'string' ? t : '';
}

/** Older first, then by `namespace/name`: the order conflicts are decided in. */
export function byAge(a: { obj: KubeObject; key: string }, b: { obj: KubeObject; key: string }): number {
  const ta = createdAt(a.obj);
  const tb = createdAt(b.obj);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
