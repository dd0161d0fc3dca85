// @bmlb/transport-udp-raw: BFD over UDP 3784/4784 for @bmlb/bfd-core with TTL 255 sent and checked.
export {
  ACCEPT_ALL,
  compileTtlFilter,
  MARK_TTL_DROP,
  MAX_INSTRUCTIONS,
  type TtlOverride,
  type TtlPolicy,
} from './bpf.ts';
export {
  BfdDriver,
  type BfdDriverCounters,
  type BfdDriverEvents,
  type BfdDriverOptions,
  type BfdDriverSessionInfo,
  type BfdSocketErrorEvent,
} from './driver.ts';
export { nodeHash } from './hash.ts';
export { SyscallError } from './libc.ts';
export {
  BfdListener,
  DEFAULT_MULTIHOP_MIN_TTL,
  DEFAULT_RECEIVE_BUFFER,
  type ListenerCounters,
  type ListenerOptions,
  MULTIHOP_PORT,
  type PeerMinTtl,
  type ReceivedPacket,
  SINGLE_HOP_PORT,
  type TtlDrop,
} from './listener.ts';
export { cryptoRandom } from './random.ts';
export {
  SendError,
  SessionSocket,
  type SessionSocketCounters,
  type SessionSocketOptions,
  SOURCE_PORT_MAX,
  SOURCE_PORT_MIN,
} from './session-socket.ts';
export { familyOf, type OpenSocketOptions, openSocket } from './socket.ts';
