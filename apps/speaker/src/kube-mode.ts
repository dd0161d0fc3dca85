// Kubernetes mode: the speaker reads the cluster instead of a file and reports back to it.
// KubeSource feeds the same Speaker.load path as the file source; StatusPublisher writes the
// ServiceBGPStatus and BGPSessionState objects; a Service newly announced from this node gets the
// Event MetalLB's speaker writes (nodeAssigned, "announcing from node X with protocol bgp").
import { KubeCluster, type Problem, Resources } from '@bmlb/k8s-adapter';
import { formatConfigError } from '@bmlb/metallb-api';
import type { Logger } from 'pino';
import { KubeSource } from './config/kube-source.ts';
import { StatusPublisher } from './kube-status.ts';
import type { Speaker } from './speaker/speaker.ts';

export interface KubeModeOptions {
  readonly kubeconfig: string | undefined;
  readonly namespace: string;
  readonly nodeName: string;
  readonly debounceMs?: number;
  readonly statusIntervalMs?: number;
}

export interface KubeMode {
  readonly cluster: KubeCluster;
  readonly source: KubeSource;
  readonly publisher: StatusPublisher;
  /** Caches synced and a configuration applied. */
  ready(): boolean;
  close(): Promise<void>;
}

export async function startKubeMode(
  opts: KubeModeOptions,
  speaker: Speaker,
  logger: Logger,
): Promise<KubeMode> {
  const cluster = new KubeCluster({
    kubeconfig: opts.kubeconfig,
    fieldManager: 'bmlb-speaker',
    controller: 'metallb.io/speaker',
    instance: opts.nodeName,
    userAgent: `bmlb-speaker/${opts.nodeName}`,
    onError: (kind, err, what, retryInMs) =>
      logger.warn(
        { event: 'apiError', kind, what, err: err.message, retryInMs },
        `cannot ${what} ${kind} (retrying in ${retryInMs} ms; announcing what was last known)`,
      ),
    onEventError: (err) =>
      logger.warn({ event: 'eventWriteFailed', err: err.message }, 'cannot write an Event'),
  });
  logger.info(
    { event: 'kubeConfig', source: cluster.configSource, server: cluster.client.server },
    `Kubernetes API at ${cluster.client.server} (configuration from ${cluster.configSource})`,
  );

  const announced = new Set<string>();
  let applied = false;
  const services = () => cluster.cache.store(Resources.Service);
  const nodeRef = () => {
    const n = cluster.cache.has(Resources.Node)
      ? cluster.cache.store(Resources.Node).getByName(undefined, opts.nodeName)
      : undefined;
    return n?.metadata.uid ? { name: n.metadata.name, uid: n.metadata.uid } : undefined;
  };
  const publisher: StatusPublisher = new StatusPublisher({
    cluster,
    namespace: opts.namespace,
    nodeName: opts.nodeName,
    node: nodeRef,
    status: () => speaker.status(),
    intervalMs: opts.statusIntervalMs,
    onError: (err, what) =>
      logger.warn({ event: 'statusWriteFailed', what, err: err.message }, `cannot ${what}`),
  });

  const source = new KubeSource({
    cluster,
    namespace: opts.namespace,
    nodeName: opts.nodeName,
    debounceMs: opts.debounceMs,
    onConfig: (result, version) => {
      const t0 = performance.now();
      const ok = speaker.load(result, `k8s-${version}`);
      const ms = +(performance.now() - t0).toFixed(2);
      applied ||= ok;
      logger.info(
        {
          event: 'configProcessed',
          version,
          applied: ok,
          ms,
          objects: result.ok ? result.objects : undefined,
        },
        `configuration ${ok ? 'applied' : 'rejected'} in ${ms} ms`,
      );
      // nodeAssigned, once per Service newly announced from this node (from the verdicts this
      // configuration changed: after a Service change, those of the few Services it touched).
      for (const [before, v] of speaker.verdictChanges) {
        if (v === undefined || v.reason !== '' || v.announcements.length === 0) {
          const key = (v ?? before)?.service;
          if (key !== undefined) announced.delete(key);
          continue;
        }
        if (announced.has(v.service)) continue;
        announced.add(v.service);
        const slash = v.service.indexOf('/');
        const svc = services().getByName(v.service.slice(0, slash), v.service.slice(slash + 1));
        cluster.events.record(
          {
            apiVersion: 'v1',
            kind: 'Service',
            namespace: v.service.slice(0, slash),
            name: v.service.slice(slash + 1),
            uid: svc?.metadata.uid,
          },
          {
            type: 'Normal',
            reason: 'nodeAssigned',
            note: `announcing from node "${opts.nodeName}" with protocol "bgp"`,
          },
        );
      }
      publisher.poke();
    },
    onProblems: (problems: readonly Problem[]) => {
      // The controller reports invalid objects with Events (once for the cluster, not once per node).
      for (const p of problems)
        for (const e of p.errors)
          logger.warn(
            { event: 'invalidObject', kind: p.kind, object: p.key, field: e.path, rule: e.rule },
            `${formatConfigError(e)} (its last valid version stays in force)`,
          );
    },
  });

  await source.start();
  publisher.start();
  publisher.poke(0);
  return {
    cluster,
    source,
    publisher,
    ready: () => source.synced && applied,
    async close() {
      source.close();
      publisher.close();
      await cluster.close();
    },
  };
}
