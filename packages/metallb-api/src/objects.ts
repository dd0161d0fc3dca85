// The objects a manifest holds, without YAML: the kinds a document may be, where an object was read
// from, and validation of one already-parsed object (from YAML, JSON or a Kubernetes watch) by its
// apiVersion and kind. YAML reading (`parseManifests`) is in manifests.ts, behind the `/yaml` entry.
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

/** Where `obj` was read from, if it came from `parseManifests` (or was given one with `setOrigin`). */
export function originOf(obj: object): Origin | undefined {
  return origins.get(obj);
}

/**
 * Record where an object validated with `validateObject` came from, so that `buildConfig` places
 * its errors (`source`, `document`, `line`; add `locate` for field-level positions).
 */
export function setOrigin(obj: object, origin: Origin): void {
  origins.set(obj, origin);
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
