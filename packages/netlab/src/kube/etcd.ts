import http from 'node:http';

/**
 * The few etcd v3 calls the control plane needs, through etcd's JSON gateway (`/v3/...` on the
 * client URL, plain HTTP on loopback), so no etcdctl is needed. Revisions are decimal strings in
 * the JSON (int64).
 */
export class EtcdClient {
  readonly url: string;

  constructor(url: string) {
    this.url = url.replace(/\/$/, '');
  }

  async #post(path: string, body: unknown, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const text = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        `${this.url}${path}`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          timeout: timeoutMs,
          agent: false,
        },
        (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (data += d));
          res.on('end', () =>
            (res.statusCode ?? 0) >= 300
              ? reject(new Error(`etcd ${path}: HTTP ${res.statusCode}: ${data.slice(0, 500)}`))
              : resolve(data),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`etcd ${path}: no answer in ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
    return JSON.parse(text) as Record<string, unknown>;
  }

  /** `GET /health` answers `{"health":"true"}`. */
  async healthy(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = http.get(`${this.url}/health`, { timeout: 2_000, agent: false }, (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (data += d));
        res.on('end', () => resolve(res.statusCode === 200 && /"health"\s*:\s*"true"/.test(data)));
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
    });
  }

  /** Put a key; resolves with the store's revision after the put. */
  async put(key: string, value: string): Promise<number> {
    const res = await this.#post('/v3/kv/put', { key: b64(key), value: b64(value) });
    return revisionOf(res);
  }

  /** The store's current revision. */
  async revision(): Promise<number> {
    const res = await this.#post('/v3/kv/range', { key: b64('\0'), limit: 1 });
    return revisionOf(res);
  }

  /** Compact away every revision before `revision`; physical: returns once it is applied. */
  async compact(revision: number): Promise<void> {
    await this.#post('/v3/kv/compaction', { revision: String(revision), physical: true }, 60_000);
  }
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** The `header.revision` of an etcd gateway answer. */
export function revisionOf(res: Record<string, unknown>): number {
  const rev = Number((res.header as { revision?: string } | undefined)?.revision);
  if (!Number.isSafeInteger(rev) || rev <= 0) throw new Error(`etcd: no revision in ${JSON.stringify(res)}`);
  return rev;
}
