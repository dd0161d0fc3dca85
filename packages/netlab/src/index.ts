// @bmlb/netlab: network namespaces, veth links, L2 segments, FRR and GoBGP daemons for interop tests.
export { CommandError, formatArgv, type RunOptions, type RunResult, run } from './exec.ts';
export {
  FRR_INSTALL_HINT,
  type FrrBgpNeighbor,
  type FrrDaemon,
  FrrInstance,
  type FrrLogEntry,
  type FrrOptions,
  frrInstalled,
  parseFrrLog,
  pidAlive,
} from './frr.ts';
export {
  GOBGP_INSTALL_HINT,
  GOBGP_SESSION_STATE,
  GobgpInstance,
  type GobgpOptions,
  gobgpInstalled,
} from './gobgp.ts';
export {
  type AddressOptions,
  type AttachOptions,
  type Endpoint,
  Lab,
  type LabOptions,
  type LinkOptions,
  MAX_NAME,
  Namespace,
  type NamespaceOptions,
  Segment,
  sweepStale,
} from './lab.ts';
export {
  FibView,
  FibWatch,
  linkDown,
  type MonitorMessage,
  type MonitorObject,
  MonitorParser,
  type MonitorWaitOptions,
  NetlinkMonitor,
  parseIpStamp,
} from './monitor.ts';
export { Proc, type ProcExit, type SpawnOptions } from './proc.ts';
export {
  type LabNeeds,
  labSkipReason,
  labUnavailableReason,
  requireLab,
  type SkipContext,
} from './require.ts';
export { sleep, type WaitOptions, WaitTimeoutError, waitFor } from './wait.ts';
export { type CutMode, parseTarget, TcpProxy, type TcpProxyOptions } from './tcp-proxy.ts';
