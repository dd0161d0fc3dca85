// The demo: the seed topology in network namespaces on this machine — two FRR ToRs (AS 65000,
// ECMP, BFD) and three nodes running the bmlb speaker (AS 65100) — loaded with the seed manifests
// plus Services and endpoints; prints what a network engineer checks on the ToRs and on a node,
// runs the failover drill with measured times, and tears everything down (also on Ctrl-C).
//
//   sudo npx -y pnpm@10.34.8 demo   (from the repository root)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { frrInstalled, Lab } from '@bmlb/netlab';
import { failoverDrill, formatDrill } from '@bmlb/speaker/test-support/failover';
import { speakerConfig, Topology } from '@bmlb/speaker/test-support/topology';

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const say = (s = '') => process.stdout.write(`${s}\n`);
const section = (s: string) => say(`\n${bold(`== ${s}`)}`);

function ensureFrr(): void {
  if (frrInstalled()) return;
  section('FRR is not installed: installing it with apt-get (Debian/Ubuntu)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'frr', 'iproute2'], {
    stdio: 'inherit',
    env,
  });
  if (!frrInstalled()) throw new Error('FRR still missing after apt-get install frr');
}

async function main(): Promise<void> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    process.stderr.write('the demo builds network namespaces: run it as root on Linux (sudo …)\n');
    process.exit(2);
  }
  ensureFrr();
  const lab = await Lab.create({ prefix: 'spkd' });
  try {
    section(
      'Topology: ToRs 10.0.0.1 and 10.0.0.2 (FRR, AS 65000), nodes 10.0.0.11-13 (bmlb speaker, AS 65100), one L2 segment',
    );
    const topo = await Topology.create(lab, { nodes: 3, bfd: true, holdTime: 9 });
    // The seed manifests (pool 203.0.113.0/24, peers tor1/tor2, advertisement with 65000:100 and
    // local-pref 100, the `web` Service with externalTrafficPolicy Local, the BFD profile), the IP
    // the controller would have written into web's status, its endpoints on node1 and node2, and a
    // second Service `api` with policy Cluster. node3 runs without BFD for the drill's comparison.
    const services = [
      {
        name: 'web',
        ips: ['203.0.113.10'],
        policy: 'Local' as const,
        endpointsOn: ['node1', 'node2'],
        pool: 'prod-pool',
      },
      {
        name: 'api',
        ips: ['203.0.113.20'],
        policy: 'Cluster' as const,
        endpointsOn: ['node3'],
        pool: 'prod-pool',
      },
    ];
    for (const n of topo.nodes) topo.writeConfig(n, speakerConfig({ bfd: n.name !== 'node3', services }));
    say(`node1's config FILE (${topo.node('node1').configFile}):`);
    say(fs.readFileSync(topo.node('node1').configFile, 'utf8').replace(/^/gm, '  | '));
    section('Starting one speaker per node');
    await Promise.all(topo.nodes.map((n) => topo.startSpeaker(n)));
    await topo.waitEstablished();
    await topo.waitNextHops('203.0.113.10/32', ['10.0.0.11', '10.0.0.12']);
    await topo.waitNextHops('203.0.113.20/32', ['10.0.0.11', '10.0.0.12', '10.0.0.13']);

    for (const [i, tor] of topo.tors.entries()) {
      section(`tor${i + 1}# show bgp summary`);
      say(await tor.vtysh('show bgp summary'));
      section(`tor${i + 1}# show ip route 203.0.113.10   (web, Local policy: the two nodes with endpoints)`);
      say(await tor.vtysh('show ip route 203.0.113.10'));
      section(`tor${i + 1}# show ip route 203.0.113.20   (api, Cluster policy: every node)`);
      say(await tor.vtysh('show ip route 203.0.113.20'));
      section(`tor${i + 1}# show bgp ipv4 unicast 203.0.113.10`);
      say(await tor.vtysh('show bgp ipv4 unicast 203.0.113.10'));
    }
    section('tor1# show bfd peers brief');
    await tor1BfdUp(topo);
    say(await topo.tors[0]?.vtysh('show bfd peers brief'));
    section('node1$ speaker status');
    say(await topo.speakerStatus(topo.node('node1')));

    section(
      "Failover drill on 203.0.113.20 (from the failure until each ToR's kernel FIB dropped the node, seen by ip monitor; the ToR's steps from its FRR logs)",
    );
    const r = await failoverDrill(
      topo,
      '203.0.113.20/32',
      { bfdNode: 'node1', plainNode: 'node3', termNode: 'node2' },
      (l) => say(`  ${l}`),
    );
    say(formatDrill(r));
    section('tor1# show ip route 203.0.113.20   (after the drill: every node is gone)');
    say((await topo.tors[0]?.vtysh('show ip route 203.0.113.20'))?.trim() || '% Network not in table');
    section('Tearing down');
  } finally {
    await lab.close();
  }
  say('done: namespaces, daemons and files removed');
}

async function tor1BfdUp(topo: Topology): Promise<void> {
  const tor = topo.tors[0];
  if (tor === undefined) return;
  await tor.waitFor(async () => (await tor.bfdPeers()).filter((p) => p.status === 'up').length >= 2, {
    timeoutMs: 15_000,
    what: 'BFD up with node1 and node2',
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
