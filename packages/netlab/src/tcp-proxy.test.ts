import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseTarget, TcpProxy } from './tcp-proxy.ts';
import { waitFor } from './wait.ts';

describe('parseTarget', () => {
  it('takes host:port, [v6]:port, URLs and objects', () => {
    expect(parseTarget('127.0.0.1:6443')).toEqual({ host: '127.0.0.1', port: 6443 });
    expect(parseTarget('[::1]:6443')).toEqual({ host: '::1', port: 6443 });
    expect(parseTarget('https://127.0.0.1:34567')).toEqual({ host: '127.0.0.1', port: 34567 });
    expect(parseTarget('https://[::1]:8443/')).toEqual({ host: '::1', port: 8443 });
    expect(parseTarget('https://localhost')).toEqual({ host: 'localhost', port: 443 });
    expect(parseTarget({ host: 'h', port: 1 })).toEqual({ host: 'h', port: 1 });
  });
  it('rejects what is not an address', () => {
    for (const bad of ['127.0.0.1', ':80', 'h:0', 'h:65536', '::1:80', 'h:8o'])
      expect(() => parseTarget(bad), bad).toThrow(/bad target/);
  });
});

/** An echo server that counts its connections. */
async function echoServer() {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    sockets,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A client connection with what it received and how it ended. */
function client(port: number) {
  const sock = net.connect(port, '127.0.0.1');
  let data = '';
  sock.setEncoding('utf8').on('data', (d: string) => (data += d));
  const ended = new Promise<string>((resolve) => {
    sock.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    sock.on('close', () => resolve('closed'));
  });
  const connected = new Promise<void>((r) => sock.once('connect', () => r()));
  return { sock, connected, ended, received: () => data };
}

describe('TcpProxy', () => {
  let echo: Awaited<ReturnType<typeof echoServer>>;
  let proxy: TcpProxy;
  beforeEach(async () => {
    echo = await echoServer();
    proxy = await TcpProxy.start({ target: `127.0.0.1:${echo.port}` });
  });
  afterEach(async () => {
    await proxy.close();
    await echo.close();
  });

  it('passes bytes both ways', async () => {
    const c = client(proxy.port);
    await c.connected;
    c.sock.write('hello');
    await waitFor(() => c.received() === 'hello', { timeoutMs: 2_000 });
    expect(proxy.connections).toBe(1);
    expect(proxy.address).toBe(`127.0.0.1:${proxy.port}`);
    c.sock.end();
    expect(await c.ended).toBe('closed');
    await waitFor(() => proxy.connections === 0 && echo.sockets.size === 0, { timeoutMs: 2_000 });
  });

  it('cut() resets live connections and refuses new ones; restore() listens on the same port', async () => {
    const c = client(proxy.port);
    await c.connected;
    c.sock.write('x');
    await waitFor(() => c.received() === 'x', { timeoutMs: 2_000 });
    const port = proxy.port;
    await proxy.cut();
    expect(proxy.cutMode).toBe('refuse');
    expect(await c.ended).toBe('ECONNRESET');
    await waitFor(() => echo.sockets.size === 0, { timeoutMs: 2_000, what: 'upstream closed' });
    expect(await client(port).ended).toBe('ECONNREFUSED');
    await proxy.restore();
    expect(proxy.port).toBe(port);
    const again = client(port);
    await again.connected;
    again.sock.write('back');
    await waitFor(() => again.received() === 'back', { timeoutMs: 2_000 });
    again.sock.destroy();
  });

  it("cut('blackhole') holds live and new connections silently; restore() lets them through", async () => {
    const live = client(proxy.port);
    await live.connected;
    await proxy.cut('blackhole');
    live.sock.write('held');
    const fresh = client(proxy.port);
    await fresh.connected; // accepted: the port still answers SYNs
    fresh.sock.write('new');
    await new Promise((r) => setTimeout(r, 300));
    expect(live.received()).toBe('');
    expect(fresh.received()).toBe('');
    expect(echo.sockets.size).toBe(1); // the new one has not reached the target
    await proxy.restore();
    await waitFor(() => live.received() === 'held' && fresh.received() === 'new', {
      timeoutMs: 2_000,
      what: 'held bytes delivered',
    });
    expect(echo.sockets.size).toBe(2);
    expect(proxy.accepted).toBe(2);
    live.sock.destroy();
    fresh.sock.destroy();
  });

  it('a connection to a target that is down is closed at once', async () => {
    await echo.close();
    const c = client(proxy.port);
    expect(['ECONNRESET', 'closed']).toContain(await c.ended);
  });

  it('close() ends every connection and the listener', async () => {
    const c = client(proxy.port);
    await c.connected;
    const port = proxy.port;
    await proxy.close();
    expect(['closed', 'ECONNRESET']).toContain(await c.ended);
    expect(await client(port).ended).toBe('ECONNREFUSED');
    await expect(proxy.restore()).rejects.toThrow(/closed/);
  });
});
