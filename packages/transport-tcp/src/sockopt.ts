// Socket options BGP needs that node:net does not offer, applied to a socket's file descriptor.
import type net from 'node:net';
import type { AddressFamily } from './address.ts';
import {
  getIntOption,
  IP_MINTTL,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPV6_MINHOPCOUNT,
  IPV6_UNICAST_HOPS,
  SO_KEEPALIVE,
  SOL_SOCKET,
  setIntOption,
  setMd5Key,
  TCP_NODELAY,
} from './native.ts';
import { checkTtl } from './ttl.ts';

/** The kernel fd under a net.Socket or net.Server (Linux, TCP). */
export function fdOf(s: net.Socket | net.Server): number {
  const fd = (s as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0)
    throw new Error('socket has no file descriptor (closed, or not a TCP socket)');
  return fd;
}

/** The family of the socket itself (an IPv6 socket may carry IPv4 as v4-mapped addresses). */
export function socketFamily(s: net.Socket | net.Server): AddressFamily {
  const a = s.address();
  if (a === null || typeof a === 'string' || !('family' in a))
    throw new Error('socket is not bound to an IP address');
  return a.family === 'IPv6' || (a.family as unknown) === 6 ? 6 : 4;
}

/**
 * Set the TTL (hop limit) sent and, if given, the minimum accepted (GTSM). On an IPv6 socket both
 * the IPv6 and the IPv4 options are set, since it may carry IPv4 (v4-mapped) traffic.
 */
export function setTtl(
  fd: number,
  family: AddressFamily,
  ttl: number | undefined,
  minTtl: number | undefined,
): void {
  checkTtl('ttl', ttl);
  checkTtl('minTtl', minTtl);
  if (ttl !== undefined) {
    if (family === 6) {
      setIntOption(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl, 'IPV6_UNICAST_HOPS');
    }
    setIntOption(fd, IPPROTO_IP, IP_TTL, ttl, 'IP_TTL');
  }
  if (minTtl !== undefined) {
    if (family === 6) setIntOption(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, minTtl, 'IPV6_MINHOPCOUNT');
    setIntOption(fd, IPPROTO_IP, IP_MINTTL, minTtl, 'IP_MINTTL');
  }
}

/** Remove a minimum TTL (0 turns IP_MINTTL / IPV6_MINHOPCOUNT off). */
export function clearMinTtl(fd: number, family: AddressFamily): void {
  if (family === 6) setIntOption(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, 0, 'IPV6_MINHOPCOUNT');
  setIntOption(fd, IPPROTO_IP, IP_MINTTL, 0, 'IP_MINTTL');
}

export interface SocketOptionsReadback {
  /** IP_TTL (IPv4 socket) or IPV6_UNICAST_HOPS (IPv6 socket). */
  ttl: number;
  /** IP_MINTTL or IPV6_MINHOPCOUNT (0 = off). */
  minTtl: number;
  noDelay: boolean;
  keepAlive: boolean;
}

/** Read back what the kernel holds for a socket (diagnostics, tests). */
export function readSocketOptions(s: net.Socket | net.Server): SocketOptionsReadback {
  const fd = fdOf(s);
  const v6 = socketFamily(s) === 6;
  const ttl = v6
    ? getIntOption(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 'IPV6_UNICAST_HOPS')
    : getIntOption(fd, IPPROTO_IP, IP_TTL, 'IP_TTL');
  const minTtl = v6
    ? getIntOption(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, 'IPV6_MINHOPCOUNT')
    : getIntOption(fd, IPPROTO_IP, IP_MINTTL, 'IP_MINTTL');
  return {
    ttl,
    minTtl,
    noDelay: getIntOption(fd, IPPROTO_TCP, TCP_NODELAY, 'TCP_NODELAY') !== 0,
    keepAlive: getIntOption(fd, SOL_SOCKET, SO_KEEPALIVE, 'SO_KEEPALIVE') !== 0,
  };
}

/** TCP MD5 key (RFC 2385) for one peer on a socket; an empty or undefined key removes it. */
export function setPeerMd5(
  fd: number,
  family: AddressFamily,
  peer: string,
  key: string | Uint8Array | undefined,
): void {
  setMd5Key(fd, family, peer, md5KeyBytes(key));
}

/** A password as key bytes (UTF-8 for strings, as FRR and MetalLB pass them). */
export function md5KeyBytes(key: string | Uint8Array | undefined): Uint8Array {
  if (key === undefined) return new Uint8Array(0);
  return typeof key === 'string' ? new TextEncoder().encode(key) : key;
}
