import { describe, expect, it } from 'vitest';
import { copyAll, harness, NS, namespace, pool, service } from './test-support/fixtures.ts';

const seedPool = () => pool('prod-pool', ['203.0.113.0/24'], { autoAssign: true });

describe('seed: web Service on prod-pool', () => {
  it('gets the first address of 203.0.113.0/24, the pool annotation, an IPAllocated event and pool status', async () => {
    const h = harness({ objects: [seedPool(), service('web', { local: true, ports: [{ port: 443 }] })] });
    await h.settle();
    expect(h.ips('default', 'web')).toEqual(['203.0.113.0']);
    expect(h.annotation('default', 'web')).toBe('prod-pool');
    expect(h.events('web')).toEqual(['IPAllocated: Assigned IP ["203.0.113.0"]']);
    const p = h.cluster.get('IPAddressPool', NS, 'prod-pool') as { status?: unknown };
    expect(p.status).toEqual({ assignedIPv4: 1, assignedIPv6: 0, availableIPv4: 255, availableIPv6: 0 });
    const m = await h.metrics.registry.getSingleMetricAsString('metallb_allocator_addresses_in_use_total');
    expect(m).toContain('metallb_allocator_addresses_in_use_total{pool="prod-pool"} 1');
    const t = await h.metrics.registry.getSingleMetricAsString('metallb_allocator_addresses_total');
    expect(t).toContain('metallb_allocator_addresses_total{pool="prod-pool"} 256');
  });

  it('writes nothing again once converged (a re-sync of an unchanged Service costs no write)', async () => {
    const h = harness({ objects: [seedPool(), service('web')] });
    await h.settle();
    const writes = h.cluster.statusWrites.length;
    const cur = h.cluster.get('Service', 'default', 'web')!;
    h.cluster.put({ ...cur, metadata: { ...cur.metadata, labels: { touched: 'yes' } } });
    await h.settle();
    expect(h.cluster.statusWrites.length).toBe(writes);
    expect(h.events('web')).toHaveLength(1);
  });

  it('a status write that meets a conflict is retried with the fresh object', async () => {
    const h = harness({ objects: [seedPool()] });
    await h.settle();
    h.cluster.conflictsToInject = 2;
    h.cluster.put(service('web'));
    await h.settle();
    expect(h.ips('default', 'web')).toEqual(['203.0.113.0']);
  });
});

describe('requests', () => {
  it('metallb.io/loadBalancerIPs, spec.loadBalancerIP and metallb.io/address-pool', async () => {
    const h = harness({
      objects: [
        seedPool(),
        pool('other', ['198.51.100.0/24']),
        service('a', { annotations: { 'metallb.io/loadBalancerIPs': '203.0.113.77' } }),
        service('b', { loadBalancerIP: '203.0.113.78' }),
        service('c', { annotations: { 'metallb.io/address-pool': 'other' } }),
      ],
    });
    await h.settle();
    expect(h.ips('default', 'a')).toEqual(['203.0.113.77']);
    expect(h.ips('default', 'b')).toEqual(['203.0.113.78']);
    expect(h.ips('default', 'c')).toEqual(['198.51.100.0']);
    expect(h.annotation('default', 'c')).toBe('other');
  });

  it('the metallb.universe.tf/ prefix works, with a deprecatedAnnotation warning', async () => {
    const h = harness({
      objects: [
        seedPool(),
        service('old', { annotations: { 'metallb.universe.tf/loadBalancerIPs': '203.0.113.9' } }),
      ],
    });
    await h.settle();
    expect(h.ips('default', 'old')).toEqual(['203.0.113.9']);
    expect(h.events('old')).toContain(
      'deprecatedAnnotation: Service uses deprecated annotation metallb.universe.tf/loadBalancerIPs',
    );
  });

  it('bad input: AllocationFailed with the reason in words, the Service stays pending, nothing else moves', async () => {
    const h = harness({ objects: [seedPool(), service('good')] });
    await h.settle();
    h.cluster.put(service('notip', { annotations: { 'metallb.io/loadBalancerIPs': 'banana' } }));
    h.cluster.put(service('nopool', { annotations: { 'metallb.io/loadBalancerIPs': '192.0.2.1' } }));
    h.cluster.put(service('unknown', { annotations: { 'metallb.io/address-pool': 'nope' } }));
    h.cluster.put(service('taken', { annotations: { 'metallb.io/loadBalancerIPs': '203.0.113.0' } }));
    const before = h.cluster.statusWrites.length;
    await h.settle();
    expect(h.cluster.statusWrites.length).toBe(before);
    for (const n of ['notip', 'nopool', 'unknown', 'taken']) expect(h.ips('default', n)).toEqual([]);
    expect(h.ips('default', 'good')).toEqual(['203.0.113.0']);
    expect(h.events('notip')).toEqual([
      'AllocationFailed: Failed to allocate IP for "default/notip": service default/notip: invalid metallb.io/loadBalancerIPs: "banana" is not an IP address',
    ]);
    expect(h.events('nopool')).toEqual([
      'AllocationFailed: Failed to allocate IP for "default/nopool": address 192.0.2.1 requested by service default/nopool is not in any pool',
    ]);
    expect(h.events('unknown')).toEqual([
      'AllocationFailed: Failed to allocate IP for "default/unknown": service default/unknown requests pool "nope", which does not exist',
    ]);
    expect(h.events('taken')[0]).toMatch(
      /^AllocationFailed: .*address 203\.0\.113\.0 .* held by default\/good, which does not allow sharing/,
    );
    expect([...h.controller.pending].sort()).toEqual([
      'default/nopool',
      'default/notip',
      'default/taken',
      'default/unknown',
    ]);
  });

  it('a repeated failure is not recorded again; a Service that holds an address keeps it on a bad edit', async () => {
    const h = harness({ objects: [seedPool(), service('web')] });
    await h.settle();
    const cur = h.cluster.get('Service', 'default', 'web')!;
    h.cluster.put({
      ...cur,
      metadata: { ...cur.metadata, annotations: { 'metallb.io/loadBalancerIPs': 'not-an-ip' } },
    });
    await h.settle();
    h.cluster.put(h.cluster.get('Service', 'default', 'web')!);
    await h.settle();
    expect(h.ips('default', 'web')).toEqual(['203.0.113.0']);
    expect(h.events('web').filter((e) => e.startsWith('LoadBalancerFailed'))).toHaveLength(1);
  });

  it('a changed request moves the Service (releases the old address)', async () => {
    const h = harness({ objects: [seedPool(), service('web')] });
    await h.settle();
    const cur = h.cluster.get('Service', 'default', 'web')!;
    h.cluster.put({
      ...cur,
      metadata: { ...cur.metadata, annotations: { 'metallb.io/loadBalancerIPs': '203.0.113.200' } },
    });
    await h.settle();
    expect(h.ips('default', 'web')).toEqual(['203.0.113.200']);
    expect(h.controller.allocator.lookup('203.0.113.0')).toBeUndefined();
  });
});

describe('sharing', () => {
  it('same key, different ports, both Cluster: one address; a port clash is refused', async () => {
    const share = { 'metallb.io/allow-shared-ip': 'dns' };
    const h = harness({
      objects: [
        seedPool(),
        service('dns-tcp', { annotations: share, ports: [{ port: 53, protocol: 'TCP' }] }),
        service('dns-udp', { annotations: share, ports: [{ port: 53, protocol: 'UDP' }] }),
      ],
    });
    await h.settle();
    expect(h.ips('default', 'dns-tcp')).toEqual(['203.0.113.0']);
    expect(h.ips('default', 'dns-udp')).toEqual(['203.0.113.0']);
    h.cluster.put(
      service('dns-clash', {
        annotations: { ...share, 'metallb.io/loadBalancerIPs': '203.0.113.0' },
        ports: [{ port: 53, protocol: 'UDP' }],
      }),
    );
    await h.settle();
    expect(h.ips('default', 'dns-clash')).toEqual([]);
    expect(h.events('dns-clash')[0]).toContain('port UDP/53 is already used on it by default/dns-udp');
    const p = h.cluster.get('IPAddressPool', NS, 'prod-pool') as { status?: { assignedIPv4: number } };
    expect(p.status?.assignedIPv4).toBe(1);
  });

  it('Local policy shares only with the same selector', async () => {
    const share = { 'metallb.io/allow-shared-ip': 'k' };
    const h = harness({
      objects: [
        seedPool(),
        service('a', { annotations: share, local: true, selector: { app: 'x' }, ports: [{ port: 1 }] }),
        service('b', {
          annotations: { ...share, 'metallb.io/loadBalancerIPs': '203.0.113.0' },
          local: true,
          selector: { app: 'y' },
          ports: [{ port: 2 }],
        }),
      ],
    });
    await h.settle();
    expect(h.ips('default', 'b')).toEqual([]);
    expect(h.events('b')[0]).toContain('sharing needs both services on externalTrafficPolicy Cluster');
  });
});

describe('pools', () => {
  it('autoAssign false: only by request; avoidBuggyIPs skips .0 and .255', async () => {
    const h = harness({
      objects: [
        pool('manual', ['198.51.100.0/24'], { autoAssign: false }),
        pool('buggy', ['192.0.2.0/24'], { avoidBuggyIPs: true }),
        service('auto'),
        service('asked', { annotations: { 'metallb.io/address-pool': 'manual' } }),
      ],
    });
    await h.settle();
    expect(h.ips('default', 'auto')).toEqual(['192.0.2.1']);
    expect(h.ips('default', 'asked')).toEqual(['198.51.100.0']);
    const st = h.cluster.get('IPAddressPool', NS, 'buggy') as { status?: { availableIPv4: number } };
    expect(st.status?.availableIPv4).toBe(253);
  });

  it('serviceAllocation: priority, namespaces and namespaceSelectors (re-evaluated when labels change)', async () => {
    const h = harness({
      objects: [
        namespace('team-a', { team: 'a' }),
        namespace('team-b'),
        pool('general', ['198.51.100.0/24']),
        pool('team', ['203.0.113.0/24'], {
          serviceAllocation: { priority: 10, namespaceSelectors: [{ matchLabels: { team: 'a' } }] },
        }),
        pool('special', ['192.0.2.0/24'], {
          serviceAllocation: { priority: 5, serviceSelectors: [{ matchLabels: { tier: 'gold' } }] },
        }),
        service('x', { namespace: 'team-a' }),
        service('y', { namespace: 'team-b' }),
        service('z', { namespace: 'team-a', labels: { tier: 'gold' } }),
      ],
    });
    await h.settle();
    expect(h.ips('team-a', 'x')).toEqual(['203.0.113.0']);
    expect(h.ips('team-b', 'y')).toEqual(['198.51.100.0']);
    expect(h.ips('team-a', 'z')).toEqual(['192.0.2.0']);
    // team-b gets the label: a new Service there now lands in "team"; y keeps its address.
    h.cluster.put(namespace('team-b', { team: 'a' }));
    h.cluster.put(service('w', { namespace: 'team-b' }));
    await h.settle();
    expect(h.ips('team-b', 'w')).toEqual(['203.0.113.1']);
    expect(h.ips('team-b', 'y')).toEqual(['198.51.100.0']);
  });

  it('a pool edited so that a Service’s address leaves it: ClearAssignment, then a new address (MetalLB)', async () => {
    const h = harness({
      objects: [pool('p', ['203.0.113.0/24']), service('a'), service('b')],
    });
    await h.settle();
    expect(h.ips('default', 'b')).toEqual(['203.0.113.1']);
    h.cluster.put(pool('p', ['203.0.113.1/32', '203.0.113.128/25']));
    await h.settle();
    expect(h.ips('default', 'b')).toEqual(['203.0.113.1']);
    expect(h.ips('default', 'a')).toEqual(['203.0.113.128']);
    expect(h.events('a')).toEqual([
      'IPAllocated: Assigned IP ["203.0.113.0"]',
      'ClearAssignment: current IP for "default/a" not allowed by config, will attempt for new IP assignment: pool "p" no longer contains 203.0.113.0: service default/a loses "203.0.113.0"',
      'IPAllocated: Assigned IP ["203.0.113.128"]',
    ]);
    // The pool deleted: both lose their address and wait.
    h.cluster.remove('IPAddressPool', NS, 'p');
    await h.settle();
    expect(h.ips('default', 'a')).toEqual([]);
    expect(h.annotation('default', 'a')).toBeUndefined();
    expect(h.events('a').at(-1)).toBe(
      'AllocationFailed: Failed to allocate IP for "default/a": no IPAddressPool is configured for service default/a',
    );
    // A new pool: the waiting Services get addresses again.
    h.cluster.put(pool('q', ['198.51.100.0/30']));
    await h.settle();
    expect(h.ips('default', 'a')).toEqual(['198.51.100.0']);
    expect(h.ips('default', 'b')).toEqual(['198.51.100.1']);
  });

  it('an address freed by a deletion goes to a waiting Service', async () => {
    const h = harness({ objects: [pool('tiny', ['203.0.113.10/32']), service('first'), service('second')] });
    await h.settle();
    expect(h.ips('default', 'first')).toEqual(['203.0.113.10']);
    expect(h.controller.pending.has('default/second')).toBe(true);
    expect(h.events('second')[0]).toContain('no available IPv4 address in pool "tiny"');
    h.cluster.remove('Service', 'default', 'first');
    await h.settle();
    expect(h.ips('default', 'second')).toEqual(['203.0.113.10']);
  });
});

describe('Service lifecycle and classes', () => {
  it('type changed away from LoadBalancer: the address is released, status and annotation cleared', async () => {
    const h = harness({ objects: [seedPool(), service('web')] });
    await h.settle();
    const cur = h.cluster.get('Service', 'default', 'web')!;
    h.cluster.put({ ...cur, spec: { ...(cur.spec as object), type: 'ClusterIP' } });
    await h.settle();
    expect(h.ips('default', 'web')).toEqual([]);
    expect(h.annotation('default', 'web')).toBeUndefined();
    expect(h.controller.allocator.serviceCount).toBe(0);
  });

  it('loadBalancerClass: without --lb-class only class-less Services; with it only that class', async () => {
    const objects = [
      seedPool(),
      service('plain'),
      service('ours', { loadBalancerClass: 'bmlb.io/lb' }),
      service('theirs', { loadBalancerClass: 'other.io/lb' }),
    ];
    const a = harness({ objects });
    await a.settle();
    expect(a.ips('default', 'plain')).toEqual(['203.0.113.0']);
    expect(a.ips('default', 'ours')).toEqual([]);
    expect(a.ips('default', 'theirs')).toEqual([]);
    const b = harness({ objects, loadBalancerClass: 'bmlb.io/lb' });
    await b.settle();
    expect(b.ips('default', 'plain')).toEqual([]);
    expect(b.ips('default', 'ours')).toEqual(['203.0.113.0']);
    expect(b.ips('default', 'theirs')).toEqual([]);
    expect(b.events('theirs')).toEqual([]);
  });

  it('pool counts are written after our own changes, not in answer to a status write (two controllers of different classes would rewrite each other’s for ever)', async () => {
    const h = harness({ objects: [seedPool(), service('web')] });
    await h.settle();
    const status = () => (h.cluster.get('IPAddressPool', NS, 'prod-pool') as { status?: unknown }).status;
    expect(status()).toEqual({ assignedIPv4: 1, assignedIPv6: 0, availableIPv4: 255, availableIPv6: 0 });
    // Another class's controller writes the counts as it sees them.
    const theirs = { assignedIPv4: 0, assignedIPv6: 0, availableIPv4: 256, availableIPv6: 0 };
    h.cluster.put({ ...h.cluster.get('IPAddressPool', NS, 'prod-pool')!, status: theirs });
    await h.settle();
    expect(status()).toEqual(theirs);
    // Our next change writes ours.
    h.cluster.put(service('web2'));
    await h.settle();
    expect(status()).toEqual({ assignedIPv4: 2, assignedIPv6: 0, availableIPv4: 254, availableIPv6: 0 });
  });

  it('dual-stack: RequireDualStack takes one of each family from one pool, in ipFamilies order', async () => {
    const h = harness({
      objects: [
        pool('dual', ['203.0.113.0/24', '2001:db8::/120']),
        service('both', { ipFamilies: ['IPv6', 'IPv4'], ipFamilyPolicy: 'RequireDualStack' }),
        service('v6', { ipFamilies: ['IPv6'] }),
        service('prefer', { ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'PreferDualStack' }),
      ],
    });
    await h.settle();
    expect(h.ips('default', 'both')).toEqual(['2001:db8::', '203.0.113.0']);
    expect(h.ips('default', 'v6')).toEqual(['2001:db8::1']);
    expect(h.ips('default', 'prefer')).toEqual(['203.0.113.1', '2001:db8::2']);
    const p = h.cluster.get('IPAddressPool', NS, 'dual') as { status?: unknown };
    expect(p.status).toEqual({ assignedIPv4: 2, assignedIPv6: 3, availableIPv4: 254, availableIPv6: 253 });
  });

  it('PreferDualStack with one family gains the other from its pool once one is free (a release, a pool edit)', async () => {
    const prefer = { ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'PreferDualStack' };
    const h = harness({
      objects: [
        pool('pref', ['203.0.113.0/24', '2001:db8::/128']),
        service('six', { ipFamilies: ['IPv6'] }),
        service('prefer', prefer),
      ],
    });
    await h.settle();
    expect(h.ips('default', 'six')).toEqual(['2001:db8::']);
    expect(h.ips('default', 'prefer')).toEqual(['203.0.113.0']);
    expect(h.events('prefer')).toEqual([
      'IPAllocated: Assigned IP ["203.0.113.0"]',
      'AdditionalAssignFailed: cannot assign additional IP in PreferDualStack: no available IPv6 address in pool "pref" for service default/prefer',
    ]);
    // The IPv6 address is released: prefer gains it, without a change of its own.
    h.cluster.remove('Service', 'default', 'six');
    await h.settle();
    expect(h.ips('default', 'prefer')).toEqual(['203.0.113.0', '2001:db8::']);
    expect(h.events('prefer').at(-1)).toBe('IPAllocated: Assigned additional IP "2001:db8::"');
    // The pool grows: a second one waiting for its IPv6 address gains it.
    h.cluster.put(service('prefer2', prefer));
    await h.settle();
    expect(h.ips('default', 'prefer2')).toEqual(['203.0.113.1']);
    h.cluster.put(pool('pref', ['203.0.113.0/24', '2001:db8::/127']));
    await h.settle();
    expect(h.ips('default', 'prefer2')).toEqual(['203.0.113.1', '2001:db8::1']);
    expect(h.ips('default', 'prefer')).toEqual(['203.0.113.0', '2001:db8::']);
  });
});

describe('restart and leadership', () => {
  it('a new controller restores every address from status before assigning anything new', async () => {
    const h = harness({ objects: [seedPool()] });
    for (let i = 0; i < 20; i++) h.cluster.put(service(`s${i}`));
    await h.settle();
    const before = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`s${i}`, h.ips('default', `s${i}`)]),
    );
    h.controller.deactivate();
    // Services deleted and created while no one leads: the newcomer must not take a restored address.
    h.cluster.remove('Service', 'default', 's3');
    h.cluster.put(service('newcomer', { created: '2020-01-01T00:00:00Z' }));
    // A new process: a fresh cache listing what the server holds.
    const h2 = harness({ objects: copyAll(h.cluster) });
    await h2.settle();
    for (let i = 0; i < 20; i++) if (i !== 3) expect(h2.ips('default', `s${i}`)).toEqual(before[`s${i}`]);
    expect(h2.ips('default', 'newcomer')).toEqual(before.s3);
    expect(h2.cluster.statusWrites.map((w) => w.name)).toEqual(['newcomer']);
  });

  it('two Services claiming one address in status: the older keeps it, the other gets a new one and a warning', async () => {
    const h = harness({
      objects: [
        seedPool(),
        service('young', { status: ['203.0.113.5'], created: '2024-06-01T00:00:00Z' }),
        service('old', { status: ['203.0.113.5'], created: '2023-06-01T00:00:00Z' }),
      ],
    });
    await h.settle();
    expect(h.ips('default', 'old')).toEqual(['203.0.113.5']);
    expect(h.ips('default', 'young')).toEqual(['203.0.113.0']);
    const ev = h.cluster.recorded.find((e) => e.regarding.name === 'young' && e.reason === 'ClearAssignment');
    expect(ev?.type).toBe('Warning');
    expect(ev?.note).toContain('held by default/old');
    expect(ev?.note).toContain('the Service created first keeps it');
  });

  it('an inactive replica (not the leader) writes nothing', async () => {
    const h = harness({ objects: [seedPool(), service('web')], activate: false });
    await h.settle();
    expect(h.cluster.statusWrites).toEqual([]);
    expect(h.cluster.recorded).toEqual([]);
    h.controller.activate();
    await h.settle();
    expect(h.ips('default', 'web')).toEqual(['203.0.113.0']);
  });

  it('leader election through the port: writes only while holding the Lease', async () => {
    const h = harness({ objects: [seedPool()], activate: false });
    const ac = new AbortController();
    const done = h.cluster
      .leaderElection({
        namespace: NS,
        name: 'bmlb-controller',
        identity: 'a',
        onStartedLeading: (signal) => {
          h.controller.activate();
          signal.addEventListener('abort', () => h.controller.deactivate());
        },
      })
      .run(ac.signal);
    await new Promise((r) => setTimeout(r, 5));
    expect(h.controller.active).toBe(true);
    h.cluster.put(service('web'));
    await h.settle();
    expect(h.ips('default', 'web')).toEqual(['203.0.113.0']);
    // Another replica takes the Lease: this one stops writing at once.
    h.cluster.revokeLease('bmlb-controller');
    h.cluster.tryLease('bmlb-controller', 'b');
    await new Promise((r) => setTimeout(r, 5));
    expect(h.controller.active).toBe(false);
    h.cluster.put(service('web2'));
    await h.settle();
    expect(h.ips('default', 'web2')).toEqual([]);
    ac.abort();
    h.cluster.revokeLease('bmlb-controller');
    await done;
  });
});

describe('bad configuration', () => {
  it('an overlapping pool leaves the last valid pools running and gets an Event naming the field', async () => {
    const h = harness({ objects: [seedPool(), service('web')] });
    await h.settle();
    h.cluster.put(pool('overlap', ['203.0.113.128/25']));
    h.cluster.put(service('web2'));
    await h.settle();
    expect(h.controller.stale).toBe(true);
    expect(h.ips('default', 'web')).toEqual(['203.0.113.0']);
    expect(h.ips('default', 'web2')).toEqual(['203.0.113.1']);
    const ev = h.events('overlap', 'IPAddressPool');
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatch(
      /^InvalidConfiguration: spec\.addresses\[0\]: "203\.0\.113\.128\/25" overlaps "203\.0\.113\.0\/24" .*\[overlapping-pools\] \(the last valid address pools stay in use\)$/,
    );
    const stale = await h.metrics.registry.getSingleMetricAsString('metallb_k8s_client_config_stale_bool');
    expect(stale).toContain('metallb_k8s_client_config_stale_bool 1');
    // Fixed: the configuration applies again.
    h.cluster.remove('IPAddressPool', NS, 'overlap');
    await h.settle();
    expect(h.controller.stale).toBe(false);
  });

  it('an edit that does not validate keeps the last valid version of the object, with an Event', async () => {
    const h = harness({ objects: [seedPool(), service('web')] });
    await h.settle();
    h.cluster.put(pool('prod-pool', ['203.0.113.0/24'], { autoAssing: false }));
    await h.settle();
    expect(h.ips('default', 'web')).toEqual(['203.0.113.0']);
    const ev = h.events('prod-pool', 'IPAddressPool');
    expect(ev).toHaveLength(1);
    expect(ev[0]).toContain('spec.autoAssing: unknown field "autoAssing"');
    expect(ev[0]).toContain('its last valid version stays in use');
  });

  it('errors on other kinds are reported and do not stop pool changes', async () => {
    const h = harness({ objects: [seedPool()] });
    await h.settle();
    h.cluster.put({
      apiVersion: 'metallb.io/v1beta2',
      kind: 'BGPPeer',
      metadata: { name: 'tor1', namespace: NS },
      spec: { myASN: 65100, peerASN: 65000, peerAddress: '10.0.0.1', bfdProfile: 'missing' },
    });
    h.cluster.put(pool('more', ['198.51.100.0/24']));
    await h.settle();
    expect(h.controller.stale).toBe(false);
    expect(h.controller.allocator.poolNames()).toEqual(['more', 'prod-pool']);
    expect(h.events('tor1', 'BGPPeer')[0]).toMatch(
      /^InvalidConfiguration: spec\.bfdProfile: .*\[unknown-bfd-profile\]/,
    );
  });
});
