// deploy/rbac/*.yaml against a real API server: each ServiceAccount, with a token of its own, makes
// through this adapter every call its app makes (the speaker's: apps/speaker/src/config/kube-source.ts,
// kube-status.ts, kube-mode.ts; the controller's: apps/controller/src/controller.ts, main.ts,
// webhook/server.ts) without a 403; calls outside its job get 403; and the rules the API server
// reports for it (SelfSubjectRulesReview) are exactly the ones listed here, so a grant added to a
// Role without a test here fails.
import fs from 'node:fs';
import path from 'node:path';
import { LABEL_NODE, LABEL_SESSION_NODE } from '@bmlb/metallb-api';
import { KubeControlPlane, kubeSkipReason, waitFor } from '@bmlb/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from './client.ts';
import { KubeCluster } from './port.ts';
import { Resources, type ResourceType } from './resources.ts';
import { deployDir, NS } from './test-support/deploy.ts';

const skip = kubeSkipReason();

const METALLB = ['ipaddresspools', 'bgppeers', 'bgpadvertisements', 'bfdprofiles', 'communities'];
const read = ['get', 'list', 'watch'];
const rules = (entries: [string, string[]][]) => new Map(entries.map(([k, v]) => [k, [...v].sort()]));

// What each app does, as `group/resource[/name]` → verbs ('' is the core group). Cluster-wide grants
// show up here too: the review is of what the account may do in metallb-system.
const SPEAKER_RULES = rules([
  ['/services', read], // Services to announce (kube-source.ts)
  ['/nodes', read], // its own Node, by field selector (kube-source.ts; ownerReferences in kube-status.ts)
  ['discovery.k8s.io/endpointslices', ['list', 'watch']], // externalTrafficPolicy: Local
  ['events.k8s.io/events', ['create', 'patch']], // nodeAssigned (kube-mode.ts), patch = series
  ...METALLB.map((r): [string, string[]] => [`metallb.io/${r}`, read]), // configuration
  ['/secrets', read], // BGPPeer passwordSecret, in metallb-system only
  // its status objects (kube-status.ts): watched by label, server-side applied, then their status
  ['metallb.io/servicebgpstatuses', ['get', 'list', 'watch', 'create', 'patch', 'delete']],
  ['metallb.io/servicebgpstatuses/status', ['patch']],
  ['bmlb.io/bgpsessionstates', ['get', 'list', 'watch', 'create', 'patch', 'delete']],
  ['bmlb.io/bgpsessionstates/status', ['patch']],
]);

const CONTROLLER_RULES = rules([
  ['/services', ['get', 'list', 'watch', 'patch']], // cache; status writer's read; annotation apply
  ['/services/status', ['update']], // status.loadBalancer.ingress
  ['/namespaces', ['list', 'watch']], // serviceAllocation namespaceSelectors
  ['events.k8s.io/events', ['create', 'patch']],
  [
    'admissionregistration.k8s.io/validatingwebhookconfigurations/metallb-webhook-configuration',
    ['get', 'update'],
  ], // caBundle
  ...METALLB.map((r): [string, string[]] => [`metallb.io/${r}`, read]),
  ['metallb.io/ipaddresspools/status', ['patch']],
  ['coordination.k8s.io/leases', ['create']], // the first replica creates the Lease
  ['coordination.k8s.io/leases/bmlb-controller', ['get', 'update']],
  ['/secrets', ['create']], // the webhook certificate's Secret, on first start
  ['/secrets/metallb-webhook-cert', ['get', 'update']],
]);

interface ResourceRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

const forbidden = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected 403').toBeInstanceOf(ApiError);
  expect((err as ApiError).status, (err as ApiError).message).toBe(403);
};
const notFound = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected 404').toBeInstanceOf(ApiError);
  expect((err as ApiError).status, (err as ApiError).message).toBe(404);
};

describe.skipIf(skip)('deploy/rbac: each ServiceAccount can do what its app does, and no more', () => {
  let cp: KubeControlPlane;
  const clusters: KubeCluster[] = [];
  const kubeconfigs: Record<'speaker' | 'controller', string> = { speaker: '', controller: '' };
  let statusKinds = false;
  let nodeUid = '';

  const connect = (who: 'speaker' | 'controller', errors: string[]) => {
    const c = new KubeCluster({
      kubeconfig: kubeconfigs[who],
      fieldManager: `bmlb-${who}`,
      controller: `metallb.io/${who}`,
      instance: who === 'speaker' ? 'node-21' : 'controller-0',
      backoff: { initialMs: 200, maxMs: 1000 },
      // What RBAC refuses (403) is what this test is about; a list or watch the API server asks to
      // retry (a CRD's watch cache still initializing: 429, "storage is (re)initializing") is
      // retried by the reflector and is not a finding.
      onError: (kind, err, what) => {
        if (!(err instanceof ApiError && err.retriable)) errors.push(`${what} ${kind}: ${err.message}`);
      },
      onEventError: (err) => errors.push(`event: ${err.message}`),
    });
    clusters.push(c);
    return c;
  };
  const admin = async (args: string[], input?: string) =>
    (await cp.kubectl(args, input === undefined ? {} : { input })).stdout;
  const adminJson = async <T = Record<string, unknown>>(args: string[]) =>
    JSON.parse(await admin([...args, '-o', 'json'])) as T;
  const sync = async (c: KubeCluster, errors: string[]) => {
    c.start();
    try {
      await c.cache.waitForSync(AbortSignal.timeout(20_000));
    } catch (err) {
      throw new Error(`caches did not sync: ${errors.join('; ') || String(err)}`);
    }
    expect(errors).toEqual([]);
  };

  /**
   * SelfSubjectRulesReview in metallb-system, as `group/resource[/name]` → sorted verbs, less what
   * every ServiceAccount may do anyway (`baseline`: the review of one with no bindings).
   */
  const review = async (c: KubeCluster, baseline = new Map<string, string[]>()) => {
    const r = await c.client.request<{ status: { resourceRules: ResourceRule[]; incomplete: boolean } }>(
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
      {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectRulesReview',
          spec: { namespace: NS },
        },
      },
    );
    expect(r.status.incomplete).toBe(false);
    const out = new Map<string, Set<string>>();
    for (const rule of r.status.resourceRules)
      for (const g of rule.apiGroups ?? [])
        for (const res of rule.resources ?? [])
          for (const name of rule.resourceNames?.length ? rule.resourceNames : [undefined]) {
            const key = `${g}/${res}${name === undefined ? '' : `/${name}`}`;
            const verbs = out.get(key) ?? new Set<string>();
            for (const v of rule.verbs) if (!baseline.get(key)?.includes(v)) verbs.add(v);
            out.set(key, verbs);
          }
    return new Map([...out].filter(([, v]) => v.size > 0).map(([k, v]) => [k, [...v].sort()]));
  };
  let baseline = new Map<string, string[]>();

  beforeAll(async () => {
    cp = await KubeControlPlane.start({ controllerManager: false, scheduler: false, kwok: false });
    await admin(['apply', '-f', path.join(deployDir, 'namespace.yaml')]);
    await admin(['apply', '--server-side', '-k', path.join(deployDir, 'crds')]);
    await admin(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
    const crds = fs.readdirSync(path.join(deployDir, 'crds'));
    statusKinds =
      crds.includes('metallb.io_servicebgpstatuses.yaml') && crds.includes('bmlb.io_bgpsessionstates.yaml');
    if (!statusKinds)
      console.warn('deploy/crds has no CRDs for ServiceBGPStatus / BGPSessionState: their calls are skipped');
    for (const f of ['rbac/controller.yaml', 'rbac/speaker.yaml'])
      await admin(['apply', '-f', path.join(deployDir, f)]);
    // What the apps read and write: a LoadBalancer Service, the speaker's Node, a BGP password
    // Secret, a pool; a Secret elsewhere that neither may read.
    await admin(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: 'web', namespace: 'default' },
            spec: { type: 'LoadBalancer', ports: [{ port: 80 }], selector: { app: 'web' } },
          },
          {
            apiVersion: 'v1',
            kind: 'Node',
            metadata: { name: 'node-21', labels: { 'kubernetes.io/hostname': 'node-21' } },
          },
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: 'bgp-password', namespace: NS },
            stringData: { password: 'secret' },
          },
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: 'other', namespace: 'default' },
            stringData: { token: 'not for bmlb' },
          },
          {
            apiVersion: 'metallb.io/v1beta1',
            kind: 'IPAddressPool',
            metadata: { name: 'pool-a', namespace: NS },
            spec: { addresses: ['203.0.113.0/28'] },
          },
        ],
      }),
    );
    nodeUid = (await adminJson<{ metadata: { uid: string } }>(['get', 'node', 'node-21'])).metadata.uid;
    // The webhook configuration (after the pool: with failurePolicy Fail and no controller serving it,
    // metallb.io writes are refused from here on) and one that is not the controller's.
    await admin(['apply', '-f', path.join(deployDir, 'webhook.yaml')]);
    await admin(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: 'someone-else' },
        webhooks: [],
      }),
    );
    for (const who of ['speaker', 'controller'] as const) {
      const token = await cp.tokenFor(NS, who);
      kubeconfigs[who] = cp.kubeconfigFor({ token, name: who });
    }
    // What any ServiceAccount may do without deploy/rbac (discovery, self reviews, trust bundles).
    await admin(['create', 'serviceaccount', 'unbound', '-n', NS]);
    const plain = new KubeCluster({
      kubeconfig: cp.kubeconfigFor({ token: await cp.tokenFor(NS, 'unbound'), name: 'unbound' }),
      fieldManager: 'bmlb-test',
      controller: 'bmlb.io/test',
    });
    clusters.push(plain);
    baseline = await review(plain);
  }, 180_000);

  afterAll(async () => {
    for (const c of clusters) await c.close();
    await cp?.close();
  });

  it('the speaker: its watches, status objects and Events are allowed', async () => {
    const errors: string[] = [];
    const c = connect('speaker', errors);
    // kube-source.ts
    const ns = { namespace: NS };
    const config: ResourceType[] = [
      Resources.IPAddressPool,
      Resources.BGPPeer,
      Resources.BGPAdvertisement,
      Resources.BFDProfile,
      Resources.Community,
      Resources.Secret,
    ];
    for (const t of config) c.watch(t, ns);
    const services = c.watch(Resources.Service);
    c.watch(Resources.EndpointSlice);
    const nodes = c.watch(Resources.Node, { fieldSelector: 'metadata.name=node-21' });
    // kube-status.ts: its own status objects, by label
    if (statusKinds) {
      c.watch(Resources.ServiceBGPStatus, { namespace: NS, labelSelector: `${LABEL_NODE}=node-21` });
      c.watch(Resources.BGPSessionState, { namespace: NS, labelSelector: `${LABEL_SESSION_NODE}=node-21` });
    }
    await sync(c, errors);
    expect(services.getByName('default', 'web')).toBeDefined();
    expect(nodes.getByName(undefined, 'node-21')?.metadata.uid).toBe(nodeUid);
    // The watches run (not only the lists): a Service created now arrives.
    await admin(['create', 'service', 'clusterip', 'web2', '--tcp=80:80', '-n', 'default']);
    await waitFor(() => services.getByName('default', 'web2') !== undefined, { what: 'web2 in the cache' });

    if (statusKinds) {
      const owner = [{ apiVersion: 'v1', kind: 'Node', name: 'node-21', uid: nodeUid }];
      const objects = [
        {
          type: Resources.ServiceBGPStatus,
          name: 'bgp-test',
          labels: { [LABEL_NODE]: 'node-21' },
          status: { node: 'node-21', serviceName: 'web', serviceNamespace: 'default', peers: [`${NS}/tor1`] },
        },
        {
          type: Resources.BGPSessionState,
          name: 'node-21-tor1',
          labels: { [LABEL_SESSION_NODE]: 'node-21' },
          status: { node: 'node-21', peer: `${NS}/tor1`, peerAddress: '10.0.0.1', bgpState: 'Established' },
        },
      ];
      for (const o of objects) {
        await c.writer.apply(o.type, {
          metadata: { name: o.name, namespace: NS, labels: o.labels, ownerReferences: owner },
          spec: {},
        });
        await c.writer.apply(
          o.type,
          { metadata: { name: o.name, namespace: NS }, status: o.status },
          {
            subresource: 'status',
          },
        );
        const got = await adminJson<{ status: unknown }>([
          'get',
          `${o.type.plural}.${o.type.group}`,
          o.name,
          '-n',
          NS,
        ]);
        expect(got.status).toEqual(o.status);
        await c.writer.delete(o.type, NS, o.name);
      }
    }

    // Events (kube-mode.ts): created, then a repeat becomes a series (PATCH).
    const svc = services.getByName('default', 'web');
    const ref = {
      apiVersion: 'v1',
      kind: 'Service',
      namespace: 'default',
      name: 'web',
      uid: svc?.metadata.uid,
    };
    const ev = {
      type: 'Normal' as const,
      reason: 'nodeAssigned',
      note: 'announcing from node "node-21" with protocol "bgp"',
    };
    c.events.record(ref, ev);
    await c.events.flush();
    c.events.record(ref, ev);
    await c.events.flush();
    expect(errors).toEqual([]);
    const events = await adminJson<{ items: { reason: string; series?: { count: number } }[] }>([
      'get',
      'events.events.k8s.io',
      '-n',
      'default',
      '--field-selector',
      'regarding.name=web',
    ]);
    expect(events.items.find((e) => e.reason === 'nodeAssigned')?.series?.count).toBe(2);
    console.log(
      `speaker: watched 11 kinds${statusKinds ? ' (with its 2 status kinds)' : ''}, ${statusKinds ? 'applied, status-applied and deleted ServiceBGPStatus and BGPSessionState, ' : ''}recorded an Event and its series: no 403`,
    );
  });

  it('the speaker: anything else is 403, and its rules are exactly what it uses', async () => {
    const c = connect('speaker', []);
    const api = c.client;
    await forbidden(api.request('GET', '/api/v1/namespaces/default/secrets'));
    await forbidden(api.request('GET', '/api/v1/secrets'));
    await forbidden(api.request('GET', '/api/v1/namespaces/default/secrets/other'));
    await forbidden(api.request('DELETE', '/api/v1/namespaces/default/services/web'));
    await forbidden(
      api.request('PUT', '/api/v1/namespaces/default/services/web/status', {
        body: await adminJson(['get', 'service', 'web', '-n', 'default']),
      }),
    );
    await forbidden(
      api.request('POST', `/apis/metallb.io/v1beta2/namespaces/${NS}/bgppeers`, {
        body: {
          apiVersion: 'metallb.io/v1beta2',
          kind: 'BGPPeer',
          metadata: { name: 'evil', namespace: NS },
          spec: { myASN: 64500, peerASN: 64501, peerAddress: '192.0.2.1' },
        },
      }),
    );
    await forbidden(
      api.request('PATCH', '/api/v1/nodes/node-21', {
        body: { metadata: { labels: { x: 'y' } } },
        contentType: 'application/merge-patch+json',
      }),
    );
    await forbidden(
      api.request('POST', `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`, {
        body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'bmlb-controller' } },
      }),
    );
    await forbidden(api.request('GET', '/api/v1/namespaces/default/pods'));
    const got = await review(c, baseline);
    const want = new Map(
      [...SPEAKER_RULES].filter(([k]) => statusKinds || !/servicebgpstatuses|bgpsessionstates/.test(k)),
    );
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(want));
    console.log(
      `speaker: 9 calls outside its job refused (403); its ${got.size} rules are exactly the expected`,
    );
  });

  it('the controller: its watches, Service status and annotations, pool status, Events, Lease, webhook Secret and caBundle are allowed', async () => {
    const errors: string[] = [];
    const c = connect('controller', errors);
    // controller.ts
    const services = c.watch(Resources.Service);
    c.watch(Resources.Namespace);
    const pools = c.watch(Resources.IPAddressPool, { namespace: NS });
    const rest: ResourceType[] = [
      Resources.BGPPeer,
      Resources.BGPAdvertisement,
      Resources.BFDProfile,
      Resources.Community,
    ];
    for (const t of rest) c.watch(t, { namespace: NS });
    await sync(c, errors);
    expect(pools.getByName(NS, 'pool-a')).toBeDefined();
    await admin(['create', 'service', 'clusterip', 'web3', '--tcp=80:80', '-n', 'default']);
    await waitFor(() => services.getByName('default', 'web3') !== undefined, { what: 'web3 in the cache' });

    // Service status (GET + PUT on /status) and the pool annotation (server-side apply), then removed.
    await c.writer.updateServiceStatus('default', 'web', () => ({ ingress: [{ ip: '203.0.113.1' }] }));
    await c.writer.applyServiceAnnotations('default', 'web', {
      'metallb.io/ip-allocated-from-pool': 'pool-a',
    });
    const svc = await adminJson<{
      metadata: { annotations?: Record<string, string>; uid: string };
      status: { loadBalancer: { ingress?: { ip: string }[] } };
    }>(['get', 'service', 'web', '-n', 'default']);
    expect(svc.status.loadBalancer.ingress?.[0]?.ip).toBe('203.0.113.1');
    expect(svc.metadata.annotations?.['metallb.io/ip-allocated-from-pool']).toBe('pool-a');
    await c.writer.applyServiceAnnotations('default', 'web', {});
    await c.writer.updateServiceStatus('default', 'web', () => ({}));

    // IPAddressPool status (server-side apply on /status).
    const status = { assignedIPv4: 1, assignedIPv6: 0, availableIPv4: 15, availableIPv6: 0 };
    await c.writer.apply(
      Resources.IPAddressPool,
      { metadata: { name: 'pool-a', namespace: NS }, status },
      {
        subresource: 'status',
      },
    );
    expect(
      (await adminJson<{ status: unknown }>(['get', 'ipaddresspools', 'pool-a', '-n', NS])).status,
    ).toEqual(status);

    // Events on a Service and on a metallb.io object (InvalidConfiguration), each with a series.
    const pool = pools.getByName(NS, 'pool-a');
    for (const [ref, ev] of [
      [
        { apiVersion: 'v1', kind: 'Service', namespace: 'default', name: 'web', uid: svc.metadata.uid },
        { type: 'Normal', reason: 'IPAllocated', note: 'Assigned IP ["203.0.113.1"]' },
      ],
      [
        {
          apiVersion: 'metallb.io/v1beta1',
          kind: 'IPAddressPool',
          namespace: NS,
          name: 'pool-a',
          uid: pool?.metadata.uid,
        },
        { type: 'Warning', reason: 'InvalidConfiguration', note: 'test' },
      ],
    ] as const) {
      c.events.record(ref, ev);
      await c.events.flush();
      c.events.record(ref, ev);
      await c.events.flush();
    }
    expect(errors).toEqual([]);

    // The Lease (main.ts): created by the first replica, renewed, released on shutdown.
    const stop = new AbortController();
    let led = false;
    const election = c.leaderElection({
      namespace: NS,
      name: 'bmlb-controller',
      identity: 'controller-0',
      leaseDurationMs: 4000,
      renewDeadlineMs: 3000,
      retryPeriodMs: 500,
      onStartedLeading: () => {
        led = true;
      },
    });
    const running = election.run(stop.signal);
    await waitFor(() => led, { what: 'the controller leading', timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 1200)); // at least one renewal (PUT)
    stop.abort();
    await running;
    const lease = await adminJson<{ spec: { holderIdentity?: string; leaseTransitions?: number } }>([
      'get',
      'lease',
      'bmlb-controller',
      '-n',
      NS,
    ]);
    expect(lease.spec.holderIdentity ?? '').toBe(''); // released

    // The webhook's Secret and caBundle (webhook/server.ts): read (absent), created, read, updated;
    // the configuration read and written back with a caBundle.
    const secretPath = `/api/v1/namespaces/${NS}/secrets/metallb-webhook-cert`;
    const secret = (data: Record<string, string>, rv?: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: 'metallb-webhook-cert', namespace: NS, ...(rv ? { resourceVersion: rv } : {}) },
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    });
    await notFound(c.client.request('GET', secretPath));
    await c.client.request('POST', `/api/v1/namespaces/${NS}/secrets`, {
      body: secret({ 'tls.crt': 'a', 'tls.key': 'b' }),
    });
    const s = await c.client.request<{ metadata: { resourceVersion: string } }>('GET', secretPath);
    await c.client.request('PUT', secretPath, {
      body: secret({ 'tls.crt': 'c', 'tls.key': 'd' }, s.metadata.resourceVersion),
    });
    const vwcPath =
      '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/metallb-webhook-configuration';
    const vwc = await c.client.request<{ webhooks: { clientConfig: Record<string, unknown> }[] }>(
      'GET',
      vwcPath,
    );
    for (const w of vwc.webhooks)
      w.clientConfig.caBundle = Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64');
    await c.client.request('PUT', vwcPath, { body: vwc });
    // liveObjects (webhook/server.ts): a fresh list of each kind.
    for (const r of METALLB) await c.client.request('GET', `/apis/metallb.io/v1beta1/namespaces/${NS}/${r}`);
    console.log(
      'controller: watched 7 kinds, wrote Service status and annotations, pool status, Events and their series, led and released the Lease, created and updated the webhook Secret, set caBundle: no 403',
    );
  });

  it('the controller: anything else is 403, and its rules are exactly what it uses', async () => {
    const c = connect('controller', []);
    const api = c.client;
    await forbidden(api.request('GET', `/api/v1/namespaces/${NS}/secrets`));
    await forbidden(api.request('GET', `/api/v1/namespaces/${NS}/secrets/bgp-password`));
    await forbidden(api.request('GET', '/api/v1/namespaces/default/secrets/other'));
    await forbidden(api.request('DELETE', '/api/v1/namespaces/default/services/web'));
    await forbidden(
      api.request('POST', '/api/v1/namespaces/default/services', {
        body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: { ports: [{ port: 1 }] } },
      }),
    );
    await forbidden(
      api.request('POST', `/apis/metallb.io/v1beta2/namespaces/${NS}/bgppeers`, {
        body: {
          apiVersion: 'metallb.io/v1beta2',
          kind: 'BGPPeer',
          metadata: { name: 'evil', namespace: NS },
          spec: { myASN: 64500, peerASN: 64501, peerAddress: '192.0.2.1' },
        },
      }),
    );
    await forbidden(
      api.request('PATCH', `/apis/metallb.io/v1beta1/namespaces/${NS}/ipaddresspools/pool-a`, {
        body: { spec: { autoAssign: false } },
        contentType: 'application/merge-patch+json',
      }),
    );
    await forbidden(api.request('GET', `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/other`));
    await forbidden(
      api.request(
        'GET',
        '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/someone-else',
      ),
    );
    await forbidden(api.request('GET', '/apis/discovery.k8s.io/v1/endpointslices'));
    await forbidden(api.request('GET', '/api/v1/nodes'));
    if (statusKinds)
      await forbidden(api.request('GET', `/apis/metallb.io/v1beta1/namespaces/${NS}/servicebgpstatuses`));
    const got = await review(c, baseline);
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(CONTROLLER_RULES));
    console.log(
      `controller: ${statusKinds ? 12 : 11} calls outside its job refused (403); its ${got.size} rules are exactly the expected`,
    );
  });
});
