import { describe, expect, it } from 'vitest';
import { describeBfdWatch, SilenceCounter, schedstat, taskState } from './bfd-watch.ts';

// `tcpdump -i eth0 -n -tt -l 'udp port 3784'` (4.99) at tor1: source port 49152 is decoded as
// Broadcom's LI shim, the others as BFD; only the stamp and the addresses matter.
const DUMP = `listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes
1796467374.000000 IP 10.0.0.21.49152 > 10.0.0.1.3784: BCM-LI-SHIM: direction unused, pkt-type unknown, pkt-subtype untagged, li-id 792
1796467374.010000 IP 10.0.0.1.49153 > 10.0.0.21.3784: BFDv1, Control, State Up, Flags: [none], length: 24
1796467374.300000 IP 10.0.0.21.49152 > 10.0.0.1.3784: BCM-LI-SHIM: direction unused, pkt-type unknown, pkt-subtype untagged, li-id 792
1796467374.280000 IP 10.0.0.1.49153 > 10.0.0.21.3784: BFDv1, Control, State Up, Flags: [none], length: 24
1796467375.250000 IP 10.0.0.21.49152 > 10.0.0.1.3784: BCM-LI-SHIM: direction unused, pkt-type unknown, pkt-subtype untagged, li-id 792
1796467375.260000 IP6 fe80::1.49154 > fe80::21.3784: BFDv1, Control, State Up, Flags: [none], length: 24
`;

describe('SilenceCounter', () => {
  it('keeps each direction’s longest gap, fed in chunks split anywhere', () => {
    for (const cut of [1, 17, 100, 333, DUMP.length - 1]) {
      const c = new SilenceCounter();
      c.feed(DUMP.slice(0, cut));
      c.feed(DUMP.slice(cut));
      const s = c.silences(1796467375_260);
      expect(s.map((x) => [x.key, x.packets, Math.round(x.longestMs)])).toEqual([
        ['10.0.0.1 > 10.0.0.21', 2, 980], // still silent at the end: 375.26 - 374.28
        ['10.0.0.21 > 10.0.0.1', 3, 950],
        ['fe80::1 > fe80::21', 1, 0],
      ]);
      expect(s[1]?.from).toBe(1796467374_300);
      expect(s[1]?.to).toBe(1796467375_250);
    }
  });

  it('skips what is not a packet line', () => {
    const c = new SilenceCounter();
    c.feed('1 packet captured\n2 packets received by filter\n0 packets dropped by kernel\n');
    expect(c.silences(0)).toEqual([]);
  });
});

describe('describeBfdWatch', () => {
  it('names the quiet ends, and lists every direction when asked', () => {
    const c = new SilenceCounter();
    c.feed(DUMP);
    const names = { '10.0.0.1': 'tor1', '10.0.0.21': 'node-21' };
    const seen = {
      at: 1796467375_260,
      silences: [c.silences(1796467375_260), []],
      dropped: [0, Number.NaN],
      views: [
        { samples: 12, longestSampleMs: 130, maxWaitMs: 4.2, maxWaitAt: 1796467374_500, blocked: 0 },
        { samples: 0, longestSampleMs: 0, maxWaitMs: 0, maxWaitAt: 0, blocked: 0 },
      ],
    };
    const lines = describeBfdWatch(seen, ['10.0.0.1', '10.0.0.2'], names, 1796467374_000, true);
    expect(lines[0]).toContain(
      'tor1: longest silence from a node 950 ms (node-21), to a node 980 ms (node-21)',
    );
    expect(lines[0]).toContain(
      'at most 4 ms within one sample (at +500 ms; 12 samples, at most 130 ms apart)',
    );
    expect(lines).toContain('      node-21 → tor1: 3 packets, longest silence 950 ms from +300 ms');
    expect(lines.at(-1)).toMatch(/tor2: no BFD packets/);
  });
});

describe('/proc readers', () => {
  it('read this process', () => {
    const s = schedstat(process.pid);
    expect(s?.runNs).toBeGreaterThan(0);
    expect(taskState(process.pid)).toBe('R');
    expect(schedstat(2 ** 30)).toBeUndefined();
    expect(taskState(2 ** 30)).toBeUndefined();
  });
});
