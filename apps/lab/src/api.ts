// Many API requests at once, each timed: creating or deleting hundreds of Services with kubectl
// goes one request after another (seconds apart under load), so the lab stamps each Service's own
// creation (or deletion) with the moment the API server's answer arrived, over kept-alive
// connections verified against the control plane's CA.
import https from 'node:https';

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
