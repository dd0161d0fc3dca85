import { MemoryCluster, Resources } from '@bmlb/k8s-adapter';
import { describe, expect, it } from 'vitest';
import { desiredStatuses, StatusPublisher } from './kube-status.ts';
import type { SpeakerStatus } from './speaker/speaker.ts';

function status(over: Partial<SpeakerStatus> = {}): SpeakerStatus {
  return {
    node: 'node-21',
    config: {
      loaded: true,
      stale: false,
      hash: 'h',
      appliedAt: 1,
      lastErrors: [],
      lastErrorAt: undefined,
      warnings: [],
    },
    nodeReason: '',
    bgp: [
      {
        name: 'tor1',
        address: '10.0.0.1',
        localAddress: '10.0.0.21',
        myASN: 65100,
        peerASN: 65000,
        state: 'Established',
        since: Date.UTC(2026, 11, 4, 12, 0, 0),
        established: true,
        prefixesSent: 1,
        prefixesReceived: 0,
        lastError: undefined,
        bfd: 'up',
      },
      {
        name: 'tor2',
        address: '10.0.0.2',
        localAddress: undefined,
        myASN: 65100,
        peerASN: 65000,
        state: 'Active',
        since: Date.UTC(2026, 11, 4, 12, 1, 0),
        established: false,
        prefixesSent: 0,
        prefixesReceived: 0,
        lastError: 'hold timer expired',
        bfd: undefined,
      },
    ],
    bfd: [
      {
        name: 'tor1',
        peer: '10.0.0.1',
        local: '10.0.0.21',
        state: 'Up',
        since: 1,
        diag: 'No Diagnostic',
        profile: 'tor-bfd',
      },
    ],
    services: [
      {
        service: 'default/web',
        ips: ['203.0.113.5'],
        pool: 'prod-pool',
        reason: '',
        peers: ['tor1', 'tor2'],
        announcements: [{ ip: '203.0.113.5', peers: ['tor1', 'tor2'] }],
      },
      {
        service: 'default/idle',
        ips: ['203.0.113.6'],
        pool: 'prod-pool',
        reason: 'notOwner',
        peers: [],
        announcements: [],
      },
    ],
    ...over,
  } as SpeakerStatus;
}

describe('desiredStatuses', () => {
  it('one ServiceBGPStatus per announced Service and one BGPSessionState per peer', () => {
    const d = desiredStatuses(status(), 'metallb-system');
    const svc = d.filter((x) => x.kind === 'ServiceBGPStatus');
    expect(svc.length).toBe(1);
    expect(svc[0]?.name).toMatch(/^bgp-[0-9a-f]{10}$/);
    expect(svc[0]?.labels).toEqual({
      'metallb.io/node': 'node-21',
      'metallb.io/service-name': 'web',
      'metallb.io/service-namespace': 'default',
    });
    expect(svc[0]?.status).toEqual({
      node: 'node-21',
      serviceName: 'web',
      serviceNamespace: 'default',
      peers: ['tor1', 'tor2'],
    });
    const sessions = d.filter((x) => x.kind === 'BGPSessionState');
    expect(sessions.map((s) => s.name)).toEqual(['node-21-tor1', 'node-21-tor2']);
    expect(sessions[0]?.status).toEqual({
      node: 'node-21',
      peer: 'metallb-system/tor1',
      peerAddress: '10.0.0.1',
      localAddress: '10.0.0.21',
      myASN: 65100,
      peerASN: 65000,
      bgpState: 'Established',
      establishedSince: '2026-12-04T12:00:00Z',
      lastTransition: '2026-12-04T12:00:00Z',
      prefixesSent: 1,
      prefixesReceived: 0,
      bfdState: 'Up',
      bfdDiagnostic: 'No Diagnostic',
    });
    expect(sessions[1]?.status).toMatchObject({
      bgpState: 'Active',
      lastError: 'hold timer expired',
      bfdState: 'N/A',
    });
    expect(sessions[1]?.status.establishedSince).toBeUndefined();
  });
});

describe('StatusPublisher', () => {
  it('writes only what changed, owns its objects through the Node, and deletes what is no longer wanted', async () => {
    const m = new MemoryCluster();
    let st = status();
    const pub = new StatusPublisher({
      cluster: m,
      namespace: 'metallb-system',
      nodeName: 'node-21',
      node: () => ({ name: 'node-21', uid: 'node-uid' }),
      status: () => st,
    });
    m.start();
    await pub.sync();
    expect(pub.writes).toBe(3);
    const sessions = m.list(Resources.BGPSessionState);
    expect(sessions.map((s) => s.metadata.name).sort()).toEqual(['node-21-tor1', 'node-21-tor2']);
    expect(sessions[0]?.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Node', name: 'node-21', uid: 'node-uid' },
    ]);
    expect(m.list(Resources.ServiceBGPStatus)[0]?.status).toMatchObject({ serviceName: 'web' });

    // Nothing changed (a keepalive, a BFD packet): no write.
    await pub.sync();
    expect(pub.writes).toBe(3);

    // tor2 comes up; web is no longer announced; tor1 is removed.
    st = status({
      bgp: [
        {
          ...(status().bgp[1] as SpeakerStatus['bgp'][number]),
          state: 'Established',
          established: true,
          lastError: undefined,
        },
      ],
      services: [],
    });
    await pub.sync();
    expect(pub.writes).toBe(4);
    expect(m.list(Resources.ServiceBGPStatus)).toEqual([]);
    expect(
      m
        .list(Resources.BGPSessionState)
        .map((s) => [s.metadata.name, (s.status as { bgpState: string }).bgpState]),
    ).toEqual([['node-21-tor2', 'Established']]);
    pub.close();
  });

  it('cleans up what a previous run of this node left behind, and nothing of other nodes', async () => {
    const m = new MemoryCluster();
    const leftover = (name: string, node: string) => ({
      apiVersion: 'bmlb.io/v1alpha1',
      kind: 'BGPSessionState',
      metadata: {
        name,
        namespace: 'metallb-system',
        labels: { 'bmlb.io/node': node, 'bmlb.io/peer': 'old' },
      },
      status: {},
    });
    m.put(leftover('node-21-old', 'node-21'));
    m.put(leftover('node-22-old', 'node-22'));
    const pub = new StatusPublisher({
      cluster: m,
      namespace: 'metallb-system',
      nodeName: 'node-21',
      node: () => ({ name: 'node-21', uid: 'u' }),
      status: () => status({ services: [] }),
    });
    m.start();
    await pub.sync();
    expect(
      m
        .list(Resources.BGPSessionState)
        .map((s) => s.metadata.name)
        .sort(),
    ).toEqual(['node-21-tor1', 'node-21-tor2', 'node-22-old']);
    pub.close();
  });
});
