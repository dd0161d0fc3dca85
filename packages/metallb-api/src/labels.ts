/**
 * Kubernetes label selectors (`metav1.LabelSelector`): schema, validation and matching, with the
 * semantics of `metav1.LabelSelectorAsSelector` + `labels.Selector.Matches`.
 */
import Type, { type Static } from 'typebox';
import { CEL_BOUNDS, type CelRule, celRules } from './cel.ts';
import { type ConfigError, configError, joinPath, type ObjectRef } from './errors.ts';
import { StringEnum, strict } from './schema-util.ts';

export const LabelSelectorOperators = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
export type LabelSelectorOperator = (typeof LabelSelectorOperators)[number];

/** A label key (`metav1.LabelSelectorRequirement.key`, a `matchLabels` key): a qualified name. */
const LABEL_KEY_RULE: CelRule = {
  rule: '!format.qualifiedName().validate(self).hasValue()',
  message:
    'invalid label key: a qualified name is an optional DNS subdomain prefix and "/", then 1-63 alphanumerics, "-", "_" or ".", starting and ending with an alphanumeric',
};
/** A label value. */
const LABEL_VALUE_RULE: CelRule = {
  rule: '!format.labelValue().validate(self).hasValue()',
  message:
    'invalid label value: must be empty or 1-63 alphanumerics, "-", "_" or ".", starting and ending with an alphanumeric',
};
/** The operator/values rules of `metav1.LabelSelectorAsSelector`, in its words. */
export const REQUIREMENT_RULES: readonly CelRule[] = [
  {
    rule: "self.operator in ['In', 'NotIn'] ? has(self.values) && size(self.values) > 0 : true",
    message: "for 'in', 'notin' operators, values set can't be empty",
    fieldPath: '.values',
    reason: 'FieldValueRequired',
  },
  {
    rule: "self.operator in ['Exists', 'DoesNotExist'] ? !has(self.values) || size(self.values) == 0 : true",
    message: 'values set must be empty for exists and does not exist',
    fieldPath: '.values',
    reason: 'FieldValueForbidden',
  },
];

/** `matchLabels`: keys and values checked, entries bounded (CEL_BOUNDS). */
export const MatchLabelsSchema = Type.Unsafe<Record<string, string>>({
  type: 'object',
  additionalProperties: {
    type: 'string',
    maxLength: CEL_BOUNDS.labelValueLength,
    ...celRules(LABEL_VALUE_RULE),
  },
  maxProperties: CEL_BOUNDS.selectorLabels,
  description: 'Labels that must all be present with these values.',
  ...celRules({ ...LABEL_KEY_RULE, rule: 'self.all(k, !format.qualifiedName().validate(k).hasValue())' }),
});

/**
 * `values` of a match expression. Their syntax is left to the validator: a rule on every value of
 * every expression of every selector would need bounds far below what a NotIn list of node names
 * may hold (the API server's cost estimate multiplies them).
 */
const selectorValues = (options: { minItems?: number; description: string }) =>
  Type.Array(Type.String(), { ...options, 'x-kubernetes-list-type': 'atomic' });

/** A label key. */
export const LabelKeySchema = (description: string) =>
  Type.String({ maxLength: CEL_BOUNDS.labelKeyLength, description, ...celRules(LABEL_KEY_RULE) });

const LabelSelectorRequirementSchema = Type.Object(
  {
    key: LabelKeySchema('The label key that the selector applies to.'),
    operator: StringEnum(LabelSelectorOperators, {
      description: "A key's relationship to a set of values: In, NotIn, Exists or DoesNotExist.",
    }),
    values: Type.Optional(
      selectorValues({
        description: 'Values for In and NotIn (non-empty); must be empty for Exists and DoesNotExist.',
      }),
    ),
  },
  {
    ...strict,
    description: 'A selector requirement: a key, an operator and values.',
    ...celRules(...REQUIREMENT_RULES),
  },
);
export type LabelSelectorRequirement = Static<typeof LabelSelectorRequirementSchema>;

export const LabelSelectorSchema = Type.Object(
  {
    matchLabels: Type.Optional(MatchLabelsSchema),
    matchExpressions: Type.Optional(
      Type.Array(LabelSelectorRequirementSchema, {
        maxItems: CEL_BOUNDS.selectorExpressions,
        'x-kubernetes-list-type': 'atomic',
        description: 'Requirements that must all hold.',
      }),
    ),
  },
  {
    ...strict,
    'x-kubernetes-map-type': 'atomic',
    description:
      'A label query over a set of resources. matchLabels and matchExpressions are ANDed; an empty selector matches everything.',
  },
);

/** A list of selectors (`nodeSelectors`, `serviceSelectors`, …), bounded (CEL_BOUNDS). */
export const SelectorListSchema = (description: string) =>
  Type.Array(LabelSelectorSchema, { maxItems: CEL_BOUNDS.selectors, description });
export type LabelSelector = Static<typeof LabelSelectorSchema>;

/** Label set of an object (`metadata.labels`). */
export type Labels = Readonly<Record<string, string>>;

/**
 * Does `selector` select an object with `labels`? An empty selector (`{}`) selects everything,
 * `undefined` selects nothing (as `LabelSelectorAsSelector(nil)`).
 * Assumes the selector passed `validateLabelSelector` (an In with no values selects nothing).
 */
export function matchLabelSelector(selector: LabelSelector | undefined, labels: Labels | undefined): boolean {
  if (selector === undefined) return false;
  const l = labels ?? {};
  const has = (k: string) => Object.hasOwn(l, k);
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (!has(k) || l[k] !== v) return false;
  }
  for (const r of selector.matchExpressions ?? []) {
    const values = r.values ?? [];
    switch (r.operator) {
      case 'In':
        if (!has(r.key) || !values.includes(l[r.key]!)) return false;
        break;
      case 'NotIn':
        if (has(r.key) && values.includes(l[r.key]!)) return false;
        break;
      case 'Exists':
        if (!has(r.key)) return false;
        break;
      case 'DoesNotExist':
        if (has(r.key)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/**
 * MetalLB's rule for selector lists (`nodeSelectors`, `serviceSelectors`, …): an empty list selects
 * everything; otherwise any one selector that matches is enough.
 */
export function matchAnySelector(
  selectors: readonly LabelSelector[] | undefined,
  labels: Labels | undefined,
): boolean {
  if (selectors === undefined || selectors.length === 0) return true;
  return selectors.some((s) => matchLabelSelector(s, labels));
}

const NAME_RE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const DNS1123_SUBDOMAIN_RE = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;

/** Why `key` is not a valid label key (a Kubernetes qualified name), or `undefined` when it is. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  let name = key;
  if (slash !== -1) {
    const prefix = key.slice(0, slash);
    name = key.slice(slash + 1);
    if (prefix.length === 0) return 'prefix part must not be empty';
    if (prefix.length > 253) return 'prefix part must be no more than 253 characters';
    if (!DNS1123_SUBDOMAIN_RE.test(prefix)) return 'prefix part must be a lowercase DNS subdomain';
  }
  if (name.length === 0) return 'name part must not be empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!NAME_RE.test(name)) {
    return 'name part must consist of alphanumerics, "-", "_" or ".", and start and end with an alphanumeric';
  }
  return undefined;
}

/** Why `value` is not a valid label value, or `undefined` when it is. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return 'must be no more than 63 characters';
  if (value !== '' && !NAME_RE.test(value)) {
    return 'must be empty or consist of alphanumerics, "-", "_" or ".", and start and end with an alphanumeric';
  }
  return undefined;
}

/**
 * The checks `LabelSelectorAsSelector` makes (operators and their values, key and value syntax) and
 * MetalLB's own (no duplicate values or expressions). `path` is where the selector sits.
 */
export function validateLabelSelector(sel: LabelSelector, ref: ObjectRef, path: string): ConfigError[] {
  const errors: ConfigError[] = [];
  const bad = (p: string, msg: string) => errors.push(configError(ref, p, 'invalid-label-selector', msg));
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    const kp = labelKeyProblem(k);
    if (kp !== undefined)
      bad(joinPath(joinPath(path, 'matchLabels'), k), `invalid label key ${JSON.stringify(k)}: ${kp}`);
    const vp = labelValueProblem(v);
    if (vp !== undefined)
      bad(joinPath(joinPath(path, 'matchLabels'), k), `invalid label value ${JSON.stringify(v)}: ${vp}`);
  }
  const seen = new Set<string>();
  (sel.matchExpressions ?? []).forEach((r, i) => {
    const rp = joinPath(joinPath(path, 'matchExpressions'), i);
    const kp = labelKeyProblem(r.key);
    if (kp !== undefined) bad(joinPath(rp, 'key'), `invalid label key ${JSON.stringify(r.key)}: ${kp}`);
    const values = r.values ?? [];
    if ((r.operator === 'In' || r.operator === 'NotIn') && values.length === 0) {
      bad(joinPath(rp, 'values'), `operator ${r.operator} needs at least one value`);
    }
    if ((r.operator === 'Exists' || r.operator === 'DoesNotExist') && values.length > 0) {
      bad(joinPath(rp, 'values'), `operator ${r.operator} takes no values`);
    }
    values.forEach((v, j) => {
      const vp = labelValueProblem(v);
      if (vp !== undefined)
        bad(joinPath(joinPath(rp, 'values'), j), `invalid label value ${JSON.stringify(v)}: ${vp}`);
      if (values.indexOf(v) !== j) {
        errors.push(
          configError(
            ref,
            joinPath(joinPath(rp, 'values'), j),
            'duplicate-value',
            `duplicate value ${JSON.stringify(v)}`,
          ),
        );
      }
    });
    const canon = JSON.stringify([r.key, r.operator, [...values].sort()]);
    if (seen.has(canon)) {
      errors.push(
        configError(ref, rp, 'duplicate-value', `duplicate match expression (${r.key} ${r.operator})`),
      );
    }
    seen.add(canon);
  });
  return errors;
}

/** Canonical text of a selector (sorted), to find duplicates in a list. */
export function selectorKey(sel: LabelSelector): string {
  const ml = Object.entries(sel.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const me = (sel.matchExpressions ?? [])
    .map((r) => JSON.stringify([r.key, r.operator, [...(r.values ?? [])].sort()]))
    .sort();
  return JSON.stringify([ml, me]);
}

/** Validate a list of selectors: each one, and no two the same (MetalLB rejects duplicates). */
export function validateSelectorList(
  list: readonly LabelSelector[] | undefined,
  ref: ObjectRef,
  path: string,
): ConfigError[] {
  const errors: ConfigError[] = [];
  const seen = new Map<string, number>();
  (list ?? []).forEach((s, i) => {
    const p = joinPath(path, i);
    errors.push(...validateLabelSelector(s, ref, p));
    const k = selectorKey(s);
    const first = seen.get(k);
    if (first !== undefined) {
      errors.push(
        configError(ref, p, 'duplicate-value', `duplicate selector: same as ${joinPath(path, first)}`),
      );
    } else {
      seen.set(k, i);
    }
  });
  return errors;
}
