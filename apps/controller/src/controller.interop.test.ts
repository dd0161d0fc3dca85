// The controller against a real control plane (etcd, kube-apiserver, kubectl): two replicas run as
// the ServiceAccount of deploy/rbac/controller.yaml, with the webhook of deploy/webhook.yaml, driven
// with kubectl as a user would.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeControlPlane, kubeSkipReason, sleep, waitFor } from '@bmlb/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ControllerProcess,
  controllerAccess,
  eventsFor,
  freePort,
  installCrds,
  lbService,
  type SvcSpec,
  seedDir,
  services,
  webhookConfiguration,
} from './test-support/kube.ts';

const skip = kubeSkipReason();

describe.skipIf(skip)('controller against a real control plane', () => {
  let cp: KubeControlPlane;
  let kubeconfig: string;
  let logDir: string;
  let webhookPort: number;
  let first: ControllerProcess;
  let second: ControllerProcess;
  const extra: ControllerProcess[] = [];

  const apply = (objs: object | object[]) =>
    cp.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify(Array.isArray(objs) ? { apiVersion: 'v1', kind: 'List', items: objs } : objs),
    });
  const create = (s: SvcSpec | SvcSpec[]) => apply(Array.isArray(s) ? s.map(lbService) : lbService(s));
  const ipsOf = async (name: string, ns = 'default', n = 1, timeoutMs = 20_000) =>
    waitFor(
      async () => {
        const s = (await services(cp, ns)).get(`${ns}/${name}`);
        return s !== undefined && s.ips.length >= n ? s.ips : undefined;
      },
      { timeoutMs, intervalMs: 100, what: `${ns}/${name} to get ${n} address(es)` },
    );
  const eventually = (ns: string, name: string, re: RegExp, kind = 'Service') =>
    waitFor(async () => (await eventsFor(cp, ns, name, kind)).find((e) => re.test(e)), {
      timeoutMs: 20_000,
      what: `an event on ${kind} ${ns}/${name} matching ${re}`,
    });
  /** The Service's AllocationFailed Event, once recorded; the Service has no address. */
  const refused = async (name: string, ns = 'default') => {
    const e = await eventually(ns, name, /AllocationFailed/);
    expect((await services(cp, ns)).get(`${ns}/${name}`)?.ips, `${ns}/${name}`).toEqual([]);
    return e;
  };
  type PoolStatus = Record<'assignedIPv4' | 'assignedIPv6' | 'availableIPv4' | 'availableIPv6', number>;
  const poolStatus = async (name: string) =>
    (await cp.kubectlJson<{ status?: PoolStatus }>(['get', 'ipaddresspool', name, '-n', 'metallb-system']))
      .status;
  /**
   * Creates an IPAddressPool and waits until the leader has loaded it: it writes the new
   * pool's status counts, so a Service created next is decided with this pool known.
   */
  const applyPool = async (name: string, spec: Record<string, unknown>) => {
    await apply({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      metadata: { name, namespace: 'metallb-system' },
      spec,
    });
    return waitFor(() => poolStatus(name), { what: `the status of IPAddressPool ${name}` });
  };
  const createNamespace = (name: string, labels: Record<string, string> = {}) =>
    apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  const leader = async (): Promise<ControllerProcess> =>
    waitFor(
      async () => {
        for (const c of [first, second, ...extra]) if (c.proc.running && (await c.status()).active) return c;
        return undefined;
      },
      { timeoutMs: 30_000, what: 'a leader' },
    );

  beforeAll(async () => {
    cp = await KubeControlPlane.start({
      controllerManager: false,
      scheduler: false,
      kwok: false,
      serviceClusterIPRange: '10.96.0.0/16,fd00:10:96::/112',
    });
    logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bmlb-controller-'));
    await installCrds(cp);
    kubeconfig = await controllerAccess(cp);
    webhookPort = await freePort();
    await cp.apply(await webhookConfiguration(cp, webhookPort));
    // Replica 1 starts first and leads; replica 2 serves the webhook (the configuration's URL).
    first = await ControllerProcess.start({
      identity: 'controller-1',
      kubeconfig,
      logDir,
      webhookPort: await freePort(),
    });
    await first.ready();
    await first.leading();
    second = await ControllerProcess.start({ identity: 'controller-2', kubeconfig, logDir, webhookPort });
    await second.ready();
  }, 120_000);

  afterAll(async () => {
    for (const c of [first, second, ...extra]) await c?.proc.stop();
    await cp?.close();
    if (logDir && !process.env.NETLAB_KEEP) fs.rmSync(logDir, { recursive: true, force: true });
  }, 60_000);

  it('seed manifests, then the seed’s web Service: EXTERNAL-IP from 203.0.113.0/24', async () => {
    for (const f of ['01-ipaddresspool.yaml', '02-bgppeers.yaml', '03-bgpadvertisement.yaml', '05-bfd.yaml'])
      await cp.apply(path.join(seedDir, f));
    await cp.apply(path.join(seedDir, '04-service-web.yaml'));
    const line = await waitFor(
      async () => {
        const out = (await cp.kubectl(['get', 'svc', 'web'])).stdout;
        return /\b203\.0\.113\.\d+\b/.test(out) ? out : undefined;
      },
      { timeoutMs: 20_000, what: 'kubectl get svc web to show an EXTERNAL-IP' },
    );
    expect(line).toMatch(/web\s+LoadBalancer\s+10\.96\.\S+\s+203\.0\.113\.0\s+443:\d+\/TCP/);
    const svc = (await services(cp, 'default')).get('default/web')!;
    expect(svc.pool).toBe('prod-pool');
    expect(await eventsFor(cp, 'default', 'web')).toContain(
      'Normal IPAllocated: Assigned IP ["203.0.113.0"]',
    );
    const pool = await waitFor(
      async () => {
        const p = await cp.kubectlJson<{ status?: Record<string, number> }>([
          'get',
          'ipaddresspool',
          'prod-pool',
          '-n',
          'metallb-system',
        ]);
        return p.status?.assignedIPv4 === 1 ? p.status : undefined;
      },
      { what: 'IPAddressPool status' },
    );
    expect(pool).toEqual({ assignedIPv4: 1, assignedIPv6: 0, availableIPv4: 255, availableIPv6: 0 });
    const l = await leader();
    const m = await waitFor(async () => {
      const t = await l.metrics();
      return t.includes('metallb_allocator_addresses_in_use_total{pool="prod-pool"} 1') ? t : undefined;
    });
    expect(m).toContain('metallb_allocator_addresses_total{pool="prod-pool"} 256');
  });

  it('each annotation and spec.loadBalancerIP', async () => {
    await apply({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      metadata: { name: 'manual', namespace: 'metallb-system' },
      spec: { addresses: ['198.51.100.0/24'], autoAssign: false },
    });
    await create([
      { name: 'by-ips', annotations: { 'metallb.io/loadBalancerIPs': '203.0.113.50' } },
      { name: 'by-spec', spec: { loadBalancerIP: '203.0.113.51' } },
      { name: 'by-pool', annotations: { 'metallb.io/address-pool': 'manual' } },
      { name: 'old-prefix', annotations: { 'metallb.universe.tf/loadBalancerIPs': '198.51.100.77' } },
      { name: 'not-an-ip', annotations: { 'metallb.io/loadBalancerIPs': 'banana' } },
      { name: 'unknown-pool', annotations: { 'metallb.io/address-pool': 'nope' } },
    ]);
    expect(await ipsOf('by-ips')).toEqual(['203.0.113.50']);
    expect(await ipsOf('by-spec')).toEqual(['203.0.113.51']);
    expect(await ipsOf('by-pool')).toEqual(['198.51.100.0']);
    expect(await ipsOf('old-prefix')).toEqual(['198.51.100.77']);
    expect((await services(cp, 'default')).get('default/by-pool')?.pool).toBe('manual');
    await eventually(
      'default',
      'old-prefix',
      /^Warning deprecatedAnnotation: Service uses deprecated annotation metallb\.universe\.tf\/loadBalancerIPs$/,
    );
    expect(await eventually('default', 'not-an-ip', /AllocationFailed/)).toBe(
      'Warning AllocationFailed: Failed to allocate IP for "default/not-an-ip": service default/not-an-ip: invalid metallb.io/loadBalancerIPs: "banana" is not an IP address',
    );
    expect(await eventually('default', 'unknown-pool', /AllocationFailed/)).toContain(
      'requests pool "nope", which does not exist',
    );
    const out = (await cp.kubectl(['get', 'svc', 'not-an-ip'])).stdout;
    expect(out).toContain('<pending>');
  });

  it('sharing: same key and compatible ports share one address; an incompatible one is refused', async () => {
    const share = { 'metallb.io/allow-shared-ip': 'dns' };
    await create([
      { name: 'dns-tcp', annotations: share, spec: { ports: [{ port: 53, protocol: 'TCP' }] } },
      { name: 'dns-udp', annotations: share, spec: { ports: [{ port: 53, protocol: 'UDP' }] } },
    ]);
    const a = await ipsOf('dns-tcp');
    expect(await ipsOf('dns-udp')).toEqual(a);
    await create({
      name: 'dns-clash',
      annotations: { ...share, 'metallb.io/loadBalancerIPs': a[0]! },
      spec: { ports: [{ port: 53, protocol: 'UDP' }] },
    });
    expect(await eventually('default', 'dns-clash', /AllocationFailed/)).toContain(
      'port UDP/53 is already used on it by default/dns-udp',
    );
  });

  it('dual-stack: RequireDualStack gets one address of each family from one pool, in ipFamilies order', async () => {
    await apply({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      metadata: { name: 'dual', namespace: 'metallb-system' },
      spec: { addresses: ['192.0.2.0/24', '2001:db8::/120'], autoAssign: false },
    });
    await create([
      {
        name: 'both',
        annotations: { 'metallb.io/address-pool': 'dual' },
        spec: { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv6', 'IPv4'] },
      },
      { name: 'six', annotations: { 'metallb.io/address-pool': 'dual' }, spec: { ipFamilies: ['IPv6'] } },
    ]);
    expect(await ipsOf('both', 'default', 2)).toEqual(['2001:db8::', '192.0.2.0']);
    expect(await ipsOf('six')).toEqual(['2001:db8::1']);
  });

  it('class filtering: Services of another loadBalancerClass are left alone; a controller with --lb-class serves them from its own pool', async () => {
    // Two controllers must not share pools (each knows only its own Services): the class's Services
    // ask for a pool of their own, which the class-less controller never auto-assigns from.
    await applyPool('classy-pool', { addresses: ['10.207.0.0/30'], autoAssign: false });
    await create({
      name: 'classy',
      annotations: { 'metallb.io/address-pool': 'classy-pool' },
      spec: { loadBalancerClass: 'example.com/lb' },
    });
    await sleep(1500);
    expect((await services(cp, 'default')).get('default/classy')?.ips).toEqual([]);
    expect(await eventsFor(cp, 'default', 'classy')).toEqual([]);
    const classy = await ControllerProcess.start({
      identity: 'classy-1',
      kubeconfig,
      logDir,
      // Its own Lease (the RBAC allows bmlb-controller only, so this one runs as admin).
      args: [
        '--lb-class=example.com/lb',
        '--lease-name=bmlb-controller-classy',
        `--kubeconfig=${cp.kubeconfig}`,
      ],
    });
    extra.push(classy);
    await classy.ready();
    expect(await ipsOf('classy')).toEqual(['10.207.0.0']);
    expect(await eventually('default', 'classy', /IPAllocated/)).toBe(
      'Normal IPAllocated: Assigned IP ["10.207.0.0"]',
    );
    const all = await services(cp);
    expect(all.get('default/classy')?.pool).toBe('classy-pool');
    // Nobody else holds its address; the class-less controller did not touch it, and the classy
    // one touched nothing else.
    const others = [...all].filter(([k]) => k !== 'default/classy').flatMap(([, s]) => s.ips);
    expect(others).not.toContain('10.207.0.0');
    expect(all.get('default/web')?.ips).toEqual(['203.0.113.0']);
    // Both write the counts of the pools in their namespace as they see them: once settled, they
    // do not answer each other's writes with writes of their own.
    const versions = async () =>
      (
        await cp.kubectlJson<{ items: { metadata: { name: string; resourceVersion: string } }[] }>([
          'get',
          'ipaddresspools',
          '-n',
          'metallb-system',
        ])
      ).items.map((p) => `${p.metadata.name}@${p.metadata.resourceVersion}`);
    await sleep(1000);
    const settled = await versions();
    await sleep(2000);
    expect(await versions()).toEqual(settled);
    await classy.proc.stop();
  });

  it('pool edits: an address that leaves its pool moves (ClearAssignment, then a new address)', async () => {
    await apply({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      metadata: { name: 'edit', namespace: 'metallb-system' },
      spec: { addresses: ['100.64.0.0/30'], autoAssign: false },
    });
    await create({ name: 'mover', annotations: { 'metallb.io/address-pool': 'edit' } });
    expect(await ipsOf('mover')).toEqual(['100.64.0.0']);
    await apply({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      metadata: { name: 'edit', namespace: 'metallb-system' },
      spec: { addresses: ['100.64.0.2/31'], autoAssign: false },
    });
    await waitFor(async () => (await services(cp, 'default')).get('default/mover')?.ips[0] === '100.64.0.2', {
      what: 'mover to move to 100.64.0.2',
    });
    expect(await eventually('default', 'mover', /ClearAssignment/)).toBe(
      'Normal ClearAssignment: current IP for "default/mover" not allowed by config, will attempt for new IP assignment: pool "edit" no longer contains 100.64.0.0: service default/mover loses "100.64.0.0"',
    );
  });

  it('autoAssign: false: a Service without a request skips the pool, even at a better priority; one that names it gets its address', async () => {
    await createNamespace('auto');
    await applyPool('auto-off', {
      addresses: ['10.201.0.0/30'],
      autoAssign: false,
      serviceAllocation: { priority: 1, namespaces: ['auto'] },
    });
    await applyPool('auto-on', {
      addresses: ['10.201.1.0/30'],
      serviceAllocation: { priority: 2, namespaces: ['auto'] },
    });
    await create({ name: 'plain', namespace: 'auto' });
    expect(await ipsOf('plain', 'auto')).toEqual(['10.201.1.0']);
    await create({ name: 'asks', namespace: 'auto', annotations: { 'metallb.io/address-pool': 'auto-off' } });
    expect(await ipsOf('asks', 'auto')).toEqual(['10.201.0.0']);
    const svcs = await services(cp, 'auto');
    expect(svcs.get('auto/plain')?.pool).toBe('auto-on');
    expect(svcs.get('auto/asks')?.pool).toBe('auto-off');
  });

  it('avoidBuggyIPs: addresses ending in .0 or .255 are skipped (a pool starting at .0 gives .1 first) and refused when asked for', async () => {
    await createNamespace('buggy');
    expect(
      await applyPool('buggy', {
        addresses: ['10.202.0.0/31', '10.202.0.254-10.202.1.1'],
        avoidBuggyIPs: true,
        serviceAllocation: { priority: 1, namespaces: ['buggy'] },
      }),
    ).toEqual({ assignedIPv4: 0, assignedIPv6: 0, availableIPv4: 3, availableIPv6: 0 });
    for (const [name, ip] of [
      ['b1', '10.202.0.1'],
      ['b2', '10.202.0.254'],
      ['b3', '10.202.1.1'],
    ] as const) {
      await create({ name, namespace: 'buggy' });
      expect(await ipsOf(name, 'buggy')).toEqual([ip]);
    }
    expect((await services(cp, 'buggy')).get('buggy/b3')?.pool).toBe('buggy');
    await create({
      name: 'b255',
      namespace: 'buggy',
      annotations: { 'metallb.io/loadBalancerIPs': '10.202.0.255' },
    });
    expect(await refused('b255', 'buggy')).toBe(
      'Warning AllocationFailed: Failed to allocate IP for "buggy/b255": address 10.202.0.255 requested by service buggy/b255 ends in .0 or .255, which pool "buggy" avoids (avoidBuggyIPs)',
    );
    expect(
      await waitFor(async () => {
        const st = await poolStatus('buggy');
        return st?.assignedIPv4 === 3 ? st : undefined;
      }),
    ).toEqual({ assignedIPv4: 3, assignedIPv6: 0, availableIPv4: 0, availableIPv6: 0 });
  });

  it('serviceAllocation: namespaces, namespaceSelectors (a relabelled Namespace is re-evaluated), serviceSelectors and priority', async () => {
    await createNamespace('team-a', { team: 'a' });
    await createNamespace('team-b');
    await createNamespace('team-c');
    await applyPool('sa-ns', {
      addresses: ['10.203.0.0/30'],
      serviceAllocation: { priority: 20, namespaces: ['team-c'] },
    });
    await applyPool('sa-team', {
      addresses: ['10.203.1.0/30'],
      serviceAllocation: { priority: 10, namespaceSelectors: [{ matchLabels: { team: 'a' } }] },
    });
    await applyPool('sa-gold', {
      addresses: ['10.203.2.0/30'],
      serviceAllocation: { priority: 5, serviceSelectors: [{ matchLabels: { tier: 'gold' } }] },
    });
    // namespaces
    await create({ name: 'n', namespace: 'team-c' });
    expect(await ipsOf('n', 'team-c')).toEqual(['10.203.0.0']);
    // namespaceSelectors
    await create({ name: 'x', namespace: 'team-a' });
    expect(await ipsOf('x', 'team-a')).toEqual(['10.203.1.0']);
    // serviceSelectors, and priority: 5 comes before the namespace pools' 10 and 20
    await create({ name: 'gold', namespace: 'team-a', labels: { tier: 'gold' } });
    expect(await ipsOf('gold', 'team-a')).toEqual(['10.203.2.0']);
    await create({ name: 'gold', namespace: 'team-c', labels: { tier: 'gold' } });
    expect(await ipsOf('gold', 'team-c')).toEqual(['10.203.2.1']);
    const pools = Object.fromEntries(
      [...(await services(cp)).values()]
        .filter((s) => s.namespace.startsWith('team-'))
        .map((s) => [`${s.namespace}/${s.name}`, s.pool]),
    );
    expect(pools).toEqual({
      'team-a/gold': 'sa-gold',
      'team-a/x': 'sa-team',
      'team-c/gold': 'sa-gold',
      'team-c/n': 'sa-ns',
    });
    // team-b lacks the label: sa-team refuses its Service until the Namespace gets it.
    await create({ name: 'z', namespace: 'team-b', annotations: { 'metallb.io/address-pool': 'sa-team' } });
    expect(await refused('z', 'team-b')).toBe(
      `Warning AllocationFailed: Failed to allocate IP for "team-b/z": pool "sa-team" does not admit service team-b/z: its serviceAllocation excludes the service's namespace`,
    );
    await cp.kubectl(['label', 'namespace', 'team-b', 'team=a']);
    expect(await ipsOf('z', 'team-b')).toEqual(['10.203.1.1']);
    expect(await eventually('team-b', 'z', /IPAllocated/)).toBe(
      'Normal IPAllocated: Assigned IP ["10.203.1.1"]',
    );
  });

  it('dual-stack: PreferDualStack takes both families from one pool, or one and gains the other once its pool has one', async () => {
    const prefer = { ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4', 'IPv6'] };
    await create({ name: 'prefer', annotations: { 'metallb.io/address-pool': 'dual' }, spec: prefer });
    // "dual" already gave 192.0.2.0, 2001:db8:: and 2001:db8::1.
    expect(await ipsOf('prefer', 'default', 2)).toEqual(['192.0.2.1', '2001:db8::2']);
    await applyPool('pref', { addresses: ['10.204.0.0/31'], autoAssign: false });
    await create({ name: 'prefer-later', annotations: { 'metallb.io/address-pool': 'pref' }, spec: prefer });
    expect(await ipsOf('prefer-later')).toEqual(['10.204.0.0']);
    expect(await eventually('default', 'prefer-later', /AdditionalAssignFailed/)).toBe(
      'Normal AdditionalAssignFailed: cannot assign additional IP in PreferDualStack: no IPv6 addresses in pool "pref" for service default/prefer-later',
    );
    await apply({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      metadata: { name: 'pref', namespace: 'metallb-system' },
      spec: { addresses: ['10.204.0.0/31', '2001:db8:204::/127'], autoAssign: false },
    });
    expect(await ipsOf('prefer-later', 'default', 2)).toEqual(['10.204.0.0', '2001:db8:204::']);
    expect(await eventually('default', 'prefer-later', /additional IP "/)).toBe(
      'Normal IPAllocated: Assigned additional IP "2001:db8:204::"',
    );
  });

  it('sharing with externalTrafficPolicy: Local: the same pod selector shares, another selector is refused', async () => {
    const key = { 'metallb.io/allow-shared-ip': 'loc', 'metallb.io/loadBalancerIPs': '203.0.113.60' };
    const local = (app: string, port: number) => ({
      externalTrafficPolicy: 'Local',
      selector: { app },
      ports: [{ port }],
    });
    await create({ name: 'loc-a', annotations: key, spec: local('x', 81) });
    expect(await ipsOf('loc-a')).toEqual(['203.0.113.60']);
    await create({ name: 'loc-same', annotations: key, spec: local('x', 82) });
    expect(await ipsOf('loc-same')).toEqual(['203.0.113.60']);
    await create({ name: 'loc-other', annotations: key, spec: local('y', 83) });
    expect(await refused('loc-other')).toBe(
      'Warning AllocationFailed: Failed to allocate IP for "default/loc-other": address 203.0.113.60 (pool "prod-pool") can not be given to service default/loc-other: held by default/loc-a, default/loc-same: sharing needs both services on externalTrafficPolicy Cluster, or the same pod selector',
    );
  });

  it('type changed to ClusterIP releases the address (status and pool annotation cleared); a deleted Service frees one for a waiting Service', async () => {
    await applyPool('tiny', { addresses: ['10.205.0.0/32'], autoAssign: false });
    const tiny = { 'metallb.io/address-pool': 'tiny' };
    const exhausted = (name: string) =>
      `Warning AllocationFailed: Failed to allocate IP for "default/${name}": no available IPv4 address in pool "tiny" for service default/${name}`;
    await create({ name: 't1', annotations: tiny });
    expect(await ipsOf('t1')).toEqual(['10.205.0.0']);
    await create({ name: 't2', annotations: tiny });
    expect(await refused('t2')).toBe(exhausted('t2'));
    await cp.kubectl(['patch', 'svc', 't1', '--type=merge', '-p', '{"spec":{"type":"ClusterIP"}}']);
    expect(await ipsOf('t2')).toEqual(['10.205.0.0']);
    const t1 = await waitFor(
      async () => {
        const s = await cp.kubectlJson<{
          metadata: { annotations?: Record<string, string> };
          status?: { loadBalancer?: object };
        }>(['get', 'svc', 't1']);
        return s.metadata.annotations?.['metallb.io/ip-allocated-from-pool'] === undefined ? s : undefined;
      },
      { what: 't1 to lose its pool annotation' },
    );
    expect(t1.status?.loadBalancer ?? {}).toEqual({});
    await create({ name: 't3', annotations: tiny });
    expect(await refused('t3')).toBe(exhausted('t3'));
    await cp.kubectl(['delete', 'svc', 't2']);
    expect(await ipsOf('t3')).toEqual(['10.205.0.0']);
    expect(await eventually('default', 't3', /IPAllocated/)).toBe(
      'Normal IPAllocated: Assigned IP ["10.205.0.0"]',
    );
  });

  it('an address in no pool: AllocationFailed with the reason, the Service stays pending', async () => {
    await create({ name: 'nowhere', annotations: { 'metallb.io/loadBalancerIPs': '10.99.99.99' } });
    expect(await refused('nowhere')).toBe(
      'Warning AllocationFailed: Failed to allocate IP for "default/nowhere": address 10.99.99.99 requested by service default/nowhere is not in any pool',
    );
    expect((await cp.kubectl(['get', 'svc', 'nowhere'])).stdout).toMatch(
      /nowhere\s+LoadBalancer\s+\S+\s+<pending>\s/,
    );
  });

  it('the old metallb.universe.tf/ prefix of address-pool and allow-shared-ip, with a deprecatedAnnotation warning', async () => {
    await applyPool('legacy', { addresses: ['10.206.0.0/30'], autoAssign: false });
    await create({ name: 'old-pool', annotations: { 'metallb.universe.tf/address-pool': 'legacy' } });
    expect(await ipsOf('old-pool')).toEqual(['10.206.0.0']);
    expect((await services(cp, 'default')).get('default/old-pool')?.pool).toBe('legacy');
    const old = {
      'metallb.universe.tf/address-pool': 'legacy',
      'metallb.universe.tf/allow-shared-ip': 'legacy-dns',
    };
    await create([
      { name: 'old-dns-tcp', annotations: old, spec: { ports: [{ port: 53, protocol: 'TCP' }] } },
      { name: 'old-dns-udp', annotations: old, spec: { ports: [{ port: 53, protocol: 'UDP' }] } },
    ]);
    expect(await ipsOf('old-dns-tcp')).toEqual(['10.206.0.1']);
    expect(await ipsOf('old-dns-udp')).toEqual(['10.206.0.1']);
    await eventually(
      'default',
      'old-pool',
      /^Warning deprecatedAnnotation: Service uses deprecated annotation metallb\.universe\.tf\/address-pool$/,
    );
    await eventually(
      'default',
      'old-dns-udp',
      /^Warning deprecatedAnnotation: Service uses deprecated annotation metallb\.universe\.tf\/allow-shared-ip$/,
    );
  });

  it('/readyz: 503 until the caches are synced, then 200 while waiting for the Lease', async () => {
    // A replica whose ServiceAccount has no RBAC yet: its lists are refused, its caches cannot sync.
    await cp.kubectl(['create', 'serviceaccount', 'late', '-n', 'metallb-system']);
    const token = await cp.tokenFor('metallb-system', 'late', { seconds: 3600 });
    const late = await ControllerProcess.start({
      identity: 'late-1',
      kubeconfig: cp.kubeconfigFor({ token, name: 'late' }),
      logDir,
    });
    extra.push(late);
    try {
      await waitFor(async () => late.events('watchFailed').length > 0, {
        timeoutMs: 30_000,
        what: 'late-1 to be refused a list',
      });
      expect(await late.get('/healthz')).toEqual({ status: 200, body: 'ok\n' });
      expect(await late.get('/readyz')).toEqual({ status: 503, body: 'caches not synced\n' });
      // The controller's roles, bound to it: its next list succeeds, it syncs, and waits for the
      // Lease the leader holds.
      await cp.kubectl([
        'create',
        'clusterrolebinding',
        'bmlb:late',
        '--clusterrole=bmlb:controller',
        '--serviceaccount=metallb-system:late',
      ]);
      await cp.kubectl([
        'create',
        'rolebinding',
        'bmlb:late',
        '-n',
        'metallb-system',
        '--role=bmlb:controller',
        '--serviceaccount=metallb-system:late',
      ]);
      await late.ready(30_000);
      expect(await late.get('/readyz')).toEqual({ status: 200, body: 'ok\n' });
      const holder = (await leader()).identity;
      const st = await waitFor(async () => {
        const s = await late.status();
        return s.leader !== undefined ? s : undefined;
      });
      expect(st).toMatchObject({ active: false, leader: holder });
    } finally {
      await late.proc.stop();
    }
  });

  it('webhook refusals: kubectl apply fails with the rule in words', async () => {
    const tryApply = (obj: object) =>
      cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(obj), allowFail: true });
    const unknownField = await tryApply({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      metadata: { name: 'typo', namespace: 'metallb-system' },
      spec: { addresses: ['10.9.0.0/24'], autoAssing: true },
    });
    expect(unknownField.code).toBe(1);
    expect(unknownField.stderr).toMatch(/unknown field "spec\.autoAssing"/);
    const overlap = await tryApply({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      metadata: { name: 'overlap', namespace: 'metallb-system' },
      spec: { addresses: ['203.0.113.128/25'] },
    });
    expect(overlap.code).toBe(1);
    expect(overlap.stderr).toContain(
      'admission webhook "ipaddresspoolvalidationwebhook.metallb.io" denied the request: IPAddressPool/metallb-system/overlap: spec.addresses[0]: "203.0.113.128/25" overlaps "203.0.113.0/24" of IPAddressPool metallb-system/prod-pool',
    );
    const noASN = await tryApply({
      apiVersion: 'metallb.io/v1beta2',
      kind: 'BGPPeer',
      metadata: { name: 'no-asn', namespace: 'metallb-system' },
      spec: { peerASN: 65000, peerAddress: '10.0.0.9' },
    });
    expect(noASN.code).toBe(1);
    // The CRD's schema requires it: the API server refuses before the webhook is called.
    expect(noASN.stderr).toContain('The BGPPeer "no-asn" is invalid: \n* spec.myASN: Required value\n');
    const missingBfd = await tryApply({
      apiVersion: 'metallb.io/v1beta2',
      kind: 'BGPPeer',
      metadata: { name: 'tor3', namespace: 'metallb-system' },
      spec: { myASN: 65100, peerASN: 65000, peerAddress: '10.0.0.3', bfdProfile: 'nope' },
    });
    expect(missingBfd.code).toBe(1);
    expect(missingBfd.stderr).toContain(
      'admission webhook "bgppeersvalidationwebhook.metallb.io" denied the request: BGPPeer/metallb-system/tor3: spec.bfdProfile: BFDProfile "nope" does not exist in namespace metallb-system (known: tor-bfd) [unknown-bfd-profile]',
    );
    const inUse = await cp.kubectl(['delete', 'bfdprofile', 'tor-bfd', '-n', 'metallb-system'], {
      allowFail: true,
    });
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toContain('failed to delete BFDProfile tor-bfd, used by BGPPeer tor1');
  });

  it('a bad object that got in while the webhook was away: the last valid pools keep running, with an Event naming the field', async () => {
    await cp.kubectl(['delete', 'validatingwebhookconfiguration', 'metallb-webhook-configuration']);
    try {
      await apply({
        apiVersion: 'metallb.io/v1beta1',
        kind: 'IPAddressPool',
        metadata: { name: 'sneaky', namespace: 'metallb-system' },
        spec: { addresses: ['203.0.113.0/28'] },
      });
      expect(await eventually('metallb-system', 'sneaky', /InvalidConfiguration/, 'IPAddressPool')).toMatch(
        /^Warning InvalidConfiguration: spec\.addresses\[0\]: "203\.0\.113\.0\/28" overlaps .*\[overlapping-pools\] \(the last valid address pools stay in use\)$/,
      );
      await create({ name: 'during-stale' });
      expect(await ipsOf('during-stale')).toEqual([expect.stringMatching(/^203\.0\.113\./)]);
      const l = await leader();
      expect(await l.metrics()).toContain('metallb_k8s_client_config_stale_bool 1');
    } finally {
      await cp.kubectl(['delete', 'ipaddresspool', 'sneaky', '-n', 'metallb-system', '--ignore-not-found']);
      await cp.apply(await webhookConfiguration(cp, webhookPort));
    }
    // The controller fills the caBundle of the new configuration again.
    await waitFor(
      async () => {
        const v = await cp.kubectlJson<{ webhooks: { clientConfig: { caBundle?: string } }[] }>([
          'get',
          'validatingwebhookconfiguration',
          'metallb-webhook-configuration',
        ]);
        return v.webhooks.every((w) => (w.clientConfig.caBundle ?? '') !== '');
      },
      { timeoutMs: 90_000, intervalMs: 500, what: 'caBundle filled again' },
    );
  });

  it('leader failover: SIGKILL of the leader, the standby takes over within the lease duration, no address changes', async () => {
    const before = await services(cp);
    const l = await leader();
    const standby = l === first ? second : first;
    expect((await standby.status()).active).toBe(false);
    const t0 = performance.now();
    l.proc.kill('SIGKILL');
    await standby.leading(20_000);
    const took = performance.now() - t0;
    // Lease 6 s; a standby sees the holder stop renewing after at most one retry period (1 s), and
    // tries again every retry period (+20 % jitter): client-go's bound is lease + 2 × retry.
    expect(took).toBeLessThan(6_000 + 2 * 1_200 + 500);
    process.stdout.write(
      `leader failover: ${standby.identity} took over ${Math.round(took)} ms after the SIGKILL\n`,
    );
    await create({ name: 'after-failover' });
    expect(await ipsOf('after-failover')).toEqual([expect.stringMatching(/^203\.0\.113\./)]);
    const after = await services(cp);
    for (const [k, s] of before) expect(after.get(k)?.ips, k).toEqual(s.ips);
    // The killed replica comes back as a standby.
    const back = await ControllerProcess.start({
      identity: `${l.identity}-again`,
      kubeconfig,
      logDir,
      webhookPort: await freePort(),
    });
    extra.push(back);
    await back.ready();
    expect((await back.status()).active).toBe(false);
  });

  it('restart with 1,000 Services (a SIGKILL mid-churn, a status conflict): no address changes, the conflict settled by age', async () => {
    await cp.kubectl(['create', 'namespace', 'many']);
    await applyPool('big', {
      addresses: ['10.200.0.0/16'],
      serviceAllocation: { priority: 1, namespaces: ['many'] },
    });
    const batch = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => lbService({ name: `s${from + i}`, namespace: 'many' }));
    for (let i = 0; i < 1000; i += 250) await apply(batch(i, i + 250));
    await waitFor(
      async () =>
        [...(await services(cp, 'many')).values()].filter((s) => s.ips.length === 1).length === 1000,
      { timeoutMs: 120_000, intervalMs: 500, what: '1,000 Services with an address' },
    );
    const before = await services(cp, 'many');
    expect(new Set([...before.values()].map((s) => s.ips[0])).size).toBe(1000);
    // Stop every replica (SIGKILL: no goodbye), start a fresh one.
    for (const c of [first, second, ...extra]) c.proc.kill('SIGKILL');
    await Promise.all([first, second, ...extra].map((c) => c.proc.exited));
    // While no controller runs, s3's status is edited to claim s2's address (as a restore from a
    // backup might): s2, created first (or, in the same second, first by name), keeps it; s3 gets
    // another one and a Warning.
    const s2 = before.get('many/s2')!.ips[0]!;
    await cp.kubectl([
      'patch',
      'svc',
      's3',
      '-n',
      'many',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { loadBalancer: { ingress: [{ ip: s2 }] } } }),
    ]);
    const fresh = await ControllerProcess.start({
      identity: 'controller-3',
      kubeconfig,
      logDir,
      webhookPort,
    });
    extra.push(fresh);
    await fresh.ready();
    await fresh.leading(30_000);
    // Churn: delete 50 and create 100 (ten at a time), and SIGKILL the leader while it goes on: as
    // soon as the first new Service has its address, with the rest being created and assigned.
    let churning = true;
    const churn = Promise.all([
      cp.kubectl(['delete', 'svc', '-n', 'many', ...Array.from({ length: 50 }, (_, i) => `s${i * 20}`)]),
      (async () => {
        for (let i = 1000; i < 1100; i += 10) await apply(batch(i, i + 10));
      })(),
    ]).finally(() => {
      churning = false;
    });
    await waitFor(
      async () =>
        (
          await cp.kubectlJson<{ status?: { loadBalancer?: { ingress?: unknown[] } } }>([
            'get',
            'svc',
            's1000',
            '-n',
            'many',
          ])
        ).status?.loadBalancer?.ingress?.length,
      { timeoutMs: 30_000, intervalMs: 50, what: 'many/s1000 to get its address' },
    );
    fresh.proc.kill('SIGKILL');
    expect(churning, 'the churn still going at the SIGKILL').toBe(true);
    await fresh.proc.exited;
    // What the killed leader had written: some of the new Services served, the others waiting.
    const atKill = [...(await services(cp, 'many')).values()].filter((s) => Number(s.name.slice(1)) >= 1000);
    const served = atKill.filter((s) => s.ips.length > 0).length;
    process.stdout.write(
      `restart: SIGKILL mid-churn with ${served} of the 100 new Services served (${atKill.length} created by then)\n`,
    );
    expect(served).toBeGreaterThan(0);
    expect(served).toBeLessThan(100);
    await churn;
    const last = await ControllerProcess.start({ identity: 'controller-4', kubeconfig, logDir, webhookPort });
    extra.push(last);
    await last.ready();
    await last.leading(30_000);
    await waitFor(
      async () =>
        [...(await services(cp, 'many')).values()].filter((s) => s.ips.length === 1).length === 1050,
      { timeoutMs: 60_000, intervalMs: 500, what: '1,050 Services with an address' },
    );
    const after = await services(cp, 'many');
    let same = 0;
    for (const [k, s] of before) {
      const now = after.get(k);
      if (now === undefined || k === 'many/s3') continue; // deleted in the churn; the conflict
      expect(now.ips, k).toEqual(s.ips);
      same++;
    }
    expect(same).toBe(949);
    expect(after.get('many/s2')?.ips).toEqual([s2]);
    expect(after.get('many/s3')?.ips[0]).not.toBe(s2);
    expect(await eventually('many', 's3', /ClearAssignment/)).toMatch(
      /^Warning ClearAssignment: current IP for "many\/s3" not allowed by config, will attempt for new IP assignment: address .* held by many\/s2, which does not allow sharing \(both claim it in their status: the Service created first keeps it, then by namespace\/name\)$/,
    );
    expect(new Set([...after.values()].map((s) => s.ips[0])).size).toBe(1050);
    const rebuilt = last.events('rebuilt');
    process.stdout.write(`restart: rebuilt from status in ${rebuilt[0]?.ms} ms\n`);
  }, 300_000);
});
