import { describe, expect, it } from 'vitest';
import { validateBGPAdvertisement } from './bgpadvertisement.ts';

const adv = (spec: unknown) => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'BGPAdvertisement',
  metadata: { name: 'a' },
  spec,
});
const ref = { kind: 'BGPAdvertisement', namespace: 'metallb-system', name: 'a' };
const errs = (spec: unknown) => {
  const r = validateBGPAdvertisement(adv(spec));
  return r.ok ? [] : r.errors;
};

describe('BGPAdvertisement', () => {
  it('defaults aggregationLength 32 and aggregationLengthV6 128; spec may be empty', () => {
    const r = validateBGPAdvertisement({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'BGPAdvertisement',
      metadata: { name: 'a' },
    });
    expect(r.ok && r.object.spec).toEqual({ aggregationLength: 32, aggregationLengthV6: 128 });
  });

  it('rule minimum / maximum: aggregation lengths and localPref', () => {
    expect(
      errs({ aggregationLength: 0, aggregationLengthV6: 129, localPref: -1 }).map((e) => [e.path, e.rule]),
    ).toEqual([
      ['spec.aggregationLength', 'minimum'],
      ['spec.aggregationLengthV6', 'maximum'],
      ['spec.localPref', 'minimum'],
    ]);
    expect(errs({ aggregationLength: 33 })).toEqual([
      { ...ref, path: 'spec.aggregationLength', rule: 'maximum', message: 'must be <= 32, got 33' },
    ]);
  });

  it('rule duplicate-value: pools, communities, peers', () => {
    expect(errs({ ipAddressPools: ['p', 'p'], communities: ['1:1', '1:1'], peers: ['x', 'x'] })).toEqual([
      {
        ...ref,
        path: 'spec.ipAddressPools[1]',
        rule: 'duplicate-value',
        message: 'duplicate value "p" (same as spec.ipAddressPools[0])',
      },
      {
        ...ref,
        path: 'spec.communities[1]',
        rule: 'duplicate-value',
        message: 'duplicate value "1:1" (same as spec.communities[0])',
      },
      {
        ...ref,
        path: 'spec.peers[1]',
        rule: 'duplicate-value',
        message: 'duplicate value "x" (same as spec.peers[0])',
      },
    ]);
  });

  it('rule invalid-community: a well-formed value out of range (aliases are resolved later)', () => {
    expect(errs({ communities: ['65536:1', 'large:1:2:4294967296', 'my-alias'] })).toEqual([
      {
        ...ref,
        path: 'spec.communities[0]',
        rule: 'invalid-community',
        message: 'invalid community "65536:1": both parts must be 0-65535',
      },
      {
        ...ref,
        path: 'spec.communities[1]',
        rule: 'invalid-community',
        message: 'invalid large community "large:1:2:4294967296": each part must be 0-4294967295',
      },
    ]);
  });

  it('rule invalid-label-selector in nodeSelectors and ipAddressPoolSelectors', () => {
    expect(
      errs({
        nodeSelectors: [{ matchExpressions: [{ key: 'k', operator: 'Exists', values: ['v'] }] }],
        ipAddressPoolSelectors: [{ matchLabels: { '-bad': 'x' } }],
      }).map((e) => [e.path, e.rule]),
    ).toEqual([
      ['spec.ipAddressPoolSelectors[0].matchLabels["-bad"]', 'invalid-label-selector'],
      ['spec.nodeSelectors[0].matchExpressions[0].values', 'invalid-label-selector'],
    ]);
  });

  it('rule enum: an unknown selector operator', () => {
    expect(
      errs({ nodeSelectors: [{ matchExpressions: [{ key: 'k', operator: 'Equals', values: ['v'] }] }] }),
    ).toEqual([
      {
        ...ref,
        path: 'spec.nodeSelectors[0].matchExpressions[0].operator',
        rule: 'enum',
        message: 'must be one of "In", "NotIn", "Exists", "DoesNotExist", got "Equals"',
      },
    ]);
  });

  it('rule unknown-field: top level and spec', () => {
    const r = validateBGPAdvertisement({ ...adv({ aggregationLenght: 24 }), specs: {} });
    expect(r.ok ? [] : r.errors.map((e) => [e.path, e.rule])).toEqual([
      ['spec.aggregationLenght', 'unknown-field'],
      ['specs', 'unknown-field'],
    ]);
  });
  it('serviceSelectors (MetalLB v0.16): kept as written, checked as every selector list', () => {
    const serviceSelectors = [
      { matchLabels: { tier: 'web' } },
      { matchExpressions: [{ key: 'team', operator: 'Exists' }] },
    ];
    const r = validateBGPAdvertisement(adv({ serviceSelectors }));
    expect(r.ok && r.object.spec.serviceSelectors).toEqual(serviceSelectors);
    expect(
      errs({
        serviceSelectors: [
          { matchExpressions: [{ key: 'k', operator: 'In' }] },
          { matchLabels: { '-bad': 'x' } },
        ],
      }).map((e) => [e.path, e.rule]),
    ).toEqual([
      ['spec.serviceSelectors[0].matchExpressions[0].values', 'invalid-label-selector'],
      ['spec.serviceSelectors[1].matchLabels["-bad"]', 'invalid-label-selector'],
    ]);
  });

  it('rule mutually-exclusive: serviceSelectors only with the default aggregation lengths (MetalLB)', () => {
    const serviceSelectors = [{ matchLabels: { tier: 'web' } }];
    expect(errs({ serviceSelectors, aggregationLength: 32, aggregationLengthV6: 128 })).toEqual([]);
    expect(errs({ serviceSelectors: [], aggregationLength: 24 })).toEqual([]);
    expect(errs({ serviceSelectors, aggregationLength: 24, aggregationLengthV6: 64 })).toEqual([
      {
        ...ref,
        path: 'spec.aggregationLength',
        rule: 'mutually-exclusive',
        message:
          'serviceSelectors and aggregationLength are mutually exclusive: with serviceSelectors, aggregationLength must be 32 (the default), got 24',
      },
      {
        ...ref,
        path: 'spec.aggregationLengthV6',
        rule: 'mutually-exclusive',
        message:
          'serviceSelectors and aggregationLengthV6 are mutually exclusive: with serviceSelectors, aggregationLengthV6 must be 128 (the default), got 64',
      },
    ]);
  });

  it('rule unsupported-field: asPathPrepend, which MetalLB accepts (frr-k8s only), is refused by name', () => {
    expect(errs({ asPathPrepend: 3 })).toEqual([
      {
        ...ref,
        path: 'spec.asPathPrepend',
        rule: 'unsupported-field',
        message:
          'asPathPrepend is not supported by bmlb: its speaker announces each Service IP with an AS_PATH of its own AS only (MetalLB supports it only with its frr-k8s backend); remove the field',
      },
    ]);
    // MetalLB's CRD range still applies first.
    expect(errs({ asPathPrepend: 11 }).map((e) => [e.path, e.rule])).toEqual([
      ['spec.asPathPrepend', 'maximum'],
    ]);
  });

  it("localPref: at most 2147483647 (format int32 in MetalLB's CRD, which API servers enforce)", () => {
    expect(errs({ localPref: 2147483647 })).toEqual([]);
    expect(errs({ localPref: 2147483648 }).map((e) => [e.path, e.rule])).toEqual([
      ['spec.localPref', 'maximum'],
    ]);
  });
});
