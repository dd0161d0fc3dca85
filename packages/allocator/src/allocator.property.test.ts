import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBuggyIPv4, keyText, readAddress } from './addr.ts';
import { Allocator } from './allocator.ts';
import type { PoolInput } from './pool.ts';
import { type AllocatorService, backendKey, sharingKey } from './service.ts';
import { pool, type SvcOptions, svc } from './test-support/fixtures.ts';

const CONFIGS: PoolInput[][] = [
  [
    pool('a', ['10.0.0.0/29', 'fd00::/126']),
    pool('b', ['10.0.1.250-10.0.2.5'], { avoidBuggyIPs: true }),
    pool('c', ['10.0.3.0/30'], { autoAssign: false }),
    pool('d', ['10.0.4.0/30'], { serviceAllocation: { priority: 1, namespaces: ['ns1'] } }),
  ],
  [
    pool('a', ['10.0.0.0/30', 'fd00::/127']),
    pool('b2', ['10.0.1.250-10.0.2.5']),
    pool('c', ['10.0.3.0/29'], { autoAssign: false }),
    pool('d', ['10.0.4.0/30'], {
      serviceAllocation: { priority: 1, serviceSelectors: [{ matchLabels: { t: 'x' } }] },
    }),
  ],
];

const REQUESTABLE = [
  '10.0.0.1',
  '10.0.0.6',
  '10.0.2.0',
  '10.0.2.1',
  '10.0.3.1',
  '10.0.4.2',
  '10.9.9.9',
  'fd00::1',
];

const svcArb: fc.Arbitrary<AllocatorService> = fc
  .record({
    name: fc.constantFrom('s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7'),
    namespace: fc.constantFrom('ns1', 'ns2'),
    labels: fc.constantFrom(undefined, { t: 'x' }, { t: 'y' }),
    share: fc.constantFrom(undefined, 'k1', 'k1', 'k1', 'k2'),
    ports: fc.subarray(
      [
        { port: 80, protocol: 'TCP' },
        { port: 443, protocol: 'TCP' },
        { port: 53, protocol: 'UDP' },
      ],
      { minLength: 1 },
    ),
    local: fc.constantFrom(false, false, false, true),
    selector: fc.constantFrom({ app: 'x' }, { app: 'y' }),
    fam: fc.constantFrom('v4', 'v4', 'v6', 'prefer', 'require'),
    request: fc.oneof(
      fc.constant<{ kind: 'none' }>({ kind: 'none' }),
      fc.record({ kind: fc.constant('ip' as const), ip: fc.constantFrom(...REQUESTABLE) }),
      fc.record({ kind: fc.constant('pool' as const), pool: fc.constantFrom('a', 'b', 'c', 'd', 'zz') }),
    ),
  })
  .map((r) => {
    const o: SvcOptions = { namespace: r.namespace, ports: r.ports, local: r.local, selector: r.selector };
    if (r.labels !== undefined) o.labels = r.labels;
    if (r.share !== undefined) o.share = r.share;
    if (r.fam === 'v4') o.families = ['IPv4'];
    else if (r.fam === 'v6') o.families = ['IPv6'];
    else {
      o.families = ['IPv4', 'IPv6'];
      o.policy = r.fam === 'prefer' ? 'PreferDualStack' : 'RequireDualStack';
    }
    if (r.request.kind === 'ip') o.loadBalancerIP = r.request.ip;
    if (r.request.kind === 'pool') o.pool = r.request.pool;
    return svc(r.name, o);
  });

type Op =
  | { op: 'assign'; svc: AllocatorService }
  | { op: 'release'; name: string }
  | { op: 'pools'; config: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: svcArb.map((s) => ({ op: 'assign' as const, svc: s })) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7')
      .map((name) => ({ op: 'release' as const, name })),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 0, max: CONFIGS.length - 1 })
      .map((config) => ({ op: 'pools' as const, config })),
  },
);

/** Runs ops; returns the allocator and the last input given for each Service key. */
function run(ops: readonly Op[]): { a: Allocator; inputs: Map<string, AllocatorService> } {
  const a = new Allocator();
  a.setPools(CONFIGS[0]!);
  const inputs = new Map<string, AllocatorService>();
  for (const o of ops) {
    if (o.op === 'assign') {
      const key = `${o.svc.namespace}/${o.svc.name}`;
      inputs.set(key, o.svc);
      const r = a.assign(o.svc);
      // Every refusal names the Service, and says so in its message.
      if (!r.ok) {
        expect(r.reason.service).toBe(key);
        expect(r.reason.message).toContain(key);
      }
    } else if (o.op === 'release') {
      for (const ns of ['ns1', 'ns2']) {
        a.release(`${ns}/${o.name}`);
        inputs.delete(`${ns}/${o.name}`);
      }
    } else {
      expect(a.setPools(CONFIGS[o.config]!).ok).toBe(true);
    }
    checkInvariants(a, inputs);
  }
  return { a, inputs };
}

function ports(s: AllocatorService): string[] {
  return (s.spec.ports ?? []).map((p) => `${p.protocol ?? 'TCP'}/${p.port}`);
}

/** No address is held by two Services that may not share it; counts match the assignments. */
function checkInvariants(a: Allocator, inputs: Map<string, AllocatorService>): void {
  const perIP = new Map<string, string[]>();
  const perPool = new Map<string, { v4: Set<string>; v6: Set<string> }>();
  for (const asg of a.assignments()) {
    expect(new Set(asg.ips).size).toBe(asg.ips.length);
    for (const ip of asg.ips) {
      perIP.set(ip, [...(perIP.get(ip) ?? []), asg.service]);
      const owners = a.lookup(ip);
      expect(owners?.pool).toBe(asg.pool);
      expect(owners?.services.map((s) => s.service)).toContain(asg.service);
      const c = perPool.get(asg.pool) ?? { v4: new Set(), v6: new Set() };
      (ip.includes(':') ? c.v6 : c.v4).add(ip);
      perPool.set(asg.pool, c);
    }
  }
  for (const [ip, holders] of perIP) {
    expect(
      a
        .lookup(ip)
        ?.services.map((s) => s.service)
        .sort(),
    ).toEqual([...holders].sort());
    if (holders.length < 2) continue;
    const svcs = holders.map((h) => inputs.get(h)!);
    const key = sharingKey(svcs[0]!);
    expect(key).not.toBe('');
    const seen = new Set<string>();
    for (const s of svcs) {
      expect(sharingKey(s)).toBe(key);
      expect(backendKey(s)).toBe(backendKey(svcs[0]!));
      for (const p of ports(s)) {
        expect(seen.has(p), `${p} twice on ${ip}`).toBe(false);
        seen.add(p);
      }
    }
  }
  for (const name of a.poolNames()) {
    const st = a.poolStats(name)!;
    const c = perPool.get(name) ?? { v4: new Set(), v6: new Set() };
    expect(st.assignedIPv4).toBe(c.v4.size);
    expect(st.assignedIPv6).toBe(c.v6.size);
    expect(st.availableIPv4).toBe(st.capacityIPv4 - c.v4.size);
  }
}

describe('properties', () => {
  it('an address is never held by two Services that may not share it, and counts always match', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80, size: 'large' }), (ops) => {
        run(ops);
      }),
      { numRuns: 150 },
    );
  });

  it('restore after a restart reproduces the state exactly, and both converge the same way', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80, size: 'large' }), fc.integer(), (ops, seed) => {
        const { a, inputs } = run(ops);
        const lastConfig = [...ops].reverse().find((o) => o.op === 'pools') as { config: number } | undefined;
        const b = new Allocator();
        b.setPools(CONFIGS[lastConfig?.config ?? 0]!);
        const before = a.assignments();
        // Restore in an order that has nothing to do with the original one.
        const order = [...before].sort(
          (x, y) => ((x.service.length * 31 + seed) % 7) - ((y.service.length * 31 + seed) % 7),
        );
        for (const asg of order) {
          const r = b.restore(inputs.get(asg.service)!, asg.ips);
          expect(r, JSON.stringify(r)).toMatchObject({ ok: true, ips: asg.ips, pool: asg.pool });
        }
        expect(b.assignments()).toEqual(before);
        for (const name of a.poolNames()) expect(b.poolStats(name)).toEqual(a.poolStats(name));
        for (const s of [...inputs.values()].sort((x, y) => (x.name < y.name ? -1 : 1))) {
          expect(b.assign(s)).toEqual(a.assign(s));
        }
        expect(b.assignments()).toEqual(a.assignments());
      }),
      { numRuns: 100 },
    );
  });

  it('a sharing Service gets exactly the lowest address that is free or shareable with it', () => {
    const addrs = Array.from({ length: 8 }, (_, i) => `10.0.0.${i}`);
    const shareArb = fc.record({
      n: fc.integer({ min: 0, max: 11 }),
      share: fc.constantFrom(undefined, 'k1', 'k1', 'k2'),
      ports: fc.subarray([80, 443, 53], { minLength: 1 }),
      local: fc.constantFrom(false, false, true),
      app: fc.constantFrom('x', 'y'),
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), shareArb), { maxLength: 120, size: 'large' }), (ops) => {
        const a = new Allocator();
        a.setPools([pool('p', ['10.0.0.0/29'])]);
        const inputs = new Map<string, AllocatorService>();
        for (const [add, o] of ops) {
          const key = `default/s${o.n}`;
          if (!add) {
            a.release(key);
            inputs.delete(key);
            continue;
          }
          const s = svc(`s${o.n}`, {
            ...(o.share === undefined ? {} : { share: o.share }),
            ports: o.ports.map((port) => ({ port })),
            local: o.local,
            selector: { app: o.app },
          });
          if (a.assignmentOf(key) !== undefined) continue; // only fresh allocations here
          // Brute force: the first address that is free, or whose holders all may share with s.
          const want = addrs.find((ip) => {
            const owners = a.lookup(ip);
            if (owners === undefined) return true;
            return owners.services.every((h) => {
              const other = inputs.get(h.service)!;
              return (
                sharingKey(other) !== '' &&
                sharingKey(other) === sharingKey(s) &&
                backendKey(other) === backendKey(s) &&
                !ports(other).some((p) => ports(s).includes(p))
              );
            });
          });
          const r = a.assign(s);
          inputs.set(key, s);
          expect(r.ok ? r.ips[0] : r.reason.code).toBe(want ?? 'PoolExhausted');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary annotation and spec text never throws: it is granted or refused with a reason', () => {
    const text = fc.oneof(
      fc.string(),
      fc.constantFrom(
        '10.0.0.1',
        'fd00::1',
        '10.0.0.1,fd00::1',
        '::ffff:10.0.0.1',
        ' 10.0.0.1 ',
        '1.2.3.4/32',
      ),
    );
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom(
            'metallb.io/loadBalancerIPs',
            'metallb.universe.tf/loadBalancerIPs',
            'metallb.io/address-pool',
            'metallb.io/allow-shared-ip',
            'metallb.universe.tf/allow-shared-ip',
          ),
          text,
        ),
        fc.option(text, { nil: undefined }),
        (annotations, lbIP) => {
          const a = new Allocator();
          a.setPools(CONFIGS[0]!);
          const s = svc('x', { annotations, ...(lbIP === undefined ? {} : { loadBalancerIP: lbIP }) });
          const r = a.assign(s);
          if (r.ok) expect(r.ips.length).toBeGreaterThan(0);
          else expect(r.reason.message).toContain('default/x');
          expect(a.restore(s, [lbIP ?? 'x']).ok === false || a.assignmentOf('default/x') !== undefined).toBe(
            true,
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('random assign/release never leaks, and always hands out the lowest free address', () => {
    const base = readAddress('10.0.0.240')!.value as number;
    // A pool of 1 to 6 disjoint entries (single addresses and short ranges, some across a /24
    // boundary), written in any order.
    const entriesArb = fc
      .uniqueArray(fc.integer({ min: 0, max: 40 }), { minLength: 2, maxLength: 12 })
      .map((cuts) => {
        const sorted = [...cuts].sort((x, y) => x - y);
        const entries: [number, number][] = [];
        for (let i = 0; i + 1 < sorted.length; i += 2)
          entries.push([base + sorted[i]!, base + sorted[i + 1]! - 1]);
        return entries.filter(([f, l]) => f <= l);
      })
      .filter((e) => e.length > 0);
    fc.assert(
      fc.property(
        fc.boolean(),
        entriesArb,
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 29 })), { maxLength: 200, size: 'large' }),
        (buggy, entries, ops) => {
          const a = new Allocator();
          const text = entries.map(([f, l]) => (f === l ? keyText(f) : `${keyText(f)}-${keyText(l)}`));
          expect(a.setPools([pool('p', text.reverse(), { avoidBuggyIPs: buggy })]).ok).toBe(true);
          const usable: number[] = [];
          for (const [f, l] of entries)
            for (let v = f; v <= l; v++) if (!buggy || !isBuggyIPv4(v)) usable.push(v);
          const inUse = new Map<number, string>();
          for (const [add, n] of ops) {
            const key = `default/s${n}`;
            if (add) {
              const had = a.assignmentOf(key);
              const r = a.assign(svc(`s${n}`));
              if (had !== undefined) {
                expect(r).toMatchObject({ ok: true, ips: had.ips, changed: false });
                continue;
              }
              const want = usable.find((v) => !inUse.has(v));
              if (want === undefined) {
                expect(r).toMatchObject({ ok: false, reason: { code: 'PoolExhausted' } });
              } else {
                expect(r).toMatchObject({ ok: true, ips: [keyText(want)] });
                inUse.set(want, key);
              }
            } else {
              const r = a.release(key);
              const held = [...inUse].find(([, k]) => k === key);
              expect(r?.ips).toEqual(held === undefined ? undefined : [keyText(held[0])]);
              if (held !== undefined) inUse.delete(held[0]);
            }
            expect(a.poolStats('p')?.assignedIPv4).toBe(inUse.size);
          }
          for (const k of [...inUse.values()]) a.release(k);
          expect(a.poolStats('p')).toMatchObject({ assignedIPv4: 0, availableIPv4: usable.length });
          expect(a.serviceCount).toBe(0);
          const again = [...usable, -1].map((_, i) => a.assign(svc(`fresh${i}`)));
          expect(again.map((r) => (r.ok ? r.ips[0] : r.reason.code))).toEqual([
            ...usable.map(keyText),
            'PoolExhausted',
          ]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
