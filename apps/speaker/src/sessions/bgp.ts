// One BGP session toward one BGPPeer, over TCP: @bmlb/bgp-core's BgpSession run by
// @bmlb/transport-tcp's driver. The source address is the peer's `sourceAddress` or the one the
// kernel's routing picks toward the peer; the router ID is the peer's `routerID` or that address.
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import os from 'node:os';
import type { BgpSessionConfig, FamilyName, RouteAttributes, SessionEvent } from '@bmlb/bgp-core';
import { BgpSessionDriver, bgpTtl } from '@bmlb/transport-tcp';
import type { Logger } from 'pino';
import type { PeerRouteChanges, PeerRoutes, RouteAttrs } from '../announce/types.ts';
import type {
  BgpCounters,
  BgpPeerStatus,
  BgpSessionEvents,
  BgpSessionPort,
  MessageKind,
  PeerConfig,
} from '../speaker/types.ts';
import { ipv6NextHop } from './next-hop.ts';

/** The local address the kernel would use toward `peer` (a connected UDP socket sends nothing). */
export function routeSourceAddress(peer: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(isIPv6(peer) ? 'udp6' : 'udp4');
    sock.once('error', (err) => {
      sock.close();
      reject(new Error(`no route to ${peer}: ${err.message}`));
    });
    sock.connect(179, peer, () => {
      const a = sock.address().address;
      sock.close();
      resolve(a);
    });
  });
}

/** Some IPv4 address of this node for the BGP Identifier when the session is IPv6. */
function anyIPv4Address(): string | undefined {
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

const ZERO: Record<MessageKind, number> = {
  open: 0,
  update: 0,
  notification: 0,
  keepalive: 0,
  'route-refresh': 0,
};

export interface TcpBgpSessionOptions {
  readonly peer: PeerConfig;
  readonly events: BgpSessionEvents;
  readonly logger: Logger;
  readonly nodeName: string;
  /** Seconds between dials when the peer names no connectTime. */
  readonly defaultConnectTime?: number;
}

function toAttributes(a: RouteAttrs, cache: Map<RouteAttrs, RouteAttributes>): RouteAttributes {
  let r = cache.get(a);
  if (r === undefined) {
    r = {
      communities: a.communities,
      largeCommunities: a.largeCommunities,
      ...(a.localPref === undefined ? {} : { localPref: a.localPref }),
    };
    cache.set(a, r);
  }
  return r;
}

export class TcpBgpSession implements BgpSessionPort {
  readonly #o: TcpBgpSessionOptions;
  readonly #log: Logger;
  #driver: BgpSessionDriver | undefined;
  #pending: PeerRoutes | undefined;
  #closed = false;
  #established = false;
  #since = 0;
  #state = 'Idle';
  #lastError: string | undefined;
  #bfd: string | undefined;
  #ready: Promise<void>;
  #families: FamilyName[];

  constructor(o: TcpBgpSessionOptions) {
    this.#o = o;
    this.#log = o.logger.child({ peer: o.peer.address, peerName: o.peer.name });
    this.#families = [isIPv6(o.peer.address) ? 'ipv6-unicast' : 'ipv4-unicast'];
    this.#ready = this.#init().catch((err: unknown) => {
      this.#lastError = (err as Error).message;
      this.#log.error(
        { event: 'sessionSetupFailed', err: this.#lastError },
        `cannot set up the BGP session: ${this.#lastError}`,
      );
    });
  }

  async #init(): Promise<void> {
    const p = this.#o.peer;
    const local = p.sourceAddress ?? (await routeSourceAddress(p.address));
    if (this.#closed) return;
    const bgpId = p.routerID ?? (isIPv6(local) ? anyIPv4Address() : local);
    if (bgpId === undefined)
      throw new Error('no IPv4 address on this node for the BGP Identifier; set routerID');
    const external = p.peerASN === undefined ? p.dynamicASN === 'external' : p.peerASN !== p.myASN;
    // RFC 2545 §3: on a subnet shared with the peer, the IPv6 next hop is the global address followed
    // by the link-local address of the interface that holds it (32 octets).
    let nextHop: BgpSessionConfig['nextHop'];
    if (this.#families.includes('ipv6-unicast')) {
      const nh = ipv6NextHop(local, p.address, os.networkInterfaces());
      nextHop = nh.nextHop;
      if (nh.note !== undefined) this.#log.info({ event: 'ipv6NextHop', note: nh.note }, nh.note);
      else if (nh.nextHop !== undefined)
        this.#log.debug(
          { event: 'ipv6NextHop', interface: nh.interface, ...nh.nextHop },
          `IPv6 next hop ${nh.nextHop.ipv6 ?? local} with link-local ${nh.nextHop.ipv6LinkLocal} (${nh.interface})`,
        );
    }
    const ttl = bgpTtl({ external, ebgpMultiHop: p.ebgpMultiHop });
    const config: BgpSessionConfig = {
      // localASN replaces myASN toward this peer (validation allows it on eBGP sessions only, so
      // `external` above, from myASN, stays what the peer sees too).
      localAs: p.localASN ?? p.myASN,
      peerAs: p.peerASN ?? p.dynamicASN ?? 'external',
      bgpId,
      peerAddress: p.address,
      peerPort: p.port,
      localAddress: local,
      holdTime: p.holdTime,
      ...(p.keepaliveTime === undefined ? {} : { keepaliveTime: p.keepaliveTime }),
      connectRetryTime: p.connectTime ?? this.#o.defaultConnectTime ?? 5,
      idleHoldTime: 1,
      families: this.#families,
      ...(nextHop === undefined ? {} : { nextHop }),
      ...(p.enableGracefulRestart ? { gracefulRestart: { restartTime: 120, forwardingState: true } } : {}),
      hostname: { hostName: this.#o.nodeName },
      random: Math.random,
    };
    const driver = new BgpSessionDriver(config, {
      ...(p.password === undefined ? {} : { md5Key: p.password }),
      ttl: ttl.ttl,
      ...(ttl.minTtl === undefined ? {} : { minTtl: ttl.minTtl }),
      localAddress: local,
    });
    driver.on('event', (e) => this.#onEvent(e));
    driver.on('transportError', (err) => {
      this.#lastError = err.message;
      this.#log.debug({ event: 'transportError', err: err.message }, err.message);
    });
    this.#driver = driver;
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined) this.#push(pending);
    driver.start();
  }

  #onEvent(e: SessionEvent): void {
    switch (e.type) {
      case 'state-change': {
        this.#state = e.to;
        const up = e.to === 'Established';
        if (up !== this.#established) {
          this.#established = up;
          this.#since = Date.now();
          this.#o.events.onStateChange(this.#o.peer.name, up, e.reason);
        }
        if (!up && e.from === 'Established') this.#lastError = e.reason;
        return;
      }
      case 'notification-sent':
        this.#lastError = `sent ${e.description}${e.reason ? `: ${e.reason}` : ''}`;
        this.#log.warn(
          { event: 'notificationSent', notification: e.description, reason: e.reason },
          `sent NOTIFICATION ${e.description}`,
        );
        return;
      case 'notification-received':
        this.#lastError = `received ${e.description}`;
        this.#log.warn(
          { event: 'notificationReceived', notification: e.description },
          `received NOTIFICATION ${e.description}`,
        );
        return;
      case 'export-error':
        this.#log.error(
          { event: 'exportError', prefixes: e.prefixes.length, reason: e.reason },
          `cannot advertise ${e.prefixes.length} prefixes: ${e.reason}`,
        );
        return;
      case 'attribute-issue':
        this.#log.warn(
          { event: 'attributeIssue', issue: e.issue },
          'malformed attribute from peer (RFC 7606)',
        );
        return;
      default:
        return;
    }
  }

  #push(routes: PeerRoutes): void {
    const d = this.#driver;
    if (d === undefined) {
      this.#pending = routes;
      return;
    }
    const cache = new Map<RouteAttrs, RouteAttributes>();
    for (const fam of this.#families) {
      const table = fam === 'ipv4-unicast' ? routes.ipv4 : routes.ipv6;
      d.setRoutes(
        fam,
        (function* () {
          for (const [prefix, a] of table) yield [prefix, toAttributes(a, cache)] as const;
        })(),
      );
    }
  }

  setRoutes(routes: PeerRoutes): void {
    if (this.#closed) return;
    this.#push(routes);
  }

  updateRoutes(routes: PeerRoutes, changes: PeerRouteChanges): void {
    const d = this.#driver;
    // Not set up yet: it takes the whole table when it is.
    if (d === undefined) {
      this.setRoutes(routes);
      return;
    }
    if (this.#closed) return;
    const cache = new Map<RouteAttrs, RouteAttributes>();
    for (const fam of this.#families) {
      const m = fam === 'ipv4-unicast' ? changes.ipv4 : changes.ipv6;
      if (m.size === 0) continue;
      const withdrawn: string[] = [];
      const announced: [string, RouteAttributes][] = [];
      for (const [prefix, a] of m) {
        if (a === undefined) withdrawn.push(prefix);
        else announced.push([prefix, toAttributes(a, cache)]);
      }
      if (withdrawn.length > 0) d.withdraw(fam, withdrawn);
      if (announced.length > 0) d.announce(fam, announced);
    }
  }

  bfdDown(reason: string): void {
    this.#bfd = 'down';
    const d = this.#driver;
    if (d === undefined || this.#closed) return;
    this.#lastError = reason;
    d.bfdDown();
  }

  async shutdown(message: string): Promise<void> {
    this.#closed = true;
    await this.#ready;
    await this.#driver?.shutdown(message);
  }

  async deconfigure(): Promise<void> {
    this.#closed = true;
    await this.#ready;
    await this.#driver?.deconfigure();
  }

  async reconfigure(): Promise<void> {
    this.#closed = true;
    await this.#ready;
    await this.#driver?.reconfigure();
  }

  counters(): BgpCounters {
    const s = this.#driver?.stats();
    if (s === undefined) return { sent: ZERO, received: ZERO, advertised: 0 };
    return {
      sent: s.messagesSent,
      received: s.messagesReceived,
      advertised: Object.values(s.prefixesAdvertised).reduce((a, b) => a + b, 0),
    };
  }

  status(): BgpPeerStatus {
    const p = this.#o.peer;
    const s = this.#driver?.stats();
    return {
      name: p.name,
      address: p.address,
      localAddress: s?.localAddress ?? p.sourceAddress,
      myASN: p.myASN,
      peerASN: p.peerASN ?? s?.negotiated?.peerAs,
      state: s?.state ?? this.#state,
      since: this.#since,
      established: this.#established,
      prefixesSent: s === undefined ? 0 : Object.values(s.prefixesAdvertised).reduce((a, b) => a + b, 0),
      prefixesReceived: s === undefined ? 0 : Object.values(s.prefixesReceived).reduce((a, b) => a + b, 0),
      lastError: this.#lastError ?? s?.lastError,
      bfd: this.#bfd,
    };
  }
}
