// Builders for pools and Services in tests and benchmarks.
import type { IPAddressPoolSpec } from '@bmlb/metallb-api';
import type { Family } from '../addr.ts';
import type { PoolInput } from '../pool.ts';
import type { AllocatorService, IPFamilyPolicy, ServicePort } from '../service.ts';

export function pool(name: string, addresses: string[], extra: Partial<IPAddressPoolSpec> = {}): PoolInput {
  return { metadata: { name }, spec: { addresses, ...extra } };
}

export interface SvcOptions {
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  namespaceLabels?: Record<string, string>;
  loadBalancerIP?: string;
  policy?: IPFamilyPolicy;
  families?: Family[];
  ports?: ServicePort[];
  local?: boolean;
  selector?: Record<string, string>;
  /** Shorthand for the metallb.io/allow-shared-ip annotation. */
  share?: string;
  /** Shorthand for the metallb.io/address-pool annotation. */
  pool?: string;
  /** Shorthand for the metallb.io/loadBalancerIPs annotation. */
  ips?: string;
}

export function svc(name: string, o: SvcOptions = {}): AllocatorService {
  const annotations: Record<string, string> = { ...o.annotations };
  if (o.share !== undefined) annotations['metallb.io/allow-shared-ip'] = o.share;
  if (o.pool !== undefined) annotations['metallb.io/address-pool'] = o.pool;
  if (o.ips !== undefined) annotations['metallb.io/loadBalancerIPs'] = o.ips;
  return {
    namespace: o.namespace ?? 'default',
    name,
    ...(o.labels === undefined ? {} : { labels: o.labels }),
    annotations,
    ...(o.namespaceLabels === undefined ? {} : { namespaceLabels: o.namespaceLabels }),
    spec: {
      ...(o.loadBalancerIP === undefined ? {} : { loadBalancerIP: o.loadBalancerIP }),
      ...(o.policy === undefined ? {} : { ipFamilyPolicy: o.policy }),
      ...(o.families === undefined ? {} : { ipFamilies: o.families }),
      ports: o.ports ?? [{ port: 80, protocol: 'TCP' }],
      externalTrafficPolicy: o.local ? 'Local' : 'Cluster',
      ...(o.selector === undefined ? {} : { selector: o.selector }),
    },
  };
}
