import { describe, expect, it } from 'vitest';
import { Index } from './cache.ts';
import { MemoryCluster } from './memory.ts';
import { Resources } from './resources.ts';
import type { StoreEvent } from './store.ts';

const service = (name: string, annotations: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default', annotations },
  spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
});
const slice = (name: string, svc: string, nodes: string[]) => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4',
  endpoints: nodes.map((n, i) => ({
    addresses: [`10.1.0.${i + 1}`],
    nodeName: n,
    conditions: { ready: true },
  })),
});

describe('MemoryCluster', () => {
  it('feeds typed, indexed stores and one change stream', async () => {
    const m = new MemoryCluster();
    m.put(service('web', { 'metallb.io/ip-allocated-from-pool': 'prod' }));
    const services = m.watch(Resources.Service);
    const slices = m.watch(Resources.EndpointSlice);
    const events: StoreEvent[] = [];
    m.cache.on((e) => {
      if (e.type !== 'synced') events.push(e);
    });
    m.start();
    await m.cache.waitForSync();
    m.put(slice('web-1', 'web', ['node-21', 'node-22']));
    expect(services.byIndex(Index.serviceByPool, 'prod').map((s) => s.metadata.name)).toEqual(['web']);
    expect(slices.byIndex(Index.sliceByService, 'default/web').length).toBe(1);
    expect(slices.byIndex(Index.sliceByNode, 'node-22').length).toBe(1);
    m.put(slice('web-1', 'web', ['node-23']));
    expect(slices.byIndex(Index.sliceByNode, 'node-22').length).toBe(0);
    m.remove(Resources.EndpointSlice, 'default', 'web-1');
    expect(events.map((e) => `${e.type} ${e.kind} ${e.key}`)).toEqual([
      'added Service default/web',
      'added EndpointSlice default/web-1',
      'modified EndpointSlice default/web-1',
      'deleted EndpointSlice default/web-1',
    ]);
  });

  it('retries a status write that meets a conflict, with the fresh object', async () => {
    const m = new MemoryCluster();
    m.put(service('web'));
    m.conflictsToInject = 2;
    let calls = 0;
    const stored = await m.writer.updateServiceStatus('default', 'web', () => {
      calls++;
      return { ingress: [{ ip: '203.0.113.5' }] };
    });
    expect(calls).toBe(3);
    expect(stored?.status?.loadBalancer?.ingress).toEqual([{ ip: '203.0.113.5' }]);
    expect(m.statusWrites.length).toBe(1);
  });

  it('owns the annotations it applied and removes those it no longer applies', async () => {
    const m = new MemoryCluster();
    m.put(service('web', { 'user/keep': 'x' }));
    await m.writer.applyServiceAnnotations('default', 'web', { 'metallb.io/ip-allocated-from-pool': 'a' });
    await m.writer.applyServiceAnnotations('default', 'web', {});
    expect(m.get(Resources.Service, 'default', 'web')?.metadata.annotations).toEqual({ 'user/keep': 'x' });
  });

  it('gives a shared Lease to one candidate at a time', async () => {
    const m = new MemoryCluster();
    const log: string[] = [];
    const mk = (id: string) =>
      m.leaderElection({
        namespace: 'metallb-system',
        name: 'ctl',
        identity: id,
        onStartedLeading: () => log.push(`${id} leads`),
        onStoppedLeading: () => log.push(`${id} stops`),
      });
    const a = mk('a');
    const b = mk('b');
    const acA = new AbortController();
    const acB = new AbortController();
    const ra = a.run(acA.signal);
    const rb = b.run(acB.signal);
    await new Promise((r) => setTimeout(r, 5));
    expect(log).toEqual(['a leads']);
    m.revokeLease('ctl');
    await new Promise((r) => setTimeout(r, 5));
    expect(log.slice(0, 2)).toEqual(['a leads', 'a stops']);
    expect(a.isLeader || b.isLeader).toBe(true);
    acA.abort();
    acB.abort();
    await Promise.all([ra, rb]);
  });
});

describe('sameIngress', () => {
  it('treats the API server’s default ipMode VIP as equal to none', async () => {
    const { sameIngress } = await import('./writer.ts');
    expect(sameIngress([{ ip: '203.0.113.1' }], [{ ip: '203.0.113.1', ipMode: 'VIP' }])).toBe(true);
    expect(sameIngress([{ ip: '203.0.113.1', ipMode: 'Proxy' }], [{ ip: '203.0.113.1' }])).toBe(false);
    expect(sameIngress([{ ip: '203.0.113.1' }], [{ ip: '203.0.113.2' }])).toBe(false);
    expect(sameIngress([], undefined)).toBe(true);
  });
});

describe('MemoryCluster selectors', () => {
  it('honours field selectors on name and namespace and equality label selectors', () => {
    const m = new MemoryCluster();
    const nodes = m.watch(Resources.Node, { fieldSelector: 'metadata.name=node-21' });
    const svcs = m.watch(Resources.Service, { labelSelector: 'app=web,tier!=db' });
    m.start();
    for (const n of ['node-21', 'node-22']) m.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: n } });
    m.put({ ...service('a'), metadata: { name: 'a', namespace: 'default', labels: { app: 'web' } } });
    m.put({
      ...service('b'),
      metadata: { name: 'b', namespace: 'default', labels: { app: 'web', tier: 'db' } },
    });
    m.put(service('c'));
    expect(nodes.list().map((n) => n.metadata.name)).toEqual(['node-21']);
    expect(svcs.list().map((s) => s.metadata.name)).toEqual(['a']);
    const bad = new MemoryCluster();
    bad.watch(Resources.Node, { fieldSelector: 'spec.unschedulable=true' });
    bad.start();
    expect(() => bad.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'x' } })).toThrow(
      /unsupported field selector/,
    );
  });
});
