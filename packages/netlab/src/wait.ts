export interface WaitOptions {
  /** Give up after this many ms (default 10 s). */
  timeoutMs?: number;
  /** Poll interval in ms (default 100). */
  intervalMs?: number;
  /** What is being waited for, for the timeout message. */
  what?: string;
}

/** Thrown when waitFor runs out of time: says what was awaited and the last value or error seen. */
export class WaitTimeoutError extends Error {
  readonly last: unknown;
  constructor(what: string, timeoutMs: number, last: unknown) {
    const shown =
      last instanceof Error ? `last error: ${last.message}` : `last value: ${safeStringify(last)}`;
    super(`timed out after ${timeoutMs} ms waiting for ${what} (${shown})`);
    this.name = 'WaitTimeoutError';
    this.last = last;
  }
}

function safeStringify(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 500 ? `${s.slice(0, 500)}…` : s;
  } catch {
    return String(v);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Poll `probe` until it returns a truthy value (returned) or the time runs out (WaitTimeoutError).
 * A probe that throws counts as "not yet"; its last error is reported on timeout.
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  opts: WaitOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err;
    }
    const left = deadline - performance.now();
    if (left <= 0) throw new WaitTimeoutError(opts.what ?? 'condition', timeoutMs, last);
    await sleep(Math.min(intervalMs, left));
  }
}
