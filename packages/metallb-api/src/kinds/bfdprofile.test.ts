import { describe, expect, it } from 'vitest';
import { buildConfig } from '../config.ts';
import { validateBFDProfile } from './bfdprofile.ts';
import { validateCommunity } from './community.ts';

const bfd = (spec: unknown) => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'BFDProfile',
  metadata: { name: 'b' },
  spec,
});
const ref = { kind: 'BFDProfile', namespace: 'metallb-system', name: 'b' };

describe('BFDProfile', () => {
  it("defaults (bfd-core's): 300/300 ms, ×3, echo 50 ms, minimumTtl 254; spec may be omitted", () => {
    const r = validateBFDProfile({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'BFDProfile',
      metadata: { name: 'b' },
    });
    expect(r.ok && buildConfig([r.object]).config.bfdProfiles.get('b')).toEqual({
      name: 'b',
      receiveInterval: 300,
      transmitInterval: 300,
      detectMultiplier: 3,
      echoInterval: 50,
      echoMode: false,
      passiveMode: false,
      minimumTtl: 254,
    });
  });
  it.each([
    ['receiveInterval', 9, 'minimum', 'must be >= 10, got 9'],
    ['receiveInterval', 60001, 'maximum', 'must be <= 60000, got 60001'],
    ['transmitInterval', 5, 'minimum', 'must be >= 10, got 5'],
    ['detectMultiplier', 1, 'minimum', 'must be >= 2, got 1'],
    ['detectMultiplier', 256, 'maximum', 'must be <= 255, got 256'],
    ['echoInterval', 60001, 'maximum', 'must be <= 60000, got 60001'],
    ['minimumTtl', 255, 'maximum', 'must be <= 254, got 255'],
    ['minimumTtl', 0, 'minimum', 'must be >= 1, got 0'],
  ])('rule %s range: %d', (field, value, rule, message) => {
    const r = validateBFDProfile(bfd({ [field]: value }));
    expect(r.ok ? [] : r.errors).toEqual([{ ...ref, path: `spec.${field}`, rule, message }]);
  });
  it('rule type: non-integer interval', () => {
    const r = validateBFDProfile(bfd({ receiveInterval: '300ms' }));
    expect(r.ok ? [] : r.errors).toEqual([
      {
        ...ref,
        path: 'spec.receiveInterval',
        rule: 'type',
        message: 'must be an integer, got string ("300ms")',
      },
    ]);
  });
});

describe('Community', () => {
  const c = (communities: unknown) => ({
    apiVersion: 'metallb.io/v1beta1',
    kind: 'Community',
    metadata: { name: 'c' },
    spec: { communities },
  });
  it('rule invalid-community and duplicate-community inside one object', () => {
    const r = validateCommunity(
      c([
        { name: 'a', value: '65536:1' },
        { name: 'b', value: '1:1' },
        { name: 'b', value: '1:2' },
      ]),
    );
    expect(r.ok ? [] : r.errors.map((e) => [e.path, e.rule])).toEqual([
      ['spec.communities[0].value', 'invalid-community'],
      ['spec.communities[2].name', 'duplicate-community'],
    ]);
  });
});
