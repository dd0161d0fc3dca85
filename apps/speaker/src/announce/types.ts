// The inputs of the announcement logic: the parts of the normalized metallb.io configuration and of
// the core Kubernetes objects (Service, EndpointSlice, Node) that decide what this node announces.
// Plain data, so the file source now and the Kubernetes source later feed the same function.

interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: string; // In, NotIn, Exists, DoesNotExist
  readonly values?: readonly string[];
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

export interface PoolInfo {
  readonly name: string;
  /** The pool's `spec.addresses` entries as written (CIDRs or `first-last` ranges). */
  readonly addresses: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

export interface PeerInfo {
  /** The BGPPeer's name: the key of its session and what `BGPAdvertisement.peers` lists. */
  readonly name: string;
  readonly myASN: number;
  /** undefined with a dynamic ASN. */
  readonly peerASN: number | undefined;
  readonly dynamicASN?: 'internal' | 'external' | undefined;
  readonly nodeSelectors: readonly LabelSelector[];
  /**
   * The address families its session carries (4: IPv4 unicast, 6: IPv6 unicast): the family of the
   * peer address. A Service IP is announced only to the peers of its family.
   */
  readonly families: readonly (4 | 6)[];
}

export type LargeCommunity = readonly [number, number, number];

export interface AdvertisementInfo {
  readonly name: string;
  readonly ipAddressPools: readonly string[];
  readonly ipAddressPoolSelectors: readonly LabelSelector[];
  /**
   * True when `ipAddressPools` is already the resolved list (explicit names, selected pools, or every
   * pool): then it is exactly the pools covered, and an empty list covers none.
   */
  readonly poolsResolved?: boolean;
  readonly nodeSelectors: readonly LabelSelector[];
  /** Peer names; empty means every peer. */
  readonly peers: readonly string[];
  /**
   * Only Services whose labels match one of these are announced through this advertisement
   * (MetalLB v0.16 `serviceSelectors`); empty or absent: every Service of its pools.
   */
  readonly serviceSelectors?: readonly LabelSelector[];
  readonly aggregationLength: number;
  readonly aggregationLengthV6: number;
  /** Standard communities as 32-bit values (aliases already resolved). */
  readonly communities: readonly number[];
  readonly largeCommunities: readonly LargeCommunity[];
  readonly localPref: number | undefined;
}

export interface AnnounceConfig {
  readonly pools: readonly PoolInfo[];
  readonly peers: readonly PeerInfo[];
  readonly advertisements: readonly AdvertisementInfo[];
}

interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface Service {
  readonly kind?: string;
  readonly metadata: ObjectMeta;
  readonly spec?: {
    readonly type?: string;
    readonly externalTrafficPolicy?: string;
    readonly loadBalancerClass?: string;
  };
  readonly status?: {
    readonly loadBalancer?: { readonly ingress?: readonly { readonly ip?: string }[] };
  };
}

export interface EndpointConditions {
  readonly ready?: boolean | null;
  readonly serving?: boolean | null;
  readonly terminating?: boolean | null;
}

interface Endpoint {
  readonly addresses: readonly string[];
  readonly conditions?: EndpointConditions;
  readonly nodeName?: string | null;
}

export interface EndpointSlice {
  readonly kind?: string;
  readonly metadata: ObjectMeta;
  readonly endpoints?: readonly Endpoint[] | null;
}

interface NodeCondition {
  readonly type: string;
  readonly status: string;
}

export interface Node {
  readonly kind?: string;
  readonly metadata: ObjectMeta;
  readonly status?: { readonly conditions?: readonly NodeCondition[] };
}

export interface AnnounceInput {
  readonly config: AnnounceConfig;
  readonly services: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
  readonly nodes: readonly Node[];
  readonly nodeName: string;
  /** Only Services with this `spec.loadBalancerClass` (none: those without one). */
  readonly loadBalancerClass?: string | undefined;
}

export interface RouteAttrs {
  /** Sorted, unique. */
  readonly communities: readonly number[];
  /** Sorted, unique. */
  readonly largeCommunities: readonly LargeCommunity[];
  /** Set only toward iBGP peers. */
  readonly localPref: number | undefined;
}

export interface PeerRoutes {
  readonly ipv4: Map<string, RouteAttrs>;
  readonly ipv6: Map<string, RouteAttrs>;
}

/** One Service IP and the peers it is announced to (those whose session carries its family). */
export interface IpAnnouncement {
  readonly ip: string;
  /** Sorted; empty when no session of this node carries the IP's family. */
  readonly peers: readonly string[];
}

/**
 * Why a Service is or is not announced from this node (MetalLB's reason words, and `noPeers` /
 * `noPeersForIPFamily` when none of its IPs reaches a peer).
 */
export interface ServiceVerdict {
  readonly service: string; // namespace/name
  /** Every IP in the Service's status. */
  readonly ips: readonly string[];
  readonly pool: string | undefined;
  /** '' when announced, else the reason it is not. */
  readonly reason: string;
  /** The peers at least one of its IPs is announced to (sorted). */
  readonly peers: readonly string[];
  /** Per IP, the peers it is announced to (what went on the wire); empty unless announced. */
  readonly announcements: readonly IpAnnouncement[];
}

export interface AnnounceResult {
  /** Per peer name (only the peers whose node selectors select this node). */
  readonly routes: Map<string, PeerRoutes>;
  readonly services: readonly ServiceVerdict[];
  /** '' when this node may announce; else why not (nodeNetworkUnavailable, nodeLabeledExcludeBalancers). */
  readonly nodeReason: string;
}

/**
 * The routes of one peer that changed, by family: a prefix with its new attributes (announced, or
 * its attributes changed), or with undefined (withdrawn).
 */
export interface PeerRouteChanges {
  readonly ipv4: Map<string, RouteAttrs | undefined>;
  readonly ipv6: Map<string, RouteAttrs | undefined>;
}

/** Some Services and EndpointSlices added or modified (their current objects) or deleted. */
export interface DataChanges {
  readonly services: readonly Service[];
  readonly deletedServices: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
  readonly deletedEndpointSlices: readonly EndpointSlice[];
}

/** A Service's verdict before and after a change (undefined: it had none / has none). */
export type VerdictChange = readonly [before: ServiceVerdict | undefined, after: ServiceVerdict | undefined];
