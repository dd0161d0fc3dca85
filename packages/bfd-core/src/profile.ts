// MetalLB's BFDProfile (metallb.io/v1beta1) spec fields, their defaults and ranges, and their mapping
// onto RFC 5880 session variables. Intervals are milliseconds here, as in the manifest.

/** A BFDProfile spec as written in a manifest: every field optional. */
export interface BfdProfileInput {
  /** Minimum interval between received control packets we ask for, ms (10–60000, default 300). */
  receiveInterval?: number | undefined;
  /** Minimum interval between transmitted control packets, ms (10–60000, default 300). */
  transmitInterval?: number | undefined;
  /** Detection multiplier (2–255, default 3). */
  detectMultiplier?: number | undefined;
  /** Echo transmission interval, ms (10–60000, default 50). Echo is not implemented. */
  echoInterval?: number | undefined;
  /** Echo mode (default false). Accepted with a warning: echo is not implemented. */
  echoMode?: boolean | undefined;
  /** Passive mode (§6.1): wait for the peer's first packet before sending (default false). */
  passiveMode?: boolean | undefined;
  /** Multihop only: lowest TTL accepted on received packets (1–254, default 254). */
  minimumTtl?: number | undefined;
  /** Ignored (accepted so that @bmlb/metallb-api's resolved profile, which carries its name, passes). */
  name?: string | undefined;
}

/** A validated BFDProfile with every default applied. */
export interface BfdProfile {
  receiveInterval: number;
  transmitInterval: number;
  detectMultiplier: number;
  echoInterval: number;
  echoMode: boolean;
  passiveMode: boolean;
  minimumTtl: number;
}

export const BFD_PROFILE_DEFAULTS: Readonly<BfdProfile> = Object.freeze({
  receiveInterval: 300,
  transmitInterval: 300,
  detectMultiplier: 3,
  echoInterval: 50,
  echoMode: false,
  passiveMode: false,
  minimumTtl: 254,
});

/** Integer ranges MetalLB's CRD enforces. */
export const BFD_PROFILE_RANGES = Object.freeze({
  receiveInterval: [10, 60000],
  transmitInterval: [10, 60000],
  detectMultiplier: [2, 255],
  echoInterval: [10, 60000],
  minimumTtl: [1, 254],
} as const);

export interface BfdProfileIssue {
  /** The spec field at fault, e.g. `receiveInterval`. */
  field: string;
  message: string;
}

export type BfdProfileValidation =
  | { ok: true; profile: BfdProfile; warnings: string[] }
  | { ok: false; errors: BfdProfileIssue[] };

/** Thrown by `normalizeBfdProfile`; `issues` names every bad field. */
export class BfdProfileError extends Error {
  readonly issues: readonly BfdProfileIssue[];
  constructor(issues: readonly BfdProfileIssue[], name?: string) {
    const where = name === undefined ? 'BFDProfile' : `BFDProfile ${name}`;
    super(`${where}: ${issues.map((i) => i.message).join('; ')}`);
    this.name = 'BfdProfileError';
    this.issues = issues;
  }
}

const INT_FIELDS = [
  'receiveInterval',
  'transmitInterval',
  'detectMultiplier',
  'echoInterval',
  'minimumTtl',
] as const;
const BOOL_FIELDS = ['echoMode', 'passiveMode'] as const;
const KNOWN = new Set<string>([...INT_FIELDS, ...BOOL_FIELDS]);
/** Accepted and ignored: the profile's name, as in @bmlb/metallb-api's NormalizedBFDProfile. */
const IGNORED = new Set<string>(['name']);

/** The warning given for a profile that asks for echo mode. */
export const ECHO_NOT_IMPLEMENTED_WARNING =
  'echoMode is set but the BFD Echo function is not implemented: the session runs in Asynchronous mode with control packets only, and advertises Required Min Echo RX Interval 0 so the peer sends no echo packets';

/** Validate a BFDProfile spec without throwing: every error names its field. */
export function validateBfdProfile(input: unknown): BfdProfileValidation {
  const errors: BfdProfileIssue[] = [];
  if (input === undefined || input === null)
    return { ok: true, profile: { ...BFD_PROFILE_DEFAULTS }, warnings: [] };
  if (typeof input !== 'object' || Array.isArray(input)) {
    return {
      ok: false,
      errors: [{ field: 'spec', message: `spec must be an object, got ${describeValue(input)}` }],
    };
  }
  const spec = input as Record<string, unknown>;
  const profile: BfdProfile = { ...BFD_PROFILE_DEFAULTS };
  for (const key of Object.keys(spec)) {
    if (IGNORED.has(key)) {
      if (typeof spec[key] !== 'string' && spec[key] !== undefined)
        errors.push({ field: key, message: `${key} must be a string, got ${describeValue(spec[key])}` });
      continue;
    }
    if (!KNOWN.has(key) && spec[key] !== undefined) {
      errors.push({
        field: key,
        message: `unknown field ${key} (known: ${[...KNOWN].join(', ')})`,
      });
    }
  }
  for (const field of INT_FIELDS) {
    const v = spec[field];
    if (v === undefined || v === null) continue;
    const [min, max] = BFD_PROFILE_RANGES[field];
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      errors.push({
        field,
        message: `${field} must be an integer in ${min}–${max}, got ${describeValue(v)}`,
      });
    } else if (v < min || v > max) {
      errors.push({ field, message: `${field} ${v} is out of range ${min}–${max}` });
    } else {
      profile[field] = v;
    }
  }
  for (const field of BOOL_FIELDS) {
    const v = spec[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'boolean')
      errors.push({ field, message: `${field} must be a boolean, got ${describeValue(v)}` });
    else profile[field] = v;
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, profile, warnings: bfdProfileWarnings(profile) };
}

/**
 * Apply MetalLB's defaults and check ranges; throws `BfdProfileError` naming every bad field.
 * `name` (the BFDProfile's metadata.name) goes into the message.
 */
export function normalizeBfdProfile(input: unknown, name?: string): BfdProfile {
  const r = validateBfdProfile(input);
  if (!r.ok) throw new BfdProfileError(r.errors, name);
  return r.profile;
}

/** Warnings for a valid profile (echo mode requested but not implemented). */
export function bfdProfileWarnings(profile: BfdProfile): string[] {
  return profile.echoMode ? [ECHO_NOT_IMPLEMENTED_WARNING] : [];
}

function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : String(v);
}
