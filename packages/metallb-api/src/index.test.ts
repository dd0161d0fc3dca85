import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as api from './index.ts';
import * as yaml from './yaml.ts';

const functions = (mod: object, names: string[]) =>
  names.filter((name) => typeof (mod as Record<string, unknown>)[name] !== 'function');

/** Every package a module of this package imports, following its relative imports from `entry`. */
function packagesReachedFrom(entry: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (url: URL) => {
    if (seen.has(url.href)) return;
    seen.add(url.href);
    const text = readFileSync(url, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s[^'"]*?from\s*'([^']+)'/gm)) {
      const spec = m[1] as string;
      if (spec.startsWith('.')) visit(new URL(spec, url));
      else packages.add(spec);
    }
  };
  visit(new URL(entry, import.meta.url));
  return packages;
}

describe('public API', () => {
  it('exports the entry points the allocator, speaker and CRD tooling use', () => {
    expect(
      functions(api, [
        'buildConfig',
        'validateObject',
        'validateIPAddressPool',
        'validateBGPPeer',
        'normalizePeer',
        'normalizePool',
        'matchLabelSelector',
        'parsePoolAddress',
        'crdFor',
        'formatConfigError',
        'peersForNode',
        'setOrigin',
        'originOf',
      ]),
    ).toEqual([]);
    expect(api.crdFor('IPAddressPool').metadata.name).toBe('ipaddresspools.metallb.io');
  });

  it('reads and writes YAML only through the /yaml entry point', () => {
    expect(functions(yaml, ['parseManifests', 'ManifestCache', 'crdYaml', 'crdFiles'])).toEqual([]);
    for (const name of ['parseManifests', 'ManifestCache', 'crdYaml', 'crdFiles'])
      expect(name in api, `${name} in the main entry`).toBe(false);
    // the main entry (what the allocator loads) reaches no YAML library; the /yaml entry does
    expect([...packagesReachedFrom('./index.ts')].filter((p) => /yaml/i.test(p))).toEqual([]);
    expect(packagesReachedFrom('./yaml.ts').has('js-yaml')).toBe(true);
  });
});
