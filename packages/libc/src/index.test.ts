import { describe, expect, it } from 'vitest';
import {
  AF_INET,
  AF_INET6,
  bindFd,
  closeFd,
  errnoName,
  getIntOption,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_UDP,
  SOCK_DGRAM,
  SyscallError,
  setIntOption,
  sockaddr,
  socketFd,
} from './index.ts';

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

describe('sockaddr', () => {
  it('writes sockaddr_in: family (host order), port (network order), address', () => {
    const sa = sockaddr(4, '192.0.2.10', 179);
    expect(sa.length).toBe(16);
    expect(view(sa).getUint16(0, true)).toBe(AF_INET);
    expect(view(sa).getUint16(2, false)).toBe(179);
    expect([...sa.subarray(4, 8)]).toEqual([192, 0, 2, 10]);
  });
  it('writes sockaddr_in6 with a numeric zone as the scope id', () => {
    const sa = sockaddr(6, 'fe80::1%7', 3784);
    expect(sa.length).toBe(28);
    expect(view(sa).getUint16(0, true)).toBe(AF_INET6);
    expect(view(sa).getUint16(2, false)).toBe(3784);
    expect([...sa.subarray(8, 24)]).toEqual([0xfe, 0x80, ...new Array<number>(13).fill(0), 1]);
    expect(view(sa).getUint32(24, true)).toBe(7);
  });
  it('names what it refuses', () => {
    expect(() => sockaddr(4, '010.0.0.1', 1)).toThrow(/not an IPv4 address: "010.0.0.1"/);
    expect(() => sockaddr(4, '::1', 1)).toThrow(RangeError);
    expect(() => sockaddr(6, '1.2.3.4', 1)).toThrow(/not an IPv6 address/);
    expect(() => sockaddr(6, 'fe80::1%no-such-if0', 1)).toThrow(/unknown interface in IPv6 zone/);
  });
});

describe('system calls', () => {
  it('sets and reads back an int option', () => {
    const fd = socketFd(4, SOCK_DGRAM, IPPROTO_UDP, 'udp4');
    try {
      setIntOption(fd, IPPROTO_IP, IP_TTL, 255, 'IP_TTL');
      expect(getIntOption(fd, IPPROTO_IP, IP_TTL, 'IP_TTL')).toBe(255);
    } finally {
      closeFd(fd);
    }
  });
  it('a failed call throws one SyscallError with the errno, its name and what was asked', () => {
    const fd = socketFd(4, SOCK_DGRAM, IPPROTO_UDP, 'udp4');
    try {
      // 192.0.2.1 (TEST-NET-1) is no address of this host: bind fails in the kernel, nothing is sent.
      let err: unknown;
      try {
        bindFd(fd, 4, '192.0.2.1', 0);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SyscallError);
      expect(err).toMatchObject({ code: 'EADDRNOTAVAIL', errno: 99, syscall: 'bind', name: 'SyscallError' });
      expect((err as Error).message).toBe(
        'bind([192.0.2.1]:0) failed: Cannot assign requested address (EADDRNOTAVAIL, errno 99)',
      );
      expect(() => setIntOption(fd, IPPROTO_IP, 0x7fff, 1, 'nonsense')).toThrow(
        /^setsockopt\(nonsense=1\) failed: .* \(ENOPROTOOPT, errno 92\)$/,
      );
    } finally {
      closeFd(fd);
    }
  });
  it('names errnos as Node does', () => {
    expect(errnoName(98)).toBe('EADDRINUSE');
    expect(errnoName(100000)).toBe('errno 100000');
  });
});
