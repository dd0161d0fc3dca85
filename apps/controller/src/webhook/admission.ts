// Admission decisions for the metallb.io kinds, as MetalLB's validating webhooks make them: the
// object must live in the controller's namespace, pass metallb-api's single-object rules, and not
// break a cross-object rule (buildConfig) in the configuration it would join: overlapping pools,
// unknown references, conflicting localPref, duplicate peers, … A BFDProfile still used by a peer
// may not be deleted. The configuration is the controller's cache; a refusal is confirmed against a
// fresh list from the API server first, so an object created a moment ago (not yet in the cache)
// never causes a wrong refusal.
import {
  buildConfig,
  type ConfigError,
  formatConfigError,
  type ManifestObject,
  validateObject,
} from '@bmlb/metallb-api';

/** The parts of an admission.k8s.io/v1 AdmissionRequest the decision reads. */
export interface AdmissionRequest {
  readonly uid: string;
  readonly kind: { readonly group: string; readonly version: string; readonly kind: string };
  readonly operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  readonly namespace?: string;
  readonly name?: string;
  readonly object?: Record<string, unknown> | null;
  readonly oldObject?: Record<string, unknown> | null;
  readonly dryRun?: boolean;
}

export interface Decision {
  readonly allowed: boolean;
  readonly message?: string;
}

type Obj = { kind: string; metadata: { name: string; namespace?: string }; spec?: Record<string, unknown> };

export interface AdmissionOptions {
  /** The namespace metallb.io objects must live in. */
  readonly namespace: string;
  /** The metallb.io objects as cached now (validated, defaulted). */
  readonly cached: () => readonly object[];
  /** The same objects read from the API server now (to confirm a refusal). */
  readonly live?: () => Promise<readonly object[]>;
}

const keyOf = (e: Pick<ConfigError, 'kind' | 'namespace' | 'name' | 'path' | 'rule'>) =>
  `${e.kind}/${e.namespace}/${e.name}\u0000${e.path}\u0000${e.rule}`;

const sameObject = (a: Obj, kind: string, namespace: string | undefined, name: string) =>
  a.kind === kind && a.metadata.name === name && (a.metadata.namespace ?? '') === (namespace ?? '');

function describe(errors: readonly ConfigError[]): string {
  return errors.map((e) => formatConfigError({ ...e, source: undefined, line: undefined })).join('; ');
}

export class ConfigAdmission {
  readonly #o: AdmissionOptions;

  constructor(opts: AdmissionOptions) {
    this.#o = opts;
  }

  async review(req: AdmissionRequest): Promise<Decision> {
    if (req.kind.group !== 'metallb.io') return { allowed: true };
    const first = this.#decide(req, this.#o.cached());
    if (first.allowed || this.#o.live === undefined) return first;
    // Confirm with what the API server holds now (the cache may lag by a few milliseconds).
    let live: readonly object[];
    try {
      live = await this.#o.live();
    } catch {
      return first;
    }
    return this.#decide(req, live);
  }

  #decide(req: AdmissionRequest, objects: readonly object[]): Decision {
    const ns = this.#o.namespace;
    if (req.operation === 'DELETE') {
      if (req.kind.kind !== 'BFDProfile') return { allowed: true };
      const name = req.name ?? (req.oldObject as Obj | undefined)?.metadata.name;
      for (const o of objects as Obj[]) {
        if (o.kind === 'BGPPeer' && o.spec?.bfdProfile === name && (o.metadata.namespace ?? '') === ns)
          return {
            allowed: false,
            message: `failed to delete BFDProfile ${name}, used by BGPPeer ${o.metadata.name}`,
          };
      }
      return { allowed: true };
    }
    if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return { allowed: true };
    const raw = req.object;
    if (raw === undefined || raw === null) return { allowed: false, message: 'no object in the request' };
    const md = (raw as Obj).metadata ?? { name: '' };
    if ((md.namespace ?? req.namespace) !== ns)
      return { allowed: false, message: `resource must be created in ${ns} namespace` };
    const v = validateObject(raw);
    if (!v.ok) return { allowed: false, message: describe(v.errors) };
    const cand = v.object as unknown as Obj;
    const others = (objects as Obj[]).filter(
      (o) => !sameObject(o, cand.kind, cand.metadata.namespace, cand.metadata.name),
    );
    const before = new Set(
      buildConfig(objects as unknown as ManifestObject[], {
        namespace: ns,
        resolveSecrets: false,
      }).errors.map(keyOf),
    );
    const after = buildConfig([...others, cand] as unknown as ManifestObject[], {
      namespace: ns,
      resolveSecrets: false,
    }).errors;
    const mine = (e: ConfigError) =>
      e.kind === cand.kind &&
      e.name === cand.metadata.name &&
      e.namespace === (cand.metadata.namespace ?? '');
    // Refused: what is wrong with this object, and what it breaks that was not broken before.
    const bad = after.filter((e) => mine(e) || !before.has(keyOf(e)));
    return bad.length === 0 ? { allowed: true } : { allowed: false, message: describe(bad) };
  }
}

/** The AdmissionReview answer for a request. */
export function admissionResponse(uid: string, d: Decision): Record<string, unknown> {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: d.allowed
      ? { uid, allowed: true }
      : { uid, allowed: false, status: { code: 403, reason: 'Forbidden', message: d.message ?? 'denied' } },
  };
}
