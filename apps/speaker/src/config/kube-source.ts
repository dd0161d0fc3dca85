// The Kubernetes configuration source: the same snapshot the file source builds, from the cluster.
// It watches only what the speaker needs — its own Node, Services and EndpointSlices, the metallb.io
// kinds and the Secrets (BGPPeer passwords) in its namespace — and after every change (a Service or
// EndpointSlice change at once after a quiet spell, configuration changes coalesced for
// `debounceMs`; rebuilds spaced by at least that and by what the last one took) builds the configuration with metallb-api's cross-object rules and
// hands it to the speaker (the rules run again only when a configuration object changed: see
// #buildBase), whose difference logic turns it into the few route changes it means. When only
// Services and EndpointSlices changed, it also says which (`changes`), so the speaker recomputes
// only the Services they touch instead of all of them.
//
// The API is the source of truth and the network stays up: while the API server is unreachable the
// caches keep what they last knew and nothing is rebuilt, so nothing is withdrawn; when it returns,
// the reflectors publish only what changed meanwhile. An object whose update does not validate keeps
// its last valid version in the cache (reported through `onProblems`), so one bad edit never takes
// down what already works.
import { type ClusterPort, type KubeObject, type Problem, Resources, type Store } from '@bmlb/k8s-adapter';
import { buildConfig, formatConfigError, type ManifestObject } from '@bmlb/metallb-api';
import type { DataChanges, EndpointSlice, Service } from '../announce/types.ts';
import type { LoadResult, SpeakerSnapshot } from '../speaker/types.ts';
import {
  projectConfigObject,
  projectEndpointSlice,
  projectNode,
  projectSecret,
  projectService,
} from './projection.ts';
import { snapshotFromConfig } from './snapshot.ts';

export interface KubeSourceOptions {
  readonly cluster: ClusterPort;
  /** Namespace of the metallb.io objects and password Secrets (default metallb-system). */
  readonly namespace: string;
  readonly nodeName: string;
  /**
   * Quiet time after a change to the configuration objects before the configuration is rebuilt,
   * and the least time between two rebuilds (default 25 ms); see #schedule.
   */
  readonly debounceMs?: number;
  /** Called with each rebuilt configuration; `version` counts the rebuilds. */
  readonly onConfig: (result: LoadResult, version: string) => void;
  /** Called when the set of objects that do not validate changes. */
  readonly onProblems?: (problems: readonly Problem[]) => void;
}

/** The part of a rebuild that depends on the few configuration objects, kept until one changes. */
interface BaseConfig {
  /** undefined when the configuration objects are refused together (`errors`). */
  readonly snapshot: Omit<SpeakerSnapshot, 'services' | 'endpointSlices'> | undefined;
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
  /** How many objects it was built from. */
  readonly objects: number;
}

interface ChangedObjects {
  readonly keys: Map<string, true>;
  readonly deleted: Map<string, KubeObject>;
}

export class KubeSource {
  readonly #o: KubeSourceOptions;
  /** The metallb.io kinds, the Secrets and this node's Node: few objects, read whole. */
  readonly #configStores: Store<KubeObject>[] = [];
  readonly #services: Store<KubeObject>;
  readonly #slices: Store<KubeObject>;
  #timer: NodeJS.Timeout | undefined;
  #version = 0;
  #synced = false;
  #closed = false;
  #problemsKey = '';
  #lastRebuildMs = 0;
  /** When the last rebuild ended (performance.now()). */
  #lastRebuildEnd = Number.NEGATIVE_INFINITY;
  #unsubscribe: (() => void) | undefined;
  /** Built from the configuration stores; dropped when one of them changes. */
  #base: BaseConfig | undefined;
  /** Rebuilds that reused `#base` / that built it again (for tests and logs). */
  readonly stats = { reused: 0, built: 0 };
  /**
   * The Services and EndpointSlices changed since the last configuration handed over: the keys
   * added or modified (an added key moves to the end, as in the store), and the objects deleted.
   */
  readonly #changed: Record<'Service' | 'EndpointSlice', ChangedObjects> = {
    Service: { keys: new Map(), deleted: new Map() },
    EndpointSlice: { keys: new Map(), deleted: new Map() },
  };

  constructor(opts: KubeSourceOptions) {
    this.#o = opts;
    const c = opts.cluster;
    const ns = { namespace: opts.namespace };
    const add = (s: Store<never>) => this.#configStores.push(s as unknown as Store<KubeObject>);
    const cfg = { ...ns, project: projectConfigObject };
    add(c.watch(Resources.IPAddressPool, cfg) as never);
    add(c.watch(Resources.BGPPeer, cfg) as never);
    add(c.watch(Resources.BGPAdvertisement, cfg) as never);
    add(c.watch(Resources.BFDProfile, cfg) as never);
    add(c.watch(Resources.Community, cfg) as never);
    // The core kinds keep only what the speaker reads (projection.ts).
    add(c.watch(Resources.Secret, { ...ns, project: projectSecret }) as never);
    add(
      c.watch(Resources.Node, {
        fieldSelector: `metadata.name=${opts.nodeName}`,
        project: projectNode,
      }) as never,
    );
    this.#services = c.watch(Resources.Service, { project: projectService }) as unknown as Store<KubeObject>;
    this.#slices = c.watch(Resources.EndpointSlice, {
      project: projectEndpointSlice,
    }) as unknown as Store<KubeObject>;
  }

  /** Starts the watches; resolves after the first configuration was handed over. */
  async start(signal?: AbortSignal): Promise<void> {
    // The cache is shared: the kinds the status publisher watches (kube-status.ts: this speaker's
    // own ServiceBGPStatus and BGPSessionState objects) come through it too. Their changes are the
    // echo of its own writes, thousands in a burst, and must neither drop the configuration built
    // before nor schedule a rebuild.
    const mine = new Set([...this.#configStores, this.#services, this.#slices].map((s) => s.kind));
    this.#unsubscribe = this.#o.cluster.cache.on((e) => {
      if (!mine.has(e.kind)) return;
      // Services and EndpointSlices never take part in the cross-object rules: a change to them
      // (all but a few of the changes a cluster makes) reuses the configuration built before.
      const dataPlane = e.kind === 'Service' || e.kind === 'EndpointSlice';
      // (A configuration object modified only in what the projection drops, a Node's heartbeat or an
      // annotation, publishes no event at all: the store compares the projected versions.)
      if (!dataPlane) this.#base = undefined;
      if (!this.#synced) return;
      if (dataPlane && (e.type === 'added' || e.type === 'modified' || e.type === 'deleted')) {
        const c = this.#changed[e.kind as 'Service' | 'EndpointSlice'];
        if (e.type === 'deleted') c.deleted.set(e.key, e.object);
        else {
          if (e.type === 'added') c.keys.delete(e.key);
          c.keys.set(e.key, true);
        }
      }
      if (e.type === 'synced' && !e.relist) return;
      this.#schedule(dataPlane && e.type !== 'synced');
    });
    this.#o.cluster.start();
    await this.#o.cluster.cache.waitForSync(signal);
    this.#synced = true;
    this.rebuild();
  }

  get synced(): boolean {
    return this.#synced;
  }

  /**
   * Schedules a rebuild. A Service or EndpointSlice change (`dataPlane`) after a quiet spell is
   * built at once, on the next turn of the event loop (so the changes of one watch read still go
   * together): the last endpoint of a drained node leaves the ToRs without waiting out a debounce.
   * Rebuilds are spaced, though, by at least `debounceMs` and by what the last one took: under a
   * stream of changes (10,000 Services getting their IPs) at most half of the CPU goes to
   * rebuilding, the rest to the sessions and the watches, and each rebuild takes in everything that
   * arrived meanwhile. A change to the configuration objects always waits `debounceMs` of quiet
   * first, so the documents of one `kubectl apply` (a BGPPeer and its Secret, a pool and its
   * advertisement) are applied together.
   */
  #schedule(dataPlane = false): void {
    if (this.#closed || this.#timer !== undefined) return;
    const debounce = this.#o.debounceMs ?? 25;
    const spacing = Math.max(debounce, Math.round(this.#lastRebuildMs));
    const delay = dataPlane
      ? Math.max(0, Math.round(this.#lastRebuildEnd + spacing - performance.now()))
      : spacing;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.rebuild();
    }, delay);
  }

  /**
   * The cross-object rules (buildConfig) over the configuration objects only. Services and
   * EndpointSlices pass through buildConfig unchanged (no rule reads them, none reports on them), so
   * the result is the same as building from every object, without going over 30,000 of them on
   * each burst of Service changes.
   */
  #buildBase(): BaseConfig {
    const objects: ManifestObject[] = [];
    for (const s of this.#configStores)
      for (const o of s.values()) objects.push(o as unknown as ManifestObject);
    const built = buildConfig(objects, { namespace: this.#o.namespace });
    if (built.errors.length > 0)
      return {
        snapshot: undefined,
        errors: built.errors.map(formatConfigError),
        warnings: [],
        objects: objects.length,
      };
    const warnings = built.warnings.map(formatConfigError);
    const snap = snapshotFromConfig(built.config, warnings);
    return {
      snapshot: { announce: snap.announce, peers: snap.peers, nodes: snap.nodes },
      errors: [],
      warnings,
      objects: objects.length,
    };
  }

  /** Builds the configuration from the caches now and hands it over. */
  rebuild(): void {
    if (this.#closed) return;
    const t0 = performance.now();
    const problems: Problem[] = [];
    for (const s of [...this.#configStores, this.#services, this.#slices]) problems.push(...s.problems());
    this.#reportProblems(problems);
    const version = String(++this.#version);
    let result: LoadResult;
    try {
      let base = this.#base;
      if (base === undefined) {
        base = this.#buildBase();
        this.#base = base;
        this.stats.built++;
      } else this.stats.reused++;
      if (base.snapshot === undefined) result = { ok: false, errors: [...base.errors] };
      else {
        // The lists of every Service and EndpointSlice are made only if read (a new configuration,
        // or the first): a change to some of them hands over just those (`changes`).
        const services = this.#services;
        const slices = this.#slices;
        let serviceList: readonly Service[] | undefined;
        let sliceList: readonly EndpointSlice[] | undefined;
        const snapshot: SpeakerSnapshot = {
          ...base.snapshot,
          get services() {
            serviceList ??= [...services.values()] as unknown as Service[];
            return serviceList;
          },
          get endpointSlices() {
            sliceList ??= [...slices.values()] as unknown as EndpointSlice[];
            return sliceList;
          },
        };
        result = {
          ok: true,
          snapshot,
          warnings: [...base.warnings],
          objects: base.objects + services.size + slices.size,
          changes: this.#takeChanges(),
        };
      }
    } catch (err) {
      // A bug on some input must not take the running configuration down: report it as a rejection.
      this.#base = undefined;
      result = {
        ok: false,
        errors: [`internal error while building the configuration: ${(err as Error).stack ?? String(err)}`],
      };
    }
    this.#o.onConfig(result, version);
    this.#lastRebuildEnd = performance.now();
    this.#lastRebuildMs = this.#lastRebuildEnd - t0;
  }

  /** The Services and EndpointSlices changed since the last call (their current objects, or the deleted ones). */
  #takeChanges(): DataChanges {
    const take = (store: Store<KubeObject>, c: ChangedObjects) => {
      const current: KubeObject[] = [];
      for (const key of c.keys.keys()) {
        const o = store.get(key);
        if (o !== undefined) current.push(o);
      }
      const deleted = [...c.deleted.values()];
      c.keys.clear();
      c.deleted.clear();
      return { current, deleted };
    };
    const svc = take(this.#services, this.#changed.Service);
    const sl = take(this.#slices, this.#changed.EndpointSlice);
    return {
      services: svc.current as unknown as Service[],
      deletedServices: svc.deleted as unknown as Service[],
      endpointSlices: sl.current as unknown as EndpointSlice[],
      deletedEndpointSlices: sl.deleted as unknown as EndpointSlice[],
    };
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
