// The BGP session state machine (RFC 4271 §8) for a speaker, sans-I/O: the driver reports TCP
// connections, bytes and time; the session answers with actions (dial, send, close), events and its
// next deadline. It owns the peer's Adj-RIB-Out (export-updates.ts turns its changes into UPDATEs)
// and what the peer sent (received-routes.ts); connection.ts holds one connection's state,
// collision.ts the RFC 4271 §6.8 choice between two.
//
// Connections: the RFC describes one FSM per connection; a speaker that dials and listens can have two
// connections to one peer until collision detection (§6.8) keeps one. Each connection here has its own
// phase and timers; the session state is that of the most advanced connection (or Idle/Connect/Active
// when none is open), and every change of it is reported.

import { reconstructAs4 } from '../codec/as4.ts';
import { encodeEndOfRib, encodeKeepalive, encodeMessage, isEndOfRib } from '../codec/encode.ts';
import { adminShutdown, describeNotification, notification } from '../codec/notification.ts';
import type { ReadResult } from '../codec/types.ts';
import {
  CapabilityCode,
  CeaseSubcode,
  FsmErrorSubcode,
  type NextHop,
  NotificationCode,
  type NotificationMessage,
  OpenErrorSubcode,
  type OpenMessage,
  type PathAttributes,
  type RouteRefreshMessage,
  RouteRefreshSubtype,
  type UpdateMessage,
} from '../model.ts';
import type { PrefixList } from '../prefix.ts';
import { AdjRibOut, type RibChanges } from '../rib/adj-rib-out.ts';
import type { RouteAttributes } from '../rib/attributes.ts';
import type { ExportContext } from '../rib/export.ts';
import { canonicalPrefix } from '../rib/prefixes.ts';
import { collisionWinner } from './collision.ts';
import {
  type BgpSessionConfig,
  type FamilyName,
  type ResolvedSessionConfig,
  resolveConfig,
} from './config.ts';
import { type Connection, newConnection, phaseRank } from './connection.ts';
import { changesToUpdates, exportContext, exportedAttributes } from './export-updates.ts';
import { checkOpen, familyName, localOpen, type Negotiated } from './negotiate.ts';
import { ReceivedRoutes } from './received-routes.ts';
import type { ConnectionId, ConnectionInfo, SessionOutput, SessionState } from './types.ts';

/** Hold timer while waiting for the peer's OPEN (RFC 4271 §8.2.2: "4 minutes is suggested"). */
export const LARGE_HOLD_TIME_MS = 240_000;

/**
 * Changed prefixes taken from the Adj-RIB-Out at a time on a connection with a send window, so that
 * one step overshoots the window by a bounded amount (at most this many prefixes' UPDATEs).
 */
export const SEND_BATCH_PREFIXES = 256;

type MessageKind = 'open' | 'update' | 'notification' | 'keepalive' | 'route-refresh';

function zeroCounts(): Record<MessageKind, number> {
  return { open: 0, update: 0, notification: 0, keepalive: 0, 'route-refresh': 0 };
}

const canonicalV4 = (p: string) => canonicalPrefix(1, p);
const canonicalV6 = (p: string) => canonicalPrefix(2, p);

/** A family as an AFI (1 IPv4, 2 IPv6; unicast) or by name. */
export type FamilyRef = 1 | 2 | FamilyName;

function afiOf(family: FamilyRef): 1 | 2 {
  if (family === 1 || family === 'ipv4-unicast') return 1;
  if (family === 2 || family === 'ipv6-unicast') return 2;
  throw new RangeError(`BgpSession: family ${String(family)} is not 1, 2, 'ipv4-unicast' or 'ipv6-unicast'`);
}

/** How `stop` ends the session. */
export interface StopOptions {
  /** RFC 9003 Shutdown Communication (for subcodes 2 and 4). */
  readonly message?: string;
  /** Cease subcode; default 2 (Administrative Shutdown). */
  readonly subcode?: number;
  /** Restart automatically after the idle hold time (default false: stay Idle until `start`). */
  readonly restart?: boolean;
}

/** Counters and status of a session. */
export interface SessionStats {
  readonly state: SessionState;
  /** `now` of the last state change. */
  readonly stateChangedAt: number;
  readonly messagesSent: Readonly<Record<MessageKind, number>>;
  readonly messagesReceived: Readonly<Record<MessageKind, number>>;
  /** Prefixes the peer holds from us, per family. */
  readonly prefixesAdvertised: Readonly<Record<FamilyName, number>>;
  /** Prefixes we hold from the peer, per family. */
  readonly prefixesReceived: Readonly<Record<FamilyName, number>>;
  readonly negotiated: Negotiated | undefined;
  readonly localAddress: string | undefined;
  readonly remoteAddress: string | undefined;
  /** The last NOTIFICATION sent or received, or the last connection loss, in words. */
  readonly lastError: string | undefined;
}

function familyAfis(n: Negotiated): (1 | 2)[] {
  return n.families.map((f) => (f === 'ipv4-unicast' ? 1 : 2));
}

/**
 * One BGP peering: RFC 4271 FSM, OPEN negotiation, collision detection, timers with jitter, graceful
 * restart, route refresh, prefix limit, and the peer's Adj-RIB-Out.
 */
export class BgpSession {
  readonly config: ResolvedSessionConfig;
  readonly #rib = new AdjRibOut<1 | 2>();
  readonly #conns = new Map<ConnectionId, Connection>();
  /** What the peer sent us, per family (for the prefix limit and RFC 7313 stale purging). */
  readonly #received = new ReceivedRoutes((e) => this.#out.push(e));
  /** Actions and events since the last drain, in the order they happened. */
  #out: SessionOutput[] = [];
  #state: SessionState = 'Idle';
  #started = false;
  #pendingConnect: ConnectionId | undefined;
  #connectSeq = 0;
  #connectRetryDeadline: number | undefined;
  #idleRestartDeadline: number | undefined;
  /** MinRouteAdvertisementIntervalTimer (RFC 4271 §9.2.1.1); undefined when not running. */
  #mraiDeadline: number | undefined;
  #failures = 0;
  #established: Connection | undefined;
  #establishedAt = 0;
  #exportCtx: ExportContext | undefined;
  #keepaliveBytes: Uint8Array | undefined;
  #now = 0;
  /** The R bit: set until the first session after our restart is Established (RFC 4724 §4.1). */
  #restarted: boolean;
  #stateChangedAt = 0;
  #lastError: string | undefined;
  /** Capability codes the peer refused with 2/7 (RFC 5492 §5), left out of our next OPENs. */
  readonly #suppressed = new Set<number>();
  readonly #sentCounts: Record<MessageKind, number> = zeroCounts();
  readonly #receivedCounts: Record<MessageKind, number> = zeroCounts();

  constructor(config: BgpSessionConfig) {
    this.config = resolveConfig(config);
    this.#restarted = this.config.gracefulRestart?.restarting === true;
  }

  // -------------------------------------------------------------------------------------------
  // Queries

  /** The RFC 4271 state. */
  get state(): SessionState {
    return this.#state;
  }

  /** What the OPEN exchange agreed on, while Established. */
  get negotiated(): Negotiated | undefined {
    return this.#established?.negotiated;
  }

  /** Number of prefixes currently held from the peer (all families). */
  get receivedPrefixCount(): number {
    return this.#received.count;
  }

  /** Desired routes of a family (what is or will be advertised). */
  desiredCount(family: FamilyRef): number {
    return this.#rib.desiredCount(afiOf(family));
  }

  /** Counters and status for metrics and `status` displays. */
  stats(): SessionStats {
    const conn = this.#established;
    const received = (key: string) => this.#received.familyCount(key);
    return {
      state: this.#state,
      stateChangedAt: this.#stateChangedAt,
      messagesSent: { ...this.#sentCounts },
      messagesReceived: { ...this.#receivedCounts },
      prefixesAdvertised: { 'ipv4-unicast': this.#rib.sentCount(1), 'ipv6-unicast': this.#rib.sentCount(2) },
      prefixesReceived: { 'ipv4-unicast': received('1/1'), 'ipv6-unicast': received('2/1') },
      negotiated: conn?.negotiated,
      localAddress: conn?.localAddress,
      remoteAddress: conn?.remoteAddress,
      lastError: this.#lastError,
    };
  }

  /** The earliest deadline (monotonic ms) at which `handleTimeout` has work, if any. */
  nextTimeout(): number | undefined {
    let t: number | undefined;
    const consider = (d: number | undefined) => {
      if (d !== undefined && (t === undefined || d < t)) t = d;
    };
    consider(this.#connectRetryDeadline);
    consider(this.#idleRestartDeadline);
    if (this.#established !== undefined) consider(this.#mraiDeadline);
    for (const c of this.#conns.values()) {
      consider(c.holdDeadline);
      consider(c.keepaliveDeadline);
      consider(c.delayOpenDeadline);
    }
    return t;
  }

  /**
   * Everything produced since the last call, in order: actions for the driver (`connect`, `send`,
   * `close`, to carry out in this order) and events for the application, each tagged by `type`.
   */
  drain(): SessionOutput[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Administrative events

  /** ManualStart (RFC 4271 §8.1.2 event 1, or event 4/5 when passive). Restarts automatically after failures. */
  start(now: number): void {
    this.#now = now;
    if (this.#started) return;
    this.#started = true;
    this.#failures = 0;
    this.#automaticStart(now, 'ManualStart');
  }

  /**
   * ManualStop (event 2): a Cease NOTIFICATION to every connection that sent its OPEN — by default
   * Administrative Shutdown (6/2) with the RFC 9003 message — close all, and stay Idle until `start`
   * (or, with `restart: true`, restart automatically after the idle hold time).
   */
  stop(now: number, options: string | StopOptions = {}): void {
    this.#now = now;
    const o: StopOptions = typeof options === 'string' ? { message: options } : options;
    const message = o.message ?? '';
    const subcode = o.subcode ?? CeaseSubcode.AdministrativeShutdown;
    const notif =
      subcode === CeaseSubcode.AdministrativeShutdown || subcode === CeaseSubcode.AdministrativeReset
        ? { ...adminShutdown(message), subcode }
        : notification(NotificationCode.Cease, subcode);
    const restart = o.restart === true && this.#started;
    const reason = `${restart ? 'AutomaticStop' : 'ManualStop'} (${describeNotification(notif)})`;
    this.#started = false;
    this.#idleRestartDeadline = undefined;
    this.#connectRetryDeadline = undefined;
    this.#abortPendingConnect();
    for (const c of [...this.#conns.values()]) {
      if (c.phase === 'delay-open') this.#dropConnection(now, c, false);
      else this.#sendNotificationAndClose(now, c, notif, reason);
    }
    if (restart) {
      this.#started = true;
      this.#afterFailure(now);
    }
    this.#update(reason);
  }

  /** Administrative shutdown (Cease 6/2) with an RFC 9003 message; no automatic restart. */
  shutdown(now: number, message = ''): void {
    this.stop(now, { message });
  }

  /** The peer was removed from the configuration: Cease 6/3 (Peer De-configured); no restart. */
  deconfigure(now: number): void {
    this.stop(now, { subcode: CeaseSubcode.PeerDeconfigured });
  }

  /**
   * A parameter of this session changed (hold time, password, addresses, ASNs…) and the caller
   * replaces it with a session on the new configuration: Cease 6/6 (Other Configuration Change, RFC
   * 4486 §4); no restart. 6/3 (`deconfigure`) is for a peer that was removed.
   */
  reconfigure(now: number): void {
    this.stop(now, { subcode: CeaseSubcode.OtherConfigurationChange });
  }

  /**
   * BFD declared the peer down (RFC 9384): Cease 6/10 if the connection still writes, Idle at once,
   * then the usual automatic restart.
   */
  bfdDown(now: number): void {
    if (!this.#started) return;
    this.stop(now, { subcode: CeaseSubcode.BfdDown, restart: true });
  }

  // -------------------------------------------------------------------------------------------
  // Transport events

  /** A TCP connection to the peer is up: one we dialed (id of a `connect` action) or one we accepted. */
  connectionUp(now: number, info: ConnectionInfo): void {
    this.#now = now;
    if (this.#conns.has(info.id))
      throw new Error(`BgpSession.connectionUp: connection '${info.id}' is already up`);
    const sendWindow = info.sendWindow ?? Number.POSITIVE_INFINITY;
    if (!(sendWindow > 0))
      throw new RangeError(
        `BgpSession.connectionUp: sendWindow ${String(info.sendWindow)} of connection '${info.id}' is not a positive number of bytes`,
      );
    const outbound = info.id === this.#pendingConnect;
    if (outbound) this.#pendingConnect = undefined;
    if (!this.#started) {
      // Idle refuses connections (RFC 4271 §8.2.2 Idle state).
      this.#out.push({ type: 'close', connId: info.id });
      return;
    }
    this.#idleRestartDeadline = undefined;
    this.#connectRetryDeadline = undefined;
    const conn = newConnection(info, outbound, sendWindow);
    this.#conns.set(conn.id, conn);
    if (this.config.delayOpen) {
      conn.delayOpenDeadline = now + this.config.delayOpenTime * 1000;
    } else {
      this.#sendOpen(now, conn);
    }
    this.#update(outbound ? 'TcpConnectionConfirmed (outbound)' : 'TcpConnectionConfirmed (inbound)');
  }

  /**
   * A dial (id of a `connect` action) failed, or an open connection failed; `detail` (for example
   * "connection refused") goes into the state-change reason and `stats().lastError`.
   */
  connectionFailed(now: number, id: ConnectionId, detail?: string): void {
    this.#tcpGone(now, id, detail === undefined ? 'TcpConnectionFails' : `TcpConnectionFails: ${detail}`);
  }

  /** The peer closed the connection (or the transport did). */
  connectionClosed(now: number, id: ConnectionId, detail?: string): void {
    this.#tcpGone(now, id, detail === undefined ? 'TcpConnectionClosed' : `TcpConnectionClosed: ${detail}`);
  }

  /**
   * Flow control, for a connection that came up with a `sendWindow`: everything handed to it so far
   * has been written (the driver's queue for it is below its mark again). The window opens again and
   * pending UPDATEs go out, at most about `sendWindow` bytes of them until the next call. KEEPALIVE,
   * OPEN and NOTIFICATION messages never wait for the window; UPDATEs that wait stay in the
   * Adj-RIB-Out, where a later change of a prefix replaces the pending one.
   */
  connectionWritable(now: number, id: ConnectionId): void {
    this.#now = now;
    const conn = this.#conns.get(id);
    if (conn === undefined || conn.closed) return;
    conn.sendCredit = conn.sendWindow;
    if (conn === this.#established) this.#flush(now);
  }

  /** Bytes received on a connection (split anywhere; several messages at once are fine). */
  receive(now: number, id: ConnectionId, bytes: Uint8Array): void {
    this.#now = now;
    const conn = this.#conns.get(id);
    if (conn === undefined) return; // closed by us; late data is dropped
    conn.reader.push(bytes);
    while (!conn.closed) {
      const r = conn.reader.next();
      if (r === undefined) break;
      this.#handleRead(now, conn, r);
    }
  }

  /** Run every timer that expired by `now`; an early or extra call does nothing. */
  handleTimeout(now: number): void {
    this.#now = now;
    for (let guard = 0; guard < 64; guard++) {
      if (this.#idleRestartDeadline !== undefined && this.#idleRestartDeadline <= now) {
        this.#idleRestartDeadline = undefined;
        this.#automaticStart(now, 'AutomaticStart (IdleHoldTimer expired)');
        continue;
      }
      if (this.#connectRetryDeadline !== undefined && this.#connectRetryDeadline <= now) {
        this.#connectRetryDeadline = undefined;
        this.#abortPendingConnect();
        this.#dial(now);
        this.#update('ConnectRetryTimer_Expires');
        continue;
      }
      if (this.#mraiDeadline !== undefined && this.#mraiDeadline <= now) {
        this.#mraiDeadline = undefined;
        this.#flush(now);
        continue;
      }
      let fired = false;
      for (const c of [...this.#conns.values()]) {
        if (c.closed) continue;
        if (c.delayOpenDeadline !== undefined && c.delayOpenDeadline <= now) {
          c.delayOpenDeadline = undefined;
          this.#sendOpen(now, c);
          this.#update('DelayOpenTimer_Expires');
          fired = true;
        }
        if (!c.closed && c.holdDeadline !== undefined && c.holdDeadline <= now) {
          c.holdDeadline = undefined;
          c.lostUngracefully = true;
          this.#sendNotificationAndClose(
            now,
            c,
            notification(NotificationCode.HoldTimerExpired, 0),
            `HoldTimer_Expires: nothing received for ${(c.holdMs / 1000).toFixed(0)} s`,
          );
          this.#update('HoldTimer_Expires');
          fired = true;
        }
        if (!c.closed && c.keepaliveDeadline !== undefined && c.keepaliveDeadline <= now) {
          this.#sendKeepalive(now, c);
          fired = true;
        }
      }
      if (!fired) return;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Routes (Adj-RIB-Out)

  /** Replace the routes advertised for a family (AFI 1 IPv4 or 2 IPv6 unicast); only the difference is sent. */
  setRoutes(now: number, family: FamilyRef, routes: Iterable<readonly [string, RouteAttributes]>): void {
    this.#now = now;
    const afi = afiOf(family);
    this.#rib.setRoutes(afi, routes, afi === 1 ? canonicalV4 : canonicalV6);
    this.#flush(now);
  }

  /** Advertise (or change) some routes of a family. */
  announce(now: number, family: FamilyRef, routes: Iterable<readonly [string, RouteAttributes]>): void {
    this.#now = now;
    const afi = afiOf(family);
    this.#rib.announce(afi, routes, afi === 1 ? canonicalV4 : canonicalV6);
    this.#flush(now);
  }

  /** Withdraw some routes of a family (prefixes not advertised are ignored). */
  withdraw(now: number, family: FamilyRef, prefixes: Iterable<string>): void {
    this.#now = now;
    const afi = afiOf(family);
    this.#rib.withdraw(afi, prefixes, afi === 1 ? canonicalV4 : canonicalV6);
    this.#flush(now);
  }

  /** Ask the peer to re-send its routes of a family (RFC 2918); false when not negotiated or not up. */
  requestRouteRefresh(now: number, family: FamilyRef): boolean {
    this.#now = now;
    const afi = afiOf(family);
    const conn = this.#established;
    const n = conn?.negotiated;
    if (conn === undefined || n === undefined || !n.routeRefresh) return false;
    const name = familyName(afi, 1);
    if (name === undefined || !n.families.includes(name)) return false;
    this.#sendRouteRefresh(conn, {
      type: 'route-refresh',
      afi,
      safi: 1,
      subtype: RouteRefreshSubtype.Normal,
    });
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // State bookkeeping

  #computeState(): SessionState {
    let best: Connection | undefined;
    for (const c of this.#conns.values()) {
      if (best === undefined || phaseRank(c.phase) > phaseRank(best.phase)) best = c;
    }
    if (best !== undefined) {
      switch (best.phase) {
        case 'established':
          return 'Established';
        case 'open-confirm':
          return 'OpenConfirm';
        case 'open-sent':
          return 'OpenSent';
        case 'delay-open':
          // DelayOpen runs in Connect (we dialed) or Active (the peer dialed), RFC 4271 §8.2.2.
          for (const c of this.#conns.values()) if (c.outbound) return 'Connect';
          return 'Active';
      }
    }
    if (!this.#started || this.#idleRestartDeadline !== undefined) return 'Idle';
    return this.#pendingConnect !== undefined ? 'Connect' : 'Active';
  }

  #update(reason: string): void {
    const to = this.#computeState();
    if (to === this.#state) return;
    const from = this.#state;
    this.#state = to;
    this.#stateChangedAt = this.#now;
    this.#out.push({ type: 'state-change', from, to, reason });
  }

  #jitter(ms: number): number {
    // RFC 4271 §10: multiply by a random factor uniformly distributed in 0.75–1.0.
    const r = this.config.random();
    const f = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
    return Math.max(1, Math.round(ms * (0.75 + 0.25 * f)));
  }

  #automaticStart(now: number, reason: string): void {
    this.#idleRestartDeadline = undefined;
    if (!this.config.passive) this.#dial(now);
    this.#update(reason);
  }

  #dial(now: number): void {
    const peer = this.config.peerAddress;
    if (this.config.passive || peer === undefined) return;
    this.#connectSeq++;
    const connId = `connect#${this.#connectSeq}`;
    this.#pendingConnect = connId;
    this.#connectRetryDeadline = now + this.#jitter(this.config.connectRetryTime * 1000);
    this.#out.push({
      type: 'connect',
      connId,
      remoteAddress: peer,
      remotePort: this.config.peerPort,
      localAddress: this.config.localAddress,
    });
  }

  #abortPendingConnect(): void {
    if (this.#pendingConnect === undefined) return;
    this.#out.push({ type: 'close', connId: this.#pendingConnect });
    this.#pendingConnect = undefined;
  }

  /** Idle after a failure, with an automatic restart after the (damped) idle hold time. */
  #afterFailure(now: number): void {
    if (!this.#started || this.#conns.size > 0) return;
    if (this.#pendingConnect !== undefined) {
      // A dial is still out: its result (or ConnectRetry) decides what comes next.
      this.#connectRetryDeadline ??= now + this.#jitter(this.config.connectRetryTime * 1000);
      return;
    }
    this.#connectRetryDeadline = undefined;
    const base = this.config.idleHoldTime * 1000;
    const cap = Math.max(base, this.config.connectRetryTime * 1000);
    const hold = Math.min(cap, base * 2 ** Math.min(this.#failures, 16));
    this.#failures++;
    this.#idleRestartDeadline = now + (hold === 0 ? 0 : this.#jitter(hold));
  }

  /** TCP failed or closed under a connection (or a dial failed). */
  #tcpGone(now: number, id: ConnectionId, reason: string): void {
    this.#now = now;
    if (id === this.#pendingConnect) {
      // Connect state, TcpConnectionFails: restart ConnectRetryTimer, go to Active (§8.2.2).
      this.#pendingConnect = undefined;
      this.#lastError = `${reason} (dial ${id} to ${this.config.peerAddress ?? '?'})`;
      if (this.#started && this.#conns.size === 0) {
        this.#connectRetryDeadline = now + this.#jitter(this.config.connectRetryTime * 1000);
      }
      this.#update(`${reason} (dial)`);
      return;
    }
    const conn = this.#conns.get(id);
    if (conn === undefined) return;
    const phase = conn.phase;
    this.#lastError = `${reason} in ${this.#state}`;
    conn.lostUngracefully = true;
    this.#removeConnection(now, conn);
    if (phase === 'delay-open' || phase === 'open-sent') {
      // Connect/Active/OpenSent, TcpConnectionFails: back to Active, ConnectRetryTimer restarted.
      if (
        this.#started &&
        this.#conns.size === 0 &&
        this.#pendingConnect === undefined &&
        !this.config.passive
      ) {
        this.#connectRetryDeadline = now + this.#jitter(this.config.connectRetryTime * 1000);
      }
    } else {
      this.#afterFailure(now);
    }
    this.#update(reason);
  }

  /** Forget a connection (timers, reader); session-down work if it was the Established one. */
  #removeConnection(now: number, conn: Connection): void {
    if (conn.closed) return;
    conn.closed = true;
    conn.holdDeadline = undefined;
    conn.keepaliveDeadline = undefined;
    conn.delayOpenDeadline = undefined;
    this.#conns.delete(conn.id);
    if (this.#established === conn) {
      this.#established = undefined;
      this.#exportCtx = undefined;
      this.#mraiDeadline = undefined;
      this.#rib.resetSent();
      this.#received.clear();
      const upFor = now - this.#establishedAt;
      if (upFor >= Math.max(conn.holdMs, 60_000)) this.#failures = 0;
      const gr = conn.negotiated?.gracefulRestart.peer;
      if (conn.lostUngracefully && gr !== undefined) {
        // RFC 4724 §4.2: the peer may be restarting; its routes may be kept (stale) for the restart
        // time, until its End-of-RIB after the session is back.
        this.#out.push({
          type: 'peer-graceful-restart',
          restartTime: gr.restartTime,
          families: gr.families,
        });
      }
    }
  }

  /** Close a connection without a NOTIFICATION. */
  #dropConnection(now: number, conn: Connection, failure: boolean): void {
    this.#removeConnection(now, conn);
    this.#out.push({ type: 'close', connId: conn.id });
    if (failure) this.#afterFailure(now);
  }

  #sendNotificationAndClose(now: number, conn: Connection, notif: NotificationMessage, reason: string): void {
    if (conn.closed) return;
    this.#out.push({ type: 'send', connId: conn.id, bytes: encodeMessage(notif, conn.codec) });
    this.#sentCounts.notification++;
    this.#lastError = `sent ${describeNotification(notif)}: ${reason}`;
    this.#out.push({
      type: 'notification-sent',
      connId: conn.id,
      notification: notif,
      description: describeNotification(notif),
      reason,
    });
    this.#dropConnection(now, conn, true);
  }

  // -------------------------------------------------------------------------------------------
  // Sending

  #sendOpen(now: number, conn: Connection): void {
    this.#out.push({
      type: 'send',
      connId: conn.id,
      bytes: encodeMessage(this.#localOpen(conn.localAddress)),
    });
    this.#sentCounts.open++;
    if (conn.phase === 'delay-open') {
      conn.phase = 'open-sent';
      // OpenSent: hold timer set to a large value while waiting for the OPEN (§8.2.2).
      conn.holdMs = LARGE_HOLD_TIME_MS;
      conn.holdDeadline = now + LARGE_HOLD_TIME_MS;
    }
  }

  #localOpen(localAddress: string): OpenMessage {
    const open = localOpen(this.config, this.#restarted, localAddress);
    if (this.#suppressed.size === 0) return open;
    return { ...open, capabilities: open.capabilities.filter((c) => !this.#suppressed.has(c.code)) };
  }

  /**
   * RFC 5492 §5: the peer refused capabilities (2/7, data: the capabilities as TLVs); leave them out
   * of the next OPEN. Multiprotocol and 4-octet AS are kept (without them there is nothing to
   * negotiate, RFC 4760/6793), as is a capability the data does not name.
   */
  #suppressCapabilities(data: Uint8Array): void {
    for (let i = 0; i + 1 < data.length; i += 2 + (data[i + 1] ?? 0)) {
      const code = data[i] ?? 0;
      if (code !== CapabilityCode.Multiprotocol && code !== CapabilityCode.As4) this.#suppressed.add(code);
      if (code === CapabilityCode.RouteRefresh) this.#suppressed.add(CapabilityCode.EnhancedRouteRefresh);
    }
  }

  #sendRouteRefresh(conn: Connection, msg: RouteRefreshMessage): void {
    this.#out.push({ type: 'send', connId: conn.id, bytes: encodeMessage(msg, conn.codec) });
    this.#sentCounts['route-refresh']++;
  }

  #sendKeepalive(now: number, conn: Connection): void {
    this.#keepaliveBytes ??= encodeKeepalive();
    this.#out.push({ type: 'send', connId: conn.id, bytes: this.#keepaliveBytes });
    this.#sentCounts.keepalive++;
    this.#restartKeepalive(now, conn);
  }

  #restartKeepalive(now: number, conn: Connection): void {
    // RFC 4271 §4.4: never more often than one KEEPALIVE per second, jitter included.
    conn.keepaliveDeadline =
      conn.keepaliveMs > 0 ? now + Math.max(1000, this.#jitter(conn.keepaliveMs)) : undefined;
  }

  #restartHold(now: number, conn: Connection): void {
    conn.holdDeadline = conn.holdMs > 0 ? now + conn.holdMs : undefined;
  }

  /** Send UPDATEs (restarting the keepalive timer, §8.2.2 Established). */
  #sendUpdates(now: number, conn: Connection, updates: readonly Uint8Array[]): void {
    if (updates.length === 0) return;
    for (const bytes of updates) {
      this.#out.push({ type: 'send', connId: conn.id, bytes });
      conn.sendCredit -= bytes.length;
    }
    this.#sentCounts.update += updates.length;
    this.#restartKeepalive(now, conn);
  }

  // -------------------------------------------------------------------------------------------
  // Receiving

  #handleRead(now: number, conn: Connection, r: ReadResult): void {
    if (r.kind === 'error') {
      this.#sendNotificationAndClose(now, conn, r.notification, `${r.reason} (byte offset ${r.offset})`);
      this.#update(`malformed message: ${r.reason}`);
      return;
    }
    for (const issue of r.issues) this.#out.push({ type: 'attribute-issue', connId: conn.id, issue });
    const msg = r.message;
    this.#receivedCounts[msg.type]++;
    if (msg.type === 'notification') {
      this.#out.push({
        type: 'notification-received',
        connId: conn.id,
        notification: msg,
        description: describeNotification(msg),
      });
      this.#lastError = `received ${describeNotification(msg)}`;
      if (
        msg.code === NotificationCode.OpenMessageError &&
        msg.subcode === OpenErrorSubcode.UnsupportedCapability
      ) {
        this.#suppressCapabilities(msg.data);
      }
      this.#dropConnection(now, conn, true);
      this.#update(`NOTIFICATION received: ${describeNotification(msg)}`);
      return;
    }
    switch (conn.phase) {
      case 'delay-open':
      case 'open-sent':
        if (msg.type === 'open') {
          this.#handleOpen(now, conn, msg);
        } else {
          this.#fsmError(
            now,
            conn,
            conn.phase === 'open-sent'
              ? FsmErrorSubcode.UnexpectedMessageInOpenSent
              : FsmErrorSubcode.Unspecified,
            `${msg.type.toUpperCase()} before the peer's OPEN`,
          );
        }
        return;
      case 'open-confirm':
        if (msg.type === 'keepalive') {
          this.#restartHold(now, conn);
          this.#enterEstablished(now, conn);
        } else {
          this.#fsmError(
            now,
            conn,
            FsmErrorSubcode.UnexpectedMessageInOpenConfirm,
            `${msg.type.toUpperCase()} in OpenConfirm`,
          );
        }
        return;
      case 'established':
        this.#restartHold(now, conn);
        if (msg.type === 'keepalive') return;
        if (msg.type === 'update') {
          this.#handleUpdate(now, conn, msg, r.kind === 'treat-as-withdraw');
          return;
        }
        if (msg.type === 'route-refresh') {
          this.#handleRouteRefresh(now, conn, msg);
          return;
        }
        this.#fsmError(now, conn, FsmErrorSubcode.UnexpectedMessageInEstablished, 'OPEN in Established');
        return;
    }
  }

  #fsmError(now: number, conn: Connection, subcode: number, reason: string): void {
    this.#sendNotificationAndClose(now, conn, notification(NotificationCode.FsmError, subcode), reason);
    this.#update(`FSM error: ${reason}`);
  }

  #handleOpen(now: number, conn: Connection, open: OpenMessage): void {
    const check = checkOpen(open, this.config, conn.localAddress);
    if (!check.ok) {
      if (conn.phase === 'delay-open') this.#sendOpen(now, conn); // §6.2: OPEN before the NOTIFICATION
      this.#sendNotificationAndClose(now, conn, check.notification, check.reason);
      this.#update(`OPEN rejected: ${check.reason}`);
      return;
    }
    const n = check.negotiated;
    conn.negotiated = n;
    // Collision detection (§6.8) against every other connection that reached OpenSent or beyond.
    for (const other of [...this.#conns.values()]) {
      if (other === conn || other.closed || other.phase === 'delay-open') continue;
      if (!this.#resolveCollision(now, conn, other, n)) return;
    }
    if (conn.phase === 'delay-open') {
      conn.delayOpenDeadline = undefined;
      this.#sendOpen(now, conn);
    }
    conn.codec = n.codecOptions;
    conn.reader.setOptions(n.codecOptions);
    conn.phase = 'open-confirm';
    conn.holdMs = n.holdTime * 1000;
    conn.keepaliveMs = n.keepaliveTime * 1000;
    this.#restartHold(now, conn);
    this.#sendKeepalive(now, conn);
    this.#update('BGPOpen received');
  }

  /** Keep one of two connections; returns false when `conn` (the one whose OPEN just arrived) lost. */
  #resolveCollision(now: number, conn: Connection, other: Connection, n: Negotiated): boolean {
    let keepNew: boolean;
    let why: string;
    if (other.phase === 'established') {
      const gr = other.negotiated?.gracefulRestart;
      if (gr?.local === true && gr.peer !== undefined && n.gracefulRestart.peer !== undefined) {
        // RFC 4724 §4.2: the peer restarted; the old connection is dead, close it without a NOTIFICATION.
        this.#out.push({
          type: 'collision-resolved',
          kept: conn.id,
          closed: other.id,
          reason: 'peer restarted (graceful restart): new connection replaces the Established one',
        });
        this.#dropConnection(now, other, false);
        return true;
      }
      keepNew = false;
      why = 'a connection is already Established';
    } else {
      ({ keepNew, why } = collisionWinner(this.config, conn.outbound, other.outbound, n));
    }
    const loser = keepNew ? other : conn;
    const winner = keepNew ? conn : other;
    this.#out.push({ type: 'collision-resolved', kept: winner.id, closed: loser.id, reason: why });
    if (loser.phase === 'delay-open') this.#sendOpen(now, loser);
    this.#sendNotificationAndClose(
      now,
      loser,
      notification(NotificationCode.Cease, CeaseSubcode.ConnectionCollisionResolution),
      `connection collision: ${why}`,
    );
    this.#update('OpenCollisionDump');
    return keepNew;
  }

  #enterEstablished(now: number, conn: Connection): void {
    const n = conn.negotiated;
    if (n === undefined) return;
    conn.phase = 'established';
    this.#established = conn;
    this.#restarted = false;
    this.#establishedAt = now;
    this.#update('KeepAliveMsg in OpenConfirm');
    this.#out.push({ type: 'established', connId: conn.id, negotiated: n });
    this.#exportCtx = exportContext(this.config, conn.localAddress, n);
    // Initial sync: every desired route of each negotiated family, then End-of-RIB (RFC 4724 §2).
    // After a session loss the Adj-RIB-Out holds every desired route as a change (resetSent).
    for (const f of n.families) conn.pendingEor.add(f === 'ipv4-unicast' ? 1 : 2);
    this.#sendPending(now, conn, n, familyAfis(n));
  }

  /**
   * Send the pending changes of these families while the connection's send window lasts, then the
   * End-of-RIB markers owed once they are all out. Returns whether UPDATEs went out and whether
   * nothing is left waiting for the window.
   */
  #sendPending(
    now: number,
    conn: Connection,
    n: Negotiated,
    afis: readonly (1 | 2)[],
  ): { sent: boolean; done: boolean } {
    const limit = conn.sendWindow === Number.POSITIVE_INFINITY ? conn.sendWindow : SEND_BATCH_PREFIXES;
    let sent = false;
    for (const afi of afis) {
      while (this.#rib.hasChanges(afi)) {
        if (conn.sendCredit <= 0) return { sent, done: false };
        this.#sendChanges(now, conn, n, afi, this.#rib.takeChanges(afi, limit));
        sent = true;
      }
    }
    for (const afi of afis) {
      if (!conn.pendingEorr.delete(afi)) continue;
      this.#sendRouteRefresh(conn, {
        type: 'route-refresh',
        afi,
        safi: 1,
        subtype: RouteRefreshSubtype.EndOfRib,
      });
    }
    const eor: Uint8Array[] = [];
    for (const afi of afis) if (conn.pendingEor.delete(afi)) eor.push(encodeEndOfRib(afi, 1, conn.codec));
    this.#sendUpdates(now, conn, eor);
    return { sent: sent || eor.length > 0, done: true };
  }

  #flush(now: number): void {
    const conn = this.#established;
    const n = conn?.negotiated;
    if (conn === undefined || n === undefined) return;
    // RFC 4271 §9.2.1.1: with a MinRouteAdvertisementInterval, changes wait for the timer; the
    // interval then starts again from the UPDATEs sent now.
    if (this.#mraiDeadline !== undefined && this.#mraiDeadline > now) return;
    this.#mraiDeadline = undefined;
    const mrai = this.config.minRouteAdvertisementInterval * 1000;
    // A round cut short by the send window goes on at `connectionWritable`; the interval starts once
    // the round is out.
    const { sent, done } = this.#sendPending(now, conn, n, familyAfis(n));
    if (sent && done && mrai > 0) this.#mraiDeadline = now + this.#jitter(mrai);
  }

  #sendChanges(now: number, conn: Connection, n: Negotiated, afi: 1 | 2, changes: RibChanges): void {
    const ctx = this.#exportCtx;
    const family = afi === 1 ? 'ipv4-unicast' : 'ipv6-unicast';
    const addPath = n.addPath[family]?.send === true;
    const { updates, failed } = changesToUpdates(changes, afi, addPath, conn.codec, (set) =>
      ctx === undefined ? 'session not established' : exportedAttributes(set, afi, ctx),
    );
    for (const f of failed) {
      this.#rib.unsend(afi, f.prefixes);
      this.#out.push({ type: 'export-error', afi, safi: 1, prefixes: f.prefixes, reason: f.reason });
    }
    this.#sendUpdates(now, conn, updates);
  }

  #handleRouteRefresh(now: number, conn: Connection, msg: RouteRefreshMessage): void {
    const n = conn.negotiated;
    const name = familyName(msg.afi, msg.safi);
    // RFC 2918 §4 / RFC 7313 §5: ignore a family we did not negotiate, and unknown subtypes.
    if (n === undefined || name === undefined || !n.families.includes(name)) return;
    if (msg.subtype === RouteRefreshSubtype.Normal) {
      if (!this.config.routeRefresh) return;
      this.#out.push({ type: 'route-refresh-requested', afi: msg.afi, safi: msg.safi });
      const afi = msg.afi as 1 | 2;
      const enhanced = n.enhancedRouteRefresh;
      if (enhanced) {
        this.#sendRouteRefresh(conn, {
          type: 'route-refresh',
          afi,
          safi: 1,
          subtype: RouteRefreshSubtype.BeginOfRib,
        });
        conn.pendingEorr.add(afi);
      }
      this.#rib.markAllForResend(afi);
      this.#sendPending(now, conn, n, [afi]);
      return;
    }
    if (!n.enhancedRouteRefresh) return;
    if (msg.subtype === RouteRefreshSubtype.BeginOfRib) {
      this.#received.beginRefresh(msg.afi, msg.safi);
      this.#out.push({ type: 'enhanced-route-refresh', afi: msg.afi, safi: msg.safi, phase: 'begin' });
    } else if (msg.subtype === RouteRefreshSubtype.EndOfRib) {
      this.#out.push({ type: 'enhanced-route-refresh', afi: msg.afi, safi: msg.safi, phase: 'end' });
      this.#received.endRefresh(msg.afi, msg.safi);
    }
  }

  #negotiatedFamily(n: Negotiated, afi: number, safi: number): boolean {
    const name = familyName(afi, safi);
    return name !== undefined && n.families.includes(name);
  }

  #handleUpdate(now: number, conn: Connection, msg: UpdateMessage, treatAsWithdraw: boolean): void {
    const n = conn.negotiated;
    if (n === undefined) return;
    const eor = isEndOfRib(msg);
    if (eor !== undefined) {
      this.#out.push({ type: 'end-of-rib', afi: eor.afi, safi: eor.safi });
      return;
    }
    const a = msg.attributes;
    const ignored = (afi: number, safi: number, count: number) => {
      this.#out.push({ type: 'family-not-negotiated', afi, safi, prefixes: count });
    };
    const withdrawLists: [PrefixList, number][] = [];
    const announceLists: [PrefixList, number, NextHop | undefined][] = [];
    if (msg.withdrawn.count > 0) withdrawLists.push([msg.withdrawn, 1]);
    if (a.mpUnreach !== undefined && a.mpUnreach.withdrawn.count > 0) {
      withdrawLists.push([a.mpUnreach.withdrawn, a.mpUnreach.safi]);
    }
    if (msg.nlri.count > 0) {
      announceLists.push([msg.nlri, 1, a.nextHop === undefined ? undefined : { global: a.nextHop }]);
    }
    if (a.mpReach !== undefined && a.mpReach.nlri.count > 0) {
      announceLists.push([a.mpReach.nlri, a.mpReach.safi, a.mpReach.nextHop]);
    }
    for (const [list, safi] of withdrawLists) {
      if (this.#negotiatedFamily(n, list.afi, safi)) this.#received.withdrawn(list, safi, 'withdrawn');
      else ignored(list.afi, safi, list.count);
    }
    if (announceLists.length === 0) return;
    if (treatAsWithdraw) {
      for (const [list, safi] of announceLists) {
        if (this.#negotiatedFamily(n, list.afi, safi))
          this.#received.withdrawn(list, safi, 'treat-as-withdraw');
      }
      return;
    }
    const { mpReach: _r, mpUnreach: _u, wire: _w, ...rest } = n.as4 ? a : reconstructAs4(a);
    const attributes: PathAttributes = rest;
    // RFC 4271 §9.1.2: a path that already holds our AS is a loop; it is not accepted (and replaces
    // any earlier route for those prefixes, so it counts as a withdrawal).
    if (attributes.asPath?.some((seg) => seg.asns.includes(this.config.localAs)) === true) {
      for (const [list, safi] of announceLists) {
        if (this.#negotiatedFamily(n, list.afi, safi)) this.#received.withdrawn(list, safi, 'as-loop');
      }
      return;
    }
    for (const [list, safi, nextHop] of announceLists) {
      if (!this.#negotiatedFamily(n, list.afi, safi)) {
        ignored(list.afi, safi, list.count);
        continue;
      }
      this.#received.learned(list, safi, nextHop, attributes);
      const max = this.config.maxPrefixes;
      if (max !== undefined && this.#received.count > max) {
        // RFC 4486 §4: Cease 6/1 with AFI (2), SAFI (1) and the upper bound (4) as data.
        const data = new Uint8Array(7);
        data[0] = list.afi >> 8;
        data[1] = list.afi & 255;
        data[2] = safi;
        data[3] = max >>> 24;
        data[4] = (max >>> 16) & 255;
        data[5] = (max >>> 8) & 255;
        data[6] = max & 255;
        this.#sendNotificationAndClose(
          now,
          conn,
          notification(NotificationCode.Cease, CeaseSubcode.MaximumNumberOfPrefixesReached, data),
          `received ${this.#received.count} prefixes, limit ${max}`,
        );
        this.#update('maximum number of prefixes reached');
        return;
      }
    }
  }
}
