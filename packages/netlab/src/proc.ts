import { spawn as spawnChild, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { formatArgv } from './exec.ts';
import { type WaitOptions, waitFor } from './wait.ts';

/** Keep at most this many characters of each stream in memory (the log file has everything). */
const KEEP_CHARS = 1 << 20;

export interface ProcExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  /** Label for logs and the log file name (default: the program's base name). */
  name?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
  /** Write stdout and stderr to this file as well (the lab sets one in its directory). */
  logFile?: string;
  /** Called with each stdout chunk as it arrives (after it is captured), e.g. to timestamp lines. */
  onStdout?: (chunk: string) => void;
  /** Called with each stderr chunk as it arrives (after it is captured). */
  onStderr?: (chunk: string) => void;
}

/**
 * Appends, keeping at least the last KEEP_CHARS: the string is cut back only once it is twice that
 * long, so a chatty process (ip monitor with thousands of lines a second) costs a copy of the
 * buffer every MiB, not on every chunk (which made this process, and so the pipe, the bottleneck).
 */
function appendCapped(buf: string, chunk: string): string {
  const s = buf + chunk;
  return s.length > 2 * KEEP_CHARS ? s.slice(s.length - KEEP_CHARS) : s;
}

/** The last KEEP_CHARS of a buffer kept by appendCapped. */
function tail(buf: string): string {
  return buf.length > KEEP_CHARS ? buf.slice(buf.length - KEEP_CHARS) : buf;
}

/**
 * Whole lines from a stream's chunks: the function returned takes each chunk as it arrives and
 * calls `onLine` with every line it completes (without its newline); a line cut across chunks
 * waits for the chunk with its end.
 */
export function lineReader(onLine: (line: string) => void): (chunk: string) => void {
  let partial = '';
  return (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  };
}

/**
 * A long-running child process, killed by PID when stopped. stdout and stderr are captured (the last
 * MiB of each in memory, all of it in `logFile`) so a failing test can print what the process said.
 */
export class Proc {
  readonly name: string;
  readonly argv: readonly string[];
  readonly pid: number;
  readonly logFile: string | undefined;
  readonly exited: Promise<ProcExit>;
  #stdout = '';
  #stderr = '';
  #output = '';
  #exit: ProcExit | undefined;
  #log: fs.WriteStream | undefined;

  constructor(argv: readonly string[], opts: SpawnOptions = {}) {
    const [file, ...args] = argv;
    if (file === undefined) throw new TypeError('spawn: empty argv');
    this.argv = argv;
    this.name = opts.name ?? file.split('/').pop() ?? file;
    this.logFile = opts.logFile;
    this.#log = opts.logFile ? fs.createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
    this.#log?.on('error', () => {});
    this.#log?.write(`# ${formatArgv(argv)}\n`);
    const child = spawnChild(file, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      cwd: opts.cwd,
    });
    this.exited = new Promise<ProcExit>((resolve) => {
      let spawnError: Error | undefined;
      child.once('error', (err) => {
        spawnError = err;
        this.#stderr = appendCapped(this.#stderr, `spawn error: ${err.message}\n`);
        if (child.pid === undefined) {
          this.#exit = { code: null, signal: null };
          resolve(this.#exit);
        }
      });
      child.once('close', (code, signal) => {
        this.#exit = { code, signal };
        this.#log?.end(`# exited: ${spawnError ? spawnError.message : `code ${code} signal ${signal}`}\n`);
        resolve(this.#exit);
      });
    });
    if (child.pid === undefined) {
      // spawn failed synchronously (e.g. ENOENT): 'error' fires on next tick.
      this.pid = -1;
    } else this.pid = child.pid;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      this.#stdout = appendCapped(this.#stdout, d);
      this.#output = appendCapped(this.#output, d);
      this.#log?.write(d);
      opts.onStdout?.(d);
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      this.#stderr = appendCapped(this.#stderr, d);
      this.#output = appendCapped(this.#output, d);
      this.#log?.write(d);
      opts.onStderr?.(d);
    });
  }

  /** Captured stdout (last MiB). */
  get stdout(): string {
    return tail(this.#stdout);
  }
  /** Captured stderr (last MiB). */
  get stderr(): string {
    return tail(this.#stderr);
  }
  /** stdout and stderr interleaved as they arrived (last MiB). */
  output(): string {
    return tail(this.#output);
  }
  /** How it ended, or undefined while it runs. */
  get exit(): ProcExit | undefined {
    return this.#exit;
  }
  get running(): boolean {
    return this.#exit === undefined && this.pid > 0;
  }

  /** Send a signal by PID (no-op once exited). */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (!this.running) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  async stop(graceMs = 3_000): Promise<ProcExit> {
    if (!this.running) return this.exited;
    this.kill('SIGTERM');
    // A timer cleared once the process is gone, so a stopped Proc keeps no event-loop work pending.
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      this.exited,
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), graceMs))),
    ]);
    clearTimeout(timer);
    if (done) return done;
    this.kill('SIGKILL');
    return this.exited;
  }

  /** Synchronous SIGKILL, for exit-time cleanup. */
  killSync(): void {
    this.kill('SIGKILL');
  }

  /** Wait until the combined output matches `pattern`; fails early if the process exits. */
  async waitForOutput(pattern: RegExp | string, opts: WaitOptions = {}): Promise<string> {
    const test = (s: string) => (typeof pattern === 'string' ? s.includes(pattern) : pattern.test(s));
    const last = () => `\n--- ${this.name} output ---\n${this.#output.slice(-4000)}`;
    // waitFor takes a probe's throw for "not yet": the exit ends the wait as a value instead.
    const seen = await waitFor(() => (test(this.#output) ? 'output' : this.#exit ? 'exit' : false), {
      intervalMs: 50,
      what: `${this.name} to print ${String(pattern)}`,
      ...opts,
    }).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}${last()}`);
    });
    if (seen === 'exit')
      throw new Error(
        `${this.name} exited (${JSON.stringify(this.#exit)}) before printing ${String(pattern)}${last()}`,
      );
    return this.output();
  }
}

/** A process's memory, in KiB (NaN where /proc could not be read, e.g. the process is gone). */
export interface ProcessMemory {
  /** Resident now (VmRSS). */
  readonly rssKiB: number;
  /** Resident at its peak so far (VmHWM). */
  readonly peakKiB: number;
  /**
   * Of the resident memory, the anonymous part (smaps_rollup): V8's heap, malloc, stacks. The rest
   * is file-backed, mostly the program's binary, shared with every process running it.
   */
  readonly anonymousKiB: number;
}

/**
 * A task's state letter from /proc/PID/stat (`R` running or runnable, `S` sleeping, `D` waiting for
 * I/O, `Z` a zombie, …), read after the last `)` (a command name may hold one); undefined once it is
 * gone.
 */
export function taskState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const at = stat.lastIndexOf(')');
    return at < 0 ? undefined : stat.slice(at + 2, at + 3) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A task's time on a CPU and its time runnable but waiting for one (its run delay), in ns, from
 * /proc/PID/schedstat (its main thread); undefined once it is gone.
 */
export function schedstat(pid: number): { runNs: number; waitNs: number } | undefined {
  try {
    const [run, wait] = fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return run === undefined || wait === undefined ? undefined : { runNs: run, waitNs: wait };
  } catch {
    return undefined;
  }
}

/** The memory of process `pid`, read from /proc: what the labs and benchmarks print. */
export function processMemory(pid: number | undefined): ProcessMemory {
  const read = (file: string) => {
    try {
      return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
    } catch {
      return '';
    }
  };
  const field = (text: string, name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
  if (pid === undefined) return { rssKiB: Number.NaN, peakKiB: Number.NaN, anonymousKiB: Number.NaN };
  const status = read('status');
  return {
    rssKiB: field(status, 'VmRSS'),
    peakKiB: field(status, 'VmHWM'),
    anonymousKiB: field(read('smaps_rollup'), 'Anonymous'),
  };
}

/**
 * The Node built-in modules (`process.moduleLoadList`'s `NativeModule` entries, e.g.
 * `internal/deps/undici/undici`) that `node --conditions=@bmlb/source ENTRY ...ARGS` has loaded when
 * it exits, run with this Node: for tests that a daemon does not load what it never uses.
 */
export function builtinsLoadedBy(entry: string, args: readonly string[]): string[] {
  const hook =
    'data:text/javascript,process.on("exit",()=>process.stderr.write("\\nLOADED "+JSON.stringify(process.moduleLoadList)+"\\n"))';
  const r = spawnSync(
    process.execPath,
    ['--conditions=@bmlb/source', '--disable-warning=ExperimentalWarning', '--import', hook, entry, ...args],
    { encoding: 'utf8', timeout: 60_000 },
  );
  const line = (r.stderr ?? '').split('\n').find((l) => l.startsWith('LOADED '));
  if (line === undefined)
    throw new Error(
      `${formatArgv([entry, ...args])}: no module list (exit ${r.status}): ${(r.stderr ?? '').slice(-500)}`,
    );
  const prefix = 'NativeModule ';
  return (JSON.parse(line.slice('LOADED '.length)) as string[])
    .filter((m) => m.startsWith(prefix))
    .map((m) => m.slice(prefix.length));
}
