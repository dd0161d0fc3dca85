#!/usr/bin/env node
// The `controller` bin: the Controller on the real API server, with leader election on a Lease,
// /metrics, /healthz and /readyz. SIGTERM (or SIGINT) stops writing, releases the Lease so a
// standby replica takes over at once, and exits.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { Server } from 'node:http';
import { isIP } from 'node:net';
import os from 'node:os';
import { KubeCluster } from '@bmlb/k8s-adapter';
import pino from 'pino';
import { type ControllerArgs, parseCli, USAGE, UsageError } from './cli.ts';
import { cachedObjects } from './config-view.ts';
import { Controller } from './controller.ts';
import { serveHttp } from './http.ts';
import { ControllerMetrics } from './metrics.ts';
import { PacedEvents } from './paced-events.ts';
import { ConfigAdmission } from './webhook/admission.ts';
import { WebhookCerts } from './webhook/cert-manager.ts';
import { kubeCertApi, liveObjects, serveWebhook, type WebhookServer } from './webhook/server.ts';

function version(): string {
  try {
    const pj = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pj.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function makeCluster(args: ControllerArgs, identity: string, logger: pino.Logger): KubeCluster {
  return new KubeCluster({
    kubeconfig: args.kubeconfig,
    fieldManager: 'bmlb-controller',
    controller: 'metallb-controller',
    instance: identity,
    userAgent: `bmlb-controller/${version()}`,
    onEventError: (err) =>
      logger.warn({ event: 'eventFailed', err: err.message }, `recording an Event failed: ${err.message}`),
    onError: (kind, err, what, retryInMs) =>
      logger.warn(
        { event: 'watchFailed', kind, what, err: err.message, retryInMs },
        `${what} of ${kind} failed; retrying in ${retryInMs} ms`,
      ),
  });
}

async function run(args: ControllerArgs): Promise<void> {
  const identity = args.identity ?? `${os.hostname()}_${randomUUID().slice(0, 8)}`;
  const logger = pino({ level: args.logLevel, base: { identity } });
  const metrics = new ControllerMetrics();
  let cluster: KubeCluster;
  try {
    cluster = makeCluster(args, identity, logger);
  } catch (err) {
    process.stderr.write(`controller: ${(err as Error).message}\n`);
    process.exit(1);
  }
  logger.info(
    {
      event: 'starting',
      version: version(),
      kubeconfig: cluster.configSource,
      server: cluster.client.server,
      namespace: args.namespace,
      lbClass: args.loadBalancerClass,
    },
    `bmlb controller ${version()} starting (API server ${cluster.client.server}, from ${cluster.configSource})`,
  );
  const events = new PacedEvents(cluster.events, {
    onDrop: (n) => {
      if (n === 1 || n % 1000 === 0)
        logger.warn(
          { event: 'eventsDropped', dropped: n },
          `${n} Events dropped: the API server does not keep up`,
        );
    },
  });
  const controller = new Controller({
    cluster,
    events,
    namespace: args.namespace,
    loadBalancerClass: args.loadBalancerClass,
    logger,
    metrics,
    writeConcurrency: args.writeConcurrency,
  });
  const stop = new AbortController();
  let synced = false;
  let electing = false;
  let leader: string | undefined;
  let webhook: WebhookServer | undefined;
  let certs: WebhookCerts | undefined;
  const notReady = (): string | undefined =>
    !synced
      ? 'caches not synced'
      : args.webhookAddress !== undefined && webhook === undefined
        ? 'webhook not serving yet (no certificate)'
        : !electing
          ? 'not electing yet'
          : undefined;
  const status = () => ({
    identity,
    leader,
    active: controller.active,
    synced,
    staleConfiguration: controller.stale,
    pools: controller.poolsInUse.map((p) => p.metadata.name),
    servicesWithAddresses: controller.allocator.serviceCount,
    pendingServices: controller.pending.size,
  });
  const servers: Server[] = [];
  const addresses = new Map<string, { metrics?: boolean; health?: boolean }>();
  if (args.metricsAddress !== undefined) addresses.set(args.metricsAddress, { metrics: true });
  if (args.healthAddress !== undefined)
    addresses.set(args.healthAddress, { ...addresses.get(args.healthAddress), health: true });
  for (const [address, what] of addresses) {
    servers.push(
      await serveHttp(address, {
        metrics: what.metrics ? metrics : undefined,
        notReady: what.health ? notReady : undefined,
        status,
      }),
    );
  }

  let electionDone: Promise<void> = Promise.resolve();
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) {
      logger.warn({ event: 'forcedExit', signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    stopping = true;
    logger.info({ event: 'shutdown', signal }, `${signal}: stopping writes and releasing the Lease`);
    const timer = setTimeout(() => {
      logger.error({ event: 'shutdownTimeout' }, 'shutdown took over 10 s; exiting');
      process.exit(1);
    }, 10_000);
    timer.unref();
    controller.deactivate();
    stop.abort();
    certs?.stop();
    await electionDone;
    await webhook?.close();
    await events.flush();
    await cluster.close();
    for (const s of servers) s.close();
    logger.info({ event: 'stopped' }, 'stopped');
    logger.flush();
    process.exit(0);
  };
  const onSignal = (sig: string) =>
    shutdown(sig).catch((err: unknown) => {
      logger.error({ event: 'shutdownFailed', err: String(err) }, `shutdown failed: ${String(err)}`);
      process.exit(1);
    });
  process.on('SIGTERM', () => void onSignal('SIGTERM'));
  process.on('SIGINT', () => void onSignal('SIGINT'));

  controller.start();
  const t0 = performance.now();
  try {
    await controller.waitForSync(stop.signal);
  } catch (err) {
    if (stop.signal.aborted) return;
    throw err;
  }
  synced = true;
  logger.info(
    {
      event: 'synced',
      ms: Math.round(performance.now() - t0),
      services: controller.services.size,
      pools: controller.pools.size,
    },
    `caches synced: ${controller.services.size} Services, ${controller.pools.size} IPAddressPools`,
  );
  if (args.webhookAddress !== undefined) {
    const address = args.webhookAddress;
    const names = webhookNames(args);
    const admission = new ConfigAdmission({
      namespace: args.namespace,
      cached: () => cachedObjects(cluster.cache),
      live: liveObjects(cluster.client, args.namespace),
    });
    let starting = false;
    certs = new WebhookCerts({
      api: kubeCertApi(cluster.client, args.namespace, args.webhookSecret, args.webhookConfiguration),
      ...names,
      validityMs: args.certValidityDays * 86_400_000,
      logger,
      onServingChange: (pair) => {
        if (webhook !== undefined) {
          webhook.setCertificate(pair);
          return;
        }
        if (starting) return;
        starting = true;
        serveWebhook(address, pair, admission, logger).then(
          (w) => {
            webhook = w;
            if (certs?.serving !== undefined) w.setCertificate(certs.serving);
            logger.info({ event: 'webhookServing', address }, `webhook serving on https://${address}`);
          },
          (err: unknown) => {
            logger.error(
              { event: 'webhookFailed', err: String(err) },
              `cannot serve the webhook: ${String(err)}`,
            );
            process.exit(1);
          },
        );
      },
    });
    certs.start(10_000);
  }
  const elector = cluster.leaderElection({
    namespace: args.namespace,
    name: args.leaseName,
    identity,
    leaseDurationMs: args.leaseDurationMs,
    renewDeadlineMs: args.renewDeadlineMs,
    retryPeriodMs: args.retryPeriodMs,
    onStartedLeading: (signal) => {
      logger.info({ event: 'leading', lease: args.leaseName }, 'became leader: writing');
      const t = performance.now();
      controller.activate();
      logger.info({ event: 'rebuilt', ms: Math.round(performance.now() - t) }, 'rebuilt from Service status');
      signal.addEventListener('abort', () => controller.deactivate(), { once: true });
    },
    onStoppedLeading: (reason) =>
      logger.info({ event: 'stoppedLeading', reason }, `stopped leading: ${reason}`),
    onNewLeader: (id) => {
      leader = id;
      logger.info({ event: 'newLeader', leader: id }, `leader is ${id}`);
    },
  });
  electing = true;
  electionDone = elector.run(stop.signal);
  logger.info({ event: 'ready', lease: `${args.namespace}/${args.leaseName}` }, 'ready; electing a leader');
}

/** The names the webhook's certificate must carry. */
function webhookNames(args: ControllerArgs): { dnsNames: string[]; ipAddresses: string[] } {
  if (args.webhookURL !== undefined) {
    const host = new URL(args.webhookURL).hostname.replace(/^\[(.*)\]$/, '$1');
    return isIP(host) ? { dnsNames: [], ipAddresses: [host] } : { dnsNames: [host], ipAddresses: [] };
  }
  const svc = `${args.webhookService}.${args.namespace}`;
  return { dnsNames: [`${svc}.svc`, `${svc}.svc.cluster.local`, svc], ipAddresses: [] };
}

async function main(argv: readonly string[]): Promise<number> {
  let args: ReturnType<typeof parseCli>;
  try {
    args = parseCli(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`controller: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (args.command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.command === 'version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  await run(args);
  return -1; // keeps running
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`controller: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
