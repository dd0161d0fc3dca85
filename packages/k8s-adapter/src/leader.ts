// Leader election on a coordination.k8s.io/v1 Lease, with client-go's rules:
// - a candidate takes the Lease when it is free or when the holder has not renewed it for a lease
//   duration, measured on the candidate's own monotonic clock from when it last saw the record
//   change (never from the timestamps in the Lease, so clock skew between nodes does not matter);
// - every write carries the resourceVersion read, so two candidates can never both win (409);
// - the leader renews every retry period and steps down when it could not renew for the renew
//   deadline (apiserver unreachable, partition): it stops acting before another can take over;
// - on shutdown it releases the Lease, so a successor takes over at once instead of after expiry.
import { ApiError, type KubeClient } from './client.ts';
import { microTime } from './events.ts';
import { sleep } from './sleep.ts';

export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly name: string;
  /** This candidate (Pod name, or hostname plus a random suffix). */
  readonly identity: string;
  /** Default 15 s. */
  readonly leaseDurationMs?: number;
  /** Default 10 s; must be shorter than the lease duration. */
  readonly renewDeadlineMs?: number;
  /** Default 2 s. */
  readonly retryPeriodMs?: number;
  /** Called when this candidate becomes leader; `signal` aborts when it stops being leader. */
  readonly onStartedLeading?: (signal: AbortSignal) => void;
  readonly onStoppedLeading?: (reason: string) => void;
  /** Called whenever the observed holder changes (including to this candidate). */
  readonly onNewLeader?: (identity: string) => void;
  /** Monotonic milliseconds (default performance.now). */
  readonly now?: () => number;
  /** Wall clock for the Lease's timestamps (default Date.now). */
  readonly wallNow?: () => number;
  readonly random?: () => number;
}

export interface LeaderElection {
  readonly isLeader: boolean;
  /** The holder as last observed, if any. */
  readonly leader: string | undefined;
  /** Runs until `signal` aborts; then releases the Lease if held. */
  run(signal: AbortSignal): Promise<void>;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}
interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string; [k: string]: unknown };
  spec?: LeaseSpec;
}

export class LeaseLeaderElector implements LeaderElection {
  readonly #client: KubeClient;
  readonly #o: Required<
    Pick<LeaderElectionOptions, 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs'>
  > &
    LeaderElectionOptions;
  readonly #now: () => number;
  readonly #wall: () => number;
  readonly #random: () => number;
  #observed: { spec: LeaseSpec; rv: string | undefined } | undefined;
  #observedAt = 0;
  #leader: string | undefined;
  #isLeader = false;
  #leading: AbortController | undefined;

  constructor(client: KubeClient, opts: LeaderElectionOptions) {
    const o = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...opts };
    if (o.renewDeadlineMs >= o.leaseDurationMs)
      throw new Error('leader election: renewDeadline must be shorter than leaseDuration');
    if (o.retryPeriodMs >= o.renewDeadlineMs)
      throw new Error('leader election: retryPeriod must be shorter than renewDeadline');
    this.#client = client;
    this.#o = o;
    this.#now = opts.now ?? (() => performance.now());
    this.#wall = opts.wallNow ?? Date.now;
    this.#random = opts.random ?? Math.random;
  }

  get isLeader(): boolean {
    return this.#isLeader;
  }
  get leader(): string | undefined {
    return this.#leader;
  }

  get #path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.#o.namespace)}/leases`;
  }

  #see(holder: string | undefined): void {
    if (holder !== this.#leader) {
      this.#leader = holder;
      if (holder) this.#o.onNewLeader?.(holder);
    }
  }

  /** One attempt to acquire or renew. True when this candidate holds the Lease afterwards. */
  async tryAcquireOrRenew(signal?: AbortSignal): Promise<boolean> {
    const now = this.#now();
    const wall = microTime(this.#wall());
    const id = this.#o.identity;
    const durationS = Math.ceil(this.#o.leaseDurationMs / 1000);
    let lease: Lease | undefined;
    try {
      lease = await this.#client.request<Lease>('GET', `${this.#path}/${encodeURIComponent(this.#o.name)}`, {
        signal,
        timeoutMs: this.#o.retryPeriodMs * 2,
      });
    } catch (err) {
      if (!(err instanceof ApiError && err.notFound)) throw err;
    }
    if (lease === undefined) {
      const body: Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.#o.name, namespace: this.#o.namespace },
        spec: {
          holderIdentity: id,
          leaseDurationSeconds: durationS,
          acquireTime: wall,
          renewTime: wall,
          leaseTransitions: 0,
        },
      };
      const created = await this.#client.request<Lease>('POST', this.#path, {
        body,
        signal,
        timeoutMs: this.#o.retryPeriodMs * 2,
      });
      this.#observed = { spec: created.spec ?? {}, rv: created.metadata.resourceVersion };
      this.#observedAt = now;
      this.#see(id);
      return true;
    }
    const spec = lease.spec ?? {};
    const rv = lease.metadata.resourceVersion;
    if (this.#observed === undefined || this.#observed.rv !== rv) {
      this.#observed = { spec, rv };
      this.#observedAt = now;
    }
    const holder = spec.holderIdentity ?? '';
    this.#see(holder || undefined);
    const leaseMs = (spec.leaseDurationSeconds ?? durationS) * 1000;
    if (holder !== '' && holder !== id && this.#observedAt + leaseMs > now) return false;
    const mine = holder === id;
    const next: Lease = {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: id,
        leaseDurationSeconds: durationS,
        renewTime: wall,
        acquireTime: mine ? (spec.acquireTime ?? wall) : wall,
        leaseTransitions: mine ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
      },
    };
    const updated = await this.#client.request<Lease>(
      'PUT',
      `${this.#path}/${encodeURIComponent(this.#o.name)}`,
      {
        body: next,
        signal,
        timeoutMs: this.#o.retryPeriodMs * 2,
      },
    );
    this.#observed = { spec: updated.spec ?? {}, rv: updated.metadata.resourceVersion };
    this.#observedAt = now;
    this.#see(id);
    return true;
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      // Acquire: try every retry period (jittered, as client-go does) until we hold the Lease.
      let held = false;
      try {
        held = await this.tryAcquireOrRenew(signal);
      } catch {
        held = false;
      }
      if (!held) {
        await sleep(this.#o.retryPeriodMs * (1 + 0.2 * this.#random()), signal);
        continue;
      }
      this.#isLeader = true;
      this.#leading = new AbortController();
      this.#o.onStartedLeading?.(this.#leading.signal);
      const reason = await this.#renewLoop(signal);
      this.#isLeader = false;
      this.#leading.abort();
      this.#leading = undefined;
      this.#o.onStoppedLeading?.(reason);
      if (signal.aborted) break;
    }
    await this.release();
  }

  /** Renews until it fails for the renew deadline or `signal` aborts; returns why it stopped. */
  async #renewLoop(signal: AbortSignal): Promise<string> {
    let lastRenew = this.#now();
    while (!signal.aborted) {
      await sleep(this.#o.retryPeriodMs, signal);
      if (signal.aborted) return 'shutting down';
      const deadline = lastRenew + this.#o.renewDeadlineMs;
      let lostTo: string | undefined;
      try {
        // Whole milliseconds: AbortSignal.timeout throws on a fraction (performance.now() has them).
        const remaining = Math.max(1, Math.ceil(deadline - this.#now()));
        const ok = await this.tryAcquireOrRenew(AbortSignal.any([signal, AbortSignal.timeout(remaining)]));
        if (ok) {
          lastRenew = this.#now();
          continue;
        }
        lostTo = this.#leader;
      } catch {
        // Unreachable, timed out, or 409 (someone wrote the Lease since we read it: the next read
        // tells whether it is still ours). Retry until the deadline.
      }
      if (lostTo !== undefined) return `the Lease is held by ${lostTo}`;
      if (this.#now() >= deadline) return `could not renew the Lease for ${this.#o.renewDeadlineMs} ms`;
    }
    return 'shutting down';
  }

  /** Gives the Lease up if this candidate holds it, so a successor need not wait for expiry. */
  async release(): Promise<void> {
    const obs = this.#observed;
    if (obs === undefined || obs.spec.holderIdentity !== this.#o.identity) return;
    try {
      const lease = await this.#client.request<Lease>(
        'GET',
        `${this.#path}/${encodeURIComponent(this.#o.name)}`,
        {
          timeoutMs: 2000,
        },
      );
      if (lease.spec?.holderIdentity !== this.#o.identity) return;
      const wall = microTime(this.#wall());
      await this.#client.request('PUT', `${this.#path}/${encodeURIComponent(this.#o.name)}`, {
        body: {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: '',
            leaseDurationSeconds: 1,
            renewTime: wall,
            acquireTime: wall,
          },
        },
        timeoutMs: 2000,
      });
      this.#observed = undefined;
    } catch {
      // Unreachable or lost the race: the Lease expires on its own.
    }
  }
}
