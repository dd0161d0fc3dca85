// FileSource against writers: a write that lands while FILE is being read (between two of the
// reader's read() calls) must never deliver a text FILE did not hold at one moment.
import fs, { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FileSource } from './file-source.ts';

// A writer that lands between two read() calls of the reader, once the reader holds `afterBytes`
// bytes: the interleaving a real writer (`kubectl get … > FILE`, an editor saving in place) can have
// with a real reader, made deterministic. Both ways of reading go through it: FileHandle.read, and
// readFile (emulated as Node runs it for a regular file: fstat for the size, then read() calls until
// that many bytes or EOF, in 64 KiB pieces here where Node uses 512 KiB).
const hook = vi.hoisted(() => ({
  afterBytes: Number.POSITIVE_INFINITY,
  writer: undefined as (() => void) | undefined,
}));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const land = (total: number) => {
    const w = hook.writer;
    if (w !== undefined && total >= hook.afterBytes) {
      hook.writer = undefined;
      w();
    }
  };
  const open: typeof real.open = async (...args: Parameters<typeof real.open>) => {
    const fh = await real.open(...args);
    let total = 0;
    return new Proxy(fh, {
      get(target, key) {
        if (key === 'read')
          return async (...a: unknown[]) => {
            const r = await (target.read as (...x: unknown[]) => Promise<{ bytesRead: number }>)(...a);
            total += r.bytesRead;
            land(total);
            return r;
          };
        const v = Reflect.get(target, key);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  };
  const readFile = async (file: string, opts?: unknown) => {
    const fh = await open(file, 'r');
    try {
      const size = (await fh.stat()).size;
      const chunks: Buffer[] = [];
      for (let got = 0; got < size; ) {
        const buf = Buffer.alloc(Math.min(65536, size - got));
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        got += bytesRead;
        chunks.push(buf.subarray(0, bytesRead));
      }
      const b = Buffer.concat(chunks);
      return opts === 'utf8' || (opts as { encoding?: string } | undefined)?.encoding === 'utf8'
        ? b.toString('utf8')
        : b;
    } finally {
      await fh.close();
    }
  };
  return { ...real, open, readFile, default: { ...real, open, readFile } };
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** A manifest of `n` Services (about 330 bytes each). */
function manifest(n: number, header: string): string {
  const docs = [header];
  for (let i = 0; i < n; i++)
    docs.push(
      `apiVersion: v1\nkind: Service\nmetadata: { name: s${i}, namespace: default }\nspec: { type: LoadBalancer, externalTrafficPolicy: Cluster }\nstatus: { loadBalancer: { ingress: [{ ip: 203.0.113.${i % 250} }] } }\n# padding padding padding padding padding padding padding padding padding padding padding padding`,
    );
  return `${docs.join('\n---\n')}\n`;
}

let sources: FileSource[] = [];
afterEach(() => {
  for (const s of sources) s.close();
  sources = [];
  hook.writer = undefined;
  hook.afterBytes = Number.POSITIVE_INFINITY;
});

function source(file: string, got: string[]): FileSource {
  const s = new FileSource({
    file,
    debounceMs: 20,
    onContent: (text) => got.push(text),
    onReadError: (err) => got.push(`error: ${err.message}`),
  });
  sources.push(s);
  return s;
}

describe('FileSource: writes that land mid-read', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bmlb-file-source-'));

  it('a rewrite landing mid-read (truncate, then part of the new text) is never delivered torn', async () => {
    const file = path.join(dir, 'rewrite.yaml');
    const before = manifest(800, '# revision 1');
    const after = manifest(800, '# revision 2, written by another tool'); // differs from the first byte on
    expect(before.length).toBeGreaterThan(3 * 65536);
    fs.writeFileSync(file, before);
    const cut = after.indexOf('\n---\n', 150_000) + 1; // a document boundary past the torn point
    hook.afterBytes = 65536;
    hook.writer = () => {
      fs.truncateSync(file, 0);
      fs.appendFileSync(file, after.slice(0, cut));
    };
    const got: string[] = [];
    await source(file, got).start();
    // the writer finishes later
    await sleep(60);
    fs.appendFileSync(file, after.slice(cut));
    await until(() => got.at(-1) === after, 'the finished text');
    // every text delivered is one FILE held at some moment: never the first 64 KiB of the old text
    // followed by the new one
    for (const t of got)
      expect([before, after.slice(0, cut), after].indexOf(t), t.slice(0, 40)).toBeGreaterThanOrEqual(0);
    expect(got).not.toContain(before.slice(0, 65536) + after.slice(65536, cut));
  });

  it('an append landing mid-read is read again, whole', async () => {
    const file = path.join(dir, 'append.yaml');
    const first = manifest(800, '# part 1');
    const more = manifest(50, '# part 2');
    fs.writeFileSync(file, first);
    hook.afterBytes = 65536;
    hook.writer = () => fs.appendFileSync(file, `---\n${more}`);
    const got: string[] = [];
    await source(file, got).start();
    await until(() => got.length > 0, 'a delivery');
    await sleep(100);
    expect(got).toEqual([`${first}---\n${more}`]);
  });

  it('a file replaced (renamed over) mid-read is read again from its new inode', async () => {
    const file = path.join(dir, 'rename.yaml');
    const first = manifest(800, '# old inode');
    const second = manifest(800, '# new inode, renamed over the old one');
    fs.writeFileSync(file, first);
    hook.afterBytes = 65536;
    hook.writer = () => {
      // the old inode is changed after being unlinked, which a reader holding it open still sees
      fs.writeFileSync(`${file}.tmp`, second);
      fs.renameSync(`${file}.tmp`, file);
    };
    const got: string[] = [];
    await source(file, got).start();
    await until(() => got.at(-1) === second, 'the new file');
    for (const t of got) expect([first, second].indexOf(t), t.slice(0, 40)).toBeGreaterThanOrEqual(0);
  });
});
