// @bmlb/speaker: bmlb speaker: per-node daemon announcing Service IPs over BGP with BFD.
export {};
