import type { EventInput, EventSink, ObjectReference } from '@bmlb/k8s-adapter';
import { describe, expect, it } from 'vitest';
import { PacedEvents } from './paced-events.ts';

class SlowSink implements EventSink {
  inFlight = 0;
  most = 0;
  written: string[] = [];
  #pending: Promise<void>[] = [];
  record(_r: ObjectReference, e: EventInput): void {
    this.inFlight++;
    this.most = Math.max(this.most, this.inFlight);
    this.#pending.push(
      new Promise<void>((resolve) =>
        setTimeout(() => {
          this.inFlight--;
          this.written.push(e.note);
          resolve();
        }, 1),
      ),
    );
  }
  async flush(): Promise<void> {
    const p = this.#pending;
    this.#pending = [];
    await Promise.all(p);
  }
}

const ref = { apiVersion: 'v1', kind: 'Service', namespace: 'default', name: 'x' };

describe('PacedEvents', () => {
  it('hands events on in batches, in order, never more than a batch in flight', async () => {
    const inner = new SlowSink();
    const paced = new PacedEvents(inner, { batch: 4 });
    for (let i = 0; i < 50; i++) paced.record(ref, { type: 'Normal', reason: 'R', note: String(i) });
    await paced.flush();
    expect(inner.written).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
    expect(inner.most).toBe(4);
  });

  it('drops the oldest when the queue is full', async () => {
    const inner = new SlowSink();
    let drops = 0;
    const paced = new PacedEvents(inner, { batch: 1, maxQueued: 3, onDrop: (n) => (drops = n) });
    for (let i = 0; i < 10; i++) paced.record(ref, { type: 'Normal', reason: 'R', note: String(i) });
    await paced.flush();
    expect(drops).toBe(paced.dropped);
    expect(inner.written.length + paced.dropped).toBe(10);
    expect(inner.written.at(-1)).toBe('9');
  });
});
