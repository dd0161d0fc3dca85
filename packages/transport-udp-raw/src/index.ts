// @bmlb/transport-udp-raw: BFD over UDP 3784/4784 for @bmlb/bfd-core with TTL 255 sent and checked.
export {};
