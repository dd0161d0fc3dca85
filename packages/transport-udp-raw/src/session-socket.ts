// The sending side of one BFD session (RFC 5881 §4, RFC 5883 §2): its own UDP socket bound to the
// session's local address and a source port in 49152–65535 that no other session of this process
// uses, TTL / hop limit 255, connected to the peer's 3784 (or 4784).
import { randomInt } from 'node:crypto';
import type dgram from 'node:dgram';
import { Errno, SystemCallError } from './libc.ts';
import { openSocket } from './socket.ts';

export const SOURCE_PORT_MIN = 49152;
export const SOURCE_PORT_MAX = 65535;

const portsInUse = new Set<number>();

export interface SessionSocketOptions {
  readonly localAddress: string;
  readonly remoteAddress: string;
  /** The peer's BFD port: 3784 single hop, 4784 multihop. */
  readonly remotePort: number;
  /** Bind to this interface as well (SO_BINDTODEVICE). */
  readonly device?: string | undefined;
  /** TTL / hop limit sent; 255 unless a test says otherwise. */
  readonly ttl?: number | undefined;
  /** Restricts the source port range (tests); within 49152–65535. */
  readonly portRange?: readonly [number, number] | undefined;
}

export interface SessionSocketCounters {
  sent: number;
  sendErrors: number;
}

export class SessionSocket {
  readonly localAddress: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The session's UDP source port (49152–65535, unique in this process). */
  readonly sourcePort: number;
  readonly counters: SessionSocketCounters = { sent: 0, sendErrors: 0 };
  /** Called for send errors and errors the kernel reports (ICMP unreachable...), after counting. */
  onError: (err: Error) => void = () => {};
  private readonly socket: dgram.Socket;
  private connected = false;
  private pending: Uint8Array | undefined;
  private closed = false;
  private readonly afterSend = (err: Error | null): void => {
    if (err) this.fail(err);
  };

  private constructor(options: SessionSocketOptions, socket: dgram.Socket, port: number) {
    this.localAddress = options.localAddress;
    this.remoteAddress = options.remoteAddress;
    this.remotePort = options.remotePort;
    this.sourcePort = port;
    this.socket = socket;
    socket.on('error', (err) => this.fail(err));
    // Nothing is expected on this port; whatever comes is not read further.
    socket.on('message', () => {});
    socket.connect(options.remotePort, options.remoteAddress, () => {
      this.connected = true;
      const p = this.pending;
      this.pending = undefined;
      if (p) this.send(p);
    });
  }

  /** Binds a new session socket; throws if no port in the range is free. */
  static open(options: SessionSocketOptions): SessionSocket {
    const [lo, hi] = options.portRange ?? [SOURCE_PORT_MIN, SOURCE_PORT_MAX];
    if (
      !(
        Number.isInteger(lo) &&
        Number.isInteger(hi) &&
        SOURCE_PORT_MIN <= lo &&
        lo <= hi &&
        hi <= SOURCE_PORT_MAX
      )
    ) {
      throw new RangeError(
        `portRange must lie within ${SOURCE_PORT_MIN}–${SOURCE_PORT_MAX}, got ${lo}–${hi}`,
      );
    }
    const size = hi - lo + 1;
    const start = randomInt(size);
    for (let i = 0; i < size; i++) {
      const port = lo + ((start + i) % size);
      if (portsInUse.has(port)) continue;
      try {
        const { socket } = openSocket({
          address: options.localAddress,
          port,
          device: options.device,
          sendTtl: options.ttl ?? 255,
        });
        portsInUse.add(port);
        return new SessionSocket(options, socket, port);
      } catch (err) {
        if (err instanceof SystemCallError && err.errno === Errno.EADDRINUSE) continue;
        throw err;
      }
    }
    throw new Error(
      `no free UDP source port in ${lo}–${hi} on ${options.localAddress} for the BFD session to ${options.remoteAddress}`,
    );
  }

  /**
   * Sends one control packet. Until the socket is connected (a few microseconds after open) the
   * latest packet waits; BFD only ever needs the newest one.
   */
  send(packet: Uint8Array): void {
    if (this.closed) return;
    if (!this.connected) {
      this.pending = packet.slice(); // the caller may reuse its buffer
      return;
    }
    this.counters.sent++;
    this.socket.send(packet, this.afterSend);
  }

  private fail(err: Error): void {
    this.counters.sendErrors++;
    this.onError(err);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    portsInUse.delete(this.sourcePort);
    this.socket.close();
  }
}
