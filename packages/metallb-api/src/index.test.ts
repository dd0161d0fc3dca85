import { describe, expect, it } from 'vitest';
import * as api from './index.ts';

describe('public API', () => {
  it('exports the entry points the allocator, speaker and CRD tooling use', () => {
    for (const name of [
      'parseManifests',
      'buildConfig',
      'validateObject',
      'validateIPAddressPool',
      'validateBGPPeer',
      'normalizePeer',
      'normalizePool',
      'matchLabelSelector',
      'parsePoolAddress',
      'crdFor',
      'crdYaml',
      'formatConfigError',
      'peersForNode',
      'setOrigin',
      'ManifestCache',
    ]) {
      expect(typeof (api as Record<string, unknown>)[name], name).toBe('function');
    }
    expect(api.crdFor('IPAddressPool').metadata.name).toBe('ipaddresspools.metallb.io');
  });
});
