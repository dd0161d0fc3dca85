/** Small typebox helpers that produce schemas Kubernetes accepts in a structural CRD schema. */
import Type, { type TUnsafe } from 'typebox';
import type { CelRule } from './cel.ts';

/** A string limited to `values` (`enum` in the schema, a union of literals in TypeScript). */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: { description?: string; default?: T[number] } = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/** `map[string]string`: `{type: object, additionalProperties: {type: string}}`. */
export function StringMap(options: { description?: string } = {}): TUnsafe<Record<string, string>> {
  return Type.Unsafe<Record<string, string>>({
    type: 'object',
    additionalProperties: { type: 'string' },
    ...options,
  });
}

/** An integer or a string (`x-kubernetes-int-or-string`), e.g. a Service port's `targetPort`. */
export function IntOrString(options: { description?: string } = {}): TUnsafe<number | string> {
  return Type.Unsafe<number | string>({ 'x-kubernetes-int-or-string': true, ...options });
}

/** A Go `metav1.Duration`: a string such as `90s` or `1m30s`. */
export function Duration(
  options: { description?: string; maxLength?: number; 'x-kubernetes-validations'?: readonly CelRule[] } = {},
): TUnsafe<string> {
  return Type.Unsafe<string>({ type: 'string', ...options });
}

/** Strict object: unknown fields are errors (the CRD generator turns this into pruning). */
export const strict = { additionalProperties: false } as const;

export const UINT32_MAX = 4294967295;
/** The largest value of a CRD field declared `format: int32` (the API server enforces the range). */
export const INT32_MAX = 2147483647;
