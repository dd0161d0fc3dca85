// Helpers for the tests of deploy/ (the manifests, the Helm chart) against a real control plane:
// where deploy/ and the Helm binary are, and the objects of a multi-document YAML text.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CommandError, type KubeControlPlane, run } from '@bmlb/netlab';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');
export const deployDir = path.join(repoRoot, 'deploy');
export const chartDir = path.join(deployDir, 'helm/bmlb');
export const NS = 'metallb-system';

const cache = () => process.env.BMLB_CACHE || '/var/cache/bmlb';

/** A version tools/helm/build.sh pins (`NAME="${NAME:-x.y.z}"`), so the build and the tests agree. */
function pinned(name: string): string {
  const script = fs.readFileSync(path.join(repoRoot, 'tools/helm/build.sh'), 'utf8');
  const m = new RegExp(`^${name}="\\$\\{${name}:-([^}]+)\\}"`, 'm').exec(script);
  if (m?.[1] === undefined) throw new Error(`tools/helm/build.sh pins no ${name}`);
  return m[1];
}

/** `${BMLB_CACHE:-/var/cache/bmlb}/helm-v<version>/bin/helm`, as tools/helm/build.sh installs it. */
function helmBinary(): string {
  return path.join(cache(), `helm-v${pinned('HELM_VERSION')}`, 'bin/helm');
}

/** The prometheus-operator CRDs (ServiceMonitor, PodMonitor, PrometheusRule) beside it. */
export function monitoringCrdsDir(): string {
  return path.join(cache(), `prometheus-operator-v${pinned('PROMETHEUS_OPERATOR_VERSION')}`, 'crds');
}

/** Why the Helm tests cannot run (helm not built), or undefined; throws under CI instead. */
export function helmSkipReason(): string | undefined {
  const missing = [helmBinary(), path.join(monitoringCrdsDir(), 'monitoring.coreos.com_prometheusrules.yaml')]
    .filter((f) => !fs.existsSync(f))
    .join(', ');
  if (missing === '') return undefined;
  const reason = `missing ${missing}: run tools/helm/build.sh (Go; about 3 minutes)`;
  if (process.env.CI) throw new Error(`${reason} (CI is set, so interop tests must run, not be skipped)`);
  process.stderr.write(`skipping Helm tests: ${reason}\n`);
  return reason;
}

let helmHome: string | undefined;

/**
 * Runs helm (its cache, configuration and data in a directory of this process, not the user's);
 * resolves with its stdout, rejects with its output (lint reports on stdout).
 */
export async function helm(args: readonly string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  helmHome ??= fs.mkdtempSync(path.join(os.tmpdir(), 'bmlb-helm-'));
  const env = {
    HELM_CACHE_HOME: path.join(helmHome, 'cache'),
    HELM_CONFIG_HOME: path.join(helmHome, 'config'),
    HELM_DATA_HOME: path.join(helmHome, 'data'),
  };
  try {
    return (await run([helmBinary(), ...args], { timeoutMs: opts.timeoutMs ?? 60_000, env })).stdout;
  } catch (err) {
    if (err instanceof CommandError)
      throw new Error(`helm ${args.join(' ')}: exit ${err.exitCode}\n${err.stdout}${err.stderr}`);
    throw err;
  }
}

/** Removes helm's directory (afterAll). */
export function cleanupHelm(): void {
  if (helmHome !== undefined) fs.rmSync(helmHome, { recursive: true, force: true });
  helmHome = undefined;
}

export interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/**
 * The objects of a multi-document YAML text as kubectl reads them (`kubectl create --dry-run=client
 * -o json`: parsed, nothing defaulted, nothing sent; every kind must be known to the API server).
 */
export async function objectsOf(cp: KubeControlPlane, text: string): Promise<Obj[]> {
  const out = await cp.kubectl(['create', '--dry-run=client', '-o', 'json', '-f', '-'], { input: text });
  return jsonStream(out.stdout) as Obj[];
}

/** The values of a stream of JSON texts one after another (what kubectl prints for several objects). */
function jsonStream(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') {
      if (depth++ === 0) start = i;
    } else if (ch === '}' || ch === ']') {
      if (--depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  if (depth !== 0 || inString) throw new Error('jsonStream: truncated JSON');
  return out;
}

/** `Kind namespace/name` (or `Kind name`): how objects are matched and named in messages. */
export const idOf = (o: Obj): string =>
  `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/** The objects by idOf; throws on a duplicate (the same object twice in one manifest). */
export function byId(objects: readonly Obj[]): Map<string, Obj> {
  const m = new Map<string, Obj>();
  for (const o of objects) {
    const id = idOf(o);
    if (m.has(id)) throw new Error(`${id} appears twice`);
    m.set(id, o);
  }
  return m;
}
