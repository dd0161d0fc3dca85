/**
 * CEL validation rules (`x-kubernetes-validations`) for the generated CRDs: the single-object rules
 * the validators in this package enforce, evaluated a second time by the API server, so that
 * `kubectl apply` refuses a bad object at once instead of the cluster holding an object the speaker
 * then refuses. Each rule sits next to the schema it guards (the kinds' files and labels.ts); this
 * module has their type, the bounds that keep the API server's cost estimate within its budget, and
 * the expressions several rules share.
 *
 * The TypeScript checker (schema-check.ts) ignores `x-kubernetes-validations`; the validators enforce
 * every rule in code. `crd.test.ts` checks that the generated CRDs carry them, the interop test in
 * k8s-adapter that the API server refuses each violation with the rule's message.
 *
 * Libraries used: the strings extension (Kubernetes 1.29), `isIP`/`ip()`/`isCIDR`/`cidr()`
 * (introduced in 1.30) and `format` (1.31). The API server accepts a library in a new CRD one
 * minor release after it was introduced, so these CRDs need Kubernetes 1.32 or later.
 */

/** One `x-kubernetes-validations` entry. */
export interface CelRule {
  readonly rule: string;
  /** What is wrong, in MetalLB's words where MetalLB has words for it. */
  readonly message: string;
  /** For rules on an object: the field the error points at (`.keepaliveTime`). */
  readonly fieldPath?: string;
  readonly reason?:
    | 'FieldValueInvalid'
    | 'FieldValueForbidden'
    | 'FieldValueRequired'
    | 'FieldValueDuplicate';
}

/** Schema options that attach `rules` to a node. */
export function celRules(...rules: CelRule[]): { readonly 'x-kubernetes-validations': readonly CelRule[] } {
  return { 'x-kubernetes-validations': rules };
}

/**
 * Bounds on arrays, maps and strings that the rules below them need (the API server refuses a CRD
 * whose rules could cost more than its budget on the largest object it would accept). Generous:
 * far above anything a configuration needs; those stricter than MetalLB are listed in the README.
 */
export const CEL_BOUNDS = {
  /** A label key: a 253-character DNS prefix, `/`, a 63-character name (longer is invalid anyway). */
  labelKeyLength: 317,
  /** A label value (longer is invalid anyway). */
  labelValueLength: 63,
  /** Selectors in one list (`nodeSelectors`, `serviceSelectors`, …). */
  selectors: 32,
  /** `matchExpressions` of one selector. */
  selectorExpressions: 32,
  /** `matchLabels` entries of one selector. */
  selectorLabels: 64,
  /** Entries of `IPAddressPool.spec.addresses`. */
  poolAddresses: 1024,
  /** One `spec.addresses` entry (the longest valid one, two IPv6 addresses with `-`, is 91). */
  poolAddressLength: 128,
  /** `BGPAdvertisement.spec.communities` and `Community.spec.communities`. */
  communities: 1024,
  /** A community value or alias name. */
  communityLength: 253,
  /** An IP address (the longest valid text form is 45 characters). */
  ipLength: 64,
  /** A Go duration (`1m30s`). */
  durationLength: 64,
} as const;

/** Go's `time.ParseDuration` syntax (what CEL's `duration()` parses): `90s`, `1m30.5s`, `-2h`, `0`. */
const GO_DURATION_PATTERN = '^[-+]?(0|(([0-9]+([.][0-9]*)?|[.][0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$';

/** `x` is text `duration()` parses (so a rule can use `duration(x)` without a runtime error). */
export const isDuration = (x: string): string => `${x}.matches('${GO_DURATION_PATTERN}')`;

/** The rule every duration field carries. */
export const durationSyntaxRule = (field: string): CelRule => ({
  rule: isDuration('self'),
  message: `invalid ${field}: not a duration (Go syntax: 90s, 1m30s, 500ms)`,
});

/** `x` is an IP address (Kubernetes' `isIP`: no zone, no IPv4-mapped IPv6). */
export const isIPText = (x: string): string => `isIP(${x})`;

/** `x` (an IPv4 address that `isIPText` accepted) as an integer, for ordering. */
export const ipv4Value = (x: string): string =>
  `(int(${x}.split('.')[0]) * 16777216 + int(${x}.split('.')[1]) * 65536 + int(${x}.split('.')[2]) * 256 + int(${x}.split('.')[3]))`;

/**
 * `x` is a valid BGP community if it looks like one: `AS:VALUE` with both parts 0-65535, or
 * `large:GLOBAL:LOCAL1:LOCAL2` with each part 0-4294967295. Anything else may be the name of a
 * Community alias, which only the cross-object check can resolve. (`int()` of a number beyond
 * 2^63 fails: the API server then refuses the object with this rule's message too.)
 */
export const communityInRange = (x: string): string =>
  `(!${x}.matches('^[0-9]+:[0-9]+$') || (int(${x}.split(':')[0]) <= 65535 && int(${x}.split(':')[1]) <= 65535)) && ` +
  `(!${x}.matches('^large:[0-9]+:[0-9]+:[0-9]+$') || (int(${x}.split(':')[1]) <= 4294967295 && int(${x}.split(':')[2]) <= 4294967295 && int(${x}.split(':')[3]) <= 4294967295))`;

/** `x` is shaped like a community at all (standard or large). */
export const communityShaped = (x: string): string =>
  `${x}.matches('^[0-9]+:[0-9]+$') || ${x}.matches('^large:[0-9]+:[0-9]+:[0-9]+$')`;
