// The in-memory ClusterPort, for the apps' fast unit tests: an object database with resourceVersions
// that feeds the same Store class the real cache uses, writers with the API server's concurrency
// rules (a status write on a stale object is a conflict, retried with the fresh one), a list of the
// events recorded, and a Lease that candidates share. It is not a stand-in for the tests against a
// real API server: it knows nothing of RBAC, admission, CRD schemas, server-side apply's field
// ownership beyond annotations, or watch semantics.
import type { CacheEvent, CacheListener, ClusterCache, WatchOptions } from './cache.ts';
import { addStandardIndexes } from './cache.ts';
import type { EventInput, EventSink, ObjectReference } from './events.ts';
import type { LeaderElection, LeaderElectionOptions } from './leader.ts';
import type { ClusterPort } from './port.ts';
import { apiVersionOf, type KubeObject, keyOf, Resources, type ResourceType, slim } from './resources.ts';
import { Store } from './store.ts';
import { type ObjectWriter, type StatusUpdate, sameIngress } from './writer.ts';

export interface RecordedEvent extends EventInput {
  readonly regarding: ObjectReference;
}

type Raw = Record<string, unknown> & {
  metadata: Record<string, unknown> & { name: string; namespace?: string };
};

const clone = <T>(o: T): T => structuredClone(o);

/**
 * The selectors the apps use: field selectors on metadata.name and metadata.namespace, and
 * equality-based label selectors (`k=v`, `k!=v`, `k`). Anything else is refused rather than ignored.
 */
function matchSelectors(opts: WatchOptions, raw: Raw): boolean {
  for (const term of (opts.fieldSelector ?? '').split(',').filter((t) => t !== '')) {
    const m = /^(metadata\.name|metadata\.namespace)(==?|!=)(.*)$/.exec(term);
    if (m === null) throw new Error(`MemoryCluster: unsupported field selector ${JSON.stringify(term)}`);
    const have = m[1] === 'metadata.name' ? raw.metadata.name : (raw.metadata.namespace ?? '');
    if ((have === m[3]) !== (m[2] !== '!=')) return false;
  }
  const labels = (raw.metadata.labels ?? {}) as Record<string, string>;
  for (const term of (opts.labelSelector ?? '').split(',').filter((t) => t !== '')) {
    const m = /^([^=!]+?)(?:(==?|!=)(.*))?$/.exec(term.trim());
    if (m === null || /\s(in|notin)\s/.test(term))
      throw new Error(`MemoryCluster: unsupported label selector ${JSON.stringify(term)}`);
    const [, key, op, value] = m as unknown as [string, string, string | undefined, string | undefined];
    if (op === undefined) {
      if (!(key in labels)) return false;
    } else if ((labels[key] === value) !== (op !== '!=')) return false;
  }
  return true;
}

class MemoryCache implements ClusterCache {
  readonly stores = new Map<string, { type: ResourceType; store: Store; opts: WatchOptions }>();
  readonly listeners = new Set<CacheListener>();
  started = false;

  store<T extends KubeObject>(type: ResourceType<T>): Store<T> {
    const s = this.stores.get(type.kind);
    if (s === undefined) throw new Error(`MemoryCluster: ${type.kind} is not watched`);
    return s.store as unknown as Store<T>;
  }
  has(type: ResourceType): boolean {
    return this.stores.has(type.kind);
  }
  on(listener: CacheListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  publish(e: CacheEvent): void {
    for (const l of this.listeners) l(e);
  }
  get hasSynced(): boolean {
    return this.started;
  }
  async waitForSync(): Promise<void> {
    if (!this.started) throw new Error('MemoryCluster: start() first');
  }
}

class MemoryLeader implements LeaderElection {
  readonly #cluster: MemoryCluster;
  readonly #opts: LeaderElectionOptions;
  #stop: AbortController | undefined;
  constructor(cluster: MemoryCluster, opts: LeaderElectionOptions) {
    this.#cluster = cluster;
    this.#opts = opts;
  }
  get isLeader(): boolean {
    return this.#cluster.leaseHolder(this.#opts.name) === this.#opts.identity;
  }
  get leader(): string | undefined {
    return this.#cluster.leaseHolder(this.#opts.name);
  }
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (this.#cluster.tryLease(this.#opts.name, this.#opts.identity)) {
        this.#stop = new AbortController();
        this.#opts.onNewLeader?.(this.#opts.identity);
        this.#opts.onStartedLeading?.(this.#stop.signal);
        const lost = await this.#cluster.waitLeaseLost(this.#opts.name, this.#opts.identity, signal);
        this.#stop.abort();
        this.#opts.onStoppedLeading?.(lost);
      } else {
        await this.#cluster.waitLeaseFree(this.#opts.name, signal);
      }
    }
    this.#cluster.releaseLease(this.#opts.name, this.#opts.identity);
  }
}

export class MemoryCluster implements ClusterPort {
  readonly cache = new MemoryCache();
  /** Every event recorded, in order. */
  readonly recorded: RecordedEvent[] = [];
  /** Every status write that reached the "server", in order. */
  readonly statusWrites: { namespace: string; name: string; ingress: unknown }[] = [];
  readonly #objects = new Map<string, Map<string, Raw>>();
  readonly #types = new Map<string, ResourceType>();
  readonly #annotationOwners = new Map<string, Set<string>>();
  readonly #leases = new Map<string, string>();
  readonly #leaseWaiters = new Set<() => void>();
  #rv = 1;
  /** The next N status writes fail with a conflict (another writer got there first). */
  conflictsToInject = 0;

  readonly writer: ObjectWriter = {
    updateServiceStatus: async (namespace, name, update: StatusUpdate) => {
      for (;;) {
        const cur = this.get(Resources.Service, namespace, name);
        if (cur === undefined) return undefined;
        const want = update(clone(cur) as never);
        if (want === undefined) return undefined;
        const have = (cur.status as { loadBalancer?: { ingress?: never[] } } | undefined)?.loadBalancer
          ?.ingress;
        if (sameIngress(have, want.ingress)) return cur as never;
        if (this.conflictsToInject > 0) {
          this.conflictsToInject--;
          // Someone else wrote in between: the object changes, we retry with the fresh one.
          this.put({
            ...clone(cur),
            metadata: {
              ...clone(cur.metadata),
              labels: { ...((cur.metadata.labels as object) ?? {}), 'conflict-injected': String(this.#rv) },
            },
          });
          continue;
        }
        this.statusWrites.push({ namespace, name, ingress: want.ingress ?? [] });
        const next = clone(cur);
        next.status = {
          ...((cur.status as object) ?? {}),
          loadBalancer: want.ingress?.length ? { ingress: clone(want.ingress) } : {},
        };
        return this.put(next) as never;
      }
    },
    applyServiceAnnotations: async (namespace, name, annotations) => {
      const cur = this.get(Resources.Service, namespace, name);
      if (cur === undefined) throw new Error(`MemoryCluster: Service ${namespace}/${name} not found`);
      const ownerKey = `${namespace}/${name}`;
      const owned = this.#annotationOwners.get(ownerKey) ?? new Set<string>();
      const next = clone(cur);
      const ann: Record<string, string> = {
        ...((next.metadata.annotations as Record<string, string>) ?? {}),
      };
      for (const k of owned) if (!(k in annotations)) delete ann[k];
      Object.assign(ann, annotations);
      this.#annotationOwners.set(ownerKey, new Set(Object.keys(annotations)));
      next.metadata.annotations = ann;
      this.put(next);
    },
    apply: async (type, object, opts = {}) => {
      const md = object.metadata as { name: string; namespace?: string };
      const cur = this.get(type, md.namespace, md.name);
      const next: Raw =
        opts.subresource === 'status'
          ? ({
              ...(cur ?? { metadata: { name: md.name, namespace: md.namespace } }),
              status: clone(object.status),
            } as Raw)
          : ({ ...(cur ?? {}), ...clone(object), apiVersion: apiVersionOf(type), kind: type.kind } as Raw);
      this.#types.set(type.kind, type);
      return this.put(next) as unknown as KubeObject;
    },
    delete: async (type, namespace, name) => {
      this.remove(type, namespace, name);
    },
  };

  readonly events: EventSink = {
    record: (regarding, event) => {
      this.recorded.push({ ...event, regarding });
    },
    flush: async () => {},
  };

  watch<T extends KubeObject>(type: ResourceType<T>, opts: WatchOptions = {}): Store<T> {
    if (this.cache.stores.has(type.kind)) throw new Error(`MemoryCluster: ${type.kind} is watched already`);
    const store = new Store<T>(type.kind);
    addStandardIndexes(type.kind, store as unknown as Store<KubeObject>);
    this.#types.set(type.kind, type);
    this.cache.stores.set(type.kind, { type, store: store as unknown as Store, opts });
    if (this.cache.started) this.#fill(type.kind);
    return store;
  }

  start(): void {
    if (this.cache.started) return;
    this.cache.started = true;
    for (const kind of this.cache.stores.keys()) this.#fill(kind);
  }

  #fill(kind: string): void {
    for (const raw of this.#objects.get(kind)?.values() ?? []) this.#deliver(kind, clone(raw), 'put');
    this.cache.publish({ type: 'synced', kind, relist: false });
  }

  #visible(kind: string, raw: Raw): boolean {
    const w = this.cache.stores.get(kind);
    if (w === undefined || !this.cache.started) return false;
    if (w.opts.namespace !== undefined && w.opts.namespace !== raw.metadata.namespace) return false;
    return matchSelectors(w.opts, raw);
  }

  #deliver(kind: string, raw: Raw, op: 'put' | 'delete'): void {
    if (!this.#visible(kind, raw)) return;
    const w = this.cache.stores.get(kind) as { type: ResourceType; store: Store; opts: WatchOptions };
    const key = keyOf(raw.metadata);
    let ev: ReturnType<Store['delete']>;
    if (op === 'delete') ev = w.store.delete(key);
    else {
      const r = w.type.convert(w.opts.project === undefined ? slim(raw) : w.opts.project(slim(raw)));
      ev = w.store.upsert(
        key,
        raw.metadata.resourceVersion as string,
        r.ok
          ? { object: r.object }
          : {
              problem: {
                kind,
                key,
                resourceVersion: raw.metadata.resourceVersion as string,
                uid: raw.metadata.uid as string | undefined,
                errors: r.errors,
              },
            },
      );
    }
    if (ev !== undefined) this.cache.publish(ev);
  }

  /** Creates or replaces an object, as `kubectl apply` would; returns it with its new resourceVersion. */
  put(object: Record<string, unknown>): Raw {
    const raw = clone(object) as Raw;
    const kind = raw.kind as string;
    if (typeof kind !== 'string') throw new Error('MemoryCluster.put: object without kind');
    const key = keyOf(raw.metadata);
    let byKind = this.#objects.get(kind);
    if (byKind === undefined) {
      byKind = new Map();
      this.#objects.set(kind, byKind);
    }
    const prev = byKind.get(key);
    raw.metadata = {
      ...raw.metadata,
      uid:
        (prev?.metadata.uid as string | undefined) ??
        (raw.metadata.uid as string | undefined) ??
        `uid-${kind}-${key}`,
      resourceVersion: String(++this.#rv),
    };
    byKind.set(key, raw);
    this.#deliver(kind, clone(raw), 'put');
    return clone(raw);
  }

  remove(type: ResourceType | string, namespace: string | undefined, name: string): void {
    const kind = typeof type === 'string' ? type : type.kind;
    const key = keyOf({ name, namespace });
    const raw = this.#objects.get(kind)?.get(key);
    if (raw === undefined) return;
    this.#objects.get(kind)?.delete(key);
    this.#rv++;
    this.#deliver(kind, clone(raw), 'delete');
  }

  /** The object as the "server" holds it. */
  get(type: ResourceType | string, namespace: string | undefined, name: string): Raw | undefined {
    const kind = typeof type === 'string' ? type : type.kind;
    const t = this.#types.get(kind);
    const raw = this.#objects
      .get(kind)
      ?.get(keyOf({ name, namespace: t?.namespaced === false ? undefined : namespace }));
    return raw === undefined ? undefined : clone(raw);
  }

  list(type: ResourceType | string): Raw[] {
    const kind = typeof type === 'string' ? type : type.kind;
    return [...(this.#objects.get(kind)?.values() ?? [])].map(clone);
  }

  // ---- leases

  leaseHolder(name: string): string | undefined {
    return this.#leases.get(name);
  }
  tryLease(name: string, identity: string): boolean {
    const h = this.#leases.get(name);
    if (h !== undefined && h !== identity) return false;
    this.#leases.set(name, identity);
    return true;
  }
  releaseLease(name: string, identity: string): void {
    if (this.#leases.get(name) === identity) {
      this.#leases.delete(name);
      this.#wakeLeases();
    }
  }
  /** Takes the Lease away from its holder (as when it cannot renew), so another candidate may win. */
  revokeLease(name: string): void {
    this.#leases.delete(name);
    this.#wakeLeases();
  }
  #wakeLeases(): void {
    for (const w of [...this.#leaseWaiters]) w();
  }
  async waitLeaseLost(name: string, identity: string, signal: AbortSignal): Promise<string> {
    while (!signal.aborted && this.#leases.get(name) === identity) await this.#leaseChange(signal);
    return signal.aborted ? 'shutting down' : 'the Lease was lost';
  }
  async waitLeaseFree(name: string, signal: AbortSignal): Promise<void> {
    while (!signal.aborted && this.#leases.has(name)) await this.#leaseChange(signal);
  }
  #leaseChange(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#leaseWaiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.#leaseWaiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  leaderElection(opts: LeaderElectionOptions): LeaderElection {
    return new MemoryLeader(this, opts);
  }

  async close(): Promise<void> {
    this.#wakeLeases();
  }
}
