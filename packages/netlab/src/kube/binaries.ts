import fs from 'node:fs';
import path from 'node:path';
import type { SkipContext } from '../require.ts';

/** The Kubernetes release the control plane's binaries are built from (tools/kube/build.sh). */
export const KUBE_VERSION = '1.37.2';
/** The kwok release (fake Nodes and Pods). */
export const KWOK_VERSION = '0.8.0';

export const KUBE_BINARIES = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
  'kwok',
] as const;
export type KubeBinary = (typeof KUBE_BINARIES)[number];

/** Debian's etcd (`etcd-server`). */
export const ETCD_PATH = '/usr/bin/etcd';

const KUBE_BUILD_HINT =
  'build them with `tools/kube/build.sh` (Go ≥ 1.26; about 15 min cold, instant when cached)';
const ETCD_INSTALL_HINT = 'install etcd (Debian/Ubuntu: `apt-get install -y etcd-server`)';
const OPENSSL_INSTALL_HINT = 'install openssl (Debian/Ubuntu: `apt-get install -y openssl`)';

/** `${BMLB_CACHE:-/var/cache/bmlb}/kube-v<version>`: where tools/kube/build.sh puts its output. */
export function kubeCacheDir(): string {
  return path.join(process.env.BMLB_CACHE || '/var/cache/bmlb', `kube-v${KUBE_VERSION}`);
}

/** Directory of the built binaries. */
export function kubeBinDir(): string {
  return path.join(kubeCacheDir(), 'bin');
}

/** kwok's stage manifests (`kustomize/stage/` of its module), copied by the build beside `bin/`. */
export function kwokStagesDir(binDir = kubeBinDir()): string {
  return path.join(path.dirname(binDir), 'kwok-stages');
}

function executable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '/usr/bin:/bin')
    .split(':')
    .some((d) => d !== '' && executable(path.join(d, cmd)));
}

/** The binaries of KUBE_BINARIES missing from `binDir`. */
export function missingKubeBinaries(binDir = kubeBinDir()): KubeBinary[] {
  return KUBE_BINARIES.filter((b) => !executable(path.join(binDir, b)));
}

/**
 * Why a control plane cannot run here, or undefined when it can. The tests want root (`compact()`
 * resets sockets with `ss -K`); `{ root: false }` checks the rest only.
 */
export function kubeUnavailableReason(
  binDir = kubeBinDir(),
  opts: { root?: boolean } = {},
): string | undefined {
  const missing: string[] = [];
  if (process.platform !== 'linux') missing.push('Linux');
  else if ((opts.root ?? true) && process.getuid?.() !== 0)
    missing.push('root (run the tests as root, e.g. sudo)');
  const bins = missingKubeBinaries(binDir);
  if (bins.length) missing.push(`${bins.join(', ')} in ${binDir} (${KUBE_BUILD_HINT})`);
  if (!fs.existsSync(path.join(kwokStagesDir(binDir), 'node', 'fast')))
    missing.push(`kwok's stages in ${kwokStagesDir(binDir)} (${KUBE_BUILD_HINT})`);
  if (!executable(ETCD_PATH)) missing.push(`etcd at ${ETCD_PATH} (${ETCD_INSTALL_HINT})`);
  if (!onPath('openssl')) missing.push(`openssl (${OPENSSL_INSTALL_HINT})`);
  if (!onPath('ss')) missing.push('ss (`apt-get install -y iproute2`)');
  return missing.length ? `the Kubernetes control plane needs ${missing.join('; ')}` : undefined;
}

/**
 * For a test file or describe block: the reason to skip (printed; pass it to `describe.skipIf`), or
 * undefined when a control plane can run. Under `CI` it throws instead: CI must run these tests.
 */
export function kubeSkipReason(): string | undefined {
  const reason = kubeUnavailableReason();
  if (reason === undefined) return undefined;
  if (process.env.CI) throw new Error(`${reason} (CI is set, so interop tests must run, not be skipped)`);
  process.stderr.write(`skipping control-plane tests: ${reason}\n`);
  return reason;
}

/** For one test: skip it (vitest's skip note says why) when no control plane can run; throws under CI. */
export function requireKube(ctx: SkipContext): void {
  const reason = kubeSkipReason();
  if (reason !== undefined) ctx.skip(reason);
}
