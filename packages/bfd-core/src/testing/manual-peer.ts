// One endpoint and a hand-driven peer: the test writes each packet the peer sends, so every field and
// every rule of RFC 5880 can be exercised directly.
import {
  type BfdControlPacket,
  type BfdControlPacketInput,
  type BfdHashFunction,
  decodeControlPacket,
  encodeControlPacket,
} from '../codec.ts';
import { BfdState } from '../constants.ts';
import { BfdEndpoint } from '../endpoint.ts';
import type { BfdSession } from '../session.ts';
import type { BfdDiscardReason, BfdEvent, BfdReceiveInfo, BfdSessionConfig } from '../types.ts';
import { noHash, seededRandom } from './harness.ts';

export const LOCAL = '192.0.2.1';
export const PEER = '192.0.2.2';
export const PEER_DISCR = 0x0a0b0c0d;

export interface SentPacket {
  at: number;
  packet: BfdControlPacket;
  bytes: Uint8Array;
}

export class ManualPeer {
  now = 10_000;
  readonly endpoint: BfdEndpoint;
  readonly session: BfdSession;
  readonly sent: SentPacket[] = [];
  readonly events: BfdEvent[] = [];

  constructor(
    config: Partial<BfdSessionConfig> = {},
    options: { readonly seed?: number; readonly hash?: BfdHashFunction } = {},
  ) {
    this.endpoint = new BfdEndpoint({
      random: seededRandom(options.seed ?? 7),
      hash: options.hash ?? noHash,
    });
    this.session = this.endpoint.addSession(this.now, {
      key: 's',
      localAddress: LOCAL,
      remoteAddress: PEER,
      ...config,
    });
    this.collect();
  }

  collect(): void {
    for (const o of this.endpoint.drain()) {
      if (o.type === 'send') {
        const d = decodeControlPacket(o.bytes);
        if (!d.ok) throw new Error(d.message);
        this.sent.push({ at: this.now, packet: d.packet, bytes: o.bytes });
      } else this.events.push(o);
    }
  }

  /** Packet the peer would send, defaults: Down, 300 ms × 3, addressed to our session once known. */
  packet(fields: Partial<BfdControlPacketInput> = {}): BfdControlPacketInput {
    return {
      diag: 0,
      state: BfdState.Down,
      poll: false,
      final: false,
      controlPlaneIndependent: false,
      demand: false,
      multipoint: false,
      detectMult: 3,
      myDiscriminator: PEER_DISCR,
      yourDiscriminator:
        fields.state === undefined || fields.state <= BfdState.Down ? 0 : this.session.localDiscriminator,
      desiredMinTxInterval: 300_000,
      requiredMinRxInterval: 300_000,
      requiredMinEchoRxInterval: 0,
      ...fields,
    };
  }

  /** Deliver a packet from the peer now. */
  send(
    fields: Partial<BfdControlPacketInput> = {},
    info: Partial<BfdReceiveInfo> = {},
  ): BfdDiscardReason | undefined {
    return this.deliver(encodeControlPacket(this.packet(fields)), info);
  }

  deliver(bytes: Uint8Array, info: Partial<BfdReceiveInfo> = {}): BfdDiscardReason | undefined {
    const r = this.endpoint.receive(this.now, bytes, {
      localAddress: LOCAL,
      remoteAddress: PEER,
      ttl: 255,
      ...info,
    });
    this.collect();
    return r;
  }

  /** Advance the clock, firing the endpoint's timers on the way. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const t = this.endpoint.nextTimeout();
      if (t === undefined || t > end) break;
      this.now = Math.max(this.now, t);
      this.endpoint.handleTimeout(this.now);
      this.collect();
    }
    this.now = end;
  }

  /** Bring the session Up through the three-way handshake (peer Down, then peer Init). */
  bringUp(fields: Partial<BfdControlPacketInput> = {}): void {
    this.send({ state: BfdState.Down, ...fields });
    this.send({ state: BfdState.Up, ...fields });
    if (this.session.state !== 'Up') throw new Error(`session is ${this.session.state}, not Up`);
  }

  /** Packets we sent strictly after time `t`. */
  sentSince(t: number): SentPacket[] {
    return this.sent.filter((s) => s.at > t);
  }

  /** Advance `ms`, the peer sending `fields` (Up by default) every `every` ms so nothing times out. */
  keepAlive(ms: number, fields: Partial<BfdControlPacketInput> = {}, every = 250): void {
    const end = this.now + ms;
    while (this.now + every <= end) {
      this.advance(every);
      this.send({ state: BfdState.Up, ...fields });
    }
    this.advance(end - this.now);
  }
}
