// Containers for interop tests: images from podman's storage (deploy/images/build.sh makes bmlb's),
// run with podman as this machine allows: the runc runtime (crun fails on hybrid cgroups) and
// rlimits below podman's defaults (which exceed what the machine allows). A container runs attached
// (`podman run`, captured like any Proc), on the host's network or in a lab namespace; stop() is
// `podman stop` (the image's stop signal, SIGTERM, then SIGKILL after a grace period), and it is
// removed on exit even when the test process dies of a signal.
import { execFileSync } from 'node:child_process';
import { closeOnExit, type SyncCloseable } from './cleanup.ts';
import { run, runSyncQuiet } from './exec.ts';
import type { Namespace } from './lab.ts';
import { Proc, type ProcExit } from './proc.ts';
import type { WaitOptions } from './wait.ts';

/** podman with the runtime that works here. */
export const PODMAN: readonly string[] = ['podman', '--runtime', 'runc'];
/** `podman run` flags every container gets: rlimits the machine allows. */
export const PODMAN_RUN_LIMITS: readonly string[] = [
  '--ulimit',
  'nofile=20000:20000',
  '--ulimit',
  'nproc=4096:4096',
];

function podmanInstalled(): boolean {
  try {
    execFileSync('podman', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Why `image` cannot run here (not root, no podman, not in podman's storage), or undefined when it
 * can. `build` says how to make the image (e.g. `deploy/images/build.sh controller`).
 */
export function imageUnavailableReason(image: string, build: string): string | undefined {
  if (process.platform !== 'linux') return `container ${image} needs Linux`;
  if (process.getuid?.() !== 0) return `container ${image} needs root (podman's system storage)`;
  if (!podmanInstalled()) return `container ${image} needs podman and runc: ${build} installs them`;
  try {
    execFileSync('podman', ['image', 'exists', image], { stdio: 'ignore' });
  } catch {
    return `image ${image} is not in podman's storage: build it with ${build} (as root)`;
  }
  return undefined;
}

/**
 * For a test file: the reason to skip (printed), or undefined when `image` can run. Under `CI` it
 * throws instead: CI builds the images before the tests, so a missing one is a failure.
 */
export function imageSkipReason(image: string, build: string): string | undefined {
  const reason = imageUnavailableReason(image, build);
  if (reason === undefined) return undefined;
  if (process.env.CI) throw new Error(`${reason} (CI is set, so image tests must run, not be skipped)`);
  process.stderr.write(`skipping image tests: ${reason}\n`);
  return reason;
}

export interface ImageInfo {
  readonly image: string;
  readonly id: string;
  /** Uncompressed size as podman counts it (every layer). */
  readonly bytes: number;
  readonly layers: number;
  /** The image's default user (`65534:65534`, or empty for root). */
  readonly user: string;
}

/** `podman image inspect` of one image: its id, size, layer count and default user. */
export async function inspectImage(image: string): Promise<ImageInfo> {
  const { stdout } = await run([...PODMAN, 'image', 'inspect', image]);
  const [info] = JSON.parse(stdout) as {
    Id: string;
    Size: number;
    RootFS?: { Layers?: string[] };
    Config?: { User?: string };
  }[];
  if (info === undefined) throw new Error(`podman image inspect ${image}: no image`);
  return {
    image,
    id: info.Id,
    bytes: info.Size,
    layers: info.RootFS?.Layers?.length ?? 0,
    user: info.Config?.User ?? '',
  };
}

export interface ContainerOptions {
  /** Container name (unique on the machine); a container left by an earlier run is removed first. */
  readonly name: string;
  /** The host's network, or a lab namespace's (`--network ns:/run/netns/<fullName>`). */
  readonly network: 'host' | Namespace;
  /** `--user` (default: the image's). */
  readonly user?: string;
  /** Bind mounts, read-only unless `readOnly: false`. */
  readonly mounts?: readonly { source: string; target: string; readOnly?: boolean }[];
  readonly env?: Readonly<Record<string, string>>;
  /**
   * As a restricted Pod runs it (default true): read-only root filesystem, every capability
   * dropped, no privilege escalation.
   */
  readonly restricted?: boolean;
  /** Arguments after the image (the entrypoint's). */
  readonly args?: readonly string[];
  /** Also write the container's output here. */
  readonly logFile?: string;
}

/** One container from an image, run attached by `podman run --rm`: its output and exit are the Proc's. */
export class Container implements SyncCloseable {
  readonly name: string;
  readonly image: string;
  readonly proc: Proc;
  #untrack: () => void;

  private constructor(name: string, image: string, proc: Proc) {
    this.name = name;
    this.image = image;
    this.proc = proc;
    this.#untrack = closeOnExit(this);
  }

  /** Starts `image` (returns once `podman run` is spawned; wait for the app's own ready line). */
  static start(image: string, o: ContainerOptions): Container {
    if (!/^[a-zA-Z0-9][\w.-]*$/.test(o.name))
      throw new RangeError(`Container: bad name ${JSON.stringify(o.name)}`);
    for (const m of o.mounts ?? [])
      if (/[:,]/.test(m.source + m.target) || !m.source.startsWith('/') || !m.target.startsWith('/'))
        throw new RangeError(`Container: mount ${m.source} → ${m.target}: absolute paths without ':' or ','`);
    runSyncQuiet([...PODMAN, 'rm', '--force', '--ignore', '--time', '0', o.name], 30_000);
    const network = o.network === 'host' ? 'host' : `ns:/run/netns/${o.network.fullName}`;
    const argv = [
      ...PODMAN,
      'run',
      '--rm',
      '--name',
      o.name,
      '--network',
      network,
      ...PODMAN_RUN_LIMITS,
      ...(o.restricted === false
        ? []
        : [
            '--read-only',
            '--read-only-tmpfs=false',
            '--cap-drop',
            'all',
            '--security-opt',
            'no-new-privileges',
          ]),
      ...(o.user === undefined ? [] : ['--user', o.user]),
      ...(o.mounts ?? []).flatMap((m) => [
        '--volume',
        `${m.source}:${m.target}:${m.readOnly === false ? 'rw' : 'ro'}`,
      ]),
      ...Object.entries(o.env ?? {}).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
      image,
      ...(o.args ?? []),
    ];
    return new Container(o.name, image, new Proc(argv, { name: o.name, logFile: o.logFile }));
  }

  get running(): boolean {
    return this.proc.running;
  }

  output(): string {
    return this.proc.output();
  }

  waitForOutput(pattern: RegExp | string, opts?: WaitOptions): Promise<string> {
    return this.proc.waitForOutput(pattern, opts);
  }

  /** `podman exec` in the running container; resolves with its stdout. */
  async exec(argv: readonly string[], timeoutMs = 30_000): Promise<string> {
    return (await run([...PODMAN, 'exec', this.name, ...argv], { timeoutMs })).stdout;
  }

  /**
   * `podman stop`: the image's stop signal (SIGTERM), SIGKILL after `graceSeconds`. Resolves with how
   * `podman run` ended: exit code 0 for an app that exited cleanly, 137 when it had to be killed.
   */
  async stop(graceSeconds = 10): Promise<ProcExit> {
    if (this.proc.running) {
      await run([...PODMAN, 'stop', '--ignore', '--time', String(graceSeconds), this.name], {
        timeoutMs: (graceSeconds + 30) * 1000,
      });
    }
    const exit = await this.proc.exited;
    this.#untrack();
    return exit;
  }

  /** Removes the container at once (SIGKILL), for cleanup after a failure and at exit. */
  closeSync(): void {
    runSyncQuiet([...PODMAN, 'rm', '--force', '--ignore', '--time', '0', this.name], 30_000);
    this.proc.killSync();
    this.#untrack();
  }
}
