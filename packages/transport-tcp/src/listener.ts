import { EventEmitter } from 'node:events';
import net from 'node:net';
import { type AddressFamily, canonicalPeer } from './address.ts';
import { BGP_PORT } from './connect.ts';
import { hostPort } from './errors.ts';
import { clearMinTtl, fdOf, md5KeyBytes, setPeerMd5, setTtl, socketFamily } from './sockopt.ts';
import { checkTtl } from './ttl.ts';

export interface ListenOptions {
  /** Address to listen on; default `::` (IPv6 and IPv4, dual stack). */
  host?: string;
  /** Default 179; 0 picks a free port (tests). */
  port?: number;
  backlog?: number;
}

export interface AcceptedConnection {
  socket: net.Socket;
  /** The peer's address, canonical (IPv4 peers on a dual-stack listener as dotted quads). */
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
}

export interface PeerAcceptOptions {
  /** TCP MD5 key this peer must sign with (RFC 2385). */
  md5Key?: string | Uint8Array;
  /** TTL / hop limit sent on the accepted connection (see bgpTtl). */
  ttl?: number;
  /** Minimum TTL accepted (GTSM). */
  minTtl?: number;
  /** Called with each accepted connection from this peer (TCP_NODELAY on, keepalive off, TTLs set). */
  onConnection: (conn: AcceptedConnection) => void;
}

export interface RejectedConnection {
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
  reason: string;
}

interface ListenerEvents {
  /** A connection from an address that is not a configured peer: reset at once. */
  rejected: [RejectedConnection];
  /** An accepted connection from a peer whose socket options could not be set (it was closed). */
  acceptError: [Error];
  /** The listening socket failed (e.g. accept: EMFILE); never thrown when nobody listens. */
  error: [Error];
}

/** Handle returned by `addPeer`: `remove()` stops accepting that peer and drops its MD5 key. */
export interface PeerRegistration {
  readonly address: string;
  remove(): void;
}

/**
 * A passive BGP listener that accepts only configured peers (matched by remote address). Anything
 * else is reset at once and counted (`rejectedCount`, `rejected` event). Per peer it installs the
 * TCP MD5 key on the listening socket (so the handshake itself is signed) and, on each accepted
 * socket, the peer's TTL and minimum TTL. The listening socket gets the largest TTL and the smallest
 * minimum TTL any peer needs, so SYN-ACKs reach every peer and GTSM filters SYNs when all peers use it.
 */
export class BgpListener extends EventEmitter<ListenerEvents> {
  readonly server: net.Server;
  #peers = new Map<string, PeerAcceptOptions>();
  #family: AddressFamily;
  #rejected = 0;
  #accepted = 0;
  #closed = false;
  #serverErrors = 0;

  private constructor(server: net.Server) {
    super();
    this.server = server;
    this.#family = socketFamily(server);
    server.on('connection', (s) => this.#onConnection(s));
    // A server error after listening (an accept failure such as EMFILE) must not kill a daemon that
    // registered no handler: it is counted and re-emitted only to listeners.
    server.on('error', (err) => {
      this.#serverErrors++;
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
  }

  /** Start listening; resolves once bound (rejects with the bind error, e.g. EADDRINUSE or EACCES). */
  static listen(opts: ListenOptions = {}): Promise<BgpListener> {
    const server = net.createServer({ noDelay: true, keepAlive: false, pauseOnConnect: false });
    return new Promise((resolve, reject) => {
      server.once('error', (err) =>
        reject(
          Object.assign(
            new Error(`BGP listen on ${hostPort(opts.host ?? '::', opts.port ?? BGP_PORT)}: ${err.message}`),
            {
              code: (err as NodeJS.ErrnoException).code,
              cause: err,
            },
          ),
        ),
      );
      server.listen(
        { host: opts.host ?? '::', port: opts.port ?? BGP_PORT, backlog: opts.backlog ?? 64 },
        () => {
          server.removeAllListeners('error');
          resolve(new BgpListener(server));
        },
      );
    });
  }

  /** The bound address and port. */
  get address(): { address: string; port: number; family: string } {
    const a = this.server.address() as net.AddressInfo;
    return { address: a.address, port: a.port, family: a.family };
  }

  get rejectedCount(): number {
    return this.#rejected;
  }
  /** Errors of the listening socket (accept failures), also emitted as `error` when handled. */
  get serverErrorCount(): number {
    return this.#serverErrors;
  }
  get acceptedCount(): number {
    return this.#accepted;
  }
  /** Canonical addresses of the configured peers. */
  get peers(): string[] {
    return [...this.#peers.keys()];
  }

  /**
   * Accept connections from `address`. Replaces an earlier registration of the same address (new
   * key, TTLs, handler). Throws when the key or TTLs cannot be set (names the peer).
   */
  addPeer(address: string, opts: PeerAcceptOptions): PeerRegistration {
    if (this.#closed) throw new Error('BgpListener is closed');
    const key = canonicalPeer(address);
    checkTtl('ttl', opts.ttl);
    checkTtl('minTtl', opts.minTtl);
    if (this.#family === 4 && key.includes(':'))
      throw new RangeError(`IPv6 peer ${address} on an IPv4 listener (${this.address.address})`);
    const fd = fdOf(this.server);
    const old = this.#peers.get(key);
    const keyBytes = md5KeyBytes(opts.md5Key);
    if (keyBytes.length > 0) setPeerMd5(fd, this.#family, key, keyBytes);
    else if (old && md5KeyBytes(old.md5Key).length > 0) this.#dropKey(key);
    this.#peers.set(key, opts);
    this.#applyListenerTtl();
    return {
      address: key,
      remove: () => {
        if (this.#peers.get(key) === opts) this.removePeer(key);
      },
    };
  }

  /** Stop accepting `address` (its key is removed; established connections are not touched). */
  removePeer(address: string): void {
    const key = canonicalPeer(address);
    const old = this.#peers.get(key);
    if (!old) return;
    this.#peers.delete(key);
    if (!this.#closed) {
      if (md5KeyBytes(old.md5Key).length > 0) this.#dropKey(key);
      this.#applyListenerTtl();
    }
  }

  #dropKey(peer: string): void {
    try {
      setPeerMd5(fdOf(this.server), this.#family, peer, undefined);
    } catch {
      // no key installed: nothing to remove
    }
  }

  #applyListenerTtl(): void {
    const fd = fdOf(this.server);
    const peers = [...this.#peers.values()];
    const ttls = peers.map((p) => p.ttl).filter((t): t is number => t !== undefined);
    if (ttls.length) setTtl(fd, this.#family, Math.max(...ttls), undefined);
    const mins = peers.map((p) => p.minTtl);
    if (mins.length && mins.every((m) => m !== undefined))
      setTtl(fd, this.#family, undefined, Math.min(...(mins as number[])));
    else clearMinTtl(fd, this.#family);
  }

  /** A link-local peer registered with its zone (`fe80::1%eth0`) while the socket reports none. */
  #linkLocalPeer(remote: string): PeerAcceptOptions | undefined {
    if (!remote.startsWith('fe80:') || remote.includes('%')) return undefined;
    for (const [key, p] of this.#peers) if (key.split('%')[0] === remote) return p;
    return undefined;
  }

  #onConnection(socket: net.Socket): void {
    const rawRemote = socket.remoteAddress;
    const info = {
      remoteAddress: rawRemote === undefined ? '' : canonicalPeer(rawRemote),
      remotePort: socket.remotePort ?? 0,
      localAddress: socket.localAddress === undefined ? '' : canonicalPeer(socket.localAddress),
      localPort: socket.localPort ?? 0,
    };
    const peer = this.#peers.get(info.remoteAddress) ?? this.#linkLocalPeer(info.remoteAddress);
    if (!peer || this.#closed) {
      this.#rejected++;
      socket.resetAndDestroy();
      this.emit('rejected', { ...info, reason: this.#closed ? 'listener closed' : 'not a configured peer' });
      return;
    }
    try {
      socket.setNoDelay(true);
      socket.setKeepAlive(false);
      setTtl(fdOf(socket), socketFamily(socket), peer.ttl, peer.minTtl);
    } catch (err) {
      socket.destroy();
      this.emit(
        'acceptError',
        new Error(
          `BGP accept from ${hostPort(info.remoteAddress, info.remotePort)}: ${(err as Error).message}`,
          {
            cause: err,
          },
        ),
      );
      return;
    }
    this.#accepted++;
    peer.onConnection({ socket, ...info });
  }

  /** Stop listening (accepted connections stay open; their owners close them). */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
