// The socket calls BGP needs that node:net lacks (setsockopt/getsockopt on a socket's fd, socket()
// and bind() to prepare an fd before connect), through @bmlb/libc. Linux only.
import {
  bindFd as bindAddress,
  IPPROTO_TCP,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  setBytesOption,
  sockaddr,
  socketFd,
} from '@bmlb/libc';
import { type AddressFamily, parseAddress } from './address.ts';

export {
  closeFd,
  getIntOption,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPV6_UNICAST_HOPS,
  SOL_SOCKET,
  SyscallError,
  setIntOption,
} from '@bmlb/libc';

export const SO_KEEPALIVE = 9;
export const IP_MINTTL = 21;
export const IPV6_MINHOPCOUNT = 73;
export const TCP_NODELAY = 1;
const TCP_MD5SIG = 14;
/** TCP_MD5SIG_MAXKEYLEN in linux/tcp.h. */
export const MD5_MAX_KEY = 80;
/** sizeof(struct tcp_md5sig): sockaddr_storage (128), flags, prefixlen, keylen (u16), ifindex (int), key[80]. */
const TCP_MD5SIG_SIZE = 216;

/** A new non-blocking, close-on-exec TCP socket fd. */
export function tcpSocket(family: AddressFamily): number {
  return socketFd(family, SOCK_STREAM | SOCK_NONBLOCK, 0, `AF_INET${family === 6 ? '6' : ''}`);
}

export function bindFd(fd: number, address: string, port: number): void {
  bindAddress(fd, parseAddress(address).family, address, port);
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
  const sa = sockaddr(socketFamily, addr, 0);
  const b = new Uint8Array(TCP_MD5SIG_SIZE);
  b.set(sa, 0);
  new DataView(b.buffer).setUint16(130, key.length, true);
  b.set(key, 136);
  setBytesOption(fd, IPPROTO_TCP, TCP_MD5SIG, b, `TCP_MD5SIG ${peer}`);
}
