// The one HTTP path to the API server. Authentication and TLS come from @kubernetes/client-node's
// KubeConfig (client certificates, bearer tokens that it re-reads, exec plugins, the cluster's CA:
// the server's certificate is always verified against it). Requests and watches exchange plain JSON:
// the apps keep thousands of objects, and client-node's typed models (class instances, Date fields)
// would cost memory and time for nothing.
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { type HttpMethod, type KubeConfig, RequestContext } from '@kubernetes/client-node';
import { fetch } from 'undici';

/** A `metav1.Status` the API server answered with, or a transport failure (status 0). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** HTTP status; 0 when the server could not be reached. */
  readonly status: number;
  /** The Status object's `reason` (`Conflict`, `NotFound`, `Expired`, `Forbidden`, …), if any. */
  readonly reason: string | undefined;
  /** The Status object as the server sent it, if any. */
  readonly body: unknown;
  /** HTTP method and path, for the message. */
  readonly request: string;

  constructor(
    request: string,
    status: number,
    message: string,
    reason?: string,
    body?: unknown,
    cause?: unknown,
  ) {
    super(`${request}: ${status === 0 ? 'unreachable' : status}${reason ? ` ${reason}` : ''}: ${message}`, {
      cause,
    });
    this.request = request;
    this.status = status;
    this.reason = reason;
    this.body = body;
  }

  /** 409: the object changed since it was read (or, on create, already exists). */
  get conflict(): boolean {
    return this.status === 409;
  }
  get notFound(): boolean {
    return this.status === 404;
  }
  /** 410 Gone / reason Expired: the resourceVersion is older than etcd keeps. */
  get gone(): boolean {
    return this.status === 410 || this.reason === 'Expired' || this.reason === 'Gone';
  }
  /** Worth retrying: transport failure, throttling, server errors, timeouts. */
  get retriable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500 || this.status === 408;
  }
}

export interface RequestOptions {
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** A JSON body; sent with `contentType` (default application/json). */
  readonly body?: unknown;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
  /** Give up after this long (default 30 s). */
  readonly timeoutMs?: number;
}

/** One line of a watch stream. */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: Record<string, unknown>;
}

export interface WatchOptions {
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly signal?: AbortSignal;
  /** Abort the watch when the server sends nothing for this long (default 5 min + 30 s: longer than any timeoutSeconds we ask for). */
  readonly idleTimeoutMs?: number;
}

function buildUrl(server: string, path: string, query?: RequestOptions['query']): URL {
  const url = new URL(server.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
  return url;
}

function statusOf(body: unknown): { message?: string; reason?: string; code?: number } {
  if (body !== null && typeof body === 'object' && (body as { kind?: unknown }).kind === 'Status') {
    const s = body as { message?: unknown; reason?: unknown; code?: unknown };
    return {
      message: typeof s.message === 'string' ? s.message : undefined,
      reason: typeof s.reason === 'string' ? s.reason : undefined,
      code: typeof s.code === 'number' ? s.code : undefined,
    };
  }
  return {};
}

/** The API server, reached through a KubeConfig's current context. */
export class KubeClient {
  readonly config: KubeConfig;
  readonly server: string;
  readonly userAgent: string;

  constructor(config: KubeConfig, userAgent = 'bmlb') {
    const cluster = config.getCurrentCluster();
    if (cluster === null) throw new Error('kubeconfig: no current cluster (check current-context)');
    this.config = config;
    this.server = cluster.server;
    this.userAgent = userAgent;
  }

  async #context(method: string, url: URL): Promise<RequestContext> {
    const ctx = new RequestContext(url.toString(), method as HttpMethod);
    await this.config.applySecurityAuthentication(ctx);
    ctx.setHeaderParam('User-Agent', this.userAgent);
    ctx.setHeaderParam('Accept', 'application/json');
    return ctx;
  }

  /** One request; resolves with the parsed JSON body of a 2xx answer, throws ApiError otherwise. */
  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    opts: RequestOptions = {},
  ): Promise<T> {
    const url = buildUrl(this.server, path, opts.query);
    const what = `${method} ${path}`;
    const ctx = await this.#context(method, url);
    const headers: Record<string, string> = { ...ctx.getHeaders() };
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['Content-Type'] = opts.contentType ?? 'application/json';
    }
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? 30_000);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let res: Awaited<ReturnType<typeof fetch>>;
    try {
      res = await fetch(url, { method, headers, body, dispatcher: ctx.getDispatcher(), signal });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      throw new ApiError(
        what,
        0,
        (err as Error).cause ? String((err as Error).cause) : String(err),
        undefined,
        undefined,
        err,
      );
    }
    const text = await res.text().catch(() => '');
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (res.status >= 200 && res.status < 300) return json as T;
    const st = statusOf(json);
    throw new ApiError(
      what,
      res.status,
      st.message ?? (text.slice(0, 300) || res.statusText),
      st.reason,
      json,
    );
  }

  /**
   * Opens a watch and calls `onEvent` for every line until the server closes it (resolves), the
   * signal aborts (resolves), or the connection fails (rejects with ApiError; an HTTP error status
   * such as 410 also rejects). A line that is not JSON is reported through `onEvent` as an ERROR
   * event carrying a Status with the parse failure, never dropped silently.
   */
  async watch(path: string, onEvent: (e: WatchEvent) => void, opts: WatchOptions = {}): Promise<void> {
    const url = buildUrl(this.server, path, { ...opts.query, watch: true });
    const what = `WATCH ${path}`;
    const ctx = await this.#context('GET', url);
    if (opts.signal?.aborted) return;
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const idleMs = opts.idleTimeoutMs ?? 330_000;
    let idle: NodeJS.Timeout | undefined;
    let idleFired = false;
    const touch = () => {
      if (idle !== undefined) clearTimeout(idle);
      idle = setTimeout(() => {
        idleFired = true;
        ac.abort();
      }, idleMs);
      idle.unref();
    };
    try {
      touch();
      let res: Awaited<ReturnType<typeof fetch>>;
      try {
        res = await fetch(url, {
          method: 'GET',
          headers: ctx.getHeaders(),
          dispatcher: ctx.getDispatcher(),
          signal: ac.signal,
        });
      } catch (err) {
        if (err instanceof ApiError) throw err;
        if (opts.signal?.aborted) return;
        throw new ApiError(
          what,
          0,
          idleFired ? 'no answer' : String((err as Error).cause ?? err),
          undefined,
          undefined,
          err,
        );
      }
      if (res.status !== 200) {
        const text = await res.text().catch(() => '');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        const st = statusOf(json);
        throw new ApiError(
          what,
          res.status,
          st.message ?? (text.slice(0, 300) || res.statusText),
          st.reason,
          json,
        );
      }
      if (res.body === null) return;
      const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
      body.on('data', touch);
      const lines = createInterface({ input: body, crlfDelay: Number.POSITIVE_INFINITY });
      try {
        for await (const line of lines) {
          if (line === '') continue;
          let ev: WatchEvent;
          try {
            ev = JSON.parse(line) as WatchEvent;
          } catch (err) {
            ev = {
              type: 'ERROR',
              object: {
                kind: 'Status',
                code: 500,
                reason: 'BadWatchLine',
                message: `${what}: unparsable line: ${(err as Error).message}`,
              },
            };
          }
          onEvent(ev);
        }
      } catch (err) {
        if (err instanceof ApiError) throw err;
        if (opts.signal?.aborted) return;
        throw new ApiError(
          what,
          0,
          idleFired ? `no data for ${idleMs} ms` : String(err),
          undefined,
          undefined,
          err,
        );
      } finally {
        body.destroy();
      }
      if (idleFired) throw new ApiError(what, 0, `no data for ${idleMs} ms`);
    } finally {
      if (idle !== undefined) clearTimeout(idle);
      opts.signal?.removeEventListener('abort', onAbort);
      ac.abort();
    }
  }
}
