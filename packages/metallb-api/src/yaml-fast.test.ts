// The fast reader against js-yaml: whatever it returns, js-yaml must return for the same text (it may
// give a document up, never read it differently). Checked on named cases, the seed manifests,
// random documents rendered in many styles, and random mutations of them.
import fs from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import { boolYaml11Tag, CORE_SCHEMA, load, mergeTag } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { readFastYaml } from './yaml-fast.ts';

const SCHEMA = CORE_SCHEMA.withTags(boolYaml11Tag, mergeTag);
const SEED_DIR = new URL('../../../../shared/seed-manifests/', import.meta.url);

type Reference = { ok: true; value: unknown } | { ok: false; error: string };

function reference(text: string): Reference {
  try {
    return { ok: true, value: load(text, { schema: SCHEMA }) };
  } catch (e) {
    return { ok: false, error: (e as Error).message.split('\n')[0] ?? '' };
  }
}

/** The property: the fast reader gives up, or agrees with js-yaml exactly. Returns whether it read it. */
function agrees(text: string): boolean {
  const fast = readFastYaml(text, SCHEMA);
  if (fast === undefined) return false;
  const ref = reference(text);
  if (!ref.ok) throw new Error(`fast reader accepted what js-yaml refuses (${ref.error}):\n${text}`);
  if (!isDeepStrictEqual(fast, ref.value))
    throw new Error(
      `fast reader disagrees with js-yaml on:\n${text}\nfast:    ${JSON.stringify(fast)}\njs-yaml: ${JSON.stringify(ref.value)}`,
    );
  return true;
}

/** What `kubectl get services -o yaml` prints: a List, with the annotation `kubectl apply` leaves. */
const KUBECTL_LIST = `apiVersion: v1
items:
- apiVersion: v1
  kind: Service
  metadata:
    annotations:
      kubectl.kubernetes.io/last-applied-configuration: |
        {"apiVersion":"v1","kind":"Service","metadata":{"annotations":{},"name":"web","namespace":"default"},"spec":{"ports":[{"port":80}],"type":"LoadBalancer"}}
    creationTimestamp: "2026-11-25T10:00:00Z"
    managedFields:
    - apiVersion: v1
      fieldsType: FieldsV1
      fieldsV1:
        f:spec:
          f:ports:
            .: {}
            k:{"port":80,"protocol":"TCP"}:
              .: {}
              f:port: {}
      manager: kubectl-client-side-apply
      operation: Update
      time: "2026-11-25T10:00:00Z"
    name: web
    namespace: default
    resourceVersion: "1234"
    uid: 0b0b0b0b-1111-2222-3333-444444444444
  spec:
    allocateLoadBalancerNodePorts: true
    clusterIP: 10.96.12.34
    clusterIPs:
    - 10.96.12.34
    externalTrafficPolicy: Cluster
    ipFamilies:
    - IPv4
    ports:
    - nodePort: 31234
      port: 80
      protocol: TCP
      targetPort: 8080
    type: LoadBalancer
  status:
    loadBalancer:
      ingress:
      - ip: 203.0.113.10
        ipMode: VIP
kind: List
metadata:
  resourceVersion: ""
`;

describe('readFastYaml reads what js-yaml reads', () => {
  it.each([
    ['block mapping', 'a: 1\nb: two\nc: true\nd: null\ne: ~\nf:\n'],
    ['nested mappings', 'metadata:\n  name: web\n  labels:\n    app: web\n    tier: "front"\nspec: {}\n'],
    ['indentless sequence', 'ports:\n- port: 80\n  protocol: TCP\n- port: 443\nnext: 1\n'],
    ['indented sequence', 'list:\n  - a\n  -   b\n  - c: d\n    e: f\n'],
    ['nested compact sequences', 'x:\n- - a\n  - b\n- c\n'],
    ['empty items and values', 'x:\n-\n- a\n-   \nw:\nz: 1\n'],
    ['comments everywhere', '# head\na: 1 # one\n\n   # indented comment\nb: x#y\nc: "q" # c\n'],
    ['quoted keys and values', "\"a b\": 'it''s'\n'c': \"\\x41\\u00e9\\U0001F600\\t\\\"\\\\\\/\"\n"],
    ['flow collections', 'a: [1, two, "3", [x], {k: v}]\nb: {c: d, "e": [f], g: }\nc: [ ]\nd: { }\n'],
    ['JSON-style flow mapping', 'a: {"b":1, "c": [true, null]}\n'],
    [
      'plain scalars of every tag',
      'a: 0x1F\nb: 0o17\nc: 1e3\nd: .5\ne: -.inf\nf: .NaN\ng: +1\nh: 08\ni: yes\nj: Off\nk: 1_000\nl: 2020-01-01\n',
    ],
    [
      'colons and dashes inside plain scalars',
      'a: ::1\nb: 65000:100\nc: -1\nd: -x\ne: http://x/y\nf: a:b\ng: ?x\n',
    ],
    ['trailing spaces', 'a: b   \nc:   \n  d: 1  \n'],
    ['keys that look like Object.prototype members', 'toString: 1\nhasOwnProperty: 2\n'],
    ['non-ASCII', 'name: café\nnote: 日本語 # comment\n'],
    ['literal block scalars', 'a: |\n  line 1\n    more indented\n\n  # not a comment\nb: 1\n'],
    ['literal block scalars, strip and keep', 'a: |-\n  x\n\nb: |+\n  y\n\n\nc: 1\n'],
    ['literal block scalars: leading empty lines, a comment after', 'a: |\n\n  x\n# c\nb: |\n  y\n'],
    ['literal block scalars in sequences', 'l:\n- |\n  text\n- b\n- |-\n    deeper\n'],
    ['kubectl get -o yaml (a List, last-applied-configuration)', KUBECTL_LIST],
  ])('%s', (_name, text) => {
    expect(agrees(text)).toBe(true);
  });

  it.each([
    ['duplicate keys', 'a: 1\na: 2\n'],
    ['duplicate keys in flow', 'x: {a: 1, a: 2}\n'],
    ['anchors and aliases', 'a: &x 1\nb: *x\n'],
    ['tags', 'a: !!str 1\n'],
    ['merge keys', 'base: {a: 1}\nc:\n  <<: {a: 2}\n'],
    ['block scalars with an indentation indicator', 'a: |2\n   text\n'],
    ['empty block scalars', 'a: |\nb: 1\n'],
    ['a block scalar ending the text without a line break', 'a: |\n  y'],
    ['folded block scalars', 'a: >-\n  text\n'],
    ['multi-line plain scalars', 'a: one\n  two\n'],
    ['multi-line quoted scalars', 'a: "one\n  two"\n'],
    ['multi-line flow collections', 'a: [1,\n  2]\n'],
    ['complex keys', '? a\n: b\n'],
    ['non-string keys', 'yes: 1\n'],
    ['numeric keys', '1: x\n'],
    ['__proto__ keys', '__proto__: 1\n'],
    ['tabs', 'a:\tb\n'],
    ['CRLF line ends', 'a: 1\r\nb: 2\r\n'],
    ['a scalar document', 'hello\n'],
    ['a sequence document', '- a\n- b\n'],
    ['mapping values on one line', 'a: b: c\n'],
    ['bad indentation', 'a:\n  - b\n  c: 1\n'],
    ['a comment without a space', 'a: "x"#c\n'],
    ['a key with a space before its colon after a quote', '"a" : 1\n'],
    ['trailing commas in flow', 'a: [b, c,]\n'],
    ['single-pair mappings in flow sequences', 'a: [b: c]\n'],
    ['flow keys without values', 'x: {a}\n'],
    ['content on the document marker line', ' {a: 1}\n'],
    ['an indented first line (it may follow a `---` marker)', '  a: 1\n  b: 2\n'],
    ['an escaped line break', 'a: "x\\\n y"\n'],
    ['surrogate escapes', 'a: "\\ud800"\n'],
  ])('gives up on %s', (_name, text) => {
    expect(readFastYaml(text, SCHEMA)).toBeUndefined();
  });

  it('keeps no file text alive through its cache of repeated keys and values', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 20; i++) {
      // A 5 MB file; its first document has long keys and values, each read once into the cache.
      const file = `kubernetes.io/service-name-${i}: a-service-with-a-long-name-${i}\n---\n${'#'.repeat(5_000_000)}${i}`;
      expect(readFastYaml(file.slice(0, file.indexOf('---')), SCHEMA)).toEqual({
        [`kubernetes.io/service-name-${i}`]: `a-service-with-a-long-name-${i}`,
      });
    }
    gc();
    // Slices of 13 characters or more point into their parent string in V8: cached as they are,
    // they would keep all 20 files (100 MB) alive.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(40e6);
  });

  it('reads every document of the seed manifests as js-yaml does', () => {
    let read = 0;
    let docs = 0;
    for (const f of fs.readdirSync(SEED_DIR).filter((x) => x.endsWith('.yaml'))) {
      const text = fs.readFileSync(new URL(f, SEED_DIR), 'utf8');
      for (const doc of text.split(/^---[ \t]*$/m)) {
        if (!/^[ \t]*[^\s#]/m.test(doc)) continue;
        docs++;
        if (agrees(doc)) read++;
      }
    }
    expect(docs).toBeGreaterThan(5);
    // The seed manifests are ordinary manifests: the fast reader must not give any of them up.
    expect(read).toBe(docs);
  });
});

// ---- Random documents, rendered in many styles ------------------------------------------------

type Tree = string | Tree[] | { [k: string]: Tree };

/** Scalars chosen to probe every resolver and every indicator. */
const TRICKY = [
  'yes',
  'No',
  'ON',
  'off',
  'y',
  'n',
  'true',
  'False',
  '~',
  'null',
  'Null',
  '',
  ' ',
  '0',
  '-0',
  '08',
  '012',
  '0x1F',
  '0o17',
  '0b101',
  '1_000',
  '1e3',
  '-1.5e-3',
  '.5',
  '+.inf',
  '.NaN',
  '1.',
  '2020-01-01',
  '12:30',
  '65000:100',
  '::1',
  'fc00::/7',
  '10.0.0.1',
  '10.0.0.0/24',
  'a b',
  'a  b',
  'a #b',
  'a#b',
  "it's",
  'say "hi"',
  'a: b',
  'a:b',
  '- a',
  '-a',
  '? a',
  '?a',
  ':a',
  'a:',
  '[a]',
  '{a}',
  '*x',
  '&x',
  '!x',
  '|',
  '>',
  '%x',
  '@x',
  '`x',
  'x,y',
  'x]',
  'x}',
  '\\',
  'é',
  '日本',
  'LoadBalancer',
  'metallb.io/v1beta1',
  'kubernetes.io/service-name',
  '__proto__',
  'constructor',
  '<<',
  '---',
  '...',
  '#',
  'a\\nb',
  '\u00a0',
  '\u0085x',
];
// biome-ignore format: a table
const KEYS = ['a', 'b', 'name', 'spec', 'yes', '1', 'a b', 'a:b', 'x-y', '-k', 'constructor', '__proto__', '<<', 'é', '', 'k#', '"q"'];

const scalarArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...TRICKY) },
  { weight: 2, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
);
const keyArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...KEYS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);

const treeArb: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 3, arbitrary: scalarArb },
    { weight: 1, arbitrary: fc.array(tie('tree'), { maxLength: 4 }) },
    {
      weight: 2,
      arbitrary: fc
        .array(fc.tuple(keyArb, tie('tree')), { maxLength: 5 })
        .map((entries) => Object.fromEntries(entries) as Tree),
    },
  ),
})).tree;

interface Style {
  readonly indent: number; // 1..4
  readonly indentless: boolean; // sequences under a key at the key's column
  readonly quote: number; // 0 plain when possible, 1 single, 2 double, 3 mixed
  readonly flowDepth: number; // from this depth on, collections are written in flow style
  readonly comments: boolean;
  readonly trailing: boolean;
  readonly literal: boolean; // strings with line breaks as literal block scalars
  readonly pick: number; // seeds choices that vary per scalar
}

const styleArb: fc.Arbitrary<Style> = fc.record({
  indent: fc.integer({ min: 1, max: 4 }),
  indentless: fc.boolean(),
  quote: fc.integer({ min: 0, max: 3 }),
  flowDepth: fc.integer({ min: 0, max: 4 }),
  comments: fc.boolean(),
  trailing: fc.boolean(),
  literal: fc.boolean(),
  pick: fc.nat(),
});

function doubleQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029)
      out += `\\x${c.toString(16).padStart(2, '0')}`.replace(/^\\x(....)$/, '\\u$1');
    else if (c === 0x2f && s.length % 2 === 0) out += '\\/';
    else out += ch;
  }
  return `${out}"`;
}

/** Renders a scalar: plain when the style says so (even where that changes its meaning: js-yaml decides). */
function scalar(s: string, st: Style, n: number): string {
  const q = st.quote === 3 ? (st.pick + n) % 3 : st.quote;
  if (q === 1) return `'${s.replaceAll("'", "''")}'`;
  if (q === 2) return doubleQuote(s);
  return s;
}

function render(tree: Tree, st: Style): string {
  let n = 0;
  const lines: string[] = [];
  const tail = () => (st.trailing && n % 3 === 0 ? '  ' : '') + (st.comments && n % 4 === 1 ? ' # c' : '');
  const flow = (t: Tree): string => {
    n++;
    if (typeof t === 'string') return scalar(t, st, n);
    if (Array.isArray(t)) return `[${t.map(flow).join(', ')}]`;
    return `{${Object.entries(t)
      .map(([k, v]) => `${scalar(k, st, n)}: ${flow(v)}`)
      .join(', ')}}`;
  };
  const block = (t: Tree, col: number, depth: number, prefix: string): void => {
    n++;
    const pad = ' '.repeat(col);
    if (typeof t === 'string' && st.literal && t.includes('\n')) {
      // A literal block scalar: `|` keeps one final line break, `|-` none, `|+` all of them.
      const body = t.replace(/\n+$/, '');
      const trailing = t.length - body.length;
      lines.push(`${prefix}${trailing === 0 ? '|-' : trailing === 1 ? '|' : '|+'}${tail()}`);
      for (const l of body.split('\n')) lines.push(l === '' ? '' : `${pad}${l}`);
      for (let i = 1; i < trailing; i++) lines.push('');
      return;
    }
    if (
      typeof t === 'string' ||
      depth >= st.flowDepth ||
      (Array.isArray(t) ? t.length === 0 : Object.keys(t).length === 0)
    ) {
      lines.push(`${prefix}${typeof t === 'string' ? scalar(t, st, n) : flow(t)}${tail()}`);
      return;
    }
    if (st.comments && n % 5 === 0) lines.push(`${pad}# comment ${n}`);
    if (Array.isArray(t)) {
      let first = true;
      for (const item of t) {
        const p = first ? `${prefix}- ` : `${pad}- `;
        first = false;
        if (
          typeof item !== 'string' &&
          !Array.isArray(item) &&
          Object.keys(item).length > 0 &&
          depth + 1 < st.flowDepth
        ) {
          block(item, col + 2, depth + 1, p); // compact mapping: `- key: value`
        } else if (typeof item === 'string' || depth + 1 >= st.flowDepth) {
          block(item, col + 2, depth + 1, p);
        } else {
          lines.push(`${p.trimEnd()}${tail()}`);
          block(item, col + st.indent, depth + 1, ' '.repeat(col + st.indent));
        }
      }
      return;
    }
    let first = true;
    for (const [k, v] of Object.entries(t)) {
      const p = first ? prefix : pad;
      first = false;
      const key = `${p}${scalar(k, st, n)}:`;
      const nested =
        typeof v !== 'string' &&
        depth + 1 < st.flowDepth &&
        (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0);
      if (!nested) {
        block(v, col + st.indent, depth + 1, `${key} `);
        continue;
      }
      lines.push(`${key}${tail()}`);
      const c = Array.isArray(v) && st.indentless ? col : col + st.indent;
      block(v, c, depth + 1, ' '.repeat(c));
    }
  };
  block(tree, 0, 0, '');
  if (st.comments) lines.splice(Math.min(1, lines.length), 0, '', '# between');
  return `${lines.join('\n')}\n`;
}

/** Ordinary manifest content (keys and scalars that need no care), in every style. */
const ordinaryTreeArb: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        'web',
        '80',
        'true',
        '10.0.0.1',
        '65000:100',
        'LoadBalancer',
        '1.5',
        'a b',
        '~',
        "it's",
        '{"a":1}\n',
        'two\nlines',
        'x\n\n  y\n\n',
      ),
    },
    { weight: 1, arbitrary: fc.array(tie('tree'), { maxLength: 4 }) },
    {
      weight: 2,
      arbitrary: fc
        .array(
          fc.tuple(
            fc.constantFrom('name', 'spec', 'ports', 'kubernetes.io/service-name', 'x-y', 'a b'),
            tie('tree'),
          ),
          { maxLength: 4 },
        )
        .map((entries) => Object.fromEntries(entries) as Tree),
    },
  ),
})).tree;

const multiLine = (t: Tree): boolean =>
  typeof t === 'string' ? t.includes('\n') : Object.values(t).some(multiLine);

/** Multi-line strings are ordinary in block style only, as literal block scalars. */
const ordinaryArb = fc
  .tuple(
    fc.dictionary(fc.constantFrom('apiVersion', 'kind', 'metadata', 'spec', 'status'), ordinaryTreeArb, {
      minKeys: 1,
    }) as fc.Arbitrary<Tree>,
    styleArb,
  )
  .map(([tree, st]) =>
    render(tree, multiLine(tree) ? { ...st, literal: true, flowDepth: 99, comments: false } : st),
  );

const documentArb = fc
  .tuple(fc.dictionary(keyArb, treeArb, { minKeys: 1, maxKeys: 5 }) as fc.Arbitrary<Tree>, styleArb)
  .map(([tree, st]) => render(tree, st));

const MUTATION_CHARS = [
  ' ',
  '\n',
  ':',
  '-',
  '#',
  '"',
  "'",
  '[',
  ']',
  '{',
  '}',
  ',',
  '\\',
  'a',
  '1',
  '&',
  '*',
  '!',
  '|',
  '>',
  '?',
  '\t',
  '\r',
  '  ',
  ': ',
  '- ',
  '\n  ',
];

const mutatedArb = fc
  .tuple(
    documentArb,
    fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(...MUTATION_CHARS)), {
      minLength: 1,
      maxLength: 3,
    }),
  )
  .map(([doc, edits]) => {
    let s = doc;
    for (const [at, kind, ch] of edits) {
      const i = s.length === 0 ? 0 : at % s.length;
      if (kind % 3 === 0) s = s.slice(0, i) + ch + s.slice(i);
      else if (kind % 3 === 1) s = s.slice(0, i) + s.slice(i + 1);
      else s = s.slice(0, i) + ch + s.slice(i + 1);
    }
    return s;
  });

// Longer hunts: FAST_YAML_RUNS=200000 FAST_YAML_SEED=<n> vitest run src/yaml-fast.test.ts
const RUNS = Number(process.env.FAST_YAML_RUNS ?? 4000);
const SEED = process.env.FAST_YAML_SEED === undefined ? undefined : Number(process.env.FAST_YAML_SEED);

describe('readFastYaml against js-yaml on random documents', () => {
  it('ordinary manifests in every style: it reads them all, as js-yaml does', () => {
    fc.assert(
      fc.property(ordinaryArb, (doc) => {
        if (!agrees(doc)) throw new Error(`gave up on an ordinary document:\n${doc}`);
      }),
      { numRuns: RUNS / 2, seed: SEED ?? 20261124 },
    );
  });

  it('random documents in random styles: it gives up or agrees, and reads most of them', () => {
    let read = 0;
    let total = 0;
    fc.assert(
      fc.property(documentArb, (doc) => {
        total++;
        if (agrees(doc)) read++;
      }),
      { numRuns: RUNS, seed: SEED ?? 20261125 },
    );
    // A reader that gives everything up would pass the property; it must actually read documents.
    if (process.env.FAST_YAML_RUNS !== undefined) console.log(`read ${read} of ${total} random documents`);
    expect(read / total).toBeGreaterThan(0.3);
  });

  it('random mutations of them: it gives up or agrees', () => {
    let read = 0;
    fc.assert(
      fc.property(mutatedArb, (doc) => {
        if (agrees(doc)) read++;
      }),
      { numRuns: RUNS * 2, seed: SEED ?? 20261126 },
    );
    if (process.env.FAST_YAML_RUNS !== undefined)
      console.log(`read ${read} of ${RUNS * 2} mutated documents`);
    expect(read).toBeGreaterThan(RUNS / 8);
  });
});
