// @bmlb/netlab: Test lab helpers: network namespaces, veth links, FRR and GoBGP daemons (tests only).
export {};
