import fc from 'fast-check';
import { expect, test } from 'vitest';
import { pair } from './testing/index.ts';
import type { BfdDownEvent } from './types.ts';

type Op =
  | { kind: 'wait'; ms: number }
  | { kind: 'profile'; side: 0 | 1; tx: number; rx: number; mult: number }
  | { kind: 'admin'; side: 0 | 1; down: boolean }
  | { kind: 'loss'; from: 'a' | 'b' | 'both'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 5000 }) }),
  fc.record({
    kind: fc.constant('profile' as const),
    side: fc.constantFrom(0 as const, 1 as const),
    tx: fc.integer({ min: 10, max: 2000 }),
    rx: fc.integer({ min: 10, max: 2000 }),
    mult: fc.integer({ min: 2, max: 10 }),
  }),
  fc.record({
    kind: fc.constant('admin' as const),
    side: fc.constantFrom(0 as const, 1 as const),
    down: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('loss' as const),
    from: fc.constantFrom('a' as const, 'b' as const, 'both' as const),
    ms: fc.integer({ min: 1, max: 8000 }),
  }),
);

test('§6.8 convergence: after any mix of timer changes, AdminDown and loss, healed sessions come back Up and stay Up', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 12 }), fc.integer({ min: 1, max: 1000 }), (ops, seed) => {
      const { net, a, b, sa, sb } = pair({}, {}, { seeds: [seed, seed + 1] });
      const sessions = [sa, sb] as const;
      let lossUntil = 0;
      let lossFrom: 'a' | 'b' | 'both' = 'both';
      net.filter = (s) => !(net.now < lossUntil && (lossFrom === 'both' || s.from === lossFrom));
      for (const op of ops) {
        if (op.kind === 'wait') net.runFor(op.ms);
        else if (op.kind === 'profile') {
          sessions[op.side].updateProfile(net.now, {
            transmitInterval: op.tx,
            receiveInterval: op.rx,
            detectMultiplier: op.mult,
          });
          net.collect(op.side === 0 ? a : b);
        } else if (op.kind === 'admin') {
          if (op.down) sessions[op.side].adminDown(net.now);
          else sessions[op.side].adminUp(net.now);
          net.collect(op.side === 0 ? a : b);
        } else {
          lossUntil = net.now + op.ms;
          lossFrom = op.from;
        }
      }
      // Heal: no loss, both administratively up.
      lossUntil = 0;
      for (const [i, s] of sessions.entries()) {
        s.adminUp(net.now);
        net.collect(i === 0 ? a : b);
      }
      // Detection timers armed during the loss may still fire: let them, then require Up.
      net.runFor(5_000);
      expect(net.runUntilTrue(() => sa.state === 'Up' && sb.state === 'Up', 15_000)).toBe(true);
      net.runFor(3_000);
      const downsBefore =
        a.events.filter((e) => e.type === 'down').length + b.events.filter((e) => e.type === 'down').length;
      net.runFor(30_000);
      expect(sa.state).toBe('Up');
      expect(sb.state).toBe('Up');
      const downsAfter =
        a.events.filter((e) => e.type === 'down').length + b.events.filter((e) => e.type === 'down').length;
      expect(downsAfter).toBe(downsBefore);
      expect(sa.info().pollActive || sb.info().pollActive).toBe(false);
      // Every down reported as a failure had a failure diagnostic.
      for (const e of [...a.events, ...b.events]) {
        if (e.type !== 'down') continue;
        const d = e as BfdDownEvent;
        expect(d.failure).toBe(!d.localAdminDown && !d.peerAdminDown);
        expect([1, 3, 7]).toContain(d.diag);
      }
    }),
    { numRuns: 300, seed: 20261129 },
  );
});

test('§6.8.3 timer changes while Up never cause a false detection (any intervals, multipliers, timing, 0.5–25 ms one-way delay)', () => {
  const change = fc.record({
    wait: fc.integer({ min: 0, max: 3000 }),
    side: fc.constantFrom(0 as const, 1 as const),
    tx: fc.integer({ min: 10, max: 3000 }),
    rx: fc.integer({ min: 10, max: 3000 }),
    mult: fc.integer({ min: 2, max: 8 }),
  });
  fc.assert(
    fc.property(
      fc.array(change, { minLength: 1, maxLength: 15 }),
      fc.integer({ min: 1, max: 10_000 }),
      (changes, seed) => {
        const { net, a, b, sa, sb } = pair({}, {}, { seeds: [seed, seed * 7 + 1] });
        expect(net.runUntilTrue(() => sa.state === 'Up' && sb.state === 'Up', 10_000)).toBe(true);
        const sessions = [sa, sb] as const;
        for (const c of changes) {
          net.runFor(c.wait);
          sessions[c.side].updateProfile(net.now, {
            transmitInterval: c.tx,
            receiveInterval: c.rx,
            detectMultiplier: c.mult,
          });
          net.collect(c.side === 0 ? a : b);
        }
        net.runFor(20_000);
        expect([...a.events, ...b.events].filter((e) => e.type === 'down')).toEqual([]);
        expect(sa.state === 'Up' && sb.state === 'Up').toBe(true);
        // Negotiated values settle on the last profiles.
        const pa = sa.profile;
        const pb = sb.profile;
        expect(sa.info().transmitInterval).toBe(Math.max(pa.transmitInterval, pb.receiveInterval) * 1000);
        expect(sb.info().detectionTime).toBe(
          pa.detectMultiplier * Math.max(pb.receiveInterval, pa.transmitInterval) * 1000,
        );
      },
    ),
    { numRuns: 200, seed: 20261130 },
  );
});

test('§6.8.16/§6.8.3 going AdminDown or Down while Up reaches the peer before its detection time, whatever the timing', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 100_000 }),
      fc.integer({ min: 0, max: 2000 }),
      fc.constantFrom(100, 300, 1000),
      fc.integer({ min: 2, max: 5 }),
      (seed, offset, interval, mult) => {
        const profile = { transmitInterval: interval, receiveInterval: interval, detectMultiplier: mult };
        const { net, a, b, sa, sb } = pair({ profile }, { profile }, { seeds: [seed, seed + 17] });
        expect(
          net.runUntilTrue(() => sa.state === 'Up' && sb.state === 'Up' && !sa.info().pollActive, 10_000),
        ).toBe(true);
        net.runFor(offset);
        sa.adminDown(net.now);
        net.collect(a);
        net.runFor(10_000);
        const down = b.events.find((e) => e.type === 'down') as BfdDownEvent | undefined;
        expect(down).toMatchObject({ diag: 3, peerAdminDown: true, failure: false });
      },
    ),
    { numRuns: 300, seed: 20261131 },
  );
});

test('§6.8.4 without packet loss no session ever sees its detection time expire, whatever the operators do', () => {
  const ops = fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 4000 }) }),
      fc.record({
        kind: fc.constant('profile' as const),
        side: fc.constantFrom(0 as const, 1 as const),
        tx: fc.integer({ min: 10, max: 2000 }),
        rx: fc.integer({ min: 10, max: 2000 }),
        mult: fc.integer({ min: 2, max: 6 }),
        passive: fc.boolean(),
      }),
      fc.record({
        kind: fc.constant('admin' as const),
        side: fc.constantFrom(0 as const, 1 as const),
        down: fc.boolean(),
      }),
    ),
    { maxLength: 15 },
  );
  fc.assert(
    fc.property(ops, fc.integer({ min: 1, max: 100_000 }), (list, seed) => {
      const { net, a, b, sa, sb } = pair({}, {}, { seeds: [seed, seed + 3] });
      const sessions = [sa, sb] as const;
      for (const op of list) {
        if (op.kind === 'wait') net.runFor(op.ms);
        else if (op.kind === 'profile') {
          // Never both passive: two passive ends legitimately stay silent.
          const other = sessions[op.side === 0 ? 1 : 0];
          const passive = op.passive && !other.profile.passiveMode;
          sessions[op.side].updateProfile(net.now, {
            transmitInterval: op.tx,
            receiveInterval: op.rx,
            detectMultiplier: op.mult,
            passiveMode: passive,
          });
          net.collect(op.side === 0 ? a : b);
        } else {
          if (op.down) sessions[op.side].adminDown(net.now);
          else sessions[op.side].adminUp(net.now);
          net.collect(op.side === 0 ? a : b);
        }
      }
      net.runFor(10_000);
      const expired = [...a.events, ...b.events].filter((e) => e.type === 'state' && e.diag === 1);
      expect(expired).toEqual([]);
    }),
    { numRuns: 300, seed: 20261132 },
  );
});
