// Fake BGP and BFD sessions for the speaker's unit tests: they record what the speaker asked of them
// (the routes handed over, deconfigure / reconfigure / shutdown, BFD profiles) instead of talking to
// routers.

import type { PeerRouteChanges, PeerRoutes } from '../announce/types.ts';
import type {
  BfdEvents,
  BfdProfileConfig,
  BfdSessionPort,
  BgpSessionEvents,
  BgpSessionPort,
  PeerConfig,
  SessionFactory,
} from '../speaker/types.ts';

export interface FakeBgp extends BgpSessionPort {
  cfg: PeerConfig;
  events: BgpSessionEvents;
  /** Every table handed over: whole (setRoutes), or a copy of the whole after a change (updateRoutes). */
  routes: PeerRoutes[];
  /** The changes handed over by updateRoutes. */
  changes: PeerRouteChanges[];
  log: string[];
}
export interface FakeBfd extends BfdSessionPort {
  events: BfdEvents;
  profiles: BfdProfileConfig[];
  closed: boolean;
}

export function fakeFactory() {
  const bgp: FakeBgp[] = [];
  const bfd: FakeBfd[] = [];
  const factory: SessionFactory = {
    createBgp(cfg, events) {
      const s: FakeBgp = {
        cfg,
        events,
        routes: [],
        changes: [],
        log: [],
        setRoutes(r) {
          s.routes.push(r);
        },
        updateRoutes(r, c) {
          s.routes.push({ ipv4: new Map(r.ipv4), ipv6: new Map(r.ipv6) });
          s.changes.push(c);
        },
        bfdDown(reason) {
          s.log.push(`bfdDown:${reason}`);
        },
        async shutdown(msg) {
          s.log.push(`shutdown:${msg}`);
        },
        async deconfigure() {
          s.log.push('deconfigure');
        },
        async reconfigure() {
          s.log.push('reconfigure');
        },
        counters: () => ({
          sent: { open: 1, update: s.routes.length, notification: 0, keepalive: 2, 'route-refresh': 0 },
          received: { open: 1, update: 0, notification: 0, keepalive: 2, 'route-refresh': 0 },
          advertised: s.routes.at(-1)?.ipv4.size ?? 0,
        }),
        status: () => ({
          name: cfg.name,
          address: cfg.address,
          localAddress: undefined,
          myASN: cfg.myASN,
          peerASN: cfg.peerASN,
          state: 'Idle',
          since: 0,
          established: false,
          prefixesSent: 0,
          prefixesReceived: 0,
          lastError: undefined,
          bfd: undefined,
        }),
      };
      bgp.push(s);
      return s;
    },
    createBfd(cfg, profile, events) {
      const s: FakeBfd = {
        events,
        profiles: [profile],
        closed: false,
        setProfile(p) {
          s.profiles.push(p);
        },
        async close() {
          s.closed = true;
        },
        packets: () => ({ in: 5, out: 6 }),
        status: () => ({
          name: cfg.name,
          peer: cfg.address,
          local: undefined,
          state: 'down',
          since: 0,
          diag: '',
          profile: profile.name,
        }),
      };
      bfd.push(s);
      return s;
    },
  };
  return { factory, bgp, bfd };
}
