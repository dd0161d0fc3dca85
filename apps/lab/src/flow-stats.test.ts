import { describe, expect, it } from 'vitest';
import { type FlowRecord, flowStats, summarize, type TrafficReport } from './flow-stats.ts';

/** A flow sending every 10 ms from t=0, answered 1 ms later by `node(seq)` unless it returns undefined. */
function flow(port: number, count: number, node: (seq: number) => string | undefined): FlowRecord {
  const sentAt = Array.from({ length: count }, (_, i) => i * 10);
  const replies = sentAt.flatMap((at, seq) => {
    const n = node(seq);
    return n === undefined ? [] : [{ seq, at: at + 1, node: n }];
  });
  return { port, sentAt, replies };
}

describe('flowStats', () => {
  it('a flow answered throughout: no loss, the gap is the sending interval', () => {
    const s = flowStats(
      flow(40000, 100, () => 'node-22'),
      1000,
    );
    expect(s).toMatchObject({ sent: 100, received: 100, lost: 0, recovered: true, firstNode: 'node-22' });
    expect(s.nodes).toEqual({ 'node-22': 100 });
    expect(s.longestGap.ms).toBe(10);
    expect(s.longestGap.lost).toBe(0);
  });

  it('an outage: the longest gap spans the lost datagrams, and names the nodes on both sides', () => {
    // node-21 answers seq 0..29, nothing for 30..109 (800 ms), node-23 from 110 on.
    const s = flowStats(
      flow(40001, 200, (q) => (q < 30 ? 'node-21' : q < 110 ? undefined : 'node-23')),
      2000,
    );
    expect(s.lost).toBe(80);
    expect(s.longestGap).toMatchObject({
      ms: 810,
      from: 291,
      to: 1101,
      fromNode: 'node-21',
      toNode: 'node-23',
      lost: 80,
    });
    expect(s.recovered).toBe(true);
    expect(s.nodes).toEqual({ 'node-21': 30, 'node-23': 90 });
  });

  it('a flow still silent when sending stopped did not recover; its gap runs to the stop', () => {
    const s = flowStats(
      flow(40002, 100, (q) => (q < 50 ? 'node-21' : undefined)),
      1000,
    );
    expect(s.recovered).toBe(false);
    expect(s.longestGap).toMatchObject({ from: 491, to: 1000, toNode: undefined, lost: 50 });
  });

  it('a flow never answered: silent from its first datagram', () => {
    const s = flowStats(
      flow(40003, 10, () => undefined),
      100,
    );
    expect(s).toMatchObject({ received: 0, lost: 10, recovered: false, firstNode: undefined });
    expect(s.longestGap).toMatchObject({ ms: 100, from: 0, to: 100, lost: 10 });
  });

  it('a single lost datagram in the middle is a gap of two intervals', () => {
    const s = flowStats(
      flow(40004, 20, (q) => (q === 7 ? undefined : 'node-22')),
      200,
    );
    expect(s.lost).toBe(1);
    expect(s.longestGap).toMatchObject({ ms: 20, lost: 1 });
    expect(s.recovered).toBe(true);
  });
});

describe('summarize', () => {
  it('counts flows by the node that answered first, the flows that lost packets, and the worst gap', () => {
    const flows = [
      flowStats(
        flow(1, 100, () => 'node-21'),
        1000,
      ),
      flowStats(
        flow(2, 100, (q) => (q < 40 ? 'node-21' : q < 60 ? undefined : 'node-22')),
        1000,
      ),
      flowStats(
        flow(3, 100, () => 'node-23'),
        1000,
      ),
      flowStats(
        flow(4, 100, () => undefined),
        1000,
      ),
    ];
    const r: TrafficReport = {
      dst: '203.0.113.0',
      port: 443,
      intervalMs: 10,
      startedAt: 0,
      stoppedAt: 1000,
      flows,
    };
    const s = summarize(r);
    expect(s.flowsByNode).toEqual({ 'node-21': 2, 'node-23': 1, '(no reply)': 1 });
    expect(s.sent).toBe(400);
    expect(s.lost).toBe(120);
    expect(s.affected.map((f) => f.port)).toEqual([2, 4]);
    expect(s.worst?.port).toBe(4);
    expect(s.unrecovered).toBe(1);
  });
});
