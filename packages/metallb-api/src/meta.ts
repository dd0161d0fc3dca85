/** Object metadata and the shared machinery that validates one object of a kind. */
import Type, { type Static, type TSchema } from 'typebox';
import { type ConfigError, configError, joinPath, type ObjectRef } from './errors.ts';
import { checkSchema, isPlainObject, type JsonSchema } from './schema-check.ts';
import { StringMap } from './schema-util.ts';

export const METALLB_GROUP = 'metallb.io';
/** Namespace the metallb.io kinds live in when a manifest names none. */
export const DEFAULT_NAMESPACE = 'metallb-system';

/**
 * The `metadata` fields we read. Everything else a real object carries (uid, resourceVersion,
 * managedFields, …) is kept and ignored.
 */
const ObjectMetaSchema = Type.Object(
  {
    name: Type.String({ description: 'Name of the object, unique in its namespace.' }),
    namespace: Type.Optional(Type.String()),
    labels: Type.Optional(StringMap()),
    annotations: Type.Optional(StringMap()),
  },
  { 'x-kubernetes-preserve-unknown-fields': true },
);
export type ObjectMeta = Static<typeof ObjectMetaSchema> & { readonly [extra: string]: unknown };

/**
 * `namespace/name`, the key of a namespaced object in bmlb's caches, indexes and maps, as one shared
 * string: V8's internalized copy (its string table holds it weakly, so a key that nothing holds any
 * more is collected). A key built by concatenation is two or three heap strings of its own for each
 * caller that builds it; the speaker keeps a Service's key in its cache, its indexes, its
 * announcements and its status, so at 10,000 Services the copies came to megabytes.
 */
export function objectKey(namespace: string, name: string): string {
  return internalized(`${namespace}/${name}`);
}

/**
 * V8's internalized copy of `s` (one per distinct value, held weakly by V8's string table): for
 * strings many cached objects repeat (objectKey; a projection's apiVersion, kind and namespace). A
 * property name is internalized, and reading it back gives that copy; a name that is an array index
 * (`"12"`) is not, and comes back as an equal string.
 */
export function internalized(s: string): string {
  const o: Record<string, true> = Object.create(null);
  o[s] = true;
  for (const k in o) return k;
  return s;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;

function dnsSubdomainProblem(s: string): string | undefined {
  if (s.length > 253) return 'must be no more than 253 characters';
  if (!DNS1123_SUBDOMAIN.test(s)) {
    return 'must be a lowercase RFC 1123 subdomain: lowercase alphanumerics, "-" or ".", starting and ending with an alphanumeric';
  }
  return undefined;
}

function dnsLabelProblem(s: string): string | undefined {
  if (s.length > 63) return 'must be no more than 63 characters';
  if (!DNS1123_LABEL.test(s)) {
    return 'must be a lowercase RFC 1123 label: lowercase alphanumerics or "-", starting and ending with an alphanumeric';
  }
  return undefined;
}

/** Result of validating one object. Warnings never stop an object from being used. */
export type ValidationResult<T> =
  | { readonly ok: true; readonly object: T; readonly warnings: readonly ConfigError[] }
  | {
      readonly ok: false;
      readonly errors: readonly ConfigError[];
      readonly warnings: readonly ConfigError[];
    };

/** What the generic validator needs to know about a kind. */
export interface KindSpec {
  readonly kind: string;
  /** apiVersions accepted for this shape. */
  readonly apiVersions: readonly string[];
  readonly namespaced: boolean;
  /** Default namespace when `metadata.namespace` is absent (namespaced kinds only). */
  readonly defaultNamespace?: string;
  /** Schema of `spec`; undefined for kinds without one (EndpointSlice). */
  readonly specSchema: TSchema | undefined;
  /** Is `spec` required? */
  readonly specRequired: boolean;
  readonly statusSchema?: TSchema;
  /** Reject unknown top-level fields and unknown fields under spec (metallb.io kinds) or not (core kinds). */
  readonly strict: boolean;
  /** Top-level fields besides apiVersion/kind/metadata/spec/status this kind has (e.g. EndpointSlice's `endpoints`). */
  readonly extraTopLevel?: Readonly<Record<string, TSchema>>;
}

/** The identity of a raw object for error messages, as far as it can be read. */
export function refOf(raw: unknown, kind?: string, defaultNamespace = ''): ObjectRef {
  const o = isPlainObject(raw) ? raw : {};
  const md = isPlainObject(o.metadata) ? o.metadata : {};
  return {
    kind: kind ?? (typeof o.kind === 'string' ? o.kind : ''),
    namespace: typeof md.namespace === 'string' && md.namespace !== '' ? md.namespace : defaultNamespace,
    name: typeof md.name === 'string' ? md.name : '',
  };
}

type KindFields = {
  /** spec (when the kind has one), status and the extra top-level fields, with their schemas. */
  readonly parts: readonly (readonly [string, TSchema | undefined, boolean])[];
  /** Every top-level field the kind knows. */
  readonly known: ReadonlySet<string>;
};
const kindFieldsCache = new WeakMap<KindSpec, KindFields>();

/** The top-level fields of a kind, worked out once per KindSpec. */
function kindFields(def: KindSpec): KindFields {
  let f = kindFieldsCache.get(def);
  if (f === undefined) {
    const parts: [string, TSchema | undefined, boolean][] = [
      ...(def.specSchema !== undefined
        ? [['spec', def.specSchema, def.specRequired] as [string, TSchema, boolean]]
        : []),
      ['status', def.statusSchema, false],
      ...Object.entries(def.extraTopLevel ?? {}).map(([k, s]): [string, TSchema, boolean] => [k, s, false]),
    ];
    f = { parts, known: new Set(['apiVersion', 'kind', 'metadata', ...parts.map(([k]) => k)]) };
    kindFieldsCache.set(def, f);
  }
  return f;
}

/**
 * Validate the envelope (apiVersion, kind, metadata) and the schemas of spec/status; fill defaults.
 * Returns the defaulted object, or the errors. Semantic checks are the caller's.
 */
export function validateEnvelope(
  def: KindSpec,
  raw: unknown,
): { object?: Record<string, unknown>; errors: ConfigError[] } {
  const ref = refOf(raw, def.kind, def.namespaced ? (def.defaultNamespace ?? 'default') : '');
  const errors: ConfigError[] = [];
  if (!isPlainObject(raw)) {
    return { errors: [configError(ref, '', 'not-an-object', 'the document is not a mapping (object)')] };
  }
  if (!def.apiVersions.includes(raw.apiVersion as string)) {
    errors.push(
      configError(
        ref,
        'apiVersion',
        'enum',
        `apiVersion must be ${def.apiVersions.join(' or ')} for ${def.kind}, got ${JSON.stringify(raw.apiVersion)}`,
      ),
    );
  }
  if (raw.kind !== def.kind) {
    errors.push(
      configError(ref, 'kind', 'enum', `kind must be ${def.kind}, got ${JSON.stringify(raw.kind)}`),
    );
  }
  const out: Record<string, unknown> = { apiVersion: raw.apiVersion, kind: raw.kind };

  // metadata
  const md = checkSchema(ObjectMetaSchema as JsonSchema, raw.metadata ?? undefined, ref, 'metadata');
  if (raw.metadata === undefined || raw.metadata === null) {
    errors.push(configError(ref, 'metadata', 'required', 'required field metadata is missing'));
  } else if (!isPlainObject(md.value)) {
    errors.push(...md.errors);
  } else {
    errors.push(...md.errors);
    const m = md.value;
    if (typeof m.name === 'string') {
      const p = m.name === '' ? 'must not be empty' : dnsSubdomainProblem(m.name);
      if (p !== undefined)
        errors.push(
          configError(ref, 'metadata.name', 'format', `invalid name ${JSON.stringify(m.name)}: ${p}`),
        );
    }
    if (def.namespaced) {
      if (m.namespace === undefined || m.namespace === '') m.namespace = def.defaultNamespace ?? 'default';
      if (typeof m.namespace === 'string') {
        const p = dnsLabelProblem(m.namespace);
        if (p !== undefined) {
          errors.push(
            configError(
              ref,
              'metadata.namespace',
              'format',
              `invalid namespace ${JSON.stringify(m.namespace)}: ${p}`,
            ),
          );
        }
      }
    } else if (m.namespace !== undefined && m.namespace !== '') {
      // Cluster-scoped: Kubernetes ignores a namespace here; so do we.
      delete m.namespace;
    }
    out.metadata = m;
  }

  // spec / status / extras
  const { parts, known } = kindFields(def);
  for (const [field, schema, required] of parts) {
    const v = raw[field];
    if (v === undefined || v === null) {
      if (required) errors.push(configError(ref, field, 'required', `required field ${field} is missing`));
      else if (field === 'spec') out.spec = checkSchema(schema as JsonSchema, {}, ref, field).value;
      continue;
    }
    if (schema === undefined) continue;
    const r = checkSchema(schema as JsonSchema, v, ref, field);
    errors.push(...r.errors);
    out[field] = r.value;
  }
  for (const k of Object.keys(raw)) {
    if (known.has(k)) continue;
    if (def.strict) {
      errors.push(
        configError(
          ref,
          joinPath('', k),
          'unknown-field',
          `unknown field ${JSON.stringify(k)} (known fields: ${[...known].join(', ')})`,
        ),
      );
    } else {
      if (k === '__proto__') {
        Object.defineProperty(out, k, {
          value: raw[k],
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else out[k] = raw[k];
    }
  }
  if (errors.length > 0) return { errors };
  return { object: out, errors };
}

/** Finish a validation: errors win, else the object. */
export function finish<T>(
  object: unknown,
  errors: ConfigError[],
  warnings: ConfigError[] = [],
): ValidationResult<T> {
  if (errors.length > 0) return { ok: false, errors, warnings };
  return { ok: true, object: object as T, warnings };
}
