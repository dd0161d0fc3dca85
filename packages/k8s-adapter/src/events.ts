// Events (events.k8s.io/v1) about Services and configuration objects, as MetalLB writes them
// (reasons IPAllocated, AllocationFailed, nodeAssigned, …), with two protections a busy controller
// needs: a repeat of the same event becomes a series (count and last time, one PATCH) instead of a
// new object, and each object has a token bucket so one misbehaving Service cannot flood etcd.
// Recording never throws and never blocks the caller: failures go to `onError`.
import { createHash } from 'node:crypto';
import { ApiError, type KubeClient } from './client.ts';

export interface ObjectReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string | undefined;
  readonly name: string;
  readonly uid?: string | undefined;
  readonly resourceVersion?: string | undefined;
}

export type EventType = 'Normal' | 'Warning';

export interface EventInput {
  readonly type: EventType;
  /** CamelCase reason, e.g. `IPAllocated`. */
  readonly reason: string;
  /** What happened, in words (at most 1 kB is kept). */
  readonly note: string;
  /** What the reporting component did (default: the reason). */
  readonly action?: string;
}

/** Where the apps send events: the API server or, in unit tests, memory. */
export interface EventSink {
  record(regarding: ObjectReference, event: EventInput): void;
  /** Resolves when every recorded event has been written (or given up). */
  flush(): Promise<void>;
}

export interface EventRecorderOptions {
  /** reportingController, e.g. `metallb.io/controller` (a prefixed name, as the API requires). */
  readonly controller: string;
  /** reportingInstance: the Pod or node name. */
  readonly instance: string;
  /** Milliseconds; default Date.now. */
  readonly now?: () => number;
  /** Events each object may burst (default 25, as client-go). */
  readonly burst?: number;
  /** One more event allowed per object every this many ms (default 5 min, as client-go). */
  readonly refillMs?: number;
  /** A repeat within this long joins the earlier event's series (default 30 min). */
  readonly seriesWindowMs?: number;
  readonly onError?: (err: Error, regarding: ObjectReference, event: EventInput) => void;
}

interface Bucket {
  tokens: number;
  at: number;
}
interface Series {
  /** Its key in the recorder's map of series. */
  readonly key: string;
  name: string;
  namespace: string;
  count: number;
  last: number;
  /** The count the API server has (0 until the POST is answered). */
  written: number;
  /** The write in flight (the POST, then PATCHes), if any: one at a time per series. */
  writing?: Promise<void>;
}

const MAX_NOTE = 1024;

/**
 * Objects (rate-limit buckets) and series the recorder remembers, each map on its own, least
 * recently used forgotten first: client-go's EventCorrelator bounds its spam filter and its
 * aggregator the same way (maxLruCacheEntries, 4096). A forgotten object's limit starts full again,
 * and a forgotten series' next repeat becomes a new Event, as there.
 */
export const MAX_REMEMBERED = 4096;

/** Gets `key` from an insertion-ordered map and makes it the most recently used. */
function touch<V>(m: Map<string, V>, key: string): V | undefined {
  const v = m.get(key);
  if (v !== undefined) {
    m.delete(key);
    m.set(key, v);
  }
  return v;
}

/** Sets `key` as the most recently used, forgetting the least recently used past MAX_REMEMBERED. */
function remember<V>(m: Map<string, V>, key: string, v: V): void {
  m.delete(key);
  m.set(key, v);
  for (const k of m.keys()) {
    if (m.size <= MAX_REMEMBERED) break;
    m.delete(k);
  }
}

/** RFC 3339 with microseconds, as `MicroTime` wants. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class EventRecorder implements EventSink {
  readonly #client: KubeClient;
  readonly #opts: EventRecorderOptions;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();
  readonly #series = new Map<string, Series>();
  #pending = new Set<Promise<void>>();
  /** Events dropped by the per-object limit (for metrics). */
  dropped = 0;

  constructor(client: KubeClient, opts: EventRecorderOptions) {
    this.#client = client;
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  #allow(key: string, now: number): boolean {
    const burst = this.#opts.burst ?? 25;
    const refill = this.#opts.refillMs ?? 300_000;
    let b = touch(this.#buckets, key);
    if (b === undefined) {
      b = { tokens: burst, at: now };
      remember(this.#buckets, key, b);
    }
    const add = Math.floor((now - b.at) / refill);
    if (add > 0) {
      b.tokens = Math.min(burst, b.tokens + add);
      b.at += add * refill;
    }
    if (b.tokens <= 0) return false;
    b.tokens--;
    return true;
  }

  record(regarding: ObjectReference, event: EventInput): void {
    const now = this.#now();
    // Both keys live as long as their object's bucket or series (up to MAX_REMEMBERED of each): flat
    // strings (join), and the series by a digest of what makes it one instead of the object's key
    // and the whole note again.
    const objKey = [regarding.kind, regarding.namespace ?? '', regarding.name, regarding.uid ?? ''].join('/');
    const note = event.note.length > MAX_NOTE ? `${event.note.slice(0, MAX_NOTE - 3)}...` : event.note;
    const seriesKey = createHash('sha256')
      .update([objKey, event.type, event.reason, note].join('\u0000'))
      .digest('base64url');
    const windowMs = this.#opts.seriesWindowMs ?? 30 * 60_000;
    const existing = touch(this.#series, seriesKey);
    if (!this.#allow(objKey, now)) {
      this.dropped++;
      return;
    }
    const p = (
      existing !== undefined && now - existing.last < windowMs
        ? this.#bump(existing, now)
        : this.#create(regarding, event, note, seriesKey, now)
    ).catch((err: unknown) => this.#opts.onError?.(err as Error, regarding, event));
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
    this.#prune(now, windowMs);
  }

  #create(
    regarding: ObjectReference,
    event: EventInput,
    note: string,
    seriesKey: string,
    now: number,
  ): Promise<void> {
    // Events live in the namespace of what they are about (default for cluster-scoped objects).
    const namespace = regarding.namespace || 'default';
    const name = [
      regarding.name,
      '.',
      now.toString(16),
      Math.floor(Math.random() * 0xffff)
        .toString(16)
        .padStart(4, '0'),
    ].join('');
    const series: Series = { key: seriesKey, name, namespace, count: 1, last: now, written: 0 };
    remember(this.#series, seriesKey, series);
    const post = () =>
      this.#client.request('POST', `/apis/events.k8s.io/v1/namespaces/${namespace}/events`, {
        body: {
          apiVersion: 'events.k8s.io/v1',
          kind: 'Event',
          metadata: { name, namespace },
          eventTime: microTime(now),
          reportingController: this.#opts.controller,
          reportingInstance: this.#opts.instance,
          action: event.action ?? event.reason,
          reason: event.reason,
          type: event.type,
          note,
          regarding: {
            apiVersion: regarding.apiVersion,
            kind: regarding.kind,
            namespace: regarding.namespace,
            name: regarding.name,
            uid: regarding.uid,
            resourceVersion: regarding.resourceVersion,
          },
        },
      });
    return this.#write(series, post);
  }

  #bump(s: Series, now: number): Promise<void> {
    s.count++;
    s.last = now;
    return this.#write(s);
  }

  /**
   * Brings the API server's copy of a series up to date, one request at a time: the POST first (when
   * given), then a PATCH with the latest count and time for as long as repeats came meanwhile.
   * Concurrent PATCHes could land out of order and leave an older count, and a PATCH sent before
   * the POST was answered would find no Event; client-go's broadcaster writes one event at a time
   * for the same reasons. A repeat while a write is in flight only waits for it (its failure is
   * reported once, by the first).
   */
  #write(s: Series, post?: () => Promise<unknown>): Promise<void> {
    if (s.writing !== undefined) return s.writing.catch(() => undefined);
    // Nothing to write (#bump counts first, so not from there): the loop below would end before its
    // first await, and its finally would run before s.writing is set.
    if (post === undefined && s.written >= s.count) return Promise.resolve();
    const forget = () => {
      if (this.#series.get(s.key) === s) this.#series.delete(s.key);
    };
    s.writing = (async () => {
      try {
        if (post !== undefined) {
          try {
            await post();
          } catch (err) {
            // Never created: the next repeat starts a new Event.
            forget();
            throw err;
          }
          s.written = Math.max(s.written, 1);
        }
        while (s.written < s.count) {
          const count = s.count;
          try {
            await this.#client.request(
              'PATCH',
              `/apis/events.k8s.io/v1/namespaces/${s.namespace}/events/${s.name}`,
              {
                body: { series: { count, lastObservedTime: microTime(s.last) } },
                contentType: 'application/merge-patch+json',
              },
            );
          } catch (err) {
            // The event expired (TTL) or was deleted: forget the series; the next repeat starts a new
            // one. Any other failure keeps it: the next repeat sends the count again.
            if (!(err instanceof ApiError && err.notFound)) throw err;
            forget();
            return;
          }
          s.written = count;
        }
      } finally {
        s.writing = undefined;
      }
    })();
    return s.writing;
  }

  /** How many objects and series the recorder remembers now (each at most MAX_REMEMBERED). */
  get remembered(): { objects: number; series: number } {
    return { objects: this.#buckets.size, series: this.#series.size };
  }

  /**
   * Forgets the series past their window and the objects whose limit is full again, oldest first:
   * both maps are in order of last use, so it stops at the first that is still live.
   */
  #prune(now: number, windowMs: number): void {
    for (const [k, v] of this.#series) {
      if (now - v.last < windowMs) break;
      this.#series.delete(k);
    }
    const refill = this.#opts.refillMs ?? 300_000;
    const burst = this.#opts.burst ?? 25;
    for (const [k, b] of this.#buckets) {
      if (b.tokens + (now - b.at) / refill < burst) break;
      this.#buckets.delete(k);
    }
  }

  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }
}
