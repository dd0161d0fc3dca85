// Live state in the API: the speaker publishes, for its node,
// - one metallb.io ServiceBGPStatus per Service it announces (node, service, the peers its IPs are
//   configured to go to), as MetalLB 0.15's speaker does (labels metallb.io/node,
//   metallb.io/service-name, metallb.io/service-namespace);
// - one bmlb.io BGPSessionState per BGP peer: state, since when, prefixes sent and received, the last
//   error, BFD state and diagnostic.
// Writes are coalesced: the speaker's status is read every `intervalMs` (and soon after `poke()`),
// and only objects whose content changed are written (server-side apply of their status), so a
// keepalive or a BFD packet never causes a write. Objects this node no longer wants are deleted;
// every object has its Node as owner, so Kubernetes' garbage collector removes those of a Node that
// is deleted while its speaker is gone.
import { createHash } from 'node:crypto';
import { ApiError, type ClusterPort, type KubeObject, Resources, type Store } from '@bmlb/k8s-adapter';
import {
  LABEL_NODE,
  LABEL_SERVICE_NAME,
  LABEL_SERVICE_NAMESPACE,
  LABEL_SESSION_NODE,
  LABEL_SESSION_PEER,
} from '@bmlb/metallb-api';
import type { ServiceVerdict } from './announce/types.ts';
import { projectOwnStatus } from './config/projection.ts';
import type { SpeakerStatus } from './speaker/speaker.ts';

interface NodeRef {
  readonly name: string;
  readonly uid: string;
}

export interface DesiredStatus {
  readonly kind: 'ServiceBGPStatus' | 'BGPSessionState';
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly status: Readonly<Record<string, unknown>>;
}

const shortHash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 10);

/** A DNS-1123 subdomain from `base`, hashed when too long. */
function objectName(base: string): string {
  const clean = base.toLowerCase().replace(/[^a-z0-9.-]/g, '-');
  return clean.length <= 253 ? clean : `${clean.slice(0, 241)}-${shortHash(base)}`;
}

/** The speaker reports BFD states in FRR's words; the API has RFC 5880's. */
const BFD_STATE: Readonly<Record<string, string>> = {
  up: 'Up',
  down: 'Down',
  init: 'Init',
  shutdown: 'AdminDown',
};

const iso = (ms: number | undefined) =>
  ms === undefined || ms <= 0 ? undefined : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The ServiceBGPStatus of a verdict (a Service this node announces). */
function serviceStatus(v: ServiceVerdict, node: string): DesiredStatus {
  const slash = v.service.indexOf('/');
  const svcNs = v.service.slice(0, slash);
  const svcName = v.service.slice(slash + 1);
  return {
    kind: 'ServiceBGPStatus',
    name: `bgp-${shortHash(`${node}\u0000${svcNs}\u0000${svcName}`)}`,
    labels: { [LABEL_NODE]: node, [LABEL_SERVICE_NAME]: svcName, [LABEL_SERVICE_NAMESPACE]: svcNs },
    status: { node, serviceName: svcName, serviceNamespace: svcNs, peers: [...v.peers].sort() },
  };
}

/** An object's key (`kind/name`) and a digest of the content written (its labels and status). */
interface WriteForm {
  readonly name: string;
  readonly key: string;
  readonly digest: string;
}

function writeForm(d: DesiredStatus): WriteForm {
  const digest = createHash('sha256')
    .update(JSON.stringify([d.labels, d.status]))
    .digest('base64url');
  return { name: d.name, key: `${d.kind}/${d.name}`, digest };
}

/**
 * The write form of each verdict's ServiceBGPStatus, kept while the verdict object lives: the
 * speaker keeps the verdict of a Service that did not change, so each status pass hashes only the
 * new ones. Only the key and a digest are kept, not the object: with 10,000 Services the objects and
 * their JSON held about 1 kB of heap each; the object is built again from the verdict to write it.
 */
const serviceForms = new WeakMap<ServiceVerdict, WriteForm & { readonly node: string }>();

function serviceForm(v: ServiceVerdict, node: string): WriteForm {
  const c = serviceForms.get(v);
  if (c !== undefined && c.node === node) return c;
  const f = { node, ...writeForm(serviceStatus(v, node)) };
  serviceForms.set(v, f);
  return f;
}

/** The verdicts whose Service this node announces: each has a ServiceBGPStatus. */
function announcedVerdicts(st: SpeakerStatus): ServiceVerdict[] {
  return st.services.filter((v) => v.reason === '' && v.announcements.length > 0);
}

/** What this node's status objects should say, from the speaker's status. */
export function desiredStatuses(st: SpeakerStatus, namespace: string): DesiredStatus[] {
  return [...announcedVerdicts(st).map((v) => serviceStatus(v, st.node)), ...sessionStatuses(st, namespace)];
}

/** The BGPSessionState of each BGP peer. */
function sessionStatuses(st: SpeakerStatus, namespace: string): DesiredStatus[] {
  const out: DesiredStatus[] = [];
  const node = st.node;
  // A BFD session is named by its discriminator; it belongs to the BGP peer with its address.
  const bfdByAddress = new Map(st.bfd.map((b) => [b.peer, b]));
  for (const p of st.bgp) {
    const bfd = p.bfd === undefined ? undefined : bfdByAddress.get(p.address);
    out.push({
      kind: 'BGPSessionState',
      name: objectName(`${node}-${p.name}`),
      labels: { [LABEL_SESSION_NODE]: node, [LABEL_SESSION_PEER]: p.name },
      status: stripUndefined({
        node,
        peer: `${namespace}/${p.name}`,
        peerAddress: p.address,
        localAddress: p.localAddress,
        myASN: p.myASN,
        peerASN: p.peerASN,
        bgpState: p.state,
        establishedSince: p.established ? iso(p.since) : undefined,
        lastTransition: iso(p.since),
        prefixesSent: p.prefixesSent,
        prefixesReceived: p.prefixesReceived,
        lastError: p.lastError,
        bfdState: p.bfd === undefined ? 'N/A' : (BFD_STATE[p.bfd] ?? 'Down'),
        bfdDiagnostic: bfd?.diag,
      }),
    });
  }
  return out;
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== '') r[k] = v;
  return r;
}

export interface StatusPublisherOptions {
  readonly cluster: ClusterPort;
  readonly namespace: string;
  readonly nodeName: string;
  /** The Node object (for ownerReferences), once known. */
  readonly node: () => NodeRef | undefined;
  readonly status: () => SpeakerStatus;
  /** How often the status is compared with what was written (default 2 s). */
  readonly intervalMs?: number;
  readonly onError?: (err: Error, what: string) => void;
}

export class StatusPublisher {
  readonly #o: StatusPublisherOptions;
  readonly #svcStore: Store<KubeObject>;
  readonly #sessionStore: Store<KubeObject>;
  /** `kind/name` → the digest of what was last written (writeForm). */
  readonly #written = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #soon: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;
  /** Writes made (for tests and metrics). */
  writes = 0;

  constructor(opts: StatusPublisherOptions) {
    this.#o = opts;
    // Watch this node's own objects: what a previous run left behind is found and cleaned up (their
    // names are all it reads of them).
    this.#svcStore = opts.cluster.watch(Resources.ServiceBGPStatus, {
      namespace: opts.namespace,
      labelSelector: `${LABEL_NODE}=${opts.nodeName}`,
      project: projectOwnStatus,
    });
    this.#sessionStore = opts.cluster.watch(Resources.BGPSessionState, {
      namespace: opts.namespace,
      labelSelector: `${LABEL_SESSION_NODE}=${opts.nodeName}`,
      project: projectOwnStatus,
    });
  }

  start(): void {
    this.#timer = setInterval(() => this.poke(0), this.#o.intervalMs ?? 2000);
    this.#timer.unref();
  }

  /** Compare and write soon (a session changed state, a configuration was applied). */
  poke(delayMs = 100): void {
    if (this.#closed || this.#soon !== undefined) return;
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      void this.sync();
    }, delayMs);
  }

  /** Writes what changed and deletes what is no longer wanted; one run at a time. */
  async sync(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.#syncOnce();
      } while (this.#again && !this.#closed);
    })().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #syncOnce(): Promise<void> {
    const node = this.#o.node();
    if (node === undefined || this.#closed) return; // ownerReferences need the Node's uid
    const st = this.#o.status();
    const wanted = new Set<string>();
    /** The names of the wanted ServiceBGPStatus objects (to compare with the store's without a key each). */
    const wantedServices = new Set<string>();
    for (const v of announcedVerdicts(st)) {
      const f = serviceForm(v, st.node);
      wanted.add(f.key);
      wantedServices.add(f.name);
      // Built again only when it is to be written.
      if (this.#written.get(f.key) !== f.digest) await this.#write(node, serviceStatus(v, st.node), f);
    }
    for (const d of sessionStatuses(st, this.#o.namespace)) {
      const f = writeForm(d);
      wanted.add(f.key);
      if (this.#written.get(f.key) !== f.digest) await this.#write(node, d, f);
    }
    const stale = new Set<string>();
    for (const k of this.#written.keys()) if (!wanted.has(k)) stale.add(k);
    for (const o of this.#svcStore.values())
      if (!wantedServices.has(o.metadata.name ?? '')) stale.add(`ServiceBGPStatus/${o.metadata.name}`);
    for (const o of this.#sessionStore.values())
      if (!wanted.has(`BGPSessionState/${o.metadata.name}`)) stale.add(`BGPSessionState/${o.metadata.name}`);
    for (const key of stale) {
      const [kind, name] = key.split('/') as [string, string];
      try {
        await this.#o.cluster.writer.delete(
          kind === 'ServiceBGPStatus' ? Resources.ServiceBGPStatus : Resources.BGPSessionState,
          this.#o.namespace,
          name,
        );
        this.#written.delete(key);
      } catch (err) {
        this.#o.onError?.(err as Error, `delete ${key}`);
      }
    }
  }

  /** Writes one object (its metadata, then its status) and records its digest as written. */
  async #write(node: NodeRef, d: DesiredStatus, { key, digest }: WriteForm): Promise<void> {
    const type = d.kind === 'ServiceBGPStatus' ? Resources.ServiceBGPStatus : Resources.BGPSessionState;
    try {
      await this.#o.cluster.writer.apply(type, {
        metadata: {
          name: d.name,
          namespace: this.#o.namespace,
          labels: d.labels,
          ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.name, uid: node.uid }],
        },
        spec: {},
      });
      await this.#o.cluster.writer.apply(
        type,
        { metadata: { name: d.name, namespace: this.#o.namespace }, status: d.status },
        { subresource: 'status' },
      );
      this.writes++;
      this.#written.set(key, digest);
    } catch (err) {
      // Refused as invalid (422): the same content would be refused again; wait for a change.
      if (err instanceof ApiError && err.status === 422) this.#written.set(key, digest);
      else this.#written.delete(key);
      this.#o.onError?.(err as Error, `write ${key}`);
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    if (this.#soon !== undefined) clearTimeout(this.#soon);
  }
}
