import { readdirSync, readFileSync } from 'node:fs';
import { sharedDataUrl } from '@bmlb/shared-data';
import { load as parse } from 'js-yaml';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { CEL_BOUNDS } from './cel.ts';
import { CRD_KINDS, crdFor, structuralProblems } from './crd.ts';
import { crdFiles, crdYaml } from './crd-yaml.ts';
import { validateObject } from './index.ts';

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
      expect(crd.spec.group).toBe(kind === 'BGPSessionState' ? 'bmlb.io' : 'metallb.io');
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

  it('the status kinds: ServiceBGPStatus as MetalLB defines it, BGPSessionState in bmlb.io', () => {
    const sbs = crdFor('ServiceBGPStatus');
    expect(sbs.metadata.name).toBe('servicebgpstatuses.metallb.io');
    expect(sbs.spec.versions.map((v) => [v.name, v.storage])).toEqual([['v1beta1', true]]);
    expect(sbs.spec.versions[0]!.additionalPrinterColumns!.map((c) => c.name)).toEqual([
      'Node',
      'Service Name',
      'Service Namespace',
    ]);
    const status = sbs.spec.versions[0]!.schema.openAPIV3Schema.properties!.status!;
    expect(status.properties!.node!['x-kubernetes-validations']).toEqual([
      { rule: 'self == oldSelf', message: 'Value is immutable' },
    ]);
    const bss = crdFor('BGPSessionState');
    expect(bss.metadata.name).toBe('bgpsessionstates.bmlb.io');
    expect(bss.spec.versions.map((v) => v.name)).toEqual(['v1alpha1']);
    expect(bss.spec.versions[0]!.additionalPrinterColumns!.slice(0, 4).map((c) => c.jsonPath)).toEqual([
      '.status.node',
      '.status.peer',
      '.status.peerAddress',
      '.status.bgpState',
    ]);
    expect(crdYaml('BGPSessionState').file).toBe('bmlb.io_bgpsessionstates.yaml');
  });

  it('the seed manifests are valid under the generated openAPIV3Schema (checked by a general JSON Schema validator)', () => {
    const docs = [
      '01-ipaddresspool.yaml',
      '02-bgppeers.yaml',
      '03-bgpadvertisement.yaml',
      '05-bfd.yaml',
    ].flatMap((f) =>
      readFileSync(new URL(f, sharedDataUrl('seed-manifests')), 'utf8')
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

  it('deploy/crds holds exactly the generated files, up to date (run scripts/gen-crds.ts)', () => {
    const dir = new URL('../../../deploy/crds/', import.meta.url);
    const files = crdFiles();
    expect(readdirSync(dir).sort()).toEqual(files.map((f) => f.file).sort());
    for (const { file, text } of files) expect(readFileSync(new URL(file, dir), 'utf8'), file).toBe(text);
    for (const kind of CRD_KINDS) expect(parse(crdYaml(kind).text)).toEqual(crdFor(kind));
    const kustomization = parse(files.find((f) => f.file === 'kustomization.yaml')!.text) as {
      resources: string[];
    };
    expect(kustomization.resources).toEqual(CRD_KINDS.map((k) => crdYaml(k).file));
  });
});

/** Every `x-kubernetes-validations` rule under `schema`, by the path of the node that carries it. */
function celRulesOf(schema: unknown): Map<string, { rule: string; message: string }[]> {
  const out = new Map<string, { rule: string; message: string }[]>();
  walk(schema, (node, path) => {
    const rules = node['x-kubernetes-validations'] as { rule: string; message: string }[] | undefined;
    if (rules !== undefined) out.set(path, rules);
  });
  return out;
}
const spec = (kind: (typeof CRD_KINDS)[number], version = 0) =>
  crdFor(kind).spec.versions[version]!.schema.openAPIV3Schema.properties!.spec!;
const messages = (schema: unknown, path: string) =>
  (celRulesOf(schema).get(path) ?? []).map((r) => r.message);

describe('CEL rules in the CRDs', () => {
  it('BGPPeer v1beta2: ASNs, addresses, password, timers, graceful restart (as MetalLB), selectors', () => {
    const s = spec('BGPPeer', 1);
    expect(messages(s, '')).toEqual([
      'missing peer ASN and dynamicASN: set one',
      'both peer ASN and dynamicASN specified: use one',
      'invalid ebgp-multihop parameter set for an ibgp peer',
      'peer has no Address or Interface specified',
      'peer has both Address and Interface specified',
      'can not have both password and secret ref set in peer config',
      'invalid keepaliveTime, must be lower than or equal to holdTime',
      expect.stringContaining('keepaliveTime without holdTime means a hold time of 3 × keepaliveTime'),
      expect.stringContaining('sourceAddress and peerAddress are of different IP families'),
    ]);
    expect(messages(s, '.myASN')).toEqual([expect.stringContaining('missing local ASN')]);
    expect(messages(s, '.holdTime')).toEqual([
      expect.stringContaining('not a duration'),
      'invalid hold time: must be 0 or >=3s',
      expect.stringContaining('at most 65535s'),
    ]);
    expect(messages(s, '.keepaliveTime')).toEqual([
      expect.stringContaining('not a duration'),
      'invalid keepaliveTime: must not be negative',
    ]);
    // MetalLB's own rules, word for word.
    expect(celRulesOf(s).get('.connectTime')!.slice(1)).toEqual([
      {
        rule: expect.stringContaining(
          'duration(self).getSeconds() >= 1 && duration(self).getSeconds() <= 65535',
        ),
        message: 'connect time should be between 1 seconds to 65535',
      },
      {
        rule: expect.stringContaining('duration(self).getMilliseconds() % 1000 == 0'),
        message: 'connect time should contain a whole number of seconds',
      },
    ]);
    expect(celRulesOf(s).get('.enableGracefulRestart')).toEqual([
      { rule: 'self == oldSelf', message: 'EnableGracefulRestart cannot be changed after creation' },
    ]);
    for (const f of ['.peerAddress', '.sourceAddress', '.routerID']) {
      expect(celRulesOf(s).get(f)![0]!.rule, f).toContain('isIP(self)');
      expect(s.properties![f.slice(1)]!.maxLength, f).toBe(CEL_BOUNDS.ipLength);
    }
    expect(messages(s, '.password')).toEqual([
      'TCP MD5 password must be at most 80 bytes',
      'password contains a newline',
    ]);
    expect(messages(s, '.interface')).toEqual(['interface contains a newline']);
    expect(messages(s, '.vrf')).toEqual(['vrf contains a newline']);
    expect(messages(s, '.nodeSelectors[].matchExpressions[]')).toEqual([
      "for 'in', 'notin' operators, values set can't be empty",
      'values set must be empty for exists and does not exist',
    ]);
    expect(messages(s, '.nodeSelectors[].matchExpressions[].key')[0]).toMatch(/^invalid label key/);
    expect(messages(s, '.nodeSelectors[].matchLabels')[0]).toMatch(/^invalid label key/);
    expect(messages(s, '.nodeSelectors[].matchLabels{}')[0]).toMatch(/^invalid label value/);
    expect(s.properties!.nodeSelectors).toMatchObject({
      maxItems: CEL_BOUNDS.selectors,
      items: {
        'x-kubernetes-map-type': 'atomic',
        properties: {
          matchLabels: { maxProperties: CEL_BOUNDS.selectorLabels },
          matchExpressions: { maxItems: CEL_BOUNDS.selectorExpressions, 'x-kubernetes-list-type': 'atomic' },
        },
      },
    });
    expect(s.properties!.passwordSecret).toMatchObject({ 'x-kubernetes-map-type': 'atomic' });
  });

  it('BGPPeer v1beta1: the same single-object rules on its fields, legacy operators, and no peerPort 0', () => {
    const s = spec('BGPPeer', 0);
    expect(messages(s, '')).toEqual([
      'peer has no Address or Interface specified',
      'invalid ebgp-multihop parameter set for an ibgp peer',
      'invalid keepaliveTime, must be lower than or equal to holdTime',
      expect.stringContaining('keepaliveTime without holdTime'),
      expect.stringContaining('different IP families'),
    ]);
    expect(messages(s, '.peerASN')).toEqual([expect.stringContaining('missing peer ASN')]);
    expect(messages(s, '.peerPort')).toEqual([
      expect.stringContaining('peerPort 0 cannot be stored as v1beta2'),
    ]);
    expect(s.properties!.peerPort).toMatchObject({ minimum: 0, maximum: 16384, default: 179 });
    expect(messages(s, '.nodeSelectors[].matchExpressions[].operator')).toEqual([
      expect.stringContaining('not a valid label selector operator'),
    ]);
    expect(messages(s, '.nodeSelectors[].matchExpressions[]')).toEqual([
      'values set must be empty for exists and does not exist',
    ]);
    expect(celRulesOf(s).has('.connectTime')).toBe(false);
  });

  it('BGPPeer v1beta1 is deprecated as MetalLB deprecates it', () => {
    const [v1, v2] = crdFor('BGPPeer').spec.versions;
    expect(v1).toMatchObject({
      deprecated: true,
      deprecationWarning: 'v1beta1 is deprecated, please use v1beta2',
    });
    expect(v2!.deprecated).toBeUndefined();
    expect(crdFor('BGPPeer').spec.conversion).toEqual({ strategy: 'None' });
  });

  it('IPAddressPool: address, CIDR and range syntax of every entry; selectors', () => {
    const s = spec('IPAddressPool');
    expect(messages(s, '.addresses[]')).toEqual([
      'invalid IP range: invalid start IP',
      'invalid IP range: invalid end IP',
      'invalid IP range: start and end are of different IP families',
      'invalid IP range: start IP is after the end IP',
      'invalid CIDR',
      expect.stringContaining('invalid address'),
    ]);
    expect(s.properties!.addresses).toMatchObject({
      minItems: 1,
      maxItems: CEL_BOUNDS.poolAddresses,
      items: { maxLength: CEL_BOUNDS.poolAddressLength },
    });
    const rules = celRulesOf(s)
      .get('.addresses[]')!
      .map((r) => r.rule);
    expect(rules.join(' ')).toMatch(/isCIDR\(self\.trim\(\)\)/);
    expect(messages(s, '.serviceAllocation.namespaceSelectors[].matchExpressions[]')).toHaveLength(2);
    expect(messages(s, '.serviceAllocation.serviceSelectors[].matchExpressions[]')).toHaveLength(2);
  });

  it('BGPAdvertisement and Community: community values in range; aggregation lengths bounded by the schema', () => {
    const adv = spec('BGPAdvertisement');
    expect(messages(adv, '.communities[]')).toEqual([expect.stringMatching(/^invalid community value/)]);
    expect(adv.properties!.aggregationLength).toMatchObject({ minimum: 1, maximum: 32 });
    expect(adv.properties!.aggregationLengthV6).toMatchObject({ minimum: 0, maximum: 128 });
    expect(messages(adv, '.nodeSelectors[].matchExpressions[]')).toHaveLength(2);
    expect(messages(adv, '.ipAddressPoolSelectors[].matchExpressions[]')).toHaveLength(2);
    const com = spec('Community');
    expect(messages(com, '.communities[].value')).toEqual([
      expect.stringContaining('expected AS:VALUE'),
      expect.stringMatching(/^invalid community value/),
    ]);
  });

  it('the validators enforce the same bounds, so the file source refuses what the API server refuses', () => {
    const peer = (spec: Record<string, unknown>) =>
      validateObject({
        apiVersion: 'metallb.io/v1beta2',
        kind: 'BGPPeer',
        metadata: { name: 'p' },
        spec: { myASN: 1, peerASN: 2, peerAddress: '192.0.2.1', ...spec },
      });
    const errs = (r: ReturnType<typeof validateObject>) =>
      r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
    // Distinct selectors (the validator refuses duplicates).
    const selectors = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ matchLabels: { rack: `r${i}` } }));
    expect(errs(peer({ nodeSelectors: selectors(CEL_BOUNDS.selectors) }))).toEqual([]);
    expect(errs(peer({ nodeSelectors: selectors(CEL_BOUNDS.selectors + 1) }))).toEqual([
      `spec.nodeSelectors: must have at most ${CEL_BOUNDS.selectors} items`,
    ]);
    const labels = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
    expect(errs(peer({ nodeSelectors: [{ matchLabels: labels(CEL_BOUNDS.selectorLabels) }] }))).toEqual([]);
    expect(errs(peer({ nodeSelectors: [{ matchLabels: labels(CEL_BOUNDS.selectorLabels + 1) }] }))).toEqual([
      `spec.nodeSelectors[0].matchLabels: must have at most ${CEL_BOUNDS.selectorLabels} entries`,
    ]);
    expect(errs(peer({ holdTime: `${'0'.repeat(CEL_BOUNDS.durationLength)}s` }))).toEqual([
      `spec.holdTime: must be at most ${CEL_BOUNDS.durationLength} characters`,
    ]);
    const pool = (addresses: string[]) =>
      validateObject({
        apiVersion: 'metallb.io/v1beta1',
        kind: 'IPAddressPool',
        metadata: { name: 'p' },
        spec: { addresses },
      });
    const many = (n: number) => Array.from({ length: n }, (_, i) => `10.${i >> 8}.${i & 255}.1`);
    expect(errs(pool(many(CEL_BOUNDS.poolAddresses)))).toEqual([]);
    expect(errs(pool(many(CEL_BOUNDS.poolAddresses + 1)))).toEqual([
      `spec.addresses: must have at most ${CEL_BOUNDS.poolAddresses} items`,
    ]);
  });

  it('every rule has an expression and a message', () => {
    let count = 0;
    for (const kind of CRD_KINDS) {
      for (const v of crdFor(kind).spec.versions) {
        for (const [path, rules] of celRulesOf(v.schema.openAPIV3Schema)) {
          for (const r of rules) {
            count++;
            expect(r.message, `${kind} ${v.name} ${path}`).toMatch(/\S/);
            expect(r.rule, `${kind} ${v.name} ${path}`).toMatch(/\S/);
          }
        }
      }
    }
    expect(count).toBeGreaterThan(60);
  });
});
