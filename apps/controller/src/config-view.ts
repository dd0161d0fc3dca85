// The metallb.io configuration as the controller uses it: the cached objects of the five kinds,
// checked against each other with metallb-api's buildConfig (MetalLB's cross-object rules), and the
// pool set the allocator should run. Errors on IPAddressPools or Communities make the pool set
// stale (MetalLB's controller refuses the whole set and keeps its last one); errors on the other
// kinds concern the speakers and are only reported.
import { type ClusterCache, type KubeObject, Resources, type ResourceType } from '@bmlb/k8s-adapter';
import { buildConfig, type ConfigError, type IPAddressPool, type ManifestObject } from '@bmlb/metallb-api';

/** The metallb.io kinds the controller watches (in its namespace) and validates. */
export const MetallbKinds: readonly ResourceType[] = [
  Resources.IPAddressPool,
  Resources.BGPPeer,
  Resources.BGPAdvertisement,
  Resources.BFDProfile,
  Resources.Community,
];

/** Kinds whose errors stop a pool change from being applied. */
const BLOCKING = new Set(['IPAddressPool', 'Community']);

export interface ConfigView {
  /** The IPAddressPools, by name. */
  readonly pools: readonly (IPAddressPool & KubeObject)[];
  /** Identifies the pools' names and specs: the same fingerprint needs no `setPools`. */
  readonly fingerprint: string;
  /** Every cross-object error. */
  readonly errors: readonly ConfigError[];
  /** The errors that make the pool set stale (on IPAddressPools and Communities). */
  readonly blocking: readonly ConfigError[];
}

/** The cached metallb.io objects (last valid version of each). */
export function cachedObjects(cache: ClusterCache): KubeObject[] {
  const out: KubeObject[] = [];
  for (const t of MetallbKinds) if (cache.has(t)) for (const o of cache.store(t).values()) out.push(o);
  return out;
}

export function poolFingerprint(pools: readonly IPAddressPool[]): string {
  return JSON.stringify(pools.map((p) => [p.metadata.name, p.spec]));
}

export function evaluateConfig(objects: readonly KubeObject[], namespace: string): ConfigView {
  const r = buildConfig(objects as unknown as ManifestObject[], { namespace, resolveSecrets: false });
  const pools = (objects as unknown as (IPAddressPool & KubeObject)[])
    .filter((o) => o.kind === 'IPAddressPool' && o.metadata.namespace === namespace)
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  return {
    pools,
    fingerprint: poolFingerprint(pools),
    errors: r.errors,
    blocking: r.errors.filter((e) => BLOCKING.has(e.kind)),
  };
}

/** `spec.addresses[1]: "10.0.0.0/24" overlaps … [overlapping-pools]`: the field first, for an Event. */
export function describeError(e: Pick<ConfigError, 'path' | 'message' | 'rule'>): string {
  return `${e.path === '' ? '' : `${e.path}: `}${e.message} [${e.rule}]`;
}

/** The apiVersion Events name for a metallb.io kind (BGPPeer is served as v1beta2). */
export function apiVersionFor(kind: string): string {
  return kind === 'BGPPeer' ? 'metallb.io/v1beta2' : 'metallb.io/v1beta1';
}
