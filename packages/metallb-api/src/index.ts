// @bmlb/metallb-api: The metallb.io kinds (IPAddressPool, BGPPeer, BGPAdvertisement, BFDProfile, Community): types, defaults, validation and CRD schemas.
export {};
