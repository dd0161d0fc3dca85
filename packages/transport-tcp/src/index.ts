// @bmlb/transport-tcp: BGP over TCP/179 for @bmlb/bgp-core: active and passive connections, TCP MD5, GTSM.
export { type AddressFamily, canonicalPeer, parseAddress } from './address.ts';
export { BGP_PORT, type ConnectOptions, connectBgp } from './connect.ts';
export {
  BgpSessionDriver,
  type SessionDriverOptions,
  type StartSessionOptions,
  startSession,
} from './driver.ts';
export { BgpTransportError, classifyError, hostPort, type TransportErrorKind } from './errors.ts';
export {
  type AcceptedConnection,
  BgpListener,
  type ListenOptions,
  type PeerAcceptOptions,
  type PeerRegistration,
  type RejectedConnection,
} from './listener.ts';
export { MD5_MAX_KEY, SyscallError } from './native.ts';
export { fdOf, readSocketOptions, type SocketOptionsReadback, setTtl } from './sockopt.ts';
export { bgpTtl, sessionIsExternal, type TtlPolicy, type TtlSettings } from './ttl.ts';
