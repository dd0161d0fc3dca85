// The lab's data plane: a client network behind both ToRs, the node side's return path, a responder
// per node answering on the Service IP, and the client's flows.
//
//   client 198.51.100.10 (lo) ── c-tor1 172.16.1.10 ── 172.16.1.1 tor1 ─┐
//                             └─ c-tor2 172.16.2.10 ── 172.16.2.1 tor2 ─┴─ 10.0.0.0/24 ── node-21..23
//
// The client routes the pool (203.0.113.0/24) to both ToRs (ECMP, L4 hash): "the rest of your
// network needs a path to that /24". The ToRs know the client's network from their links; the nodes
// reach it through both ToRs. Everything hashes on L4 (fib_multipath_hash_policy=1), so flows that
// differ only in their source port spread over the ToRs and, at each ToR, over the nodes.
//
// Each namespace hashes with its own seed, as separate routers do. Without one, every namespace
// hashes with the kernel's one boot-time seed: the client and the ToRs compute the same hash for a
// flow, so a ToR only ever sees the half of the hash space the client sent its way, and a node whose
// slice of the ToRs' ECMP lies outside both halves gets no flow at all (seen in CI).
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Lab, Namespace, Proc } from '@bmlb/netlab';
import type { SpeakerNode, Topology } from '@bmlb/speaker/test-support/topology';
import type { TrafficReport } from './flow-stats.ts';

const POOL = '203.0.113.0/24';
const CLIENT_NET = '198.51.100.0/24';
const CLIENT_ADDR = '198.51.100.10';
const SRC = import.meta.dirname;

/** Whether this kernel has a per-namespace multipath hash seed (Linux 6.11 and later). */
const HAS_HASH_SEED = existsSync('/proc/sys/net/ipv4/fib_multipath_hash_seed');

/**
 * Sysctls of a namespace that hashes ECMP on L4 with its own `seed` (not 0, which means the
 * kernel's shared one) and accepts replies on either link.
 */
function l4Hash(seed: number): Record<string, string> {
  return {
    'net.ipv4.fib_multipath_hash_policy': '1',
    ...(HAS_HASH_SEED ? { 'net.ipv4.fib_multipath_hash_seed': String(seed) } : {}),
    'net.ipv4.conf.all.rp_filter': '0',
    'net.ipv4.conf.default.rp_filter': '0',
  };
}

/** The client namespace, linked to both ToRs, with the pool routed over both. */
export async function buildClient(lab: Lab, topo: Topology): Promise<Namespace> {
  const client = await lab.namespace('client');
  await client.sysctl(l4Hash(0x5eed0001));
  await client.addAddress('lo', `${CLIENT_ADDR}/32`);
  const hops: string[] = [];
  for (const [i, torNs] of topo.torNs.entries()) {
    const t = i + 1;
    await torNs.sysctl(l4Hash(0x5eed0100 + t));
    await lab.link(torNs, client, {
      aName: 'client0',
      bName: `c-tor${t}`,
      aAddrs: [`172.16.${t}.1/24`],
      bAddrs: [`172.16.${t}.10/24`],
    });
    await client.sysctl({ [`net.ipv4.conf.c-tor${t}.rp_filter`]: '0' });
    await torNs.addRoute(CLIENT_NET, 'via', `172.16.${t}.10`);
    hops.push('nexthop', 'via', `172.16.${t}.1`);
  }
  await client.addRoute(POOL, 'src', CLIENT_ADDR, ...hops);
  for (const n of topo.nodes) await nodeReturnPath(n, topo.torNs.length);
  return client;
}

/** A node's route back to the client network, through both ToRs (again after its link came back). */
export async function nodeReturnPath(node: SpeakerNode, tors: number): Promise<void> {
  await node.ns.sysctl(l4Hash(0x5eed1000 + (Number(/\d+$/.exec(node.name)?.[0]) || 0)));
  const hops = Array.from({ length: tors }, (_, i) => ['nexthop', 'via', `10.0.0.${i + 1}`]).flat();
  await node.ns.exec(['ip', 'route', 'replace', CLIENT_NET, ...hops]);
}

/** Makes the node accept `ips` (on its loopback) and starts its responder on them. */
export async function startResponder(
  lab: Lab,
  node: SpeakerNode,
  ips: readonly string[],
  port: number,
): Promise<Proc> {
  for (const ip of ips) await node.ns.exec(['ip', 'addr', 'replace', `${ip}/32`, 'dev', 'lo']);
  const proc = lab.spawn(
    node.ns,
    [
      process.execPath,
      '--disable-warning=ExperimentalWarning',
      path.join(SRC, 'responder.ts'),
      node.name,
      String(port),
      ...ips,
    ],
    { name: `responder-${node.name}` },
  );
  await proc.waitForOutput(/^ready /m, { timeoutMs: 15_000 });
  return proc;
}

export interface FlowsOptions {
  readonly dst: string;
  readonly port: number;
  readonly flows: number;
  readonly intervalMs: number;
  /** The client stops by itself after this long (a bound: normally stopped earlier). */
  readonly maxMs: number;
}

/** The client's flows, running: `startedAt`, then `stop()` for the report. */
export class Flows {
  readonly proc: Proc;
  readonly startedAt: number;
  readonly opts: FlowsOptions;

  private constructor(proc: Proc, startedAt: number, opts: FlowsOptions) {
    this.proc = proc;
    this.startedAt = startedAt;
    this.opts = opts;
  }

  static async start(lab: Lab, client: Namespace, o: FlowsOptions): Promise<Flows> {
    const proc = lab.spawn(
      client,
      [
        process.execPath,
        '--disable-warning=ExperimentalWarning',
        path.join(SRC, 'flows.ts'),
        o.dst,
        String(o.port),
        String(o.flows),
        String(o.intervalMs),
        String(o.maxMs),
      ],
      { name: 'flows' },
    );
    await proc.waitForOutput(/^started \d/m, { timeoutMs: 15_000 });
    const startedAt = Number(/^started (\S+)/m.exec(proc.stdout)?.[1]);
    return new Flows(proc, startedAt, o);
  }

  /** Stops sending and returns what every flow saw. */
  async stop(): Promise<TrafficReport> {
    if (this.proc.running) this.proc.kill('SIGTERM');
    const exit = await this.proc.exited;
    const line = /^report (.*)$/m.exec(this.proc.stdout)?.[1];
    if (line === undefined)
      throw new Error(
        `the client's flows ended without a report (exit ${exit.code ?? exit.signal}): ${this.proc.output().slice(-2000)}`,
      );
    return JSON.parse(line) as TrafficReport;
  }

  /** Runs the flows for `ms` and returns the report. */
  static async run(
    lab: Lab,
    client: Namespace,
    o: Omit<FlowsOptions, 'maxMs'>,
    ms: number,
  ): Promise<TrafficReport> {
    const f = await Flows.start(lab, client, { ...o, maxMs: ms + 30_000 });
    await new Promise((r) => setTimeout(r, ms));
    return f.stop();
  }
}

/** A ToR link's received packet count (`ip -s link`), to show how the client's flows split over the ToRs. */
export async function rxPackets(ns: Namespace, ifname: string): Promise<number> {
  const j = JSON.parse(await ns.exec(['ip', '-s', '-j', 'link', 'show', ifname])) as Array<{
    stats64?: { rx?: { packets?: number } };
  }>;
  return j[0]?.stats64?.rx?.packets ?? 0;
}
