// One BFD session (RFC 5880 §6.8): state variables, reception (§6.8.6), transmission (§6.8.7),
// timer negotiation and manipulation (§6.8.2, §6.8.3), detection (§6.8.4), Poll/Final (§6.5),
// authentication (§6.7), administrative control (§6.8.16), passive role (§6.1), peer demand mode (§6.6).
//
// Units: times (`now`, deadlines) are milliseconds as floats; intervals are microseconds (integers), as
// in the RFC's state variables. A deadline is `lastEvent + intervalUs / 1000`.

import { normalizeAddress } from './address.ts';
import { type BfdAuthConfig, type ResolvedAuth, resolveAuth, sequenceInWindow } from './auth.ts';
import {
  type BfdControlPacketInput,
  type BfdHashFunction,
  type BfdPacketView,
  constantTimeEqual,
  encodeControlPacketInto,
  encodedLength,
  isMeticulous,
  signControlPacket,
  verifyControlPacketDigest,
} from './codec.ts';
import { BfdAuthType, BfdDiag, BfdState, type BfdStateCode, bfdDiagText, bfdStateName } from './constants.ts';
import { type BfdProfile, type BfdProfileInput, bfdProfileWarnings, normalizeBfdProfile } from './profile.ts';
import type {
  BfdDiscardReason,
  BfdOutput,
  BfdReceiveInfo,
  BfdSessionConfig,
  BfdSessionInfo,
} from './types.ts';

/** What a session needs from its endpoint. */
export interface BfdSessionHost {
  readonly random: () => number;
  readonly hash: BfdHashFunction | undefined;
  emit(output: BfdOutput): void;
  reschedule(session: BfdSession): void;
}

/** bfd.DesiredMinTxInterval floor while the session is not Up (§6.8.3), µs. */
export const SLOW_TX_INTERVAL_US = 1_000_000;

/**
 * Jittered transmit interval (§6.8.7): reduced by 0–25% at random, i.e. 75–100% of the interval;
 * with a local Detect Mult of 1, 75–90%. `r` is uniform in [0, 1). Result in µs (float).
 */
export function jitteredIntervalUs(intervalUs: number, detectMult: number, r: number): number {
  return intervalUs * (detectMult === 1 ? 0.75 + 0.15 * r : 0.75 + 0.25 * r);
}

function normalizeProfile(p: BfdProfileInput | BfdProfile | undefined): BfdProfile {
  return normalizeBfdProfile(p ?? {});
}

export class BfdSession {
  readonly key: string;
  readonly localAddress: string;
  readonly remoteAddress: string;
  readonly interface: string | undefined;
  readonly multihop: boolean;
  /** bfd.LocalDiscr */
  readonly localDiscriminator: number;
  /** @internal addresses in canonical form for demultiplexing */
  readonly normalizedLocal: string;
  /** @internal */
  readonly normalizedRemote: string;

  /** @internal */ removed = false;
  /** @internal deadline currently in the endpoint's queue */ scheduledAt = Number.POSITIVE_INFINITY;

  #host: BfdSessionHost;
  #profile: BfdProfile;
  #auth: ResolvedAuth | undefined;

  // RFC 5880 §6.8.1 state variables.
  #state: BfdStateCode;
  #remoteState: BfdStateCode = BfdState.Down;
  #remoteDiscr = 0;
  #localDiag = 0;
  #remoteDiag = 0;
  #remoteMinRxUs = 1;
  #remoteDesiredTxUs = 0;
  #remoteDetectMult = 0;
  #remoteDemand = false;
  #rcvAuthSeq = 0;
  #authSeqKnown = false;
  #xmitAuthSeq: number;

  // Timer manipulation (§6.8.3): values advertised last, values in use, Poll sequence.
  #advertisedTxUs: number;
  #advertisedRxUs: number;
  #txInUseUs: number;
  #rxInUseUs: number;
  #pollActive = false;
  #pollTxUs = 0;
  #pollRxUs = 0;

  // Schedules (ms).
  #lastTxAt = Number.NEGATIVE_INFINITY;
  #nextTxAt = Number.POSITIVE_INFINITY;
  #scheduledIntervalUs = 0;
  #lastRxAt: number | undefined;
  #detectAt = Number.POSITIVE_INFINITY;
  #authSeqExpireAt = Number.POSITIVE_INFINITY;

  #packet: BfdControlPacketInput;
  #sent = 0;
  #received = 0;
  #discarded = 0;
  #discards: Partial<Record<BfdDiscardReason, number>> = {};

  /** @internal Use `BfdEndpoint.addSession`. */
  constructor(host: BfdSessionHost, config: BfdSessionConfig, localDiscriminator: number, now: number) {
    this.#host = host;
    this.key = config.key;
    this.localAddress = config.localAddress;
    this.remoteAddress = config.remoteAddress;
    this.interface = config.interface;
    this.multihop = config.multihop ?? false;
    this.normalizedLocal = normalizeAddress(config.localAddress);
    this.normalizedRemote = normalizeAddress(config.remoteAddress);
    this.localDiscriminator = localDiscriminator;
    this.#profile = normalizeProfile(config.profile);
    this.#auth = config.auth === undefined ? undefined : resolveAuth(config.auth);
    if (this.#auth !== undefined && this.#auth.type !== BfdAuthType.SimplePassword && host.hash === undefined)
      throw new RangeError(
        `session ${config.key}: ${this.#auth.mode} authentication needs the endpoint's hash option`,
      );
    this.#xmitAuthSeq = Math.floor(host.random() * 0x1_0000_0000) >>> 0;
    this.#state = config.adminDown ? BfdState.AdminDown : BfdState.Down;
    if (config.adminDown) this.#localDiag = BfdDiag.AdministrativelyDown;
    this.#advertisedTxUs = this.#desiredTxForState();
    this.#advertisedRxUs = this.#profile.receiveInterval * 1000;
    this.#txInUseUs = this.#advertisedTxUs;
    this.#rxInUseUs = this.#advertisedRxUs;
    this.#packet = {
      diag: 0,
      state: BfdState.Down,
      poll: false,
      final: false,
      controlPlaneIndependent: false,
      demand: false,
      multipoint: false,
      detectMult: this.#profile.detectMultiplier,
      myDiscriminator: localDiscriminator,
      yourDiscriminator: 0,
      desiredMinTxInterval: 0,
      requiredMinRxInterval: 0,
      requiredMinEchoRxInterval: 0,
    };
    for (const message of bfdProfileWarnings(this.#profile))
      host.emit({ type: 'warning', sessionKey: this.key, message });
    this.#updateTxSchedule(now);
  }

  // ---- public API -------------------------------------------------------------------------------

  get state(): ReturnType<typeof bfdStateName> {
    return bfdStateName(this.#state);
  }
  get stateCode(): BfdStateCode {
    return this.#state;
  }
  get localDiag(): number {
    return this.#localDiag;
  }
  get remoteDiscriminator(): number {
    return this.#remoteDiscr;
  }
  get profile(): BfdProfile {
    return { ...this.#profile };
  }

  /** Snapshot of the session's variables and negotiated timers. */
  info(): BfdSessionInfo {
    return {
      key: this.key,
      state: bfdStateName(this.#state),
      remoteState: bfdStateName(this.#remoteState),
      localDiscriminator: this.localDiscriminator,
      remoteDiscriminator: this.#remoteDiscr,
      localDiag: this.#localDiag,
      remoteDiag: this.#remoteDiag,
      desiredMinTxInterval: this.#advertisedTxUs,
      requiredMinRxInterval: this.#advertisedRxUs,
      desiredMinTxInUse: this.#txInUseUs,
      requiredMinRxInUse: this.#rxInUseUs,
      remoteMinRxInterval: this.#remoteMinRxUs,
      remoteDesiredMinTxInterval: this.#remoteDesiredTxUs,
      remoteDetectMult: this.#remoteDetectMult,
      remoteDemandMode: this.#remoteDemand,
      detectMult: this.#profile.detectMultiplier,
      transmitInterval: this.#txIntervalUs(),
      transmitting: this.#nextTxAt !== Number.POSITIVE_INFINITY,
      detectionTime: this.#detectionTimeUs(),
      pollActive: this.#pollActive,
      passive: this.#profile.passiveMode,
      profile: { ...this.#profile },
      authType: this.#auth?.type ?? 0,
      packetsSent: this.#sent,
      packetsReceived: this.#received,
      packetsDiscarded: this.#discarded,
      discards: { ...this.#discards },
    };
  }

  /**
   * §6.8.16: administratively disable. One AdminDown packet goes out at once, then they keep going
   * out at the slow rate (≥ 1 s apart) so the peer keeps its session Down rather than timing out.
   */
  adminDown(now: number, diag: number = BfdDiag.AdministrativelyDown): void {
    this.#assertLive();
    if (!Number.isInteger(diag) || diag < 0 || diag > 31) throw new RangeError(`diag ${diag} is not in 0–31`);
    if (this.#state === BfdState.AdminDown) return;
    this.#localDiag = diag;
    this.#detectAt = Number.POSITIVE_INFINITY;
    this.#lastRxAt = undefined;
    this.#setState(now, BfdState.AdminDown, 'administratively disabled', { localAdmin: true });
    this.#sendNow(now);
  }

  /** §6.8.16: administratively enable: AdminDown → Down, announced at once. */
  adminUp(now: number): void {
    this.#assertLive();
    if (this.#state !== BfdState.AdminDown) return;
    this.#setState(now, BfdState.Down, 'administratively enabled', {});
    this.#sendNow(now);
  }

  /**
   * An operator's AdminDown / enable goes out at once (as FRR does), not at the next periodic slot:
   * the peer learns of it at once, and the periodic schedule resumes from this packet.
   */
  #sendNow(now: number): void {
    if (this.#nextTxAt !== Number.POSITIVE_INFINITY) this.#nextTxAt = now;
    this.#service(now);
  }

  /**
   * Change the profile live. A change of the transmit or receive interval while Up starts a Poll
   * sequence (§6.8.3); a larger DesiredMinTx and a smaller RequiredMinRx take effect after the Final.
   */
  updateProfile(now: number, profile: BfdProfileInput | BfdProfile): void {
    this.#assertLive();
    const next = normalizeProfile(profile);
    const hadEcho = this.#profile.echoMode;
    this.#profile = next;
    this.#packet.detectMult = next.detectMultiplier;
    if (!hadEcho)
      for (const message of bfdProfileWarnings(next))
        this.#host.emit({ type: 'warning', sessionKey: this.key, message });
    this.#applyTimers(now);
    this.#service(now);
  }

  /**
   * Replace the authentication configuration (§6.7.1): key rollover within one type keeps the
   * session; changing the type, or turning authentication on or off, makes the peer discard our
   * packets until it is reconfigured the same way (the RFC has no in-band way to change it).
   */
  updateAuth(now: number, auth: BfdAuthConfig | undefined): void {
    this.#assertLive();
    const next = auth === undefined ? undefined : resolveAuth(auth);
    if (next !== undefined && next.type !== BfdAuthType.SimplePassword && this.#host.hash === undefined)
      throw new RangeError(
        `session ${this.key}: ${next.mode} authentication needs the endpoint's hash option`,
      );
    if (next?.type !== this.#auth?.type) {
      this.#authSeqKnown = false;
      this.#authSeqExpireAt = Number.POSITIVE_INFINITY;
      this.#packet.auth = undefined;
    }
    this.#auth = next;
    this.#service(now);
  }

  // ---- endpoint-facing --------------------------------------------------------------------------

  /** @internal A packet addressed to this session was discarded. */
  countDiscard(reason: BfdDiscardReason): void {
    this.#discarded++;
    this.#discards[reason] = (this.#discards[reason] ?? 0) + 1;
  }

  /** @internal Earliest deadline (ms) or +Infinity. */
  deadline(): number {
    return Math.min(this.#nextTxAt, this.#detectAt, this.#authSeqExpireAt);
  }

  /** @internal Timer expiry from the endpoint. */
  onTimeout(now: number): void {
    this.#service(now);
  }

  /**
   * @internal Process a structurally valid, demultiplexed packet (§6.8.6 from the TTL and
   * authentication checks on). Returns the discard reason, or undefined when accepted.
   */
  receive(
    now: number,
    v: BfdPacketView,
    bytes: Uint8Array,
    offset: number,
    info: BfdReceiveInfo,
  ): BfdDiscardReason | undefined {
    const reason = this.#check(v, bytes, offset, info);
    if (reason !== undefined) {
      this.countDiscard(reason);
      return reason;
    }
    this.#remoteDiscr = v.myDiscriminator;
    this.#remoteState = v.state;
    this.#remoteDemand = v.demand;
    this.#remoteMinRxUs = v.requiredMinRxInterval;
    this.#remoteDesiredTxUs = v.desiredMinTxInterval;
    this.#remoteDetectMult = v.detectMult;
    this.#remoteDiag = v.diag;
    if (v.final && this.#pollActive) this.#finishPoll();
    const detectUs = this.#detectionTimeUs();
    if (this.#authSeqKnown) this.#authSeqExpireAt = now + (2 * detectUs) / 1000;

    if (this.#state === BfdState.AdminDown) {
      this.#updateTxSchedule(now);
      this.#host.reschedule(this);
      this.countDiscard('local-admin-down');
      return 'local-admin-down';
    }
    // The packet is valid for detection (§6.8.4).
    this.#received++;
    this.#lastRxAt = now;
    this.#detectAt = now + detectUs / 1000;

    const s = this.#state;
    const rs = v.state;
    if (rs === BfdState.AdminDown) {
      if (s !== BfdState.Down) {
        this.#localDiag = BfdDiag.NeighborSignaledSessionDown;
        this.#setState(now, BfdState.Down, 'neighbor signaled AdminDown', { peerAdmin: true });
      }
    } else if (s === BfdState.Down) {
      if (rs === BfdState.Down) this.#setState(now, BfdState.Init, 'received Down from neighbor', {});
      else if (rs === BfdState.Init) this.#setState(now, BfdState.Up, 'received Init from neighbor', {});
    } else if (s === BfdState.Init) {
      if (rs === BfdState.Init || rs === BfdState.Up)
        this.#setState(now, BfdState.Up, `received ${bfdStateName(rs)} from neighbor`, {});
    } else if (rs === BfdState.Down) {
      this.#localDiag = BfdDiag.NeighborSignaledSessionDown;
      this.#setState(now, BfdState.Down, 'neighbor signaled session Down', {});
    }
    // Timer negotiation (§6.8.2) and demand mode of the peer (§6.8.6, §6.8.7) decide the schedule.
    this.#updateTxSchedule(now);
    // §6.8.7: answer a Poll with a Final at once, outside the schedule and demand mode.
    if (v.poll) this.#transmit(true);
    this.#service(now);
    return undefined;
  }

  // ---- internals --------------------------------------------------------------------------------

  #assertLive(): void {
    if (this.removed) throw new Error(`BFD session ${this.key} was removed`);
  }

  #check(
    v: BfdPacketView,
    bytes: Uint8Array,
    offset: number,
    info: BfdReceiveInfo,
  ): BfdDiscardReason | undefined {
    // RFC 5881 §5 (GTSM): single-hop packets must arrive with TTL/hop limit 255; RFC 5883 §2 multihop
    // packets with at least the configured minimum.
    if (info.ttl !== undefined) {
      if (this.multihop ? info.ttl < this.#profile.minimumTtl : info.ttl !== 255) return 'ttl';
    }
    const auth = this.#auth;
    if (v.authPresent && auth === undefined) return 'auth-unexpected';
    if (!v.authPresent && auth !== undefined) return 'auth-missing';
    if (auth === undefined) return undefined;
    if (v.authType !== auth.type) return 'auth-type-mismatch';
    const key = auth.keys.get(v.authKeyId);
    if (key === undefined) return 'auth-key-id';
    if (auth.type === BfdAuthType.SimplePassword) {
      // §6.7.2: the password must match the key exactly.
      if (v.authDataLength !== key.length || !constantTimeEqual(key, bytes, v.authDataOffset))
        return 'auth-password';
      return undefined;
    }
    const hash = this.#host.hash;
    if (hash === undefined) return 'auth-no-hash';
    const meticulous = isMeticulous(auth.type);
    if (this.#authSeqKnown && !sequenceInWindow(v.authSequence, this.#rcvAuthSeq, v.detectMult, meticulous))
      return 'auth-sequence';
    if (!verifyControlPacketDigest(bytes, key, hash, offset)) return 'auth-digest';
    this.#rcvAuthSeq = v.authSequence;
    this.#authSeqKnown = true;
    return undefined;
  }

  #desiredTxForState(): number {
    const configured = this.#profile.transmitInterval * 1000;
    return this.#state === BfdState.Up ? configured : Math.max(configured, SLOW_TX_INTERVAL_US);
  }

  /** §6.8.3: apply new advertised values; while Up, a change starts (or queues) a Poll sequence. */
  #applyTimers(now: number): void {
    const tx = this.#desiredTxForState();
    const rx = this.#profile.receiveInterval * 1000;
    const changed = tx !== this.#advertisedTxUs || rx !== this.#advertisedRxUs;
    this.#advertisedTxUs = tx;
    this.#advertisedRxUs = rx;
    if (this.#state !== BfdState.Up) {
      this.#txInUseUs = tx;
      this.#rxInUseUs = rx;
    } else if (changed) {
      // A faster transmit rate and a longer detection time are safe at once; the others wait for Final.
      if (tx < this.#txInUseUs) this.#txInUseUs = tx;
      if (rx > this.#rxInUseUs) this.#rxInUseUs = rx;
      if (!this.#pollActive) this.#startPoll();
    }
    this.#refreshDetection();
    this.#updateTxSchedule(now);
  }

  #startPoll(): void {
    this.#pollActive = true;
    this.#pollTxUs = this.#advertisedTxUs;
    this.#pollRxUs = this.#advertisedRxUs;
  }

  /** §6.5: a Final ends the Poll; the values it confirmed now apply; newer ones need another Poll. */
  #finishPoll(): void {
    this.#pollActive = false;
    this.#txInUseUs = Math.min(this.#pollTxUs, this.#advertisedTxUs);
    this.#rxInUseUs = Math.max(this.#pollRxUs, this.#advertisedRxUs);
    if (this.#pollTxUs !== this.#advertisedTxUs || this.#pollRxUs !== this.#advertisedRxUs) this.#startPoll();
    this.#refreshDetection();
  }

  /** Detection time (§6.8.4, Asynchronous mode): remote Detect Mult × max(RequiredMinRx, remote DesiredMinTx). */
  #detectionTimeUs(): number {
    return this.#remoteDetectMult * Math.max(this.#rxInUseUs, this.#remoteDesiredTxUs);
  }

  #refreshDetection(): void {
    if (this.#lastRxAt !== undefined && this.#state !== BfdState.AdminDown)
      this.#detectAt = this.#lastRxAt + this.#detectionTimeUs() / 1000;
  }

  /** §6.8.2: max(DesiredMinTx in use, RemoteMinRx). */
  #txIntervalUs(): number {
    return Math.max(this.#txInUseUs, this.#remoteMinRxUs);
  }

  /** §6.8.7: when periodic transmission is allowed. */
  #periodicAllowed(): boolean {
    if (this.#profile.passiveMode && this.#remoteDiscr === 0) return false;
    if (this.#remoteMinRxUs === 0) return false;
    if (
      this.#remoteDemand &&
      this.#state === BfdState.Up &&
      this.#remoteState === BfdState.Up &&
      !this.#pollActive
    )
      return false;
    return true;
  }

  #updateTxSchedule(now: number): void {
    if (!this.#periodicAllowed()) {
      this.#nextTxAt = Number.POSITIVE_INFINITY;
      this.#scheduledIntervalUs = 0;
      return;
    }
    const interval = this.#txIntervalUs();
    if (this.#nextTxAt === Number.POSITIVE_INFINITY) {
      // Starting (or resuming): one jittered interval after the last packet, or now.
      this.#scheduledIntervalUs = interval;
      this.#nextTxAt = Math.max(now, this.#lastTxAt + this.#jitterMs(interval));
    } else if (interval !== this.#scheduledIntervalUs) {
      // A shorter interval is honoured at once (§6.8.3). A longer one (leaving Up, AdminDown, a peer
      // asking for fewer packets, the end of a Poll) applies after the packet already scheduled: that
      // packet tells the peer about the change before its detection time, computed from the old
      // values, can run out.
      if (interval < this.#scheduledIntervalUs)
        this.#nextTxAt = Math.min(this.#nextTxAt, Math.max(now, this.#lastTxAt + this.#jitterMs(interval)));
      this.#scheduledIntervalUs = interval;
    }
  }

  #jitterMs(intervalUs: number): number {
    return jitteredIntervalUs(intervalUs, this.#profile.detectMultiplier, this.#host.random()) / 1000;
  }

  #setState(
    now: number,
    to: BfdStateCode,
    reason: string,
    flags: { peerAdmin?: boolean; localAdmin?: boolean },
  ): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    if (to === BfdState.Up) this.#localDiag = BfdDiag.None;
    if (from === BfdState.Up) this.#pollActive = false;
    this.#applyTimers(now);
    const host = this.#host;
    host.emit({
      type: 'state',
      sessionKey: this.key,
      from: bfdStateName(from),
      to: bfdStateName(to),
      diag: this.#localDiag,
      remoteDiag: this.#remoteDiag,
      reason,
      at: now,
    });
    if (to === BfdState.Up) host.emit({ type: 'up', sessionKey: this.key, at: now });
    else if (from === BfdState.Up) {
      const peerAdminDown = flags.peerAdmin === true;
      const localAdminDown = flags.localAdmin === true;
      host.emit({
        type: 'down',
        sessionKey: this.key,
        to: bfdStateName(to),
        diag: this.#localDiag,
        diagText: bfdDiagText(this.#localDiag),
        remoteDiag: this.#remoteDiag,
        peerAdminDown,
        localAdminDown,
        failure: !peerAdminDown && !localAdminDown,
        at: now,
      });
    }
  }

  /** Detection time expired (§6.8.4): Init/Up go Down with diag 1; the remote's variables reset (§6.8.1). */
  #expire(now: number): void {
    this.#detectAt = Number.POSITIVE_INFINITY;
    this.#lastRxAt = undefined;
    this.#remoteDiscr = 0;
    this.#remoteState = BfdState.Down;
    this.#remoteDemand = false;
    this.#remoteMinRxUs = 1;
    this.#remoteDesiredTxUs = 0;
    this.#remoteDetectMult = 0;
    if (this.#state === BfdState.Init || this.#state === BfdState.Up) {
      this.#localDiag = BfdDiag.ControlDetectionTimeExpired;
      this.#setState(now, BfdState.Down, 'control detection time expired', {});
    }
    this.#updateTxSchedule(now);
  }

  #service(now: number): void {
    if (this.#detectAt <= now) this.#expire(now);
    if (this.#authSeqExpireAt <= now) {
      // §6.8.1: forget the sequence after twice the detection time without a packet.
      this.#authSeqKnown = false;
      this.#authSeqExpireAt = Number.POSITIVE_INFINITY;
    }
    if (this.#nextTxAt <= now) {
      this.#transmit(false);
      this.#lastTxAt = now;
      this.#nextTxAt = Number.POSITIVE_INFINITY;
      this.#updateTxSchedule(now);
    }
    this.#host.reschedule(this);
  }

  /** Build, authenticate and emit one control packet (§6.8.7). */
  #transmit(final: boolean): void {
    const p = this.#packet;
    p.diag = this.#localDiag;
    p.state = this.#state;
    p.poll = !final && this.#pollActive;
    p.final = final;
    p.yourDiscriminator = this.#remoteDiscr;
    p.desiredMinTxInterval = this.#advertisedTxUs;
    p.requiredMinRxInterval = this.#advertisedRxUs;
    const auth = this.#auth;
    if (auth !== undefined) {
      if (auth.type === BfdAuthType.SimplePassword) {
        p.auth = { type: BfdAuthType.SimplePassword, keyId: auth.sendKeyId, password: auth.sendKey };
      } else {
        // Sequence numbers advance on every packet: required for the meticulous types, allowed
        // ("occasionally") for the keyed ones, and always inside the receiver's window.
        this.#xmitAuthSeq = (this.#xmitAuthSeq + 1) >>> 0;
        p.auth = {
          type: auth.type as 2 | 3 | 4 | 5,
          keyId: auth.sendKeyId,
          sequence: this.#xmitAuthSeq,
          digest: new Uint8Array(auth.type <= BfdAuthType.MeticulousKeyedMd5 ? 16 : 20),
        };
      }
    }
    const bytes = new Uint8Array(encodedLength(p));
    encodeControlPacketInto(p, bytes, 0);
    if (auth !== undefined && auth.type !== BfdAuthType.SimplePassword)
      signControlPacket(bytes, auth.sendKey, this.#host.hash!);
    this.#sent++;
    this.#host.emit({
      type: 'send',
      sessionKey: this.key,
      bytes,
      localAddress: this.localAddress,
      remoteAddress: this.remoteAddress,
      interface: this.interface,
      multihop: this.multihop,
    });
  }
}
