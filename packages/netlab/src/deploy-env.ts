// What the workloads of deploy/ set in their containers' environment, for the lab and the
// benchmarks: they run the speaker and the controller with a cluster's settings.
import fs from 'node:fs';
import path from 'node:path';

/** The repository's deploy/ directory (this file is packages/netlab/src/deploy-env.ts). */
const DEPLOY_DIR = path.resolve(import.meta.dirname, '../../../deploy');

/**
 * The environment variables with a literal value (`- name: X` then `value: "…"`; not the ones from
 * `valueFrom`, which only a cluster fills in) that the container of deploy/`workload`.yaml sets:
 * `NODE_OPTIONS` (V8's heap limits and threads) and `MALLOC_ARENA_MAX` (glibc's malloc arenas). That
 * file is the one place these values are written and this the one reader of it: the lab, the
 * benchmarks and the image tests run the daemons with them, and scripts/gen-deploy.mjs imports it to
 * write the Helm chart's values from them (`--check` fails when they differ).
 */
export function deployEnv(workload: 'speaker' | 'controller'): Readonly<Record<string, string>> {
  const file = path.join(DEPLOY_DIR, `${workload}.yaml`);
  const env: Record<string, string> = {};
  for (const m of fs.readFileSync(file, 'utf8').matchAll(/- name: ([A-Z_][A-Z0-9_]*)\n\s+value: "([^"]*)"/g))
    env[m[1] as string] = m[2] as string;
  if (env.NODE_OPTIONS === undefined)
    throw new Error(`deploy/${workload}.yaml: no NODE_OPTIONS in the ${workload} container's env`);
  return env;
}
