// The speaker in Kubernetes mode against a real control plane and an FRR ToR: it runs in its node's
// network namespace with its ServiceAccount's token (deploy/rbac/speaker.yaml), reads the seed
// manifests from the API, announces the Service's IP, reports its sessions and announcements as
// BGPSessionState and ServiceBGPStatus objects and the Service's nodeAssigned Event, and keeps
// announcing without a flap while the API server is down for a minute.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeControlPlane, kubeSkipReason, Lab, labSkipReason, type Proc, waitFor } from '@bmlb/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_DENIED, waitForSessionEstablished } from './test-support/session-state.ts';
import { MAIN_TS, SEED_DIR, Topology } from './test-support/topology.ts';

const skip = labSkipReason({ frr: true }) ?? kubeSkipReason();
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const OUTAGE_MS = Number(process.env.BMLB_APISERVER_OUTAGE_MS ?? 60_000);
const IP = '203.0.113.10';

function crdFiles(): string[] {
  const dir = path.join(REPO, 'deploy/crds');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .map((f) => path.join(dir, f));
}

describe.skipIf(skip)('speaker in Kubernetes mode', () => {
  let cp: KubeControlPlane;
  let lab: Lab;
  let topo: Topology;
  let speaker: Proc;
  const kubectl = (args: string[], input?: string) => cp.kubectl(args, { input });
  const json = <T>(args: string[]) => cp.kubectlJson<T>(args);

  beforeAll(async () => {
    cp = await KubeControlPlane.start({ controllerManager: false, scheduler: false, kwok: false });
    lab = await Lab.create({ prefix: 'spk8s' });
    topo = await Topology.create(lab, { nodes: 1, tors: 1, bfd: true });
    const node = topo.node('node1');
    await cp.exposeIn(node.ns);

    await kubectl(['create', 'namespace', 'metallb-system']);
    for (const f of crdFiles()) await kubectl(['apply', '--server-side', '-f', f]);
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
    await kubectl(['apply', '-f', path.join(REPO, 'deploy/rbac/speaker.yaml')]);
    await kubectl(
      ['create', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node1' } }),
    );
    for (const f of fs
      .readdirSync(SEED_DIR)
      .filter((x) => x.endsWith('.yaml'))
      .sort())
      await kubectl(['apply', '-f', path.join(SEED_DIR, f)]);
    // No controller here: give web its IP as the controller would, and an endpoint on node1.
    await kubectl([
      'patch',
      'service',
      'web',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { loadBalancer: { ingress: [{ ip: IP }] } } }),
    ]);
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
        addressType: 'IPv4',
        ports: [{ port: 8443, protocol: 'TCP' }],
        endpoints: [{ addresses: ['10.244.1.10'], nodeName: 'node1', conditions: { ready: true } }],
      }),
    );

    const token = await cp.tokenFor('metallb-system', 'speaker');
    const kubeconfig = cp.kubeconfigFor({ token, name: 'speaker-node1' });
    speaker = lab.spawn(
      node.ns,
      [
        process.execPath,
        '--conditions=@bmlb/source',
        '--disable-warning=ExperimentalWarning',
        MAIN_TS,
        '--node-name',
        'node1',
        '--kubeconfig',
        kubeconfig,
        '--status-socket',
        node.statusSocket,
      ],
      { name: 'speaker-node1' },
    );
    await speaker.waitForOutput(/"event":"ready"/, { timeoutMs: 60_000 });
  }, 180_000);

  afterAll(async () => {
    await speaker?.stop(5000);
    await lab?.close();
    await cp?.close();
  });

  it('announces the seed Service from the API to the ToR, with its ServiceAccount only', async () => {
    await topo.waitNextHops(`${IP}/32`, ['10.0.0.11'], 30_000);
    expect(speaker.output()).toMatch(/BGP session established with 10\.0\.0\.1/);
    expect(speaker.output()).not.toMatch(API_DENIED);
  });

  it('reports sessions and announcements in the API, and the nodeAssigned Event', async () => {
    await waitForSessionEstablished(cp, 'metallb-system/tor1', speaker);
    // tor1 has the seed's BFD profile (05-bfd.yaml), tor2 none. The speaker writes its status
    // coalesced (every 2 s and soon after a change), so the first object that says Established and
    // BFD Up may predate the UPDATE it sent: wait for the row that counts it.
    const rows = [
      /node1-tor1\s+node1\s+metallb-system\/tor1\s+10\.0\.0\.1\s+Established\s+Up\s+1\s+0/,
      /node1-tor2\s+node1\s+metallb-system\/tor2\s+10\.0\.0\.2\s+(Active|Connect|Idle)\s+N\/A/,
    ];
    let table = '';
    await waitFor(
      async () => {
        table = (await kubectl(['get', 'bgpsessionstates', '-n', 'metallb-system'])).stdout;
        return rows.every((re) => re.test(table));
      },
      { timeoutMs: 10_000, what: 'the BGPSessionStates of tor1 (1 prefix sent) and tor2' },
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; last read:\n${table}`);
    });
    process.stdout.write(`${table}\n`);
    const statuses = await json<{
      items: { metadata: { labels: Record<string, string> }; status: unknown }[];
    }>(['get', 'servicebgpstatuses', '-n', 'metallb-system']);
    expect(statuses.items.map((s) => s.status)).toEqual([
      { node: 'node1', serviceName: 'web', serviceNamespace: 'default', peers: ['tor1', 'tor2'] },
    ]);
    expect(statuses.items[0]?.metadata.labels).toMatchObject({
      'metallb.io/node': 'node1',
      'metallb.io/service-name': 'web',
    });
    await waitFor(
      async () =>
        (
          await kubectl(['get', 'events', '-n', 'default', '--field-selector', 'reason=nodeAssigned'])
        ).stdout.includes('announcing from node "node1"'),
      { timeoutMs: 10_000, what: 'the nodeAssigned Event' },
    );
    const readyz = await new Promise<number>((resolve, reject) =>
      http
        .get({ socketPath: topo.node('node1').statusSocket, path: '/readyz' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject),
    );
    expect(readyz).toBe(200);
  });

  it(
    `keeps announcing, without a flap, while the API server is down (${OUTAGE_MS / 1000} s), then resyncs`,
    async () => {
      const tor = topo.tors[0] as NonNullable<(typeof topo.tors)[0]>;
      const before = (await topo.bgpPeers(tor))['10.0.0.11'];
      expect(before?.state).toBe('Established');
      await cp.stopApiserver();
      const end = Date.now() + OUTAGE_MS;
      while (Date.now() < end) {
        expect(
          await topo.nextHops(tor, `${IP}/32`),
          `the ToR's next hops ${((OUTAGE_MS - (end - Date.now())) / 1000).toFixed(0)} s into the outage`,
        ).toEqual(['10.0.0.11']);
        await new Promise((r) => setTimeout(r, Math.min(5000, Math.max(0, end - Date.now()))));
      }
      expect(speaker.output()).toMatch(/"event":"apiError"/);
      const said = (re: RegExp) =>
        speaker
          .output()
          .split('\n')
          .filter((l) => re.test(l))
          .slice(-30)
          .join('\n');
      const t0 = performance.now();
      await cp.startApiserver();
      const upMs = performance.now() - t0;
      // A change made after the outage reaches the ToR: the endpoint leaves (Local policy) → withdrawn.
      // The speaker's watches retry with client-go's capped backoff (at most 30 s), so the change
      // can wait up to that long for the next retry, then a re-list.
      await kubectl(['delete', 'endpointslice', 'web-1', '-n', 'default']);
      const t1 = performance.now();
      await topo.waitNextHops(`${IP}/32`, [], 60_000).catch((err: unknown) => {
        throw new Error(
          `${(err as Error).message}\nthe speaker's API errors and retries (kube-apiserver ready ${upMs.toFixed(0)} ms after its start):\n${said(/apiError|resync|relist|watch/i)}`,
        );
      });
      console.log(
        `kube-apiserver ready ${(upMs / 1000).toFixed(1)} s after its start; the deleted endpoint withdrawn at the ToR ${((performance.now() - t1) / 1000).toFixed(1)} s after the DELETE`,
      );
      const after = (await topo.bgpPeers(tor))['10.0.0.11'];
      if (after?.connectionsEstablished !== before?.connectionsEstablished) {
        // Say why: a BFD or hold-timer drop (a loaded machine) reads differently from a reset by the
        // speaker (a configuration it thought changed).
        throw new Error(
          `the session flapped during the outage; the speaker said:\n${said(/session|peer|bfd|config/i)}`,
        );
      }
      expect(after?.state).toBe('Established');
      expect(after?.connectionsEstablished).toBe(before?.connectionsEstablished);
      expect(after?.connectionsDropped).toBe(before?.connectionsDropped);
      expect(speaker.running).toBe(true);
    },
    OUTAGE_MS + 120_000,
  );
});
