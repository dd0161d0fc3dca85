import fs from 'node:fs';
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pidAlive } from '../frr.ts';
import { Lab } from '../lab.ts';
import { TcpProxy } from '../tcp-proxy.ts';
import { waitFor } from '../wait.ts';
import { kubeSkipReason } from './binaries.ts';
import { KubeControlPlane } from './control-plane.ts';

const skip = kubeSkipReason();

interface WatchEvent {
  type: string;
  object: { kind?: string; code?: number; metadata?: { name?: string; resourceVersion?: string } };
}

/** A streaming watch over HTTPS, verified against the control plane's CA. */
function openWatch(server: string, caPem: string, token: string, apiPath: string) {
  const events: WatchEvent[] = [];
  let req: ReturnType<typeof https.get> | undefined;
  const ended = new Promise<{ status: number; error?: string }>((resolve) => {
    let status = 0;
    req = https.get(
      `${server}${apiPath}`,
      { ca: caPem, agent: false, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        status = res.statusCode ?? 0;
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buf += d;
          for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
            const line = buf.slice(0, i).trim();
            buf = buf.slice(i + 1);
            if (line) events.push(JSON.parse(line) as WatchEvent);
          }
        });
        // A reset connection can surface as 'end' of an incomplete message rather than 'error'.
        res.on('end', () =>
          resolve(res.complete ? { status } : { status, error: 'aborted: incomplete message' }),
        );
        res.on('error', (e) => resolve({ status, error: e.message }));
      },
    );
    req.on('error', (e) => resolve({ status, error: e.message }));
  });
  return { events, ended, close: () => req?.destroy() };
}

interface EndpointSlice {
  endpoints?: Array<{ addresses: string[]; nodeName?: string; conditions?: { ready?: boolean } }>;
}

describe.skipIf(skip)('KubeControlPlane', () => {
  let cp: KubeControlPlane;

  beforeAll(async () => {
    cp = await KubeControlPlane.start();
    process.stderr.write(`control plane started: ${JSON.stringify(cp.timings)}\n`);
  }, 120_000);

  afterAll(async () => {
    if (!cp) return;
    const pids = cp.pids();
    const dir = cp.dir;
    expect(pids.length).toBe(5);
    await cp.close();
    expect(pids.filter(pidAlive)).toEqual([]);
    expect(fs.existsSync(dir)).toBe(false);
  }, 60_000);

  it('serves a CA-verified API with an admin kubeconfig', async () => {
    expect(cp.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const kc = fs.readFileSync(cp.kubeconfig, 'utf8');
    expect(kc).toContain('certificate-authority-data');
    expect(kc).not.toContain('insecure-skip-tls-verify');
    const version = await cp.kubectlJson<{ serverVersion: { gitVersion: string } }>(['version']);
    expect(version.serverVersion.gitVersion).toBe('v1.37.2');
    // A client that does not trust the CA is refused by its own TLS check.
    await expect(
      new Promise((resolve, reject) =>
        https.get(`${cp.server}/readyz`, { agent: false }, resolve).on('error', reject),
      ),
    ).rejects.toThrow(/self-signed|unable to verify|certificate/i);
    const failed = await cp.kubectl(['get', 'nosuchkind'], { allowFail: true });
    expect(failed.code).not.toBe(0);
    await expect(cp.kubectl(['get', 'nosuchkind'])).rejects.toThrow(/exit 1.*kubectl.*get nosuchkind/s);
  });

  it('kwok nodes become Ready with their InternalIP', async () => {
    await cp.createNodes(
      [21, 22, 23].map((n) => ({ name: `node-${n}`, internalIP: `10.0.0.${n}`, labels: { rack: 'r1' } })),
    );
    const nodes = await cp.kubectlJson<{
      items: Array<{
        metadata: { name: string; labels: Record<string, string> };
        status: { addresses: unknown[] };
      }>;
    }>(['get', 'nodes']);
    expect(nodes.items.map((n) => n.metadata.name).sort()).toEqual(['node-21', 'node-22', 'node-23']);
    const n21 = nodes.items.find((n) => n.metadata.name === 'node-21')!;
    expect(n21.status.addresses).toContainEqual({ type: 'InternalIP', address: '10.0.0.21' });
    expect(n21.metadata.labels.rack).toBe('r1');
  });

  it('a Deployment gets Ready Pods; its Service an EndpointSlice that follows a drain', async () => {
    await cp.apply(`apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: default }
spec:
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      topologySpreadConstraints:
      - { maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule,
          nodeTaintsPolicy: Honor, labelSelector: { matchLabels: { app: web } } }
      containers:
      - { name: web, image: registry.k8s.io/pause:3.10, ports: [{ containerPort: 8080 }] }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: default }
spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080 }]
`);
    await cp.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    const pods = await cp.kubectlJson<{
      items: Array<{ spec: { nodeName: string }; status: { phase: string; podIP: string } }>;
    }>(['get', 'pods', '-l', 'app=web']);
    expect(pods.items.map((p) => p.status.phase)).toEqual(['Running', 'Running', 'Running']);
    expect(pods.items.map((p) => p.spec.nodeName).sort()).toEqual(['node-21', 'node-22', 'node-23']);

    const readyEndpoints = async () => {
      const slices = await cp.kubectlJson<{ items: EndpointSlice[] }>([
        'get',
        'endpointslices',
        '-l',
        'kubernetes.io/service-name=web',
      ]);
      return slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready);
    };
    await waitFor(async () => (await readyEndpoints()).length === 3, {
      timeoutMs: 30_000,
      what: 'three ready endpoints',
    });
    expect((await readyEndpoints()).map((e) => e.nodeName).sort()).toEqual(['node-21', 'node-22', 'node-23']);

    await cp.kubectl(['drain', 'node-21', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=60s']);
    const after = await waitFor(
      async () => {
        const eps = await readyEndpoints();
        return eps.length === 3 && eps.every((e) => e.nodeName !== 'node-21') ? eps : undefined;
      },
      { timeoutMs: 30_000, what: 'the endpoints to leave node-21' },
    );
    expect(new Set(after.map((e) => e.nodeName))).toEqual(new Set(['node-22', 'node-23']));
    const node = await cp.kubectlJson<{ spec: { unschedulable?: boolean } }>(['get', 'node', 'node-21']);
    expect(node.spec.unschedulable).toBe(true);
  });

  it('tokenFor + kubeconfigFor: a ServiceAccount client gets what its RBAC allows, 403 elsewhere', async () => {
    await cp.apply(`apiVersion: v1
kind: ServiceAccount
metadata: { name: reader, namespace: default }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: pod-reader, namespace: default }
rules: [{ apiGroups: [""], resources: [pods], verbs: [get, list, watch] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: reader, namespace: default }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader }
subjects: [{ kind: ServiceAccount, name: reader, namespace: default }]
`);
    const token = await cp.tokenFor('default', 'reader', { seconds: 600 });
    expect(token.split('.')).toHaveLength(3); // a JWT
    const kubeconfig = cp.kubeconfigFor({ token, name: 'reader' });
    const ok = await cp.kubectl(['get', 'pods', '-n', 'default', '-o', 'name'], { kubeconfig });
    expect(ok.stdout).toContain('pod/web-');
    const denied = await cp.kubectl(['get', 'secrets', '-n', 'default'], { kubeconfig, allowFail: true });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/forbidden.*system:serviceaccount:default:reader/i);
    expect((await cp.request('/api/v1/namespaces/default/secrets', { token })).status).toBe(403);
    expect((await cp.request('/api/v1/namespaces/default/pods', { token })).status).toBe(200);
  });

  it('restartApiserver: same port, the data stays, a watch sees the outage', async () => {
    await cp.kubectl(['create', 'configmap', 'survivor', '-n', 'default', '--from-literal=k=v']);
    const w = openWatch(cp.server, cp.caPem, cp.adminToken, '/api/v1/namespaces/default/configmaps?watch=1');
    await waitFor(() => w.events.some((e) => e.object.metadata?.name === 'survivor'), {
      timeoutMs: 10_000,
      what: 'the watch to list survivor',
    });
    const port = cp.port;
    await cp.stopApiserver();
    const outage = await Promise.race([
      w.ended,
      new Promise((r) => setTimeout(() => r('still open'), 10_000)),
    ]);
    expect(outage).not.toBe('still open');
    expect((await cp.kubectl(['get', 'ns'], { allowFail: true, timeoutMs: 10_000 })).code).not.toBe(0);
    await cp.startApiserver();
    expect(cp.port).toBe(port);
    const cm = await cp.kubectlJson<{ data: Record<string, string> }>(['get', 'configmap', 'survivor']);
    expect(cm.data).toEqual({ k: 'v' });
    await cp.restartApiserver({ signal: 'SIGKILL' });
    expect(
      (await cp.kubectlJson<{ data: Record<string, string> }>(['get', 'configmap', 'survivor'])).data,
    ).toEqual({
      k: 'v',
    });
  });

  it('compact: a watch from a resourceVersion before the compaction gets 410 Gone', async () => {
    await cp.kubectl(['create', 'configmap', 'old', '-n', 'default', '--from-literal=n=0']);
    const created = await cp.kubectlJson<{ metadata: { resourceVersion: string } }>([
      'get',
      'configmap',
      'old',
    ]);
    const rv = created.metadata.resourceVersion;
    for (let i = 1; i <= 3; i++)
      await cp.kubectl(['patch', 'configmap', 'old', '-p', JSON.stringify({ data: { n: String(i) } })]);
    const watchPath = `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}&timeoutSeconds=1`;
    // Before: the watch cache replays the updates since rv.
    const before = await cp.request(watchPath, { timeoutMs: 15_000 });
    expect(before.status).toBe(200);
    expect(before.body.split('\n').filter((l) => l.includes('"MODIFIED"'))).toHaveLength(3);

    const liveWatch = openWatch(
      cp.server,
      cp.caPem,
      cp.adminToken,
      '/api/v1/namespaces/default/configmaps?watch=1',
    );
    const revision = await cp.compact();
    expect(revision).toBeGreaterThan(Number(rv));
    // Watches open at the time end (their cache re-listed), as when an apiserver loses etcd.
    await liveWatch.ended;

    const after = await cp.request(watchPath, { timeoutMs: 15_000 });
    const events = after.body
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as WatchEvent);
    expect(events).toHaveLength(1);
    expect(events[0]?.type).toBe('ERROR');
    expect(events[0]?.object.code).toBe(410);
    // A watch from now on works.
    const current = await cp.kubectlJson<{ metadata: { resourceVersion: string } }>(['get', 'configmaps']);
    const fresh = await cp.request(
      `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${current.metadata.resourceVersion}&timeoutSeconds=1`,
      { timeoutMs: 15_000 },
    );
    expect(fresh.status).toBe(200);
    expect(fresh.body).not.toContain('"ERROR"');
    // kubectl's raw view of the same.
    const raw = await cp.kubectl(['get', '--raw', watchPath]);
    expect(raw.stdout).toMatch(/"code":410/);
  });

  it('through a TcpProxy: cut resets watches and refuses clients, blackhole holds them, restore heals', async () => {
    await using proxy = await TcpProxy.start({ target: cp.server });
    const viaProxy = `https://127.0.0.1:${proxy.port}`;
    const kubeconfig = cp.kubeconfigFor({ token: cp.adminToken, server: viaProxy, name: 'via-proxy' });
    expect((await cp.kubectl(['get', 'ns', 'default', '-o', 'name'], { kubeconfig })).stdout.trim()).toBe(
      'namespace/default',
    );
    const w = openWatch(viaProxy, cp.caPem, cp.adminToken, '/api/v1/namespaces/default/configmaps?watch=1');
    await waitFor(() => w.events.length > 0, { what: 'the proxied watch to list' });
    await proxy.cut();
    expect((await w.ended).error).toMatch(/ECONNRESET|aborted|socket hang up/);
    const refused = await cp.kubectl(['get', 'ns', '--request-timeout=5s'], { kubeconfig, allowFail: true });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/refused/);
    await proxy.restore();
    expect((await cp.kubectl(['get', 'ns', 'default', '-o', 'name'], { kubeconfig })).code).toBe(0);

    await proxy.cut('blackhole');
    const heldViaProxy = new Promise<number>((resolve, reject) =>
      https
        .get(
          `${viaProxy}/api/v1/namespaces/default`,
          { ca: cp.caPem, agent: false, headers: { authorization: `Bearer ${cp.adminToken}` } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        )
        .on('error', reject),
    );
    const stillPending = await Promise.race([
      heldViaProxy,
      new Promise((r) => setTimeout(() => r('pending'), 1_000)),
    ]);
    expect(stillPending).toBe('pending');
    await proxy.restore();
    expect(await heldViaProxy).toBe(200);
  });

  it('exposeIn: a lab namespace reaches the apiserver at the same address, certificate verified', async () => {
    await using lab = await Lab.create({ prefix: 'kexp' });
    const ns = await lab.namespace('node');
    // Before: nothing listens on the apiserver's port inside the namespace.
    const before = await lab
      .exec(ns, [
        `${cp.binDir}/kubectl`,
        `--kubeconfig=${cp.kubeconfig}`,
        'get',
        'ns',
        'default',
        '--request-timeout=3s',
      ])
      .then(
        () => 'reached',
        () => 'unreachable',
      );
    expect(before).toBe('unreachable');
    await cp.exposeIn(ns);
    const out = await lab.exec(ns, [
      `${cp.binDir}/kubectl`,
      `--kubeconfig=${cp.kubeconfig}`,
      'get',
      'ns',
      'default',
      '-o',
      'name',
    ]);
    expect(out.trim()).toBe('namespace/default');
  });
});
