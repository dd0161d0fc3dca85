// Public types shared by the endpoint and its sessions: configuration, receive metadata, outputs.
import type { BfdAuthConfig } from './auth.ts';
import type { BfdHashFunction } from './codec.ts';
import type { BfdStateName } from './constants.ts';
import type { BfdProfile, BfdProfileInput } from './profile.ts';

/** Where a session runs: the addresses of both ends, the interface (single-hop) and the hop mode. */
export interface BfdPath {
  /** Our address (IPv4 or IPv6 text). */
  localAddress: string;
  /** The peer's address. */
  remoteAddress: string;
  /** Interface name for single-hop sessions (optional; used to tell apart sessions on several links). */
  interface?: string | undefined;
  /** Multihop (RFC 5883, UDP 4784) instead of single-hop (RFC 5881, UDP 3784). Default false. */
  multihop?: boolean | undefined;
}

export interface BfdSessionConfig extends BfdPath {
  /** The caller's unique name for this session; outputs carry it as `sessionKey`. */
  key: string;
  /** MetalLB BFDProfile spec fields (defaults applied, ranges checked). */
  profile?: BfdProfileInput | BfdProfile | undefined;
  /** Authentication (RFC 5880 §6.7); none by default. */
  auth?: BfdAuthConfig | undefined;
  /** Fixed local discriminator (nonzero, unique); allocated by the endpoint when omitted. */
  localDiscriminator?: number | undefined;
  /** Start in AdminDown instead of Down. */
  adminDown?: boolean | undefined;
}

export interface BfdEndpointOptions {
  /** Uniform random numbers in [0, 1): transmit jitter, discriminators, initial auth sequence numbers. */
  random: () => number;
  /** Digest function for keyed MD5/SHA1 authentication (e.g. node:crypto createHash). */
  hash?: BfdHashFunction | undefined;
  /** Custom discriminator allocation (must return unused nonzero 32-bit values); random by default. */
  allocateDiscriminator?: (() => number) | undefined;
}

/** Metadata of a received datagram, from the transport. */
export interface BfdReceiveInfo {
  /** Destination address of the datagram (our address); omitted when unknown, then any session matches. */
  localAddress?: string | undefined;
  /** Source address of the datagram. */
  remoteAddress: string;
  /** Receiving interface, when known. */
  interface?: string | undefined;
  /** Received on the multihop port (4784). Default false. */
  multihop?: boolean | undefined;
  /** IPv4 TTL / IPv6 hop limit when the transport knows it: single-hop requires 255, multihop ≥ minimumTtl. */
  ttl?: number | undefined;
}

/** A control packet to transmit (UDP 3784 single-hop or 4784 multihop, TTL 255). */
export interface BfdSendOutput {
  type: 'send';
  sessionKey: string;
  bytes: Uint8Array;
  localAddress: string;
  remoteAddress: string;
  interface: string | undefined;
  multihop: boolean;
}

/** Every session state change. `diag` is our diagnostic after the change, `remoteDiag` the peer's last. */
export interface BfdStateEvent {
  type: 'state';
  sessionKey: string;
  from: BfdStateName;
  to: BfdStateName;
  diag: number;
  remoteDiag: number;
  reason: string;
  at: number;
}

/** The session reached Up. RFC 5882: BFD never brings a client session up; this is information. */
export interface BfdUpEvent {
  type: 'up';
  sessionKey: string;
  at: number;
}

/**
 * The session left Up. Per RFC 5882 §3.2 a client takes its session down only when `failure` is true:
 * a peer going AdminDown (`peerAdminDown`) or our own AdminDown (`localAdminDown`) is not a failure.
 */
export interface BfdDownEvent {
  type: 'down';
  sessionKey: string;
  to: BfdStateName;
  diag: number;
  diagText: string;
  remoteDiag: number;
  peerAdminDown: boolean;
  localAdminDown: boolean;
  failure: boolean;
  at: number;
}

export interface BfdWarningEvent {
  type: 'warning';
  sessionKey: string;
  message: string;
}

export type BfdEvent = BfdStateEvent | BfdUpEvent | BfdDownEvent | BfdWarningEvent;
export type BfdOutput = BfdSendOutput | BfdEvent;

/** Why a received packet was discarded (RFC 5880 §6.8.6 and §6.7, RFC 5881 §5 / 5883 §2). */
export const BFD_DISCARD_REASONS = [
  'truncated',
  'version',
  'length-too-short',
  'length-exceeds-payload',
  'auth-type-unknown',
  'auth-length',
  'detect-mult-zero',
  'multipoint',
  'my-discriminator-zero',
  'your-discriminator-unknown',
  'your-discriminator-zero-state',
  'no-session-for-address',
  'address-mismatch',
  'ttl',
  'auth-unexpected',
  'auth-missing',
  'auth-type-mismatch',
  'auth-key-id',
  'auth-password',
  'auth-digest',
  'auth-sequence',
  'auth-no-hash',
  'local-admin-down',
] as const;
export type BfdDiscardReason = (typeof BFD_DISCARD_REASONS)[number];

/** Snapshot of a session's RFC 5880 variables and negotiated timers (intervals µs, times ms). */
export interface BfdSessionInfo {
  key: string;
  state: BfdStateName;
  remoteState: BfdStateName;
  localDiscriminator: number;
  remoteDiscriminator: number;
  localDiag: number;
  remoteDiag: number;
  /** bfd.DesiredMinTxInterval as advertised (≥ 1 s while not Up). */
  desiredMinTxInterval: number;
  /** bfd.RequiredMinRxInterval as advertised. */
  requiredMinRxInterval: number;
  /** The DesiredMinTx value the transmit interval currently uses (lags an increase until Final). */
  desiredMinTxInUse: number;
  /** The RequiredMinRx value the detection time currently uses (lags a decrease until Final). */
  requiredMinRxInUse: number;
  remoteMinRxInterval: number;
  remoteDesiredMinTxInterval: number;
  remoteDetectMult: number;
  remoteDemandMode: boolean;
  detectMult: number;
  /** Negotiated transmit interval: max(DesiredMinTx in use, RemoteMinRx), µs. */
  transmitInterval: number;
  /** Whether periodic transmission is currently on. */
  transmitting: boolean;
  /** Detection time, µs (0 before anything was received). */
  detectionTime: number;
  pollActive: boolean;
  passive: boolean;
  profile: BfdProfile;
  authType: number;
  packetsSent: number;
  packetsReceived: number;
  packetsDiscarded: number;
  /** Discards of packets that reached this session (TTL, authentication, address, AdminDown), by reason. */
  discards: Partial<Record<BfdDiscardReason, number>>;
}
