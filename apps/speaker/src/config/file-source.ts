// The file configuration source: reads FILE, hands its text to a loader, and watches it for edits.
// Editors save in different ways (write in place, write a temp file and rename over it, delete and
// recreate), so the directory is watched, events are debounced, and only a change of content (by
// SHA-256) reaches the loader.
//
// A read is a snapshot or nothing: a write that lands while FILE is being read (an in-place rewrite
// truncating it, an append, a rename over it) makes the read inconsistent, and its text is dropped
// and FILE read again once quiet. The text handed on is always one FILE held whole at one moment.
import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';

export interface FileSourceOptions {
  readonly file: string;
  /** Milliseconds of quiet after the last event before the file is read. */
  readonly debounceMs?: number;
  /** Called with each new content (never twice in a row with the same content, unless rechecked). */
  readonly onContent: (text: string, hash: string) => void;
  /** Called when the file cannot be read (missing, permissions): the last content stays in force. */
  readonly onReadError: (err: Error) => void;
  /** A write landed while FILE was being read: that read was dropped and FILE is read again. */
  readonly onTornRead?: (reason: string) => void;
  /** Bytes per read() (default 256 KiB). */
  readonly chunkSize?: number;
}

type ReadResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads `file` whole and checks that nothing wrote to it meanwhile: the open file's size, mtime and
 * ctime are the same before and after (nanoseconds), every byte of that size was read, and the name
 * still points to the inode read. Otherwise `{ ok: false }` says what changed. Errors opening the
 * file (ENOENT, EACCES) are thrown.
 */
async function readConsistent(file: string, chunkSize = 256 * 1024): Promise<ReadResult> {
  const fh = await open(file, 'r');
  try {
    const before = await fh.stat({ bigint: true });
    const expected = Number(before.size);
    // One byte more than expected: reading it means the file grew.
    const buf = Buffer.allocUnsafe(expected + 1);
    let total = 0;
    for (;;) {
      const want = Math.min(chunkSize, buf.length - total);
      if (want === 0) break;
      const { bytesRead } = await fh.read(buf, total, want, null);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    const after = await fh.stat({ bigint: true });
    if (after.size !== before.size || after.mtimeNs !== before.mtimeNs || after.ctimeNs !== before.ctimeNs)
      return {
        ok: false,
        reason: `${file} was written to while it was read (${before.size} → ${after.size} bytes)`,
      };
    if (total !== expected)
      return {
        ok: false,
        reason: `${file}: read ${total} bytes of ${expected} (written to while it was read)`,
      };
    const named = await stat(file, { bigint: true }).catch(() => undefined);
    if (named === undefined || named.ino !== after.ino || named.dev !== after.dev)
      return { ok: false, reason: `${file} was replaced while it was read` };
    return { ok: true, text: buf.toString('utf8', 0, total) };
  } finally {
    await fh.close();
  }
}

export class FileSource {
  readonly #opts: FileSourceOptions;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastHash = '';
  #reading = false;
  #again = false;
  #force = false;
  #closed = false;
  /** The periodic re-check catches edits a watcher can miss (some network filesystems). */
  #poll: NodeJS.Timeout | undefined;

  constructor(opts: FileSourceOptions) {
    this.#opts = opts;
  }

  get lastHash(): string {
    return this.#lastHash;
  }

  /** Starts watching, then reads the file once (resolving after the loader ran). */
  async start(): Promise<void> {
    // Watch first: an edit landing during the first read is then read again at once.
    const dir = path.dirname(path.resolve(this.#opts.file));
    const base = path.basename(this.#opts.file);
    this.#watcher = watch(dir, { persistent: true }, (_event, name) => {
      if (name === null || name === base || name.toString() === base) this.#schedule();
    });
    this.#watcher.on('error', (err) => this.#opts.onReadError(err));
    this.#poll = setInterval(() => this.#schedule(), 5000);
    this.#poll.unref();
    await this.#read();
  }

  /** Re-reads now (for SIGHUP); only a changed content is delivered. */
  reload(): void {
    this.#schedule(0);
  }

  /** Re-reads now and delivers the content even when it did not change. */
  recheck(): void {
    this.#force = true;
    this.#schedule(0);
  }

  close(): void {
    this.#closed = true;
    this.#watcher?.close();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#poll !== undefined) clearInterval(this.#poll);
  }

  #schedule(delay = this.#opts.debounceMs ?? 50): void {
    if (this.#closed) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#read().catch((err: unknown) => this.#opts.onReadError(err as Error));
    }, delay);
  }

  async #read(): Promise<void> {
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = true;
    try {
      let r: ReadResult;
      try {
        r = await readConsistent(this.#opts.file, this.#opts.chunkSize);
      } catch (err) {
        // A rename-over save can leave the name missing for a moment; the next event reads it.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || this.#lastHash === '')
          this.#opts.onReadError(err as Error);
        return;
      }
      if (this.#closed) return;
      if (!r.ok) {
        // A writer is at work: read again once it has been quiet for the debounce time.
        this.#opts.onTornRead?.(r.reason);
        this.#again = true;
        return;
      }
      const hash = createHash('sha256').update(r.text).digest('hex');
      const force = this.#force;
      this.#force = false;
      if (hash === this.#lastHash && !force) return;
      this.#lastHash = hash;
      this.#opts.onContent(r.text, hash);
    } finally {
      this.#reading = false;
      if (this.#again) {
        this.#again = false;
        this.#schedule();
      }
    }
  }
}
