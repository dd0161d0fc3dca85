// What the lab needs on a fresh machine, installed or built when missing: Debian's FRR and etcd
// (apt-get), and the control plane's binaries (tools/kube/build.sh, about a quarter of an hour the
// first time; later runs find them in the cache at once).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  deployEnv,
  ETCD_PATH,
  frrInstalled,
  kubeBinDir,
  kubeUnavailableReason,
  missingKubeBinaries,
} from '@bmlb/netlab';
import type { Report } from './report.ts';

export const REPO = path.resolve(import.meta.dirname, '../../..');

/** The built entry points the lab runs, as the images run them (`node /app/dist/main.js`). */
export const SPEAKER_MAIN = path.join(REPO, 'apps/speaker/dist/main.js');
export const CONTROLLER_MAIN = path.join(REPO, 'apps/controller/dist/main.js');

/**
 * The environment the speaker's DaemonSet and the controller's Deployment set with literal values
 * (deploy/speaker.yaml, deploy/controller.yaml: V8's heap limits in NODE_OPTIONS, glibc's malloc
 * arenas), so the lab's daemons run with a cluster's memory settings.
 */
export const speakerEnv = (): Readonly<Record<string, string>> => deployEnv('speaker');
export const controllerEnv = (): Readonly<Record<string, string>> => deployEnv('controller');

/**
 * Builds the speaker and the controller with what they depend on (`turbo run build`: from its cache
 * in a second when nothing changed), so the lab runs the JavaScript the images ship, not the sources
 * through Node's type stripping (which costs each process about 30 MB more).
 */
export function buildApps(report: Report): void {
  const args = [
    'run',
    'build',
    '--filter=@bmlb/speaker',
    '--filter=@bmlb/controller',
    '--output-logs=errors-only',
  ];
  report.say(`  $ turbo ${args.join(' ')}`);
  try {
    execFileSync(path.join(REPO, 'node_modules/.bin/turbo'), args, {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; status?: number | null };
    if (`${e.stdout ?? ''}${e.stderr ?? ''}`.includes('Unable to find package manager binary'))
      throw new Error(
        'building the speaker and the controller needs pnpm on PATH for turbo: run the lab through pnpm (npx -y pnpm@VERSION lab, VERSION from package.json packageManager)',
      );
    throw new Error(
      `building the speaker and the controller failed (turbo exit ${e.status ?? '?'}):\n${`${e.stdout ?? ''}${e.stderr ?? ''}`.slice(-4000)}`,
    );
  }
  for (const f of [SPEAKER_MAIN, CONTROLLER_MAIN])
    if (!fs.existsSync(f)) throw new Error(`the build did not produce ${path.relative(REPO, f)}`);
}

function aptInstall(report: Report, packages: readonly string[]): void {
  report.say(`  $ apt-get install -y ${packages.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    stdio: 'inherit',
    env,
  });
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d !== '' && fs.existsSync(path.join(d, cmd)));
}

/** Installs FRR, etcd, tcpdump and iproute2 when missing (Debian/Ubuntu). */
export function ensurePackages(report: Report): void {
  const want: string[] = [];
  if (!frrInstalled()) want.push('frr');
  if (!fs.existsSync(ETCD_PATH)) want.push('etcd-server');
  if (!onPath('tcpdump')) want.push('tcpdump');
  if (!onPath('openssl')) want.push('openssl');
  if (!onPath('ss') || !onPath('ip')) want.push('iproute2');
  if (want.length === 0) return;
  report.section(`Installing what the lab needs: ${want.join(', ')}`);
  aptInstall(report, want);
}

/**
 * Builds the control plane's binaries with tools/kube/build.sh when any is missing, passing its
 * progress through and adding a line every 30 s while `go build` is silent.
 */
export async function ensureKubeBinaries(report: Report): Promise<void> {
  if (
    missingKubeBinaries().length === 0 &&
    kubeUnavailableReason(kubeBinDir(), { root: false }) === undefined
  )
    return;
  const missing = missingKubeBinaries();
  if (missing.length > 0) {
    report.section(
      `First run: building the control plane's binaries (${missing.join(', ')}) into ${kubeBinDir()} — about a quarter of an hour on 2 cores; later runs start from this cache in seconds`,
    );
    const script = path.join(REPO, 'tools/kube/build.sh');
    const started = Date.now();
    let last = 'starting';
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter((l) => l.trim() !== '')) {
        report.say(`  ${line}`);
        const m = /\[kube-build [^\]]*\] (.*)$/.exec(line);
        if (m !== null) last = m[1] as string;
      }
    });
    child.stdout.resume();
    const ticker = setInterval(() => {
      const s = Math.round((Date.now() - started) / 1000);
      report.say(`  … ${Math.floor(s / 60)} min ${s % 60} s so far (${last})`);
    }, 30_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearInterval(ticker);
    if (code !== 0) throw new Error(`tools/kube/build.sh failed (exit ${code}); see its output above`);
    report.say(`  built in ${Math.round((Date.now() - started) / 1000)} s`);
  }
  const reason = kubeUnavailableReason(kubeBinDir(), { root: false });
  if (reason !== undefined) throw new Error(`the control plane cannot run here: ${reason}`);
}
