// deploy/ against a real control plane with kwok nodes: the Helm chart (helm lint, helm template,
// helm install and upgrade), deploy/bmlb.yaml and the kustomize base are accepted by a server-side
// dry run, then applied for real; the speaker DaemonSet gets one Pod per node (a tainted node
// included), the controller Deployment its two replicas; the chart with default values renders the
// objects of deploy/bmlb.yaml; Pod Security: the namespace is `privileged`, the levels below it
// refuse the speaker's Pods for hostNetwork and its host ports only, and the controller runs under
// `restricted`. (What each ServiceAccount may do: rbac.interop.test.ts.)
import fs from 'node:fs';
import path from 'node:path';
import { KubeControlPlane, kubeSkipReason, waitFor } from '@bmlb/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  byId,
  chartDir,
  cleanupHelm,
  deployDir,
  helm,
  helmSkipReason,
  idOf,
  monitoringCrdsDir,
  NS,
  type Obj,
  objectsOf,
} from './test-support/deploy.ts';

const skip = kubeSkipReason() ?? helmSkipReason();
const NODES = ['node-21', 'node-22', 'node-23'];
const bmlbYaml = () => fs.readFileSync(path.join(deployDir, 'bmlb.yaml'), 'utf8');

interface Workload {
  status: {
    desiredNumberScheduled?: number;
    numberReady?: number;
    numberAvailable?: number;
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
  };
}
interface PodList {
  items: {
    metadata: { name: string };
    spec: { nodeName?: string; serviceAccountName?: string; hostNetwork?: boolean };
    status: { phase?: string };
  }[];
}

/** A control plane with three kwok nodes; node-23 carries the control-plane taint. */
async function cluster(): Promise<KubeControlPlane> {
  const cp = await KubeControlPlane.start();
  await cp.createNodes(
    NODES.map((name, i) => ({
      name,
      internalIP: `10.0.0.${21 + i}`,
      ...(name === 'node-23'
        ? { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }
        : {}),
    })),
  );
  return cp;
}

/** Server-side dry run, then for real; returns what the dry run printed. */
async function applyTwice(cp: KubeControlPlane, args: string[], input?: string): Promise<string> {
  const opts = input === undefined ? {} : { input };
  const dry = await cp.kubectl(['apply', '--server-side', '--dry-run=server', ...args], opts);
  await cp.kubectl(['apply', '--server-side', ...args], opts);
  return dry.stdout;
}

/** The DaemonSet has a running, ready Pod on each node, and the Deployment its replicas. */
async function expectRunning(cp: KubeControlPlane, what: string): Promise<void> {
  await cp.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
  const ds = await waitFor(
    async () => {
      const d = await cp.kubectlJson<Workload>(['get', 'daemonset', 'speaker', '-n', NS]);
      return d.status.numberReady === NODES.length ? d : undefined;
    },
    { timeoutMs: 60_000, what: 'a ready speaker on every node' },
  );
  const deploy = await waitFor(
    async () => {
      const d = await cp.kubectlJson<Workload>(['get', 'deployment', 'controller', '-n', NS]);
      return d.status.availableReplicas === 2 ? d : undefined;
    },
    { timeoutMs: 60_000, what: 'two available controller replicas' },
  );
  expect(ds.status.desiredNumberScheduled).toBe(NODES.length);
  const speakers = await cp.kubectlJson<PodList>([
    'get',
    'pods',
    '-n',
    NS,
    '-l',
    'app.kubernetes.io/component=speaker',
  ]);
  expect(speakers.items.map((p) => p.spec.nodeName).sort()).toEqual(NODES);
  for (const p of speakers.items) {
    expect(p.status.phase).toBe('Running');
    expect(p.spec.serviceAccountName).toBe('speaker');
    expect(p.spec.hostNetwork).toBe(true);
  }
  const controllers = await cp.kubectlJson<PodList>([
    'get',
    'pods',
    '-n',
    NS,
    '-l',
    'app.kubernetes.io/component=controller',
  ]);
  expect(controllers.items).toHaveLength(2);
  for (const p of controllers.items) {
    expect(p.status.phase).toBe('Running');
    expect(p.spec.serviceAccountName).toBe('controller');
  }
  // The metrics Service's endpoints are the nodes' addresses (hostNetwork), one per speaker.
  const addrs = await waitFor(
    async () => {
      const slices = await cp.kubectlJson<{ items: { endpoints?: { addresses: string[] }[] }[] }>([
        'get',
        'endpointslices',
        '-n',
        NS,
        '-l',
        'kubernetes.io/service-name=bmlb-speaker-metrics',
      ]);
      const a = slices.items.flatMap((sl) => (sl.endpoints ?? []).flatMap((e) => e.addresses)).sort();
      return a.length === NODES.length ? a : undefined;
    },
    { timeoutMs: 30_000, what: 'three endpoints of bmlb-speaker-metrics' },
  );
  expect(addrs).toEqual(['10.0.0.21', '10.0.0.22', '10.0.0.23']);
  console.log(
    `${what}: DaemonSet speaker ${ds.status.numberReady}/${ds.status.desiredNumberScheduled} ready on ${speakers.items
      .map((p) => p.spec.nodeName)
      .sort()
      .join(
        ', ',
      )} (node-23 tainted NoSchedule); Deployment controller ${deploy.status.availableReplicas}/${deploy.status.replicas} available; speaker metrics endpoints ${addrs.join(', ')}`,
  );
}

describe.skipIf(skip)('deploy/ on a real control plane with kwok nodes', () => {
  let cp: KubeControlPlane;

  beforeAll(async () => {
    cp = await cluster();
    // The prometheus-operator kinds the chart's monitoring objects use.
    for (const f of fs.readdirSync(monitoringCrdsDir()))
      await cp.kubectl(['apply', '--server-side', '-f', path.join(monitoringCrdsDir(), f)]);
  }, 180_000);

  afterAll(async () => {
    await cp?.close();
    cleanupHelm();
  });

  it('helm lint passes with the default values and with every option on', async () => {
    const plain = await helm(['lint', '--strict', chartDir]);
    expect(plain).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    const all = await helm([
      'lint',
      '--strict',
      chartDir,
      '--set',
      'namespace.create=true,serviceMonitor.enabled=true,prometheusRule.enabled=true,lbClass=bmlb,logLevel=debug,speaker.priorityClassName=system-node-critical,metrics.port=7473',
    ]);
    expect(all).toMatch(/0 chart\(s\) failed/);
    // The schema refuses what the apps would refuse at start.
    await expect(helm(['lint', chartDir, '--set', 'logLevel=verbose'])).rejects.toThrow(/logLevel/);
    await expect(helm(['lint', chartDir, '--set', 'metrics.port=80'])).rejects.toThrow(/metrics\/port/);
    console.log(
      'helm lint --strict: default values and every option on pass; a bad logLevel and a port below 1024 fail',
    );
  });

  it('the chart with default values renders exactly the objects of deploy/bmlb.yaml', async () => {
    const rendered = await helm([
      'template',
      'bmlb',
      chartDir,
      '--namespace',
      NS,
      '--include-crds',
      '--set',
      'namespace.create=true',
    ]);
    const fromChart = byId(await objectsOf(cp, rendered));
    const fromFile = byId(await objectsOf(cp, bmlbYaml()));
    expect([...fromChart.keys()].sort()).toEqual([...fromFile.keys()].sort());
    for (const [id, o] of fromFile) expect(fromChart.get(id), id).toEqual(o);
    // The kustomize base: the same objects again.
    const kustomized = byId(await objectsOf(cp, (await cp.kubectl(['kustomize', deployDir])).stdout));
    expect([...kustomized.keys()].sort()).toEqual([...fromFile.keys()].sort());
    for (const [id, o] of fromFile) expect(kustomized.get(id), id).toEqual(o);
    const kinds = new Map<string, number>();
    for (const o of fromFile.values()) kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
    console.log(
      `helm template (defaults) = kubectl kustomize deploy = deploy/bmlb.yaml: ${fromFile.size} objects (${[
        ...kinds,
      ]
        .map(([k, n]) => `${n} ${k}`)
        .join(', ')})`,
    );
  });

  it('helm template output: server-side dry run, then applied; a speaker on every node, two controllers', async () => {
    // The release's namespace first, as `kubectl apply -f deploy/namespace.yaml` before `helm install`.
    await applyTwice(cp, ['-f', path.join(deployDir, 'namespace.yaml')]);
    const rendered = await helm([
      'template',
      'bmlb',
      chartDir,
      '--namespace',
      NS,
      '--include-crds',
      '--set',
      'serviceMonitor.enabled=true,prometheusRule.enabled=true',
    ]);
    const objects = await objectsOf(cp, rendered);
    const dry = await applyTwice(cp, ['-f', '-'], rendered);
    expect(dry.trim().split('\n')).toHaveLength(objects.length);
    expect(dry).toMatch(
      /servicemonitor\.monitoring\.coreos\.com\/bmlb-speaker serverside-applied \(server dry run\)/,
    );
    expect(dry).toMatch(
      /prometheusrule\.monitoring\.coreos\.com\/bmlb serverside-applied \(server dry run\)/,
    );
    await expectRunning(cp, 'helm template');
    // The PodMonitor variant is accepted too (alone: the chart refuses both at once).
    const pods = await helm(['template', 'bmlb', chartDir, '-n', NS, '--set', 'podMonitor.enabled=true']);
    const pm = (await objectsOf(cp, pods)).filter((o) => o.kind === 'PodMonitor');
    expect(pm.map(idOf).sort()).toEqual([
      `PodMonitor ${NS}/bmlb-controller`,
      `PodMonitor ${NS}/bmlb-speaker`,
    ]);
    await cp.kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], {
      input: pm.map((o) => JSON.stringify(o)).join('\n'),
    });
    await expect(
      helm(['template', 'bmlb', chartDir, '--set', 'podMonitor.enabled=true,serviceMonitor.enabled=true']),
    ).rejects.toThrow(/not both/);
    console.log(
      `helm template with ServiceMonitors and the PrometheusRule: ${objects.length} objects through a server-side dry run, then applied; PodMonitors accepted by a dry run`,
    );
  });

  it('deploy/bmlb.yaml and the kustomize base on a fresh control plane: dry run, then applied', async () => {
    await using fresh = await cluster();
    const objects = await objectsOf(fresh, bmlbYaml());
    // A server-side dry run of a namespaced object needs its namespace: the file's Namespace (its
    // first object) goes first, dry run then for real, as a real `kubectl apply` of the file does.
    const namespace = objects.filter((o) => o.kind === 'Namespace');
    expect(namespace.map(idOf)).toEqual([`Namespace ${NS}`]);
    await applyTwice(fresh, ['-f', '-'], JSON.stringify(namespace[0]));
    const dry = await applyTwice(fresh, ['-f', path.join(deployDir, 'bmlb.yaml')]);
    expect(dry.trim().split('\n')).toHaveLength(objects.length);
    await expectRunning(fresh, 'deploy/bmlb.yaml');
    // Applying the kustomize base over it changes nothing (the same objects, the same field manager).
    const k = await fresh.kubectl(['apply', '--server-side', '-k', deployDir]);
    expect(k.stdout.trim().split('\n')).toHaveLength(objects.length);
    const ns = await fresh.kubectlJson<{ metadata: { labels: Record<string, string> } }>([
      'get',
      'namespace',
      NS,
    ]);
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
  });

  it('helm install into the labelled namespace, then helm upgrade with other values', async () => {
    await using fresh = await cluster();
    await fresh.kubectl(['apply', '-f', path.join(deployDir, 'namespace.yaml')]);
    const kc = ['--kubeconfig', fresh.kubeconfig, '-n', NS];
    const installed = await helm(['install', 'bmlb', chartDir, ...kc, '--wait', '--timeout', '2m'], {
      timeoutMs: 180_000,
    });
    expect(installed).toMatch(/STATUS: deployed/);
    await expectRunning(fresh, 'helm install');
    // The CRDs came from the chart's crds/.
    const crds = await fresh.kubectlJson<{ items: { metadata: { name: string } }[] }>(['get', 'crd']);
    expect(crds.items.map((c) => c.metadata.name).sort()).toEqual(
      (await objectsOf(fresh, bmlbYaml()))
        .filter((o) => o.kind === 'CustomResourceDefinition')
        .map((o) => o.metadata.name)
        .sort(),
    );
    // No --wait: kwok v0.8.0 does not always finish deleting a Pod (seen here: some stay
    // Terminating), which stalls a rolling update; the new revision's objects are checked instead.
    await helm(['upgrade', 'bmlb', chartDir, ...kc, '--set', 'logLevel=debug,lbClass=bmlb']);
    const ds = await fresh.kubectlJson<{
      spec: { template: { spec: { containers: { args: string[] }[] } } };
    }>(['get', 'daemonset', 'speaker', '-n', NS]);
    expect(ds.spec.template.spec.containers[0]?.args).toEqual([
      `--namespace=${NS}`,
      '--metrics-address=[$(POD_IP)]:7472',
      '--log-level=debug',
      '--lb-class=bmlb',
    ]);
    const deploy = await fresh.kubectlJson<{
      spec: { template: { spec: { containers: { args: string[] }[] } } };
    }>(['get', 'deployment', 'controller', '-n', NS]);
    expect(deploy.spec.template.spec.containers[0]?.args).toEqual([
      `--namespace=${NS}`,
      '--log-level=debug',
      '--lb-class=bmlb',
    ]);
    const history = await helm(['history', 'bmlb', ...kc]);
    expect(history).toMatch(/^2\s.*deployed\s+bmlb-0\.1\.0/m);
    console.log(
      `helm upgrade --set logLevel=debug,lbClass=bmlb: revision 2 deployed, both workloads' args updated`,
    );
  });

  it('Pod Security: below privileged only hostNetwork and its host ports refuse the speaker; the controller meets restricted', async () => {
    const objects = await objectsOf(cp, bmlbYaml());
    const workloads = ['DaemonSet', 'Deployment'].map((k) => objects.find((o) => o.kind === k) as Obj);
    /** The checks a PodSecurity message names: `host namespaces (…), hostPort (…)` → names. */
    const checks = (msg: string, level: string) => {
      const m = new RegExp(`violates? PodSecurity "${level}:latest": (.*)$`, 'm').exec(msg);
      return m?.[1]?.split(/, (?=[a-z])/).map((v) => v.replace(/ \(.*$/, ''));
    };
    const seen: string[] = [];
    for (const level of ['baseline', 'restricted']) {
      const ns = `pss-${level}`;
      await cp.kubectl(['create', 'namespace', ns]);
      await cp.kubectl(['label', 'namespace', ns, `pod-security.kubernetes.io/enforce=${level}`]);
      await cp.kubectl(['create', 'serviceaccount', 'speaker', '-n', ns]);
      await cp.kubectl(['create', 'serviceaccount', 'controller', '-n', ns]);
      for (const w of workloads) {
        // The workload itself is admitted, with a warning naming what its Pods would violate ...
        const moved = { ...w, metadata: { ...w.metadata, namespace: ns } };
        const applied = await cp.kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], {
          input: JSON.stringify(moved),
        });
        // ... and its Pods are what is enforced: one from its template, through the admission chain
        // (server-side dry run: defaulted, then judged, nothing stored).
        const template = (w.spec as { template: { metadata: Obj['metadata']; spec: unknown } }).template;
        const pod = {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `${w.metadata.name}-probe`, namespace: ns, labels: template.metadata.labels },
          spec: template.spec,
        };
        const r = await cp.kubectl(['create', '--dry-run=server', '-f', '-'], {
          input: JSON.stringify(pod),
          allowFail: true,
        });
        const warned = applied.stderr.trim() === '' ? 'no warning' : applied.stderr.trim();
        const verdict = r.code === 0 ? 'Pod admitted' : r.stderr.trim();
        seen.push(`${w.kind} in ${ns}: ${warned}; ${verdict}`);
        if (w.kind === 'DaemonSet') {
          expect(r.code).not.toBe(0);
          expect(checks(r.stderr, level)).toEqual(['host namespaces', 'hostPort']);
          expect(r.stderr).toMatch(/hostPort \(container "speaker" uses hostPorts 3784, 4784, 7472\)/);
          expect(checks(applied.stderr, level)).toEqual(['host namespaces']);
        } else {
          expect(r.code, r.stderr).toBe(0);
          expect(applied.stderr.trim()).toBe('');
        }
      }
      await cp.kubectl(['delete', 'namespace', ns, '--wait=false']);
    }
    console.log(`Pod Security:\n  ${seen.join('\n  ')}`);
  });
});
