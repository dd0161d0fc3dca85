// What the workloads of deploy/ set in their containers' environment, for the lab and the
// benchmarks: they run the speaker and the controller with a cluster's settings.
import fs from 'node:fs';
import path from 'node:path';

/** The repository's deploy/ directory (this file is packages/netlab/src/deploy-env.ts). */
const DEPLOY_DIR = path.resolve(import.meta.dirname, '../../../deploy');

/**
 * The `NODE_OPTIONS` the container of deploy/`workload`.yaml sets (V8's heap limits and threads):
 * the one place the value is written and this the one reader of it: scripts/gen-deploy.mjs imports it
 * to write the Helm chart's values from it (and `--check` fails when they differ).
 */
export function deployNodeOptions(workload: 'speaker' | 'controller'): string {
  const file = path.join(DEPLOY_DIR, `${workload}.yaml`);
  const m = /- name: NODE_OPTIONS\n\s+value: "([^"]*)"/.exec(fs.readFileSync(file, 'utf8'));
  if (m === null)
    throw new Error(`deploy/${workload}.yaml: no NODE_OPTIONS in the ${workload} container's env`);
  return m[1] as string;
}
