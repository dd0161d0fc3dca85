// Connection collision (RFC 4271 §6.8): of two connections to one peer that both reached OpenSent,
// which one stays. (An Established connection always stays, unless graceful restart says the peer
// restarted; the session decides that before asking here.)

import { parseIPv4 } from '../prefix.ts';
import type { ResolvedSessionConfig } from './config.ts';
import type { Negotiated } from './negotiate.ts';

/**
 * Whether the connection whose OPEN just arrived (`newOutbound`: we dialed it) is kept over the
 * other one, and why, in words for the `collision-resolved` event.
 */
export function collisionWinner(
  config: ResolvedSessionConfig,
  newOutbound: boolean,
  otherOutbound: boolean,
  n: Negotiated,
): { keepNew: boolean; why: string } {
  if (newOutbound === otherOutbound)
    return { keepNew: true, why: 'both connections in the same direction: the newer one is kept' };
  // The connection initiated by the speaker with the higher BGP Identifier survives (RFC 4271
  // §6.8); with equal identifiers (eBGP), the one initiated by the larger AS (RFC 6286 §2.3).
  const localId = config.bgpId;
  const peerId = parseIPv4(n.peerBgpId) ?? 0;
  const localWins = localId !== peerId ? localId > peerId : config.localAs > n.peerAs;
  return {
    keepNew: localWins ? newOutbound : !newOutbound,
    why:
      localId !== peerId
        ? `BGP Identifier ${config.bgpIdText} ${localWins ? '>' : '<'} ${n.peerBgpId}: keep the connection ${localWins ? 'we' : 'the peer'} initiated`
        : `equal BGP Identifiers: AS ${localWins ? config.localAs : n.peerAs} is larger, keep the connection it initiated`,
  };
}
