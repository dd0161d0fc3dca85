import { parseIPv4 } from '../prefix.ts';
import { utf8Encode } from '../utf8.ts';

// Session configuration: what the caller states, validated once, with the RFC defaults applied.
// Protocol times are in seconds (as BGP carries them); `now` everywhere is monotonic milliseconds.

/** Address families a session can carry. */
export type FamilyName = 'ipv4-unicast' | 'ipv6-unicast';

export const FAMILY_NAMES: readonly FamilyName[] = ['ipv4-unicast', 'ipv6-unicast'];

/** ADD-PATH (RFC 7911) wish for one family. */
export type AddPathMode = 'receive' | 'send' | 'both';

export interface GracefulRestartConfig {
  /** Restart Time advertised to the peer, seconds (0–4095). */
  readonly restartTime: number;
  /** Set the Forwarding State bit for every family: forwarding survived the restart. Default false. */
  readonly forwardingState?: boolean;
  /** Set the Restart State (R) bit: this speaker has just restarted. Default false. */
  readonly restarting?: boolean;
}

export interface NextHopConfig {
  /** IPv4 next hop for IPv4 routes. */
  readonly ipv4?: string;
  /** Global IPv6 next hop for IPv6 routes (and IPv4 routes over RFC 8950 extended next hop). */
  readonly ipv6?: string;
  /** Link-local IPv6 next hop sent beside the global one. */
  readonly ipv6LinkLocal?: string;
}

export interface BgpSessionConfig {
  /** Local AS (1–4294967295). */
  readonly localAs: number;
  /** The peer's AS, or any AS equal to ours (`'internal'`) or different from ours (`'external'`). */
  readonly peerAs: number | 'internal' | 'external';
  /** Local BGP Identifier, dotted quad (non-zero). */
  readonly bgpId: string;
  /** Peer address to dial (required unless passive). */
  readonly peerAddress?: string;
  /** Peer TCP port to dial; default 179. */
  readonly peerPort?: number;
  /** Local address to bind when dialing (the driver may pass it on). */
  readonly localAddress?: string;
  /** Hold time we offer, seconds: 0 or 3–65535; default 90. */
  readonly holdTime?: number;
  /** Keepalive interval, seconds; default a third of the negotiated hold time (never more). */
  readonly keepaliveTime?: number;
  /** ConnectRetry time, seconds; default 120. */
  readonly connectRetryTime?: number;
  /**
   * Seconds in Idle before an automatic restart after the session failed; doubles with each failure
   * in a row (RFC 4271 §8.1.1 DampPeerOscillations), capped at connectRetryTime, reset once
   * Established has lasted a hold time. Default 5.
   */
  readonly idleHoldTime?: number;
  /** Wait for the peer's OPEN before sending ours (RFC 4271 §8.1.1 DelayOpen). Default false. */
  readonly delayOpen?: boolean;
  /** DelayOpen time, seconds; default 5. */
  readonly delayOpenTime?: number;
  /** Never dial: wait for the peer to connect. Default false. */
  readonly passive?: boolean;
  /** Families offered (multiprotocol capability); default both IPv4 and IPv6 unicast. */
  readonly families?: readonly FamilyName[];
  /** ADD-PATH wishes per family. */
  readonly addPath?: Partial<Record<FamilyName, AddPathMode>>;
  /** Graceful restart (RFC 4724) capability; omitted: not advertised. */
  readonly gracefulRestart?: GracefulRestartConfig;
  /** Offer extended messages (RFC 8654); default true. */
  readonly extendedMessage?: boolean;
  /** Offer route refresh (RFC 2918) and enhanced route refresh (RFC 7313); default true. */
  readonly routeRefresh?: boolean;
  /**
   * Offer IPv4 unicast with an IPv6 next hop (RFC 8950). Default: only where the IPv4 routes need it,
   * that is IPv4 unicast over an IPv6 connection with no `nextHop.ipv4`; set true to offer it on any
   * session (routes that name an IPv6 next hop), false never. Used only when negotiated and no IPv4
   * next hop is known or a route names an IPv6 next hop.
   */
  readonly extendedNextHop?: boolean;
  /** Maximum number of prefixes accepted from the peer (all families); Cease 6/1 beyond. */
  readonly maxPrefixes?: number;
  /**
   * MinRouteAdvertisementInterval (RFC 4271 §9.2.1.1), seconds, jittered: route changes are sent at
   * most once per interval (together). Default 0: every change at once (what fast failover wants).
   */
  readonly minRouteAdvertisementInterval?: number;
  /** Next hops for advertised routes; default the session's local address. */
  readonly nextHop?: NextHopConfig;
  /** Host name and domain name sent in the FQDN capability (draft-walton-bgp-hostname). */
  readonly hostname?: { readonly hostName: string; readonly domainName?: string };
  /** Random source in [0, 1) for timer jitter (RFC 4271 §10). */
  readonly random: () => number;
}

/** The configuration with every default applied and every value checked. */
export interface ResolvedSessionConfig {
  readonly localAs: number;
  readonly peerAs: number | 'internal' | 'external';
  readonly bgpId: number;
  readonly bgpIdText: string;
  readonly peerAddress: string | undefined;
  readonly peerPort: number;
  readonly localAddress: string | undefined;
  readonly holdTime: number;
  readonly keepaliveTime: number | undefined;
  readonly connectRetryTime: number;
  readonly idleHoldTime: number;
  readonly delayOpen: boolean;
  readonly delayOpenTime: number;
  readonly passive: boolean;
  readonly families: readonly FamilyName[];
  readonly addPath: Partial<Record<FamilyName, AddPathMode>>;
  readonly gracefulRestart: Required<GracefulRestartConfig> | undefined;
  readonly extendedMessage: boolean;
  readonly routeRefresh: boolean;
  /** undefined: decided per connection (`offersExtendedNextHop`). */
  readonly extendedNextHop: boolean | undefined;
  readonly maxPrefixes: number | undefined;
  readonly minRouteAdvertisementInterval: number;
  readonly nextHop: NextHopConfig;
  readonly hostname: { readonly hostName: string; readonly domainName: string } | undefined;
  readonly random: () => number;
}

function seconds(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < min || v > max) {
    throw new RangeError(`BgpSession config: ${name} ${v} is outside ${min}–${max}`);
  }
  return v;
}

/** Validate and default a session configuration; throws a RangeError naming the bad field. */
export function resolveConfig(c: BgpSessionConfig): ResolvedSessionConfig {
  const fail = (msg: string): never => {
    throw new RangeError(`BgpSession config: ${msg}`);
  };
  if (!Number.isInteger(c.localAs) || c.localAs < 1 || c.localAs > 0xffffffff || c.localAs === 23456) {
    fail(`localAs ${c.localAs} must be 1–4294967295 and not AS_TRANS (23456)`);
  }
  if (typeof c.peerAs === 'number') {
    if (!Number.isInteger(c.peerAs) || c.peerAs < 1 || c.peerAs > 0xffffffff || c.peerAs === 23456) {
      fail(`peerAs ${c.peerAs} must be 1–4294967295 and not AS_TRANS (23456)`);
    }
  } else if (c.peerAs !== 'internal' && c.peerAs !== 'external') {
    fail(`peerAs '${String(c.peerAs)}' must be a number, 'internal' or 'external'`);
  }
  const bgpId = parseIPv4(c.bgpId);
  if (bgpId === undefined || bgpId === 0) fail(`bgpId '${c.bgpId}' must be a non-zero dotted-quad`);
  const holdTime = seconds('holdTime', c.holdTime, 90, 0, 65535);
  if (holdTime > 0 && holdTime < 3) fail(`holdTime ${holdTime} must be 0 or at least 3 (RFC 4271 §4.2)`);
  if (!Number.isInteger(holdTime)) fail(`holdTime ${holdTime} must be whole seconds`);
  const keepaliveTime =
    c.keepaliveTime === undefined ? undefined : seconds('keepaliveTime', c.keepaliveTime, 0, 0, 21845);
  if (keepaliveTime !== undefined && keepaliveTime < 1) {
    fail(
      `keepaliveTime ${keepaliveTime} must be at least 1 second (RFC 4271 §4.4; hold time 0 disables keepalives)`,
    );
  }
  const connectRetryTime = seconds('connectRetryTime', c.connectRetryTime, 120, 1, 65535);
  const idleHoldTime = seconds('idleHoldTime', c.idleHoldTime, 5, 0, 65535);
  const delayOpenTime = seconds('delayOpenTime', c.delayOpenTime, 5, 1, 65535);
  const passive = c.passive ?? false;
  if (!passive && (c.peerAddress === undefined || c.peerAddress === '')) {
    fail('peerAddress is required unless the session is passive');
  }
  const peerPort = seconds('peerPort', c.peerPort, 179, 1, 65535);
  const families = [...new Set(c.families ?? FAMILY_NAMES)];
  if (families.length === 0) fail('families must name at least one family');
  for (const f of families) if (!FAMILY_NAMES.includes(f)) fail(`family '${f}' is not supported`);
  for (const [f, mode] of Object.entries(c.addPath ?? {})) {
    if (!FAMILY_NAMES.includes(f as FamilyName)) fail(`addPath family '${f}' is not supported`);
    if (mode !== 'receive' && mode !== 'send' && mode !== 'both') {
      fail(`addPath.${f} '${String(mode)}' must be receive, send or both`);
    }
  }
  let gracefulRestart: Required<GracefulRestartConfig> | undefined;
  if (c.gracefulRestart !== undefined) {
    const rt = c.gracefulRestart.restartTime;
    if (!Number.isInteger(rt) || rt < 0 || rt > 4095) {
      fail(`gracefulRestart.restartTime ${rt} must be 0–4095 seconds`);
    }
    gracefulRestart = {
      restartTime: rt,
      forwardingState: c.gracefulRestart.forwardingState ?? false,
      restarting: c.gracefulRestart.restarting ?? false,
    };
  }
  if (c.maxPrefixes !== undefined && (!Number.isInteger(c.maxPrefixes) || c.maxPrefixes < 0)) {
    fail(`maxPrefixes ${c.maxPrefixes} must be a non-negative integer`);
  }
  let hostname: { hostName: string; domainName: string } | undefined;
  if (c.hostname !== undefined) {
    const domainName = c.hostname.domainName ?? '';
    if (utf8Encode(c.hostname.hostName).length + utf8Encode(domainName).length > 253) {
      fail('hostname.hostName and hostname.domainName must fit in one capability (253 octets together)');
    }
    hostname = { hostName: c.hostname.hostName, domainName };
  }
  if (typeof c.random !== 'function') fail('random must be a function returning [0, 1)');
  return {
    localAs: c.localAs,
    peerAs: c.peerAs,
    bgpId: bgpId ?? 0,
    bgpIdText: c.bgpId,
    peerAddress: c.peerAddress,
    peerPort,
    localAddress: c.localAddress,
    holdTime,
    keepaliveTime,
    connectRetryTime,
    idleHoldTime,
    delayOpen: c.delayOpen ?? false,
    delayOpenTime,
    passive,
    families,
    addPath: { ...c.addPath },
    gracefulRestart,
    extendedMessage: c.extendedMessage ?? true,
    routeRefresh: c.routeRefresh ?? true,
    extendedNextHop: c.extendedNextHop,
    maxPrefixes: c.maxPrefixes,
    minRouteAdvertisementInterval: seconds(
      'minRouteAdvertisementInterval',
      c.minRouteAdvertisementInterval,
      0,
      0,
      65535,
    ),
    nextHop: { ...c.nextHop },
    hostname,
    random: c.random,
  };
}
