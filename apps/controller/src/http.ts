// The plain HTTP endpoints: /metrics (Prometheus), /healthz (the process answers) and /readyz
// (caches synced, and holding or waiting for the Lease). One server per address; metrics and
// health on the same address share one.
import type { Server } from 'node:http';
import { listenAddress } from './cli.ts';
import type { ControllerMetrics } from './metrics.ts';

// node:http through process.getBuiltinModule, not an ES import: importing node:http as an ES module
// reads each of its exports, and its lazy WebSocket getters then load Node's fetch implementation
// (undici): about 2.4 MB of heap and 10 MB of RSS that the controller never uses.
const http = process.getBuiltinModule('node:http');

export interface Endpoints {
  readonly metrics?: ControllerMetrics | undefined;
  /** Undefined when ready, else why not (the /readyz body). */
  readonly notReady?: (() => string | undefined) | undefined;
  /** JSON for /status. */
  readonly status?: (() => unknown) | undefined;
}

export async function serveHttp(address: string, ep: Endpoints): Promise<Server> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (url === '/metrics' && ep.metrics !== undefined) {
      ep.metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': ep.metrics!.registry.contentType });
          res.end(text);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`${String(err)}\n`);
        },
      );
      return;
    }
    if (url === '/healthz' || url === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    }
    if (url === '/readyz' && ep.notReady !== undefined) {
      const why = ep.notReady();
      res.writeHead(why === undefined ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(why === undefined ? 'ok\n' : `${why}\n`);
      return;
    }
    if (url === '/status' && ep.status !== undefined) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(ep.status(), null, 2)}\n`);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /metrics, /healthz, /readyz or /status\n');
  });
  const { host, port } = listenAddress(address);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
