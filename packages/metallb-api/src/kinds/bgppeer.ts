/**
 * `metallb.io` BGPPeer in both served shapes: v1beta1 (legacy node selectors, peerAddress and
 * peerASN required) and v1beta2 (dynamicASN, interface, passwordSecret, connectTime, vrf, graceful
 * restart, …). Both convert to v1beta2 as MetalLB's conversion webhook does, then to `NormalizedPeer`.
 */
import Type, { type Static } from 'typebox';
import { CEL_BOUNDS, type CelRule, celRules, durationSyntaxRule, isDuration, isIPText } from '../cel.ts';
import { parseGoDuration } from '../duration.ts';
import { type ConfigError, configError, type ObjectRef } from '../errors.ts';
import { formatIP, type IPFamily, parseIP } from '../ip.ts';
import {
  LabelKeySchema,
  type LabelSelector,
  type LabelSelectorOperator,
  MatchLabelsSchema,
  REQUIREMENT_RULES,
  SelectorListSchema,
  validateSelectorList,
} from '../labels.ts';
import {
  DEFAULT_NAMESPACE,
  finish,
  type KindSpec,
  type ObjectMeta,
  refOf,
  type ValidationResult,
  validateEnvelope,
} from '../meta.ts';
import { isPlainObject } from '../schema-check.ts';
import { Duration, StringEnum, strict, UINT32_MAX } from '../schema-util.ts';

const asn = (description: string, ...rules: CelRule[]) =>
  Type.Integer({
    format: 'int64',
    minimum: 0,
    maximum: UINT32_MAX,
    description,
    ...(rules.length > 0 ? celRules(...rules) : {}),
  });

// ---------------------------------------------------------------- CEL rules (see cel.ts)

const noNewline = (field: string): CelRule => ({
  rule: "!self.contains('\\n') && !self.contains('\\r')",
  message: `${field} contains a newline`,
});
const ipField = (description: string, message: string, rule = `self == '' || ${isIPText('self')}`) =>
  Type.String({ maxLength: CEL_BOUNDS.ipLength, description, ...celRules({ rule, message }) });
const peerAddressField = (description: string) =>
  ipField(description, 'invalid BGPPeer address: not an IPv4 or IPv6 address');
const sourceAddressField = () =>
  ipField(
    'Source address to use when establishing the session.',
    'invalid source IP: not an IPv4 or IPv6 address',
  );
const routerIDField = () =>
  ipField(
    'BGP router ID to advertise to the peer.',
    'invalid router ID: the BGP identifier is an IPv4 address',
    `self == '' || (${isIPText('self')} && ip(self).family() == 4)`,
  );
const passwordField = (description: string) =>
  Type.String({
    description,
    ...celRules(
      // TCP_MD5SIG_MAXKEYLEN is 80 bytes on Linux.
      { rule: 'size(self) <= 80', message: 'TCP MD5 password must be at most 80 bytes' },
      noNewline('password'),
    ),
  });
const holdTimeField = () =>
  Duration({
    description: 'Requested BGP hold time, per RFC 4271 (Go duration, e.g. 90s).',
    maxLength: CEL_BOUNDS.durationLength,
    ...celRules(
      durationSyntaxRule('holdTime'),
      {
        rule: `!${isDuration('self')} || (duration(self) >= duration('0s') && (duration(self).getSeconds() == 0 || duration(self).getSeconds() >= 3))`,
        message: 'invalid hold time: must be 0 or >=3s',
      },
      {
        rule: `!${isDuration('self')} || duration(self).getSeconds() <= 65535`,
        message: "invalid hold time: must be at most 65535s (BGP's 16-bit Hold Time field)",
      },
    ),
  });
const keepaliveTimeField = () =>
  Duration({
    description: 'Requested BGP keepalive time, per RFC 4271.',
    maxLength: CEL_BOUNDS.durationLength,
    ...celRules(durationSyntaxRule('keepaliveTime'), {
      rule: `!${isDuration('self')} || duration(self) >= duration('0s')`,
      message: 'invalid keepaliveTime: must not be negative',
    }),
  });

/** Rules on the spec of both versions: timers, iBGP multi-hop, address families. */
const commonSpecRules: CelRule[] = [
  {
    rule: `!has(self.holdTime) || !has(self.keepaliveTime) || !${isDuration('self.holdTime')} || !${isDuration('self.keepaliveTime')} || duration(self.keepaliveTime) <= duration(self.holdTime)`,
    message: 'invalid keepaliveTime, must be lower than or equal to holdTime',
    fieldPath: '.keepaliveTime',
  },
  {
    // Without holdTime, the hold time is 3 × keepaliveTime (MetalLB's parseTimers).
    rule: `has(self.holdTime) || !has(self.keepaliveTime) || !${isDuration('self.keepaliveTime')} || duration(self.keepaliveTime) < duration('0s') || (duration(self.keepaliveTime).getMilliseconds() * 3 / 1000 == 0 || (duration(self.keepaliveTime).getMilliseconds() * 3 / 1000 >= 3 && duration(self.keepaliveTime).getMilliseconds() * 3 / 1000 <= 65535))`,
    message:
      'invalid hold time: keepaliveTime without holdTime means a hold time of 3 × keepaliveTime, which must be 0 or >=3s (and at most 65535s)',
    fieldPath: '.keepaliveTime',
  },
  {
    rule: `!(has(self.peerAddress) && has(self.sourceAddress) && ${isIPText('self.peerAddress')} && ${isIPText('self.sourceAddress')}) || ip(self.peerAddress).family() == ip(self.sourceAddress).family()`,
    message: 'invalid source IP: sourceAddress and peerAddress are of different IP families',
    fieldPath: '.sourceAddress',
  },
];

// ---------------------------------------------------------------- v1beta1

const LegacyMatchExpressionSchema = Type.Object(
  {
    key: LabelKeySchema('The label key that the selector applies to.'),
    operator: Type.String({
      description: 'In, NotIn, Exists or DoesNotExist.',
      maxLength: 32,
      ...celRules({
        rule: "self in ['In', 'NotIn', 'Exists', 'DoesNotExist']",
        message: 'not a valid label selector operator: must be In, NotIn, Exists or DoesNotExist',
      }),
    }),
    // As MetalLB's v1beta1 CRD: no x-kubernetes-list-type (for a CRD, an absent one means atomic).
    values: Type.Array(Type.String(), { minItems: 1, description: 'Values (at least one).' }),
  },
  // values are required and non-empty here, so of LabelSelectorAsSelector's rules only the Exists one applies.
  { ...strict, ...celRules(REQUIREMENT_RULES[1]!) },
);
const LegacyNodeSelectorSchema = Type.Object(
  {
    matchLabels: Type.Optional(MatchLabelsSchema),
    matchExpressions: Type.Optional(
      Type.Array(LegacyMatchExpressionSchema, { maxItems: CEL_BOUNDS.selectorExpressions }),
    ),
  },
  strict,
);
export type LegacyNodeSelector = Static<typeof LegacyNodeSelectorSchema>;

export const BGPPeerSpecV1beta1Schema = Type.Object(
  {
    myASN: asn('AS number to use for the local end of the session.', {
      rule: 'self != 0',
      message: 'missing local ASN: myASN must be 1-4294967295',
    }),
    peerASN: asn('AS number to expect from the remote end of the session.', {
      rule: 'self != 0',
      message: 'missing peer ASN: peerASN must be 1-4294967295',
    }),
    peerAddress: peerAddressField('Address to dial when establishing the session.'),
    sourceAddress: Type.Optional(sourceAddressField()),
    peerPort: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 16384,
        // What a v1beta1 object shows anyway: it is stored as v1beta2, whose default applies on read.
        default: 179,
        description: 'Port to dial when establishing the session.',
        ...celRules({
          // Stored unchanged as v1beta2 (conversion strategy None), where 0 is out of range;
          // MetalLB's conversion webhook drops it (Go omitempty), so the default 179 applies.
          rule: 'self != 0',
          message: 'peerPort 0 cannot be stored as v1beta2 (1-16384): omit peerPort for the default 179',
        }),
      }),
    ),
    holdTime: Type.Optional(holdTimeField()),
    keepaliveTime: Type.Optional(keepaliveTimeField()),
    routerID: Type.Optional(routerIDField()),
    nodeSelectors: Type.Optional(
      Type.Array(LegacyNodeSelectorSchema, {
        maxItems: CEL_BOUNDS.selectors,
        description: 'Only connect to this peer on nodes that match one of these selectors.',
      }),
    ),
    password: Type.Optional(passwordField('Password for TCP MD5 authenticated sessions.')),
    bfdProfile: Type.Optional(
      Type.String({ description: 'Name of the BFDProfile for a BFD session with this peer.' }),
    ),
    ebgpMultiHop: Type.Optional(Type.Boolean({ description: 'The eBGP peer is multiple hops away.' })),
  },
  {
    ...strict,
    description: 'BGPPeerSpec defines the desired state of Peer (v1beta1).',
    ...celRules(
      {
        rule: "self.peerAddress != ''",
        message: 'peer has no Address or Interface specified',
        fieldPath: '.peerAddress',
        reason: 'FieldValueRequired',
      },
      {
        rule: '!(has(self.ebgpMultiHop) && self.ebgpMultiHop && self.peerASN == self.myASN)',
        message: 'invalid ebgp-multihop parameter set for an ibgp peer',
        fieldPath: '.ebgpMultiHop',
      },
      ...commonSpecRules,
    ),
  },
);
export type BGPPeerSpecV1beta1 = Static<typeof BGPPeerSpecV1beta1Schema>;

// ---------------------------------------------------------------- v1beta2

export const DynamicASNModes = ['internal', 'external'] as const;
export type DynamicASNMode = (typeof DynamicASNModes)[number];

const SecretReferenceSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ description: 'Name of the Secret.' })),
    namespace: Type.Optional(Type.String({ description: 'Namespace of the Secret.' })),
  },
  {
    ...strict,
    'x-kubernetes-map-type': 'atomic',
    description: 'A reference to a Secret (type kubernetes.io/basic-auth, key "password").',
  },
);
export type SecretReference = Static<typeof SecretReferenceSchema>;

const hasPeerASN = '(has(self.peerASN) && self.peerASN != 0)';
const nonEmpty = (f: string) => `(has(self.${f}) && self.${f} != '')`;

export const BGPPeerSpecV1beta2Schema = Type.Object(
  {
    myASN: asn('AS number to use for the local end of the session.', {
      rule: 'self != 0',
      message: 'missing local ASN: myASN must be 1-4294967295',
    }),
    peerASN: Type.Optional(
      asn(
        'AS number to expect from the remote end of the session. Exclusive with dynamicASN; one is required.',
      ),
    ),
    localASN: Type.Optional(
      Type.Integer({
        format: 'int64',
        minimum: 1,
        maximum: UINT32_MAX,
        description:
          'AS number this end presents to the peer instead of myASN (FRR: neighbor local-as ASN no-prepend replace-as): the AS in its OPEN and the only AS in the AS_PATH it sends. eBGP sessions only.',
      }),
    ),
    dynamicASN: Type.Optional(
      StringEnum(DynamicASNModes, {
        description:
          'Accept the peer AS the remote end announces: internal (must equal myASN) or external (must differ).',
      }),
    ),
    peerAddress: Type.Optional(
      peerAddressField('Address to dial. Exclusive with interface; one is required.'),
    ),
    interface: Type.Optional(
      Type.String({
        description: 'Node interface for unnumbered BGP peering.',
        ...celRules(noNewline('interface')),
      }),
    ),
    sourceAddress: Type.Optional(sourceAddressField()),
    peerPort: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 16384,
        default: 179,
        description: 'Port to dial when establishing the session.',
      }),
    ),
    holdTime: Type.Optional(holdTimeField()),
    keepaliveTime: Type.Optional(keepaliveTimeField()),
    connectTime: Type.Optional(
      Duration({
        description: 'Time between connection attempts: whole seconds, 1s to 65535s.',
        maxLength: CEL_BOUNDS.durationLength,
        ...celRules(
          durationSyntaxRule('connectTime'),
          // MetalLB's own rules (its CRD carries them), guarded against text duration() refuses.
          {
            rule: `!${isDuration('self')} || (duration(self).getSeconds() >= 1 && duration(self).getSeconds() <= 65535)`,
            message: 'connect time should be between 1 seconds to 65535',
          },
          {
            rule: `!${isDuration('self')} || duration(self).getMilliseconds() % 1000 == 0`,
            message: 'connect time should contain a whole number of seconds',
          },
        ),
      }),
    ),
    routerID: Type.Optional(routerIDField()),
    nodeSelectors: Type.Optional(
      SelectorListSchema('Only connect to this peer on nodes that match one of these selectors.'),
    ),
    password: Type.Optional(
      passwordField('Password for TCP MD5 authenticated sessions. Exclusive with passwordSecret.'),
    ),
    passwordSecret: Type.Optional(SecretReferenceSchema),
    bfdProfile: Type.Optional(
      Type.String({ description: 'Name of the BFDProfile for a BFD session with this peer.' }),
    ),
    enableGracefulRestart: Type.Optional(
      Type.Boolean({
        description:
          'Enable BGP graceful restart (RFC 4724) with this peer. Cannot be changed after creation.',
        // MetalLB's transition rule: changing it needs the session restarted.
        ...celRules({
          rule: 'self == oldSelf',
          message: 'EnableGracefulRestart cannot be changed after creation',
        }),
      }),
    ),
    ebgpMultiHop: Type.Optional(Type.Boolean({ description: 'The eBGP peer is multiple hops away.' })),
    vrf: Type.Optional(
      Type.String({
        description: 'Host VRF to establish the session from.',
        ...celRules(noNewline('vrf')),
      }),
    ),
    disableMP: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Deprecated: separate IPv4 and IPv6 into distinct sessions.',
      }),
    ),
    dualStackAddressFamily: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Advertise IPv4 prefixes over IPv6 sessions and vice versa.',
      }),
    ),
  },
  {
    ...strict,
    description: 'BGPPeerSpec defines the desired state of Peer (v1beta2).',
    ...celRules(
      {
        rule: `${hasPeerASN} || has(self.dynamicASN)`,
        message: 'missing peer ASN and dynamicASN: set one',
        fieldPath: '.peerASN',
        reason: 'FieldValueRequired',
      },
      {
        rule: `!(${hasPeerASN} && has(self.dynamicASN))`,
        message: 'both peer ASN and dynamicASN specified: use one',
        fieldPath: '.dynamicASN',
        reason: 'FieldValueForbidden',
      },
      {
        rule: `!(has(self.ebgpMultiHop) && self.ebgpMultiHop && ((${hasPeerASN} && self.peerASN == self.myASN) || (has(self.dynamicASN) && self.dynamicASN == 'internal')))`,
        message: 'invalid ebgp-multihop parameter set for an ibgp peer',
        fieldPath: '.ebgpMultiHop',
      },
      {
        rule: `${nonEmpty('peerAddress')} || ${nonEmpty('interface')}`,
        message: 'peer has no Address or Interface specified',
        fieldPath: '.peerAddress',
        reason: 'FieldValueRequired',
      },
      {
        rule: `!(${nonEmpty('peerAddress')} && ${nonEmpty('interface')})`,
        message: 'peer has both Address and Interface specified',
        fieldPath: '.interface',
        reason: 'FieldValueForbidden',
      },
      {
        rule: `!(${nonEmpty('password')} && has(self.passwordSecret) && has(self.passwordSecret.name) && self.passwordSecret.name != '')`,
        message: 'can not have both password and secret ref set in peer config',
        fieldPath: '.passwordSecret',
        reason: 'FieldValueForbidden',
      },
      ...commonSpecRules,
    ),
  },
);
export type BGPPeerSpecV1beta2 = Static<typeof BGPPeerSpecV1beta2Schema>;

export interface BGPPeerV1beta1 {
  apiVersion: 'metallb.io/v1beta1';
  kind: 'BGPPeer';
  metadata: ObjectMeta & { namespace: string };
  spec: BGPPeerSpecV1beta1;
  status?: Record<string, never>;
}
export interface BGPPeerV1beta2 {
  apiVersion: 'metallb.io/v1beta2';
  kind: 'BGPPeer';
  metadata: ObjectMeta & { namespace: string };
  spec: BGPPeerSpecV1beta2;
  status?: Record<string, never>;
}
export type BGPPeer = BGPPeerV1beta1 | BGPPeerV1beta2;

export const BGPPeerV1beta1Kind: KindSpec = {
  kind: 'BGPPeer',
  apiVersions: ['metallb.io/v1beta1'],
  namespaced: true,
  defaultNamespace: DEFAULT_NAMESPACE,
  specSchema: BGPPeerSpecV1beta1Schema,
  specRequired: true,
  statusSchema: Type.Object({}, strict),
  strict: true,
};
export const BGPPeerV1beta2Kind: KindSpec = {
  ...BGPPeerV1beta1Kind,
  apiVersions: ['metallb.io/v1beta2'],
  specSchema: BGPPeerSpecV1beta2Schema,
};

/** A BGP peer in the one form the speaker uses, whichever apiVersion it was written in. */
export interface NormalizedPeer {
  readonly name: string;
  readonly namespace: string;
  readonly apiVersion: 'metallb.io/v1beta1' | 'metallb.io/v1beta2';
  readonly myASN: number;
  /**
   * The AS this end presents to the peer in place of myASN (`spec.localASN`, v1beta2; FRR's
   * `local-as ASN no-prepend replace-as`): in its OPEN and as the only AS of the AS_PATH it sends.
   * Whether the session is iBGP still follows myASN (it is eBGP whenever this is set).
   */
  readonly localASN?: number;
  /** Undefined when `dynamicASN` is set. */
  readonly peerASN?: number;
  readonly dynamicASN?: DynamicASNMode;
  /** Canonical text of the peer address; undefined for unnumbered (`interface`) peers. */
  readonly peerAddress?: string;
  readonly peerAddressFamily?: IPFamily;
  readonly interface?: string;
  readonly sourceAddress?: string;
  readonly port: number;
  /** Seconds (whole, truncated as MetalLB does). Default 90 when neither timer is set. */
  readonly holdTime: number;
  /** Seconds. Default holdTime / 3. */
  readonly keepaliveTime: number;
  /** True when holdTime or keepaliveTime was written in the manifest. */
  readonly timersExplicit: boolean;
  /** Seconds between connection attempts, when set. */
  readonly connectTime?: number;
  readonly routerID?: string;
  /** Empty: every node. */
  readonly nodeSelectors: readonly LabelSelector[];
  readonly password?: string;
  readonly passwordSecret?: { readonly name: string; readonly namespace: string };
  readonly bfdProfile?: string;
  readonly enableGracefulRestart: boolean;
  readonly ebgpMultiHop: boolean;
  readonly vrf?: string;
  readonly disableMP: boolean;
  readonly dualStackAddressFamily: boolean;
  /** myASN === peerASN, or dynamicASN internal. */
  readonly ibgp: boolean;
}

export const DEFAULT_HOLD_TIME_S = 90;
export const DEFAULT_BGP_PORT = 179;

/** MetalLB's v1beta1 → v1beta2 conversion (the legacy node selector becomes a LabelSelector). */
export function convertBGPPeerToV1beta2(p: BGPPeerV1beta1): BGPPeerV1beta2 {
  const s = p.spec;
  const spec: BGPPeerSpecV1beta2 = {
    myASN: s.myASN,
    peerASN: s.peerASN,
    peerAddress: s.peerAddress,
    disableMP: false,
    dualStackAddressFamily: false,
  };
  const w = spec as Record<string, unknown>;
  if (s.sourceAddress !== undefined) w.sourceAddress = s.sourceAddress;
  if (s.peerPort !== undefined && s.peerPort !== 0) w.peerPort = s.peerPort;
  if (s.holdTime !== undefined) w.holdTime = s.holdTime;
  if (s.keepaliveTime !== undefined) w.keepaliveTime = s.keepaliveTime;
  if (s.routerID !== undefined) w.routerID = s.routerID;
  if (s.password !== undefined) w.password = s.password;
  if (s.bfdProfile !== undefined) w.bfdProfile = s.bfdProfile;
  if (s.ebgpMultiHop !== undefined) w.ebgpMultiHop = s.ebgpMultiHop;
  if (s.nodeSelectors !== undefined) {
    w.nodeSelectors = s.nodeSelectors.map((ns): LabelSelector => {
      const out: LabelSelector = {};
      if (ns.matchLabels !== undefined && Object.keys(ns.matchLabels).length > 0)
        out.matchLabels = { ...ns.matchLabels };
      if (ns.matchExpressions !== undefined && ns.matchExpressions.length > 0) {
        out.matchExpressions = ns.matchExpressions.map((e) => ({
          key: e.key,
          operator: e.operator as LabelSelectorOperator,
          values: [...e.values],
        }));
      }
      return out;
    });
  }
  const converted: BGPPeerV1beta2 = {
    apiVersion: 'metallb.io/v1beta2',
    kind: 'BGPPeer',
    metadata: p.metadata,
    spec,
  };
  if (p.status !== undefined) converted.status = p.status;
  return converted;
}

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/** Timers in whole seconds, with MetalLB's rules (hold 0 or >= 3s, keepalive <= hold). */
function checkTimers(
  spec: BGPPeerSpecV1beta2,
  ref: ObjectRef,
  errors: ConfigError[],
): { hold: number; keepalive: number; explicit: boolean } {
  const parse = (field: 'holdTime' | 'keepaliveTime' | 'connectTime'): number | undefined => {
    const v = spec[field];
    if (v === undefined) return undefined;
    const r = parseGoDuration(v);
    if (!r.ok) {
      errors.push(configError(ref, `spec.${field}`, 'invalid-duration', `${r.error} (examples: 90s, 1m30s)`));
      return undefined;
    }
    if (r.ms < 0) {
      errors.push(
        configError(
          ref,
          `spec.${field}`,
          'invalid-duration',
          `invalid duration ${JSON.stringify(v)}: must not be negative`,
        ),
      );
      return undefined;
    }
    return r.ms;
  };
  const holdMs = parse('holdTime');
  const kaMs = parse('keepaliveTime');
  const ctMs = parse('connectTime');
  if (ctMs !== undefined && (ctMs % 1000 !== 0 || ctMs < 1000 || ctMs > 65535000)) {
    errors.push(
      configError(
        ref,
        'spec.connectTime',
        'connect-time',
        ctMs % 1000 !== 0
          ? `connect time ${JSON.stringify(spec.connectTime)} should contain a whole number of seconds`
          : `connect time ${JSON.stringify(spec.connectTime)} should be between 1 seconds to 65535`,
      ),
    );
  }
  if (holdMs === undefined && kaMs === undefined) {
    const explicit = spec.holdTime !== undefined || spec.keepaliveTime !== undefined;
    return { hold: DEFAULT_HOLD_TIME_S, keepalive: DEFAULT_HOLD_TIME_S / 3, explicit };
  }
  const h = holdMs ?? (kaMs as number) * 3;
  const k = kaMs ?? (holdMs as number) / 3;
  const holdS = Math.trunc(h / 1000);
  if (holdS !== 0 && holdS < 3) {
    errors.push(
      configError(
        ref,
        spec.holdTime !== undefined ? 'spec.holdTime' : 'spec.keepaliveTime',
        'hold-time',
        spec.holdTime !== undefined
          ? `invalid hold time ${JSON.stringify(spec.holdTime)}: must be 0 or >= 3s`
          : `keepaliveTime ${JSON.stringify(spec.keepaliveTime)} implies a hold time of ${h / 1000}s (3 × keepalive): must be 0 or >= 3s`,
      ),
    );
  }
  if (holdS > 65535) {
    // The OPEN message carries the hold time in 16 bits (RFC 4271 §4.2).
    errors.push(
      configError(
        ref,
        spec.holdTime !== undefined ? 'spec.holdTime' : 'spec.keepaliveTime',
        'hold-time',
        `hold time ${holdS}s does not fit BGP's 16-bit Hold Time field: must be at most 65535s`,
      ),
    );
  }
  if (k > h) {
    errors.push(
      configError(
        ref,
        'spec.keepaliveTime',
        'keepalive-time',
        `invalid keepaliveTime ${JSON.stringify(spec.keepaliveTime)}: must be lower than or equal to holdTime ${JSON.stringify(spec.holdTime)}`,
      ),
    );
  }
  return { hold: holdS, keepalive: Math.trunc(k / 1000), explicit: true };
}

/** Single-object checks on the v1beta2 shape (MetalLB's `peerFromCR`), errors pointing at `spec.*`. */
function checkPeerSpec(spec: BGPPeerSpecV1beta2, ref: ObjectRef, apiVersion: string): ConfigError[] {
  const errors: ConfigError[] = [];
  const e = (path: string, rule: Parameters<typeof configError>[2], msg: string) =>
    errors.push(configError(ref, path, rule, msg));
  if (spec.myASN === 0) e('spec.myASN', 'asn-required', 'missing local ASN: myASN must be 1-4294967295');
  const peerASN = spec.peerASN ?? 0;
  if (peerASN === 0 && spec.dynamicASN === undefined) {
    e(
      'spec.peerASN',
      'asn-required',
      apiVersion === 'metallb.io/v1beta1'
        ? 'missing peer ASN: peerASN must be 1-4294967295'
        : 'missing peer ASN: set peerASN or dynamicASN',
    );
  }
  if (peerASN !== 0 && spec.dynamicASN !== undefined) {
    e('spec.dynamicASN', 'asn-exclusive', 'both peerASN and dynamicASN are set: use one');
  }
  if (
    spec.ebgpMultiHop === true &&
    ((peerASN !== 0 && peerASN === spec.myASN) || spec.dynamicASN === 'internal')
  ) {
    e(
      'spec.ebgpMultiHop',
      'ebgp-multihop-ibgp',
      'ebgpMultiHop is set for an iBGP peer (peerASN equals myASN)',
    );
  }
  if (spec.localASN !== undefined) {
    // FRR's `local-as` (MetalLB's FRR backends): eBGP only, and not the router's own AS.
    if ((peerASN !== 0 && peerASN === spec.myASN) || spec.dynamicASN === 'internal')
      e(
        'spec.localASN',
        'local-asn',
        `localASN ${spec.localASN} is set for an iBGP peer (${spec.dynamicASN === 'internal' ? 'dynamicASN internal' : 'peerASN equals myASN'}): a local AS replaces myASN toward eBGP peers only`,
      );
    else if (spec.localASN === spec.myASN)
      e('spec.localASN', 'local-asn', `localASN ${spec.localASN} equals myASN: omit localASN`);
    else if (peerASN !== 0 && spec.localASN === peerASN)
      e(
        'spec.localASN',
        'local-asn',
        `localASN ${spec.localASN} equals peerASN: the peer would see an iBGP session where this end runs eBGP`,
      );
  }
  const hasAddr = spec.peerAddress !== undefined && spec.peerAddress !== '';
  const hasIface = spec.interface !== undefined && spec.interface !== '';
  if (!hasAddr && !hasIface)
    e('spec.peerAddress', 'address-required', 'peer has no peerAddress or interface');
  if (hasAddr && hasIface)
    e('spec.interface', 'address-exclusive', 'peer has both peerAddress and interface: use one');
  if (hasAddr && parseIP(spec.peerAddress!) === undefined) {
    e(
      'spec.peerAddress',
      'invalid-ip',
      `invalid peerAddress ${JSON.stringify(spec.peerAddress)}: not an IPv4 or IPv6 address`,
    );
  }
  if (
    spec.sourceAddress !== undefined &&
    spec.sourceAddress !== '' &&
    parseIP(spec.sourceAddress) === undefined
  ) {
    e(
      'spec.sourceAddress',
      'invalid-ip',
      `invalid sourceAddress ${JSON.stringify(spec.sourceAddress)}: not an IPv4 or IPv6 address`,
    );
  }
  if (hasAddr && spec.sourceAddress) {
    const a = parseIP(spec.peerAddress!);
    const s = parseIP(spec.sourceAddress);
    if (a !== undefined && s !== undefined && a.family !== s.family) {
      e(
        'spec.sourceAddress',
        'mixed-families',
        `sourceAddress ${spec.sourceAddress} is IPv${s.family} but peerAddress ${spec.peerAddress} is IPv${a.family}`,
      );
    }
  }
  if (spec.routerID !== undefined && spec.routerID !== '') {
    const r = parseIP(spec.routerID);
    if (r === undefined || r.family !== 4) {
      e(
        'spec.routerID',
        'invalid-ip',
        `invalid routerID ${JSON.stringify(spec.routerID)}: the BGP identifier is an IPv4 address`,
      );
    }
  }
  for (const f of ['interface', 'password', 'vrf'] as const) {
    const v = spec[f];
    if (v !== undefined && /[\n\r]/.test(v)) e(`spec.${f}`, 'invalid-characters', `${f} contains a newline`);
  }
  if (spec.password !== undefined && spec.password !== '' && spec.passwordSecret?.name) {
    e('spec.passwordSecret', 'password-exclusive', 'password and passwordSecret are both set: use one');
  }
  if (spec.password !== undefined && spec.password.length > 80) {
    // TCP_MD5SIG_MAXKEYLEN is 80 bytes on Linux.
    e('spec.password', 'max-length', 'TCP MD5 password must be at most 80 bytes');
  }
  checkTimers(spec, ref, errors);
  errors.push(...validateSelectorList(spec.nodeSelectors, ref, 'spec.nodeSelectors'));
  return errors;
}

/**
 * Validate a BGPPeer of either apiVersion. The result keeps the shape it was written in;
 * `normalizePeer` gives the one internal form.
 */
export function validateBGPPeer(raw: unknown): ValidationResult<BGPPeer> {
  const apiVersion = isPlainObject(raw) ? raw.apiVersion : undefined;
  const v1 = apiVersion === 'metallb.io/v1beta1';
  const env = validateEnvelope(v1 ? BGPPeerV1beta1Kind : BGPPeerV1beta2Kind, raw);
  if (env.object === undefined) {
    if (apiVersion !== 'metallb.io/v1beta1' && apiVersion !== 'metallb.io/v1beta2') {
      return finish(undefined, [
        configError(
          refOf(raw, 'BGPPeer', DEFAULT_NAMESPACE),
          'apiVersion',
          'enum',
          `apiVersion must be metallb.io/v1beta1 or metallb.io/v1beta2 for BGPPeer, got ${JSON.stringify(apiVersion)}`,
        ),
        ...env.errors.filter((x) => x.path !== 'apiVersion'),
      ]);
    }
    return finish(undefined, env.errors);
  }
  const obj = env.object as unknown as BGPPeer;
  const ref = refOf(obj);
  const errors: ConfigError[] = [];
  if (obj.apiVersion === 'metallb.io/v1beta1') {
    // Legacy selectors: operator is free text in the v1beta1 schema; check it here.
    (obj.spec.nodeSelectors ?? []).forEach((ns, i) => {
      (ns.matchExpressions ?? []).forEach((m, j) => {
        if (!OPERATORS.has(m.operator)) {
          errors.push(
            configError(
              ref,
              `spec.nodeSelectors[${i}].matchExpressions[${j}].operator`,
              'invalid-label-selector',
              `invalid operator ${JSON.stringify(m.operator)}: must be In, NotIn, Exists or DoesNotExist`,
            ),
          );
        }
      });
    });
    if (errors.length > 0) return finish(undefined, errors);
  }
  const v2 = obj.apiVersion === 'metallb.io/v1beta1' ? convertBGPPeerToV1beta2(obj) : obj;
  errors.push(...checkPeerSpec(v2.spec, ref, obj.apiVersion));
  return finish(obj, errors);
}

/** The internal form of a validated BGPPeer (either apiVersion). */
export function normalizePeer(p: BGPPeer): NormalizedPeer {
  const v2 = p.apiVersion === 'metallb.io/v1beta1' ? convertBGPPeerToV1beta2(p) : p;
  const s = v2.spec;
  const timers = checkTimers(s, refOf(p), []);
  const addr = s.peerAddress ? parseIP(s.peerAddress) : undefined;
  const src = s.sourceAddress ? parseIP(s.sourceAddress) : undefined;
  const peerASN = s.peerASN !== undefined && s.peerASN !== 0 ? s.peerASN : undefined;
  let connectTime: number | undefined;
  if (s.connectTime !== undefined) {
    const r = parseGoDuration(s.connectTime);
    if (r.ok) connectTime = Math.trunc(r.ms / 1000);
  }
  const out: { -readonly [K in keyof NormalizedPeer]: NormalizedPeer[K] } = {
    name: p.metadata.name,
    namespace: p.metadata.namespace,
    apiVersion: p.apiVersion,
    myASN: s.myASN,
    port: s.peerPort !== undefined && s.peerPort !== 0 ? s.peerPort : DEFAULT_BGP_PORT,
    holdTime: timers.hold,
    keepaliveTime: timers.keepalive,
    timersExplicit: timers.explicit,
    nodeSelectors: s.nodeSelectors ?? [],
    enableGracefulRestart: s.enableGracefulRestart ?? false,
    ebgpMultiHop: s.ebgpMultiHop ?? false,
    disableMP: s.disableMP ?? false,
    dualStackAddressFamily: s.dualStackAddressFamily ?? false,
    ibgp: s.dynamicASN === 'internal' || (peerASN !== undefined && peerASN === s.myASN),
  };
  if (s.localASN !== undefined) out.localASN = s.localASN;
  if (peerASN !== undefined) out.peerASN = peerASN;
  if (s.dynamicASN !== undefined) out.dynamicASN = s.dynamicASN;
  if (addr !== undefined) {
    out.peerAddress = formatIP(addr.family, addr.value);
    out.peerAddressFamily = addr.family;
  }
  if (s.interface) out.interface = s.interface;
  if (src !== undefined) out.sourceAddress = formatIP(src.family, src.value);
  if (connectTime !== undefined) out.connectTime = connectTime;
  if (s.routerID) out.routerID = s.routerID;
  if (s.password) out.password = s.password;
  if (s.passwordSecret?.name) {
    out.passwordSecret = {
      name: s.passwordSecret.name,
      namespace: s.passwordSecret.namespace || p.metadata.namespace,
    };
  }
  if (s.bfdProfile) out.bfdProfile = s.bfdProfile;
  if (s.vrf) out.vrf = s.vrf;
  return out;
}
