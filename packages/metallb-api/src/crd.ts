/**
 * CustomResourceDefinitions for the metallb.io kinds and bmlb's status kinds, generated from the same schemas the file
 * source validates with, so the cluster and the file can never disagree.
 *
 * Kubernetes' structural-schema rules: every node has a `type` (or `x-kubernetes-int-or-string` /
 * `x-kubernetes-preserve-unknown-fields`), no `$ref`, and `additionalProperties` may not sit next to
 * `properties` — so our `additionalProperties: false` becomes pruning (the API server drops unknown
 * fields, and `kubectl --validate=strict`, the default since 1.25, rejects them).
 */
import { BFDProfileKind } from './kinds/bfdprofile.ts';
import { BGPAdvertisementKind } from './kinds/bgpadvertisement.ts';
import { BGPPeerV1beta1Kind, BGPPeerV1beta2Kind } from './kinds/bgppeer.ts';
import { CommunityKind } from './kinds/community.ts';
import { IPAddressPoolKind } from './kinds/ipaddresspool.ts';
import { BGPSessionStateKind, ServiceBGPStatusKind } from './kinds/status.ts';
import type { KindSpec } from './meta.ts';
import type { JsonSchema } from './schema-check.ts';

/** The metallb.io configuration kinds, then the status kinds the speaker writes (kinds/status.ts). */
export const CRD_KINDS = [
  'IPAddressPool',
  'BGPPeer',
  'BGPAdvertisement',
  'BFDProfile',
  'Community',
  'ServiceBGPStatus',
  'BGPSessionState',
] as const;
export type CrdKind = (typeof CRD_KINDS)[number];

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string };
    scope: 'Namespaced' | 'Cluster';
    conversion?: { strategy: 'None' };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      deprecated?: boolean;
      deprecationWarning?: string;
      subresources: { status: Record<string, never> };
      additionalPrinterColumns?: PrinterColumn[];
      schema: { openAPIV3Schema: JsonSchema };
    }[];
  };
}

/** Copy a schema into its structural form (see the module comment). */
export function toStructural(s: JsonSchema): JsonSchema {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'properties' && v !== undefined) {
      const props: Record<string, JsonSchema> = {};
      for (const [pk, pv] of Object.entries(v as Record<string, JsonSchema>)) props[pk] = toStructural(pv);
      out.properties = props;
    } else if (k === 'items' && v !== undefined) {
      out.items = toStructural(v as JsonSchema);
    } else if (k === 'additionalProperties') {
      if (typeof v === 'object' && v !== null) out.additionalProperties = toStructural(v as JsonSchema);
      // `false` (strict) is expressed by pruning; `true` by x-kubernetes-preserve-unknown-fields.
      else if (v === true) out['x-kubernetes-preserve-unknown-fields'] = true;
    } else if (k === 'x-kubernetes-int-or-string') {
      out[k] = v;
      out.anyOf = [{ type: 'integer' }, { type: 'string' }];
    } else {
      out[k] = v;
    }
  }
  // An object with neither properties nor additionalProperties accepts only `{}`; say so by leaving
  // it without properties (Kubernetes prunes everything in it).
  return out as JsonSchema;
}

function objectSchema(def: KindSpec, description: string): JsonSchema {
  const properties: Record<string, JsonSchema> = {
    apiVersion: {
      type: 'string',
      description:
        'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.',
    },
    kind: {
      type: 'string',
      description: 'Kind is a string value representing the REST resource this object represents.',
    },
    metadata: { type: 'object' },
  };
  if (def.specSchema !== undefined) properties.spec = toStructural(def.specSchema as JsonSchema);
  if (def.statusSchema !== undefined) properties.status = toStructural(def.statusSchema as JsonSchema);
  return {
    type: 'object',
    description,
    properties,
    ...(def.specRequired ? { required: ['spec'] } : {}),
  };
}

const DESCRIPTIONS: Record<CrdKind, string> = {
  IPAddressPool:
    'IPAddressPool represents a pool of IP addresses that can be allocated to LoadBalancer services.',
  BGPPeer: 'BGPPeer is the Schema for the peers API.',
  BGPAdvertisement:
    'BGPAdvertisement allows to advertise the IPs coming from the selected IPAddressPools via BGP, setting the parameters of the BGP Advertisement.',
  BFDProfile:
    'BFDProfile represents the settings of the bfd session that can be optionally associated with a BGP session.',
  Community:
    'Community is a collection of aliases for communities. Users can define named aliases to be used in the BGPAdvertisement.',
  ServiceBGPStatus:
    'ServiceBGPStatus exposes the BGP peers a service is configured to be advertised to, per relevant node.',
  BGPSessionState: 'BGPSessionState is the state of one BGP session of one node, as its speaker sees it.',
};

const PRINTER_COLUMNS: Record<CrdKind, PrinterColumn[]> = {
  IPAddressPool: [
    { name: 'Auto Assign', type: 'boolean', jsonPath: '.spec.autoAssign' },
    { name: 'Avoid Buggy IPs', type: 'boolean', jsonPath: '.spec.avoidBuggyIPs' },
    { name: 'Addresses', type: 'string', jsonPath: '.spec.addresses' },
  ],
  BGPPeer: [
    { name: 'Address', type: 'string', jsonPath: '.spec.peerAddress' },
    { name: 'ASN', type: 'string', jsonPath: '.spec.peerASN' },
    { name: 'BFD Profile', type: 'string', jsonPath: '.spec.bfdProfile' },
    { name: 'Multi Hops', type: 'string', jsonPath: '.spec.ebgpMultiHop' },
  ],
  BGPAdvertisement: [
    { name: 'IPAddressPools', type: 'string', jsonPath: '.spec.ipAddressPools' },
    { name: 'IPAddressPool Selectors', type: 'string', jsonPath: '.spec.ipAddressPoolSelectors' },
    { name: 'Peers', type: 'string', jsonPath: '.spec.peers' },
    { name: 'Node Selectors', type: 'string', jsonPath: '.spec.nodeSelectors', priority: 10 },
  ],
  BFDProfile: [
    { name: 'Passive Mode', type: 'boolean', jsonPath: '.spec.passiveMode' },
    { name: 'Transmit Interval', type: 'integer', jsonPath: '.spec.transmitInterval' },
    { name: 'Receive Interval', type: 'integer', jsonPath: '.spec.receiveInterval' },
    { name: 'Multiplier', type: 'integer', jsonPath: '.spec.detectMultiplier' },
  ],
  Community: [],
  // MetalLB's.
  ServiceBGPStatus: [
    { name: 'Node', type: 'string', jsonPath: '.status.node' },
    { name: 'Service Name', type: 'string', jsonPath: '.status.serviceName' },
    { name: 'Service Namespace', type: 'string', jsonPath: '.status.serviceNamespace' },
  ],
  // What a network engineer reads first in `show bgp summary`.
  BGPSessionState: [
    { name: 'Node', type: 'string', jsonPath: '.status.node' },
    { name: 'Peer', type: 'string', jsonPath: '.status.peer' },
    { name: 'Address', type: 'string', jsonPath: '.status.peerAddress' },
    { name: 'BGP', type: 'string', jsonPath: '.status.bgpState' },
    { name: 'BFD', type: 'string', jsonPath: '.status.bfdState' },
    { name: 'Sent', type: 'integer', jsonPath: '.status.prefixesSent' },
    { name: 'Received', type: 'integer', jsonPath: '.status.prefixesReceived' },
    { name: 'Since', type: 'date', jsonPath: '.status.establishedSince' },
    { name: 'Last Error', type: 'string', jsonPath: '.status.lastError', priority: 1 },
  ],
};

const KIND_SPECS: Record<Exclude<CrdKind, 'BGPPeer'>, KindSpec> = {
  IPAddressPool: IPAddressPoolKind,
  BGPAdvertisement: BGPAdvertisementKind,
  BFDProfile: BFDProfileKind,
  Community: CommunityKind,
  ServiceBGPStatus: ServiceBGPStatusKind,
  BGPSessionState: BGPSessionStateKind,
};

/** The full CustomResourceDefinition of a metallb.io kind. */
export function crdFor(kind: CrdKind): CustomResourceDefinition {
  const lower = kind.toLowerCase();
  const plural = kind === 'Community' ? 'communities' : lower.endsWith('s') ? `${lower}es` : `${lower}s`;
  const def = kind === 'BGPPeer' ? BGPPeerV1beta2Kind : KIND_SPECS[kind];
  const [group, storageVersion] = def.apiVersions[0]!.split('/') as [string, string];
  const columns = PRINTER_COLUMNS[kind];
  const version = (name: string, def: KindSpec, storage: boolean, deprecated = false) => ({
    name,
    served: true,
    storage,
    // As MetalLB marks BGPPeer v1beta1: kubectl prints the warning on every request in that version.
    ...(deprecated
      ? { deprecated: true, deprecationWarning: 'v1beta1 is deprecated, please use v1beta2' }
      : {}),
    subresources: { status: {} as Record<string, never> },
    ...(columns.length > 0 ? { additionalPrinterColumns: columns } : {}),
    schema: { openAPIV3Schema: objectSchema(def, DESCRIPTIONS[kind]) },
  });
  const versions =
    kind === 'BGPPeer'
      ? [version('v1beta1', BGPPeerV1beta1Kind, false, true), version('v1beta2', BGPPeerV1beta2Kind, true)]
      : [version(storageVersion, def, true)];
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      names: { kind, listKind: `${kind}List`, plural, singular: lower },
      scope: 'Namespaced',
      // MetalLB converts with a webhook (its controller's /convert); we store v1beta2 and let the API
      // server convert by changing apiVersion only. Every v1beta1 field has the same name and JSON
      // shape in v1beta2 (the legacy node selector is a LabelSelector whose values are required), so
      // a v1beta1 object keeps every field; see the README for the details.
      ...(kind === 'BGPPeer' ? { conversion: { strategy: 'None' as const } } : {}),
      versions,
    },
  };
}

/** Problems that would make Kubernetes reject `schema` as non-structural (empty when fine). */
export function structuralProblems(schema: unknown, path = 'openAPIV3Schema'): string[] {
  const out: string[] = [];
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema))
    return [`${path}: not an object`];
  const s = schema as Record<string, unknown>;
  if ('$ref' in s) out.push(`${path}: $ref is not allowed`);
  for (const k of [
    'allOf',
    'oneOf',
    'not',
    'patternProperties',
    'definitions',
    '$schema',
    'dependencies',
    'additionalItems',
  ]) {
    if (k in s) out.push(`${path}: ${k} is not allowed here`);
  }
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  if (typeof s.type !== 'string' || s.type === '') {
    if (!intOrString && !preserve) out.push(`${path}: type is missing`);
  }
  if ('properties' in s && 'additionalProperties' in s)
    out.push(`${path}: properties and additionalProperties are mutually exclusive`);
  if (s.additionalProperties === false) out.push(`${path}: additionalProperties: false is not allowed`);
  if (intOrString && Array.isArray(s.anyOf)) {
    for (const alt of s.anyOf as Record<string, unknown>[]) {
      if (alt.type !== 'integer' && alt.type !== 'string')
        out.push(`${path}.anyOf: only integer and string for int-or-string`);
    }
  } else if ('anyOf' in s) {
    out.push(`${path}: anyOf is not allowed here`);
  }
  if (s.properties !== undefined) {
    for (const [k, v] of Object.entries(s.properties as Record<string, unknown>))
      out.push(...structuralProblems(v, `${path}.properties.${k}`));
  }
  if (s.items !== undefined) out.push(...structuralProblems(s.items, `${path}.items`));
  if (typeof s.additionalProperties === 'object' && s.additionalProperties !== null) {
    out.push(...structuralProblems(s.additionalProperties, `${path}.additionalProperties`));
  }
  if (s.type === 'array' && s.items === undefined) out.push(`${path}: array without items`);
  return out;
}
