// Whatever a user writes, loading reports errors; it never throws.
import fc from 'fast-check';
import { dump as stringify } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { buildConfig } from './config.ts';
import { parseManifests, validateObject } from './manifests.ts';

const kinds = [
  'IPAddressPool',
  'BGPPeer',
  'BGPAdvertisement',
  'BFDProfile',
  'Community',
  'Service',
  'EndpointSlice',
  'Node',
  'Secret',
  'L2Advertisement',
  'List',
];
const versions = ['metallb.io/v1beta1', 'metallb.io/v1beta2', 'v1', 'discovery.k8s.io/v1'];

const fieldValue = fc.oneof(
  fc.constantFrom(
    '10.0.0.0/24',
    '10.0.0.1-10.0.0.9',
    '2001:db8::/64',
    '90s',
    '65000:100',
    'large:1:2:3',
    'In',
    'x',
  ),
  fc.integer({ min: -5, max: 70000 }),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 8 }),
);
const specLike = fc.dictionary(
  fc.constantFrom(
    'addresses',
    'autoAssign',
    'myASN',
    'peerASN',
    'peerAddress',
    'holdTime',
    'keepaliveTime',
    'nodeSelectors',
    'communities',
    'ipAddressPools',
    'peers',
    'aggregationLength',
    'localPref',
    'receiveInterval',
    'passwordSecret',
    'bfdProfile',
    'serviceAllocation',
    'type',
    'ports',
    'matchLabels',
    'matchExpressions',
    'connectTime',
  ),
  fc.oneof(
    fieldValue,
    fc.array(fc.oneof(fieldValue, fc.dictionary(fc.string({ maxLength: 6 }), fieldValue, { maxKeys: 3 })), {
      maxLength: 3,
    }),
    fc.dictionary(fc.string({ maxLength: 6 }), fieldValue, { maxKeys: 3 }),
  ),
  { maxKeys: 8 },
);
const objectLike = fc.record(
  {
    apiVersion: fc.oneof(fc.constantFrom(...versions), fc.anything()),
    kind: fc.oneof(fc.constantFrom(...kinds), fc.anything()),
    metadata: fc.oneof(
      fc.record(
        {
          name: fc.oneof(fc.constantFrom('a', 'b'), fc.anything()),
          namespace: fc.constantFrom('metallb-system', 'x', ''),
        },
        { requiredKeys: [] },
      ),
      fc.anything(),
    ),
    spec: fc.oneof(specLike, fc.anything()),
    items: fc.array(fc.anything(), { maxLength: 2 }),
    endpoints: fc.anything(),
  },
  { requiredKeys: [] },
);

describe('robustness', () => {
  it('validateObject never throws on arbitrary objects', () => {
    fc.assert(
      fc.property(fc.oneof(objectLike, fc.anything()), (o) => {
        const r = validateObject(o);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
  });

  it('parseManifests + buildConfig never throw on arbitrary YAML streams', () => {
    fc.assert(
      fc.property(fc.array(objectLike, { maxLength: 6 }), (objs) => {
        const text = objs.map((o) => stringify(o)).join('---\n');
        const r = parseManifests(text, { source: 'fuzz.yaml' });
        const b = buildConfig(r.objects);
        expect(b.config.pools.size).toBeLessThanOrEqual(objs.length);
        for (const e of [...r.errors, ...b.errors]) expect(e.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });

  it('parseManifests never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (t) => {
        const r = parseManifests(t);
        expect(Array.isArray(r.objects)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('prototype keys are plain data', () => {
  it('__proto__, constructor and toString as field names are unknown fields, not prototype lookups', () => {
    const r = parseManifests(`apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: p }
spec:
  addresses: [10.0.0.0/24]
  __proto__: { autoAssign: false }
  constructor: 1
  toString: x
`);
    expect(r.errors.map((e) => [e.path, e.rule])).toEqual([
      ['spec.__proto__', 'unknown-field'],
      ['spec.constructor', 'unknown-field'],
      ['spec.toString', 'unknown-field'],
    ]);
    const k = parseManifests('apiVersion: metallb.io/v1beta1\nkind: constructor\nmetadata: { name: p }\n');
    expect(k.errors.map((e) => e.rule)).toEqual(['unknown-kind']);
    const d = parseManifests(
      'apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: { name: p }\nspec: { myASN: 1, peerASN: 2, peerAddress: 10.0.0.1, holdTime: 1constructor }\n',
    );
    expect(d.errors.map((e) => e.rule)).toEqual(['invalid-duration']);
    const svc = parseManifests(
      'apiVersion: v1\nkind: Service\nmetadata: { name: s }\nspec: { __proto__: { type: LoadBalancer } }\n',
    );
    expect(svc.errors).toEqual([]);
    expect(({} as Record<string, unknown>).type).toBeUndefined();
  });
});

describe('pool overlap detection (property)', () => {
  it('reports exactly the pools that overlap an earlier pool, against brute force', () => {
    const rangeArb = fc
      .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 40 }))
      .map(([s, len]) => {
        const e = Math.min(255, s + len);
        return { s, e, text: s === e ? `10.0.0.${s}` : `10.0.0.${s}-10.0.0.${e}` };
      });
    fc.assert(
      fc.property(fc.array(rangeArb, { minLength: 1, maxLength: 8 }), (ranges) => {
        const yaml = ranges
          .map(
            (r, i) =>
              `apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: { name: p${i} }\nspec: { addresses: ["${r.text}"] }\n`,
          )
          .join('---\n');
        const { config, errors } = buildConfig(parseManifests(yaml).objects);
        const expected = new Set<string>();
        ranges.forEach((r, i) => {
          if (ranges.slice(0, i).some((q) => q.s <= r.e && r.s <= q.e)) expected.add(`p${i}`);
        });
        const reported = new Set(errors.filter((e) => e.rule === 'overlapping-pools').map((e) => e.name));
        expect(reported).toEqual(expected);
        expect(new Set(config.pools.keys())).toEqual(
          new Set(ranges.map((_, i) => `p${i}`).filter((n) => !expected.has(n))),
        );
      }),
      { numRuns: 300 },
    );
  });
});
