import { execFile, execFileSync } from 'node:child_process';

/** A command that exited non-zero (or could not start): names the command, its exit status and stderr. */
export class CommandError extends Error {
  readonly argv: readonly string[];
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  constructor(
    argv: readonly string[],
    exitCode: number | null,
    signal: string | null,
    stdout: string,
    stderr: string,
    cause?: unknown,
  ) {
    const status =
      signal !== null ? `killed by ${signal}` : exitCode !== null ? `exit ${exitCode}` : 'failed to start';
    const detail = (stderr.trim() || stdout.trim()).slice(0, 2000);
    super(`command failed (${status}): ${formatArgv(argv)}${detail ? `\n${detail}` : ''}`, { cause });
    this.name = 'CommandError';
    this.argv = argv;
    this.exitCode = exitCode;
    this.signal = signal;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

export interface RunOptions {
  /** Kill the command after this many ms (default 30 s). */
  timeoutMs?: number;
  /** Text written to the command's stdin. */
  input?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Quote an argv for messages and logs (shell-like, for reading only). */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

/** Run a command to completion; resolves with its output, rejects with a CommandError. */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new TypeError('run: empty argv');
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        encoding: 'utf8',
        timeout: opts.timeoutMs ?? 30_000,
        maxBuffer: 64 * 1024 * 1024,
        env: opts.env ? { ...process.env, ...opts.env } : process.env,
      },
      (err, stdout, stderr) => {
        if (err) {
          const e = err as NodeJS.ErrnoException & { code?: unknown; signal?: string | null };
          const code = typeof e.code === 'number' ? e.code : null;
          reject(
            new CommandError(argv, code, e.signal ?? null, stdout ?? '', stderr ?? String(e.message), err),
          );
        } else resolve({ stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Synchronous run, for exit-time cleanup only. Returns stdout, or undefined when the command failed. */
export function runSyncQuiet(argv: readonly string[], timeoutMs = 5_000): string | undefined {
  const [file, ...args] = argv;
  if (file === undefined) return undefined;
  try {
    return execFileSync(file, args, {
      encoding: 'utf8',
      timeout: timeoutMs,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return undefined;
  }
}
