// BGP session state machine (RFC 4271 §8) with OPEN negotiation, timers, collision detection,
// graceful restart, route refresh and prefix limits.
export {
  type AddPathMode,
  type BgpSessionConfig,
  FAMILY_NAMES,
  type FamilyName,
  type GracefulRestartConfig,
  type NextHopConfig,
  type ResolvedSessionConfig,
  resolveConfig,
} from './config.ts';
export { LOCAL_PATH_ID } from './export-updates.ts';
export {
  checkOpen,
  familyAfiSafi,
  familyName,
  localCapabilities,
  localOpen,
  type Negotiated,
  type OpenCheck,
  offersExtendedNextHop,
  type PeerGracefulRestart,
} from './negotiate.ts';
export {
  BgpSession,
  type FamilyRef,
  LARGE_HOLD_TIME_MS,
  SEND_BATCH_PREFIXES,
  type SessionStats,
  type StopOptions,
} from './session.ts';
export {
  type ConnectionId,
  type ConnectionInfo,
  isSessionAction,
  type SessionAction,
  type SessionEvent,
  type SessionOutput,
  type SessionState,
} from './types.ts';
