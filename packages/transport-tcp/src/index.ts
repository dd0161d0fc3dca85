// @bmlb/transport-tcp: BGP over TCP/179 for @bmlb/bgp-core: active and passive connections, TCP MD5, GTSM.
export {};
