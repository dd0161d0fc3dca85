// Command line: `speaker --node-name NAME [...]` runs the daemon from the cluster (Kubernetes mode),
// `speaker --config FILE --node-name NAME [...]` from a file; `speaker status` asks a running daemon
// and prints its sessions.
import { parseArgs } from 'node:util';

const DEFAULT_STATUS_SOCKET = '/run/bmlb-speaker.sock';

export interface DaemonArgs {
  readonly command: 'run';
  /** The file source; undefined in Kubernetes mode. */
  readonly config: string | undefined;
  /** Kubernetes mode: --kubeconfig FILE (else KUBECONFIG, ~/.kube/config, in-cluster: kubectl's order). */
  readonly kubeconfig: string | undefined;
  /** Kubernetes mode: the namespace of the metallb.io objects (default metallb-system). */
  readonly namespace: string;
  readonly nodeName: string;
  readonly metricsAddress: string | undefined;
  readonly statusAddress: string | undefined;
  readonly statusSocket: string | undefined;
  readonly logLevel: string;
  readonly loadBalancerClass: string | undefined;
  readonly debounceMs: number;
  /**
   * An edit removing every peer, pool, advertisement, Service or EndpointSlice, or cutting FILE short
   * to a beginning of the running content, applies after FILE kept it this long.
   */
  readonly removalHoldMs: number;
  /** After FILE was seen mid-rewrite, an edit applies once FILE kept it unchanged this long. */
  readonly rewriteSettleMs: number;
}

interface StatusArgs {
  readonly command: 'status';
  readonly statusAddress: string | undefined;
  readonly statusSocket: string | undefined;
  readonly json: boolean;
}

export type Args = DaemonArgs | StatusArgs | { readonly command: 'help' };

export const USAGE = `usage:
  speaker --node-name NAME [--kubeconfig FILE] [--namespace NS] [--metrics-address ADDR:PORT]
          [--status-socket PATH | --status-address ADDR:PORT] [--log-level LEVEL] [--lb-class CLASS]
  speaker --config FILE --node-name NAME [--metrics-address ADDR:PORT]
          [--status-socket PATH | --status-address ADDR:PORT] [--log-level LEVEL]
          [--lb-class CLASS] [--debounce-ms MS] [--removal-hold-ms MS] [--rewrite-settle-ms MS]
  speaker status [--status-socket PATH | --status-address ADDR:PORT] [--json]

  Without --config the speaker runs in Kubernetes mode: it watches its Node, Services, EndpointSlices,
  the metallb.io kinds and Secrets in NS, and writes ServiceBGPStatus and BGPSessionState objects.

  --kubeconfig FILE     Kubernetes mode: the API server's kubeconfig (default: $KUBECONFIG, else
                        ~/.kube/config, else the Pod's ServiceAccount: kubectl's order)
  --namespace NS        Kubernetes mode: namespace of the metallb.io objects (default metallb-system)
  --config FILE         file mode: multi-document YAML: metallb.io kinds, v1 Services, EndpointSlices,
                        Nodes; edits apply live; an invalid edit is reported and the last valid one
                        keeps running
  --node-name NAME      this node's name (as in Nodes and EndpointSlice nodeName); default $NODE_NAME
  --metrics-address     Prometheus /metrics (and /status) on ADDR:PORT, e.g. 0.0.0.0:7472
  --status-socket PATH  status endpoint on a Unix socket (default ${DEFAULT_STATUS_SOCKET})
  --status-address      status endpoint on ADDR:PORT instead
  --log-level LEVEL     trace, debug, info (default), warn, error
  --lb-class CLASS      announce only Services with this spec.loadBalancerClass
  --removal-hold-ms MS  an edit removing every peer, pool, advertisement, Service or EndpointSlice
                        of the running configuration, or cutting FILE short to a beginning of it,
                        applies only if FILE still holds it MS later (default 10000; 0: at once).
                        A FILE with no documents is never applied.
  --rewrite-settle-ms MS  after FILE was seen empty, written to while read or cut short, an edit
                        applies once FILE kept it unchanged for MS (default 1000)
`;

export class UsageError extends Error {}

export function parseCli(argv: readonly string[]): Args {
  const sub = argv[0] === 'status' ? 'status' : argv[0] === 'help' ? 'help' : 'run';
  const rest = sub === 'run' ? (argv[0] === 'run' ? argv.slice(1) : argv) : argv.slice(1);
  let parsed: ReturnType<
    typeof parseArgs<{ options: typeof options; allowPositionals: false; args: string[] }>
  >;
  const options = {
    config: { type: 'string' },
    kubeconfig: { type: 'string' },
    namespace: { type: 'string' },
    'node-name': { type: 'string' },
    'metrics-address': { type: 'string' },
    'status-address': { type: 'string' },
    'status-socket': { type: 'string' },
    'log-level': { type: 'string' },
    'lb-class': { type: 'string' },
    'debounce-ms': { type: 'string' },
    'removal-hold-ms': { type: 'string' },
    'rewrite-settle-ms': { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  } as const;
  try {
    parsed = parseArgs({ args: [...rest], options, allowPositionals: false, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help === true || sub === 'help') return { command: 'help' };
  if (v['status-address'] !== undefined && v['status-socket'] !== undefined)
    throw new UsageError('give --status-socket or --status-address, not both');
  if (sub === 'status')
    return {
      command: 'status',
      statusAddress: v['status-address'],
      statusSocket:
        v['status-address'] === undefined ? (v['status-socket'] ?? DEFAULT_STATUS_SOCKET) : undefined,
      json: v.json === true,
    };
  const config = v.config;
  if (config !== undefined && (v.kubeconfig !== undefined || v.namespace !== undefined))
    throw new UsageError(
      '--kubeconfig and --namespace are for Kubernetes mode: give them or --config FILE, not both',
    );
  const namespace = v.namespace ?? 'metallb-system';
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace) || namespace.length > 63)
    throw new UsageError(`--namespace: '${namespace}' is not a namespace name`);
  const nodeName = v['node-name'] ?? process.env.NODE_NAME;
  if (nodeName === undefined || nodeName === '')
    throw new UsageError('--node-name NAME is required (or $NODE_NAME)');
  const logLevel = v['log-level'] ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel))
    throw new UsageError(`--log-level: unknown level '${logLevel}'`);
  const debounce = Number(v['debounce-ms'] ?? '50');
  if (!Number.isInteger(debounce) || debounce < 0)
    throw new UsageError('--debounce-ms must be a whole number');
  const ms = (name: string, fallback: number) => {
    const v = Number(parsed.values[name as 'removal-hold-ms'] ?? fallback);
    if (!Number.isInteger(v) || v < 0)
      throw new UsageError(`--${name} must be a whole number of milliseconds`);
    return v;
  };
  const removalHoldMs = ms('removal-hold-ms', 10_000);
  const rewriteSettleMs = ms('rewrite-settle-ms', 1_000);
  return {
    command: 'run',
    config,
    kubeconfig: v.kubeconfig,
    namespace,
    nodeName,
    metricsAddress: v['metrics-address'],
    statusAddress: v['status-address'],
    statusSocket:
      v['status-address'] === undefined ? (v['status-socket'] ?? DEFAULT_STATUS_SOCKET) : undefined,
    logLevel,
    loadBalancerClass: v['lb-class'],
    debounceMs: debounce,
    removalHoldMs,
    rewriteSettleMs,
  };
}
