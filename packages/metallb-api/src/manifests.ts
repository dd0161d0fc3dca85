/**
 * Multi-document YAML → validated, typed objects. Every document is read; a bad one becomes errors
 * (with file, document, line and column) and never hides the good ones.
 */
import {
  boolYaml11Tag,
  CORE_SCHEMA,
  EVENT_ID,
  type Event,
  getScalarValue,
  load,
  loadAll,
  mergeTag,
  parseEvents,
  SCALAR_STYLE,
  YAMLException,
} from 'js-yaml';
import type { ConfigError } from './errors.ts';
import { configError } from './errors.ts';
import type { ValidationResult } from './meta.ts';
import { type ManifestObject, type Origin, setOrigin, validateObject } from './objects.ts';
import { isPlainObject } from './schema-check.ts';

export { type ManifestObject, originOf, setOrigin, validateObject } from './objects.ts';
export interface ParseManifestsOptions {
  /** File name (or other label) to put in errors. */
  readonly source?: string;
  /**
   * Reuse the results of documents whose text has not changed since the previous call with the same
   * cache (a daemon re-reading its file after an edit). Entries not seen in a call are dropped.
   */
  readonly cache?: ManifestCache;
}

export interface ParseManifestsResult {
  /** Every valid object, in document order (a `List`'s items in place). */
  readonly objects: ManifestObject[];
  /** Problems that made a document or object unusable. */
  readonly errors: ConfigError[];
  /** Problems that did not (ignored kinds, EndpointSlices without a Service, …). */
  readonly warnings: ConfigError[];
}

type DocOutcome =
  | { readonly kind: 'empty' }
  | { readonly kind: 'yaml-error' }
  /** The document's value is not a mapping; `preview` starts its JSON text. */
  | { readonly kind: 'not-an-object'; readonly preview: string | undefined }
  | {
      readonly kind: 'value';
      readonly results: readonly ValidationResult<ManifestObject>[];
      readonly bases: readonly (readonly (string | number)[])[];
    };

/** Per-document results kept between calls of `parseManifests` (see `ParseManifestsOptions.cache`). */
export class ManifestCache {
  #entries = new Map<string, { outcome: DocOutcome; generation: number }>();
  #generation = 0;
  /** @internal */
  begin(): void {
    this.#generation++;
  }
  /** @internal */
  get(text: string): DocOutcome | undefined {
    const e = this.#entries.get(text);
    if (e === undefined) return undefined;
    e.generation = this.#generation;
    return e.outcome;
  }
  /** @internal */
  set(text: string, outcome: DocOutcome): void {
    this.#entries.set(text, { outcome, generation: this.#generation });
  }
  /** @internal Drop what the last call did not use. */
  end(): void {
    for (const [k, e] of this.#entries) if (e.generation !== this.#generation) this.#entries.delete(k);
  }
  get size(): number {
    return this.#entries.size;
  }
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

interface DocSlice {
  /** The document's text (after its `---` marker, up to the next marker). */
  readonly text: string;
  /** Offset of `text[0]` in the stream. */
  readonly offset: number;
}

/** White space as `String.prototype.trim` strips it (`\s`): ASCII first, the rest by the regex. */
const isTrimmedSpace = (c: number): boolean =>
  c === 0x20 || (c < 0x80 ? c === 0x09 || (c >= 0x0a && c <= 0x0d) : /\s/.test(String.fromCharCode(c)));

/**
 * Where the content of the line `text[from, eol)` starts (its first character that is not white
 * space), or -1 when the line is blank or only a comment.
 */
function contentStart(text: string, from: number, eol: number): number {
  for (let i = from; i < eol; i++) {
    const c = text.charCodeAt(i);
    if (isTrimmedSpace(c)) continue;
    return c === 0x23 /* # */ ? -1 : i;
  }
  return -1;
}

/**
 * Split a YAML stream at its document markers (`---` and `...` at column 0, which YAML forbids
 * anywhere else). Returns undefined for streams with directives (`%YAML`), which are read whole.
 * One pass over the text without slicing its lines (a bulk edit has hundreds of thousands).
 */
function splitDocuments(text: string): DocSlice[] | undefined {
  const docs: DocSlice[] = [];
  let start = 0; // offset where the current document's text starts
  let explicit = false; // opened by `---`
  let hasContent = false;
  let atDocStart = true;
  const close = (end: number) => {
    if (explicit || hasContent) docs.push({ text: text.slice(start, end), offset: start });
  };
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  start = pos;
  while (pos <= text.length) {
    let eol = text.indexOf('\n', pos);
    if (eol === -1) eol = text.length;
    const c0 = text.charCodeAt(pos);
    let marker = 0; // 1: `---`, 2: `...`
    if ((c0 === 0x2d || c0 === 0x2e) && text.charCodeAt(pos + 1) === c0 && text.charCodeAt(pos + 2) === c0) {
      const after = text.charCodeAt(pos + 3);
      if (pos + 3 === eol || after === 0x20 || after === 0x09 || after === 0x0d) marker = c0 === 0x2d ? 1 : 2;
    }
    if (marker === 1) {
      close(pos);
      start = pos + 3;
      explicit = true;
      hasContent = contentStart(text, pos + 3, eol) !== -1;
      atDocStart = false;
    } else if (marker === 2) {
      close(pos);
      start = eol + 1;
      explicit = false;
      hasContent = false;
      atDocStart = true;
    } else {
      if (c0 === 0x25 /* % */ && atDocStart && !hasContent) return undefined;
      if (contentStart(text, pos, eol) !== -1) {
        hasContent = true;
        atDocStart = false;
      }
    }
    pos = eol + 1;
  }
  close(text.length);
  return docs;
}

const NO_REF = { kind: '', namespace: '', name: '' };

/**
 * How kubectl reads YAML (sigs.k8s.io/yaml, a YAML 1.1 reader): the YAML 1.2 core schema, plus
 * YAML 1.1 booleans (`yes`/`no`/`on`/`off`/`y`/`n`) and `<<` merge keys, so a manifest means the
 * same here as it does to `kubectl apply`. Timestamps stay strings; `65000:59` is not base 60.
 */
const KUBE_YAML_SCHEMA = CORE_SCHEMA.withTags(boolYaml11Tag, mergeTag);

/**
 * A document that is a JSON object (what `kubectl get -o json` prints) is read with `JSON.parse`,
 * several times faster than a YAML parser; anything else (or JSON with duplicate keys, which YAML
 * refuses) goes to the YAML reader. JSON is YAML, so both readings agree.
 */
function parseJsonDocument(text: string): unknown {
  let i = 0;
  while (i < text.length && isJsonSpace(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== 0x7b /* { */) return undefined;
  // A YAML flow mapping (`{apiVersion: v1, …}`) is not JSON: tell without JSON.parse, whose thrown
  // SyntaxError costs more than reading the document. JSON's `{` is followed by `"` or `}`.
  let k = i + 1;
  while (k < text.length && isJsonSpace(text.charCodeAt(k))) k++;
  const next = text.charCodeAt(k);
  if (next !== 0x22 /* " */ && next !== 0x7d /* } */) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  return countJsonKeys(text, i) === countParsedKeys(v) ? v : undefined;
}

const isJsonSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * The number of object members written in `json` (valid JSON): every string followed by `:` is a
 * key. One pass over the text, no allocation. `JSON.parse` keeps only the last of repeated keys, so
 * the text has more members than the parsed value exactly when a key repeats in some object.
 */
function countJsonKeys(json: string, from: number): number {
  let n = 0;
  let i = json.indexOf('"', from);
  while (i !== -1) {
    // Find the closing quote: the next `"` not escaped by an odd run of backslashes.
    let end = json.indexOf('"', i + 1);
    for (;;) {
      let bs = 0;
      while (json.charCodeAt(end - 1 - bs) === 0x5c /* \ */) bs++;
      if ((bs & 1) === 0) break;
      end = json.indexOf('"', end + 1);
    }
    let j = end + 1;
    while (isJsonSpace(json.charCodeAt(j))) j++;
    if (json.charCodeAt(j) === 0x3a /* : */) n++;
    i = json.indexOf('"', j);
  }
  return n;
}

/** The number of members of every object in a parsed JSON value. */
function countParsedKeys(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  let n = 0;
  if (Array.isArray(v)) {
    for (const x of v) n += countParsedKeys(x);
    return n;
  }
  for (const k in v) {
    n++;
    n += countParsedKeys((v as Record<string, unknown>)[k]);
  }
  return n;
}

const TOP_LEVEL: readonly (readonly (string | number)[])[] = [[]];

/** Validate a document's value: one object, or the items of a `v1 List`. */
function validateDocument(raw: unknown): DocOutcome {
  if (raw === null || raw === undefined) return { kind: 'empty' };
  if (!isPlainObject(raw)) return { kind: 'not-an-object', preview: JSON.stringify(raw)?.slice(0, 60) };
  if (
    raw.apiVersion === 'v1' &&
    typeof raw.kind === 'string' &&
    raw.kind.endsWith('List') &&
    Array.isArray(raw.items)
  ) {
    return {
      kind: 'value',
      results: raw.items.map((item) => validateObject(item)),
      bases: raw.items.map((_, i) => ['items', i]),
    };
  }
  return { kind: 'value', results: [validateObject(raw)], bases: TOP_LEVEL };
}

/** Where a node's text starts (its anchor or tag if it has one, a quoted scalar's quote). */
function nodeStart(text: string, e: Event): number {
  switch (e.type) {
    case EVENT_ID.MAPPING:
    case EVENT_ID.SEQUENCE:
      return firstOf(e.anchorStart, e.tagStart, e.start);
    case EVENT_ID.SCALAR: {
      const quoted = e.style === SCALAR_STYLE.SINGLE_QUOTED || e.style === SCALAR_STYLE.DOUBLE_QUOTED;
      const at =
        quoted && e.valueStart > 0 && /['"]/.test(text[e.valueStart - 1]!) ? e.valueStart - 1 : e.valueStart;
      return firstOf(e.anchorStart, e.tagStart, at);
    }
    case EVENT_ID.ALIAS:
      return e.anchorStart - 1;
    default:
      return -1;
  }
}

/** The smallest of the offsets that are present (not -1). */
function firstOf(...offsets: number[]): number {
  let best = -1;
  for (const o of offsets) if (o >= 0 && (best < 0 || o < best)) best = o;
  return best;
}

/** The index of the event after the node that starts at `events[i]`. */
function skipNode(events: readonly Event[], i: number): number {
  const t = events[i]?.type;
  if (t !== EVENT_ID.MAPPING && t !== EVENT_ID.SEQUENCE) return i + 1;
  let j = i + 1;
  while (j < events.length && events[j]!.type !== EVENT_ID.POP) j = skipNode(events, j);
  return j + 1;
}

/**
 * The offset of the deepest node that exists on `keys` in a document's events (`events[root]` is the
 * document's content node), or -1. Keys are compared as the YAML reader reads them.
 */
function locateNode(
  text: string,
  events: readonly Event[],
  root: number,
  keys: readonly (string | number)[],
): number {
  let i = root;
  let at = events[i] === undefined ? -1 : nodeStart(text, events[i]!);
  for (const key of keys) {
    const e = events[i];
    let next = -1;
    if (e?.type === EVENT_ID.MAPPING && typeof key === 'string') {
      for (let j = i + 1; j < events.length && events[j]!.type !== EVENT_ID.POP; ) {
        const k = events[j]!;
        const value = skipNode(events, j);
        if (k.type === EVENT_ID.SCALAR && getScalarValue(text, k) === key) {
          next = value;
          break;
        }
        j = skipNode(events, value);
      }
    } else if (e?.type === EVENT_ID.SEQUENCE && typeof key === 'number') {
      let j = i + 1;
      for (let n = 0; n < key && j < events.length && events[j]!.type !== EVENT_ID.POP; n++)
        j = skipNode(events, j);
      if (j < events.length && events[j]!.type !== EVENT_ID.POP) next = j;
    }
    if (next < 0 || events[next] === undefined || events[next]!.type === EVENT_ID.POP) break;
    i = next;
    at = nodeStart(text, events[i]!);
  }
  return at;
}

/**
 * One document of a `parseManifests` call: its place in the stream, and (built only when an error
 * or a location is asked for) its parser events, which carry the offsets. Origins of its objects
 * refer to it.
 */
class DocContext {
  /** The text the events' offsets refer to, and where it starts in the stream. */
  readonly #text: string;
  readonly #offset: number;
  readonly #position: (offset: number) => { line: number; column: number; offset: number };
  #events: readonly Event[] | undefined;
  readonly source: string | undefined;
  readonly index: number;
  constructor(
    slice: DocSlice,
    index: number,
    source: string | undefined,
    position: (offset: number) => { line: number; column: number; offset: number },
    events?: readonly Event[],
  ) {
    this.#text = slice.text;
    this.#offset = slice.offset;
    this.index = index;
    this.source = source;
    this.#position = position;
    this.#events = events;
  }
  /** The document's events: DOCUMENT, its content node, …, POP. */
  events(): readonly Event[] {
    this.#events ??= parseEvents(this.#text, {});
    return this.#events;
  }
  position(offsetInDoc: number) {
    return this.#position(this.#offset + offsetInDoc);
  }
  /** Position of the first non-blank, non-comment character. */
  docStart() {
    const t = this.#text;
    for (let ls = 0; ls <= t.length; ) {
      let eol = t.indexOf('\n', ls);
      if (eol === -1) eol = t.length;
      const c = contentStart(t, ls, eol);
      if (c !== -1) return this.position(c);
      ls = eol + 1;
    }
    return this.position(0);
  }
  /** Source, document index and the document's start. */
  docLoc() {
    return {
      ...(this.source !== undefined ? { source: this.source } : {}),
      document: this.index,
      ...this.docStart(),
    };
  }
  /** The deepest node that exists on `base` + `path`. */
  find(base: readonly (string | number)[], path: string) {
    const at = locateNode(this.#text, this.events(), 1, [...base, ...pathKeys(path)]);
    return at < 0 ? undefined : this.position(at);
  }
  /** `e` placed at its field in this document (or at the document's start). */
  at(e: ConfigError, base: readonly (string | number)[]): ConfigError {
    const loc = this.find(base, e.path);
    return loc === undefined
      ? { ...e, ...this.docLoc() }
      : { ...e, ...(this.source !== undefined ? { source: this.source } : {}), document: this.index, ...loc };
  }
}

/** The origin of an object read by `parseManifests`; line and field positions are found on demand. */
class DocOrigin implements Origin {
  readonly #doc: DocContext;
  readonly #base: readonly (string | number)[];
  #line: number | undefined;
  readonly document: number;
  declare readonly source?: string;
  constructor(doc: DocContext, base: readonly (string | number)[]) {
    this.#doc = doc;
    this.#base = base;
    this.document = doc.index;
    if (doc.source !== undefined) this.source = doc.source;
  }
  get line(): number {
    this.#line ??=
      (this.#base.length === 0 ? undefined : this.#doc.find(this.#base, '')?.line) ??
      this.#doc.docStart().line;
    return this.#line;
  }
  get locate(): (path: string) => { line: number; column: number; offset: number } | undefined {
    return (path) => this.#doc.find(this.#base, path);
  }
}

/** Read every YAML document of `text` (a `---`-separated stream) into validated objects. */
export function parseManifests(text: string, options: ParseManifestsOptions = {}): ParseManifestsResult {
  const objects: ManifestObject[] = [];
  const errors: ConfigError[] = [];
  const warnings: ConfigError[] = [];
  const src = options.source !== undefined ? { source: options.source } : {};
  const cache = options.cache;
  cache?.begin();

  // Line starts of the whole stream, built on first need (errors and locations only).
  let lineStarts: number[] | undefined;
  const position = (offset: number) => {
    if (lineStarts === undefined) {
      lineStarts = [0];
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
    }
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - lineStarts[lo]! + 1, offset };
  };

  const slices = splitDocuments(text);
  if (slices === undefined) readWhole();
  else for (let i = 0; i < slices.length; i++) processDocument(i, slices[i]!);
  cache?.end();
  return { objects, errors, warnings };

  /**
   * A stream with directives (`%YAML 1.2`), which document markers alone do not split: read whole,
   * each document's value with its own share of the stream's events.
   */
  function readWhole(): void {
    let values: unknown[];
    let events: Event[];
    try {
      events = parseEvents(text, {});
      values = loadAll(text, { schema: KUBE_YAML_SCHEMA });
    } catch (e) {
      // Which document: the `---` markers before the error (the stream's first opens document 0).
      const at = e instanceof YAMLException ? (e.mark?.position ?? 0) : 0;
      const markers = text.slice(0, at).match(/^---(?=[ \t\r\n]|$)/gm)?.length ?? 0;
      errors.push({
        ...configError(NO_REF, '', 'yaml-syntax', yamlReason(e)),
        ...src,
        document: Math.max(0, markers - 1),
        ...position(at),
      });
      return;
    }
    let doc = -1;
    let from = 0;
    for (let i = 0; i <= events.length; i++) {
      if (i < events.length && events[i]!.type !== EVENT_ID.DOCUMENT) continue;
      if (doc >= 0) {
        const own = events.slice(from, i);
        processDocument(doc, { text, offset: 0 }, { value: values[doc] }, own);
      }
      doc++;
      from = i;
    }
  }

  function processDocument(
    index: number,
    slice: DocSlice,
    read?: { value: unknown },
    events?: readonly Event[],
  ): void {
    let outcome = read === undefined ? cache?.get(slice.text) : undefined;
    if (read !== undefined) outcome = validateDocument(read.value);
    else if (outcome === undefined && !/^[ \t]*[^\s#]/m.test(slice.text)) outcome = { kind: 'empty' };
    if (outcome === undefined) {
      try {
        outcome = validateDocument(
          parseJsonDocument(slice.text) ?? load(slice.text, { schema: KUBE_YAML_SCHEMA }),
        );
      } catch {
        outcome = { kind: 'yaml-error' };
      }
      cache?.set(slice.text, outcome);
    }
    if (outcome.kind === 'empty') return;
    const doc = new DocContext(slice, index, options.source, position, events);

    if (outcome.kind === 'yaml-error') {
      let at: number | undefined;
      let message = 'invalid YAML';
      try {
        load(slice.text, { schema: KUBE_YAML_SCHEMA });
      } catch (e) {
        message = yamlReason(e);
        if (e instanceof YAMLException && e.mark !== undefined) at = e.mark.position;
      }
      errors.push({
        ...configError(NO_REF, '', 'yaml-syntax', message),
        ...(at === undefined ? doc.docLoc() : { ...src, document: index, ...doc.position(at) }),
      });
      return;
    }
    if (outcome.kind === 'not-an-object') {
      errors.push({
        ...configError(
          NO_REF,
          '',
          'not-an-object',
          `the document is not a mapping (object): ${outcome.preview}`,
        ),
        ...doc.docLoc(),
      });
      return;
    }
    const { results, bases } = outcome;
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!;
      const base = bases[i]!;
      for (const w of r.warnings) warnings.push(doc.at(w, base));
      if (!r.ok) {
        for (const e of r.errors) errors.push(doc.at(e, base));
        continue;
      }
      setOrigin(r.object, new DocOrigin(doc, base));
      objects.push(r.object);
    }
  }
}

/** What the YAML reader says is wrong, without its source snippet. */
function yamlReason(e: unknown): string {
  if (e instanceof YAMLException) return e.reason;
  return e instanceof Error ? (e.message.split('\n')[0] ?? e.message) : String(e);
}
