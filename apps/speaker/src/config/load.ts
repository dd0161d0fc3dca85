// FILE text → a speaker snapshot, through @bmlb/metallb-api (parseManifests for every document,
// buildConfig for MetalLB's cross-object rules). Any error rejects the whole edit, as MetalLB does:
// the daemon keeps its last valid configuration and reports what is wrong, object and field named.
import {
  buildConfig,
  type CommunityValue,
  type ConfigError,
  formatConfigError,
  type MetallbConfig,
  type NormalizedPeer,
} from '@bmlb/metallb-api';
import { ManifestCache, parseManifests } from '@bmlb/metallb-api/yaml';
import type {
  AdvertisementInfo,
  EndpointSlice,
  LargeCommunity,
  Node,
  PeerInfo,
  PoolInfo,
  Service,
} from '../announce/types.ts';
import type { BfdProfileConfig, LoadResult, PeerConfig } from '../speaker/types.ts';

export interface LoadOptions {
  /** Namespace the metallb.io objects live in (default metallb-system). */
  readonly namespace?: string;
}

function splitCommunities(list: readonly CommunityValue[]): { standard: number[]; large: LargeCommunity[] } {
  const standard: number[] = [];
  const large: LargeCommunity[] = [];
  for (const c of list) {
    if (c.kind === 'standard') standard.push(c.value >>> 0);
    else large.push([c.globalAdmin, c.localData1, c.localData2]);
  }
  return { standard, large };
}

function peerConfig(p: NormalizedPeer, cfg: MetallbConfig, warnings: string[]): PeerConfig | undefined {
  if (p.peerAddress === undefined) {
    warnings.push(
      `BGPPeer ${p.namespace}/${p.name}: spec.interface (unnumbered BGP) is not supported by this speaker; the peer is ignored`,
    );
    return undefined;
  }
  let bfdProfile: BfdProfileConfig | undefined;
  if (p.bfdProfile !== undefined) {
    const b = cfg.bfdProfiles.get(p.bfdProfile);
    // buildConfig reports an unknown profile as an error, so this only guards the types.
    if (b !== undefined) bfdProfile = { ...b };
  }
  return {
    name: p.name,
    address: p.peerAddress,
    port: p.port,
    myASN: p.myASN,
    localASN: p.localASN,
    peerASN: p.peerASN,
    dynamicASN: p.dynamicASN,
    holdTime: p.holdTime,
    keepaliveTime: p.timersExplicit ? p.keepaliveTime : undefined,
    connectTime: p.connectTime,
    routerID: p.routerID,
    sourceAddress: p.sourceAddress,
    password: p.password,
    ebgpMultiHop: p.ebgpMultiHop,
    enableGracefulRestart: p.enableGracefulRestart,
    disableMP: p.disableMP,
    vrf: p.vrf,
    bfdProfile,
  };
}

/** Builds the snapshot from a valid MetallbConfig (exported for the Kubernetes source later). */
export function snapshotFromConfig(cfg: MetallbConfig, warnings: string[]) {
  const pools: PoolInfo[] = [...cfg.pools.values()].map((p) => ({
    name: p.name,
    addresses: p.addresses.map((a) => a.text),
    labels: p.labels,
  }));
  const peers: PeerConfig[] = [];
  const peerInfos: PeerInfo[] = [];
  for (const p of cfg.peers.values()) {
    if (p.vrf !== undefined && p.vrf !== '') {
      warnings.push(
        `BGPPeer ${p.namespace}/${p.name}: spec.vrf '${p.vrf}' is not supported; the peer is ignored`,
      );
      continue;
    }
    const pc = peerConfig(p, cfg, warnings);
    if (pc === undefined) continue;
    peers.push(pc);
    peerInfos.push({
      name: p.name,
      myASN: p.myASN,
      peerASN: p.peerASN,
      dynamicASN: p.dynamicASN,
      nodeSelectors: p.nodeSelectors,
      // each session carries the family of its peer address (dualStackAddressFamily is not offered)
      families: [pc.address.includes(':') ? 6 : 4],
    });
  }
  const advertisements: AdvertisementInfo[] = [...cfg.advertisements.values()].map((a) => {
    const { standard, large } = splitCommunities(a.communities);
    return {
      name: a.name,
      ipAddressPools: a.pools,
      ipAddressPoolSelectors: [],
      poolsResolved: true,
      nodeSelectors: a.nodeSelectors,
      peers: a.peers,
      serviceSelectors: a.serviceSelectors,
      aggregationLength: a.aggregationLength,
      aggregationLengthV6: a.aggregationLengthV6,
      communities: standard,
      largeCommunities: large,
      localPref: a.localPref,
    };
  });
  return {
    announce: { pools, peers: peerInfos, advertisements },
    peers,
    services: [...cfg.services.values()] as unknown as Service[],
    endpointSlices: [...cfg.endpointSlices.values()] as unknown as EndpointSlice[],
    nodes: [...cfg.nodes.values()] as unknown as Node[],
  };
}

/**
 * Parses and validates FILE's text; `source` names the file in error messages. With a cache, the
 * documents whose text did not change since the last call are not parsed again (metallb-api splits
 * the file at its document markers, reads JSON documents with JSON.parse, and places every error at
 * its line in the whole file).
 */
export function loadManifests(
  text: string,
  source: string,
  opts: LoadOptions = {},
  cache: ManifestCache = new ManifestCache(),
): LoadResult {
  const parsed = parseManifests(text, { source, cache });
  const built = buildConfig(
    parsed.objects,
    opts.namespace === undefined ? {} : { namespace: opts.namespace },
  );
  const errors: ConfigError[] = [...parsed.errors, ...built.errors];
  const warnings = [...parsed.warnings, ...built.warnings].map(formatConfigError);
  if (errors.length > 0) return { ok: false, errors: errors.map(formatConfigError) };
  const w = [...warnings];
  const snapshot = snapshotFromConfig(built.config, w);
  return { ok: true, snapshot, warnings: w, objects: parsed.objects.length };
}
