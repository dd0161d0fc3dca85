// @bmlb/libc: the Linux libc socket calls that node:net and node:dgram do not offer, through koffi,
// for the transports (BGP over TCP, BFD over UDP): creating a socket ourselves so options are set
// before bind, setsockopt/getsockopt on a socket's fd, bind, connect, non-blocking send and
// recvfrom, and the address conversions. One binding of libc, one error carrying the errno.
import { constants as osConstants } from 'node:os';
import koffi from 'koffi';

export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const IPPROTO_IP = 0;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;
export const IP_TTL = 2;
export const IPV6_UNICAST_HOPS = 16;
export const MSG_DONTWAIT = 0x40;
export const MSG_TRUNC = 0x20;
export const MSG_NOSIGNAL = 0x4000;

/** The libc functions bound here. Buffers are passed as bytes; pointers as their address. */
export interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Uint8Array, len: number): number;
  connect(fd: number, addr: Uint8Array, len: number): number;
  close(fd: number): number;
  setsockopt(fd: number, level: number, name: number, value: Uint8Array, len: number): number;
  getsockopt(fd: number, level: number, name: number, value: Uint8Array, len: number[]): number;
  send(fd: number, buf: Uint8Array, len: number, flags: number): number;
  recvfrom(
    fd: number,
    buf: Uint8Array,
    len: number,
    flags: number,
    addr: Uint8Array,
    addrlen: Uint8Array,
  ): number;
  inetNtop(af: number, src: Uint8Array, dst: Uint8Array, size: number): string | null;
  inetPton(af: number, src: string, dst: Uint8Array): number;
  ifNameToIndex(name: string): number;
  strerror(errnum: number): string;
}

let bound: Libc | undefined;

/** libc's functions, bound on first use; throws on a platform other than Linux. */
export function libc(): Libc {
  if (bound) return bound;
  if (process.platform !== 'linux') {
    throw new Error(
      `@bmlb/libc: the socket calls the transports need (socket filters, TCP MD5, TTL security, SO_BINDTODEVICE) are Linux's; this is ${process.platform}`,
    );
  }
  const l = koffi.load('libc.so.6');
  bound = {
    socket: l.func('int socket(int, int, int)'),
    bind: l.func('int bind(int, const void *, uint32_t)'),
    connect: l.func('int connect(int, const void *, uint32_t)'),
    close: l.func('int close(int)'),
    setsockopt: l.func('int setsockopt(int, int, int, const void *, uint32_t)'),
    getsockopt: l.func('int getsockopt(int, int, int, _Out_ uint8_t *, _Inout_ uint32_t *)'),
    send: l.func('intptr_t send(int, const void *, size_t, int)'),
    recvfrom: l.func('intptr_t recvfrom(int, void *, size_t, int, void *, void *)'),
    inetNtop: l.func('const char *inet_ntop(int, const void *, void *, uint32_t)'),
    inetPton: l.func('int inet_pton(int, const char *, void *)'),
    ifNameToIndex: l.func('unsigned int if_nametoindex(const char *)'),
    strerror: l.func('const char *strerror(int)'),
  };
  return bound;
}

/** The address of a buffer's memory, for structs that point at another buffer (sock_fprog). */
export function addressOf(bytes: Uint8Array): bigint {
  return koffi.address(bytes) as bigint;
}

/** The errno of the last failed call on this thread. */
export function lastErrno(): number {
  return koffi.errno();
}

const errnoNames = new Map<number, string>(
  Object.entries(osConstants.errno).map(([name, n]) => [n, name] as [number, string]),
);

/** The symbolic name of an errno (`EADDRINUSE`), or `errno N` for one Node does not name. */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `errno ${errno}`;
}

/** The C library's text for an errno (`Address already in use`). */
export function errnoMessage(errno: number): string {
  return libc().strerror(errno);
}

/**
 * A failed system call. `code` is the errno's name (`EADDRNOTAVAIL`, …) as in Node's own errors,
 * `errno` its number, `syscall` the call; the message says what was asked and the C library's text.
 */
export class SyscallError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  constructor(syscall: string, errno: number, detail: string) {
    const code = errnoName(errno);
    super(`${syscall}(${detail}) failed: ${errnoMessage(errno)} (${code}, errno ${errno})`);
    this.name = 'SyscallError';
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
  }
}

/** `result` when it is not negative; else throws the SyscallError of the errno the call left. */
export function check(result: number, syscall: string, detail: string): number {
  if (result < 0) throw new SyscallError(syscall, koffi.errno(), detail);
  return result;
}

/** A new close-on-exec socket fd (`type` may add SOCK_NONBLOCK); `detail` names it in errors. */
export function socketFd(family: 4 | 6, type: number, protocol: number, detail: string): number {
  return check(
    libc().socket(family === 4 ? AF_INET : AF_INET6, type | SOCK_CLOEXEC, protocol),
    'socket',
    detail,
  );
}

export function closeFd(fd: number): void {
  libc().close(fd);
}

/** Sets an int socket option; `what` names it in errors (`IP_TTL`, …). */
export function setIntOption(fd: number, level: number, name: number, value: number, what: string): void {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, value, true);
  check(libc().setsockopt(fd, level, name, b, 4), 'setsockopt', `${what}=${value}`);
}

/** Sets a socket option from raw bytes (a struct); `what` names it in errors. */
export function setBytesOption(
  fd: number,
  level: number,
  name: number,
  value: Uint8Array,
  what: string,
): void {
  check(libc().setsockopt(fd, level, name, value, value.length), 'setsockopt', what);
}

export function getIntOption(fd: number, level: number, name: number, what: string): number {
  const b = new Uint8Array(4);
  const len = [4];
  check(libc().getsockopt(fd, level, name, b, len), 'getsockopt', what);
  return new DataView(b.buffer).getInt32(0, true);
}

/**
 * A sockaddr_in (16 bytes) or sockaddr_in6 (28 bytes) for an address of `family` and a port. The
 * address is read by inet_pton; an IPv6 zone (`fe80::1%eth0`, or `%2`) becomes the scope id.
 * Throws a RangeError naming the address when it is not one of that family or its zone is unknown.
 */
export function sockaddr(family: 4 | 6, address: string, port: number): Uint8Array {
  const lib = libc();
  if (family === 4) {
    const sa = new Uint8Array(16);
    const v = new DataView(sa.buffer);
    v.setUint16(0, AF_INET, true);
    v.setUint16(2, port, false);
    if (lib.inetPton(AF_INET, address, sa.subarray(4, 8)) !== 1)
      throw new RangeError(`not an IPv4 address: ${JSON.stringify(address)}`);
    return sa;
  }
  const sa = new Uint8Array(28);
  const v = new DataView(sa.buffer);
  v.setUint16(0, AF_INET6, true);
  v.setUint16(2, port, false);
  const pct = address.indexOf('%');
  const host = pct < 0 ? address : address.slice(0, pct);
  if (lib.inetPton(AF_INET6, host, sa.subarray(8, 24)) !== 1)
    throw new RangeError(`not an IPv6 address: ${JSON.stringify(address)}`);
  if (pct >= 0) {
    const zone = address.slice(pct + 1);
    const index = /^\d+$/.test(zone) ? Number(zone) : zone === '' ? 0 : lib.ifNameToIndex(zone);
    if (!index) throw new RangeError(`unknown interface in IPv6 zone: ${JSON.stringify(address)}`);
    v.setUint32(24, index, true);
  }
  return sa;
}

/** Binds an fd to an address and port (`detail` in errors is `[address]:port`). */
export function bindFd(fd: number, family: 4 | 6, address: string, port: number): void {
  const sa = sockaddr(family, address, port);
  check(libc().bind(fd, sa, sa.length), 'bind', `[${address}]:${port}`);
}

/** Connects an fd (for UDP: no packet is exchanged). */
export function connectFd(fd: number, family: 4 | 6, address: string, port: number): void {
  const sa = sockaddr(family, address, port);
  check(libc().connect(fd, sa, sa.length), 'connect', `[${address}]:${port}`);
}
