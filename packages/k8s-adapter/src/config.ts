// Where the apps find the API server, in kubectl's order (client-go's clientcmd loading rules and
// its deferred loading client config): the --kubeconfig flag (the file must exist), else the
// KUBECONFIG environment variable (a list of files, merged as kubectl merges them: the first file
// that sets a value wins; files that do not exist are skipped), else ~/.kube/config; and only when
// that yields an empty configuration (no file, or no clusters, users, contexts or current-context),
// the Pod's ServiceAccount (in-cluster: KUBERNETES_SERVICE_HOST and _PORT set, the token mounted).
// So a ~/.kube/config in a container wins over its ServiceAccount, as with kubectl; controller-runtime
// differs (in-cluster before ~/.kube/config).
//
// Written here rather than taken from @kubernetes/client-node, whose KubeConfig module loads the
// whole generated API (the measured cost is in the README, "Not on @kubernetes/client-node"). This reads what bmlb's users have: a server with its CA (file or data) and optional TLS
// server name, and a bearer token, token file, client certificate, or exec credential plugin
// (client.authentication.k8s.io). A kubeconfig that asks for something else (an auth-provider, a
// proxy, skipping TLS verification) is refused with an error that says what and where.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { load as loadYaml } from 'js-yaml';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ExecConfig {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: readonly { name: string; value: string }[];
  readonly apiVersion: string;
  /** The kubeconfig's directory: a relative command is resolved against it. */
  readonly dir: string;
}

export type Credentials =
  | { readonly kind: 'none' }
  | { readonly kind: 'token'; readonly token: string }
  /** Re-read when it changes: a projected ServiceAccount token rotates. */
  | { readonly kind: 'tokenFile'; readonly file: string }
  | { readonly kind: 'clientCert'; readonly cert: Buffer; readonly key: Buffer }
  | { readonly kind: 'exec'; readonly exec: ExecConfig };

/** How to reach one API server. */
export interface KubeConnection {
  readonly server: string;
  /** PEM of the CA(s) that sign the server's certificate; the system's CAs when absent. */
  readonly ca: Buffer | undefined;
  /** TLS server name to verify instead of the URL's host (kubeconfig `tls-server-name`). */
  readonly tlsServerName: string | undefined;
  readonly credentials: Credentials;
}

export interface KubeConfigSource {
  /** The --kubeconfig flag. */
  readonly kubeconfig?: string | undefined;
  /** The environment (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Where the ServiceAccount's token, ca.crt and namespace are mounted (default the standard path). */
  readonly serviceAccountDir?: string;
  /** A context other than the file's current-context. */
  readonly context?: string | undefined;
}

export interface LoadedKubeConfig {
  readonly connection: KubeConnection;
  /** How it was found, for the start-up log line. */
  readonly source: 'flag' | 'KUBECONFIG' | 'in-cluster' | 'home';
  /** The namespace the Pod runs in (in-cluster), or the context's namespace, if any. */
  readonly namespace: string | undefined;
}

export class KubeConfigError extends Error {
  override readonly name = 'KubeConfigError';
}

type Named<T> = { name?: unknown } & Record<string, unknown> & { [k: string]: T | unknown };

interface RawConfig {
  files: string[];
  currentContext: string | undefined;
  /** Whether any file has `extensions` or `preferences.extensions` (which bmlb does not read). */
  extensions: boolean;
  clusters: Map<string, { file: string; body: Record<string, unknown> }>;
  users: Map<string, { file: string; body: Record<string, unknown> }>;
  contexts: Map<string, { file: string; body: Record<string, unknown> }>;
}

function readYaml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new KubeConfigError(`kubeconfig ${file}: ${(err as Error).message}`);
  }
  // An empty file is an empty configuration, as client-go reads it (not a YAML error).
  if (text.trim() === '') return {};
  let doc: unknown;
  try {
    doc = loadYaml(text);
  } catch (err) {
    throw new KubeConfigError(`kubeconfig ${file}: not YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new KubeConfigError(`kubeconfig ${file}: not a mapping`);
  return doc as Record<string, unknown>;
}

/** Merges files as kubectl does: the first file to define a name (or current-context) wins. */
function readConfigs(files: readonly string[]): RawConfig {
  const raw: RawConfig = {
    files: [...files],
    currentContext: undefined,
    extensions: false,
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
  };
  for (const file of files) {
    const doc = readYaml(file);
    if (
      raw.currentContext === undefined &&
      typeof doc['current-context'] === 'string' &&
      doc['current-context'] !== ''
    )
      raw.currentContext = doc['current-context'];
    const prefs = doc.preferences as Record<string, unknown> | null | undefined;
    if (nonEmptyList(doc.extensions) || nonEmptyList(prefs?.extensions)) raw.extensions = true;
    for (const [key, map, inner] of [
      ['clusters', raw.clusters, 'cluster'],
      ['users', raw.users, 'user'],
      ['contexts', raw.contexts, 'context'],
    ] as const) {
      const list = doc[key];
      if (list === undefined || list === null) continue;
      if (!Array.isArray(list)) throw new KubeConfigError(`kubeconfig ${file}: ${key} is not a list`);
      for (const [i, item] of (list as Named<unknown>[]).entries()) {
        const name = item?.name;
        if (typeof name !== 'string' || name === '')
          throw new KubeConfigError(`kubeconfig ${file}: ${key}[${i}] has no name`);
        const body = item[inner];
        if (body === null || typeof body !== 'object')
          throw new KubeConfigError(`kubeconfig ${file}: ${key}[${i}] (${name}) has no ${inner}`);
        if (!map.has(name)) map.set(name, { file, body: body as Record<string, unknown> });
      }
    }
  }
  return raw;
}

const nonEmptyList = (v: unknown): boolean => Array.isArray(v) && v.length > 0;

/** Nothing configured (client-go's IsConfigEmpty): kubectl then tries the Pod's ServiceAccount. */
function isEmpty(raw: RawConfig): boolean {
  return (
    raw.currentContext === undefined &&
    raw.clusters.size === 0 &&
    raw.users.size === 0 &&
    raw.contexts.size === 0 &&
    !raw.extensions
  );
}

function str(o: Record<string, unknown>, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new KubeConfigError(`${where}: ${key} must be a string`);
  return v;
}

function fileOrData(
  o: Record<string, unknown>,
  key: string,
  file: string,
  where: string,
): Buffer | undefined {
  const data = str(o, `${key}-data`, where);
  if (data !== undefined) return Buffer.from(data, 'base64');
  const p = str(o, key, where);
  if (p === undefined) return undefined;
  const abs = path.resolve(path.dirname(file), p);
  try {
    return fs.readFileSync(abs);
  } catch (err) {
    throw new KubeConfigError(`${where}: ${key} ${abs}: ${(err as Error).message}`);
  }
}

function resolve(
  raw: RawConfig,
  contextName: string | undefined,
): { connection: KubeConnection; namespace: string | undefined } {
  const files = raw.files.join(':');
  const ctxName = contextName ?? raw.currentContext;
  if (ctxName === undefined) throw new KubeConfigError(`kubeconfig ${files}: no current-context`);
  const ctx = raw.contexts.get(ctxName);
  if (ctx === undefined) throw new KubeConfigError(`kubeconfig ${files}: context "${ctxName}" not found`);
  const clusterName = str(ctx.body, 'cluster', `context ${ctxName}`);
  const cluster = clusterName === undefined ? undefined : raw.clusters.get(clusterName);
  if (cluster === undefined)
    throw new KubeConfigError(
      `kubeconfig ${files}: context "${ctxName}" names cluster "${clusterName ?? ''}", which is not defined`,
    );
  const cw = `kubeconfig ${cluster.file}: cluster ${clusterName}`;
  const server = str(cluster.body, 'server', cw);
  if (server === undefined) throw new KubeConfigError(`${cw}: no server`);
  if (cluster.body['insecure-skip-tls-verify'] === true)
    throw new KubeConfigError(
      `${cw}: insecure-skip-tls-verify is not supported: give certificate-authority(-data)`,
    );
  if (cluster.body['proxy-url'] !== undefined) throw new KubeConfigError(`${cw}: proxy-url is not supported`);
  const ca = fileOrData(cluster.body, 'certificate-authority', cluster.file, cw);
  const tlsServerName = str(cluster.body, 'tls-server-name', cw);

  const userName = str(ctx.body, 'user', `context ${ctxName}`);
  const user = userName === undefined ? undefined : raw.users.get(userName);
  let credentials: Credentials = { kind: 'none' };
  if (userName !== undefined && user === undefined)
    throw new KubeConfigError(
      `kubeconfig ${files}: context "${ctxName}" names user "${userName}", which is not defined`,
    );
  if (user !== undefined) {
    const uw = `kubeconfig ${user.file}: user ${userName}`;
    const b = user.body;
    if (b['auth-provider'] !== undefined)
      throw new KubeConfigError(`${uw}: auth-provider is not supported (use an exec credential plugin)`);
    if (b.username !== undefined || b.password !== undefined)
      throw new KubeConfigError(`${uw}: basic authentication is not supported`);
    const token = str(b, 'token', uw);
    const tokenFile = str(b, 'tokenFile', uw);
    const cert = fileOrData(b, 'client-certificate', user.file, uw);
    const key = fileOrData(b, 'client-key', user.file, uw);
    if ((cert === undefined) !== (key === undefined))
      throw new KubeConfigError(`${uw}: client-certificate and client-key go together`);
    const exec = b.exec as Record<string, unknown> | undefined;
    if (token !== undefined) credentials = { kind: 'token', token };
    else if (tokenFile !== undefined)
      credentials = { kind: 'tokenFile', file: path.resolve(path.dirname(user.file), tokenFile) };
    else if (cert !== undefined && key !== undefined) credentials = { kind: 'clientCert', cert, key };
    else if (exec !== undefined && exec !== null) {
      const command = str(exec, 'command', `${uw}: exec`);
      if (command === undefined) throw new KubeConfigError(`${uw}: exec has no command`);
      credentials = {
        kind: 'exec',
        exec: {
          command,
          args: Array.isArray(exec.args) ? exec.args.map(String) : [],
          env: Array.isArray(exec.env)
            ? (exec.env as { name?: unknown; value?: unknown }[]).map((e) => ({
                name: String(e.name),
                value: String(e.value),
              }))
            : [],
          apiVersion: str(exec, 'apiVersion', `${uw}: exec`) ?? 'client.authentication.k8s.io/v1',
          dir: path.dirname(user.file),
        },
      };
    }
    // A client certificate may come with a token or exec credential too; TLS carries the certificate.
    if (
      credentials.kind !== 'clientCert' &&
      cert !== undefined &&
      key !== undefined &&
      credentials.kind !== 'none'
    )
      throw new KubeConfigError(
        `${uw}: a client certificate together with ${credentials.kind} is not supported`,
      );
  }
  return {
    connection: { server: server.replace(/\/+$/, ''), ca, tlsServerName, credentials },
    namespace: str(ctx.body, 'namespace', `context ${ctxName}`),
  };
}

/**
 * The Pod's ServiceAccount, when this runs in one (client-go's `inClusterClientConfig.Possible`:
 * KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT set, the token file present); else undefined.
 */
function inCluster(env: NodeJS.ProcessEnv, saDir: string): LoadedKubeConfig | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const tokenFile = path.join(saDir, 'token');
  if (!host || !port || !fs.statSync(tokenFile, { throwIfNoEntry: false })?.isFile()) return undefined;
  const caFile = path.join(saDir, 'ca.crt');
  let ca: Buffer;
  try {
    ca = fs.readFileSync(caFile);
  } catch (err) {
    throw new KubeConfigError(`in-cluster: the ServiceAccount's CA ${caFile}: ${(err as Error).message}`);
  }
  let namespace: string | undefined;
  try {
    namespace = fs.readFileSync(path.join(saDir, 'namespace'), 'utf8').trim() || undefined;
  } catch {
    namespace = undefined;
  }
  return {
    connection: {
      server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
      ca,
      tlsServerName: undefined,
      credentials: { kind: 'tokenFile', file: tokenFile },
    },
    source: 'in-cluster',
    namespace,
  };
}

export function loadKubeConfig(src: KubeConfigSource = {}): LoadedKubeConfig {
  const env = src.env ?? process.env;
  const saDir = src.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  // client-go's loading rules: the flag's file alone; else KUBECONFIG's files, those that exist;
  // else ~/.kube/config if it exists.
  let files: string[];
  let source: 'flag' | 'KUBECONFIG' | 'home';
  let tried: string;
  if (src.kubeconfig) {
    if (!fs.existsSync(src.kubeconfig))
      throw new KubeConfigError(`--kubeconfig ${src.kubeconfig}: no such file`);
    files = [src.kubeconfig];
    source = 'flag';
    tried = `--kubeconfig ${src.kubeconfig} configures nothing`;
  } else if (env.KUBECONFIG) {
    const listed = [...new Set(env.KUBECONFIG.split(path.delimiter).filter((f) => f !== ''))];
    files = listed.filter((f) => fs.existsSync(f));
    source = 'KUBECONFIG';
    tried =
      files.length === 0
        ? `KUBECONFIG=${env.KUBECONFIG}: none of its files exists`
        : `KUBECONFIG=${env.KUBECONFIG}: its files configure nothing`;
  } else {
    const home = path.join(env.HOME || os.homedir(), '.kube', 'config');
    files = fs.existsSync(home) ? [home] : [];
    source = 'home';
    tried =
      files.length === 0
        ? `no Kubernetes configuration (no --kubeconfig, no KUBECONFIG, no ${home})`
        : `no Kubernetes configuration (${home} configures nothing)`;
  }
  const raw = readConfigs(files);
  if (!isEmpty(raw)) return { ...resolve(raw, src.context), source };
  // Only an empty configuration falls back to the Pod's ServiceAccount, as in kubectl.
  const pod = inCluster(env, saDir);
  if (pod !== undefined) return pod;
  throw new KubeConfigError(
    `${tried}, and this is not a Pod with a ServiceAccount (KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT, ${path.join(saDir, 'token')}): pass --kubeconfig FILE or set KUBECONFIG`,
  );
}
