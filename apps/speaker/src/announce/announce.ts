// The announcement logic: which prefixes this node announces to which peer, with which attributes.
// Pure: the same input gives the same output. Follows MetalLB's speaker (bgp_controller.go
// ShouldAnnounce/SetBalancer, main.go SetBalancer/poolFor, nodes.go, epslices EndpointCanServe).
import {
  formatPrefix,
  type IPAddress,
  type IPRange,
  localPrefsConflict,
  objectKey,
  parseIP,
  parsePoolAddress,
  prefixOf,
} from '@bmlb/metallb-api';
import { anySelects } from './selector.ts';
import type {
  AdvertisementInfo,
  AnnounceInput,
  AnnounceResult,
  EndpointConditions,
  EndpointSlice,
  IpAnnouncement,
  LargeCommunity,
  Node,
  PeerInfo,
  PeerRoutes,
  PoolInfo,
  RouteAttrs,
  Service,
  ServiceVerdict,
} from './types.ts';

const EXCLUDE_LB_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const POOL_ANNOTATIONS: readonly string[] = [
  'metallb.io/ip-allocated-from-pool',
  'metallb.universe.tf/ip-allocated-from-pool',
];

/** Why this node announces nothing at all, or '' (MetalLB: IsNodeAvailable, IsNodeExcludedFromBalancers). */
function nodeReason(node: Node | undefined): string {
  if (node === undefined) return '';
  const cond = node.status?.conditions?.find((c) => c.type === 'NetworkUnavailable');
  if (cond?.status === 'True') return 'nodeNetworkUnavailable';
  if (node.metadata.labels !== undefined && Object.hasOwn(node.metadata.labels, EXCLUDE_LB_LABEL))
    return 'nodeLabeledExcludeBalancers';
  return '';
}

/** MetalLB's EndpointCanServe: ready (or unset), or else serving (terminating or not). */
export function endpointCanServe(c: EndpointConditions | undefined): boolean {
  if (c === undefined || c.ready === undefined || c.ready === null || c.ready) return true;
  return c.serving === true;
}

/**
 * MetalLB's hasHealthyEndpoint: an address counts when it can serve in every slice that lists it
 * (one listing that cannot serve wins); `onNode` limits it to endpoints on that node.
 */
export function hasHealthyEndpoint(slices: readonly EndpointSlice[], onNode?: string): boolean {
  // Most Services have no endpoint that cannot serve: then any address that can is enough.
  let anyCannot = false;
  let anyCan = false;
  for (const slice of slices) {
    for (const ep of slice.endpoints ?? []) {
      if (onNode !== undefined && ep.nodeName !== onNode) continue;
      if (!endpointCanServe(ep.conditions)) anyCannot = true;
      else if (ep.addresses.length > 0) anyCan = true;
    }
  }
  if (!anyCannot || !anyCan) return anyCan;
  const ready = new Map<string, boolean>();
  for (const slice of slices) {
    for (const ep of slice.endpoints ?? []) {
      if (onNode !== undefined && ep.nodeName !== onNode) continue;
      const ok = endpointCanServe(ep.conditions);
      for (const addr of ep.addresses) {
        if (!ok) ready.set(addr, false);
        else if (!ready.has(addr)) ready.set(addr, true);
      }
    }
  }
  for (const r of ready.values()) if (r) return true;
  return false;
}

interface ParsedPool {
  readonly info: PoolInfo;
  /** The pool's address entries; an entry that does not parse (validation refuses it) is skipped. */
  readonly ranges: readonly IPRange[];
}

function poolContains(p: ParsedPool, ip: IPAddress): boolean {
  return p.ranges.some((r) => r.family === ip.family && r.start <= ip.value && ip.value <= r.end);
}

/** MetalLB's poolFor, preferring the pool the controller recorded in the annotation. */
function poolForService(
  svc: Service,
  ips: readonly IPAddress[],
  pools: readonly ParsedPool[],
): string | undefined {
  for (const a of POOL_ANNOTATIONS) {
    const name = svc.metadata.annotations?.[a];
    if (name === undefined) continue;
    const p = pools.find((x) => x.info.name === name);
    if (p !== undefined && ips.every((ip) => poolContains(p, ip))) return name;
  }
  return pools.find((p) => ips.every((ip) => poolContains(p, ip)))?.info.name;
}

function advCoversPool(adv: AdvertisementInfo, pool: PoolInfo): boolean {
  if (adv.poolsResolved === true) return adv.ipAddressPools.includes(pool.name);
  if (adv.ipAddressPools.length === 0 && adv.ipAddressPoolSelectors.length === 0) return true;
  if (adv.ipAddressPools.includes(pool.name)) return true;
  return adv.ipAddressPoolSelectors.length > 0 && anySelects(adv.ipAddressPoolSelectors, pool.labels);
}

/**
 * MetalLB's checkBGPAdvConflicts for the advertisements one Service matches (all select this node):
 * two that would send the same update must agree on LOCAL_PREF. buildConfig checks this only for
 * advertisements without serviceSelectors, whose Services are known in advance.
 */
function conflicting(advs: readonly AdvertisementInfo[], pool: ParsedPool): boolean {
  const families = {
    v4: pool.ranges.some((r) => r.family === 4),
    v6: pool.ranges.some((r) => r.family === 6),
  };
  for (let i = 0; i < advs.length; i++) {
    for (let j = i + 1; j < advs.length; j++) {
      if (localPrefsConflict(advs[i] as AdvertisementInfo, advs[j] as AdvertisementInfo, families))
        return true;
    }
  }
  return false;
}

function isIBGP(peer: PeerInfo): boolean {
  if (peer.peerASN === undefined) return peer.dynamicASN === 'internal';
  return peer.peerASN === peer.myASN;
}

function mergeSorted<T>(
  a: readonly T[],
  b: readonly T[],
  key: (x: T) => string,
  cmp: (x: T, y: T) => number,
): T[] {
  const seen = new Map<string, T>();
  for (const x of a) seen.set(key(x), x);
  for (const x of b) seen.set(key(x), x);
  return [...seen.values()].sort(cmp);
}

const lcKey = (c: LargeCommunity) => `${c[0]}:${c[1]}:${c[2]}`;
const lcCmp = (x: LargeCommunity, y: LargeCommunity) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2];

function mergeAttrs(old: RouteAttrs | undefined, add: RouteAttrs): RouteAttrs {
  if (old === undefined) return add;
  return {
    communities: mergeSorted(old.communities, add.communities, String, (x, y) => x - y),
    largeCommunities: mergeSorted(old.largeCommunities, add.largeCommunities, lcKey, lcCmp),
    // Validation rejects two localPrefs for one prefix; if both are set here, keep the higher.
    localPref:
      old.localPref === undefined
        ? add.localPref
        : add.localPref === undefined
          ? old.localPref
          : Math.max(old.localPref, add.localPref),
  };
}

/** One (advertisement, peer) pair of one family that a Service's IPs go to. */
export interface Target {
  /** The peer's name. */
  readonly peer: string;
  readonly family: 4 | 6;
  /** The aggregation length of the advertisement for this family. */
  readonly len: number;
  /** The peer's table of this family (in the context's `routes`). */
  readonly table: Map<string, RouteAttrs>;
  readonly attrs: RouteAttrs;
}

/** Receives one route of a Service that is announced: its prefix toward one target. */
type RouteSink = (target: Target, prefix: string) => void;

/**
 * What depends only on the configuration and this node (its pools, peers, advertisements and their
 * plans), worked out once; `evaluate` then decides one Service at a time.
 */
export interface AnnounceContext {
  /** One empty table pair per peer with a session from this node (filled by the caller's sink). */
  readonly routes: Map<string, PeerRoutes>;
  readonly nodeReason: string;
  /**
   * The verdict for one Service (undefined: not ours to announce, nothing to report), and each of
   * its routes to `sink` when it is announced. `slices` are the EndpointSlices of `key`.
   */
  evaluate(
    svc: Service,
    key: string,
    slices: readonly EndpointSlice[],
    sink: RouteSink,
  ): ServiceVerdict | undefined;
}

export function serviceKey(s: { metadata: { namespace?: string; name?: string } }): string {
  return objectKey(s.metadata.namespace ?? 'default', s.metadata.name ?? '');
}

/** The Service an EndpointSlice belongs to (`namespace/name`), or undefined when it names none. */
export function sliceServiceKey(s: EndpointSlice): string | undefined {
  const svcName = s.metadata.labels?.[SERVICE_NAME_LABEL];
  if (svcName === undefined || svcName === '') return undefined;
  return objectKey(s.metadata.namespace ?? 'default', svcName);
}

/** The merged attributes of one prefix that several routes (Services, advertisements) share. */
export function mergeRouteAttrs(list: readonly RouteAttrs[]): RouteAttrs | undefined {
  let a: RouteAttrs | undefined;
  for (const x of list) a = a === undefined ? x : mergeAttrs(a, x);
  return a;
}

/** Builds the context of one configuration for this node (see AnnounceContext). */
export function announceContext(
  config: AnnounceInput['config'],
  nodes: AnnounceInput['nodes'],
  nodeName: string,
  loadBalancerClass: string | undefined,
): AnnounceContext {
  const me = nodes.find((n) => n.metadata.name === nodeName);
  const myLabels = me?.metadata.labels ?? {};
  const pools: ParsedPool[] = config.pools.map((info) => ({
    info,
    ranges: info.addresses.flatMap((a) => {
      const r = parsePoolAddress(a);
      return r.ok ? [r.value] : [];
    }),
  }));
  const poolByName = new Map(pools.map((p) => [p.info.name, p]));

  // Peers with a session from this node.
  const peers = config.peers.filter((p) => anySelects(p.nodeSelectors, myLabels));
  const routes = new Map<string, PeerRoutes>();
  for (const p of peers) routes.set(p.name, { ipv4: new Map(), ipv6: new Map() });

  // Advertisements whose node selectors select this node.
  const myAdvs = config.advertisements.filter((a) => anySelects(a.nodeSelectors, myLabels));

  // One attribute object per advertisement and session kind, shared by every route it covers (and
  // so interned once by the Adj-RIB-Out).
  const attrCache = new Map<AdvertisementInfo, { ebgp?: RouteAttrs; ibgp?: RouteAttrs }>();
  const advAttrs = (adv: AdvertisementInfo, ibgp: boolean): RouteAttrs => {
    let c = attrCache.get(adv);
    if (c === undefined) {
      c = {};
      attrCache.set(adv, c);
    }
    const key = ibgp ? 'ibgp' : 'ebgp';
    let a = c[key];
    if (a === undefined) {
      a = {
        communities: [...new Set(adv.communities)].sort((x, y) => x - y),
        largeCommunities: mergeSorted([], adv.largeCommunities, lcKey, lcCmp),
        localPref: ibgp ? adv.localPref : undefined,
      };
      c[key] = a;
    }
    return a;
  };

  // Per pool and set of advertisements, worked out once: each (advertisement, peer) pair its
  // Services' routes go to, by family (a session carries only its own family: an IPv6 IP never goes
  // to an IPv4 peer, and the other way). Without serviceSelectors every Service of a pool has the
  // same set: the pool's advertisements that select this node.
  const planFor = (advs: readonly AdvertisementInfo[]) => {
    const targets4: Target[] = [];
    const targets6: Target[] = [];
    const to4 = new Set<string>();
    const to6 = new Set<string>();
    let any = false;
    for (const adv of advs) {
      for (const peer of peers) {
        if (adv.peers.length > 0 && !adv.peers.includes(peer.name)) continue;
        any = true;
        const table = routes.get(peer.name) as PeerRoutes;
        const attrs = advAttrs(adv, isIBGP(peer));
        if (peer.families.includes(4)) {
          targets4.push({ peer: peer.name, family: 4, len: adv.aggregationLength, table: table.ipv4, attrs });
          to4.add(peer.name);
        }
        if (peer.families.includes(6)) {
          targets6.push({
            peer: peer.name,
            family: 6,
            len: adv.aggregationLengthV6,
            table: table.ipv6,
            attrs,
          });
          to6.add(peer.name);
        }
      }
    }
    const sorted4 = [...to4].sort();
    const sorted6 = [...to6].sort();
    const both = [...new Set([...sorted4, ...sorted6])].sort();
    return { any, targets4, targets6, to4: sorted4, to6: sorted6, both };
  };
  type Plan = ReturnType<typeof planFor>;
  interface PoolPlan {
    /** The pool's advertisements that select this node. */
    readonly advs: readonly AdvertisementInfo[];
    /** Whether any of them selects Services (then each Service's set is worked out). */
    readonly bySelector: boolean;
    /** Plans by the indices (in `advs`) of the advertisements a Service matches. */
    readonly plans: Map<string, Plan | string>;
  }
  const poolPlans = new Map<ParsedPool, PoolPlan>();
  const poolPlanFor = (pool: ParsedPool): PoolPlan => {
    let pp = poolPlans.get(pool);
    if (pp === undefined) {
      const advs = myAdvs.filter((a) => advCoversPool(a, pool.info));
      const bySelector = advs.some((a) => (a.serviceSelectors ?? []).length > 0);
      pp = { advs, bySelector, plans: new Map() };
      poolPlans.set(pool, pp);
    }
    return pp;
  };
  /** The plan for one Service, or the reason it has none (MetalLB's bgpAdsForService, checkBGPAdvConflicts). */
  const servicePlan = (pool: ParsedPool, pp: PoolPlan, svc: Service): Plan | string => {
    let key = '*';
    let matched = pp.advs;
    if (pp.bySelector) {
      const labels = svc.metadata.labels ?? {};
      const idx: number[] = [];
      pp.advs.forEach((a, i) => {
        if (anySelects(a.serviceSelectors ?? [], labels)) idx.push(i);
      });
      key = idx.join(',');
      matched = idx.map((i) => pp.advs[i] as AdvertisementInfo);
    }
    let plan = pp.plans.get(key);
    if (plan === undefined) {
      if (matched.length === 0) plan = 'noMatchingAdvertisement';
      else if (pp.bySelector && conflicting(matched, pool)) plan = 'conflictingAdvertisements';
      else plan = planFor(matched);
      pp.plans.set(key, plan);
    }
    return plan;
  };
  const nodeWhy = nodeReason(me);
  const evaluate = (
    svc: Service,
    key: string,
    slices: readonly EndpointSlice[],
    sink: RouteSink,
  ): ServiceVerdict | undefined => {
    if (svc.spec?.type !== 'LoadBalancer') return undefined; // not ours to announce, nothing to report
    if ((svc.spec.loadBalancerClass ?? undefined) !== loadBalancerClass) return undefined;
    const ingress = svc.status?.loadBalancer?.ingress ?? [];
    const ipTexts = ingress.map((i) => i.ip ?? '').filter((t) => t !== '');
    const verdict = (
      reason: string,
      pool?: string,
      to: readonly string[] = [],
      announcements: readonly IpAnnouncement[] = [],
    ): ServiceVerdict => ({ service: key, ips: ipTexts, pool, reason, peers: to, announcements });
    if (ingress.length === 0) return verdict('noIPAllocated');
    const ips: IPAddress[] = [];
    for (const i of ingress) {
      const ip = parseIP(i.ip ?? '');
      if (ip === undefined) return verdict('invalidIP');
      ips.push(ip);
    }
    const poolName = poolForService(svc, ips, pools);
    const pool = poolName === undefined ? undefined : poolByName.get(poolName);
    if (pool === undefined) return verdict('ipNotAllowed');
    const pp = poolPlanFor(pool);
    if (pp.advs.length === 0) return verdict('notOwner', poolName);
    const plan = servicePlan(pool, pp, svc);
    if (typeof plan === 'string') return verdict(plan, poolName);
    if (nodeWhy !== '') return verdict(nodeWhy, poolName);
    if (svc.spec.externalTrafficPolicy === 'Local' && !hasHealthyEndpoint(slices, nodeName))
      return verdict('noLocalEndpoints', poolName);
    if (!hasHealthyEndpoint(slices)) return verdict('noEndpoints', poolName);
    let has4 = false;
    let has6 = false;
    for (const ip of ips) {
      if (ip.family === 4) has4 = true;
      else has6 = true;
    }
    const to = has4 && has6 ? plan.both : has4 ? plan.to4 : plan.to6;
    // Nothing would reach a router: say why rather than list the Service as announced.
    if (to.length === 0) return verdict(plan.any ? 'noPeersForIPFamily' : 'noPeers', poolName);
    const announcements: IpAnnouncement[] = [];
    for (let k = 0; k < ips.length; k++) {
      const ip = ips[k] as IPAddress;
      const v4 = ip.family === 4;
      for (const t of v4 ? plan.targets4 : plan.targets6) {
        // parseIP reads IPv4 strictly (no leading zeros), so its text is already the canonical form.
        sink(t, v4 && t.len === 32 ? `${ipTexts[k]}/32` : formatPrefix(prefixOf(ip, t.len)));
      }
      announcements.push({ ip: ipTexts[k] as string, peers: v4 ? plan.to4 : plan.to6 });
    }
    return verdict('', poolName, to, announcements);
  };
  return { routes, nodeReason: nodeWhy, evaluate };
}

/** Computes the routes this node announces to each peer, and why each Service is or is not announced. */
export function computeAnnouncements(input: AnnounceInput): AnnounceResult {
  const ctx = announceContext(input.config, input.nodes, input.nodeName, input.loadBalancerClass);
  const slicesBySvc = new Map<string, EndpointSlice[]>();
  for (const s of input.endpointSlices) {
    const k = sliceServiceKey(s);
    if (k === undefined) continue;
    const list = slicesBySvc.get(k);
    if (list === undefined) slicesBySvc.set(k, [s]);
    else list.push(s);
  }
  const sink: RouteSink = (t, prefix) => {
    const had = t.table.get(prefix);
    t.table.set(prefix, had === undefined ? t.attrs : mergeAttrs(had, t.attrs));
  };
  const verdicts: ServiceVerdict[] = [];
  for (const svc of input.services) {
    const key = serviceKey(svc);
    const v = ctx.evaluate(svc, key, slicesBySvc.get(key) ?? [], sink);
    if (v !== undefined) verdicts.push(v);
  }
  return { routes: ctx.routes, services: verdicts, nodeReason: ctx.nodeReason };
}

/** Total prefixes across families for one peer. */
export function prefixCount(r: PeerRoutes | undefined): number {
  return r === undefined ? 0 : r.ipv4.size + r.ipv6.size;
}
