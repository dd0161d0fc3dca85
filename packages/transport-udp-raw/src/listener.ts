// A BFD listener: one UDP socket on 3784 (single hop, RFC 5881) or 4784 (multihop, RFC 5883) that
// serves every session on its local address. The TTL rule is enforced by a socket filter in the
// kernel (bpf.ts); what fails it arrives as an empty datagram and is only counted.
import type dgram from 'node:dgram';
import { compileTtlFilter, type TtlOverride } from './bpf.ts';
import { attachFilter, DatagramReader, sockaddr } from './libc.ts';
import { openSocket } from './socket.ts';

export const SINGLE_HOP_PORT = 3784;
export const MULTIHOP_PORT = 4784;
/** MetalLB's default BFDProfile minimumTtl, used for multihop sources without their own minimum. */
export const DEFAULT_MULTIHOP_MIN_TTL = 254;

/** At most this many datagrams are read synchronously after each one node delivers. */
const BATCH_READ_MAX = 64;

/** SO_RCVBUF of a listener unless told otherwise: ~5,000 queued control packets. */
export const DEFAULT_RECEIVE_BUFFER = 4 << 20;

/** One received BFD packet and what the transport knows about it. */
export interface ReceivedPacket {
  readonly data: Uint8Array;
  /** The packet's destination: the listener's address, undefined for a wildcard listener. */
  readonly localAddress: string | undefined;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /**
   * TTL / hop limit: 255 for single hop (the kernel filter admits nothing else); undefined for
   * multihop, where the filter only guarantees at least the source's minimum.
   */
  readonly ttl: number | undefined;
  /** The interface the listener is bound to, if any. */
  readonly interface: string | undefined;
  readonly multihop: boolean;
}

export interface TtlDrop {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly multihop: boolean;
}

export interface ListenerOptions {
  /** Local address to bind (a wildcard `0.0.0.0` / `::` works, but then the destination is unknown). */
  readonly address: string;
  /** Multihop (RFC 5883, port 4784) instead of single hop (RFC 5881, port 3784). */
  readonly multihop?: boolean | undefined;
  /** Overrides the port (tests); defaults to 3784 or 4784. */
  readonly port?: number | undefined;
  /** Bind to this interface as well (SO_BINDTODEVICE). */
  readonly device?: string | undefined;
  /** Multihop only: lowest TTL accepted from sources without an override. Default 254. */
  readonly minTtl?: number | undefined;
  readonly reuseAddr?: boolean | undefined;
  /** SO_RCVBUF in bytes (default 4 MiB; SO_RCVBUFFORCE when allowed). */
  readonly recvBufferSize?: number | undefined;
}

/** A multihop peer whose packets need at least `minTtl`. */
export interface PeerMinTtl {
  readonly address: string;
  readonly minTtl: number;
}

export interface ListenerCounters {
  /** Datagrams that passed the TTL check and were handed on. */
  received: number;
  /** Datagrams dropped because their TTL / hop limit was below the minimum. */
  ttlDropped: number;
  /** Socket errors reported by the kernel (e.g. ICMP errors). */
  errors: number;
}

export class BfdListener {
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
  readonly multihop: boolean;
  readonly device: string | undefined;
  readonly counters: ListenerCounters = { received: 0, ttlDropped: 0, errors: 0 };
  /** Called for every packet that passed the TTL check. */
  onPacket: (packet: ReceivedPacket) => void = () => {};
  /** Called for every packet dropped by the TTL check (after it was counted). */
  onTtlDrop: (drop: TtlDrop) => void = () => {};
  /** Called for socket errors (after they were counted). */
  onError: (err: Error) => void = () => {};
  private readonly socket: dgram.Socket;
  private readonly fd: number;
  private minTtl: number;
  private overrides: readonly TtlOverride[] = [];
  private closed = false;
  private reader: DatagramReader | undefined;
  private readonly wildcard: boolean;
  /**
   * After node delivers a datagram, read what else is queued right away with recvfrom(2) through
   * koffi: ~2.5 µs a packet instead of ~7 µs for node's per-datagram callback. Worth it on a listener
   * that serves many sessions (packets arrive in bursts); one wasted syscall a packet otherwise.
   * The driver turns it on from 8 sessions.
   */
  batchReads = false;

  constructor(options: ListenerOptions) {
    this.multihop = options.multihop ?? false;
    if (!this.multihop && options.minTtl !== undefined && options.minTtl !== 255) {
      throw new RangeError(
        `a single-hop listener accepts TTL 255 only (RFC 5881 §5); minTtl ${options.minTtl} is for multihop`,
      );
    }
    this.minTtl = this.multihop ? (options.minTtl ?? DEFAULT_MULTIHOP_MIN_TTL) : 255;
    this.address = options.address;
    this.port = options.port ?? (this.multihop ? MULTIHOP_PORT : SINGLE_HOP_PORT);
    this.device = options.device;
    this.wildcard = options.address === '0.0.0.0' || /^[:0]+$/.test(options.address);
    const opened = openSocket({
      address: options.address,
      port: this.port,
      device: options.device,
      reuseAddr: options.reuseAddr,
      recvBufferSize: options.recvBufferSize ?? DEFAULT_RECEIVE_BUFFER,
      filter: this.program(),
    });
    this.family = opened.family;
    this.socket = opened.socket;
    this.fd = opened.fd;
    // A plain Uint8Array view of node's Buffer: Buffer#slice does not copy, Uint8Array#slice does, and
    // consumers (the core's digest check) rely on the latter.
    this.socket.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) => {
      this.deliver(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), rinfo.address, rinfo.port);
      if (this.batchReads) this.drain(BATCH_READ_MAX);
    });
    this.socket.on('error', (err: Error) => {
      this.counters.errors++;
      this.onError(err);
    });
  }

  private deliver(data: Uint8Array, remoteAddress: string, remotePort: number): void {
    if (data.length === 0) {
      this.counters.ttlDropped++;
      this.onTtlDrop({ remoteAddress, remotePort, localAddress: this.address, multihop: this.multihop });
      return;
    }
    this.counters.received++;
    this.onPacket({
      data,
      localAddress: this.wildcard ? undefined : this.address,
      remoteAddress,
      remotePort,
      ttl: this.multihop ? undefined : 255,
      interface: this.device,
      multihop: this.multihop,
    });
  }

  /**
   * Reads and delivers what is queued on the socket now, synchronously (at most `max` datagrams).
   * The driver calls it before running timers that fired late: after the event loop stalled, the
   * packets that arrived meanwhile must count before a detection time is declared expired (libuv
   * runs timers before I/O and reads at most 32 datagrams per socket per loop turn).
   */
  drain(max = 100_000): number {
    if (this.closed) return 0;
    if (!this.reader) this.reader = new DatagramReader();
    const reader = this.reader;
    let n = 0;
    for (; n < max; n++) {
      const d = reader.read(this.fd);
      if (!d) break;
      this.deliver(reader.buffer.slice(0, Math.min(d.length, reader.buffer.length)), d.address, d.port);
    }
    return n;
  }

  /**
   * Multihop: sets the lowest TTL accepted from sources without an override, and the per-source
   * minimums (one per multihop session whose profile's minimumTtl differs). Replaces the kernel
   * filter atomically.
   */
  setTtlPolicy(minTtl: number, overrides: readonly PeerMinTtl[]): void {
    if (!this.multihop)
      throw new Error('a single-hop listener accepts TTL 255 only; its TTL policy is fixed');
    const previous = [this.minTtl, this.overrides] as const;
    this.minTtl = minTtl;
    this.overrides = overrides.map((o) => ({ source: addressBytes(o.address), minTtl: o.minTtl }));
    try {
      attachFilter(this.fd, this.program());
    } catch (err) {
      [this.minTtl, this.overrides] = previous;
      throw err;
    }
  }

  private program(): Buffer {
    return compileTtlFilter({
      family: familyFromAddress(this.address),
      minTtl: this.minTtl,
      overrides: this.overrides,
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }
}

function familyFromAddress(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

/** An address in network byte order (4 or 16 bytes). */
function addressBytes(address: string): Uint8Array {
  const family = familyFromAddress(address);
  const sa = sockaddr(family, address, 0);
  return family === 4 ? sa.subarray(4, 8) : sa.subarray(8, 24);
}
