// What the allocator needs to know about a Service, and how MetalLB reads its requests from it
// (controller/service.go: getDesiredLbIPs, valueForAnnotation, SharingKey; k8salloc: Ports, BackendKey).

import type { Labels } from '@bmlb/metallb-api';
import { type Family, type KeyedAddress, readAddress } from './addr.ts';

export const Annotations = {
  loadBalancerIPs: 'metallb.io/loadBalancerIPs',
  addressPool: 'metallb.io/address-pool',
  allowSharedIP: 'metallb.io/allow-shared-ip',
  ipAllocatedFromPool: 'metallb.io/ip-allocated-from-pool',
} as const;

export const DeprecatedAnnotations = {
  loadBalancerIPs: 'metallb.universe.tf/loadBalancerIPs',
  addressPool: 'metallb.universe.tf/address-pool',
  allowSharedIP: 'metallb.universe.tf/allow-shared-ip',
  ipAllocatedFromPool: 'metallb.universe.tf/ip-allocated-from-pool',
} as const;

export type IPFamilyPolicy = 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';

export interface ServicePort {
  readonly port: number;
  /** `TCP` (the Kubernetes default), `UDP` or `SCTP`. */
  readonly protocol?: string;
}

/**
 * The Service as the allocator sees it: exactly the fields that decide its addresses. The controller
 * builds it from a `v1.Service` plus the labels of the Service's namespace.
 */
export interface AllocatorService {
  readonly namespace: string;
  readonly name: string;
  /** `metadata.labels` (matched by `serviceAllocation.serviceSelectors`). */
  readonly labels?: Labels;
  /** `metadata.annotations` (`metallb.io/loadBalancerIPs`, `address-pool`, `allow-shared-ip`, old prefixes). */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Labels of the Service's Namespace (matched by `serviceAllocation.namespaceSelectors`). */
  readonly namespaceLabels?: Labels;
  readonly spec: {
    readonly loadBalancerIP?: string;
    readonly ipFamilyPolicy?: IPFamilyPolicy;
    /**
     * `spec.ipFamilies` as the API server filled it in (one entry for single-stack, two in order for
     * dual-stack). When absent: the families of the requested IPs, else `['IPv4']`.
     */
    readonly ipFamilies?: readonly Family[];
    readonly ports?: readonly ServicePort[];
    readonly externalTrafficPolicy?: 'Cluster' | 'Local';
    /** Pod selector; with `externalTrafficPolicy: Local` services share an IP only with equal selectors. */
    readonly selector?: Readonly<Record<string, string>>;
  };
}

/** `namespace/name`: how the allocator names a Service everywhere. */
export function serviceKey(svc: Pick<AllocatorService, 'namespace' | 'name'>): string {
  return `${svc.namespace}/${svc.name}`;
}

/**
 * Is this Service ours to serve? MetalLB's rule: a Service of `type: LoadBalancer` whose
 * `spec.loadBalancerClass` is unset when we run without a class, or equal to our class when we have one.
 */
export function isServedByUs(
  svc: { readonly spec: { readonly type?: string; readonly loadBalancerClass?: string | null } },
  ourLoadBalancerClass?: string,
): boolean {
  if (svc.spec.type !== 'LoadBalancer') return false;
  const cls = svc.spec.loadBalancerClass ?? undefined;
  if (ourLoadBalancerClass === undefined || ourLoadBalancerClass === '') return cls === undefined;
  return cls === ourLoadBalancerClass;
}

/** MetalLB's valueForAnnotation: the `metallb.io/` key when present (even empty), else the old one. */
export function annotationValue(
  annotations: Readonly<Record<string, string>> | undefined,
  key: string,
  deprecatedKey: string,
): { key: string; value: string } | undefined {
  if (annotations === undefined) return undefined;
  if (Object.hasOwn(annotations, key)) return { key, value: annotations[key]! };
  if (Object.hasOwn(annotations, deprecatedKey))
    return { key: deprecatedKey, value: annotations[deprecatedKey]! };
  return undefined;
}

/** What the Service asks for, or why its request cannot be read. */
export type ServiceRequest =
  | {
      readonly ok: true;
      /** Requested addresses (annotation or spec.loadBalancerIP), canonical, at most one per family. */
      readonly ips: readonly KeyedAddress[];
      /** Requested pool, '' when none. */
      readonly pool: string;
    }
  | {
      readonly ok: false;
      readonly problem: 'InvalidAnnotation' | 'InvalidLoadBalancerIP' | 'ConflictingIPRequest';
      readonly annotation?: string;
      readonly value: string;
      readonly message: string;
      /** Requested pool, '' when none (still valid when the IP request is not). */
      readonly pool: string;
    };

const NO_REQUEST: ServiceRequest = Object.freeze({ ok: true, ips: Object.freeze([]), pool: '' });

export function readRequest(svc: AllocatorService): ServiceRequest {
  const pool =
    annotationValue(svc.annotations, Annotations.addressPool, DeprecatedAnnotations.addressPool)?.value ?? '';
  const ann = annotationValue(
    svc.annotations,
    Annotations.loadBalancerIPs,
    DeprecatedAnnotations.loadBalancerIPs,
  );
  const specIP = svc.spec.loadBalancerIP ?? '';
  if (pool === '' && ann === undefined && specIP === '') return NO_REQUEST;
  const annValue = ann?.value ?? '';
  if (annValue !== '' && specIP !== '') {
    return {
      ok: false,
      problem: 'ConflictingIPRequest',
      annotation: ann!.key,
      value: annValue,
      message: `service can not have both ${ann!.key} and spec.loadBalancerIP`,
      pool,
    };
  }
  if (annValue !== '') {
    const ips: KeyedAddress[] = [];
    for (const part of annValue.split(',')) {
      const ip = readAddress(part.trim());
      if (ip === undefined) {
        return {
          ok: false,
          problem: 'InvalidAnnotation',
          annotation: ann!.key,
          value: annValue,
          message: `invalid ${ann!.key}: ${JSON.stringify(part.trim())} is not an IP address`,
          pool,
        };
      }
      ips.push(ip);
    }
    if (ips.length > 2 || (ips.length === 2 && ips[0]!.family === ips[1]!.family)) {
      return {
        ok: false,
        problem: 'InvalidAnnotation',
        annotation: ann!.key,
        value: annValue,
        message: `invalid ${ann!.key}: ${JSON.stringify(annValue)}: at most one IPv4 and one IPv6 address`,
        pool,
      };
    }
    return { ok: true, ips, pool };
  }
  if (specIP !== '') {
    const ip = readAddress(specIP.trim());
    if (ip === undefined) {
      return {
        ok: false,
        problem: 'InvalidLoadBalancerIP',
        value: specIP,
        message: `invalid spec.loadBalancerIP ${JSON.stringify(specIP)}`,
        pool,
      };
    }
    return { ok: true, ips: [ip], pool };
  }
  return { ok: true, ips: [], pool };
}

/** The sharing key (`allow-shared-ip`), '' when the Service does not share. */
export function sharingKey(svc: AllocatorService): string {
  return (
    annotationValue(svc.annotations, Annotations.allowSharedIP, DeprecatedAnnotations.allowSharedIP)?.value ??
    ''
  );
}

/**
 * MetalLB's backend key: '' for `externalTrafficPolicy: Cluster` (shares with anything of the same
 * sharing key); for `Local`, the pod selector as sorted `k=v,k=v`, so only Services that select the
 * same pods (and therefore announce from the same nodes) share an IP.
 */
export function backendKey(svc: AllocatorService): string {
  if (svc.spec.externalTrafficPolicy !== 'Local') return '';
  const sel = svc.spec.selector ?? {};
  return Object.keys(sel)
    .sort()
    .map((k) => `${k}=${sel[k]}`)
    .join(',');
}

const NO_PORTS: readonly string[] = [];

/** Ports as `PROTO/port` (protocol defaults to TCP, as the API server defaults it). */
export function portKeys(svc: AllocatorService): readonly string[] {
  const ports = svc.spec.ports;
  if (ports === undefined || ports.length === 0) return NO_PORTS;
  return ports.map((p) => `${p.protocol ?? 'TCP'}/${p.port}`);
}

/** The Service's families in `ipFamilies` order. */
export function serviceFamilies(
  svc: AllocatorService,
  requested: readonly KeyedAddress[],
): readonly Family[] {
  const given = svc.spec.ipFamilies;
  // The common, well-formed cases return the Service's own list (no allocation).
  if (given !== undefined && given.length === 1 && (given[0] === 'IPv4' || given[0] === 'IPv6')) return given;
  if (given?.length === 2 && given[0] !== given[1] && given.every((f) => f === 'IPv4' || f === 'IPv6'))
    return given;
  const out: Family[] = [];
  for (const f of svc.spec.ipFamilies ?? []) {
    if ((f === 'IPv4' || f === 'IPv6') && !out.includes(f)) out.push(f);
  }
  if (out.length > 0) return out;
  for (const ip of requested) if (!out.includes(ip.family)) out.push(ip.family);
  if (out.length > 0) return out;
  return ['IPv4'];
}
