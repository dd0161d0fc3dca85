import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, KubeClient, MAX_IDLE_CONNECTIONS } from './client.ts';
import { KubeConfigError, type KubeConfigSource, loadKubeConfig } from './config.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'kcfg-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function kubeconfig(dir: string, name: string, body: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, body);
  return f;
}

const basic = (server: string, user = 'token: abc') => `apiVersion: v1
kind: Config
current-context: main
clusters:
- name: c1
  cluster:
    server: ${server}
    certificate-authority: ca.crt
    tls-server-name: kubernetes.default
users:
- name: u1
  user:
    ${user}
contexts:
- name: main
  context: { cluster: c1, user: u1, namespace: lb }
`;

describe('loadKubeConfig', () => {
  it('reads --kubeconfig: server, CA relative to the file, TLS server name, token, namespace', () => {
    const d = tmp();
    fs.writeFileSync(path.join(d, 'ca.crt'), CA);
    const f = kubeconfig(d, 'config', basic('https://10.1.2.3:6443/'));
    const r = loadKubeConfig({ kubeconfig: f, env: {} });
    expect(r.source).toBe('flag');
    expect(r.namespace).toBe('lb');
    expect(r.connection.server).toBe('https://10.1.2.3:6443');
    expect(r.connection.ca?.toString()).toBe(CA);
    expect(r.connection.tlsServerName).toBe('kubernetes.default');
    expect(r.connection.credentials).toEqual({ kind: 'token', token: 'abc' });
  });

  it('merges KUBECONFIG files as kubectl does: the first to define a name or current-context wins', () => {
    const d = tmp();
    fs.writeFileSync(path.join(d, 'ca.crt'), CA);
    const a = kubeconfig(d, 'a', basic('https://first:6443'));
    const b = kubeconfig(
      d,
      'b',
      `current-context: other
clusters: [{ name: c1, cluster: { server: "https://second:6443" } }, { name: c2, cluster: { server: "https://c2:6443", certificate-authority-data: ${Buffer.from(CA).toString('base64')} } }]
users: [{ name: u2, user: { client-certificate-data: ${Buffer.from('CERT').toString('base64')}, client-key-data: ${Buffer.from('KEY').toString('base64')} } }]
contexts: [{ name: other, context: { cluster: c2, user: u2 } }]
`,
    );
    const r = loadKubeConfig({ env: { KUBECONFIG: `${a}:${b}` } });
    expect(r.source).toBe('KUBECONFIG');
    expect(r.connection.server).toBe('https://first:6443');
    const other = loadKubeConfig({ env: { KUBECONFIG: `${a}:${b}` }, context: 'other' });
    expect(other.connection.server).toBe('https://c2:6443');
    expect(other.connection.credentials).toEqual({
      kind: 'clientCert',
      cert: Buffer.from('CERT'),
      key: Buffer.from('KEY'),
    });
  });

  const serviceAccount = () => {
    const sa = tmp();
    fs.writeFileSync(path.join(sa, 'token'), 'jwt');
    fs.writeFileSync(path.join(sa, 'ca.crt'), CA);
    fs.writeFileSync(path.join(sa, 'namespace'), 'metallb-system\n');
    return sa;
  };
  const podEnv = { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' };

  it('in a Pod: the ServiceAccount token file, CA and namespace', () => {
    const sa = serviceAccount();
    const r = loadKubeConfig({ env: { ...podEnv, HOME: tmp() }, serviceAccountDir: sa });
    expect(r).toMatchObject({ source: 'in-cluster', namespace: 'metallb-system' });
    expect(r.connection.server).toBe('https://[fd00::1]:443');
    expect(r.connection.ca?.toString()).toBe(CA);
    expect(r.connection.credentials).toEqual({ kind: 'tokenFile', file: path.join(sa, 'token') });
    // Both variables, as client-go requires; the CA must be readable.
    expect(() =>
      loadKubeConfig({
        env: { KUBERNETES_SERVICE_HOST: 'fd00::1', HOME: tmp() },
        serviceAccountDir: sa,
      }),
    ).toThrow(/not a Pod with a ServiceAccount/);
    fs.rmSync(path.join(sa, 'ca.crt'));
    expect(() => loadKubeConfig({ env: { ...podEnv, HOME: tmp() }, serviceAccountDir: sa })).toThrow(
      /in-cluster: the ServiceAccount's CA .*ca\.crt/,
    );
  });

  it("kubectl's order: --kubeconfig, KUBECONFIG, ~/.kube/config, and the ServiceAccount only when they configure nothing", () => {
    const sa = serviceAccount();
    const home = tmp();
    fs.mkdirSync(path.join(home, '.kube'));
    fs.writeFileSync(path.join(home, '.kube', 'ca.crt'), CA);
    kubeconfig(path.join(home, '.kube'), 'config', basic('https://home:6443'));
    const d = tmp();
    fs.writeFileSync(path.join(d, 'ca.crt'), CA);
    const env = kubeconfig(d, 'env', basic('https://env:6443'));
    const flag = kubeconfig(d, 'flag', basic('https://flag:6443'));
    const server = (src: KubeConfigSource) => {
      const r = loadKubeConfig({ serviceAccountDir: sa, ...src });
      return `${r.source} ${r.connection.server}`;
    };
    // A present ~/.kube/config wins over the Pod's ServiceAccount (controller-runtime's order would
    // take the ServiceAccount here).
    expect(server({ env: { ...podEnv, HOME: home } })).toBe('home https://home:6443');
    expect(server({ env: { ...podEnv, HOME: home, KUBECONFIG: env } })).toBe('KUBECONFIG https://env:6443');
    expect(server({ kubeconfig: flag, env: { ...podEnv, HOME: home, KUBECONFIG: env } })).toBe(
      'flag https://flag:6443',
    );
    // KUBECONFIG replaces ~/.kube/config: files it lists that do not exist are skipped, and when none
    // does, the ServiceAccount is used, not ~/.kube/config.
    const absent = path.join(d, 'absent');
    expect(server({ env: { ...podEnv, HOME: home, KUBECONFIG: `${absent}:${env}` } })).toBe(
      'KUBECONFIG https://env:6443',
    );
    expect(server({ env: { ...podEnv, HOME: home, KUBECONFIG: absent } })).toBe(
      'in-cluster https://[fd00::1]:443',
    );
    expect(() => server({ env: { HOME: home, KUBECONFIG: absent } })).toThrow(
      /KUBECONFIG=.*absent: none of its files exists, and this is not a Pod with a ServiceAccount/,
    );
    // An empty file configures nothing: the ServiceAccount (kubectl's empty-config fallback).
    const empty = kubeconfig(d, 'empty', '');
    expect(server({ kubeconfig: empty, env: { ...podEnv, HOME: home } })).toBe(
      'in-cluster https://[fd00::1]:443',
    );
    expect(() => server({ kubeconfig: empty, env: { HOME: home } })).toThrow(
      /--kubeconfig .*empty configures nothing, and this is not a Pod/,
    );
    // One that configures something but not enough is an error, not a fallback.
    const noContext = kubeconfig(
      d,
      'nocontext',
      'clusters: [{ name: c, cluster: { server: "https://x:6443" } }]\n',
    );
    expect(() => server({ kubeconfig: noContext, env: { ...podEnv, HOME: home } })).toThrow(
      /no current-context/,
    );
  });

  it('refuses what it does not do, saying what and where', () => {
    const d = tmp();
    fs.writeFileSync(path.join(d, 'ca.crt'), CA);
    const insecure = kubeconfig(
      d,
      'i',
      basic('https://x:6443').replace(
        'tls-server-name: kubernetes.default',
        'insecure-skip-tls-verify: true',
      ),
    );
    expect(() => loadKubeConfig({ kubeconfig: insecure, env: {} })).toThrow(
      /cluster c1: insecure-skip-tls-verify is not supported/,
    );
    const oidc = kubeconfig(d, 'o', basic('https://x:6443', 'auth-provider: { name: oidc }'));
    expect(() => loadKubeConfig({ kubeconfig: oidc, env: {} })).toThrow(KubeConfigError);
    expect(() => loadKubeConfig({ kubeconfig: oidc, env: {} })).toThrow(
      /user u1: auth-provider is not supported/,
    );
    const missing = kubeconfig(d, 'm', basic('https://x:6443').replace('cluster: c1,', 'cluster: nope,'));
    expect(() => loadKubeConfig({ kubeconfig: missing, env: {} })).toThrow(
      /names cluster "nope", which is not defined/,
    );
    expect(() => loadKubeConfig({ kubeconfig: path.join(d, 'absent'), env: {} })).toThrow(/no such file/);
    expect(() => loadKubeConfig({ env: { HOME: d } })).toThrow(/no Kubernetes configuration/);
  });
});

describe('KubeClient credentials', () => {
  async function server(handler: http.RequestListener) {
    const s = http.createServer(handler);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as { port: number }).port;
    return { url: `http://127.0.0.1:${port}`, server: s, close: () => new Promise((r) => s.close(r)) };
  }

  it('re-reads a rotated token file, and retries a 401 once with a fresh token', async () => {
    const d = tmp();
    const tokenFile = path.join(d, 'token');
    fs.writeFileSync(tokenFile, 'old');
    const seen: string[] = [];
    let valid = 'old';
    const srv = await server((req, res) => {
      seen.push(String(req.headers.authorization));
      const ok = req.headers.authorization === `Bearer ${valid}`;
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(ok ? '{"kind":"Namespace"}' : '{"kind":"Status","reason":"Unauthorized","message":"no"}');
    });
    try {
      const c = new KubeClient({
        server: srv.url,
        ca: undefined,
        tlsServerName: undefined,
        credentials: { kind: 'tokenFile', file: tokenFile },
      });
      expect(await c.request('GET', '/api/v1/namespaces/default')).toEqual({ kind: 'Namespace' });
      // The kubelet rotates the projected token; the server stops accepting the old one.
      fs.writeFileSync(tokenFile, 'new');
      const t = new Date(Date.now() + 5000);
      fs.utimesSync(tokenFile, t, t);
      valid = 'new';
      expect(await c.request('GET', '/api/v1/namespaces/default')).toEqual({ kind: 'Namespace' });
      expect(seen).toEqual(['Bearer old', 'Bearer new']);
      valid = 'other';
      const err = await c.request('GET', '/x').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).status).toBe(401);
      expect(seen.length).toBe(4); // the 401 was retried once with a re-read token
      c.close();
    } finally {
      await srv.close();
    }
  });

  it('keeps at most MAX_IDLE_CONNECTIONS connections open after a burst of requests', async () => {
    let open = 0;
    let opened = 0;
    let waiting: (() => void)[] | undefined = [];
    const srv = await server((_req, res) => {
      const answer = () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"kind":"Namespace"}');
      };
      // The first 20 are answered when all have arrived: 20 connections at once.
      if (waiting === undefined) return answer();
      waiting.push(answer);
      if (waiting.length === 20) {
        for (const w of waiting) w();
        waiting = undefined;
      }
    });
    const s = srv.server;
    s.on('connection', (sock) => {
      open++;
      opened++;
      sock.on('close', () => open--);
    });
    const c = new KubeClient({
      server: srv.url,
      ca: undefined,
      tlsServerName: undefined,
      credentials: { kind: 'none' },
    });
    try {
      const all = await Promise.all(
        Array.from({ length: 20 }, () => c.request('GET', '/api/v1/namespaces/x')),
      );
      expect(all).toHaveLength(20);
      expect(opened).toBe(20);
      // The client closes the connections past MAX_IDLE_CONNECTIONS as they go idle.
      await vi.waitUntil(() => open === MAX_IDLE_CONNECTIONS, { timeout: 5000 });
      expect(open).toBe(MAX_IDLE_CONNECTIONS);
      // The idle ones are reused.
      await c.request('GET', '/api/v1/namespaces/x');
      expect(opened).toBe(20);
    } finally {
      c.close();
      await srv.close();
    }
  });

  it('runs an exec credential plugin and caches its token until it expires', async () => {
    const d = tmp();
    const plugin = path.join(d, 'plugin.sh');
    const count = path.join(d, 'count');
    fs.writeFileSync(
      plugin,
      `#!/bin/sh\necho x >> ${count}\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-token","expirationTimestamp":"2999-01-01T00:00:00Z"}}'\n`,
    );
    fs.chmodSync(plugin, 0o755);
    const srv = await server((req, res) => {
      res.writeHead(req.headers.authorization === 'Bearer exec-token' ? 200 : 401);
      res.end('{}');
    });
    try {
      const c = new KubeClient({
        server: srv.url,
        ca: undefined,
        tlsServerName: undefined,
        credentials: {
          kind: 'exec',
          exec: { command: plugin, args: [], env: [], apiVersion: 'client.authentication.k8s.io/v1', dir: d },
        },
      });
      await c.request('GET', '/a');
      await c.request('GET', '/b');
      expect(fs.readFileSync(count, 'utf8').trim().split('\n').length).toBe(1);
      c.close();
    } finally {
      await srv.close();
    }
  });
});
