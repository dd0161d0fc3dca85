import { describe, expect, it } from 'vitest';
import { WorkQueue } from './work-queue.ts';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('runs a key once however often it is added, and again when added while in flight', async () => {
    const runs: string[] = [];
    let release: () => void = () => {};
    const q = new WorkQueue(
      async (k) => {
        runs.push(k);
        if (k === 'slow') await new Promise<void>((r) => (release = r));
      },
      { concurrency: 2 },
    );
    q.add('a');
    q.add('a');
    q.add('slow');
    q.resume();
    await tick();
    q.add('slow');
    q.add('slow');
    release();
    await tick();
    release();
    await q.idle();
    expect(runs).toEqual(['a', 'slow', 'slow']);
  });

  it('never runs more than `concurrency` keys at a time', async () => {
    let inFlight = 0;
    let most = 0;
    const q = new WorkQueue(
      async () => {
        inFlight++;
        most = Math.max(most, inFlight);
        await tick(1);
        inFlight--;
      },
      { concurrency: 3 },
    );
    q.resume();
    for (let i = 0; i < 20; i++) q.add(String(i));
    await q.idle();
    expect(most).toBe(3);
  });

  it('retries a failing key with backoff; clear() drops retries and stops work', async () => {
    let n = 0;
    const errors: number[] = [];
    const q = new WorkQueue(
      async () => {
        n++;
        if (n < 3) throw new Error('boom');
      },
      { concurrency: 1, retryMs: 2, onError: (_k, _e, wait) => errors.push(wait) },
    );
    q.resume();
    q.add('k');
    await tick(30);
    expect(n).toBe(3);
    expect(errors).toEqual([2, 4]);
    const q2 = new WorkQueue(
      async () => {
        throw new Error('always');
      },
      { concurrency: 1, retryMs: 5 },
    );
    q2.resume();
    q2.add('x');
    await tick(1);
    expect(q2.size).toBe(1);
    q2.clear();
    expect(q2.size).toBe(0);
  });
});
