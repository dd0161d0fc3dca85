// The sending side of one BFD session (RFC 5881 §4, RFC 5883 §2): its own UDP socket bound to the
// session's local address and a source port in 49152–65535 that no other session of this process
// uses, TTL / hop limit 255, connected to the peer's 3784 (or 4784). It only sends: a filter that
// admits nothing keeps stray datagrams from queueing on it. Sends are plain non-blocking send(2)
// calls through koffi (a third of the CPU of node:dgram's send path for these 24-byte packets).
import { randomInt } from 'node:crypto';
import { dropAllFilter } from './bpf.ts';
import { closeFd, connectFd, Errno, errnoMessage, SyscallError, sendFd } from './libc.ts';
import { openFd } from './socket.ts';

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

/** A failed send, with the errno (`ECONNREFUSED`: the peer's host answered port unreachable). */
export class SendError extends Error {
  readonly errno: number;
  readonly code: string | undefined;
  constructor(errno: number, remote: string) {
    const code = Object.entries(Errno).find(([, v]) => v === errno)?.[0];
    super(`send to ${remote} failed: ${errnoMessage(errno)} (${code ?? `errno ${errno}`})`);
    this.name = 'SendError';
    this.errno = errno;
    this.code = code;
  }
}

export class SessionSocket {
  readonly localAddress: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The session's UDP source port (49152–65535, unique in this process). */
  readonly sourcePort: number;
  readonly counters: SessionSocketCounters = { sent: 0, sendErrors: 0 };
  /** Called for failed sends (after counting). */
  onError: (err: SendError) => void = () => {};
  private readonly fd: number;
  private closed = false;

  private constructor(options: SessionSocketOptions, fd: number, port: number) {
    this.localAddress = options.localAddress;
    this.remoteAddress = options.remoteAddress;
    this.remotePort = options.remotePort;
    this.sourcePort = port;
    this.fd = fd;
  }

  /** Binds and connects a new session socket; throws if no port in the range is free. */
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
    const filter = dropAllFilter();
    for (let i = 0; i < size; i++) {
      const port = lo + ((start + i) % size);
      if (portsInUse.has(port)) continue;
      let opened: { fd: number; family: 4 | 6 };
      try {
        opened = openFd({
          address: options.localAddress,
          port,
          device: options.device,
          sendTtl: options.ttl ?? 255,
          filter,
        });
      } catch (err) {
        if (err instanceof SyscallError && err.errno === Errno.EADDRINUSE) continue;
        throw err;
      }
      try {
        connectFd(opened.fd, opened.family, options.remoteAddress, options.remotePort);
      } catch (err) {
        closeFd(opened.fd);
        throw err;
      }
      portsInUse.add(port);
      return new SessionSocket(options, opened.fd, port);
    }
    throw new Error(
      `no free UDP source port in ${lo}–${hi} on ${options.localAddress} for the BFD session to ${options.remoteAddress}`,
    );
  }

  /** Sends one control packet now (non-blocking); a failure is counted and reported, not thrown. */
  send(packet: Uint8Array): void {
    if (this.closed) return;
    const errno = sendFd(this.fd, packet);
    if (errno === 0) {
      this.counters.sent++;
      return;
    }
    this.counters.sendErrors++;
    this.onError(new SendError(errno, `[${this.remoteAddress}]:${this.remotePort}`));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    portsInUse.delete(this.sourcePort);
    closeFd(this.fd);
  }
}
