// Opening UDP sockets for BFD: created with libc so every option (IPV6_V6ONLY, SO_BINDTODEVICE, the
// TTL filter, the sending TTL) is in place before bind, then adopted by node:dgram for its event loop.
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import {
  attachFilter,
  bindFd,
  bindToDevice,
  closeFd,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_UNICAST_HOPS,
  IPV6_V6ONLY,
  SO_RCVBUF,
  SO_RCVBUFFORCE,
  SO_REUSEADDR,
  SOL_SOCKET,
  SyscallError,
  setIntOption,
  udpSocket,
} from './libc.ts';

export interface OpenSocketOptions {
  readonly address: string;
  readonly port: number;
  /** Interface to bind to (SO_BINDTODEVICE; needs CAP_NET_RAW). */
  readonly device?: string | undefined;
  /** TTL / hop limit of what this socket sends. */
  readonly sendTtl?: number | undefined;
  /** Classic BPF program to attach before bind (see bpf.ts). */
  readonly filter?: Buffer | undefined;
  readonly reuseAddr?: boolean | undefined;
  readonly recvBufferSize?: number | undefined;
}

export interface OpenedSocket {
  readonly socket: dgram.Socket;
  readonly fd: number;
  readonly family: 4 | 6;
}

/** The address family of an address literal (an IPv6 zone, `fe80::1%eth0`, is allowed). */
export function familyOf(address: string): 4 | 6 {
  const host = address.includes('%') ? address.slice(0, address.indexOf('%')) : address;
  const family = isIP(host);
  if (family === 0) throw new TypeError(`not an IP address: ${JSON.stringify(address)}`);
  return family as 4 | 6;
}

/**
 * SO_RCVBUFFORCE (with CAP_NET_ADMIN, past net.core.rmem_max), else SO_RCVBUF (capped by the sysctl).
 * A listener serving many sessions needs room for the bursts a busy event loop lets build up.
 */
function setReceiveBuffer(fd: number, bytes: number): void {
  try {
    setIntOption(fd, SOL_SOCKET, SO_RCVBUFFORCE, bytes, 'SO_RCVBUFFORCE');
  } catch (err) {
    if (!(err instanceof SyscallError)) throw err;
    setIntOption(fd, SOL_SOCKET, SO_RCVBUF, bytes, 'SO_RCVBUF');
  }
}

/** Creates, configures and binds a UDP socket fd; throws a SyscallError (with errno) on failure. */
export function openFd(options: OpenSocketOptions): { fd: number; family: 4 | 6 } {
  const family = familyOf(options.address);
  const fd = udpSocket(family);
  try {
    if (family === 6) setIntOption(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, 'IPV6_V6ONLY');
    if (options.reuseAddr) setIntOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, 'SO_REUSEADDR');
    if (options.device) bindToDevice(fd, options.device);
    if (options.sendTtl !== undefined) {
      if (family === 4) setIntOption(fd, IPPROTO_IP, IP_TTL, options.sendTtl, 'IP_TTL');
      else setIntOption(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, options.sendTtl, 'IPV6_UNICAST_HOPS');
    }
    if (options.recvBufferSize) setReceiveBuffer(fd, options.recvBufferSize);
    if (options.filter) attachFilter(fd, options.filter);
    bindFd(fd, family, options.address, options.port);
  } catch (err) {
    closeFd(fd);
    throw err;
  }
  return { fd, family };
}

/** Creates, configures and binds a UDP socket, adopted by node:dgram. */
export function openSocket(options: OpenSocketOptions): OpenedSocket {
  const { fd, family } = openFd(options);
  const socket = dgram.createSocket({ type: family === 4 ? 'udp4' : 'udp6' });
  socket.bind({ fd });
  return { socket, fd, family };
}
