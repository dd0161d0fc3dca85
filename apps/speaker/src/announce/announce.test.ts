import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { advertisement, peerInfo } from '../test-support/fixtures.ts';
import { computeAnnouncements, endpointCanServe, hasHealthyEndpoint } from './announce.ts';
import type {
  AdvertisementInfo,
  AnnounceConfig,
  AnnounceInput,
  EndpointSlice,
  Node,
  PoolInfo,
  Service,
} from './types.ts';

const pool = (name: string, addresses: string[], labels: Record<string, string> = {}): PoolInfo => ({
  name,
  addresses,
  labels,
});
const peer = peerInfo;
const adv = advertisement;
const svc = (
  name: string,
  ips: string[],
  policy = 'Cluster',
  annotations: Record<string, string> = {},
): Service => ({
  metadata: { name, namespace: 'default', annotations },
  spec: { type: 'LoadBalancer', externalTrafficPolicy: policy },
  status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } },
});
type Cond = { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
const slice = (
  svcName: string,
  eps: { ip: string; node: string; cond?: Cond }[],
  name = `${svcName}-x`,
): EndpointSlice => ({
  metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': svcName } },
  endpoints: eps.map((e) => ({ addresses: [e.ip], nodeName: e.node, conditions: e.cond ?? { ready: true } })),
});
const node = (
  name: string,
  labels: Record<string, string> = {},
  conditions: { type: string; status: string }[] = [],
): Node => ({
  metadata: { name, labels },
  status: { conditions },
});

const seedConfig: AnnounceConfig = {
  pools: [pool('prod-pool', ['203.0.113.0/24'])],
  peers: [peer('tor1'), peer('tor2')],
  advertisements: [
    adv('prod-adv', { ipAddressPools: ['prod-pool'], communities: [65000 * 65536 + 100], localPref: 100 }),
  ],
};

function input(over: Partial<AnnounceInput> = {}): AnnounceInput {
  return {
    config: seedConfig,
    services: [svc('web', ['203.0.113.10'])],
    endpointSlices: [slice('web', [{ ip: '10.244.1.5', node: 'node-a' }])],
    nodes: [node('node-a'), node('node-b')],
    nodeName: 'node-a',
    ...over,
  };
}

const prefixes = (r: ReturnType<typeof computeAnnouncements>, p: string, fam: 'ipv4' | 'ipv6' = 'ipv4') => [
  ...(r.routes.get(p)?.[fam].keys() ?? []),
];

describe('announcement rules (MetalLB speaker)', () => {
  it('announces a Service IP as a /32 to every peer when an advertisement covers its pool', () => {
    const r = computeAnnouncements(input());
    expect(prefixes(r, 'tor1')).toEqual(['203.0.113.10/32']);
    expect(prefixes(r, 'tor2')).toEqual(['203.0.113.10/32']);
    expect(r.services).toEqual([
      {
        service: 'default/web',
        ips: ['203.0.113.10'],
        pool: 'prod-pool',
        reason: '',
        peers: ['tor1', 'tor2'],
        announcements: [{ ip: '203.0.113.10', peers: ['tor1', 'tor2'] }],
      },
    ]);
  });

  it('Cluster policy: a node without local endpoints still announces when any endpoint is ready', () => {
    const r = computeAnnouncements(input({ nodeName: 'node-b' }));
    expect(prefixes(r, 'tor1')).toEqual(['203.0.113.10/32']);
  });

  it('Cluster policy: no ready endpoint anywhere → noEndpoints, nothing announced', () => {
    const r = computeAnnouncements(
      input({
        endpointSlices: [slice('web', [{ ip: '10.244.1.5', node: 'node-a', cond: { ready: false } }])],
      }),
    );
    expect(prefixes(r, 'tor1')).toEqual([]);
    expect(r.services[0]?.reason).toBe('noEndpoints');
  });

  it('Cluster policy: a Service without EndpointSlices is not announced', () => {
    const r = computeAnnouncements(input({ endpointSlices: [] }));
    expect(r.services[0]?.reason).toBe('noEndpoints');
  });

  it('Local policy: announces only from a node with a ready local endpoint', () => {
    const services = [svc('web', ['203.0.113.10'], 'Local')];
    expect(prefixes(computeAnnouncements(input({ services })), 'tor1')).toEqual(['203.0.113.10/32']);
    const other = computeAnnouncements(input({ services, nodeName: 'node-b' }));
    expect(prefixes(other, 'tor1')).toEqual([]);
    expect(other.services[0]?.reason).toBe('noLocalEndpoints');
  });

  it('Local policy: a serving endpoint that is not ready counts (also while terminating)', () => {
    const services = [svc('web', ['203.0.113.10'], 'Local')];
    const endpointSlices = [
      slice('web', [
        { ip: '10.244.1.5', node: 'node-a', cond: { ready: false, serving: true, terminating: true } },
      ]),
    ];
    expect(prefixes(computeAnnouncements(input({ services, endpointSlices })), 'tor1')).toEqual([
      '203.0.113.10/32',
    ]);
  });

  it('Local policy: an endpoint neither ready nor serving does not count', () => {
    const services = [svc('web', ['203.0.113.10'], 'Local')];
    const endpointSlices = [
      slice('web', [{ ip: '10.244.1.5', node: 'node-a', cond: { ready: false, serving: false } }]),
    ];
    expect(computeAnnouncements(input({ services, endpointSlices })).services[0]?.reason).toBe(
      'noLocalEndpoints',
    );
  });

  it('an endpoint with unset conditions counts as ready (EndpointConditions semantics)', () => {
    expect(endpointCanServe(undefined)).toBe(true);
    expect(endpointCanServe({ ready: null })).toBe(true);
    expect(endpointCanServe({ ready: false })).toBe(false);
  });

  it('an address unready in one slice is unready even if another slice lists it ready', () => {
    const a = slice('web', [{ ip: '10.244.1.5', node: 'node-a' }], 'web-1');
    const b = slice('web', [{ ip: '10.244.1.5', node: 'node-a', cond: { ready: false } }], 'web-2');
    expect(hasHealthyEndpoint([a, b])).toBe(false);
    expect(hasHealthyEndpoint([b, a])).toBe(false);
  });

  it('hasHealthyEndpoint agrees with the per-address rule on random slices', () => {
    // The rule as MetalLB writes it: per address, false if any listing cannot serve, else true.
    const rule = (slices: EndpointSlice[], onNode?: string): boolean => {
      const ready = new Map<string, boolean>();
      for (const sl of slices)
        for (const ep of sl.endpoints ?? []) {
          if (onNode !== undefined && ep.nodeName !== onNode) continue;
          for (const a of ep.addresses)
            ready.set(a, endpointCanServe(ep.conditions) && (ready.get(a) ?? true));
        }
      return [...ready.values()].some((r) => r);
    };
    const cond = fc.constantFrom<Cond | undefined>(
      undefined,
      { ready: true },
      { ready: false },
      { ready: null },
      { ready: false, serving: true },
      { ready: false, serving: false, terminating: true },
    );
    const ep = fc.record({
      addresses: fc.array(fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3'), { maxLength: 2 }),
      nodeName: fc.constantFrom('node-a', 'node-b'),
      conditions: cond,
    });
    const slices = fc.array(
      fc.array(ep, { maxLength: 3 }).map(
        (endpoints): EndpointSlice => ({
          metadata: { name: 'web-x', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
          endpoints: endpoints.map((e) =>
            e.conditions === undefined ? { addresses: e.addresses, nodeName: e.nodeName } : e,
          ),
        }),
      ),
      { maxLength: 3 },
    );
    fc.assert(
      fc.property(slices, fc.constantFrom(undefined, 'node-a'), (sl, onNode) => {
        expect(hasHealthyEndpoint(sl, onNode)).toBe(rule(sl, onNode));
      }),
      { numRuns: 3000, seed: 20261125 },
    );
  });

  it('endpoint slices of a same-named Service in another namespace do not count', () => {
    const s = slice('web', [{ ip: '10.244.1.5', node: 'node-a' }]);
    const other: EndpointSlice = { ...s, metadata: { ...s.metadata, namespace: 'other' } };
    expect(computeAnnouncements(input({ endpointSlices: [other] })).services[0]?.reason).toBe('noEndpoints');
  });

  it('a node labelled exclude-from-external-load-balancers announces nothing', () => {
    const nodes = [node('node-a', { 'node.kubernetes.io/exclude-from-external-load-balancers': '' })];
    const r = computeAnnouncements(input({ nodes }));
    expect(prefixes(r, 'tor1')).toEqual([]);
    expect(r.nodeReason).toBe('nodeLabeledExcludeBalancers');
    expect(r.services[0]?.reason).toBe('nodeLabeledExcludeBalancers');
  });

  it('a node with NetworkUnavailable=True announces nothing; False does not matter', () => {
    const down = computeAnnouncements(
      input({ nodes: [node('node-a', {}, [{ type: 'NetworkUnavailable', status: 'True' }])] }),
    );
    expect(prefixes(down, 'tor1')).toEqual([]);
    expect(down.services[0]?.reason).toBe('nodeNetworkUnavailable');
    const up = computeAnnouncements(
      input({ nodes: [node('node-a', {}, [{ type: 'NetworkUnavailable', status: 'False' }])] }),
    );
    expect(prefixes(up, 'tor1')).toEqual(['203.0.113.10/32']);
  });

  it('an advertisement whose nodeSelectors do not select this node does not announce (notOwner)', () => {
    const config = {
      ...seedConfig,
      advertisements: [adv('a', { nodeSelectors: [{ matchLabels: { rack: 'r1' } }] })],
    };
    const r = computeAnnouncements(input({ config, nodes: [node('node-a', { rack: 'r2' })] }));
    expect(prefixes(r, 'tor1')).toEqual([]);
    expect(r.services[0]?.reason).toBe('notOwner');
    const r2 = computeAnnouncements(input({ config, nodes: [node('node-a', { rack: 'r1' })] }));
    expect(prefixes(r2, 'tor1')).toEqual(['203.0.113.10/32']);
  });

  it('node selectors: matchExpressions In/NotIn/Exists/DoesNotExist, any selector of the list', () => {
    const sel = (op: string, values?: string[]) => [
      { matchExpressions: [{ key: 'rack', operator: op, values }] },
    ];
    const run = (nodeSelectors: AdvertisementInfo['nodeSelectors'], labels: Record<string, string>) =>
      prefixes(
        computeAnnouncements(
          input({
            config: { ...seedConfig, advertisements: [adv('a', { nodeSelectors })] },
            nodes: [node('node-a', labels)],
          }),
        ),
        'tor1',
      ).length;
    expect(run(sel('In', ['r1', 'r2']), { rack: 'r2' })).toBe(1);
    expect(run(sel('In', ['r1']), { rack: 'r2' })).toBe(0);
    expect(run(sel('NotIn', ['r1']), { rack: 'r2' })).toBe(1);
    expect(run(sel('NotIn', ['r1']), {})).toBe(1);
    expect(run(sel('Exists'), {})).toBe(0);
    expect(run(sel('DoesNotExist'), {})).toBe(1);
    expect(run([{ matchLabels: { a: '1' } }, { matchLabels: { b: '1' } }], { b: '1' })).toBe(1);
  });

  it('an advertisement limited to some peers announces only to them', () => {
    const config = { ...seedConfig, advertisements: [adv('a', { peers: ['tor2'] })] };
    const r = computeAnnouncements(input({ config }));
    expect(prefixes(r, 'tor1')).toEqual([]);
    expect(prefixes(r, 'tor2')).toEqual(['203.0.113.10/32']);
    expect(r.services[0]?.peers).toEqual(['tor2']);
  });

  it('a peer whose nodeSelectors do not select this node has no session and no routes', () => {
    const config = {
      ...seedConfig,
      peers: [peer('tor1', { nodeSelectors: [{ matchLabels: { rack: 'r9' } }] }), peer('tor2')],
    };
    const r = computeAnnouncements(input({ config }));
    expect(r.routes.has('tor1')).toBe(false);
    expect(prefixes(r, 'tor2')).toEqual(['203.0.113.10/32']);
  });

  it('an advertisement naming other pools does not cover this one', () => {
    const config = {
      pools: [pool('prod-pool', ['203.0.113.0/24']), pool('other', ['198.51.100.0/24'])],
      peers: [peer('tor1')],
      advertisements: [adv('a', { ipAddressPools: ['other'] })],
    };
    expect(computeAnnouncements(input({ config })).services[0]?.reason).toBe('notOwner');
  });

  it('ipAddressPoolSelectors select pools by label; no pools and no selectors cover every pool', () => {
    const pools = [pool('prod-pool', ['203.0.113.0/24'], { tier: 'prod' })];
    const bySel = {
      pools,
      peers: [peer('tor1')],
      advertisements: [adv('a', { ipAddressPoolSelectors: [{ matchLabels: { tier: 'prod' } }] })],
    };
    expect(prefixes(computeAnnouncements(input({ config: bySel })), 'tor1')).toEqual(['203.0.113.10/32']);
    const miss = {
      ...bySel,
      advertisements: [adv('a', { ipAddressPoolSelectors: [{ matchLabels: { tier: 'dev' } }] })],
    };
    expect(prefixes(computeAnnouncements(input({ config: miss })), 'tor1')).toEqual([]);
    const all = { ...bySel, advertisements: [adv('a')] };
    expect(prefixes(computeAnnouncements(input({ config: all })), 'tor1')).toEqual(['203.0.113.10/32']);
  });

  it('a resolved pool list is exact: an empty one covers no pool', () => {
    const none = { ...seedConfig, advertisements: [adv('a', { poolsResolved: true })] };
    expect(computeAnnouncements(input({ config: none })).services[0]?.reason).toBe('notOwner');
    const some = {
      ...seedConfig,
      advertisements: [adv('a', { poolsResolved: true, ipAddressPools: ['prod-pool'] })],
    };
    expect(prefixes(computeAnnouncements(input({ config: some })), 'tor1')).toEqual(['203.0.113.10/32']);
  });

  it('the pool comes from the ip-allocated-from-pool annotation when two pools contain the IP', () => {
    const config: AnnounceConfig = {
      pools: [pool('wide', ['203.0.113.0/24']), pool('narrow', ['203.0.113.0-203.0.113.20'])],
      peers: [peer('tor1')],
      advertisements: [adv('only-narrow', { ipAddressPools: ['narrow'], communities: [1] })],
    };
    const annotated = computeAnnouncements(
      input({
        config,
        services: [
          svc('web', ['203.0.113.10'], 'Cluster', { 'metallb.io/ip-allocated-from-pool': 'narrow' }),
        ],
      }),
    );
    expect(annotated.services[0]?.pool).toBe('narrow');
    expect(prefixes(annotated, 'tor1')).toEqual(['203.0.113.10/32']);
    const plain = computeAnnouncements(input({ config }));
    expect(plain.services[0]?.pool).toBe('wide');
    expect(plain.services[0]?.reason).toBe('notOwner');
  });

  it('a pool entry may be a CIDR, a range or a single IP, as MetalLB accepts', () => {
    const config: AnnounceConfig = {
      ...seedConfig,
      pools: [pool('prod-pool', ['198.51.100.7', '203.0.113.0-203.0.113.20', '2001:db8:5::/64'])],
    };
    const r = computeAnnouncements(
      input({
        config,
        services: [
          svc('one', ['198.51.100.7']),
          svc('range', ['203.0.113.20']),
          svc('past', ['203.0.113.21']),
        ],
        endpointSlices: ['one', 'range', 'past'].map((n) => slice(n, [{ ip: '10.244.1.5', node: 'node-a' }])),
      }),
    );
    expect(r.services.map((x) => [x.service, x.pool, x.reason])).toEqual([
      ['default/one', 'prod-pool', ''],
      ['default/range', 'prod-pool', ''],
      ['default/past', undefined, 'ipNotAllowed'],
    ]);
    expect(prefixes(r, 'tor1')).toEqual(['198.51.100.7/32', '203.0.113.20/32']);
  });

  it('an IP in no pool is not announced (ipNotAllowed); no ingress → noIPAllocated', () => {
    const r = computeAnnouncements(input({ services: [svc('a', ['192.0.2.1']), svc('b', [])] }));
    expect(r.services.map((s) => s.reason)).toEqual(['ipNotAllowed', 'noIPAllocated']);
  });

  it('Services that are not type LoadBalancer, or of another loadBalancerClass, are ignored', () => {
    const cluster: Service = { ...svc('c', ['203.0.113.11']), spec: { type: 'ClusterIP' } };
    const classed: Service = {
      ...svc('d', ['203.0.113.12']),
      spec: { type: 'LoadBalancer', loadBalancerClass: 'x' },
    };
    const r = computeAnnouncements(input({ services: [cluster, classed] }));
    expect(r.services).toEqual([]);
    expect(prefixes(r, 'tor1')).toEqual([]);
  });

  it('aggregationLength: the prefix is the IP masked to it, and several Services share one route', () => {
    const config = { ...seedConfig, advertisements: [adv('agg', { aggregationLength: 24 })] };
    const r = computeAnnouncements(
      input({
        config,
        services: [svc('web', ['203.0.113.10']), svc('api', ['203.0.113.200'])],
        endpointSlices: [
          slice('web', [{ ip: '10.0.0.9', node: 'node-a' }]),
          slice('api', [{ ip: '10.0.0.8', node: 'node-b' }]),
        ],
      }),
    );
    expect(prefixes(r, 'tor1')).toEqual(['203.0.113.0/24']);
  });

  it('aggregationLengthV6 masks IPv6 addresses; IPv6 routes go to the ipv6 family, canonical text', () => {
    const config: AnnounceConfig = {
      pools: [pool('v6', ['2001:db8:0:0:1::/80'])],
      peers: [peer('tor1', { families: [6] })],
      advertisements: [adv('a', { aggregationLengthV6: 64 }), adv('b')],
    };
    const r = computeAnnouncements(input({ config, services: [svc('web', ['2001:DB8::1:0:0:5'])] }));
    expect(prefixes(r, 'tor1', 'ipv6').sort()).toEqual(['2001:db8::/64', '2001:db8::1:0:0:5/128']);
    expect(prefixes(r, 'tor1', 'ipv4')).toEqual([]);
  });

  it('dual-stack Service: both IPs announced from a dual-stack pool (over a session carrying both)', () => {
    const config: AnnounceConfig = {
      pools: [pool('ds', ['203.0.113.0/24', '2001:db8::/64'])],
      peers: [peer('tor1', { families: [4, 6] })],
      advertisements: [adv('a')],
    };
    const r = computeAnnouncements(
      input({ config, services: [svc('web', ['203.0.113.10', '2001:db8::10'])] }),
    );
    expect(prefixes(r, 'tor1')).toEqual(['203.0.113.10/32']);
    expect(prefixes(r, 'tor1', 'ipv6')).toEqual(['2001:db8::10/128']);
  });

  it('communities and large communities are attached, merged across advertisements of one prefix', () => {
    const config = {
      ...seedConfig,
      advertisements: [
        adv('a', { communities: [65000 * 65536 + 100], largeCommunities: [[65000, 1, 2]] }),
        adv('b', {
          communities: [65000 * 65536 + 200, 65000 * 65536 + 100],
          largeCommunities: [[65000, 0, 9]],
        }),
      ],
    };
    const attrs = computeAnnouncements(input({ config })).routes.get('tor1')?.ipv4.get('203.0.113.10/32');
    expect(attrs).toEqual({
      communities: [65000 * 65536 + 100, 65000 * 65536 + 200],
      largeCommunities: [
        [65000, 0, 9],
        [65000, 1, 2],
      ],
      localPref: undefined,
    });
  });

  it('localPref is set toward iBGP peers only (same AS, or dynamic internal)', () => {
    const config = {
      ...seedConfig,
      peers: [
        peer('ebgp'),
        peer('ibgp', { peerASN: 65100 }),
        peer('dyn', { peerASN: undefined, dynamicASN: 'internal' }),
      ],
    };
    const r = computeAnnouncements(input({ config }));
    expect(r.routes.get('ebgp')?.ipv4.get('203.0.113.10/32')?.localPref).toBeUndefined();
    expect(r.routes.get('ibgp')?.ipv4.get('203.0.113.10/32')?.localPref).toBe(100);
    expect(r.routes.get('dyn')?.ipv4.get('203.0.113.10/32')?.localPref).toBe(100);
  });

  describe('each session carries only its own address family', () => {
    const dual: AnnounceConfig = {
      pools: [pool('dual', ['203.0.113.0/24', '2001:db8:100::/64'])],
      peers: [
        peer('tor1'),
        peer('tor2'),
        peer('tor1-v6', { families: [6] }),
        peer('tor2-v6', { families: [6] }),
      ],
      advertisements: [adv('all')],
    };
    it('an IPv6 Service IP goes to the IPv6 peers only, an IPv4 one to the IPv4 peers only', () => {
      const r = computeAnnouncements(
        input({
          config: dual,
          services: [svc('web', ['203.0.113.10']), svc('web6', ['2001:db8:100::10'])],
          endpointSlices: [
            slice('web', [{ ip: '10.244.1.5', node: 'node-a' }]),
            slice('web6', [{ ip: '10.244.1.6', node: 'node-a' }]),
          ],
        }),
      );
      for (const p of ['tor1', 'tor2']) {
        expect(prefixes(r, p)).toEqual(['203.0.113.10/32']);
        expect(prefixes(r, p, 'ipv6')).toEqual([]);
      }
      for (const p of ['tor1-v6', 'tor2-v6']) {
        expect(prefixes(r, p)).toEqual([]);
        expect(prefixes(r, p, 'ipv6')).toEqual(['2001:db8:100::10/128']);
      }
      expect(r.services.map((v) => [v.service, v.reason, v.peers, v.announcements])).toEqual([
        ['default/web', '', ['tor1', 'tor2'], [{ ip: '203.0.113.10', peers: ['tor1', 'tor2'] }]],
        [
          'default/web6',
          '',
          ['tor1-v6', 'tor2-v6'],
          [{ ip: '2001:db8:100::10', peers: ['tor1-v6', 'tor2-v6'] }],
        ],
      ]);
    });
    it('a dual-stack Service lists, per IP, the peers of its family', () => {
      const r = computeAnnouncements(
        input({ config: dual, services: [svc('web', ['203.0.113.10', '2001:db8:100::10'])] }),
      );
      expect(r.services[0]).toMatchObject({
        reason: '',
        peers: ['tor1', 'tor1-v6', 'tor2', 'tor2-v6'],
        announcements: [
          { ip: '203.0.113.10', peers: ['tor1', 'tor2'] },
          { ip: '2001:db8:100::10', peers: ['tor1-v6', 'tor2-v6'] },
        ],
      });
    });
    it('an IP whose family no session carries is not announced, and the status says so', () => {
      const v4only = { ...dual, peers: [peer('tor1'), peer('tor2')] };
      const six = computeAnnouncements(
        input({
          config: v4only,
          services: [svc('web6', ['2001:db8:100::10'])],
          endpointSlices: [slice('web6', [{ ip: '10.244.1.6', node: 'node-a' }])],
        }),
      );
      expect(prefixes(six, 'tor1', 'ipv6')).toEqual([]);
      expect(six.services[0]).toMatchObject({ reason: 'noPeersForIPFamily', peers: [], announcements: [] });
      const both = computeAnnouncements(
        input({ config: v4only, services: [svc('web', ['203.0.113.10', '2001:db8:100::10'])] }),
      );
      expect(both.services[0]).toMatchObject({
        reason: '',
        peers: ['tor1', 'tor2'],
        announcements: [
          { ip: '203.0.113.10', peers: ['tor1', 'tor2'] },
          { ip: '2001:db8:100::10', peers: [] },
        ],
      });
    });
    it('an advertisement whose peers have no session from this node announces nothing', () => {
      const config = { ...seedConfig, advertisements: [adv('a', { peers: ['tor9'] })] };
      const r = computeAnnouncements(input({ config }));
      expect(r.services[0]).toMatchObject({ reason: 'noPeers', peers: [], announcements: [] });
    });
  });

  it('a node with no Node object is treated as unlabelled and available', () => {
    expect(prefixes(computeAnnouncements(input({ nodes: [] })), 'tor1')).toEqual(['203.0.113.10/32']);
  });

  it('an invalid ingress IP is reported and not announced', () => {
    expect(
      computeAnnouncements(input({ services: [svc('web', ['203.0.113.300'])] })).services[0]?.reason,
    ).toBe('invalidIP');
  });
});

describe('serviceSelectors (MetalLB v0.16 bgpAdsForService)', () => {
  const labelled = (name: string, ip: string, labels: Record<string, string>): Service => ({
    ...svc(name, [ip]),
    metadata: { name, namespace: 'default', labels },
  });
  const services = [
    labelled('web', '203.0.113.10', { tier: 'web' }),
    labelled('db', '203.0.113.11', { tier: 'db' }),
    svc('plain', ['203.0.113.12']),
  ];
  const endpointSlices = ['web', 'db', 'plain'].map((n) => slice(n, [{ ip: '10.244.1.5', node: 'node-a' }]));
  const run = (advertisements: AdvertisementInfo[], peers = seedConfig.peers) =>
    computeAnnouncements(
      input({ config: { ...seedConfig, peers, advertisements }, services, endpointSlices }),
    );
  const reasons = (r: ReturnType<typeof computeAnnouncements>) =>
    Object.fromEntries(r.services.map((v) => [v.service, v.reason]));

  it('an advertisement with serviceSelectors announces only the Services whose labels match one of them', () => {
    const r = run([
      adv('sel', {
        serviceSelectors: [
          { matchLabels: { tier: 'web' } },
          { matchExpressions: [{ key: 'tier', operator: 'In', values: ['cache'] }] },
        ],
      }),
    ]);
    expect(prefixes(r, 'tor1')).toEqual(['203.0.113.10/32']);
    expect(reasons(r)).toEqual({
      'default/web': '',
      'default/db': 'noMatchingAdvertisement',
      'default/plain': 'noMatchingAdvertisement',
    });
  });

  it('beside an advertisement without selectors, each Service gets the attributes of those it matches', () => {
    const r = run([
      adv('all', { communities: [65000 * 65536 + 1] }),
      adv('web', {
        serviceSelectors: [{ matchLabels: { tier: 'web' } }],
        communities: [65000 * 65536 + 2],
        peers: ['tor2'],
      }),
    ]);
    expect(prefixes(r, 'tor1').sort()).toEqual(['203.0.113.10/32', '203.0.113.11/32', '203.0.113.12/32']);
    expect(r.routes.get('tor1')?.ipv4.get('203.0.113.10/32')?.communities).toEqual([65000 * 65536 + 1]);
    expect(r.routes.get('tor2')?.ipv4.get('203.0.113.10/32')?.communities).toEqual([
      65000 * 65536 + 1,
      65000 * 65536 + 2,
    ]);
    expect(r.routes.get('tor2')?.ipv4.get('203.0.113.11/32')?.communities).toEqual([65000 * 65536 + 1]);
    expect(reasons(r)).toEqual({ 'default/web': '', 'default/db': '', 'default/plain': '' });
  });

  it('an empty selector matches every Service; an empty list is no restriction', () => {
    expect(prefixes(run([adv('any', { serviceSelectors: [{}] })]), 'tor1')).toHaveLength(3);
    expect(prefixes(run([adv('none', { serviceSelectors: [] })]), 'tor1')).toHaveLength(3);
  });

  it('two advertisements a Service matches with different localPref to a common peer: conflictingAdvertisements', () => {
    const ibgp = [peer('tor1', { peerASN: 65100 }), peer('tor2', { peerASN: 65100 })];
    const web = { serviceSelectors: [{ matchLabels: { tier: 'web' } }] };
    const r = run([adv('a', { localPref: 100 }), adv('b', { ...web, localPref: 200 })], ibgp);
    expect(reasons(r)).toEqual({
      'default/web': 'conflictingAdvertisements',
      'default/db': '',
      'default/plain': '',
    });
    expect(prefixes(r, 'tor1').sort()).toEqual(['203.0.113.11/32', '203.0.113.12/32']);
    // disjoint peers, or the same localPref: no conflict
    const ok = run(
      [adv('a', { localPref: 100, peers: ['tor1'] }), adv('b', { ...web, localPref: 200, peers: ['tor2'] })],
      ibgp,
    );
    expect(ok.routes.get('tor2')?.ipv4.get('203.0.113.10/32')?.localPref).toBe(200);
    expect(ok.routes.get('tor1')?.ipv4.get('203.0.113.10/32')?.localPref).toBe(100);
    expect(
      reasons(run([adv('a', { localPref: 100 }), adv('b', { ...web, localPref: 100 })], ibgp))['default/web'],
    ).toBe('');
  });

  it('the advertisement must still cover the pool and select the node (notOwner first)', () => {
    const r = run([
      adv('sel', {
        serviceSelectors: [{ matchLabels: { tier: 'web' } }],
        nodeSelectors: [{ matchLabels: { rack: 'r9' } }],
      }),
    ]);
    expect(reasons(r)['default/web']).toBe('notOwner');
  });
});
