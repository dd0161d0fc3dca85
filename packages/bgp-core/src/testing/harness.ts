// A tiny in-memory network for two BgpSessions in simulated time: it carries bytes between them,
// turns `connect` actions into connections, and advances a simulated clock to the next deadline.
// No sleeps, no fake timers: hours of protocol time run in milliseconds.

import { decodeMessage } from '../codec/decode.ts';
import { encodeMessage } from '../codec/encode.ts';
import type { BgpMessage, CodecOptions, OpenMessage } from '../model.ts';
import type { BgpSessionConfig } from '../session/config.ts';
import { BgpSession } from '../session/session.ts';
import { isSessionAction, type SessionAction, type SessionEvent } from '../session/types.ts';

export type Side = 'a' | 'b';

/** A seeded PRNG (mulberry32) for jitter. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SentMessage {
  readonly at: number;
  readonly connId: string;
  readonly bytes: Uint8Array;
  readonly message: BgpMessage | undefined;
}

const ADDRESS: Record<Side, string> = { a: '10.0.0.1', b: '10.0.0.2' };

export const baseConfig = (side: Side, over: Partial<BgpSessionConfig> = {}): BgpSessionConfig => ({
  localAs: side === 'a' ? 65001 : 65002,
  peerAs: side === 'a' ? 65002 : 65001,
  bgpId: side === 'a' ? '1.1.1.1' : '2.2.2.2',
  peerAddress: side === 'a' ? ADDRESS.b : ADDRESS.a,
  random: seeded(side === 'a' ? 1 : 2),
  ...over,
});

/** Two sessions wired back to back. */
export class Network {
  now = 0;
  readonly sessions: Record<Side, BgpSession>;
  readonly events: Record<Side, SessionEvent[]> = { a: [], b: [] };
  readonly sent: Record<Side, SentMessage[]> = { a: [], b: [] };
  /** Codec options used to decode what each side sent (for assertions); set when Established. */
  readonly decodeOpts: Record<Side, CodecOptions> = { a: {}, b: {} };
  /** The connection addresses each side sees as its own. */
  addresses: Record<Side, string> = { ...ADDRESS };
  /** When false, dials fail (the peer is unreachable). */
  reachable = true;
  /** Bytes from this side are silently lost (a dead peer or a black-holing path). */
  dropFrom: Side | undefined;
  /** Split every delivered chunk into pieces of at most this many bytes. */
  chunkSize = Number.POSITIVE_INFINITY;
  /** Log of every action, for debugging. */
  readonly log: string[] = [];
  readonly #peerOf = new Map<string, { side: Side; id: string }>();
  readonly #queue: { from: Side; action: SessionAction }[] = [];
  #inbound = 0;

  constructor(a: BgpSessionConfig, b: BgpSessionConfig) {
    this.sessions = { a: new BgpSession(a), b: new BgpSession(b) };
  }

  static pair(over: { a?: Partial<BgpSessionConfig>; b?: Partial<BgpSessionConfig> } = {}): Network {
    return new Network(baseConfig('a', over.a), baseConfig('b', over.b));
  }

  /** Call into one side and carry everything that follows until the network is quiet. */
  act(side: Side, f: (s: BgpSession, now: number) => void): void {
    f(this.sessions[side], this.now);
    this.settle();
  }

  #collect(side: Side): void {
    for (const o of this.sessions[side].drain()) {
      if (isSessionAction(o)) {
        this.#queue.push({ from: side, action: o });
        continue;
      }
      this.events[side].push(o);
      if (o.type === 'established') this.decodeOpts[side] = o.negotiated.codecOptions;
    }
  }

  /** Deliver queued actions until nothing is left. */
  settle(): void {
    for (let guard = 0; guard < 1_000_000; guard++) {
      this.#collect('a');
      this.#collect('b');
      const item = this.#queue.shift();
      if (item === undefined) return;
      this.#apply(item.from, item.action);
    }
    throw new Error('network did not settle');
  }

  #other(side: Side): Side {
    return side === 'a' ? 'b' : 'a';
  }

  #apply(from: Side, action: SessionAction): void {
    const to = this.#other(from);
    const now = this.now;
    switch (action.type) {
      case 'connect': {
        this.log.push(`${now} ${from} connect ${action.connId}`);
        if (!this.reachable) {
          this.sessions[from].connectionFailed(now, action.connId);
          return;
        }
        const inboundId = `in#${++this.#inbound}`;
        this.#peerOf.set(`${from}:${action.connId}`, { side: to, id: inboundId });
        this.#peerOf.set(`${to}:${inboundId}`, { side: from, id: action.connId });
        this.sessions[from].connectionUp(now, {
          id: action.connId,
          localAddress: this.addresses[from],
          remoteAddress: this.addresses[to],
        });
        this.sessions[to].connectionUp(now, {
          id: inboundId,
          localAddress: this.addresses[to],
          remoteAddress: this.addresses[from],
        });
        return;
      }
      case 'send': {
        let message: BgpMessage | undefined;
        const r = decodeMessage(action.bytes, this.decodeOpts[from]);
        if (r.kind !== 'error') message = r.message;
        this.sent[from].push({ at: now, connId: action.connId, bytes: action.bytes, message });
        this.log.push(`${now} ${from} send ${action.connId} ${message?.type ?? 'undecodable'}`);
        const peer = this.#peerOf.get(`${from}:${action.connId}`);
        if (peer === undefined || this.dropFrom === from) return;
        for (let off = 0; off < action.bytes.length; off += this.chunkSize) {
          this.sessions[peer.side].receive(now, peer.id, action.bytes.subarray(off, off + this.chunkSize));
          this.#collect(peer.side);
        }
        return;
      }
      case 'close': {
        this.log.push(`${now} ${from} close ${action.connId}`);
        const peer = this.#peerOf.get(`${from}:${action.connId}`);
        this.#peerOf.delete(`${from}:${action.connId}`);
        if (peer === undefined) return;
        this.#peerOf.delete(`${peer.side}:${peer.id}`);
        this.sessions[peer.side].connectionClosed(now, peer.id);
        return;
      }
    }
  }

  /** Drop a connection under both sessions (a cable pull: both see the TCP failure). */
  cut(): void {
    for (const [key, peer] of [...this.#peerOf]) {
      const [side, id] = key.split(':') as [Side, string];
      this.#peerOf.delete(key);
      this.#peerOf.delete(`${peer.side}:${peer.id}`);
      this.sessions[side].connectionFailed(this.now, id);
    }
    this.settle();
  }

  /** Advance simulated time by `ms`, running every deadline on the way. */
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      this.settle();
      const ta = this.sessions.a.nextTimeout();
      const tb = this.sessions.b.nextTimeout();
      const t = Math.min(ta ?? Number.POSITIVE_INFINITY, tb ?? Number.POSITIVE_INFINITY);
      if (t > target) break;
      this.now = Math.max(this.now, t);
      // Both sides are called: an early or extra handleTimeout must do nothing.
      this.sessions.a.handleTimeout(this.now);
      this.sessions.b.handleTimeout(this.now);
    }
    this.now = target;
    this.settle();
  }

  /** Start both and run until both are Established (or `limitMs` passes). */
  establish(limitMs = 10_000): void {
    this.act('a', (s, now) => s.start(now));
    this.act('b', (s, now) => s.start(now));
    this.advance(0);
    for (let t = 0; t < limitMs && !this.bothEstablished(); t += 100) this.advance(100);
  }

  bothEstablished(): boolean {
    return this.sessions.a.state === 'Established' && this.sessions.b.state === 'Established';
  }

  /** Messages of one type a side sent. */
  messages<T extends BgpMessage['type']>(
    side: Side,
    type: T,
  ): (SentMessage & { message: Extract<BgpMessage, { type: T }> })[] {
    return this.sent[side].filter((m) => m.message?.type === type) as (SentMessage & {
      message: Extract<BgpMessage, { type: T }>;
    })[];
  }

  eventsOf<T extends SessionEvent['type']>(side: Side, type: T): Extract<SessionEvent, { type: T }>[] {
    return this.events[side].filter((e) => e.type === type) as Extract<SessionEvent, { type: T }>[];
  }

  /** The routes a side currently holds from its peer, from route-received/withdrawn events. */
  ribIn(side: Side, afi: number): Map<string, Extract<SessionEvent, { type: 'route-received' }>> {
    const rib = new Map<string, Extract<SessionEvent, { type: 'route-received' }>>();
    for (const e of this.events[side]) {
      if (e.type === 'route-received' && e.afi === afi) for (const p of e.prefixes) rib.set(p, e);
      else if (e.type === 'route-withdrawn' && e.afi === afi) for (const p of e.prefixes) rib.delete(p);
      else if (e.type === 'state-change' && e.from === 'Established') rib.clear();
    }
    return rib;
  }
}

/** One session driven by hand: the test plays the peer with crafted messages. */
export class Probe {
  now = 0;
  readonly session: BgpSession;
  readonly actions: SessionAction[] = [];
  readonly events: SessionEvent[] = [];
  decodeOpts: CodecOptions = {};
  readonly connId = 'in#1';

  constructor(over: Partial<BgpSessionConfig> = {}) {
    this.session = new BgpSession(baseConfig('a', { passive: true, ...over }));
  }

  drain(): void {
    for (const o of this.session.drain()) {
      if (isSessionAction(o)) {
        this.actions.push(o);
        continue;
      }
      this.events.push(o);
      if (o.type === 'established') this.decodeOpts = o.negotiated.codecOptions;
    }
  }

  /** Start (passive) and accept a connection from the peer (with flow control if `sendWindow` is given). */
  open(localAddress = '10.0.0.1', remoteAddress = '10.0.0.2', sendWindow?: number): this {
    this.session.start(this.now);
    this.session.connectionUp(this.now, { id: this.connId, localAddress, remoteAddress, sendWindow });
    this.drain();
    return this;
  }

  /** The peer sends these bytes. */
  peerBytes(bytes: Uint8Array): void {
    this.session.receive(this.now, this.connId, bytes);
    this.drain();
  }

  /** The peer sends a message. */
  peerSends(msg: BgpMessage, opts: CodecOptions = this.decodeOpts): void {
    this.peerBytes(encodeMessage(msg, opts));
  }

  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      const t = this.session.nextTimeout();
      if (t === undefined || t > target) break;
      this.now = Math.max(this.now, t);
      this.session.handleTimeout(this.now);
      this.drain();
    }
    this.now = target;
  }

  /** Messages the session sent, decoded. */
  sent(): BgpMessage[] {
    const out: BgpMessage[] = [];
    for (const a of this.actions) {
      if (a.type !== 'send') continue;
      const r = decodeMessage(a.bytes, this.decodeOpts);
      if (r.kind !== 'error') out.push(r.message);
    }
    return out;
  }

  notificationsSent(): { code: number; subcode: number; data: number[] }[] {
    return this.sent().flatMap((m) =>
      m.type === 'notification' ? [{ code: m.code, subcode: m.subcode, data: [...m.data] }] : [],
    );
  }

  closed(): boolean {
    return this.actions.some((a) => a.type === 'close' && a.connId === this.connId);
  }
}

/** An OPEN from the peer (AS 65002, 2.2.2.2, hold 90, IPv4+IPv6, AS4, route refresh). */
export function peerOpen(over: Partial<OpenMessage> = {}): OpenMessage {
  return {
    type: 'open',
    version: 4,
    myAs: 65002,
    holdTime: 90,
    bgpId: '2.2.2.2',
    capabilities: [
      { code: 1, kind: 'multiprotocol', afi: 1, safi: 1 },
      { code: 1, kind: 'multiprotocol', afi: 2, safi: 1 },
      { code: 2, kind: 'route-refresh' },
      { code: 65, kind: 'as4', asn: 65002 },
    ],
    ...over,
  };
}
