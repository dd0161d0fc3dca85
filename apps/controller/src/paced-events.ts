// Events reach the API server at a bounded pace, as client-go's event broadcaster sends them (one
// worker, a bounded queue that drops when full): a controller that assigns 10,000 waiting Services
// at once must not open 10,000 event requests at once, which would crowd out the status writes
// (the API server answers 429 past its in-flight limit) and hold every request body in memory.
import type { EventInput, EventSink, ObjectReference } from '@bmlb/k8s-adapter';

export interface PacedEventsOptions {
  /** Events handed to the inner sink before waiting for them to be written (default 16). */
  readonly batch?: number;
  /** Events waiting beyond this are dropped, oldest first (default 4096; client-go keeps 1000). */
  readonly maxQueued?: number;
  readonly onDrop?: (dropped: number) => void;
}

export class PacedEvents implements EventSink {
  readonly #inner: EventSink;
  readonly #batch: number;
  readonly #max: number;
  readonly #onDrop: ((n: number) => void) | undefined;
  readonly #queue: [ObjectReference, EventInput][] = [];
  #pumping: Promise<void> | undefined;
  /** Events dropped because the queue was full. */
  dropped = 0;

  constructor(inner: EventSink, opts: PacedEventsOptions = {}) {
    this.#inner = inner;
    this.#batch = opts.batch ?? 16;
    this.#max = opts.maxQueued ?? 4096;
    this.#onDrop = opts.onDrop;
  }

  get queued(): number {
    return this.#queue.length;
  }

  record(regarding: ObjectReference, event: EventInput): void {
    if (this.#queue.length >= this.#max) {
      this.#queue.shift();
      this.dropped++;
      this.#onDrop?.(this.dropped);
    }
    this.#queue.push([regarding, event]);
    this.#pumping ??= this.#pump().finally(() => {
      this.#pumping = undefined;
    });
  }

  async #pump(): Promise<void> {
    while (this.#queue.length > 0) {
      for (const [r, e] of this.#queue.splice(0, this.#batch)) this.#inner.record(r, e);
      await this.#inner.flush();
    }
  }

  async flush(): Promise<void> {
    while (this.#pumping !== undefined) await this.#pumping;
    await this.#inner.flush();
  }
}
