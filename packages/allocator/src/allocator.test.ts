import { describe, expect, it } from 'vitest';
import { Allocator, type AssignResult, isServedByUs, type Refusal } from './index.ts';
import type { PoolInput } from './pool.ts';
import { pool, svc } from './test-support/fixtures.ts';

function withPools(...pools: PoolInput[]): Allocator {
  const a = new Allocator();
  const r = a.setPools(pools);
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
  return a;
}

function ips(r: AssignResult): readonly string[] {
  if (!r.ok) throw new Error(`refused: ${r.reason.message}`);
  return r.ips;
}

function refusal(r: AssignResult): Refusal {
  if (r.ok) throw new Error(`expected a refusal, got ${r.ips.join(',')}`);
  return r.reason;
}

describe('pools', () => {
  it('hands out CIDRs, ranges and single IPs lowest address first', () => {
    const a = withPools(pool('p', ['10.0.0.8/30', '10.0.0.1-10.0.0.2', '10.0.0.20']));
    const got = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((n) => ips(a.assign(svc(n)))[0]);
    expect(got).toEqual([
      '10.0.0.1',
      '10.0.0.2',
      '10.0.0.8',
      '10.0.0.9',
      '10.0.0.10',
      '10.0.0.11',
      '10.0.0.20',
    ]);
    const r = refusal(a.assign(svc('h')));
    expect(r).toMatchObject({ code: 'PoolExhausted', service: 'default/h', family: 'IPv4', pools: ['p'] });
  });

  it('mixes IPv4 and IPv6 in one pool and serves each family from its part', () => {
    const a = withPools(pool('p', ['192.0.2.0/30', '2001:db8::/126']));
    expect(ips(a.assign(svc('v4')))).toEqual(['192.0.2.0']);
    expect(ips(a.assign(svc('v6', { families: ['IPv6'] })))).toEqual(['2001:db8::']);
    expect(a.assignmentOf('default/v6')).toEqual({ service: 'default/v6', ips: ['2001:db8::'], pool: 'p' });
  });

  it('rejects overlapping pools and keeps the previous ones', () => {
    const a = withPools(pool('old', ['10.1.0.0/24']));
    ips(a.assign(svc('x')));
    const r = a.setPools([pool('a', ['10.0.0.0/24']), pool('b', ['10.0.0.128-10.0.1.5'])]);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors).toEqual([
        expect.objectContaining({ pool: 'b', path: 'spec.addresses[0]', code: 'OverlappingPools' }),
      ]);
      expect(r.errors[0]!.message).toContain('10.0.0.128-10.0.0.255');
      expect(r.errors[0]!.message).toContain('pool "a"');
    }
    expect(a.poolNames()).toEqual(['old']);
    expect(a.assignmentOf('default/x')?.ips).toEqual(['10.1.0.0']);
  });

  it('rejects overlaps inside one pool, IPv6 overlaps, duplicate names and bad addresses', () => {
    const a = new Allocator();
    const r = a.setPools([
      pool('a', ['10.0.0.0/24', '10.0.0.5']),
      pool('b', ['2001:db8::/64']),
      pool('c', ['2001:db8::ff/128']),
      pool('b', ['10.9.0.0/24']),
      pool('d', ['10.0.0.300/32']),
    ]);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors.map((e) => `${e.pool} ${e.code}`).sort()).toEqual([
        'a OverlappingPools',
        'b DuplicatePool',
        'c OverlappingPools',
        'd InvalidAddress',
      ]);
    }
  });

  it('refuses a pool whose addresses are not a list of strings, instead of throwing', () => {
    const bad = { metadata: { name: 'x' }, spec: { addresses: '10.0.0.0/24' } } as unknown as PoolInput;
    const r = new Allocator().setPools([bad]);
    expect(r).toMatchObject({
      ok: false,
      errors: [{ pool: 'x', path: 'spec.addresses', code: 'InvalidAddress' }],
    });
  });

  it('accepts adjacent pools and adjacent entries', () => {
    const a = withPools(pool('a', ['10.0.0.0/25', '10.0.0.128/25']), pool('b', ['10.0.1.0/24']));
    expect(a.poolStats('a')?.capacityIPv4).toBe(256);
  });

  it('autoAssign: false serves only explicit requests, by IP or by pool annotation', () => {
    const a = withPools(pool('manual', ['10.0.0.0/24'], { autoAssign: false }));
    expect(refusal(a.assign(svc('auto')))).toMatchObject({ code: 'AutoAssignDisabled', pools: ['manual'] });
    expect(ips(a.assign(svc('byip', { loadBalancerIP: '10.0.0.7' })))).toEqual(['10.0.0.7']);
    expect(ips(a.assign(svc('bypool', { pool: 'manual' })))).toEqual(['10.0.0.0']);
  });

  it('autoAssign: false pools are skipped in favour of auto pools', () => {
    const a = withPools(
      pool('a-manual', ['10.0.0.0/24'], { autoAssign: false }),
      pool('b-auto', ['10.0.1.0/24']),
    );
    const r = a.assign(svc('x'));
    expect(r).toMatchObject({ ok: true, pool: 'b-auto', ips: ['10.0.1.0'] });
  });

  it('avoidBuggyIPs skips .0 and .255 across /24 boundaries', () => {
    const a = withPools(pool('p', ['10.0.0.253-10.0.1.2'], { avoidBuggyIPs: true }));
    const got = ['a', 'b', 'c', 'd'].map((n) => ips(a.assign(svc(n)))[0]);
    expect(got).toEqual(['10.0.0.253', '10.0.0.254', '10.0.1.1', '10.0.1.2']);
    expect(refusal(a.assign(svc('e'))).code).toBe('PoolExhausted');
    expect(a.poolStats('p')).toMatchObject({ capacityIPv4: 4, assignedIPv4: 4, availableIPv4: 0 });
  });

  it('avoidBuggyIPs refuses a requested .0 or .255, naming the pool', () => {
    const a = withPools(pool('p', ['10.0.0.0/23'], { avoidBuggyIPs: true }));
    const r = refusal(a.assign(svc('x', { loadBalancerIP: '10.0.0.255' })));
    expect(r).toMatchObject({ code: 'IPOutsidePools', ip: '10.0.0.255' });
    expect(r.message).toContain('avoidBuggyIPs');
    expect(r.message).toContain('"p"');
    expect(a.poolStats('p')?.capacityIPv4).toBe(2 * 254);
  });

  it('avoidBuggyIPs does not touch IPv6 and counts like MetalLB for CIDRs', () => {
    const a = withPools(
      pool('p', ['10.0.0.0/16', '10.1.0.0/25', '10.2.0.128/25', '10.3.0.4/30', '2001:db8::/120'], {
        avoidBuggyIPs: true,
      }),
    );
    const s = a.poolStats('p')!;
    // /16: 256 × 254; /25 at .0: 127; /25 ending .255: 127; /30 in the middle: 4.
    expect(s.capacityIPv4).toBe(256 * 254 + 127 + 127 + 4);
    expect(s.capacityIPv6).toBe(256n);
    expect(ips(a.assign(svc('v6', { families: ['IPv6'] })))).toEqual(['2001:db8::']);
  });

  it('a pool of only .0 and .255 addresses has nothing to give', () => {
    const a = withPools(pool('p', ['10.0.0.255-10.0.1.0'], { avoidBuggyIPs: true }));
    expect(a.poolStats('p')?.capacityIPv4).toBe(0);
    expect(refusal(a.assign(svc('x'))).code).toBe('PoolExhausted');
  });

  it('no pools at all is its own reason', () => {
    const a = new Allocator();
    expect(refusal(a.assign(svc('x')))).toMatchObject({ code: 'NoPools', service: 'default/x' });
  });
});

describe('serviceAllocation', () => {
  const sa = (priority: number | undefined, extra: object = {}) => ({
    serviceAllocation: { ...(priority === undefined ? {} : { priority }), ...extra },
  });

  it('priority: the lower number wins', () => {
    const a = withPools(
      pool('p20', ['10.0.20.0/24'], sa(20, { namespaces: ['default'] })),
      pool('p10', ['10.0.10.0/24'], sa(10, { namespaces: ['default'] })),
    );
    expect(a.assign(svc('x'))).toMatchObject({ ok: true, pool: 'p10', ips: ['10.0.10.0'] });
  });

  it('pools without priority come after prioritized ones; ties are broken by name', () => {
    const a = withPools(
      pool('a-none', ['10.0.1.0/32'], sa(undefined, { namespaces: ['default'] })),
      pool('z-prio', ['10.0.2.0/32'], sa(5, { namespaces: ['default'] })),
      pool('b-prio', ['10.0.3.0/32'], sa(5, { namespaces: ['default'] })),
      pool('c-none', ['10.0.4.0/32'], sa(undefined, { namespaces: ['default'] })),
    );
    const order = ['1', '2', '3', '4'].map((n) => (a.assign(svc(n)) as { pool: string }).pool);
    expect(order).toEqual(['b-prio', 'z-prio', 'a-none', 'c-none']);
  });

  it('pools whose serviceAllocation admits the Service come before plain pools, which are the fallback', () => {
    const a = withPools(
      pool('a-plain', ['10.0.0.0/32']),
      pool('b-pinned', ['10.0.1.0/32'], sa(1, { namespaces: ['default'] })),
    );
    expect(a.assign(svc('x'))).toMatchObject({ ok: true, pool: 'b-pinned' });
    expect(a.assign(svc('y'))).toMatchObject({ ok: true, pool: 'a-plain' });
    expect(refusal(a.assign(svc('z'))).code).toBe('PoolExhausted');
  });

  it('plain pools are tried in name order', () => {
    const a = withPools(pool('b', ['10.0.0.0/32']), pool('a', ['10.9.0.0/32']));
    expect(a.assign(svc('x'))).toMatchObject({ pool: 'a' });
    expect(a.assign(svc('y'))).toMatchObject({ pool: 'b' });
  });

  it('namespaces restrict a pool to Services of those namespaces', () => {
    const a = withPools(pool('team', ['10.0.0.0/24'], sa(undefined, { namespaces: ['team-a'] })));
    expect(a.assign(svc('x', { namespace: 'team-a' }))).toMatchObject({ ok: true, pool: 'team' });
    const r = refusal(a.assign(svc('y', { namespace: 'team-b' })));
    expect(r).toMatchObject({ code: 'NoPoolMatches', skipped: [{ pool: 'team', why: 'namespace' }] });
  });

  it('namespaceSelectors match the labels of the Service namespace', () => {
    const a = withPools(
      pool(
        'prod',
        ['10.0.0.0/24'],
        sa(undefined, { namespaceSelectors: [{ matchLabels: { env: 'prod' } }] }),
      ),
    );
    expect(a.assign(svc('x', { namespace: 'n1', namespaceLabels: { env: 'prod' } }))).toMatchObject({
      ok: true,
      pool: 'prod',
    });
    expect(refusal(a.assign(svc('y', { namespace: 'n2', namespaceLabels: { env: 'dev' } }))).code).toBe(
      'NoPoolMatches',
    );
    expect(refusal(a.assign(svc('z', { namespace: 'n3' }))).code).toBe('NoPoolMatches');
  });

  it('namespaces and namespaceSelectors add up', () => {
    const a = withPools(
      pool(
        'p',
        ['10.0.0.0/24'],
        sa(undefined, {
          namespaces: ['listed'],
          namespaceSelectors: [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold'] }] }],
        }),
      ),
    );
    expect(a.assign(svc('a', { namespace: 'listed' })).ok).toBe(true);
    expect(a.assign(svc('b', { namespace: 'other', namespaceLabels: { tier: 'gold' } })).ok).toBe(true);
    expect(a.assign(svc('c', { namespace: 'other', namespaceLabels: { tier: 'tin' } })).ok).toBe(false);
  });

  it('serviceSelectors: a pool with them serves only the Services they match', () => {
    const a = withPools(
      pool('web', ['10.0.0.0/24'], sa(undefined, { serviceSelectors: [{ matchLabels: { app: 'web' } }] })),
      pool('rest', ['10.0.1.0/24']),
    );
    expect(a.assign(svc('w', { labels: { app: 'web' } }))).toMatchObject({ pool: 'web' });
    expect(a.assign(svc('d', { labels: { app: 'db' } }))).toMatchObject({ pool: 'rest' });
  });

  it('a pool whose serviceAllocation excludes the Service refuses it even when asked by name', () => {
    const a = withPools(
      pool('web', ['10.0.0.0/24'], sa(undefined, { serviceSelectors: [{ matchLabels: { app: 'web' } }] })),
    );
    const r = refusal(a.assign(svc('d', { labels: { app: 'db' }, pool: 'web' })));
    expect(r).toMatchObject({
      code: 'PoolNotCompatible',
      pool: 'web',
      why: 'serviceSelectors',
      service: 'default/d',
    });
    const r2 = refusal(a.assign(svc('e', { labels: { app: 'db' }, loadBalancerIP: '10.0.0.9' })));
    expect(r2).toMatchObject({ code: 'PoolNotCompatible', pool: 'web' });
  });

  it('serviceAllocation with only a priority admits every Service at that priority', () => {
    const a = withPools(pool('a-plain', ['10.0.0.0/24']), pool('b-prio', ['10.0.1.0/24'], sa(3)));
    expect(a.assign(svc('x'))).toMatchObject({ pool: 'b-prio' });
  });

  it('falls back to plain pools when the matching prioritized pools are full', () => {
    const a = withPools(
      pool('a', ['10.0.0.0/32'], sa(1, { namespaces: ['default'] })),
      pool('b', ['10.0.1.0/32']),
    );
    expect(a.assign(svc('x'))).toMatchObject({ pool: 'a' });
    expect(a.assign(svc('y'))).toMatchObject({ pool: 'b' });
  });
});

describe('requests', () => {
  const a0 = () => withPools(pool('p', ['10.0.0.0/24', '2001:db8::/64']), pool('q', ['10.0.1.0/24']));

  it('spec.loadBalancerIP gets exactly that address', () => {
    const a = a0();
    expect(a.assign(svc('x', { loadBalancerIP: '10.0.1.33' }))).toMatchObject({
      ok: true,
      ips: ['10.0.1.33'],
      pool: 'q',
    });
  });

  it('an IPv4-mapped IPv6 address is the IPv4 address, as in Go', () => {
    expect(a0().assign(svc('x', { loadBalancerIP: '::ffff:10.0.1.7' }))).toMatchObject({
      ok: true,
      ips: ['10.0.1.7'],
    });
  });

  it('metallb.io/loadBalancerIPs takes one address per family', () => {
    const a = a0();
    const r = a.assign(
      svc('x', { ips: '2001:db8::5, 10.0.0.5', policy: 'RequireDualStack', families: ['IPv6', 'IPv4'] }),
    );
    expect(r).toMatchObject({ ok: true, ips: ['2001:db8::5', '10.0.0.5'], pool: 'p' });
  });

  it('two addresses of one family in loadBalancerIPs are an invalid annotation', () => {
    const r = refusal(a0().assign(svc('x', { ips: '10.0.0.1,10.0.0.2' })));
    expect(r).toMatchObject({ code: 'InvalidAnnotation', annotation: 'metallb.io/loadBalancerIPs' });
  });

  it('an unparsable address is an invalid annotation (or spec field), naming it', () => {
    expect(refusal(a0().assign(svc('x', { ips: '10.0.0.1,bogus' })))).toMatchObject({
      code: 'InvalidAnnotation',
      value: '10.0.0.1,bogus',
    });
    expect(refusal(a0().assign(svc('x', { loadBalancerIP: '10.0.0.256' })))).toMatchObject({
      code: 'InvalidLoadBalancerIP',
      value: '10.0.0.256',
    });
  });

  it('loadBalancerIPs together with spec.loadBalancerIP is an error', () => {
    const r = refusal(a0().assign(svc('x', { ips: '10.0.0.1', loadBalancerIP: '10.0.0.1' })));
    expect(r.code).toBe('ConflictingIPRequest');
  });

  it('the old metallb.universe.tf/ prefixes work, and metallb.io/ wins over them', () => {
    const a = a0();
    expect(
      a.assign(svc('old', { annotations: { 'metallb.universe.tf/loadBalancerIPs': '10.0.0.9' } })),
    ).toMatchObject({ ips: ['10.0.0.9'] });
    expect(
      a.assign(svc('oldpool', { annotations: { 'metallb.universe.tf/address-pool': 'q' } })),
    ).toMatchObject({
      pool: 'q',
    });
    expect(
      a.assign(
        svc('both', {
          annotations: { 'metallb.universe.tf/address-pool': 'q', 'metallb.io/address-pool': 'p' },
        }),
      ),
    ).toMatchObject({ pool: 'p' });
  });

  it('a requested address outside every pool is refused', () => {
    expect(refusal(a0().assign(svc('x', { loadBalancerIP: '192.0.2.1' })))).toMatchObject({
      code: 'IPOutsidePools',
      ip: '192.0.2.1',
      service: 'default/x',
    });
  });

  it('requested addresses of two families must lie in one pool', () => {
    const a = withPools(pool('v4', ['10.0.0.0/24']), pool('v6', ['fd00::/120']));
    const r = refusal(
      a.assign(svc('x', { ips: '10.0.0.1,fd00::1', policy: 'RequireDualStack', families: ['IPv4', 'IPv6'] })),
    );
    expect(r).toMatchObject({
      code: 'IPsInDifferentPools',
      ips: ['10.0.0.1', 'fd00::1'],
      pools: ['v4', 'v6'],
    });
  });

  it('a requested address must be in the requested pool', () => {
    const r = refusal(a0().assign(svc('x', { loadBalancerIP: '10.0.0.1', pool: 'q' })));
    expect(r).toMatchObject({ code: 'IPPoolMismatch', pool: 'p', requestedPool: 'q', ip: '10.0.0.1' });
  });

  it('metallb.io/address-pool naming no pool is refused', () => {
    expect(refusal(a0().assign(svc('x', { pool: 'nope' })))).toMatchObject({
      code: 'PoolNotFound',
      pool: 'nope',
    });
  });

  it('requested addresses must fit the Service families', () => {
    const r = refusal(a0().assign(svc('x', { loadBalancerIP: '2001:db8::1', families: ['IPv4'] })));
    expect(r).toMatchObject({ code: 'FamilyMismatch', ips: ['2001:db8::1'], families: ['IPv4'] });
    const r2 = refusal(
      a0().assign(svc('y', { ips: '10.0.0.1', policy: 'RequireDualStack', families: ['IPv4', 'IPv6'] })),
    );
    expect(r2.code).toBe('FamilyMismatch');
  });

  it('changing the requested address moves the Service; the old address is released', () => {
    const a = a0();
    ips(a.assign(svc('x', { loadBalancerIP: '10.0.0.1' })));
    const r = a.assign(svc('x', { loadBalancerIP: '10.0.0.2' }));
    expect(r).toMatchObject({ ok: true, ips: ['10.0.0.2'], changed: true, released: ['10.0.0.1'] });
    expect(a.lookup('10.0.0.1')).toBeUndefined();
  });

  it('changing the pool annotation moves the Service to that pool', () => {
    const a = a0();
    expect(a.assign(svc('x'))).toMatchObject({ pool: 'p' });
    expect(a.assign(svc('x', { pool: 'q' }))).toMatchObject({
      ok: true,
      pool: 'q',
      changed: true,
      released: ['10.0.0.0'],
    });
  });

  it('an invalid annotation added later keeps the address the Service holds', () => {
    const a = a0();
    ips(a.assign(svc('x')));
    const r = a.assign(svc('x', { ips: 'garbage' }));
    expect(r).toMatchObject({ ok: false, released: [], held: { ips: ['10.0.0.0'], pool: 'p' } });
    expect(a.lookup('10.0.0.0')?.services[0]?.service).toBe('default/x');
  });

  it('assign is idempotent', () => {
    const a = a0();
    ips(a.assign(svc('x')));
    expect(a.assign(svc('x'))).toMatchObject({ ok: true, ips: ['10.0.0.0'], changed: false, released: [] });
  });
});

describe('dual-stack', () => {
  it('RequireDualStack gets one address per family from the same pool, in ipFamilies order', () => {
    const a = withPools(pool('v4only', ['10.0.0.0/24']), pool('w-dual', ['10.0.1.0/24', 'fd00::/120']));
    const r = a.assign(svc('x', { policy: 'RequireDualStack', families: ['IPv6', 'IPv4'] }));
    expect(r).toMatchObject({ ok: true, pool: 'w-dual', ips: ['fd00::', '10.0.1.0'] });
  });

  it('RequireDualStack refuses when no single pool has both families', () => {
    const a = withPools(pool('v4', ['10.0.0.0/24']), pool('v6', ['fd00::/120']));
    const r = refusal(a.assign(svc('x', { policy: 'RequireDualStack', families: ['IPv4', 'IPv6'] })));
    expect(r).toMatchObject({ code: 'FamilyNotAvailable', family: 'IPv6', pools: ['v4', 'v6'] });
    expect(r.message).toContain('both IPv4 and IPv6');
    const named = refusal(
      a.assign(svc('y', { policy: 'RequireDualStack', families: ['IPv4', 'IPv6'], pool: 'v6' })),
    );
    expect(named).toMatchObject({ code: 'FamilyNotAvailable', family: 'IPv4', pools: ['v6'] });
  });

  it('RequireDualStack with a single ipFamily is refused', () => {
    const a = withPools(pool('d', ['10.0.0.0/24', 'fd00::/120']));
    expect(refusal(a.assign(svc('x', { policy: 'RequireDualStack', families: ['IPv4'] }))).code).toBe(
      'DualStackRequired',
    );
  });

  it('PreferDualStack falls back to one family when the pool has only one, preferring the primary', () => {
    const a = withPools(pool('v4', ['10.0.0.0/24']), pool('v6', ['fd00::/120']));
    expect(a.assign(svc('x', { policy: 'PreferDualStack', families: ['IPv6', 'IPv4'] }))).toMatchObject({
      ok: true,
      ips: ['fd00::'],
      pool: 'v6',
    });
    expect(a.assign(svc('y', { policy: 'PreferDualStack', families: ['IPv4', 'IPv6'] }))).toMatchObject({
      ok: true,
      ips: ['10.0.0.0'],
      pool: 'v4',
    });
  });

  it('PreferDualStack takes both families when a pool has them', () => {
    const a = withPools(pool('a-v4', ['10.0.0.0/24']), pool('b-dual', ['10.0.1.0/24', 'fd00::/120']));
    expect(a.assign(svc('x', { policy: 'PreferDualStack', families: ['IPv4', 'IPv6'] }))).toMatchObject({
      ips: ['10.0.1.0', 'fd00::'],
      pool: 'b-dual',
    });
  });

  it('PreferDualStack with one address gains the other family from the same pool when it appears', () => {
    const a = withPools(pool('p', ['10.0.0.0/24']));
    const s = svc('x', { policy: 'PreferDualStack', families: ['IPv4', 'IPv6'] });
    const first = a.assign(s);
    expect(first).toMatchObject({ ok: true, ips: ['10.0.0.0'] });
    expect(first.ok && first.warning).toBeFalsy();
    const again = a.assign(s);
    expect(again).toMatchObject({
      ok: true,
      ips: ['10.0.0.0'],
      changed: false,
      warning: { code: 'FamilyNotAvailable', family: 'IPv6' },
    });
    a.setPools([pool('p', ['10.0.0.0/24', 'fd00::/120'])]);
    expect(a.assign(s)).toMatchObject({ ok: true, ips: ['10.0.0.0', 'fd00::'], changed: true, released: [] });
  });

  it('PreferDualStack holding the one address it names gets no second family', () => {
    const a = withPools(pool('p', ['10.0.0.0/24', 'fd00::/120']));
    const s = svc('x', { policy: 'PreferDualStack', families: ['IPv4', 'IPv6'], loadBalancerIP: '10.0.0.9' });
    expect(a.restore(s, ['10.0.0.9'])).toMatchObject({ ok: true });
    expect(a.assign(s)).toMatchObject({ ok: true, ips: ['10.0.0.9'], changed: false });
    expect(a.assign(s)).toMatchObject({ ok: true, ips: ['10.0.0.9'], changed: false });
  });

  it('an IPv6 single-stack Service gets IPv6 only, and is told when no pool has IPv6', () => {
    const a = withPools(pool('v4', ['10.0.0.0/24']));
    expect(refusal(a.assign(svc('x', { families: ['IPv6'] })))).toMatchObject({
      code: 'FamilyNotAvailable',
      family: 'IPv6',
      pools: ['v4'],
    });
  });

  it('a family change releases the old address', () => {
    const a = withPools(pool('p', ['10.0.0.0/24', 'fd00::/120']));
    ips(a.assign(svc('x')));
    expect(a.assign(svc('x', { families: ['IPv6'] }))).toMatchObject({
      ok: true,
      ips: ['fd00::'],
      released: ['10.0.0.0'],
    });
  });
});

describe('sharing (allow-shared-ip)', () => {
  const base = () => withPools(pool('p', ['10.0.0.0/30']));
  const tcp = (port: number) => [{ port, protocol: 'TCP' }];

  it('Services with the same key and different ports share the lowest address', () => {
    const a = base();
    expect(ips(a.assign(svc('a', { share: 'k', ports: tcp(80) })))).toEqual(['10.0.0.0']);
    expect(ips(a.assign(svc('b', { share: 'k', ports: tcp(443) })))).toEqual(['10.0.0.0']);
    expect(a.lookup('10.0.0.0')).toEqual({
      ip: '10.0.0.0',
      pool: 'p',
      sharingKey: 'k',
      services: [
        { service: 'default/a', ports: ['TCP/80'] },
        { service: 'default/b', ports: ['TCP/443'] },
      ],
    });
    expect(a.poolStats('p')?.assignedIPv4).toBe(1);
  });

  it('the same port number over TCP and UDP can share', () => {
    const a = base();
    ips(a.assign(svc('t', { share: 'dns', ports: [{ port: 53, protocol: 'TCP' }] })));
    expect(ips(a.assign(svc('u', { share: 'dns', ports: [{ port: 53, protocol: 'UDP' }] })))).toEqual([
      '10.0.0.0',
    ]);
  });

  it('an overlapping port+protocol is refused on a requested address, naming the holder', () => {
    const a = base();
    ips(a.assign(svc('a', { share: 'k', ports: tcp(80) })));
    const r = refusal(a.assign(svc('b', { share: 'k', ports: tcp(80), loadBalancerIP: '10.0.0.0' })));
    expect(r).toMatchObject({
      code: 'IPInUse',
      ip: '10.0.0.0',
      pool: 'p',
      holders: ['default/a'],
      conflict: 'PortConflict',
      port: 'TCP/80',
    });
  });

  it('an overlapping port makes automatic allocation take the next free address', () => {
    const a = base();
    ips(a.assign(svc('a', { share: 'k', ports: tcp(80) })));
    expect(ips(a.assign(svc('b', { share: 'k', ports: tcp(80) })))).toEqual(['10.0.0.1']);
    expect(ips(a.assign(svc('c', { share: 'k', ports: tcp(81) })))).toEqual(['10.0.0.0']);
  });

  it('different keys may not share', () => {
    const a = base();
    ips(a.assign(svc('a', { share: 'k1', loadBalancerIP: '10.0.0.2' })));
    const r = refusal(a.assign(svc('b', { share: 'k2', ports: tcp(81), loadBalancerIP: '10.0.0.2' })));
    expect(r).toMatchObject({ code: 'IPInUse', conflict: 'SharingKeyMismatch', holders: ['default/a'] });
  });

  it('both Services must carry a key', () => {
    const a = base();
    ips(a.assign(svc('a', { loadBalancerIP: '10.0.0.2' })));
    expect(
      refusal(a.assign(svc('b', { share: 'k', ports: tcp(81), loadBalancerIP: '10.0.0.2' }))),
    ).toMatchObject({
      conflict: 'HolderDoesNotShare',
    });
    ips(a.assign(svc('c', { share: 'k', loadBalancerIP: '10.0.0.3' })));
    expect(refusal(a.assign(svc('d', { ports: tcp(81), loadBalancerIP: '10.0.0.3' })))).toMatchObject({
      conflict: 'ServiceDoesNotShare',
    });
  });

  it('externalTrafficPolicy Local shares only with the same pod selector', () => {
    const a = base();
    const local = (name: string, app: string, port: number) =>
      svc(name, { share: 'k', local: true, selector: { app }, ports: tcp(port), loadBalancerIP: '10.0.0.1' });
    ips(a.assign(local('a', 'web', 80)));
    expect(ips(a.assign(local('b', 'web', 443)))).toEqual(['10.0.0.1']);
    expect(refusal(a.assign(local('c', 'db', 5432)))).toMatchObject({ conflict: 'BackendMismatch' });
    const cluster = svc('d', { share: 'k', ports: tcp(8080), loadBalancerIP: '10.0.0.1' });
    const r = refusal(a.assign(cluster));
    expect(r).toMatchObject({ conflict: 'BackendMismatch', holders: ['default/a', 'default/b'] });
    expect(r.message).toContain('same pod selector');
  });

  it('a shared address stays in use until its last holder leaves', () => {
    const a = base();
    ips(a.assign(svc('a', { share: 'k', ports: tcp(80) })));
    ips(a.assign(svc('b', { share: 'k', ports: tcp(81) })));
    expect(a.release('default/a')).toEqual({ service: 'default/a', ips: ['10.0.0.0'], pool: 'p' });
    expect(ips(a.assign(svc('c')))).toEqual(['10.0.0.1']);
    a.release('default/b');
    expect(ips(a.assign(svc('d')))).toEqual(['10.0.0.0']);
  });

  it('a sole holder may change its key; with others on the address it loses it', () => {
    const a = base();
    ips(a.assign(svc('a', { share: 'k', ports: tcp(80) })));
    expect(a.assign(svc('a', { share: 'k2', ports: tcp(80) }))).toMatchObject({
      ok: true,
      ips: ['10.0.0.0'],
      changed: false,
    });
    ips(a.assign(svc('b', { share: 'k2', ports: tcp(81) })));
    const r = a.assign(svc('b', { share: 'k3', ports: tcp(81) }));
    expect(r).toMatchObject({ ok: true, ips: ['10.0.0.1'], released: ['10.0.0.0'] });
  });
});

describe('restart and pool edits', () => {
  it('restore reproduces assignments exactly, and assign then keeps them', () => {
    const a = withPools(pool('p', ['10.0.0.0/24', 'fd00::/64']));
    const s1 = svc('one', { loadBalancerIP: '10.0.0.77' });
    const s2 = svc('two', { policy: 'RequireDualStack', families: ['IPv6', 'IPv4'] });
    const s3 = svc('three', { share: 'k', ports: [{ port: 1 }] });
    const s4 = svc('four', { share: 'k', ports: [{ port: 2 }] });
    for (const s of [s1, s2, s3, s4]) ips(a.assign(s));
    const before = a.assignments();

    const b = withPools(pool('p', ['10.0.0.0/24', 'fd00::/64']));
    for (const s of [s4, s2, s1, s3]) {
      const held = before.find((x) => x.service === `default/${s.name}`)!;
      expect(b.restore(s, held.ips)).toMatchObject({ ok: true, ips: held.ips, pool: 'p' });
    }
    expect(b.assignments()).toEqual(before);
    for (const s of [s1, s2, s3, s4]) expect(b.assign(s)).toMatchObject({ ok: true, changed: false });
    expect(b.poolStats('p')).toEqual(a.poolStats('p'));
  });

  it('restore reports a clash with what was restored before, naming the holder', () => {
    const a = withPools(pool('p', ['10.0.0.0/24']));
    expect(a.restore(svc('a'), ['10.0.0.5']).ok).toBe(true);
    const r = a.restore(svc('b'), ['10.0.0.5']);
    expect(r).toMatchObject({
      ok: false,
      reason: { code: 'IPInUse', holders: ['default/a'], ip: '10.0.0.5' },
    });
  });

  it('restore refuses addresses outside the pools, of the wrong family, or not addresses', () => {
    const a = withPools(pool('p', ['10.0.0.0/24', 'fd00::/120']));
    expect(a.restore(svc('a'), ['10.9.0.5'])).toMatchObject({
      ok: false,
      reason: { code: 'IPOutsidePools' },
    });
    expect(a.restore(svc('b', { families: ['IPv4'] }), ['fd00::1'])).toMatchObject({
      ok: false,
      reason: { code: 'FamilyMismatch' },
    });
    expect(a.restore(svc('b', { families: ['IPv4'] }), ['10.0.0.1', '10.0.0.2'])).toMatchObject({
      ok: false,
      reason: { code: 'FamilyMismatch' },
    });
    expect(a.restore(svc('c'), ['x'])).toMatchObject({ ok: false, reason: { code: 'InvalidIP', ip: 'x' } });
  });

  it('a pool edit moves only the addresses that no longer fit, and says why', () => {
    const a = withPools(
      pool('keep', ['10.0.0.0/24']),
      pool('shrink', ['10.0.1.0/24']),
      pool('gone', ['10.0.2.0/24']),
      pool('buggy', ['10.0.3.0/24']),
      pool('sel', ['10.0.4.0/24'], { serviceAllocation: { namespaces: ['default', 'other'] } }),
    );
    ips(a.assign(svc('k', { pool: 'keep' })));
    ips(a.assign(svc('s1', { loadBalancerIP: '10.0.1.10' })));
    ips(a.assign(svc('s2', { loadBalancerIP: '10.0.1.200' })));
    ips(a.assign(svc('g', { pool: 'gone' })));
    ips(a.assign(svc('b0', { pool: 'buggy' })));
    ips(a.assign(svc('b1', { pool: 'buggy' })));
    ips(a.assign(svc('n', { pool: 'sel', namespace: 'other' })));
    const r = a.setPools([
      pool('keep', ['10.0.0.0/24']),
      pool('shrink', ['10.0.1.0/25']),
      pool('buggy', ['10.0.3.0/24'], { avoidBuggyIPs: true }),
      pool('sel', ['10.0.4.0/24'], { serviceAllocation: { namespaces: ['default'] } }),
    ]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.changes.map((c) => [c.service, c.action, c.reason, c.ips.join(), c.pool])).toEqual([
      ['default/b0', 'released', 'AvoidBuggyIPs', '10.0.3.0', 'buggy'],
      ['default/g', 'released', 'PoolDeleted', '10.0.2.0', 'gone'],
      ['default/s2', 'released', 'AddressRemoved', '10.0.1.200', 'shrink'],
      ['other/n', 'released', 'ServiceNoLongerMatches', '10.0.4.0', 'sel'],
    ]);
    for (const c of r.changes) {
      expect(c.message).toContain(c.service);
      expect(c.message).toContain(c.ips[0]);
      expect(c.message).toContain(`"${c.pool}"`);
    }
    expect(a.assignmentOf('default/k')?.ips).toEqual(['10.0.0.0']);
    expect(a.assignmentOf('default/s1')?.ips).toEqual(['10.0.1.10']);
    expect(a.assignmentOf('default/b1')?.ips).toEqual(['10.0.3.1']);
    expect(a.assignmentOf('default/g')).toBeUndefined();
    expect(a.lookup('10.0.2.0')).toBeUndefined();
    expect(a.poolStats('buggy')).toMatchObject({ assignedIPv4: 1, availableIPv4: 253 });
    // The released Services get new addresses on their next assign.
    // (pool "sel" admits namespace default and comes first; 10.0.4.0 was freed above)
    expect(a.assign(svc('s2'))).toMatchObject({ ok: true, ips: ['10.0.4.0'], pool: 'sel' });
  });

  it('moving addresses to a renamed pool keeps them and reports the new pool', () => {
    const a = withPools(pool('old', ['10.0.0.0/24']));
    ips(a.assign(svc('x')));
    const r = a.setPools([pool('new', ['10.0.0.0/23'])]);
    expect(r).toEqual({
      ok: true,
      changes: [
        expect.objectContaining({
          service: 'default/x',
          action: 'repooled',
          reason: 'PoolChanged',
          pool: 'old',
          newPool: 'new',
        }),
      ],
    });
    expect(a.assignmentOf('default/x')).toEqual({ service: 'default/x', ips: ['10.0.0.0'], pool: 'new' });
    expect(a.assign(svc('y'))).toMatchObject({ ips: ['10.0.0.1'] });
  });

  it('deleting a pool reports every Service that loses its address, shared ones included', () => {
    const a = withPools(pool('p', ['10.0.0.0/24']), pool('q', ['10.0.1.0/24']));
    ips(a.assign(svc('a', { share: 'k', ports: [{ port: 1 }], pool: 'p' })));
    ips(a.assign(svc('b', { share: 'k', ports: [{ port: 2 }], pool: 'p' })));
    ips(a.assign(svc('c', { pool: 'q' })));
    const r = a.setPools([pool('q', ['10.0.1.0/24'])]);
    expect(r.ok && r.changes.map((c) => [c.service, c.reason])).toEqual([
      ['default/a', 'PoolDeleted'],
      ['default/b', 'PoolDeleted'],
    ]);
    expect(a.poolStats('p')).toBeUndefined();
    expect(a.serviceCount).toBe(1);
  });
});

describe('lookup and listing', () => {
  it('finds holders by address in any spelling, and nothing for free or invalid addresses', () => {
    const a = withPools(pool('p', ['10.0.0.0/24', '2001:db8::/64']));
    ips(a.assign(svc('x', { loadBalancerIP: '2001:db8::10' })));
    expect(a.lookup('2001:DB8:0::0010')).toMatchObject({ ip: '2001:db8::10', pool: 'p', sharingKey: '' });
    expect(a.lookup('2001:db8::11')).toBeUndefined();
    expect(a.lookup('not-an-ip')).toBeUndefined();
  });

  it('lists assignments by Service and restores nothing from an empty status', () => {
    const a = withPools(pool('p', ['10.0.0.0/24']));
    ips(a.assign(svc('b')));
    ips(a.assign(svc('a')));
    expect(a.assignments().map((x) => x.service)).toEqual(['default/a', 'default/b']);
    expect(a.restore(svc('c'), [])).toEqual({ ok: true, service: 'default/c', ips: [], pool: '' });
    expect(a.serviceCount).toBe(2);
    expect(a.release('default/nope')).toBeUndefined();
  });
});

describe('counts for IPAddressPool.status', () => {
  it('counts assigned and available per family, shared addresses once', () => {
    const a = withPools(pool('p', ['10.0.0.0/28', 'fd00::/120']));
    ips(a.assign(svc('a', { share: 'k', ports: [{ port: 1 }] })));
    ips(a.assign(svc('b', { share: 'k', ports: [{ port: 2 }] })));
    ips(a.assign(svc('c', { families: ['IPv6'] })));
    expect(a.poolStatus('p')).toEqual({
      assignedIPv4: 1,
      assignedIPv6: 1,
      availableIPv4: 15,
      availableIPv6: 255,
    });
  });

  it('an IPv6 /64 counts exactly as a bigint and saturates in the status', () => {
    const a = withPools(pool('big', ['2001:db8::/64']));
    ips(a.assign(svc('a', { families: ['IPv6'] })));
    expect(a.poolStats('big')).toMatchObject({
      availableIPv6: (1n << 64n) - 1n,
      capacityIPv6: 1n << 64n,
      assignedIPv6: 1,
    });
    expect(a.poolStatus('big')?.availableIPv6).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('whole address families are pools like any other', () => {
    const a = withPools(pool('all4', ['0.0.0.0/0'], { avoidBuggyIPs: true }), pool('all6', ['::/0']));
    expect(a.poolStats('all4')?.capacityIPv4).toBe(2 ** 24 * 254);
    expect(a.poolStats('all6')?.capacityIPv6).toBe(1n << 128n);
    expect(ips(a.assign(svc('a')))).toEqual(['0.0.0.1']);
    expect(ips(a.assign(svc('b', { families: ['IPv6'] })))).toEqual(['::']);
    expect(ips(a.assign(svc('c', { loadBalancerIP: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' })))).toEqual([
      'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    ]);
    expect(ips(a.assign(svc('d', { loadBalancerIP: '255.255.255.254' })))).toEqual(['255.255.255.254']);
    expect(a.poolStats('all6')?.availableIPv6).toBe((1n << 128n) - 2n);
  });

  it('an unknown pool has no stats', () => {
    expect(new Allocator().poolStats('x')).toBeUndefined();
  });
});

describe('loadBalancerClass', () => {
  it('serves LoadBalancer Services without a class when we have none', () => {
    expect(isServedByUs({ spec: { type: 'LoadBalancer' } })).toBe(true);
    expect(isServedByUs({ spec: { type: 'LoadBalancer', loadBalancerClass: 'other' } })).toBe(false);
    expect(isServedByUs({ spec: { type: 'ClusterIP' } })).toBe(false);
  });
  it('serves only our class when we have one', () => {
    expect(isServedByUs({ spec: { type: 'LoadBalancer', loadBalancerClass: 'bmlb' } }, 'bmlb')).toBe(true);
    expect(isServedByUs({ spec: { type: 'LoadBalancer' } }, 'bmlb')).toBe(false);
    expect(isServedByUs({ spec: { type: 'LoadBalancer', loadBalancerClass: 'metallb' } }, 'bmlb')).toBe(
      false,
    );
  });
});
