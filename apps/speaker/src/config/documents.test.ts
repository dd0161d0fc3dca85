import { describe, expect, it } from 'vitest';
import { seedManifests } from '../test-support/topology.ts';
import { DocumentCache, splitDocuments } from './documents.ts';
import { loadManifests } from './load.ts';

describe('incremental document parsing', () => {
  it('cuts at --- and ... lines at column 0 only, keeping line offsets', () => {
    const text = 'a: 1\n---\nb: |\n  ---x\n  y\n--- # c\nc: 3\n...\n';
    const c = splitDocuments(text) ?? [];
    expect(c.map((x) => [x.line, x.text])).toEqual([
      [0, 'a: 1\n'],
      [1, '---\nb: |\n  ---x\n  y\n'],
      [5, '--- # c\nc: 3\n'],
      [7, '...\n'],
    ]);
    expect(splitDocuments('%YAML 1.2\n---\na: 1\n')).toBeUndefined();
  });

  it('re-parses only the documents an edit changed', () => {
    const cache = new DocumentCache();
    const base = seedManifests();
    const first = cache.parse(`${base}\n`, 'f.yaml');
    expect(first.errors).toEqual([]);
    expect(first.parsed).toBeGreaterThan(5);
    const edited = `${base}\n---\napiVersion: v1\nkind: Node\nmetadata: { name: node1 }\n`;
    const second = cache.parse(edited, 'f.yaml');
    expect(second.parsed).toBe(1);
    expect(second.objects.length).toBe(first.objects.length + 1);
  });

  it('reads JSON documents with JSON.parse, to the same objects as YAML', () => {
    const yaml = 'apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n  labels: { rack: r1 }\n';
    const json = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1', labels: { rack: 'r1' } },
    });
    const a = new DocumentCache().parse(yaml, 'f').objects;
    const b = new DocumentCache().parse(json, 'f').objects;
    expect(JSON.parse(JSON.stringify(b))).toEqual(JSON.parse(JSON.stringify(a)));
  });

  it('places errors at their line in the whole file, also cross-object ones', () => {
    const seed = seedManifests();
    const lines = seed.split('\n').length;
    const bad = `${seed}\n---\napiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: { name: other, namespace: metallb-system }\nspec:\n  addresses: [203.0.113.128/25]\n`;
    const r = loadManifests(bad, 'f.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const overlap = r.errors.find((e) => e.includes('IPAddressPool/metallb-system/other'));
    expect(overlap).toBeDefined();
    const line = Number(/^f\.yaml:(\d+)/.exec(overlap ?? '')?.[1]);
    expect(line).toBeGreaterThan(lines);
    const typo = loadManifests(
      `${seed}\n---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: { name: t9, namespace: metallb-system }\nspec:\n  myASN: 65100\n  peerASN: 65000\n  peerAddress: 10.0.0.9\n  holdtime: 9s\n`,
      'f.yaml',
    );
    expect(typo.ok).toBe(false);
    if (typo.ok) return;
    expect(typo.errors.join('\n')).toMatch(
      new RegExp(`^f\\.yaml:${lines + 9}:\\d+ BGPPeer/metallb-system/t9: spec.*holdtime`, 'm'),
    );
  });
});
