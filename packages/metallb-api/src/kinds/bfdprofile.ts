/** `metallb.io/v1beta1` BFDProfile: BFD session parameters a BGPPeer can refer to. */
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

export const BFD_DEFAULTS = {
  receiveInterval: 300,
  transmitInterval: 300,
  detectMultiplier: 3,
  echoInterval: 50,
  echoMode: false,
  passiveMode: false,
  minimumTtl: 254,
} as const;

export const BFDProfileSpecSchema = Type.Object(
  {
    receiveInterval: Type.Optional(
      Type.Integer({
        format: 'int32',
        minimum: 10,
        maximum: 60000,
        default: BFD_DEFAULTS.receiveInterval,
        description: 'Minimum interval, in milliseconds, at which this system can receive control packets.',
      }),
    ),
    transmitInterval: Type.Optional(
      Type.Integer({
        format: 'int32',
        minimum: 10,
        maximum: 60000,
        default: BFD_DEFAULTS.transmitInterval,
        description:
          'Minimum interval, in milliseconds, at which this system wants to send control packets (less jitter).',
      }),
    ),
    detectMultiplier: Type.Optional(
      Type.Integer({
        format: 'int32',
        minimum: 2,
        maximum: 255,
        default: BFD_DEFAULTS.detectMultiplier,
        description: 'Detection multiplier: packets lost before the session is declared down.',
      }),
    ),
    echoInterval: Type.Optional(
      Type.Integer({
        format: 'int32',
        minimum: 10,
        maximum: 60000,
        default: BFD_DEFAULTS.echoInterval,
        description: 'Minimum echo receive interval, in milliseconds, this system can handle.',
      }),
    ),
    echoMode: Type.Optional(
      Type.Boolean({ default: BFD_DEFAULTS.echoMode, description: 'Enable echo mode (single hop only).' }),
    ),
    passiveMode: Type.Optional(
      Type.Boolean({
        default: BFD_DEFAULTS.passiveMode,
        description: 'Passive: wait for the peer to send control packets before replying.',
      }),
    ),
    minimumTtl: Type.Optional(
      Type.Integer({
        format: 'int32',
        minimum: 1,
        maximum: 254,
        default: BFD_DEFAULTS.minimumTtl,
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

export const BFDProfileStatusSchema = Type.Object({}, strict);

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

/** A BFD profile with every parameter resolved (milliseconds for intervals). */
export interface NormalizedBFDProfile {
  readonly name: string;
  readonly receiveInterval: number;
  readonly transmitInterval: number;
  readonly detectMultiplier: number;
  readonly echoInterval: number;
  readonly echoMode: boolean;
  readonly passiveMode: boolean;
  readonly minimumTtl: number;
}

export function validateBFDProfile(raw: unknown): ValidationResult<BFDProfile> {
  const env = validateEnvelope(BFDProfileKind, raw);
  return finish(env.object, env.errors);
}

export function normalizeBFDProfile(p: BFDProfile): NormalizedBFDProfile {
  const s = p.spec;
  return {
    name: p.metadata.name,
    receiveInterval: s.receiveInterval ?? BFD_DEFAULTS.receiveInterval,
    transmitInterval: s.transmitInterval ?? BFD_DEFAULTS.transmitInterval,
    detectMultiplier: s.detectMultiplier ?? BFD_DEFAULTS.detectMultiplier,
    echoInterval: s.echoInterval ?? BFD_DEFAULTS.echoInterval,
    echoMode: s.echoMode ?? BFD_DEFAULTS.echoMode,
    passiveMode: s.passiveMode ?? BFD_DEFAULTS.passiveMode,
    minimumTtl: s.minimumTtl ?? BFD_DEFAULTS.minimumTtl,
  };
}
