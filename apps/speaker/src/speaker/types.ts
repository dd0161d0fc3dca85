// What the speaker runs from: one validated snapshot of the configuration source, and the ports
// through which it drives BGP and BFD sessions (real ones over sockets, fakes in tests).
import type {
  AnnounceConfig,
  DataChanges,
  EndpointSlice,
  Node,
  PeerRouteChanges,
  PeerRoutes,
  Service,
} from '../announce/types.ts';

export interface BfdProfileConfig {
  readonly name: string;
  /** Milliseconds. */
  readonly receiveInterval: number;
  readonly transmitInterval: number;
  readonly detectMultiplier: number;
  readonly echoMode: boolean;
  readonly echoInterval: number;
  readonly passiveMode: boolean;
  readonly minimumTtl: number;
}

/** One BGPPeer in the form the session needs (MetalLB's config.Peer). */
export interface PeerConfig {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly myASN: number;
  /**
   * The AS presented to the peer instead of myASN (BGPPeer `localASN`; FRR's `local-as ASN
   * no-prepend replace-as`): in the OPEN and as the AS_PATH of every route sent. eBGP only.
   */
  readonly localASN?: number | undefined;
  readonly peerASN: number | undefined;
  readonly dynamicASN: 'internal' | 'external' | undefined;
  /** Seconds. */
  readonly holdTime: number;
  readonly keepaliveTime: number | undefined;
  /** Seconds between connection attempts. */
  readonly connectTime: number | undefined;
  readonly routerID: string | undefined;
  readonly sourceAddress: string | undefined;
  readonly password: string | undefined;
  readonly ebgpMultiHop: boolean;
  readonly enableGracefulRestart: boolean;
  readonly disableMP: boolean;
  readonly vrf: string | undefined;
  readonly bfdProfile: BfdProfileConfig | undefined;
}

export interface SpeakerSnapshot {
  readonly announce: AnnounceConfig;
  readonly peers: readonly PeerConfig[];
  readonly services: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
  readonly nodes: readonly Node[];
}

export type LoadResult =
  | {
      readonly ok: true;
      readonly snapshot: SpeakerSnapshot;
      readonly warnings: readonly string[];
      /** Objects read from the source (0: an empty FILE, which is no configuration). */
      readonly objects?: number;
      /**
       * Set when only Services and EndpointSlices changed since the last snapshot handed over (whose
       * `announce`, `peers` and `nodes` this one shares): which. The speaker then recomputes only the
       * Services these touch; without it, or with another configuration, everything.
       */
      readonly changes?: DataChanges | undefined;
    }
  | { readonly ok: false; readonly errors: readonly string[] };

export interface BgpPeerStatus {
  readonly name: string;
  readonly address: string;
  readonly localAddress: string | undefined;
  readonly myASN: number;
  readonly peerASN: number | undefined;
  readonly state: string;
  /** ms since epoch of the last transition into or out of Established. */
  readonly since: number;
  readonly established: boolean;
  readonly prefixesSent: number;
  readonly prefixesReceived: number;
  readonly lastError: string | undefined;
  readonly bfd: string | undefined;
}

export interface BfdPeerStatus {
  readonly name: string;
  readonly peer: string;
  readonly local: string | undefined;
  readonly state: string;
  readonly since: number;
  readonly diag: string;
  readonly profile: string;
}

export type MessageKind = 'open' | 'update' | 'notification' | 'keepalive' | 'route-refresh';

/** Cumulative counters of one session (read when metrics are scraped). */
export interface BgpCounters {
  readonly sent: Readonly<Record<MessageKind, number>>;
  readonly received: Readonly<Record<MessageKind, number>>;
  /** Prefixes the peer holds from us now. */
  readonly advertised: number;
}

export interface BgpSessionEvents {
  /** Into or out of Established, with the reason in words. */
  onStateChange(name: string, established: boolean, reason: string): void;
}

/** One BGP session toward one peer. */
export interface BgpSessionPort {
  /** The routes the peer should hold; the session sends only the difference. */
  setRoutes(routes: PeerRoutes): void;
  /**
   * Some routes changed: `changes` says which (a prefix with undefined: withdrawn), `routes` is the
   * whole table after them (what a session not yet connected takes). Sends only those.
   */
  updateRoutes(routes: PeerRoutes, changes: PeerRouteChanges): void;
  /** BFD declared the path down: drop the session at once (it reconnects by itself). */
  bfdDown(reason: string): void;
  /** Graceful: Cease 6/2 with an RFC 9003 message (or withdraw), then close; resolves when flushed. */
  shutdown(message: string): Promise<void>;
  /** The peer was deconfigured: Cease 6/3 (Peer De-configured), close. */
  deconfigure(): Promise<void>;
  /**
   * A session field changed and a new session replaces this one: Cease 6/6 (Other Configuration
   * Change, RFC 4486), close.
   */
  reconfigure(): Promise<void>;
  status(): BgpPeerStatus;
  counters(): BgpCounters;
}

export interface BfdEvents {
  onUp(name: string): void;
  onDown(name: string, diag: string, peerAdminDown: boolean): void;
}

export interface BfdSessionPort {
  /** Applies a new profile without tearing the session down (a Poll sequence). */
  setProfile(profile: BfdProfileConfig): void;
  /** AdminDown to the peer, then stop. */
  close(): Promise<void>;
  status(): BfdPeerStatus;
  /** Control packets received and sent so far. */
  packets(): { readonly in: number; readonly out: number };
}

export interface SessionFactory {
  createBgp(peer: PeerConfig, events: BgpSessionEvents): BgpSessionPort;
  createBfd(peer: PeerConfig, profile: BfdProfileConfig, events: BfdEvents): BfdSessionPort;
}
