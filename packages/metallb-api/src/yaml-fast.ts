// A fast reader for the YAML that manifests are written in, and nothing else: block mappings and
// sequences (including the "indentless" sequence under a key that kubectl writes), single-line plain,
// single- and double-quoted scalars, single-line flow collections, and comments. Anything outside
// that subset (anchors, aliases, tags, block scalars, multi-line scalars or flow collections,
// complex keys, merge keys, duplicate keys, tabs, CR, control characters, non-string keys, `__proto__`,
// deep nesting...) makes it give up on the document, which then goes to js-yaml. It never reports
// an error: errors are js-yaml's to report, with their positions.
//
// Plain scalars are resolved with the resolvers of the js-yaml schema it is given, in the schema's
// order, so `yes`, `0x1F`, `~` or `.inf` mean what js-yaml makes of them. Whatever this reader
// returns, js-yaml returns for the same text (checked by differential tests, including random and
// mutated documents); it is several times faster on a bulk edit of thousands of Services.
import { NOT_RESOLVED, type ScalarTagDefinition, type Schema } from 'js-yaml';

/** Thrown inside the reader to give the document up; never escapes `readFastYaml`. */
const GIVE_UP: unique symbol = Symbol('give up');

const NL = 0x0a;
const SP = 0x20;
const HASH = 0x23;
const COLON = 0x3a;
const COMMA = 0x2c;
const DASH = 0x2d;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const BACKSLASH = 0x5c;
const PIPE = 0x7c;
const PLUS = 0x2b;

/** Characters that make the reader give up on the whole document (checked once, natively). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const UNSUPPORTED_CHARS = /[\0-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff]/;

/** Characters no plain scalar of the subset may start with (YAML c-indicators and friends). */
const BAD_PLAIN_START = new Uint8Array(128);
for (const c of ',[]{}#&*!|>\'"%@`') BAD_PLAIN_START[c.charCodeAt(0)] = 1;

/** The one-character escapes of double-quoted scalars (YAML 1.2 §5.7), by the character after `\`. */
const ESCAPES: (string | undefined)[] = [];
for (const [c, v] of Object.entries({
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\x85',
  _: '\xa0',
  L: '\u2028',
  P: '\u2029',
}))
  ESCAPES[c.charCodeAt(0)] = v;

/** Flow indicators: they end a plain scalar inside a flow collection. */
const isFlowIndicator = (c: number): boolean =>
  c === COMMA || c === LBRACKET || c === RBRACKET || c === LBRACE || c === RBRACE;

/** Deepest nesting the reader follows before giving up (js-yaml has no such limit, so it decides). */
const MAX_DEPTH = 256;

/** The implicit resolvers of a schema, dispatched by first character as js-yaml does. */
class PlainResolver {
  readonly #ascii: (readonly ScalarTagDefinition[])[] = [];
  readonly #other: readonly ScalarTagDefinition[];
  readonly #empty: readonly ScalarTagDefinition[];

  readonly #listed: ReadonlySet<string>;
  readonly #forKey: (key: string) => readonly ScalarTagDefinition[];

  constructor(schema: Schema) {
    const implicit = schema.tags.filter(
      (t): t is ScalarTagDefinition => t.nodeKind === 'scalar' && t.implicit,
    );
    // As js-yaml: the resolvers that list the first character, or that list none, in schema order.
    this.#forKey = (key) =>
      implicit.filter((t) => t.implicitFirstChars === null || t.implicitFirstChars.includes(key));
    this.#listed = new Set(implicit.flatMap((t) => t.implicitFirstChars ?? []));
    this.#other = implicit.filter((t) => t.implicitFirstChars === null);
    this.#empty = this.#forKey('');
    for (let c = 0; c < 128; c++) this.#ascii[c] = this.#forKey(String.fromCharCode(c));
  }

  /** The candidates for a scalar, in schema order. */
  #candidates(s: string): readonly ScalarTagDefinition[] {
    if (s.length === 0) return this.#empty;
    const c = s.charCodeAt(0);
    if (c < 128) return this.#ascii[c]!;
    const ch = s.charAt(0);
    return this.#listed.has(ch) ? this.#forKey(ch) : this.#other;
  }

  /** The value of a plain scalar, as js-yaml resolves it. */
  value(s: string): unknown {
    for (const t of this.#candidates(s)) {
      const v = t.resolve(s, false, t.tagName);
      if (v !== NOT_RESOLVED) return v;
    }
    return s;
  }

  /** True when the plain scalar resolves to no implicit tag, i.e. it is the string itself. */
  isString(s: string): boolean {
    for (const t of this.#candidates(s)) if (t.resolve(s, false, t.tagName) !== NOT_RESOLVED) return false;
    return true;
  }

  // Manifests repeat the same keys and many of the same values thousands of times. A small cache,
  // indexed by a hash of a few characters and checked with startsWith, finds them without slicing
  // the text (and without V8 interning a fresh key string for every property it sets). Resolution
  // depends on the text alone, so a cached result is the one resolving again would give.
  readonly #keys: (string | undefined)[] = new Array(CACHE_SLOTS);
  readonly #valueTexts: (string | undefined)[] = new Array(CACHE_SLOTS);
  readonly #values: unknown[] = new Array(CACHE_SLOTS);

  /** The plain scalar `t[start, end)` as a mapping key, or undefined when it does not resolve to a string. */
  keyAt(t: string, start: number, end: number): string | undefined {
    const h = slot(t, start, end);
    const cached = this.#keys[h];
    if (cached !== undefined && cached.length === end - start && t.startsWith(cached, start)) return cached;
    const s = t.slice(start, end);
    if (!this.isString(s)) return undefined;
    const kept = detach(s);
    this.#keys[h] = kept;
    return kept;
  }

  /** The value of the plain scalar `t[start, end)`. */
  valueAt(t: string, start: number, end: number): unknown {
    const h = slot(t, start, end);
    const cached = this.#valueTexts[h];
    if (cached !== undefined && cached.length === end - start && t.startsWith(cached, start))
      return this.#values[h];
    const s = t.slice(start, end);
    const v = this.value(s);
    if (v === null || typeof v !== 'object') {
      const kept = detach(s);
      this.#valueTexts[h] = kept;
      this.#values[h] = v === s ? kept : v;
    }
    return v;
  }
}

const CACHE_SLOTS = 4096;

/**
 * A copy of `s` that does not keep the text it was sliced from alive: V8 makes a slice of 13 or more
 * characters point into its parent string, and the cache outlives the file text it read. Flattening
 * a concatenation copies the characters into a new string, which the result then points into.
 */
const detach = (s: string): string => (s.length < 13 ? s : ` ${s}`.slice(1));

/** A cheap hash of a span: its length and three of its characters. */
const slot = (t: string, start: number, end: number): number =>
  (end -
    start +
    t.charCodeAt(start) * 31 +
    t.charCodeAt(end - 1) * 961 +
    t.charCodeAt((start + end) >> 1) * 7) &
  (CACHE_SLOTS - 1);

const resolvers = new WeakMap<Schema, PlainResolver>();

/**
 * Read one YAML document of the manifest subset. Returns its value (always a mapping) or
 * `undefined` when the document uses anything outside the subset, or is not valid YAML: then
 * js-yaml must read it.
 */
export function readFastYaml(text: string, schema: Schema): Record<string, unknown> | undefined {
  if (UNSUPPORTED_CHARS.test(text)) return undefined;
  let resolver = resolvers.get(schema);
  if (resolver === undefined) {
    resolver = new PlainResolver(schema);
    resolvers.set(schema, resolver);
  }
  try {
    return new Reader(text, resolver).document();
  } catch (e) {
    if (e === GIVE_UP || e instanceof RangeError) return undefined;
    throw e;
  }
}

function giveUp(): never {
  throw GIVE_UP;
}

class Reader {
  readonly #t: string;
  readonly #len: number;
  readonly #r: PlainResolver;
  /** Position of the current token. */
  #pos = 0;
  /** Column of the current token (for a line's first token, the line's indentation). */
  #col = 0;
  /** No more content lines. */
  #eof = false;
  #depth = 0;

  constructor(text: string, resolver: PlainResolver) {
    this.#t = text;
    this.#len = text.length;
    this.#r = resolver;
  }

  document(): Record<string, unknown> | undefined {
    const t = this.#t;
    // Content on the first line may follow a `---` marker (`--- {a: 1}`), whose column is unknown here.
    const firstEol = t.indexOf('\n');
    const first = firstEol === -1 ? t : t.slice(0, firstEol);
    const trimmed = first.trimStart();
    if (trimmed !== '' && trimmed.charCodeAt(0) !== HASH && first.charCodeAt(0) === SP) return undefined;
    this.#toLine(0);
    if (this.#eof) return undefined;
    const root = this.#blockNode(this.#col, -1);
    if (!this.#eof) giveUp();
    if (root === null || typeof root !== 'object' || Array.isArray(root)) return undefined;
    return root as Record<string, unknown>;
  }

  /** Moves to the first content line at or after the line starting at `start`. */
  #toLine(start: number): void {
    const t = this.#t;
    let p = start;
    while (p < this.#len) {
      let q = p;
      while (t.charCodeAt(q) === SP) q++;
      const c = t.charCodeAt(q);
      if (q < this.#len && c !== NL && c !== HASH) {
        this.#pos = q;
        this.#col = q - p;
        return;
      }
      const eol = t.indexOf('\n', q);
      if (eol === -1) break;
      p = eol + 1;
    }
    this.#eof = true;
    this.#pos = this.#len;
    this.#col = -1;
  }

  /** After a token: only spaces or a comment may remain on the line; then moves to the next line. */
  #endLine(): void {
    const t = this.#t;
    let p = this.#pos;
    while (t.charCodeAt(p) === SP) p++;
    if (p >= this.#len) {
      this.#toLine(this.#len);
      return;
    }
    const c = t.charCodeAt(p);
    if (c === HASH) {
      const before = t.charCodeAt(p - 1);
      if (p > 0 && before !== SP && before !== NL) giveUp(); // a comment needs a space before it
      const eol = t.indexOf('\n', p);
      this.#toLine(eol === -1 ? this.#len : eol + 1);
      return;
    }
    if (c !== NL) giveUp();
    this.#toLine(p + 1);
  }

  #isSeqEntry(p: number): boolean {
    const t = this.#t;
    if (t.charCodeAt(p) !== DASH) return false;
    const n = t.charCodeAt(p + 1);
    return p + 1 >= this.#len || n === SP || n === NL;
  }

  /**
   * A node starting at the current token, whose column is `col`, in a block whose indentation is
   * `parentIndent` (-1 at the root; what a literal block scalar's lines must be indented beyond).
   */
  #blockNode(col: number, parentIndent: number): unknown {
    if (++this.#depth > MAX_DEPTH) giveUp();
    try {
      if (this.#isSeqEntry(this.#pos)) return this.#blockSeq(col);
      const key = this.#blockKey();
      if (key !== undefined) return this.#blockMap(col, key);
      if (this.#t.charCodeAt(this.#pos) === PIPE) return this.#literal(parentIndent);
      const v = this.#inlineValue();
      this.#endLine();
      return v;
    } finally {
      this.#depth--;
    }
  }

  /**
   * If the current token is an implicit key (a scalar followed by `:` and a space or the end of the
   * line), consumes it and the `:` and returns it; otherwise leaves the position unchanged.
   */
  #blockKey(): string | undefined {
    const t = this.#t;
    const start = this.#pos;
    const c = t.charCodeAt(start);
    if (c === DQUOTE || c === SQUOTE) {
      const key = c === DQUOTE ? this.#doubleQuoted() : this.#singleQuoted();
      if (t.charCodeAt(this.#pos) === COLON && this.#spaceOrEol(this.#pos + 1)) {
        if (this.#pos - start > 1024 || key === '__proto__') giveUp(); // YAML limits implicit keys
        this.#pos++;
        return key;
      }
      this.#pos = start;
      return undefined;
    }
    if (!this.#plainStart(start, false)) return undefined;
    // The first `: ` (or `:` at the end of the line) before a comment or the end of the line.
    let p = start;
    for (;;) {
      const ch = t.charCodeAt(p);
      if (p >= this.#len || ch === NL) return undefined;
      if (ch === COLON && this.#spaceOrEol(p + 1)) break;
      if (ch === HASH && t.charCodeAt(p - 1) === SP) return undefined;
      p++;
    }
    let end = p;
    while (t.charCodeAt(end - 1) === SP) end--;
    if (end - start > 1024) giveUp();
    const key = this.#r.keyAt(t, start, end);
    if (key === undefined || key === '__proto__') giveUp();
    this.#pos = p + 1;
    return key;
  }

  #spaceOrEol(p: number): boolean {
    const c = this.#t.charCodeAt(p);
    return p >= this.#len || c === SP || c === NL;
  }

  /** Whether a plain scalar may start at `p` (in a flow collection when `flow`). */
  #plainStart(p: number, flow: boolean): boolean {
    const t = this.#t;
    const c = t.charCodeAt(p);
    if (p >= this.#len || c === SP || c === NL) return false;
    if (c < 128 && BAD_PLAIN_START[c] === 1) return false;
    if (c === DASH || c === 0x3f /* ? */ || c === COLON) {
      const n = t.charCodeAt(p + 1);
      if (p + 1 >= this.#len || n === SP || n === NL) return false;
      if (flow && isFlowIndicator(n)) return false;
    }
    return true;
  }

  /** A block mapping at column `col`, whose first key has just been read. */
  #blockMap(col: number, firstKey: string): Record<string, unknown> {
    const t = this.#t;
    const obj: Record<string, unknown> = {};
    let key: string | undefined = firstKey;
    for (;;) {
      if (key === undefined) {
        key = this.#blockKey();
        if (key === undefined) giveUp();
      }
      if (Object.hasOwn(obj, key)) giveUp(); // a repeated key: js-yaml reports it
      let p = this.#pos;
      while (t.charCodeAt(p) === SP) p++;
      const c = t.charCodeAt(p);
      let value: unknown;
      if (p >= this.#len || c === NL || c === HASH) {
        // The value is on the following lines (or empty).
        this.#pos = p;
        this.#endLine();
        if (this.#eof || this.#col < col) value = this.#r.value('');
        else if (this.#col === col) {
          value = this.#isSeqEntry(this.#pos) ? this.#blockSeq(col) : this.#r.value('');
        } else value = this.#blockNode(this.#col, col);
      } else {
        this.#pos = p;
        if (c === PIPE) value = this.#literal(col);
        else {
          value = this.#inlineValue();
          this.#endLine();
        }
        if (!this.#eof && this.#col > col) giveUp(); // a multi-line scalar, or bad indentation
      }
      obj[key] = value;
      if (this.#eof || this.#col < col) return obj;
      if (this.#col > col || this.#isSeqEntry(this.#pos)) giveUp();
      key = undefined;
    }
  }

  /** A block sequence whose first `-` is the current token, at column `col`. */
  #blockSeq(col: number): unknown[] {
    const t = this.#t;
    const arr: unknown[] = [];
    for (;;) {
      let p = this.#pos + 1;
      while (t.charCodeAt(p) === SP) p++;
      const c = t.charCodeAt(p);
      if (p >= this.#len || c === NL || c === HASH) {
        this.#pos = p;
        this.#endLine();
        arr.push(!this.#eof && this.#col > col ? this.#blockNode(this.#col, col) : this.#r.value(''));
      } else {
        // The item's column: the `-`'s column plus the distance from the `-` to the item.
        const itemCol = col + (p - this.#pos);
        this.#pos = p;
        this.#col = itemCol;
        arr.push(this.#blockNode(itemCol, col));
      }
      if (this.#eof || this.#col < col) return arr;
      if (this.#col > col) giveUp();
      if (!this.#isSeqEntry(this.#pos)) return arr;
    }
  }

  /**
   * A literal block scalar (`|`, `|-`, `|+`; YAML 1.2 §8.1.2) at the current token, whose lines are
   * indented beyond `parentIndent`; what `kubectl get -o yaml` writes for
   * `kubectl.kubernetes.io/last-applied-configuration`. Moves to the line after it. Gives up on an
   * indentation indicator, on an empty scalar, on a scalar that ends the text without a line break,
   * and on lines of spaces only that are longer than the indentation (where the rules are subtle).
   */
  #literal(parentIndent: number): string {
    const t = this.#t;
    const len = this.#len;
    let p = this.#pos + 1;
    let chomp = 0; // 0 clip, -1 strip, 1 keep
    const h = t.charCodeAt(p);
    if (h === DASH) chomp = -1;
    else if (h === PLUS) chomp = 1;
    if (chomp !== 0) p++;
    const h2 = t.charCodeAt(p);
    if ((h2 >= 0x30 && h2 <= 0x39) || h2 === DASH || h2 === PLUS) giveUp(); // indentation indicator
    let q = p;
    while (t.charCodeAt(q) === SP) q++;
    if (q < len && t.charCodeAt(q) !== NL) {
      if (t.charCodeAt(q) !== HASH || q === p) giveUp(); // only a comment may follow the header
      q = t.indexOf('\n', q);
      if (q === -1) q = len;
    }
    let out = '';
    let indent = -1;
    let leading = 0; // the longest run of spaces on the empty lines before the first content line
    let breaks = 0; // empty lines since the last content line (or the header)
    let lastBreak = false; // whether a content line came before (each ends with a line break)
    let ls = q + 1;
    while (ls < len) {
      let sp = 0;
      while (t.charCodeAt(ls + sp) === SP) sp++;
      let eol = t.indexOf('\n', ls);
      if (eol === -1) eol = len;
      if (ls + sp === eol) {
        // Only spaces: an empty line (a line break of the content).
        if (indent === -1) leading = Math.max(leading, sp);
        else if (sp > indent) giveUp();
        if (eol === len) giveUp(); // spaces at the very end, without a line break
        breaks++;
        ls = eol + 1;
        continue;
      }
      if (indent === -1) {
        if (sp <= parentIndent) break;
        if (leading > sp) giveUp();
        indent = sp;
      }
      if (sp < indent) break;
      // The text ending right after a line of the scalar: js-yaml and the spec's wording differ.
      if (eol === len) giveUp();
      out += `${lastBreak ? '\n' : ''}${'\n'.repeat(breaks)}${t.slice(ls + indent, eol)}`;
      breaks = 0;
      lastBreak = true;
      ls = eol + 1;
    }
    if (indent === -1) giveUp(); // an empty block scalar
    if (chomp === 0 && lastBreak) out += '\n';
    else if (chomp === 1) out += `${lastBreak ? '\n' : ''}${'\n'.repeat(breaks)}`;
    this.#toLine(Math.min(ls, len));
    return out;
  }

  /** A scalar or flow collection that ends on this line (what may follow it is checked by the caller). */
  #inlineValue(): unknown {
    const t = this.#t;
    const c = t.charCodeAt(this.#pos);
    if (c === DQUOTE) return this.#doubleQuoted();
    if (c === SQUOTE) return this.#singleQuoted();
    if (c === LBRACKET || c === LBRACE) return this.#flow();
    if (!this.#plainStart(this.#pos, false)) giveUp();
    const start = this.#pos;
    let p = start;
    for (;;) {
      const ch = t.charCodeAt(p);
      if (p >= this.#len || ch === NL) break;
      if (ch === HASH && t.charCodeAt(p - 1) === SP) break;
      if (ch === COLON && this.#spaceOrEol(p + 1)) giveUp(); // `a: b: c`
      p++;
    }
    let end = p;
    while (t.charCodeAt(end - 1) === SP) end--;
    this.#pos = end;
    return this.#r.valueAt(t, start, end);
  }

  /** A double-quoted scalar on one line; leaves the position after the closing quote. */
  #doubleQuoted(): string {
    const t = this.#t;
    let p = this.#pos + 1;
    let seg = p;
    let out = '';
    for (;;) {
      if (p >= this.#len) giveUp();
      const c = t.charCodeAt(p);
      if (c === DQUOTE) break;
      if (c === NL) giveUp(); // multi-line: folding rules are js-yaml's
      if (c === BACKSLASH) {
        out += t.slice(seg, p);
        const e = t.charCodeAt(p + 1);
        const simple = e < 128 ? ESCAPES[e] : undefined;
        // \xXX, \uXXXX, \UXXXXXXXX; anything else (an escaped line break too) is js-yaml's.
        const digits = simple !== undefined ? 0 : e === 0x78 ? 2 : e === 0x75 ? 4 : e === 0x55 ? 8 : giveUp();
        out += simple ?? this.#hexEscape(p + 2, digits);
        const skip = 2 + digits;
        p += skip;
        seg = p;
        continue;
      }
      p++;
    }
    out += t.slice(seg, p);
    this.#pos = p + 1;
    return out;
  }

  #hexEscape(p: number, digits: number): string {
    const h = this.#t.slice(p, p + digits);
    if (h.length !== digits || !/^[0-9a-fA-F]+$/.test(h)) giveUp();
    const cp = Number.parseInt(h, 16);
    // Surrogates and out-of-range code points: js-yaml's own handling decides.
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) giveUp();
    return String.fromCodePoint(cp);
  }

  /** A single-quoted scalar on one line; leaves the position after the closing quote. */
  #singleQuoted(): string {
    const t = this.#t;
    let p = this.#pos + 1;
    let out = '';
    let seg = p;
    for (;;) {
      const q = t.indexOf("'", p);
      const nl = t.indexOf('\n', p);
      if (q === -1 || (nl !== -1 && nl < q)) giveUp();
      if (t.charCodeAt(q + 1) === SQUOTE) {
        out += t.slice(seg, q + 1);
        p = q + 2;
        seg = p;
        continue;
      }
      out += t.slice(seg, q);
      this.#pos = q + 1;
      return out;
    }
  }

  #skipFlowSpaces(): number {
    const t = this.#t;
    let p = this.#pos;
    while (t.charCodeAt(p) === SP) p++;
    this.#pos = p;
    const c = t.charCodeAt(p);
    if (p >= this.#len || c === NL || c === HASH) giveUp(); // flow collections stay on one line
    return c;
  }

  /** A flow collection on one line; leaves the position after its closing bracket. */
  #flow(): unknown {
    if (++this.#depth > MAX_DEPTH) giveUp();
    try {
      const t = this.#t;
      const open = t.charCodeAt(this.#pos);
      this.#pos++;
      if (open === LBRACKET) {
        const arr: unknown[] = [];
        if (this.#skipFlowSpaces() === RBRACKET) {
          this.#pos++;
          return arr;
        }
        for (;;) {
          arr.push(this.#flowNode());
          const c = this.#skipFlowSpaces();
          if (c === RBRACKET) {
            this.#pos++;
            return arr;
          }
          if (c !== COMMA) giveUp(); // includes `[a: b]`, a one-pair mapping
          this.#pos++;
          if (this.#skipFlowSpaces() === RBRACKET) giveUp(); // a trailing comma
        }
      }
      const obj: Record<string, unknown> = {};
      if (this.#skipFlowSpaces() === RBRACE) {
        this.#pos++;
        return obj;
      }
      for (;;) {
        const key = this.#flowKey();
        if (key === '__proto__' || Object.hasOwn(obj, key)) giveUp();
        if (this.#skipFlowSpaces() !== COLON) giveUp(); // `{a}`: a key without a value
        this.#pos++;
        const c = this.#skipFlowSpaces();
        obj[key] = c === COMMA || c === RBRACE ? this.#r.value('') : this.#flowNode();
        const d = this.#skipFlowSpaces();
        if (d === RBRACE) {
          this.#pos++;
          return obj;
        }
        if (d !== COMMA) giveUp();
        this.#pos++;
        if (this.#skipFlowSpaces() === RBRACE) giveUp(); // a trailing comma
      }
    } finally {
      this.#depth--;
    }
  }

  #flowKey(): string {
    const t = this.#t;
    const c = t.charCodeAt(this.#pos);
    if (c === DQUOTE) return this.#doubleQuoted();
    if (c === SQUOTE) return this.#singleQuoted();
    const start = this.#flowPlain();
    const key = this.#r.keyAt(this.#t, start, this.#pos);
    if (key === undefined) giveUp();
    return key;
  }

  #flowNode(): unknown {
    const c = this.#t.charCodeAt(this.#pos);
    if (c === DQUOTE) return this.#doubleQuoted();
    if (c === SQUOTE) return this.#singleQuoted();
    if (c === LBRACKET || c === LBRACE) return this.#flow();
    const start = this.#flowPlain();
    return this.#r.valueAt(this.#t, start, this.#pos);
  }

  /**
   * A plain scalar inside a flow collection, which ends at a flow indicator, `: `, ` #` or the
   * line's end: returns its start and leaves the position at its end (trailing spaces excluded).
   */
  #flowPlain(): number {
    const t = this.#t;
    const start = this.#pos;
    if (!this.#plainStart(start, true)) giveUp();
    let p = start;
    for (;;) {
      const ch = t.charCodeAt(p);
      if (p >= this.#len || ch === NL) giveUp();
      if (ch === COMMA || ch === RBRACKET || ch === RBRACE) break;
      if (ch === LBRACKET || ch === LBRACE) giveUp();
      if (ch === HASH && t.charCodeAt(p - 1) === SP) giveUp();
      if (ch === COLON) {
        const n = t.charCodeAt(p + 1);
        if (p + 1 >= this.#len || n === SP || n === NL || isFlowIndicator(n)) break;
      }
      p++;
    }
    let end = p;
    while (t.charCodeAt(end - 1) === SP) end--;
    this.#pos = end;
    return start;
  }
}
