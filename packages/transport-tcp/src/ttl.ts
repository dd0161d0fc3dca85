/**
 * What a BGP session's TCP connection sends as TTL (IPv6: hop limit) and the least it accepts.
 *
 * - GTSM / TTL security (RFC 5082), `gtsmHops` = h (1–254): send with 255 and accept only segments
 *   with at least 256 − h (255 for a directly connected peer). Both sides must enable it.
 * - eBGP multihop: send with 255, accept anything (FRR's `neighbor X ebgp-multihop`, which MetalLB's
 *   FRR mode writes for `ebgpMultiHop: true`).
 * - Single-hop eBGP (the default for an external peer): send with TTL 1, as FRR does, so a session
 *   only forms with a directly connected peer. A peer behind a router needs `ebgpMultiHop`.
 * - iBGP: send with 255 (FRR's default for internal peers).
 */
export interface TtlPolicy {
  /** The peer is in another AS. */
  external: boolean;
  /** eBGP multihop (MetalLB `ebgpMultiHop`). Ignored for iBGP, which is multihop anyway. */
  ebgpMultiHop?: boolean;
  /** GTSM: the peer is at most this many hops away (1–254). Overrides the other settings. */
  gtsmHops?: number;
}

export interface TtlSettings {
  /** TTL / hop limit of every segment sent (1–255). */
  ttl: number;
  /** IP_MINTTL / IPV6_MINHOPCOUNT (1–255), or undefined for none. */
  minTtl: number | undefined;
}

export function bgpTtl(p: TtlPolicy): TtlSettings {
  if (p.gtsmHops !== undefined) {
    if (!Number.isInteger(p.gtsmHops) || p.gtsmHops < 1 || p.gtsmHops > 254)
      throw new RangeError(`gtsmHops ${p.gtsmHops} must be 1–254`);
    return { ttl: 255, minTtl: 256 - p.gtsmHops };
  }
  if (p.external && !p.ebgpMultiHop) return { ttl: 1, minTtl: undefined };
  return { ttl: 255, minTtl: undefined };
}

export function checkTtl(name: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 255))
    throw new RangeError(`${name} ${v} must be an integer 1–255`);
}

/**
 * Whether a session is eBGP, from its configured ASes (`peerAs` may be `'internal'` or
 * `'external'`, as in BgpSessionConfig), for `bgpTtl({ external })`.
 */
export function sessionIsExternal(c: { localAs: number; peerAs: number | 'internal' | 'external' }): boolean {
  return c.peerAs === 'external' || (typeof c.peerAs === 'number' && c.peerAs !== c.localAs);
}
