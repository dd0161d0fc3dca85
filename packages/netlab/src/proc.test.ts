import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lineReader, Proc, processMemory, schedstat, taskState } from './proc.ts';

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

describe('processMemory', () => {
  it("reads a process's resident, peak and anonymous memory from /proc, NaN for one that is gone", () => {
    const m = processMemory(process.pid);
    expect(m.rssKiB).toBeGreaterThan(0);
    expect(m.peakKiB).toBeGreaterThanOrEqual(m.rssKiB);
    expect(m.anonymousKiB).toBeGreaterThan(0);
    expect(m.anonymousKiB).toBeLessThanOrEqual(m.peakKiB);
    expect(processMemory(undefined)).toEqual({ rssKiB: NaN, peakKiB: NaN, anonymousKiB: NaN });
    expect(processMemory(2 ** 22 + 1).rssKiB).toBeNaN(); // above the kernel's pid_max limit
  });
});

describe('taskState and schedstat', () => {
  it('read a live process, a sleeping one and none', async () => {
    expect(taskState(process.pid)).toBe('R');
    expect(schedstat(process.pid)?.runNs).toBeGreaterThan(0);
    // A command name with ") " in it (the name of the file it runs): the state is read after the last ')'.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netlab-proc-'));
    const odd = path.join(dir, 'x) R y');
    fs.symlinkSync(execFileSync('which', ['sleep'], { encoding: 'utf8' }).trim(), odd);
    const p = new Proc([odd, '30']);
    try {
      await new Promise((r) => setTimeout(r, 200));
      expect(fs.readFileSync(`/proc/${p.pid}/stat`, 'utf8')).toContain('(x) R y) S ');
      expect(taskState(p.pid)).toBe('S');
      expect(schedstat(p.pid)?.waitNs).toBeGreaterThanOrEqual(0);
    } finally {
      await p.stop();
      fs.rmSync(dir, { recursive: true });
    }
    expect(taskState(2 ** 30)).toBeUndefined();
    expect(schedstat(2 ** 30)).toBeUndefined();
  });
});

describe('lineReader', () => {
  it('gives whole lines, however the chunks cut them, and holds an unfinished one', () => {
    const text = 'one\ntwo words\n\nthree';
    for (let cut = 0; cut <= text.length; cut++) {
      const got: string[] = [];
      const read = lineReader((l) => got.push(l));
      read(text.slice(0, cut));
      read(text.slice(cut));
      expect(got).toEqual(['one', 'two words', '']);
      read('\n');
      expect(got).toEqual(['one', 'two words', '', 'three']);
    }
  });
});
