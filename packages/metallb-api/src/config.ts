/**
 * Cross-object validation and the normalized configuration the speaker (and controller) use:
 * MetalLB's rules from `internal/config` (pool overlaps, references, localPref conflicts,
 * aggregation lengths, duplicate peers), each reported as a ConfigError naming the object and field.
 */
import { normalizeBfdProfile } from '@bmlb/bfd-core';
import { type CommunityValue, formatCommunity, parseCommunity } from './community.ts';
import { type ConfigError, configError, type ObjectRef } from './errors.ts';
import { formatRange, type PoolAddressEntry, rangeIntersection } from './ip.ts';
import type { BFDProfile, NormalizedBFDProfile } from './kinds/bfdprofile.ts';
import type { BGPAdvertisement } from './kinds/bgpadvertisement.ts';
import { type BGPPeer, type NormalizedPeer, normalizePeer } from './kinds/bgppeer.ts';
import { type Community, communityAliases } from './kinds/community.ts';
import {
  type EndpointSlice,
  type Namespace,
  type Node,
  type Secret,
  type Service,
  secretValue,
} from './kinds/core.ts';
import { type IPAddressPool, type NormalizedPool, normalizePool } from './kinds/ipaddresspool.ts';
import { type LabelSelector, matchAnySelector, selectorKey } from './labels.ts';
import { DEFAULT_NAMESPACE } from './meta.ts';
import { type ManifestObject, originOf } from './objects.ts';

/** A BGPAdvertisement with its references resolved. */
export interface NormalizedAdvertisement {
  readonly name: string;
  readonly namespace: string;
  readonly aggregationLength: number;
  readonly aggregationLengthV6: number;
  /** LOCAL_PREF for iBGP peers; undefined when not set (0 counts as not set, as in MetalLB). */
  readonly localPref?: number;
  /** Resolved community values (aliases replaced), without duplicates, in the order written. */
  readonly communities: readonly CommunityValue[];
  /** Names of the pools this advertisement announces (explicit, selected, or every pool). */
  readonly pools: readonly string[];
  /** Nodes that announce: empty = every node. */
  readonly nodeSelectors: readonly LabelSelector[];
  /** Peers to announce to: empty = every peer. */
  readonly peers: readonly string[];
  /**
   * Services announced through this advertisement: those whose labels match one of these (MetalLB
   * v0.16); empty = every Service of its pools.
   */
  readonly serviceSelectors: readonly LabelSelector[];
}

/** What `localPrefsConflict` reads of an advertisement. */
export interface LocalPrefFields {
  readonly localPref?: number | undefined;
  readonly aggregationLength: number;
  readonly aggregationLengthV6: number;
  /** Empty: every peer. */
  readonly peers: readonly string[];
}

/**
 * MetalLB's BGPAdvertisementsHaveCompatibleLocalPref, nodes aside: true when two advertisements of a
 * pool holding the address families `families` would send the same update (the same aggregation
 * length for a family the pool has, a peer in common) with different LOCAL_PREF. buildConfig also
 * needs a node in common; the speaker, which matches them per Service on its own node, does not.
 */
export function localPrefsConflict(
  a: LocalPrefFields,
  b: LocalPrefFields,
  families: { readonly v4: boolean; readonly v6: boolean },
): boolean {
  if ((a.localPref ?? 0) === (b.localPref ?? 0)) return false;
  const v4Differs = a.aggregationLength !== b.aggregationLength;
  const v6Differs = a.aggregationLengthV6 !== b.aggregationLengthV6;
  const { v4, v6 } = families;
  if ((!v4 && !v6) || (v4Differs && !v6) || (v6Differs && !v4) || (v4Differs && v6Differs)) return false;
  return a.peers.length === 0 || b.peers.length === 0 || a.peers.some((p) => b.peers.includes(p));
}

export interface MetallbConfig {
  /** By name, sorted by name. */
  readonly pools: ReadonlyMap<string, NormalizedPool>;
  readonly peers: ReadonlyMap<string, NormalizedPeer>;
  readonly advertisements: ReadonlyMap<string, NormalizedAdvertisement>;
  readonly bfdProfiles: ReadonlyMap<string, NormalizedBFDProfile>;
  /** Community aliases (from Community objects). */
  readonly communities: ReadonlyMap<string, CommunityValue>;
  /** Keyed `namespace/name`. */
  readonly services: ReadonlyMap<string, Service>;
  readonly endpointSlices: ReadonlyMap<string, EndpointSlice>;
  /** Keyed by name. */
  readonly nodes: ReadonlyMap<string, Node>;
  readonly namespaces: ReadonlyMap<string, Namespace>;
}

export interface BuildConfigOptions {
  /** Namespace MetalLB runs in: metallb.io objects elsewhere are ignored (default `metallb-system`). */
  readonly namespace?: string;
  /**
   * Resolve `passwordSecret` from the Secrets among the objects (default true). When false, the
   * reference is left in `NormalizedPeer.passwordSecret` for the caller to resolve.
   */
  readonly resolveSecrets?: boolean;
}

export interface BuildConfigResult {
  /**
   * The configuration built from every object that passed; objects with errors are left out.
   * When `errors` is not empty MetalLB would refuse the whole set: a daemon should keep running
   * its last valid configuration and report the errors.
   */
  readonly config: MetallbConfig;
  readonly errors: ConfigError[];
  readonly warnings: ConfigError[];
}

const refOfObj = (o: { kind: string; metadata: { name: string; namespace?: string } }): ObjectRef => ({
  kind: o.kind,
  namespace: o.metadata.namespace ?? '',
  name: o.metadata.name,
});

const byName = <T>(m: Map<string, T>): Map<string, T> =>
  new Map([...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

function withOrigin(e: ConfigError, obj: object): ConfigError {
  const o = originOf(obj);
  if (o === undefined || e.source !== undefined) return e;
  const loc = o.locate?.(e.path);
  return {
    ...e,
    ...(o.source !== undefined ? { source: o.source } : {}),
    document: o.document,
    ...(loc !== undefined ? loc : o.line !== undefined ? { line: o.line } : {}),
  };
}

/**
 * Check a set of validated objects against each other and build the normalized configuration.
 * Later objects with the same kind, namespace and name replace earlier ones (as `kubectl apply` of
 * the files in order), so `05-bfd.yaml` after `02-bgppeers.yaml` replaces `tor1`.
 */
export function buildConfig(
  objects: readonly ManifestObject[],
  options: BuildConfigOptions = {},
): BuildConfigResult {
  const ns = options.namespace ?? DEFAULT_NAMESPACE;
  const errors: ConfigError[] = [];
  const warnings: ConfigError[] = [];
  const err = (
    obj: object,
    ref: ObjectRef,
    path: string,
    rule: Parameters<typeof configError>[2],
    msg: string,
  ) => errors.push(withOrigin(configError(ref, path, rule, msg), obj));
  const warn = (
    obj: object,
    ref: ObjectRef,
    path: string,
    rule: Parameters<typeof configError>[2],
    msg: string,
  ) => warnings.push(withOrigin(configError(ref, path, rule, msg), obj));

  // 1. Last one wins per kind/namespace/name.
  const latest = new Map<string, ManifestObject>();
  for (const o of objects) {
    const key = `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const prev = latest.get(key);
    if (prev !== undefined) {
      latest.delete(key); // keep document order of the replacement
      const po = originOf(prev);
      const no = originOf(o);
      if (po !== undefined && no !== undefined && po.source === no.source) {
        warn(
          o,
          refOfObj(o),
          '',
          'duplicate-object',
          `defined again in the same source (document ${po.document + 1}); this definition replaces it`,
        );
      }
    }
    latest.set(key, o);
  }

  const pools: IPAddressPool[] = [];
  const peers: BGPPeer[] = [];
  const advs: BGPAdvertisement[] = [];
  const bfds: BFDProfile[] = [];
  const comms: Community[] = [];
  const services = new Map<string, Service>();
  const slices = new Map<string, EndpointSlice>();
  const nodes = new Map<string, Node>();
  const namespaces = new Map<string, Namespace>();
  const secrets = new Map<string, Secret>();
  for (const o of latest.values()) {
    if (o.apiVersion.startsWith('metallb.io/') && o.metadata.namespace !== ns) {
      if (['IPAddressPool', 'BGPPeer', 'BGPAdvertisement', 'BFDProfile', 'Community'].includes(o.kind)) {
        warn(
          o,
          refOfObj(o),
          'metadata.namespace',
          'ignored-namespace',
          `ignored: metallb.io objects are read from namespace ${ns} only`,
        );
        continue;
      }
    }
    switch (o.kind) {
      case 'IPAddressPool':
        pools.push(o as IPAddressPool);
        break;
      case 'BGPPeer':
        peers.push(o as BGPPeer);
        break;
      case 'BGPAdvertisement':
        advs.push(o as BGPAdvertisement);
        break;
      case 'BFDProfile':
        bfds.push(o as BFDProfile);
        break;
      case 'Community':
        comms.push(o as Community);
        break;
      case 'Service':
        services.set(`${o.metadata.namespace}/${o.metadata.name}`, o as Service);
        break;
      case 'EndpointSlice':
        slices.set(`${o.metadata.namespace}/${o.metadata.name}`, o as EndpointSlice);
        break;
      case 'Node':
        nodes.set(o.metadata.name, o as Node);
        break;
      case 'Namespace':
        namespaces.set(o.metadata.name, o as Namespace);
        break;
      case 'Secret':
        secrets.set(`${o.metadata.namespace}/${o.metadata.name}`, o as Secret);
        break;
      default:
        break;
    }
  }

  // 2. BFD profiles.
  const bfdOut = new Map<string, NormalizedBFDProfile>();
  // The spec passed the CRD schema (bfd-core's ranges): bfd-core's normalizer applies the defaults.
  for (const b of bfds) {
    const name = b.metadata.name;
    bfdOut.set(name, { name, ...normalizeBfdProfile(b.spec ?? {}, name) });
  }

  // 3. Community aliases: a name defined twice is an error on the later definition.
  const aliasOut = new Map<string, CommunityValue>();
  const aliasWhere = new Map<string, string>();
  for (const c of comms) {
    for (const a of communityAliases(c)) {
      const where = aliasWhere.get(a.name);
      if (where !== undefined) {
        err(
          c,
          refOfObj(c),
          `spec.communities[${a.index}].name`,
          'duplicate-community',
          `duplicate definition of community ${JSON.stringify(a.name)} (already defined in ${where})`,
        );
        continue;
      }
      aliasWhere.set(
        a.name,
        `Community ${c.metadata.namespace}/${c.metadata.name} spec.communities[${a.index}]`,
      );
      aliasOut.set(a.name, a.value);
    }
  }

  // 4. Pools: no two pools overlap. Sweep each family's ranges sorted by start.
  const poolOut = new Map<string, NormalizedPool>();
  const normPools = pools.map((p) => ({ obj: p, norm: normalizePool(p) }));
  const badPools = new Set<string>();
  type Item = { pool: number; idx: number; e: PoolAddressEntry };
  const items: Item[] = [];
  normPools.forEach((p, pool) => {
    p.norm.addresses.forEach((e, idx) => {
      items.push({ pool, idx, e });
    });
  });
  const fam = (i: Item) => i.e.family;
  items.sort(
    (a, b) => fam(a) - fam(b) || (a.e.start < b.e.start ? -1 : a.e.start > b.e.start ? 1 : a.pool - b.pool),
  );
  const reported = new Set<string>();
  for (let i = 0; i < items.length; i++) {
    const a = items[i]!;
    for (let j = i + 1; j < items.length; j++) {
      const b = items[j]!;
      if (b.e.family !== a.e.family || b.e.start > a.e.end) break;
      if (a.pool === b.pool) continue; // same pool: reported by the single-object check
      const both = rangeIntersection(a.e, b.e)!;
      // Report on the pool that comes later in the input, naming the earlier one.
      const [first, second] = a.pool < b.pool ? [a, b] : [b, a];
      const key = `${second.pool}/${second.idx}/${first.pool}`;
      if (reported.has(key)) continue;
      reported.add(key);
      const fp = normPools[first.pool]!;
      const sp = normPools[second.pool]!;
      badPools.add(sp.norm.name);
      err(
        sp.obj,
        refOfObj(sp.obj),
        `spec.addresses[${second.idx}]`,
        'overlapping-pools',
        `${JSON.stringify(second.e.text)} overlaps ${JSON.stringify(first.e.text)} of IPAddressPool ${fp.norm.namespace}/${fp.norm.name} (spec.addresses[${first.idx}]) at ${formatRange(both)}`,
      );
    }
  }
  for (const p of normPools) if (!badPools.has(p.norm.name)) poolOut.set(p.norm.name, p.norm);

  // 5. Peers: references (BFD profile, password secret) and duplicates.
  const peerOut = new Map<string, NormalizedPeer>();
  const sessionKeys = new Map<string, BGPPeer>();
  for (const p of peers) {
    const ref = refOfObj(p);
    let np = normalizePeer(p);
    let ok = true;
    if (np.bfdProfile !== undefined && !bfdOut.has(np.bfdProfile)) {
      err(
        p,
        ref,
        'spec.bfdProfile',
        'unknown-bfd-profile',
        `BFDProfile ${JSON.stringify(np.bfdProfile)} does not exist in namespace ${ns}${bfdOut.size > 0 ? ` (known: ${[...bfdOut.keys()].sort().join(', ')})` : ''}`,
      );
      ok = false;
    }
    if (np.passwordSecret !== undefined && (options.resolveSecrets ?? true)) {
      const sk = `${np.passwordSecret.namespace}/${np.passwordSecret.name}`;
      const s = secrets.get(sk);
      if (s === undefined) {
        err(p, ref, 'spec.passwordSecret', 'unknown-secret', `Secret ${sk} does not exist`);
        ok = false;
      } else if (s.type !== 'kubernetes.io/basic-auth') {
        err(
          p,
          ref,
          'spec.passwordSecret',
          'invalid-secret',
          `Secret ${sk} has type ${JSON.stringify(s.type ?? 'Opaque')}, kubernetes.io/basic-auth is expected`,
        );
        ok = false;
      } else {
        const pw = secretValue(s, 'password');
        if (pw === undefined) {
          err(
            p,
            ref,
            'spec.passwordSecret',
            'invalid-secret',
            `Secret ${sk} has no "password" key (or it is not valid base64 UTF-8)`,
          );
          ok = false;
        } else if (/[\n\r]/.test(pw)) {
          err(
            p,
            ref,
            'spec.passwordSecret',
            'invalid-characters',
            `the password in Secret ${sk} contains a newline`,
          );
          ok = false;
        } else {
          np = { ...np, password: pw };
        }
      }
    }
    // Two peers that would open the same session from the same nodes.
    const sel = [...np.nodeSelectors].map(selectorKey).sort().join('|');
    const key = `${np.peerAddress ?? `if:${np.interface}`}|${np.port}|${np.vrf ?? ''}|${sel}`;
    const dup = sessionKeys.get(key);
    if (dup !== undefined) {
      err(
        p,
        ref,
        np.peerAddress !== undefined ? 'spec.peerAddress' : 'spec.interface',
        'duplicate-peer',
        `BGPPeer ${dup.metadata.namespace}/${dup.metadata.name} already peers with ${np.peerAddress ?? np.interface} (port ${np.port}${np.vrf ? `, vrf ${np.vrf}` : ''}) from the same nodes`,
      );
      ok = false;
    } else {
      sessionKeys.set(key, p);
    }
    if (ok) peerOut.set(np.name, np);
  }

  // 6. Advertisements.
  const advOut = new Map<string, NormalizedAdvertisement>();
  const nodeList = [...nodes.values()];
  type Placed = { adv: NormalizedAdvertisement; obj: BGPAdvertisement; nodes: Set<string> | undefined };
  const perPool = new Map<string, Placed[]>();
  for (const a of advs) {
    const ref = refOfObj(a);
    const s = a.spec;
    let ok = true;
    // pools
    const chosen: string[] = [];
    (s.ipAddressPools ?? []).forEach((name, i) => {
      if (poolOut.has(name)) chosen.push(name);
      else if (badPools.has(name))
        ok = false; // its own error was reported
      else {
        err(
          a,
          ref,
          `spec.ipAddressPools[${i}]`,
          'unknown-pool',
          `IPAddressPool ${JSON.stringify(name)} does not exist in namespace ${ns}${poolOut.size > 0 ? ` (known: ${[...poolOut.keys()].sort().join(', ')})` : ''}`,
        );
        ok = false;
      }
    });
    if ((s.ipAddressPoolSelectors ?? []).length > 0) {
      for (const p of poolOut.values()) {
        if (
          !chosen.includes(p.name) &&
          (s.ipAddressPoolSelectors ?? []).some((sel) => matchAnySelector([sel], p.labels))
        )
          chosen.push(p.name);
      }
    }
    const all = (s.ipAddressPools ?? []).length === 0 && (s.ipAddressPoolSelectors ?? []).length === 0;
    const poolNames = all ? [...poolOut.keys()] : chosen;
    // communities
    const cv: CommunityValue[] = [];
    const seen = new Set<string>();
    (s.communities ?? []).forEach((c, i) => {
      const alias = aliasOut.get(c);
      let v: CommunityValue | undefined = alias;
      if (v === undefined) {
        const p = parseCommunity(c);
        if (p.ok) v = p.value;
        else if (p.reason === 'format') {
          err(
            a,
            ref,
            `spec.communities[${i}]`,
            'unknown-community',
            `${JSON.stringify(c)} is neither a community value (AS:VALUE, large:G:L1:L2) nor the name of a Community alias${aliasOut.size > 0 ? ` (known: ${[...aliasOut.keys()].sort().join(', ')})` : ''}`,
          );
          ok = false;
        }
      }
      if (v !== undefined) {
        const k = formatCommunity(v);
        if (!seen.has(k)) {
          seen.add(k);
          cv.push(v);
        }
      }
    });
    // peers
    (s.peers ?? []).forEach((name, i) => {
      if (!peers.some((p) => p.metadata.name === name)) {
        warn(
          a,
          ref,
          `spec.peers[${i}]`,
          'unknown-peer',
          `BGPPeer ${JSON.stringify(name)} does not exist in namespace ${ns}: nothing is announced to it`,
        );
      }
    });
    const adv: NormalizedAdvertisement = {
      name: a.metadata.name,
      namespace: a.metadata.namespace,
      aggregationLength: s.aggregationLength ?? 32,
      aggregationLengthV6: s.aggregationLengthV6 ?? 128,
      ...(s.localPref !== undefined && s.localPref !== 0 ? { localPref: s.localPref } : {}),
      communities: cv,
      pools: poolNames,
      nodeSelectors: s.nodeSelectors ?? [],
      peers: s.peers ?? [],
      serviceSelectors: s.serviceSelectors ?? [],
    };
    // aggregation length against each pool's CIDRs (MetalLB validateBGPAdvPerPool)
    for (const pn of poolNames) {
      const pool = poolOut.get(pn)!;
      pool.addresses.forEach((e, i) => {
        const max = e.family === 4 ? adv.aggregationLength : adv.aggregationLengthV6;
        const lowest = Math.min(...e.cidrs.map((c) => c.length));
        if (max < lowest) {
          const field = e.family === 4 ? 'aggregationLength' : 'aggregationLengthV6';
          err(
            a,
            ref,
            `spec.${field}`,
            'aggregation-length',
            `invalid ${field} ${max}: prefix /${lowest} of ${JSON.stringify(e.text)} (IPAddressPool ${pool.namespace}/${pool.name} spec.addresses[${i}]) is more specific than the aggregation length; use ${lowest} or longer`,
          );
          ok = false;
        }
      });
    }
    if (!ok) continue;
    // localPref conflicts (MetalLB BGPAdvertisementsHaveCompatibleLocalPref)
    const advNodes =
      nodeList.length > 0
        ? new Set(
            nodeList
              .filter((n) => matchAnySelector(adv.nodeSelectors, n.metadata.labels))
              .map((n) => n.metadata.name),
          )
        : undefined;
    for (const pn of poolNames) {
      const pool = poolOut.get(pn)!;
      const hasV4 = pool.addresses.some((e) => e.family === 4);
      const hasV6 = pool.addresses.some((e) => e.family === 6);
      // MetalLB does not compare advertisements with serviceSelectors here: which Services they
      // announce is known only per Service, where the speaker refuses a conflict
      // (conflictingAdvertisements).
      if (adv.serviceSelectors.length > 0) break;
      for (const other of perPool.get(pn) ?? []) {
        const o = other.adv;
        if (o.serviceSelectors.length > 0) continue;
        if (!localPrefsConflict(adv, o, { v4: hasV4, v6: hasV6 })) continue;
        let nodesOverlap: boolean;
        if (advNodes !== undefined && other.nodes !== undefined) {
          nodesOverlap = [...advNodes].some((n) => other.nodes!.has(n));
        } else {
          const ka = adv.nodeSelectors.map(selectorKey).sort().join('|');
          const kb = o.nodeSelectors.map(selectorKey).sort().join('|');
          nodesOverlap = adv.nodeSelectors.length === 0 || o.nodeSelectors.length === 0 || ka === kb;
        }
        if (!nodesOverlap) continue;
        err(
          a,
          ref,
          'spec.localPref',
          'conflicting-local-pref',
          `localPref ${adv.localPref ?? 0} conflicts with localPref ${o.localPref ?? 0} of BGPAdvertisement ${o.namespace}/${o.name}: both announce IPAddressPool ${pn} with the same aggregation length to the same peers from the same nodes`,
        );
        ok = false;
      }
    }
    if (!ok) continue;
    for (const pn of poolNames) {
      const list = perPool.get(pn) ?? [];
      list.push({ adv, obj: a, nodes: advNodes });
      perPool.set(pn, list);
    }
    advOut.set(adv.name, adv);
  }

  // MetalLB: BFD echo mode is not possible on a peer that IPv6 addresses are announced to.
  for (const adv of advOut.values()) {
    const v6 = adv.pools.some((pn) => poolOut.get(pn)!.addresses.some((e) => e.family === 6));
    if (!v6) continue;
    const targets =
      adv.peers.length === 0 ? [...peerOut.values()] : adv.peers.flatMap((n) => peerOut.get(n) ?? []);
    for (const p of targets) {
      if (p.bfdProfile === undefined || bfdOut.get(p.bfdProfile)?.echoMode !== true) continue;
      const obj = peers.find((x) => x.metadata.name === p.name)!;
      err(
        obj,
        refOfObj(obj),
        'spec.bfdProfile',
        'bfd-echo-ipv6',
        `BFDProfile ${p.bfdProfile} has echoMode enabled, which is not possible for IPv6: BGPAdvertisement ${adv.name} announces IPv6 addresses to this peer`,
      );
      peerOut.delete(p.name);
    }
  }

  // Pools that no advertisement covers are allocated but never announced: tell the user.
  for (const p of poolOut.values()) {
    if (!perPool.has(p.name)) {
      const obj = pools.find((x) => x.metadata.name === p.name)!;
      warn(
        obj,
        refOfObj(obj),
        '',
        'unannounced-pool',
        `no BGPAdvertisement covers IPAddressPool ${p.name}: its addresses are not announced`,
      );
    }
  }

  return {
    config: {
      pools: byName(poolOut),
      peers: byName(peerOut),
      advertisements: byName(advOut),
      bfdProfiles: byName(bfdOut),
      communities: byName(aliasOut),
      services,
      endpointSlices: slices,
      nodes: byName(nodes),
      namespaces: byName(namespaces),
    },
    errors,
    warnings,
  };
}

/**
 * The peers a node opens sessions with: those whose nodeSelectors select the node's labels (no
 * selectors: every node). Two selected peers that would open the same session (same address or
 * interface, port and VRF) are a conflict: the first (by name) is kept and the other reported.
 */
export function peersForNode(
  config: Pick<MetallbConfig, 'peers'>,
  nodeLabels: Readonly<Record<string, string>> | undefined,
): { peers: NormalizedPeer[]; conflicts: ConfigError[] } {
  const out: NormalizedPeer[] = [];
  const conflicts: ConfigError[] = [];
  const seen = new Map<string, NormalizedPeer>();
  for (const p of config.peers.values()) {
    if (!matchAnySelector(p.nodeSelectors, nodeLabels)) continue;
    const key = `${p.peerAddress ?? `if:${p.interface}`}|${p.port}|${p.vrf ?? ''}`;
    const first = seen.get(key);
    if (first !== undefined) {
      conflicts.push(
        configError(
          { kind: 'BGPPeer', namespace: p.namespace, name: p.name },
          'spec.nodeSelectors',
          'duplicate-peer',
          `BGPPeer ${first.namespace}/${first.name} already peers with ${p.peerAddress ?? p.interface} (port ${p.port}) from this node; this peer is not used here`,
        ),
      );
      continue;
    }
    seen.set(key, p);
    out.push(p);
  }
  return { peers: out, conflicts };
}
