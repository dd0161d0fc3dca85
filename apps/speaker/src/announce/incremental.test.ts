import { seededRandom } from '@bmlb/bfd-core/testing';
import { describe, expect, it } from 'vitest';
import { advertisement, peerInfo } from '../test-support/fixtures.ts';
import { computeAnnouncements, serviceKey } from './announce.ts';
import { Announcer, sameVerdict } from './incremental.ts';
import type {
  AnnounceConfig,
  AnnounceResult,
  EndpointSlice,
  Node,
  PeerRoutes,
  RouteAttrs,
  Service,
  ServiceVerdict,
} from './types.ts';

const peer = peerInfo;

// Two configurations the sequences switch between: shared /32s, an aggregated pool (many Services
// in one prefix), a serviceSelector advertisement with its own communities and LOCAL_PREF toward
// the iBGP peer, an IPv6 pool and peer.
const configA: AnnounceConfig = {
  pools: [
    { name: 'p4', addresses: ['203.0.113.0/24'], labels: {} },
    { name: 'agg', addresses: ['198.51.100.0/24'], labels: {} },
    { name: 'p6', addresses: ['2001:db8::/120'], labels: {} },
  ],
  peers: [peer('tor1'), peer('tor2', { peerASN: 65100 }), peer('tor6', { families: [6] })],
  advertisements: [
    advertisement('all', { ipAddressPools: ['p4', 'p6'], communities: [100], localPref: 150 }),
    // Conflicts with 'all' (another LOCAL_PREF): its Services are not announced.
    advertisement('silver', {
      ipAddressPools: ['p4'],
      serviceSelectors: [{ matchLabels: { tier: 'silver' } }],
      localPref: 120,
    }),
    advertisement('gold', {
      ipAddressPools: ['p4', 'p6'],
      serviceSelectors: [{ matchLabels: { tier: 'gold' } }],
      communities: [200],
      largeCommunities: [[65000, 1, 2]],
      localPref: 150,
    }),
    advertisement('agg', {
      ipAddressPools: ['agg'],
      aggregationLength: 28,
      peers: ['tor1'],
      communities: [300],
    }),
  ],
};
const configB: AnnounceConfig = {
  ...configA,
  advertisements: [
    advertisement('all', { ipAddressPools: ['p4', 'agg'], communities: [100], peers: ['tor2'] }),
    advertisement('v6', { ipAddressPools: ['p6'], aggregationLengthV6: 124 }),
  ],
};
const nodes: Node[] = [{ metadata: { name: 'node-a', labels: {} } }, { metadata: { name: 'node-b' } }];

const IPS = [
  '203.0.113.1',
  '203.0.113.2',
  '203.0.113.3',
  '198.51.100.1',
  '198.51.100.2',
  '198.51.100.17',
  '2001:db8::1',
  '2001:db8::2',
  '192.0.2.1', // in no pool
];

function randomService(r: () => number, name: string): Service {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)] as T;
  const ingress: { ip?: string }[] = [];
  const n = r() < 0.1 ? 0 : r() < 0.7 ? 1 : 2;
  for (let i = 0; i < n; i++) ingress.push({ ip: r() < 0.03 ? 'not-an-ip' : pick(IPS) });
  const type = r() < 0.9 ? 'LoadBalancer' : 'ClusterIP';
  return {
    metadata: {
      name,
      namespace: 'default',
      labels: pick<Record<string, string>>([{}, {}, { tier: 'gold' }, { tier: 'silver' }]),
      ...(r() < 0.2
        ? { annotations: { 'metallb.io/ip-allocated-from-pool': pick(['p4', 'agg', 'p6']) } }
        : {}),
    },
    spec: {
      type,
      externalTrafficPolicy: r() < 0.5 ? 'Local' : 'Cluster',
      ...(r() < 0.05 ? { loadBalancerClass: 'other' } : {}),
    },
    status: { loadBalancer: { ingress } },
  };
}

function randomSlice(r: () => number, name: string, services: readonly string[]): EndpointSlice {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)] as T;
  const eps = [];
  const n = Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const c = r();
    eps.push({
      addresses: [pick(['10.0.0.1', '10.0.0.2', '10.0.0.3'])],
      nodeName: pick(['node-a', 'node-b']),
      conditions: c < 0.6 ? { ready: true } : c < 0.8 ? { ready: false, serving: true } : { ready: false },
    });
  }
  return {
    metadata: {
      name,
      namespace: 'default',
      labels: r() < 0.05 ? {} : { 'kubernetes.io/service-name': pick(services) },
    },
    endpoints: eps,
  };
}

/** Routes as plain sorted data, to compare two results. */
function plainRoutes(routes: ReadonlyMap<string, PeerRoutes>) {
  const out: Record<string, [string, RouteAttrs][]> = {};
  for (const [peerName, t] of [...routes].sort(([a], [b]) => a.localeCompare(b)))
    out[peerName] = [...t.ipv4, ...t.ipv6].sort(([a], [b]) => a.localeCompare(b));
  return out;
}

function copyRoutes(routes: ReadonlyMap<string, PeerRoutes>): Map<string, PeerRoutes> {
  return new Map([...routes].map(([k, t]) => [k, { ipv4: new Map(t.ipv4), ipv6: new Map(t.ipv6) }]));
}

describe('Announcer (incremental announcements)', () => {
  it('after every batch of random changes equals a full recompute, and reports exactly what changed', () => {
    const SERVICES = Array.from({ length: 10 }, (_, i) => `svc-${i}`);
    const SLICES = Array.from({ length: 14 }, (_, i) => `slice-${i}`);
    let batches = 0;
    let routeChanges = 0;
    let sharedSeen = 0;
    for (let seed = 1; seed <= 25; seed++) {
      const r = seededRandom(seed); // mulberry32: every run replays the same sequences
      // The source's stores: a Map keeps a modified object in place and appends an added one.
      const services = new Map<string, Service>();
      const slices = new Map<string, EndpointSlice>();
      for (const n of SERVICES) if (r() < 0.6) services.set(n, randomService(r, n));
      for (const n of SLICES) if (r() < 0.6) slices.set(n, randomSlice(r, n, SERVICES));
      let config = configA;
      const a = new Announcer({ nodeName: 'node-a' });
      a.reset(config, nodes, services.values(), slices.values());
      const full = (): AnnounceResult =>
        computeAnnouncements({
          config,
          nodes,
          nodeName: 'node-a',
          services: [...services.values()],
          endpointSlices: [...slices.values()],
        });
      expect(plainRoutes(a.routes)).toEqual(plainRoutes(full().routes));
      for (let step = 0; step < 60; step++) {
        if (r() < 0.04) {
          // A configuration change: everything again.
          config = config === configA ? configB : configA;
          a.reset(config, nodes, services.values(), slices.values());
          expect(plainRoutes(a.routes)).toEqual(plainRoutes(full().routes));
          expect(a.verdicts()).toEqual(full().services);
          continue;
        }
        const before = copyRoutes(a.routes);
        const verdictsBefore = new Map(a.verdicts().map((v) => [v.service, v]));
        const changes = {
          services: [] as Service[],
          deletedServices: [] as Service[],
          endpointSlices: [] as EndpointSlice[],
          deletedEndpointSlices: [] as EndpointSlice[],
        };
        // What the source hands over: per key the current object, or the last one when deleted.
        const svcBatch = new Map<string, Service | undefined>();
        const sliceBatch = new Map<string, EndpointSlice | undefined>();
        const ops = 1 + Math.floor(r() * 4);
        for (let k = 0; k < ops; k++) {
          const op = r();
          if (op < 0.35) {
            const n = SERVICES[Math.floor(r() * SERVICES.length)] as string;
            const s = randomService(r, n);
            // An added object goes to the end of the store, and of what the source hands over.
            if (!services.has(n)) svcBatch.delete(n);
            services.set(n, s);
            svcBatch.set(n, s);
          } else if (op < 0.45) {
            const n = SERVICES[Math.floor(r() * SERVICES.length)] as string;
            const old = services.get(n);
            if (old === undefined) continue;
            services.delete(n);
            svcBatch.set(n, undefined);
            if (!changes.deletedServices.includes(old)) changes.deletedServices.push(old);
          } else if (op < 0.55) {
            // Local ↔ Cluster on an existing Service, nothing else changed.
            const n = SERVICES[Math.floor(r() * SERVICES.length)] as string;
            const old = services.get(n);
            if (old === undefined) continue;
            const s: Service = {
              ...old,
              spec: {
                ...old.spec,
                externalTrafficPolicy: old.spec?.externalTrafficPolicy === 'Local' ? 'Cluster' : 'Local',
              },
            };
            services.set(n, s);
            svcBatch.set(n, s);
          } else if (op < 0.85) {
            // A new or changed slice, possibly moved to another Service (its label).
            const n = SLICES[Math.floor(r() * SLICES.length)] as string;
            const s = randomSlice(r, n, SERVICES);
            slices.set(n, s);
            sliceBatch.set(n, s);
          } else {
            const n = SLICES[Math.floor(r() * SLICES.length)] as string;
            const old = slices.get(n);
            if (old === undefined) continue;
            slices.delete(n);
            sliceBatch.set(n, undefined);
            if (!changes.deletedEndpointSlices.includes(old)) changes.deletedEndpointSlices.push(old);
          }
        }
        for (const s of svcBatch.values()) if (s !== undefined) changes.services.push(s);
        for (const s of sliceBatch.values()) if (s !== undefined) changes.endpointSlices.push(s);
        // A key deleted and added again in one batch is in both lists (as the source reports it).
        const res = a.update(changes);
        batches++;
        const f = full();
        expect(plainRoutes(a.routes)).toEqual(plainRoutes(f.routes));
        expect(a.verdicts()).toEqual(f.services);
        expect(a.nodeReason).toBe(f.nodeReason);
        expect(a.size).toBe(f.services.length);
        // The route changes turn the tables before into the tables after, and are all real changes.
        const replay = copyRoutes(before);
        for (const [peerName, ch] of res.routes) {
          const t = replay.get(peerName) as PeerRoutes;
          for (const [fam, m] of [
            ['ipv4', ch.ipv4],
            ['ipv6', ch.ipv6],
          ] as const) {
            for (const [prefix, attrs] of m) {
              routeChanges++;
              const old = t[fam].get(prefix);
              if (attrs === undefined) {
                expect(old).toBeDefined();
                t[fam].delete(prefix);
              } else {
                if (old !== undefined) expect(old).not.toEqual(attrs);
                t[fam].set(prefix, attrs);
              }
            }
          }
        }
        expect(plainRoutes(replay)).toEqual(plainRoutes(a.routes));
        // Every verdict that changed is reported, with what it was.
        const reported = new Map(res.services.map(([b, n]) => [(b ?? n)?.service, [b, n]]));
        const after = new Map(a.verdicts().map((v) => [v.service, v]));
        for (const key of new Set([...verdictsBefore.keys(), ...after.keys()])) {
          const b = verdictsBefore.get(key);
          const n = after.get(key);
          const same = b !== undefined && n !== undefined ? sameVerdict(b, n) : b === n;
          if (!same) expect(reported.get(key)).toEqual([b, n]);
        }
        // Shared prefixes occur (two Services with one /32, or one aggregate /28).
        const owners = new Map<string, number>();
        for (const v of a.verdicts() as ServiceVerdict[])
          if (v.reason === '') for (const ip of v.ips) owners.set(ip, (owners.get(ip) ?? 0) + 1);
        if ([...owners.values()].some((c) => c > 1)) sharedSeen++;
      }
    }
    // The sequences did exercise what they are meant to.
    expect(batches).toBeGreaterThan(1000);
    expect(routeChanges).toBeGreaterThan(500);
    expect(sharedSeen).toBeGreaterThan(100);
  });

  it('a shared IP stays announced until the last of its Services goes, with the attributes of those left', () => {
    const a = new Announcer({ nodeName: 'node-a' });
    const svc = (name: string, labels: Record<string, string>): Service => ({
      metadata: { name, namespace: 'default', labels },
      spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster' },
      status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } },
    });
    const slice = (svcName: string): EndpointSlice => ({
      metadata: {
        name: `${svcName}-1`,
        namespace: 'default',
        labels: { 'kubernetes.io/service-name': svcName },
      },
      endpoints: [{ addresses: ['10.0.0.1'], nodeName: 'node-b', conditions: { ready: true } }],
    });
    const plain = svc('plain', {});
    const gold = svc('gold', { tier: 'gold' });
    a.reset(configA, nodes, [plain, gold], [slice('plain'), slice('gold')]);
    expect(a.routes.get('tor2')?.ipv4.get('203.0.113.7/32')).toEqual({
      communities: [100, 200],
      largeCommunities: [[65000, 1, 2]],
      localPref: 150,
    });
    expect(a.routes.get('tor1')?.ipv4.get('203.0.113.7/32')).toEqual({
      communities: [100, 200],
      largeCommunities: [[65000, 1, 2]],
      localPref: undefined,
    });
    // The gold Service goes: the prefix stays, with the plain Service's attributes only.
    const r1 = a.update({
      services: [],
      deletedServices: [gold],
      endpointSlices: [],
      deletedEndpointSlices: [],
    });
    expect(r1.routes.get('tor2')?.ipv4.get('203.0.113.7/32')).toEqual({
      communities: [100],
      largeCommunities: [],
      localPref: 150,
    });
    expect(r1.services).toEqual([
      [expect.objectContaining({ service: 'default/gold', reason: '' }), undefined],
    ]);
    // The plain Service's slice moves to another Service: no endpoints, withdrawn everywhere.
    const moved: EndpointSlice = {
      ...slice('plain'),
      metadata: { ...slice('plain').metadata, labels: { 'kubernetes.io/service-name': 'other' } },
    };
    const r2 = a.update({
      services: [],
      deletedServices: [],
      endpointSlices: [moved],
      deletedEndpointSlices: [],
    });
    expect(r2.routes.get('tor1')?.ipv4).toEqual(new Map([['203.0.113.7/32', undefined]]));
    expect(r2.services).toEqual([
      [
        expect.objectContaining({ service: 'default/plain', reason: '' }),
        expect.objectContaining({ service: 'default/plain', reason: 'noEndpoints' }),
      ],
    ]);
    expect(a.routes.get('tor1')?.ipv4.size).toBe(0);
    // Handing over the same objects again changes nothing.
    const r3 = a.update({
      services: [plain],
      deletedServices: [],
      endpointSlices: [moved],
      deletedEndpointSlices: [],
    });
    expect(r3.routes.size).toBe(0);
    expect(r3.services).toEqual([]);
    expect(serviceKey(plain)).toBe('default/plain');
  });
});
