import { describe, expect, it } from 'vitest';
import { crdFor } from '../crd.ts';
import { canonicalJson, crdFacts, diffCrds } from './crd-diff.ts';
import { allowedBy } from './metallb-crds-allow.ts';

const copy = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

describe('diffCrds', () => {
  it('finds nothing between a CRD and itself, and ignores descriptions and key order', () => {
    const a = crdFor('BGPPeer');
    const b = copy(a) as unknown as {
      spec: { versions: { schema: { openAPIV3Schema: { description?: string } } }[] };
    };
    b.spec.versions[0]!.schema.openAPIV3Schema.description = 'other words';
    expect(diffCrds('BGPPeer', a, b)).toEqual([]);
    expect(canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] })).toBe('{"a":[2,{"c":4,"d":3}],"b":1}');
  });

  it('names a missing field, a changed type, format, enum, required, default and CEL rule', () => {
    const ours = crdFor('BGPPeer');
    // biome-ignore lint/suspicious/noExplicitAny: the test edits the CRD's nested JSON freely
    const theirs = copy(ours) as any;
    const v2 = theirs.spec.versions[1].schema.openAPIV3Schema.properties.spec;
    v2.properties.extra = { type: 'string' };
    v2.properties.myASN.format = 'int32';
    v2.properties.dynamicASN.enum = ['internal'];
    v2.properties.holdTime.default = '90s';
    v2.required = [...v2.required, 'peerAddress'];
    v2.properties.vrf['x-kubernetes-validations'].push({ rule: 'size(self) < 16', message: 'too long' });
    const keys = diffCrds('BGPPeer', ours, theirs).map((d) => [d.key, d.ours, d.theirs]);
    expect(keys).toEqual([
      ['BGPPeer v1beta2 .spec.dynamicASN enum', '["internal","external"]', '["internal"]'],
      ['BGPPeer v1beta2 .spec.extra', undefined, 'present'],
      ['BGPPeer v1beta2 .spec.extra type', undefined, '"string"'],
      ['BGPPeer v1beta2 .spec.holdTime default', undefined, '"90s"'],
      ['BGPPeer v1beta2 .spec.myASN format', '"int64"', '"int32"'],
      ['BGPPeer v1beta2 .spec.peerAddress required', undefined, 'true'],
      [
        'BGPPeer v1beta2 .spec.vrf x-kubernetes-validations size(self) < 16',
        undefined,
        '{"message":"too long"}',
      ],
    ]);
  });

  it('compares versions: served, storage, deprecation, printer columns, and a missing version', () => {
    const ours = crdFor('BGPPeer');
    // biome-ignore lint/suspicious/noExplicitAny: the test edits the CRD's nested JSON freely
    const theirs = copy(ours) as any;
    delete theirs.spec.versions[0].deprecated;
    theirs.spec.versions[1].additionalPrinterColumns.pop();
    theirs.spec.versions.push({ ...copy(theirs.spec.versions[1]), name: 'v1', storage: false });
    const keys = diffCrds('BGPPeer', ours, theirs).map((d) => d.key);
    expect(keys).toContain('BGPPeer v1beta1 deprecated');
    expect(keys).toContain('BGPPeer v1beta2 additionalPrinterColumns');
    expect(keys).toContain('BGPPeer version v1');
    expect(crdFacts(ours).get('conversion')).toBe('{"strategy":"None"}');
  });

  it('the allow-list takes a reasoned bound of ours, not the same bound missing from ours', () => {
    const d = { key: 'BGPPeer v1beta2 .spec.nodeSelectors maxItems', ours: '32', theirs: undefined };
    expect(allowedBy(d)?.reason).toMatch(/CEL cost bound/);
    expect(allowedBy({ ...d, ours: undefined, theirs: '32' })).toBeUndefined();
    expect(
      allowedBy({ key: 'BGPPeer v1beta2 .spec.localASN', ours: undefined, theirs: 'present' }),
    ).toBeUndefined();
  });
});
