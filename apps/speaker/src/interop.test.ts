// Interop in network namespaces: two FRR ToRs and three nodes running our speaker on one L2 segment
// (the seed topology), checked on the ToRs the way a network engineer would.
import { Lab, labSkipReason, sleep } from '@bmlb/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedManifests, serviceManifests, Topology } from './test-support/topology.ts';

const skip = labSkipReason({ frr: true });
if (skip) console.warn(`speaker interop skipped: ${skip}`);

const IP = '203.0.113.10';
const PFX = `${IP}/32`;

function config(extra: string[] = [], opts: { bfd?: boolean } = {}): string {
  return [seedManifests({ bfd: opts.bfd ?? false }), ...extra].join('\n---\n');
}

describe.skipIf(skip)('speaker against FRR ToRs (seed topology)', () => {
  let lab: Lab;
  let topo: Topology;

  beforeAll(async () => {
    lab = await Lab.create({ prefix: 'spk' });
    topo = await Topology.create(lab, { nodes: 3 });
    const svc = serviceManifests({ name: 'web', ips: [IP], policy: 'Cluster', endpointsOn: ['node1'] });
    for (const n of topo.nodes) topo.writeConfig(n, config([svc]));
    await Promise.all(topo.nodes.map((n) => topo.startSpeaker(n)));
  }, 60_000);

  afterAll(async () => {
    await lab?.close();
  }, 30_000);

  it('establishes sessions with both ToRs from every node', async () => {
    await topo.waitEstablished();
  }, 40_000);

  it('Cluster policy: the Service IP has three ECMP next hops on each ToR', async () => {
    await topo.waitNextHops(PFX, ['10.0.0.11', '10.0.0.12', '10.0.0.13']);
  }, 30_000);
});
