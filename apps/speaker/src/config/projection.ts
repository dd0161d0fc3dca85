// What the speaker keeps of each object it watches in Kubernetes mode: the fields its configuration
// build, its announcement logic and its status publisher read, and nothing else. The caches hold
// 10,000s of Services and EndpointSlices; an object as the API server sends it is mostly what the
// speaker never reads (ports, selectors, cluster IPs, endpoint targetRefs and zones, creation
// timestamps, owner references, managedFields…). Applied by the reflectors as objects are decoded,
// before validation, so the rest is garbage at once.
//
// Kept, by kind (every kind also keeps apiVersion, kind, metadata.name, metadata.namespace,
// metadata.resourceVersion — the cache's keys — and Services and the Node keep metadata.uid: the
// nodeAssigned Event names its Service, the status objects' ownerReferences name the Node):
// - Service: the pool annotations (metallb.io/ip-allocated-from-pool and its metallb.universe.tf
//   spelling: the announcement prefers the pool the controller recorded); spec.type,
//   spec.loadBalancerClass, spec.externalTrafficPolicy; status.loadBalancer.ingress[].ip/hostname.
//   Every label (BGPAdvertisement serviceSelectors select Services by them). Not kept: the other
//   annotations; spec.ports,
//   selector, clusterIP(s), loadBalancerIP (the API server validates those; the speaker never reads
//   them, so it no longer checks them either).
// - EndpointSlice: the kubernetes.io/service-name label (which Service it serves), addressType (its
//   addresses are checked against it), and per endpoint: addresses, nodeName and the ready / serving
//   / terminating conditions (MetalLB's EndpointCanServe, and externalTrafficPolicy: Local needs the
//   endpoints on this node). Not kept: ports, hostname, zone, targetRef, hints, other labels.
// - Node (only this speaker's own): every label (BGPPeer and BGPAdvertisement nodeSelectors, and
//   node.kubernetes.io/exclude-from-external-load-balancers) and status.conditions[].type/status
//   (NetworkUnavailable). Not kept: annotations, spec, addresses, capacity, images, nodeInfo.
// - Secret (in the speaker's namespace): type and the `password` key of data / stringData (BGPPeer
//   passwordSecret, kubernetes.io/basic-auth). Not kept: every other key — the namespace may hold
//   large Secrets (Helm releases) the speaker never reads.
// - ServiceBGPStatus / BGPSessionState (this node's own): metadata only; the publisher reads their
//   names to delete what it no longer wants, and compares contents with what it wrote itself.
// - The metallb.io configuration kinds: few, read whole, but for their status (the controller writes an
//   IPAddressPool's counts as it allocates, several times a second in a burst; no rule reads them, and
//   with them each of those writes would be a new configuration to the speaker) and managedFields.
//
// A value of the wrong type (a string where an object belongs) is passed on as it is, so validation
// still reports it.
import type { Projection } from '@bmlb/k8s-adapter';
import { internalized } from '@bmlb/metallb-api';
import { POOL_ANNOTATIONS, SERVICE_NAME_LABEL } from '../announce/announce.ts';

type Raw = Record<string, unknown>;

const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Copies the listed keys of `v` that are present; a `v` that is not an object is returned as it is. */
function pick(v: unknown, keys: readonly string[]): unknown {
  if (!isObject(v)) return v;
  const out: Raw = {};
  for (const k of keys) if (v[k] !== undefined) out[k] = v[k];
  return out;
}

/** `v` with only the listed keys, or undefined when none of them is there. */
function pickSome(v: unknown, keys: readonly string[]): unknown {
  if (!isObject(v)) return v;
  let out: Raw | undefined;
  for (const k of keys)
    if (v[k] !== undefined) {
      out ??= {};
      out[k] = v[k];
    }
  return out;
}

function mapArray(v: unknown, f: (x: unknown) => unknown): unknown {
  return Array.isArray(v) ? v.map(f) : v;
}

/**
 * A copy of `o` without the keys whose value is undefined (a copy, not `delete`: deleting a key
 * turns a V8 object into a dictionary, several times its size).
 */
function defined(o: Raw): Raw {
  const out: Raw = {};
  for (const k in o) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/**
 * One copy of each apiVersion, kind and namespace string: JSON.parse makes a new string of each
 * value longer than 10 characters (`discovery.k8s.io/v1`, `EndpointSlice`, `metallb-system`), once
 * per cached object.
 */
function intern(v: unknown): unknown {
  return typeof v === 'string' ? internalized(v) : v;
}

const META_KEYS = ['name', 'namespace', 'resourceVersion'] as const;
const META_KEYS_UID = ['name', 'namespace', 'uid', 'resourceVersion'] as const;

function meta(
  raw: Raw,
  keep: { uid?: boolean; labels?: readonly string[] | 'all'; annotations?: readonly string[] } = {},
): unknown {
  const md = raw.metadata;
  if (!isObject(md)) return md;
  const out = pick(md, keep.uid === true ? META_KEYS_UID : META_KEYS) as Raw;
  if (out.namespace !== undefined) out.namespace = intern(out.namespace);
  if (keep.labels === 'all') {
    if (md.labels !== undefined) out.labels = md.labels;
  } else if (keep.labels !== undefined) {
    const l = pickSome(md.labels, keep.labels);
    if (l !== undefined) out.labels = l;
  }
  if (keep.annotations !== undefined) {
    const a = pickSome(md.annotations, keep.annotations);
    if (a !== undefined) out.annotations = a;
  }
  return out;
}

export const projectService: Projection = (raw) => {
  const st = raw.status;
  let status: unknown = st;
  if (isObject(st)) {
    const lb = st.loadBalancer;
    status = !isObject(lb)
      ? { loadBalancer: lb }
      : { loadBalancer: defined({ ingress: mapArray(lb.ingress, (i) => pick(i, ['ip', 'hostname'])) }) };
    if ((status as Raw).loadBalancer === undefined) status = {};
  }
  return defined({
    apiVersion: intern(raw.apiVersion),
    kind: intern(raw.kind),
    metadata: meta(raw, { uid: true, labels: 'all', annotations: POOL_ANNOTATIONS }),
    spec: pick(raw.spec, ['type', 'loadBalancerClass', 'externalTrafficPolicy']),
    status,
  });
};

const endpoint = (e: unknown): unknown => {
  if (!isObject(e)) return e;
  return defined({
    addresses: e.addresses,
    nodeName: e.nodeName,
    conditions: pickSome(e.conditions, ['ready', 'serving', 'terminating']),
  });
};

export const projectEndpointSlice: Projection = (raw) =>
  defined({
    apiVersion: intern(raw.apiVersion),
    kind: intern(raw.kind),
    metadata: meta(raw, { labels: [SERVICE_NAME_LABEL] }),
    addressType: raw.addressType,
    endpoints: mapArray(raw.endpoints, endpoint),
  });

export const projectNode: Projection = (raw) => {
  const st = raw.status;
  return defined({
    apiVersion: intern(raw.apiVersion),
    kind: intern(raw.kind),
    metadata: meta(raw, { uid: true, labels: 'all' }),
    status: isObject(st)
      ? defined({ conditions: mapArray(st.conditions, (c) => pick(c, ['type', 'status'])) })
      : st,
  });
};

export const projectSecret: Projection = (raw) =>
  defined({
    apiVersion: intern(raw.apiVersion),
    kind: intern(raw.kind),
    metadata: meta(raw),
    type: raw.type,
    data: pickSome(raw.data, ['password']),
    stringData: pickSome(raw.stringData, ['password']),
  });

/** For the status kinds: the metadata the publisher reads. */
export const projectOwnStatus: Projection = (raw) =>
  defined({ apiVersion: intern(raw.apiVersion), kind: intern(raw.kind), metadata: meta(raw) });

/** A metallb.io configuration object without what no configuration rule reads (see above). */
export const projectConfigObject: Projection = (raw) => {
  const { status: _status, ...rest } = raw;
  const md = rest.metadata;
  if (!isObject(md) || !('managedFields' in md)) return rest;
  const { managedFields: _m, ...metadata } = md;
  return { ...rest, metadata };
};
