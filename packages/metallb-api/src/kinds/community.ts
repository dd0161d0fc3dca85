/** `metallb.io/v1beta1` Community: names for community values, usable in BGPAdvertisement.communities. */
import Type, { type Static } from 'typebox';
import { CEL_BOUNDS, celRules, communityInRange, communityShaped } from '../cel.ts';
import { type CommunityValue, parseCommunity } from '../community.ts';
import { type ConfigError, configError } from '../errors.ts';
import {
  DEFAULT_NAMESPACE,
  finish,
  type KindSpec,
  type ObjectMeta,
  refOf,
  type ValidationResult,
  validateEnvelope,
} from '../meta.ts';
import { strict } from '../schema-util.ts';

const CommunityAliasSchema = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: CEL_BOUNDS.communityLength,
      description: 'The name of the alias for the community.',
    }),
    value: Type.String({
      maxLength: CEL_BOUNDS.communityLength,
      description: 'The BGP community value: standard AS:VALUE (65000:100) or large:GLOBAL:LOCAL1:LOCAL2.',
      ...celRules(
        {
          rule: communityShaped('self.trim()'),
          message: 'invalid community value: expected AS:VALUE (65000:100) or large:GLOBAL:LOCAL1:LOCAL2',
        },
        {
          rule: communityInRange('self.trim()'),
          message:
            'invalid community value: AS:VALUE takes two numbers 0-65535, large:GLOBAL:LOCAL1:LOCAL2 three numbers 0-4294967295',
        },
      ),
    }),
  },
  strict,
);
export type CommunityAlias = Static<typeof CommunityAliasSchema>;

export const CommunitySpecSchema = Type.Object(
  { communities: Type.Optional(Type.Array(CommunityAliasSchema, { maxItems: CEL_BOUNDS.communities })) },
  { ...strict, description: 'CommunitySpec defines the desired state of Community.' },
);
export type CommunitySpec = Static<typeof CommunitySpecSchema>;

export interface Community {
  apiVersion: 'metallb.io/v1beta1';
  kind: 'Community';
  metadata: ObjectMeta & { namespace: string };
  spec: CommunitySpec;
  status?: Record<string, never>;
}

export const CommunityKind: KindSpec = {
  kind: 'Community',
  apiVersions: ['metallb.io/v1beta1'],
  namespaced: true,
  defaultNamespace: DEFAULT_NAMESPACE,
  specSchema: CommunitySpecSchema,
  specRequired: false,
  statusSchema: Type.Object({}, strict),
  strict: true,
};

export function validateCommunity(raw: unknown): ValidationResult<Community> {
  const env = validateEnvelope(CommunityKind, raw);
  if (env.object === undefined) return finish(undefined, env.errors);
  const obj = env.object as unknown as Community;
  const ref = refOf(obj);
  const errors: ConfigError[] = [];
  const seen = new Map<string, number>();
  (obj.spec.communities ?? []).forEach((a, i) => {
    const c = parseCommunity(a.value);
    if (!c.ok) errors.push(configError(ref, `spec.communities[${i}].value`, 'invalid-community', c.error));
    const first = seen.get(a.name);
    if (first !== undefined) {
      errors.push(
        configError(
          ref,
          `spec.communities[${i}].name`,
          'duplicate-community',
          `duplicate definition of community ${JSON.stringify(a.name)} (also spec.communities[${first}])`,
        ),
      );
    } else seen.set(a.name, i);
  });
  return finish(obj, errors);
}

/** The aliases a Community object defines, parsed. */
export function communityAliases(c: Community): { name: string; value: CommunityValue; index: number }[] {
  const out: { name: string; value: CommunityValue; index: number }[] = [];
  (c.spec.communities ?? []).forEach((a, index) => {
    const p = parseCommunity(a.value);
    if (p.ok) out.push({ name: a.name, value: p.value, index });
  });
  return out;
}
