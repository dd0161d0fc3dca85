/** `metallb.io/v1beta1` IPAddressPool: the addresses a LoadBalancer Service can get. */
import Type, { type Static } from 'typebox';
import { CEL_BOUNDS, celRules, ipv4Value } from '../cel.ts';
import { type ConfigError, configError, joinPath, type ObjectRef } from '../errors.ts';
import { formatRange, type PoolAddressEntry, parsePoolAddress, rangeIntersection } from '../ip.ts';
import { type LabelSelector, SelectorListSchema, validateSelectorList } from '../labels.ts';
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

// One `spec.addresses` entry, as parsePoolAddress reads it (CEL rules: see cel.ts). Whether
// entries of one pool overlap is left to the validator (pairwise, too costly for the API server's
// budget); so is the order of an IPv6 range's ends (CEL has no 128-bit integers).
const addr = 'self.trim()';
const rangeStart = `${addr}.split('-')[0].trim()`;
const rangeEnd = `${addr}.split('-')[1].trim()`;
const isRange = `${addr}.contains('-')`;
const bothEnds = `${isRange} && ${addr}.split('-').size() == 2 && isIP(${rangeStart}) && isIP(${rangeEnd})`;
const PoolAddressSchema = Type.String({
  maxLength: CEL_BOUNDS.poolAddressLength,
  ...celRules(
    {
      rule: `!${isRange} || isIP(${rangeStart})`,
      message: 'invalid IP range: invalid start IP',
    },
    {
      rule: `!${isRange} || (${addr}.split('-').size() == 2 && isIP(${rangeEnd}))`,
      message: 'invalid IP range: invalid end IP',
    },
    {
      rule: `!(${bothEnds}) || ip(${rangeStart}).family() == ip(${rangeEnd}).family()`,
      message: 'invalid IP range: start and end are of different IP families',
    },
    {
      rule: `!(${bothEnds} && ip(${rangeStart}).family() == 4 && ip(${rangeEnd}).family() == 4) || ${ipv4Value(rangeStart)} <= ${ipv4Value(rangeEnd)}`,
      message: 'invalid IP range: start IP is after the end IP',
    },
    {
      rule: `${isRange} || !${addr}.contains('/') || isCIDR(${addr})`,
      message: 'invalid CIDR',
    },
    {
      rule: `${isRange} || ${addr}.contains('/') || isIP(${addr})`,
      message: 'invalid address: expected a CIDR (a.b.c.d/n), a range (a-b) or an IP address',
    },
  ),
});

export const ServiceAllocationSchema = Type.Object(
  {
    priority: Type.Optional(
      Type.Integer({
        description:
          'Priority of this pool when several match a Service: the lowest value wins; a pool without priority (0) is used only when no prioritized pool can serve.',
      }),
    ),
    namespaces: Type.Optional(
      Type.Array(Type.String(), { description: 'Namespaces whose Services this pool serves.' }),
    ),
    namespaceSelectors: Type.Optional(
      SelectorListSchema('Label selectors for the namespaces whose Services this pool serves.'),
    ),
    serviceSelectors: Type.Optional(SelectorListSchema('Label selectors for the Services this pool serves.')),
  },
  { ...strict, description: 'Restricts the pool to specific namespaces and/or Services.' },
);
export type ServiceAllocation = Static<typeof ServiceAllocationSchema>;

export const IPAddressPoolSpecSchema = Type.Object(
  {
    addresses: Type.Array(PoolAddressSchema, {
      minItems: 1,
      maxItems: CEL_BOUNDS.poolAddresses,
      description:
        'Address ranges the pool hands out: CIDRs (192.168.10.0/24, fc00:f853::/124), start-end ranges (192.168.9.1-192.168.9.5) or single addresses; IPv4 and IPv6 may be mixed.',
    }),
    autoAssign: Type.Optional(
      Type.Boolean({
        default: true,
        description: 'If false, only Services that ask for this pool or one of its addresses get one.',
      }),
    ),
    avoidBuggyIPs: Type.Optional(
      Type.Boolean({ default: false, description: 'Skip addresses ending in .0 and .255.' }),
    ),
    serviceAllocation: Type.Optional(ServiceAllocationSchema),
  },
  { ...strict, description: 'IPAddressPoolSpec defines the desired state of IPAddressPool.' },
);
export type IPAddressPoolSpec = Static<typeof IPAddressPoolSpecSchema>;

export const IPAddressPoolStatusSchema = Type.Object(
  {
    assignedIPv4: Type.Integer({ format: 'int64', description: 'Number of assigned IPv4 addresses.' }),
    assignedIPv6: Type.Integer({ format: 'int64', description: 'Number of assigned IPv6 addresses.' }),
    availableIPv4: Type.Integer({ format: 'int64', description: 'Number of available IPv4 addresses.' }),
    availableIPv6: Type.Integer({
      format: 'int64',
      description:
        'Number of available IPv6 addresses; saturates at 2^53-1 (Number.MAX_SAFE_INTEGER) where MetalLB saturates at 2^63-1.',
    }),
  },
  { ...strict, description: 'IPAddressPoolStatus defines the observed state of IPAddressPool.' },
);
export type IPAddressPoolStatus = Static<typeof IPAddressPoolStatusSchema>;

export interface IPAddressPool {
  apiVersion: 'metallb.io/v1beta1';
  kind: 'IPAddressPool';
  metadata: ObjectMeta & { namespace: string };
  /** After validation `autoAssign` and `avoidBuggyIPs` are always set (defaults applied). */
  spec: IPAddressPoolSpec;
  status?: IPAddressPoolStatus;
}

export const IPAddressPoolKind: KindSpec = {
  kind: 'IPAddressPool',
  apiVersions: ['metallb.io/v1beta1'],
  namespaced: true,
  defaultNamespace: DEFAULT_NAMESPACE,
  specSchema: IPAddressPoolSpecSchema,
  specRequired: true,
  statusSchema: IPAddressPoolStatusSchema,
  strict: true,
};

/** Pool in the form the allocator and speaker use: addresses parsed, defaults applied. */
export interface NormalizedPool {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** One entry per `spec.addresses` item, in order, each with its range and covering CIDRs. */
  readonly addresses: readonly PoolAddressEntry[];
  readonly autoAssign: boolean;
  readonly avoidBuggyIPs: boolean;
  /** Absent when the pool serves every Service. */
  readonly serviceAllocation?: NormalizedServiceAllocation;
}

export interface NormalizedServiceAllocation {
  /** 0 when unset (MetalLB: pools without priority come after prioritized ones). */
  readonly priority: number;
  readonly namespaces: readonly string[];
  readonly namespaceSelectors: readonly LabelSelector[];
  readonly serviceSelectors: readonly LabelSelector[];
}

function checkDuplicates(list: readonly string[] | undefined, ref: ObjectRef, path: string): ConfigError[] {
  const errors: ConfigError[] = [];
  (list ?? []).forEach((v, i) => {
    const first = (list ?? []).indexOf(v);
    if (first !== i) {
      errors.push(
        configError(
          ref,
          joinPath(path, i),
          'duplicate-value',
          `duplicate value ${JSON.stringify(v)} (same as ${joinPath(path, first)})`,
        ),
      );
    }
  });
  return errors;
}

export { checkDuplicates };

/**
 * Parse and check `spec.addresses`: each entry parses, and no two entries of this pool overlap.
 * Returns the parsed entries (only the valid ones) and the errors.
 */
function checkPoolAddresses(
  addresses: readonly string[],
  ref: ObjectRef,
): { entries: PoolAddressEntry[]; errors: ConfigError[] } {
  const errors: ConfigError[] = [];
  const entries: { e: PoolAddressEntry; i: number }[] = [];
  addresses.forEach((text, i) => {
    const path = `spec.addresses[${i}]`;
    const r = parsePoolAddress(text);
    if (!r.ok) {
      // A bare word that is not an address reads best as a bad CIDR entry.
      const rule = r.reason === 'invalid-ip' ? 'invalid-cidr' : r.reason;
      errors.push(configError(ref, path, rule, r.error));
      return;
    }
    for (const prev of entries) {
      const both = rangeIntersection(prev.e, r.value);
      if (both !== undefined) {
        errors.push(
          configError(
            ref,
            path,
            'overlapping-pools',
            `${JSON.stringify(text)} overlaps ${JSON.stringify(prev.e.text)} (spec.addresses[${prev.i}]) of the same pool at ${formatRange(both)}`,
          ),
        );
      }
    }
    entries.push({ e: r.value, i });
  });
  return { entries: entries.map((x) => x.e), errors };
}

/** Validate one IPAddressPool manifest (already parsed from YAML/JSON) and apply defaults. */
export function validateIPAddressPool(raw: unknown): ValidationResult<IPAddressPool> {
  const env = validateEnvelope(IPAddressPoolKind, raw);
  if (env.object === undefined) return finish(undefined, env.errors);
  const obj = env.object as unknown as IPAddressPool;
  const ref = refOf(obj);
  const errors: ConfigError[] = [];
  errors.push(...checkPoolAddresses(obj.spec.addresses, ref).errors);
  const sa = obj.spec.serviceAllocation;
  if (sa !== undefined) {
    errors.push(...checkDuplicates(sa.namespaces, ref, 'spec.serviceAllocation.namespaces'));
    errors.push(
      ...validateSelectorList(sa.namespaceSelectors, ref, 'spec.serviceAllocation.namespaceSelectors'),
    );
    errors.push(...validateSelectorList(sa.serviceSelectors, ref, 'spec.serviceAllocation.serviceSelectors'));
  }
  return finish(obj, errors);
}

/** Turn a validated IPAddressPool into the allocator's form. */
export function normalizePool(pool: IPAddressPool): NormalizedPool {
  const ref = refOf(pool);
  const { entries } = checkPoolAddresses(pool.spec.addresses, ref);
  const sa = pool.spec.serviceAllocation;
  const base = {
    name: pool.metadata.name,
    namespace: pool.metadata.namespace,
    labels: pool.metadata.labels ?? {},
    addresses: entries,
    autoAssign: pool.spec.autoAssign ?? true,
    avoidBuggyIPs: pool.spec.avoidBuggyIPs ?? false,
  };
  if (sa === undefined) return base;
  return {
    ...base,
    serviceAllocation: {
      priority: sa.priority ?? 0,
      namespaces: sa.namespaces ?? [],
      namespaceSelectors: sa.namespaceSelectors ?? [],
      serviceSelectors: sa.serviceSelectors ?? [],
    },
  };
}
