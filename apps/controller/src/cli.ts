// Command line of the `controller` bin.
import { parseArgs } from 'node:util';

export interface ControllerArgs {
  readonly command: 'run';
  readonly kubeconfig: string | undefined;
  readonly namespace: string;
  readonly loadBalancerClass: string | undefined;
  /** `host:port`, or undefined when disabled. */
  readonly metricsAddress: string | undefined;
  readonly healthAddress: string | undefined;
  readonly webhookAddress: string | undefined;
  readonly logLevel: string;
  readonly identity: string | undefined;
  readonly leaseName: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly writeConcurrency: number;
  readonly webhookConfiguration: string;
  readonly webhookSecret: string;
  readonly webhookService: string;
  readonly webhookURL: string | undefined;
  readonly certValidityDays: number;
}

export type Args = ControllerArgs | { readonly command: 'help' } | { readonly command: 'version' };

const DEFAULTS = {
  namespace: 'metallb-system',
  metricsAddress: '0.0.0.0:7472',
  healthAddress: '0.0.0.0:17472',
  webhookAddress: '0.0.0.0:9443',
  leaseName: 'bmlb-controller',
  leaseDuration: 15,
  renewDeadline: 10,
  retryPeriod: 2,
  writeConcurrency: 32,
  webhookConfiguration: 'metallb-webhook-configuration',
  webhookSecret: 'metallb-webhook-cert',
  webhookService: 'metallb-webhook-service',
  certValidityDays: 365,
} as const;

export const USAGE = `usage: controller [flags]

Assigns addresses from the metallb.io IPAddressPools to Services of type LoadBalancer, with
MetalLB's rules; serves the validating webhook for the metallb.io kinds. Two or more replicas elect
a leader on a Lease; only the leader writes.

  --kubeconfig FILE        kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config,
                           then the Pod's ServiceAccount: kubectl's order)
  --namespace NS           namespace of the metallb.io objects, the Lease and the webhook Secret
                           (default $METALLB_NAMESPACE, else ${DEFAULTS.namespace})
  --lb-class CLASS         serve only Services with this spec.loadBalancerClass (default: only
                           Services without one)
  --metrics-address A:P    Prometheus /metrics (default ${DEFAULTS.metricsAddress}; "" disables)
  --health-address A:P     /healthz (alive) and /readyz (caches synced, holding or waiting for the
                           Lease) (default ${DEFAULTS.healthAddress}; "" disables)
  --webhook-address A:P    HTTPS validating webhook (default ${DEFAULTS.webhookAddress}; "" disables
                           the webhook and its certificate management)
  --log-level LEVEL        trace, debug, info (default), warn, error
  --identity NAME          leader election identity (default $POD_NAME, else host name + random)
  --lease-name NAME        the Lease (default ${DEFAULTS.leaseName})
  --lease-duration S       Lease duration in seconds (default ${DEFAULTS.leaseDuration}): a standby takes over
                           this long (plus up to two retry periods) after the leader stops renewing
  --renew-deadline S       the leader stops writing when it could not renew for this long (default ${DEFAULTS.renewDeadline})
  --retry-period S         how often candidates try and the leader renews (default ${DEFAULTS.retryPeriod})
  --write-concurrency N    API writes in flight at once (default ${DEFAULTS.writeConcurrency})
  --webhook-configuration NAME
                           ValidatingWebhookConfiguration whose caBundle the controller keeps
                           (default ${DEFAULTS.webhookConfiguration})
  --webhook-secret NAME    Secret holding the CA and serving certificate (default ${DEFAULTS.webhookSecret})
  --webhook-service NAME   Service the API server reaches the webhook through; the certificate is
                           for NAME.NS.svc (default ${DEFAULTS.webhookService})
  --webhook-url URL        the API server reaches the webhook at URL instead (tests, out-of-cluster
                           runs): the certificate is for its host
  --cert-validity-days N   serving certificate lifetime (default ${DEFAULTS.certValidityDays}; the CA's is 10×);
                           each is renewed when a third of it is left
  --help, -h               this text
  --version                print the version
`;

export class UsageError extends Error {}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

function seconds(name: string, v: string | undefined, dflt: number): number {
  const n = v === undefined ? dflt : Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number of seconds`);
  return Math.round(n * 1000);
}

function address(name: string, v: string | undefined, dflt: string): string | undefined {
  const a = v ?? dflt;
  if (a === '') return undefined;
  const i = a.lastIndexOf(':');
  const port = Number(a.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--${name}: expected HOST:PORT, got ${JSON.stringify(a)}`);
  return a;
}

export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Args {
  const options = {
    kubeconfig: { type: 'string' },
    namespace: { type: 'string' },
    'lb-class': { type: 'string' },
    'metrics-address': { type: 'string' },
    'health-address': { type: 'string' },
    'webhook-address': { type: 'string' },
    'log-level': { type: 'string' },
    identity: { type: 'string' },
    'lease-name': { type: 'string' },
    'lease-duration': { type: 'string' },
    'renew-deadline': { type: 'string' },
    'retry-period': { type: 'string' },
    'write-concurrency': { type: 'string' },
    'webhook-configuration': { type: 'string' },
    'webhook-secret': { type: 'string' },
    'webhook-service': { type: 'string' },
    'webhook-url': { type: 'string' },
    'cert-validity-days': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' },
  } as const;
  let v: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: false }>>['values'];
  try {
    v = parseArgs({ args: [...argv], options, allowPositionals: false, strict: true }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (v.help === true) return { command: 'help' };
  if (v.version === true) return { command: 'version' };
  const logLevel = v['log-level'] ?? 'info';
  if (!LEVELS.includes(logLevel)) throw new UsageError(`--log-level: unknown level '${logLevel}'`);
  const leaseDurationMs = seconds('lease-duration', v['lease-duration'], DEFAULTS.leaseDuration);
  const renewDeadlineMs = seconds('renew-deadline', v['renew-deadline'], DEFAULTS.renewDeadline);
  const retryPeriodMs = seconds('retry-period', v['retry-period'], DEFAULTS.retryPeriod);
  if (!(retryPeriodMs < renewDeadlineMs && renewDeadlineMs < leaseDurationMs))
    throw new UsageError('need --retry-period < --renew-deadline < --lease-duration');
  const wc = Number(v['write-concurrency'] ?? DEFAULTS.writeConcurrency);
  if (!Number.isInteger(wc) || wc < 1) throw new UsageError('--write-concurrency must be a whole number ≥ 1');
  const days = Number(v['cert-validity-days'] ?? DEFAULTS.certValidityDays);
  if (!Number.isFinite(days) || days <= 0) throw new UsageError('--cert-validity-days must be positive');
  const url = v['webhook-url'];
  if (url !== undefined) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new UsageError(`--webhook-url: not a URL: ${JSON.stringify(url)}`);
    }
    if (u.protocol !== 'https:') throw new UsageError('--webhook-url must be https://');
  }
  const namespace = v.namespace ?? (env.METALLB_NAMESPACE || DEFAULTS.namespace);
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace))
    throw new UsageError(`--namespace: invalid namespace ${JSON.stringify(namespace)}`);
  return {
    command: 'run',
    kubeconfig: v.kubeconfig,
    namespace,
    loadBalancerClass: v['lb-class'] || undefined,
    metricsAddress: address('metrics-address', v['metrics-address'], DEFAULTS.metricsAddress),
    healthAddress: address('health-address', v['health-address'], DEFAULTS.healthAddress),
    webhookAddress: address('webhook-address', v['webhook-address'], DEFAULTS.webhookAddress),
    logLevel,
    identity: v.identity ?? (env.POD_NAME || undefined),
    leaseName: v['lease-name'] ?? DEFAULTS.leaseName,
    leaseDurationMs,
    renewDeadlineMs,
    retryPeriodMs,
    writeConcurrency: wc,
    webhookConfiguration: v['webhook-configuration'] ?? DEFAULTS.webhookConfiguration,
    webhookSecret: v['webhook-secret'] ?? DEFAULTS.webhookSecret,
    webhookService: v['webhook-service'] ?? DEFAULTS.webhookService,
    webhookURL: url,
    certValidityDays: days,
  };
}

/** `host:port` → listen arguments (`[::]:7472` and `0.0.0.0:7472` both work). */
export function listenAddress(a: string): { host: string; port: number } {
  const i = a.lastIndexOf(':');
  const host = a.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host: host === '' ? '0.0.0.0' : host, port: Number(a.slice(i + 1)) };
}
