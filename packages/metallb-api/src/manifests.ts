/**
 * Multi-document YAML → validated, typed objects. Every document is read; a bad one becomes errors
 * (with file, document, line and column) and never hides the good ones.
 */
import { isMap, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { ConfigError, ObjectRef } from './errors.ts';
import { configError } from './errors.ts';
import { type BFDProfile, validateBFDProfile } from './kinds/bfdprofile.ts';
import { type BGPAdvertisement, validateBGPAdvertisement } from './kinds/bgpadvertisement.ts';
import { type BGPPeer, validateBGPPeer } from './kinds/bgppeer.ts';
import { type Community, validateCommunity } from './kinds/community.ts';
import {
  type EndpointSlice,
  type Namespace,
  type Node,
  type Secret,
  type Service,
  validateEndpointSlice,
  validateNamespace,
  validateNode,
  validateSecret,
  validateService,
} from './kinds/core.ts';
import { type IPAddressPool, validateIPAddressPool } from './kinds/ipaddresspool.ts';
import { acceptIgnored, IGNORED_METALLB_KINDS, type IgnoredObject } from './kinds/l2advertisement.ts';
import { DEFAULT_NAMESPACE, METALLB_GROUP, refOf, type ValidationResult } from './meta.ts';
import { isPlainObject, own } from './schema-check.ts';

/** Every object kind a manifest file may hold. */
export type ManifestObject =
  | IPAddressPool
  | BGPPeer
  | BGPAdvertisement
  | BFDProfile
  | Community
  | Service
  | EndpointSlice
  | Node
  | Namespace
  | Secret
  | IgnoredObject;

/** Where an object was read from. */
export interface Origin {
  readonly source?: string;
  /** 0-based document index in the source. */
  readonly document: number;
  /** 1-based line where the object starts. */
  readonly line?: number;
  /** Line, column and offset of a field path (`spec.addresses[1]`) of the object, as far as it exists. */
  readonly locate?: (path: string) => { line: number; column: number; offset: number } | undefined;
}

const origins = new WeakMap<object, Origin>();

/** Where `obj` was read from, if it came from `parseManifests`. */
export function originOf(obj: object): Origin | undefined {
  return origins.get(obj);
}

type Validator = (raw: unknown) => ValidationResult<ManifestObject>;

const METALLB_VALIDATORS: Readonly<Record<string, Validator>> = {
  IPAddressPool: validateIPAddressPool,
  BGPPeer: validateBGPPeer,
  BGPAdvertisement: validateBGPAdvertisement,
  BFDProfile: validateBFDProfile,
  Community: validateCommunity,
};

const CORE_VALIDATORS: Readonly<Record<string, Readonly<Record<string, Validator>>>> = {
  v1: { Service: validateService, Node: validateNode, Namespace: validateNamespace, Secret: validateSecret },
  'discovery.k8s.io/v1': { EndpointSlice: validateEndpointSlice },
};

const METALLB_VERSIONS = new Set(['metallb.io/v1beta1', 'metallb.io/v1beta2']);

/**
 * Validate one already-parsed object (from YAML, JSON or a Kubernetes watch) by its apiVersion and
 * kind. Unknown kinds of other API groups are ignored with a warning.
 */
export function validateObject(raw: unknown): ValidationResult<ManifestObject> {
  if (!isPlainObject(raw)) {
    return {
      ok: false,
      errors: [configError(refOf(raw), '', 'not-an-object', 'the document is not a mapping (object)')],
      warnings: [],
    };
  }
  const ref = refOf(raw);
  const { apiVersion, kind } = raw;
  if (typeof apiVersion !== 'string' || apiVersion === '' || typeof kind !== 'string' || kind === '') {
    const missing = [
      typeof apiVersion !== 'string' || apiVersion === '' ? 'apiVersion' : '',
      typeof kind !== 'string' || kind === '' ? 'kind' : '',
    ]
      .filter((x) => x !== '')
      .join(' and ');
    return {
      ok: false,
      errors: [configError(ref, missing.split(' ')[0]!, 'missing-type-meta', `missing ${missing}`)],
      warnings: [],
    };
  }
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  if (group === METALLB_GROUP) {
    const v = own(METALLB_VALIDATORS, kind);
    if (v !== undefined) return v(raw);
    if (own(IGNORED_METALLB_KINDS, kind) !== undefined && METALLB_VERSIONS.has(apiVersion))
      return acceptIgnored(raw, kind);
    return {
      ok: false,
      errors: [
        configError(
          { ...ref, namespace: ref.namespace || DEFAULT_NAMESPACE },
          'kind',
          'unknown-kind',
          `unknown metallb.io kind ${JSON.stringify(kind)} (known: ${[...Object.keys(METALLB_VALIDATORS), ...Object.keys(IGNORED_METALLB_KINDS)].join(', ')})`,
        ),
      ],
      warnings: [],
    };
  }
  const v = own(own(CORE_VALIDATORS, apiVersion), kind);
  if (v !== undefined) return v(raw);
  if (own(METALLB_VALIDATORS, kind) !== undefined) {
    return {
      ok: false,
      errors: [
        configError(
          { ...ref, namespace: ref.namespace || DEFAULT_NAMESPACE },
          'apiVersion',
          'enum',
          `apiVersion must be ${kind === 'BGPPeer' ? 'metallb.io/v1beta1 or metallb.io/v1beta2' : 'metallb.io/v1beta1'} for ${kind}, got ${JSON.stringify(apiVersion)}`,
        ),
      ],
      warnings: [],
    };
  }
  for (const [ver, kinds] of Object.entries(CORE_VALIDATORS)) {
    if (own(kinds, kind) !== undefined) {
      return {
        ok: false,
        errors: [
          configError(
            ref,
            'apiVersion',
            'enum',
            `apiVersion must be ${ver} for ${kind}, got ${JSON.stringify(apiVersion)}`,
          ),
        ],
        warnings: [],
      };
    }
  }
  const md = isPlainObject(raw.metadata) ? raw.metadata : {};
  return {
    ok: true,
    object: {
      ...raw,
      metadata: { ...md, name: ref.name, namespace: ref.namespace },
    } as unknown as IgnoredObject,
    warnings: [
      configError(ref, '', 'unsupported-kind', `${apiVersion} ${kind} is not used by bmlb; ignored`),
    ],
  };
}

export interface ParseManifestsOptions {
  /** File name (or other label) to put in errors. */
  readonly source?: string;
}

export interface ParseManifestsResult {
  /** Every valid object, in document order (a `List`'s items in place). */
  readonly objects: ManifestObject[];
  /** Problems that made a document or object unusable. */
  readonly errors: ConfigError[];
  /** Problems that did not (ignored kinds, EndpointSlices without a Service, …). */
  readonly warnings: ConfigError[];
}

/** Split `spec.addresses[1]`, `metadata.labels["a/b"]` into keys. */
function pathKeys(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /([A-Za-z_$][A-Za-z0-9_$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;
  for (let m = re.exec(path); m !== null; m = re.exec(path)) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[3] !== undefined) out.push(JSON.parse(m[3]) as string);
  }
  return out;
}

/** Read every YAML document of `text` (a `---`-separated stream) into validated objects. */
export function parseManifests(text: string, options: ParseManifestsOptions = {}): ParseManifestsResult {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, {
    lineCounter: lc,
    prettyErrors: false,
    uniqueKeys: true,
    version: '1.2',
  });
  const objects: ManifestObject[] = [];
  const errors: ConfigError[] = [];
  const warnings: ConfigError[] = [];
  const src = options.source !== undefined ? { source: options.source } : {};
  const locate = (offset: number) => {
    const p = lc.linePos(offset);
    return { line: p.line, column: p.col, offset };
  };
  const list = Array.isArray(docs) ? docs : [];
  list.forEach((doc, index) => {
    const start = doc.contents?.range?.[0] ?? doc.range[0];
    const docLoc = { ...src, document: index, ...locate(start) };
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        errors.push({
          ...configError(
            { kind: '', namespace: '', name: '' },
            '',
            'yaml-syntax',
            e.message.split('\n')[0] ?? e.message,
          ),
          ...docLoc,
          ...locate(e.pos[0]),
        });
      }
      return;
    }
    if (doc.contents === null) return; // empty document
    let raw: unknown;
    try {
      raw = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      // e.g. an alias without its anchor, or an alias bomb
      errors.push({
        ...configError(
          { kind: '', namespace: '', name: '' },
          '',
          'yaml-syntax',
          e instanceof Error ? e.message : String(e),
        ),
        ...docLoc,
      });
      return;
    }
    if (raw === null || raw === undefined) return;
    const find = (base: (string | number)[], path: string) => {
      const keys = [...base, ...pathKeys(path)];
      // The deepest node that exists on the path.
      for (let n = keys.length; n >= 0; n--) {
        const node = doc.getIn(keys.slice(0, n), true) as { range?: [number, number, number] } | undefined;
        if (node !== undefined && node !== null && typeof node === 'object' && node.range !== undefined) {
          return locate(node.range[0]);
        }
      }
      return undefined;
    };
    const at = (e: ConfigError, base: (string | number)[]): ConfigError => {
      const loc = find(base, e.path);
      return loc === undefined ? { ...e, ...docLoc } : { ...e, ...src, document: index, ...loc };
    };
    const handle = (item: unknown, base: (string | number)[]) => {
      const r = validateObject(item);
      warnings.push(...r.warnings.map((w) => at(w, base)));
      if (!r.ok) {
        errors.push(...r.errors.map((e) => at(e, base)));
        return;
      }
      const line = (base.length === 0 ? undefined : find(base, '')?.line) ?? docLoc.line;
      origins.set(r.object, { ...src, document: index, line, locate: (path: string) => find(base, path) });
      objects.push(r.object);
    };
    if (
      isPlainObject(raw) &&
      raw.apiVersion === 'v1' &&
      typeof raw.kind === 'string' &&
      raw.kind.endsWith('List') &&
      Array.isArray(raw.items)
    ) {
      raw.items.forEach((item, i) => {
        handle(item, ['items', i]);
      });
      return;
    }
    if (!isMap(doc.contents) && !isSeq(doc.contents) && !isPlainObject(raw)) {
      errors.push({
        ...configError(
          { kind: '', namespace: '', name: '' },
          '',
          'not-an-object',
          `the document is not a mapping (object): ${JSON.stringify(raw).slice(0, 60)}`,
        ),
        ...docLoc,
      });
      return;
    }
    handle(raw, []);
  });
  return { objects, errors, warnings };
}

export type { ObjectRef };
