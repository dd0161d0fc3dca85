import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deployEnv } from './deploy-env.ts';

const DEPLOY = path.resolve(import.meta.dirname, '../../../deploy');

describe('deployEnv', () => {
  for (const workload of ['speaker', 'controller'] as const) {
    it(`reads every literal value of deploy/${workload}.yaml's env, and no valueFrom`, () => {
      const text = fs.readFileSync(path.join(DEPLOY, `${workload}.yaml`), 'utf8');
      const env = deployEnv(workload);
      expect(env.NODE_OPTIONS).toMatch(/^--/);
      // Each name it returns is written in the file with exactly that value.
      for (const [name, value] of Object.entries(env))
        expect(text).toContain(`- name: ${name}\n              value: ${JSON.stringify(value)}`);
      // The downward API's variables are the cluster's to fill in, not a value to copy.
      for (const name of ['NODE_NAME', 'POD_IP', 'POD_NAME']) expect(env).not.toHaveProperty(name);
    });
  }

  for (const workload of ['speaker', 'controller'] as const) {
    it(`deploy/${workload}.yaml's NODE_OPTIONS are flags Node accepts there`, () => {
      // Node refuses most V8 flags in NODE_OPTIONS (e.g. --optimize-for-size), and then does not start.
      const r = spawnSync(process.execPath, ['-e', 'process.stdout.write("started")'], {
        env: { ...process.env, ...deployEnv(workload) },
        encoding: 'utf8',
      });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('started');
      expect(r.status).toBe(0);
    });
  }

  it('gives the speaker two glibc malloc arenas', () => {
    expect(deployEnv('speaker').MALLOC_ARENA_MAX).toBe('2');
  });
});
