import { describe, expect, it } from 'vitest';
import {
  bfdDetected,
  bfdFirst,
  type FailureMeasurement,
  formatMeasurement,
  noticed,
  removalMs,
  type TorTimeline,
} from './failover.ts';
import { distribution, summarize } from './failover-loop.ts';

const T0 = 1_764_000_000_000;

function tor(name: string, o: Partial<TorTimeline>): TorTimeline {
  return {
    tor: name,
    lastBfdRx: undefined,
    bfdDown: undefined,
    bgpBfd: undefined,
    bgpDown: undefined,
    bgpDownReason: undefined,
    zebraTx: undefined,
    netlinkTx: undefined,
    fib: undefined,
    fibReceived: undefined,
    fibMessage: undefined,
    ribAgrees: true,
    ...o,
  };
}

// A hard failure as the logs and ip monitor report it: last packet 100 ms before the cut, bfdd
// 900 ms after it, bgpd's 60 ms, zebra's 10 ms, the kernel 1 ms.
const hard: FailureMeasurement = {
  failure: 'cut',
  node: 'node1',
  hop: '10.0.0.11',
  prefix: '203.0.113.20/32',
  t0: T0,
  cutLagMs: 6.2,
  load1: 0.5,
  tors: [
    tor('tor1', {
      lastBfdRx: T0 - 100,
      bfdDown: T0 + 800,
      bgpBfd: T0 + 800,
      bgpDown: T0 + 800,
      bgpDownReason: 'BGP Notification send',
      zebraTx: T0 + 860,
      netlinkTx: T0 + 870,
      fib: T0 + 871.4,
      fibReceived: T0 + 871.6,
    }),
    tor('tor2', {
      bfdDown: T0 + 700,
      bgpDown: T0 + 701,
      zebraTx: T0 + 761,
      netlinkTx: T0 + 771,
      fib: T0 + 772,
    }),
  ],
};

describe('failover measurements', () => {
  it('takes the removal when the last ToR dropped the hop, and what noticed first', () => {
    expect(removalMs(hard)).toBeCloseTo(871.4);
    expect(removalMs({ ...hard, tors: [hard.tors[0] as TorTimeline, tor('tor2', {})] })).toBeUndefined();
    const sigterm = tor('tor1', { bfdDown: T0 + 15, bgpDown: T0 + 3 });
    expect(noticed(sigterm)).toBe(T0 + 3);
    expect(bfdFirst(sigterm)).toBe(false);
    expect(bfdFirst(hard.tors[0] as TorTimeline)).toBe(true);
    expect(noticed(tor('tor1', {}))).toBeUndefined();
    // bfdd logs its state change after telling zebra: bgpd's line can come first.
    const busy = tor('tor2', { bfdDown: T0 + 854, bgpBfd: T0 + 851, bgpDown: T0 + 851 });
    expect(bfdDetected(busy)).toBe(T0 + 851);
    expect(bfdFirst(busy)).toBe(true);
  });

  it('prints each ToR step by step', () => {
    const text = formatMeasurement('hard node failure', hard);
    expect(text).toContain('hard node failure: 0.871 s from the kernel');
    expect(text).toContain(
      'tor1: 0.871 s  = BFD down 800 ms, then 71 ms in FRR (bgpd +0, to zebra +60, to kernel +10, in FIB +1) [its last BFD packet came 100 ms before the cut, BFD down 900 ms after it]',
    );
    expect(formatMeasurement('x', { ...hard, tors: [tor('tor1', { ribAgrees: false })] })).toMatch(
      /NOT REMOVED.*RIB STILL LISTS IT/s,
    );
  });

  it('summarizes runs as min / median / max per step', () => {
    expect(distribution([3, 1, 2, 10])).toEqual({
      n: 4,
      min: 1,
      median: 2.5,
      max: 10,
      sorted: [1, 2, 3, 10],
    });
    expect(distribution([])).toBeUndefined();
    const table = summarize([hard, { ...hard, t0: T0 - 50 }]);
    expect(table).toContain('| tor1: cut → BFD down | 800 | 825 | 850 | 800 850 |');
    expect(table).toContain('| tor1:   last BFD packet received → BFD down | 900 | 900 | 900 | 900 900 |');
    expect(table).toContain('| tor2:   last BFD packet received → cut | – | – | – | (none) |');
    expect(table).toContain('| both ToRs: cut → gone from both | 871 | 896 | 921 | 871 921 |');
  });
});
