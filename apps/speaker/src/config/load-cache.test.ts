import { ManifestCache } from '@bmlb/metallb-api/yaml';
import { describe, expect, it } from 'vitest';
import { seedManifests } from '../test-support/topology.ts';
import { loadManifests } from './load.ts';

describe('loading edits of FILE incrementally (metallb-api ManifestCache)', () => {
  it('an edit loads with the cache to the same snapshot as without it', () => {
    const cache = new ManifestCache();
    const base = `${seedManifests()}\n`;
    const first = loadManifests(base, 'f.yaml', {}, cache);
    expect(first.ok).toBe(true);
    const edited = `${base}---\napiVersion: v1\nkind: Node\nmetadata: { name: node1, labels: { rack: r1 } }\n`;
    const cached = loadManifests(edited, 'f.yaml', {}, cache);
    const fresh = loadManifests(edited, 'f.yaml');
    expect(JSON.parse(JSON.stringify(cached))).toEqual(JSON.parse(JSON.stringify(fresh)));
    if (!cached.ok) throw new Error(cached.errors.join('\n'));
    expect(cached.snapshot.nodes.map((n) => n.metadata.labels)).toEqual([{ rack: 'r1' }]);
  });

  it('reads JSON documents, to the same objects as YAML', () => {
    const yaml = `${seedManifests()}\n---\napiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n  labels: { rack: r1 }\n`;
    const json = `${seedManifests()}\n---\n${JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { rack: 'r1' } } })}\n`;
    const a = loadManifests(yaml, 'f');
    const b = loadManifests(json, 'f');
    expect(JSON.parse(JSON.stringify(b))).toEqual(JSON.parse(JSON.stringify(a)));
  });

  it('places errors at their line in the whole file, also cross-object ones, with a warm cache', () => {
    const cache = new ManifestCache();
    const seed = seedManifests();
    const lines = seed.split('\n').length;
    loadManifests(`${seed}\n`, 'f.yaml', {}, cache);
    const bad = `${seed}\n---\napiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: { name: other, namespace: metallb-system }\nspec:\n  addresses: [203.0.113.128/25]\n`;
    const r = loadManifests(bad, 'f.yaml', {}, cache);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const overlap = r.errors.find((e) => e.includes('IPAddressPool/metallb-system/other'));
    expect(Number(/^f\.yaml:(\d+)/.exec(overlap ?? '')?.[1])).toBeGreaterThan(lines);
    const typo = loadManifests(
      `${seed}\n---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: { name: t9, namespace: metallb-system }\nspec:\n  myASN: 65100\n  peerASN: 65000\n  peerAddress: 10.0.0.9\n  holdtime: 9s\n`,
      'f.yaml',
      {},
      cache,
    );
    expect(typo.ok).toBe(false);
    if (typo.ok) return;
    expect(typo.errors.join('\n')).toMatch(
      new RegExp(`^f\\.yaml:${lines + 9}:\\d+ BGPPeer/metallb-system/t9: spec.*holdtime`, 'm'),
    );
  });
});
