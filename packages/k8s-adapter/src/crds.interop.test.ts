// The generated CRDs (deploy/crds) against a real API server: they install, every seed manifest
// applies unchanged and reads back through the adapter as metallb-api's validator reads the file
// (defaults included), BGPPeer in both served versions; each CEL rule refuses what it should, with
// kubectl's exit status and the rule's message; v1beta1 ↔ v1beta2 keeps every v1beta1 field; kubectl
// prints the printer columns.
import fs from 'node:fs';
import path from 'node:path';
import {
  type BGPPeerV1beta1,
  type CelRule,
  CRD_KINDS,
  type CrdKind,
  convertBGPPeerToV1beta2,
  crdFor,
  validateObject,
} from '@bmlb/metallb-api';
import { parseManifests } from '@bmlb/metallb-api/yaml';
import { KubeControlPlane, kubeSkipReason } from '@bmlb/netlab';
import { resolveSharedData } from '@bmlb/shared-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeCluster } from './port.ts';
import { type KubeObject, Resources, type ResourceType } from './resources.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const crdDir = path.join(repoRoot, 'deploy/crds');
const NS = 'metallb-system';
const skip = kubeSkipReason();

/** BGPPeer as served in v1beta1 (Resources.BGPPeer reads v1beta2, the storage version). */
const PeerV1beta1: ResourceType = { ...Resources.BGPPeer, version: 'v1beta1' };
const METALLB_TYPES: Record<string, ResourceType> = {
  IPAddressPool: Resources.IPAddressPool,
  BGPPeer: Resources.BGPPeer,
  BGPAdvertisement: Resources.BGPAdvertisement,
  BFDProfile: Resources.BFDProfile,
  Community: Resources.Community,
};

type Raw = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
};

const specOf = (o: KubeObject | undefined) => (o as { spec?: Record<string, unknown> } | undefined)?.spec;

/** What both sides must agree on: identity, labels and spec (the server adds uid, timestamps, …). */
const essence = (o: KubeObject | Raw) => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  name: o.metadata.name,
  namespace: o.metadata.namespace,
  labels: o.metadata.labels ?? {},
  spec: (o as { spec?: unknown }).spec,
});

function validated(raw: unknown): Raw {
  const r = validateObject(raw);
  if (!r.ok) throw new Error(`validateObject: ${r.errors.map((e) => e.message).join('; ')}`);
  return r.object as unknown as Raw;
}

// ------------------------------------------------------------------ objects that break one rule each

const peer1 = (spec: Record<string, unknown>): Raw => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'BGPPeer',
  metadata: { name: 'bad', namespace: NS },
  spec: { myASN: 64500, peerASN: 64501, peerAddress: '192.0.2.1', ...spec },
});
const peer2 = (spec: Record<string, unknown>, base: Record<string, unknown> | null = null): Raw => ({
  apiVersion: 'metallb.io/v1beta2',
  kind: 'BGPPeer',
  metadata: { name: 'bad', namespace: NS },
  spec: { ...(base ?? { myASN: 64500, peerASN: 64501, peerAddress: '192.0.2.1' }), ...spec },
});
const pool = (addresses: string[]): Raw => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'IPAddressPool',
  metadata: { name: 'bad', namespace: NS },
  spec: { addresses },
});
const poolWith = (serviceAllocation: Record<string, unknown>): Raw => ({
  ...pool(['10.0.0.0/24']),
  spec: { addresses: ['10.0.0.0/24'], serviceAllocation },
});
const adv = (spec: Record<string, unknown>): Raw => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'BGPAdvertisement',
  metadata: { name: 'bad', namespace: NS },
  spec,
});
const community = (value: string): Raw => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'Community',
  metadata: { name: 'bad', namespace: NS },
  spec: { communities: [{ name: 'alias', value }] },
});
const selector = (s: Record<string, unknown>) => ({ nodeSelectors: [s] });

/** [what is wrong, the object, the message the API server must give]. */
const VIOLATIONS: [string, Raw, string][] = [
  ['v1beta2 myASN 0', peer2({ myASN: 0 }), 'missing local ASN'],
  ['v1beta1 myASN 0', peer1({ myASN: 0 }), 'missing local ASN'],
  ['v1beta1 peerASN 0', peer1({ peerASN: 0 }), 'missing peer ASN: peerASN'],
  [
    'neither peerASN nor dynamicASN',
    peer2({}, { myASN: 64500, peerAddress: '192.0.2.1' }),
    'missing peer ASN and dynamicASN',
  ],
  ['peerASN and dynamicASN', peer2({ dynamicASN: 'external' }), 'both peer ASN and dynamicASN specified'],
  [
    'ebgpMultiHop, iBGP by ASN',
    peer2({ peerASN: 64500, ebgpMultiHop: true }),
    'invalid ebgp-multihop parameter set for an ibgp peer',
  ],
  [
    'ebgpMultiHop, dynamicASN internal',
    peer2({ dynamicASN: 'internal', ebgpMultiHop: true }, { myASN: 64500, peerAddress: '192.0.2.1' }),
    'invalid ebgp-multihop parameter set for an ibgp peer',
  ],
  [
    'v1beta1 ebgpMultiHop, iBGP',
    peer1({ peerASN: 64500, ebgpMultiHop: true }),
    'invalid ebgp-multihop parameter set for an ibgp peer',
  ],
  [
    'neither peerAddress nor interface',
    peer2({}, { myASN: 64500, peerASN: 64501 }),
    'peer has no Address or Interface specified',
  ],
  ['v1beta1 empty peerAddress', peer1({ peerAddress: '' }), 'peer has no Address or Interface specified'],
  [
    'peerAddress and interface',
    peer2({ interface: 'eth0' }),
    'peer has both Address and Interface specified',
  ],
  ['peerAddress not an IP', peer2({ peerAddress: '192.0.2.300' }), 'invalid BGPPeer address'],
  ['v1beta1 peerAddress not an IP', peer1({ peerAddress: 'tor1' }), 'invalid BGPPeer address'],
  ['sourceAddress not an IP', peer2({ sourceAddress: 'nope' }), 'invalid source IP: not an IPv4'],
  ['v1beta1 sourceAddress not an IP', peer1({ sourceAddress: 'nope' }), 'invalid source IP: not an IPv4'],
  [
    'sourceAddress of the other family',
    peer2({ sourceAddress: '2001:db8::1' }),
    'sourceAddress and peerAddress are of different IP families',
  ],
  [
    'v1beta1 sourceAddress of the other family',
    peer1({ sourceAddress: '2001:db8::1' }),
    'sourceAddress and peerAddress are of different IP families',
  ],
  ['routerID IPv6', peer2({ routerID: '2001:db8::1' }), 'invalid router ID'],
  ['v1beta1 routerID not an IP', peer1({ routerID: 'r1' }), 'invalid router ID'],
  [
    'password and passwordSecret',
    peer2({ password: 'x', passwordSecret: { name: 'tor-md5' } }),
    'can not have both password and secret ref set in peer config',
  ],
  [
    'password over 80 bytes',
    peer2({ password: 'x'.repeat(81) }),
    'TCP MD5 password must be at most 80 bytes',
  ],
  [
    'v1beta1 password over 80 bytes',
    peer1({ password: 'x'.repeat(81) }),
    'TCP MD5 password must be at most 80 bytes',
  ],
  ['password with a newline', peer2({ password: 'a\nb' }), 'password contains a newline'],
  ['v1beta1 password with a newline', peer1({ password: 'a\rb' }), 'password contains a newline'],
  [
    'interface with a newline',
    peer2({ interface: 'eth0\nx' }, { myASN: 64500, peerASN: 64501 }),
    'interface contains a newline',
  ],
  ['vrf with a newline', peer2({ vrf: 'red\n' }), 'vrf contains a newline'],
  ['holdTime 2s', peer2({ holdTime: '2s' }), 'invalid hold time: must be 0 or >=3s'],
  ['v1beta1 holdTime 2.9s', peer1({ holdTime: '2.9s' }), 'invalid hold time: must be 0 or >=3s'],
  ['holdTime negative', peer2({ holdTime: '-5s' }), 'invalid hold time: must be 0 or >=3s'],
  ['holdTime over 16 bits', peer2({ holdTime: '19h' }), 'invalid hold time: must be at most 65535s'],
  [
    'v1beta1 holdTime over 16 bits',
    peer1({ holdTime: '65536s' }),
    'invalid hold time: must be at most 65535s',
  ],
  ['holdTime not a duration', peer2({ holdTime: '90' }), 'invalid holdTime: not a duration'],
  ['v1beta1 holdTime not a duration', peer1({ holdTime: 'ninety' }), 'invalid holdTime: not a duration'],
  [
    'keepaliveTime above holdTime',
    peer2({ holdTime: '30s', keepaliveTime: '40s' }),
    'invalid keepaliveTime, must be lower than or equal to holdTime',
  ],
  [
    'v1beta1 keepaliveTime above holdTime',
    peer1({ holdTime: '0s', keepaliveTime: '10s' }),
    'invalid keepaliveTime, must be lower than or equal to holdTime',
  ],
  [
    'keepaliveTime alone, implied hold under 3s',
    peer2({ keepaliveTime: '500ms' }),
    'keepaliveTime without holdTime means a hold time of 3 × keepaliveTime',
  ],
  [
    'v1beta1 keepaliveTime alone, implied hold over 16 bits',
    peer1({ keepaliveTime: '7h' }),
    'keepaliveTime without holdTime means a hold time of 3 × keepaliveTime',
  ],
  ['keepaliveTime negative', peer2({ keepaliveTime: '-1s' }), 'invalid keepaliveTime: must not be negative'],
  [
    'v1beta1 keepaliveTime negative',
    peer1({ keepaliveTime: '-1s' }),
    'invalid keepaliveTime: must not be negative',
  ],
  ['keepaliveTime not a duration', peer2({ keepaliveTime: '1 s' }), 'invalid keepaliveTime: not a duration'],
  [
    'v1beta1 keepaliveTime not a duration',
    peer1({ keepaliveTime: '1d' }),
    'invalid keepaliveTime: not a duration',
  ],
  ['connectTime 0s', peer2({ connectTime: '0s' }), 'connect time should be between 1 seconds to 65535'],
  [
    'connectTime fractional',
    peer2({ connectTime: '1500ms' }),
    'connect time should contain a whole number of seconds',
  ],
  ['connectTime not a duration', peer2({ connectTime: '5' }), 'invalid connectTime: not a duration'],
  ['v1beta1 peerPort 0', peer1({ peerPort: 0 }), 'peerPort 0 cannot be stored as v1beta2'],
  [
    'v1beta1 unknown operator',
    peer1(selector({ matchExpressions: [{ key: 'rack', operator: 'in', values: ['a'] }] })),
    'not a valid label selector operator',
  ],
  [
    'v1beta1 Exists with values',
    peer1(selector({ matchExpressions: [{ key: 'rack', operator: 'Exists', values: ['a'] }] })),
    'values set must be empty for exists and does not exist',
  ],
  [
    'v1beta1 invalid label key',
    peer1(selector({ matchExpressions: [{ key: '-rack', operator: 'In', values: ['a'] }] })),
    'invalid label key',
  ],
  [
    'v1beta1 invalid matchLabels key',
    peer1(selector({ matchLabels: { 'a/b/c': 'x' } })),
    'invalid label key',
  ],
  [
    'v1beta1 invalid matchLabels value',
    peer1(selector({ matchLabels: { rack: 'a b' } })),
    'invalid label value',
  ],
  [
    'In without values',
    peer2(selector({ matchExpressions: [{ key: 'rack', operator: 'In' }] })),
    "for 'in', 'notin' operators, values set can't be empty",
  ],
  [
    'DoesNotExist with values',
    peer2(selector({ matchExpressions: [{ key: 'rack', operator: 'DoesNotExist', values: ['a'] }] })),
    'values set must be empty for exists and does not exist',
  ],
  [
    'invalid label key',
    peer2(selector({ matchExpressions: [{ key: 'a/b/c', operator: 'Exists' }] })),
    'invalid label key',
  ],
  ['invalid matchLabels key', peer2(selector({ matchLabels: { '-x': 'y' } })), 'invalid label key'],
  ['invalid matchLabels value', peer2(selector({ matchLabels: { x: 'y z' } })), 'invalid label value'],
  ['pool: bad CIDR', pool(['10.0.0.0/33']), 'invalid CIDR'],
  ['pool: bad range start', pool(['10.0.0.x-10.0.0.5']), 'invalid IP range: invalid start IP'],
  ['pool: bad range end', pool(['10.0.0.1-10.0.0.5-10.0.0.7']), 'invalid IP range: invalid end IP'],
  [
    'pool: range across families',
    pool(['10.0.0.1-2001:db8::1']),
    'invalid IP range: start and end are of different IP families',
  ],
  ['pool: reversed range', pool(['10.0.0.9 - 10.0.0.5']), 'invalid IP range: start IP is after the end IP'],
  ['pool: not an address', pool(['poolA']), 'invalid address: expected a CIDR'],
  [
    'pool: bad selector',
    poolWith({ serviceSelectors: [{ matchExpressions: [{ key: 'app', operator: 'NotIn' }] }] }),
    "for 'in', 'notin' operators, values set can't be empty",
  ],
  [
    'pool: bad selector key',
    poolWith({ namespaceSelectors: [{ matchExpressions: [{ key: 'team/', operator: 'Exists' }] }] }),
    'invalid label key',
  ],
  [
    'pool: Exists with values',
    poolWith({
      namespaceSelectors: [{ matchExpressions: [{ key: 'team', operator: 'Exists', values: ['a'] }] }],
    }),
    'values set must be empty for exists and does not exist',
  ],
  [
    'pool: bad selector value',
    poolWith({ serviceSelectors: [{ matchLabels: { app: 'web_' } }] }),
    'invalid label value',
  ],
  [
    'advertisement: serviceSelectors with a non-default aggregationLength (MetalLB v0.16 rule)',
    adv({ serviceSelectors: [{ matchLabels: { tier: 'web' } }], aggregationLength: 24 }),
    'serviceSelectors and aggregationLength are mutually exclusive',
  ],
  ['advertisement: community out of range', adv({ communities: ['65536:1'] }), 'invalid community value'],
  [
    'advertisement: large community out of range',
    adv({ communities: ['large:1:2:4294967296'] }),
    'invalid community value',
  ],
  [
    'advertisement: bad selector',
    adv({ nodeSelectors: [{ matchLabels: { 'kubernetes.io/hostname': '-node' } }] }),
    'invalid label value',
  ],
  [
    'advertisement: bad selector key',
    adv({ ipAddressPoolSelectors: [{ matchLabels: { 'Example.com/pool': 'a' } }] }),
    'invalid label key',
  ],
  [
    'advertisement: NotIn without values',
    adv({ nodeSelectors: [{ matchExpressions: [{ key: 'rack', operator: 'NotIn', values: [] }] }] }),
    "for 'in', 'notin' operators, values set can't be empty",
  ],
  [
    'advertisement: Exists with values',
    adv({
      ipAddressPoolSelectors: [{ matchExpressions: [{ key: 'tier', operator: 'Exists', values: ['x'] }] }],
    }),
    'values set must be empty for exists and does not exist',
  ],
  ['community alias: not a community', community('no-export'), 'invalid community value: expected AS:VALUE'],
  ['community alias: out of range', community('1:65536'), 'invalid community value: AS:VALUE takes'],
];

/** The objects above that metallb-api's validator accepts on purpose (see the README). */
const VALIDATOR_ACCEPTS = new Set(['v1beta1 peerPort 0']);

/** Every rule message of every CRD, by kind and version (the transition rule is tested on its own). */
function ruleMessages(): { kind: CrdKind; version: string; message: string }[] {
  const out: { kind: CrdKind; version: string; message: string }[] = [];
  const walk = (s: unknown, kind: CrdKind, version: string) => {
    if (s === null || typeof s !== 'object') return;
    const node = s as Record<string, unknown>;
    for (const r of (node['x-kubernetes-validations'] ?? []) as CelRule[]) {
      if (!r.rule.includes('oldSelf')) out.push({ kind, version, message: r.message });
    }
    for (const v of Object.values((node.properties ?? {}) as Record<string, unknown>)) walk(v, kind, version);
    walk(node.items, kind, version);
    walk(node.additionalProperties, kind, version);
  };
  for (const kind of CRD_KINDS) {
    for (const v of crdFor(kind).spec.versions) walk(v.schema.openAPIV3Schema, kind, v.name);
  }
  return out;
}

/** kubectl's table output as rows keyed by column header (columns start where their header does). */
function table(text: string): Record<string, string>[] {
  const [header, ...lines] = text.replace(/\n$/, '').split('\n');
  const starts = [...header!.matchAll(/(?:^|\s{2,})(\S+(?: \S+)*)/g)].map((m) => ({
    name: m[1]!,
    at: m.index! + m[0].length - m[1]!.length,
  }));
  return lines.map((line) =>
    Object.fromEntries(
      starts.map((c, i) => [c.name, line.slice(c.at, starts[i + 1]?.at ?? line.length).trim()]),
    ),
  );
}

describe.skipIf(skip)('CRDs against a real API server', () => {
  let cp: KubeControlPlane;
  const clusters: KubeCluster[] = [];
  const connect = () => {
    const c = new KubeCluster({
      kubeconfig: cp.kubeconfig,
      fieldManager: 'test',
      controller: 'bmlb.io/test',
    });
    clusters.push(c);
    return c;
  };
  const seedFiles: string[] = [];
  const applyOutput: string[] = [];

  beforeAll(async () => {
    const seedDir = resolveSharedData('seed-manifests');
    seedFiles.push(
      ...fs
        .readdirSync(seedDir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => path.join(seedDir, f)),
    );
    expect(seedFiles.length).toBeGreaterThan(0);
    cp = await KubeControlPlane.start({ controllerManager: false, scheduler: false, kwok: false });
    // deploy/crds as a user installs it: through its kustomization.
    await cp.kubectl(['apply', '-k', crdDir]);
    await cp.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
    await cp.kubectl(['create', 'namespace', NS]);
    for (const f of seedFiles) {
      const r = await cp.kubectl(['apply', '-f', f]);
      applyOutput.push(`${r.stdout}${r.stderr}`);
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clusters.map((c) => c.close()));
    await cp?.close();
  });

  it('installs every CRD of deploy/crds, each served in the versions it declares', async () => {
    const crds = await cp.kubectlJson<{ items: { metadata: { name: string }; spec: unknown }[] }>([
      'get',
      'crd',
    ]);
    expect(crds.items.map((c) => c.metadata.name).sort()).toEqual(
      CRD_KINDS.map((k) => crdFor(k).metadata.name).sort(),
    );
    const resources = await cp.kubectl(['api-resources', '-o', 'name']);
    expect(
      resources.stdout
        .trim()
        .split('\n')
        .filter((r) => /\.(metallb|bmlb)\.io$/.test(r))
        .sort(),
    ).toEqual(CRD_KINDS.map((k) => crdFor(k).metadata.name).sort());
    const versions = await cp.kubectl(['api-versions']);
    expect(versions.stdout).toContain('metallb.io/v1beta1');
    expect(versions.stdout).toContain('metallb.io/v1beta2');
    expect(versions.stdout).toContain('bmlb.io/v1alpha1');
  });

  it('applies every seed manifest unchanged; v1beta1 BGPPeer gets MetalLB deprecation warning', () => {
    expect(applyOutput).toHaveLength(seedFiles.length);
    const peers = applyOutput[seedFiles.findIndex((f) => f.endsWith('02-bgppeers.yaml'))]!;
    expect(peers).toContain('bgppeer.metallb.io/tor1 created');
    expect(peers).toContain('Warning: v1beta1 is deprecated, please use v1beta2');
  });

  it('reads every seed object back through the adapter as metallb-api validates the manifest, BGPPeer in v1beta2 and v1beta1', async () => {
    // What the files say, later documents replacing earlier ones as kubectl apply does.
    const expected = new Map<string, Raw>();
    for (const f of seedFiles) {
      const { objects, errors } = parseManifests(fs.readFileSync(f, 'utf8'), { source: f });
      expect(errors, f).toEqual([]);
      for (const o of objects as unknown as Raw[]) {
        expected.set(`${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`, o);
      }
    }
    const kinds = new Set([...expected.values()].map((o) => o.kind));
    expect(kinds).toEqual(new Set(['IPAddressPool', 'BGPPeer', 'BGPAdvertisement', 'BFDProfile', 'Service']));

    const cluster = connect();
    const stores = new Map(
      [...Object.values(METALLB_TYPES), Resources.Service].map((t) => [t.kind, cluster.watch(t)] as const),
    );
    const v1 = connect();
    const v1Peers = v1.watch(PeerV1beta1);
    cluster.start();
    v1.start();
    await cluster.cache.waitForSync(AbortSignal.timeout(30_000));
    await v1.cache.waitForSync(AbortSignal.timeout(30_000));

    for (const [key, want] of expected) {
      const store = stores.get(want.kind)!;
      expect(store.problems(), key).toEqual([]);
      const got = store.getByName(want.metadata.namespace, want.metadata.name);
      expect(got, key).toBeDefined();
      if (want.kind === 'Service') {
        // The API server fills in much more of a Service (clusterIP, protocol, …): what the manifest
        // says must be there as written.
        expect(got!.metadata.namespace).toBe('default');
        expect(essence(got!).spec, key).toMatchObject(want.spec!);
      } else if (want.kind === 'BGPPeer') {
        // v1beta2, the storage version: MetalLB's conversion of the file's v1beta1, with v1beta2's defaults.
        const v2 = validated(convertBGPPeerToV1beta2(want as unknown as BGPPeerV1beta1));
        expect(essence(got!), key).toEqual(essence(v2));
        // v1beta1: exactly what the validator makes of the file.
        const got1 = v1Peers.getByName(want.metadata.namespace, want.metadata.name);
        expect(essence(got1!), `${key} v1beta1`).toEqual(essence(want));
      } else {
        expect(essence(got!), key).toEqual(essence(want));
      }
    }
    for (const [kind, store] of stores) {
      const n = [...expected.values()].filter((o) => o.kind === kind).length;
      if (kind !== 'Service') expect(store.size, kind).toBe(n);
    }
    expect(v1Peers.size).toBe(2);
    expect(v1Peers.problems()).toEqual([]);
    // 05-bfd.yaml's tor1 replaced 02's: the BFD profile is set and 02's holdTime is gone.
    expect(specOf(v1Peers.getByName(NS, 'tor1'))).toMatchObject({ bfdProfile: 'tor-bfd' });
    expect(specOf(v1Peers.getByName(NS, 'tor1'))).not.toHaveProperty('holdTime');
  });

  it('each CEL rule refuses an object breaking it, with a non-zero exit status and the rule’s message', async () => {
    const failures: string[] = [];
    for (const [what, obj, message] of VIOLATIONS) {
      const ours = validateObject(obj);
      if (ours.ok !== VALIDATOR_ACCEPTS.has(what)) failures.push(`${what}: validateObject ok=${ours.ok}`);
      const r = await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(obj), allowFail: true });
      if (r.code === 0) failures.push(`${what}: accepted: ${r.stdout.trim()}`);
      else if (!r.stderr.includes(message))
        failures.push(`${what}: expected "${message}" in: ${r.stderr.trim()}`);
      // Only the rule this object breaks (a second message would mean a rule misfires).
      else if (r.stderr.includes('\n* ')) failures.push(`${what}: more than one error: ${r.stderr.trim()}`);
    }
    expect(failures).toEqual([]);
    // Nothing was created.
    for (const kind of CRD_KINDS) {
      const list = await cp.kubectlJson<{ items: unknown[] }>([
        'get',
        crdFor(kind).spec.names.plural,
        '-n',
        NS,
      ]);
      expect(
        list.items.filter((o) => (o as Raw).metadata.name === 'bad'),
        kind,
      ).toEqual([]);
    }
    // And every rule of every CRD was exercised.
    const tried = VIOLATIONS.map(([, obj, message]) => ({
      kind: obj.kind,
      version: obj.apiVersion.split('/')[1],
      message,
    }));
    const untried = ruleMessages().filter(
      (r) =>
        !tried.some((t) => t.kind === r.kind && t.version === r.version && r.message.includes(t.message)),
    );
    expect(untried).toEqual([]);
  });

  it('MetalLB v0.16 fields are stored as written; asPathPrepend too (as MetalLB’s CRD), which our validation refuses by name', async () => {
    const sel = {
      ...adv({ serviceSelectors: [{ matchLabels: { tier: 'web' } }] }),
      metadata: { name: 'sel', namespace: NS },
    };
    const prepend = { ...adv({ asPathPrepend: 2 }), metadata: { name: 'prepend', namespace: NS } };
    const local = { ...peer2({ localASN: 64999 }), metadata: { name: 'local', namespace: NS } };
    for (const o of [sel, prepend, local])
      await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(o) });
    const get = (kind: string, name: string) =>
      cp.kubectlJson<Raw>(['get', kind, '-n', NS, name, '-o', 'json']);
    expect((await get('bgpadvertisement', 'sel')).spec?.serviceSelectors).toEqual([
      { matchLabels: { tier: 'web' } },
    ]);
    const stored = await get('bgpadvertisement', 'prepend');
    expect(stored.spec?.asPathPrepend).toBe(2);
    expect((await get('bgppeer', 'local')).spec?.localASN).toBe(64999);
    const v = validateObject(stored);
    expect(v.ok ? [] : v.errors.map((e) => [e.path, e.rule])).toEqual([
      ['spec.asPathPrepend', 'unsupported-field'],
    ]);
    await cp.kubectl(['delete', 'bgpadvertisement', '-n', NS, 'sel', 'prepend']);
    await cp.kubectl(['delete', 'bgppeer', '-n', NS, 'local']);
  });

  it('enableGracefulRestart cannot be changed after creation (MetalLB’s transition rule)', async () => {
    const gr = peer2({ enableGracefulRestart: true });
    gr.metadata.name = 'graceful';
    await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(gr) });
    const changed = { ...gr, spec: { ...gr.spec, enableGracefulRestart: false } };
    const r = await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(changed), allowFail: true });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('EnableGracefulRestart cannot be changed after creation');
    // Other fields still change.
    const held = { ...gr, spec: { ...gr.spec, holdTime: '30s' } };
    await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(held) });
    await cp.kubectl(['delete', 'bgppeer', '-n', NS, 'graceful']);
  });

  it('a v1beta1 BGPPeer with every v1beta1 field, read as v1beta2 and written back, keeps every field', async () => {
    const spec = {
      myASN: 64512,
      peerASN: 4200000001,
      peerAddress: '2001:db8::1',
      sourceAddress: '2001:db8::10',
      peerPort: 1179,
      holdTime: '3m0s',
      keepaliveTime: '1m',
      routerID: '192.0.2.10',
      nodeSelectors: [
        {
          matchLabels: { 'topology.kubernetes.io/zone': 'z1' },
          matchExpressions: [{ key: 'rack', operator: 'NotIn', values: ['r2', 'r1'] }],
        },
        { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-1'] }] },
      ],
      password: 'md5-secret',
      bfdProfile: 'tor-bfd',
      ebgpMultiHop: true,
    };
    // Every field v1beta1 has (so a field added to the schema is added here).
    const v1Fields = crdFor('BGPPeer').spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!.properties!;
    expect(Object.keys(spec).sort()).toEqual(Object.keys(v1Fields).sort());
    const obj = peer1(spec);
    obj.metadata.name = 'all-fields';
    await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(obj) });

    const get = (version: string) =>
      cp.kubectlJson<Raw>(['get', `bgppeers.${version}.metallb.io`, '-n', NS, 'all-fields']);
    const asV2 = await get('v1beta2');
    expect(asV2.apiVersion).toBe('metallb.io/v1beta2');
    // Every v1beta1 field as written, plus v1beta2's defaults.
    expect(asV2.spec).toEqual({ ...spec, disableMP: false, dualStackAddressFamily: false });
    // Which is what MetalLB's conversion makes of it, and valid v1beta2.
    expect(essence(validated(asV2))).toEqual(
      essence(validated(convertBGPPeerToV1beta2(validated(obj) as unknown as BGPPeerV1beta1))),
    );

    // Written back in v1beta2 (an update through the storage version), then read as v1beta1.
    const back = { apiVersion: asV2.apiVersion, kind: asV2.kind, metadata: asV2.metadata, spec: asV2.spec };
    await cp.kubectl(['replace', '-f', '-'], { input: JSON.stringify(back) });
    const asV1 = await get('v1beta1');
    expect(asV1.apiVersion).toBe('metallb.io/v1beta1');
    expect(asV1.spec).toEqual(spec);
    expect(essence(validated(asV1))).toEqual(essence(validated(obj)));

    // The adapter reads it in both versions, valid in each.
    const c2 = connect();
    const s2 = c2.watch(Resources.BGPPeer, { namespace: NS });
    const c1 = connect();
    const s1 = c1.watch(PeerV1beta1, { namespace: NS });
    c2.start();
    c1.start();
    await c2.cache.waitForSync(AbortSignal.timeout(30_000));
    await c1.cache.waitForSync(AbortSignal.timeout(30_000));
    expect(s2.problems()).toEqual([]);
    expect(s1.problems()).toEqual([]);
    expect(specOf(s2.getByName(NS, 'all-fields'))).toEqual(asV2.spec);
    expect(specOf(s1.getByName(NS, 'all-fields'))).toEqual(spec);
    await cp.kubectl(['delete', 'bgppeer', '-n', NS, 'all-fields']);
  });

  it('kubectl get shows the printer columns (MetalLB’s: no AGE, as theirs have none)', async () => {
    const peers = await cp.kubectl(['get', 'bgppeers', '-n', NS]);
    const header = peers.stdout.split('\n')[0]!;
    expect(header.split(/\s{2,}/)).toEqual(['NAME', 'ADDRESS', 'ASN', 'BFD PROFILE', 'MULTI HOPS']);
    const rows = table(peers.stdout);
    expect(rows.find((r) => r.NAME === 'tor1')).toEqual({
      NAME: 'tor1',
      ADDRESS: '10.0.0.1',
      ASN: '65000',
      'BFD PROFILE': 'tor-bfd',
      'MULTI HOPS': '',
    });
    expect(rows.find((r) => r.NAME === 'tor2')).toMatchObject({ ADDRESS: '10.0.0.2', 'BFD PROFILE': '' });
    // The same columns in v1beta1.
    const old = await cp.kubectl(['get', 'bgppeers.v1beta1.metallb.io', '-n', NS]);
    expect(old.stdout.split('\n')[0]!.split(/\s{2,}/)).toEqual(header.split(/\s{2,}/));

    for (const kind of CRD_KINDS) {
      const crd = crdFor(kind);
      const columns = (crd.spec.versions.at(-1)!.additionalPrinterColumns ?? []).filter(
        (c) => (c.priority ?? 0) === 0,
      );
      const out = await cp.kubectl(['get', crd.spec.names.plural, '-n', NS]);
      if (out.stdout.trim() === '') continue; // no objects of this kind: kubectl prints nothing
      expect(out.stdout.split('\n')[0]!.split(/\s{2,}/), kind).toEqual([
        'NAME',
        ...columns.map((c) => c.name.toUpperCase()),
      ]);
    }
    const pools = await cp.kubectl(['get', 'ipaddresspools', '-n', NS, 'prod-pool', '--no-headers']);
    expect(pools.stdout.split(/\s+/).slice(0, 4)).toEqual([
      'prod-pool',
      'true',
      'false',
      '["203.0.113.0/24"]',
    ]);
  });
});
