// The driver that runs @bmlb/bfd-core sessions over UDP: it owns the one real timer, the listeners
// (one socket per local address and hop mode serves every session there) and each session's own
// sending socket; it feeds received packets with their metadata to the core, sends what the core
// emits, and re-emits the core's events. All I/O is here; the core stays pure.
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import {
  type BfdAuthConfig,
  type BfdDiscardReason,
  type BfdDownEvent,
  BfdEndpoint,
  type BfdHashFunction,
  type BfdOutput,
  type BfdProfile,
  type BfdProfileInput,
  type BfdSession,
  type BfdSessionConfig,
  type BfdSessionInfo,
  type BfdStateEvent,
  type BfdUpEvent,
  type BfdWarningEvent,
  normalizeAddress,
} from '@bmlb/bfd-core';
import { nodeHash } from './hash.ts';
import {
  BfdListener,
  DEFAULT_MULTIHOP_MIN_TTL,
  MULTIHOP_PORT,
  type ReceivedPacket,
  SINGLE_HOP_PORT,
} from './listener.ts';
import { cryptoRandom } from './random.ts';
import { SessionSocket } from './session-socket.ts';
import { familyOf } from './socket.ts';

/** A timer this late (ms) means the loop stalled: catch up on received packets before expiring sessions. */
const LATE_TIMER_MS = 10;
/** A listener with this many sessions reads queued datagrams in batches (see BfdListener.batchReads). */
const BATCH_READS_FROM = 8;
/** retireSession signals AdminDown for at most this long. */
const MAX_RETIRE_MS = 10_000;

export interface BfdDriverOptions {
  /**
   * How late (ms) the driver may serve a deadline so that one timer wakeup serves several sessions.
   * Default 2: at 1,000 sessions × 100 ms it halves the wakeups; against a 300 ms detection time it
   * is noise. 0 serves each deadline as soon as node's 1 ms timers allow.
   */
  readonly timerSlackMs?: number | undefined;
  /** Uniform [0, 1) random source for the core (jitter, discriminators). Default: the OS CSPRNG. */
  readonly random?: (() => number) | undefined;
  /** Digest for keyed MD5/SHA1 authentication. Default: node:crypto. */
  readonly hash?: BfdHashFunction | undefined;
  /** Monotonic clock in ms. Default: performance.now. */
  readonly now?: (() => number) | undefined;
  /** Source ports for the sessions' sockets, within 49152–65535 (the default). */
  readonly sourcePortRange?: readonly [number, number] | undefined;
  /** Bind a session's sockets to its `interface` (SO_BINDTODEVICE, needs CAP_NET_RAW). Default true. */
  readonly bindToDevice?: boolean | undefined;
  /** Listening / destination port for single hop; 3784 unless a test needs another. */
  readonly singleHopPort?: number | undefined;
  /** Listening / destination port for multihop; 4784 unless a test needs another. */
  readonly multihopPort?: number | undefined;
  /**
   * Destination ports when they differ from the listening ports: only for two drivers on one
   * address (tests over IPv6 loopback, which has a single address).
   */
  readonly peerPorts?:
    | { readonly singleHop?: number | undefined; readonly multihop?: number | undefined }
    | undefined;
  /**
   * One listener per address family and hop mode bound to the wildcard address (0.0.0.0 / ::) instead
   * of one per local address. The destination address of a packet is then unknown, and the core
   * matches sessions by remote address and discriminator. Default false.
   */
  readonly wildcardListeners?: boolean | undefined;
  /** SO_REUSEADDR on listeners (lets a wildcard listener coexist with address-bound ones). Default false. */
  readonly reuseAddr?: boolean | undefined;
  /** SO_RCVBUF for listeners (many sessions on one listener). */
  readonly recvBufferSize?: number | undefined;
}

/** Counters over all sessions. */
export interface BfdDriverCounters {
  /** Datagrams that passed the TTL check and went to the core. */
  packetsIn: number;
  /** Control packets handed to the kernel. */
  packetsOut: number;
  /** Datagrams dropped because their TTL / hop limit was too low (RFC 5881 §5, RFC 5883 §2). */
  ttlDropped: number;
  /** Failed sends and errors the kernel reported on session sockets (e.g. ICMP port unreachable). */
  sendErrors: number;
  /** Errors on listening sockets. */
  receiveErrors: number;
  /** Timer expiries that came late (the event loop stalled) and made the driver read sockets first. */
  lateTimers: number;
  /** Timer expiries (each serves every deadline due by then). */
  timerWakeups: number;
  /** Packets the core discarded, by reason (RFC 5880 §6.8.6). */
  discarded: Record<BfdDiscardReason, number>;
}

/** A session as the driver sees it: the core's snapshot plus the transport's share. */
export interface BfdDriverSessionInfo extends BfdSessionInfo {
  /** The session's UDP source port (49152–65535). */
  sourcePort: number;
  /** Packets from this session's peer dropped for their TTL. */
  ttlDropped: number;
  sendErrors: number;
}

export interface BfdSocketErrorEvent {
  readonly sessionKey: string | undefined;
  readonly error: Error;
}

export interface BfdDriverEvents {
  up: [BfdUpEvent];
  down: [BfdDownEvent];
  state: [BfdStateEvent];
  warning: [BfdWarningEvent];
  /** Socket errors (counted as well); the driver keeps running. */
  socketError: [BfdSocketErrorEvent];
}

interface DriverSession {
  readonly key: string;
  readonly socket: SessionSocket;
  readonly listener: ListenerEntry;
  readonly remoteAddress: string;
  minTtl: number;
  ttlDropped: number;
}

interface ListenerEntry {
  readonly id: string;
  readonly listener: BfdListener;
  /** Sessions on this listener by remote address (TTL drops are charged to them). */
  readonly byRemote: Map<string, DriverSession[]>;
  sessions: number;
}

export class BfdDriver extends EventEmitter<BfdDriverEvents> {
  /** The driver's own endpoint: every call into it goes through the driver's methods. */
  private readonly core: BfdEndpoint;
  private readonly now: () => number;
  private readonly options: BfdDriverOptions;
  private readonly sessions = new Map<string, DriverSession>();
  private readonly sockets = new Map<string, ListenerEntry>();
  private readonly transportCounters = {
    packetsIn: 0,
    packetsOut: 0,
    ttlDropped: 0,
    sendErrors: 0,
    receiveErrors: 0,
  };
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Number.POSITIVE_INFINITY;
  private closed = false;
  /** Timer expiries that came more than LATE_TIMER_MS late (event loop stalls). */
  private lateTimers = 0;
  private timerWakeups = 0;
  private readonly timerSlack: number;
  private lastCatchUp = Number.NEGATIVE_INFINITY;
  private readonly onTimer = (): void => {
    this.timerWakeups++;
    const due = this.armedAt;
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
    // Late (the event loop stalled: GC, a busy host)? Packets may be waiting in the sockets; read
    // them first so a session that did hear from its peer is not declared down.
    const now = this.now();
    if (now - due > LATE_TIMER_MS && now - this.lastCatchUp > LATE_TIMER_MS) {
      this.lateTimers++;
      this.lastCatchUp = now;
      for (const entry of this.sockets.values()) entry.listener.drain();
    }
    this.core.handleTimeout(this.now());
    this.flush();
  };

  constructor(options: BfdDriverOptions = {}) {
    super();
    this.options = options;
    this.now = options.now ?? (() => performance.now());
    this.timerSlack = options.timerSlackMs ?? 2;
    if (!(this.timerSlack >= 0 && this.timerSlack <= 50))
      throw new RangeError(`timerSlackMs must be 0–50, got ${this.timerSlack}`);
    this.core = new BfdEndpoint({ random: options.random ?? cryptoRandom(), hash: options.hash ?? nodeHash });
  }

  /**
   * Starts a session: opens (or shares) the listener on its local address, opens its sending socket
   * on a fresh source port, and hands it to the core. Throws if a socket cannot be opened (the
   * address is not local, the port is taken...) or the core refuses the configuration.
   */
  addSession(config: BfdSessionConfig): void {
    if (this.closed) throw new Error('BfdDriver is closed');
    if (this.sessions.has(config.key))
      throw new Error(`BFD session ${JSON.stringify(config.key)} exists already`);
    const multihop = config.multihop ?? false;
    // the interface pins single-hop sessions to their link; a multihop session follows routing
    const device = this.options.bindToDevice === false || multihop ? undefined : config.interface;
    const entry = this.listenerFor(config.localAddress, multihop, device);
    let socket: SessionSocket | undefined;
    try {
      socket = SessionSocket.open({
        localAddress: config.localAddress,
        remoteAddress: config.remoteAddress,
        remotePort: multihop
          ? (this.options.peerPorts?.multihop ?? this.options.multihopPort ?? MULTIHOP_PORT)
          : (this.options.peerPorts?.singleHop ?? this.options.singleHopPort ?? SINGLE_HOP_PORT),
        device,
        portRange: this.options.sourcePortRange,
      });
      this.core.addSession(this.now(), config);
    } catch (err) {
      socket?.close();
      this.releaseListener(entry);
      throw err;
    }
    const session: DriverSession = {
      key: config.key,
      socket,
      listener: entry,
      remoteAddress: config.remoteAddress,
      minTtl: DEFAULT_MULTIHOP_MIN_TTL,
      ttlDropped: 0,
    };
    const key = config.key;
    socket.onError = (error) => {
      this.transportCounters.sendErrors++;
      this.emit('socketError', { sessionKey: key, error });
    };
    this.sessions.set(key, session);
    const remoteKey = normalizeAddress(config.remoteAddress);
    const same = entry.byRemote.get(remoteKey);
    if (same) same.push(session);
    else entry.byRemote.set(remoteKey, [session]);
    entry.sessions++;
    entry.listener.batchReads = entry.sessions >= BATCH_READS_FROM;
    if (multihop) {
      session.minTtl = this.core.getSession(key)?.profile.minimumTtl ?? DEFAULT_MULTIHOP_MIN_TTL;
      this.applyTtlPolicy(entry);
    }
    this.flush();
  }

  /**
   * Stops a session at once: the core sends nothing more for it, its socket closes. The peer will
   * see a failure after its detection time; `retireSession` tells it first.
   */
  removeSession(key: string): boolean {
    const s = this.sessions.get(key);
    if (!s) return false;
    this.core.removeSession(key);
    this.sessions.delete(key);
    s.socket.close();
    const entry = s.listener;
    const remoteKey = normalizeAddress(s.remoteAddress);
    const rest = (entry.byRemote.get(remoteKey) ?? []).filter((x) => x !== s);
    if (rest.length) entry.byRemote.set(remoteKey, rest);
    else entry.byRemote.delete(remoteKey);
    entry.sessions--;
    entry.listener.batchReads = entry.sessions >= BATCH_READS_FROM;
    if (s.listener.listener.multihop) this.applyTtlPolicy(s.listener);
    this.releaseListener(s.listener);
    return true;
  }

  /**
   * Takes a session AdminDown, keeps signalling that for the peer's detection time (RFC 5880
   * §6.8.16, so the peer sees "administratively down", not a failure), then removes it. Resolves
   * false when there is no such session.
   */
  async retireSession(key: string): Promise<boolean> {
    const session = this.core.getSession(key);
    if (!session || !this.sessions.has(key)) return false;
    const info = session.info();
    // the peer's detection time of us: our Detect Mult × max(its RequiredMinRx, our DesiredMinTx)
    const peerDetectionMs =
      (info.detectMult * Math.max(info.remoteMinRxInterval, info.desiredMinTxInUse)) / 1000;
    session.adminDown(this.now());
    this.flush();
    const waitMs = Math.min(Math.max(peerDetectionMs, 1000), MAX_RETIRE_MS);
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    return this.removeSession(key);
  }

  /** Changes a session's profile; changed timers start a Poll sequence (RFC 5880 §6.8.3). */
  setProfile(key: string, profile: BfdProfileInput | BfdProfile): void {
    const s = this.session(key);
    const session = this.coreSession(key);
    session.updateProfile(this.now(), profile);
    if (s.listener.listener.multihop) {
      s.minTtl = session.profile.minimumTtl;
      this.applyTtlPolicy(s.listener);
    }
    this.flush();
  }

  /** Changes a session's authentication (key rollover: several keys accepted, `sendKeyId` picks one). */
  setAuth(key: string, auth: BfdAuthConfig | undefined): void {
    this.session(key);
    this.coreSession(key).updateAuth(this.now(), auth);
    this.flush();
  }

  /** Takes a session administratively down (diagnostic 7 to the peer) or back up. */
  setAdminDown(key: string, down: boolean): void {
    this.session(key);
    const session = this.coreSession(key);
    if (down) session.adminDown(this.now());
    else session.adminUp(this.now());
    this.flush();
  }

  sessionInfo(key: string): BfdDriverSessionInfo | undefined {
    const s = this.sessions.get(key);
    const info = this.core.getSession(key)?.info();
    if (!s || !info) return undefined;
    return {
      ...info,
      sourcePort: s.socket.sourcePort,
      ttlDropped: s.ttlDropped,
      sendErrors: s.socket.counters.sendErrors,
    };
  }

  sessionKeys(): string[] {
    return [...this.sessions.keys()];
  }

  counters(): BfdDriverCounters {
    return {
      ...this.transportCounters,
      lateTimers: this.lateTimers,
      timerWakeups: this.timerWakeups,
      discarded: { ...this.core.stats.discards },
    };
  }

  /** Closes every socket and the timer; sessions are not signalled (the peer detects the loss). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const s of this.sessions.values()) s.socket.close();
    for (const l of this.sockets.values()) l.listener.close();
    this.sessions.clear();
    this.sockets.clear();
  }

  private session(key: string): DriverSession {
    const s = this.sessions.get(key);
    if (!s) throw new Error(`no BFD session ${JSON.stringify(key)}`);
    return s;
  }

  private coreSession(key: string): BfdSession {
    const session = this.core.getSession(key);
    if (!session) throw new Error(`no BFD session ${JSON.stringify(key)} in the core`);
    return session;
  }

  private listenerFor(localAddress: string, multihop: boolean, device: string | undefined): ListenerEntry {
    const address = this.options.wildcardListeners
      ? familyOf(localAddress) === 4
        ? '0.0.0.0'
        : '::'
      : localAddress;
    const id = `${multihop ? 'mh' : 'sh'}|${address}|${device ?? ''}`;
    const existing = this.sockets.get(id);
    if (existing) return existing;
    const listener = new BfdListener({
      address,
      multihop,
      port: multihop ? this.options.multihopPort : this.options.singleHopPort,
      device,
      reuseAddr: this.options.reuseAddr || device !== undefined,
      recvBufferSize: this.options.recvBufferSize,
    });
    const entry: ListenerEntry = { id, listener, byRemote: new Map(), sessions: 0 };
    listener.onPacket = (p) => this.receive(p);
    listener.onTtlDrop = (d) => {
      this.transportCounters.ttlDropped++;
      // charged to the session when the sender identifies one (a wildcard listener may not know)
      const same = entry.byRemote.get(normalizeAddress(d.remoteAddress));
      if (same?.length === 1 && same[0]) same[0].ttlDropped++;
    };
    listener.onError = (error) => {
      this.transportCounters.receiveErrors++;
      this.emit('socketError', { sessionKey: undefined, error });
    };
    this.sockets.set(id, entry);
    return entry;
  }

  private releaseListener(entry: ListenerEntry): void {
    for (const s of this.sessions.values()) if (s.listener === entry) return;
    entry.listener.close();
    this.sockets.delete(entry.id);
  }

  /** Multihop: the kernel filter admits from each peer what its profile's minimumTtl allows. */
  private applyTtlPolicy(entry: ListenerEntry): void {
    const overrides = [];
    for (const same of entry.byRemote.values()) {
      const address = same[0]?.remoteAddress;
      if (address === undefined) continue;
      // sessions to one peer from several local addresses (a wildcard listener): the lowest minimum
      const minTtl = Math.min(...same.map((s) => s.minTtl));
      if (minTtl !== DEFAULT_MULTIHOP_MIN_TTL) overrides.push({ address, minTtl });
    }
    entry.listener.setTtlPolicy(DEFAULT_MULTIHOP_MIN_TTL, overrides);
  }

  private receive(p: ReceivedPacket): void {
    this.transportCounters.packetsIn++;
    this.core.receive(this.now(), p.data, {
      localAddress: p.localAddress,
      remoteAddress: p.remoteAddress,
      interface: p.interface,
      multihop: p.multihop,
      ttl: p.ttl,
    });
    this.flush();
  }

  private flush(): void {
    if (this.closed) return;
    const outputs: BfdOutput[] = this.core.drain();
    // A throwing event handler must not cost the other outputs or the timer: finish, then rethrow.
    let failure: { error: unknown } | undefined;
    for (const out of outputs) {
      if (out.type === 'send') {
        const s = this.sessions.get(out.sessionKey);
        if (s) {
          this.transportCounters.packetsOut++;
          s.socket.send(out.bytes);
        }
        continue;
      }
      try {
        this.emitOutput(out);
      } catch (error) {
        failure ??= { error };
      }
    }
    this.schedule();
    if (failure) throw failure.error;
  }

  private emitOutput(out: Exclude<BfdOutput, { type: 'send' }>): void {
    switch (out.type) {
      case 'up':
        this.emit('up', out);
        break;
      case 'down':
        this.emit('down', out);
        break;
      case 'state':
        this.emit('state', out);
        break;
      case 'warning':
        this.emit('warning', out);
        break;
    }
  }

  private schedule(): void {
    if (this.closed) return;
    const next = this.core.nextTimeout();
    if (next === undefined) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.armedAt = Number.POSITIVE_INFINITY;
      return;
    }
    // Fire up to `timerSlack` ms after the earliest deadline, so one wakeup serves every deadline in
    // that window (an early call does nothing in the core; only lateness is allowed, never earliness).
    const at = next + this.timerSlack;
    if (this.timer && this.armedAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedAt = at;
    // Whole milliseconds: node keeps a fractional delay, and a timer list due at a fractional time
    // is re-armed with a 0 ms libuv timer until the loop's millisecond clock ticks: a busy spin.
    this.timer = setTimeout(this.onTimer, Math.max(1, Math.ceil(at - this.now())));
  }
}
