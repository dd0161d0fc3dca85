import { readFileSync } from 'node:fs';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CRD_KINDS, crdFor, structuralProblems } from './crd.ts';
import { crdYaml } from './crd-yaml.ts';

const seedDir = new URL('../../../../shared/seed-manifests/', import.meta.url);

function walk(s: unknown, visit: (node: Record<string, unknown>, path: string) => void, path = '') {
  if (typeof s !== 'object' || s === null) return;
  const node = s as Record<string, unknown>;
  visit(node, path);
  for (const [k, v] of Object.entries((node.properties ?? {}) as Record<string, unknown>))
    walk(v, visit, `${path}.${k}`);
  if (node.items !== undefined) walk(node.items, visit, `${path}[]`);
  if (typeof node.additionalProperties === 'object') walk(node.additionalProperties, visit, `${path}{}`);
}

describe('crdFor', () => {
  for (const kind of CRD_KINDS) {
    it(`${kind}: structural schema (every node typed, no $ref, no additionalProperties beside properties)`, () => {
      const crd = crdFor(kind);
      expect(crd.spec.group).toBe('metallb.io');
      expect(crd.spec.scope).toBe('Namespaced');
      for (const v of crd.spec.versions) {
        const schema = v.schema.openAPIV3Schema;
        expect(structuralProblems(schema)).toEqual([]);
        let nodes = 0;
        walk(schema, (node, path) => {
          nodes++;
          expect('$ref' in node, path).toBe(false);
          expect(
            typeof node.type === 'string' || node['x-kubernetes-int-or-string'] === true,
            `type at ${path}`,
          ).toBe(true);
          expect(node.additionalProperties === false, path).toBe(false);
        });
        expect(nodes).toBeGreaterThan(5);
      }
    });
  }

  it('BGPPeer serves v1beta1 and v1beta2, stores v1beta2', () => {
    const crd = crdFor('BGPPeer');
    expect(crd.metadata.name).toBe('bgppeers.metallb.io');
    expect(crd.spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([
      ['v1beta1', true, false],
      ['v1beta2', true, true],
    ]);
    const v2 = crd.spec.versions[1]!.schema.openAPIV3Schema.properties!.spec!;
    expect(Object.keys(v2.properties!)).toEqual(
      expect.arrayContaining([
        'dynamicASN',
        'interface',
        'passwordSecret',
        'enableGracefulRestart',
        'vrf',
        'connectTime',
        'disableMP',
      ]),
    );
    expect(v2.properties!.dynamicASN).toMatchObject({ type: 'string', enum: ['internal', 'external'] });
    expect(v2.properties!.peerPort).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 16384,
      default: 179,
    });
  });

  it('carries MetalLB ranges and defaults into the CRD', () => {
    const bfd = crdFor('BFDProfile').spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!.properties!;
    expect(bfd.receiveInterval).toMatchObject({ minimum: 10, maximum: 60000, default: 300 });
    expect(bfd.detectMultiplier).toMatchObject({ minimum: 2, maximum: 255, default: 3 });
    expect(bfd.minimumTtl).toMatchObject({ minimum: 1, maximum: 254, default: 254 });
    const adv =
      crdFor('BGPAdvertisement').spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!.properties!;
    expect(adv.aggregationLength).toMatchObject({ default: 32 });
    expect(adv.aggregationLengthV6).toMatchObject({ default: 128 });
    const pool = crdFor('IPAddressPool').spec.versions[0]!.schema.openAPIV3Schema;
    expect(pool.required).toEqual(['spec']);
    expect(pool.properties!.spec!.properties!.autoAssign).toMatchObject({ type: 'boolean', default: true });
    expect(crdFor('Community').spec.names.plural).toBe('communities');
  });

  it('the seed manifests are valid under the generated openAPIV3Schema (checked by a general JSON Schema validator)', () => {
    const docs = [
      '01-ipaddresspool.yaml',
      '02-bgppeers.yaml',
      '03-bgpadvertisement.yaml',
      '05-bfd.yaml',
    ].flatMap((f) =>
      readFileSync(new URL(f, seedDir), 'utf8')
        .split(/^---$/m)
        .map((d) => parse(d) as { apiVersion: string; kind: (typeof CRD_KINDS)[number] }),
    );
    expect(docs).toHaveLength(6);
    for (const d of docs) {
      const version = d.apiVersion.split('/')[1];
      const v = crdFor(d.kind).spec.versions.find((x) => x.name === version)!;
      expect(Value.Check(v.schema.openAPIV3Schema as never, d), `${d.kind}`).toBe(true);
    }
    const bad = {
      apiVersion: 'metallb.io/v1beta1',
      kind: 'BFDProfile',
      metadata: { name: 'x' },
      spec: { detectMultiplier: 1 },
    };
    expect(Value.Check(crdFor('BFDProfile').spec.versions[0]!.schema.openAPIV3Schema as never, bad)).toBe(
      false,
    );
  });

  it('crds/*.yaml are up to date with the schemas (run scripts/gen-crds.ts)', () => {
    for (const kind of CRD_KINDS) {
      const { file, text } = crdYaml(kind);
      expect(readFileSync(new URL(`../crds/${file}`, import.meta.url), 'utf8'), file).toBe(text);
      expect(parse(text)).toEqual(crdFor(kind));
    }
  });
});
