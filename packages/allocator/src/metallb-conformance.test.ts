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
