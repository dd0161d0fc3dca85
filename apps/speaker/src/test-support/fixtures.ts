// Small builders shared by unit tests.
import type { AdvertisementInfo, PeerInfo } from '../announce/types.ts';

/** A BGPAdvertisement as the announcement logic sees it: MetalLB's defaults, then `over`. */
export const advertisement = (name: string, over: Partial<AdvertisementInfo> = {}): AdvertisementInfo => ({
  name,
  ipAddressPools: [],
  ipAddressPoolSelectors: [],
  nodeSelectors: [],
  peers: [],
  aggregationLength: 32,
  aggregationLengthV6: 128,
  communities: [],
  largeCommunities: [],
  localPref: undefined,
  ...over,
});

/** A BGPPeer as the announcement logic sees it: eBGP 65100 → 65000, IPv4, every node; then `over`. */
export const peerInfo = (name: string, over: Partial<PeerInfo> = {}): PeerInfo => ({
  name,
  myASN: 65100,
  peerASN: 65000,
  nodeSelectors: [],
  families: [4],
  ...over,
});
