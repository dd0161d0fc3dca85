#!/usr/bin/env node
// The speaker daemon's entry: `speaker --node-name NAME` (Kubernetes mode), `speaker --config FILE
// --node-name NAME` (file mode) and `speaker status`.
// First: V8's memory-saving mode before any other module runs.
import './v8-memory.ts';
import type { Server } from 'node:http';
import pino from 'pino';
import { type DaemonArgs, parseCli, USAGE, UsageError } from './cli.ts';
import type { ConfigApplier } from './config/applier.ts';
import type { FileSource } from './config/file-source.ts';
import { type KubeMode, startKubeMode } from './kube-mode.ts';
import { RealSessionFactory } from './sessions/factory.ts';
import { SpeakerMetrics } from './speaker/metrics.ts';
import { Speaker } from './speaker/speaker.ts';
import { type Endpoint, fetchStatus, parseHostPort, renderStatus, serve } from './status.ts';

function statusEndpoint(a: {
  statusAddress: string | undefined;
  statusSocket: string | undefined;
}): Endpoint {
  if (a.statusAddress !== undefined) return parseHostPort(a.statusAddress);
  return { socketPath: a.statusSocket };
}

async function runDaemon(args: DaemonArgs): Promise<void> {
  const logger = pino({ level: args.logLevel, base: { node: args.nodeName } });
  const metrics = new SpeakerMetrics();
  const factory = new RealSessionFactory({ logger, nodeName: args.nodeName });
  const speaker = new Speaker({
    nodeName: args.nodeName,
    factory,
    logger,
    metrics,
    loadBalancerClass: args.loadBalancerClass,
  });
  const servers: Server[] = [];
  // File mode: FILE → ConfigApplier (empty, half-written and sweeping edits: see applier.ts) → speaker.
  // Kubernetes mode: the cluster's caches → KubeSource → speaker (see kube-mode.ts).
  let source: FileSource | undefined;
  let applier: ConfigApplier | undefined;
  let kube: KubeMode | undefined;
  const file = args.config;
  if (file !== undefined) {
    // The file mode's readers (FILE watching, the manifest parser and its document cache) are
    // loaded only in file mode.
    const [{ ConfigApplier }, { FileSource }, { loadManifests }, { ManifestCache }] = await Promise.all([
      import('./config/applier.ts'),
      import('./config/file-source.ts'),
      import('./config/load.ts'),
      import('@bmlb/metallb-api/yaml'),
    ]);
    const documents = new ManifestCache();
    applier = new ConfigApplier({
      file,
      speaker,
      logger,
      load: (text) => loadManifests(text, file, {}, documents),
      recheck: () => source?.recheck(),
      removalHoldMs: args.removalHoldMs,
      rewriteSettleMs: args.rewriteSettleMs,
    });
    const a = applier;
    source = new FileSource({
      file,
      debounceMs: args.debounceMs,
      onContent: (text, hash) => a.onContent(text, hash),
      onTornRead: (reason) => a.onTornRead(reason),
      onReadError: (err) =>
        logger.error({ event: 'configReadError', file, err: err.message }, `cannot read ${file}`),
    });
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ event: 'forcedExit', signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    stopping = true;
    logger.info({ event: 'shutdown', signal }, `${signal}: withdrawing routes and closing sessions`);
    source?.close();
    applier?.close();
    const closingKube = kube?.close();
    const timeout = setTimeout(() => {
      logger.error({ event: 'shutdownTimeout' }, 'graceful shutdown took over 5 s; exiting');
      process.exit(1);
    }, 5000);
    await speaker.shutdown(`bmlb speaker on node ${args.nodeName} shutting down (${signal})`);
    factory.close();
    await closingKube;
    for (const s of servers) s.close();
    clearTimeout(timeout);
    logger.info({ event: 'stopped' }, 'stopped');
    logger.flush();
    process.exit(0);
  };
  const onSignal = (sig: string) =>
    stop(sig).catch((err: unknown) => {
      logger.error({ event: 'shutdownFailed', err: String(err) }, `graceful shutdown failed: ${String(err)}`);
      process.exit(1);
    });
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGHUP', () => source?.reload());

  const handlers = {
    status: () => speaker.status(),
    metrics,
    refresh: () => speaker.refreshMetrics(),
    ready: () => (kube !== undefined ? kube.ready() : speaker.status().config.loaded),
  };
  // Health and metrics first: a probe sees "not ready" while the caches sync, not a refused port.
  servers.push(await serve(statusEndpoint(args), handlers));
  if (args.metricsAddress !== undefined)
    servers.push(await serve(parseHostPort(args.metricsAddress), handlers));
  if (source !== undefined) {
    logger.info({ event: 'starting', config: file }, `bmlb speaker starting on node ${args.nodeName}`);
    await source.start();
  } else {
    logger.info(
      { event: 'starting', namespace: args.namespace },
      `bmlb speaker starting on node ${args.nodeName} (Kubernetes mode, namespace ${args.namespace})`,
    );
    kube = await startKubeMode(
      { kubeconfig: args.kubeconfig, namespace: args.namespace, nodeName: args.nodeName },
      speaker,
      logger,
    );
  }
  logger.info(
    { event: 'ready', status: args.statusSocket ?? args.statusAddress, metrics: args.metricsAddress },
    'speaker ready',
  );
}

async function main(argv: readonly string[]): Promise<number> {
  let args: ReturnType<typeof parseCli>;
  try {
    args = parseCli(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`speaker: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (args.command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.command === 'status') {
    try {
      const st = await fetchStatus(statusEndpoint(args));
      process.stdout.write(args.json ? `${JSON.stringify(st, null, 2)}\n` : renderStatus(st));
      return 0;
    } catch (err) {
      process.stderr.write(`speaker status: ${(err as Error).message}\n`);
      return 1;
    }
  }
  await runDaemon(args);
  return -1; // keeps running
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`speaker: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
