// The BFD endpoint: owns the sessions of one process, demultiplexes received packets (RFC 5880 §6.3,
// §6.8.6), allocates local discriminators, counts discards by reason, keeps one deadline queue for all
// sessions and collects their outputs. Sans-I/O: the driver feeds datagrams and time, drains outputs.

import { normalizeAddress } from './address.ts';
import {
  BfdDecodeStatus,
  type BfdHashFunction,
  type BfdPacketView,
  createPacketView,
  decodeControlPacketInto,
  decodeStatusReason,
} from './codec.ts';
import { BfdState } from './constants.ts';
import { DeadlineQueue } from './heap.ts';
import { BfdSession, type BfdSessionHost } from './session.ts';
import {
  BFD_DISCARD_REASONS,
  type BfdDiscardReason,
  type BfdEndpointOptions,
  type BfdOutput,
  type BfdReceiveInfo,
  type BfdSessionConfig,
} from './types.ts';

/** Compare a received address with a session's (raw text first, normalized only when they differ). */
function sameAddress(received: string, configured: string, normalized: string): boolean {
  return received === configured || normalizeAddress(received) === normalized;
}

function pathKey(multihop: boolean, remote: string): string {
  return `${multihop ? 'm' : 's'}|${normalizeAddress(remote)}`;
}

export interface BfdEndpointStats {
  /** Datagrams handed to `receive`. */
  received: number;
  /** Packets accepted by a session. */
  accepted: number;
  /** Packets emitted as `send` outputs. */
  sent: number;
  /** Discarded packets by reason (every §6.8.6 check has its own counter). */
  discards: Record<BfdDiscardReason, number>;
}

export class BfdEndpoint {
  readonly #random: () => number;
  readonly #hash: BfdHashFunction | undefined;
  readonly #allocate: (() => number) | undefined;
  readonly #byKey = new Map<string, BfdSession>();
  readonly #byDiscr = new Map<number, BfdSession>();
  readonly #byPath = new Map<string, BfdSession[]>();
  readonly #queue = new DeadlineQueue<BfdSession>();
  readonly #view: BfdPacketView = createPacketView();
  #outputs: BfdOutput[] = [];
  readonly #host: BfdSessionHost;
  readonly stats: BfdEndpointStats;

  constructor(options: BfdEndpointOptions) {
    if (typeof options.random !== 'function') throw new TypeError('BfdEndpoint needs a random() source');
    this.#random = options.random;
    this.#hash = options.hash;
    this.#allocate = options.allocateDiscriminator;
    const discards = {} as Record<BfdDiscardReason, number>;
    for (const r of BFD_DISCARD_REASONS) discards[r] = 0;
    this.stats = { received: 0, accepted: 0, sent: 0, discards };
    const outputs = () => this.#outputs;
    const stats = this.stats;
    const queue = this.#queue;
    this.#host = {
      random: this.#random,
      hash: this.#hash,
      emit(output) {
        if (output.type === 'send') stats.sent++;
        outputs().push(output);
      },
      reschedule(session) {
        const at = session.deadline();
        if (at !== session.scheduledAt) {
          session.scheduledAt = at;
          if (at !== Number.POSITIVE_INFINITY) queue.push(at, session);
        }
      },
    };
  }

  /** Create a session; it starts sending at once unless passive (first packet in this call's outputs). */
  addSession(now: number, config: BfdSessionConfig): BfdSession {
    if (this.#byKey.has(config.key)) throw new Error(`BFD session ${config.key} already exists`);
    for (const field of ['localAddress', 'remoteAddress'] as const) {
      if (typeof config[field] !== 'string' || config[field].length === 0)
        throw new TypeError(`BFD session ${config.key}: ${field} must be a non-empty string`);
    }
    const multihop = config.multihop ?? false;
    const pk = pathKey(multihop, config.remoteAddress);
    const local = normalizeAddress(config.localAddress);
    for (const other of this.#byPath.get(pk) ?? []) {
      if (
        normalizeAddress(other.localAddress) === local &&
        (other.interface ?? '') === (config.interface ?? '')
      )
        throw new Error(`BFD session ${config.key}: session ${other.key} already runs on the same path`);
    }
    const discr = this.#newDiscriminator(config.localDiscriminator);
    const session = new BfdSession(this.#host, config, discr, now);
    this.#byKey.set(config.key, session);
    this.#byDiscr.set(discr, session);
    const list = this.#byPath.get(pk);
    if (list === undefined) this.#byPath.set(pk, [session]);
    else list.push(session);
    session.onTimeout(now);
    return session;
  }

  /** Delete a session at once (call `adminDown` first and wait a detection time to tell the peer). */
  removeSession(key: string): boolean {
    const session = this.#byKey.get(key);
    if (session === undefined) return false;
    session.removed = true;
    this.#byKey.delete(key);
    this.#byDiscr.delete(session.localDiscriminator);
    const pk = pathKey(session.multihop, session.remoteAddress);
    const list = this.#byPath.get(pk)?.filter((s) => s !== session) ?? [];
    if (list.length === 0) this.#byPath.delete(pk);
    else this.#byPath.set(pk, list);
    return true;
  }

  getSession(key: string): BfdSession | undefined {
    return this.#byKey.get(key);
  }

  sessionByDiscriminator(discriminator: number): BfdSession | undefined {
    return this.#byDiscr.get(discriminator);
  }

  sessions(): IterableIterator<BfdSession> {
    return this.#byKey.values();
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** Outputs produced since the last drain: packets to send and events, in order. */
  drain(): BfdOutput[] {
    const out = this.#outputs;
    this.#outputs = [];
    return out;
  }

  /** Earliest deadline of any session (monotonic ms), or undefined when nothing is scheduled. */
  nextTimeout(): number | undefined {
    for (;;) {
      const top = this.#queue.peek();
      if (top === undefined) return undefined;
      if (top.item.removed || top.at !== top.item.scheduledAt) {
        this.#queue.pop();
        continue;
      }
      return top.at;
    }
  }

  /** Run every session whose deadline is ≤ now, once each. An early or extra call does nothing. */
  handleTimeout(now: number): void {
    // Collect first, then run: a session is serviced at most once per call, so no deadline can keep
    // this loop busy.
    const due: BfdSession[] = [];
    for (;;) {
      const top = this.#queue.peek();
      if (top === undefined || top.at > now) break;
      this.#queue.pop();
      const session = top.item;
      if (session.removed || top.at !== session.scheduledAt) continue;
      session.scheduledAt = Number.POSITIVE_INFINITY;
      due.push(session);
    }
    for (const session of due) if (!session.removed) session.onTimeout(now);
  }

  /**
   * Feed one received datagram's UDP payload. Runs the reception checks of RFC 5880 §6.8.6 in order;
   * a failing packet is counted in `stats.discards` under its reason and otherwise ignored.
   * Returns the discard reason, or undefined when a session accepted the packet.
   */
  receive(now: number, bytes: Uint8Array, info: BfdReceiveInfo): BfdDiscardReason | undefined {
    this.stats.received++;
    const reason = this.#receive(now, bytes, info);
    if (reason === undefined) this.stats.accepted++;
    else this.stats.discards[reason]++;
    return reason;
  }

  #receive(now: number, bytes: Uint8Array, info: BfdReceiveInfo): BfdDiscardReason | undefined {
    const v = this.#view;
    const status = decodeControlPacketInto(bytes, v);
    if (status !== BfdDecodeStatus.Ok) return decodeStatusReason(status);
    if (v.detectMult === 0) return 'detect-mult-zero';
    if (v.multipoint) return 'multipoint';
    if (v.myDiscriminator === 0) return 'my-discriminator-zero';
    let session: BfdSession | undefined;
    if (v.yourDiscriminator !== 0) {
      session = this.#byDiscr.get(v.yourDiscriminator);
      if (session === undefined) return 'your-discriminator-unknown';
      if (!this.#pathMatches(session, info)) {
        session.countDiscard('address-mismatch');
        return 'address-mismatch';
      }
    } else {
      if (v.state !== BfdState.Down && v.state !== BfdState.AdminDown) return 'your-discriminator-zero-state';
      session = this.#findByPath(info);
      if (session === undefined) return 'no-session-for-address';
    }
    return session.receive(now, v, bytes, 0, info);
  }

  #pathMatches(session: BfdSession, info: BfdReceiveInfo): boolean {
    if ((info.multihop ?? false) !== session.multihop) return false;
    if (!sameAddress(info.remoteAddress, session.remoteAddress, session.normalizedRemote)) return false;
    if (
      info.localAddress !== undefined &&
      !sameAddress(info.localAddress, session.localAddress, session.normalizedLocal)
    )
      return false;
    if (!session.multihop && info.interface !== undefined && session.interface !== undefined)
      return info.interface === session.interface;
    return true;
  }

  /** §6.3/§6.8.6: with Your Discriminator 0, select by (local address, remote address, interface). */
  #findByPath(info: BfdReceiveInfo): BfdSession | undefined {
    const list = this.#byPath.get(pathKey(info.multihop ?? false, info.remoteAddress));
    if (list === undefined) return undefined;
    for (const s of list) if (this.#pathMatches(s, info)) return s;
    return undefined;
  }

  #newDiscriminator(fixed: number | undefined): number {
    if (fixed !== undefined) {
      if (!Number.isInteger(fixed) || fixed < 1 || fixed > 0xffffffff)
        throw new RangeError(`localDiscriminator ${fixed} must be an integer in 1–4294967295`);
      if (this.#byDiscr.has(fixed)) throw new Error(`localDiscriminator ${fixed} is already in use`);
      return fixed;
    }
    for (let i = 0; i < 64; i++) {
      const d = this.#allocate !== undefined ? this.#allocate() : 1 + Math.floor(this.#random() * 0xfffffffe);
      if (Number.isInteger(d) && d >= 1 && d <= 0xffffffff && !this.#byDiscr.has(d)) return d;
    }
    throw new Error('could not allocate an unused local discriminator');
  }
}
