// The speaker image (deploy/images/build.sh) in a lab node's network namespace, next to an FRR ToR,
// in Kubernetes mode against a real control plane: the container runs as deploy/speaker.yaml runs
// it (user 65534, every capability dropped, read-only root filesystem, /run a directory of the node's), with a
// kubeconfig holding the ServiceAccount token of deploy/rbac/speaker.yaml mounted read-only; the
// apiserver is reached at the same 127.0.0.1 address through the control plane's relay in the
// namespace. CI builds the images before the tests; elsewhere the file is skipped until
// `deploy/images/build.sh speaker` ran.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Container,
  deployEnv,
  imageSkipReason,
  inspectImage,
  KubeControlPlane,
  kubeSkipReason,
  Lab,
  labSkipReason,
  waitFor,
} from '@bmlb/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_DENIED, waitForSessionEstablished } from './test-support/session-state.ts';
import { SEED_DIR, serviceManifests, Topology } from './test-support/topology.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const version = (
  JSON.parse(fs.readFileSync(path.join(REPO, 'apps/speaker/package.json'), 'utf8')) as { version: string }
).version;
const IMAGE = `localhost/bmlb-speaker:${process.env.BMLB_IMAGE_TAG ?? version}`;
const skip =
  labSkipReason({ frr: true }) ??
  kubeSkipReason() ??
  imageSkipReason(IMAGE, 'deploy/images/build.sh speaker');
const NOBODY = 65534;
const KUBECONFIG = '/var/run/bmlb/kubeconfig';
const IP = '203.0.113.10';
const NODE_ADDR = '10.0.0.11';

describe.skipIf(skip)('the speaker image next to an FRR ToR, in Kubernetes mode', () => {
  let cp: KubeControlPlane;
  let lab: Lab;
  let topo: Topology;
  let ctr: Container;
  const kubectl = (args: string[], input?: string) => cp.kubectl(args, { input });

  beforeAll(async () => {
    const t0 = performance.now();
    const info = await inspectImage(IMAGE);
    process.stdout.write(
      `${IMAGE}: ${(info.bytes / 1e6).toFixed(1)} MB, ${info.layers} layers, user ${info.user || 'root'}\n`,
    );
    cp = await KubeControlPlane.start({ controllerManager: false, scheduler: false, kwok: false });
    lab = await Lab.create({ prefix: 'spimg' });
    topo = await Topology.create(lab, { nodes: 1, tors: 1, bfd: true });
    const node = topo.node('node1');
    await cp.exposeIn(node.ns);

    await kubectl(['create', 'namespace', 'metallb-system']);
    const crds = path.join(REPO, 'deploy/crds');
    for (const f of fs.readdirSync(crds).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml'))
      await kubectl(['apply', '--server-side', '-f', path.join(crds, f)]);
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
    await kubectl(['apply', '-f', path.join(REPO, 'deploy/rbac/speaker.yaml')]);
    await kubectl(
      ['create', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node1' } }),
    );
    // The seed's pool, peers (tor1 with BFD; tor2 is not in this lab), advertisement and BFD profile.
    for (const f of ['01-ipaddresspool.yaml', '02-bgppeers.yaml', '03-bgpadvertisement.yaml', '05-bfd.yaml'])
      await kubectl(['apply', '-f', path.join(SEED_DIR, f)]);
    // No controller here: the Service with its IP in status, as the controller writes it, and a
    // ready endpoint on node1 (Local policy: node1 announces).
    await kubectl(
      ['apply', '-f', '-'],
      serviceManifests({
        name: 'web',
        ips: [IP],
        policy: 'Local',
        endpointsOn: ['node1'],
        pool: 'prod-pool',
      }),
    );
    await kubectl([
      'patch',
      'service',
      'web',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { loadBalancer: { ingress: [{ ip: IP }] } } }),
    ]);

    // The ServiceAccount's kubeconfig, readable by the container's user only.
    const token = await cp.tokenFor('metallb-system', 'speaker');
    const kubeconfig = path.join(lab.dir, 'speaker.kubeconfig');
    fs.copyFileSync(cp.kubeconfigFor({ token, name: 'speaker-image' }), kubeconfig);
    fs.chownSync(kubeconfig, NOBODY, NOBODY);
    fs.chmodSync(kubeconfig, 0o400);
    // /run (the status socket) is a directory of the node's, as the DaemonSet's emptyDir is: podman
    // mounts its own /run tmpfs at 0755 whatever mode a --tmpfs asks for.
    const runDir = path.join(lab.dir, 'speaker-run');
    fs.mkdirSync(runDir);
    fs.chownSync(runDir, NOBODY, NOBODY);
    ctr = Container.start(IMAGE, {
      name: `bmlb-test-speaker-${process.pid}`,
      network: node.ns,
      user: `${NOBODY}:${NOBODY}`,
      mounts: [
        { source: kubeconfig, target: KUBECONFIG },
        { source: runDir, target: '/run', readOnly: false },
      ],
      // The DaemonSet's environment (deploy/speaker.yaml: V8's heap limits, malloc arenas).
      env: { ...deployEnv('speaker'), NODE_NAME: 'node1' },
      args: [
        `--kubeconfig=${KUBECONFIG}`,
        '--namespace=metallb-system',
        `--metrics-address=${NODE_ADDR}:7472`,
      ],
      logFile: path.join(lab.dir, 'speaker-container.log'),
    });
    await ctr.waitForOutput(/"event":"ready"/, { timeoutMs: 60_000 });
    process.stdout.write(
      `speaker container ready ${((performance.now() - t0) / 1000).toFixed(1)} s after start\n`,
    );
  }, 120_000);

  afterAll(async () => {
    ctr?.closeSync();
    await lab?.close();
    await cp?.close();
  }, 60_000);

  it('runs as 65534 with no capability', async () => {
    const status = await ctr.exec([
      '/usr/local/bin/node',
      '-p',
      'require("fs").readFileSync("/proc/self/status", "utf8")',
    ]);
    expect(status).toMatch(/^Uid:\s+65534\s+65534\s+65534\s+65534$/m);
    for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'])
      expect(status).toMatch(new RegExp(`^${set}:\\s+0{16}$`, 'm'));
  });

  it('the Service’s /32 reaches the ToR’s RIB and FIB via the node', async () => {
    await topo.waitNextHops(`${IP}/32`, [NODE_ADDR], 30_000).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n--- speaker ---\n${ctr.output().slice(-3000)}`);
    });
    const fib = JSON.parse(await topo.torNs[0]!.exec(['ip', '-j', 'route', 'show', `${IP}/32`])) as {
      dst: string;
      gateway?: string;
      protocol?: string;
    }[];
    expect(fib).toMatchObject([{ dst: IP, gateway: NODE_ADDR, protocol: 'bgp' }]);
    expect(ctr.output()).not.toMatch(API_DENIED);
  });

  it('reports the session Established (BFD Up) in a BGPSessionState, and answers `speaker status`', async () => {
    await waitForSessionEstablished(cp, 'metallb-system/tor1', ctr);
    const table = (await kubectl(['get', 'bgpsessionstates', '-n', 'metallb-system'])).stdout;
    process.stdout.write(`${table}\n`);
    expect(table).toMatch(/node1-tor1\s+node1\s+metallb-system\/tor1\s+10\.0\.0\.1\s+Established\s+Up/);
    // The bin's own status command, in the container, over the socket in its /run.
    const status = await ctr.exec(['/usr/local/bin/node', '/app/dist/main.js', 'status']);
    process.stdout.write(`${status}\n`);
    expect(status).toMatch(/10\.0\.0\.1\b[^\n]*Established/);
  });

  it('SIGTERM (podman stop): exits 0, Cease to the ToR, the route withdrawn', async () => {
    const tor = topo.tors[0]!;
    const t0 = performance.now();
    const exit = await ctr.stop(15);
    const ms = performance.now() - t0;
    expect(exit, ctr.output().slice(-3000)).toEqual({ code: 0, signal: null });
    expect(ctr.output()).toMatch(/"event":"shutdown","signal":"SIGTERM"/);
    await topo.waitNextHops(`${IP}/32`, [], 10_000);
    await waitFor(() => /10\.0\.0\.11[^\n]*6\/2 \(Cease\/Administrative Shutdown\)/.test(tor.logs('bgpd')), {
      timeoutMs: 10_000,
      what: 'tor1 to log the Cease 6/2 from node1',
    });
    expect(tor.logs('bgpd')).toMatch(/bmlb speaker on node node1 shutting down \(SIGTERM\)/);
    process.stdout.write(`speaker container stopped in ${(ms / 1000).toFixed(1)} s\n`);
  });
});
