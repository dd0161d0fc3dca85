import { describe, expect, it } from 'vitest';
import { parseFrrLog } from './frr.ts';
import type { Namespace } from './lab.ts';
import { FibView, linkDown, MonitorParser, NetlinkMonitor, parseIpStamp } from './monitor.ts';

// Captured from `ip -ts monitor route nexthop link` (iproute2 6.1) while zebra (FRR 8.4) replaced a
// three-way ECMP /32 with a two-way one, and from a link going down.
const CAPTURE = `[2026-11-25T21:37:10.506021] id 1 via 10.9.0.2 dev d0 scope link 
[2026-11-25T21:37:10.508336] id 2 via 10.9.0.3 dev d0 scope link 
[2026-11-25T21:37:10.510137] id 3 group 1/2 
[2026-11-25T21:37:10.512473] 203.0.113.5 nhid 3 
	nexthop via 10.9.0.2 dev d0 weight 1 
	nexthop via 10.9.0.3 dev d0 weight 1 
[2026-11-25T21:37:10.514280] 203.0.113.6 
	nexthop via 10.9.0.2 dev d0 weight 1 
	nexthop via 10.9.0.3 dev d0 weight 1 
[2026-11-25T21:37:10.516378] Deleted 203.0.113.6 
	nexthop via 10.9.0.2 dev d0 weight 1 
	nexthop via 10.9.0.3 dev d0 weight 1 
[2026-11-25T21:37:10.518451] 2: d1@d0: <BROADCAST,MULTICAST> mtu 1500 qdisc noqueue state DOWN group default 
    link/ether 52:3e:ff:cb:34:87 brd ff:ff:ff:ff:ff:ff
[2026-11-25T21:37:10.518548] Deleted fe80::/64 dev d1 proto kernel metric 256 pref medium
`;

describe('parseIpStamp', () => {
  it('reads ip -ts stamps as local wall-clock ms with the µs fraction', () => {
    const s = parseIpStamp('[2026-11-25T21:37:10.506021] id 1 via 10.9.0.2');
    expect(s?.rest).toBe('id 1 via 10.9.0.2');
    expect(s?.at).toBeCloseTo(new Date(2026, 10, 25, 21, 37, 10).getTime() + 506.021, 3);
    expect(parseIpStamp('id 1 via 10.9.0.2')).toBeUndefined();
  });
});

describe('MonitorParser', () => {
  it('groups continuation lines with their message, whatever the chunking', () => {
    const whole = new MonitorParser();
    const a = [...whole.push(CAPTURE, 1), whole.flush()].filter((m) => m !== undefined);
    // The same text cut at every 7th character gives the same messages.
    const cut = new MonitorParser();
    const b = [];
    for (let i = 0; i < CAPTURE.length; i += 7) b.push(...cut.push(CAPTURE.slice(i, i + 7), 2));
    b.push(cut.flush());
    expect(a).toHaveLength(8);
    expect(b.map((m) => m?.text)).toEqual(a.map((m) => m.text));
    expect(a[3]?.text).toBe(
      '203.0.113.5 nhid 3\n\tnexthop via 10.9.0.2 dev d0 weight 1\n\tnexthop via 10.9.0.3 dev d0 weight 1',
    );
    expect(a[3]?.receivedAt).toBe(1);
    expect(linkDown(a[6] as never, 'd1')).toBe(true);
    expect(linkDown(a[6] as never, 'd0')).toBe(false);
  });

  it('tells a link going down from one coming up', () => {
    const up = {
      text: '3: eth0@if4: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP',
      at: 0,
      receivedAt: 0,
    };
    const down = { text: '3: eth0@if4: <BROADCAST,MULTICAST> mtu 1500 state DOWN', at: 0, receivedAt: 0 };
    expect(linkDown(up, 'eth0')).toBe(false);
    expect(linkDown(down, 'eth0')).toBe(true);
  });
});

describe('FibView', () => {
  it('follows routes through nexthop groups, explicit multipath and deletions', () => {
    const p = new MonitorParser();
    const msgs = [...p.push(CAPTURE, 0), p.flush()].filter((m) => m !== undefined);
    const v = new FibView();
    for (const m of msgs) v.apply(m.text);
    expect(v.gateways('203.0.113.5/32')).toEqual(['10.9.0.2', '10.9.0.3']);
    expect(v.gateways('203.0.113.6')).toBeUndefined(); // deleted
    // zebra replaces the group's members in place: the route follows without a route message.
    v.apply('id 3 group 2 proto zebra');
    expect(v.gateways('203.0.113.5')).toEqual(['10.9.0.3']);
    // … or points the route at a new group.
    v.apply('id 4 via 10.9.0.4 dev d0 scope link proto zebra');
    v.apply('id 5 group 4,1/2 proto zebra');
    v.apply('203.0.113.5 nhid 5 proto bgp metric 20');
    expect(v.gateways('203.0.113.5')).toEqual(['10.9.0.3', '10.9.0.4']);
    v.apply('Deleted 203.0.113.5 nhid 5 proto bgp metric 20');
    expect(v.gateways('203.0.113.5')).toBeUndefined();
  });

  it('loads ip route / ip nexthop dumps, single-path routes, other tables, IPv6', () => {
    const v = new FibView();
    v.load(`id 6 via 10.0.0.11 dev eth0 scope link proto zebra 
id 11 group 6/12/13 proto zebra 
id 12 via 10.0.0.12 dev eth0 scope link proto zebra 
id 13 via 10.0.0.13 dev eth0 scope link proto zebra 
`);
    v.load(`10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.1 
203.0.113.20 nhid 11 proto bgp metric 20 
	nexthop via 10.0.0.11 dev eth0 weight 1 
	nexthop via 10.0.0.12 dev eth0 weight 1 
	nexthop via 10.0.0.13 dev eth0 weight 1 
203.0.113.21 nhid 6 via 10.0.0.11 dev eth0 proto bgp metric 20 
local 10.0.0.1 dev eth0 table local proto kernel scope host src 10.0.0.1 
2001:db8:100::10 via fd00::11 dev eth0 proto bgp metric 20 pref medium
198.51.100.0/24 via inet6 fe80::1 dev eth0 proto bgp metric 20
`);
    expect(v.gateways('203.0.113.20')).toEqual(['10.0.0.11', '10.0.0.12', '10.0.0.13']);
    expect(v.gateways('203.0.113.21/32')).toEqual(['10.0.0.11']);
    expect(v.gateways('10.0.0.0/24')).toEqual([]);
    expect(v.gateways('10.0.0.1')).toBeUndefined();
    expect(v.gateways('10.0.0.1', 'local')).toEqual([]);
    expect(v.gateways('2001:db8:100::10/128')).toEqual(['fd00::11']);
    expect(v.gateways('198.51.100.0/24')).toEqual(['fe80::1']);
    expect(v.apply('2: eth0@if3: <BROADCAST,MULTICAST> mtu 1500 state DOWN')).toBe(false);
  });
});

describe('parseFrrLog', () => {
  it('reads timestamps with and without sub-second digits, tags and messages', () => {
    const e =
      parseFrrLog(`2026/11/25 21:38:27.431 BFD: [SEY1D-NT8EQ] state-change: [mhop:no peer:10.0.0.11] up -> down reason:control-expired
2026/11/25 21:37:32 ZEBRA: [SHWNK-NWT5S][EC 100663304] No such command on config line 5: bfd
not a log line
2026/11/25 21:38:27.492 BGP: [V15FP-4CPVK] Tx route add VRF 0 203.0.113.20/32 metric 0 tag 0 count 2 nhg 0`);
    expect(e).toHaveLength(3);
    expect(e[0]).toMatchObject({ tag: 'BFD', precision: 3, text: expect.stringMatching(/^state-change: /) });
    expect(e[0]?.at).toBe(new Date(2026, 10, 25, 21, 38, 27).getTime() + 431);
    expect(e[1]).toMatchObject({ tag: 'ZEBRA', precision: 0, text: 'No such command on config line 5: bfd' });
    expect((e[2]?.at ?? 0) - (e[0]?.at ?? 0)).toBe(61);
  });
});

describe('NetlinkMonitor.start', () => {
  it('refuses a receive buffer that is not a positive byte count below 2 GiB, before starting ip', async () => {
    const ns = {} as Namespace; // not reached: the options are checked first
    for (const receiveBuffer of [0, -1, 1.5, 2 ** 31, Number.NaN])
      await expect(NetlinkMonitor.start(ns, ['route'], { receiveBuffer })).rejects.toThrow(
        /receiveBuffer must be a positive number of bytes/,
      );
    await expect(NetlinkMonitor.start(ns, [])).rejects.toThrow(/at least one object/);
  });
});
