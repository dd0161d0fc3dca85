import { describe, expect, it } from 'vitest';
import { formatArgv } from './exec.ts';
import { WaitTimeoutError, waitFor } from './wait.ts';

describe('waitFor', () => {
  it('returns the first truthy value', async () => {
    let n = 0;
    await expect(waitFor(() => (++n >= 3 ? n : 0), { intervalMs: 1 })).resolves.toBe(3);
  });

  it('times out naming what it waited for and the last error', async () => {
    const err = await waitFor(
      () => {
        throw new Error('not yet');
      },
      { timeoutMs: 30, intervalMs: 5, what: 'the moon' },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect((err as Error).message).toMatch(/waiting for the moon \(last error: not yet\)/);
  });
});

describe('formatArgv', () => {
  it('quotes what a shell would split', () => {
    expect(formatArgv(['vtysh', '-c', 'show bgp neighbors 10.0.0.1 json', "it's"])).toBe(
      `vtysh -c 'show bgp neighbors 10.0.0.1 json' 'it'\\''s'`,
    );
  });
});
