/** `metallb.io/v1beta1` BGPAdvertisement: how the IPs of some pools are announced, from which nodes, to which peers. */
import Type, { type Static } from 'typebox';
import { CEL_BOUNDS, celRules, communityInRange } from '../cel.ts';
import { parseCommunity } from '../community.ts';
import { type ConfigError, configError } from '../errors.ts';
import { SelectorListSchema, validateSelectorList } from '../labels.ts';
import {
  DEFAULT_NAMESPACE,
  finish,
  type KindSpec,
  type ObjectMeta,
  refOf,
  type ValidationResult,
  validateEnvelope,
} from '../meta.ts';
import { INT32_MAX, strict } from '../schema-util.ts';
import { checkDuplicates } from './ipaddresspool.ts';

const SERVICE_SELECTORS_RULE =
  '!has(self.serviceSelectors) || self.serviceSelectors.size() == 0 || ((!has(self.aggregationLength) || self.aggregationLength == 32) && (!has(self.aggregationLengthV6) || self.aggregationLengthV6 == 128))';

export const BGPAdvertisementSpecSchema = Type.Object(
  {
    aggregationLength: Type.Optional(
      Type.Integer({
        format: 'int32',
        minimum: 1,
        maximum: 32,
        default: 32,
        description:
          'Announce IPv4 addresses rolled up into a prefix of this length (32: each address on its own).',
      }),
    ),
    aggregationLengthV6: Type.Optional(
      Type.Integer({
        format: 'int32',
        minimum: 0,
        maximum: 128,
        default: 128,
        description:
          'Announce IPv6 addresses rolled up into a prefix of this length (128: each address on its own).',
      }),
    ),
    localPref: Type.Optional(
      Type.Integer({
        // MetalLB's CRD says int32 (its Go field is a uint32), and API servers enforce an int32
        // format's range: 2147483647 is the most a cluster takes, so it is the most a file takes too.
        format: 'int32',
        minimum: 0,
        maximum: INT32_MAX,
        description: 'BGP LOCAL_PREF attribute, sent to iBGP peers only.',
      }),
    ),
    asPathPrepend: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10,
        description:
          'Number of times to prepend the ASN to the AS_PATH (MetalLB: frr-k8s mode only). Not supported by bmlb: refused by validation.',
      }),
    ),
    communities: Type.Optional(
      Type.Array(
        Type.String({
          maxLength: CEL_BOUNDS.communityLength,
          ...celRules({
            rule: communityInRange('self.trim()'),
            message:
              'invalid community value: AS:VALUE takes two numbers 0-65535, large:GLOBAL:LOCAL1:LOCAL2 three numbers 0-4294967295',
          }),
        }),
        {
          maxItems: CEL_BOUNDS.communities,
          description:
            'BGP communities: standard AS:VALUE, large:GLOBAL:LOCAL1:LOCAL2, or the name of a Community alias.',
        },
      ),
    ),
    ipAddressPools: Type.Optional(
      Type.Array(Type.String(), { description: 'Names of the pools to announce.' }),
    ),
    ipAddressPoolSelectors: Type.Optional(SelectorListSchema('Selectors for the pools to announce.')),
    nodeSelectors: Type.Optional(SelectorListSchema('Selectors for the nodes that announce.')),
    serviceSelectors: Type.Optional(
      SelectorListSchema(
        'Only Services whose labels match one of these selectors are announced through this advertisement (empty: every Service of the selected pools). Only with the default aggregation lengths (32, 128).',
      ),
    ),
    peers: Type.Optional(
      Type.Array(Type.String(), { description: 'Names of the BGPPeers to announce to (default: all).' }),
    ),
  },
  {
    ...strict,
    description: 'BGPAdvertisementSpec defines the desired state of BGPAdvertisement.',
    // MetalLB's rule, word for word.
    ...celRules({
      rule: SERVICE_SELECTORS_RULE,
      message:
        'serviceSelectors and aggregationLength are mutually exclusive, can only be used together with default aggregationLength (32) and aggregationLengthV6 (128)',
    }),
  },
);
export type BGPAdvertisementSpec = Static<typeof BGPAdvertisementSpecSchema>;

export interface BGPAdvertisement {
  apiVersion: 'metallb.io/v1beta1';
  kind: 'BGPAdvertisement';
  metadata: ObjectMeta & { namespace: string };
  spec: BGPAdvertisementSpec;
  status?: Record<string, never>;
}

export const BGPAdvertisementKind: KindSpec = {
  kind: 'BGPAdvertisement',
  apiVersions: ['metallb.io/v1beta1'],
  namespaced: true,
  defaultNamespace: DEFAULT_NAMESPACE,
  specSchema: BGPAdvertisementSpecSchema,
  specRequired: false,
  statusSchema: Type.Object({}, strict),
  strict: true,
};

/** Checks that need only this object: duplicates, selectors, community syntax (aliases are resolved by buildConfig). */
export function validateBGPAdvertisement(raw: unknown): ValidationResult<BGPAdvertisement> {
  const env = validateEnvelope(BGPAdvertisementKind, raw);
  if (env.object === undefined) return finish(undefined, env.errors);
  const obj = env.object as unknown as BGPAdvertisement;
  const ref = refOf(obj);
  const s = obj.spec;
  const errors: ConfigError[] = [];
  errors.push(...checkDuplicates(s.ipAddressPools, ref, 'spec.ipAddressPools'));
  errors.push(...checkDuplicates(s.communities, ref, 'spec.communities'));
  errors.push(...checkDuplicates(s.peers, ref, 'spec.peers'));
  errors.push(...validateSelectorList(s.ipAddressPoolSelectors, ref, 'spec.ipAddressPoolSelectors'));
  errors.push(...validateSelectorList(s.nodeSelectors, ref, 'spec.nodeSelectors'));
  errors.push(...validateSelectorList(s.serviceSelectors, ref, 'spec.serviceSelectors'));
  if ((s.serviceSelectors ?? []).length > 0) {
    // MetalLB (internal/config): a selected Service is announced as its own /32 or /128 only.
    for (const [field, dflt] of [
      ['aggregationLength', 32],
      ['aggregationLengthV6', 128],
    ] as const) {
      const v = s[field];
      if (v !== undefined && v !== dflt)
        errors.push(
          configError(
            ref,
            `spec.${field}`,
            'mutually-exclusive',
            `serviceSelectors and ${field} are mutually exclusive: with serviceSelectors, ${field} must be ${dflt} (the default), got ${v}`,
          ),
        );
    }
  }
  if (s.asPathPrepend !== undefined)
    errors.push(
      configError(
        ref,
        'spec.asPathPrepend',
        'unsupported-field',
        `asPathPrepend is not supported by bmlb: its speaker announces each Service IP with an AS_PATH of its own AS only (MetalLB supports it only with its frr-k8s backend); remove the field`,
      ),
    );
  (s.communities ?? []).forEach((c, i) => {
    const p = parseCommunity(c);
    // A well-shaped value out of range is wrong whatever aliases exist; anything else may be an alias.
    if (!p.ok && p.reason === 'value')
      errors.push(configError(ref, `spec.communities[${i}]`, 'invalid-community', p.error));
  });
  return finish(obj, errors);
}
