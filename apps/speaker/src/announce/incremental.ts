// The announcements kept up to date one change at a time. `reset` computes every Service's verdict
// and routes for a configuration (what computeAnnouncements does); `update` then takes some Services
// and EndpointSlices that changed and recomputes only the Services they touch — the Service itself,
// and for a slice the Service it belongs to now and the one it belonged to before — and says which
// routes changed. The result is always what computeAnnouncements would give for the same objects.
//
// Each prefix of each peer table keeps the list of routes that make it up (one per Service and
// advertisement that announce it: Services sharing an IP, or aggregated into one prefix), so that
// removing one Service's routes leaves the others' and the merged attributes are worked out again
// only for the prefixes a change touched.
// Pure: no clock, no randomness, no I/O.
import { objectKey } from '@bmlb/metallb-api';
import {
  type AnnounceContext,
  announceContext,
  mergeRouteAttrs,
  serviceKey,
  sliceServiceKey,
  type Target,
} from './announce.ts';
import type {
  AnnounceConfig,
  DataChanges,
  EndpointSlice,
  Node,
  PeerRouteChanges,
  PeerRoutes,
  RouteAttrs,
  Service,
  ServiceVerdict,
  VerdictChange,
} from './types.ts';

interface Entry {
  svc: Service;
  verdict: ServiceVerdict | undefined;
  /** The Service's routes as pairs, flat: target, prefix, target, prefix, … (an array of its size). */
  routes: readonly (Target | string)[];
}

const NO_SLICES: readonly EndpointSlice[] = [];
const NO_ROUTES: readonly (Target | string)[] = [];

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameAttrs(a: RouteAttrs, b: RouteAttrs): boolean {
  if (a === b) return true;
  if (a.localPref !== b.localPref || !sameNumbers(a.communities, b.communities)) return false;
  if (a.largeCommunities.length !== b.largeCommunities.length) return false;
  for (let i = 0; i < a.largeCommunities.length; i++)
    if (!sameNumbers(a.largeCommunities[i] as readonly number[], b.largeCommunities[i] as readonly number[]))
      return false;
  return true;
}

export interface AnnouncerOptions {
  readonly nodeName: string;
  readonly loadBalancerClass?: string | undefined;
}

export class Announcer {
  readonly #o: AnnouncerOptions;
  #ctx: AnnounceContext | undefined;
  /** Every Service (also those not ours to announce, which have no verdict), in the source's order. */
  #services = new Map<string, Entry>();
  #slices = new Map<string, EndpointSlice>();
  /** Each Service's EndpointSlices (arrays of their size, replaced on a change: 10,000 of them). */
  #slicesBySvc = new Map<string, readonly EndpointSlice[]>();
  /** Per peer and family (index 0: IPv4, 1: IPv6): the routes that make up each prefix. */
  #parts = new Map<string, [Map<string, RouteAttrs[]>, Map<string, RouteAttrs[]>]>();
  #verdictList: ServiceVerdict[] | undefined;
  #count = 0;

  constructor(o: AnnouncerOptions) {
    this.#o = o;
  }

  /** Whether `reset` ran (before: no configuration, no routes). */
  get ready(): boolean {
    return this.#ctx !== undefined;
  }

  /** Per peer with a session from this node, the routes it should hold (updated in place by `update`). */
  get routes(): ReadonlyMap<string, PeerRoutes> {
    return this.#ctx?.routes ?? new Map();
  }

  get nodeReason(): string {
    return this.#ctx?.nodeReason ?? '';
  }

  /** How many Services have a verdict. */
  get size(): number {
    return this.#count;
  }

  /** Every verdict, in the order of the Services (the array is kept until a verdict changes). */
  verdicts(): readonly ServiceVerdict[] {
    if (this.#verdictList === undefined) {
      const list: ServiceVerdict[] = [];
      for (const e of this.#services.values()) if (e.verdict !== undefined) list.push(e.verdict);
      this.#verdictList = list;
    }
    return this.#verdictList;
  }

  /**
   * Computes everything for a configuration and these objects, in new tables (the ones handed out
   * before are left as they were). Returns each Service's verdict before and after.
   */
  reset(
    config: AnnounceConfig,
    nodes: readonly Node[],
    services: Iterable<Service>,
    endpointSlices: Iterable<EndpointSlice>,
  ): VerdictChange[] {
    const before = this.#services;
    const ctx = announceContext(config, nodes, this.#o.nodeName, this.#o.loadBalancerClass);
    this.#ctx = ctx;
    this.#services = new Map();
    this.#slices = new Map();
    this.#slicesBySvc = new Map();
    this.#parts = new Map();
    for (const name of ctx.routes.keys()) this.#parts.set(name, [new Map(), new Map()]);
    this.#verdictList = undefined;
    this.#count = 0;
    for (const s of endpointSlices) this.#putSlice(s, undefined);
    const changes: VerdictChange[] = [];
    for (const svc of services) {
      const key = serviceKey(svc);
      const e: Entry = { svc, verdict: undefined, routes: NO_ROUTES };
      this.#services.set(key, e);
      this.#evaluate(key, e, undefined);
      if (e.verdict !== undefined) this.#count++;
      const old = before.get(key)?.verdict;
      before.delete(key);
      if (old !== undefined || e.verdict !== undefined) changes.push([old, e.verdict]);
    }
    for (const e of before.values()) if (e.verdict !== undefined) changes.push([e.verdict, undefined]);
    for (const [peer, fams] of this.#parts) {
      const table = ctx.routes.get(peer) as PeerRoutes;
      fams.forEach((parts, i) => {
        const out = i === 0 ? table.ipv4 : table.ipv6;
        for (const [prefix, list] of parts) out.set(prefix, mergeRouteAttrs(list) as RouteAttrs);
      });
    }
    return changes;
  }

  /**
   * Takes some changed Services and EndpointSlices and recomputes the Services they touch. Returns
   * the routes that changed per peer (only peers with a change) and the verdicts that changed.
   */
  update(changes: DataChanges): { routes: Map<string, PeerRouteChanges>; services: VerdictChange[] } {
    const routes = new Map<string, PeerRouteChanges>();
    const services: VerdictChange[] = [];
    if (this.#ctx === undefined) throw new Error('Announcer.update before reset');
    const dirty = new Set<string>();
    // Deletions first: a key deleted and added again in one batch is in both lists.
    for (const s of changes.deletedEndpointSlices) this.#dropSlice(sliceKey(s), dirty);
    for (const s of changes.endpointSlices) this.#putSlice(s, dirty);
    // Prefixes touched, per peer and family.
    const touched = new Map<string, [Set<string>, Set<string>]>();
    // The verdicts of the Services deleted in this batch (a Service added again goes to the end of
    // the order, as in the source's store).
    const prior = new Map<string, ServiceVerdict | undefined>();
    for (const svc of changes.deletedServices) {
      const key = serviceKey(svc);
      const e = this.#services.get(key);
      if (e === undefined) continue;
      this.#unroute(e, touched);
      this.#services.delete(key);
      prior.set(key, e.verdict);
      dirty.add(key);
    }
    for (const svc of changes.services) {
      const key = serviceKey(svc);
      const e = this.#services.get(key);
      if (e === undefined) this.#services.set(key, { svc, verdict: prior.get(key), routes: NO_ROUTES });
      else if (e.svc === svc) continue;
      else e.svc = svc;
      dirty.add(key);
    }
    for (const key of dirty) {
      const e = this.#services.get(key);
      const old = prior.has(key) ? prior.get(key) : e?.verdict;
      if (e !== undefined) {
        this.#unroute(e, touched);
        this.#evaluate(key, e, touched);
      }
      const next = e?.verdict;
      if (old === next && !prior.has(key)) continue;
      if (old !== undefined) this.#count--;
      if (next !== undefined) this.#count++;
      this.#verdictList = undefined;
      if (old !== next) services.push([old, next]);
    }
    const ctx = this.#ctx;
    for (const [peer, fams] of touched) {
      const table = ctx.routes.get(peer) as PeerRoutes;
      const parts = this.#parts.get(peer) as [Map<string, RouteAttrs[]>, Map<string, RouteAttrs[]>];
      let changed: PeerRouteChanges | undefined;
      fams.forEach((prefixes, i) => {
        const out = i === 0 ? table.ipv4 : table.ipv6;
        for (const prefix of prefixes) {
          const list = parts[i]?.get(prefix);
          const cur = out.get(prefix);
          const next = list === undefined ? undefined : mergeRouteAttrs(list);
          if (next === undefined) {
            if (cur === undefined) continue;
            out.delete(prefix);
          } else if (cur !== undefined && sameAttrs(cur, next)) continue;
          else out.set(prefix, next);
          if (changed === undefined) {
            changed = { ipv4: new Map(), ipv6: new Map() };
            routes.set(peer, changed);
          }
          (i === 0 ? changed.ipv4 : changed.ipv6).set(prefix, next);
        }
      });
    }
    return { routes, services };
  }

  /** Computes a Service's verdict and adds its routes to the prefixes' parts. */
  #evaluate(key: string, e: Entry, touched: Map<string, [Set<string>, Set<string>]> | undefined): void {
    const ctx = this.#ctx as AnnounceContext;
    const routes: (Target | string)[] = [];
    const parts = this.#parts;
    const v = ctx.evaluate(e.svc, key, this.#slicesBySvc.get(key) ?? NO_SLICES, (t, prefix) => {
      routes.push(t, prefix);
      const fam = (parts.get(t.peer) as [Map<string, RouteAttrs[]>, Map<string, RouteAttrs[]>])[
        t.family === 4 ? 0 : 1
      ];
      const list = fam.get(prefix);
      if (list === undefined) fam.set(prefix, [t.attrs]);
      else list.push(t.attrs);
      if (touched !== undefined) touchedSet(touched, t).add(prefix);
    });
    e.routes = routes.length === 0 ? NO_ROUTES : routes.slice();
    // A verdict equal to the one before keeps the old object (nothing to report, nothing to log).
    if (e.verdict === undefined || v === undefined || !sameVerdict(e.verdict, v)) e.verdict = v;
  }

  /** Takes a Service's routes out of the prefixes' parts. */
  #unroute(e: Entry, touched: Map<string, [Set<string>, Set<string>]>): void {
    const r = e.routes;
    for (let i = 0; i < r.length; i += 2) {
      const t = r[i] as Target;
      const prefix = r[i + 1] as string;
      const fam = (this.#parts.get(t.peer) as [Map<string, RouteAttrs[]>, Map<string, RouteAttrs[]>])[
        t.family === 4 ? 0 : 1
      ];
      const list = fam.get(prefix);
      if (list === undefined) continue;
      const at = list.indexOf(t.attrs);
      if (at >= 0) list.splice(at, 1);
      if (list.length === 0) fam.delete(prefix);
      touchedSet(touched, t).add(prefix);
    }
    e.routes = NO_ROUTES;
  }

  #putSlice(slice: EndpointSlice, dirty: Set<string> | undefined): void {
    const key = sliceKey(slice);
    const old = this.#slices.get(key);
    if (old === slice) return;
    if (old !== undefined) this.#dropSlice(key, dirty);
    this.#slices.set(key, slice);
    const svc = sliceServiceKey(slice);
    if (svc === undefined) return;
    const list = this.#slicesBySvc.get(svc);
    this.#slicesBySvc.set(svc, list === undefined ? [slice] : [...list, slice]);
    dirty?.add(svc);
  }

  #dropSlice(key: string, dirty: Set<string> | undefined): void {
    const old = this.#slices.get(key);
    if (old === undefined) return;
    this.#slices.delete(key);
    const svc = sliceServiceKey(old);
    if (svc === undefined) return;
    const list = this.#slicesBySvc.get(svc)?.filter((s) => s !== old);
    if (list === undefined || list.length === 0) this.#slicesBySvc.delete(svc);
    else this.#slicesBySvc.set(svc, list);
    dirty?.add(svc);
  }
}

function sliceKey(s: EndpointSlice): string {
  return objectKey(s.metadata.namespace ?? 'default', s.metadata.name ?? '');
}

function touchedSet(touched: Map<string, [Set<string>, Set<string>]>, t: Target): Set<string> {
  let fams = touched.get(t.peer);
  if (fams === undefined) {
    fams = [new Set(), new Set()];
    touched.set(t.peer, fams);
  }
  return fams[t.family === 4 ? 0 : 1];
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The same verdict in every field the speaker reports. */
export function sameVerdict(a: ServiceVerdict, b: ServiceVerdict): boolean {
  if (a.service !== b.service || a.reason !== b.reason || a.pool !== b.pool) return false;
  if (!sameList(a.ips, b.ips) || !sameList(a.peers, b.peers)) return false;
  if (a.announcements.length !== b.announcements.length) return false;
  for (let i = 0; i < a.announcements.length; i++) {
    const x = a.announcements[i] as ServiceVerdict['announcements'][number];
    const y = b.announcements[i] as ServiceVerdict['announcements'][number];
    if (x.ip !== y.ip || !sameList(x.peers, y.peers)) return false;
  }
  return true;
}
