import https from 'node:https';

export interface ApiRequestOptions {
  method?: string;
  /** JSON-serialised unless a string. */
  body?: unknown;
  /** Bearer token (default: the control plane's admin token). */
  token?: string;
  headers?: Record<string, string>;
  /** Give up after this many ms (default 30 s): the request is aborted and the promise rejects. */
  timeoutMs?: number;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One HTTPS request that verifies the server's certificate against `ca` (and only it), reading the
 * whole response (a watch must end by itself, e.g. with its ERROR event, or time out).
 */
export function httpsRequest(url: string, ca: string, opts: ApiRequestOptions = {}): Promise<ApiResponse> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const body =
    opts.body === undefined
      ? undefined
      : typeof opts.body === 'string'
        ? opts.body
        : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: opts.method ?? 'GET',
        ca,
        agent: false,
        headers: {
          accept: 'application/json',
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (data += d));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data });
        });
        res.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      },
    );
    const timer = setTimeout(
      () => req.destroy(new Error(`${opts.method ?? 'GET'} ${url}: no complete answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}
