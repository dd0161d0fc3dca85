/**
 * Structural comparison of two CustomResourceDefinitions: ours (generated from the kinds' schemas)
 * against MetalLB's own (its Go module's `config/crd/bases/`). Each CRD is flattened into facts,
 * one per key (`versions[v1beta2].served`, `v1beta2 .spec.peerASN format`, …); a difference is a key
 * whose value differs or that only one side has. Descriptions are not compared. Used by
 * `metallb-crds.interop.test.ts` (and its fast tests) with the allow-list in `metallb-crds-allow.ts`.
 */

export interface CrdDifference {
  /** `Kind key`, e.g. `BGPPeer v1beta2 .spec.localASN` or `BGPPeer v1beta2 .spec.peerASN format`. */
  readonly key: string;
  /** JSON of the value in our CRD; undefined when only MetalLB's has the key. */
  readonly ours: string | undefined;
  /** JSON of the value in MetalLB's CRD; undefined when only ours has the key. */
  readonly theirs: string | undefined;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON with object keys sorted, so equal values give equal text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObj(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'undefined';
}

// Schema keywords that hold other schemas: walked into, not compared as values.
const NESTED = new Set(['properties', 'items', 'additionalProperties']);
// Not compared: prose.
const IGNORED = new Set(['description']);

/**
 * The facts of one schema node and everything under it. A field's presence is a fact (`present`);
 * each keyword is another (`<path> <keyword>`). CEL rules are one fact each, keyed by rule text, whose
 * value is the message (and fieldPath, reason), so a rule written differently is one key missing on
 * each side. `required` is one fact per required name, so an added requirement names the field.
 */
function schemaFacts(s: unknown, path: string, out: Map<string, string>): void {
  if (!isObj(s)) {
    out.set(`${path} (not a schema)`, canonicalJson(s));
    return;
  }
  out.set(path === '' ? '(root)' : path, 'present');
  for (const [k, v] of Object.entries(s)) {
    if (IGNORED.has(k) || NESTED.has(k)) continue;
    if (k === 'required' && Array.isArray(v)) {
      for (const name of v) out.set(`${path}.${String(name)} required`, 'true');
    } else if (k === 'x-kubernetes-validations' && Array.isArray(v)) {
      for (const r of v) {
        if (!isObj(r)) continue;
        const { rule, ...rest } = r;
        out.set(`${path} x-kubernetes-validations ${String(rule)}`, canonicalJson(rest));
      }
    } else {
      out.set(`${path} ${k}`, canonicalJson(v));
    }
  }
  if (isObj(s.properties)) {
    for (const [name, sub] of Object.entries(s.properties)) schemaFacts(sub, `${path}.${name}`, out);
  }
  if (s.items !== undefined) schemaFacts(s.items, `${path}[]`, out);
  if (isObj(s.additionalProperties)) schemaFacts(s.additionalProperties, `${path}{}`, out);
  else if (s.additionalProperties !== undefined)
    out.set(`${path} additionalProperties`, canonicalJson(s.additionalProperties));
}

/** Every fact of a CRD, keyed without its kind. */
export function crdFacts(crd: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!isObj(crd) || !isObj(crd.spec)) throw new Error('not a CustomResourceDefinition: no spec');
  const spec = crd.spec;
  out.set('metadata.name', canonicalJson(isObj(crd.metadata) ? crd.metadata.name : undefined));
  for (const [k, v] of Object.entries(spec)) {
    if (k === 'versions') continue;
    if (k === 'names' && isObj(v)) {
      for (const [nk, nv] of Object.entries(v)) out.set(`names.${nk}`, canonicalJson(nv));
    } else {
      out.set(k, canonicalJson(v));
    }
  }
  // Kubernetes' default conversion is None: an absent `conversion` and `strategy: None` are the same.
  if (!out.has('conversion')) out.set('conversion', canonicalJson({ strategy: 'None' }));
  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  for (const v of versions) {
    if (!isObj(v)) continue;
    const name = String(v.name);
    out.set(`version ${name}`, 'present');
    for (const [k, val] of Object.entries(v)) {
      if (k === 'name' || k === 'schema') continue;
      if (k === 'additionalPrinterColumns' && Array.isArray(val)) {
        // Column order is what `kubectl get` shows: compare the list as a whole, without prose.
        const cols = val.map((c) => {
          if (!isObj(c)) return c;
          const { description: _d, ...rest } = c;
          return rest;
        });
        out.set(`${name} additionalPrinterColumns`, canonicalJson(cols));
      } else {
        out.set(`${name} ${k}`, canonicalJson(val));
      }
    }
    const schema = isObj(v.schema) ? v.schema.openAPIV3Schema : undefined;
    const facts = new Map<string, string>();
    schemaFacts(schema, '', facts);
    for (const [k, val] of facts) out.set(`${name} ${k}`, val);
  }
  return out;
}

/** The differences between our CRD of `kind` and MetalLB's, in key order. */
export function diffCrds(kind: string, ours: unknown, theirs: unknown): CrdDifference[] {
  const a = crdFacts(ours);
  const b = crdFacts(theirs);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  const out: CrdDifference[] = [];
  for (const k of keys) {
    const x = a.get(k);
    const y = b.get(k);
    if (x !== y) out.push({ key: `${kind} ${k}`, ours: x, theirs: y });
  }
  return out;
}
