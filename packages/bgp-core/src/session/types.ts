// Outputs of a BgpSession: actions for the driver (dial, send, close) and events for the application.

import type { AttributeIssue } from '../codec/types.ts';
import type { NextHop, NotificationMessage, PathAttributes } from '../model.ts';
import type { FamilyName } from './config.ts';
import type { Negotiated } from './negotiate.ts';

/** RFC 4271 §8.2.2 session states. */
export type SessionState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

/** Identifies one TCP connection between the driver and the session. */
export type ConnectionId = string;

/** What the driver knows about a TCP connection that came up. */
export interface ConnectionInfo {
  /**
   * The id of a `connect` action for a connection we dialed; for an accepted (inbound) connection, any
   * id the driver chooses that is not in use (ids of `connect` actions start with `connect#`).
   */
  readonly id: ConnectionId;
  readonly localAddress: string;
  readonly remoteAddress: string;
  /**
   * Flow control: bytes of UPDATEs the session hands to this connection before it waits for
   * `connectionWritable` (a driver reports that when its write queue has room again). Default: no
   * limit, every change goes out at once.
   */
  readonly sendWindow?: number;
}

/** Something the driver must do, in order. */
export type SessionAction =
  /** Open a TCP connection to the peer; report it with `connectionUp`/`connectionFailed` and this id. */
  | {
      readonly type: 'connect';
      readonly connId: ConnectionId;
      readonly remoteAddress: string;
      readonly remotePort: number;
      readonly localAddress: string | undefined;
    }
  /** Write these bytes (one or more whole BGP messages) to the connection. */
  | { readonly type: 'send'; readonly connId: ConnectionId; readonly bytes: Uint8Array }
  /** Close the connection after writing what was sent before (or abort a pending dial). */
  | { readonly type: 'close'; readonly connId: ConnectionId };

/** Something that happened, for the application (logs, metrics, routes learned). */
export type SessionEvent =
  | {
      readonly type: 'state-change';
      readonly from: SessionState;
      readonly to: SessionState;
      readonly reason: string;
    }
  | { readonly type: 'established'; readonly connId: ConnectionId; readonly negotiated: Negotiated }
  /** Routes learned from the peer (AS4 paths already merged for 2-octet peers). */
  | {
      readonly type: 'route-received';
      readonly afi: number;
      readonly safi: number;
      readonly prefixes: readonly string[];
      /** ADD-PATH path identifiers, one per prefix, when the family receives them. */
      readonly pathIds: readonly number[] | undefined;
      readonly nextHop: NextHop | undefined;
      readonly attributes: PathAttributes;
    }
  | {
      readonly type: 'route-withdrawn';
      readonly afi: number;
      readonly safi: number;
      readonly prefixes: readonly string[];
      readonly pathIds: readonly number[] | undefined;
      /**
       * Why: 'withdrawn' by the peer, 'treat-as-withdraw' (RFC 7606), 'stale' (RFC 7313 EoRR), or
       * 'as-loop' (the peer sent a path holding our own AS, RFC 4271 §9.1.2: not accepted).
       */
      readonly cause: 'withdrawn' | 'treat-as-withdraw' | 'stale' | 'as-loop';
    }
  | { readonly type: 'end-of-rib'; readonly afi: number; readonly safi: number }
  | {
      readonly type: 'notification-sent';
      readonly connId: ConnectionId;
      readonly notification: NotificationMessage;
      readonly description: string;
      /** Why we sent it (names the field or byte offset for malformed input). */
      readonly reason: string;
    }
  | {
      readonly type: 'notification-received';
      readonly connId: ConnectionId;
      readonly notification: NotificationMessage;
      readonly description: string;
    }
  /** An UPDATE attribute was discarded or its UPDATE treated as withdraw (RFC 7606). */
  | { readonly type: 'attribute-issue'; readonly connId: ConnectionId; readonly issue: AttributeIssue }
  /** The peer asked for our routes again (RFC 2918); they are being re-sent. */
  | { readonly type: 'route-refresh-requested'; readonly afi: number; readonly safi: number }
  /** The peer began or ended an enhanced route refresh of its routes (RFC 7313). */
  | {
      readonly type: 'enhanced-route-refresh';
      readonly afi: number;
      readonly safi: number;
      readonly phase: 'begin' | 'end';
    }
  /** Two connections to the peer: one kept, the other closed with Cease 6/7 (RFC 4271 §6.8). */
  | {
      readonly type: 'collision-resolved';
      readonly kept: ConnectionId;
      readonly closed: ConnectionId;
      readonly reason: string;
    }
  /**
   * The Established session was lost without a NOTIFICATION and the peer advertised graceful restart
   * (RFC 4724 §4.2): a receiver may keep the peer's routes of these families (stale) for up to
   * `restartTime` seconds, until the peer's End-of-RIB once the session is back.
   */
  | {
      readonly type: 'peer-graceful-restart';
      readonly restartTime: number;
      readonly families: readonly { readonly family: FamilyName; readonly forwardingState: boolean }[];
    }
  /** The peer sent routes of a family that was not negotiated; they were ignored (RFC 4760 §7). */
  | {
      readonly type: 'family-not-negotiated';
      readonly afi: number;
      readonly safi: number;
      readonly prefixes: number;
    }
  /** Routes that could not be advertised (no usable next hop for the family). */
  | {
      readonly type: 'export-error';
      readonly afi: number;
      readonly safi: number;
      readonly prefixes: readonly string[];
      readonly reason: string;
    };

/** What `BgpSession.drain()` returns, in order: actions for the driver and events, tagged by `type`. */
export type SessionOutput = SessionAction | SessionEvent;

/** Whether an output is an action the driver must carry out (`connect`, `send`, `close`). */
export function isSessionAction(o: SessionOutput): o is SessionAction {
  return o.type === 'connect' || o.type === 'send' || o.type === 'close';
}
