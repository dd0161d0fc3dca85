import { describe, expect, it } from 'vitest';
import { describeBfdWatch, SilenceCounter } from './bfd-watch.ts';

const STATE = { AdminDown: 0, Down: 1, Init: 2, Up: 3 } as const;

/**
 * A BFD Control packet as `tcpdump -n -tt -x` prints it (4.99): its line, then its bytes from the
 * IP header on, 16 to a line in groups of two. From source port 49152 tcpdump decodes it as
 * Broadcom's LI shim (as it did for our speakers' first port).
 */
function packet(at: number, src: string, dst: string, state: keyof typeof STATE, diag = 0): string {
  const sport = src === '10.0.0.21' ? 49152 : 49153;
  const addr = (a: string) => a.split('.').map(Number);
  const bfd = [0x20 | diag, STATE[state] << 6, 3, 24, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0x0f, 0x42, 0x40];
  const bytes = [
    ...[0x45, 0, 0, 52, 0x35, 0x72, 0x40, 0, 255, 17, 0x07, 0x45, ...addr(src), ...addr(dst)],
    ...[sport >> 8, sport & 0xff, 0x0e, 0xc8, 0, 32, 0xfe, 0x33],
    ...bfd,
    ...[0, 0x0f, 0x42, 0x40, 0, 0, 0, 0],
  ];
  const text =
    sport === 49152
      ? 'BCM-LI-SHIM: direction unused, pkt-type unknown, pkt-subtype untagged, li-id 792'
      : `BFDv1, Control, State ${state}, Flags: [none], length: 24`;
  const hex: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const row = bytes.slice(i, i + 16).map((b) => b.toString(16).padStart(2, '0'));
    const groups: string[] = [];
    for (let j = 0; j < row.length; j += 2) groups.push(row.slice(j, j + 2).join(''));
    hex.push(`\t0x${i.toString(16).padStart(4, '0')}:  ${groups.join(' ')}`);
  }
  return `${(at / 1000).toFixed(6)} IP ${src}.${sport} > ${dst}.3784: ${text}\n${hex.join('\n')}\n`;
}

const T = 1796467374_000;
const DUMP = [
  'listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n',
  packet(T, '10.0.0.21', '10.0.0.1', 'Up'),
  packet(T + 10, '10.0.0.1', '10.0.0.21', 'Up'),
  packet(T + 280, '10.0.0.1', '10.0.0.21', 'Up'),
  packet(T + 300, '10.0.0.21', '10.0.0.1', 'Up'),
  // node-21 quiet for 950 ms: tor1 declares it down (Control Detection Time Expired, 1) …
  packet(T + 1200, '10.0.0.1', '10.0.0.21', 'Down', 1),
  // … and node-21's next packet, still Up, is the last before it follows tor1 down (Neighbor Signaled Down, 3).
  packet(T + 1250, '10.0.0.21', '10.0.0.1', 'Up'),
  packet(T + 1260, '10.0.0.21', '10.0.0.1', 'Down', 3),
  packet(T + 2260, '10.0.0.1', '10.0.0.22', 'Down'),
  packet(T + 3200, '10.0.0.1', '10.0.0.22', 'Down'),
].join('');

describe('SilenceCounter', () => {
  it('keeps each direction’s longest silence after an Up packet, fed in chunks split anywhere', () => {
    for (const cut of [1, 17, 100, 333, 1000, DUMP.length - 1]) {
      const c = new SilenceCounter();
      c.feed(DUMP.slice(0, cut));
      c.feed(DUMP.slice(cut));
      const s = c.silences(T + 3300);
      expect(s.map((x) => [x.key, x.packets, x.upPackets, Math.round(x.longestMs)])).toEqual([
        ['10.0.0.21 > 10.0.0.1', 4, 3, 950],
        ['10.0.0.1 > 10.0.0.21', 3, 2, 920],
        ['10.0.0.1 > 10.0.0.22', 2, 0, 0], // never Up: the slow Down packets are no silence
      ]);
      expect(s[0]).toMatchObject({ from: T + 300, to: T + 1250 });
      expect(s[0]?.leftUp).toEqual([{ at: T + 1260, state: 'Down', diag: 3 }]);
      expect(s[1]?.leftUp).toEqual([{ at: T + 1200, state: 'Down', diag: 1 }]);
    }
  });

  it('counts a silence still running at the end', () => {
    const c = new SilenceCounter();
    c.feed(packet(T, '10.0.0.1', '10.0.0.23', 'Up'));
    expect(c.silences(T + 2000)[0]).toMatchObject({ longestMs: 2000, from: T, to: T + 2000 });
  });

  it('reads the state of an IPv6 packet', () => {
    const c = new SilenceCounter();
    c.feed(`1796467539.461383 IP6 ::1.49153 > ::1.3784: BFDv1, Control, State Down, Flags: [none], length: 24
\t0x0000:  600e ef21 0020 1140 0000 0000 0000 0000
\t0x0010:  0000 0000 0000 0001 0000 0000 0000 0000
\t0x0020:  0000 0000 0000 0001 c001 0ec8 0020 0033
\t0x0030:  23c0 0318 0000 0001 0000 0000 000f 4240
\t0x0040:  000f 4240 0000 0000
`);
    expect(c.silences(1796467539_461)[0]).toMatchObject({ key: '::1 > ::1', upPackets: 1 });
  });

  it('skips what is not a packet', () => {
    const c = new SilenceCounter();
    c.feed('1 packet captured\n2 packets received by filter\n0 packets dropped by kernel\n');
    expect(c.silences(0)).toEqual([]);
  });
});

describe('describeBfdWatch', () => {
  it('names the quiet ends, and lists every direction when asked', () => {
    const c = new SilenceCounter();
    c.feed(DUMP);
    const names = { '10.0.0.1': 'tor1', '10.0.0.21': 'node-21', '10.0.0.22': 'node-22' };
    const seen = {
      at: T + 3300,
      silences: [c.silences(T + 3300), []],
      dropped: [0, Number.NaN],
      views: [
        {
          name: 'tor1 bfdd',
          samples: 12,
          longestSampleMs: 130,
          maxWaitMs: 4.2,
          maxWaitAt: T + 500,
          blocked: 0,
        },
        { name: 'tor2 bfdd', samples: 0, longestSampleMs: 0, maxWaitMs: 0, maxWaitAt: 0, blocked: 0 },
        {
          name: 'node-22 speaker',
          samples: 12,
          longestSampleMs: 130,
          maxWaitMs: 0.3,
          maxWaitAt: T + 9,
          blocked: 0,
        },
        {
          name: 'node-21 speaker',
          samples: 12,
          longestSampleMs: 130,
          maxWaitMs: 41,
          maxWaitAt: T + 800,
          blocked: 2,
        },
      ],
    };
    const lines = describeBfdWatch(seen, ['10.0.0.1', '10.0.0.2'], names, T, true);
    expect(lines[0]).toContain(
      'tor1: longest silence after an Up packet, from a node 950 ms (node-21), to a node 920 ms (node-21)',
    );
    expect(lines[0]).toContain('bfdd waited for a CPU at most 4 ms (at +500 ms)');
    expect(lines).toContain(
      '    waited for a CPU at most: node-22 speaker 0 ms, node-21 speaker 41 ms (at +800 ms), in I/O wait (D) in 2 samples',
    );
    expect(lines.at(-1)).toBe(
      '    (sampled every 100 ms: 12 samples, at most 130 ms apart, this process being late as well)',
    );
    expect(lines).toContain(
      '      node-21 → tor1: 4 packets, longest silence after Up 950 ms from +300 ms; left Up at +1260 ms (Down, diagnostic 3)',
    );
    expect(lines).toContainEqual(expect.stringMatching(/tor2: no BFD session Up \(0 packets.*not sampled/));
  });
});
