import { describe, expect, it } from 'vitest';
import { formatCommunity } from './community.ts';
import { buildConfig, peersForNode } from './config.ts';
import { formatConfigError } from './errors.ts';
import { formatPrefix } from './ip.ts';
import { parseManifests } from './manifests.ts';

/** Load YAML and build; fails the test if a single object is invalid (only cross-object errors are expected). */
function build(yaml: string) {
  const r = parseManifests(yaml);
  expect(r.errors.map(formatConfigError)).toEqual([]);
  return buildConfig(r.objects);
}
const strip = (
  es: readonly {
    kind: string;
    namespace: string;
    name: string;
    path: string;
    rule: string;
    message: string;
  }[],
) =>
  es.map(({ kind, namespace, name, path, rule, message }) => ({
    kind,
    namespace,
    name,
    path,
    rule,
    message,
  }));

const pool = (name: string, addresses: string[], extra = '') => `---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: "${name}", namespace: metallb-system${extra} }
spec:
  addresses: [${addresses.map((a) => JSON.stringify(a)).join(', ')}]
`;
const adv = (name: string, spec: string) => `---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: "${name}", namespace: metallb-system }
spec: ${spec}
`;
const peer = (name: string, spec: string, version = 'v1beta2') => `---
apiVersion: metallb.io/${version}
kind: BGPPeer
metadata: { name: "${name}", namespace: metallb-system }
spec: ${spec}
`;

describe('buildConfig cross-object rules', () => {
  it('rule overlapping-pools: names both pools and the overlapping range', () => {
    const r = build(
      pool('a', ['10.0.0.0/24']) + pool('b', ['192.0.2.1', '10.0.0.200-10.0.1.10']) + adv('all', '{}'),
    );
    expect(strip(r.errors)).toEqual([
      {
        kind: 'IPAddressPool',
        namespace: 'metallb-system',
        name: 'b',
        path: 'spec.addresses[1]',
        rule: 'overlapping-pools',
        message:
          '"10.0.0.200-10.0.1.10" overlaps "10.0.0.0/24" of IPAddressPool metallb-system/a (spec.addresses[0]) at 10.0.0.200-10.0.0.255',
      },
    ]);
    expect([...r.config.pools.keys()]).toEqual(['a']);
    expect(r.errors[0]).toMatchObject({ line: 12, column: 28 });
  });

  it('pools of different families or disjoint ranges do not overlap', () => {
    const r = build(
      pool('a', ['10.0.0.0/25', '2001:db8::/64']) +
        pool('b', ['10.0.0.128/25', '2001:db8:0:1::/64']) +
        adv('x', '{}'),
    );
    expect(r.errors).toEqual([]);
    expect(r.config.pools.size).toBe(2);
  });

  it('rule unknown-pool: advertisement names a pool that does not exist', () => {
    const r = build(pool('a', ['10.0.0.0/24']) + adv('x', '{ ipAddressPools: [a, nope] }'));
    expect(strip(r.errors)).toEqual([
      {
        kind: 'BGPAdvertisement',
        namespace: 'metallb-system',
        name: 'x',
        path: 'spec.ipAddressPools[1]',
        rule: 'unknown-pool',
        message: 'IPAddressPool "nope" does not exist in namespace metallb-system (known: a)',
      },
    ]);
    expect(r.config.advertisements.size).toBe(0);
  });

  it('rule unknown-bfd-profile', () => {
    const r = build(peer('p', '{ myASN: 1, peerASN: 2, peerAddress: 10.0.0.1, bfdProfile: fast }'));
    expect(strip(r.errors)).toEqual([
      {
        kind: 'BGPPeer',
        namespace: 'metallb-system',
        name: 'p',
        path: 'spec.bfdProfile',
        rule: 'unknown-bfd-profile',
        message: 'BFDProfile "fast" does not exist in namespace metallb-system',
      },
    ]);
    expect(r.config.peers.size).toBe(0);
  });

  it('rule unknown-community: neither a value nor an alias', () => {
    const r = build(pool('a', ['10.0.0.0/24']) + adv('x', '{ communities: ["65000:1", no-export-ish] }'));
    expect(strip(r.errors)).toEqual([
      {
        kind: 'BGPAdvertisement',
        namespace: 'metallb-system',
        name: 'x',
        path: 'spec.communities[1]',
        rule: 'unknown-community',
        message:
          '"no-export-ish" is neither a community value (AS:VALUE, large:G:L1:L2) nor the name of a Community alias',
      },
    ]);
  });

  it('Community aliases resolve; standard and large; duplicates collapse', () => {
    const r = build(
      `---
apiVersion: metallb.io/v1beta1
kind: Community
metadata: { name: c, namespace: metallb-system }
spec:
  communities:
    - { name: no-advertise, value: "65535:65282" }
    - { name: big, value: "large:65000:1:2" }
` +
        pool('a', ['10.0.0.0/24']) +
        adv('x', '{ communities: [no-advertise, "65535:65282", big, "large:1:2:3"] }'),
    );
    expect(r.errors).toEqual([]);
    expect(r.config.advertisements.get('x')!.communities.map(formatCommunity)).toEqual([
      '65535:65282',
      'large:65000:1:2',
      'large:1:2:3',
    ]);
    expect([...r.config.communities.keys()]).toEqual(['big', 'no-advertise']);
  });

  it('rule duplicate-community: an alias defined in two Community objects', () => {
    const c = (n: string, v: string) => `---
apiVersion: metallb.io/v1beta1
kind: Community
metadata: { name: ${n}, namespace: metallb-system }
spec: { communities: [{ name: x, value: "${v}" }] }
`;
    const r = build(c('c1', '1:1') + c('c2', '2:2'));
    expect(strip(r.errors)).toEqual([
      {
        kind: 'Community',
        namespace: 'metallb-system',
        name: 'c2',
        path: 'spec.communities[0].name',
        rule: 'duplicate-community',
        message:
          'duplicate definition of community "x" (already defined in Community metallb-system/c1 spec.communities[0])',
      },
    ]);
  });

  it('rule aggregation-length: shorter than the pool CIDR prefix', () => {
    const r = build(
      pool('a', ['10.0.0.0/24', '2001:db8::/64']) +
        adv('x', '{ aggregationLength: 16, aggregationLengthV6: 48 }'),
    );
    expect(strip(r.errors)).toEqual([
      {
        kind: 'BGPAdvertisement',
        namespace: 'metallb-system',
        name: 'x',
        path: 'spec.aggregationLength',
        rule: 'aggregation-length',
        message:
          'invalid aggregationLength 16: prefix /24 of "10.0.0.0/24" (IPAddressPool metallb-system/a spec.addresses[0]) is more specific than the aggregation length; use 24 or longer',
      },
      {
        kind: 'BGPAdvertisement',
        namespace: 'metallb-system',
        name: 'x',
        path: 'spec.aggregationLengthV6',
        rule: 'aggregation-length',
        message:
          'invalid aggregationLengthV6 48: prefix /64 of "2001:db8::/64" (IPAddressPool metallb-system/a spec.addresses[1]) is more specific than the aggregation length; use 64 or longer',
      },
    ]);
    expect(build(pool('a', ['10.0.0.0/24']) + adv('x', '{ aggregationLength: 24 }')).errors).toEqual([]);
    expect(build(pool('a', ['10.0.0.0/24']) + adv('x', '{ aggregationLength: 28 }')).errors).toEqual([]);
  });

  it('aggregation-length with a range pool uses its widest CIDR (MetalLB lowestMask)', () => {
    // 10.0.0.0-10.0.1.255 is one /23
    expect(
      strip(build(pool('a', ['10.0.0.0-10.0.1.255']) + adv('x', '{ aggregationLength: 22 }')).errors)[0],
    ).toMatchObject({
      rule: 'aggregation-length',
      path: 'spec.aggregationLength',
    });
    expect(build(pool('a', ['10.0.0.0-10.0.1.255']) + adv('x', '{ aggregationLength: 23 }')).errors).toEqual(
      [],
    );
  });

  it('rule conflicting-local-pref: same pool, same aggregation, all nodes and peers', () => {
    const r = build(
      pool('a', ['10.0.0.0/24']) + adv('x', '{ localPref: 100 }') + adv('y', '{ localPref: 200 }'),
    );
    expect(strip(r.errors)).toEqual([
      {
        kind: 'BGPAdvertisement',
        namespace: 'metallb-system',
        name: 'y',
        path: 'spec.localPref',
        rule: 'conflicting-local-pref',
        message:
          'localPref 200 conflicts with localPref 100 of BGPAdvertisement metallb-system/x: both announce IPAddressPool a with the same aggregation length to the same peers from the same nodes',
      },
    ]);
  });

  it('localPref is not compared for advertisements with serviceSelectors (MetalLB: the speaker checks per Service)', () => {
    const sel = `serviceSelectors: [{ matchLabels: { tier: web } }]`;
    const r = build(
      pool('a', ['10.0.0.0/24']) + adv('x', '{ localPref: 100 }') + adv('y', `{ localPref: 200, ${sel} }`),
    );
    expect(r.errors).toEqual([]);
    expect(r.config.advertisements.get('y')?.serviceSelectors).toEqual([{ matchLabels: { tier: 'web' } }]);
    expect(r.config.advertisements.get('x')?.serviceSelectors).toEqual([]);
    expect(
      build(
        pool('a', ['10.0.0.0/24']) + adv('x', `{ localPref: 100, ${sel} }`) + adv('y', '{ localPref: 200 }'),
      ).errors,
    ).toEqual([]);
  });

  it('localPref may differ with a different aggregation length, disjoint peers, or disjoint nodes', () => {
    const base = pool('a', ['10.0.0.0/24']) + adv('x', '{ localPref: 100 }');
    expect(build(base + adv('y', '{ localPref: 200, aggregationLength: 24 }')).errors).toEqual([]);
    expect(
      build(
        pool('a', ['10.0.0.0/24']) +
          adv('x', '{ localPref: 100, peers: [p1] }') +
          adv('y', '{ localPref: 200, peers: [p2] }'),
      ).errors,
    ).toEqual([]);
    const nodes = `---
apiVersion: v1
kind: Node
metadata: { name: n1, labels: { rack: r1 } }
---
apiVersion: v1
kind: Node
metadata: { name: n2, labels: { rack: r2 } }
`;
    const sel = (r: string) => `nodeSelectors: [{ matchLabels: { rack: ${r} } }]`;
    expect(
      build(
        nodes +
          pool('a', ['10.0.0.0/24']) +
          adv('x', `{ localPref: 100, ${sel('r1')} }`) +
          adv('y', `{ localPref: 200, ${sel('r2')} }`),
      ).errors,
    ).toEqual([]);
    expect(
      strip(
        build(
          nodes +
            pool('a', ['10.0.0.0/24']) +
            adv('x', `{ localPref: 100, ${sel('r1')} }`) +
            adv('y', '{ localPref: 200 }'),
        ).errors,
      ),
    ).toMatchObject([{ rule: 'conflicting-local-pref', name: 'y' }]);
  });

  it('rule duplicate-peer: two peers opening the same session from the same nodes', () => {
    const r = build(
      peer('a', '{ myASN: 1, peerASN: 2, peerAddress: 10.0.0.1 }') +
        peer('b', '{ myASN: 3, peerASN: 2, peerAddress: 10.0.0.1 }'),
    );
    expect(strip(r.errors)).toEqual([
      {
        kind: 'BGPPeer',
        namespace: 'metallb-system',
        name: 'b',
        path: 'spec.peerAddress',
        rule: 'duplicate-peer',
        message: 'BGPPeer metallb-system/a already peers with 10.0.0.1 (port 179) from the same nodes',
      },
    ]);
    // Same address from different nodes is fine (e.g. one peer per rack).
    expect(
      build(
        peer(
          'a',
          '{ myASN: 1, peerASN: 2, peerAddress: 10.0.0.1, nodeSelectors: [{ matchLabels: { rack: r1 } }] }',
        ) +
          peer(
            'b',
            '{ myASN: 1, peerASN: 2, peerAddress: 10.0.0.1, nodeSelectors: [{ matchLabels: { rack: r2 } }] }',
          ),
      ).errors,
    ).toEqual([]);
  });

  it('passwordSecret resolves from a basic-auth Secret; missing or wrong-type Secrets are errors', () => {
    const secret = (type: string, data: string) => `---
apiVersion: v1
kind: Secret
metadata: { name: tor-pw, namespace: metallb-system }
type: ${type}
data: { ${data} }
`;
    const p = peer('p', '{ myASN: 1, peerASN: 2, peerAddress: 10.0.0.1, passwordSecret: { name: tor-pw } }');
    const ok = build(secret('kubernetes.io/basic-auth', 'password: czNjcjN0') + p);
    expect(ok.errors).toEqual([]);
    expect(ok.config.peers.get('p')!.password).toBe('s3cr3t');
    expect(strip(build(p).errors)).toMatchObject([
      {
        path: 'spec.passwordSecret',
        rule: 'unknown-secret',
        message: 'Secret metallb-system/tor-pw does not exist',
      },
    ]);
    expect(strip(build(secret('Opaque', 'password: czNjcjN0') + p).errors)).toMatchObject([
      { rule: 'invalid-secret' },
    ]);
    expect(strip(build(secret('kubernetes.io/basic-auth', 'username: YQ==') + p).errors)).toMatchObject([
      { rule: 'invalid-secret' },
    ]);
    expect(buildConfig(parseManifests(p).objects, { resolveSecrets: false }).errors).toEqual([]);
  });

  it('a later object with the same kind/namespace/name replaces the earlier one', () => {
    const r = build(
      peer('p', '{ myASN: 1, peerASN: 2, peerAddress: 10.0.0.1 }', 'v1beta1') +
        peer('p', '{ myASN: 1, peerASN: 2, peerAddress: 10.0.0.2 }'),
    );
    expect(r.errors).toEqual([]);
    expect(r.config.peers.get('p')!.peerAddress).toBe('10.0.0.2');
    expect(r.warnings.map((w) => w.rule)).toEqual(['duplicate-object']);
  });

  it('metallb.io objects outside metallb-system are ignored with a warning', () => {
    const r = build(pool('a', ['10.0.0.0/24']).replace('metallb-system', 'other'));
    expect(r.config.pools.size).toBe(0);
    expect(strip(r.warnings)).toEqual([
      {
        kind: 'IPAddressPool',
        namespace: 'other',
        name: 'a',
        path: 'metadata.namespace',
        rule: 'ignored-namespace',
        message: 'ignored: metallb.io objects are read from namespace metallb-system only',
      },
    ]);
  });

  it('an advertisement without pools covers every pool; pool selectors select by label', () => {
    const r = build(
      pool('a', ['10.0.0.0/24'], ', labels: { tier: gold }') +
        pool('b', ['10.0.1.0/24']) +
        adv('all', '{}') +
        adv('gold', '{ ipAddressPoolSelectors: [{ matchLabels: { tier: gold } }] }'),
    );
    expect(r.errors).toEqual([]);
    expect(r.config.advertisements.get('all')!.pools).toEqual(['a', 'b']);
    expect(r.config.advertisements.get('gold')!.pools).toEqual(['a']);
  });

  it('a pool no advertisement covers gets a warning (it will never be announced)', () => {
    const r = build(
      pool('a', ['10.0.0.0/24']) + pool('b', ['10.0.1.0/24']) + adv('x', '{ ipAddressPools: [a] }'),
    );
    expect(r.errors).toEqual([]);
    expect(strip(r.warnings)).toMatchObject([{ name: 'b', rule: 'unannounced-pool' }]);
  });

  it('rule unknown-peer is a warning, not an error', () => {
    const r = build(pool('a', ['10.0.0.0/24']) + adv('x', '{ peers: [ghost] }'));
    expect(r.errors).toEqual([]);
    expect(strip(r.warnings)).toMatchObject([{ path: 'spec.peers[0]', rule: 'unknown-peer' }]);
  });

  it('one bad object does not hide the good ones', () => {
    const r = build(
      pool('a', ['10.0.0.0/24']) +
        pool('b', ['10.0.0.0/25']) +
        adv('x', '{ ipAddressPools: [a] }') +
        peer('p', '{ myASN: 1, peerASN: 2, peerAddress: 10.0.0.1 }'),
    );
    expect(r.errors.map((e) => e.rule)).toEqual(['overlapping-pools']);
    expect([...r.config.pools.keys()]).toEqual(['a']);
    expect([...r.config.advertisements.keys()]).toEqual(['x']);
    expect([...r.config.peers.keys()]).toEqual(['p']);
  });
});

describe('MetalLB extra rules and per-node peers', () => {
  it('rule bfd-echo-ipv6: echo mode on a peer that gets IPv6 announcements', () => {
    const r = build(
      `---
apiVersion: metallb.io/v1beta1
kind: BFDProfile
metadata: { name: echo, namespace: metallb-system }
spec: { echoMode: true }
` +
        peer('p', '{ myASN: 1, peerASN: 2, peerAddress: "2001:db8::1", bfdProfile: echo }') +
        pool('v6', ['2001:db8:1::/120']) +
        adv('x', '{}'),
    );
    expect(strip(r.errors)).toEqual([
      {
        kind: 'BGPPeer',
        namespace: 'metallb-system',
        name: 'p',
        path: 'spec.bfdProfile',
        rule: 'bfd-echo-ipv6',
        message:
          'BFDProfile echo has echoMode enabled, which is not possible for IPv6: BGPAdvertisement x announces IPv6 addresses to this peer',
      },
    ]);
  });

  it('peersForNode: selectors, and a conflict when two selected peers open the same session', () => {
    const r = build(
      peer('all', '{ myASN: 1, peerASN: 2, peerAddress: 10.0.0.1 }') +
        peer(
          'r1',
          '{ myASN: 1, peerASN: 2, peerAddress: 10.0.0.2, nodeSelectors: [{ matchLabels: { rack: r1 } }] }',
        ) +
        peer(
          'r1b',
          '{ myASN: 1, peerASN: 3, peerAddress: 10.0.0.2, nodeSelectors: [{ matchExpressions: [{ key: rack, operator: In, values: [r1, r2] }] }] }',
        ),
    );
    expect(r.errors).toEqual([]);
    const n1 = peersForNode(r.config, { rack: 'r1' });
    expect(n1.peers.map((p) => p.name)).toEqual(['all', 'r1']);
    expect(n1.conflicts).toMatchObject([{ name: 'r1b', rule: 'duplicate-peer' }]);
    const n2 = peersForNode(r.config, { rack: 'r2' });
    expect(n2.peers.map((p) => p.name)).toEqual(['all', 'r1b']);
    expect(n2.conflicts).toEqual([]);
    expect(peersForNode(r.config, undefined).peers.map((p) => p.name)).toEqual(['all']);
  });
});

describe("MetalLB's own example (internal/config TestParse: config using all features)", () => {
  it('gives the same pools, CIDRs, timers and advertisements', () => {
    const r = build(
      peer(
        'peer1',
        '{ myASN: 42, peerASN: 142, peerAddress: 1.2.3.4, peerPort: 1179, holdTime: 180s, connectTime: 1s, routerID: 10.20.30.40, sourceAddress: 10.20.30.40, enableGracefulRestart: true, ebgpMultiHop: true, vrf: foo }',
      ) +
        peer(
          'peer2',
          '{ myASN: 100, peerASN: 200, peerAddress: 2.3.4.5, connectTime: 1s, nodeSelectors: [{ matchLabels: { foo: bar }, matchExpressions: [{ key: bar, operator: In, values: [quux] }] }] }',
        ) +
        pool('pool1', ['10.20.0.0/16', '10.50.0.0/24']).replace(
          'addresses:',
          'avoidBuggyIPs: true\n  autoAssign: false\n  addresses:',
        ) +
        pool('pool2', ['30.0.0.0/8']) +
        pool('pool3', [
          '40.0.0.0/25',
          '40.0.0.150-40.0.0.200',
          '40.0.0.210 - 40.0.0.240',
          '40.0.0.250 - 40.0.0.250',
        ]) +
        pool('pool4', ['2001:db8::/64']) +
        adv(
          'adv1',
          '{ aggregationLength: 32, localPref: 100, communities: [bar], ipAddressPools: [pool1], peers: [peer1] }',
        ) +
        adv('adv2', '{ aggregationLength: 24, aggregationLengthV6: 64, ipAddressPools: [pool1] }') +
        adv('adv3', '{ ipAddressPools: [pool2] }') +
        `---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: l2adv1, namespace: metallb-system }
spec: { ipAddressPools: [pool3] }
---
apiVersion: metallb.io/v1beta1
kind: Community
metadata: { name: community, namespace: metallb-system }
spec: { communities: [{ name: bar, value: "64512:1234" }] }
`,
    );
    expect(r.errors).toEqual([]);
    expect(r.config.peers.get('peer1')).toMatchObject({
      port: 1179,
      holdTime: 180,
      keepaliveTime: 60,
      connectTime: 1,
      vrf: 'foo',
    });
    const p1 = r.config.pools.get('pool1')!;
    expect([p1.avoidBuggyIPs, p1.autoAssign]).toEqual([true, false]);
    expect(r.config.pools.get('pool3')!.addresses.flatMap((a) => a.cidrs.map(formatPrefix))).toEqual([
      '40.0.0.0/25',
      '40.0.0.150/31',
      '40.0.0.152/29',
      '40.0.0.160/27',
      '40.0.0.192/29',
      '40.0.0.200/32',
      '40.0.0.210/31',
      '40.0.0.212/30',
      '40.0.0.216/29',
      '40.0.0.224/28',
      '40.0.0.240/32',
      '40.0.0.250/32',
    ]);
    expect(r.config.advertisements.get('adv1')!.communities.map(formatCommunity)).toEqual(['64512:1234']);
    expect(r.config.advertisements.get('adv2')).toMatchObject({
      aggregationLength: 24,
      aggregationLengthV6: 64,
      pools: ['pool1'],
    });
    // pool3 and pool4 have no BGPAdvertisement (pool3 is L2 only): warned, not refused
    expect(r.warnings.map((w) => [w.name, w.rule])).toEqual([
      ['pool3', 'unannounced-pool'],
      ['pool4', 'unannounced-pool'],
    ]);
  });
});

describe("MetalLB's TestParse error cases, each refused", () => {
  const testPool = pool('testPool', ['10.20.0.0/16']);
  const comm = (name: string, entries: string) => `---
apiVersion: metallb.io/v1beta1
kind: Community
metadata: { name: "${name}", namespace: metallb-system }
spec: { communities: [${entries}] }
`;
  const all = (yaml: string) => {
    const r = parseManifests(yaml);
    const b = buildConfig(r.objects);
    return [...r.errors, ...b.errors].map((e) => e.rule);
  };
  it.each([
    [
      'aggregation length by range, too wide',
      pool('pool1', ['3.3.3.2-3.3.3.254']) + adv('a', '{ aggregationLength: 24 }'),
      'aggregation-length',
    ],
    [
      'duplicate ip address pools - in BGP adv',
      testPool + adv('a', '{ ipAddressPools: [testPool, testPool] }'),
      'duplicate-value',
    ],
    [
      'duplicate peers - in BGP adv',
      testPool + adv('a', '{ ipAddressPools: [testPool], peers: [peer1, peer1] }'),
      'duplicate-value',
    ],
    [
      'bad community literal (wrong format) - in BGP adv',
      testPool + adv('a', '{ communities: ["1234"] }'),
      'unknown-community',
    ],
    [
      "bad community literal (asn part doesn't fit)",
      testPool + adv('a', '{ communities: ["99999999:1"] }'),
      'invalid-community',
    ],
    [
      "bad community literal (community# part doesn't fit)",
      testPool + adv('a', '{ communities: ["1:99999999"] }'),
      'invalid-community',
    ],
    [
      'bad community ref (unknown ref)',
      testPool + adv('a', '{ communities: [community] }'),
      'unknown-community',
    ],
    [
      'duplicate community literal',
      testPool + adv('a', '{ communities: ["1234:5678", "1234:5678"] }'),
      'duplicate-value',
    ],
    [
      'bad community literal (wrong format) - in the community CR',
      comm('c', '{ name: bar, value: "1234" }'),
      'invalid-community',
    ],
    [
      "bad community literal (asn part doesn't fit) - in the community CR",
      comm('c', '{ name: bar, value: "99999999:1" }'),
      'invalid-community',
    ],
    [
      'duplicate communities definition (in 2 different crs)',
      comm('c1', '{ name: bar, value: "1234:5678" }') + comm('c2', '{ name: bar, value: "1234:5678" }'),
      'duplicate-community',
    ],
    [
      'duplicate communities definition (in the same cr)',
      comm('c', '{ name: bar, value: "1234:5678" }, { name: bar, value: "1234:5678" }'),
      'duplicate-community',
    ],
    ['duplicate CIDRs', pool('pool1', [' 10.0.0.0/8']) + pool('pool2', [' 10.0.0.0/8']), 'overlapping-pools'],
    [
      'overlapping CIDRs',
      pool('pool1', [' 10.0.0.0/8']) + pool('pool2', ['10.0.0.0/16']),
      'overlapping-pools',
    ],
    ['pool without addresses', pool('pool1', []), 'min-items'],
    [
      'BGP Peer with both password and secret ref set',
      peer(
        'p',
        '{ myASN: 42, peerASN: 42, peerAddress: 1.2.3.4, password: nopass, passwordSecret: { name: nosecret, namespace: metallb-system } }',
      ),
      'password-exclusive',
    ],
    ['missing peer ASN and dynamicASN', peer('p', '{ myASN: 42, peerAddress: 1.2.3.4 }'), 'asn-required'],
    [
      'peer referencing non existing bfd profile',
      peer('p', '{ myASN: 42, peerASN: 42, peerAddress: 1.2.3.4, bfdProfile: nope }'),
      'unknown-bfd-profile',
    ],
    [
      'invalid hold time',
      peer('p', '{ myASN: 42, peerASN: 42, peerAddress: 1.2.3.4, holdTime: 1s }'),
      'hold-time',
    ],
    [
      'keepalive above hold',
      peer('p', '{ myASN: 42, peerASN: 42, peerAddress: 1.2.3.4, holdTime: 30s, keepaliveTime: 31s }'),
      'keepalive-time',
    ],
    [
      'bfd detect multiplier out of range',
      '---\napiVersion: metallb.io/v1beta1\nkind: BFDProfile\nmetadata: { name: b }\nspec: { detectMultiplier: 256 }\n',
      'maximum',
    ],
  ])('%s', (_desc, yaml, rule) => {
    expect(all(yaml)).toContain(rule);
  });
  it('aggregation length by range, exact (26) is accepted', () => {
    expect(all(pool('pool1', ['3.3.3.2-3.3.3.254']) + adv('a', '{ aggregationLength: 26 }'))).toEqual([]);
  });
});
