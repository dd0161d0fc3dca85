// @bmlb/k8s-adapter: the Kubernetes API for bmlb's apps. Watches (list, watch with bookmarks,
// relist on 410, capped backoff) into typed, indexed caches; writes (Service status with optimistic
// concurrency, server-side apply); Events; Lease leader election; and the port the apps program
// against, with an in-memory implementation for their unit tests.
export {
  addStandardIndexes,
  type CacheEvent,
  type CacheListener,
  type ClusterCache,
  Index,
  KubeCache,
  type KubeCacheOptions,
  type WatchOptions,
} from './cache.ts';
export { ApiError, KubeClient, type RequestOptions, type WatchEvent } from './client.ts';
export {
  type Credentials,
  type ExecConfig,
  KubeConfigError,
  type KubeConfigSource,
  type KubeConnection,
  type LoadedKubeConfig,
  loadKubeConfig,
  SERVICE_ACCOUNT_DIR,
} from './config.ts';
export {
  type EventInput,
  EventRecorder,
  type EventRecorderOptions,
  type EventSink,
  type EventType,
  microTime,
  type ObjectReference,
} from './events.ts';
export { type LeaderElection, type LeaderElectionOptions, LeaseLeaderElector } from './leader.ts';
export { MemoryCluster, type RecordedEvent } from './memory.ts';
export { type ClusterPort, KubeCluster, type KubeClusterOptions } from './port.ts';
export { type BackoffOptions, Reflector, type ReflectorOptions, type ReflectorStats } from './reflector.ts';
export {
  apiVersionOf,
  type ConvertResult,
  collectionPath,
  type KubeObject,
  keyOf,
  objectPath,
  type Projection,
  plainResource,
  Resources,
  type ResourceType,
  slim,
} from './resources.ts';
export { type ChangeType, type IndexFunc, type Problem, Store, type StoreEvent } from './store.ts';
export {
  KubeWriter,
  type LoadBalancerStatus,
  type ObjectWriter,
  type StatusUpdate,
  type WriterOptions,
} from './writer.ts';
