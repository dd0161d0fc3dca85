// The Kubernetes configuration source: the same snapshot the file source builds, from the cluster.
// It watches only what the speaker needs — its own Node, Services and EndpointSlices, the metallb.io
// kinds and the Secrets (BGPPeer passwords) in its namespace — and after every burst of changes
// (coalesced for `debounceMs`) builds the configuration with metallb-api's cross-object rules and
// hands it to the speaker, whose difference logic turns it into the few route changes it means.
//
// The API is the source of truth and the network stays up: while the API server is unreachable the
// caches keep what they last knew and nothing is rebuilt, so nothing is withdrawn; when it returns,
// the reflectors publish only what changed meanwhile. An object whose update does not validate keeps
// its last valid version in the cache (reported through `onProblems`), so one bad edit never takes
// down what already works.
import { type ClusterPort, type KubeObject, type Problem, Resources, type Store } from '@bmlb/k8s-adapter';
import { buildConfig, type ConfigError, formatConfigError, type ManifestObject } from '@bmlb/metallb-api';
import type { LoadResult } from '../speaker/types.ts';
import { snapshotFromConfig } from './load.ts';

export interface KubeSourceOptions {
  readonly cluster: ClusterPort;
  /** Namespace of the metallb.io objects and password Secrets (default metallb-system). */
  readonly namespace: string;
  readonly nodeName: string;
  /** Quiet time after a change before the configuration is rebuilt (default 25 ms). */
  readonly debounceMs?: number;
  /** Called with each rebuilt configuration; `version` counts the rebuilds. */
  readonly onConfig: (result: LoadResult, version: string) => void;
  /** Called when the set of objects that do not validate changes. */
  readonly onProblems?: (problems: readonly Problem[]) => void;
}

export class KubeSource {
  readonly #o: KubeSourceOptions;
  readonly #stores: Store<KubeObject>[] = [];
  #timer: NodeJS.Timeout | undefined;
  #version = 0;
  #synced = false;
  #closed = false;
  #problemsKey = '';
  #lastRebuildMs = 0;
  #unsubscribe: (() => void) | undefined;

  constructor(opts: KubeSourceOptions) {
    this.#o = opts;
    const c = opts.cluster;
    const ns = { namespace: opts.namespace };
    const add = (s: Store<never>) => this.#stores.push(s as unknown as Store<KubeObject>);
    add(c.watch(Resources.IPAddressPool, ns) as never);
    add(c.watch(Resources.BGPPeer, ns) as never);
    add(c.watch(Resources.BGPAdvertisement, ns) as never);
    add(c.watch(Resources.BFDProfile, ns) as never);
    add(c.watch(Resources.Community, ns) as never);
    add(c.watch(Resources.Secret, ns) as never);
    add(c.watch(Resources.Service) as never);
    add(c.watch(Resources.EndpointSlice) as never);
    add(c.watch(Resources.Node, { fieldSelector: `metadata.name=${opts.nodeName}` }) as never);
  }

  /** Starts the watches; resolves after the first configuration was handed over. */
  async start(signal?: AbortSignal): Promise<void> {
    this.#unsubscribe = this.#o.cluster.cache.on((e) => {
      if (!this.#synced) return;
      if (e.type === 'synced' && !e.relist) return;
      this.#schedule();
    });
    this.#o.cluster.start();
    await this.#o.cluster.cache.waitForSync(signal);
    this.#synced = true;
    this.rebuild();
  }

  get synced(): boolean {
    return this.#synced;
  }

  #schedule(): void {
    if (this.#closed || this.#timer !== undefined) return;
    // Under a stream of changes (10,000 Services getting their IPs) a rebuild never waits less than
    // the last one took: at most half of the CPU goes to rebuilding, the rest to the sessions and
    // the watches, and each rebuild takes in everything that arrived meanwhile.
    const delay = Math.max(this.#o.debounceMs ?? 25, Math.round(this.#lastRebuildMs));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.rebuild();
    }, delay);
  }

  /** Builds the configuration from the caches now and hands it over. */
  rebuild(): void {
    if (this.#closed) return;
    const t0 = performance.now();
    const objects: ManifestObject[] = [];
    const problems: Problem[] = [];
    for (const s of this.#stores) {
      for (const o of s.values()) objects.push(o as unknown as ManifestObject);
      problems.push(...s.problems());
    }
    this.#reportProblems(problems);
    const version = String(++this.#version);
    let result: LoadResult;
    try {
      const built = buildConfig(objects, { namespace: this.#o.namespace });
      const errors: ConfigError[] = built.errors;
      if (errors.length > 0) result = { ok: false, errors: errors.map(formatConfigError) };
      else {
        const warnings = built.warnings.map(formatConfigError);
        result = {
          ok: true,
          snapshot: snapshotFromConfig(built.config, warnings),
          warnings,
          objects: objects.length,
        };
      }
    } catch (err) {
      // A bug on some input must not take the running configuration down: report it as a rejection.
      result = {
        ok: false,
        errors: [`internal error while building the configuration: ${(err as Error).stack ?? String(err)}`],
      };
    }
    this.#o.onConfig(result, version);
    this.#lastRebuildMs = performance.now() - t0;
  }

  #reportProblems(problems: Problem[]): void {
    const key = problems
      .map((p) => `${p.kind}/${p.key}@${p.resourceVersion ?? ''}`)
      .sort()
      .join(',');
    if (key === this.#problemsKey) return;
    this.#problemsKey = key;
    this.#o.onProblems?.(problems);
  }

  close(): void {
    this.#closed = true;
    this.#unsubscribe?.();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }
}
