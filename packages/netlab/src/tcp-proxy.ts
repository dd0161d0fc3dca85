import net from 'node:net';

export interface TcpProxyOptions {
  /** Where connections go: `host:port`, `[v6]:port`, a URL (`https://127.0.0.1:6443`), or `{ host, port }`. */
  target: string | { host: string; port: number };
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** Listen port (default: a free one). */
  port?: number;
}

/**
 * How `cut()` breaks the path:
 * - `refuse`: every live connection is reset (RST both ways) and new connections are refused
 *   (nothing listens on the port: ECONNREFUSED), as when the far side is down.
 * - `blackhole`: nothing is forwarded either way and nothing is closed, as when packets are dropped
 *   on the way: live connections go silent, new ones are accepted but get no answer. `restore()`
 *   lets what was held through, in order (as TCP retransmission would after a partition heals);
 *   a client that gave up in between has closed its end by then.
 */
export type CutMode = 'refuse' | 'blackhole';

/** Parse a proxy target (see TcpProxyOptions.target). */
export function parseTarget(target: TcpProxyOptions['target']): { host: string; port: number } {
  if (typeof target !== 'string') return { host: target.host, port: target.port };
  let hostPort = target;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    const u = new URL(target);
    const port = u.port || ({ 'https:': '443', 'http:': '80' } as Record<string, string>)[u.protocol];
    hostPort = `${u.hostname}:${port ?? ''}`;
  }
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(hostPort);
  const port = Number(m?.[3]);
  const host = m?.[1] ?? m?.[2];
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new RangeError(`TcpProxy: bad target ${JSON.stringify(target)} (want host:port or a URL)`);
  return { host, port };
}

interface Conn {
  client: net.Socket;
  upstream: net.Socket | undefined;
}

/**
 * A TCP proxy on loopback for partition tests: give a client `127.0.0.1:<proxy.port>` instead of the
 * real address, then `cut()` and `restore()` the path while it runs. Each accepted connection gets
 * its own connection to the target; bytes are passed through unchanged (TLS included: the client
 * still verifies the real server's certificate, so it must cover the proxy's address too).
 */
export class TcpProxy {
  readonly host: string;
  readonly target: { host: string; port: number };
  #port: number;
  #server: net.Server | undefined;
  #conns = new Set<Conn>();
  #mode: CutMode | undefined;
  #closed = false;
  #accepted = 0;

  private constructor(host: string, port: number, target: { host: string; port: number }) {
    this.host = host;
    this.#port = port;
    this.target = target;
  }

  static async start(opts: TcpProxyOptions): Promise<TcpProxy> {
    const proxy = new TcpProxy(opts.host ?? '127.0.0.1', opts.port ?? 0, parseTarget(opts.target));
    await proxy.#listen();
    return proxy;
  }

  /** The port the proxy listens on (the same across cut/restore). */
  get port(): number {
    return this.#port;
  }
  /** `host:port` of the proxy (IPv6 in brackets). */
  get address(): string {
    return `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.#port}`;
  }
  /** Connections currently open through the proxy (held ones included). */
  get connections(): number {
    return this.#conns.size;
  }
  /** Connections accepted so far. */
  get accepted(): number {
    return this.#accepted;
  }
  /** undefined while the path is open, else how it was cut. */
  get cutMode(): CutMode | undefined {
    return this.#mode;
  }

  async #listen(): Promise<void> {
    const server = net.createServer({ noDelay: true }, (client) => this.#accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.host, port: this.#port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#port = (server.address() as net.AddressInfo).port;
    this.#server = server;
  }

  #accept(client: net.Socket): void {
    this.#accepted++;
    const conn: Conn = { client, upstream: undefined };
    this.#conns.add(conn);
    client.on('error', () => {});
    client.on('close', () => {
      this.#conns.delete(conn);
      conn.upstream?.destroy();
    });
    if (this.#mode === 'blackhole') client.pause();
    else this.#connectUpstream(conn);
  }

  #connectUpstream(conn: Conn): void {
    const { client } = conn;
    if (client.destroyed) return;
    const upstream = net.connect({ host: this.target.host, port: this.target.port, noDelay: true });
    conn.upstream = upstream;
    upstream.on('error', () => {});
    upstream.on('close', (hadError) => {
      if (hadError) client.resetAndDestroy();
      else client.end();
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    const pump = (from: net.Socket, to: net.Socket) => {
      from.on('data', (chunk: Buffer) => {
        if (!to.write(chunk)) from.pause();
      });
      to.on('drain', () => {
        if (this.#mode !== 'blackhole') from.resume();
      });
    };
    pump(client, upstream);
    pump(upstream, client);
    if (this.#mode === 'blackhole') {
      client.pause();
      upstream.pause();
    } else client.resume();
  }

  /** Break the path (see CutMode; default `refuse`). Cutting again changes the mode. */
  async cut(mode: CutMode = 'refuse'): Promise<void> {
    if (this.#closed) throw new Error('TcpProxy: closed');
    this.#mode = mode;
    if (mode === 'refuse') {
      for (const c of [...this.#conns]) {
        c.upstream?.resetAndDestroy();
        c.client.resetAndDestroy();
      }
      this.#conns.clear();
      await this.#stopListening();
    } else {
      if (!this.#server) await this.#listen();
      for (const c of this.#conns) {
        c.client.pause();
        c.upstream?.pause();
      }
    }
  }

  /** Open the path again: listen on the same port; held connections (blackhole) carry on. */
  async restore(): Promise<void> {
    if (this.#closed) throw new Error('TcpProxy: closed');
    const was = this.#mode;
    this.#mode = undefined;
    if (!this.#server) await this.#listen();
    if (was === 'blackhole') {
      for (const c of this.#conns) {
        if (c.upstream) {
          c.client.resume();
          c.upstream.resume();
        } else this.#connectUpstream(c);
      }
    }
  }

  async #stopListening(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Stop listening and close every connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of this.#conns) {
      c.upstream?.destroy();
      c.client.destroy();
    }
    this.#conns.clear();
    await this.#stopListening();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
