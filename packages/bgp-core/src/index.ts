// @bmlb/bgp-core: pure (sans-I/O) BGP-4 — codec, session state machine and Adj-RIB-Out.
export * from './codec/index.ts';
export * from './model.ts';
export * from './rib/index.ts';
export * from './session/index.ts';
