// Helpers for the adapter's tests against a real control plane.
import type { CacheEvent } from '../cache.ts';

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
