import { describe, expect, it } from 'vitest';
import {
  firstServiceIP,
  KWOK_NODE_ANNOTATION,
  kubeconfig,
  kwokNode,
  nodeReady,
  pickHostAddress,
  promSamples,
  tokenAuthFile,
} from './config.ts';
import { revisionOf } from './etcd.ts';

describe('kubeconfig', () => {
  it('embeds the CA, uses the token, and never skips TLS verification', () => {
    const text = kubeconfig({
      server: 'https://127.0.0.1:6443',
      caPem: '-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n',
      token: 'tok',
      user: 'reader',
      namespace: 'metallb-system',
    });
    expect(text).not.toContain('insecure-skip-tls-verify');
    const kc = JSON.parse(text);
    expect(kc['current-context']).toBe('reader');
    expect(kc.clusters[0].cluster.server).toBe('https://127.0.0.1:6443');
    expect(Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString()).toContain(
      'BEGIN CERTIFICATE',
    );
    expect(kc.users).toEqual([{ name: 'reader', user: { token: 'tok' } }]);
    expect(kc.contexts[0].context).toEqual({ cluster: 'bmlb', user: 'reader', namespace: 'metallb-system' });
  });
});

describe('tokenAuthFile', () => {
  it('writes token,user,uid,"groups" lines', () => {
    expect(
      tokenAuthFile([
        { token: 'a1', user: 'admin', uid: 'admin', groups: ['system:masters', 'x'] },
        { token: 'b2', user: 'system:kube-scheduler', uid: 'sched' },
      ]),
    ).toBe('a1,admin,admin,"system:masters,x"\nb2,system:kube-scheduler,sched\n');
  });
  it('refuses fields that would break the CSV', () => {
    expect(() => tokenAuthFile([{ token: 'a,b', user: 'u', uid: 'u' }])).toThrow(/token/);
    expect(() => tokenAuthFile([{ token: 'a', user: 'u', uid: 'u', groups: ['g"'] }])).toThrow(/group/);
  });
});

describe('kwokNode', () => {
  it('annotates the node for kwok and sets its addresses and capacity', () => {
    const n = kwokNode({ name: 'node-21', internalIP: '10.0.0.21', labels: { rack: 'r1' } }) as {
      metadata: { annotations: Record<string, string>; labels: Record<string, string> };
      spec: Record<string, unknown>;
      status: { addresses: unknown[]; capacity: Record<string, string> };
    };
    expect(n.metadata.annotations[KWOK_NODE_ANNOTATION]).toBe('fake');
    expect(n.metadata.labels).toMatchObject({ 'kubernetes.io/hostname': 'node-21', rack: 'r1' });
    expect(n.spec).toEqual({});
    expect(n.status.addresses).toEqual([
      { type: 'InternalIP', address: '10.0.0.21' },
      { type: 'Hostname', address: 'node-21' },
    ]);
    expect(n.status.capacity.pods).toBe('110');
  });
  it('takes dual-stack addresses, taints and pod CIDRs', () => {
    const n = kwokNode({
      name: 'n1',
      internalIP: ['10.0.0.1', 'fd00::1'],
      taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }],
      podCIDRs: ['10.244.1.0/24', 'fd00:244:1::/64'],
    }) as { spec: Record<string, unknown>; status: { addresses: Array<{ address: string }> } };
    expect(n.status.addresses.map((a) => a.address)).toEqual(['10.0.0.1', 'fd00::1', 'n1']);
    expect(n.spec).toEqual({
      taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }],
      podCIDR: '10.244.1.0/24',
      podCIDRs: ['10.244.1.0/24', 'fd00:244:1::/64'],
    });
  });
  it('rejects bad names and missing addresses', () => {
    expect(() => kwokNode({ name: 'Node_1', internalIP: '10.0.0.1' })).toThrow(/valid node name/);
    expect(() => kwokNode({ name: 'n', internalIP: [] })).toThrow(/internalIP/);
  });
});

describe('nodeReady', () => {
  it('is true only with condition Ready=True', () => {
    expect(nodeReady({ status: { conditions: [{ type: 'Ready', status: 'True' }] } })).toBe(true);
    expect(nodeReady({ status: { conditions: [{ type: 'Ready', status: 'False' }] } })).toBe(false);
    expect(nodeReady({ status: {} })).toBe(false);
    expect(nodeReady(undefined)).toBe(false);
  });
});

describe('pickHostAddress', () => {
  // Shapes of `ip -j -4 route show default` and `ip -j -4 addr show`.
  const links = [
    {
      ifname: 'lo',
      flags: ['LOOPBACK', 'UP'],
      addr_info: [{ family: 'inet', local: '127.0.0.1', scope: 'host' }],
    },
    {
      ifname: 'eth0',
      flags: ['BROADCAST', 'UP'],
      addr_info: [{ family: 'inet', local: '192.0.2.10', scope: 'global' }],
    },
    {
      ifname: 'eth1',
      flags: ['BROADCAST', 'UP'],
      addr_info: [{ family: 'inet', local: '198.51.100.7', scope: 'global' }],
    },
  ];
  it("takes the default route's source, else its interface's address", () => {
    expect(pickHostAddress([{ dst: 'default', dev: 'eth1', prefsrc: '198.51.100.9' }], links)).toBe(
      '198.51.100.9',
    );
    expect(pickHostAddress([{ dst: 'default', dev: 'eth1' }], links)).toBe('198.51.100.7');
  });
  it('without a default route, the first global address on an interface that is up', () => {
    expect(pickHostAddress([], links)).toBe('192.0.2.10');
    expect(pickHostAddress([], [{ ...links[1]!, flags: ['BROADCAST'] }, links[2]!])).toBe('198.51.100.7');
  });
  it('never a loopback or link-local one', () => {
    expect(pickHostAddress([], [links[0]!])).toBeUndefined();
    expect(
      pickHostAddress(
        [],
        [
          {
            ifname: 'e',
            flags: ['UP'],
            addr_info: [{ family: 'inet', local: '169.254.1.1', scope: 'link' }],
          },
        ],
      ),
    ).toBeUndefined();
  });
});

describe('promSamples', () => {
  it('reads the samples of one metric by label set', () => {
    const text = `# HELP apiserver_watch_cache_initializations_total [ALPHA] Counter
# TYPE apiserver_watch_cache_initializations_total counter
apiserver_watch_cache_initializations_total{group="",resource="pods"} 2
apiserver_watch_cache_initializations_total{group="apps",resource="deployments"} 1
apiserver_watch_cache_initializations_total_other{x="y"} 9
up 1
`;
    expect(promSamples(text, 'apiserver_watch_cache_initializations_total')).toEqual(
      new Map([
        ['{group="",resource="pods"}', 2],
        ['{group="apps",resource="deployments"}', 1],
      ]),
    );
    expect(promSamples(text, 'up')).toEqual(new Map([['', 1]]));
  });
});

describe('firstServiceIP', () => {
  it('is the first address of the (first) range', () => {
    expect(firstServiceIP('10.96.0.0/16')).toBe('10.96.0.1');
    expect(firstServiceIP('10.0.255.0/24')).toBe('10.0.255.1');
    expect(firstServiceIP('10.96.0.0/16,fd00:10:96::/112')).toBe('10.96.0.1');
    expect(firstServiceIP('fd00:10:96::/112')).toBe('fd00:10:96:0:0:0:0:1');
    expect(() => firstServiceIP('nope')).toThrow(/service CIDR/);
  });
});

describe('revisionOf', () => {
  it("reads etcd's int64-as-string revision", () => {
    expect(revisionOf({ header: { cluster_id: '1', revision: '123' } })).toBe(123);
    expect(() => revisionOf({})).toThrow(/no revision/);
  });
});
