// @bmlb/netlab: network namespaces, veth links, L2 segments, FRR and GoBGP daemons, and a real
// Kubernetes control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok), and
// containers run with podman, for interop tests.

export { closeOnExit, type SyncCloseable } from './cleanup.ts';
export {
  Container,
  type ContainerOptions,
  type ImageInfo,
  imageSkipReason,
  imageUnavailableReason,
  inspectImage,
  PODMAN,
  PODMAN_RUN_LIMITS,
} from './container.ts';
export { deployEnv } from './deploy-env.ts';
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
  ETCD_PATH,
  KUBE_BINARIES,
  KUBE_VERSION,
  type KubeBinary,
  KWOK_VERSION,
  kubeBinDir,
  kubeCacheDir,
  kubeSkipReason,
  kubeUnavailableReason,
  kwokStagesDir,
  missingKubeBinaries,
  requireKube,
} from './kube/binaries.ts';
export {
  firstServiceIP,
  KWOK_NODE_ANNOTATION,
  type KwokNodeSpec,
  kubeconfig,
  kwokNode,
  nodeReady,
  pickHostAddress,
  promSamples,
  type StaticToken,
  tokenAuthFile,
} from './kube/config.ts';
export {
  freePorts,
  type KubeComponent,
  KubeControlPlane,
  type KubeControlPlaneOptions,
  type KubectlOptions,
  type KubectlResult,
  type KubeStartTimings,
  kwokStageFiles,
  sweepStaleControlPlanes,
} from './kube/control-plane.ts';
export { EtcdClient } from './kube/etcd.ts';
export { type ApiRequestOptions, type ApiResponse, httpsRequest } from './kube/https.ts';
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
export {
  builtinsLoadedBy,
  lineReader,
  Proc,
  type ProcExit,
  type ProcessMemory,
  processMemory,
  type SpawnOptions,
  schedstat,
  taskState,
} from './proc.ts';
export {
  type LabNeeds,
  labSkipReason,
  labUnavailableReason,
  requireLab,
  type SkipContext,
} from './require.ts';
export { type CutMode, parseTarget, TcpProxy, type TcpProxyOptions } from './tcp-proxy.ts';
export { sleep, type WaitOptions, WaitTimeoutError, waitFor } from './wait.ts';
