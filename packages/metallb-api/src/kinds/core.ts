/**
 * The core Kubernetes objects the speaker's file source holds besides the metallb.io kinds: `v1`
 * Service, `discovery.k8s.io/v1` EndpointSlice, `v1` Node, `v1` Namespace and `v1` Secret.
 * Only the fields bmlb reads are typed and checked; every other field a real object carries is kept
 * and ignored (these schemas never reject unknown fields).
 */
import Type, { type Static } from 'typebox';
import { type ConfigError, configError } from '../errors.ts';
import { parseIP } from '../ip.ts';
import {
  finish,
  type KindSpec,
  type ObjectMeta,
  refOf,
  type ValidationResult,
  validateEnvelope,
} from '../meta.ts';
import { IntOrString, StringEnum, StringMap } from '../schema-util.ts';

// ---------------------------------------------------------------- Service

const ServiceTypes = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const;
const TrafficPolicies = ['Cluster', 'Local'] as const;
const IPFamilyPolicies = ['SingleStack', 'PreferDualStack', 'RequireDualStack'] as const;
const IPFamilyNames = ['IPv4', 'IPv6'] as const;
const Protocols = ['TCP', 'UDP', 'SCTP'] as const;
export type ServiceType = (typeof ServiceTypes)[number];
export type TrafficPolicy = (typeof TrafficPolicies)[number];
export type IPFamilyPolicy = (typeof IPFamilyPolicies)[number];
export type IPFamilyName = (typeof IPFamilyNames)[number];
export type Protocol = (typeof Protocols)[number];

const ServicePortSchema = Type.Object({
  name: Type.Optional(Type.String()),
  protocol: Type.Optional(StringEnum(Protocols, { default: 'TCP' })),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  targetPort: Type.Optional(IntOrString()),
  nodePort: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  appProtocol: Type.Optional(Type.String()),
});
export type ServicePort = Static<typeof ServicePortSchema>;

const ServiceSpecSchema = Type.Object({
  type: Type.Optional(StringEnum(ServiceTypes, { default: 'ClusterIP' })),
  clusterIP: Type.Optional(Type.String()),
  clusterIPs: Type.Optional(Type.Array(Type.String())),
  loadBalancerIP: Type.Optional(Type.String()),
  loadBalancerClass: Type.Optional(Type.String()),
  externalTrafficPolicy: Type.Optional(StringEnum(TrafficPolicies)),
  internalTrafficPolicy: Type.Optional(StringEnum(TrafficPolicies)),
  ipFamilyPolicy: Type.Optional(StringEnum(IPFamilyPolicies)),
  ipFamilies: Type.Optional(Type.Array(StringEnum(IPFamilyNames), { maxItems: 2 })),
  ports: Type.Optional(Type.Array(ServicePortSchema)),
  selector: Type.Optional(StringMap()),
});
export type ServiceSpec = Static<typeof ServiceSpecSchema>;

const LoadBalancerIngressSchema = Type.Object({
  ip: Type.Optional(Type.String()),
  hostname: Type.Optional(Type.String()),
  ipMode: Type.Optional(Type.String()),
});
export type LoadBalancerIngress = Static<typeof LoadBalancerIngressSchema>;

const ServiceStatusSchema = Type.Object({
  loadBalancer: Type.Optional(Type.Object({ ingress: Type.Optional(Type.Array(LoadBalancerIngressSchema)) })),
});
export type ServiceStatus = Static<typeof ServiceStatusSchema>;

export interface Service {
  apiVersion: 'v1';
  kind: 'Service';
  metadata: ObjectMeta & { namespace: string };
  spec: ServiceSpec;
  status?: ServiceStatus;
  [extra: string]: unknown;
}

export const ServiceKind: KindSpec = {
  kind: 'Service',
  apiVersions: ['v1'],
  namespaced: true,
  defaultNamespace: 'default',
  specSchema: ServiceSpecSchema,
  specRequired: false,
  statusSchema: ServiceStatusSchema,
  strict: false,
};

export function validateService(raw: unknown): ValidationResult<Service> {
  const env = validateEnvelope(ServiceKind, raw);
  if (env.object === undefined) return finish(undefined, env.errors);
  const obj = env.object as unknown as Service;
  const ref = refOf(obj);
  const errors: ConfigError[] = [];
  const ipField = (path: string, v: string | undefined, allowNone: boolean) => {
    if (v === undefined || v === '' || (allowNone && v === 'None')) return;
    if (parseIP(v) === undefined)
      errors.push(configError(ref, path, 'invalid-ip', `invalid IP address ${JSON.stringify(v)}`));
  };
  ipField('spec.loadBalancerIP', obj.spec.loadBalancerIP, false);
  ipField('spec.clusterIP', obj.spec.clusterIP, true);
  (obj.spec.clusterIPs ?? []).forEach((ip, i) => {
    ipField(`spec.clusterIPs[${i}]`, ip, true);
  });
  (obj.status?.loadBalancer?.ingress ?? []).forEach((ing, i) => {
    ipField(`status.loadBalancer.ingress[${i}].ip`, ing.ip, false);
  });
  return finish(obj, errors);
}

/** Kubernetes defaults `externalTrafficPolicy` to Cluster for LoadBalancer and NodePort Services. */
export function serviceTrafficPolicy(svc: Service): TrafficPolicy {
  return svc.spec.externalTrafficPolicy ?? 'Cluster';
}

/** The ingress IPs in `status.loadBalancer.ingress`, in order. */
export function serviceIngressIPs(svc: Service): string[] {
  return (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : []));
}

// ---------------------------------------------------------------- EndpointSlice

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const AddressTypes = ['IPv4', 'IPv6', 'FQDN'] as const;

const EndpointConditionsSchema = Type.Object({
  ready: Type.Optional(Type.Boolean()),
  serving: Type.Optional(Type.Boolean()),
  terminating: Type.Optional(Type.Boolean()),
});
export type EndpointConditions = Static<typeof EndpointConditionsSchema>;

const EndpointSchema = Type.Object({
  addresses: Type.Array(Type.String()),
  conditions: Type.Optional(EndpointConditionsSchema),
  nodeName: Type.Optional(Type.String()),
  hostname: Type.Optional(Type.String()),
  zone: Type.Optional(Type.String()),
});
export type Endpoint = Static<typeof EndpointSchema>;

const EndpointPortSchema = Type.Object({
  name: Type.Optional(Type.String()),
  port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  protocol: Type.Optional(StringEnum(Protocols)),
  appProtocol: Type.Optional(Type.String()),
});

export interface EndpointSlice {
  apiVersion: 'discovery.k8s.io/v1';
  kind: 'EndpointSlice';
  metadata: ObjectMeta & { namespace: string };
  addressType: (typeof AddressTypes)[number];
  endpoints: Endpoint[];
  ports?: Static<typeof EndpointPortSchema>[];
  [extra: string]: unknown;
}

export const EndpointSliceKind: KindSpec = {
  kind: 'EndpointSlice',
  apiVersions: ['discovery.k8s.io/v1'],
  namespaced: true,
  defaultNamespace: 'default',
  specSchema: undefined,
  specRequired: false,
  strict: false,
  extraTopLevel: {
    addressType: StringEnum(AddressTypes),
    endpoints: Type.Array(EndpointSchema),
    ports: Type.Array(EndpointPortSchema),
  },
};

export function validateEndpointSlice(raw: unknown): ValidationResult<EndpointSlice> {
  const env = validateEnvelope(EndpointSliceKind, raw);
  if (env.object === undefined) return finish(undefined, env.errors);
  const obj = env.object as unknown as EndpointSlice;
  const ref = refOf(obj);
  const errors: ConfigError[] = [];
  if (obj.addressType === undefined)
    errors.push(configError(ref, 'addressType', 'required', 'required field addressType is missing'));
  if (obj.endpoints === undefined) obj.endpoints = [];
  const warnings: ConfigError[] = [];
  if (obj.metadata.labels?.[SERVICE_NAME_LABEL] === undefined) {
    warnings.push(
      configError(
        ref,
        `metadata.labels["${SERVICE_NAME_LABEL}"]`,
        'required',
        `no ${SERVICE_NAME_LABEL} label: this EndpointSlice belongs to no Service and is ignored`,
      ),
    );
  }
  if (obj.addressType === 'IPv4' || obj.addressType === 'IPv6') {
    const fam = obj.addressType === 'IPv4' ? 4 : 6;
    obj.endpoints.forEach((ep, i) => {
      ep.addresses.forEach((a, j) => {
        const ip = parseIP(a);
        if (ip === undefined || ip.family !== fam) {
          errors.push(
            configError(
              ref,
              `endpoints[${i}].addresses[${j}]`,
              'invalid-ip',
              `invalid ${obj.addressType} address ${JSON.stringify(a)}`,
            ),
          );
        }
      });
    });
  }
  return finish(obj, errors, warnings);
}

/** The EndpointSlice's Service (`kubernetes.io/service-name` label), if any. */
export function endpointSliceServiceName(s: EndpointSlice): string | undefined {
  return s.metadata.labels?.[SERVICE_NAME_LABEL];
}

/**
 * Kubernetes' reading of endpoint conditions: `ready` unset means ready; `serving` unset means
 * the value of `ready`; `terminating` unset means false.
 */
export function endpointState(ep: Endpoint): { ready: boolean; serving: boolean; terminating: boolean } {
  const ready = ep.conditions?.ready ?? true;
  return {
    ready,
    serving: ep.conditions?.serving ?? ready,
    terminating: ep.conditions?.terminating ?? false,
  };
}

// ---------------------------------------------------------------- Node

const NodeConditionSchema = Type.Object({
  type: Type.String(),
  status: StringEnum(['True', 'False', 'Unknown'] as const),
  reason: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
});
export type NodeCondition = Static<typeof NodeConditionSchema>;

const NodeAddressSchema = Type.Object({ type: Type.String(), address: Type.String() });

const NodeSpecSchema = Type.Object({ unschedulable: Type.Optional(Type.Boolean()) });
const NodeStatusSchema = Type.Object({
  conditions: Type.Optional(Type.Array(NodeConditionSchema)),
  addresses: Type.Optional(Type.Array(NodeAddressSchema)),
});

export interface Node {
  apiVersion: 'v1';
  kind: 'Node';
  metadata: ObjectMeta;
  spec: Static<typeof NodeSpecSchema>;
  status?: Static<typeof NodeStatusSchema>;
  [extra: string]: unknown;
}

export const NodeKind: KindSpec = {
  kind: 'Node',
  apiVersions: ['v1'],
  namespaced: false,
  specSchema: NodeSpecSchema,
  specRequired: false,
  statusSchema: NodeStatusSchema,
  strict: false,
};

export function validateNode(raw: unknown): ValidationResult<Node> {
  const env = validateEnvelope(NodeKind, raw);
  return finish(env.object, env.errors);
}

export const EXCLUDE_FROM_LB_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';

/** True when the node's NetworkUnavailable condition is True. */
export function nodeNetworkUnavailable(n: Node): boolean {
  return (n.status?.conditions ?? []).some((c) => c.type === 'NetworkUnavailable' && c.status === 'True');
}

/** True when the node carries the exclude-from-external-load-balancers label (any value, as Kubernetes). */
export function nodeExcludedFromLB(n: Node): boolean {
  return n.metadata.labels !== undefined && Object.hasOwn(n.metadata.labels, EXCLUDE_FROM_LB_LABEL);
}

// ---------------------------------------------------------------- Namespace

export interface Namespace {
  apiVersion: 'v1';
  kind: 'Namespace';
  metadata: ObjectMeta;
  [extra: string]: unknown;
}

export const NamespaceKind: KindSpec = {
  kind: 'Namespace',
  apiVersions: ['v1'],
  namespaced: false,
  specSchema: Type.Object({}),
  specRequired: false,
  strict: false,
};

export function validateNamespace(raw: unknown): ValidationResult<Namespace> {
  const env = validateEnvelope(NamespaceKind, raw);
  return finish(env.object, env.errors);
}

// ---------------------------------------------------------------- Secret

export interface Secret {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: ObjectMeta & { namespace: string };
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  [extra: string]: unknown;
}

export const SecretKind: KindSpec = {
  kind: 'Secret',
  apiVersions: ['v1'],
  namespaced: true,
  defaultNamespace: 'default',
  specSchema: undefined,
  specRequired: false,
  strict: false,
  extraTopLevel: { type: Type.String(), data: StringMap(), stringData: StringMap() },
};

export function validateSecret(raw: unknown): ValidationResult<Secret> {
  const env = validateEnvelope(SecretKind, raw);
  if (env.object === undefined) return finish(undefined, env.errors);
  const obj = env.object as unknown as Secret;
  const ref = refOf(obj);
  const errors: ConfigError[] = [];
  for (const [k, v] of Object.entries(obj.data ?? {})) {
    if (decodeBase64(v) === undefined)
      errors.push(configError(ref, `data[${JSON.stringify(k)}]`, 'format', 'not valid base64'));
  }
  return finish(obj, errors);
}

// atob and TextDecoder are ECMAScript host globals (Node, browsers, Deno, Bun), not `node:*` modules, so
// this pure core may use them; it compiles without DOM or Node types, so their shapes are declared here.
const platform = globalThis as unknown as {
  atob(data: string): string;
  TextDecoder: new (
    label: 'utf-8',
    options: { fatal: boolean; ignoreBOM: boolean },
  ) => { decode(input: Uint8Array): string };
};
const strictUtf8 = new platform.TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Go's StdEncoding: groups of four, `=` padding required; line breaks are skipped as Go skips them. */
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard base64 (RFC 4648 §4, padding required as Go's StdEncoding) → bytes. */
export function decodeBase64(s: string): Uint8Array | undefined {
  const t = s.replace(/[\r\n]/g, '');
  // atob alone is forgiving (it skips spaces and takes missing padding): check the strict form first.
  if (!STD_BASE64.test(t)) return undefined;
  const bin = platform.atob(t);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** UTF-8 bytes → string (strict: invalid sequences give undefined; a leading BOM is kept). */
function decodeUtf8(b: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(b);
  } catch {
    return undefined;
  }
}

/** A Secret's value for `key`, from `stringData` or base64 `data`, as text. */
export function secretValue(s: Secret, key: string): string | undefined {
  const sd = s.stringData?.[key];
  if (sd !== undefined) return sd;
  const d = s.data?.[key];
  if (d === undefined) return undefined;
  const bytes = decodeBase64(d);
  return bytes === undefined ? undefined : decodeUtf8(bytes);
}
