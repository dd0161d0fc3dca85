// A binary min-heap of (deadline, item). Entries are never updated in place: the owner pushes a new
// entry and skips stale ones when they surface (lazy deletion), which keeps every operation O(log n).

export interface DeadlineEntry<T> {
  at: number;
  item: T;
}

export class DeadlineQueue<T> {
  readonly #heap: DeadlineEntry<T>[] = [];

  get size(): number {
    return this.#heap.length;
  }

  push(at: number, item: T): void {
    const h = this.#heap;
    const entry = { at, item };
    let i = h.length;
    h.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent]!;
      if (p.at <= at) break;
      h[i] = p;
      i = parent;
    }
    h[i] = entry;
  }

  peek(): DeadlineEntry<T> | undefined {
    return this.#heap[0];
  }

  pop(): DeadlineEntry<T> | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && h[r]!.at < h[l]!.at ? r : l;
      if (h[c]!.at >= last.at) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
    return top;
  }
}
