// Benchmark: 10,000 Service IPs added in one edit of FILE — time until FRR holds all 10,000 routes,
// then until all are withdrawn — and the same routes announced by gobgpd to the same FRR in the
// same run. Prints figures; asserts nothing.
//
// How each side is timed (clock: this process's performance.now(); end: FRR's `show bgp summary
// json` counts all N prefixes from that peer, polled every 10 ms):
//   bmlb add:      from the rename that replaces FILE with N more Services (+ EndpointSlices);
//                  includes the speaker noticing the edit, reading, parsing and validating it,
//                  computing the routes and sending them.
//   bmlb withdraw: from the rename that replaces FILE with one without them.
//   gobgpd add:    from starting `gobgp-inject` (tools/gobgp-inject; built with `go` if present), which
//                  reads the N addresses and hands them to gobgpd over its gRPC API (AddPathStream,
//                  batches of 1,000, waits for gobgpd's reply); includes gobgpd installing them and
//                  sending them. Without `go`, the fallback is the routes loaded untimed with
//                  `mrt inject` behind an export policy that rejects them, timed from the policy's
//                  release (so only gobgpd's sending is timed: not like for like; it says so).
//   gobgpd withdraw: from `gobgp global rib -a ipv4 del all`.
//
//   bmlb add is measured for the same objects written three ways: JSON documents (`kubectl get -o
//   json`), block YAML (`kubectl get -o yaml`, what people edit) and YAML flow mappings.
//
//   sudo npx -y pnpm@10.34.8 --filter @bmlb/speaker bench
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { type FrrInstance, type GobgpInstance, Lab, waitFor } from '@bmlb/netlab';
import { mrtRibIPv4 } from './test-support/mrt.ts';

import { seedManifests, Topology } from './test-support/topology.ts';

const N = Number(process.env.BENCH_ROUTES ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const GOBGP_ADDR = '10.0.0.21';

function hostIp(i: number): string {
  return `198.18.${(i >> 8) & 0xff}.${i & 0xff}`;
}

const BENCH_DOCS = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: bench-pool, namespace: metallb-system }
spec: { addresses: [198.18.0.0/16] }
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: bench-adv, namespace: metallb-system }
spec: { ipAddressPools: [bench-pool], communities: ["65000:100"] }`;

/**
 * N LoadBalancer Services (Cluster policy), each with its IP in status and a ready endpoint, as block
 * YAML (what `kubectl get -o yaml` writes and people edit).
 */
function servicesYamlBlock(n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      `apiVersion: v1
kind: Service
metadata:
  name: s${i}
  namespace: bench
spec:
  type: LoadBalancer
  externalTrafficPolicy: Cluster
  ports:
  - port: 80
    protocol: TCP
    targetPort: 8080
status:
  loadBalancer:
    ingress:
    - ip: ${hostIp(i)}`,
      `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: s${i}-1
  namespace: bench
  labels:
    kubernetes.io/service-name: s${i}
addressType: IPv4
endpoints:
- addresses:
  - 10.244.0.1
  nodeName: node1
  conditions:
    ready: true`,
    );
  }
  return out.join('\n---\n');
}

/** The same objects as YAML flow mappings, one per document. */
function servicesYamlFlow(n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      `{apiVersion: v1, kind: Service, metadata: {name: s${i}, namespace: bench}, spec: {type: LoadBalancer, externalTrafficPolicy: Cluster, ports: [{port: 80}]}, status: {loadBalancer: {ingress: [{ip: ${hostIp(i)}}]}}}`,
      `{apiVersion: discovery.k8s.io/v1, kind: EndpointSlice, metadata: {name: s${i}-1, namespace: bench, labels: {kubernetes.io/service-name: s${i}}}, addressType: IPv4, endpoints: [{addresses: [10.244.0.1], nodeName: node1, conditions: {ready: true}}]}`,
    );
  }
  return out.join('\n---\n');
}

/** The same objects as JSON documents (as `kubectl get -o json` writes them; YAML 1.2 reads JSON). */
function servicesJson(n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `s${i}`, namespace: 'bench' },
        spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', ports: [{ port: 80 }] },
        status: { loadBalancer: { ingress: [{ ip: hostIp(i) }] } },
      }),
      JSON.stringify({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: `s${i}-1`, namespace: 'bench', labels: { 'kubernetes.io/service-name': `s${i}` } },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['10.244.0.1'], nodeName: 'node1', conditions: { ready: true } }],
      }),
    );
  }
  return out.join('\n---\n');
}

async function pfxRcd(tor: FrrInstance, peer: string): Promise<number> {
  const s = await tor.vtyshJson<{ ipv4Unicast?: { peers?: Record<string, { pfxRcd?: number }> } }>(
    'show bgp summary json',
  );
  return s.ipv4Unicast?.peers?.[peer]?.pfxRcd ?? 0;
}

async function until(tor: FrrInstance, peer: string, count: number, t0: number): Promise<number> {
  let last = -1;
  await waitFor(
    async () => {
      last = await pfxRcd(tor, peer);
      return last === count;
    },
    {
      timeoutMs: 60_000,
      intervalMs: 10,
      what: `${peer}: ${count} prefixes on the ToR`,
    },
  ).catch((err: unknown) => {
    throw new Error(`${(err as Error).message} (it holds ${last})`);
  });
  return performance.now() - t0;
}

async function ribCount(g: GobgpInstance): Promise<number> {
  const out = await g.gobgp(['global', 'rib', 'summary', '-a', 'ipv4']);
  return Number(/Destination: (\d+)/.exec(out)?.[1] ?? 0);
}

/** Builds `gobgp-inject` (Go, gobgp's gRPC API) into `out`; undefined when Go or the build is unavailable. */
function buildInjector(out: string): string | undefined {
  try {
    execFileSync('go', ['build', '-o', out, '.'], {
      cwd: new URL('../../../tools/gobgp-inject/', import.meta.url).pathname,
      env: { ...process.env, GOFLAGS: '-mod=mod' },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 300_000,
    });
    return out;
  } catch (err) {
    process.stderr.write(
      `gobgp-inject not built (${(err as Error).message.split('\n')[0]}); using the export-release fallback\n`,
    );
    return undefined;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ms = (x: number) => `${x.toFixed(0)} ms`;

async function main(): Promise<void> {
  const lab = await Lab.create({ prefix: 'spkb' });
  try {
    const topo = await Topology.create(lab, {
      nodes: 1,
      tors: 1,
      holdTime: 90,
      extraNeighbors: [GOBGP_ADDR],
    });
    const tor = topo.tors[0] as FrrInstance;
    const node = topo.node('node1');
    const base = `${seedManifests({ bfd: false })}\n---\n${BENCH_DOCS}`;
    topo.writeConfig(node, base);
    await topo.startSpeaker(node);
    await tor.waitForBgpState(node.addr);

    const gbNs = await lab.namespace('gobgp');
    await topo.segment.attach(gbNs, { ifname: 'eth0', addrs: [`${GOBGP_ADDR}/24`] });
    const gobgp = await lab.gobgp(gbNs, {
      config: `[global.config]\n  as = 65100\n  router-id = "${GOBGP_ADDR}"\n[[neighbors]]\n  [neighbors.config]\n    neighbor-address = "10.0.0.1"\n    peer-as = 65000\n`,
      logLevel: 'warn',
    });
    await tor.waitForBgpState(GOBGP_ADDR);
    const hosts = Array.from({ length: N }, (_, i) => hostIp(i));
    const mrt = lab.file('bench.mrt');
    const mrtFor = (list: readonly string[]) =>
      mrtRibIPv4(list, {
        nextHop: GOBGP_ADDR,
        // A peer AS of 0 makes gobgp take the paths as locally originated (with 65100 it drops them).
        peerId: '192.0.2.1',
        peerAs: 0,
        communities: [65000 * 65536 + 100],
      });
    const formats = [
      { name: 'JSON documents', text: `${base}\n---\n${servicesJson(N)}\n` },
      { name: 'YAML block documents', text: `${base}\n---\n${servicesYamlBlock(N)}\n` },
      { name: 'YAML flow documents', text: `${base}\n---\n${servicesYamlFlow(N)}\n` },
    ];
    process.stdout.write(
      `FILE with ${N} Services and ${N} EndpointSlices: ${formats.map((f) => `${(f.text.length / 1e6).toFixed(1)} MB as ${f.name}`).join(', ')}\n`,
    );

    const injector = buildInjector(lab.file('gobgp-inject'));
    const ours = formats.map(() => ({ add: [] as number[], del: [] as number[] }));
    const theirs = { add: [] as number[], del: [] as number[] };
    const handed: number[] = []; // gobgp-inject's run, until gobgpd confirmed the paths
    for (let run = 1; run <= RUNS; run++) {
      let t0: number;
      // Each run starts with another format, so each has its turn as the speaker's first (cold) edit.
      for (let j = 0; j < formats.length; j++) {
        const k = (run - 1 + j) % formats.length;
        const f = formats[k] as (typeof formats)[number];
        const o = ours[k] as (typeof ours)[number];
        t0 = performance.now();
        topo.writeConfig(node, f.text);
        o.add.push(await until(tor, node.addr, N, t0));
        t0 = performance.now();
        topo.writeConfig(node, base);
        o.del.push(await until(tor, node.addr, 0, t0));
      }

      if (injector !== undefined) {
        // Like for like: from the moment the routes are handed to gobgpd until FRR holds them all.
        t0 = performance.now();
        const out = await gbNs.exec(
          [injector, `127.0.0.1:${gobgp.apiPort}`, GOBGP_ADDR, String(65000 * 65536 + 100)],
          { input: `${hosts.join('\n')}\n`, timeoutMs: 60_000 },
        );
        handed.push(performance.now() - t0);
        if (Number(out.trim()) !== N) throw new Error(`gobgp-inject added ${out.trim()} paths, not ${N}`);
        theirs.add.push(await until(tor, GOBGP_ADDR, N, t0));
        const loaded = await ribCount(gobgp);
        if (loaded !== N) throw new Error(`gobgpd holds ${loaded} routes, not ${N}, after gobgp-inject`);
      } else {
        // Fallback: gobgp 3.10's `mrt inject` loses part of a large batch, so the routes are loaded
        // into gobgpd's RIB first, held back by its export policy (untimed), then released at once:
        // the time measured is only gobgpd advertising N routes to FRR.
        await gobgp.gobgp(['global', 'policy', 'export', 'set', 'default', 'reject']);
        for (let i = 0; i < 100; i++) {
          const rib = await gobgp.gobgp(['global', 'rib', '-a', 'ipv4']);
          const have = new Set([...rib.matchAll(/(198\.18\.\d+\.\d+)\/32/g)].map((m) => m[1]));
          const missing = hosts.filter((h) => !have.has(h));
          if (process.env.BENCH_DEBUG)
            process.stderr.write(`gobgp inject round ${i}: ${missing.length} missing\n`);
          if (missing.length === 0) break;
          // It drops the tail of a batch (sometimes a small batch whole): send what is missing, four times.
          fs.writeFileSync(mrt, mrtFor([...missing, ...missing, ...missing, ...missing]));
          await gobgp.gobgp(['mrt', 'inject', 'global', mrt]);
        }
        const loaded = await ribCount(gobgp);
        if (loaded !== N) throw new Error(`gobgpd holds ${loaded} routes, not ${N}, after injecting`);
        t0 = performance.now();
        await gobgp.gobgp(['global', 'policy', 'export', 'set', 'default', 'accept']);
        await gobgp.gobgp(['neighbor', '10.0.0.1', 'softresetout', '-a', 'ipv4']);
        theirs.add.push(await until(tor, GOBGP_ADDR, N, t0));
      }
      t0 = performance.now();
      await gobgp.gobgp(['global', 'rib', '-a', 'ipv4', 'del', 'all']);
      theirs.del.push(await until(tor, GOBGP_ADDR, 0, t0));
      process.stdout.write(
        `run ${run}: ${formats.map((f, k) => `bmlb (${f.name}) add ${ms(ours[k]?.add.at(-1) as number)}, withdraw ${ms(ours[k]?.del.at(-1) as number)}`).join('; ')}; ` +
          `gobgpd add ${ms(theirs.add.at(-1) as number)}, withdraw ${ms(theirs.del.at(-1) as number)}\n`,
      );
    }
    const processed = [
      ...(node.proc?.output() ?? '').matchAll(
        /"event":"configProcessed".*?"ms":([\d.]+),"readMs":([\d.]+),"applyMs":([\d.]+)/g,
      ),
    ]
      .slice(1) // the initial load of the small base
      .map((m) => `${ms(Number(m[1]))} (${ms(Number(m[2]))} + ${ms(Number(m[3]))})`);
    const ga = median(theirs.add);
    const gd = median(theirs.del);
    const pad = (x: string) => x.padEnd(52);
    process.stdout.write(
      `\n${N} routes to FRR (median of ${RUNS}; until FRR's show bgp summary counts them all):\n` +
        formats
          .map(
            (f, k) =>
              `  ${pad(`bmlb speaker (one FILE edit, ${f.name}):`)}add ${ms(median(ours[k]?.add ?? []))}, withdraw ${ms(median(ours[k]?.del ?? []))}\n`,
          )
          .join('') +
        `  ${pad(`gobgpd (${injector !== undefined ? 'gRPC AddPathStream / del all' : 'export released / del all'}):`)}add ${ms(ga)}, withdraw ${ms(gd)}\n` +
        formats
          .map(
            (f, k) =>
              `  ${pad(`ratio gobgpd / bmlb (${f.name}):`)}add ${(ga / median(ours[k]?.add ?? [])).toFixed(2)}x, withdraw ${(gd / median(ours[k]?.del ?? [])).toFixed(2)}x\n`,
          )
          .join('') +
        (handed.length > 0
          ? `  of which gobgp-inject ran (start until gobgpd confirmed the paths): ${handed.map((x) => ms(x)).join(', ')}\n`
          : '') +
        (processed.length > 0
          ? `  the speaker's configProcessed per edit, add and withdraw in turn (reading and validating + computing and handing the routes to the session):\n    ${processed.join(', ')}\n`
          : ''),
    );
  } finally {
    await lab.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`benchmark failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
