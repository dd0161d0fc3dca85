// Interop in network namespaces: two FRR ToRs and three nodes running our speaker on one L2 segment
// (the seed topology), checked on the ToRs the way a network engineer would; then a second lab for
// iBGP (LOCAL_PREF), TCP MD5 and GoBGP as another kind of peer.
import fs from 'node:fs';
import http from 'node:http';
import { Lab, labSkipReason, waitFor } from '@bmlb/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bfdFirst, failoverDrill, formatDrill, removalMs } from './test-support/failover.ts';
import {
  type ServiceSpec,
  type SpeakerNode,
  serviceManifests,
  speakerConfig,
  Topology,
  V6_AND_LARGE_DOCS,
} from './test-support/topology.ts';

const skip = labSkipReason({ frr: true, gobgp: true });
if (skip) console.warn(`speaker interop skipped: ${skip}`);

const WEB = '203.0.113.10';
const API = '203.0.113.20';
const WEB6 = '2001:db8:100::10';
const NODE_ADDRS = ['10.0.0.11', '10.0.0.12', '10.0.0.13'];

/** The link-local address of a node's eth0. */
async function linkLocal(n: SpeakerNode): Promise<string> {
  const j = JSON.parse(await n.ns.exec(['ip', '-j', '-6', 'addr', 'show', 'dev', 'eth0'])) as Array<{
    addr_info?: Array<{ family?: string; local?: string; scope?: string }>;
  }>;
  const a = j.flatMap((i) => i.addr_info ?? []).find((x) => x.family === 'inet6' && x.scope === 'link');
  if (a?.local === undefined) throw new Error(`${n.name}: no link-local address on eth0`);
  return a.local;
}

function nodeConfig(bfd: boolean, services: readonly ServiceSpec[], extra: readonly string[] = []): string {
  return speakerConfig({ bfd, services, extra: [V6_AND_LARGE_DOCS, ...extra] });
}

describe.skipIf(skip)('speaker against FRR ToRs (seed topology)', () => {
  let lab: Lab;
  let topo: Topology;
  let services: ServiceSpec[];
  /** node1 and node2 run BFD with both ToRs (the seed's profile); node3 does not. */
  const bfdNodes = new Set(['node1', 'node2']);
  const writeAll = (extraFor: (node: string) => string[] = () => []) => {
    for (const n of topo.nodes)
      topo.writeConfig(n, nodeConfig(bfdNodes.has(n.name), services, extraFor(n.name)));
  };
  const counters = async () =>
    Promise.all(
      topo.tors.map(async (t) =>
        Object.fromEntries(
          Object.entries(await topo.bgpPeers(t)).map(([k, v]) => [
            k,
            `${v.connectionsEstablished}/${v.connectionsDropped}`,
          ]),
        ),
      ),
    );
  const statusJson = async (n: SpeakerNode) => JSON.parse(await topo.speakerStatus(n, true));

  beforeAll(async () => {
    lab = await Lab.create({ prefix: 'spk' });
    topo = await Topology.create(lab, { nodes: 3, bfd: true, ipv6: true, holdTime: 9 });
    services = [
      { name: 'web', ips: [WEB], policy: 'Cluster', endpointsOn: ['node1'] },
      { name: 'api', ips: [API], policy: 'Local', endpointsOn: ['node1', 'node2'] },
      { name: 'web6', ips: [WEB6], policy: 'Cluster', endpointsOn: ['node3'] },
    ];
    writeAll();
    await Promise.all(topo.nodes.map((n) => topo.startSpeaker(n)));
  }, 60_000);

  afterAll(async () => {
    await lab?.close();
  }, 30_000);

  it('establishes IPv4 and IPv6 sessions with both ToRs from every node', async () => {
    await topo.waitEstablished();
    for (const tor of topo.tors)
      for (const n of topo.nodes) await tor.waitForBgpState(n.addr6, 'Established', { timeoutMs: 20_000 });
  }, 60_000);

  it('Cluster policy: the Service IP has three ECMP next hops on each ToR', async () => {
    await topo.waitNextHops(`${WEB}/32`, NODE_ADDRS);
  }, 30_000);

  it('Local policy with endpoints on two nodes: two next hops', async () => {
    await topo.waitNextHops(`${API}/32`, ['10.0.0.11', '10.0.0.12']);
  }, 30_000);

  it('removing an endpoint in FILE removes that next hop without resetting any session', async () => {
    const before = await counters();
    services = services.map((s) => (s.name === 'api' ? { ...s, endpointsOn: ['node1'] } : s));
    writeAll();
    await topo.waitNextHops(`${API}/32`, ['10.0.0.11']);
    await topo.waitNextHops(`${WEB}/32`, NODE_ADDRS);
    expect(await counters()).toEqual(before);
  }, 30_000);

  it('community 65000:100 and large community 65000:1:2 reach the ToR; no LOCAL_PREF over eBGP', async () => {
    const r = await topo.tors[0]?.vtyshJson<{ paths: Array<Record<string, unknown>> }>(
      `show bgp ipv4 unicast ${WEB}/32 json`,
    );
    const paths = r?.paths ?? [];
    expect(paths).toHaveLength(3);
    for (const p of paths) {
      expect((p.community as { string: string }).string).toBe('65000:100');
      expect((p.largeCommunity as { string: string }).string).toBe('65000:1:2');
      expect((p.aspath as { string: string }).string).toBe('65100');
      // FRR shows 'locPrf' only for a LOCAL_PREF it received (eBGP never carries one).
      expect(p.locPrf).toBeUndefined();
    }
  }, 20_000);

  it('a changed advertisement re-announces through the running sessions (no reset)', async () => {
    const before = await counters();
    const large = (c: string) =>
      `apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: { name: large-adv, namespace: metallb-system }\nspec: { ipAddressPools: [prod-pool], communities: ["${c}"], localPref: 100 }`;
    const largeOnTor = async (want: string) =>
      waitFor(
        async () => {
          const r = await topo.tors[0]?.vtyshJson<{ paths?: Array<{ largeCommunity?: { string: string } }> }>(
            `show bgp ipv4 unicast ${WEB}/32 json`,
          );
          const got = (r?.paths ?? []).map((p) => p.largeCommunity?.string);
          return got.length === 3 && got.every((g) => g === want);
        },
        { timeoutMs: 10_000, what: `large community ${want} on all three paths` },
      );
    writeAll(() => [large('large:65000:3:4')]);
    await largeOnTor('65000:3:4');
    writeAll();
    await largeOnTor('65000:1:2');
    expect(await counters()).toEqual(before);
  }, 30_000);

  it('a changed peer field resets that peer only (hold time of tor2 on node3)', async () => {
    const before = await counters();
    const tor2 = `apiVersion: metallb.io/v1beta1\nkind: BGPPeer\nmetadata: { name: tor2, namespace: metallb-system }\nspec: { myASN: 65100, peerASN: 65000, peerAddress: 10.0.0.2, holdTime: 30s }`;
    writeAll((n) => (n === 'node3' ? [tor2] : []));
    const established = async () => (await topo.bgpPeers(topo.tors[1] as never))['10.0.0.13'];
    await waitFor(
      async () => {
        const p = await established();
        return (
          p?.state === 'Established' &&
          `${p.connectionsEstablished}/${p.connectionsDropped}` !== before[1]?.['10.0.0.13']
        );
      },
      { timeoutMs: 20_000, what: 'node3 to re-establish with tor2' },
    );
    await topo.waitNextHops(`${WEB}/32`, NODE_ADDRS);
    const after = await counters();
    expect(after[0]).toEqual(before[0]);
    expect({ ...after[1], '10.0.0.13': 'x' }).toEqual({ ...before[1], '10.0.0.13': 'x' });
    expect(after[1]?.['10.0.0.13']).not.toEqual(before[1]?.['10.0.0.13']);
    expect(topo.node('node3').proc?.output()).toMatch(/"event":"peerChanged"[^\n]*"name":"tor2"/);
    // RFC 4486: a changed session parameter is Cease 6/6 (Other Configuration Change), not 6/3
    const log = topo.tors[1]?.logs('bgpd') ?? '';
    expect(log).toMatch(/10\.0\.0\.13[^\n]*6\/6 \(Cease\/Other Configuration Change\)/);
    expect(log).not.toMatch(/10\.0\.0\.13[^\n]*6\/3 \(Cease\/Peer Unconfigured\)/);
  }, 40_000);

  it('IPv6: a /128 from an IPv6 pool over the IPv6 sessions', async () => {
    for (const tor of topo.tors) {
      await waitFor(async () => (await topo.nextHops(tor, `${WEB6}/128`)).length === 3, {
        timeoutMs: 20_000,
        what: `${tor.name}: ${WEB6}/128 via three nodes`,
      });
      // FRR installs the link-local address of each node's next hop (RFC 2545 §3, sent beside the global one)
      expect(await topo.nextHops(tor, `${WEB6}/128`)).toEqual(
        (await Promise.all(topo.nodes.map(linkLocal))).sort(),
      );
    }
  }, 30_000);

  it("RFC 2545 §3: the IPv6 next hop carries the node's link-local address beside the global one", async () => {
    const want = Object.fromEntries(
      await Promise.all(topo.nodes.map(async (n) => [n.addr6, await linkLocal(n)] as const)),
    );
    for (const v of Object.values(want)) expect(v).toMatch(/^fe80:/);
    for (const tor of topo.tors) {
      const r = await tor.vtyshJson<{
        paths?: Array<{ peer?: { peerId?: string }; nexthops?: Array<{ ip: string; scope: string }> }>;
      }>(`show bgp ipv6 unicast ${WEB6}/128 json`);
      const seen = Object.fromEntries(
        (r.paths ?? []).map((p) => [
          p.peer?.peerId,
          Object.fromEntries((p.nexthops ?? []).map((h) => [h.scope, h.ip])),
        ]),
      );
      for (const n of topo.nodes)
        expect(seen[n.addr6], `${tor.name}: next hops from ${n.name}`).toEqual({
          global: n.addr6,
          'link-local': want[n.addr6],
        });
    }
  }, 20_000);

  it('speaker status lists both sessions Established and the BFD peers', async () => {
    const text = await topo.speakerStatus(topo.node('node1'));
    expect(text).toMatch(/10\.0\.0\.1\s+tor1\s+65000\s+65100\s+Established/);
    expect(text).toMatch(/fd00::2\s+tor2-v6\s+65000\s+65100\s+Established/);
    // each IP listed with the peers of its family only: what each session sent
    expect(text).toContain(`default/web  ${WEB}  pool prod-pool  → tor1, tor2\n`);
    expect(text).toContain(`default/web6  ${WEB6}  pool v6-pool  → tor1-v6, tor2-v6\n`);
    expect(topo.node('node1').proc?.output()).toMatch(
      /"event":"serviceAnnounced"[^\n]*"service":"default\/web6"[^\n]*"peers":\["tor1-v6","tor2-v6"\]/,
    );
    await waitFor(
      async () =>
        (await statusJson(topo.node('node1'))).bfd.every((b: { state: string }) => b.state === 'up'),
      {
        timeoutMs: 10_000,
        what: 'node1 BFD up with both ToRs',
      },
    );
    const bfd = await topo.tors[0]?.bfdPeers();
    expect(
      bfd
        ?.filter((p) => p.status === 'up')
        .map((p) => p.peer)
        .sort(),
    ).toEqual(['10.0.0.11', '10.0.0.12']);
  }, 20_000);

  it('exposes MetalLB metrics from the running sessions', async () => {
    const node = topo.node('node1');
    await topo.waitEstablished();
    await waitFor(
      async () => (await statusJson(node)).bfd.every((b: { state: string }) => b.state === 'up'),
      {
        timeoutMs: 15_000,
        what: 'node1 BFD up with both ToRs',
      },
    );
    const scrape = () =>
      new Promise<string>((resolve, reject) => {
        http
          .get({ socketPath: node.statusSocket, path: '/metrics' }, (res) => {
            let body = '';
            res.on('data', (c: Buffer) => {
              body += c.toString();
            });
            res.on('end', () => resolve(body));
          })
          .on('error', reject);
      });
    const valueIn = (body: string, name: string, peer: string) =>
      Number(
        new RegExp(`^${name}\\{peer="${peer.replaceAll('.', '\\.')}",vrf="default"\\} (\\S+)$`, 'm').exec(
          body,
        )?.[1],
      );
    // The ToRs' view (above) covers the IPv4 sessions; wait until node1's own counters show both
    // address families up and both Services announced, then check everything on one scrape.
    let text = '';
    await waitFor(
      async () => {
        text = await scrape();
        return (
          valueIn(text, 'metallb_bgp_session_up', '10.0.0.1') === 1 &&
          valueIn(text, 'metallb_bgp_session_up', 'fd00::2') === 1 &&
          valueIn(text, 'metallb_bgp_announced_prefixes_total', '10.0.0.1') === 2
        );
      },
      { timeoutMs: 15_000, what: "node1's metrics: sessions up and both Services announced" },
    );
    const value = (name: string, peer: string) => valueIn(text, name, peer);
    expect(value('metallb_bgp_session_up', '10.0.0.1')).toBe(1);
    expect(value('metallb_bgp_session_up', 'fd00::2')).toBe(1);
    expect(value('metallb_bgp_opens_sent', '10.0.0.1')).toBeGreaterThanOrEqual(1);
    expect(value('metallb_bgp_opens_received', '10.0.0.1')).toBeGreaterThanOrEqual(1);
    expect(value('metallb_bgp_updates_total', '10.0.0.1')).toBeGreaterThanOrEqual(1);
    expect(value('metallb_bgp_keepalives_received', '10.0.0.1')).toBeGreaterThanOrEqual(1);
    expect(value('metallb_bgp_announced_prefixes_total', '10.0.0.1')).toBe(2); // web and api
    expect(value('metallb_bfd_session_up', '10.0.0.1')).toBe(1);
    expect(value('metallb_bfd_control_packet_input', '10.0.0.1')).toBeGreaterThan(0);
    expect(value('metallb_bfd_control_packet_output', '10.0.0.1')).toBeGreaterThan(0);
    expect(value('metallb_bfd_session_up_events', '10.0.0.1')).toBe(1);
    expect(text).toMatch(/^metallb_k8s_client_config_stale_bool 0$/m);
  }, 45_000);

  it.each([
    [
      'an unknown field',
      'apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: { name: tor9, namespace: metallb-system }\nspec: { myASN: 65100, peerASN: 65000, peerAddress: 10.0.0.9, holdtime: 9s }',
      /BGPPeer\/metallb-system\/tor9: spec.*holdtime/,
    ],
    [
      'overlapping pools',
      'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: { name: overlap, namespace: metallb-system }\nspec: { addresses: [203.0.113.0/25] }',
      /IPAddressPool\/metallb-system\/overlap.*overlap/i,
    ],
    [
      'a peer without ASN',
      'apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: { name: tor9, namespace: metallb-system }\nspec: { myASN: 65100, peerAddress: 10.0.0.9 }',
      /BGPPeer\/metallb-system\/tor9/,
    ],
  ])(
    'bad config (%s): clear error, running sessions and routes untouched',
    async (_what, doc, re) => {
      const node = topo.node('node2');
      const before = await counters();
      topo.writeConfig(node, `${nodeConfig(true, services)}\n---\n${doc}`);
      const st = await waitFor(
        async () => {
          const s = await statusJson(node);
          return s.config.stale === true ? s : undefined;
        },
        { timeoutMs: 5_000, what: 'node2 to report the rejected edit' },
      );
      expect(st.config.lastErrors.join('\n')).toMatch(re);
      expect(await topo.speakerStatus(node)).toContain('STALE');
      expect(node.proc?.output()).toMatch(/"event":"configRejected"/);
      await topo.waitNextHops(`${WEB}/32`, NODE_ADDRS);
      expect(await counters()).toEqual(before);
      topo.writeConfig(node, nodeConfig(true, services));
      await waitFor(async () => (await statusJson(node)).config.stale === false, {
        timeoutMs: 5_000,
        what: 'recovery',
      });
      expect(await counters()).toEqual(before);
    },
    30_000,
  );

  it('an empty FILE and a half-written FILE reach no router (in-place rewrite with pauses)', async () => {
    const node = topo.node('node2');
    const updatesFrom = async () =>
      Promise.all(
        topo.tors.flatMap((t) =>
          [node.addr, node.addr6].map(async (a) => {
            const j = await t.vtyshJson<Record<string, { messageStats?: { updatesRecv?: number } }>>(
              `show bgp neighbors ${a} json`,
            );
            return `${t.name} ${a} ${j[a]?.messageStats?.updatesRecv}`;
          }),
        ),
      );
    await topo.waitNextHops(`${WEB}/32`, NODE_ADDRS);
    const before = await counters();
    const updates = await updatesFrom();
    const text = nodeConfig(true, services);
    // `: > FILE`: a second later the ToRs have seen nothing, and node2 says why
    fs.truncateSync(node.configFile, 0);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await counters()).toEqual(before);
    expect(await updatesFrom()).toEqual(updates);
    expect((await statusJson(node)).config.pending?.kind).toBe('empty');
    expect(await topo.speakerStatus(node)).toMatch(/IGNORED since [^\n]*has no documents/);
    // then the same text again, written in place in two parts with a pause: first everything up to the
    // first Service (no Service at all: held), then the rest
    const cut = text.indexOf('\nkind: Service\n') - 'apiVersion: v1'.length;
    const fd = fs.openSync(node.configFile, 'r+');
    fs.writeSync(fd, text.slice(0, cut));
    await new Promise((r) => setTimeout(r, 300));
    fs.writeSync(fd, text.slice(cut));
    fs.closeSync(fd);
    await waitFor(async () => (await statusJson(node)).config.pending === undefined, {
      timeoutMs: 5_000,
      what: 'node2 back on its configuration',
    });
    expect(node.proc?.output()).toMatch(/"event":"configRestored"/);
    // nothing reached the ToRs: no session reset, no UPDATE, every route in place
    await topo.waitNextHops(`${WEB}/32`, NODE_ADDRS);
    expect(await counters()).toEqual(before);
    expect(await updatesFrom()).toEqual(updates);
  }, 30_000);

  it('RFC 8950: the IPv4 sessions do not advertise the extended next hop capability', async () => {
    for (const tor of topo.tors) {
      const j = await tor.vtyshJson<Record<string, { neighborCapabilities?: Record<string, unknown> }>>(
        'show bgp neighbors 10.0.0.11 json',
      );
      const caps = j['10.0.0.11']?.neighborCapabilities;
      expect(caps, `${tor.name}: capabilities of node1`).toBeDefined();
      expect(JSON.stringify(caps?.extendedNexthop ?? 'none')).not.toMatch(/[Rr]eceived/);
    }
  }, 20_000);

  it('failover drill: hard failure with BFD, hard failure without BFD (hold time), SIGKILL, SIGTERM', async () => {
    const r = await failoverDrill(topo, `${WEB}/32`, {
      bfdNode: 'node1',
      plainNode: 'node3',
      termNode: 'node2',
    });
    console.log(
      `failover drill: when each ToR's kernel FIB stopped forwarding to the node (ip monitor), and the ToR's steps from its logs:\n${formatDrill(r)}`,
    );
    // Behaviour, not speed (the figures are printed): every next hop left both ToRs' kernel FIBs and
    // FRR's RIBs; with BFD the ToRs' bfdd declared the node down and took it away long before the
    // hold time; without BFD they waited for the hold timer (the cut came at most one keepalive,
    // 3 s, after the last one: the 9 s hold timer cannot expire sooner than 6 s after the cut).
    for (const m of [r.hardBfd, r.hardNoBfd, r.sigkill, r.sigterm]) {
      expect(removalMs(m), `${m.failure} of ${m.node}`).toBeDefined();
      for (const t of m.tors) expect(t.ribAgrees, `${t.tor} RIB after ${m.failure} of ${m.node}`).toBe(true);
    }
    for (const t of r.hardBfd.tors) {
      expect(t.bfdDown, `${t.tor}: bfdd declared node1 down`).toBeDefined();
      expect(bfdFirst(t), `${t.tor}: BFD, not the hold timer, took the session down`).toBe(true);
      expect(t.bgpDownReason).toMatch(/BFD|Notification/);
    }
    for (const t of r.hardNoBfd.tors) {
      expect(t.bfdDown).toBeUndefined();
      expect((t.fib as number) - r.hardNoBfd.t0).toBeGreaterThan(6_000);
    }
    expect(r.sigtermExitCode).toBe(0);
    // FRR logs the NOTIFICATION it received from node2 (6/2 with our RFC 9003 message).
    const log = topo.tors[0]?.logs('bgpd') ?? '';
    expect(log).toMatch(/10\.0\.0\.12[^\n]*6\/2 \(Cease\/Administrative Shutdown\)/);
    expect(log).toMatch(/bmlb speaker on node node2 shutting down \(SIGTERM\)/);
  }, 60_000);

  it('our BFD Down takes our BGP session down at once (tor2 bfdd killed: Cease 6/10 from the node)', async () => {
    const n1 = topo.node('node1');
    await n1.ns.setUp('eth0'); // the drill cut it
    if (n1.proc?.running !== true) await topo.startSpeaker(n1);
    const tor2 = topo.tors[1];
    if (tor2 === undefined) throw new Error('no tor2');
    await tor2.waitForBgpState(n1.addr, 'Established', { timeoutMs: 30_000 });
    await waitFor(async () => (await statusJson(n1)).bfd.every((b: { state: string }) => b.state === 'up'), {
      timeoutMs: 15_000,
      what: 'node1 BFD up with both ToRs',
    });
    const t0 = performance.now();
    tor2.killDaemon('bfdd');
    await n1.proc?.waitForOutput(/"event":"bfdDown"[^\n]*"peer":"10\.0\.0\.2"/, { timeoutMs: 5_000 });
    const detectMs = performance.now() - t0;
    await waitFor(() => /10\.0\.0\.11[^\n]*6\/10/.test(tor2.logs('bgpd')), {
      timeoutMs: 5_000,
      what: 'tor2 to log the Cease 6/10 (BFD Down) from node1',
    });
    console.log(
      `our BFD declared tor2 down ${detectMs.toFixed(0)} ms after its bfdd died; BGP to tor2 closed with Cease 6/10`,
    );
    const st = await statusJson(n1);
    expect(st.bfd.find((b: { peer: string }) => b.peer === '10.0.0.2')?.state).toBe('down');
    // tor1 was not touched.
    expect(st.bfd.find((b: { peer: string }) => b.peer === '10.0.0.1')?.state).toBe('up');
    await topo.tors[0]?.waitForBgpState(n1.addr, 'Established', { timeoutMs: 5_000 });
  }, 60_000);
});

describe.skipIf(skip)('speaker toward an iBGP FRR with TCP MD5, toward GoBGP, and with a localASN', () => {
  let lab: Lab;
  let topo: Topology;

  beforeAll(async () => {
    lab = await Lab.create({ prefix: 'spk' });
    topo = await Topology.create(lab, { nodes: 1, tors: 0 });
    const rrNs = await lab.namespace('rr', { ipForward: true });
    await topo.segment.attach(rrNs, { ifname: 'eth0', addrs: ['10.0.0.3/24'] });
    topo.tors.push(
      await lab.frr(rrNs, {
        name: `${lab.id}-rr`,
        config: `frr defaults datacenter
hostname rr
router bgp 65100
 bgp router-id 10.0.0.3
 no bgp ebgp-requires-policy
 neighbor 10.0.0.11 remote-as 65100
 neighbor 10.0.0.11 password s3cret-md5
 neighbor 10.0.0.11 timers connect 1
 address-family ipv4 unicast
  neighbor 10.0.0.11 activate
 exit-address-family
!
`,
      }),
    );
    const gbNs = await lab.namespace('gobgp');
    await topo.segment.attach(gbNs, { ifname: 'eth0', addrs: ['10.0.0.4/24'] });
    const gobgp = await lab.gobgp(gbNs, {
      config: `[global.config]
  as = 65200
  router-id = "10.0.0.4"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.0.0.11"
    peer-as = 65100
`,
    });
    (topo as unknown as { gobgp: typeof gobgp }).gobgp = gobgp;
    // An eBGP router that knows this node as AS 64999 only: BGPPeer localASN (FRR's local-as
    // 64999 no-prepend replace-as, as MetalLB's FRR backends configure it).
    const lasNs = await lab.namespace('lasn', { ipForward: true });
    await topo.segment.attach(lasNs, { ifname: 'eth0', addrs: ['10.0.0.5/24'] });
    topo.tors.push(
      await lab.frr(lasNs, {
        name: `${lab.id}-lasn`,
        config: `frr defaults datacenter
hostname lasn
router bgp 65300
 bgp router-id 10.0.0.5
 no bgp ebgp-requires-policy
 neighbor 10.0.0.11 remote-as 64999
 neighbor 10.0.0.11 timers connect 1
 address-family ipv4 unicast
  neighbor 10.0.0.11 activate
 exit-address-family
!
`,
      }),
    );
    const node = topo.node('node1');
    topo.writeConfig(
      node,
      `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: prod-pool, namespace: metallb-system }
spec: { addresses: [203.0.113.0/24] }
---
apiVersion: v1
kind: Secret
metadata: { name: rr-md5, namespace: metallb-system }
type: kubernetes.io/basic-auth
stringData: { password: s3cret-md5 }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: rr, namespace: metallb-system }
spec: { myASN: 65100, peerASN: 65100, peerAddress: 10.0.0.3, passwordSecret: { name: rr-md5, namespace: metallb-system } }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: gobgp, namespace: metallb-system }
spec: { myASN: 65100, peerASN: 65200, peerAddress: 10.0.0.4 }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: lasn, namespace: metallb-system }
spec: { myASN: 65100, localASN: 64999, peerASN: 65300, peerAddress: 10.0.0.5 }
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: adv, namespace: metallb-system }
spec: { ipAddressPools: [prod-pool], localPref: 250, communities: ["65000:100", "large:65100:7:7"] }
---
${serviceManifests({ name: 'web', ips: [WEB], policy: 'Cluster', endpointsOn: ['node1'] })}`,
    );
    await topo.startSpeaker(node);
  }, 60_000);

  afterAll(async () => {
    await lab?.close();
  }, 30_000);

  it('TCP MD5 (FRR neighbor password, key from passwordSecret) and LOCAL_PREF over iBGP', async () => {
    const rr = topo.tors[0];
    if (rr === undefined) throw new Error('no rr');
    await rr.waitForBgpState('10.0.0.11', 'Established', { timeoutMs: 30_000 });
    const r = await rr.waitFor(
      async () => {
        const j = await rr.vtyshJson<{ paths?: Array<Record<string, unknown>> }>(
          `show bgp ipv4 unicast ${WEB}/32 json`,
        );
        return j.paths?.[0];
      },
      { timeoutMs: 10_000, what: 'rr to hold the route' },
    );
    expect(r.locPrf).toBe(250);
    expect((r.community as { string: string }).string).toBe('65000:100');
    expect((r.largeCommunity as { string: string }).string).toBe('65100:7:7');
    expect(fs.existsSync(topo.node('node1').statusSocket)).toBe(true);
  }, 40_000);

  it('GoBGP (gobgpd) as a second kind of peer: Established, route with our AS path and communities', async () => {
    const gobgp = (topo as unknown as { gobgp: import('@bmlb/netlab').GobgpInstance }).gobgp;
    await gobgp.waitForNeighborState('10.0.0.11', 'established', { timeoutMs: 30_000 });
    const rib = await waitFor(
      async () => {
        const out = await gobgp.gobgp(['global', 'rib', '-a', 'ipv4']);
        return out.includes(`${WEB}/32`) ? out : undefined;
      },
      { timeoutMs: 10_000, what: 'gobgpd to hold the route' },
    );
    expect(rib).toMatch(new RegExp(`${WEB.replaceAll('.', '\\.')}/32\\s+10\\.0\\.0\\.11\\s+65100`));
    const detail = await gobgp.gobgp(['global', 'rib', '-a', 'ipv4', `${WEB}/32`]);
    expect(detail).toMatch(/65000:100/);
    expect(detail).not.toMatch(/LocalPref/i);
  }, 40_000);

  it('BGPPeer localASN: the session opens as AS 64999 and the route carries AS_PATH 64999 only', async () => {
    const lasn = topo.tors[1];
    if (lasn === undefined) throw new Error('no lasn router');
    await lasn.waitForBgpState('10.0.0.11', 'Established', { timeoutMs: 30_000 });
    const r = await lasn.waitFor(
      async () => {
        const j = await lasn.vtyshJson<{ paths?: Array<Record<string, unknown>> }>(
          `show bgp ipv4 unicast ${WEB}/32 json`,
        );
        return j.paths?.[0];
      },
      { timeoutMs: 10_000, what: 'the localASN router to hold the route' },
    );
    expect((r.aspath as { string: string }).string).toBe('64999');
  }, 40_000);
});
