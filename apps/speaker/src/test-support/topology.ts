// The seed topology in network namespaces, shared by the interop tests, the demo and the benchmark:
// two ToRs (FRR, AS 65000, ECMP) and N nodes running our speaker (AS 65100), all on one L2 segment.
//   ToRs   10.0.0.1, 10.0.0.2       fd00::1, fd00::2
//   nodes  10.0.0.11, .12, .13 …    fd00::11, fd00::12 …
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FrrInstance, type Lab, type Namespace, type Proc, type Segment, waitFor } from '@bmlb/netlab';
import { resolveSharedData } from '@bmlb/shared-data';

export const SEED_DIR = resolveSharedData('seed-manifests');
export const MAIN_TS = fileURLToPath(new URL('../main.ts', import.meta.url));
export const TOR_AS = 65000;
export const NODE_AS = 65100;

/** The seed manifests, in file order, as one multi-document YAML text. */
export function seedManifests(opts: { bfd?: boolean } = {}): string {
  const files = fs
    .readdirSync(SEED_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .filter((f) => opts.bfd !== false || !f.includes('bfd'))
    .sort();
  return files.map((f) => fs.readFileSync(path.join(SEED_DIR, f), 'utf8').trim()).join('\n---\n');
}

export interface ServiceSpec {
  readonly name: string;
  readonly namespace?: string;
  readonly ips: readonly string[];
  readonly policy: 'Cluster' | 'Local';
  /** Nodes with a ready endpoint. */
  readonly endpointsOn: readonly string[];
  readonly pool?: string;
}

/** A LoadBalancer Service with its allocated IPs in status (as the controller would write) and its EndpointSlice. */
export function serviceManifests(s: ServiceSpec): string {
  const ns = s.namespace ?? 'default';
  const pool =
    s.pool === undefined ? '' : `\n  annotations:\n    metallb.io/ip-allocated-from-pool: ${s.pool}`;
  const ingress = s.ips.map((ip) => `\n    - ip: ${ip}`).join('');
  const eps = s.endpointsOn
    .map(
      (node, i) =>
        `\n- addresses: ["10.244.${i + 1}.${(s.name.length % 200) + 10}"]\n  nodeName: ${node}\n  conditions: { ready: true, serving: true, terminating: false }`,
    )
    .join('');
  return `apiVersion: v1
kind: Service
metadata:
  name: ${s.name}
  namespace: ${ns}${pool}
spec:
  type: LoadBalancer
  externalTrafficPolicy: ${s.policy}
  selector: { app: ${s.name} }
  ports: [{ port: 443, targetPort: 8443 }]
status:
  loadBalancer:
    ingress:${ingress}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${s.name}-1
  namespace: ${ns}
  labels:
    kubernetes.io/service-name: ${s.name}
addressType: IPv4
ports: [{ port: 8443, protocol: TCP }]
endpoints:${eps.length === 0 ? ' []' : eps}`;
}

export interface TorOptions {
  /** Nodes to peer with (IPv4 addresses), and their IPv6 addresses for IPv6 sessions. */
  readonly nodes: readonly { addr: string; addr6?: string | undefined }[];
  readonly routerId: string;
  /** BFD with every node, using the seed's profile (300 ms × 3). */
  readonly bfd?: boolean;
  /** Hold time offered to the nodes (FRR's datacenter default is 9 s, keepalive 3 s). */
  readonly holdTime?: number;
  readonly password?: string;
  /** Extra lines inside `router bgp`. */
  readonly extraBgp?: readonly string[];
  /** Peer the nodes over iBGP (AS 65100 on the ToR) instead of eBGP. */
  readonly ibgp?: boolean;
}

export function torConfig(o: TorOptions): string {
  const as = o.ibgp === true ? NODE_AS : TOR_AS;
  const hold = o.holdTime ?? 9;
  const keep = Math.max(1, Math.floor(hold / 3));
  const lines = ['frr defaults datacenter', `hostname tor-${o.routerId}`, 'log timestamp precision 3', '!'];
  if (o.bfd === true) {
    lines.push(
      'bfd',
      ' profile tor-bfd',
      '  receive-interval 300',
      '  transmit-interval 300',
      '  detect-multiplier 3',
      ' !',
      '!',
    );
  }
  lines.push(
    `router bgp ${as}`,
    ` bgp router-id ${o.routerId}`,
    ' no bgp ebgp-requires-policy',
    ' no bgp default ipv4-unicast',
    ' bgp bestpath as-path multipath-relax',
    ' neighbor NODES peer-group',
    ` neighbor NODES remote-as ${NODE_AS}`,
    ` neighbor NODES timers ${keep} ${hold}`,
    ' neighbor NODES timers connect 1',
  );
  if (o.password !== undefined) lines.push(` neighbor NODES password ${o.password}`);
  if (o.bfd === true) lines.push(' neighbor NODES bfd', ' neighbor NODES bfd profile tor-bfd');
  const v6 = o.nodes.some((n) => n.addr6 !== undefined);
  if (v6) {
    lines.push(
      ' neighbor NODES6 peer-group',
      ` neighbor NODES6 remote-as ${NODE_AS}`,
      ` neighbor NODES6 timers ${keep} ${hold}`,
      ' neighbor NODES6 timers connect 1',
    );
    if (o.password !== undefined) lines.push(` neighbor NODES6 password ${o.password}`);
  }
  for (const n of o.nodes) {
    lines.push(` neighbor ${n.addr} peer-group NODES`);
    if (n.addr6 !== undefined) lines.push(` neighbor ${n.addr6} peer-group NODES6`);
  }
  lines.push(...(o.extraBgp ?? []));
  lines.push(
    ' address-family ipv4 unicast',
    '  neighbor NODES activate',
    '  maximum-paths 8',
    '  maximum-paths ibgp 8',
    ' exit-address-family',
  );
  if (v6)
    lines.push(
      ' address-family ipv6 unicast',
      '  neighbor NODES6 activate',
      '  maximum-paths 8',
      '  maximum-paths ibgp 8',
      ' exit-address-family',
    );
  lines.push('!', '');
  return lines.join('\n');
}

export interface SpeakerNode {
  readonly name: string;
  readonly ns: Namespace;
  readonly addr: string;
  readonly addr6: string;
  readonly configFile: string;
  readonly statusSocket: string;
  proc: Proc | undefined;
}

export interface TopologyOptions {
  readonly nodes?: number;
  /** Node names (default node1, node2, …); their count is the default of `nodes`. */
  readonly nodeNames?: readonly string[];
  /** Host part of the first node's addresses (default 11: 10.0.0.11, fd00::11; the next node gets 12, …). */
  readonly firstNodeHost?: number;
  readonly bfd?: boolean;
  readonly holdTime?: number;
  readonly password?: string;
  readonly ipv6?: boolean;
  readonly ibgpTor2?: boolean;
  /** Number of FRR ToRs (0–2; default 2). */
  readonly tors?: number;
  /** More eBGP neighbors (AS 65100) the ToRs peer with, e.g. a gobgpd for comparison. */
  readonly extraNeighbors?: readonly string[];
}

/** Two FRR ToRs and N speaker nodes on one L2 segment. */
export class Topology {
  readonly lab: Lab;
  readonly segment: Segment;
  readonly tors: FrrInstance[];
  readonly torNs: Namespace[];
  readonly nodes: SpeakerNode[];

  private constructor(
    lab: Lab,
    segment: Segment,
    tors: FrrInstance[],
    torNs: Namespace[],
    nodes: SpeakerNode[],
  ) {
    this.lab = lab;
    this.segment = segment;
    this.tors = tors;
    this.torNs = torNs;
    this.nodes = nodes;
  }

  static async create(lab: Lab, o: TopologyOptions = {}): Promise<Topology> {
    const n = o.nodes ?? o.nodeNames?.length ?? 3;
    const segment = await lab.segment('lan');
    const nodes: SpeakerNode[] = [];
    for (let i = 0; i < n; i++) {
      const name = o.nodeNames?.[i] ?? `node${i + 1}`;
      const ns = await lab.namespace(name);
      const host = (o.firstNodeHost ?? 11) + i;
      const addr = `10.0.0.${host}`;
      const addr6 = `fd00::${host}`;
      await segment.attach(ns, { ifname: 'eth0', addrs: [`${addr}/24`, `${addr6}/64`] });
      nodes.push({
        name,
        ns,
        addr,
        addr6,
        configFile: lab.file(`${name}.yaml`, ''),
        statusSocket: path.join(lab.dir, `${name}.sock`),
        proc: undefined,
      });
    }
    const torNs: Namespace[] = [];
    const tors: FrrInstance[] = [];
    for (const t of [1, 2].slice(0, o.tors ?? 2)) {
      const ns = await lab.namespace(`tor${t}`, { ipForward: true });
      await segment.attach(ns, { ifname: 'eth0', addrs: [`10.0.0.${t}/24`, `fd00::${t}/64`] });
      torNs.push(ns);
      const config = torConfig({
        nodes: [
          ...nodes.map((x) => ({ addr: x.addr, addr6: o.ipv6 === true ? x.addr6 : undefined })),
          ...(o.extraNeighbors ?? []).map((addr) => ({ addr })),
        ],
        routerId: `10.0.0.${t}`,
        bfd: o.bfd,
        holdTime: o.holdTime,
        password: o.password,
        ibgp: t === 2 && o.ibgpTor2 === true,
      });
      tors.push(
        await lab.frr(ns, {
          name: `${lab.id}-tor${t}`,
          config,
          // Millisecond log timestamps: the failover drill reads the ToR's steps from its logs.
          logTimestampPrecision: 3,
          daemons: o.bfd === true ? ['zebra', 'bgpd', 'bfdd'] : ['zebra', 'bgpd'],
          // A ToR is a switch of its own: its BFD must not wait behind the host's load for a CPU.
          realtime: ['bfdd'],
        }),
      );
    }
    return new Topology(lab, segment, tors, torNs, nodes);
  }

  node(name: string): SpeakerNode {
    const n = this.nodes.find((x) => x.name === name);
    if (n === undefined) throw new Error(`no node ${name}`);
    return n;
  }

  /** Writes a node's config FILE (atomically, as an editor's rename-over save would). */
  writeConfig(node: SpeakerNode, text: string): void {
    const tmp = `${node.configFile}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, node.configFile);
  }

  /** Starts our speaker in the node's namespace (the pinned Node, TypeScript sources). */
  async startSpeaker(node: SpeakerNode, extraArgs: readonly string[] = []): Promise<Proc> {
    const proc = this.lab.spawn(
      node.ns,
      [
        process.execPath,
        '--conditions=@bmlb/source',
        '--disable-warning=ExperimentalWarning',
        // e.g. SPEAKER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the speaker in a test or benchmark.
        ...(process.env.SPEAKER_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? []),
        MAIN_TS,
        '--config',
        node.configFile,
        '--node-name',
        node.name,
        '--status-socket',
        node.statusSocket,
        ...extraArgs,
      ],
      { name: `speaker-${node.name}` },
    );
    node.proc = proc;
    await proc.waitForOutput(/"event":"ready"/, { timeoutMs: 60_000 });
    return proc;
  }

  /** The next hops of `prefix` in a ToR's RIB (the selected route's active next hops). */
  async nextHops(tor: FrrInstance, prefix: string): Promise<string[]> {
    const entries = await tor.routes(prefix);
    const sel = entries.find((e) => e.selected === true) ?? entries[0];
    const hops = (sel?.nexthops as Array<Record<string, unknown>> | undefined) ?? [];
    return hops
      .filter((h) => h.active === true)
      .map((h) => String(h.ip ?? h.interfaceName ?? ''))
      .sort();
  }

  /** Waits until every ToR lists exactly `hops` as next hops of `prefix`. */
  async waitNextHops(prefix: string, hops: readonly string[], timeoutMs = 20_000): Promise<void> {
    const want = [...hops].sort().join(',');
    for (const tor of this.tors) {
      await waitFor(async () => (await this.nextHops(tor, prefix)).join(',') === want, {
        timeoutMs,
        intervalMs: 50,
        what: `${tor.name}: ${prefix} via [${want}]`,
      }).catch(async (err: unknown) => {
        throw new Error(`${(err as Error).message}; has [${(await this.nextHops(tor, prefix)).join(',')}]`);
      });
    }
  }

  /** FRR's `show bgp summary json` peers of the IPv4 unicast family. */
  async bgpPeers(
    tor: FrrInstance,
  ): Promise<
    Record<
      string,
      { state: string; connectionsEstablished: number; connectionsDropped: number; pfxRcd?: number }
    >
  > {
    const s = await tor.vtyshJson<{ ipv4Unicast?: { peers?: Record<string, never> } }>(
      'show bgp summary json',
    );
    return s.ipv4Unicast?.peers ?? {};
  }

  /** `speaker status` of a node, as its CLI prints it (run from the root namespace over the socket). */
  async speakerStatus(node: SpeakerNode, json = false): Promise<string> {
    return this.lab.run([
      process.execPath,
      '--conditions=@bmlb/source',
      '--disable-warning=ExperimentalWarning',
      MAIN_TS,
      'status',
      '--status-socket',
      node.statusSocket,
      ...(json ? ['--json'] : []),
    ]);
  }

  async waitEstablished(timeoutMs = 30_000): Promise<void> {
    for (const tor of this.tors)
      for (const n of this.nodes) await tor.waitForBgpState(n.addr, 'Established', { timeoutMs });
  }
}

/** An IPv6 pool, IPv6 sessions with both ToRs, and an advertisement adding a large community. */
export const V6_AND_LARGE_DOCS = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: v6-pool, namespace: metallb-system }
spec: { addresses: ["2001:db8:100::/64"] }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: tor1-v6, namespace: metallb-system }
spec: { myASN: 65100, peerASN: 65000, peerAddress: "fd00::1" }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: tor2-v6, namespace: metallb-system }
spec: { myASN: 65100, peerASN: 65000, peerAddress: "fd00::2" }
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: v6-adv, namespace: metallb-system }
spec: { ipAddressPools: [v6-pool], peers: [tor1-v6, tor2-v6] }
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: large-adv, namespace: metallb-system }
spec: { ipAddressPools: [prod-pool], communities: ["large:65000:1:2"], localPref: 100 }`;

/** tor2 with the seed's BFD profile as well (05-bfd.yaml sets it on tor1 only). */
export const TOR2_BFD_DOC = `apiVersion: metallb.io/v1beta1
kind: BGPPeer
metadata: { name: tor2, namespace: metallb-system }
spec: { myASN: 65100, peerASN: 65000, peerAddress: 10.0.0.2, bfdProfile: tor-bfd }`;

/** A node's FILE: the seed manifests (with BFD toward both ToRs, or none), extras, and Services. */
export function speakerConfig(o: {
  bfd: boolean;
  services: readonly ServiceSpec[];
  extra?: readonly string[];
}): string {
  return [
    seedManifests({ bfd: o.bfd }),
    ...(o.bfd ? [TOR2_BFD_DOC] : []),
    ...(o.extra ?? []),
    ...o.services.map(serviceManifests),
  ].join('\n---\n');
}
