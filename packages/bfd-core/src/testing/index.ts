// @bmlb/bfd-core/testing: run BFD sessions in your own tests without sockets or real time.
//
// - `Network` / `pair()`: endpoints on an in-memory network (packets carried with a fixed delay, to
//   drop, tap or corrupt with `filter` / `mutate`) in simulated time: `runFor(ms)` jumps from event to
//   event, so minutes of protocol run in milliseconds.
// - `ManualPeer`: one session whose peer the test plays packet by packet (`send`, `bringUp`,
//   `keepAlive`), for checking every field and rule of RFC 5880 directly.
// - `seededRandom(seed)`: a deterministic random source. Keyed MD5/SHA1 authentication needs a
//   `hash` (for example from node:crypto); without one such sessions throw saying so.
export {
  A_ADDR,
  B_ADDR,
  Network,
  type NetworkOptions,
  type Node,
  noHash,
  type PairOptions,
  pair,
  type Sent,
  seededRandom,
} from './harness.ts';
export { LOCAL, ManualPeer, PEER, PEER_DISCR, type SentPacket } from './manual-peer.ts';
