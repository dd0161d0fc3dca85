import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from './exec.ts';
import { pidAlive } from './frr.ts';
import { Lab } from './lab.ts';
import { labSkipReason } from './require.ts';

const skip = labSkipReason({ frr: true, gobgp: true });

async function netnsList(): Promise<string[]> {
  const out = (await run(['ip', 'netns', 'list'])).stdout;
  return out
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
}

describe('Lab (pure checks)', () => {
  it('rejects a bad prefix', async () => {
    await expect(Lab.create({ prefix: 'Too-Long-Prefix' })).rejects.toThrow(/prefix/);
  });
});

describe.skipIf(skip)('Lab', () => {
  let lab: Lab | undefined;
  afterEach(async () => {
    await lab?.close();
    lab = undefined;
  });

  it('links two namespaces with v4 and v6 and tears everything down', async () => {
    lab = await Lab.create({ prefix: 'nlt' });
    const a = await lab.namespace('a');
    const b = await lab.namespace('b');
    expect(a.fullName).toMatch(/^nlt[0-9a-f]{4}-a$/);
    await lab.link(a, b, { aAddrs: ['10.99.0.1/30', 'fd99::1/64'], bAddrs: ['10.99.0.2/30', 'fd99::2/64'] });
    expect(await a.probeTcp('10.99.0.2')).toBe('refused');
    expect(await a.probeTcp('fd99::2')).toBe('refused');
    expect(await a.probeTcp('10.99.0.3', 9, 300)).not.toBe('refused');
    const sleeper = lab.spawn(b, ['sh', '-c', 'echo started; exec sleep 600'], { name: 'sleeper' });
    await sleeper.waitForOutput('started');
    expect(await b.pids()).toContain(sleeper.pid);
    const dir = lab.dir;
    const names = [a.fullName, b.fullName];
    await expect(lab.namespace('a')).rejects.toThrow(/exists already/);
    await lab.close();
    expect(sleeper.running).toBe(false);
    expect(sleeper.exit?.signal).toBe('SIGTERM');
    const left = await netnsList();
    for (const n of names) expect(left).not.toContain(n);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('links the root namespace to a lab namespace, and removes the link on close', async () => {
    lab = await Lab.create({ prefix: 'nlt' });
    const ns = await lab.namespace('r');
    const { rootIfname } = await lab.rootLink(ns, { rootAddrs: ['10.95.0.1/30'], nsAddrs: ['10.95.0.2/30'] });
    // From this (root) process: a TCP probe to the namespace answers with a RST.
    const { connect } = await import('node:net');
    const code = await new Promise<string | undefined>((resolve) => {
      const s = connect({ host: '10.95.0.2', port: 9, localAddress: '10.95.0.1' });
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code));
      s.on('connect', () => resolve('connected'));
    });
    expect(code).toBe('ECONNREFUSED');
    await lab.close();
    expect((await run(['ip', 'link', 'show'])).stdout).not.toContain(rootIfname);
  });

  it('puts many hosts on one L2 segment', async () => {
    lab = await Lab.create({ prefix: 'nlt' });
    const seg = await lab.segment('lan');
    const hosts = await Promise.all(['h1', 'h2', 'h3'].map((n) => lab!.namespace(n)));
    for (const [i, h] of hosts.entries())
      await seg.attach(h, { addrs: [`10.98.0.${i + 1}/24`, `fd98::${i + 1}/64`] });
    expect(await hosts[0]!.probeTcp('10.98.0.3')).toBe('refused');
    expect(await hosts[2]!.probeTcp('fd98::2')).toBe('refused');
    expect(await seg.bridgeNs.exec(['bridge', 'link', 'show'])).toMatch(/p2-h3.*master br0/);
    await expect(seg.attach(hosts[0]!, { ifname: 'eth0' })).rejects.toThrow(/exists already/);
  });

  it('runs FRR bgpd and gobgpd to Established, and stops them by PID', async () => {
    lab = await Lab.create({ prefix: 'nlt' });
    const r1 = await lab.namespace('frr');
    const r2 = await lab.namespace('gobgp');
    await lab.link(r1, r2, { aAddrs: ['10.97.0.1/30'], bAddrs: ['10.97.0.2/30'] });
    const frr = await lab.frr(r1, {
      daemons: ['zebra', 'bgpd', 'bfdd', 'staticd'],
      realtime: ['bfdd'],
      config: `frr defaults datacenter
hostname r1
router bgp 65000
 bgp router-id 10.97.0.1
 no bgp ebgp-requires-policy
 neighbor 10.97.0.2 remote-as 65001
 neighbor 10.97.0.2 timers connect 1
 address-family ipv4 unicast
  network 10.96.0.0/24
 exit-address-family
ip route 10.96.0.0/24 blackhole
`,
    });
    const gobgp = await lab.gobgp(r2, {
      config: `[global.config]
  as = 65001
  router-id = "10.97.0.2"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.97.0.1"
    peer-as = 65000
`,
    });
    const n = await frr.waitForBgpState('10.97.0.2');
    expect(n.remoteAs).toBe(65001);
    await gobgp.waitForNeighborState('10.97.0.1');
    // FRR's route arrives in GoBGP's RIB.
    // FRR's route (a static blackhole announced with `network`) arrives in GoBGP's RIB.
    const rib = await frr.waitFor(
      async () => {
        const out = await gobgp.gobgp(['global', 'rib']);
        return /10\.96\.0\.0\/24\s+10\.97\.0\.1/.test(out) ? out : undefined;
      },
      { what: 'route 10.96.0.0/24 in GoBGP' },
    );
    expect(rib).toContain('10.96.0.0/24');
    expect(await frr.routes('10.96.0.0/24')).toHaveLength(1);
    expect(
      (await frr.vtyshJson<{ ipv4Unicast?: { peers?: object } }>('show bgp summary json')).ipv4Unicast?.peers,
    ).toHaveProperty('10.97.0.2');
    await expect(frr.vtysh('show no-such-thing')).rejects.toThrow(/Unknown command/);
    // SCHED_FIFO for bfdd only, SCHED_OTHER for the rest, as chrt reads them back.
    const policy = async (pid: number | undefined) =>
      /scheduling policy: (\S+)/.exec((await run(['chrt', '--pid', String(pid)])).stdout)?.[1];
    expect(await policy(frr.pids.get('bfdd'))).toBe('SCHED_FIFO');
    expect(await policy(frr.pids.get('bgpd'))).toBe('SCHED_OTHER');
    const pids = [...frr.pids.values(), gobgp.proc.pid];
    expect(pids.every(pidAlive)).toBe(true);
    await lab.close();
    expect(pids.some(pidAlive)).toBe(false);
    expect(fs.existsSync(frr.runDir)).toBe(false);
  });
});
