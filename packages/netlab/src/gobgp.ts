import fs from 'node:fs';
import path from 'node:path';
import type { Lab, Namespace } from './lab.ts';
import type { Proc } from './proc.ts';
import { type WaitOptions, waitFor } from './wait.ts';

export const GOBGP_INSTALL_HINT = 'install GoBGP (Debian/Ubuntu: `apt-get install -y gobgpd`)';

export interface GobgpOptions {
  /** gobgpd configuration (TOML by default). */
  config: string;
  configType?: 'toml' | 'yaml' | 'json';
  /** gRPC API port on 127.0.0.1 inside the namespace (default 50051). */
  apiPort?: number;
  /** Label for files and logs (default `gobgpd`). */
  name?: string;
  /** gobgpd log level (default `info`). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** How long to wait for the API to answer (default 15 s). */
  startTimeoutMs?: number;
}

export function gobgpInstalled(): boolean {
  return ['/usr/bin/gobgpd', '/usr/bin/gobgp'].every((p) => {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** GoBGP session states as `gobgp -j neighbor` reports them (numbers in `state.session_state`). */
export const GOBGP_SESSION_STATE = {
  0: 'unknown',
  1: 'idle',
  2: 'connect',
  3: 'active',
  4: 'opensent',
  5: 'openconfirm',
  6: 'established',
} as const satisfies Record<number, string>;

/** A gobgpd process in a namespace, with its CLI. */
export class GobgpInstance {
  readonly lab: Lab;
  readonly ns: Namespace;
  readonly name: string;
  readonly apiPort: number;
  readonly configFile: string;
  #opts: GobgpOptions;
  #proc: Proc | undefined;

  constructor(lab: Lab, ns: Namespace, opts: GobgpOptions) {
    this.lab = lab;
    this.ns = ns;
    this.#opts = opts;
    this.name = opts.name ?? 'gobgpd';
    this.apiPort = opts.apiPort ?? 50051;
    this.configFile = path.join(lab.dir, `${ns.name}-${this.name}.${opts.configType ?? 'toml'}`);
  }

  /** The gobgpd process (stdout/stderr captured). */
  get proc(): Proc {
    if (!this.#proc) throw new Error('gobgpd not started');
    return this.#proc;
  }

  /** @internal */
  async start(): Promise<void> {
    if (!gobgpInstalled()) throw new Error(`netlab: gobgpd not found; ${GOBGP_INSTALL_HINT}`);
    fs.writeFileSync(this.configFile, this.#opts.config);
    const proc = this.ns.spawn(
      [
        'gobgpd',
        '-f',
        this.configFile,
        '-t',
        this.#opts.configType ?? 'toml',
        '--api-hosts',
        `127.0.0.1:${this.apiPort}`,
        '--pprof-disable',
        '-p',
        '-l',
        this.#opts.logLevel ?? 'info',
      ],
      { name: this.name },
    );
    this.#proc = proc;
    await waitFor(
      async () => {
        if (proc.exit) throw new Error(`gobgpd exited (${JSON.stringify(proc.exit)})`);
        await this.gobgp(['global']);
        return true;
      },
      {
        timeoutMs: this.#opts.startTimeoutMs ?? 15_000,
        intervalMs: 100,
        what: `gobgpd API on port ${this.apiPort}`,
      },
    ).catch((err: unknown) => {
      throw new Error(
        `netlab: gobgpd failed to start in ${this.ns.fullName}: ${(err as Error).message}\n${proc.output().slice(-4000)}`,
      );
    });
  }

  /** Run the gobgp CLI against this daemon (`['neighbor']`, `['global', 'rib']`); resolves with stdout. */
  gobgp(argv: readonly string[]): Promise<string> {
    return this.ns.exec(['gobgp', '-p', String(this.apiPort), ...argv], { timeoutMs: 15_000 });
  }

  /** The CLI with `-j`, parsed. */
  async gobgpJson<T = unknown>(argv: readonly string[]): Promise<T> {
    const out = await this.ns.exec(['gobgp', '-j', '-p', String(this.apiPort), ...argv], {
      timeoutMs: 15_000,
    });
    try {
      return JSON.parse(out) as T;
    } catch {
      throw new Error(`gobgp ${argv.join(' ')}: not JSON: ${out.slice(0, 500)}`);
    }
  }

  /** The session state of a neighbor, lower case (`established`, `active`, …), or undefined if unknown. */
  async neighborState(address: string): Promise<string | undefined> {
    const n = await this.gobgpJson<{ state?: { session_state?: number | string } }>([
      'neighbor',
      address,
    ]).catch(() => undefined);
    const s = n?.state?.session_state;
    if (typeof s === 'number') return GOBGP_SESSION_STATE[s as keyof typeof GOBGP_SESSION_STATE] ?? String(s);
    return typeof s === 'string' ? s.toLowerCase().replace(/^session_state_/, '') : undefined;
  }

  /** Wait until the session with `address` is in `state` (default established). */
  async waitForNeighborState(address: string, state = 'established', opts: WaitOptions = {}): Promise<void> {
    await waitFor(async () => (await this.neighborState(address)) === state, {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: `gobgpd ${this.ns.fullName}: neighbor ${address} ${state}`,
      ...opts,
    });
  }

  /** Stop gobgpd (SIGTERM, then SIGKILL). */
  async stop(): Promise<void> {
    await this.#proc?.stop();
  }

  /** @internal the process itself is tracked by the lab; nothing more to do */
  async close(): Promise<void> {
    await this.stop();
  }
  /** @internal */
  closeSync(): void {
    this.#proc?.killSync();
  }
}
