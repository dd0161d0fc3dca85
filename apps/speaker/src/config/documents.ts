// Incremental parsing of FILE: the text is cut at its document markers (a `---` or `...` line at
// column 0 is always a marker in YAML 1.2, even inside a block scalar), and each document is parsed
// and validated by @bmlb/metallb-api on its own, then kept by its text: an edit of a few documents
// in a file of thousands re-parses only those. A document written as JSON (YAML 1.2 is a superset,
// `kubectl get -o json` writes it) is read with JSON.parse, which is far faster than a YAML parser.
// Error positions are mapped back to the whole file (line, column, offset, document).
import { type ConfigError, type ManifestObject, parseManifests, validateObject } from '@bmlb/metallb-api';

interface Chunk {
  readonly text: string;
  /** 0-based line of the chunk's first line in the file. */
  readonly line: number;
  /** Character offset of the chunk in the file. */
  readonly offset: number;
}

interface ParsedChunk {
  readonly objects: readonly ManifestObject[];
  /** Positions relative to the chunk. */
  readonly errors: readonly ConfigError[];
  readonly warnings: readonly ConfigError[];
}

export interface ParsedFile {
  readonly objects: ManifestObject[];
  readonly errors: ConfigError[];
  readonly warnings: ConfigError[];
  /** Where each object starts, to place cross-object errors (by kind/namespace/name). */
  readonly placeOf: (e: ConfigError) => ConfigError;
  /** How many documents were parsed anew (not taken from the cache). */
  readonly parsed: number;
}

const MARKER = /^(?:---|\.\.\.)(?:[ \t]|$)/;

/** Cuts `text` before every document marker line. Undefined when the text has directives (`%YAML`). */
export function splitDocuments(text: string): Chunk[] | undefined {
  const chunks: Chunk[] = [];
  let start = 0;
  let startLine = 0;
  let line = 0;
  let pos = 0;
  while (pos <= text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl < 0 ? text.length : nl;
    const l = text.slice(pos, end);
    if (l.startsWith('%')) return undefined;
    if (MARKER.test(l) && pos > start) {
      chunks.push({ text: text.slice(start, pos), line: startLine, offset: start });
      start = pos;
      startLine = line;
    }
    if (nl < 0) break;
    pos = nl + 1;
    line++;
  }
  chunks.push({ text: text.slice(start), line: startLine, offset: start });
  return chunks;
}

function parseChunk(text: string, source: string): ParsedChunk {
  const body = text.replace(/^---[ \t]*(?:#[^\n]*)?\n/, '');
  const t = body.trimStart();
  if (t.startsWith('{')) {
    let raw: unknown;
    try {
      raw = JSON.parse(body);
    } catch {
      raw = undefined; // not JSON after all: YAML reads it (flow mappings, comments, …)
    }
    if (raw !== undefined) {
      const v = validateObject(raw);
      if (v.ok) return { objects: [v.object], errors: [], warnings: v.warnings };
      // Let the YAML path report it: it knows line and column of each field.
    }
  }
  const r = parseManifests(text, { source });
  return { objects: r.objects, errors: r.errors, warnings: r.warnings };
}

function shift(e: ConfigError, c: Chunk, doc: number, source: string): ConfigError {
  return {
    ...e,
    source: e.source ?? source,
    document: doc,
    line: (e.line ?? 1) + c.line,
    ...(e.offset !== undefined ? { offset: e.offset + c.offset } : {}),
  };
}

/** Parses FILE's text, reusing the documents of the previous call whose text did not change. */
export class DocumentCache {
  #cache = new Map<string, ParsedChunk>();

  parse(text: string, source: string): ParsedFile {
    const chunks = splitDocuments(text);
    if (chunks === undefined) {
      const r = parseManifests(text, { source });
      this.#cache.clear();
      return {
        objects: r.objects,
        errors: r.errors,
        warnings: r.warnings,
        placeOf: (e) => e,
        parsed: 1,
      };
    }
    const next = new Map<string, ParsedChunk>();
    const objects: ManifestObject[] = [];
    const errors: ConfigError[] = [];
    const warnings: ConfigError[] = [];
    const where = new Map<string, { chunk: Chunk; doc: number }>();
    let parsed = 0;
    let doc = 0;
    for (const c of chunks) {
      if (c.text.trim() === '' || /^(?:---[ \t]*|\.\.\.[ \t]*)?(?:#[^\n]*)?\s*$/.test(c.text)) continue;
      let p = next.get(c.text) ?? this.#cache.get(c.text);
      if (p === undefined) {
        p = parseChunk(c.text, source);
        parsed++;
      }
      next.set(c.text, p);
      for (const o of p.objects) {
        objects.push(o);
        where.set(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, { chunk: c, doc });
      }
      for (const e of p.errors) errors.push(shift(e, c, doc, source));
      for (const w of p.warnings) warnings.push(shift(w, c, doc, source));
      doc++;
    }
    this.#cache = next;
    const placeOf = (e: ConfigError): ConfigError => {
      const w = where.get(`${e.kind}/${e.namespace}/${e.name}`);
      if (w === undefined) return e;
      return shift(e, w.chunk, w.doc, source);
    };
    return { objects, errors, warnings, placeOf, parsed };
  }
}
