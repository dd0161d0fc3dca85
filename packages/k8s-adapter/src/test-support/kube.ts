// Helpers for the adapter's tests against a real control plane (@bmlb/netlab's KubeControlPlane).
import fs from 'node:fs';
import path from 'node:path';
import type { KubeControlPlane } from '@bmlb/netlab';
import type { CacheEvent } from '../cache.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');

/** The generated CRD files (deploy/crds, or metallb-api's crds until they move). */
export function crdFiles(): string[] {
  for (const dir of [path.join(repoRoot, 'deploy/crds'), path.join(repoRoot, 'packages/metallb-api/crds')]) {
    if (fs.existsSync(dir)) {
      const files = fs
        .readdirSync(dir)
        .filter((f) => /^metallb\.io_.*\.ya?ml$/.test(f) || /^bmlb\.io_.*\.ya?ml$/.test(f))
        .map((f) => path.join(dir, f));
      if (files.length > 0) return files.sort();
    }
  }
  throw new Error(
    `no generated CRDs under ${repoRoot}/deploy/crds (run packages/metallb-api/scripts/gen-crds.ts)`,
  );
}

/** Applies the CRDs and waits until they are served. */
export async function installCrds(cp: KubeControlPlane, transform?: (yaml: string) => string): Promise<void> {
  for (const f of crdFiles()) {
    const text = fs.readFileSync(f, 'utf8');
    await cp.kubectl(['apply', '--server-side', '-f', '-'], { input: transform ? transform(text) : text });
  }
  await cp.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
}

/**
 * Records every change per object key: the resourceVersions delivered, in order. `duplicates()`
 * lists keys that saw one version twice; `outOfOrder()` keys whose versions went backwards.
 */
export class ChangeLog {
  readonly byKey = new Map<string, { type: string; rv: string | undefined }[]>();
  readonly all: CacheEvent[] = [];

  readonly listener = (e: CacheEvent): void => {
    this.all.push(e);
    if (e.type === 'synced') return;
    const rv =
      e.type === 'added' || e.type === 'modified' || e.type === 'deleted'
        ? e.object.metadata.resourceVersion
        : e.type === 'invalid'
          ? e.problem.resourceVersion
          : undefined;
    const list = this.byKey.get(`${e.kind} ${e.key}`) ?? [];
    list.push({ type: e.type, rv });
    this.byKey.set(`${e.kind} ${e.key}`, list);
  };

  duplicates(): string[] {
    const out: string[] = [];
    for (const [k, list] of this.byKey) {
      const rvs = list.filter((x) => x.type !== 'deleted').map((x) => x.rv);
      if (new Set(rvs).size !== rvs.length) out.push(`${k}: ${rvs.join(',')}`);
    }
    return out;
  }

  /** Keys whose delivered resourceVersions (etcd revisions, numeric here) went backwards. */
  outOfOrder(): string[] {
    const out: string[] = [];
    for (const [k, list] of this.byKey) {
      const rvs = list.filter((x) => x.type !== 'deleted').map((x) => Number(x.rv));
      for (let i = 1; i < rvs.length; i++) {
        if ((rvs[i] as number) <= (rvs[i - 1] as number)) {
          out.push(`${k}: ${rvs.join(',')}`);
          break;
        }
      }
    }
    return out;
  }
}
