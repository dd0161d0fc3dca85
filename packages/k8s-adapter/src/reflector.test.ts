import { describe, expect, it } from 'vitest';
import { ApiError } from './client.ts';
import { Reflector, type ReflectorOptions } from './reflector.ts';
import { type KubeObject, Resources } from './resources.ts';
import { Store, type StoreEvent } from './store.ts';
import { ScriptedClient, until } from './test-support/scripted-client.ts';

const svc = (name: string, rv: string, extra: Record<string, unknown> = {}) => ({
  metadata: { name, namespace: 'default', resourceVersion: rv, uid: `u-${name}` },
  spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
  ...extra,
});
const watchSvc = (name: string, rv: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Service',
  ...svc(name, rv, extra),
});

function setup(pages: Record<string, unknown>[][], extra: Partial<ReflectorOptions> = {}) {
  const client = new ScriptedClient();
  const events: StoreEvent[] = [];
  let listCall = 0;
  const listRVs: string[] = [];
  client.onRequest = (call) => {
    expect(call.method).toBe('GET');
    expect(call.path).toBe('/api/v1/services');
    const page = pages[Math.min(listCall, pages.length - 1)] as Record<string, unknown>[];
    listCall++;
    const rv = String(100 * listCall);
    listRVs.push(rv);
    return { metadata: { resourceVersion: rv }, items: structuredClone(page) };
  };
  const store = new Store<KubeObject>('Service');
  const r = new Reflector(client.asClient(), Resources.Service as never, store, {
    onEvent: (e) => events.push(e),
    backoff: { initialMs: 1, maxMs: 4 },
    random: () => 0.5,
    ...extra,
  });
  return { client, events, store, r, listRVs };
}

describe('Reflector', () => {
  it('lists, then watches from the list resourceVersion with bookmarks', async () => {
    const { client, events, store, r } = setup([[svc('a', '1'), svc('b', '2')]]);
    r.start();
    await r.synced;
    expect(store.size).toBe(2);
    expect(events.map((e) => `${e.type} ${e.key}`)).toEqual(['added default/a', 'added default/b']);
    const w = await client.nextWatch();
    expect(w.opts.query?.resourceVersion).toBe('100');
    expect(w.opts.query?.allowWatchBookmarks).toBe(true);
    w.send({
      type: 'MODIFIED',
      object: watchSvc('a', '101', {
        metadata: { name: 'a', namespace: 'default', resourceVersion: '101', labels: { x: 'y' } },
      }),
    });
    w.send({ type: 'MODIFIED', object: watchSvc('a', '101') }); // the same version again: skipped
    w.send({ type: 'DELETED', object: watchSvc('b', '102') });
    w.send({
      type: 'BOOKMARK',
      object: { kind: 'Service', apiVersion: 'v1', metadata: { resourceVersion: '150' } },
    });
    expect(events.map((e) => `${e.type} ${e.key}`).slice(2)).toEqual([
      'modified default/a',
      'deleted default/b',
    ]);
    expect(r.resourceVersion).toBe('150');
    await r.stop();
  });

  it('resumes from the last resourceVersion after a dropped watch, without relisting', async () => {
    const { client, events, r } = setup([[svc('a', '1')]]);
    r.start();
    await r.synced;
    const w1 = await client.nextWatch();
    w1.send({ type: 'ADDED', object: watchSvc('c', '120') });
    w1.end(new ApiError('WATCH /api/v1/services', 0, 'connection reset'));
    const w2 = await client.nextWatch();
    expect(w2.opts.query?.resourceVersion).toBe('120');
    expect(client.requests.length).toBe(1); // still the one list
    w2.send({ type: 'ADDED', object: watchSvc('c', '120') }); // replayed by an overlapping resume: not applied twice
    expect(events.filter((e) => e.key === 'default/c').length).toBe(1);
    await r.stop();
  });

  it('relists on 410 Gone and publishes only the difference', async () => {
    const { client, events, store, r } = setup([
      [svc('a', '1'), svc('b', '2'), svc('c', '3')],
      // After compaction: a unchanged, b changed, c deleted, d new.
      [
        svc('a', '1'),
        svc('b', '7', { spec: { type: 'LoadBalancer', ports: [{ port: 443 }] } }),
        svc('d', '8'),
      ],
    ]);
    r.start();
    await r.synced;
    const w = await client.nextWatch();
    events.length = 0;
    w.send({
      type: 'ERROR',
      object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' },
    });
    const w2 = await client.nextWatch();
    expect(w2.opts.query?.resourceVersion).toBe('200');
    expect(events.map((e) => `${e.type} ${e.key}`).sort()).toEqual([
      'added default/d',
      'deleted default/c',
      'modified default/b',
    ]);
    expect([...store.keys()].sort()).toEqual(['default/a', 'default/b', 'default/d']);
    expect(r.stats.gone).toBe(1);
    await r.stop();
  });

  it('relists when the watch request itself answers 410', async () => {
    const { client, r } = setup([[svc('a', '1')]]);
    r.start();
    await r.synced;
    const w = await client.nextWatch();
    w.end(new ApiError('WATCH', 410, 'Gone', 'Gone'));
    await until(() => client.requests.length === 2, 'relist');
    await r.stop();
  });

  it('retries a failed list with backoff and syncs once it works', async () => {
    const { client, r } = setup([[svc('a', '1')]]);
    const good = client.onRequest;
    let fails = 3;
    const errors: string[] = [];
    client.onRequest = (call) => {
      if (fails-- > 0) throw new ApiError('GET /api/v1/services', 503, 'unavailable');
      return good(call);
    };
    const r2 = new Reflector(client.asClient(), Resources.Service as never, r.store, {
      onEvent: () => {},
      onError: (e) => errors.push(e.message),
      backoff: { initialMs: 1, maxMs: 4 },
    });
    r2.start();
    await r2.synced;
    expect(errors.length).toBe(3);
    await r2.stop();
  });

  it('reads a list in pages and starts over when the continue token expires', async () => {
    const client = new ScriptedClient();
    let n = 0;
    client.onRequest = (call) => {
      n++;
      const cont = call.opts.query?.continue;
      if (n === 1) return { metadata: { resourceVersion: '10', continue: 'p2' }, items: [svc('a', '1')] };
      if (n === 2) {
        expect(cont).toBe('p2');
        throw new ApiError('GET', 410, 'continue expired', 'Expired');
      }
      if (n === 3) {
        expect(cont).toBeUndefined();
        return { metadata: { resourceVersion: '20', continue: 'q2' }, items: [svc('a', '1')] };
      }
      return { metadata: { resourceVersion: '20' }, items: [svc('b', '2')] };
    };
    const store = new Store<KubeObject>('Service');
    const r = new Reflector(client.asClient(), Resources.Service as never, store, {
      onEvent: () => {},
      pageSize: 1,
    });
    r.start();
    await r.synced;
    expect([...store.keys()].sort()).toEqual(['default/a', 'default/b']);
    expect(r.resourceVersion).toBe('20');
    expect(client.requests[0]?.opts.query?.limit).toBe(1);
    await r.stop();
  });

  it('keeps the last valid version of an object whose update does not validate, and reports it', async () => {
    const { client, events, store, r } = setup([[svc('a', '1')]]);
    r.start();
    await r.synced;
    const w = await client.nextWatch();
    w.send({ type: 'MODIFIED', object: { ...watchSvc('a', '5'), spec: { type: 'Balancer' } } });
    const last = events.at(-1);
    expect(last?.type).toBe('invalid');
    if (last?.type === 'invalid') {
      expect(last.problem.errors[0]?.path).toBe('spec.type');
      expect(last.problem.key).toBe('default/a');
    }
    expect(store.get('default/a')?.metadata.resourceVersion).toBe('1');
    expect(store.problems().length).toBe(1);
    w.send({ type: 'MODIFIED', object: watchSvc('a', '6') });
    expect(store.problems().length).toBe(0);
    expect(store.get('default/a')?.metadata.resourceVersion).toBe('6');
    await r.stop();
  });

  it('drops managedFields and the last-applied annotation', async () => {
    const { store, r } = setup([
      [
        {
          ...svc('a', '1'),
          metadata: {
            name: 'a',
            namespace: 'default',
            resourceVersion: '1',
            managedFields: [{ manager: 'kubectl' }],
            annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', keep: 'me' },
          },
        },
      ],
    ]);
    r.start();
    await r.synced;
    const md = store.get('default/a')?.metadata;
    expect(md?.managedFields).toBeUndefined();
    expect(md?.annotations).toEqual({ keep: 'me' });
    await r.stop();
  });

  it('caches only what the projection keeps, for list items and watch events alike', async () => {
    const projected: string[] = [];
    const project = (raw: Record<string, unknown>) => {
      const md = raw.metadata as Record<string, unknown>;
      projected.push(`${md.name}@${md.resourceVersion}`);
      const { labels: _labels, ...keep } = md;
      return { apiVersion: raw.apiVersion, kind: raw.kind, metadata: keep, spec: { type: 'LoadBalancer' } };
    };
    const labelled = (name: string, rv: string) =>
      svc(name, rv, {
        metadata: { name, namespace: 'default', resourceVersion: rv, labels: { big: 'x'.repeat(100) } },
      });
    const { client, store, events, r } = setup([[labelled('a', '1'), labelled('b', '2')]], { project });
    r.start();
    await r.synced;
    expect(store.get('default/a')).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'a', namespace: 'default', resourceVersion: '1' },
      spec: { type: 'LoadBalancer' },
    });
    const w = await client.nextWatch();
    w.send({ type: 'MODIFIED', object: { apiVersion: 'v1', kind: 'Service', ...labelled('a', '101') } });
    expect(store.get('default/a')?.metadata).toEqual({
      name: 'a',
      namespace: 'default',
      resourceVersion: '101',
    });
    expect((store.get('default/a') as unknown as { spec: object }).spec).toEqual({ type: 'LoadBalancer' });
    // The new version differed only in what the projection drops: cached, but no event.
    expect(events.map((e) => `${e.type} ${e.key}`)).toEqual(['added default/a', 'added default/b']);
    // A relist converts only the objects whose resourceVersion the store has not applied.
    w.send({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    await until(() => r.stats.lists === 2);
    await client.nextWatch();
    expect(projected).toEqual(['a@1', 'b@2', 'a@101', 'a@1']);
    expect(store.get('default/a')?.metadata.resourceVersion).toBe('1');
    expect(events.length).toBe(2);
    await r.stop();
  });

  it('publishes no event for a version that differs only in its resourceVersion, and caches it', async () => {
    const { client, events, store, r } = setup([[svc('a', '1')]]);
    r.start();
    await r.synced;
    const w = await client.nextWatch();
    // What slim drops changed (managedFields, the last-applied annotation), nothing else.
    w.send({
      type: 'MODIFIED',
      object: watchSvc('a', '101', {
        metadata: {
          name: 'a',
          namespace: 'default',
          resourceVersion: '101',
          uid: 'u-a',
          managedFields: [{ manager: 'bmlb-controller' }],
        },
      }),
    });
    expect(store.get('default/a')?.metadata.resourceVersion).toBe('101');
    expect(events.map((e) => `${e.type} ${e.key}`)).toEqual(['added default/a']);
    // A change anywhere else is an event, with the version before it.
    w.send({ type: 'MODIFIED', object: watchSvc('a', '102', { status: { loadBalancer: {} } }) });
    const last = events.at(-1);
    expect(last?.type).toBe('modified');
    if (last?.type === 'modified') expect(last.old?.metadata.resourceVersion).toBe('101');
    await r.stop();
  });

  it('publishes a version equal to the last valid one when it clears a problem', async () => {
    const { client, events, store, r } = setup([[svc('a', '1')]]);
    r.start();
    await r.synced;
    const w = await client.nextWatch();
    w.send({ type: 'MODIFIED', object: { ...watchSvc('a', '5'), spec: { type: 'Balancer' } } });
    expect(store.problems().length).toBe(1);
    w.send({ type: 'MODIFIED', object: watchSvc('a', '6') }); // back to what a@1 said
    expect(store.problems().length).toBe(0);
    expect(events.map((e) => `${e.type} ${e.key}`)).toEqual([
      'added default/a',
      'invalid default/a',
      'modified default/a',
    ]);
    await r.stop();
  });
});
