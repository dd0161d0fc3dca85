// The few socket calls node:dgram does not offer, through @bmlb/libc: creating the socket ourselves
// (so options such as SO_BINDTODEVICE and the TTL filter are set before bind, and bind's errno is
// exact), attaching a classic BPF filter, non-blocking send and recvfrom. Linux only.
import {
  AF_INET,
  addressOf,
  IPPROTO_UDP,
  lastErrno,
  libc,
  MSG_DONTWAIT,
  MSG_NOSIGNAL,
  MSG_TRUNC,
  SOCK_DGRAM,
  SOL_SOCKET,
  setBytesOption,
  socketFd,
} from '@bmlb/libc';

export {
  bindFd,
  closeFd,
  connectFd,
  errnoMessage,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_UNICAST_HOPS,
  SOL_SOCKET,
  SyscallError,
  setIntOption,
  sockaddr,
} from '@bmlb/libc';

export const SO_REUSEADDR = 2;
export const SO_RCVBUF = 8;
export const SO_RCVBUFFORCE = 33;
const SO_BINDTODEVICE = 25;
const SO_ATTACH_FILTER = 26;
export const IPV6_V6ONLY = 26;

/** errno values this package reacts to. */
export const Errno = {
  EPERM: 1,
  EAGAIN: 11,
  EACCES: 13,
  ENODEV: 19,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ECONNREFUSED: 111,
} as const;

/** A new UDP socket fd (close-on-exec); node:dgram adopts it with `bind({ fd })`. */
export function udpSocket(family: 4 | 6): number {
  return socketFd(family, SOCK_DGRAM, IPPROTO_UDP, `udp${family}`);
}

export function bindToDevice(fd: number, device: string): void {
  setBytesOption(
    fd,
    SOL_SOCKET,
    SO_BINDTODEVICE,
    new TextEncoder().encode(`${device}\0`),
    `SO_BINDTODEVICE ${device}`,
  );
}

/** Attaches (or atomically replaces) a classic BPF socket filter: `program` is 8 bytes per instruction. */
export function attachFilter(fd: number, program: Buffer): void {
  const count = program.length / 8;
  const fprog = Buffer.alloc(16); // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
  fprog.writeUInt16LE(count, 0);
  fprog.writeBigUInt64LE(addressOf(program), 8);
  setBytesOption(fd, SOL_SOCKET, SO_ATTACH_FILTER, fprog, `SO_ATTACH_FILTER (${count} instructions)`);
}

/**
 * Sends one datagram on a connected socket without blocking; returns 0 or the errno (e.g.
 * ECONNREFUSED after an ICMP port unreachable, EAGAIN when the send buffer is full).
 */
export function sendFd(fd: number, data: Uint8Array): number {
  return libc().send(fd, data, data.length, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? lastErrno() : 0;
}

/** A datagram read with `recvFrom`: its payload length and the sender. */
export interface Datagram {
  /** Payload length (the real one, even when larger than the buffer). */
  length: number;
  address: string;
  port: number;
}

/**
 * A non-blocking reader for a UDP fd (used to catch up on queued datagrams synchronously). The
 * sender's address text is cached by its bytes, so a known peer costs no string work.
 */
export class DatagramReader {
  readonly buffer: Uint8Array;
  private readonly sa = Buffer.alloc(28);
  private readonly saLen = Buffer.alloc(4);
  private readonly text = Buffer.alloc(64);
  private readonly names = new Map<string, string>();
  private readonly out: Datagram = { length: 0, address: '', port: 0 };

  constructor(size = 2048) {
    this.buffer = new Uint8Array(size);
  }

  /** The next datagram, or undefined when none is queued (EAGAIN) or on an error. */
  read(fd: number): Datagram | undefined {
    const lib = libc();
    this.saLen.writeUInt32LE(28, 0);
    const n = lib.recvfrom(
      fd,
      this.buffer,
      this.buffer.length,
      MSG_DONTWAIT | MSG_TRUNC,
      this.sa,
      this.saLen,
    );
    if (n < 0) return undefined;
    const family = this.sa.readUInt16LE(0);
    const raw = family === AF_INET ? this.sa.subarray(4, 8) : this.sa.subarray(8, 24);
    const key = raw.toString('latin1');
    let name = this.names.get(key);
    if (name === undefined) {
      name = lib.inetNtop(family, raw, this.text, this.text.length) ?? '';
      if (this.names.size > 65536) this.names.clear();
      this.names.set(key, name);
    }
    this.out.length = Number(n);
    this.out.address = name;
    this.out.port = this.sa.readUInt16BE(2);
    return this.out;
  }
}
