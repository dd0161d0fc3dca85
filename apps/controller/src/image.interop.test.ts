// The controller image (deploy/images/build.sh) against a real control plane: the container runs as
// a restricted Pod would (its non-root user, read-only root filesystem, no capability), on the host's
// network, with a kubeconfig holding the ServiceAccount token of deploy/rbac/controller.yaml mounted
// read-only, and serves the webhook of deploy/webhook.yaml to the apiserver. CI builds the images
// before the tests; elsewhere the file is skipped until `deploy/images/build.sh controller` ran.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  Container,
  deployEnv,
  imageSkipReason,
  inspectImage,
  KubeControlPlane,
  kubeSkipReason,
  promSamples,
  waitFor,
} from '@bmlb/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  controllerAccess,
  controllerDir,
  eventsFor,
  freePort,
  installCrds,
  seedDir,
  services,
  webhookConfiguration,
} from './test-support/kube.ts';

const version = (
  JSON.parse(fs.readFileSync(path.join(controllerDir, 'package.json'), 'utf8')) as { version: string }
).version;
const IMAGE = `localhost/bmlb-controller:${process.env.BMLB_IMAGE_TAG ?? version}`;
const skip = kubeSkipReason() ?? imageSkipReason(IMAGE, 'deploy/images/build.sh controller');
const NOBODY = 65534;
const KUBECONFIG = '/var/run/bmlb/kubeconfig';

describe.skipIf(skip)('the controller image against a real control plane', () => {
  let cp: KubeControlPlane;
  let dir: string;
  let ctr: Container;
  let metricsPort: number;
  let healthPort: number;
  const get = async (port: number, p: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${p}`);
    return { status: res.status, body: await res.text() };
  };

  beforeAll(async () => {
    const t0 = performance.now();
    const info = await inspectImage(IMAGE);
    process.stdout.write(
      `${IMAGE}: ${(info.bytes / 1e6).toFixed(1)} MB, ${info.layers} layers, user ${info.user || 'root'}\n`,
    );
    cp = await KubeControlPlane.start({ controllerManager: false, scheduler: false, kwok: false });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bmlb-controller-image-'));
    await installCrds(cp);
    // The ServiceAccount's kubeconfig, readable by the container's user only (as a Secret volume
    // with defaultMode 0400 and fsGroup would be).
    const kubeconfig = path.join(dir, 'kubeconfig');
    fs.copyFileSync(await controllerAccess(cp), kubeconfig);
    fs.chownSync(kubeconfig, NOBODY, NOBODY);
    fs.chmodSync(kubeconfig, 0o400);
    const webhookPort = await freePort();
    [metricsPort, healthPort] = [await freePort(), await freePort()];
    await cp.apply(await webhookConfiguration(cp, webhookPort));
    ctr = Container.start(IMAGE, {
      name: `bmlb-test-controller-${process.pid}`,
      network: 'host',
      mounts: [{ source: kubeconfig, target: KUBECONFIG }],
      // The Deployment's environment (deploy/controller.yaml: V8's settings).
      env: deployEnv('controller'),
      args: [
        `--kubeconfig=${KUBECONFIG}`,
        '--identity=controller-image',
        `--metrics-address=127.0.0.1:${metricsPort}`,
        `--health-address=127.0.0.1:${healthPort}`,
        `--webhook-address=127.0.0.1:${webhookPort}`,
        `--webhook-url=https://127.0.0.1:${webhookPort}`,
      ],
      logFile: path.join(dir, 'controller.log'),
    });
    await waitFor(
      async () => {
        if (!ctr.running) throw new Error(`the container exited:\n${ctr.output().slice(-3000)}`);
        return (await get(healthPort, '/readyz').catch(() => undefined))?.status === 200;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'the controller container to be ready' },
    );
    process.stdout.write(
      `controller container ready ${((performance.now() - t0) / 1000).toFixed(1)} s after start\n`,
    );
  }, 120_000);

  afterAll(async () => {
    ctr?.closeSync();
    await cp?.close();
    if (dir && !process.env.NETLAB_KEEP) fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('runs as nobody, from the image’s read-only root filesystem', async () => {
    expect((await inspectImage(IMAGE)).user).toBe(`${NOBODY}:${NOBODY}`);
    // The app's own process in the container: its uid, and writes refused.
    const out = await ctr.exec([
      '/usr/local/bin/node',
      '-e',
      'try { require("fs").writeFileSync("/app/x", ""); console.log(process.getuid(), "writable") } catch (e) { console.log(process.getuid(), e.code) }',
    ]);
    expect(out.trim()).toBe(`${NOBODY} EROFS`);
  });

  it('the seed pool, then the seed’s web Service: its IP from the pool in the Service’s status', async () => {
    await cp.apply(path.join(seedDir, '01-ipaddresspool.yaml'));
    await cp.apply(path.join(seedDir, '04-service-web.yaml'));
    const svc = await waitFor(
      async () => {
        const s = (await services(cp, 'default')).get('default/web');
        return s !== undefined && s.ips.length > 0 ? s : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'default/web to get an address' },
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n--- controller ---\n${ctr.output().slice(-3000)}`);
    });
    expect(svc.ips).toEqual(['203.0.113.0']);
    expect(svc.pool).toBe('prod-pool');
    expect(await eventsFor(cp, 'default', 'web')).toContain(
      'Normal IPAllocated: Assigned IP ["203.0.113.0"]',
    );
    process.stdout.write(`${(await cp.kubectl(['get', 'svc', 'web'])).stdout}\n`);
  });

  it('its webhook, served from the container, refuses an overlapping pool', async () => {
    const r = await cp.kubectl(['apply', '-f', '-'], {
      allowFail: true,
      input: JSON.stringify({
        apiVersion: 'metallb.io/v1beta1',
        kind: 'IPAddressPool',
        metadata: { name: 'overlap', namespace: 'metallb-system' },
        spec: { addresses: ['203.0.113.128/25'] },
      }),
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'admission webhook "ipaddresspoolvalidationwebhook.metallb.io" denied the request: IPAddressPool/metallb-system/overlap: spec.addresses[0]: "203.0.113.128/25" overlaps "203.0.113.0/24" of IPAddressPool metallb-system/prod-pool',
    );
  });

  it('/metrics and /readyz answer: leader, one Service allocated', async () => {
    expect((await get(healthPort, '/readyz')).status).toBe(200);
    const seen = await waitFor(
      async () => {
        const { body } = await get(metricsPort, '/metrics');
        const leader = promSamples(body, 'bmlb_controller_leader').get('');
        const allocated = promSamples(body, 'metallb_allocator_services_allocated_total');
        const inUse = promSamples(body, 'metallb_allocator_addresses_in_use_total');
        return leader === 1 && allocated.get('{pool="prod-pool"}') === 1 ? { inUse } : undefined;
      },
      { timeoutMs: 10_000, what: '/metrics: leader, 1 Service allocated from prod-pool' },
    );
    expect(seen.inUse.get('{pool="prod-pool"}')).toBe(1);
  });

  it('SIGTERM (podman stop): releases the Lease and exits 0', async () => {
    const t0 = performance.now();
    const exit = await ctr.stop(15);
    const ms = performance.now() - t0;
    expect(exit, ctr.output().slice(-3000)).toEqual({ code: 0, signal: null });
    expect(ctr.output()).toMatch(/"event":"shutdown","signal":"SIGTERM"/);
    const lease = await cp.kubectlJson<{ spec: { holderIdentity?: string } }>([
      'get',
      'lease',
      'bmlb-controller',
      '-n',
      'metallb-system',
    ]);
    expect(lease.spec.holderIdentity ?? '').toBe('');
    process.stdout.write(`controller container stopped in ${(ms / 1000).toFixed(1)} s\n`);
  });
});
