// From what the caller states (NormalizedAttributes) to what one peer is sent (RFC 4271 §5.1, §9.1.3):
// eBGP prepends the local AS and never carries LOCAL_PREF; iBGP carries LOCAL_PREF (default 100) and
// leaves the AS_PATH as given. The next hop is the route's own, else the session's.

import { prependAs } from '../codec/as4.ts';
import type { AsPathSegment, PathAttributes } from '../model.ts';
import { canonicalAddress, isIPv4 } from '../prefix.ts';
import type { NormalizedAttributes } from './attributes.ts';

/** What the session knows when it exports routes to one peer. */
export interface ExportContext {
  readonly localAs: number;
  /** iBGP session. */
  readonly internal: boolean;
  /** IPv4 next hop for IPv4 routes (configured, or the session's local IPv4 address). */
  readonly ipv4NextHop: string | undefined;
  /** Global IPv6 next hop (configured, the session's local IPv6 address, or IPv4-mapped). */
  readonly ipv6NextHop: string | undefined;
  readonly ipv6LinkLocal: string | undefined;
  /** IPv4 routes may carry an IPv6 next hop (RFC 8950 negotiated). */
  readonly ipv4ExtendedNextHop: boolean;
}

/** One attribute set ready for `packUpdates`. */
export interface ExportedAttributes {
  readonly attributes: PathAttributes;
  readonly mpNextHop: { readonly global: string; readonly linkLocal?: string } | undefined;
}

export type ExportResult =
  | { readonly ok: true; readonly value: ExportedAttributes }
  | { readonly ok: false; readonly reason: string };

const ORIGIN = { igp: 0, egp: 1, incomplete: 2 } as const;

/** An address without an IPv6 zone ("fe80::1%eth0" → "fe80::1"), canonical, or undefined. */
export function plainAddress(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const pct = text.indexOf('%');
  return canonicalAddress(pct < 0 ? text : text.slice(0, pct));
}

/** The IPv4 address in an IPv4 text or an IPv4-mapped IPv6 text ("::ffff:192.0.2.1"). */
export function ipv4Of(address: string | undefined): string | undefined {
  const a = plainAddress(address);
  if (a === undefined) return undefined;
  if (isIPv4(a)) return a;
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return m?.[1];
}

/** Whether an IPv6 text is link-local (fe80::/10). */
export function isLinkLocal(address: string): boolean {
  return /^fe[89ab][0-9a-f]?:/i.test(address);
}

/** Export one attribute set for one family (AFI 1 or 2) to one peer. */
export function exportAttributes(n: NormalizedAttributes, afi: 1 | 2, ctx: ExportContext): ExportResult {
  let asPath: AsPathSegment[] = n.asPath.length > 0 ? [{ type: 2, asns: n.asPath.slice() }] : [];
  if (!ctx.internal) asPath = prependAs(asPath, ctx.localAs);
  let nextHop: string | undefined;
  let mpNextHop: { global: string; linkLocal?: string } | undefined;
  const own = plainAddress(n.nextHop);
  if (n.nextHop !== undefined && own === undefined) {
    return { ok: false, reason: `next hop '${n.nextHop}' is not an IP address` };
  }
  if (afi === 1) {
    const ownV4 = ipv4Of(own);
    if (own !== undefined && ownV4 === undefined) {
      if (!ctx.ipv4ExtendedNextHop) {
        return {
          ok: false,
          reason: `IPv4 route with IPv6 next hop ${own} needs the extended next hop capability (RFC 8950), not negotiated`,
        };
      }
      mpNextHop = { global: own };
    } else if (ownV4 !== undefined || ctx.ipv4NextHop !== undefined) {
      nextHop = ownV4 ?? ctx.ipv4NextHop;
    } else if (ctx.ipv4ExtendedNextHop && ctx.ipv6NextHop !== undefined) {
      mpNextHop =
        ctx.ipv6LinkLocal !== undefined && ctx.ipv6LinkLocal !== ctx.ipv6NextHop
          ? { global: ctx.ipv6NextHop, linkLocal: ctx.ipv6LinkLocal }
          : { global: ctx.ipv6NextHop };
    } else {
      return {
        ok: false,
        reason: 'no IPv4 next hop: configure nextHop.ipv4, use an IPv4 session, or negotiate RFC 8950',
      };
    }
  } else {
    let global = own ?? ctx.ipv6NextHop;
    if (global !== undefined && isIPv4(global)) global = `::ffff:${global}`;
    if (global === undefined) return { ok: false, reason: 'no IPv6 next hop: configure nextHop.ipv6' };
    mpNextHop =
      own === undefined && ctx.ipv6LinkLocal !== undefined && ctx.ipv6LinkLocal !== global
        ? { global, linkLocal: ctx.ipv6LinkLocal }
        : { global };
  }
  const attributes: {
    -readonly [K in keyof PathAttributes]: PathAttributes[K];
  } = { origin: ORIGIN[n.origin], asPath };
  if (nextHop !== undefined) attributes.nextHop = nextHop;
  if (n.med !== undefined) attributes.med = n.med;
  if (ctx.internal) attributes.localPref = n.localPref ?? 100;
  if (n.communities.length > 0) attributes.communities = n.communities;
  if (n.extendedCommunities.length > 0) attributes.extendedCommunities = n.extendedCommunities;
  if (n.largeCommunities.length > 0) attributes.largeCommunities = n.largeCommunities;
  return { ok: true, value: { attributes, mpNextHop } };
}
