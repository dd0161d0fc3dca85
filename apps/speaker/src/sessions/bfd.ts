// BFD toward one BGPPeer: a single-hop (or, with ebgpMultiHop, multihop) session of
// @bmlb/bfd-core run by @bmlb/transport-udp-raw's driver, which one process shares across peers.
import type { BfdDownEvent, BfdStateEvent, BfdUpEvent } from '@bmlb/bfd-core';
import type { BfdDriver } from '@bmlb/transport-udp-raw';
import type { Logger } from 'pino';
import type {
  BfdEvents,
  BfdPeerStatus,
  BfdProfileConfig,
  BfdSessionPort,
  PeerConfig,
} from '../speaker/types.ts';
import { routeSourceAddress } from './bgp.ts';

export interface BfdPortOptions {
  readonly driver: BfdDriver;
  readonly peer: PeerConfig;
  readonly profile: BfdProfileConfig;
  readonly events: BfdEvents;
  readonly logger: Logger;
  /** Subscribe to the shared driver's events for this session key. */
  readonly subscribe: (key: string, handler: BfdKeyHandler) => () => void;
}

export interface BfdKeyHandler {
  up(e: BfdUpEvent): void;
  down(e: BfdDownEvent): void;
  state(e: BfdStateEvent): void;
}

function profileInput(p: BfdProfileConfig) {
  return {
    receiveInterval: p.receiveInterval,
    transmitInterval: p.transmitInterval,
    detectMultiplier: p.detectMultiplier,
    echoInterval: p.echoInterval,
    echoMode: p.echoMode,
    passiveMode: p.passiveMode,
    minimumTtl: p.minimumTtl,
  };
}

export class UdpBfdSession implements BfdSessionPort {
  readonly #o: BfdPortOptions;
  readonly #key: string;
  #profile: BfdProfileConfig;
  #local: string | undefined;
  #started = false;
  #closed = false;
  #since = 0;
  #state = 'down';
  #diag = 'ok';
  #unsubscribe: (() => void) | undefined;
  #ready: Promise<void>;

  constructor(o: BfdPortOptions) {
    this.#o = o;
    this.#profile = o.profile;
    this.#key = `bgp:${o.peer.name}:${o.peer.address}`;
    this.#ready = this.#init().catch((err: unknown) => {
      this.#diag = `setup failed: ${(err as Error).message}`;
      o.logger.error(
        { event: 'bfdSetupFailed', peer: o.peer.address, err: (err as Error).message },
        `cannot start BFD toward ${o.peer.address}: ${(err as Error).message}`,
      );
    });
  }

  async #init(): Promise<void> {
    const p = this.#o.peer;
    const local = p.sourceAddress ?? (await routeSourceAddress(p.address));
    if (this.#closed) return;
    this.#local = local;
    this.#unsubscribe = this.#o.subscribe(this.#key, {
      up: () => {
        this.#state = 'up';
        this.#since = Date.now();
        this.#diag = 'ok';
        this.#o.events.onUp(p.name);
      },
      down: (e) => {
        this.#state = e.to === 'AdminDown' ? 'shutdown' : 'down';
        this.#since = Date.now();
        this.#diag = e.diagText;
        if (e.localAdminDown) return;
        this.#o.events.onDown(p.name, e.diagText, !e.failure);
      },
      state: (e) => {
        if (e.to !== 'Up')
          this.#state = e.to === 'AdminDown' ? 'shutdown' : e.to === 'Init' ? 'init' : 'down';
      },
    });
    this.#o.driver.addSession({
      key: this.#key,
      localAddress: local,
      remoteAddress: p.address,
      multihop: p.ebgpMultiHop,
      profile: profileInput(this.#profile),
    });
    this.#started = true;
  }

  setProfile(profile: BfdProfileConfig): void {
    this.#profile = profile;
    if (this.#started && !this.#closed) this.#o.driver.setProfile(this.#key, profileInput(profile));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#ready;
    if (!this.#started) return;
    // AdminDown first so the peer does not count it as a failure (RFC 5880 §6.8.16), then stop.
    try {
      this.#o.driver.setAdminDown(this.#key, true);
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      this.#o.driver.removeSession(this.#key);
      this.#unsubscribe?.();
    }
  }

  packets(): { in: number; out: number } {
    const i = this.#started ? this.#o.driver.sessionInfo(this.#key) : undefined;
    return { in: i?.packetsReceived ?? 0, out: i?.packetsSent ?? 0 };
  }

  status(): BfdPeerStatus {
    const i = this.#started && !this.#closed ? this.#o.driver.sessionInfo(this.#key) : undefined;
    return {
      name: i === undefined ? '-' : String(i.localDiscriminator),
      peer: this.#o.peer.address,
      local: this.#local,
      state: this.#state,
      since: this.#since,
      diag: this.#diag,
      profile: this.#profile.name,
    };
  }
}
