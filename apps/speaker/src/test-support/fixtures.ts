// Small builders shared by unit tests.
import type { AdvertisementInfo } from '../announce/types.ts';

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
