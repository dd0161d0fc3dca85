// MetalLB's allocator tables (internal/allocator/allocator_test.go: TestAssignment, TestPoolAllocation),
// replayed through our API. MetalLB's Assign(svc, ips, ports, sharingKey, backendKey) becomes a Service
// requesting the addresses (metallb.io/loadBalancerIPs) with those ports and allow-shared-ip key; its
// backend key becomes externalTrafficPolicy Local with a pod selector. Where MetalLB's allocator leaves
// a refused Service's old address in place, its controller then clears it (convergeBalancer: "current
// IP not allowed by config, clearing"); our assign is that controller step, so a refused request that
// changes the address leaves the Service without one, as MetalLB's controller does.
import { describe, expect, it } from 'vitest';
import { Allocator } from './allocator.ts';
import type { RefusalCode } from './refusal.ts';
import type { AllocatorService } from './service.ts';
import { pool, svc } from './test-support/fixtures.ts';

interface Step {
  desc: string;
  name: string;
  ips?: string[];
  ports?: string[];
  share?: string;
  backend?: string;
  namespace?: string;
  labels?: Record<string, string>;
  release?: true;
  /** Refusal expected; otherwise the request is granted exactly. */
  err?: RefusalCode;
}

function service(s: Step): AllocatorService {
  const dual = (s.ips ?? []).length === 2;
  const v6 = (s.ips ?? [])[0]?.includes(':') ?? false;
  return svc(s.name, {
    ...(s.namespace === undefined ? {} : { namespace: s.namespace }),
    ...(s.labels === undefined ? {} : { labels: s.labels }),
    ...(s.share === undefined ? {} : { share: s.share }),
    ips: (s.ips ?? []).join(','),
    ports: (s.ports ?? ['tcp/8080']).map((p) => {
      const [proto, port] = p.split('/');
      return { port: Number(port), protocol: proto!.toUpperCase() };
    }),
    ...(s.backend === undefined ? {} : { local: true, selector: { backend: s.backend } }),
    ...(dual
      ? { policy: 'RequireDualStack' as const, families: ['IPv4' as const, 'IPv6' as const] }
      : { families: [v6 ? ('IPv6' as const) : ('IPv4' as const)] }),
  });
}

describe('MetalLB TestAssignment, replayed', () => {
  const a = new Allocator();
  a.setPools([
    pool('test', ['1.2.3.4/31', '1000::4/127']),
    pool('test2', ['1.2.4.0/24', '1000::4:0/120'], { avoidBuggyIPs: true }),
    pool('test3', ['1.2.5.0/24', '1000::5:0/120'], {
      avoidBuggyIPs: true,
      serviceAllocation: { namespaces: ['test-ns1'] },
    }),
    pool('test4', ['1.2.6.0/24', '1000::6:0/120'], {
      avoidBuggyIPs: true,
      serviceAllocation: { serviceSelectors: [{ matchLabels: { team: 'metallb' } }] },
    }),
    pool('test5', ['1.2.7.0/24', '1000::7:0/120'], {
      avoidBuggyIPs: true,
      serviceAllocation: {
        priority: 20,
        namespaces: ['test-ns1'],
        serviceSelectors: [{ matchLabels: { team: 'metallb' } }],
      },
    }),
    pool('test6', ['1.2.8.0/24', '1000::9:0/120'], {
      avoidBuggyIPs: true,
      serviceAllocation: {
        priority: 20,
        namespaces: ['test-ns2'],
        serviceSelectors: [{ matchLabels: { foo: 'bar' } }],
      },
    }),
  ]);
  const steps: Step[] = [
    { desc: 'assign s1', name: 's1', ips: ['1.2.3.4'] },
    { desc: 's1 idempotent reassign', name: 's1', ips: ['1.2.3.4'] },
    { desc: "s2 can't grab s1's IP", name: 's2', ips: ['1.2.3.4'], err: 'IPInUse' },
    { desc: 's2 can get the other IP', name: 's2', ips: ['1.2.3.5'] },
    { desc: "s1 now can't grab s2's IP", name: 's1', ips: ['1.2.3.5'], err: 'IPInUse' },
    { desc: 's1 frees its IP', name: 's1', release: true },
    { desc: "s2 can grab s1's former IP", name: 's2', ips: ['1.2.3.4'] },
    { desc: "s1 can now grab s2's former IP", name: 's1', ips: ['1.2.3.5'] },
    { desc: 's3 cannot grab a 0 buggy IP', name: 's3', ips: ['1.2.4.0'], err: 'IPOutsidePools' },
    { desc: 's3 cannot grab a 255 buggy IP', name: 's3', ips: ['1.2.4.255'], err: 'IPOutsidePools' },
    { desc: 's3 can grab another IP in that pool', name: 's3', ips: ['1.2.4.254'] },
    {
      desc: 's4 takes an IP, with sharing',
      name: 's4',
      ips: ['1.2.4.3'],
      ports: ['tcp/80'],
      share: 'sharing',
      backend: 'backend',
    },
    {
      desc: 's4 changes its sharing key in place',
      name: 's4',
      ips: ['1.2.4.3'],
      ports: ['tcp/80'],
      share: 'share',
      backend: 'backend',
    },
    {
      desc: "s3 can't share with s4 (port conflict)",
      name: 's3',
      ips: ['1.2.4.3'],
      ports: ['tcp/80'],
      share: 'share',
      backend: 'backend',
      err: 'IPInUse',
    },
    {
      desc: "s3 can't share with s4 (wrong sharing key)",
      name: 's3',
      ips: ['1.2.4.3'],
      ports: ['tcp/443'],
      share: 'othershare',
      backend: 'backend',
      err: 'IPInUse',
    },
    {
      desc: "s3 can't share with s4 (wrong backend key)",
      name: 's3',
      ips: ['1.2.4.3'],
      ports: ['tcp/443'],
      share: 'share',
      backend: 'otherbackend',
      err: 'IPInUse',
    },
    {
      desc: 's3 takes the same IP as s4',
      name: 's3',
      ips: ['1.2.4.3'],
      ports: ['tcp/443'],
      share: 'share',
      backend: 'backend',
    },
    {
      desc: 's3 can change its ports while keeping the same IP',
      name: 's3',
      ips: ['1.2.4.3'],
      ports: ['udp/53'],
      share: 'share',
      backend: 'backend',
    },
    {
      desc: "s3 can't change its sharing key while keeping the same IP",
      name: 's3',
      ips: ['1.2.4.3'],
      ports: ['tcp/443'],
      share: 'othershare',
      backend: 'backend',
      err: 'IPInUse',
    },
    {
      desc: "s3 can't change its backend key while keeping the same IP",
      name: 's3',
      ips: ['1.2.4.3'],
      ports: ['tcp/443'],
      share: 'share',
      backend: 'otherbackend',
      err: 'IPInUse',
    },
    { desc: "s4 takes s3's former IP", name: 's4', ips: ['1.2.4.254'] },
    { desc: 'ipv6 assign s1', name: 's1', ips: ['1000::4'] },
    { desc: "ipv6 s2 can't grab s1's IP", name: 's2', ips: ['1000::4'], err: 'IPInUse' },
    { desc: 'ipv6 s2 can get the other IP', name: 's2', ips: ['1000::4:5'] },
    { desc: 'ipv6 sharing', name: 's5', ips: ['1000::4:3'], ports: ['tcp/80'], share: 'share' },
    { desc: 'ipv6 sharing, other port', name: 's6', ips: ['1000::4:3'], ports: ['tcp/443'], share: 'share' },
    {
      desc: 'ipv6 port conflict',
      name: 's7',
      ips: ['1000::4:3'],
      ports: ['tcp/443'],
      share: 'share',
      err: 'IPInUse',
    },
    { desc: 's2 frees its IP', name: 's2', release: true },
    { desc: 'ip dual-stack assign s1', name: 's1', ips: ['1.2.3.4', '1000::4'] },
    {
      desc: 'ip dual-stack assign s1 from different pools',
      name: 's1',
      ips: ['1.2.4.5', '1000::4'],
      err: 'IPsInDifferentPools',
    },
    { desc: 'pool pinned on same namespace', name: 'n1', namespace: 'test-ns1', ips: ['1.2.5.10'] },
    {
      desc: 'pool pinned on different namespace',
      name: 'n2',
      namespace: 'testns-not-exist',
      ips: ['1.2.5.11'],
      err: 'PoolNotCompatible',
    },
    {
      desc: 'pool pinned with same service label',
      name: 'l1',
      namespace: 'testns-not-exist',
      labels: { team: 'metallb' },
      ips: ['1.2.6.10'],
    },
    {
      desc: 'pool pinned with different service label',
      name: 'l2',
      namespace: 'testns-not-exist',
      labels: { team: 'red' },
      ips: ['1.2.6.11'],
      err: 'PoolNotCompatible',
    },
    {
      desc: 'pool pinned with namespace and service label',
      name: 'b1',
      namespace: 'test-ns1',
      labels: { team: 'metallb' },
      ips: ['1.2.7.10'],
    },
    {
      desc: 'pool pinned with namespace and incompatible service label',
      name: 'b2',
      namespace: 'test-ns2',
      labels: { team: 'metallb' },
      ips: ['1.2.8.10'],
      err: 'PoolNotCompatible',
    },
    {
      desc: 'pool pinned with service label and incompatible namespace',
      name: 'b3',
      namespace: 'testns-not-exist',
      labels: { foo: 'bar' },
      ips: ['1.2.8.10'],
      err: 'PoolNotCompatible',
    },
  ];
  for (const s of steps) {
    it(s.desc, () => {
      const key = `${s.namespace ?? 'default'}/${s.name}`;
      if (s.release) {
        a.release(key);
        expect(a.assignmentOf(key)).toBeUndefined();
        return;
      }
      const r = a.assign(service(s));
      if (s.err !== undefined) {
        expect(r.ok ? r.ips : r.reason.code).toBe(s.err);
        expect(a.assignmentOf(key)?.ips ?? []).not.toEqual(s.ips);
      } else {
        expect(r.ok ? r.ips : r.reason.message).toEqual(s.ips);
        expect(a.assignmentOf(key)?.ips).toEqual(s.ips);
      }
    });
  }
});

describe('MetalLB TestPoolAllocation, replayed', () => {
  const a = new Allocator();
  a.setPools([
    pool('not_this_one', ['192.168.0.0/16', 'fc00::1:0/112']),
    pool('test', ['1.2.3.4/31', '1.2.3.10/31', '1000::/127', '2000::/127']),
    pool('test2', ['10.20.30.0/24', 'fc00::2:0/120']),
  ]);
  const fromTest = (name: string, extra: Parameters<typeof svc>[1] = {}) =>
    a.assign(svc(name, { pool: 'test', ...extra }));
  it('hands out the pool, lowest first, then refuses', () => {
    expect(['s1', 's2', 's3', 's4'].map((n) => fromTest(n))).toMatchObject([
      { ips: ['1.2.3.4'] },
      { ips: ['1.2.3.5'] },
      { ips: ['1.2.3.10'] },
      { ips: ['1.2.3.11'] },
    ]);
    expect(fromTest('s5')).toMatchObject({ ok: false, reason: { code: 'PoolExhausted', pools: ['test'] } });
  });
  it("a released address goes to the next Service; a sharing one joins a sharer's address", () => {
    a.release('default/s1');
    expect(fromTest('s5')).toMatchObject({ ips: ['1.2.3.4'] });
    expect(fromTest('s6')).toMatchObject({ ok: false });
    a.release('default/s5');
    expect(fromTest('s5', { share: 'share', ports: [{ port: 80 }] })).toMatchObject({ ips: ['1.2.3.4'] });
    expect(fromTest('s6', { share: 'share', ports: [{ port: 443 }] })).toMatchObject({ ips: ['1.2.3.4'] });
  });
  it('IPv6 and dual-stack from the same pool', () => {
    for (const n of ['s1', 's2', 's3', 's4', 's5', 's6']) a.release(`default/${n}`);
    expect(['s1', 's2', 's3', 's4'].map((n) => fromTest(n, { families: ['IPv6'] }))).toMatchObject([
      { ips: ['1000::'] },
      { ips: ['1000::1'] },
      { ips: ['2000::'] },
      { ips: ['2000::1'] },
    ]);
    for (const n of ['s1', 's2', 's3', 's4']) a.release(`default/${n}`);
    const dual = { policy: 'RequireDualStack' as const, families: ['IPv4' as const, 'IPv6' as const] };
    expect(['d1', 'd2', 'd3', 'd4'].map((n) => fromTest(n, dual))).toMatchObject([
      { ips: ['1.2.3.4', '1000::'] },
      { ips: ['1.2.3.5', '1000::1'] },
      { ips: ['1.2.3.10', '2000::'] },
      { ips: ['1.2.3.11', '2000::1'] },
    ]);
    expect(fromTest('d5', dual)).toMatchObject({ ok: false, reason: { code: 'PoolExhausted' } });
  });
  it('a pool that does not exist is refused', () => {
    expect(a.assign(svc('x', { pool: 'nonexistentpool' }))).toMatchObject({
      ok: false,
      reason: { code: 'PoolNotFound' },
    });
  });
});

describe('MetalLB TestBuggyIPs, replayed', () => {
  it('hands out every usable address of each pool and nothing else', () => {
    const a = new Allocator();
    a.setPools([
      pool('test', ['1.2.3.0/31']),
      pool('test2', ['1.2.3.254/31']),
      pool('test3', ['1.2.4.0/31'], { avoidBuggyIPs: true }),
      pool('test4', ['1.2.4.254/31'], { avoidBuggyIPs: true }),
    ]);
    const got = ['s1', 's2', 's3', 's4', 's5', 's6'].map((n) => {
      const r = a.assign(svc(n));
      return r.ok ? r.ips[0] : r.reason.code;
    });
    expect(got.sort()).toEqual(['1.2.3.0', '1.2.3.1', '1.2.3.254', '1.2.3.255', '1.2.4.1', '1.2.4.254']);
    expect(a.assign(svc('s7'))).toMatchObject({ ok: false, reason: { code: 'PoolExhausted' } });
  });
});

describe('MetalLB TestConfigReload, replayed', () => {
  const cases: {
    desc: string;
    pools: ReturnType<typeof pool>[];
    s1: string | undefined;
    s2: string | undefined;
  }[] = [
    {
      desc: 'set same config is no-op',
      pools: [pool('test', ['1.2.3.0/30', '1000::/126'])],
      s1: 'test',
      s2: 'test',
    },
    { desc: 'expand pool', pools: [pool('test', ['1.2.3.0/24', '1000::/120'])], s1: 'test', s2: 'test' },
    { desc: 'shrink pool', pools: [pool('test', ['1.2.3.0/30', '1000::/126'])], s1: 'test', s2: 'test' },
    {
      desc: "can't shrink further, removing the service allocation",
      pools: [pool('test', ['1.2.3.2/31', '1000::0/126'])],
      s1: undefined,
      s2: 'test',
    },
    {
      desc: "can't shrink further ipv6, removing the service allocation",
      pools: [pool('test', ['1.2.3.0/30', '1000::2/127'])],
      s1: 'test',
      s2: undefined,
    },
    {
      desc: 'rename the pool',
      pools: [pool('test2', ['1.2.3.0/30', '1000::0/126'])],
      s1: 'test2',
      s2: 'test2',
    },
    {
      desc: 'split pool',
      pools: [pool('test', ['1.2.3.0/31', '1000::2/127']), pool('test2', ['1.2.3.2/31', '1000::/127'])],
      s1: 'test',
      s2: 'test2',
    },
    {
      desc: 'enable buggy IPs not allowed',
      pools: [pool('test2', ['1.2.3.0/31', '1000::/127'], { avoidBuggyIPs: true })],
      s1: undefined,
      s2: 'test2',
    },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const a = new Allocator();
      a.setPools([pool('test', ['1.2.3.0/30', '1000::/126']), pool('unused', ['1.2.4.0/30', '1001::/126'])]);
      expect(a.assign(svc('s1', { loadBalancerIP: '1.2.3.0' })).ok).toBe(true);
      expect(a.assign(svc('s2', { loadBalancerIP: '1000::' })).ok).toBe(true);
      const r = a.setPools(c.pools);
      expect(r.ok).toBe(true);
      expect(a.assignmentOf('default/s1')?.pool).toBe(c.s1);
      expect(a.assignmentOf('default/s2')?.pool).toBe(c.s2);
      // Every Service that lost its address, and only those, is reported as released.
      const released = r.ok ? r.changes.filter((x) => x.action === 'released').map((x) => x.service) : [];
      const lost = [c.s1 === undefined ? 'default/s1' : '', c.s2 === undefined ? 'default/s2' : ''].filter(
        Boolean,
      );
      expect(released).toEqual(lost);
    });
  }
});

describe('MetalLB TestPoolCount, replayed', () => {
  const cases: { desc: string; addresses: string[]; avoid?: boolean; ipv4: number; ipv6: bigint }[] = [
    { desc: 'BGP /24', addresses: ['1.2.3.0/24'], ipv4: 256, ipv6: 0n },
    { desc: 'BGP /24 and /25', addresses: ['1.2.3.0/24', '2.3.4.128/25'], ipv4: 384, ipv6: 0n },
    {
      desc: 'BGP /24 and /25, no buggy IPs',
      addresses: ['1.2.3.0/24', '2.3.4.128/25'],
      avoid: true,
      ipv4: 381,
      ipv6: 0n,
    },
    {
      desc: 'BGP a BIG ipv6 range (exact here; MetalLB saturates at 2^63-1)',
      addresses: ['1.2.3.0/24', '2.3.4.128/25', '1000::/64'],
      avoid: true,
      ipv4: 381,
      ipv6: 1n << 64n,
    },
    { desc: 'ipv4 and ipv6 range', addresses: ['1.2.3.0/31', '1000::/127'], avoid: true, ipv4: 1, ipv6: 2n },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const a = new Allocator();
      a.setPools([pool('p', c.addresses, { avoidBuggyIPs: c.avoid ?? false })]);
      expect(a.poolStats('p')).toMatchObject({ capacityIPv4: c.ipv4, capacityIPv6: c.ipv6 });
    });
  }
});

describe('MetalLB TestPoolMetrics, replayed', () => {
  it('counts distinct addresses in use, shared ones once, and drops a deleted pool', () => {
    const a = new Allocator();
    a.setPools([pool('test', ['1.2.3.4/30', '1000::4/126'])]);
    const counters = () => a.poolStatus('test');
    expect(counters()).toEqual({ availableIPv4: 4, availableIPv6: 4, assignedIPv4: 0, assignedIPv6: 0 });
    const steps: [string, () => void, number][] = [
      ['assign s1', () => a.assign(svc('s1', { loadBalancerIP: '1.2.3.4' })), 1],
      ['assign s2', () => a.assign(svc('s2', { loadBalancerIP: '1.2.3.5' })), 2],
      ['unassign s1', () => a.release('default/s1'), 1],
      ['unassign s2', () => a.release('default/s2'), 0],
      [
        'assign s1 shared',
        () => a.assign(svc('s1', { loadBalancerIP: '1.2.3.4', share: 'key', ports: [{ port: 80 }] })),
        1,
      ],
      [
        'assign s2 shared',
        () => a.assign(svc('s2', { loadBalancerIP: '1.2.3.4', share: 'key', ports: [{ port: 443 }] })),
        1,
      ],
      [
        'assign s3 shared',
        () => a.assign(svc('s3', { loadBalancerIP: '1.2.3.4', share: 'key', ports: [{ port: 23 }] })),
        1,
      ],
      ['unassign s1 shared', () => a.release('default/s1'), 1],
      ['unassign s2 shared', () => a.release('default/s2'), 1],
      ['unassign s3 shared', () => a.release('default/s3'), 0],
    ];
    for (const [desc, run, inUse] of steps) {
      run();
      expect(counters(), desc).toEqual({
        availableIPv4: 4 - inUse,
        availableIPv6: 4,
        assignedIPv4: inUse,
        assignedIPv6: 0,
      });
    }
    a.assign(svc('s1', { loadBalancerIP: '1.2.3.4' }));
    a.setPools([]);
    expect(counters()).toBeUndefined();
    expect(a.serviceCount).toBe(0);
  });
});
