import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OrderedMap } from './ordered-map.ts';
import { bigintKeys, numberKeys, RunSet } from './run-set.ts';

describe('OrderedMap', () => {
  it('agrees with a sorted model under random inserts and deletes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 200 })), { maxLength: 400 }),
        (ops) => {
          const m = new OrderedMap<number, number>();
          const model = new Set<number>();
          for (const [ins, k] of ops) {
            if (ins) {
              m.set(k, k * 2);
              model.add(k);
            } else {
              expect(m.delete(k)).toBe(model.delete(k));
            }
          }
          expect(m.checkInvariants()).toBe(model.size);
          const sorted = [...model].sort((a, b) => a - b);
          expect([...m.nodes()].map((n) => n.key)).toEqual(sorted);
          for (let q = -1; q <= 201; q += 7) {
            const fl = sorted.filter((k) => k <= q).at(-1);
            const ce = sorted.find((k) => k >= q);
            const hi = sorted.find((k) => k > q);
            expect(m.floor(q)?.key).toBe(fl);
            expect(m.ceiling(q)?.key).toBe(ce);
            expect(m.higher(q)?.key).toBe(hi);
            expect([...m.nodes(q)].map((n) => n.key)).toEqual(sorted.filter((k) => k >= q));
          }
          expect(m.first()?.key).toBe(sorted[0]);
          expect(m.last()?.key).toBe(sorted.at(-1));
        },
      ),
    );
  });
  it('stays balanced under 100,000 sequential inserts', () => {
    const m = new OrderedMap<number, null>();
    for (let i = 0; i < 100_000; i++) m.set(i, null);
    expect(m.checkInvariants()).toBe(100_000);
  });
});

describe('RunSet', () => {
  it('agrees with a set model and keeps runs maximal', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 60 })), { maxLength: 300 }),
        (ops) => {
          const s = new RunSet(numberKeys);
          const model = new Set<number>();
          for (const [add, k] of ops) {
            if (add) {
              expect(s.add(k)).toBe(!model.has(k));
              model.add(k);
            } else expect(s.delete(k)).toBe(model.delete(k));
          }
          expect(s.size).toBe(model.size);
          const runs = [...s.runs()];
          for (let i = 0; i < runs.length; i++) {
            const [a, b] = runs[i]!;
            expect(a).toBeLessThanOrEqual(b);
            if (i > 0) expect(a).toBeGreaterThan(runs[i - 1]![1] + 1); // maximal: a gap between runs
            for (let k = a; k <= b; k++) expect(model.has(k)).toBe(true);
          }
          for (let q = 0; q <= 62; q++) {
            let want = q;
            while (model.has(want)) want++;
            expect(s.firstAbsentFrom(q)).toBe(want);
            expect(s.has(q)).toBe(model.has(q));
          }
        },
      ),
    );
  });
  it('works on bigints beyond 2^53', () => {
    const base = 1n << 100n;
    const s = new RunSet(bigintKeys);
    for (let i = 0n; i < 5n; i++) s.add(base + i);
    expect(s.firstAbsentFrom(base)).toBe(base + 5n);
    s.delete(base + 2n);
    expect(s.firstAbsentFrom(base)).toBe(base + 2n);
    expect([...s.runs()]).toEqual([
      [base, base + 1n],
      [base + 3n, base + 4n],
    ]);
    expect(s.runCount).toBe(2);
  });
});
