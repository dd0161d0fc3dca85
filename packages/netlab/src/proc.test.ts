import { describe, expect, it } from 'vitest';
import { Proc } from './proc.ts';

describe('Proc', () => {
  it('keeps the last MiB of a long output and hands every chunk to onStdout / onStderr', async () => {
    let out = 0;
    let err = '';
    // 3,000,000 characters of digits on stdout, in many chunks, then one line on stderr.
    const script =
      "const s = '0123456789'.repeat(1000); for (let i = 0; i < 300; i++) process.stdout.write(s); process.stdout.write('END'); process.stderr.write('oops\\n');";
    const p = new Proc([process.execPath, '-e', script], {
      onStdout: (c) => {
        out += c.length;
      },
      onStderr: (c) => {
        err += c;
      },
    });
    await p.exited;
    expect(out).toBe(3_000_003);
    expect(err).toBe('oops\n');
    expect(p.stdout.length).toBe(1 << 20);
    expect(p.stdout.endsWith('789END')).toBe(true);
    expect(p.stderr).toBe('oops\n');
    expect(p.output().length).toBe(1 << 20);
  });
});
