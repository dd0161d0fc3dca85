import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ipv6NextHop } from './next-hop.ts';

const v6 = (address: string, prefix: number, scopeid = 0): NetworkInterfaceInfo => ({
  address,
  netmask: 'ffff:ffff:ffff:ffff::',
  family: 'IPv6',
  mac: '02:00:00:00:00:11',
  internal: false,
  cidr: `${address}/${prefix}`,
  scopeid,
});
const v4 = (address: string): NetworkInterfaceInfo => ({
  address,
  netmask: '255.255.255.0',
  family: 'IPv4',
  mac: '02:00:00:00:00:11',
  internal: false,
  cidr: `${address}/24`,
});

const node = {
  lo: [
    { ...v4('127.0.0.1'), internal: true },
    { ...v6('::1', 128), internal: true },
  ],
  eth0: [v4('10.0.0.11'), v6('fd00::11', 64), v6('fe80::11', 64, 2)],
  eth1: [v6('2001:db8:9::11', 64), v6('fe80::1:11', 64, 3)],
  eth2: [v6('2001:db8:7::11', 64)],
};

describe('RFC 2545 §3: the IPv6 next hop of a session', () => {
  it('on a subnet shared with the peer: the global address and the link-local address of that interface', () => {
    expect(ipv6NextHop('fd00::11', 'fd00::1', node)).toEqual({
      interface: 'eth0',
      nextHop: { ipv6LinkLocal: 'fe80::11' },
    });
    // the interface that holds the local address decides, not the first one with a link-local address
    expect(ipv6NextHop('2001:db8:9::11', '2001:db8:9::1', node)).toEqual({
      interface: 'eth1',
      nextHop: { ipv6LinkLocal: 'fe80::1:11' },
    });
    // written differently (sourceAddress as configured)
    expect(ipv6NextHop('FD00:0::11', 'fd00:0:0::1', node).nextHop).toEqual({ ipv6LinkLocal: 'fe80::11' });
  });

  it('a peer beyond the subnet (multihop): the global address only', () => {
    const r = ipv6NextHop('fd00::11', '2001:db8:ff::1', node);
    expect(r.nextHop).toBeUndefined();
    expect(r.note).toMatch(/not on a subnet of eth0/);
  });

  it('an interface without a link-local address: the global address only, and why', () => {
    const r = ipv6NextHop('2001:db8:7::11', '2001:db8:7::1', node);
    expect(r.nextHop).toBeUndefined();
    expect(r.note).toMatch(/no link-local address on eth2/);
  });

  it('a link-local session: the global address of the interface first, the link-local beside it', () => {
    expect(ipv6NextHop('fe80::11', 'fe80::1%eth0', node)).toEqual({
      interface: 'eth0',
      nextHop: { ipv6: 'fd00::11', ipv6LinkLocal: 'fe80::11' },
    });
    const bare = { eth0: [v6('fe80::11', 64, 2)] };
    expect(ipv6NextHop('fe80::11', 'fe80::1', bare).note).toMatch(/no global IPv6 address on eth0/);
  });

  it('IPv4 sessions and unknown local addresses have nothing to add', () => {
    expect(ipv6NextHop('10.0.0.11', '10.0.0.1', node)).toEqual({});
    expect(ipv6NextHop('fd00::99', 'fd00::1', node).note).toMatch(/on no interface/);
  });
});
