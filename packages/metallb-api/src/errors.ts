/**
 * Every problem found in a manifest is one `ConfigError`: which object (kind/namespace/name), which
 * field (a path such as `spec.addresses[1]`), which rule, and a message a person can act on.
 */
export interface ConfigError {
  /** Kind of the object the error is about (`IPAddressPool`, `BGPPeer`, …); `''` when unknown. */
  readonly kind: string;
  /** Namespace of the object; `''` for cluster-scoped objects or when unknown. */
  readonly namespace: string;
  /** Name of the object; `''` when unknown. */
  readonly name: string;
  /** Field path inside the object: `spec.addresses[1]`, `metadata.name`; `''` for the whole object. */
  readonly path: string;
  /** Stable identifier of the rule that was broken (see `ConfigRule`). */
  readonly rule: ConfigRule;
  /** Human-readable explanation. */
  readonly message: string;
  /** Where the object came from (file name), when known. */
  readonly source?: string;
  /** 0-based index of the YAML document in `source`, when known. */
  readonly document?: number;
  /** 1-based line of the offending node (or of the document) in `source`, when known. */
  readonly line?: number;
  /** 1-based column, when known. */
  readonly column?: number;
  /** 0-based character offset in `source`, when known. */
  readonly offset?: number;
}

/** The rules a ConfigError can name. */
export const ConfigRules = [
  // document level
  'yaml-syntax',
  'not-an-object',
  'missing-type-meta',
  'unknown-kind',
  'unsupported-kind',
  // schema level
  'type',
  'required',
  'unknown-field',
  'enum',
  'minimum',
  'maximum',
  'min-items',
  'max-items',
  'min-length',
  'max-length',
  'format',
  // semantic, single object
  'invalid-cidr',
  'invalid-range',
  'mixed-families',
  'invalid-ip',
  'invalid-duration',
  'invalid-label-selector',
  'invalid-community',
  'duplicate-value',
  'hold-time',
  'keepalive-time',
  'connect-time',
  'password-exclusive',
  'asn-required',
  'asn-exclusive',
  'address-required',
  'address-exclusive',
  'ebgp-multihop-ibgp',
  'local-asn',
  'invalid-characters',
  'aggregation-length',
  'mutually-exclusive',
  // a field MetalLB accepts that bmlb does not implement
  'unsupported-field',
  // cross-object
  'duplicate-object',
  'overlapping-pools',
  'unknown-pool',
  'unknown-bfd-profile',
  'unknown-community',
  'unknown-peer',
  'duplicate-community',
  'duplicate-peer',
  'conflicting-local-pref',
  'duplicate-advertisement',
  'unknown-secret',
  'invalid-secret',
  'ignored-namespace',
  'unannounced-pool',
  'bfd-echo-ipv6',
] as const;
export type ConfigRule = (typeof ConfigRules)[number];

/** Where an error sits, without the rule and message. */
export interface ObjectRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export function configError(ref: ObjectRef, path: string, rule: ConfigRule, message: string): ConfigError {
  return { kind: ref.kind, namespace: ref.namespace, name: ref.name, path, rule, message };
}

/** `BGPPeer/metallb-system/tor1 spec.holdTime: invalid hold time "1s": must be 0 or >= 3s [hold-time]` */
export function formatConfigError(e: ConfigError): string {
  const where: string[] = [];
  if (e.source !== undefined) {
    let loc = e.source;
    if (e.line !== undefined) loc += `:${e.line}${e.column !== undefined ? `:${e.column}` : ''}`;
    else if (e.document !== undefined) loc += ` (document ${e.document + 1})`;
    where.push(loc);
  }
  const obj =
    e.kind === '' ? '' : [e.kind, e.namespace, e.name].filter((s, i) => i === 0 || s !== '').join('/');
  if (obj !== '') where.push(obj);
  const head = where.join(' ');
  const path = e.path === '' ? '' : `${e.path}: `;
  return `${head}${head !== '' ? ': ' : ''}${path}${e.message} [${e.rule}]`;
}

/** Append a key to a field path: `spec` + `addresses` → `spec.addresses`; odd keys are quoted. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key)) return base === '' ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key)}]`;
}
