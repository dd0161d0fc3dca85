// Runs a sans-I/O BgpSession over real TCP: owns its one timer, performs its actions (dial, send,
// close), feeds it bytes and connection events, and hands it inbound connections from a listener
// (a second connection to a peer is how the core sees, and resolves, a collision).
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import {
  BgpSession,
  type BgpSessionConfig,
  type ConnectionId,
  type FamilyRef,
  isSessionAction,
  type Negotiated,
  type ResolvedSessionConfig,
  type RouteAttributes,
  type SessionAction,
  type SessionEvent,
  type SessionState,
  type SessionStats,
  type StopOptions,
} from '@bmlb/bgp-core';
import { canonicalPeer } from './address.ts';
import { connectBgp } from './connect.ts';
import { BgpTransportError, classifyError, hostPort } from './errors.ts';
import type { AcceptedConnection, BgpListener, PeerRegistration } from './listener.ts';
import { bgpTtl, checkTtl, sessionIsExternal } from './ttl.ts';

export interface SessionDriverOptions {
  /** TCP MD5 key for this peer (dialing and, through the listener, accepting). */
  md5Key?: string | Uint8Array;
  /** TTL / hop limit sent (see bgpTtl). */
  ttl?: number;
  /** Minimum TTL accepted (GTSM). */
  minTtl?: number;
  /**
   * Accept this peer's connections on this listener (registered under the session's peerAddress
   * on `start`, removed on `close`). Without it the session only dials.
   */
  listener?: BgpListener;
  /** Source address for dials when the session's config names none. */
  localAddress?: string;
  /**
   * Dial timeout, ms. Default 70% of the session's ConnectRetry time (which carries up to 25%
   * jitter), at most 30 s, so a dial that gets no answer is reported as a `timeout` before the
   * ConnectRetry timer abandons it and dials again.
   */
  connectTimeoutMs?: number;
  /** How long a closing connection may take to flush (a NOTIFICATION) before it is destroyed. Default 3 s. */
  closeGraceMs?: number;
  /** Monotonic clock in ms (default `performance.now`). */
  clock?: () => number;
  /**
   * Backpressure: while a connection's write queue (bytes handed to the socket and not yet taken by
   * the kernel) holds this many bytes or more, the session hands it no further UPDATEs; they wait in
   * the Adj-RIB-Out, where a later change of a prefix replaces the pending one. Default 64 KiB (a
   * value below the socket's own `writableHighWaterMark`, 16 KiB, acts as that).
   */
  writeHighWaterMark?: number;
  /**
   * UPDATE bytes the session may hand over each time the queue is below the mark (its send window).
   * The queue stays below about `writeHighWaterMark + sendWindow` plus one batch of UPDATEs, and
   * a KEEPALIVE (which always goes out, after what is queued before it) waits behind no more than
   * that. Default 64 KiB.
   */
  sendWindow?: number;
}

interface DriverEvents {
  /** Every event of the session (state changes, routes, notifications, …), in order. */
  event: [SessionEvent];
  /** A dial failed or an open connection broke (the session retries on its ConnectRetry timer). */
  transportError: [BgpTransportError];
}

interface Conn {
  id: ConnectionId;
  socket: net.Socket | undefined;
  abort: AbortController | undefined;
  outbound: boolean;
  label: string;
  /** Bytes were written in this pump: see whether the session may send more. */
  wrote: boolean;
  /** The queue is above the mark: the session is told on 'drain'. */
  waitingDrain: boolean;
  /** Largest write queue seen, bytes. */
  peakQueued: number;
}

/** A connection the driver holds, for status displays. */
export interface DriverConnection {
  readonly id: ConnectionId;
  readonly outbound: boolean;
  readonly open: boolean;
  readonly label: string;
  /** Bytes written to the socket that the kernel has not taken yet. */
  readonly queuedBytes: number;
  /** The largest `queuedBytes` seen on this connection. */
  readonly peakQueuedBytes: number;
}

const DEFAULT_WRITE_HIGH_WATER_MARK = 64 * 1024;
const DEFAULT_SEND_WINDOW = 64 * 1024;

function positiveOption(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v <= 0)
    throw new RangeError(`BgpSessionDriver: ${name} ${v} is not a positive whole number of bytes`);
  return v;
}

/**
 * Runs one BGP session (a `BgpSession` of @bmlb/bgp-core) over TCP. The session is the driver's
 * own: every call goes through the driver, which gives it the time and carries out its outputs.
 *
 *     const driver = new BgpSessionDriver(config, { listener, md5Key });
 *     driver.on('event', (e) => log(e));
 *     driver.start();
 *     driver.setRoutes('ipv4-unicast', routes);
 */
export class BgpSessionDriver extends EventEmitter<DriverEvents> {
  readonly #session: BgpSession;
  #opts: SessionDriverOptions;
  #clock: () => number;
  #conns = new Map<ConnectionId, Conn>();
  #closing = new Set<net.Socket>();
  #timer: NodeJS.Timeout | undefined;
  #timerAt: number | undefined;
  #registration: PeerRegistration | undefined;
  #accepted = 0;
  #highWater: number;
  #sendWindow: number;
  #pumping = false;
  #closed = false;
  #lastError: BgpTransportError | undefined;

  constructor(config: BgpSessionConfig, opts: SessionDriverOptions = {}) {
    super();
    checkTtl('ttl', opts.ttl);
    checkTtl('minTtl', opts.minTtl);
    this.#highWater = positiveOption(
      'writeHighWaterMark',
      opts.writeHighWaterMark,
      DEFAULT_WRITE_HIGH_WATER_MARK,
    );
    this.#sendWindow = positiveOption('sendWindow', opts.sendWindow, DEFAULT_SEND_WINDOW);
    this.#session = new BgpSession(config);
    this.#opts = opts;
    this.#clock = opts.clock ?? (() => performance.now());
  }

  // -------------------------------------------------------------------------------------------
  // Queries

  /** The driver's clock (monotonic ms), as passed to the session. */
  now(): number {
    return this.#clock();
  }

  /** The session's configuration with defaults applied. */
  get config(): ResolvedSessionConfig {
    return this.#session.config;
  }

  /** The RFC 4271 state. */
  get state(): SessionState {
    return this.#session.state;
  }

  /** What the OPEN exchange agreed on, while Established. */
  get negotiated(): Negotiated | undefined {
    return this.#session.negotiated;
  }

  /** Prefixes currently held from the peer (all families). */
  get receivedPrefixCount(): number {
    return this.#session.receivedPrefixCount;
  }

  /** Desired routes of a family (what is or will be advertised). */
  desiredCount(family: FamilyRef): number {
    return this.#session.desiredCount(family);
  }

  /** Counters and status of the session (messages, prefixes, last error). */
  stats(): SessionStats {
    return this.#session.stats();
  }

  /** The last transport failure (for `status` displays), until the next one. */
  get lastError(): BgpTransportError | undefined {
    return this.#lastError;
  }

  // -------------------------------------------------------------------------------------------
  // Calls into the session

  /** Register with the listener (if any) and start the session (it dials unless passive). */
  start(): void {
    if (this.#closed) throw new Error('BgpSessionDriver is closed');
    const { listener } = this.#opts;
    if (listener && !this.#registration) {
      const peer = this.#session.config.peerAddress;
      if (peer === undefined)
        throw new Error('BgpSessionDriver: a listener needs the session to name its peerAddress');
      this.#registration = listener.addPeer(peer, {
        md5Key: this.#opts.md5Key,
        ttl: this.#opts.ttl,
        minTtl: this.#opts.minTtl,
        onConnection: (c) => this.#onAccepted(c),
      });
    }
    this.#call((s, now) => s.start(now));
  }

  /** Replace the routes advertised for a family; only the difference is sent. */
  setRoutes(family: FamilyRef, routes: Iterable<readonly [string, RouteAttributes]>): void {
    this.#call((s, now) => s.setRoutes(now, family, routes));
  }

  /** Advertise (or change) some routes of a family. */
  announce(family: FamilyRef, routes: Iterable<readonly [string, RouteAttributes]>): void {
    this.#call((s, now) => s.announce(now, family, routes));
  }

  /** Withdraw some routes of a family (prefixes not advertised are ignored). */
  withdraw(family: FamilyRef, prefixes: Iterable<string>): void {
    this.#call((s, now) => s.withdraw(now, family, prefixes));
  }

  /** Ask the peer to re-send its routes of a family (RFC 2918); false when not negotiated or not up. */
  requestRouteRefresh(family: FamilyRef): boolean {
    return this.#call((s, now) => s.requestRouteRefresh(now, family));
  }

  /**
   * Cease NOTIFICATION (default 6/2 Administrative Shutdown with `message`) and Idle; with
   * `restart: true` it restarts after the idle hold time, otherwise at `start()`. The driver stays
   * open (see `shutdown` to end it).
   */
  stop(options: string | StopOptions = {}): void {
    this.#call((s, now) => s.stop(now, options));
  }

  /** BFD declared the peer down (RFC 9384): Cease 6/10, Idle, then the usual automatic restart. */
  bfdDown(): void {
    this.#call((s, now) => s.bfdDown(now));
  }

  /**
   * Administrative shutdown: Cease 6/2 with `message` (RFC 9003), wait until the connections are
   * flushed and closed (at most `closeGraceMs`), then close the driver.
   */
  async shutdown(message = ''): Promise<void> {
    await this.#end((s, now) => s.shutdown(now, message));
  }

  /** The peer was removed from the configuration: Cease 6/3, flush, close the driver. */
  async deconfigure(): Promise<void> {
    await this.#end((s, now) => s.deconfigure(now));
  }

  /**
   * A session parameter changed and the caller replaces this driver with one on the new
   * configuration: Cease 6/6 (RFC 4486 §4), flush, close the driver.
   */
  async reconfigure(): Promise<void> {
    await this.#end((s, now) => s.reconfigure(now));
  }

  async #end(f: (session: BgpSession, now: number) => void): Promise<void> {
    if (this.#closed) return;
    this.#call(f);
    await this.#drainClosing();
    await this.close();
  }

  /** Call into the session with the current time, then carry out its outputs and re-arm the timer. */
  #call<T>(f: (session: BgpSession, now: number) => T): T {
    if (this.#closed) throw new Error('BgpSessionDriver is closed');
    const r = f(this.#session, this.#clock());
    this.#pump();
    return r;
  }

  /** Stop everything at once: no more timers or dials; sockets are destroyed; the peer is unregistered. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#registration?.remove();
    this.#registration = undefined;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const c of this.#conns.values()) {
      c.abort?.abort();
      c.socket?.destroy();
    }
    this.#conns.clear();
    for (const s of this.#closing) s.destroy();
    this.#closing.clear();
  }

  /** Connections the driver holds (dialing or open), for status displays. */
  connections(): DriverConnection[] {
    return [...this.#conns.values()].map((c) => ({
      id: c.id,
      outbound: c.outbound,
      open: c.socket !== undefined,
      label: c.label,
      queuedBytes: c.socket?.writableLength ?? 0,
      peakQueuedBytes: c.peakQueued,
    }));
  }

  #pump(): void {
    if (this.#pumping) return; // the outer loop picks up what a nested call produced
    this.#pumping = true;
    let failure: { error: unknown } | undefined;
    try {
      for (let guard = 0; ; guard++) {
        if (guard === 10_000) {
          // A fast peer and a large Adj-RIB-Out: let I/O run, then go on.
          setImmediate(() => {
            if (!this.#closed) this.#pump();
          });
          break;
        }
        const out = this.#session.drain();
        if (out.length === 0) break;
        for (const o of out) {
          if (isSessionAction(o)) {
            this.#perform(o);
            continue;
          }
          // A throwing listener must not cost the other outputs or the timer: finish, then rethrow.
          try {
            this.emit('event', o);
          } catch (error) {
            failure ??= { error };
          }
        }
        if (this.#closed) break;
        this.#offerWindow();
      }
      this.#schedule();
    } finally {
      this.#pumping = false;
    }
    if (failure) throw failure.error;
  }

  /**
   * After writes: a connection whose queue is below the mark may take another window of UPDATEs
   * now; one above it waits for 'drain'.
   */
  #offerWindow(): void {
    const now = this.#clock();
    for (const c of this.#conns.values()) {
      if (!c.wrote || c.socket === undefined) continue;
      c.wrote = false;
      const queued = c.socket.writableLength;
      if (queued > c.peakQueued) c.peakQueued = queued;
      // Above the mark Node has flagged the socket for 'drain' (its own mark, 16 KiB, is lower or
      // equal; a smaller mark of ours counts as Node's), so the wait always ends.
      if (queued >= this.#highWater && c.socket.writableNeedDrain) c.waitingDrain = true;
      else this.#session.connectionWritable(now, c.id);
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    const at = this.#session.nextTimeout();
    if (at === this.#timerAt && this.#timer) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = at;
    if (at === undefined) return;
    // +1 ms: timers may fire a hair early against performance.now(); the core ignores early calls,
    // but then nobody would call it again.
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAt = undefined;
        if (this.#closed) return;
        this.#call((s, now) => s.handleTimeout(now));
      },
      Math.max(0, at - this.#clock() + 1),
    );
  }

  #perform(a: SessionAction): void {
    switch (a.type) {
      case 'connect':
        this.#dial(a.connId, a.remoteAddress, a.remotePort, a.localAddress ?? this.#opts.localAddress);
        return;
      case 'send': {
        const c = this.#conns.get(a.connId);
        if (c?.socket === undefined) return;
        // The return value is not needed: the queue length is checked after the batch (#offerWindow).
        c.socket.write(a.bytes);
        c.wrote = true;
        return;
      }
      case 'close': {
        const c = this.#conns.get(a.connId);
        if (!c) return;
        this.#conns.delete(a.connId);
        c.abort?.abort();
        if (c.socket) this.#closeGracefully(c.socket);
        return;
      }
    }
  }

  #dial(id: ConnectionId, host: string, port: number, localAddress: string | undefined): void {
    const abort = new AbortController();
    const conn: Conn = {
      id,
      socket: undefined,
      abort,
      outbound: true,
      label: `dial ${hostPort(host, port)}`,
      wrote: false,
      waitingDrain: false,
      peakQueued: 0,
    };
    this.#conns.set(id, conn);
    const retryMs = this.#session.config.connectRetryTime * 1000;
    connectBgp({
      host,
      port,
      localAddress,
      md5Key: this.#opts.md5Key,
      ttl: this.#opts.ttl,
      minTtl: this.#opts.minTtl,
      timeoutMs: this.#opts.connectTimeoutMs ?? Math.min(retryMs * 0.7, 30_000),
      signal: abort.signal,
    }).then(
      (socket) => {
        if (this.#closed || this.#conns.get(id) !== conn) {
          socket.destroy();
          return;
        }
        conn.abort = undefined;
        this.#attach(conn, socket);
        this.#call((s, now) =>
          s.connectionUp(now, {
            id,
            localAddress: canonicalPeer(socket.localAddress ?? ''),
            remoteAddress: canonicalPeer(socket.remoteAddress ?? host),
            sendWindow: this.#sendWindow,
          }),
        );
      },
      (err: unknown) => {
        if (this.#closed || this.#conns.get(id) !== conn) return; // aborted on purpose
        this.#conns.delete(id);
        const e =
          err instanceof BgpTransportError
            ? err
            : classifyError(err, 'connect to', hostPort(host, port), localAddress);
        this.#lastError = e;
        this.emit('transportError', e);
        this.#call((s, now) => s.connectionFailed(now, id));
      },
    );
  }

  #onAccepted(c: AcceptedConnection): void {
    if (this.#closed) {
      c.socket.destroy();
      return;
    }
    const id = `accept#${++this.#accepted}`;
    const conn: Conn = {
      id,
      socket: undefined,
      abort: undefined,
      outbound: false,
      label: `from ${hostPort(c.remoteAddress, c.remotePort)}`,
      wrote: false,
      waitingDrain: false,
      peakQueued: 0,
    };
    this.#conns.set(id, conn);
    this.#attach(conn, c.socket);
    this.#call((s, now) =>
      s.connectionUp(now, {
        id,
        localAddress: c.localAddress,
        remoteAddress: c.remoteAddress,
        sendWindow: this.#sendWindow,
      }),
    );
  }

  #attach(conn: Conn, socket: net.Socket): void {
    conn.socket = socket;
    const remote = hostPort(canonicalPeer(socket.remoteAddress ?? '::'), socket.remotePort);
    const local = hostPort(canonicalPeer(socket.localAddress ?? '::'), socket.localPort);
    conn.label = `${conn.outbound ? 'to' : 'from'} ${remote} (local ${local})`;
    let lastError: Error | undefined;
    socket.on('data', (bytes: Buffer) => {
      if (this.#closed || this.#conns.get(conn.id) !== conn) return;
      this.#call((s, now) => s.receive(now, conn.id, bytes));
    });
    socket.on('error', (err) => {
      lastError = err;
    });
    socket.on('drain', () => {
      if (this.#closed || this.#conns.get(conn.id) !== conn || !conn.waitingDrain) return;
      conn.waitingDrain = false;
      this.#call((s, now) => s.connectionWritable(now, conn.id));
    });
    socket.once('close', () => {
      if (this.#closed || this.#conns.get(conn.id) !== conn) return;
      this.#conns.delete(conn.id);
      if (lastError) {
        this.#lastError = classifyError(lastError, 'connection with', remote, local);
        this.emit('transportError', this.#lastError);
        this.#call((s, now) => s.connectionFailed(now, conn.id));
      } else {
        this.#call((s, now) => s.connectionClosed(now, conn.id));
      }
    });
  }

  /** Flush what was written (a NOTIFICATION), send FIN, and destroy if the peer lingers. */
  #closeGracefully(socket: net.Socket): void {
    this.#closing.add(socket);
    socket.on('error', () => {});
    socket.end();
    const t = setTimeout(() => socket.destroy(), this.#opts.closeGraceMs ?? 3_000);
    socket.once('close', () => {
      clearTimeout(t);
      this.#closing.delete(socket);
    });
  }

  async #drainClosing(): Promise<void> {
    const waits = [...this.#closing].map((s) => new Promise<void>((r) => s.once('close', () => r())));
    await Promise.all(waits);
  }
}

export interface StartSessionOptions {
  /** BGPPeer `password` / the `passwordSecret`'s value: TCP MD5 (RFC 2385). */
  password?: string;
  /** BGPPeer `ebgpMultiHop`: TTL 255 instead of 1 for eBGP (see bgpTtl). */
  ebgpMultiHop?: boolean;
  /** GTSM (RFC 5082): the peer is at most this many hops away; both sides must enable it. */
  gtsmHops?: number;
  /** Source address to bind when dialing (BGPPeer `sourceAddress`), if the session names none. */
  localAddress?: string;
  /** Also accept the peer's connections on this listener. */
  listener?: BgpListener;
  /** Further driver options (timeouts, clock). */
  driver?: Omit<SessionDriverOptions, 'md5Key' | 'ttl' | 'minTtl' | 'listener' | 'localAddress'>;
}

/**
 * A driver for a session on `config`, with the peer's MetalLB-style options, started: TTL from
 * `ebgpMultiHop` / `gtsmHops` and whether the session is eBGP (FRR's rules, see bgpTtl).
 */
export function startSession(config: BgpSessionConfig, opts: StartSessionOptions = {}): BgpSessionDriver {
  const { ttl, minTtl } = bgpTtl({
    external: sessionIsExternal(config),
    ebgpMultiHop: opts.ebgpMultiHop,
    gtsmHops: opts.gtsmHops,
  });
  const d = new BgpSessionDriver(config, {
    ...opts.driver,
    md5Key: opts.password === '' ? undefined : opts.password,
    ttl,
    minTtl,
    listener: opts.listener,
    localAddress: opts.localAddress,
  });
  d.start();
  return d;
}
