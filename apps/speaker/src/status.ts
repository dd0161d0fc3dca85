// The status and metrics endpoints of the running daemon (HTTP over TCP or a Unix socket), and the
// client side of `speaker status`, which asks the daemon and prints what a network engineer checks.
import { existsSync, unlinkSync } from 'node:fs';
import type { Server } from 'node:http';
import type { SpeakerMetrics } from './speaker/metrics.ts';
import type { SpeakerStatus } from './speaker/speaker.ts';

// node:http through process.getBuiltinModule, not an ES import: importing node:http as an ES module
// reads each of its exports, and its lazy WebSocket getters then load Node's fetch implementation
// (undici): about 2.4 MB of heap and 10 MB of RSS that the speaker never uses.
const http = process.getBuiltinModule('node:http');

export interface Endpoint {
  readonly socketPath?: string | undefined;
  readonly host?: string | undefined;
  readonly port?: number | undefined;
}

/** Parses `ADDR:PORT`, `[v6]:PORT` or `:PORT`. */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  if (m === null) throw new Error(`'${text}' is not ADDR:PORT`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`'${text}': port ${port} is out of range`);
  return { host: m[1] ?? (m[2] === '' ? '0.0.0.0' : (m[2] as string)), port };
}

export function serve(
  ep: Endpoint,
  handlers: {
    status: () => SpeakerStatus;
    metrics: SpeakerMetrics;
    refresh?: () => void;
    /** Readiness (`/readyz`): e.g. caches synced and a configuration applied. */
    ready?: () => boolean;
  },
): Promise<Server> {
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/metrics') {
      handlers.refresh?.();
      handlers.metrics.registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': handlers.metrics.registry.contentType });
          res.end(text);
        })
        .catch((err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        });
      return;
    }
    if (url === '/status' || url === '/status.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(handlers.status()));
      return;
    }
    if (url === '/healthz' || url === '/livez') {
      res.writeHead(200);
      res.end('ok\n');
      return;
    }
    if (url === '/readyz') {
      const ready = handlers.ready?.() ?? true;
      res.writeHead(ready ? 200 : 503);
      res.end(ready ? 'ok\n' : 'not ready: caches not synced or no configuration applied yet\n');
      return;
    }
    res.writeHead(404);
    res.end('not found: try /status or /metrics\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    if (ep.socketPath !== undefined) {
      if (existsSync(ep.socketPath)) unlinkSync(ep.socketPath); // a stale socket of a dead daemon
      server.listen(ep.socketPath, () => resolve(server));
    } else {
      server.listen(ep.port ?? 0, ep.host ?? '127.0.0.1', () => resolve(server));
    }
  });
}

export function fetchStatus(ep: Endpoint, timeoutMs = 3000): Promise<SpeakerStatus> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      ep.socketPath !== undefined
        ? { socketPath: ep.socketPath, path: '/status', timeout: timeoutMs }
        : { host: ep.host, port: ep.port, path: '/status', timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as SpeakerStatus);
          } catch (err) {
            reject(new Error(`the daemon answered with something that is not status JSON: ${String(err)}`));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => {
      const where = ep.socketPath ?? `${ep.host}:${ep.port}`;
      reject(new Error(`cannot reach the speaker at ${where}: ${err.message} (is it running?)`));
    });
  });
}

/** FRR's up/down column: hh:mm:ss under a day, then 1d02h03m, then weeks. */
export function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 86400) return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
  const d = Math.floor(s / 86400);
  if (d < 7) return `${d}d${pad(Math.floor(s / 3600) % 24)}h${pad(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(d / 7)}w${d % 7}d${pad(Math.floor(s / 3600) % 24)}h`;
}

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) for (const [i, c] of r.entries()) widths[i] = Math.max(widths[i] ?? 0, c.length);
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 2))).join(''))
    .join('\n');
}

export function renderStatus(st: SpeakerStatus, now = Date.now()): string {
  const out: string[] = [];
  const cfg = st.config;
  const cfgLine = cfg.loaded
    ? `configuration ${cfg.hash?.slice(0, 12) ?? ''} applied ${cfg.appliedAt === undefined ? '' : `${formatUptime(now - cfg.appliedAt)} ago`}`
    : 'no valid configuration loaded';
  out.push(
    `Speaker on node ${st.node}: ${cfgLine}${cfg.lastErrors.length > 0 ? ' (STALE: the latest edit was rejected)' : cfg.stale ? ' (STALE: the latest edit is not applied)' : ''}`,
  );
  const p = cfg.pending;
  if (p !== undefined) {
    const label = p.kind === 'empty' ? 'IGNORED' : p.kind === 'held' ? 'HELD' : 'SETTLING';
    const due = p.until === undefined ? '' : ` (applies in ${formatUptime(p.until - now)})`;
    out.push(`  ${label} since ${formatUptime(now - p.since)}${due}: ${p.reason}`);
  }
  for (const e of cfg.lastErrors) out.push(`  error: ${e}`);
  for (const w of cfg.warnings) out.push(`  warning: ${w}`);
  if (st.nodeReason !== '') out.push(`  this node announces nothing: ${st.nodeReason}`);
  out.push('', `BGP sessions: ${st.bgp.length}`);
  out.push(
    table([
      ['Neighbor', 'Name', 'AS', 'LocalAS', 'State', 'Up/Down', 'PfxSnt', 'PfxRcd', 'BFD', 'Last error'],
      ...st.bgp.map((b) => [
        b.address,
        b.name,
        String(b.peerASN ?? 'dynamic'),
        String(b.myASN),
        b.state,
        b.since === 0 ? 'never' : formatUptime(now - b.since),
        String(b.prefixesSent),
        String(b.prefixesReceived),
        b.bfd ?? '-',
        b.lastError ?? '',
      ]),
    ]),
  );
  out.push('', `BFD Peers: Session count: ${st.bfd.length}`);
  out.push(
    table([
      ['SessionId', 'LocalAddress', 'PeerAddress', 'Status', 'Uptime', 'Diagnostic', 'Profile'],
      ['=========', '============', '===========', '======', '======', '==========', '======='],
      ...st.bfd.map((b) => [
        b.name,
        b.local ?? '*',
        b.peer,
        b.state,
        b.since === 0 ? '-' : formatUptime(now - b.since),
        b.diag,
        b.profile,
      ]),
    ]),
  );
  const announced = st.services.filter((s) => s.reason === '');
  const notAnnounced = st.services.filter((s) => s.reason !== '');
  out.push('', `Services announced from this node: ${announced.length}`);
  for (const s of announced) {
    // Each IP goes only to the sessions of its family; when the IPs' peers differ (dual-stack), each
    // IP is listed with its own. (A daemon older than this client sends no per-IP list.)
    const per = s.announcements ?? [];
    const first = per[0];
    if (first === undefined || per.every((a) => sameList(a.peers, first.peers)))
      out.push(
        `  ${s.service}  ${s.ips.join(', ')}  pool ${s.pool ?? '-'}  → ${s.peers.join(', ') || 'no peer'}`,
      );
    else
      out.push(
        `  ${s.service}  ${per.map((a) => `${a.ip} → ${a.peers.join(', ') || `no ${a.ip.includes(':') ? 'IPv6' : 'IPv4'} peer`}`).join('; ')}  pool ${s.pool ?? '-'}`,
      );
  }
  if (notAnnounced.length > 0) {
    out.push(`Services not announced from this node: ${notAnnounced.length}`);
    for (const s of notAnnounced) out.push(`  ${s.service}  ${s.ips.join(', ') || '-'}  ${s.reason}`);
  }
  return `${out.join('\n')}\n`;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
