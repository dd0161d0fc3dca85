// Helpers for the controller's tests against a real control plane (@bmlb/netlab's KubeControlPlane):
// the CRDs, the controller's own RBAC from deploy/ (the controller runs as its ServiceAccount, so
// every test also checks that RBAC), the webhook configuration pointed at a loopback URL, and
// controller processes started from source as the bin runs.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { type KubeControlPlane, Proc, waitFor } from '@bmlb/netlab';
import { resolveSharedData } from '@bmlb/shared-data';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');
export const controllerDir = path.join(repoRoot, 'apps/controller');
export const seedDir = resolveSharedData('seed-manifests');
/** The workspace's Node 24 binary itself (node_modules/.bin/node is a shell wrapper: a signal to it would not reach node). */
const NODE =
  [path.join(repoRoot, 'node_modules/node/bin/node')].find((p) => fs.existsSync(p)) ?? process.execPath;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** Applies metallb-api's CRDs and waits until they are served. */
export async function installCrds(cp: KubeControlPlane): Promise<void> {
  const dir = [path.join(repoRoot, 'deploy/crds'), path.join(repoRoot, 'packages/metallb-api/crds')].find(
    (d) => fs.existsSync(d),
  )!;
  for (const f of fs
    .readdirSync(dir)
    .filter((f) => /^metallb\.io_.*\.yaml$/.test(f))
    .sort())
    await cp.kubectl(['apply', '--server-side', '-f', path.join(dir, f)]);
  await cp.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
}

/** Namespace metallb-system, deploy/rbac/controller.yaml, and a kubeconfig for the ServiceAccount. */
export async function controllerAccess(cp: KubeControlPlane): Promise<string> {
  await cp.kubectl(['create', 'namespace', 'metallb-system']);
  await cp.apply(path.join(repoRoot, 'deploy/rbac/controller.yaml'));
  const token = await cp.tokenFor('metallb-system', 'controller', { seconds: 7200 });
  return cp.kubeconfigFor({ token, name: 'bmlb-controller' });
}

/** deploy/webhook.yaml's ValidatingWebhookConfiguration (JSON), calling `https://127.0.0.1:<port>` instead of the Service. */
export async function webhookConfiguration(cp: KubeControlPlane, port: number): Promise<string> {
  const text = fs.readFileSync(path.join(repoRoot, 'deploy/webhook.yaml'), 'utf8');
  const doc = text.split(/^---$/m).find((d) => /^kind: ValidatingWebhookConfiguration$/m.test(d))!;
  const vwc = await cp.kubectlJson<{
    webhooks: { clientConfig: { service?: { path: string }; url?: string } }[];
  }>(['create', '--dry-run=client', '-f', '-'], { input: doc });
  for (const w of vwc.webhooks) {
    w.clientConfig = { url: `https://127.0.0.1:${port}${w.clientConfig.service!.path}` };
  }
  return JSON.stringify(vwc);
}

export interface ControllerOptions {
  readonly identity: string;
  readonly kubeconfig: string;
  /** Serve the webhook on this port (the configuration's URL port); none: --webhook-address "". */
  readonly webhookPort?: number;
  readonly args?: readonly string[];
  readonly logDir: string;
  /** Run the built bin (`dist/main.js`, as deployed; `pnpm build` first) instead of the sources. */
  readonly built?: boolean;
  /** More environment of the process (e.g. the Deployment's, deployEnv('controller')). */
  readonly env?: Readonly<Record<string, string>>;
}

/** One `controller` process, run from source (`src/main.ts`) as the bin runs, or the built bin itself. */
export class ControllerProcess {
  readonly proc: Proc;
  readonly identity: string;
  readonly metricsPort: number;
  readonly healthPort: number;

  private constructor(proc: Proc, identity: string, metricsPort: number, healthPort: number) {
    this.proc = proc;
    this.identity = identity;
    this.metricsPort = metricsPort;
    this.healthPort = healthPort;
  }

  static async start(o: ControllerOptions): Promise<ControllerProcess> {
    const [metricsPort, healthPort] = [await freePort(), await freePort()];
    const argv = [
      'setpriv',
      '--pdeathsig',
      'KILL',
      '--',
      NODE,
      ...(o.built
        ? [path.join(controllerDir, 'dist/main.js')]
        : ['--conditions=@bmlb/source', path.join(controllerDir, 'src/main.ts')]),
      `--kubeconfig=${o.kubeconfig}`,
      `--identity=${o.identity}`,
      `--metrics-address=127.0.0.1:${metricsPort}`,
      `--health-address=127.0.0.1:${healthPort}`,
      ...(o.webhookPort === undefined
        ? ['--webhook-address=']
        : [
            `--webhook-address=127.0.0.1:${o.webhookPort}`,
            `--webhook-url=https://127.0.0.1:${o.webhookPort}`,
          ]),
      '--lease-duration=6',
      '--renew-deadline=4',
      '--retry-period=1',
      ...(o.args ?? []),
    ];
    const proc = new Proc(argv, {
      name: o.identity,
      logFile: path.join(o.logDir, `${o.identity}.log`),
      ...(o.env !== undefined ? { env: { ...o.env } } : {}),
    });
    return new ControllerProcess(proc, o.identity, metricsPort, healthPort);
  }

  async get(p: string, port = this.healthPort): Promise<{ status: number; body: string }> {
    const res = await fetch(`http://127.0.0.1:${port}${p}`);
    return { status: res.status, body: await res.text() };
  }

  /** Waits for /readyz. */
  async ready(timeoutMs = 60_000): Promise<void> {
    await waitFor(
      async () => {
        if (!this.proc.running)
          throw new Error(`${this.identity} exited:\n${this.proc.output().slice(-3000)}`);
        return (await this.get('/readyz')).status === 200;
      },
      { timeoutMs, intervalMs: 100, what: `${this.identity} ready` },
    );
  }

  async status(): Promise<{
    active: boolean;
    leader?: string;
    pendingServices: number;
    servicesWithAddresses: number;
  }> {
    return JSON.parse((await this.get('/status')).body);
  }

  async leading(timeoutMs = 30_000): Promise<void> {
    await waitFor(async () => (await this.status()).active, {
      timeoutMs,
      intervalMs: 100,
      what: `${this.identity} leading`,
    });
  }

  async metrics(): Promise<string> {
    return (await this.get('/metrics', this.metricsPort)).body;
  }

  /** Log lines (pino JSON) with `event` equal to `name`. */
  events(name: string): Record<string, unknown>[] {
    return this.proc.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.event === name);
  }
}

export interface SvcSpec {
  name: string;
  namespace?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  spec?: Record<string, unknown>;
}

/** A LoadBalancer Service manifest (JSON). */
export function lbService(s: SvcSpec): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: s.name,
      namespace: s.namespace ?? 'default',
      ...(s.annotations ? { annotations: s.annotations } : {}),
      ...(s.labels ? { labels: s.labels } : {}),
    },
    spec: { type: 'LoadBalancer', selector: { app: s.name }, ports: [{ port: 80 }], ...s.spec },
  };
}

export interface SvcView {
  name: string;
  namespace: string;
  ips: string[];
  pool: string | undefined;
}

/** Every Service with its status IPs and pool annotation (one LIST). */
export async function services(cp: KubeControlPlane, namespace?: string): Promise<Map<string, SvcView>> {
  const list = await cp.kubectlJson<{
    items: {
      metadata: { name: string; namespace: string; annotations?: Record<string, string> };
      status?: { loadBalancer?: { ingress?: { ip?: string }[] } };
    }[];
  }>(['get', 'services', ...(namespace ? ['-n', namespace] : ['-A'])]);
  const out = new Map<string, SvcView>();
  for (const s of list.items) {
    out.set(`${s.metadata.namespace}/${s.metadata.name}`, {
      name: s.metadata.name,
      namespace: s.metadata.namespace,
      ips: (s.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : [])),
      pool: s.metadata.annotations?.['metallb.io/ip-allocated-from-pool'],
    });
  }
  return out;
}

/** Events about one object: `type reason: note` (events.k8s.io, as kubectl get events shows them). */
export async function eventsFor(
  cp: KubeControlPlane,
  namespace: string,
  name: string,
  kind = 'Service',
): Promise<string[]> {
  const list = await cp.kubectlJson<{
    items: {
      type: string;
      reason: string;
      message?: string;
      note?: string;
      regarding?: { name: string; kind: string };
      involvedObject?: { name: string; kind: string };
      metadata: { creationTimestamp: string };
    }[];
  }>(['get', 'events.events.k8s.io', '-n', namespace]);
  return list.items
    .filter(
      (e) =>
        (e.regarding ?? e.involvedObject)?.name === name && (e.regarding ?? e.involvedObject)?.kind === kind,
    )
    .sort((a, b) => (a.metadata.creationTimestamp < b.metadata.creationTimestamp ? -1 : 1))
    .map((e) => `${e.type} ${e.reason}: ${e.note ?? e.message ?? ''}`);
}
