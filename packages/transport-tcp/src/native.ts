// libc socket calls node:net lacks (setsockopt/getsockopt on a socket's fd, socket() and bind() to
// prepare an fd before connect), through koffi. Linux only.
import { constants as osConstants } from 'node:os';
import koffi from 'koffi';
import { type AddressFamily, parseAddress } from './address.ts';

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SO_KEEPALIVE = 9;
export const IPPROTO_IP = 0;
export const IPPROTO_TCP = 6;
export const IPPROTO_IPV6 = 41;
export const IP_TTL = 2;
export const IP_MINTTL = 21;
export const IPV6_UNICAST_HOPS = 16;
export const IPV6_MINHOPCOUNT = 73;
export const TCP_NODELAY = 1;
const TCP_MD5SIG = 14;
/** TCP_MD5SIG_MAXKEYLEN in linux/tcp.h. */
export const MD5_MAX_KEY = 80;
/** sizeof(struct tcp_md5sig): sockaddr_storage (128), flags, prefixlen, keylen (u16), ifindex (int), key[80]. */
const TCP_MD5SIG_SIZE = 216;

interface Libc {
  socket: (domain: number, type: number, protocol: number) => number;
  bind: (fd: number, addr: Uint8Array, len: number) => number;
  close: (fd: number) => number;
  setsockopt: (fd: number, level: number, name: number, val: Uint8Array, len: number) => number;
  getsockopt: (fd: number, level: number, name: number, val: Uint8Array, len: number[]) => number;
  if_nametoindex: (name: string) => number;
}

let libc: Libc | undefined;
function lib(): Libc {
  if (libc) return libc;
  if (process.platform !== 'linux')
    throw new Error('@bmlb/transport-tcp: TCP MD5, TTL security and bound sockets need Linux');
  const l = koffi.load('libc.so.6');
  libc = {
    socket: l.func('int socket(int domain, int type, int protocol)'),
    bind: l.func('int bind(int fd, const uint8_t *addr, uint32_t len)'),
    close: l.func('int close(int fd)'),
    setsockopt: l.func('int setsockopt(int fd, int level, int name, const uint8_t *val, uint32_t len)'),
    getsockopt: l.func(
      'int getsockopt(int fd, int level, int name, _Out_ uint8_t *val, _Inout_ uint32_t *len)',
    ),
    if_nametoindex: l.func('unsigned int if_nametoindex(const char *name)'),
  };
  return libc;
}

const errnoNames = new Map<number, string>(
  Object.entries(osConstants.errno).map(([name, n]) => [n, name] as [number, string]),
);

/** A failed libc call: `code` is the errno name (`EADDRNOTAVAIL`, …) like Node's own errors. */
export class SyscallError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  constructor(syscall: string, errno: number, detail: string) {
    const code = errnoNames.get(errno) ?? `errno ${errno}`;
    super(`${syscall}(${detail}): ${code}`);
    this.name = 'SyscallError';
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
  }
}

function check(rc: number, syscall: string, detail: string): number {
  if (rc < 0) throw new SyscallError(syscall, koffi.errno(), detail);
  return rc;
}

/** sockaddr_in / sockaddr_in6 for an address (`fe80::1%eth0` carries the scope id). */
function sockaddr(address: string, port: number): { family: AddressFamily; bytes: Uint8Array } {
  const a = parseAddress(address);
  if (a.family === 4) {
    const b = new Uint8Array(16);
    const v = new DataView(b.buffer);
    v.setUint16(0, AF_INET, true);
    v.setUint16(2, port, false);
    b.set(a.bytes, 4);
    return { family: 4, bytes: b };
  }
  const b = new Uint8Array(28);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_INET6, true);
  v.setUint16(2, port, false);
  b.set(a.bytes, 8);
  if (a.zone !== undefined) {
    const idx = /^\d+$/.test(a.zone) ? Number(a.zone) : lib().if_nametoindex(a.zone);
    if (!idx) throw new RangeError(`unknown interface '${a.zone}' in address ${address}`);
    v.setUint32(24, idx, true);
  }
  return { family: 6, bytes: b };
}

/** A new non-blocking, close-on-exec TCP socket fd. */
export function tcpSocket(family: AddressFamily): number {
  return check(
    lib().socket(family === 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0),
    'socket',
    `AF_INET${family === 6 ? '6' : ''}`,
  );
}

export function bindFd(fd: number, address: string, port: number): void {
  const sa = sockaddr(address, port);
  check(lib().bind(fd, sa.bytes, sa.bytes.length), 'bind', `${address}:${port}`);
}

export function closeFd(fd: number): void {
  lib().close(fd);
}

export function setIntOption(fd: number, level: number, name: number, value: number, what: string): void {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, value, true);
  check(lib().setsockopt(fd, level, name, b, 4), 'setsockopt', `${what}=${value}`);
}

export function getIntOption(fd: number, level: number, name: number, what: string): number {
  const b = new Uint8Array(4);
  const len = [4];
  check(lib().getsockopt(fd, level, name, b, len), 'getsockopt', what);
  return new DataView(b.buffer).getInt32(0, true);
}

/**
 * Install (or, with an empty key, remove) the RFC 2385 key for segments to and from `peer` on a
 * socket of family `socketFamily`. An IPv4 peer on an IPv6 socket is keyed as its v4-mapped address
 * (the kernel files it as an IPv4 key).
 */
export function setMd5Key(fd: number, socketFamily: AddressFamily, peer: string, key: Uint8Array): void {
  if (key.length > MD5_MAX_KEY)
    throw new RangeError(`TCP MD5 key is ${key.length} bytes; at most ${MD5_MAX_KEY}`);
  const a = parseAddress(peer);
  let addr = peer;
  if (a.family === 4 && socketFamily === 6) addr = `::ffff:${peer}`;
  else if (a.family === 6 && socketFamily === 4)
    throw new RangeError(`TCP MD5 key for IPv6 peer ${peer} on an IPv4 socket`);
  const sa = sockaddr(addr, 0);
  const b = new Uint8Array(TCP_MD5SIG_SIZE);
  b.set(sa.bytes, 0);
  new DataView(b.buffer).setUint16(130, key.length, true);
  b.set(key, 136);
  check(
    lib().setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, b, TCP_MD5SIG_SIZE),
    'setsockopt',
    `TCP_MD5SIG ${peer}`,
  );
}
