// Informers for the kinds an app needs: one reflector and store per kind, the standard indexes, and
// one ordered stream of changes that the app consumes.
import { objectKey, SERVICE_NAME_LABEL } from '@bmlb/metallb-api';
import type { KubeClient } from './client.ts';
import { type BackoffOptions, Reflector } from './reflector.ts';
import type { KubeObject, Projection, ResourceType } from './resources.ts';
import { Store, type StoreEvent } from './store.ts';

export type CacheEvent =
  | StoreEvent
  | { readonly type: 'synced'; readonly kind: string; readonly relist: boolean };
export type CacheListener = (e: CacheEvent) => void;

/** What an app reads: typed stores and one change stream. The API-server and in-memory caches both provide it. */
export interface ClusterCache {
  /** The store of a kind that is being watched; throws for one that is not. */
  store<T extends KubeObject>(type: ResourceType<T>): Store<T>;
  has(type: ResourceType): boolean;
  /** Every change, in the order the stores applied them. Returns the unsubscribe function. */
  on(listener: CacheListener): () => void;
  /** Resolves once every watched kind has been listed. */
  waitForSync(signal?: AbortSignal): Promise<void>;
  readonly hasSynced: boolean;
}

/** The standard indexes, added to a kind's store when it is watched. */
export const Index = {
  /** EndpointSlices by `namespace/service` (label kubernetes.io/service-name). */
  sliceByService: 'service',
  /** EndpointSlices by the nodes of their endpoints. */
  sliceByNode: 'node',
  /** Services by `metallb.io/ip-allocated-from-pool`. */
  serviceByPool: 'pool',
} as const;

const POOL_ANNOTATION = 'metallb.io/ip-allocated-from-pool';

export function addStandardIndexes(kind: string, store: Store<KubeObject>): void {
  if (kind === 'EndpointSlice') {
    store.addIndex(Index.sliceByService, (o) => {
      const svc = o.metadata.labels?.[SERVICE_NAME_LABEL];
      return svc ? [objectKey(o.metadata.namespace ?? '', svc)] : [];
    });
    store.addIndex(Index.sliceByNode, (o) => {
      const eps = (o as unknown as { endpoints?: { nodeName?: string }[] }).endpoints ?? [];
      const nodes = new Set<string>();
      for (const e of eps) if (e.nodeName) nodes.add(e.nodeName);
      return [...nodes];
    });
  } else if (kind === 'Service') {
    store.addIndex(Index.serviceByPool, (o) => {
      const p = o.metadata.annotations?.[POOL_ANNOTATION];
      return p ? [p] : [];
    });
  }
}

export interface WatchOptions {
  readonly namespace?: string | undefined;
  readonly labelSelector?: string | undefined;
  readonly fieldSelector?: string | undefined;
  /**
   * Keeps only the fields the app reads of each object of this kind (see `Projection`): applied as
   * objects are decoded, before validation, so the cache holds just that. The standard indexes read
   * `metadata.labels["kubernetes.io/service-name"]` and `endpoints[].nodeName` of EndpointSlices and
   * `metadata.annotations["metallb.io/ip-allocated-from-pool"]` of Services: a projection that drops
   * them empties those indexes.
   */
  readonly project?: Projection | undefined;
}

export interface KubeCacheOptions {
  readonly backoff?: BackoffOptions;
  readonly random?: () => number;
  readonly pageSize?: number;
  /** List/watch failures that will be retried (for the app's log). */
  readonly onError?: (kind: string, err: Error, what: 'list' | 'watch', retryInMs: number) => void;
}

/** The cache fed by the API server. */
export class KubeCache implements ClusterCache {
  readonly #client: KubeClient;
  readonly #opts: KubeCacheOptions;
  readonly #reflectors = new Map<string, Reflector>();
  readonly #listeners = new Set<CacheListener>();
  #started = false;

  constructor(client: KubeClient, opts: KubeCacheOptions = {}) {
    this.#client = client;
    this.#opts = opts;
  }

  /** Registers a kind (before start). */
  watch<T extends KubeObject>(type: ResourceType<T>, opts: WatchOptions = {}): Store<T> {
    if (this.#reflectors.has(type.kind)) throw new Error(`KubeCache: ${type.kind} is watched already`);
    const store = new Store<T>(type.kind);
    addStandardIndexes(type.kind, store as unknown as Store<KubeObject>);
    const r = new Reflector<T>(this.#client, type, store, {
      ...opts,
      pageSize: this.#opts.pageSize,
      backoff: this.#opts.backoff,
      random: this.#opts.random,
      onEvent: (e) => this.#publish(e),
      onSynced: (relist) => this.#publish({ type: 'synced', kind: type.kind, relist }),
      onError: (err, what, wait) => this.#opts.onError?.(type.kind, err, what, wait),
    });
    this.#reflectors.set(type.kind, r as unknown as Reflector);
    if (this.#started) r.start();
    return store;
  }

  store<T extends KubeObject>(type: ResourceType<T>): Store<T> {
    const r = this.#reflectors.get(type.kind);
    if (r === undefined) throw new Error(`KubeCache: ${type.kind} is not watched`);
    return r.store as unknown as Store<T>;
  }

  has(type: ResourceType): boolean {
    return this.#reflectors.has(type.kind);
  }

  reflector(kind: string): Reflector | undefined {
    return this.#reflectors.get(kind);
  }

  on(listener: CacheListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #publish(e: CacheEvent): void {
    for (const l of this.#listeners) l(e);
  }

  start(): void {
    this.#started = true;
    for (const r of this.#reflectors.values()) r.start();
  }

  get hasSynced(): boolean {
    for (const r of this.#reflectors.values()) if (!r.hasSynced) return false;
    return true;
  }

  async waitForSync(signal?: AbortSignal): Promise<void> {
    const all = Promise.all([...this.#reflectors.values()].map((r) => r.synced)).then(() => undefined);
    if (signal === undefined) return all;
    return Promise.race([
      all,
      new Promise<void>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
    ]);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#reflectors.values()].map((r) => r.stop()));
  }
}
