// Writes to the API server: Service status with optimistic concurrency (a 409 re-reads and retries,
// so a racing writer never makes us lose our update or overwrite theirs blindly), and server-side
// apply with a field manager of our own for annotations and our status kinds. Transient failures
// (unreachable, 429, 5xx) are retried with a capped backoff.
import type { LoadBalancerIngress, Service } from '@bmlb/metallb-api';
import { ApiError, type KubeClient } from './client.ts';
import { apiVersionOf, type KubeObject, objectPath, Resources, type ResourceType } from './resources.ts';

export interface LoadBalancerStatus {
  readonly ingress?: readonly LoadBalancerIngress[];
}

/** Decides the status from the Service as stored now; undefined = leave it as it is. */
export type StatusUpdate = (current: Service & KubeObject) => LoadBalancerStatus | undefined;

export interface ObjectWriter {
  /**
   * Sets a Service's `status.loadBalancer`. `update` is called with the current object (again after
   * each 409). Resolves with the Service as stored, or undefined when it no longer exists or
   * `update` left it unchanged.
   */
  updateServiceStatus(
    namespace: string,
    name: string,
    update: StatusUpdate,
  ): Promise<(Service & KubeObject) | undefined>;
  /**
   * Server-side apply of Service annotations owned by this field manager: the keys given are set,
   * keys it set before and omits now are removed; other managers' annotations are untouched.
   */
  applyServiceAnnotations(
    namespace: string,
    name: string,
    annotations: Readonly<Record<string, string>>,
  ): Promise<void>;
  /** Server-side apply of a whole object (our kinds), or of its status subresource. */
  apply(
    type: ResourceType,
    object: Record<string, unknown>,
    opts?: { subresource?: 'status' },
  ): Promise<KubeObject>;
  /** Deletes an object; a missing one is not an error. */
  delete(type: ResourceType, namespace: string | undefined, name: string): Promise<void>;
}

export interface WriterOptions {
  /** The field manager for server-side apply (e.g. `bmlb-controller`). */
  readonly fieldManager: string;
  /** Attempts for conflicts and transient failures (default 8). */
  readonly attempts?: number;
  /** First retry delay (default 100 ms), doubled up to 5 s. */
  readonly retryMs?: number;
  readonly random?: () => number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The API server defaults `ipMode` to `VIP` on an ingress with an `ip` (Kubernetes 1.30+); an entry
 * we write without it equals the stored one with it, or every resync would write again.
 */
function normalIngress(x: LoadBalancerIngress): string {
  const o = x as LoadBalancerIngress & { ports?: unknown };
  return JSON.stringify([o.ip ?? '', o.hostname ?? '', o.ipMode ?? (o.ip ? 'VIP' : ''), o.ports ?? []]);
}

export const sameIngress = (a: readonly LoadBalancerIngress[] = [], b: readonly LoadBalancerIngress[] = []) =>
  a.length === b.length && a.every((x, i) => normalIngress(x) === normalIngress(b[i] as LoadBalancerIngress));

export class KubeWriter implements ObjectWriter {
  readonly #client: KubeClient;
  readonly #opts: WriterOptions;
  readonly #random: () => number;

  constructor(client: KubeClient, opts: WriterOptions) {
    this.#client = client;
    this.#opts = opts;
    this.#random = opts.random ?? Math.random;
  }

  async #retrying<T>(what: string, fn: (attempt: number) => Promise<T>, retryConflicts: boolean): Promise<T> {
    const attempts = this.#opts.attempts ?? 8;
    let delay = this.#opts.retryMs ?? 100;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn(attempt);
      } catch (err) {
        const retry = err instanceof ApiError && (err.retriable || (retryConflicts && err.conflict));
        if (!retry || attempt >= attempts) {
          if (err instanceof Error && attempt > 1) err.message += ` (${what}, after ${attempt} attempts)`;
          throw err;
        }
        // A conflict is retried at once with the fresh object; other failures back off.
        if (!(err as ApiError).conflict) {
          await sleep(Math.round(delay * (0.5 + this.#random() / 2)));
          delay = Math.min(5000, delay * 2);
        }
      }
    }
  }

  async updateServiceStatus(
    namespace: string,
    name: string,
    update: StatusUpdate,
  ): Promise<(Service & KubeObject) | undefined> {
    const path = objectPath(Resources.Service, namespace, name);
    return this.#retrying(
      `status of Service ${namespace}/${name}`,
      async () => {
        let current: Service & KubeObject;
        try {
          current = await this.#client.request('GET', path);
        } catch (err) {
          if (err instanceof ApiError && err.notFound) return undefined;
          throw err;
        }
        const want = update(current);
        if (want === undefined) return undefined;
        const have = current.status?.loadBalancer?.ingress;
        if (sameIngress(have, want.ingress)) return current;
        const body = {
          ...current,
          status: {
            ...(current.status ?? {}),
            loadBalancer: want.ingress?.length ? { ingress: want.ingress } : {},
          },
        };
        try {
          // PUT with the resourceVersion we read: the server refuses it (409) if anyone wrote since.
          return await this.#client.request<Service & KubeObject>('PUT', `${path}/status`, { body });
        } catch (err) {
          if (err instanceof ApiError && err.notFound) return undefined;
          throw err;
        }
      },
      true,
    );
  }

  async applyServiceAnnotations(
    namespace: string,
    name: string,
    annotations: Readonly<Record<string, string>>,
  ): Promise<void> {
    const body = { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, annotations } };
    await this.#retrying(
      `annotations of Service ${namespace}/${name}`,
      () =>
        this.#client.request('PATCH', objectPath(Resources.Service, namespace, name), {
          body,
          contentType: 'application/apply-patch+yaml',
          query: { fieldManager: this.#opts.fieldManager, force: true },
        }),
      false,
    );
  }

  async apply(
    type: ResourceType,
    object: Record<string, unknown>,
    opts: { subresource?: 'status' } = {},
  ): Promise<KubeObject> {
    const md = object.metadata as { name: string; namespace?: string };
    const body = { apiVersion: apiVersionOf(type), kind: type.kind, ...object };
    const path = objectPath(type, md.namespace, md.name) + (opts.subresource ? `/${opts.subresource}` : '');
    return this.#retrying(
      `apply ${type.kind} ${md.namespace ? `${md.namespace}/` : ''}${md.name}`,
      () =>
        this.#client.request<KubeObject>('PATCH', path, {
          body,
          contentType: 'application/apply-patch+yaml',
          query: { fieldManager: this.#opts.fieldManager, force: true },
        }),
      false,
    );
  }

  async delete(type: ResourceType, namespace: string | undefined, name: string): Promise<void> {
    await this.#retrying(
      `delete ${type.kind} ${namespace ? `${namespace}/` : ''}${name}`,
      async () => {
        try {
          await this.#client.request('DELETE', objectPath(type, namespace, name));
        } catch (err) {
          if (err instanceof ApiError && err.notFound) return;
          throw err;
        }
      },
      false,
    );
  }
}
