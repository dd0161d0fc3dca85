// The few libc calls node:dgram does not offer, through koffi: creating the socket ourselves (so
// options such as SO_BINDTODEVICE and the TTL filter are set before bind, and bind's errno is
// exact), attaching a classic BPF filter, and the IPv6 address parser. Linux only.
import koffi from 'koffi';

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const IPPROTO_UDP = 17;
export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_RCVBUF = 8;
export const SO_RCVBUFFORCE = 33;
const SO_BINDTODEVICE = 25;
const SO_ATTACH_FILTER = 26;
export const IPPROTO_IP = 0;
export const IP_TTL = 2;
export const IPPROTO_IPV6 = 41;
export const IPV6_UNICAST_HOPS = 16;
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

interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, len: number): number;
  close(fd: number): number;
  connect(fd: number, addr: Buffer, len: number): number;
  send(fd: number, buf: Uint8Array, len: number, flags: number): number;
  recvfrom(fd: number, buf: Uint8Array, len: number, flags: number, addr: Buffer, addrlen: Buffer): number;
  inetNtop(af: number, src: Buffer, dst: Buffer, size: number): string | null;
  inetPton(af: number, src: string, dst: Buffer): number;
  ifNameToIndex(name: string): number;
  strerror(errnum: number): string;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  if (process.platform !== 'linux') {
    throw new Error(
      `@bmlb/transport-udp-raw needs Linux (socket filters, SO_BINDTODEVICE); this is ${process.platform}`,
    );
  }
  const lib = koffi.load('libc.so.6');
  libc = {
    socket: lib.func('int socket(int, int, int)'),
    bind: lib.func('int bind(int, const void *, uint32_t)'),
    setsockopt: lib.func('int setsockopt(int, int, int, const void *, uint32_t)'),
    close: lib.func('int close(int)'),
    connect: lib.func('int connect(int, const void *, uint32_t)'),
    send: lib.func('intptr_t send(int, const void *, size_t, int)'),
    recvfrom: lib.func('intptr_t recvfrom(int, void *, size_t, int, void *, void *)'),
    inetNtop: lib.func('const char *inet_ntop(int, const void *, void *, uint32_t)'),
    inetPton: lib.func('int inet_pton(int, const char *, void *)'),
    ifNameToIndex: lib.func('unsigned int if_nametoindex(const char *)'),
    strerror: lib.func('const char *strerror(int)'),
  };
  return libc;
}

/** A failed system call, with its errno (`code` is the symbolic name where we know it). */
export class SystemCallError extends Error {
  readonly errno: number;
  readonly syscall: string;
  constructor(syscall: string, errno: number, what: string) {
    super(`${syscall}(${what}) failed: ${load().strerror(errno)} (errno ${errno})`);
    this.name = 'SystemCallError';
    this.errno = errno;
    this.syscall = syscall;
  }
}

function check(result: number, syscall: string, what: string): number {
  if (result < 0) throw new SystemCallError(syscall, koffi.errno(), what);
  return result;
}

/** A new UDP socket fd (close-on-exec); node:dgram adopts it with `bind({ fd })`. */
export function udpSocket(family: 4 | 6): number {
  return check(
    load().socket(family === 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP),
    'socket',
    `udp${family}`,
  );
}

export function closeFd(fd: number): void {
  load().close(fd);
}

export function setIntOption(fd: number, level: number, name: number, value: number, what: string): void {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value, 0);
  check(load().setsockopt(fd, level, name, b, 4), 'setsockopt', what);
}

export function bindToDevice(fd: number, device: string): void {
  const b = Buffer.from(`${device}\0`, 'utf8');
  check(
    load().setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, b, b.length),
    'setsockopt',
    `SO_BINDTODEVICE ${device}`,
  );
}

/** Attaches (or atomically replaces) a classic BPF socket filter: `program` is 8 bytes per instruction. */
export function attachFilter(fd: number, program: Buffer): void {
  const count = program.length / 8;
  const fprog = Buffer.alloc(16); // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
  fprog.writeUInt16LE(count, 0);
  fprog.writeBigUInt64LE(koffi.address(program), 8);
  check(
    load().setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, fprog, 16),
    'setsockopt',
    `SO_ATTACH_FILTER (${count} instructions)`,
  );
}

/** Parses an IP address (`fe80::1%eth0` keeps its zone) into a sockaddr_in / sockaddr_in6. */
export function sockaddr(family: 4 | 6, address: string, port: number): Buffer {
  const lib = load();
  if (family === 4) {
    const sa = Buffer.alloc(16);
    sa.writeUInt16LE(AF_INET, 0);
    sa.writeUInt16BE(port, 2);
    if (lib.inetPton(AF_INET, address, sa.subarray(4, 8)) !== 1)
      throw new Error(`not an IPv4 address: ${JSON.stringify(address)}`);
    return sa;
  }
  const sa = Buffer.alloc(28);
  sa.writeUInt16LE(AF_INET6, 0);
  sa.writeUInt16BE(port, 2);
  const pct = address.indexOf('%');
  const host = pct < 0 ? address : address.slice(0, pct);
  if (lib.inetPton(AF_INET6, host, sa.subarray(8, 24)) !== 1)
    throw new Error(`not an IPv6 address: ${JSON.stringify(address)}`);
  if (pct >= 0) {
    const zone = address.slice(pct + 1);
    const index = /^\d+$/.test(zone) ? Number(zone) : lib.ifNameToIndex(zone);
    if (!index) throw new Error(`unknown interface in IPv6 zone: ${JSON.stringify(address)}`);
    sa.writeUInt32LE(index, 24);
  }
  return sa;
}

const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;

/** Connects a UDP socket to its peer (synchronous: no packets are exchanged). */
export function connectFd(fd: number, family: 4 | 6, address: string, port: number): void {
  const sa = sockaddr(family, address, port);
  check(load().connect(fd, sa, sa.length), 'connect', `[${address}]:${port}`);
}

/**
 * Sends one datagram on a connected socket without blocking; returns 0 or the errno (e.g.
 * ECONNREFUSED after an ICMP port unreachable, EAGAIN when the send buffer is full).
 */
export function sendFd(fd: number, data: Uint8Array): number {
  const lib = libc ?? load();
  return lib.send(fd, data, data.length, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? koffi.errno() : 0;
}

const MSG_TRUNC = 0x20;

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
    const lib = libc ?? load();
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

export function errnoMessage(errno: number): string {
  return load().strerror(errno);
}

export function bindFd(fd: number, family: 4 | 6, address: string, port: number): void {
  const sa = sockaddr(family, address, port);
  check(load().bind(fd, sa, sa.length), 'bind', `[${address}]:${port}`);
}
