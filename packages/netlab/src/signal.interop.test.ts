import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { run } from './exec.ts';
import { pidAlive } from './frr.ts';
import { labSkipReason } from './require.ts';
import { waitFor } from './wait.ts';

const skip = labSkipReason({ frr: true });

// A child process builds a lab (namespace, FRR, a spawned process) and is interrupted (Ctrl-C):
// the lab's signal handler must leave nothing behind.
const child = `
import { Lab } from ${JSON.stringify(new URL('./index.ts', import.meta.url).pathname)};
const lab = await Lab.create({ prefix: 'nls' });
const ns = await lab.namespace('x');
const p = lab.spawn(ns, ['sleep', '600']);
const frr = await lab.frr(ns, { config: 'frr defaults datacenter\\nrouter bgp 65000\\n' });
console.log(JSON.stringify({ ns: ns.fullName, pids: [p.pid, ...frr.pids.values()], runDir: frr.runDir }));
setInterval(() => {}, 1000);
`;

describe.skipIf(skip)('Lab on SIGINT', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('cleans up on %s', async (signal) => {
    const proc = spawn(process.execPath, ['--input-type=module', '-e', child], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d));
    proc.stderr.on('data', (d: Buffer) => (err += d));
    const exited = new Promise<NodeJS.Signals | null>((r) => proc.on('exit', (_c, s) => r(s)));
    const line = await waitFor(() => out.split('\n').find((l) => l.startsWith('{')), {
      timeoutMs: 20_000,
      what: `lab in child (stderr: ${err})`,
    });
    const info = JSON.parse(line) as { ns: string; pids: number[]; runDir: string };
    expect(info.pids.every(pidAlive)).toBe(true);
    proc.kill(signal);
    expect(await exited).toBe(signal);
    expect((await run(['ip', 'netns', 'list'])).stdout).not.toContain(info.ns);
    await waitFor(() => !info.pids.some(pidAlive), { timeoutMs: 2_000, what: 'lab processes to die' });
  });
});

describe.skipIf(skip)('Lab after SIGKILL', () => {
  it('the next lab of the prefix removes what a killed one left behind', async () => {
    const proc = spawn(process.execPath, ['--input-type=module', '-e', child], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d));
    const exited = new Promise<void>((r) => proc.on('exit', () => r()));
    const line = await waitFor(() => out.split('\n').find((l) => l.startsWith('{')), { timeoutMs: 20_000 });
    const info = JSON.parse(line) as { ns: string; pids: number[]; runDir: string };
    proc.kill('SIGKILL'); // no handler runs: everything is left behind
    await exited;
    expect((await run(['ip', 'netns', 'list'])).stdout).toContain(info.ns);
    const { Lab } = await import('./lab.ts');
    const lab = await Lab.create({ prefix: 'nls' });
    try {
      expect((await run(['ip', 'netns', 'list'])).stdout).not.toContain(info.ns);
      await waitFor(() => !info.pids.some(pidAlive), { timeoutMs: 2_000, what: 'leftover processes to die' });
      expect(fs.existsSync(info.runDir)).toBe(false);
    } finally {
      await lab.close();
    }
  });
});
