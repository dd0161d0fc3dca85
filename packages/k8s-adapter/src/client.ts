// The one HTTP path to the API server, on node:https: TLS with the configured CA (the server's
// certificate is always verified), keep-alive connections, bearer tokens (re-read from a token file
// when it rotates, or from an exec credential plugin until they expire), client certificates.
// Requests and watches exchange plain JSON: the apps keep thousands of objects, and typed models
// would cost memory and time for nothing.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { Agent, IncomingMessage } from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import type { Credentials, ExecConfig, KubeConnection } from './config.ts';

// node:http through process.getBuiltinModule, not an ES import: importing node:http as an ES module
// reads each of its exports, and its lazy WebSocket getters then load Node's fetch implementation
// (undici): about 2.4 MB of heap and 10 MB of RSS that the apps never use.
const http = process.getBuiltinModule('node:http');

/** Idle keep-alive connections a client keeps to the API server (see KubeClient's agent). */
export const MAX_IDLE_CONNECTIONS = 4;

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

/** Bearer tokens from a kubeconfig's credentials, refreshed as they rotate or expire. */
class TokenSource {
  readonly #c: Credentials;
  #token: string | undefined;
  #mtime = -1;
  #expires = 0;
  #pending: Promise<string | undefined> | undefined;

  constructor(c: Credentials) {
    this.#c = c;
  }

  /** The token to send now (undefined: none). `refresh` forgets a cached one (after a 401). */
  async get(refresh = false): Promise<string | undefined> {
    const c = this.#c;
    if (c.kind === 'token') return c.token;
    if (c.kind === 'tokenFile') {
      const st = fs.statSync(c.file, { throwIfNoEntry: false });
      if (st === undefined) throw new ApiError('token', 0, `token file ${c.file} is missing`);
      if (refresh || st.mtimeMs !== this.#mtime || this.#token === undefined) {
        this.#token = fs.readFileSync(c.file, 'utf8').trim();
        this.#mtime = st.mtimeMs;
      }
      return this.#token;
    }
    if (c.kind === 'exec') {
      if (!refresh && this.#token !== undefined && Date.now() < this.#expires) return this.#token;
      this.#pending ??= runExec(c.exec).then(
        ({ token, expires }) => {
          this.#token = token;
          this.#expires = expires;
          this.#pending = undefined;
          return token;
        },
        (err: unknown) => {
          this.#pending = undefined;
          throw err;
        },
      );
      return this.#pending;
    }
    return undefined;
  }

  get refreshable(): boolean {
    return this.#c.kind === 'tokenFile' || this.#c.kind === 'exec';
  }
}

/** Runs an exec credential plugin (client.authentication.k8s.io) and reads its token. */
function runExec(e: ExecConfig): Promise<{ token: string; expires: number }> {
  const info = JSON.stringify({
    apiVersion: e.apiVersion,
    kind: 'ExecCredential',
    spec: { interactive: false },
  });
  const env: NodeJS.ProcessEnv = { ...process.env, KUBERNETES_EXEC_INFO: info };
  for (const v of e.env) env[v.name] = v.value;
  const command = e.command.includes('/') ? new URL(e.command, `file://${e.dir}/`).pathname : e.command;
  return new Promise((resolve, reject) => {
    execFile(command, [...e.args], { env, timeout: 60_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err)
        return reject(new ApiError('exec credential', 0, `${e.command}: ${err.message} ${stderr}`.trim()));
      try {
        const cred = JSON.parse(stdout) as { status?: { token?: string; expirationTimestamp?: string } };
        const token = cred.status?.token;
        if (!token)
          throw new Error('no status.token (client certificates from exec plugins are not supported)');
        const exp = cred.status?.expirationTimestamp
          ? Date.parse(cred.status.expirationTimestamp)
          : Number.NaN;
        resolve({ token, expires: Number.isNaN(exp) ? Number.POSITIVE_INFINITY : exp - 30_000 });
      } catch (err2) {
        reject(new ApiError('exec credential', 0, `${e.command}: ${(err2 as Error).message}`));
      }
    });
  });
}

/** The API server, reached through one KubeConnection. */
export class KubeClient {
  readonly connection: KubeConnection;
  readonly server: string;
  readonly userAgent: string;
  readonly #url: URL;
  readonly #agent: Agent;
  readonly #tokens: TokenSource;

  constructor(connection: KubeConnection, userAgent = 'bmlb') {
    this.connection = connection;
    this.server = connection.server;
    this.userAgent = userAgent;
    this.#url = new URL(connection.server);
    if (this.#url.protocol !== 'https:' && this.#url.protocol !== 'http:')
      throw new Error(`server ${connection.server}: only https (or http) URLs`);
    const c = connection.credentials;
    // Up to 64 requests at once (a burst of status writes), but only a few idle connections kept
    // open after it: each idle TLS connection holds OpenSSL's buffers and its socket's objects, and
    // a speaker that wrote 10,000 statuses otherwise kept 60 of them for as long as the API server
    // let them idle. The watches hold their own connections while they run.
    const pool = { keepAlive: true, maxSockets: 64, maxFreeSockets: MAX_IDLE_CONNECTIONS };
    this.#agent =
      this.#url.protocol === 'https:'
        ? new https.Agent({
            ...pool,
            ca: connection.ca,
            servername: connection.tlsServerName,
            cert: c.kind === 'clientCert' ? c.cert : undefined,
            key: c.kind === 'clientCert' ? c.key : undefined,
          })
        : new http.Agent(pool);
    this.#tokens = new TokenSource(c);
  }

  /** Closes idle connections (at shutdown). */
  close(): void {
    this.#agent.destroy();
  }

  #path(path: string, query?: RequestOptions['query']): string {
    const base = this.#url.pathname.replace(/\/+$/, '');
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) qs.set(k, String(v));
    const q = qs.toString();
    return `${base}${path}${q ? `?${q}` : ''}`;
  }

  /**
   * Sends one request; resolves with the response once its head arrived. A 401 with a token that
   * can be refreshed (token file, exec plugin) is retried once with a fresh one.
   */
  async #send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal | undefined,
    what: string,
  ): Promise<IncomingMessage> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.#tokens.get(attempt > 0);
      const res = await new Promise<IncomingMessage>((resolve, reject) => {
        const mod = this.#url.protocol === 'https:' ? https : http;
        const req = mod.request(
          {
            host: this.#url.hostname.replace(/^\[|\]$/g, ''),
            port: this.#url.port || (this.#url.protocol === 'https:' ? 443 : 80),
            method,
            path,
            agent: this.#agent,
            signal,
            headers: {
              'User-Agent': this.userAgent,
              Accept: 'application/json',
              ...(token ? { Authorization: `Bearer ${token}` } : {}),
              ...(body !== undefined ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}),
              ...headers,
            },
          },
          resolve,
        );
        req.on('error', (err) =>
          reject(signal?.aborted ? err : new ApiError(what, 0, err.message, undefined, undefined, err)),
        );
        req.end(body);
      });
      if (res.statusCode === 401 && attempt === 0 && this.#tokens.refreshable) {
        res.resume();
        continue;
      }
      return res;
    }
  }

  /** One request; resolves with the parsed JSON body of a 2xx answer, throws ApiError otherwise. */
  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    opts: RequestOptions = {},
  ): Promise<T> {
    const what = `${method} ${path}`;
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? 30_000);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let body: string | undefined;
    const headers: Record<string, string> = {};
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['Content-Type'] = opts.contentType ?? 'application/json';
    }
    let text: string;
    let status: number;
    try {
      const res = await this.#send(method, this.#path(path, opts.query), headers, body, signal, what);
      status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      text = '';
      for await (const chunk of res) text += chunk as string;
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      if (err instanceof ApiError) throw err;
      throw new ApiError(
        what,
        0,
        timeout.aborted ? `no answer in ${opts.timeoutMs ?? 30_000} ms` : String(err),
        undefined,
        undefined,
        err,
      );
    }
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (status >= 200 && status < 300) return json as T;
    const st = statusOf(json);
    throw new ApiError(
      what,
      status,
      st.message ?? (text.slice(0, 300) || http.STATUS_CODES[status] || 'error'),
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
    if (opts.signal?.aborted) return;
    const what = `WATCH ${path}`;
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
      let res: IncomingMessage;
      try {
        res = await this.#send(
          'GET',
          this.#path(path, { ...opts.query, watch: true }),
          {},
          undefined,
          ac.signal,
          what,
        );
      } catch (err) {
        if (opts.signal?.aborted) return;
        if (err instanceof ApiError) throw err;
        throw new ApiError(what, 0, idleFired ? 'no answer' : String(err), undefined, undefined, err);
      }
      if (res.statusCode !== 200) {
        let text = '';
        res.setEncoding('utf8');
        for await (const chunk of res) text += chunk as string;
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        const st = statusOf(json);
        throw new ApiError(
          what,
          res.statusCode ?? 0,
          st.message ?? (text.slice(0, 300) || 'error'),
          st.reason,
          json,
        );
      }
      res.on('data', touch);
      const lines = createInterface({ input: res, crlfDelay: Number.POSITIVE_INFINITY });
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
        res.destroy();
      }
      if (idleFired) throw new ApiError(what, 0, `no data for ${idleMs} ms`);
      // The server ended the response without an error line, but a dropped connection ends it too.
      if (!res.complete && !opts.signal?.aborted) throw new ApiError(what, 0, 'connection closed mid-stream');
    } finally {
      if (idle !== undefined) clearTimeout(idle);
      opts.signal?.removeEventListener('abort', onAbort);
      ac.abort();
    }
  }
}
