// One TCP connection of a session (RFC 4271 keeps an FSM per connection until collision detection
// keeps one): its phase, reader, negotiated options, timers and send window.
import { MessageReader } from '../codec/decode.ts';
import type { CodecOptions } from '../model.ts';
import type { Negotiated } from './negotiate.ts';
import type { ConnectionId, ConnectionInfo } from './types.ts';

export type Phase = 'delay-open' | 'open-sent' | 'open-confirm' | 'established';

export interface Connection {
  readonly id: ConnectionId;
  readonly outbound: boolean;
  readonly localAddress: string;
  readonly remoteAddress: string;
  readonly reader: MessageReader;
  phase: Phase;
  negotiated: Negotiated | undefined;
  codec: CodecOptions;
  holdMs: number;
  keepaliveMs: number;
  holdDeadline: number | undefined;
  keepaliveDeadline: number | undefined;
  delayOpenDeadline: number | undefined;
  closed: boolean;
  /** Ends without a NOTIFICATION from the peer (TCP loss, hold expiry): graceful restart applies. */
  lostUngracefully: boolean;
  /** UPDATE bytes the session may hand over per `connectionWritable` (Infinity: no flow control). */
  readonly sendWindow: number;
  /** What is left of the window; UPDATEs wait in the Adj-RIB-Out while it is used up. */
  sendCredit: number;
  /** Families whose End-of-RIB goes out once their initial routes are sent (RFC 4724 §2). */
  readonly pendingEor: Set<1 | 2>;
  /** Families whose Enhanced Route Refresh End-of-RIB goes out once the refresh is sent (RFC 7313). */
  readonly pendingEorr: Set<1 | 2>;
}

/** Order of the phases: the session state is that of the most advanced connection. */
export function phaseRank(p: Phase): number {
  return p === 'delay-open' ? 0 : p === 'open-sent' ? 1 : p === 'open-confirm' ? 2 : 3;
}

/** A connection that just came up, before its OPEN (DelayOpen, or OpenSent once ours is sent). */
export function newConnection(info: ConnectionInfo, outbound: boolean, sendWindow: number): Connection {
  return {
    id: info.id,
    outbound,
    localAddress: info.localAddress,
    remoteAddress: info.remoteAddress,
    reader: new MessageReader(),
    phase: 'delay-open',
    negotiated: undefined,
    codec: {},
    holdMs: 0,
    keepaliveMs: 0,
    holdDeadline: undefined,
    keepaliveDeadline: undefined,
    delayOpenDeadline: undefined,
    closed: false,
    lostUngracefully: false,
    sendWindow,
    sendCredit: sendWindow,
    pendingEor: new Set(),
    pendingEorr: new Set(),
  };
}
