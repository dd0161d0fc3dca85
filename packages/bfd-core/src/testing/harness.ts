// Two (or more) BFD endpoints wired back to back in simulated time. The clock jumps to the earliest
// `nextTimeout()`; packets travel with a fixed delay and can be dropped or tapped by the test.
import { type BfdControlPacket, type BfdHashFunction, decodeControlPacket } from '../codec.ts';
import { BfdEndpoint } from '../endpoint.ts';
import type { BfdSession } from '../session.ts';
import type { BfdEvent, BfdOutput, BfdSendOutput, BfdSessionConfig } from '../types.ts';

/** Deterministic PRNG (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The hash of endpoints made without one: keyed MD5/SHA1 authentication needs a real digest, which a
 * pure package does not carry (pass one, e.g. from node:crypto, to use it).
 */
export const noHash: BfdHashFunction = (algorithm) => {
  throw new Error(
    `keyed ${algorithm.toUpperCase()} authentication needs a hash function: pass \`hash\` (for example one made with node:crypto's createHash)`,
  );
};

export interface Sent {
  at: number;
  from: string;
  out: BfdSendOutput;
  packet: BfdControlPacket;
}

export interface Node {
  name: string;
  endpoint: BfdEndpoint;
  events: (BfdEvent & { at?: number })[];
  sent: Sent[];
}

interface InFlight {
  at: number;
  seq: number;
  to: Node;
  bytes: Uint8Array;
  fromAddress: string;
  toAddress: string;
  multihop: boolean;
  iface: string | undefined;
}

/** Options of a simulated network. */
export interface NetworkOptions {
  /** One-way packet delay, ms (default 0.5). */
  readonly delay?: number;
  /** Digest for keyed MD5/SHA1 authentication (default: none, such sessions throw). */
  readonly hash?: BfdHashFunction;
}

/**
 * An in-memory network of BFD endpoints in simulated time: `send` outputs travel to the endpoint
 * that owns their remote address after `delay`; `runFor`/`runUntil`/`runUntilTrue` jump from event
 * to event (packet arrivals and endpoint deadlines).
 */
export class Network {
  now = 1000;
  readonly nodes = new Map<string, Node>();
  readonly byAddress = new Map<string, Node>();
  readonly delay: number;
  /** Packets in flight, in arrival order (the delay is constant and time only moves forward). */
  #inflight: InFlight[] = [];
  #head = 0;
  #seq = 0;
  /** Decode and keep every sent packet in `node.sent` (turn off for large simulations). */
  record = true;
  /** Return false to drop a packet. */
  filter: (s: Sent, to: Node | undefined) => boolean = () => true;
  /** Rewrite the bytes in flight (tests of corrupted packets). */
  mutate: ((bytes: Uint8Array, s: Sent) => Uint8Array) | undefined;

  readonly #hash: BfdHashFunction;

  constructor(options: NetworkOptions = {}) {
    this.delay = options.delay ?? 0.5;
    this.#hash = options.hash ?? noHash;
  }

  addNode(name: string, address: string, seed: number): Node {
    const node: Node = {
      name,
      endpoint: new BfdEndpoint({ random: seededRandom(seed), hash: this.#hash }),
      events: [],
      sent: [],
    };
    this.nodes.set(name, node);
    this.byAddress.set(address, node);
    return node;
  }

  add(node: Node, config: BfdSessionConfig): BfdSession {
    const s = node.endpoint.addSession(this.now, config);
    this.collect(node);
    return s;
  }

  /** Drain a node's outputs into its log and the wire. */
  collect(node: Node): void {
    for (const out of node.endpoint.drain()) this.#route(node, out);
  }

  #route(node: Node, out: BfdOutput): void {
    if (out.type !== 'send') {
      node.events.push(out);
      return;
    }
    let sent: Sent;
    if (this.record) {
      const decoded = decodeControlPacket(out.bytes);
      if (!decoded.ok) throw new Error(`node ${node.name} sent an undecodable packet: ${decoded.message}`);
      sent = { at: this.now, from: node.name, out, packet: decoded.packet };
      node.sent.push(sent);
    } else sent = { at: this.now, from: node.name, out, packet: undefined as unknown as BfdControlPacket };
    const to = this.byAddress.get(out.remoteAddress);
    if (!this.filter(sent, to) || to === undefined) return;
    const bytes = this.mutate ? this.mutate(out.bytes, sent) : out.bytes;
    this.#inflight.push({
      at: this.now + this.delay,
      seq: this.#seq++,
      to,
      bytes,
      fromAddress: out.localAddress,
      toAddress: out.remoteAddress,
      multihop: out.multihop,
      iface: out.interface,
    });
  }

  /** Earliest pending event in the network: a node deadline or a packet arrival. */
  nextEvent(): number | undefined {
    let t: number | undefined;
    for (const n of this.nodes.values()) {
      const d = n.endpoint.nextTimeout();
      if (d !== undefined && (t === undefined || d < t)) t = d;
    }
    const first = this.#inflight[this.#head];
    if (first !== undefined && (t === undefined || first.at < t)) t = first.at;
    return t;
  }

  /** Advance simulated time to `until`, delivering packets and firing timers in order. */
  runUntil(until: number): void {
    for (let guard = 0; guard < 10_000_000; guard++) {
      const t = this.nextEvent();
      if (t === undefined || t > until) {
        this.now = until;
        return;
      }
      this.now = Math.max(this.now, t);
      this.step();
    }
    throw new Error('simulation did not settle');
  }

  runFor(ms: number): void {
    this.runUntil(this.now + ms);
  }

  /** Run until `pred` holds (checked after every step) or `limit` ms pass; returns whether it held. */
  runUntilTrue(pred: () => boolean, limit = 60_000): boolean {
    const end = this.now + limit;
    for (let guard = 0; guard < 10_000_000; guard++) {
      if (pred()) return true;
      const t = this.nextEvent();
      if (t === undefined || t > end) {
        this.now = end;
        return pred();
      }
      this.now = Math.max(this.now, t);
      this.step();
    }
    throw new Error('simulation did not settle');
  }

  step(): void {
    const now = this.now;
    const due: InFlight[] = [];
    while (this.#head < this.#inflight.length && this.#inflight[this.#head]!.at <= now)
      due.push(this.#inflight[this.#head++]!);
    if (this.#head > 4096) {
      this.#inflight = this.#inflight.slice(this.#head);
      this.#head = 0;
    }
    for (const p of due) {
      p.to.endpoint.receive(now, p.bytes, {
        localAddress: p.toAddress,
        remoteAddress: p.fromAddress,
        multihop: p.multihop,
        interface: p.iface,
        ttl: 255,
      });
      this.collect(p.to);
    }
    for (const n of this.nodes.values()) {
      n.endpoint.handleTimeout(now);
      this.collect(n);
    }
  }
}

export const A_ADDR = '10.0.0.1';
export const B_ADDR = '10.0.0.2';

/** Options of `pair`: the network's, and the seeds of the two endpoints' random sources. */
export interface PairOptions extends NetworkOptions {
  readonly seeds?: readonly [number, number];
}

/** Two nodes, one session each, pointed at each other. */
export function pair(
  configA: Partial<BfdSessionConfig> = {},
  configB: Partial<BfdSessionConfig> = {},
  options: PairOptions = {},
): { net: Network; a: Node; b: Node; sa: BfdSession; sb: BfdSession } {
  const net = new Network(options);
  const seeds = options.seeds ?? [1, 2];
  const a = net.addNode('a', A_ADDR, seeds[0]);
  const b = net.addNode('b', B_ADDR, seeds[1]);
  const sa = net.add(a, { key: 'a-b', localAddress: A_ADDR, remoteAddress: B_ADDR, ...configA });
  const sb = net.add(b, { key: 'b-a', localAddress: B_ADDR, remoteAddress: A_ADDR, ...configB });
  return { net, a, b, sa, sb };
}
