// The real sessions: BGP over TCP (one driver per peer) and BFD over UDP (one driver per process).
import { BfdDriver } from '@bmlb/transport-udp-raw';
import type { Logger } from 'pino';
import type {
  BfdEvents,
  BfdProfileConfig,
  BgpSessionEvents,
  PeerConfig,
  SessionFactory,
} from '../speaker/types.ts';
import { type BfdKeyHandler, UdpBfdSession } from './bfd.ts';
import { TcpBgpSession } from './bgp.ts';

export interface RealSessionFactoryOptions {
  readonly logger: Logger;
  readonly nodeName: string;
}

export class RealSessionFactory implements SessionFactory {
  readonly #o: RealSessionFactoryOptions;
  #bfd: BfdDriver | undefined;
  readonly #handlers = new Map<string, BfdKeyHandler>();

  constructor(o: RealSessionFactoryOptions) {
    this.#o = o;
  }

  createBgp(peer: PeerConfig, events: BgpSessionEvents): TcpBgpSession {
    return new TcpBgpSession({ peer, events, logger: this.#o.logger, nodeName: this.#o.nodeName });
  }

  #driver(): BfdDriver {
    if (this.#bfd !== undefined) return this.#bfd;
    const d = new BfdDriver();
    d.on('up', (e) => this.#handlers.get(e.sessionKey)?.up(e));
    d.on('down', (e) => this.#handlers.get(e.sessionKey)?.down(e));
    d.on('state', (e) => this.#handlers.get(e.sessionKey)?.state(e));
    d.on('warning', (e) => this.#o.logger.warn({ event: 'bfdWarning', session: e.sessionKey }, e.message));
    d.on('socketError', (e) =>
      this.#o.logger.debug(
        { event: 'bfdSocketError', session: e.sessionKey, err: e.error.message },
        e.error.message,
      ),
    );
    this.#bfd = d;
    return d;
  }

  createBfd(peer: PeerConfig, profile: BfdProfileConfig, events: BfdEvents): UdpBfdSession {
    return new UdpBfdSession({
      driver: this.#driver(),
      peer,
      profile,
      events,
      logger: this.#o.logger,
      subscribe: (key, handler) => {
        this.#handlers.set(key, handler);
        return () => {
          if (this.#handlers.get(key) === handler) this.#handlers.delete(key);
        };
      },
    });
  }

  close(): void {
    this.#bfd?.close();
    this.#bfd = undefined;
  }
}
