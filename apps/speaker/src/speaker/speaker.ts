// The speaker: applies each valid configuration snapshot as a difference — peers added, removed or
// changed (only a changed peer's session is reset, and only when a session-relevant field changed),
// BFD sessions started, re-profiled or stopped, and the desired routes recomputed and handed to each
// session's Adj-RIB-Out, which sends only what changed. When only some Services and EndpointSlices
// changed (Kubernetes mode says which), only the Services they touch are recomputed and only the
// routes that changed are handed over (announce/incremental.ts).
import type { Logger } from 'pino';
import { prefixCount } from '../announce/announce.ts';
import { Announcer } from '../announce/incremental.ts';
import { anySelects } from '../announce/selector.ts';
import type {
  DataChanges,
  IpAnnouncement,
  PeerRoutes,
  ServiceVerdict,
  VerdictChange,
} from '../announce/types.ts';
import type { SpeakerMetrics } from './metrics.ts';
import type {
  BfdPeerStatus,
  BfdProfileConfig,
  BfdSessionPort,
  BgpCounters,
  BgpPeerStatus,
  BgpSessionPort,
  LoadResult,
  MessageKind,
  PeerConfig,
  SessionFactory,
  SpeakerSnapshot,
} from './types.ts';

interface RunningPeer {
  cfg: PeerConfig;
  bgp: BgpSessionPort;
  bfd: BfdSessionPort | undefined;
  /** Counters at the last metrics refresh. */
  counters?: BgpCounters;
  bfdPackets?: { readonly in: number; readonly out: number };
}

const ZERO: Readonly<Record<MessageKind, number>> = {
  open: 0,
  update: 0,
  notification: 0,
  keepalive: 0,
  'route-refresh': 0,
};

/** FILE content that is not applied (yet): why, and until when at the latest. */
export interface PendingConfig {
  /**
   * `empty`: FILE has no documents, never applied; `held`: the edit removes every object of a kind
   * (peers, pools, …) or cuts FILE short to a beginning of the running content, and waits to be
   * confirmed; `settling`: FILE is being rewritten in place and the edit waits until FILE has stayed
   * unchanged for a moment.
   */
  readonly kind: 'empty' | 'held' | 'settling';
  readonly hash: string;
  readonly reason: string;
  /** ms since epoch. */
  readonly since: number;
  /** ms since epoch when it applies if FILE still holds it (held, settling). */
  readonly until?: number | undefined;
}

interface ConfigStatus {
  readonly loaded: boolean;
  /** FILE's content is not what runs: the latest edit was rejected, or is held or ignored. */
  readonly stale: boolean;
  readonly hash: string | undefined;
  readonly appliedAt: number | undefined;
  readonly lastErrors: readonly string[];
  readonly lastErrorAt: number | undefined;
  readonly warnings: readonly string[];
  readonly pending?: PendingConfig | undefined;
}

export interface SpeakerStatus {
  readonly node: string;
  readonly config: ConfigStatus;
  readonly nodeReason: string;
  readonly bgp: readonly BgpPeerStatus[];
  readonly bfd: readonly BfdPeerStatus[];
  readonly services: readonly ServiceVerdict[];
}

/** The fields whose change needs a new BGP session (everything the OPEN, TCP or timers depend on). */
function sessionKey(p: PeerConfig): string {
  return JSON.stringify([
    p.address,
    p.port,
    p.myASN,
    p.localASN,
    p.peerASN,
    p.dynamicASN,
    p.holdTime,
    p.keepaliveTime,
    p.connectTime,
    p.routerID,
    p.sourceAddress,
    p.password,
    p.ebgpMultiHop,
    p.enableGracefulRestart,
    p.disableMP,
    p.vrf,
  ]);
}

function bfdKey(b: BfdProfileConfig | undefined): string {
  return b === undefined ? '' : JSON.stringify(b);
}

export interface SpeakerOptions {
  readonly nodeName: string;
  readonly factory: SessionFactory;
  readonly logger: Logger;
  readonly metrics: SpeakerMetrics;
  readonly loadBalancerClass?: string | undefined;
}

export class Speaker {
  readonly #o: SpeakerOptions;
  readonly #peers = new Map<string, RunningPeer>();
  #snapshot: SpeakerSnapshot | undefined;
  readonly #announcer: Announcer;
  /** The verdicts the last applied snapshot changed (every verdict after a full recompute). */
  #verdictChanges: readonly VerdictChange[] = [];
  #config: {
    hash?: string;
    appliedAt?: number;
    lastErrors: readonly string[];
    lastErrorAt?: number;
    warnings: readonly string[];
  } = { lastErrors: [], warnings: [] };
  #pending: PendingConfig | undefined;
  #stopping = false;

  constructor(opts: SpeakerOptions) {
    this.#o = opts;
    this.#announcer = new Announcer({ nodeName: opts.nodeName, loadBalancerClass: opts.loadBalancerClass });
  }

  /**
   * Each Service verdict the last `load` / `apply` changed, before and after (after a recompute of
   * everything, every Service's; after a rejected configuration, none).
   */
  get verdictChanges(): readonly VerdictChange[] {
    return this.#verdictChanges;
  }

  get log(): Logger {
    return this.#o.logger;
  }

  /** The hash of the configuration that runs. */
  get appliedHash(): string | undefined {
    return this.#config.hash;
  }

  /** Records FILE content that is not applied (shown by status, counted as stale), or clears it. */
  setPending(pending: PendingConfig | undefined): void {
    this.#pending = pending;
    this.#o.metrics.configStale.set(pending !== undefined || this.#config.lastErrors.length > 0 ? 1 : 0);
  }

  /**
   * FILE holds the running configuration again (after a rejected, empty or held edit): clears the
   * errors and the pending content. Returns whether there was anything to clear.
   */
  backToApplied(): boolean {
    if (this.#pending === undefined && this.#config.lastErrors.length === 0) return false;
    this.#pending = undefined;
    this.#config = { ...this.#config, lastErrors: [] };
    this.#o.metrics.configStale.set(0);
    return true;
  }

  get pending(): PendingConfig | undefined {
    return this.#pending;
  }

  /**
   * Whether `next` removes, compared with what runs, every object of a kind all announcements depend
   * on: every BGPPeer with a session from this node, every IPAddressPool, every BGPAdvertisement,
   * every Service or every EndpointSlice (a Service without endpoints is withdrawn, `noEndpoints`).
   * Such an edit withdraws everything at once; it says which, or undefined.
   */
  sweepingChange(next: SpeakerSnapshot): string | undefined {
    const prev = this.#snapshot;
    if (prev === undefined) return undefined;
    const gone: string[] = [];
    const check = (kind: string, before: number, after: number) => {
      if (before > 0 && after === 0) gone.push(`every ${kind} (${before})`);
    };
    check('BGPPeer of this node', this.#wanted(prev).size, this.#wanted(next).size);
    check('IPAddressPool', prev.announce.pools.length, next.announce.pools.length);
    check('BGPAdvertisement', prev.announce.advertisements.length, next.announce.advertisements.length);
    check('Service', prev.services.length, next.services.length);
    check('EndpointSlice', prev.endpointSlices.length, next.endpointSlices.length);
    return gone.length === 0 ? undefined : `the edit removes ${gone.join(', ')}`;
  }

  /** The peers with a session from this node (their node selectors select it). */
  #wanted(snap: SpeakerSnapshot): Map<string, PeerConfig> {
    const me = snap.nodes.find((n) => n.metadata.name === this.#o.nodeName);
    const labels = me?.metadata.labels ?? {};
    const wanted = new Map<string, PeerConfig>();
    for (const p of snap.peers) {
      if (anySelects(snap.announce.peers.find((x) => x.name === p.name)?.nodeSelectors ?? [], labels))
        wanted.set(p.name, p);
    }
    return wanted;
  }

  /** Applies a loader result: a valid snapshot replaces the running one; errors keep it. */
  load(result: LoadResult, hash?: string): boolean {
    const m = this.#o.metrics;
    this.#verdictChanges = [];
    if (!result.ok) {
      this.#config = { ...this.#config, lastErrors: result.errors, lastErrorAt: Date.now() };
      this.#pending = undefined;
      m.configStale.set(1);
      this.log.error(
        { event: 'configRejected', errors: result.errors, keeping: this.#config.hash ?? 'none' },
        `invalid configuration (${result.errors.length} error${result.errors.length === 1 ? '' : 's'}), ${this.#snapshot ? 'the last valid configuration keeps running' : 'nothing to run yet'}: ${result.errors.join('; ')}`,
      );
      return false;
    }
    for (const w of result.warnings) this.log.warn({ event: 'configWarning' }, w);
    this.#config = {
      ...(hash === undefined ? {} : { hash }),
      appliedAt: Date.now(),
      lastErrors: [],
      warnings: result.warnings,
    };
    this.#pending = undefined;
    m.configLoaded.set(1);
    m.configStale.set(0);
    this.apply(result.snapshot, result.changes);
    return true;
  }

  /**
   * Applies a snapshot as a difference against what runs. `changes`: only these Services and
   * EndpointSlices changed since the snapshot before (used when this one has the same configuration).
   */
  apply(snap: SpeakerSnapshot, changes?: DataChanges): void {
    if (this.#stopping) return;
    const prev = this.#snapshot;
    this.#snapshot = snap;
    const wanted = this.#wanted(snap);
    // Removed (or no longer selecting this node).
    for (const [name, run] of [...this.#peers]) {
      if (wanted.has(name)) continue;
      this.#peers.delete(name);
      this.log.info(
        { event: 'peerRemoved', peer: run.cfg.address, name },
        'peer deconfigured, closing BGP session',
      );
      this.#background(run.bgp.deconfigure(), run.cfg, 'closing the BGP session');
      if (run.bfd !== undefined) this.#background(run.bfd.close(), run.cfg, 'closing the BFD session');
      this.#o.metrics.forgetPeer(run.cfg.address);
      this.#o.metrics.forgetBfdPeer(run.cfg.address);
    }
    for (const [name, cfg] of wanted) {
      const run = this.#peers.get(name);
      if (run === undefined) {
        this.log.info(
          { event: 'peerAdded', peer: cfg.address, name, asn: cfg.peerASN ?? cfg.dynamicASN },
          'peer configured, starting BGP session',
        );
        this.#start(cfg);
        continue;
      }
      if (sessionKey(run.cfg) !== sessionKey(cfg)) {
        this.log.info(
          { event: 'peerChanged', peer: cfg.address, name },
          'peer session parameters changed, resetting its session',
        );
        // RFC 4486: 6/6 Other Configuration Change (6/3 Peer De-configured is for a removed peer)
        this.#background(run.bgp.reconfigure(), run.cfg, 'closing the BGP session');
        if (run.bfd !== undefined) this.#background(run.bfd.close(), run.cfg, 'closing the BFD session');
        this.#peers.delete(name);
        this.#start(cfg);
        continue;
      }
      if (bfdKey(run.cfg.bfdProfile) !== bfdKey(cfg.bfdProfile)) this.#changeBfd(run, cfg);
      run.cfg = cfg;
    }
    const sameConfig =
      prev !== undefined &&
      prev.announce === snap.announce &&
      prev.peers === snap.peers &&
      prev.nodes === snap.nodes;
    if (changes !== undefined && sameConfig && this.#announcer.ready) this.#announceChanges(changes);
    else this.#announce();
  }

  /** Runs a teardown without waiting for it; a failure is logged, never an unhandled rejection. */
  #background(p: Promise<void>, cfg: PeerConfig, what: string): void {
    p.catch((err: unknown) =>
      this.log.error(
        { event: 'teardownFailed', peer: cfg.address, err: String(err) },
        `${what} failed: ${String(err)}`,
      ),
    );
  }

  #start(cfg: PeerConfig): void {
    const bgp = this.#o.factory.createBgp(cfg, this.#bgpEvents(cfg));
    const run: RunningPeer = { cfg, bgp, bfd: undefined };
    this.#peers.set(cfg.name, run);
    if (cfg.bfdProfile !== undefined)
      run.bfd = this.#o.factory.createBfd(cfg, cfg.bfdProfile, this.#bfdEvents(cfg));
  }

  #changeBfd(run: RunningPeer, cfg: PeerConfig): void {
    const next = cfg.bfdProfile;
    if (next === undefined) {
      this.log.info(
        { event: 'bfdRemoved', peer: cfg.address },
        'BFD profile removed from peer, stopping BFD',
      );
      if (run.bfd !== undefined) this.#background(run.bfd.close(), run.cfg, 'closing the BFD session');
      run.bfd = undefined;
      run.bfdPackets = undefined;
      this.#o.metrics.forgetBfdPeer(cfg.address);
    } else if (run.bfd === undefined) {
      this.log.info(
        { event: 'bfdAdded', peer: cfg.address, profile: next.name },
        'BFD profile set on peer, starting BFD',
      );
      run.bfd = this.#o.factory.createBfd(cfg, next, this.#bfdEvents(cfg));
      run.bfdPackets = undefined;
    } else {
      this.log.info(
        { event: 'bfdProfileChanged', peer: cfg.address, profile: next.name },
        'BFD profile changed',
      );
      run.bfd.setProfile(next);
    }
  }

  #bgpEvents(cfg: PeerConfig) {
    const m = this.#o.metrics;
    const l = { peer: cfg.address, vrf: cfg.vrf ?? 'default' };
    return {
      onStateChange: (_name: string, established: boolean, reason: string) => {
        m.bgpSessionUp.set(l, established ? 1 : 0);
        if (!established) m.bgpAnnounced.set(l, 0);
        if (established)
          this.log.info(
            { event: 'sessionUp', peer: cfg.address, name: cfg.name },
            `BGP session established with ${cfg.address}`,
          );
        else
          this.log.warn(
            { event: 'sessionDown', peer: cfg.address, name: cfg.name, reason },
            `BGP session with ${cfg.address} down: ${reason}`,
          );
      },
    };
  }

  /** Brings the counters of every session into the metrics (called before each scrape). */
  refreshMetrics(): void {
    const m = this.#o.metrics;
    for (const run of this.#peers.values()) {
      const l = { peer: run.cfg.address, vrf: run.cfg.vrf ?? 'default' };
      const c = run.bgp.counters();
      const prev = run.counters ?? { sent: ZERO, received: ZERO, advertised: 0 };
      const d = (a: number, b: number) => Math.max(0, a - b);
      const inc = (metric: { inc(l: object, n: number): void }, n: number) => {
        if (n > 0) metric.inc(l, n);
      };
      inc(m.bgpUpdatesSent, d(c.sent.update, prev.sent.update));
      inc(m.bgpOpensSent, d(c.sent.open, prev.sent.open));
      inc(m.bgpKeepalivesSent, d(c.sent.keepalive, prev.sent.keepalive));
      inc(m.bgpNotificationsSent, d(c.sent.notification, prev.sent.notification));
      inc(m.bgpRouteRefreshSent, d(c.sent['route-refresh'], prev.sent['route-refresh']));
      inc(m.bgpUpdatesReceived, d(c.received.update, prev.received.update));
      inc(m.bgpOpensReceived, d(c.received.open, prev.received.open));
      inc(m.bgpKeepalivesReceived, d(c.received.keepalive, prev.received.keepalive));
      const total = (r: Readonly<Record<MessageKind, number>>) =>
        r.open + r.update + r.notification + r.keepalive + r['route-refresh'];
      inc(m.bgpTotalSent, d(total(c.sent), total(prev.sent)));
      inc(m.bgpTotalReceived, d(total(c.received), total(prev.received)));
      m.bgpAnnounced.set(l, c.advertised);
      run.counters = c;
      if (run.bfd !== undefined) {
        const p = run.bfd.packets();
        const before = run.bfdPackets ?? { in: 0, out: 0 };
        inc(m.bfdIn, d(p.in, before.in));
        inc(m.bfdOut, d(p.out, before.out));
        run.bfdPackets = p;
      }
    }
  }

  #bfdEvents(cfg: PeerConfig) {
    const m = this.#o.metrics;
    const l = { peer: cfg.address, vrf: cfg.vrf ?? 'default' };
    m.bfdSessionUp.set(l, 0);
    return {
      onUp: () => {
        m.bfdSessionUp.set(l, 1);
        m.bfdUpEvents.inc(l);
        this.log.info({ event: 'bfdUp', peer: cfg.address }, `BFD session with ${cfg.address} up`);
      },
      onDown: (_n: string, diag: string, peerAdminDown: boolean) => {
        m.bfdSessionUp.set(l, 0);
        m.bfdDownEvents.inc(l);
        if (peerAdminDown) {
          // RFC 5882 §3.2: the peer took BFD down administratively; that says nothing about the path.
          this.log.info(
            { event: 'bfdAdminDown', peer: cfg.address, diag },
            `BFD peer ${cfg.address} went AdminDown; BGP session kept`,
          );
          return;
        }
        this.log.warn(
          { event: 'bfdDown', peer: cfg.address, diag },
          `BFD session with ${cfg.address} down (${diag}); taking the BGP session down`,
        );
        this.#peers.get(cfg.name)?.bgp.bfdDown(`BFD down: ${diag}`);
      },
    };
  }

  /** Everything again: every Service, every peer's whole table. */
  #announce(): void {
    const snap = this.#snapshot;
    if (snap === undefined) return;
    const a = this.#announcer;
    const changes = a.reset(snap.announce, snap.nodes, snap.services, snap.endpointSlices);
    const empty: PeerRoutes = { ipv4: new Map(), ipv6: new Map() };
    for (const [name, run] of this.#peers) {
      const routes = a.routes.get(name) ?? empty;
      this.#o.metrics.bgpPending.set(
        { peer: run.cfg.address, vrf: run.cfg.vrf ?? 'default' },
        prefixCount(routes),
      );
      run.bgp.setRoutes(routes);
    }
    this.#verdictChanges = changes;
    this.#logVerdicts(changes);
  }

  /** Only the Services `changes` touch, only the routes that changed. */
  #announceChanges(changes: DataChanges): void {
    const a = this.#announcer;
    const { routes, services } = a.update(changes);
    for (const [name, ch] of routes) {
      const run = this.#peers.get(name);
      const table = a.routes.get(name);
      if (run === undefined || table === undefined) continue;
      this.#o.metrics.bgpPending.set(
        { peer: run.cfg.address, vrf: run.cfg.vrf ?? 'default' },
        prefixCount(table),
      );
      run.bgp.updateRoutes(table, ch);
    }
    this.#verdictChanges = services;
    this.#logVerdicts(services);
  }

  /** Metrics and log lines for the verdicts that changed (each before and after). */
  #logVerdicts(verdicts: readonly VerdictChange[]): void {
    const m = this.#o.metrics.announcing;
    const node = this.#o.nodeName;
    // The changes, formatted into log lines only if they are logged (a bulk edit logs them at debug).
    const changes: Array<[ServiceVerdict, 'announced' | 'withdrawn' | 'deleted']> = [];
    let announced = 0;
    let withdrawn = 0;
    const gone: ServiceVerdict[] = [];
    for (const [old, v] of verdicts) {
      if (v === undefined) {
        if (old !== undefined) gone.push(old);
        continue;
      }
      if (
        old !== undefined &&
        old.reason === v.reason &&
        sameList(old.ips, v.ips) &&
        sameList(old.peers, v.peers) &&
        sameAnnouncements(old.announcements, v.announcements)
      )
        continue;
      for (const ip of old?.ips ?? []) m.remove({ ip, node, protocol: 'bgp', service: v.service });
      if (v.reason === '') {
        announced++;
        // only the IPs that went to a peer (an IP of a family no session carries did not)
        for (const a of v.announcements)
          if (a.peers.length > 0) m.set({ ip: a.ip, node, protocol: 'bgp', service: v.service }, 1);
        changes.push([v, 'announced']);
      } else if (old === undefined || old.reason === '') {
        if (old !== undefined) withdrawn++;
        changes.push([v, 'withdrawn']);
      }
    }
    for (const v of gone) {
      for (const ip of v.ips) m.remove({ ip, node, protocol: 'bgp', service: v.service });
      if (v.reason !== '') continue;
      withdrawn++;
      changes.push([v, 'deleted']);
    }
    // One line per Service as MetalLB logs it; a bulk edit gets a summary at info, the lines at debug.
    const bulk = changes.length > 50;
    const level = bulk ? 'debug' : 'info';
    if (this.log.isLevelEnabled(level)) {
      for (const [v, what] of changes) {
        if (what === 'announced') {
          // What went on the wire: each IP to the peers of its family.
          const sent = v.announcements.filter((a) => a.peers.length > 0);
          this.log[level](
            {
              event: 'serviceAnnounced',
              service: v.service,
              ips: sent.map((a) => a.ip),
              pool: v.pool,
              peers: v.peers,
              announcements: v.announcements,
            },
            `announcing ${describeAnnouncements(v.announcements)} (${v.service})`,
          );
        } else if (what === 'withdrawn') {
          this.log[level](
            { event: 'serviceWithdrawn', service: v.service, ips: v.ips, reason: v.reason },
            `not announcing ${v.service}: ${v.reason}`,
          );
        } else {
          this.log[level](
            { event: 'serviceWithdrawn', service: v.service, ips: v.ips, reason: 'serviceDeleted' },
            `withdrawing ${v.service}: removed`,
          );
        }
      }
    }
    if (bulk)
      this.log.info(
        { event: 'servicesChanged', announced, withdrawn, changes: changes.length },
        `${changes.length} Service announcement changes (${announced} announced, ${withdrawn} withdrawn)`,
      );
  }

  /** Graceful stop: every session sends Cease 6/2 with `message` and closes; BFD goes AdminDown. */
  async shutdown(message: string): Promise<void> {
    this.#stopping = true;
    const all = [...this.#peers.values()];
    this.#peers.clear();
    await Promise.allSettled(all.map((r) => r.bgp.shutdown(message)));
    await Promise.allSettled(all.map((r) => r.bfd?.close()));
  }

  status(): SpeakerStatus {
    const c = this.#config;
    return {
      node: this.#o.nodeName,
      config: {
        loaded: c.hash !== undefined || c.appliedAt !== undefined,
        stale: c.lastErrors.length > 0,
        hash: c.hash,
        appliedAt: c.appliedAt,
        lastErrors: c.lastErrors,
        lastErrorAt: c.lastErrorAt,
        warnings: c.warnings,
        ...(this.#pending === undefined ? {} : { stale: true, pending: this.#pending }),
      },
      nodeReason: this.#announcer.nodeReason,
      bgp: [...this.#peers.values()].map((r) => {
        const st = r.bgp.status();
        return r.bfd === undefined ? st : { ...st, bfd: r.bfd.status().state };
      }),
      bfd: [...this.#peers.values()].flatMap((r) => (r.bfd === undefined ? [] : [r.bfd.status()])),
      services: this.#announcer.verdicts(),
    };
  }
}

function sameAnnouncements(a: readonly IpAnnouncement[], b: readonly IpAnnouncement[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as IpAnnouncement;
    const y = b[i] as IpAnnouncement;
    if (x.ip !== y.ip || !sameList(x.peers, y.peers)) return false;
  }
  return true;
}

/**
 * "203.0.113.10 to tor1, tor2" for one IP or IPs with the same peers; per IP otherwise
 * ("203.0.113.10 to tor1; 2001:db8::10 to tor1-v6"). An IP no session of its family carries: "to no
 * IPv6 peer".
 */
function describeAnnouncements(list: readonly IpAnnouncement[]): string {
  const to = (a: IpAnnouncement) =>
    a.peers.length > 0 ? a.peers.join(', ') : `no ${a.ip.includes(':') ? 'IPv6' : 'IPv4'} peer`;
  const first = list[0];
  if (first !== undefined && list.every((a) => sameList(a.peers, first.peers)))
    return `${list.map((a) => a.ip).join(', ')} to ${to(first)}`;
  return list.map((a) => `${a.ip} to ${to(a)}`).join('; ');
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
