// List-then-watch for one kind, as client-go's reflector does it:
// - list (in pages) and replace the cache, publishing only what differs from what it held;
// - watch from the list's resourceVersion with bookmarks, so a reconnect resumes where it stopped;
// - a watch that ends (server timeout, apiserver restart, network) resumes from the last
//   resourceVersion seen, after a capped, jittered backoff when it failed;
// - 410 Gone (etcd compacted past that version) → list again and publish the difference.
// So across restarts and compactions no update is lost and none is applied twice: the store also
// skips an event whose resourceVersion it has already applied.
import { ApiError, type KubeClient, type WatchEvent } from './client.ts';
import {
  apiVersionOf,
  collectionPath,
  type KubeObject,
  keyOf,
  type Projection,
  type ResourceType,
  slim,
} from './resources.ts';
import { sleep } from './sleep.ts';
import type { Problem, Store, StoreEvent } from './store.ts';

export interface BackoffOptions {
  /** First delay after a failure (default 500 ms). */
  readonly initialMs?: number;
  /** Cap (default 30 s). */
  readonly maxMs?: number;
}

export interface ReflectorOptions {
  /** Only this namespace (namespaced kinds); all namespaces when absent. */
  readonly namespace?: string | undefined;
  readonly labelSelector?: string | undefined;
  readonly fieldSelector?: string | undefined;
  /**
   * Keeps only what the caller reads of each object, applied as each list page or watch event is
   * decoded, before validation and caching (see `Projection`). Default: the whole object (less
   * managedFields and kubectl's last-applied annotation).
   */
  readonly project?: Projection | undefined;
  /** Objects per list page (default 500). */
  readonly pageSize?: number;
  readonly backoff?: BackoffOptions;
  /** [0, 1): jitter for backoff and watch timeouts (default Math.random). */
  readonly random?: () => number;
  /** Called with every change the store accepted, in order. */
  readonly onEvent: (e: StoreEvent) => void;
  /** Called after each complete list (first sync and every relist). */
  readonly onSynced?: (relist: boolean) => void;
  /** Called with each failure that leads to a retry (for logs and metrics). */
  readonly onError?: (err: Error, what: 'list' | 'watch', retryInMs: number) => void;
}

export interface ReflectorStats {
  lists: number;
  watches: number;
  events: number;
  bookmarks: number;
  gone: number;
  errors: number;
}

export class Reflector<T extends KubeObject = KubeObject> {
  readonly type: ResourceType<T>;
  readonly store: Store<T>;
  readonly stats: ReflectorStats = { lists: 0, watches: 0, events: 0, bookmarks: 0, gone: 0, errors: 0 };
  readonly #client: KubeClient;
  readonly #opts: ReflectorOptions;
  readonly #random: () => number;
  readonly #ac = new AbortController();
  #resourceVersion = '';
  #synced = false;
  #syncedResolve!: () => void;
  readonly synced: Promise<void>;
  #loop: Promise<void> | undefined;

  constructor(client: KubeClient, type: ResourceType<T>, store: Store<T>, opts: ReflectorOptions) {
    this.#client = client;
    this.type = type;
    this.store = store;
    this.#opts = opts;
    this.#random = opts.random ?? Math.random;
    this.synced = new Promise((r) => {
      this.#syncedResolve = r;
    });
  }

  get hasSynced(): boolean {
    return this.#synced;
  }
  /** The resourceVersion the next watch starts from. */
  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  start(): void {
    if (this.#loop === undefined) this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#ac.abort();
    await this.#loop;
  }

  #backoff(attempt: number): number {
    const initial = this.#opts.backoff?.initialMs ?? 500;
    const max = this.#opts.backoff?.maxMs ?? 30_000;
    const base = Math.min(max, initial * 2 ** Math.min(attempt, 30));
    // Jitter in [base/2, base): many clients reconnecting after an apiserver restart spread out.
    return Math.round(base / 2 + (base / 2) * this.#random());
  }

  async #run(): Promise<void> {
    const signal = this.#ac.signal;
    let failures = 0;
    let needList = true;
    while (!signal.aborted) {
      if (needList) {
        try {
          await this.#list(signal);
          needList = false;
          failures = 0;
        } catch (err) {
          if (signal.aborted) return;
          this.stats.errors++;
          const wait = this.#backoff(failures++);
          this.#opts.onError?.(err as Error, 'list', wait);
          await sleep(wait, signal);
          continue;
        }
      }
      if (signal.aborted) return;
      const started = Date.now();
      let delivered = 0;
      try {
        const result = await this.#watch(signal, () => delivered++);
        if (result === 'gone') {
          needList = true;
          continue;
        }
        // A clean end (the server's timeoutSeconds, or it closed the stream): resume at once.
        failures = 0;
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ApiError && err.gone) {
          this.stats.gone++;
          needList = true;
          continue;
        }
        this.stats.errors++;
        // A watch that worked for a while before failing starts the backoff over.
        if (delivered > 0 || Date.now() - started > 60_000) failures = 0;
        const wait = this.#backoff(failures++);
        this.#opts.onError?.(err as Error, 'watch', wait);
        await sleep(wait, signal);
      }
    }
  }

  #query(): Record<string, string | number | undefined> {
    return { labelSelector: this.#opts.labelSelector, fieldSelector: this.#opts.fieldSelector };
  }

  #convert(raw: Record<string, unknown>): { object: T } | { problem: Problem } {
    const project = this.#opts.project;
    const r = this.type.convert(project === undefined ? slim(raw) : project(slim(raw)));
    if (r.ok) return { object: r.object };
    const md = raw.metadata as KubeObject['metadata'];
    return {
      problem: {
        kind: this.type.kind,
        key: keyOf(md),
        resourceVersion: md.resourceVersion,
        uid: md.uid,
        errors: r.errors,
      },
    };
  }

  async #list(signal: AbortSignal): Promise<void> {
    const path = collectionPath(this.type, this.#opts.namespace);
    const apiVersion = apiVersionOf(this.type);
    // Each page is converted (projected, validated) as it arrives, so only one page of raw JSON is
    // alive at a time; an object whose resourceVersion the store already applied is not converted.
    type Item = { key: string; rv: string | undefined; result?: { object: T } | { problem: Problem } };
    let items: Item[] = [];
    let cont: string | undefined;
    let rv = '';
    for (;;) {
      let page: {
        metadata?: { resourceVersion?: string; continue?: string };
        items?: Record<string, unknown>[];
      };
      try {
        page = await this.#client.request('GET', path, {
          query: { ...this.#query(), limit: this.#opts.pageSize ?? 500, continue: cont },
          signal,
          timeoutMs: 60_000,
        });
      } catch (err) {
        // The continue token expired mid-list: start the list over.
        if (err instanceof ApiError && err.gone && cont !== undefined) {
          items = [];
          cont = undefined;
          continue;
        }
        throw err;
      }
      for (const it of page.items ?? []) {
        const md = it.metadata as KubeObject['metadata'];
        const key = keyOf(md);
        if (md.resourceVersion !== undefined && this.store.seenVersion(key) === md.resourceVersion) {
          items.push({ key, rv: md.resourceVersion });
          continue;
        }
        // List items carry no apiVersion/kind for built-in types.
        it.apiVersion = apiVersion;
        it.kind = this.type.kind;
        items.push({ key, rv: md.resourceVersion, result: this.#convert(it) });
      }
      rv = page.metadata?.resourceVersion ?? rv;
      cont = page.metadata?.continue || undefined;
      if (cont === undefined) break;
    }
    this.stats.lists++;
    const relist = this.#synced;
    // Replace: publish only what changed since the store last saw it.
    const present = new Set<string>();
    for (const { key, rv: itemRv, result } of items) {
      present.add(key);
      if (result === undefined) continue;
      const ev = this.store.upsert(key, itemRv, result);
      if (ev !== undefined) this.#emit(ev);
    }
    for (const key of this.store.allKeys()) {
      if (present.has(key)) continue;
      const ev = this.store.delete(key);
      if (ev !== undefined) this.#emit(ev);
    }
    this.#resourceVersion = rv;
    if (!this.#synced) {
      this.#synced = true;
      this.#syncedResolve();
    }
    this.#opts.onSynced?.(relist);
  }

  #emit(ev: StoreEvent<T>): void {
    this.stats.events++;
    this.#opts.onEvent(ev as StoreEvent);
  }

  async #watch(signal: AbortSignal, onDelivered: () => void): Promise<'ended' | 'gone'> {
    this.stats.watches++;
    let gone = false;
    const watchAc = new AbortController();
    const onAbort = () => watchAc.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    // Like client-go: the server ends each watch after 5–10 minutes, and we resume.
    const timeoutSeconds = 300 + Math.floor(this.#random() * 300);
    const apiVersion = apiVersionOf(this.type);
    try {
      await this.#client.watch(
        collectionPath(this.type, this.#opts.namespace),
        (ev: WatchEvent) => {
          if (gone) return;
          const obj = ev.object;
          if (ev.type === 'ERROR') {
            const code = typeof obj.code === 'number' ? obj.code : 0;
            if (code === 410 || obj.reason === 'Expired' || obj.reason === 'Gone') {
              this.stats.gone++;
              gone = true;
              watchAc.abort();
              return;
            }
            throw new ApiError(
              `WATCH ${this.type.plural}`,
              code,
              String(obj.message ?? 'watch error'),
              String(obj.reason ?? ''),
            );
          }
          const md = obj.metadata as KubeObject['metadata'] | undefined;
          if (md === undefined) return;
          if (ev.type === 'BOOKMARK') {
            this.stats.bookmarks++;
            if (md.resourceVersion) this.#resourceVersion = md.resourceVersion;
            return;
          }
          const key = keyOf(md);
          obj.apiVersion ??= apiVersion;
          obj.kind ??= this.type.kind;
          const ev2 =
            ev.type === 'DELETED'
              ? this.store.delete(key)
              : this.store.upsert(key, md.resourceVersion, this.#convert(obj));
          if (md.resourceVersion) this.#resourceVersion = md.resourceVersion;
          onDelivered();
          if (ev2 !== undefined) this.#emit(ev2);
        },
        {
          query: {
            ...this.#query(),
            resourceVersion: this.#resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds,
          },
          signal: watchAc.signal,
          idleTimeoutMs: (timeoutSeconds + 30) * 1000,
        },
      );
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    return gone ? 'gone' : 'ended';
  }
}
