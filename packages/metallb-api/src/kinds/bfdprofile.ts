/** `metallb.io/v1beta1` BFDProfile: BFD session parameters a BGPPeer can refer to. */
// The parameters' defaults and ranges are @bmlb/bfd-core's (their one owner, which also applies them).
import { BFD_PROFILE_DEFAULTS, BFD_PROFILE_RANGES, type BfdProfile } from '@bmlb/bfd-core';
import Type, { type Static } from 'typebox';
import {
  DEFAULT_NAMESPACE,
  finish,
  type KindSpec,
  type ObjectMeta,
  type ValidationResult,
  validateEnvelope,
} from '../meta.ts';
import { strict } from '../schema-util.ts';

const D = BFD_PROFILE_DEFAULTS;
const R = BFD_PROFILE_RANGES;

export const BFDProfileSpecSchema = Type.Object(
  {
    receiveInterval: Type.Optional(
      Type.Integer({
        format: 'int32',
        minimum: R.receiveInterval[0],
        maximum: R.receiveInterval[1],
        default: D.receiveInterval,
        description: 'Minimum interval, in milliseconds, at which this system can receive control packets.',
      }),
    ),
    transmitInterval: Type.Optional(
      Type.Integer({
        format: 'int32',
        minimum: R.transmitInterval[0],
        maximum: R.transmitInterval[1],
        default: D.transmitInterval,
        description:
          'Minimum interval, in milliseconds, at which this system wants to send control packets (less jitter).',
      }),
    ),
    detectMultiplier: Type.Optional(
      Type.Integer({
        format: 'int32',
        minimum: R.detectMultiplier[0],
        maximum: R.detectMultiplier[1],
        default: D.detectMultiplier,
        description: 'Detection multiplier: packets lost before the session is declared down.',
      }),
    ),
    echoInterval: Type.Optional(
      Type.Integer({
        format: 'int32',
        minimum: R.echoInterval[0],
        maximum: R.echoInterval[1],
        default: D.echoInterval,
        description: 'Minimum echo receive interval, in milliseconds, this system can handle.',
      }),
    ),
    echoMode: Type.Optional(
      Type.Boolean({ default: D.echoMode, description: 'Enable echo mode (single hop only).' }),
    ),
    passiveMode: Type.Optional(
      Type.Boolean({
        default: D.passiveMode,
        description: 'Passive: wait for the peer to send control packets before replying.',
      }),
    ),
    minimumTtl: Type.Optional(
      Type.Integer({
        format: 'int32',
        minimum: R.minimumTtl[0],
        maximum: R.minimumTtl[1],
        default: D.minimumTtl,
        description: 'Multi-hop sessions only: minimum expected TTL of incoming control packets.',
      }),
    ),
  },
  { ...strict, description: 'BFDProfileSpec defines the desired state of BFDProfile.' },
);
export type BFDProfileSpec = Static<typeof BFDProfileSpecSchema>;

export interface BFDProfile {
  apiVersion: 'metallb.io/v1beta1';
  kind: 'BFDProfile';
  metadata: ObjectMeta & { namespace: string };
  spec: BFDProfileSpec;
  status?: Record<string, never>;
}

const BFDProfileStatusSchema = Type.Object({}, strict);

export const BFDProfileKind: KindSpec = {
  kind: 'BFDProfile',
  apiVersions: ['metallb.io/v1beta1'],
  namespaced: true,
  defaultNamespace: DEFAULT_NAMESPACE,
  specSchema: BFDProfileSpecSchema,
  specRequired: false,
  statusSchema: BFDProfileStatusSchema,
  strict: true,
};

/** A BFD profile with every parameter resolved (milliseconds for intervals), as @bmlb/bfd-core takes it. */
export interface NormalizedBFDProfile extends Readonly<BfdProfile> {
  readonly name: string;
}

export function validateBFDProfile(raw: unknown): ValidationResult<BFDProfile> {
  const env = validateEnvelope(BFDProfileKind, raw);
  return finish(env.object, env.errors);
}
