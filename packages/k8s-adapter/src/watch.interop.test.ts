// The adapter against a real control plane: watches across an apiserver restart and an etcd
// compaction, status writes racing another writer, server-side apply, Events, and a malformed
// metallb.io object that the installed CRD lets through.
import { CRD_KINDS, crdFor } from '@bmlb/metallb-api';
import { KubeControlPlane, kubeSkipReason, TcpProxy, waitFor } from '@bmlb/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Index } from './cache.ts';
import { KubeCluster } from './port.ts';
import type { Reflector } from './reflector.ts';
import { type KubeObject, Resources } from './resources.ts';
import { ChangeLog } from './test-support/kube.ts';

const skip = kubeSkipReason();

const service = (name: string, namespace: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace, labels },
  spec: { type: 'LoadBalancer', ports: [{ port: 80, targetPort: 8080 }], selector: { app: name } },
});

function stripCel(o: unknown): unknown {
  if (Array.isArray(o)) return o.map(stripCel);
  if (o !== null && typeof o === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) if (k !== 'x-kubernetes-validations') out[k] = stripCel(v);
    return out;
  }
  return o;
}

describe.skipIf(skip)('k8s-adapter against a real API server', () => {
  let cp: KubeControlPlane;
  const clusters: KubeCluster[] = [];
  const connect = (kubeconfig = cp.kubeconfig) => {
    const c = new KubeCluster({
      kubeconfig,
      fieldManager: 'bmlb-test',
      controller: 'bmlb.io/test',
      instance: 'test-0',
      backoff: { initialMs: 100, maxMs: 1000 },
    });
    clusters.push(c);
    return c;
  };
  const api = async (method: string, p: string, body?: unknown, contentType?: string) => {
    const r = await cp.request(p, {
      method,
      body,
      headers: contentType ? { 'content-type': contentType } : {},
    });
    if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${r.body.slice(0, 300)}`);
    return JSON.parse(r.body) as Record<string, unknown> & {
      metadata: Record<string, unknown> & { resourceVersion: string };
    };
  };
  const createNs = (ns: string) => api('POST', '/api/v1/namespaces', { metadata: { name: ns } });

  beforeAll(async () => {
    // Only the API server and etcd: these tests need no Pods.
    cp = await KubeControlPlane.start({ controllerManager: false, scheduler: false, kwok: false });
    // The CRDs as MetalLB's own would be installed: without our CEL rules, so that an object our
    // validators refuse can still reach the cache.
    for (const kind of CRD_KINDS) {
      await cp.kubectl(['apply', '--server-side', '-f', '-'], {
        input: JSON.stringify(stripCel(crdFor(kind))),
      });
    }
    await cp.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
    await createNs('metallb-system');
  }, 120_000);

  afterAll(async () => {
    for (const c of clusters) await c.close();
    await cp?.close();
  });

  it('a watch survives an apiserver restart under churn: nothing lost, nothing applied twice', async () => {
    const ns = 'churn';
    await createNs(ns);
    const names = Array.from({ length: 20 }, (_, i) => `svc-${i}`);
    for (const n of names)
      await api('POST', `/api/v1/namespaces/${ns}/services`, service(n, ns, { gen: '0' }));
    const cluster = connect();
    const services = cluster.watch(Resources.Service, { namespace: ns });
    const log = new ChangeLog();
    cluster.cache.on(log.listener);
    // Every version the cache published, per Service, with the resourceVersion its reflector stood
    // at when it did. A watch event moves the reflector to the event's own version before it is
    // published; a list publishes its changes before the reflector moves to the list's version, so
    // a change published by a relist reads the version the broken watch had reached (`watchRv`).
    const reflector = () => cluster.cache.reflector('Service') as Reflector;
    const published = new Map<string, { rv: number; fromList: boolean; watchRv: number }[]>();
    cluster.cache.on((e) => {
      if (e.kind !== 'Service' || (e.type !== 'added' && e.type !== 'modified')) return;
      const rv = Number(e.object.metadata.resourceVersion);
      const at = Number(reflector().resourceVersion);
      const list = published.get(e.key) ?? [];
      list.push({ rv, fromList: at !== rv, watchRv: at });
      published.set(e.key, list);
    });
    cluster.start();
    await cluster.cache.waitForSync();
    expect(services.size).toBe(20);

    // A writer that keeps bumping a label on every Service, retrying through the outage. It keeps
    // the resourceVersion of every write the API server acknowledged (200 with the stored object);
    // a write whose answer was lost (the restart cut it) may or may not have been applied, and a
    // retry of it that finds it applied is acknowledged with that same version.
    const acked = new Map<string, number[]>(names.map((n) => [n, []]));
    let stop = false;
    let writes = 0;
    let lastFailure = '';
    const churn = (async () => {
      for (let gen = 1; !stop; gen++) {
        for (const n of names) {
          const giveUp = Date.now() + 90_000;
          for (;;) {
            if (Date.now() > giveUp) throw new Error(`churn: could not patch ${n} for 90 s: ${lastFailure}`);
            const r = await cp
              .request(`/api/v1/namespaces/${ns}/services/${n}`, {
                method: 'PATCH',
                body: { metadata: { labels: { gen: String(gen) } } },
                headers: { 'content-type': 'application/merge-patch+json' },
                timeoutMs: 10_000,
              })
              .catch((err: unknown) => {
                lastFailure = String(err);
                return undefined;
              });
            if (r !== undefined && r.status === 200) {
              const rv = Number(
                (JSON.parse(r.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion,
              );
              const mine = acked.get(n) as number[];
              if (mine.at(-1) !== rv) mine.push(rv);
              writes++;
              break;
            }
            if (r !== undefined) lastFailure = `${r.status} ${r.body.slice(0, 200)}`;
            await new Promise((res) => setTimeout(res, 50));
          }
        }
      }
    })();
    try {
      await waitFor(() => writes >= 40, { timeoutMs: 30_000, what: 'churn before the restart' });
      await cp.restartApiserver();
      const after = writes;
      await waitFor(() => writes >= after + 40, { timeoutMs: 60_000, what: 'churn after the restart' });
    } catch (err) {
      // The first failure is the one to report (the churn, stopped below, may fail after it).
      stop = true;
      await churn.catch(() => undefined);
      throw err;
    }
    // The writer stops before svc-0 goes: it would start its next round by patching svc-0, and
    // retry the 404 until it gives up.
    stop = true;
    await churn;
    // Deletions and creations after the restart reach the cache too.
    await api('DELETE', `/api/v1/namespaces/${ns}/services/svc-0`);
    await api('POST', `/api/v1/namespaces/${ns}/services`, service('svc-new', ns));

    const truth = (await api('GET', `/api/v1/namespaces/${ns}/services`)) as unknown as {
      items: { metadata: { name: string; resourceVersion: string } }[];
    };
    await waitFor(
      () =>
        services.size === truth.items.length &&
        truth.items.every(
          (s) =>
            services.getByName(ns, s.metadata.name)?.metadata.resourceVersion === s.metadata.resourceVersion,
        ),
      { timeoutMs: 30_000, what: 'the cache to equal the API server' },
    );
    expect(services.getByName(ns, 'svc-0')).toBeUndefined();
    expect(services.getByName(ns, 'svc-new')).toBeDefined();
    expect(log.duplicates()).toEqual([]);
    expect(log.outOfOrder()).toEqual([]);
    const r = reflector();
    expect(r.stats.errors).toBeGreaterThan(0); // it did see the outage

    // Every acknowledged write reached the event stream, in order, as its own version, except what
    // a relist may collapse: a version written after the last one the broken watch delivered
    // (above its `watchRv`) and overwritten before the list read the object, so that the list's
    // version (newer) is published instead. Nothing else may be missing.
    //
    // Whether the restart causes a relist is the API server's doing, not ours: the restarted
    // kube-apiserver's watch cache starts from a list of etcd at its current revision and keeps no
    // history before it, so a watch resumed from an older resourceVersion gets 410 "too old
    // resource version" whenever anything else was written to etcd between our last event and that
    // list (so far, every run here: one relist). The reflector resumes from its last
    // resourceVersion in every case (as the fast tier's scripted client checks); here the count of
    // relists must be the count of 410s, and at most the one the restart explains.
    const relists = log.all.filter((e) => e.type === 'synced' && e.kind === 'Service' && e.relist).length;
    expect(r.stats.gone).toBe(relists);
    expect(r.stats.lists).toBe(1 + relists);
    expect(relists).toBeLessThanOrEqual(1);
    const missing: string[] = [];
    let delivered = 0;
    let collapsed = 0;
    for (const [name, versions] of acked) {
      const seen = published.get(`${ns}/${name}`) ?? [];
      let i = 0;
      for (const a of versions) {
        while (i < seen.length && (seen[i]?.rv as number) < a) i++;
        const next = seen[i];
        if (next?.rv === a) delivered++;
        else if (next?.fromList && next.watchRv < a) collapsed++;
        else
          missing.push(
            `${name}@${a} (next published: ${next === undefined ? 'none' : JSON.stringify(next)})`,
          );
      }
    }
    expect(missing).toEqual([]);
    if (relists === 0) expect(collapsed).toBe(0);
    const total = [...acked.values()].reduce((n, v) => n + v.length, 0);
    expect(delivered + collapsed).toBe(total);
    process.stdout.write(
      `apiserver restart under churn: ${total} acknowledged writes, ${delivered} published as written, ` +
        `${collapsed} collapsed by ${relists} relist(s) (410s: ${r.stats.gone}, watch errors: ${r.stats.errors})\n`,
    );
  }, 240_000);

  it('relists after an etcd compaction (410 Gone) and publishes only what changed', async () => {
    const ns = 'compact';
    await createNs(ns);
    for (const n of ['a', 'b', 'c', 'd'])
      await api('POST', `/api/v1/namespaces/${ns}/services`, service(n, ns));
    // The adapter reaches the apiserver through a proxy we can cut.
    const proxy = await TcpProxy.start({ target: cp.server });
    try {
      const token = cp.adminToken;
      const cluster = connect(
        cp.kubeconfigFor({ token, server: `https://127.0.0.1:${proxy.port}`, name: 'via-proxy' }),
      );
      const services = cluster.watch(Resources.Service, { namespace: ns });
      const log = new ChangeLog();
      cluster.cache.on(log.listener);
      cluster.start();
      await cluster.cache.waitForSync();
      log.all.length = 0;
      log.byKey.clear();

      await proxy.cut('refuse');
      // While the adapter is cut off: b changes, c is deleted, e is created; a and d stay.
      await api(
        'PATCH',
        `/api/v1/namespaces/${ns}/services/b`,
        { metadata: { labels: { changed: 'yes' } } },
        'application/merge-patch+json',
      );
      await api('DELETE', `/api/v1/namespaces/${ns}/services/c`);
      await api('POST', `/api/v1/namespaces/${ns}/services`, service('e', ns));
      await cp.compact();
      await proxy.restore();

      await waitFor(
        () => services.getByName(ns, 'e') !== undefined && services.getByName(ns, 'c') === undefined,
        {
          timeoutMs: 60_000,
          what: 'the cache to catch up after the compaction',
        },
      );
      await waitFor(() => services.getByName(ns, 'b')?.metadata.labels?.changed === 'yes', {
        timeoutMs: 10_000,
      });
      const changes = log.all
        .filter((e) => e.type !== 'synced')
        .map((e) => `${e.type} ${(e as { key: string }).key}`)
        .sort();
      expect(changes).toEqual([`added ${ns}/e`, `deleted ${ns}/c`, `modified ${ns}/b`]);
      expect(cluster.cache.reflector('Service')?.stats.gone).toBeGreaterThan(0);
      expect(log.all.some((e) => e.type === 'synced' && e.relist)).toBe(true);
    } finally {
      await proxy.close();
    }
  }, 120_000);

  it('a status write that races another writer is retried with the fresh object, not lost', async () => {
    const ns = 'race';
    await createNs(ns);
    await api('POST', `/api/v1/namespaces/${ns}/services`, service('web', ns));
    const cluster = connect();
    // Another writer (a second controller, kubectl) writes the status between our read and our
    // write, once: our PUT carries a stale resourceVersion and the API server answers 409.
    const request = cluster.client.request.bind(cluster.client);
    let raced = false;
    cluster.client.request = (async (method: string, p: string, opts?: object) => {
      const res = await request(method, p, opts);
      if (!raced && method === 'GET' && p.endsWith(`/namespaces/${ns}/services/web`)) {
        raced = true;
        await api(
          'PATCH',
          `/api/v1/namespaces/${ns}/services/web/status`,
          { status: { loadBalancer: { ingress: [{ ip: '198.51.100.1' }] } } },
          'application/merge-patch+json',
        );
      }
      return res;
    }) as typeof cluster.client.request;
    const seen: string[] = [];
    const stored = await cluster.writer.updateServiceStatus(ns, 'web', (current) => {
      seen.push(current.status?.loadBalancer?.ingress?.[0]?.ip ?? '-');
      return { ingress: [{ ip: '203.0.113.7' }] };
    });
    // Called again with what the other writer wrote, then written.
    expect(seen).toEqual(['-', '198.51.100.1']);
    // The API server defaults ipMode (Kubernetes 1.30+).
    expect(stored?.status?.loadBalancer?.ingress).toEqual([{ ip: '203.0.113.7', ipMode: 'VIP' }]);
    const svc = (await api('GET', `/api/v1/namespaces/${ns}/services/web`)) as { status?: unknown };
    expect(svc.status).toEqual({ loadBalancer: { ingress: [{ ip: '203.0.113.7', ipMode: 'VIP' }] } });
    // Writing what is already there writes nothing.
    const again = await cluster.writer.updateServiceStatus(ns, 'web', () => ({
      ingress: [{ ip: '203.0.113.7' }],
    }));
    expect(again?.metadata.resourceVersion).toBe(stored?.metadata.resourceVersion);
  }, 60_000);

  it('server-side apply owns our annotations only; the cache indexes what the API server holds; Events are written and repeats become a series', async () => {
    const ns = 'ssa';
    await createNs(ns);
    await api('POST', `/api/v1/namespaces/${ns}/services`, {
      ...service('web', ns),
      metadata: { name: 'web', namespace: ns, annotations: { 'user.example/keep': 'x' } },
    });
    await api('POST', `/api/v1/namespaces/${ns}/services`, service('other', ns));
    // EndpointSlices as the EndpointSlice controller would write them (it does not run here).
    const slice = (name: string, svcName: string, endpoints: [string, string][]) => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': svcName } },
      addressType: 'IPv4',
      endpoints: endpoints.map(([ip, nodeName]) => ({ addresses: [ip], nodeName })),
      ports: [{ port: 8080, protocol: 'TCP' }],
    });
    const slicesPath = `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`;
    await api(
      'POST',
      slicesPath,
      slice('web-1', 'web', [
        ['10.1.0.1', 'node-a'],
        ['10.1.0.2', 'node-b'],
      ]),
    );
    await api('POST', slicesPath, slice('other-1', 'other', [['10.1.0.3', 'node-b']]));
    const cluster = connect();
    const services = cluster.watch(Resources.Service, { namespace: ns });
    const slices = cluster.watch(Resources.EndpointSlice, { namespace: ns });
    cluster.start();
    await cluster.cache.waitForSync();
    const names = (objs: readonly KubeObject[]) => objs.map((o) => o.metadata.name).sort();
    // From the list: Service → EndpointSlices, EndpointSlices by node.
    expect(names(slices.byIndex(Index.sliceByService, `${ns}/web`))).toEqual(['web-1']);
    expect(names(slices.byIndex(Index.sliceByService, `${ns}/other`))).toEqual(['other-1']);
    expect(names(slices.byIndex(Index.sliceByNode, 'node-a'))).toEqual(['web-1']);
    expect(names(slices.byIndex(Index.sliceByNode, 'node-b'))).toEqual(['other-1', 'web-1']);
    expect(services.byIndex(Index.serviceByPool, 'prod-pool')).toEqual([]);

    await cluster.writer.applyServiceAnnotations(ns, 'web', {
      'metallb.io/ip-allocated-from-pool': 'prod-pool',
    });
    let svc = await api('GET', `/api/v1/namespaces/${ns}/services/web`);
    expect(svc.metadata.annotations as Record<string, string>).toEqual({
      'user.example/keep': 'x',
      'metallb.io/ip-allocated-from-pool': 'prod-pool',
    });
    // From the watch: Services by pool follow the annotation.
    await waitFor(() => names(services.byIndex(Index.serviceByPool, 'prod-pool')).join() === 'web', {
      timeoutMs: 10_000,
      what: 'web in the prod-pool index',
    });
    await cluster.writer.applyServiceAnnotations(ns, 'web', {});
    svc = await api('GET', `/api/v1/namespaces/${ns}/services/web`);
    expect(svc.metadata.annotations as Record<string, string>).toEqual({ 'user.example/keep': 'x' });
    await waitFor(
      () => services.getByName(ns, 'web')?.metadata.resourceVersion === svc.metadata.resourceVersion,
      {
        timeoutMs: 10_000,
        what: 'the cache to see the annotation go',
      },
    );
    expect(services.byIndex(Index.serviceByPool, 'prod-pool')).toEqual([]);
    expect(services.indexValues(Index.serviceByPool)).toEqual([]);

    // An endpoint moves from node-a and node-b to node-c; other-1 is deleted.
    const moved = await api(
      'PATCH',
      `${slicesPath}/web-1`,
      { endpoints: [{ addresses: ['10.1.0.4'], nodeName: 'node-c' }] },
      'application/merge-patch+json',
    );
    await api('DELETE', `${slicesPath}/other-1`);
    await waitFor(
      () =>
        slices.getByName(ns, 'web-1')?.metadata.resourceVersion === moved.metadata.resourceVersion &&
        slices.getByName(ns, 'other-1') === undefined,
      { timeoutMs: 10_000, what: 'the cache to see the EndpointSlice changes' },
    );
    expect(slices.byIndex(Index.sliceByNode, 'node-a')).toEqual([]);
    expect(slices.byIndex(Index.sliceByNode, 'node-b')).toEqual([]);
    expect(names(slices.byIndex(Index.sliceByNode, 'node-c'))).toEqual(['web-1']);
    expect(names(slices.byIndex(Index.sliceByService, `${ns}/web`))).toEqual(['web-1']);
    expect(slices.byIndex(Index.sliceByService, `${ns}/other`)).toEqual([]);
    expect(slices.indexValues(Index.sliceByNode)).toEqual(['node-c']);

    const ref = {
      apiVersion: 'v1',
      kind: 'Service',
      namespace: ns,
      name: 'web',
      uid: svc.metadata.uid as string,
    };
    cluster.events.record(ref, {
      type: 'Normal',
      reason: 'IPAllocated',
      note: 'Assigned IP ["203.0.113.9"]',
    });
    await cluster.events.flush();
    cluster.events.record(ref, {
      type: 'Normal',
      reason: 'IPAllocated',
      note: 'Assigned IP ["203.0.113.9"]',
    });
    cluster.events.record(ref, {
      type: 'Normal',
      reason: 'IPAllocated',
      note: 'Assigned IP ["203.0.113.9"]',
    });
    await cluster.events.flush();
    const list = (await api('GET', `/apis/events.k8s.io/v1/namespaces/${ns}/events`)) as unknown as {
      items: {
        reason: string;
        note: string;
        reportingController?: string;
        regarding: { name: string; uid: string };
        series?: { count: number };
      }[];
    };
    // Ours only: the API server's own controllers may write Events about these Services too.
    const others = list.items.filter((e) => e.reportingController !== 'bmlb.io/test');
    if (others.length > 0)
      console.log(
        `other Events in ${ns}: ${JSON.stringify(others.map((e) => [e.reportingController, e.reason, e.note]))}`,
      );
    const ours = list.items.filter((e) => e.reportingController === 'bmlb.io/test');
    expect(ours, JSON.stringify(list.items, null, 1)).toHaveLength(1);
    expect(ours[0]).toMatchObject({
      reason: 'IPAllocated',
      note: 'Assigned IP ["203.0.113.9"]',
      regarding: { name: 'web', uid: ref.uid },
      series: { count: 3 },
    });
    const described = await cp.kubectl(['describe', 'service', 'web', '-n', ns]);
    expect(described.stdout).toMatch(/IPAllocated/);
  }, 60_000);

  it('a malformed metallb.io object is reported with kind, namespace, name and field; the rest keeps working', async () => {
    const ns = 'metallb-system';
    const pool = (name: string, addresses: string[]) => ({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      metadata: { name, namespace: ns },
      spec: { addresses },
    });
    await api(
      'POST',
      `/apis/metallb.io/v1beta1/namespaces/${ns}/ipaddresspools`,
      pool('good', ['203.0.113.0/24']),
    );
    const cluster = connect();
    const pools = cluster.watch(Resources.IPAddressPool, { namespace: ns });
    const peers = cluster.watch(Resources.BGPPeer, { namespace: ns });
    const log = new ChangeLog();
    cluster.cache.on(log.listener);
    cluster.start();
    await cluster.cache.waitForSync();
    expect(pools.getByName(ns, 'good')?.spec.addresses).toEqual(['203.0.113.0/24']);

    // The CRD schema lets a string through; our validator does not.
    await api(
      'PATCH',
      `/apis/metallb.io/v1beta1/namespaces/${ns}/ipaddresspools/good`,
      { spec: { addresses: ['203.0.113.0/24', 'not-a-cidr'] } },
      'application/merge-patch+json',
    );
    await api('POST', `/apis/metallb.io/v1beta2/namespaces/${ns}/bgppeers`, {
      apiVersion: 'metallb.io/v1beta2',
      kind: 'BGPPeer',
      metadata: { name: 'tor1', namespace: ns },
      spec: { myASN: 65100, peerASN: 65000, peerAddress: '10.0.0.1', holdTime: '1s' },
    });
    await api(
      'POST',
      `/apis/metallb.io/v1beta1/namespaces/${ns}/ipaddresspools`,
      pool('other', ['198.51.100.0/24']),
    );
    await waitFor(() => pools.getByName(ns, 'other') !== undefined && peers.problems().length === 1, {
      timeoutMs: 10_000,
      what: 'the new objects',
    });
    // The bad edit did not remove the last valid version.
    expect(pools.getByName(ns, 'good')?.spec.addresses).toEqual(['203.0.113.0/24']);
    const [pp] = pools.problems();
    expect(pp).toMatchObject({ kind: 'IPAddressPool', key: `${ns}/good` });
    expect(pp?.errors[0]).toMatchObject({
      kind: 'IPAddressPool',
      namespace: ns,
      name: 'good',
      path: 'spec.addresses[1]',
    });
    const [peerProblem] = peers.problems();
    expect(peerProblem?.errors[0]).toMatchObject({
      kind: 'BGPPeer',
      namespace: ns,
      name: 'tor1',
      path: 'spec.holdTime',
    });
    expect(peers.getByName(ns, 'tor1')).toBeUndefined();
    // Fixed: the problem goes away and the new version is used.
    await api(
      'PATCH',
      `/apis/metallb.io/v1beta1/namespaces/${ns}/ipaddresspools/good`,
      { spec: { addresses: ['203.0.113.0/25'] } },
      'application/merge-patch+json',
    );
    await waitFor(() => pools.getByName(ns, 'good')?.spec.addresses[0] === '203.0.113.0/25', {
      timeoutMs: 10_000,
    });
    expect(pools.problems()).toEqual([]);
  }, 60_000);
});
