// The file configuration source: reads FILE, hands its text to a loader, and watches it for edits.
// Editors save in different ways (write in place, write a temp file and rename over it, delete and
// recreate), so the directory is watched, events are debounced, and only a change of content (by
// SHA-256) reaches the loader.
import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export interface FileSourceOptions {
  readonly file: string;
  /** Milliseconds of quiet after the last event before the file is read. */
  readonly debounceMs?: number;
  /** Called with each new content (never twice in a row with the same content). */
  readonly onContent: (text: string, hash: string) => void;
  /** Called when the file cannot be read (missing, permissions): the last content stays in force. */
  readonly onReadError: (err: Error) => void;
}

export class FileSource {
  readonly #opts: FileSourceOptions;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastHash = '';
  #reading = false;
  #again = false;
  #closed = false;
  /** The periodic re-check catches edits a watcher can miss (some network filesystems). */
  #poll: NodeJS.Timeout | undefined;

  constructor(opts: FileSourceOptions) {
    this.#opts = opts;
  }

  get lastHash(): string {
    return this.#lastHash;
  }

  /** Reads the file once (resolving after the loader ran) and starts watching. */
  async start(): Promise<void> {
    await this.#read();
    const dir = path.dirname(path.resolve(this.#opts.file));
    const base = path.basename(this.#opts.file);
    this.#watcher = watch(dir, { persistent: true }, (_event, name) => {
      if (name === null || name === base || name.toString() === base) this.#schedule();
    });
    this.#watcher.on('error', (err) => this.#opts.onReadError(err));
    this.#poll = setInterval(() => this.#schedule(), 5000);
    this.#poll.unref();
  }

  /** Re-reads now (for SIGHUP). */
  reload(): void {
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
      let text: string;
      try {
        text = await readFile(this.#opts.file, 'utf8');
      } catch (err) {
        // A rename-over save can leave the name missing for a moment; the next event reads it.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || this.#lastHash === '')
          this.#opts.onReadError(err as Error);
        return;
      }
      const hash = createHash('sha256').update(text).digest('hex');
      if (hash === this.#lastHash) return;
      this.#lastHash = hash;
      this.#opts.onContent(text, hash);
    } finally {
      this.#reading = false;
      if (this.#again) {
        this.#again = false;
        this.#schedule();
      }
    }
  }
}
