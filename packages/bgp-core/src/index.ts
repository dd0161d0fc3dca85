// @bmlb/bgp-core: Pure (sans-I/O) BGP-4: codec, session state machine and Adj-RIB-Out.
export {};
