// The OPEN exchange: the OPEN we send, the checks on the OPEN we receive (RFC 4271 §6.2, RFC 6286,
// RFC 6793) and what both sides agreed on (RFC 5492 capabilities).

import { notification } from '../codec/notification.ts';
import {
  AS_TRANS,
  type Capability,
  type CodecOptions,
  familyKey,
  NotificationCode,
  type NotificationMessage,
  OpenErrorSubcode,
  type OpenMessage,
} from '../model.ts';
import { isIPv4, parseIPv4 } from '../prefix.ts';
import { ipv4Of, plainAddress } from '../rib/export.ts';
import type { AddPathMode, FamilyName, ResolvedSessionConfig } from './config.ts';

/** AFI and SAFI of a family name. */
export function familyAfiSafi(family: FamilyName): { afi: 1 | 2; safi: 1 } {
  return family === 'ipv4-unicast' ? { afi: 1, safi: 1 } : { afi: 2, safi: 1 };
}

/** The family name of an AFI/SAFI pair, if it is one we carry. */
export function familyName(afi: number, safi: number): FamilyName | undefined {
  if (safi !== 1) return undefined;
  return afi === 1 ? 'ipv4-unicast' : afi === 2 ? 'ipv6-unicast' : undefined;
}

/** Graceful restart as the peer announced it (RFC 4724 §3). */
export interface PeerGracefulRestart {
  readonly restarting: boolean;
  readonly notification: boolean;
  readonly restartTime: number;
  /** Families the peer preserves state for, with their Forwarding State bit. */
  readonly families: readonly { readonly family: FamilyName; readonly forwardingState: boolean }[];
}

/** What the OPEN exchange agreed on. */
export interface Negotiated {
  /** The peer's AS (from the 4-octet AS capability when present). */
  readonly peerAs: number;
  readonly peerBgpId: string;
  /** iBGP (peer AS equals ours) or eBGP. */
  readonly internal: boolean;
  /** Negotiated hold time, seconds (0: no hold timer and no keepalives). */
  readonly holdTime: number;
  /** Keepalive interval, seconds (0 when the hold time is 0). */
  readonly keepaliveTime: number;
  /** Families both sides support (no multiprotocol capability from the peer means IPv4 unicast). */
  readonly families: readonly FamilyName[];
  /** 4-octet AS numbers (RFC 6793). */
  readonly as4: boolean;
  /** ADD-PATH per family (RFC 7911): whether we send and whether we receive path identifiers. */
  readonly addPath: Readonly<
    Partial<Record<FamilyName, { readonly send: boolean; readonly receive: boolean }>>
  >;
  /** Graceful restart: advertised by us, and the peer's capability when it sent one. */
  readonly gracefulRestart: { readonly local: boolean; readonly peer: PeerGracefulRestart | undefined };
  /** Route refresh (RFC 2918) both ways. */
  readonly routeRefresh: boolean;
  /** Enhanced route refresh (RFC 7313) both ways. */
  readonly enhancedRouteRefresh: boolean;
  /** Extended messages (RFC 8654) both ways: 65535-octet messages. */
  readonly extendedMessage: boolean;
  /** Families whose NLRI may carry an IPv6 next hop (RFC 8950), both ways. */
  readonly extendedNextHop: readonly FamilyName[];
  /** The peer's FQDN capability. */
  readonly peerHostname: { readonly hostName: string; readonly domainName: string } | undefined;
  /** Every capability the peer sent, in order (unknown ones included). */
  readonly peerCapabilities: readonly Capability[];
  /** Codec options for this session's reader and encoder. */
  readonly codecOptions: CodecOptions;
}

function addPathBits(mode: AddPathMode): 1 | 2 | 3 {
  return mode === 'receive' ? 1 : mode === 'send' ? 2 : 3;
}

/**
 * Whether we offer IPv4 unicast with an IPv6 next hop (RFC 8950) on a connection from `localAddress`
 * (default: the configured local address, else the peer's). Configured explicitly, as configured;
 * otherwise only where the session's IPv4 routes would have no next hop without it: IPv4 unicast
 * carried over an IPv6 connection with no IPv4 next hop configured. An IPv4 session always has its
 * own address for its IPv4 routes, so it advertises nothing it would not use (as MetalLB and FRR).
 */
export function offersExtendedNextHop(c: ResolvedSessionConfig, localAddress?: string): boolean {
  if (!c.families.includes('ipv4-unicast')) return false;
  if (c.extendedNextHop !== undefined) return c.extendedNextHop;
  if (c.nextHop.ipv4 !== undefined) return false;
  const a = plainAddress(localAddress ?? c.localAddress ?? c.peerAddress);
  return a !== undefined && !isIPv4(a) && ipv4Of(a) === undefined;
}

/**
 * The capabilities we advertise on a connection from `localAddress` (which decides whether the
 * extended next hop capability is offered, see `offersExtendedNextHop`).
 */
export function localCapabilities(
  c: ResolvedSessionConfig,
  restarted = c.gracefulRestart?.restarting === true,
  localAddress?: string,
): Capability[] {
  const caps: Capability[] = [];
  for (const f of c.families) {
    const { afi, safi } = familyAfiSafi(f);
    caps.push({ code: 1, kind: 'multiprotocol', afi, safi });
  }
  if (c.routeRefresh) {
    caps.push({ code: 2, kind: 'route-refresh' });
    caps.push({ code: 70, kind: 'enhanced-route-refresh' });
  }
  if (offersExtendedNextHop(c, localAddress)) {
    caps.push({ code: 5, kind: 'extended-next-hop', entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] });
  }
  if (c.extendedMessage) caps.push({ code: 6, kind: 'extended-message' });
  if (c.gracefulRestart !== undefined) {
    caps.push({
      code: 64,
      kind: 'graceful-restart',
      restarting: restarted,
      notification: false,
      restartTime: c.gracefulRestart.restartTime,
      families: c.families.map((f) => ({
        ...familyAfiSafi(f),
        forwardingState: c.gracefulRestart?.forwardingState === true,
      })),
    });
  }
  caps.push({ code: 65, kind: 'as4', asn: c.localAs });
  const addPath = c.families.flatMap((f) => {
    const mode = c.addPath[f];
    return mode === undefined ? [] : [{ ...familyAfiSafi(f), sendReceive: addPathBits(mode) }];
  });
  if (addPath.length > 0) caps.push({ code: 69, kind: 'add-path', families: addPath });
  if (c.hostname !== undefined) {
    caps.push({ code: 73, kind: 'fqdn', hostname: c.hostname.hostName, domain: c.hostname.domainName });
  }
  return caps;
}

/**
 * The OPEN we send; `restarted` sets the graceful restart R bit (default: as configured; the session
 * clears it once the first session after the restart is Established, RFC 4724 §4.1).
 */
export function localOpen(
  c: ResolvedSessionConfig,
  restarted = c.gracefulRestart?.restarting === true,
  localAddress?: string,
): OpenMessage {
  return {
    type: 'open',
    version: 4,
    myAs: c.localAs > 0xffff ? AS_TRANS : c.localAs,
    holdTime: c.holdTime,
    bgpId: c.bgpIdText,
    capabilities: localCapabilities(c, restarted, localAddress),
  };
}

export type OpenCheck =
  | { readonly ok: true; readonly negotiated: Negotiated }
  | { readonly ok: false; readonly notification: NotificationMessage; readonly reason: string };

function reject(subcode: number, reason: string, data?: Uint8Array): OpenCheck {
  return { ok: false, notification: notification(NotificationCode.OpenMessageError, subcode, data), reason };
}

/**
 * Check a received OPEN against our configuration and negotiate (RFC 4271 §6.2) on a connection from
 * `localAddress`. Returns the exact NOTIFICATION to send when the OPEN is unacceptable.
 */
export function checkOpen(open: OpenMessage, c: ResolvedSessionConfig, localAddress?: string): OpenCheck {
  // Version (§6.2): data is the largest version we support, 2 octets.
  if (open.version !== 4) {
    return reject(
      OpenErrorSubcode.UnsupportedVersionNumber,
      `peer speaks BGP version ${open.version}, we support 4`,
      Uint8Array.of(0, 4),
    );
  }
  const caps = open.capabilities;
  // Peer AS (§6.2, RFC 6793 §4.1, RFC 7607: AS 0 is never valid).
  let as4Cap: number | undefined;
  for (const cap of caps) if (cap.kind === 'as4') as4Cap = cap.asn;
  let peerAs = open.myAs;
  if (as4Cap !== undefined) {
    if (as4Cap === 0 || as4Cap === AS_TRANS) {
      return reject(OpenErrorSubcode.BadPeerAs, `4-octet AS capability carries invalid AS ${as4Cap}`);
    }
    if (as4Cap <= 0xffff && open.myAs !== as4Cap) {
      return reject(
        OpenErrorSubcode.BadPeerAs,
        `My AS ${open.myAs} disagrees with the 4-octet AS capability ${as4Cap}`,
      );
    }
    peerAs = as4Cap;
  }
  if (peerAs === 0) return reject(OpenErrorSubcode.BadPeerAs, 'peer AS 0 is reserved (RFC 7607)');
  if (typeof c.peerAs === 'number' && peerAs !== c.peerAs) {
    return reject(OpenErrorSubcode.BadPeerAs, `peer AS ${peerAs}, expected ${c.peerAs}`);
  }
  if (c.peerAs === 'internal' && peerAs !== c.localAs) {
    return reject(OpenErrorSubcode.BadPeerAs, `peer AS ${peerAs} is not our AS ${c.localAs} (internal peer)`);
  }
  if (c.peerAs === 'external' && peerAs === c.localAs) {
    return reject(OpenErrorSubcode.BadPeerAs, `peer AS ${peerAs} is our own AS (external peer)`);
  }
  const internal = peerAs === c.localAs;
  // BGP Identifier (§6.2 as updated by RFC 6286 §2.2: any non-zero value; unique within an AS).
  const peerId = parseIPv4(open.bgpId);
  if (peerId === undefined || peerId === 0) {
    return reject(OpenErrorSubcode.BadBgpIdentifier, `BGP Identifier ${open.bgpId} is zero`);
  }
  if (internal && peerId === c.bgpId) {
    return reject(OpenErrorSubcode.BadBgpIdentifier, `iBGP peer uses our own BGP Identifier ${open.bgpId}`);
  }
  // Hold time (§4.2, §6.2): 0 or at least 3 seconds.
  if (open.holdTime === 1 || open.holdTime === 2) {
    return reject(OpenErrorSubcode.UnacceptableHoldTime, `hold time ${open.holdTime} s (must be 0 or ≥ 3)`);
  }
  const holdTime = Math.min(open.holdTime, c.holdTime);
  const keepaliveTime = holdTime === 0 ? 0 : Math.min(c.keepaliveTime ?? holdTime / 3, holdTime / 3);

  // Capabilities (RFC 5492).
  const peerFamilies = new Set<string>();
  let peerHasMp = false;
  let routeRefresh = false;
  let enhanced = false;
  let extendedMessage = false;
  const peerEnh = new Set<string>();
  const peerAddPath = new Map<string, number>();
  let peerGr: PeerGracefulRestart | undefined;
  let peerHostname: { hostName: string; domainName: string } | undefined;
  for (const cap of caps) {
    switch (cap.kind) {
      case 'multiprotocol':
        peerHasMp = true;
        peerFamilies.add(familyKey(cap.afi, cap.safi));
        break;
      case 'route-refresh':
        routeRefresh = true;
        break;
      case 'enhanced-route-refresh':
        enhanced = true;
        break;
      case 'extended-message':
        extendedMessage = true;
        break;
      case 'extended-next-hop':
        for (const e of cap.entries) if (e.nextHopAfi === 2) peerEnh.add(familyKey(e.afi, e.safi));
        break;
      case 'add-path':
        for (const f of cap.families) peerAddPath.set(familyKey(f.afi, f.safi), f.sendReceive);
        break;
      case 'graceful-restart':
        peerGr = {
          restarting: cap.restarting,
          notification: cap.notification,
          restartTime: cap.restartTime,
          families: cap.families.flatMap((f) => {
            const name = familyName(f.afi, f.safi);
            return name === undefined ? [] : [{ family: name, forwardingState: f.forwardingState }];
          }),
        };
        break;
      case 'fqdn':
        peerHostname = { hostName: cap.hostname, domainName: cap.domain };
        break;
      default:
        break;
    }
  }
  if (!peerHasMp) peerFamilies.add('1/1');
  const families = c.families.filter((f) => {
    const { afi, safi } = familyAfiSafi(f);
    return peerFamilies.has(familyKey(afi, safi));
  });
  const addPath: Partial<Record<FamilyName, { send: boolean; receive: boolean }>> = {};
  const addPathSend = new Set<string>();
  const addPathReceive = new Set<string>();
  for (const f of families) {
    const mode = c.addPath[f];
    if (mode === undefined) continue;
    const { afi, safi } = familyAfiSafi(f);
    const key = familyKey(afi, safi);
    const theirs = peerAddPath.get(key) ?? 0;
    const ours = addPathBits(mode);
    const send = (ours & 2) !== 0 && (theirs & 1) !== 0;
    const receive = (ours & 1) !== 0 && (theirs & 2) !== 0;
    if (!send && !receive) continue;
    addPath[f] = { send, receive };
    if (send) addPathSend.add(key);
    if (receive) addPathReceive.add(key);
  }
  const extendedNextHop: FamilyName[] =
    offersExtendedNextHop(c, localAddress) && families.includes('ipv4-unicast') && peerEnh.has('1/1')
      ? ['ipv4-unicast']
      : [];
  const as4 = as4Cap !== undefined;
  const ext = extendedMessage && c.extendedMessage;
  const codecOptions: CodecOptions = {
    as4,
    extendedMessage: ext,
    addPathSend,
    addPathReceive,
    extendedNextHop: new Set(extendedNextHop.map((f) => (f === 'ipv4-unicast' ? '1/1' : '2/1'))),
  };
  return {
    ok: true,
    negotiated: {
      peerAs,
      peerBgpId: open.bgpId,
      internal,
      holdTime,
      keepaliveTime,
      families,
      as4,
      addPath,
      gracefulRestart: { local: c.gracefulRestart !== undefined, peer: peerGr },
      routeRefresh: routeRefresh && c.routeRefresh,
      enhancedRouteRefresh: enhanced && routeRefresh && c.routeRefresh,
      extendedMessage: ext,
      extendedNextHop,
      peerHostname,
      peerCapabilities: caps,
      codecOptions,
    },
  };
}
