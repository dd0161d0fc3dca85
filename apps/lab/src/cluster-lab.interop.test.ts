// The cluster lab's checks in the interop tier: the same lab (control plane, controller, speakers,
// FRR ToRs, client traffic) and the same steps as `pnpm lab`, asserting on what they measured and
// on every behavioural check the lab makes. Wall-clock promises ("under a second") are printed but
// not asserted: tests never assert on speed (DESIGN.md).
import { kubeSkipReason, labSkipReason } from '@bmlb/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterLab, NODES } from './cluster-lab.ts';
import { Report } from './report.ts';

const skip = labSkipReason({ frr: true }) ?? kubeSkipReason();

describe.skipIf(skip)('the cluster lab: the seed end to end', () => {
  let lab: ClusterLab;
  const report = new Report((t) => process.stdout.write(t));
  /** The behavioural checks made since the last call, failed ones first. */
  let seen = 0;
  const failedSince = () => {
    const fresh = report.checks.slice(seen);
    seen = report.checks.length;
    return fresh.filter((c) => !c.ok && !c.timing).map((c) => `${c.what}${c.detail ? `: ${c.detail}` : ''}`);
  };

  beforeAll(async () => {
    lab = await ClusterLab.start({ report, spreadFlows: 32, failoverFlows: 16, intervalMs: 10 });
  }, 240_000);

  afterAll(async () => {
    await lab?.close();
  }, 60_000);

  it('verification: EXTERNAL-IP from the pool, sessions in the logs and in BGPSessionState, routes under Local', async () => {
    await lab.verify();
    expect(failedSince()).toEqual([]);
    expect(lab.webIP).toMatch(/^203\.0\.113\.\d+$/);
  });

  it('traffic: the client reaches the Service IP through both ToRs, answered by every node', async () => {
    const s = await lab.traffic();
    expect(failedSince()).toEqual([]);
    expect(s.lost).toBe(0);
    expect(Object.keys(s.flowsByNode).sort()).toEqual(NODES.map((n) => n.name));
  });

  it('scale: 20 more Services get IPs from the pool and their routes reach both ToRs; deleted, they leave', async () => {
    const s = await lab.scale(20);
    expect(failedSince()).toEqual([]);
    expect(s.routeMs).toHaveLength(20);
    expect(s.routeMs.every(Number.isFinite)).toBe(true);
  }, 240_000);

  it("drain: node-21's next hop leaves both ToRs under Local; Cluster brings it back; uncordon and a rollout restore it", async () => {
    const d = await lab.drain();
    expect(failedSince()).toEqual([]);
    expect(d.fibMs.every((ms) => ms !== undefined && ms >= 0)).toBe(true);
  }, 240_000);

  it('hard failure with BFD: the next hop leaves both kernel FIBs, BFD first; the client loses only the flows on node-21, and they recover', async () => {
    const r = await lab.hardFailure('seed');
    expect(failedSince()).toEqual([]);
    expect(r.removalMs).toBeDefined();
    expect(r.onFailedNode).toBeGreaterThan(0);
    expect(r.summary.unrecovered).toBe(0);
    // Only flows that were on node-21 lost packets.
    expect(r.summary.affected.every((f) => f.longestGap.fromNode === 'node-21')).toBe(true);
  }, 120_000);

  it('hard failure without BFD: the hold timer takes it down instead, and the flows recover', async () => {
    const r = await lab.hardFailure('none');
    expect(failedSince()).toEqual([]);
    expect(r.removalMs).toBeDefined();
    expect(r.summary.unrecovered).toBe(0);
  }, 120_000);
});
