/**
 * A small JSON-Schema checker for the subset our schemas use (and Kubernetes' structural schemas
 * allow): `type`, `properties`, `required`, `additionalProperties` (false or a schema), `items`,
 * `enum`, `minimum`/`maximum`, `minItems`/`maxItems`, `minLength`/`maxLength`, `maxProperties`, `default`,
 * `x-kubernetes-preserve-unknown-fields`, `x-kubernetes-int-or-string`.
 *
 * It copies the input, fills in `default`s as the Kubernetes API server does for CRDs, and reports
 * every violation with the field path — not just the first.
 */
import type { CelRule } from './cel.ts';
import { type ConfigError, configError, joinPath, type ObjectRef } from './errors.ts';

export interface JsonSchema {
  readonly type?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly items?: JsonSchema;
  readonly enum?: readonly unknown[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly maxProperties?: number;
  readonly default?: unknown;
  readonly description?: string;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-int-or-string'?: boolean;
  /** CEL rules for the API server (cel.ts); not evaluated here: the validators enforce them in code. */
  readonly 'x-kubernetes-validations'?: readonly CelRule[];
  readonly 'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  readonly 'x-kubernetes-map-type'?: 'atomic' | 'granular';
}

/** `o[k]` only when `k` is o's own key (never Object.prototype's `constructor`, `__proto__`, …). */
export function own<T>(o: Readonly<Record<string, T>> | undefined, k: string): T | undefined {
  return o !== undefined && Object.hasOwn(o, k) ? o[k] : undefined;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const typeName = (v: unknown): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
};

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

/** Set an own property, even one named `__proto__`. */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__')
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

function clone(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clone);
  if (isPlainObject(v)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) setOwn(o, k, clone(x));
    return o;
  }
  return v;
}

/** A field path, materialized only when an error needs it. */
type PathRef = string | { readonly parent: PathRef; readonly key: string | number };
const pathText = (p: PathRef): string => (typeof p === 'string' ? p : joinPath(pathText(p.parent), p.key));

const pathOf = (parent: PathRef, key: string | number | undefined): PathRef =>
  key === undefined ? parent : { parent, key };

function fail(
  errors: ConfigError[],
  ref: ObjectRef,
  path: PathRef,
  rule: Parameters<typeof configError>[2],
  message: string,
): void {
  errors.push(configError(ref, pathText(path), rule, message));
}

/**
 * Check `value` against `schema`; returns a copy with defaults applied, plus all violations.
 * `path` is the path of `value` inside its object (e.g. `spec`). The input is not modified;
 * subtrees the schema does not describe (tolerant kinds) are shared with it, not copied.
 */
export function checkSchema(
  schema: JsonSchema,
  value: unknown,
  ref: ObjectRef,
  path: string,
): { value: unknown; errors: ConfigError[] } {
  const errors: ConfigError[] = [];
  const out = walk(schema, value, ref, path, undefined, errors);
  return { value: out, errors };
}

/**
 * Checks `v`, at `parent` + `key` (just `parent` when `key` is undefined). The path is built only
 * for a container's children or an error: most values are leaves that pass.
 */
function walk(
  schema: JsonSchema,
  v: unknown,
  ref: ObjectRef,
  parent: PathRef,
  key: string | number | undefined,
  errors: ConfigError[],
): unknown {
  if (schema['x-kubernetes-int-or-string']) {
    if (!(typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v)))) {
      fail(errors, ref, pathOf(parent, key), 'type', `must be an integer or a string, got ${typeName(v)}`);
    }
    return v;
  }
  const t = schema.type;
  switch (t) {
    case 'object': {
      if (!isPlainObject(v)) {
        fail(errors, ref, pathOf(parent, key), 'type', `must be an object, got ${typeName(v)}`);
        return v;
      }
      const props = schema.properties ?? {};
      const required = schema.required ?? [];
      const out: Record<string, unknown> = {};
      const path = pathOf(parent, key);
      if (schema.maxProperties !== undefined && Object.keys(v).length > schema.maxProperties) {
        fail(errors, ref, path, 'max-items', `must have at most ${schema.maxProperties} entries`);
      }
      for (const k of Object.keys(v)) {
        const x = v[k];
        const sub = own(props, k);
        if (sub !== undefined) {
          // `null` means "not set", as in Kubernetes' JSON decoding (a required one is reported below).
          if (x === null) continue;
          setOwn(out, k, walk(sub, x, ref, path, k, errors));
        } else if (isPlainObject(schema.additionalProperties)) {
          setOwn(out, k, walk(schema.additionalProperties, x, ref, path, k, errors));
        } else if (schema.additionalProperties === false && !schema['x-kubernetes-preserve-unknown-fields']) {
          const known = Object.keys(props);
          errors.push(
            configError(
              ref,
              joinPath(pathText(path), k),
              'unknown-field',
              `unknown field ${JSON.stringify(k)}${known.length > 0 ? ` (known fields: ${known.join(', ')})` : ''}`,
            ),
          );
        } else {
          setOwn(out, k, x);
        }
      }
      for (const k of Object.keys(props)) {
        const sub = props[k]!;
        if (out[k] === undefined && sub.default !== undefined) out[k] = clone(sub.default);
      }
      for (const r of required) {
        if (out[r] === undefined || out[r] === null) {
          errors.push(
            configError(ref, joinPath(pathText(path), r), 'required', `required field ${r} is missing`),
          );
        }
      }
      return out;
    }
    case 'array': {
      if (!Array.isArray(v)) {
        fail(errors, ref, pathOf(parent, key), 'type', `must be an array, got ${typeName(v)}`);
        return v;
      }
      if (schema.minItems !== undefined && v.length < schema.minItems) {
        fail(
          errors,
          ref,
          pathOf(parent, key),
          'min-items',
          `must have at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}`,
        );
      }
      if (schema.maxItems !== undefined && v.length > schema.maxItems) {
        fail(errors, ref, pathOf(parent, key), 'max-items', `must have at most ${schema.maxItems} items`);
      }
      const items = schema.items;
      if (items === undefined) return v.slice();
      const out = new Array<unknown>(v.length);
      const path = pathOf(parent, key);
      for (let i = 0; i < v.length; i++) out[i] = walk(items, v[i], ref, path, i, errors);
      return out;
    }
    case 'string': {
      if (typeof v !== 'string') {
        fail(
          errors,
          ref,
          pathOf(parent, key),
          'type',
          `must be a string, got ${typeName(v)}${
            typeof v === 'number'
              ? ` (${v}; quote it)`
              : typeof v === 'boolean'
                ? ` (${v}: unquoted yes/no/on/off/y/n/true/false are booleans in Kubernetes YAML; quote it)`
                : ''
          }`,
        );
        return v;
      }
      if (schema.minLength !== undefined && v.length < schema.minLength) {
        fail(
          errors,
          ref,
          pathOf(parent, key),
          'min-length',
          schema.minLength === 1 ? 'must not be empty' : `must be at least ${schema.minLength} characters`,
        );
      }
      if (schema.maxLength !== undefined && v.length > schema.maxLength) {
        fail(
          errors,
          ref,
          pathOf(parent, key),
          'max-length',
          `must be at most ${schema.maxLength} characters`,
        );
      }
      break;
    }
    case 'integer':
    case 'number': {
      if (typeof v !== 'number' || !Number.isFinite(v) || (t === 'integer' && !Number.isInteger(v))) {
        fail(
          errors,
          ref,
          pathOf(parent, key),
          'type',
          `must be ${article(t)}, got ${typeName(v)}${typeof v === 'string' ? ` (${JSON.stringify(v)})` : ''}`,
        );
        return v;
      }
      if (schema.minimum !== undefined && v < schema.minimum)
        fail(errors, ref, pathOf(parent, key), 'minimum', `must be >= ${schema.minimum}, got ${v}`);
      if (schema.maximum !== undefined && v > schema.maximum)
        fail(errors, ref, pathOf(parent, key), 'maximum', `must be <= ${schema.maximum}, got ${v}`);
      break;
    }
    case 'boolean': {
      if (typeof v !== 'boolean') {
        fail(
          errors,
          ref,
          pathOf(parent, key),
          'type',
          `must be a boolean (true or false), got ${typeName(v)}${typeof v === 'string' ? ` (${JSON.stringify(v)})` : ''}`,
        );
        return v;
      }
      break;
    }
    default:
      break;
  }
  if (schema.enum !== undefined && !schema.enum.includes(v)) {
    fail(
      errors,
      ref,
      pathOf(parent, key),
      'enum',
      `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}
