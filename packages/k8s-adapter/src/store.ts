// A read-only (to the apps) cache of one kind, with indexes. It holds each object's last valid
// version: an update that fails validation is recorded as a problem and leaves the previous version
// in place, so a bad edit never removes good state; a deletion removes both.
import { isDeepStrictEqual } from 'node:util';
import type { ConfigError } from '@bmlb/metallb-api';
import { type KubeObject, keyOf } from './resources.ts';

export type ChangeType = 'added' | 'modified' | 'deleted';

/** An object that the API server holds but that did not validate. */
export interface Problem {
  readonly kind: string;
  readonly key: string;
  readonly resourceVersion: string | undefined;
  /** The object's uid, so an Event about the problem reaches `kubectl describe` of the object. */
  readonly uid?: string | undefined;
  readonly errors: readonly ConfigError[];
}

export type StoreEvent<T extends KubeObject = KubeObject> =
  | {
      readonly type: ChangeType;
      readonly kind: string;
      readonly key: string;
      /** The new object (for deletions, the last one the cache held). */
      readonly object: T;
      /** The previous version, for modifications. */
      readonly old?: T | undefined;
    }
  | { readonly type: 'invalid'; readonly kind: string; readonly key: string; readonly problem: Problem }
  /** A problem went away without a new valid version (the object was deleted). */
  | { readonly type: 'valid'; readonly kind: string; readonly key: string };

export type IndexFunc<T> = (obj: T) => readonly string[];

export class Store<T extends KubeObject = KubeObject> {
  readonly kind: string;
  readonly #items = new Map<string, T>();
  readonly #problems = new Map<string, Problem>();
  /** The resourceVersion last applied per key, valid or not: an event already applied is skipped. */
  readonly #seen = new Map<string, string>();
  readonly #indexFuncs = new Map<string, IndexFunc<T>>();
  readonly #indexes = new Map<string, Map<string, Set<string>>>();

  constructor(kind: string) {
    this.kind = kind;
  }

  get size(): number {
    return this.#items.size;
  }
  get(key: string): T | undefined {
    return this.#items.get(key);
  }
  getByName(namespace: string | undefined, name: string): T | undefined {
    return this.#items.get(keyOf({ name, namespace }));
  }
  keys(): IterableIterator<string> {
    return this.#items.keys();
  }
  values(): IterableIterator<T> {
    return this.#items.values();
  }
  list(): T[] {
    return [...this.#items.values()];
  }
  problems(): Problem[] {
    return [...this.#problems.values()];
  }
  problem(key: string): Problem | undefined {
    return this.#problems.get(key);
  }
  /** The resourceVersion of the newest event applied for `key` (valid or not). */
  seenVersion(key: string): string | undefined {
    return this.#seen.get(key);
  }
  /** Every key the API server has (valid objects and invalid ones). */
  allKeys(): Set<string> {
    return new Set(this.#seen.keys());
  }

  /** Adds an index; objects already cached are indexed at once. */
  addIndex(name: string, fn: IndexFunc<T>): void {
    if (this.#indexFuncs.has(name)) throw new Error(`${this.kind} store: index ${name} exists`);
    this.#indexFuncs.set(name, fn);
    const idx = new Map<string, Set<string>>();
    this.#indexes.set(name, idx);
    for (const [key, obj] of this.#items) for (const v of fn(obj)) addTo(idx, v, key);
  }

  /** The objects whose index `name` has `value`. */
  byIndex(name: string, value: string): T[] {
    const idx = this.#indexes.get(name);
    if (idx === undefined) throw new Error(`${this.kind} store: no index ${name}`);
    const keys = idx.get(value);
    if (keys === undefined) return [];
    const out: T[] = [];
    for (const k of keys) {
      const o = this.#items.get(k);
      if (o !== undefined) out.push(o);
    }
    return out;
  }
  /** The values index `name` holds. */
  indexValues(name: string): string[] {
    return [...(this.#indexes.get(name)?.keys() ?? [])];
  }

  /**
   * Applies an ADDED/MODIFIED object (already converted, or its problem). Returns the event to
   * publish, or undefined when nothing changed: the same resourceVersion was applied before, or the
   * new version differs from the cached one only in `metadata.resourceVersion` (a change in what the
   * projection or `slim` drops: a Node's heartbeat, managedFields, a relist after compaction). Such a
   * version is still cached, so the store reads the newest resourceVersion, but no consumer is woken
   * for it.
   */
  upsert(
    key: string,
    resourceVersion: string | undefined,
    result: { object: T } | { problem: Problem },
  ): StoreEvent<T> | undefined {
    if (resourceVersion !== undefined && this.#seen.get(key) === resourceVersion) return undefined;
    if (resourceVersion !== undefined) this.#seen.set(key, resourceVersion);
    if ('problem' in result) {
      this.#problems.set(key, result.problem);
      return { type: 'invalid', kind: this.kind, key, problem: result.problem };
    }
    // A version that clears a problem is news even when it equals the last valid one.
    const hadProblem = this.#problems.delete(key);
    const old = this.#items.get(key);
    if (old !== undefined && !hadProblem && sameButVersion(old, result.object)) {
      this.#items.set(key, result.object); // indexes read no resourceVersion: they stay as they are
      return undefined;
    }
    this.#setItem(key, result.object, old);
    return old === undefined
      ? { type: 'added', kind: this.kind, key, object: result.object }
      : { type: 'modified', kind: this.kind, key, object: result.object, old };
  }

  /** Applies a deletion. Returns the event, or undefined when the key was not cached. */
  delete(key: string): StoreEvent<T> | undefined {
    const hadSeen = this.#seen.delete(key);
    const hadProblem = this.#problems.delete(key);
    const old = this.#items.get(key);
    if (old !== undefined) {
      this.#unindex(key, old);
      this.#items.delete(key);
      return { type: 'deleted', kind: this.kind, key, object: old };
    }
    return hadProblem || hadSeen ? { type: 'valid', kind: this.kind, key } : undefined;
  }

  #setItem(key: string, obj: T, old: T | undefined): void {
    if (old !== undefined) this.#unindex(key, old);
    this.#items.set(key, obj);
    for (const [name, fn] of this.#indexFuncs) {
      const idx = this.#indexes.get(name) as Map<string, Set<string>>;
      for (const v of fn(obj)) addTo(idx, v, key);
    }
  }

  #unindex(key: string, obj: T): void {
    for (const [name, fn] of this.#indexFuncs) {
      const idx = this.#indexes.get(name) as Map<string, Set<string>>;
      for (const v of fn(obj)) {
        const s = idx.get(v);
        if (s === undefined) continue;
        s.delete(key);
        if (s.size === 0) idx.delete(v);
      }
    }
  }
}

/** Two versions of an object alike but for `metadata.resourceVersion`. */
function sameButVersion(a: KubeObject, b: KubeObject): boolean {
  const { resourceVersion: _a, ...ma } = a.metadata;
  const { resourceVersion: _b, ...mb } = b.metadata;
  return isDeepStrictEqual({ ...a, metadata: ma }, { ...b, metadata: mb });
}

function addTo(idx: Map<string, Set<string>>, value: string, key: string): void {
  let s = idx.get(value);
  if (s === undefined) {
    s = new Set();
    idx.set(value, s);
  }
  s.add(key);
}
