// The port the apps program against: read the cluster (typed caches and one change stream), write
// to it, record events, and elect a leader. `KubeCluster` is the real one, on the API server;
// `MemoryCluster` (memory.ts) is the in-memory one for the apps' unit tests.
import os from 'node:os';
import { type ClusterCache, KubeCache, type KubeCacheOptions, type WatchOptions } from './cache.ts';
import { KubeClient } from './client.ts';
import { type KubeConfigSource, loadKubeConfig } from './config.ts';
import { EventRecorder, type EventSink } from './events.ts';
import { type LeaderElection, type LeaderElectionOptions, LeaseLeaderElector } from './leader.ts';
import type { KubeObject, ResourceType } from './resources.ts';
import type { Store } from './store.ts';
import { KubeWriter, type ObjectWriter } from './writer.ts';

export interface ClusterPort {
  readonly cache: ClusterCache;
  readonly writer: ObjectWriter;
  readonly events: EventSink;
  /** Registers a kind to watch (before start). */
  watch<T extends KubeObject>(type: ResourceType<T>, opts?: WatchOptions): Store<T>;
  /** Starts the watches. */
  start(): void;
  leaderElection(opts: LeaderElectionOptions): LeaderElection;
  close(): Promise<void>;
}

export interface KubeClusterOptions extends KubeConfigSource, KubeCacheOptions {
  /** Field manager for server-side apply, e.g. `bmlb-controller`. */
  readonly fieldManager: string;
  /** Events' reportingController, e.g. `metallb.io/controller`. */
  readonly controller: string;
  /** Events' reportingInstance (default: the host name). */
  readonly instance?: string;
  readonly userAgent?: string;
  readonly onEventError?: (err: Error) => void;
}

export class KubeCluster implements ClusterPort {
  readonly client: KubeClient;
  readonly cache: KubeCache;
  readonly writer: KubeWriter;
  readonly events: EventRecorder;
  /** How the configuration was found (flag, KUBECONFIG, in-cluster, home). */
  readonly configSource: string;
  /** The Pod's namespace in-cluster, or the context's. */
  readonly namespace: string | undefined;

  constructor(opts: KubeClusterOptions) {
    const loaded = loadKubeConfig(opts);
    this.configSource = loaded.source;
    this.namespace = loaded.namespace;
    this.client = new KubeClient(loaded.connection, opts.userAgent ?? opts.fieldManager);
    this.cache = new KubeCache(this.client, opts);
    this.writer = new KubeWriter(this.client, { fieldManager: opts.fieldManager });
    this.events = new EventRecorder(this.client, {
      controller: opts.controller,
      instance: opts.instance ?? os.hostname(),
      onError: opts.onEventError,
    });
  }

  watch<T extends KubeObject>(type: ResourceType<T>, opts?: WatchOptions): Store<T> {
    return this.cache.watch(type, opts);
  }

  start(): void {
    this.cache.start();
  }

  leaderElection(opts: LeaderElectionOptions): LeaderElection {
    return new LeaseLeaderElector(this.client, opts);
  }

  async close(): Promise<void> {
    await this.cache.stop();
    await this.events.flush();
    this.client.close();
  }
}
