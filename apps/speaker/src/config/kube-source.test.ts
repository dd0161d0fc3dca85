import fs from 'node:fs';
import path from 'node:path';
import { MemoryCluster, type Problem, Resources } from '@bmlb/k8s-adapter';
import { buildConfig, formatConfigError, type ManifestObject } from '@bmlb/metallb-api';
import { parseManifests } from '@bmlb/metallb-api/yaml';
import { resolveSharedData } from '@bmlb/shared-data';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SpeakerMetrics } from '../speaker/metrics.ts';
import { Speaker } from '../speaker/speaker.ts';
import type { LoadResult } from '../speaker/types.ts';
import { type FakeBgp, fakeFactory } from '../test-support/fake-sessions.ts';
import { KubeSource } from './kube-source.ts';
import { snapshotFromConfig } from './snapshot.ts';

function seedObjects(): Record<string, unknown>[] {
  const seedDir = resolveSharedData('seed-manifests');
  const out: Record<string, unknown>[] = [];
  for (const f of fs
    .readdirSync(seedDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    const { objects, errors } = parseManifests(fs.readFileSync(path.join(seedDir, f), 'utf8'), { source: f });
    expect(errors).toEqual([]);
    for (const o of objects) {
      const raw = structuredClone(o) as unknown as { metadata: { namespace?: string } };
      raw.metadata.namespace ??= 'default';
      out.push(raw as unknown as Record<string, unknown>);
    }
  }
  return out;
}

const node = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'kubernetes.io/hostname': name } },
  status: { addresses: [{ type: 'InternalIP', address: '10.0.0.21' }] },
});

const sources: KubeSource[] = [];
afterEach(() => {
  for (const s of sources.splice(0)) s.close();
});

function setup(m: MemoryCluster) {
  const configs: LoadResult[] = [];
  const problems: (readonly Problem[])[] = [];
  const src = new KubeSource({
    cluster: m,
    namespace: 'metallb-system',
    nodeName: 'node-21',
    debounceMs: 1,
    onConfig: (r) => configs.push(r),
    onProblems: (p) => problems.push(p),
  });
  sources.push(src);
  return { src, configs, problems };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('KubeSource', () => {
  it('builds the seed configuration from the cluster, as the file source would', async () => {
    const m = new MemoryCluster();
    for (const o of seedObjects()) m.put(o);
    m.put(node('node-21'));
    m.put(node('node-22'));
    const { src, configs } = setup(m);
    await src.start();
    expect(configs.length).toBe(1);
    const r = configs[0];
    if (!r?.ok) throw new Error(`rejected: ${JSON.stringify(r)}`);
    expect(r.snapshot.announce.pools.map((p) => p.name)).toEqual(['prod-pool']);
    expect(r.snapshot.peers.map((p) => [p.name, p.address, p.bfdProfile?.name])).toEqual([
      ['tor1', '10.0.0.1', 'tor-bfd'],
      ['tor2', '10.0.0.2', undefined],
    ]);
    expect(r.snapshot.services.map((s) => s.metadata.name)).toEqual(['web']);
    // Only its own Node is watched.
    expect(r.snapshot.nodes.map((n) => n.metadata.name)).toEqual(['node-21']);
  });

  it('coalesces a burst of changes into one rebuild', async () => {
    const m = new MemoryCluster();
    for (const o of seedObjects()) m.put(o);
    const { src, configs } = setup(m);
    await src.start();
    for (let i = 0; i < 50; i++) {
      m.put({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `s${i}`, namespace: 'default' },
        spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
      });
    }
    await settle();
    expect(configs.length).toBe(2);
    const last = configs.at(-1);
    expect(last?.ok && last.snapshot.services.length).toBe(51);
  });

  it('builds a Service or EndpointSlice change at once after a quiet spell; a configuration change waits for quiet', async () => {
    const m = new MemoryCluster();
    for (const o of seedObjects()) m.put(o);
    const configs: LoadResult[] = [];
    const src = new KubeSource({
      cluster: m,
      namespace: 'metallb-system',
      nodeName: 'node-21',
      debounceMs: 1_000,
      onConfig: (r) => configs.push(r),
    });
    sources.push(src);
    await src.start();
    expect(configs.length).toBe(1);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const service = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'default' },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
    });
    await sleep(1_100); // longer than the spacing since the first build
    m.put(service('quick'));
    // Well before the debounce's 1 s of quiet would have passed.
    await vi.waitFor(() => expect(configs.length).toBe(2), { timeout: 900, interval: 5 });

    // Right after a rebuild, the next data-plane change waits for the spacing.
    m.put(service('spaced'));
    await sleep(300);
    expect(configs.length).toBe(2);
    await vi.waitFor(() => expect(configs.length).toBe(3), { timeout: 3_000, interval: 10 });

    // A configuration change waits for the debounce's quiet time, even after a quiet spell.
    await sleep(1_100);
    const pool = m.get('IPAddressPool', 'metallb-system', 'prod-pool') as { metadata: object };
    m.put({ ...pool, metadata: { ...pool.metadata, labels: { edited: 'yes' } } });
    await sleep(300);
    expect(configs.length).toBe(3);
    await vi.waitFor(() => expect(configs.length).toBe(4), { timeout: 3_000, interval: 10 });
  }, 15_000);

  it('keeps the last valid version of a bad edit and reports it; a cross-object error is a rejection', async () => {
    const m = new MemoryCluster();
    for (const o of seedObjects()) m.put(o);
    const { src, configs, problems } = setup(m);
    await src.start();
    const pool = m.get('IPAddressPool', 'metallb-system', 'prod-pool') as Record<string, unknown>;
    m.put({ ...pool, spec: { addresses: ['not-a-cidr'] } });
    await settle();
    const afterBad = configs.at(-1);
    expect(afterBad?.ok).toBe(true);
    if (afterBad?.ok) expect(afterBad.snapshot.announce.pools[0]?.addresses).toEqual(['203.0.113.0/24']);
    expect(problems.at(-1)?.[0]?.errors[0]).toMatchObject({ name: 'prod-pool', path: 'spec.addresses[0]' });

    // A second pool overlapping the first: valid alone, refused together (MetalLB's rule).
    m.put({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      metadata: { name: 'overlap', namespace: 'metallb-system' },
      spec: { addresses: ['203.0.113.128/25'] },
    });
    await settle();
    const rejected = configs.at(-1);
    expect(rejected?.ok).toBe(false);
    if (rejected?.ok === false) expect(rejected.errors.join('\n')).toMatch(/overlap/);
  });

  it('runs the cross-object rules again only when a configuration object changed, with the same result', async () => {
    const m = new MemoryCluster();
    for (const o of seedObjects()) m.put(o);
    m.put(node('node-21'));
    const { src, configs } = setup(m);
    await src.start();
    expect(src.stats).toEqual({ built: 1, reused: 0 });
    // A burst of Service and EndpointSlice changes: the configuration built before is reused.
    for (let i = 0; i < 5; i++) {
      m.put({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `s${i}`, namespace: 'default' },
        spec: { type: 'LoadBalancer' },
        status: { loadBalancer: { ingress: [{ ip: `203.0.113.${100 + i}` }] } },
      });
      m.put({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: `s${i}-a`,
          namespace: 'default',
          labels: { 'kubernetes.io/service-name': `s${i}` },
        },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['10.244.0.9'], nodeName: 'node-21' }],
      });
    }
    await settle();
    expect(src.stats).toEqual({ built: 1, reused: 1 });
    // A BGPAdvertisement change: built again.
    const adv = m.list('BGPAdvertisement')[0] as Record<string, unknown>;
    m.put({ ...adv, spec: { ...(adv.spec as object), communities: ['65000:7'] } });
    await settle();
    expect(src.stats).toEqual({ built: 2, reused: 1 });
    m.remove(Resources.Service, 'default', 's0');
    await settle();
    expect(src.stats).toEqual({ built: 2, reused: 2 });

    // What it handed over is what building from every cached object gives.
    const last = configs.at(-1);
    if (!last?.ok) throw new Error(`rejected: ${JSON.stringify(last)}`);
    const all: ManifestObject[] = [];
    for (const kind of Object.values(Resources))
      if (m.cache.has(kind)) all.push(...(m.cache.store(kind).list() as unknown as ManifestObject[]));
    const built = buildConfig(all, { namespace: 'metallb-system' });
    expect(built.errors).toEqual([]);
    const warnings = built.warnings.map(formatConfigError);
    expect(last.snapshot).toEqual(snapshotFromConfig(built.config, warnings));
    expect(last.warnings).toEqual(warnings);
    expect(last.objects).toBe(all.length);
    expect(last.snapshot.services.map((s) => s.metadata.name)).toEqual(['web', 's1', 's2', 's3', 's4']);
  });

  it("ignores the echo of its own status writes, pool status counts and Node heartbeats; a node's label change is a new configuration", async () => {
    const m = new MemoryCluster();
    for (const o of seedObjects()) m.put(o);
    m.put(node('node-21'));
    // The status publisher's watches share the cache (kube-status.ts).
    m.watch(Resources.ServiceBGPStatus, { namespace: 'metallb-system' });
    m.watch(Resources.BGPSessionState, { namespace: 'metallb-system' });
    const { src, configs } = setup(m);
    await src.start();
    expect(configs.length).toBe(1);
    expect(src.stats).toEqual({ built: 1, reused: 0 });
    for (let i = 0; i < 20; i++)
      m.put({
        apiVersion: 'metallb.io/v1beta1',
        kind: 'ServiceBGPStatus',
        metadata: {
          name: `web-node-21-${i}`,
          namespace: 'metallb-system',
          labels: { 'metallb.io/node': 'node-21' },
        },
        status: { node: 'node-21', serviceName: 'web', serviceNamespace: 'default', peers: ['tor1'] },
      });
    m.put({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'BGPSessionState',
      metadata: { name: 'node-21-tor1', namespace: 'metallb-system' },
      status: { bgpStatus: 'Established' },
    });
    // The controller's counts in an IPAddressPool's status, written as it allocates.
    const pool = m.list('IPAddressPool')[0] as Record<string, unknown>;
    for (let i = 0; i < 5; i++)
      m.put({
        ...pool,
        status: { assignedIPv4: i, availableIPv4: 256 - i, assignedIPv6: 0, availableIPv6: 0 },
      });
    await settle();
    expect(configs.length).toBe(1);
    expect(src.stats).toEqual({ built: 1, reused: 0 });
    // A heartbeat: the Node's status changes in fields the speaker does not keep.
    const beat = (at: string, extra: Record<string, unknown> = {}) =>
      m.put({
        ...node('node-21'),
        ...extra,
        status: {
          addresses: [{ type: 'InternalIP', address: '10.0.0.21' }],
          conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: at }],
        },
      });
    beat('2026-12-05T03:00:00Z');
    await settle();
    const afterReady = configs.length;
    beat('2026-12-05T03:00:40Z');
    await settle();
    expect(configs.length).toBe(afterReady);
    expect(src.stats.built).toBe(afterReady);
    // A label is configuration (node selectors): built again.
    beat('2026-12-05T03:01:20Z', {
      metadata: { name: 'node-21', labels: { 'kubernetes.io/hostname': 'node-21', rack: 'r1' } },
    });
    await settle();
    expect(configs.length).toBe(afterReady + 1);
    expect(src.stats.built).toBe(afterReady + 1);
  });

  it('hands over which Services and EndpointSlices changed; a speaker fed that way matches one recomputing everything', async () => {
    const m = new MemoryCluster();
    for (const o of seedObjects()) m.put(o);
    m.put(node('node-21'));
    const speaker = () => {
      const f = fakeFactory();
      const sp = new Speaker({
        nodeName: 'node-21',
        factory: f.factory,
        logger: pino({ level: 'silent' }),
        metrics: new SpeakerMetrics({ processMetrics: false }),
      });
      return { ...f, sp };
    };
    const inc = speaker();
    const full = speaker();
    const changes: NonNullable<Extract<LoadResult, { ok: true }>['changes']>[] = [];
    const src = new KubeSource({
      cluster: m,
      namespace: 'metallb-system',
      nodeName: 'node-21',
      debounceMs: 1,
      onConfig: (r) => {
        inc.sp.load(r);
        if (r.ok) {
          if (r.changes !== undefined) changes.push(r.changes);
          full.sp.load({ ...r, snapshot: { ...r.snapshot }, changes: undefined });
        }
      },
    });
    sources.push(src);
    await src.start();
    // A deterministic sequence (LCG) of Service and EndpointSlice changes.
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return Math.floor((seed / 2147483648) * n); // the high bits: an LCG's low bits repeat quickly
    };
    const names = ['a', 'b', 'c', 'd', 'e'];
    let announcedSteps = 0;
    for (let step = 0; step < 40; step++) {
      for (let k = 0; k <= rand(3); k++) {
        const name = names[rand(names.length)] as string;
        const op = rand(10);
        if (op < 4)
          m.put({
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name, namespace: 'default' },
            spec: {
              type: 'LoadBalancer',
              externalTrafficPolicy: rand(2) === 0 ? 'Local' : 'Cluster',
              ports: [{ port: 80 }],
            },
            // two Services may share an IP
            status: { loadBalancer: { ingress: [{ ip: `203.0.113.${50 + rand(4)}` }] } },
          });
        else if (op < 5) m.remove(Resources.Service, 'default', name);
        else if (op < 9)
          m.put({
            apiVersion: 'discovery.k8s.io/v1',
            kind: 'EndpointSlice',
            metadata: {
              name: `slice-${name}`,
              namespace: 'default',
              // a slice moves between Services
              labels: { 'kubernetes.io/service-name': names[rand(names.length)] as string },
            },
            addressType: 'IPv4',
            endpoints: [{ addresses: ['10.244.0.9'], nodeName: rand(2) === 0 ? 'node-21' : 'node-22' }],
          });
        else m.remove(Resources.EndpointSlice, 'default', `slice-${name}`);
      }
      await settle();
      expect(inc.sp.status().services).toEqual(full.sp.status().services);
      if (inc.sp.status().services.some((v) => v.reason === '')) announcedSteps++;
      for (const [i, s] of inc.bgp.entries())
        expect(s.routes.at(-1)).toEqual((full.bgp[i] as FakeBgp).routes.at(-1));
    }
    // The changes went the incremental way, each with a few objects, never all of them.
    expect(inc.bgp[0]?.changes.length).toBeGreaterThan(10);
    expect(changes.length).toBeGreaterThan(20);
    for (const c of changes.slice(1))
      expect(c.services.length + c.endpointSlices.length + c.deletedServices.length).toBeLessThanOrEqual(8);
    expect(announcedSteps).toBeGreaterThan(10);
  });
});
