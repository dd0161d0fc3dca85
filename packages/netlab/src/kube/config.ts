// Pure pieces of the control plane's setup: kubeconfig files, the static token file, kwok Node
// manifests, the host address the apiserver advertises, Prometheus counters. Unit-tested.
import net from 'node:net';

/** A kubeconfig (JSON, which every kubeconfig reader takes as YAML) for one token user. */
export function kubeconfig(opts: {
  server: string;
  /** PEM of the CA that signed the server's certificate (embedded; clients verify against it). */
  caPem: string;
  token: string;
  /** User and context name (default `bmlb`). */
  user?: string;
  /** Default namespace of the context. */
  namespace?: string;
}): string {
  const user = opts.user ?? 'bmlb';
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'bmlb',
        cluster: {
          server: opts.server,
          'certificate-authority-data': Buffer.from(opts.caPem).toString('base64'),
        },
      },
    ],
    users: [{ name: user, user: { token: opts.token } }],
    contexts: [
      {
        name: user,
        context: { cluster: 'bmlb', user, ...(opts.namespace ? { namespace: opts.namespace } : {}) },
      },
    ],
    'current-context': user,
    preferences: {},
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

export interface StaticToken {
  token: string;
  user: string;
  uid: string;
  groups?: readonly string[];
}

/** The apiserver's `--token-auth-file`: CSV lines `token,user,uid,"group1,group2"`. */
export function tokenAuthFile(tokens: readonly StaticToken[]): string {
  const field = (what: string, s: string) => {
    if (/[",\n]/.test(s))
      throw new RangeError(`token file: ${what} ${JSON.stringify(s)} has , " or a newline`);
    return s;
  };
  return tokens
    .map((t) => {
      const groups = (t.groups ?? []).map((g) => field('group', g)).join(',');
      return `${field('token', t.token)},${field('user', t.user)},${field('uid', t.uid)}${groups ? `,"${groups}"` : ''}\n`;
    })
    .join('');
}

/** A fake Node for kwok (see KubeControlPlane.createNodes). */
export interface KwokNodeSpec {
  name: string;
  /** InternalIP address(es) in `status.addresses` (one per family for dual-stack). */
  internalIP: string | readonly string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Node taints (default none, so ordinary Pods schedule onto the fake nodes). */
  taints?: ReadonlyArray<{
    key: string;
    value?: string;
    effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  }>;
  /** `spec.podCIDR(s)`: kwok gives the node's Pods addresses from it (default: kwok's `--cidr`). */
  podCIDRs?: readonly string[];
}

/** The annotation kwok's `--manage-nodes-with-annotation-selector` selects. */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

/** The Node manifest for a kwok-managed fake node: annotated for kwok, addressed, with capacity. */
export function kwokNode(spec: KwokNodeSpec): Record<string, unknown> {
  const ips = typeof spec.internalIP === 'string' ? [spec.internalIP] : [...spec.internalIP];
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(spec.name) || spec.name.length > 253)
    throw new RangeError(`kwok node: ${JSON.stringify(spec.name)} is not a valid node name`);
  if (ips.length === 0) throw new RangeError(`kwok node ${spec.name}: needs an internalIP`);
  const capacity = { cpu: '32', memory: '256Gi', pods: '110', 'ephemeral-storage': '100Gi' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      annotations: {
        [KWOK_NODE_ANNOTATION]: 'fake',
        'node.alpha.kubernetes.io/ttl': '0',
        ...spec.annotations,
      },
      labels: {
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/os': 'linux',
        'kubernetes.io/hostname': spec.name,
        type: 'kwok',
        ...spec.labels,
      },
    },
    spec: {
      ...(spec.taints?.length ? { taints: spec.taints.map((t) => ({ ...t })) } : {}),
      ...(spec.podCIDRs?.length ? { podCIDR: spec.podCIDRs[0], podCIDRs: [...spec.podCIDRs] } : {}),
    },
    status: {
      addresses: [
        ...ips.map((address) => ({ type: 'InternalIP', address })),
        { type: 'Hostname', address: spec.name },
      ],
      allocatable: capacity,
      capacity,
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        kubeletVersion: 'fake',
        kubeProxyVersion: 'fake',
        containerRuntimeVersion: 'kwok',
        kernelVersion: '',
        osImage: '',
        machineID: '',
        systemUUID: '',
        bootID: '',
      },
      phase: 'Running',
    },
  };
}

/** Whether a Node object (as the API returns it) has condition Ready=True. */
export function nodeReady(node: unknown): boolean {
  const conditions = (node as { status?: { conditions?: Array<{ type?: string; status?: string }> } })?.status
    ?.conditions;
  return Boolean(conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
}

interface IpRoute {
  dst?: string;
  dev?: string;
  prefsrc?: string;
}
interface IpAddrInfo {
  family?: string;
  local?: string;
  scope?: string;
}
interface IpLink {
  ifname?: string;
  flags?: string[];
  addr_info?: IpAddrInfo[];
}

/**
 * The address kube-apiserver advertises (it refuses a loopback one): the IPv4 address of the
 * default route's interface, else the first global IPv4 address on an interface that is up, from
 * `ip -j -4 route show default` and `ip -j -4 addr show`. Undefined when there is none.
 */
export function pickHostAddress(
  defaultRoutes: readonly IpRoute[],
  links: readonly IpLink[],
): string | undefined {
  const global = (l: IpLink) =>
    (l.addr_info ?? [])
      .filter((a) => a.family === 'inet' && a.scope === 'global' && a.local)
      .map((a) => a.local!);
  for (const r of defaultRoutes) {
    if (r.prefsrc) return r.prefsrc;
    const link = links.find((l) => l.ifname === r.dev);
    const addr = link && global(link)[0];
    if (addr) return addr;
  }
  for (const l of links) {
    if (l.ifname === 'lo' || !(l.flags ?? []).includes('UP')) continue;
    const addr = global(l)[0];
    if (addr) return addr;
  }
  return undefined;
}

/**
 * The samples of one Prometheus counter or gauge in text exposition format, keyed by their label set
 * as written (`{group="",resource="pods"}`, or `` without labels).
 */
export function promSamples(text: string, metric: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const rest = line.slice(metric.length);
    const m = /^(\{.*\})?\s+(\S+)/.exec(rest);
    if (!m) continue;
    out.set(m[1] ?? '', Number(m[2]));
  }
  return out;
}

/** The first address of a service range (the `kubernetes` Service's ClusterIP); the first range if dual-stack. */
export function firstServiceIP(ranges: string): string {
  const [addr, bits] = (ranges.split(',')[0] ?? '').trim().split('/');
  if (!addr || !bits || net.isIP(addr) === 0)
    throw new RangeError(`bad service CIDR ${JSON.stringify(ranges)}`);
  if (net.isIPv4(addr)) {
    const n = addr.split('.').reduce((a, o) => a * 256 + Number(o), 0) + 1;
    return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
  }
  // IPv6, with the host bits zero as the apiserver wants them: the last group plus one.
  const [head = '', tail] = addr.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const full = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  full[7] = (Number.parseInt(full[7] ?? '0', 16) + 1).toString(16);
  return full.join(':');
}
