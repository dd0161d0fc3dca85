// A keyed work queue for writes to the API server, as client-go's workqueue: a key is queued at
// most once, never worked on by two workers at a time (a key added while it is in flight runs again
// afterwards), up to `concurrency` keys in flight, and a failed key is retried with a per-key
// exponential backoff. The worker reads the latest desired state when it runs, so a burst of
// changes to one key costs one write.

export interface WorkQueueOptions {
  readonly concurrency: number;
  /** First retry delay (default 200 ms), doubled per failure of the same key up to `maxRetryMs`. */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
  readonly onError?: (key: string, err: unknown, retryInMs: number) => void;
}

export class WorkQueue {
  readonly #worker: (key: string) => Promise<void>;
  readonly #opts: WorkQueueOptions;
  readonly #queued = new Set<string>();
  readonly #running = new Set<string>();
  readonly #again = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #idleWaiters: (() => void)[] = [];
  #generation = 0;
  #paused = true;

  constructor(worker: (key: string) => Promise<void>, opts: WorkQueueOptions) {
    this.#worker = worker;
    this.#opts = opts;
  }

  /** Keys waiting, in flight, or waiting for a retry. */
  get size(): number {
    return this.#queued.size + this.#running.size + this.#timers.size;
  }

  add(key: string): void {
    if (this.#running.has(key)) {
      this.#again.add(key);
      return;
    }
    const t = this.#timers.get(key);
    if (t !== undefined) {
      // A new desired state: try it now rather than after the backoff.
      clearTimeout(t);
      this.#timers.delete(key);
    }
    this.#queued.add(key);
    this.#pump();
  }

  /** Starts working (queued keys run). */
  resume(): void {
    this.#paused = false;
    this.#pump();
  }

  /** Drops everything queued or waiting for a retry and stops starting work; in-flight work finishes. */
  clear(): void {
    this.#paused = true;
    this.#generation++;
    this.#queued.clear();
    this.#again.clear();
    this.#failures.clear();
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.#checkIdle();
  }

  /** Resolves when nothing is queued or in flight (retries waiting on a timer do not count). */
  idle(): Promise<void> {
    if (this.#queued.size === 0 && this.#running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #pump(): void {
    if (this.#paused) return;
    while (this.#running.size < this.#opts.concurrency && this.#queued.size > 0) {
      const key = this.#queued.values().next().value as string;
      this.#queued.delete(key);
      this.#run(key);
    }
  }

  #run(key: string): void {
    const gen = this.#generation;
    this.#running.add(key);
    this.#worker(key).then(
      () => {
        this.#failures.delete(key);
        this.#finish(key, gen);
      },
      (err: unknown) => {
        if (gen === this.#generation && !this.#again.has(key)) {
          const n = (this.#failures.get(key) ?? 0) + 1;
          this.#failures.set(key, n);
          const delay = Math.min(this.#opts.maxRetryMs ?? 30_000, (this.#opts.retryMs ?? 200) * 2 ** (n - 1));
          this.#opts.onError?.(key, err, delay);
          const t = setTimeout(() => {
            this.#timers.delete(key);
            if (gen === this.#generation) this.add(key);
          }, delay);
          t.unref();
          this.#timers.set(key, t);
        }
        this.#finish(key, gen);
      },
    );
  }

  #finish(key: string, gen: number): void {
    this.#running.delete(key);
    if (gen === this.#generation && this.#again.delete(key)) this.#queued.add(key);
    this.#pump();
    this.#checkIdle();
  }

  #checkIdle(): void {
    if (this.#queued.size === 0 && this.#running.size === 0 && this.#idleWaiters.length > 0) {
      const w = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const r of w) r();
    }
  }
}
