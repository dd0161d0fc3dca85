// Pools compiled for allocation: per family, sorted address segments mapped into an "index space"
// (the address itself, or its rank among usable addresses for avoidBuggyIPs), a RunSet of the indexes
// in use, and per sharing key the ordered indexes that carry it.

import {
  type IPAddressPoolSpec,
  type LabelSelector,
  type Labels,
  matchLabelSelector,
  parsePoolAddress,
} from '@bmlb/metallb-api';
import {
  buggyRank,
  buggyRankCeil,
  buggyRankFloor,
  buggyUnrank,
  type Family,
  isBuggyIPv4,
  keyText,
} from './addr.ts';
import type { OrderedMap } from './ordered-map.ts';
import { bigintKeys, type KeyOps, numberKeys, RunSet } from './run-set.ts';

/** The parts of an `IPAddressPool` the allocator reads (a whole metallb-api `IPAddressPool` fits). */
export interface PoolInput {
  readonly metadata: { readonly name: string };
  readonly spec: IPAddressPoolSpec;
}

export interface Segment<K extends number | bigint> {
  /** Addresses, inclusive. */
  readonly first: K;
  readonly last: K;
  /** Index space, inclusive (equal to first/last unless avoidBuggyIPs). */
  readonly lo: K;
  readonly hi: K;
}

/** Shared addresses of one sharing group that carry the same set of ports. */
export interface SharedBucket<K extends number | bigint> {
  readonly ports: readonly string[];
  readonly members: OrderedMap<K, true>;
}

export class Space<K extends number | bigint> {
  readonly family: Family;
  readonly pool: CompiledPool;
  readonly segments: readonly Segment<K>[];
  /** Usable addresses: a number for IPv4, a bigint for IPv6. */
  readonly capacity: K;
  /** Indexes of addresses in use (change them through `occupy` and `vacate`). */
  readonly used: RunSet<K>;
  /**
   * Shared addresses: `sharingKey\0backendKey` → the set of ports in use on an address (its
   * "signature") → the indexes of the addresses with exactly those ports. Finding the lowest address a
   * sharing Service may join takes one look per distinct port set, not one per address.
   */
  readonly shared = new Map<string, Map<string, SharedBucket<K>>>();
  readonly #buggy: boolean;
  /** Per segment: its size (Infinity beyond 2^53) and how many of its addresses are in use. */
  readonly #sizes: number[];
  readonly #usedIn: number[];
  /** Fenwick tree over the segments of 1 (has room) / 0 (full): the first segment with room in O(log). */
  readonly #room: number[];
  #roomCount: number;

  constructor(
    family: Family,
    pool: CompiledPool,
    segments: Segment<K>[],
    capacity: K,
    ops: KeyOps<K>,
    buggy: boolean,
  ) {
    this.family = family;
    this.pool = pool;
    this.segments = segments;
    this.capacity = capacity;
    this.used = new RunSet(ops);
    this.#buggy = buggy;
    const n = segments.length;
    this.#sizes = segments.map((g) => {
      const size = BigInt(g.hi) - BigInt(g.lo) + 1n;
      return size > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(size);
    });
    this.#usedIn = new Array<number>(n).fill(0);
    this.#room = new Array<number>(n + 1).fill(0);
    for (let i = 1; i <= n; i++) {
      this.#room[i]! += 1;
      const j = i + (i & -i);
      if (j <= n) this.#room[j]! += this.#room[i]!;
    }
    this.#roomCount = n;
  }

  /** Marks an index in use; false if it already was. O(log). */
  occupy(index: K): boolean {
    if (!this.used.add(index)) return false;
    const s = this.#segmentOf(index);
    this.#usedIn[s]!++;
    if (this.#usedIn[s] === this.#sizes[s]) this.#roomChange(s, -1);
    return true;
  }

  /** Marks an index free; false if it was not in use. O(log). */
  vacate(index: K): boolean {
    if (!this.used.delete(index)) return false;
    const s = this.#segmentOf(index);
    if (this.#usedIn[s] === this.#sizes[s]) this.#roomChange(s, 1);
    this.#usedIn[s]!--;
    return true;
  }

  #segmentOf(index: K): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid]!.lo <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  #roomChange(segment: number, delta: number): void {
    this.#roomCount += delta;
    for (let i = segment + 1; i < this.#room.length; i += i & -i) this.#room[i]! += delta;
  }

  /** The first segment with a free address, or -1. */
  #firstWithRoom(): number {
    if (this.#roomCount === 0) return -1;
    const n = this.#room.length - 1;
    let pos = 0;
    let step = 1;
    while (step * 2 <= n) step *= 2;
    for (; step > 0; step >>>= 1) {
      // Advance while the prefix sum stays below 1: pos ends one before the first segment with room.
      if (pos + step <= n && this.#room[pos + step]! < 1) pos += step;
    }
    return pos;
  }

  /** Index of an address of this space's segments; undefined for a .0/.255 in an avoidBuggyIPs pool. */
  toIndex(addr: K): K | undefined {
    if (!this.#buggy) return addr;
    const v = addr as number;
    return (isBuggyIPv4(v) ? undefined : buggyRank(v)) as K | undefined;
  }

  toAddress(index: K): K {
    return this.#buggy ? (buggyUnrank(index as number) as K) : index;
  }

  /** The lowest free index, or undefined when every usable address is in use. O(log segments + log runs). */
  firstFree(): K | undefined {
    const s = this.#firstWithRoom();
    if (s < 0) return undefined;
    // Runs hold only in-use indexes of segments, so the first gap at or after a segment with room is in it.
    return this.used.firstAbsentFrom(this.segments[s]!.lo);
  }
}

interface CompiledServiceAllocation {
  /** 0 when unset. */
  readonly priority: number;
  readonly namespaces: ReadonlySet<string>;
  readonly namespaceSelectors: readonly LabelSelector[];
  readonly serviceSelectors: readonly LabelSelector[];
}

export interface CompiledPool {
  readonly name: string;
  readonly autoAssign: boolean;
  readonly avoidBuggyIPs: boolean;
  readonly serviceAllocation: CompiledServiceAllocation | undefined;
  v4: Space<number> | undefined;
  v6: Space<bigint> | undefined;
}

export function spaceOf(pool: CompiledPool, family: Family): Space<number> | Space<bigint> | undefined {
  return family === 'IPv4' ? pool.v4 : pool.v6;
}

/** Why the pool's serviceAllocation excludes a Service, or undefined when it admits it. */
export function poolExcludes(
  pool: CompiledPool,
  namespace: string,
  labels: Labels | undefined,
  namespaceLabels: Labels | undefined,
): 'namespace' | 'serviceSelectors' | undefined {
  const sa = pool.serviceAllocation;
  if (sa === undefined) return undefined;
  if (sa.namespaces.size > 0 || sa.namespaceSelectors.length > 0) {
    const ok =
      sa.namespaces.has(namespace) ||
      sa.namespaceSelectors.some((s) => matchLabelSelector(s, namespaceLabels ?? {}));
    if (!ok) return 'namespace';
  }
  if (
    sa.serviceSelectors.length > 0 &&
    !sa.serviceSelectors.some((s) => matchLabelSelector(s, labels ?? {}))
  ) {
    return 'serviceSelectors';
  }
  return undefined;
}

/** A problem with the pools given to `setPools`; the whole set is refused and the old one kept. */
export interface PoolConfigError {
  readonly pool: string;
  /** Where in the pool, e.g. `spec.addresses[2]`. */
  readonly path: string;
  readonly code: 'InvalidAddress' | 'OverlappingPools' | 'DuplicatePool' | 'InvalidName';
  readonly message: string;
}

interface RawSegment<K> {
  first: K;
  last: K;
  pool: string;
  path: string;
}

/** Sorts and merges adjacent intervals of one pool and family (overlaps were reported before). */
function mergeAdjacent<K extends number | bigint>(
  segs: RawSegment<K>[],
  ops: KeyOps<K>,
): { first: K; last: K }[] {
  const sorted = [...segs].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const out: { first: K; last: K }[] = [];
  for (const s of sorted) {
    const prev = out.at(-1);
    if (prev !== undefined && ops.succ(prev.last) >= s.first) {
      if (s.last > prev.last) prev.last = s.last;
    } else {
      out.push({ first: s.first, last: s.last });
    }
  }
  return out;
}

function findOverlaps<K extends number | bigint>(
  all: RawSegment<K>[],
  fmt: (k: K) => string,
  errors: PoolConfigError[],
): void {
  const sorted = [...all].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  let reach: RawSegment<K> | undefined; // the segment reaching furthest so far
  for (const s of sorted) {
    if (reach !== undefined && s.first <= reach.last) {
      // biome-ignore lint/complexity/useMathMinMax: K may be a bigint
      const end = s.last < reach.last ? s.last : reach.last;
      const where = s.first === end ? fmt(s.first) : `${fmt(s.first)}-${fmt(end)}`;
      const other =
        reach.pool === s.pool ? `${reach.path} of the same pool` : `pool "${reach.pool}" (${reach.path})`;
      errors.push({
        pool: s.pool,
        path: s.path,
        code: 'OverlappingPools',
        message: `pool "${s.pool}" ${s.path} overlaps ${other} at ${where}`,
      });
    }
    if (reach === undefined || s.last > reach.last) reach = s;
  }
}

export interface CompiledPools {
  readonly byName: ReadonlyMap<string, CompiledPool>;
  /** All segments of a family, sorted, with their space: lookup of an address's pool by binary search. */
  readonly v4Index: readonly { first: number; last: number; space: Space<number> }[];
  readonly v6Index: readonly { first: bigint; last: bigint; space: Space<bigint> }[];
  /** Auto-assign order: prioritized serviceAllocation pools, unprioritized ones, then plain pools; ties by name. */
  readonly ordered: readonly CompiledPool[];
}

export function compilePools(
  pools: readonly PoolInput[],
): { ok: true; pools: CompiledPools } | { ok: false; errors: PoolConfigError[] } {
  const errors: PoolConfigError[] = [];
  const seen = new Set<string>();
  const v4All: RawSegment<number>[] = [];
  const v6All: RawSegment<bigint>[] = [];
  const perPool: { input: PoolInput; v4: RawSegment<number>[]; v6: RawSegment<bigint>[] }[] = [];
  for (const p of pools) {
    const name = p.metadata.name;
    if (name === '') {
      errors.push({ pool: name, path: 'metadata.name', code: 'InvalidName', message: 'pool has no name' });
      continue;
    }
    if (seen.has(name)) {
      errors.push({
        pool: name,
        path: 'metadata.name',
        code: 'DuplicatePool',
        message: `duplicate definition of pool "${name}"`,
      });
      continue;
    }
    seen.add(name);
    const v4: RawSegment<number>[] = [];
    const v6: RawSegment<bigint>[] = [];
    if (!Array.isArray(p.spec?.addresses) || p.spec.addresses.some((a) => typeof a !== 'string')) {
      errors.push({
        pool: name,
        path: 'spec.addresses',
        code: 'InvalidAddress',
        message: `pool "${name}" spec.addresses must be a list of strings`,
      });
      continue;
    }
    if (p.spec.addresses.length === 0) {
      errors.push({
        pool: name,
        path: 'spec.addresses',
        code: 'InvalidAddress',
        message: `pool "${name}" has no addresses`,
      });
    }
    p.spec.addresses.forEach((text, i) => {
      const path = `spec.addresses[${i}]`;
      const r = parsePoolAddress(text);
      if (!r.ok) {
        errors.push({
          pool: name,
          path,
          code: 'InvalidAddress',
          message: `pool "${name}" ${path}: ${r.error}`,
        });
        return;
      }
      if (r.value.family === 4) {
        const s = { first: Number(r.value.start), last: Number(r.value.end), pool: name, path };
        v4.push(s);
        v4All.push(s);
      } else {
        const s = { first: r.value.start, last: r.value.end, pool: name, path };
        v6.push(s);
        v6All.push(s);
      }
    });
    perPool.push({ input: p, v4, v6 });
  }
  findOverlaps(v4All, keyText, errors);
  findOverlaps(v6All, keyText, errors);
  if (errors.length > 0) return { ok: false, errors };

  const byName = new Map<string, CompiledPool>();
  const v4Index: { first: number; last: number; space: Space<number> }[] = [];
  const v6Index: { first: bigint; last: bigint; space: Space<bigint> }[] = [];
  for (const { input, v4, v6 } of perPool) {
    const sa = input.spec.serviceAllocation;
    const avoidBuggyIPs = input.spec.avoidBuggyIPs ?? false;
    const pool: CompiledPool = {
      name: input.metadata.name,
      autoAssign: input.spec.autoAssign ?? true,
      avoidBuggyIPs,
      serviceAllocation:
        sa === undefined
          ? undefined
          : {
              priority: sa.priority ?? 0,
              namespaces: new Set(sa.namespaces ?? []),
              namespaceSelectors: sa.namespaceSelectors ?? [],
              serviceSelectors: sa.serviceSelectors ?? [],
            },
      v4: undefined,
      v6: undefined,
    };
    if (v4.length > 0) {
      const segs: Segment<number>[] = [];
      let capacity = 0;
      for (const { first, last } of mergeAdjacent(v4, numberKeys)) {
        const lo = avoidBuggyIPs ? buggyRankCeil(first) : first;
        const hi = avoidBuggyIPs ? buggyRankFloor(last) : last;
        if (lo > hi) continue; // only .0/.255 addresses
        segs.push({ first, last, lo, hi });
        capacity += hi - lo + 1;
      }
      const space = new Space<number>('IPv4', pool, segs, capacity, numberKeys, avoidBuggyIPs);
      pool.v4 = space;
      for (const s of segs) v4Index.push({ first: s.first, last: s.last, space });
    }
    if (v6.length > 0) {
      const segs: Segment<bigint>[] = [];
      let capacity = 0n;
      for (const { first, last } of mergeAdjacent(v6, bigintKeys)) {
        segs.push({ first, last, lo: first, hi: last });
        capacity += last - first + 1n;
      }
      const space = new Space<bigint>('IPv6', pool, segs, capacity, bigintKeys, false);
      pool.v6 = space;
      for (const s of segs) v6Index.push({ first: s.first, last: s.last, space });
    }
    byName.set(pool.name, pool);
  }
  v4Index.sort((a, b) => a.first - b.first);
  v6Index.sort((a, b) => (a.first < b.first ? -1 : 1));
  const rank = (p: CompiledPool): number => {
    if (p.serviceAllocation === undefined) return 2;
    return p.serviceAllocation.priority > 0 ? 0 : 1;
  };
  const ordered = [...byName.values()].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    if (ra !== rb) return ra - rb;
    if (ra === 0) {
      const d = a.serviceAllocation!.priority - b.serviceAllocation!.priority;
      if (d !== 0) return d;
    }
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  return { ok: true, pools: { byName, v4Index, v6Index, ordered } };
}

/** The space (and index) of the pool holding `addr`, by binary search over all segments. */
export function locate<K extends number | bigint>(
  index: readonly { first: K; last: K; space: Space<K> }[],
  addr: K,
): { space: Space<K>; index: K | undefined } | undefined {
  let lo = 0;
  let hi = index.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const s = index[mid]!;
    if (addr < s.first) hi = mid - 1;
    else if (addr > s.last) lo = mid + 1;
    else return { space: s.space, index: s.space.toIndex(addr) };
  }
  return undefined;
}
