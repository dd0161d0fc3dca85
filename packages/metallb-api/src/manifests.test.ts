import { describe, expect, it } from 'vitest';
import { buildConfig } from './config.ts';
import { formatConfigError } from './errors.ts';
import { ManifestCache, originOf, parseManifests, setOrigin, validateObject } from './manifests.ts';

describe('parseManifests', () => {
  it('reads every document, skips empty ones, and keeps good objects next to bad ones', () => {
    const text = `---
# empty document follows
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: good }
spec: { addresses: [10.0.0.0/24] }
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: bad }
spec:
  addresses: [10.0.0.0/24]
  autoAssing: false
---
apiVersion: metallb.io/v1beta1
kind: BFDProfile
metadata: { name: fast }
spec: { receiveInterval: 50 }
`;
    const r = parseManifests(text, { source: 'cfg.yaml' });
    expect(r.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'IPAddressPool/good',
      'BFDProfile/fast',
    ]);
    expect(r.errors).toEqual([
      {
        kind: 'IPAddressPool',
        namespace: 'metallb-system',
        name: 'bad',
        path: 'spec.autoAssing',
        rule: 'unknown-field',
        message:
          'unknown field "autoAssing" (known fields: addresses, autoAssign, avoidBuggyIPs, serviceAllocation)',
        source: 'cfg.yaml',
        document: 2,
        line: 14,
        column: 15,
        offset: expect.any(Number),
      },
    ]);
    expect(formatConfigError(r.errors[0]!)).toBe(
      'cfg.yaml:14:15 IPAddressPool/metallb-system/bad: spec.autoAssing: unknown field "autoAssing" (known fields: addresses, autoAssign, avoidBuggyIPs, serviceAllocation) [unknown-field]',
    );
    expect(originOf(r.objects[1]!)).toMatchObject({ source: 'cfg.yaml', document: 3, line: 16 });
  });

  it('YAML syntax errors name the file, document and line, and do not stop later documents', () => {
    const r = parseManifests('a: [1, 2\n---\napiVersion: v1\nkind: Node\nmetadata: { name: n1 }\n', {
      source: 'x.yaml',
    });
    expect(r.errors.length).toBeGreaterThan(0);
    expect(r.errors[0]).toMatchObject({ rule: 'yaml-syntax', source: 'x.yaml', document: 0 });
    expect(r.objects.map((o) => o.kind)).toEqual(['Node']);
  });

  it('duplicate keys are a YAML error', () => {
    const r = parseManifests('apiVersion: v1\nkind: Node\nkind: Node\nmetadata: { name: n }\n');
    expect(r.errors.map((e) => e.rule)).toEqual(['yaml-syntax']);
  });

  it('rule missing-type-meta / not-an-object / unknown-kind', () => {
    expect(parseManifests('metadata: { name: x }\n').errors.map((e) => [e.path, e.rule])).toEqual([
      ['apiVersion', 'missing-type-meta'],
    ]);
    expect(parseManifests('- 1\n- 2\n').errors.map((e) => e.rule)).toEqual(['not-an-object']);
    expect(parseManifests('just text\n').errors.map((e) => e.rule)).toEqual(['not-an-object']);
    const u = parseManifests('apiVersion: metallb.io/v1beta1\nkind: BGPPeers\nmetadata: { name: x }\n');
    expect(u.errors).toMatchObject([{ kind: 'BGPPeers', path: 'kind', rule: 'unknown-kind' }]);
  });

  it('L2Advertisement is accepted and ignored with a warning', () => {
    const r = parseManifests(`apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: l2 }
spec: { ipAddressPools: [a], interfaces: [eth0] }
`);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toMatchObject([
      {
        kind: 'L2Advertisement',
        namespace: 'metallb-system',
        name: 'l2',
        rule: 'unsupported-kind',
        message: expect.stringContaining('BGP only'),
      },
    ]);
  });

  it('other API groups are ignored with a warning', () => {
    const r = parseManifests('apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: d }\nspec: {}\n');
    expect(r.errors).toEqual([]);
    expect(r.objects).toHaveLength(1);
    expect(r.warnings.map((w) => w.rule)).toEqual(['unsupported-kind']);
  });

  it('a v1 List is expanded, with errors located inside it', () => {
    const r = parseManifests(`apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Node
    metadata: { name: n1 }
  - apiVersion: metallb.io/v1beta1
    kind: BFDProfile
    metadata: { name: b }
    spec: { detectMultiplier: 1 }
`);
    expect(r.objects.map((o) => o.metadata.name)).toEqual(['n1']);
    expect(r.errors).toMatchObject([
      { kind: 'BFDProfile', path: 'spec.detectMultiplier', rule: 'minimum', line: 10 },
    ]);
  });

  it('validateObject works on already-parsed objects (the Kubernetes source)', () => {
    const r = validateObject({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'Community',
      metadata: { name: 'c' },
      spec: {},
    });
    expect(r.ok).toBe(true);
  });
});

describe('document splitting', () => {
  const node = (n: string) => `apiVersion: v1\nkind: Node\nmetadata: { name: ${n} }\n`;
  const names = (t: string) => parseManifests(t).objects.map((o) => o.metadata.name);

  it('CRLF line endings, a BOM, "..." end markers and content on the --- line', () => {
    expect(
      names(
        `\uFEFF${node('a')}---\r\n${node('b').replace(/\n/g, '\r\n')}...\n--- { apiVersion: v1, kind: Node, metadata: { name: c } }\n`,
      ),
    ).toEqual(['a', 'b', 'c']);
  });

  it('"---" inside a value or indented is not a marker', () => {
    expect(
      parseManifests(`apiVersion: v1
kind: Secret
metadata: { name: s }
stringData:
  a: |
    ---
    not a marker
  b: "x --- y"
`).objects.map((o) => (o as { stringData?: Record<string, string> }).stringData),
    ).toEqual([{ a: '---\nnot a marker\n', b: 'x --- y' }]);
  });

  it('document indexes count explicit empty documents, as YAML does', () => {
    const r = parseManifests(
      `# leading comment\n---\n---\n${node('a')}---\n# only a comment\n---\nfoo: [\n`,
      { source: 'f' },
    );
    expect(r.objects.map((o) => originOf(o)?.document)).toEqual([1]);
    expect(r.errors).toMatchObject([{ rule: 'yaml-syntax', document: 3, line: 11 }]);
  });

  it('streams with %YAML directives go through the full parser', () => {
    const r = parseManifests(`%YAML 1.2\n---\n${node('a')}...\n%YAML 1.2\n---\n${node('b')}`);
    expect(r.errors).toEqual([]);
    expect(r.objects.map((o) => o.metadata.name)).toEqual(['a', 'b']);
  });

  it('reads YAML as kubectl does: 1.1 booleans and merge keys, no timestamps, no base 60', () => {
    const r = parseManifests(`apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: p, creationTimestamp: 2024-01-01T00:00:00Z }
spec:
  addresses: [10.0.0.0/24]
  autoAssign: no
  avoidBuggyIPs: "true"
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: a }
spec:
  communities: [65000:59]
  <<: { localPref: 0100 }
`);
    expect(r.errors.map((e) => [e.name, e.path, e.message])).toEqual([
      ['p', 'spec.avoidBuggyIPs', 'must be a boolean (true or false), got string ("true")'],
    ]);
    expect(r.objects).toHaveLength(1);
    const adv = r.objects[0] as { spec: { communities: string[]; localPref: number } };
    expect(adv.spec.communities).toEqual(['65000:59']);
    expect(adv.spec.localPref).toBe(100);
    const ok = parseManifests(
      'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: { name: p, creationTimestamp: 2024-01-01T00:00:00Z }\nspec: { addresses: [10.0.0.0/24], autoAssign: off }\n',
    );
    expect(ok.errors).toEqual([]);
    expect(ok.objects[0]).toMatchObject({
      metadata: { creationTimestamp: '2024-01-01T00:00:00Z' },
      spec: { autoAssign: false },
    });
  });

  it('an unquoted yes as a label value is a boolean, refused as Kubernetes does', () => {
    const r = parseManifests('apiVersion: v1\nkind: Node\nmetadata: { name: n, labels: { a: yes } }\n');
    // `name: n` is a boolean too (false), as for kubectl
    expect(r.errors.map((e) => [e.path, e.rule, e.message])).toEqual([
      [
        'metadata.name',
        'type',
        'must be a string, got boolean (false: unquoted yes/no/on/off/y/n/true/false are booleans in Kubernetes YAML; quote it)',
      ],
      [
        'metadata.labels.a',
        'type',
        'must be a string, got boolean (true: unquoted yes/no/on/off/y/n/true/false are booleans in Kubernetes YAML; quote it)',
      ],
    ]);
  });

  it('a cache reuses unchanged documents and forgets removed ones', () => {
    const cache = new ManifestCache();
    const first = parseManifests(`${node('a')}---\n${node('b')}`, { cache });
    expect(cache.size).toBe(2);
    const second = parseManifests(`${node('a')}---\n${node('c')}`, { cache });
    expect(second.objects[0]).toBe(first.objects[0]);
    expect(second.objects[1]!.metadata.name).toBe('c');
    expect(cache.size).toBe(2);
    // errors are located afresh in the new text
    const bad = 'apiVersion: v1\nkind: Service\nmetadata: { name: s }\nspec: { type: Nope }\n';
    expect(parseManifests(bad, { cache }).errors[0]).toMatchObject({ line: 4 });
    expect(parseManifests(`${node('x')}---\n${bad}`, { cache }).errors[0]).toMatchObject({
      line: 8,
      document: 1,
    });
  });
});

describe('JSON documents and origins', () => {
  it('a JSON document (kubectl get -o json) is read, and its errors are placed', () => {
    const json = JSON.stringify(
      {
        apiVersion: 'metallb.io/v1beta1',
        kind: 'IPAddressPool',
        metadata: { name: 'j' },
        spec: { addresses: ['10.0.0.0/33'] },
      },
      null,
      2,
    );
    const r = parseManifests(
      `${json}\n---\n{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}}\n`,
      { source: 'x.json' },
    );
    expect(r.objects.map((o) => o.metadata.name)).toEqual(['n1']);
    expect(r.errors).toMatchObject([
      { name: 'j', path: 'spec.addresses[0]', rule: 'invalid-cidr', line: 9, source: 'x.json' },
    ]);
  });

  it('JSON with a duplicate key is refused as YAML refuses it', () => {
    const r = parseManifests(
      '{"apiVersion": "v1", "kind": "Node", "kind": "Node", "metadata": {"name": "n1"}}',
    );
    expect(r.errors.map((e) => e.rule)).toEqual(['yaml-syntax']);
    const nested = parseManifests(
      '{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "labels": {"a": "1", "b": "{\\"a\\": 1}"}}}',
    );
    expect(nested.errors).toEqual([]);
  });

  it('YAML flow mappings and near-JSON documents are read as YAML', () => {
    const r = parseManifests(
      [
        '{apiVersion: v1, kind: Node, metadata: {name: n1, labels: {a: yes}}}',
        '{"apiVersion": v1, "kind": Node, "metadata": {"name": "n2"}}',
        ' { "apiVersion": "v1", "kind": "Node", "metadata": { "name": "n3" } } ',
        '{}',
      ].join('\n---\n'),
    );
    expect(r.objects.map((o) => o.metadata.name)).toEqual(['n2', 'n3']);
    // `yes` is a YAML 1.1 boolean (refused as a label value); `{}` has no apiVersion/kind.
    expect(r.errors.map((e) => [e.document, e.rule])).toEqual([
      [0, 'type'],
      [3, 'missing-type-meta'],
    ]);
  });

  it('JSON duplicate keys are found at any depth, and only real keys count', () => {
    const node = (md: string) => `{"apiVersion": "v1", "kind": "Node", "metadata": ${md}}`;
    const refused = [
      node('{"name": "n1", "labels": {"a": "1", "a": "2"}}'),
      node('{"name": "n1", "labels": {"a\\"b": "1", "a\\"b" : "2"}}'),
      `{"apiVersion": "v1", "kind": "List", "items": [${node('{"name": "n1", "name": "n2"}')}]}`,
      node('{"name": "n1", "annotations": {"\\\\": "x", "\\\\"\n:\t"y"}}'),
    ];
    for (const text of refused) {
      expect(
        parseManifests(text).errors.map((e) => e.rule),
        text,
      ).toEqual(['yaml-syntax']);
    }
    const accepted = [
      // The same key in different objects, and strings that look like keys inside values.
      node('{"name": "n1", "labels": {"name": "x"}, "annotations": {"a": "\\"name\\": 1", "b": "\\\\"}}'),
      `{"apiVersion": "v1", "kind": "List", "items": [${node('{"name": "n1"}')}, ${node('{"name": "n2"}')}]}`,
      node('{"name": "n1", "annotations": {"__proto__": "x", "constructor": "y"}}'),
    ];
    for (const text of accepted) expect(parseManifests(text).errors, text).toEqual([]);
  });

  it('setOrigin lets buildConfig place errors of objects validated one by one', () => {
    const r = validateObject({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'BGPPeer',
      metadata: { name: 'p' },
      spec: { myASN: 1, peerASN: 2, peerAddress: '10.0.0.1', bfdProfile: 'nope' },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    setOrigin(r.object, { source: 'watch', document: 0, line: 7 });
    expect(buildConfig([r.object]).errors).toMatchObject([
      { rule: 'unknown-bfd-profile', source: 'watch', line: 7 },
    ]);
  });
});
