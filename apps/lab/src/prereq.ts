// What the lab needs on a fresh machine, installed or built when missing: Debian's FRR and etcd
// (apt-get), and the control plane's binaries (tools/kube/build.sh, about a quarter of an hour the
// first time; later runs find them in the cache at once).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  ETCD_PATH,
  frrInstalled,
  kubeBinDir,
  kubeUnavailableReason,
  missingKubeBinaries,
} from '@bmlb/netlab';
import type { Report } from './report.ts';

export const REPO = path.resolve(import.meta.dirname, '../../..');

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
