// A valid MetallbConfig → the speaker's snapshot. Shared by the file mode (load.ts, after parsing
// FILE) and the Kubernetes mode (kube-source.ts); this module loads no YAML reader, so Kubernetes
// mode does not carry one.
import type { CommunityValue, MetallbConfig, NormalizedPeer } from '@bmlb/metallb-api';
import type {
  AdvertisementInfo,
  EndpointSlice,
  LargeCommunity,
  Node,
  PeerInfo,
  PoolInfo,
  Service,
} from '../announce/types.ts';
import type { BfdProfileConfig, PeerConfig } from '../speaker/types.ts';

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

/** Builds the snapshot from a valid MetallbConfig; unsupported peers are left out with a warning. */
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
