// The controller core: Services and address pools in through the ClusterPort's caches, addresses
// out through its writer, with MetalLB's rules (the allocator has them) and MetalLB's events.
//
// Every replica keeps its caches warm and its view of the configuration current; only the leader
// (after `activate()`) allocates and writes. Activation rebuilds the allocator from the Services'
// status before anything new is assigned, so no Service changes address across a restart or a
// leader change; two Services claiming one address in their status are settled by age (the older
// keeps it, then namespace/name) and the other is told so in an Event.
//
// Work is batched: cache events mark Services (and the configuration) dirty and one pass on the next
// turn of the event loop converges them all; writes go through a keyed queue that reads the desired
// state when it runs, so a burst of changes to one Service costs one write.
import { isDeepStrictEqual } from 'node:util';
import { Allocator, Annotations, isServedByUs, type Refusal } from '@bmlb/allocator';
import {
  ApiError,
  type CacheEvent,
  type ClusterPort,
  type EventInput,
  type EventSink,
  type KubeObject,
  type ObjectReference,
  Resources,
  type Store,
} from '@bmlb/k8s-adapter';
import type { ConfigError, IPAddressPool, IPAddressPoolStatus, Namespace } from '@bmlb/metallb-api';
import type { Logger } from 'pino';
import {
  apiVersionFor,
  cachedObjects,
  describeError,
  evaluateConfig,
  MetallbKinds,
  poolFingerprint,
} from './config-view.ts';
import type { ControllerMetrics } from './metrics.ts';
import {
  allocatorService,
  byAge,
  deprecatedAnnotations,
  goQuoteList,
  poolAnnotation,
  type ServiceObject,
  sameIPs,
  statusIPs,
} from './service-view.ts';
import { WorkQueue } from './work-queue.ts';

export interface ControllerOptions {
  readonly cluster: ClusterPort;
  /** Where Events go (default the cluster's sink; main.ts paces them with PacedEvents). */
  readonly events?: EventSink;
  /** Where the metallb.io objects live (default metallb-system). */
  readonly namespace?: string;
  /** Serve only Services with this `spec.loadBalancerClass` (default: those without one). */
  readonly loadBalancerClass?: string | undefined;
  readonly logger: Logger;
  readonly metrics?: ControllerMetrics;
  /** Writes in flight at once (default 32). */
  readonly writeConcurrency?: number;
  /** Pool status and metrics are refreshed this long after a change (default 200 ms). */
  readonly poolStatusDelayMs?: number;
  /** First retry delay of a failed write (default 200 ms). */
  readonly retryMs?: number;
}

/** What a Service should carry: addresses in status order and the pool annotation (absent: none). */
interface Desired {
  readonly ips: readonly string[];
  readonly pool: string | undefined;
}

const CLEAR: Desired = Object.freeze({ ips: Object.freeze([]) as readonly string[], pool: undefined });

type NamespaceObject = Namespace & KubeObject;
type PoolObject = IPAddressPool & KubeObject;

function serviceRef(svc: ServiceObject): ObjectReference {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    namespace: svc.metadata.namespace,
    name: svc.metadata.name,
    uid: svc.metadata.uid,
    resourceVersion: svc.metadata.resourceVersion,
  };
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

const sameLabels = (a: Readonly<Record<string, string>> = {}, b: Readonly<Record<string, string>> = {}) => {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
};

/** A modification that leaves spec, labels and annotations as they were (a status write). */
function statusOnlyChange(e: CacheEvent): boolean {
  if (e.type !== 'modified' || e.old === undefined) return false;
  const [a, b] = [e.object as KubeObject & { spec?: unknown }, e.old as KubeObject & { spec?: unknown }];
  return (
    isDeepStrictEqual(a.spec, b.spec) &&
    sameLabels(a.metadata.labels, b.metadata.labels) &&
    sameLabels(a.metadata.annotations, b.metadata.annotations)
  );
}

const samePoolStatus = (a: IPAddressPoolStatus | undefined, b: IPAddressPoolStatus) =>
  a !== undefined &&
  a.assignedIPv4 === b.assignedIPv4 &&
  a.assignedIPv6 === b.assignedIPv6 &&
  a.availableIPv4 === b.availableIPv4 &&
  a.availableIPv6 === b.availableIPv6;

export class Controller {
  readonly namespace: string;
  readonly loadBalancerClass: string | undefined;
  readonly services: Store<ServiceObject>;
  readonly namespaces: Store<NamespaceObject>;
  readonly pools: Store<PoolObject>;
  readonly #cluster: ClusterPort;
  readonly #events: EventSink;
  readonly #log: Logger;
  readonly #metrics: ControllerMetrics | undefined;
  readonly #poolStatusDelayMs: number;
  readonly #writes: WorkQueue;
  readonly #poolWrites: WorkQueue;

  #allocator = new Allocator();
  #active = false;
  #started = false;
  /** What each Service we decided about should carry. */
  readonly #desired = new Map<string, Desired>();
  /** Our Services without an address, in the order they failed (retried when addresses free up). */
  readonly #pending = new Set<string>();
  /**
   * PreferDualStack Services with two ipFamilies holding one address: retried with the pending ones,
   * so they gain the other family once their pool has one free (MetalLB re-syncs every Service).
   */
  readonly #incomplete = new Set<string>();
  /** The last warning (reason + note) recorded per Service: a repeat is not recorded again. */
  readonly #lastNote = new Map<string, string>();
  readonly #dirty = new Set<string>();
  readonly #dirtyNamespaces = new Set<string>();
  #configDirty = true;
  #retryPending = false;
  #scheduled = false;
  #poolTimer: NodeJS.Timeout | undefined;
  #idleWaiters: (() => void)[] = [];

  /** The pool set in use (undefined until a valid one was seen: nothing is allocated before). */
  #config: { pools: readonly PoolObject[]; fingerprint: string } | undefined;
  #stale = false;
  /** Activated, but the Services were not rebuilt yet (no valid pool set so far). */
  #needsRebuild = false;
  /** Configuration problems already reported as Events (object + note), by the current leader. */
  #reported = new Set<string>();

  constructor(opts: ControllerOptions) {
    this.#cluster = opts.cluster;
    this.#events = opts.events ?? opts.cluster.events;
    this.namespace = opts.namespace ?? 'metallb-system';
    this.loadBalancerClass = opts.loadBalancerClass || undefined;
    this.#log = opts.logger;
    this.#metrics = opts.metrics;
    this.#poolStatusDelayMs = opts.poolStatusDelayMs ?? 200;
    const c = opts.cluster;
    this.services = c.watch(Resources.Service);
    this.namespaces = c.watch(Resources.Namespace);
    const stores = MetallbKinds.map((t) => c.watch(t, { namespace: this.namespace }));
    this.pools = stores[0] as unknown as Store<PoolObject>;
    const retryMs = opts.retryMs ?? 200;
    this.#writes = new WorkQueue((key) => this.#writeService(key), {
      concurrency: opts.writeConcurrency ?? 32,
      retryMs,
      onError: (key, err, wait) => {
        this.#metrics?.writeErrors.inc({ what: 'service' });
        this.#log.warn(
          { event: 'writeFailed', service: key, err: String(err), retryInMs: wait },
          `writing Service ${key} failed; retrying in ${wait} ms`,
        );
      },
    });
    this.#poolWrites = new WorkQueue((name) => this.#writePoolStatus(name), {
      concurrency: 4,
      retryMs,
      onError: (name, err, wait) => {
        this.#metrics?.writeErrors.inc({ what: 'pool-status' });
        this.#log.warn(
          { event: 'writeFailed', pool: name, err: String(err), retryInMs: wait },
          `writing the status of IPAddressPool ${name} failed; retrying in ${wait} ms`,
        );
      },
    });
  }

  /** Subscribes to the caches and starts the watches. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#cluster.cache.on((e) => this.#onCacheEvent(e));
    this.#cluster.start();
  }

  get synced(): boolean {
    return this.#cluster.cache.hasSynced;
  }

  waitForSync(signal?: AbortSignal): Promise<void> {
    return this.#cluster.cache.waitForSync(signal);
  }

  /** True while this replica allocates and writes. */
  get active(): boolean {
    return this.#active;
  }

  /** True when the configuration in use is not the latest one (that one has errors). */
  get stale(): boolean {
    return this.#stale;
  }

  /** The allocator (read it; the controller alone changes it). */
  get allocator(): Allocator {
    return this.#allocator;
  }

  /** Our Services that have no address. */
  get pending(): ReadonlySet<string> {
    return this.#pending;
  }

  /**
   * Becomes the writer (the caches must be synced): rebuilds the allocator from the Services'
   * status, then converges every Service.
   */
  activate(): void {
    if (this.#active) return;
    this.#active = true;
    this.#metrics?.leader.set(1);
    this.#resetState();
    this.#configDirty = false;
    this.#needsRebuild = true;
    this.#reloadConfig();
    if (this.#needsRebuild && this.#config !== undefined) {
      // The latest configuration has errors: run the last valid pools.
      const r = this.#allocator.setPools(this.#config.pools);
      if (r.ok) this.#config = { ...this.#config, fingerprint: poolFingerprint(this.#config.pools) };
      this.#rebuild();
    }
    this.#writes.resume();
    this.#poolWrites.resume();
    this.#schedule();
    this.#log.info(
      { event: 'activated', services: this.#allocator.serviceCount, pending: this.#pending.size },
      `leading: ${this.#allocator.serviceCount} Services hold addresses, ${this.#pending.size} wait for one`,
    );
  }

  /** Stops writing (lost or gave up the lease); in-flight writes finish, queued ones are dropped. */
  deactivate(): void {
    if (!this.#active) return;
    this.#active = false;
    this.#metrics?.leader.set(0);
    this.#writes.clear();
    this.#poolWrites.clear();
    this.#resetState();
    this.#metrics?.setPools([]);
    this.#log.info({ event: 'deactivated' }, 'no longer leading: not writing');
  }

  #resetState(): void {
    this.#allocator = new Allocator();
    this.#desired.clear();
    this.#pending.clear();
    this.#incomplete.clear();
    this.#lastNote.clear();
    this.#dirty.clear();
    this.#dirtyNamespaces.clear();
    this.#reported.clear();
    this.#retryPending = false;
    this.#needsRebuild = false;
    if (this.#poolTimer !== undefined) clearTimeout(this.#poolTimer);
    this.#poolTimer = undefined;
    // The allocator is new: the pool set must be given to it again.
    if (this.#config !== undefined) this.#config = { ...this.#config, fingerprint: '' };
  }

  /** Resolves when every change seen so far is converged and written (for tests and benchmarks). */
  async settle(): Promise<void> {
    for (;;) {
      if (this.#scheduled || this.#dirty.size > 0 || this.#configDirty) {
        await new Promise<void>((r) => this.#idleWaiters.push(r));
        continue;
      }
      if (this.#poolTimer !== undefined) {
        await new Promise<void>((r) => setTimeout(r, this.#poolStatusDelayMs + 5));
        continue;
      }
      await Promise.all([this.#writes.idle(), this.#poolWrites.idle()]);
      if (!this.#scheduled && this.#dirty.size === 0 && this.#poolTimer === undefined) return;
    }
  }

  close(): void {
    this.deactivate();
  }

  // ---- cache events -------------------------------------------------------------------------

  #onCacheEvent(e: CacheEvent): void {
    if (e.type === 'synced') return;
    if (e.kind === 'Service') {
      if (e.type === 'invalid') {
        this.#log.warn(
          { event: 'invalidService', service: e.key, errors: e.problem.errors.map(describeError) },
          `Service ${e.key} does not validate; its last valid version is used`,
        );
        return;
      }
      this.#dirty.add(e.key);
    } else if (e.kind === 'Namespace') {
      if (e.type === 'added' || e.type === 'deleted') this.#dirtyNamespaces.add(e.key);
      else if (e.type === 'modified' && !sameLabels(e.object.metadata.labels, e.old?.metadata.labels))
        this.#dirtyNamespaces.add(e.key);
      else return;
    } else {
      // A pool's status counts (ours, or those of a controller of another class in this namespace)
      // are not configuration: reacting to them would re-check the configuration after every count
      // we write, and two controllers would answer each other's counts with their own for ever.
      if (e.kind === 'IPAddressPool' && statusOnlyChange(e)) return;
      this.#configDirty = true;
    }
    this.#metrics?.updates.inc();
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      try {
        this.#drain();
      } catch (err) {
        this.#log.error(
          { event: 'internalError', err: (err as Error).stack ?? String(err) },
          'internal error while converging',
        );
      } finally {
        this.#scheduled = false;
        if (this.#dirty.size > 0 || this.#configDirty) this.#schedule();
        else {
          const w = this.#idleWaiters;
          this.#idleWaiters = [];
          for (const r of w) r();
        }
      }
    });
  }

  #drain(): void {
    if (this.#configDirty) {
      this.#configDirty = false;
      this.#reloadConfig();
    }
    if (!this.#active || this.#config === undefined) {
      this.#dirty.clear();
      this.#dirtyNamespaces.clear();
      return;
    }
    if (this.#dirtyNamespaces.size > 0) {
      for (const svc of this.services.values()) {
        if (this.#dirtyNamespaces.has(svc.metadata.namespace)) this.#dirty.add(this.#keyOf(svc));
      }
      this.#dirtyNamespaces.clear();
    }
    let released = false;
    // Services are converged in the order their changes arrived.
    while (this.#dirty.size > 0) {
      const key = this.#dirty.values().next().value as string;
      this.#dirty.delete(key);
      if (this.#sync(key)) released = true;
    }
    if (released || this.#retryPending) {
      this.#retryPending = false;
      // MetalLB re-syncs every Service when addresses may have become free.
      for (const key of [...this.#pending, ...this.#incomplete]) this.#sync(key);
    }
    this.#poolsChanged();
  }

  #keyOf(svc: ServiceObject): string {
    return `${svc.metadata.namespace}/${svc.metadata.name}`;
  }

  // ---- configuration ------------------------------------------------------------------------

  #reloadConfig(): void {
    const view = evaluateConfig(cachedObjects(this.#cluster.cache), this.namespace);
    if (this.#active) this.#reportConfigProblems(view.errors);
    if (view.blocking.length > 0) {
      this.#setStale(true);
      this.#log.error(
        {
          event: 'configStale',
          errors: view.blocking.map((e) => `${e.kind}/${e.name} ${describeError(e)}`),
        },
        'the address pools have errors: the last valid pools stay in use',
      );
      return;
    }
    if (this.#config !== undefined && view.fingerprint === this.#config.fingerprint) {
      this.#setStale(false);
      return;
    }
    const target = this.#active ? this.#allocator : new Allocator();
    const r = target.setPools(view.pools);
    if (!r.ok) {
      this.#setStale(true);
      this.#log.error(
        { event: 'configStale', errors: r.errors.map((e) => `${e.pool} ${e.path}: ${e.message}`) },
        'the address pools were refused: the last valid pools stay in use',
      );
      if (this.#active) {
        for (const e of r.errors) {
          const pool = this.pools.get(`${this.namespace}/${e.pool}`);
          if (pool !== undefined)
            this.#configEvent(pool, `${e.path}: ${e.message} (the last valid address pools stay in use)`);
        }
      }
      return;
    }
    this.#config = { pools: view.pools, fingerprint: view.fingerprint };
    this.#setStale(false);
    this.#metrics?.configLoaded.set(1);
    this.#log.info(
      { event: 'configLoaded', pools: view.pools.map((p) => p.metadata.name) },
      `address pools loaded: ${view.pools.map((p) => p.metadata.name).join(', ') || '(none)'}`,
    );
    if (!this.#active) return;
    if (this.#needsRebuild) {
      // The first valid pool set since activation: now the Services can be rebuilt.
      this.#rebuild();
      return;
    }
    for (const c of r.changes) {
      const svc = this.services.get(c.service);
      if (c.action === 'released') {
        this.#desired.delete(c.service);
        this.#log.info(
          { event: 'clearAssignment', service: c.service, ips: c.ips, reason: c.reason },
          c.message,
        );
        if (svc !== undefined) {
          this.#record(svc, {
            type: 'Normal',
            reason: 'ClearAssignment',
            note: `current IP for "${c.service}" not allowed by config, will attempt for new IP assignment: ${c.message}`,
          });
        }
      }
      this.#dirty.add(c.service);
    }
    this.#retryPending = true;
  }

  #setStale(stale: boolean): void {
    this.#stale = stale;
    this.#metrics?.configStale.set(stale ? 1 : 0);
  }

  /** An Event on each object that did not validate or breaks a cross-object rule (once per text). */
  #reportConfigProblems(errors: readonly ConfigError[]): void {
    const seen = new Set<string>();
    for (const t of MetallbKinds) {
      if (!this.#cluster.cache.has(t)) continue;
      const store = this.#cluster.cache.store(t);
      for (const p of store.problems()) {
        const [namespace, name] = splitKey(p.key);
        const last = store.get(p.key);
        const note = `${p.errors.map(describeError).join('; ')} (this version is refused; ${last === undefined ? 'the object is ignored' : 'its last valid version stays in use'})`;
        const ref: ObjectReference = {
          apiVersion: apiVersionFor(t.kind),
          kind: t.kind,
          namespace,
          name,
          uid: p.uid ?? last?.metadata.uid,
          resourceVersion: p.resourceVersion,
        };
        const k = `${t.kind}/${p.key}\u0000${note}`;
        seen.add(k);
        if (this.#reported.has(k)) continue;
        this.#reported.add(k);
        this.#events.record(ref, { type: 'Warning', reason: 'InvalidConfiguration', note });
        this.#log.warn({ event: 'invalidObject', kind: t.kind, object: p.key, note }, 'invalid object');
      }
    }
    for (const e of errors) {
      const t = MetallbKinds.find((k) => k.kind === e.kind);
      const obj = t === undefined ? undefined : this.#cluster.cache.store(t).get(`${e.namespace}/${e.name}`);
      if (obj === undefined) continue;
      const stays =
        e.kind === 'IPAddressPool' || e.kind === 'Community'
          ? 'the last valid address pools stay in use'
          : 'the object is not used';
      const note = `${describeError(e)} (${stays})`;
      const k = `${e.kind}/${e.namespace}/${e.name}\u0000${note}`;
      seen.add(k);
      if (this.#reported.has(k)) continue;
      this.#reported.add(k);
      this.#configEvent(obj, note);
    }
    // A problem that went away may be reported again if it comes back.
    for (const k of this.#reported) if (!seen.has(k)) this.#reported.delete(k);
  }

  #configEvent(obj: KubeObject, note: string): void {
    this.#events.record(
      {
        apiVersion: apiVersionFor(obj.kind),
        kind: obj.kind,
        namespace: obj.metadata.namespace,
        name: obj.metadata.name,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
      },
      { type: 'Warning', reason: 'InvalidConfiguration', note },
    );
    this.#log.warn(
      {
        event: 'invalidObject',
        kind: obj.kind,
        object: `${obj.metadata.namespace}/${obj.metadata.name}`,
        note,
      },
      'invalid configuration',
    );
  }

  // ---- services -----------------------------------------------------------------------------

  /** Restart, or a new leader: restore every Service's status, then converge them all. */
  #rebuild(): void {
    this.#needsRebuild = false;
    const claimed: { obj: ServiceObject; key: string; ips: string[] }[] = [];
    const rest: { obj: ServiceObject; key: string }[] = [];
    for (const svc of this.services.values()) {
      const key = this.#keyOf(svc);
      const ips = statusIPs(svc);
      if (ips.length > 0 && isServedByUs(svc, this.loadBalancerClass)) claimed.push({ obj: svc, key, ips });
      else rest.push({ obj: svc, key });
    }
    claimed.sort(byAge);
    rest.sort(byAge);
    const refused = new Map<string, Refusal>();
    for (const c of claimed) {
      const r = this.#allocator.restore(allocatorService(c.obj, this.#nsLabels(c.obj)), c.ips);
      if (!r.ok) refused.set(c.key, r.reason);
    }
    for (const c of claimed) {
      const reason = refused.get(c.key);
      if (reason !== undefined) {
        const conflict = reason.code === 'IPInUse';
        const note = `current IP for "${c.key}" not allowed by config, will attempt for new IP assignment: ${reason.message}${conflict ? ` (both claim it in their status: the Service created first keeps it, then by namespace/name)` : ''}`;
        this.#log.warn(
          { event: 'clearAssignment', service: c.key, ips: c.ips, reason: reason.code },
          reason.message,
        );
        this.#record(c.obj, { type: conflict ? 'Warning' : 'Normal', reason: 'ClearAssignment', note });
      }
      this.#sync(c.key);
    }
    for (const r of rest) this.#sync(r.key);
    for (const key of [...this.#pending]) this.#sync(key);
    this.#poolsChanged();
  }

  #nsLabels(svc: ServiceObject): Readonly<Record<string, string>> | undefined {
    return this.namespaces.get(svc.metadata.namespace)?.metadata.labels;
  }

  /** Converges one Service. Returns true when addresses were released (others may now fit). */
  #sync(key: string): boolean {
    const svc = this.services.get(key);
    if (svc === undefined) {
      const had = this.#allocator.release(key);
      this.#forget(key);
      if (had !== undefined)
        this.#log.info(
          { event: 'serviceDeleted', service: key, ips: had.ips },
          `released ${had.ips.join(', ')}`,
        );
      return had !== undefined;
    }
    if (!isServedByUs(svc, this.loadBalancerClass)) {
      const had = this.#allocator.release(key);
      this.#forget(key);
      // Not (or no longer) a LoadBalancer of our class: MetalLB clears what it manages.
      const ourClass = (svc.spec.loadBalancerClass ?? '') === (this.loadBalancerClass ?? '');
      if (svc.spec.type !== 'LoadBalancer' && ourClass) this.#want(key, svc, CLEAR);
      if (had !== undefined)
        this.#log.info(
          { event: 'clearAssignment', service: key, ips: had.ips, reason: 'notLoadBalancer' },
          `released ${had.ips.join(', ')}: not a LoadBalancer Service of this controller`,
        );
      return had !== undefined;
    }
    const before = this.#allocator.assignmentOf(key);
    const r = this.#allocator.assign(allocatorService(svc, this.#nsLabels(svc)));
    const released = r.released.length > 0;
    if (r.ok) {
      this.#pending.delete(key);
      const wantsTwo = svc.spec.ipFamilyPolicy === 'PreferDualStack' && svc.spec.ipFamilies?.length === 2;
      if (wantsTwo && r.ips.length === 1) this.#incomplete.add(key);
      else this.#incomplete.delete(key);
      this.#want(key, svc, { ips: r.ips, pool: r.pool });
      if (r.changed && !sameIPs(before?.ips ?? [], r.ips)) {
        this.#lastNote.delete(key);
        const added =
          before !== undefined &&
          before.ips.length === 1 &&
          r.ips.length === 2 &&
          r.ips.includes(before.ips[0]!);
        const fresh = added ? r.ips.filter((ip) => ip !== before.ips[0]) : r.ips;
        this.#log.info(
          { event: 'ipAllocated', service: key, ip: r.ips, pool: r.pool },
          'IP address assigned by controller',
        );
        this.#record(svc, {
          type: 'Normal',
          reason: 'IPAllocated',
          note: added
            ? `Assigned additional IP ${JSON.stringify(fresh[0])}`
            : `Assigned IP ${goQuoteList(r.ips)}`,
        });
      }
      if (r.warning !== undefined) {
        this.#recordOnce(key, svc, {
          type: 'Normal',
          reason: 'AdditionalAssignFailed',
          note: `cannot assign additional IP in PreferDualStack: ${r.warning.message}`,
        });
      }
    } else if (r.held !== undefined) {
      // An unreadable request does not take a working address away (MetalLB: LoadBalancerFailed).
      this.#pending.delete(key);
      this.#incomplete.delete(key);
      this.#want(key, svc, { ips: r.held.ips, pool: r.held.pool });
      this.#recordOnce(key, svc, {
        type: 'Warning',
        reason: 'LoadBalancerFailed',
        note: `invalid requested loadbalancer IPs: ${r.reason.message}`,
      });
    } else {
      this.#pending.add(key);
      this.#incomplete.delete(key);
      this.#want(key, svc, CLEAR);
      if (released)
        this.#log.info(
          { event: 'clearAssignment', service: key, ips: r.released, reason: r.reason.code },
          `released ${r.released.join(', ')}`,
        );
      this.#recordOnce(key, svc, {
        type: 'Warning',
        reason: 'AllocationFailed',
        note: `Failed to allocate IP for "${key}": ${r.reason.message}`,
      });
    }
    return released;
  }

  #forget(key: string): void {
    this.#desired.delete(key);
    this.#pending.delete(key);
    this.#incomplete.delete(key);
    this.#lastNote.delete(key);
  }

  /** Records the desired state and queues a write when the Service does not carry it yet. */
  #want(key: string, svc: ServiceObject, want: Desired): void {
    this.#desired.set(key, want);
    if (sameIPs(statusIPs(svc), want.ips) && poolAnnotation(svc) === want.pool) return;
    // MetalLB warns about the old annotation prefix when it changes the Service.
    for (const a of deprecatedAnnotations(svc)) {
      this.#recordOnce(`${key}\u0000${a}`, svc, {
        type: 'Warning',
        reason: 'deprecatedAnnotation',
        note: `Service uses deprecated annotation ${a}`,
      });
    }
    this.#writes.add(key);
    this.#metrics?.writeQueue.set(this.#writes.size + this.#poolWrites.size);
  }

  #record(svc: ServiceObject, ev: EventInput): void {
    this.#events.record(serviceRef(svc), ev);
  }

  #recordOnce(key: string, svc: ServiceObject, ev: EventInput): void {
    const k = `${ev.reason}\u0000${ev.note}`;
    if (this.#lastNote.get(key) === k) return;
    this.#lastNote.set(key, k);
    if (ev.type === 'Warning')
      this.#log.warn({ event: ev.reason, service: this.#keyOf(svc), note: ev.note }, ev.note);
    this.#record(svc, ev);
  }

  async #writeService(key: string): Promise<void> {
    const want = this.#desired.get(key);
    const svc = this.services.get(key);
    if (!this.#active || want === undefined || svc === undefined) return;
    const [namespace, name] = splitKey(key);
    try {
      if (!sameIPs(statusIPs(svc), want.ips)) {
        await this.#cluster.writer.updateServiceStatus(namespace, name, (cur) => {
          const w = this.#desired.get(key);
          if (!this.#active || w === undefined || cur.metadata.uid !== svc.metadata.uid) return undefined;
          if (sameIPs(statusIPs(cur), w.ips)) return undefined;
          return { ingress: w.ips.map((ip) => ({ ip })) };
        });
      }
      const w = this.#desired.get(key);
      if (!this.#active || w === undefined) return;
      const have = poolAnnotation(this.services.get(key) ?? svc);
      if (have === w.pool) return;
      const ann = Annotations.ipAllocatedFromPool;
      if (w.pool !== undefined) {
        await this.#cluster.writer.applyServiceAnnotations(namespace, name, { [ann]: w.pool });
      } else if (have !== undefined) {
        // Server-side apply removes only what this manager owns: take the annotation over, then drop it.
        await this.#cluster.writer.applyServiceAnnotations(namespace, name, { [ann]: have });
        await this.#cluster.writer.applyServiceAnnotations(namespace, name, {});
      }
    } catch (err) {
      // Deleted meanwhile: nothing to write.
      if (err instanceof ApiError && err.notFound) return;
      if (this.services.get(key) === undefined) return;
      throw err;
    } finally {
      this.#metrics?.writeQueue.set(this.#writes.size + this.#poolWrites.size);
    }
  }

  // ---- pool status and metrics --------------------------------------------------------------

  #poolsChanged(): void {
    if (!this.#active || this.#poolTimer !== undefined) return;
    this.#poolTimer = setTimeout(() => {
      this.#poolTimer = undefined;
      if (!this.#active) return;
      this.#refreshPools();
    }, this.#poolStatusDelayMs);
  }

  #refreshPools(): void {
    const names = this.#allocator.poolNames();
    const perPool = new Map<string, number>();
    for (const d of this.#desired.values()) {
      if (d.pool !== undefined && d.ips.length > 0) perPool.set(d.pool, (perPool.get(d.pool) ?? 0) + 1);
    }
    this.#metrics?.setPools(
      names.map((pool) => {
        const s = this.#allocator.poolStats(pool)!;
        return { ...s, services: perPool.get(pool) ?? 0 };
      }),
    );
    this.#metrics?.pendingServices.set(this.#pending.size);
    for (const name of names) this.#poolWrites.add(name);
  }

  async #writePoolStatus(name: string): Promise<void> {
    if (!this.#active) return;
    const status = this.#allocator.poolStatus(name);
    const pool = this.pools.get(`${this.namespace}/${name}`);
    if (status === undefined || pool === undefined || samePoolStatus(pool.status, status)) return;
    try {
      await this.#cluster.writer.apply(
        Resources.IPAddressPool,
        { metadata: { name, namespace: this.namespace }, status },
        { subresource: 'status' },
      );
    } catch (err) {
      if (err instanceof ApiError && err.notFound) return;
      throw err;
    }
  }

  /** The pool set in use, for the webhook and status output. */
  get poolsInUse(): readonly PoolObject[] {
    return this.#config?.pools ?? [];
  }

  /** For tests: the fingerprint of a pool list, as the controller compares them. */
  static fingerprint(pools: readonly IPAddressPool[]): string {
    return poolFingerprint(pools);
  }
}
