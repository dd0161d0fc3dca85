import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { AdvertisementInfo } from '../announce/types.ts';
import { loadManifests } from '../config/load.ts';
import { type FakeBfd, type FakeBgp, fakeFactory } from '../test-support/fake-sessions.ts';
import { advertisement } from '../test-support/fixtures.ts';
import { SpeakerMetrics } from './metrics.ts';
import { Speaker } from './speaker.ts';
import type { BfdProfileConfig, PeerConfig, SpeakerSnapshot } from './types.ts';

const profile: BfdProfileConfig = {
  name: 'tor-bfd',
  receiveInterval: 300,
  transmitInterval: 300,
  detectMultiplier: 3,
  echoMode: false,
  echoInterval: 50,
  passiveMode: false,
  minimumTtl: 254,
};

const peerCfg = (name: string, address: string, over: Partial<PeerConfig> = {}): PeerConfig => ({
  name,
  address,
  port: 179,
  myASN: 65100,
  peerASN: 65000,
  dynamicASN: undefined,
  holdTime: 90,
  keepaliveTime: undefined,
  connectTime: undefined,
  routerID: undefined,
  sourceAddress: undefined,
  password: undefined,
  ebgpMultiHop: false,
  enableGracefulRestart: false,
  disableMP: false,
  vrf: undefined,
  bfdProfile: undefined,
  ...over,
});

const adv = (over: Partial<AdvertisementInfo> = {}): AdvertisementInfo => advertisement('adv', over);

function snapshot(
  peers: PeerConfig[],
  advs: AdvertisementInfo[] = [adv()],
  readyNodes = ['n1'],
): SpeakerSnapshot {
  return {
    announce: {
      pools: [{ name: 'p', addresses: ['203.0.113.0/24'], labels: {} }],
      peers: peers.map((p) => ({
        name: p.name,
        myASN: p.myASN,
        peerASN: p.peerASN,
        nodeSelectors: [],
        families: [p.address.includes(':') ? 6 : 4],
      })),
      advertisements: advs,
    },
    peers,
    services: [
      {
        metadata: { name: 'web', namespace: 'default' },
        spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local' },
        status: { loadBalancer: { ingress: [{ ip: '203.0.113.10' }] } },
      },
    ],
    endpointSlices: [
      {
        metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
        endpoints: readyNodes.map((n, i) => ({
          addresses: [`10.244.0.${i + 1}`],
          nodeName: n,
          conditions: { ready: true },
        })),
      },
    ],
    nodes: [],
  };
}

function make(logs?: Record<string, unknown>[]) {
  const f = fakeFactory();
  const metrics = new SpeakerMetrics({ processMetrics: false });
  const logger =
    logs === undefined
      ? pino({ level: 'silent' })
      : pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const speaker = new Speaker({ nodeName: 'n1', factory: f.factory, logger, metrics });
  return { ...f, speaker, metrics };
}

const last = (s: FakeBgp) => [...(s.routes.at(-1)?.ipv4.keys() ?? [])];

describe('Speaker applies configuration as a difference', () => {
  it('starts one session per peer and hands each its routes', () => {
    const { speaker, bgp } = make();
    speaker.apply(snapshot([peerCfg('tor1', '10.0.0.1'), peerCfg('tor2', '10.0.0.2')]));
    expect(bgp.map((s) => s.cfg.name)).toEqual(['tor1', 'tor2']);
    expect(last(bgp[0] as FakeBgp)).toEqual(['203.0.113.10/32']);
    expect(last(bgp[1] as FakeBgp)).toEqual(['203.0.113.10/32']);
  });

  it('a changed advertisement re-announces through the same sessions (no reset)', () => {
    const { speaker, bgp } = make();
    const peers = [peerCfg('tor1', '10.0.0.1')];
    speaker.apply(snapshot(peers));
    speaker.apply(snapshot(peers, [adv({ communities: [42] })]));
    expect(bgp).toHaveLength(1);
    expect((bgp[0] as FakeBgp).log).toEqual([]);
    expect((bgp[0] as FakeBgp).routes.at(-1)?.ipv4.get('203.0.113.10/32')?.communities).toEqual([42]);
  });

  it('the last local endpoint leaving withdraws the route without touching the session', () => {
    const { speaker, bgp } = make();
    const peers = [peerCfg('tor1', '10.0.0.1')];
    speaker.apply(snapshot(peers));
    speaker.apply(snapshot(peers, [adv()], ['n2']));
    expect(last(bgp[0] as FakeBgp)).toEqual([]);
    expect((bgp[0] as FakeBgp).log).toEqual([]);
  });

  it('a changed session field resets only that peer (Cease 6/6); a removed peer is deconfigured (6/3)', () => {
    const { speaker, bgp } = make();
    speaker.apply(
      snapshot([peerCfg('tor1', '10.0.0.1'), peerCfg('tor2', '10.0.0.2'), peerCfg('tor3', '10.0.0.3')]),
    );
    speaker.apply(snapshot([peerCfg('tor1', '10.0.0.1', { holdTime: 9 }), peerCfg('tor2', '10.0.0.2')]));
    expect(bgp.map((s) => `${s.cfg.name}:${s.log.join(',')}`)).toEqual([
      'tor1:reconfigure',
      'tor2:',
      'tor3:deconfigure',
      'tor1:',
    ]);
    expect((bgp[3] as FakeBgp).cfg.holdTime).toBe(9);
  });

  it("BGPPeer localASN reaches the session's config from a manifest, and changing it needs a new session", () => {
    const manifest = (localASN: string) => `apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: tor1, namespace: metallb-system }
spec: { myASN: 65100, peerASN: 65000, peerAddress: 10.0.0.1${localASN} }
`;
    const loaded = loadManifests(manifest(', localASN: 64999'), 'config.yaml');
    expect(loaded.ok && loaded.snapshot.peers[0]?.localASN).toBe(64999);
    const plain = loadManifests(manifest(''), 'config.yaml');
    expect(plain.ok && plain.snapshot.peers[0]?.localASN).toBeUndefined();
    const { speaker, bgp } = make();
    speaker.apply(snapshot([peerCfg('tor1', '10.0.0.1')]));
    speaker.apply(snapshot([peerCfg('tor1', '10.0.0.1', { localASN: 64999 })]));
    expect(bgp.map((s) => `${s.cfg.name}:${s.log.join(',')}`)).toEqual(['tor1:reconfigure', 'tor1:']);
    expect((bgp[1] as FakeBgp).cfg.localASN).toBe(64999);
  });

  it('an invalid configuration is reported and the running one keeps going', async () => {
    const { speaker, bgp, metrics } = make();
    speaker.load({ ok: true, snapshot: snapshot([peerCfg('tor1', '10.0.0.1')]), warnings: [] }, 'h1');
    const ok = speaker.load({ ok: false, errors: ['BGPPeer metallb-system/tor1: spec.peerASN: required'] });
    expect(ok).toBe(false);
    expect(bgp).toHaveLength(1);
    expect((bgp[0] as FakeBgp).log).toEqual([]);
    const st = speaker.status();
    expect(st.config.stale).toBe(true);
    expect(st.config.hash).toBe('h1');
    expect(st.config.lastErrors).toEqual(['BGPPeer metallb-system/tor1: spec.peerASN: required']);
    const text = await metrics.registry.metrics();
    expect(text).toContain('metallb_k8s_client_config_stale_bool 1');
    expect(text).toContain('metallb_k8s_client_config_loaded_bool 1');
  });

  it('a peer with a BFD profile gets a BFD session; BFD Down takes BGP down, peer AdminDown does not', () => {
    const { speaker, bgp, bfd } = make();
    speaker.apply(snapshot([peerCfg('tor1', '10.0.0.1', { bfdProfile: profile })]));
    expect(bfd).toHaveLength(1);
    const b = bfd[0] as FakeBfd;
    b.events.onUp('tor1');
    b.events.onDown('tor1', 'neighbor signaled session down', true);
    expect((bgp[0] as FakeBgp).log).toEqual([]);
    b.events.onDown('tor1', 'control detection time expired', false);
    expect((bgp[0] as FakeBgp).log).toEqual(['bfdDown:BFD down: control detection time expired']);
  });

  it('changing a BFD profile re-profiles BFD without resetting BGP; removing it stops BFD', () => {
    const { speaker, bgp, bfd } = make();
    speaker.apply(snapshot([peerCfg('tor1', '10.0.0.1', { bfdProfile: profile })]));
    speaker.apply(
      snapshot([peerCfg('tor1', '10.0.0.1', { bfdProfile: { ...profile, receiveInterval: 100 } })]),
    );
    expect((bfd[0] as FakeBfd).profiles.map((p) => p.receiveInterval)).toEqual([300, 100]);
    speaker.apply(snapshot([peerCfg('tor1', '10.0.0.1')]));
    expect((bfd[0] as FakeBfd).closed).toBe(true);
    expect(bgp).toHaveLength(1);
    expect((bgp[0] as FakeBgp).log).toEqual([]);
  });

  it('shutdown sends the message on every session and closes BFD', async () => {
    const { speaker, bgp, bfd } = make();
    speaker.apply(
      snapshot([peerCfg('tor1', '10.0.0.1', { bfdProfile: profile }), peerCfg('tor2', '10.0.0.2')]),
    );
    await speaker.shutdown('node draining');
    expect(bgp.map((s) => s.log)).toEqual([['shutdown:node draining'], ['shutdown:node draining']]);
    expect((bfd[0] as FakeBfd).closed).toBe(true);
  });

  it('exposes MetalLB metric names', async () => {
    const { speaker, bgp, metrics } = make();
    speaker.apply(snapshot([peerCfg('tor1', '10.0.0.1')]));
    (bgp[0] as FakeBgp).events.onStateChange('tor1', true, 'established');
    speaker.refreshMetrics();
    const text = await metrics.registry.metrics();
    expect(text).toContain('metallb_bgp_session_up{peer="10.0.0.1",vrf="default"} 1');
    expect(text).toContain('metallb_bgp_updates_total{peer="10.0.0.1",vrf="default"} 1');
    expect(text).toContain('metallb_bgp_keepalives_sent{peer="10.0.0.1",vrf="default"} 2');
    expect(text).toContain('metallb_bgp_opens_received{peer="10.0.0.1",vrf="default"} 1');
    expect(text).toContain('metallb_bgp_total_sent{peer="10.0.0.1",vrf="default"} 4');
    expect(text).toContain('metallb_bgp_announced_prefixes_total{peer="10.0.0.1",vrf="default"} 1');
    expect(text).toContain(
      'metallb_speaker_announced{ip="203.0.113.10",node="n1",protocol="bgp",service="default/web"} 1',
    );
  });

  it('status, logs and metrics show each IP announced to the peers of its family only', async () => {
    const logs: Record<string, unknown>[] = [];
    const { speaker, bgp, metrics } = make(logs);
    const base = snapshot([peerCfg('tor1', '10.0.0.1'), peerCfg('tor1-v6', 'fd00::1')]);
    const slice = (name: string) => ({
      metadata: { name: `${name}-1`, namespace: 'default', labels: { 'kubernetes.io/service-name': name } },
      endpoints: [{ addresses: ['10.244.0.1'], nodeName: 'n1', conditions: { ready: true } }],
    });
    const service = (name: string, ips: string[]) => ({
      metadata: { name, namespace: 'default' },
      spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster' },
      status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } },
    });
    speaker.apply({
      ...base,
      announce: {
        ...base.announce,
        pools: [{ name: 'p', addresses: ['203.0.113.0/24', '2001:db8:100::/64'], labels: {} }],
      },
      services: [
        service('web6', ['2001:db8:100::10']),
        service('dual', ['203.0.113.20', '2001:db8:100::20']),
      ],
      endpointSlices: [slice('web6'), slice('dual')],
    });
    const [tor1, tor1v6] = bgp as [FakeBgp, FakeBgp];
    // on the wire: each session its own family
    expect([...(tor1.routes.at(-1)?.ipv4.keys() ?? [])]).toEqual(['203.0.113.20/32']);
    expect([...(tor1.routes.at(-1)?.ipv6.keys() ?? [])]).toEqual([]);
    expect([...(tor1v6.routes.at(-1)?.ipv4.keys() ?? [])]).toEqual([]);
    expect([...(tor1v6.routes.at(-1)?.ipv6.keys() ?? [])].sort()).toEqual([
      '2001:db8:100::10/128',
      '2001:db8:100::20/128',
    ]);
    // and the same in the status
    const st = speaker.status();
    expect(st.services.map((v) => [v.service, v.peers, v.announcements])).toEqual([
      ['default/web6', ['tor1-v6'], [{ ip: '2001:db8:100::10', peers: ['tor1-v6'] }]],
      [
        'default/dual',
        ['tor1', 'tor1-v6'],
        [
          { ip: '203.0.113.20', peers: ['tor1'] },
          { ip: '2001:db8:100::20', peers: ['tor1-v6'] },
        ],
      ],
    ]);
    // and in the logs
    const announced = logs.filter((l) => l.event === 'serviceAnnounced');
    expect(announced.map((l) => [l.service, l.peers, l.msg])).toEqual([
      ['default/web6', ['tor1-v6'], 'announcing 2001:db8:100::10 to tor1-v6 (default/web6)'],
      [
        'default/dual',
        ['tor1', 'tor1-v6'],
        'announcing 203.0.113.20 to tor1; 2001:db8:100::20 to tor1-v6 (default/dual)',
      ],
    ]);
    expect(announced[1]?.announcements).toEqual([
      { ip: '203.0.113.20', peers: ['tor1'] },
      { ip: '2001:db8:100::20', peers: ['tor1-v6'] },
    ]);
    // an IPv6 Service with no IPv6 session is not announced, and says why
    speaker.apply({
      ...base,
      peers: [peerCfg('tor1', '10.0.0.1')],
      announce: {
        ...base.announce,
        peers: base.announce.peers.filter((p) => p.name === 'tor1'),
        pools: [{ name: 'p', addresses: ['203.0.113.0/24', '2001:db8:100::/64'], labels: {} }],
      },
      services: [service('web6', ['2001:db8:100::10'])],
      endpointSlices: [slice('web6')],
    });
    expect(speaker.status().services[0]).toMatchObject({ reason: 'noPeersForIPFamily', peers: [] });
    expect(logs.find((l) => l.event === 'serviceWithdrawn' && l.service === 'default/web6')).toMatchObject({
      reason: 'noPeersForIPFamily',
    });
    expect(await metrics.registry.metrics()).not.toContain('ip="2001:db8:100::10"');
  });

  it('Service and EndpointSlice changes are applied incrementally with the same status, logs and metrics as a full apply', async () => {
    const logsA: Record<string, unknown>[] = [];
    const logsB: Record<string, unknown>[] = [];
    const a = make(logsA);
    const b = make(logsB);
    const base = snapshot([peerCfg('tor1', '10.0.0.1'), peerCfg('tor2', '10.0.0.2')]);
    a.speaker.apply(base);
    b.speaker.apply(base);
    const svc = (name: string, ip: string) => ({
      metadata: { name, namespace: 'default' },
      spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster' },
      status: { loadBalancer: { ingress: [{ ip }] } },
    });
    const slice = (name: string, svcName: string) => ({
      metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': svcName } },
      endpoints: [{ addresses: ['10.244.0.9'], nodeName: 'n2', conditions: { ready: true } }],
    });
    let services = [...base.services];
    let slices = [...base.endpointSlices];
    const none = { services: [], deletedServices: [], endpointSlices: [], deletedEndpointSlices: [] };
    const step = (changes: Parameters<typeof a.speaker.apply>[1] & object) => {
      a.speaker.apply({ ...base, services, endpointSlices: slices }, changes);
      b.speaker.apply({ ...base, services, endpointSlices: slices });
    };
    // A Service with an endpoint elsewhere (Cluster): announced.
    const api = svc('api', '203.0.113.20');
    const apiSlice = slice('api-1', 'api');
    services = [...services, api];
    slices = [...slices, apiSlice];
    step({ ...none, services: [api], endpointSlices: [apiSlice] });
    // Its slice moves to another Service: withdrawn (noEndpoints).
    const moved = slice('api-1', 'other');
    slices = [...base.endpointSlices, moved];
    step({ ...none, endpointSlices: [moved] });
    // web is deleted.
    services = [api];
    step({ ...none, deletedServices: [base.services[0] as (typeof base.services)[0]] });
    for (const [i, s] of a.bgp.entries()) {
      const full = b.bgp[i] as FakeBgp;
      expect(s.routes.at(-1)).toEqual(full.routes.at(-1));
      // Only what changed went to the session: api announced, api withdrawn, web withdrawn.
      expect(s.changes.map((c) => [...c.ipv4])).toEqual([
        [['203.0.113.20/32', expect.objectContaining({ communities: [] })]],
        [['203.0.113.20/32', undefined]],
        [['203.0.113.10/32', undefined]],
      ]);
    }
    expect(a.speaker.status()).toEqual(b.speaker.status());
    expect(await a.metrics.registry.metrics()).toEqual(await b.metrics.registry.metrics());
    const events = (logs: Record<string, unknown>[]) =>
      logs.filter((l) => l.event === 'serviceAnnounced' || l.event === 'serviceWithdrawn').map((l) => l.msg);
    expect(events(logsA)).toEqual(events(logsB));
    expect(events(logsA)).toEqual([
      'announcing 203.0.113.10 to tor1, tor2 (default/web)',
      'announcing 203.0.113.20 to tor1, tor2 (default/api)',
      'not announcing default/api: noEndpoints',
      'withdrawing default/web: removed',
    ]);
    // A new configuration (another object) is computed in full again.
    const other = snapshot([peerCfg('tor1', '10.0.0.1'), peerCfg('tor2', '10.0.0.2')]);
    a.speaker.apply({ ...other, services, endpointSlices: slices }, none);
    expect(a.bgp[0]?.changes).toHaveLength(3);
    expect(a.bgp[0]?.routes.at(-1)?.ipv4.size).toBe(0);
  });
});
