// The kinds the apps watch and write, and how an object from the API server becomes the typed object
// the rest of bmlb uses: once, on arrival, through @bmlb/metallb-api's validators, so objects from
// the cluster and from a manifest file go through one pipeline.
import {
  type BFDProfile,
  type BGPAdvertisement,
  type BGPPeerV1beta2,
  type Community,
  type ConfigError,
  configError,
  type EndpointSlice,
  type IPAddressPool,
  METALLB_GROUP,
  type Namespace,
  type Node,
  objectKey,
  type Secret,
  type Service,
  validateObject,
} from '@bmlb/metallb-api';

/** What a cached object always has. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly resourceVersion?: string;
    readonly generation?: number;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly deletionTimestamp?: string;
    readonly [extra: string]: unknown;
  };
}

export type ConvertResult<T> = { ok: true; object: T } | { ok: false; errors: readonly ConfigError[] };

/** One kind as the API serves it. */
export interface ResourceType<T extends KubeObject = KubeObject> {
  /** Name apps use for it (the kind). */
  readonly kind: string;
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly namespaced: boolean;
  /** A raw object (apiVersion and kind set) → the typed object, or what is wrong with it. */
  convert(raw: Record<string, unknown>): ConvertResult<T>;
}

export const apiVersionOf = (t: Pick<ResourceType, 'group' | 'version'>): string =>
  t.group === '' ? t.version : `${t.group}/${t.version}`;

/** The collection's path, in one namespace or across all of them. */
export function collectionPath(t: ResourceType, namespace?: string): string {
  const base = t.group === '' ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
  return t.namespaced && namespace !== undefined && namespace !== ''
    ? `${base}/namespaces/${encodeURIComponent(namespace)}/${t.plural}`
    : `${base}/${t.plural}`;
}

export function objectPath(t: ResourceType, namespace: string | undefined, name: string): string {
  return `${collectionPath(t, t.namespaced ? namespace : undefined)}/${encodeURIComponent(name)}`;
}

/** `namespace/name` (one shared copy: objectKey), or `name` for cluster-scoped objects: the cache key. */
export function keyOf(meta: { readonly name: string; readonly namespace?: string | undefined }): string {
  return meta.namespace ? objectKey(meta.namespace, meta.name) : meta.name;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Drops what bmlb never reads and what makes objects large: managedFields (often half an object)
 * and kubectl's last-applied-configuration annotation (a second copy of the object). In place: the
 * raw object is ours, fresh from JSON.parse.
 */
export function slim(raw: Record<string, unknown>): Record<string, unknown> {
  const md = raw.metadata as Record<string, unknown> | undefined;
  if (md !== undefined && md !== null && typeof md === 'object') {
    delete md.managedFields;
    const ann = md.annotations as Record<string, unknown> | undefined;
    if (ann !== undefined && ann !== null && typeof ann === 'object' && LAST_APPLIED in ann) {
      delete ann[LAST_APPLIED];
      if (Object.keys(ann).length === 0) delete md.annotations;
    }
  }
  return raw;
}

/**
 * A caller's projection of a raw object (fresh from JSON.parse, `slim` already applied): returns the
 * object to validate and cache, usually a new one holding only the fields the caller reads, so the
 * rest is garbage at once instead of living in the cache. It must keep `apiVersion`, `kind`,
 * `metadata.name`, `metadata.namespace` and `metadata.resourceVersion` (the cache's keys), and
 * everything the kind's validation requires.
 */
export type Projection = (raw: Record<string, unknown>) => Record<string, unknown>;

function validated<T extends KubeObject>(raw: Record<string, unknown>): ConvertResult<T> {
  const r = validateObject(raw);
  return r.ok ? { ok: true, object: r.object as unknown as T } : { ok: false, errors: r.errors };
}

function kind<T extends KubeObject>(
  kind: string,
  group: string,
  version: string,
  plural: string,
  namespaced: boolean,
): ResourceType<T> {
  return { kind, group, version, plural, namespaced, convert: validated<T> };
}

export const Resources = {
  Service: kind<Service & KubeObject>('Service', '', 'v1', 'services', true),
  EndpointSlice: kind<EndpointSlice & KubeObject>(
    'EndpointSlice',
    'discovery.k8s.io',
    'v1',
    'endpointslices',
    true,
  ),
  Node: kind<Node & KubeObject>('Node', '', 'v1', 'nodes', false),
  Namespace: kind<Namespace & KubeObject>('Namespace', '', 'v1', 'namespaces', false),
  Secret: kind<Secret & KubeObject>('Secret', '', 'v1', 'secrets', true),
  IPAddressPool: kind<IPAddressPool & KubeObject>(
    'IPAddressPool',
    METALLB_GROUP,
    'v1beta1',
    'ipaddresspools',
    true,
  ),
  /** Read in the storage version; v1beta1 objects come back converted by the API server. */
  BGPPeer: kind<BGPPeerV1beta2 & KubeObject>('BGPPeer', METALLB_GROUP, 'v1beta2', 'bgppeers', true),
  BGPAdvertisement: kind<BGPAdvertisement & KubeObject>(
    'BGPAdvertisement',
    METALLB_GROUP,
    'v1beta1',
    'bgpadvertisements',
    true,
  ),
  BFDProfile: kind<BFDProfile & KubeObject>('BFDProfile', METALLB_GROUP, 'v1beta1', 'bfdprofiles', true),
  Community: kind<Community & KubeObject>('Community', METALLB_GROUP, 'v1beta1', 'communities', true),
  /** The speaker's per (Service, node) announcement status, as MetalLB 0.15 has it. */
  ServiceBGPStatus: plainResource('ServiceBGPStatus', METALLB_GROUP, 'v1beta1', 'servicebgpstatuses', true),
  /** The speaker's per (node, peer) session state (bmlb's own kind). */
  BGPSessionState: plainResource('BGPSessionState', 'bmlb.io', 'v1alpha1', 'bgpsessionstates', true),
  Lease: plainResource('Lease', 'coordination.k8s.io', 'v1', 'leases', true),
} as const;

/** A kind that metallb-api does not know (our status kinds, Leases): any object with metadata.name. */
export function plainResource(
  kind: string,
  group: string,
  version: string,
  plural: string,
  namespaced: boolean,
): ResourceType {
  return {
    kind,
    group,
    version,
    plural,
    namespaced,
    convert(raw) {
      const md = raw.metadata as { name?: unknown } | undefined;
      if (md === undefined || typeof md.name !== 'string' || md.name === '') {
        return {
          ok: false,
          errors: [
            configError(
              { kind, namespace: '', name: '' },
              'metadata.name',
              'required',
              'missing metadata.name',
            ),
          ],
        };
      }
      return { ok: true, object: raw as unknown as KubeObject };
    },
  };
}
