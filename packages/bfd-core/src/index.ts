// @bmlb/bfd-core: Pure (sans-I/O) BFD (RFC 5880/5881/5883): codec, session state machine, timer negotiation.
export {};
