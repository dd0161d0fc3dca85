// @bmlb/bgp-core/testing: run BgpSessions in your own tests without sockets or real time.
//
// - `Network`: two sessions back to back over an in-memory transport (it carries `send` bytes to the
//   other side, turns `connect` actions into connections on both, can drop, split or cut them) in
//   simulated time (`advance(ms)` jumps from deadline to deadline: hours of protocol in milliseconds).
// - `Probe`: one session whose peer the test plays with crafted messages (`peerSends`), for checking
//   exactly what the session answers.
// - `seeded(seed)`: a deterministic random source for the sessions' jitter; `baseConfig(side)` and
//   `peerOpen()` give a working configuration pair and the OPEN of the probe's peer.
export {
  baseConfig,
  Network,
  Probe,
  peerOpen,
  type SentMessage,
  type Side,
  seeded,
} from './harness.ts';
