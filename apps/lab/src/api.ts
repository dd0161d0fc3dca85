// Many API requests at once, each timed: creating or deleting hundreds of Services with kubectl
// goes one request after another (seconds apart under load), so the lab stamps each Service's own
// creation (or deletion) with the moment the API server's answer arrived, over kept-alive
// connections verified against the control plane's CA.
import https from 'node:https';

/** Answers worth another try: rate-limited, or the API server (or its etcd) failed or timed out. */
const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);

export interface ApiAnswer {
  readonly status: number;
  readonly body: string;
  /** When the answer arrived (epoch ms): the object was created (deleted, …) before this. */
  readonly at: number;
}

export class Api {
  readonly #server: URL;
  readonly #token: string;
  readonly #agent: https.Agent;

  constructor(server: string, caPem: string, token: string, maxSockets = 16) {
    this.#server = new URL(server);
    this.#token = token;
    this.#agent = new https.Agent({ keepAlive: true, maxSockets, ca: caPem });
  }

  request(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    const data = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        new URL(path, this.#server),
        {
          method,
          agent: this.#agent,
          headers: {
            accept: 'application/json',
            authorization: `Bearer ${this.#token}`,
            ...(data === undefined ? {} : { 'content-type': 'application/json' }),
          },
          timeout: 60_000,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, at: Date.now() }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 60 s`)));
      req.on('error', reject);
      req.end(data);
    });
  }

  /**
   * `request`, tried again (at most `attempts` times, 1 s apart) while the API server answers 429 or
   * 5xx (an overloaded etcd answers a create with 504 "request did not complete within requested
   * timeout") or the connection fails. A create or delete whose answer was lost may still have
   * happened: the caller reads a 409 after a retried POST, or a 404 after a retried DELETE, as done.
   * `first` is when the first attempt was sent, `tries` how many were made.
   */
  async requestRetrying(
    method: string,
    path: string,
    body?: unknown,
    attempts = 6,
  ): Promise<ApiAnswer & { readonly first: number; readonly tries: number }> {
    const first = Date.now();
    for (let tries = 1; ; tries++) {
      const a = await this.request(method, path, body).catch((err: unknown) => {
        if (tries >= attempts) throw err;
        return undefined;
      });
      if (a !== undefined && (!RETRY_STATUS.has(a.status) || tries >= attempts))
        return { ...a, first, tries };
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** Runs `fn` over `items`, at most `concurrency` at a time, results in order. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T, i);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}
