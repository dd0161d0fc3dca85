// A set of integers (number or bigint) stored as maximal runs of consecutive members in an ordered
// map (start → end). "The lowest non-member >= x" is one floor lookup, because runs are maximal:
// the element after a run is never a member. Memory grows with the number of runs, not members:
// 100,000 addresses allocated lowest-first are one run.

import { OrderedMap } from './ordered-map.ts';

export interface KeyOps<K extends number | bigint> {
  succ(k: K): K;
  pred(k: K): K;
}

export const numberKeys: KeyOps<number> = { succ: (k) => k + 1, pred: (k) => k - 1 };
export const bigintKeys: KeyOps<bigint> = { succ: (k) => k + 1n, pred: (k) => k - 1n };

export class RunSet<K extends number | bigint> {
  readonly #runs = new OrderedMap<K, K>();
  readonly #ops: KeyOps<K>;
  #count = 0;

  constructor(ops: KeyOps<K>) {
    this.#ops = ops;
  }

  /** Number of members. */
  get size(): number {
    return this.#count;
  }

  /** Number of maximal runs (the memory cost). */
  get runCount(): number {
    return this.#runs.size;
  }

  has(k: K): boolean {
    const r = this.#runs.floor(k);
    return r !== undefined && r.value >= k;
  }

  /** The lowest non-member >= k. */
  firstAbsentFrom(k: K): K {
    const r = this.#runs.floor(k);
    if (r !== undefined && r.value >= k) return this.#ops.succ(r.value);
    return k;
  }

  /** Adds k; false if it was already a member. */
  add(k: K): boolean {
    const ops = this.#ops;
    const r = this.#runs.floor(k);
    if (r !== undefined && r.value >= k) return false;
    const next = ops.succ(k);
    const s = this.#runs.node(next);
    const joinsLeft = r !== undefined && ops.succ(r.value) === k;
    if (joinsLeft && s !== undefined) {
      r.value = s.value;
      this.#runs.delete(s.key);
    } else if (joinsLeft) {
      r.value = k;
    } else if (s !== undefined) {
      // Extending a run downwards keeps the order: nothing lies between the previous run and k.
      s.key = k;
    } else {
      this.#runs.set(k, k);
    }
    this.#count++;
    return true;
  }

  /** Removes k; false if it was not a member. */
  delete(k: K): boolean {
    const ops = this.#ops;
    const r = this.#runs.floor(k);
    if (r === undefined || r.value < k) return false;
    const end = r.value;
    if (r.key === k) {
      if (end === k) this.#runs.delete(k);
      else r.key = ops.succ(k); // the run's new start is still below the next run's
    } else if (end === k) {
      r.value = ops.pred(k);
    } else {
      r.value = ops.pred(k);
      this.#runs.set(ops.succ(k), end);
    }
    this.#count--;
    return true;
  }

  /** Runs in ascending order as [start, end] (for tests and diagnostics). */
  *runs(): Generator<[K, K]> {
    for (const n of this.#runs.nodes()) yield [n.key, n.value];
  }
}
