// Where the apps find the API server, in controller-runtime's order: the --kubeconfig flag, then the
// KUBECONFIG environment variable (a list of files, merged as kubectl merges them), then the Pod's
// ServiceAccount (in-cluster), then ~/.kube/config.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

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
  readonly config: KubeConfig;
  /** How it was found, for the start-up log line. */
  readonly source: 'flag' | 'KUBECONFIG' | 'in-cluster' | 'home';
  /** The namespace the Pod runs in (in-cluster), or the context's namespace, if any. */
  readonly namespace: string | undefined;
}

export function loadKubeConfig(src: KubeConfigSource = {}): LoadedKubeConfig {
  const env = src.env ?? process.env;
  const saDir = src.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const kc = new KubeConfig();
  let source: LoadedKubeConfig['source'];
  if (src.kubeconfig) {
    if (!fs.existsSync(src.kubeconfig)) throw new Error(`--kubeconfig ${src.kubeconfig}: no such file`);
    kc.loadFromFile(src.kubeconfig);
    source = 'flag';
  } else if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(path.delimiter).filter((f) => f !== '' && fs.existsSync(f));
    if (files.length === 0) throw new Error(`KUBECONFIG=${env.KUBECONFIG}: none of its files exists`);
    const [first, ...rest] = files as [string, ...string[]];
    kc.loadFromFile(first);
    for (const f of rest) {
      const more = new KubeConfig();
      more.loadFromFile(f);
      kc.mergeConfig(more, true);
    }
    source = 'KUBECONFIG';
  } else if (env.KUBERNETES_SERVICE_HOST && fs.existsSync(path.join(saDir, 'token'))) {
    // As client-node's loadFromCluster, with the mount directory as a parameter: the tokenFile auth
    // provider reads the token again when it changes (bound tokens rotate hourly).
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = env.KUBERNETES_SERVICE_PORT ?? '443';
    kc.loadFromOptions({
      clusters: [
        {
          name: 'inCluster',
          server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
          caFile: path.join(saDir, 'ca.crt'),
          skipTLSVerify: false,
        },
      ],
      users: [
        {
          name: 'inClusterUser',
          authProvider: { name: 'tokenFile', config: { tokenFile: path.join(saDir, 'token') } },
        },
      ],
      contexts: [{ name: 'inClusterContext', cluster: 'inCluster', user: 'inClusterUser' }],
      currentContext: 'inClusterContext',
    });
    source = 'in-cluster';
  } else {
    const home = path.join(env.HOME ?? os.homedir(), '.kube', 'config');
    if (!fs.existsSync(home)) {
      throw new Error(
        'no Kubernetes configuration: pass --kubeconfig FILE, set KUBECONFIG, or run in a Pod with a ServiceAccount',
      );
    }
    kc.loadFromFile(home);
    source = 'home';
  }
  if (src.context) kc.setCurrentContext(src.context);
  if (kc.getCurrentCluster() === null) throw new Error(`kubeconfig (${source}): no current cluster`);
  let namespace: string | undefined;
  if (source === 'in-cluster') {
    try {
      namespace = fs.readFileSync(path.join(saDir, 'namespace'), 'utf8').trim() || undefined;
    } catch {
      namespace = undefined;
    }
  } else {
    namespace = kc.getContextObject(kc.getCurrentContext())?.namespace;
  }
  return { config: kc, source, namespace };
}
