// The BGP-4 message data model shared by the codec, the session state machine and Adj-RIB-Out.
// Plain data: every message and attribute is a plain object (prefix lists are typed-array backed).

import type { PrefixList } from './prefix.ts';

export {
  canonicalAddress,
  formatIPv4,
  formatIPv6,
  formatIPv6Words,
  isIPv4,
  isIPv6,
  maskHostBits,
  type PrefixAfi,
  PrefixList,
  PrefixListBuilder,
  parseIPv4,
  parseIPv6,
  parseIPv6Into,
} from './prefix.ts';

// ---------------------------------------------------------------------------------------------
// Families

/** IANA Address Family Identifiers used here. */
export const Afi = { IPv4: 1, IPv6: 2, L2VPN: 25, BGPLS: 16388 } as const;
/** IANA Subsequent AFIs used here. */
export const Safi = {
  Unicast: 1,
  Multicast: 2,
  MplsLabel: 4,
  Mvpn: 5,
  Vpls: 65,
  Evpn: 70,
  BgpLs: 71,
  SrPolicy: 73,
  Mup: 85,
  MplsVpn: 128,
  FlowSpec: 133,
  FlowSpecVpn: 134,
} as const;

/** "afi/safi", e.g. "1/1" for IPv4 unicast, "2/1" for IPv6 unicast. */
export type FamilyKey = `${number}/${number}`;
export function familyKey(afi: number, safi: number): FamilyKey {
  return `${afi}/${safi}`;
}

/** Families whose NLRI this codec interprets (others are kept opaque). */
export function isSupportedFamily(afi: number, safi: number): boolean {
  return (afi === 1 || afi === 2) && (safi === 1 || safi === 2);
}

// ---------------------------------------------------------------------------------------------
// Codec options (what the OPEN exchange negotiated)

export interface CodecOptions {
  /** 4-octet AS numbers negotiated (RFC 6793). Default false: AS_PATH/AGGREGATOR use 2 octets. */
  readonly as4?: boolean;
  /** Extended messages negotiated (RFC 8654): maximum message size 65535 instead of 4096. */
  readonly extendedMessage?: boolean;
  /** Families ("afi/safi") for which we receive ADD-PATH path identifiers (RFC 7911). */
  readonly addPathReceive?: ReadonlySet<string>;
  /** Families ("afi/safi") for which we send ADD-PATH path identifiers. */
  readonly addPathSend?: ReadonlySet<string>;
  /**
   * Families ("afi/safi", e.g. "1/1") whose NLRI may carry an IPv6 next hop (RFC 8950). The
   * decoder accepts such next hops regardless (being liberal costs nothing); the packer uses this to
   * put IPv4 NLRI with an IPv6 next hop into MP_REACH_NLRI.
   */
  readonly extendedNextHop?: ReadonlySet<string>;
  /**
   * Classic RFC 4271 §6.3 error handling: every attribute error ends the session with its
   * NOTIFICATION. Default false: RFC 7606 revised error handling (treat-as-withdraw and
   * attribute-discard where it allows).
   */
  readonly strictErrorHandling?: boolean;
}

export const BGP_HEADER_LENGTH = 19;
export const BGP_MAX_MESSAGE = 4096;
export const BGP_MAX_EXTENDED_MESSAGE = 65535;
export const AS_TRANS = 23456;

/** Maximum message size under `opts`. */
export function maxMessageSize(opts?: CodecOptions): number {
  return opts?.extendedMessage === true ? BGP_MAX_EXTENDED_MESSAGE : BGP_MAX_MESSAGE;
}

// ---------------------------------------------------------------------------------------------
// Messages

export const MessageType = { Open: 1, Update: 2, Notification: 3, Keepalive: 4, RouteRefresh: 5 } as const;

export type BgpMessage =
  | OpenMessage
  | UpdateMessage
  | NotificationMessage
  | KeepaliveMessage
  | RouteRefreshMessage;

export interface OpenMessage {
  readonly type: 'open';
  /** Always 4 on encode by convention; decoding anything else is a 2/1 error. */
  readonly version: number;
  /** The 2-octet My Autonomous System field (AS_TRANS when the real AS needs 4 octets). */
  readonly myAs: number;
  readonly holdTime: number;
  /** BGP Identifier as a dotted quad. */
  readonly bgpId: string;
  /** Capabilities in the order received (RFC 5492); encoded one per optional parameter. */
  readonly capabilities: readonly Capability[];
  /** Optional parameters other than Capabilities (type 2), kept raw. */
  readonly otherParams?: readonly OpenParam[];
}

export interface OpenParam {
  readonly type: number;
  readonly data: Uint8Array;
}

export interface UpdateMessage {
  readonly type: 'update';
  /** Withdrawn Routes field (IPv4 unicast). */
  readonly withdrawn: PrefixList;
  readonly attributes: PathAttributes;
  /** NLRI field (IPv4 unicast). */
  readonly nlri: PrefixList;
}

export interface NotificationMessage {
  readonly type: 'notification';
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
}

export interface KeepaliveMessage {
  readonly type: 'keepalive';
}

export interface RouteRefreshMessage {
  readonly type: 'route-refresh';
  readonly afi: number;
  readonly safi: number;
  /** RFC 7313 message subtype: 0 normal request, 1 Begin-of-RIB (BoRR), 2 End-of-RIB (EoRR). */
  readonly subtype: number;
}

export const RouteRefreshSubtype = { Normal: 0, BeginOfRib: 1, EndOfRib: 2 } as const;

// ---------------------------------------------------------------------------------------------
// Capabilities (RFC 5492 and the registry)

export const CapabilityCode = {
  Multiprotocol: 1,
  RouteRefresh: 2,
  ExtendedNextHop: 5,
  ExtendedMessage: 6,
  GracefulRestart: 64,
  As4: 65,
  AddPath: 69,
  EnhancedRouteRefresh: 70,
  LongLivedGracefulRestart: 71,
  Fqdn: 73,
  OldRouteRefresh: 128,
} as const;

export type Capability =
  | MultiprotocolCapability
  | RouteRefreshCapability
  | ExtendedNextHopCapability
  | ExtendedMessageCapability
  | GracefulRestartCapability
  | As4Capability
  | AddPathCapability
  | EnhancedRouteRefreshCapability
  | LongLivedGracefulRestartCapability
  | FqdnCapability
  | UnknownCapability;

export interface MultiprotocolCapability {
  readonly code: 1;
  readonly kind: 'multiprotocol';
  readonly afi: number;
  readonly safi: number;
}
export interface RouteRefreshCapability {
  /** 2 (RFC 2918) or the pre-standard 128. */
  readonly code: 2 | 128;
  readonly kind: 'route-refresh';
}
export interface ExtendedNextHopCapability {
  readonly code: 5;
  readonly kind: 'extended-next-hop';
  readonly entries: readonly { readonly afi: number; readonly safi: number; readonly nextHopAfi: number }[];
}
export interface ExtendedMessageCapability {
  readonly code: 6;
  readonly kind: 'extended-message';
}
export interface GracefulRestartCapability {
  readonly code: 64;
  readonly kind: 'graceful-restart';
  /** R bit: the sender has restarted. */
  readonly restarting: boolean;
  /** N bit (RFC 8538): the sender supports graceful restart for NOTIFICATION messages. */
  readonly notification: boolean;
  /** Restart time in seconds (0–4095). */
  readonly restartTime: number;
  readonly families: readonly {
    readonly afi: number;
    readonly safi: number;
    readonly forwardingState: boolean;
  }[];
}
export interface As4Capability {
  readonly code: 65;
  readonly kind: 'as4';
  readonly asn: number;
}
export interface AddPathCapability {
  readonly code: 69;
  readonly kind: 'add-path';
  /** sendReceive: 1 receive, 2 send, 3 both (RFC 7911 §4). */
  readonly families: readonly {
    readonly afi: number;
    readonly safi: number;
    readonly sendReceive: 1 | 2 | 3;
  }[];
}
export interface EnhancedRouteRefreshCapability {
  readonly code: 70;
  readonly kind: 'enhanced-route-refresh';
}
export interface LongLivedGracefulRestartCapability {
  readonly code: 71;
  readonly kind: 'long-lived-gr';
  readonly families: readonly {
    readonly afi: number;
    readonly safi: number;
    readonly forwardingState: boolean;
    /** Long-lived stale time in seconds (24 bits). */
    readonly staleTime: number;
  }[];
}
export interface FqdnCapability {
  readonly code: 73;
  readonly kind: 'fqdn';
  readonly hostname: string;
  readonly domain: string;
}
/** Any other capability (or a known one whose value is malformed): kept, skipped, never fatal. */
export interface UnknownCapability {
  readonly code: number;
  readonly kind: 'unknown';
  readonly data: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Path attributes

export const AttrType = {
  Origin: 1,
  AsPath: 2,
  NextHop: 3,
  Med: 4,
  LocalPref: 5,
  AtomicAggregate: 6,
  Aggregator: 7,
  Communities: 8,
  OriginatorId: 9,
  ClusterList: 10,
  MpReach: 14,
  MpUnreach: 15,
  ExtendedCommunities: 16,
  As4Path: 17,
  As4Aggregator: 18,
  LargeCommunities: 32,
} as const;

/** Attribute flag bits (RFC 4271 §4.3). */
export const AttrFlag = { Optional: 0x80, Transitive: 0x40, Partial: 0x20, ExtendedLength: 0x10 } as const;

export const Origin = { Igp: 0, Egp: 1, Incomplete: 2 } as const;
export type OriginValue = 0 | 1 | 2;

export const AsPathSegmentType = { Set: 1, Sequence: 2, ConfedSequence: 3, ConfedSet: 4 } as const;

export interface AsPathSegment {
  /** 1 AS_SET, 2 AS_SEQUENCE, 3 AS_CONFED_SEQUENCE, 4 AS_CONFED_SET. */
  readonly type: 1 | 2 | 3 | 4;
  readonly asns: readonly number[];
}

export interface Aggregator {
  readonly asn: number;
  readonly address: string;
}

export interface NextHop {
  /** IPv4 or IPv6 (global, or link-local when it is the only address sent). */
  readonly global: string;
  /** IPv6 link-local next hop (32-byte MP_REACH next hop, RFC 2545 §3). */
  readonly linkLocal?: string;
}

/** MP_REACH_NLRI of a family whose NLRI this codec interprets (IPv4/IPv6 unicast/multicast). */
export interface MpReach {
  readonly afi: 1 | 2;
  readonly safi: number;
  readonly nextHop: NextHop;
  readonly nlri: PrefixList;
}

export interface MpUnreach {
  readonly afi: 1 | 2;
  readonly safi: number;
  readonly withdrawn: PrefixList;
}

export interface UnknownAttribute {
  readonly flags: number;
  readonly code: number;
  readonly data: Uint8Array;
}

export interface PathAttributes {
  readonly origin?: OriginValue;
  readonly asPath?: readonly AsPathSegment[];
  /** NEXT_HOP attribute (IPv4 dotted quad). */
  readonly nextHop?: string;
  readonly med?: number;
  readonly localPref?: number;
  readonly atomicAggregate?: boolean;
  readonly aggregator?: Aggregator;
  /** RFC 1997 communities as unsigned 32-bit numbers (see `Community` for well-known ones). */
  readonly communities?: readonly number[];
  /** RFC 4456 ORIGINATOR_ID. */
  readonly originatorId?: string;
  /** RFC 4456 CLUSTER_LIST. */
  readonly clusterList?: readonly string[];
  readonly mpReach?: MpReach;
  readonly mpUnreach?: MpUnreach;
  /** RFC 4360 extended communities, each the 8-octet value as an unsigned 64-bit bigint. */
  readonly extendedCommunities?: readonly bigint[];
  /** RFC 6793 AS4_PATH (as received from, or to be sent to, a 2-octet speaker). */
  readonly as4Path?: readonly AsPathSegment[];
  readonly as4Aggregator?: Aggregator;
  /** RFC 8092 large communities: [global administrator, local data 1, local data 2]. */
  readonly largeCommunities?: readonly (readonly [number, number, number])[];
  /**
   * Attributes the codec does not interpret: unrecognized type codes, and MP_REACH/MP_UNREACH of
   * families other than IPv4/IPv6 unicast/multicast (kept opaque, never an error). When
   * re-advertising, optional transitive ones are passed on with the Partial bit (see
   * `forwardableUnknownAttributes`).
   */
  readonly unknown?: readonly UnknownAttribute[];
  /**
   * How the attributes were laid out on the wire (code and flags, in order), recorded by the
   * decoder so a decoded UPDATE re-encodes to the bytes received. Encoders follow it for the
   * attributes present; without it they use the canonical layout (MP_REACH/MP_UNREACH first as
   * RFC 7606 §5.1 asks, then by type code; extended length only when the value exceeds 255 bytes).
   */
  readonly wire?: readonly { readonly code: number; readonly flags: number }[];
}

// ---------------------------------------------------------------------------------------------
// Communities

/** Well-known communities (RFC 1997, 3765, 7999, 8326, 7611, 8642, 9494 registry). */
export const Community = {
  GRACEFUL_SHUTDOWN: 0xffff0000,
  ACCEPT_OWN: 0xffff0001,
  LLGR_STALE: 0xffff0006,
  NO_LLGR: 0xffff0007,
  BLACKHOLE: 0xffff029a,
  NO_EXPORT: 0xffffff01,
  NO_ADVERTISE: 0xffffff02,
  NO_EXPORT_SUBCONFED: 0xffffff03,
  NOPEER: 0xffffff04,
} as const;
export const NO_EXPORT = Community.NO_EXPORT;
export const NO_ADVERTISE = Community.NO_ADVERTISE;
export const NO_EXPORT_SUBCONFED = Community.NO_EXPORT_SUBCONFED;
export const NOPEER = Community.NOPEER;
export const GRACEFUL_SHUTDOWN = Community.GRACEFUL_SHUTDOWN;
export const BLACKHOLE = Community.BLACKHOLE;

// ---------------------------------------------------------------------------------------------
// NOTIFICATION codes and subcodes (RFC 4271 §4.5, 6.x; RFC 4486/9003; RFC 6608; RFC 7313)

export const NotificationCode = {
  MessageHeaderError: 1,
  OpenMessageError: 2,
  UpdateMessageError: 3,
  HoldTimerExpired: 4,
  FsmError: 5,
  Cease: 6,
  RouteRefreshMessageError: 7,
} as const;

export const HeaderErrorSubcode = {
  Unspecific: 0,
  ConnectionNotSynchronized: 1,
  BadMessageLength: 2,
  BadMessageType: 3,
} as const;

export const OpenErrorSubcode = {
  Unspecific: 0,
  UnsupportedVersionNumber: 1,
  BadPeerAs: 2,
  BadBgpIdentifier: 3,
  UnsupportedOptionalParameter: 4,
  /** 5 (Authentication Failure) is deprecated by RFC 4271. */
  UnacceptableHoldTime: 6,
  UnsupportedCapability: 7,
  /** RFC 9234. */
  RoleMismatch: 11,
} as const;

export const UpdateErrorSubcode = {
  Unspecific: 0,
  MalformedAttributeList: 1,
  UnrecognizedWellKnownAttribute: 2,
  MissingWellKnownAttribute: 3,
  AttributeFlagsError: 4,
  AttributeLengthError: 5,
  InvalidOriginAttribute: 6,
  /** 7 (AS Routing Loop) is deprecated by RFC 4271. */
  InvalidNextHopAttribute: 8,
  OptionalAttributeError: 9,
  InvalidNetworkField: 10,
  MalformedAsPath: 11,
} as const;

/** RFC 6608 FSM error subcodes. */
export const FsmErrorSubcode = {
  Unspecified: 0,
  UnexpectedMessageInOpenSent: 1,
  UnexpectedMessageInOpenConfirm: 2,
  UnexpectedMessageInEstablished: 3,
} as const;

/** RFC 4486 / RFC 9003 Cease subcodes. */
export const CeaseSubcode = {
  Unspecific: 0,
  MaximumNumberOfPrefixesReached: 1,
  AdministrativeShutdown: 2,
  PeerDeconfigured: 3,
  AdministrativeReset: 4,
  ConnectionRejected: 5,
  OtherConfigurationChange: 6,
  ConnectionCollisionResolution: 7,
  OutOfResources: 8,
  /** RFC 8538. */
  HardReset: 9,
  /** RFC 9687. */
  BfdDown: 10,
} as const;

/** RFC 7313 ROUTE-REFRESH message error subcodes. */
export const RouteRefreshErrorSubcode = { Reserved: 0, InvalidMessageLength: 1 } as const;

/** Maximum Shutdown Communication length in octets (RFC 9003 §2). */
export const MAX_SHUTDOWN_COMMUNICATION = 255;
