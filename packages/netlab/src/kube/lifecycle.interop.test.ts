import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pidAlive } from '../frr.ts';
import { waitFor } from '../wait.ts';
import { kubeSkipReason } from './binaries.ts';
import { KubeControlPlane, sweepStaleControlPlanes } from './control-plane.ts';
import { httpsRequest } from './https.ts';

const skip = kubeSkipReason();

// A child process starts a control plane (etcd and the apiserver only, for speed) and waits.
const child = `
import { KubeControlPlane } from ${JSON.stringify(new URL('../index.ts', import.meta.url).pathname)};
const cp = await KubeControlPlane.start({ controllerManager: false, scheduler: false, kwok: false });
console.log(JSON.stringify({ pids: cp.pids(), dir: cp.dir }));
setInterval(() => {}, 1000);
`;

async function startChild() {
  const proc = spawn(process.execPath, ['--input-type=module', '-e', child], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d));
  proc.stderr.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<NodeJS.Signals | null>((r) => proc.on('exit', (_c, s) => r(s)));
  const line = await waitFor(() => out.split('\n').find((l) => l.startsWith('{')), {
    timeoutMs: 60_000,
    what: `a control plane in the child (stderr: ${err})`,
  });
  const info = JSON.parse(line) as { pids: number[]; dir: string };
  return { proc, exited, info };
}

describe.skipIf(skip)('KubeControlPlane lifecycle', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s to the owner stops every component and removes the directory',
    async (signal) => {
      const { proc, exited, info } = await startChild();
      expect(info.pids).toHaveLength(2);
      expect(info.pids.every(pidAlive)).toBe(true);
      proc.kill(signal);
      expect(await exited).toBe(signal);
      await waitFor(() => !info.pids.some(pidAlive), {
        timeoutMs: 5_000,
        what: 'etcd and the apiserver to die',
      });
      expect(fs.existsSync(info.dir)).toBe(false);
    },
  );

  it('after a SIGKILL of the owner the kernel kills the components; the next start removes the directory', async () => {
    const { proc, exited, info } = await startChild();
    proc.kill('SIGKILL');
    await exited;
    await waitFor(() => !info.pids.some(pidAlive), {
      timeoutMs: 5_000,
      what: 'pdeathsig to kill the components',
    });
    expect(fs.existsSync(info.dir)).toBe(true);
    expect(sweepStaleControlPlanes()).toContain(info.dir);
    expect(fs.existsSync(info.dir)).toBe(false);
  });

  it('several control planes run side by side, each on its own ports', async () => {
    const opts = { controllerManager: false, scheduler: false, kwok: false };
    const [a, b] = await Promise.all([KubeControlPlane.start(opts), KubeControlPlane.start(opts)]);
    try {
      expect(a.port).not.toBe(b.port);
      expect(a.etcdUrl).not.toBe(b.etcdUrl);
      await a.kubectl(['create', 'namespace', 'only-in-a']);
      expect((await b.kubectl(['get', 'namespace', 'only-in-a'], { allowFail: true })).code).not.toBe(0);
      // Each has its own CA: a client trusting b's refuses a's server.
      await expect(httpsRequest(`${a.server}/readyz`, b.caPem)).rejects.toThrow(/certificate|verify/i);
      expect((await httpsRequest(`${a.server}/readyz`, a.caPem)).status).toBe(200);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    expect([...a.pids(), ...b.pids()]).toEqual([]);
  });
});
