import { describe, expect, it } from 'vitest';
import { ApiError } from './client.ts';
import { EventRecorder, MAX_REMEMBERED, microTime } from './events.ts';
import { ScriptedClient } from './test-support/scripted-client.ts';

const svc = { apiVersion: 'v1', kind: 'Service', namespace: 'default', name: 'web', uid: 'u1' };

function recorder(opts: { burst?: number; refillMs?: number } = {}) {
  const client = new ScriptedClient();
  client.onRequest = () => ({});
  let now = 1_700_000_000_000;
  const errors: Error[] = [];
  const rec = new EventRecorder(client.asClient(), {
    controller: 'metallb.io/controller',
    instance: 'controller-0',
    now: () => now,
    onError: (e) => errors.push(e),
    ...opts,
  });
  return { client, rec, errors, advance: (ms: number) => (now += ms) };
}

describe('EventRecorder', () => {
  it('writes an events.k8s.io/v1 Event about the object', async () => {
    const { client, rec } = recorder();
    rec.record(svc, { type: 'Normal', reason: 'IPAllocated', note: 'Assigned IP ["203.0.113.5"]' });
    await rec.flush();
    const [call] = client.requests;
    expect(call?.method).toBe('POST');
    expect(call?.path).toBe('/apis/events.k8s.io/v1/namespaces/default/events');
    const body = call?.opts.body as Record<string, unknown>;
    expect(body).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      reason: 'IPAllocated',
      type: 'Normal',
      action: 'IPAllocated',
      note: 'Assigned IP ["203.0.113.5"]',
      reportingController: 'metallb.io/controller',
      reportingInstance: 'controller-0',
      regarding: { kind: 'Service', name: 'web', namespace: 'default', uid: 'u1' },
    });
    expect(body.eventTime).toBe('2023-11-14T22:13:20.000000Z');
  });

  it('turns a repeat into a series update instead of a new Event', async () => {
    const { client, rec, advance } = recorder();
    const ev = { type: 'Warning' as const, reason: 'AllocationFailed', note: 'no available IPs' };
    rec.record(svc, ev);
    await rec.flush();
    advance(1000);
    rec.record(svc, ev);
    advance(1000);
    rec.record(svc, ev);
    await rec.flush();
    expect(client.requests.map((c) => c.method)).toEqual(['POST', 'PATCH', 'PATCH']);
    const name = (client.requests[0]?.opts.body as { metadata: { name: string } } | undefined)?.metadata.name;
    expect(client.requests[2]?.path).toBe(`/apis/events.k8s.io/v1/namespaces/default/events/${name}`);
    expect(client.requests[2]?.opts.body).toEqual({
      series: { count: 3, lastObservedTime: '2023-11-14T22:13:22.000000Z' },
    });
    expect(client.requests[2]?.opts.contentType).toBe('application/merge-patch+json');
  });

  it('limits each object to a burst, refilled over time', async () => {
    const { client, rec, advance } = recorder({ burst: 3, refillMs: 60_000 });
    for (let i = 0; i < 5; i++) rec.record(svc, { type: 'Normal', reason: 'R', note: `n${i}` });
    rec.record({ ...svc, name: 'other', uid: 'u2' }, { type: 'Normal', reason: 'R', note: 'x' });
    await rec.flush();
    expect(client.requests.length).toBe(4);
    expect(rec.dropped).toBe(2);
    advance(60_000);
    rec.record(svc, { type: 'Normal', reason: 'R', note: 'later' });
    await rec.flush();
    expect(client.requests.length).toBe(5);
  });

  it('never throws: failures go to onError; an Event never created, or since vanished, starts over', async () => {
    const { client, rec, errors } = recorder();
    const ev = { type: 'Normal' as const, reason: 'R', note: 'x' };
    client.onRequest = () => {
      throw new ApiError('POST', 403, 'forbidden', 'Forbidden');
    };
    rec.record(svc, ev);
    await rec.flush();
    expect(errors[0]?.message).toContain('403');
    client.onRequest = (c) => {
      if (c.method === 'PATCH') throw new ApiError('PATCH', 404, 'gone', 'NotFound');
      return {};
    };
    rec.record(svc, ev); // the first was never created: a new Event
    await rec.flush();
    rec.record(svc, ev); // its series, but the Event is gone (TTL): forgotten
    await rec.flush();
    rec.record(svc, ev); // a new Event again
    await rec.flush();
    expect(client.requests.map((c) => c.method)).toEqual(['POST', 'POST', 'PATCH', 'POST']);
    expect(errors).toHaveLength(1);
  });

  it('writes a series one request at a time: repeats meanwhile wait, then one PATCH carries the latest count', async () => {
    const { client, rec, errors, advance } = recorder();
    const answers: (() => void)[] = [];
    client.onRequest = () => new Promise((resolve) => answers.push(() => resolve({})));
    const requested = async (n: number) => {
      for (let i = 0; i < 100 && client.requests.length < n; i++) await new Promise((r) => setImmediate(r));
      expect(client.requests).toHaveLength(n);
    };
    const ev = { type: 'Normal' as const, reason: 'IPAllocated', note: 'Assigned IP ["203.0.113.9"]' };
    rec.record(svc, ev);
    advance(1000);
    rec.record(svc, ev); // the POST is unanswered: a PATCH now would find no Event
    advance(1000);
    rec.record(svc, ev);
    await requested(1);
    answers.shift()?.(); // the POST answered: one PATCH with count 3
    await requested(2);
    advance(1000);
    rec.record(svc, ev); // during that PATCH: it waits, so no older count can land after a newer one
    await new Promise((r) => setImmediate(r));
    expect(client.requests).toHaveLength(2);
    answers.shift()?.();
    await requested(3);
    answers.shift()?.();
    await rec.flush();
    expect(client.requests.map((c) => c.method)).toEqual(['POST', 'PATCH', 'PATCH']);
    expect(client.requests.slice(1).map((c) => c.opts.body)).toEqual([
      { series: { count: 3, lastObservedTime: '2023-11-14T22:13:22.000000Z' } },
      { series: { count: 4, lastObservedTime: '2023-11-14T22:13:23.000000Z' } },
    ]);
    expect(errors).toEqual([]);
  });

  it("remembers at most MAX_REMEMBERED objects and series, least recently used forgotten first (client-go's LRU)", async () => {
    const { client, rec, advance } = recorder();
    const ev = { type: 'Normal' as const, reason: 'nodeAssigned', note: 'announcing from node "n1"' };
    const obj = (i: number) => ({ ...svc, name: `svc-${i}`, uid: `u${i}` });
    for (let i = 0; i < MAX_REMEMBERED + 100; i++) {
      rec.record(obj(i), ev);
      advance(1);
    }
    await rec.flush();
    expect(rec.remembered).toEqual({ objects: MAX_REMEMBERED, series: MAX_REMEMBERED });
    client.requests.length = 0;
    // The most recent series is bumped; the first, forgotten, starts a new Event.
    rec.record(obj(MAX_REMEMBERED + 99), ev);
    rec.record(obj(0), ev);
    await rec.flush();
    expect(client.requests.map((c) => c.method)).toEqual(['PATCH', 'POST']);
    // Using a series keeps it: svc-100 (the oldest left) used again survives 99 newer objects.
    rec.record(obj(100), ev);
    for (let i = 0; i < 99; i++) rec.record(obj(MAX_REMEMBERED + 100 + i), ev);
    await rec.flush();
    client.requests.length = 0;
    rec.record(obj(100), ev);
    await rec.flush();
    expect(client.requests.map((c) => c.method)).toEqual(['PATCH']);
    expect(rec.remembered).toEqual({ objects: MAX_REMEMBERED, series: MAX_REMEMBERED });
  });

  it('forgets series past their window, and objects whose limit is full again', async () => {
    const { rec, advance } = recorder({ burst: 2, refillMs: 1000 });
    const ev = { type: 'Normal' as const, reason: 'nodeAssigned', note: 'announcing' };
    rec.record(svc, ev);
    rec.record({ ...svc, name: 'other', uid: 'u2' }, ev);
    await rec.flush();
    expect(rec.remembered).toEqual({ objects: 2, series: 2 });
    advance(31 * 60_000);
    rec.record({ ...svc, name: 'third', uid: 'u3' }, ev);
    await rec.flush();
    expect(rec.remembered).toEqual({ objects: 1, series: 1 });
  });

  it('formats MicroTime with six fractional digits', () => {
    expect(microTime(Date.UTC(2026, 11, 4, 1, 2, 3, 45))).toBe('2026-12-04T01:02:03.045000Z');
  });
});
