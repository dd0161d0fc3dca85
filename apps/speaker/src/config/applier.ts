// Between FILE and the speaker: decides whether a content read from FILE is applied now, later, or
// never. What a router sees must come from a configuration someone meant, not from a FILE caught in
// the middle of being written; the rules below keep every half-written FILE we can tell apart from an
// edit away from the routers, and say which one still gets through.
//
// The rules, in order (FileSource already hands on only texts FILE held whole at one moment):
//
// 1. An invalid content is rejected as a whole and the running configuration stays (MetalLB's rule).
// 2. A FILE with no documents (empty, or only white space, comments and `---`) is not a
//    configuration: it is ignored, like a missing FILE, and the running configuration stays. Every
//    in-place rewrite (`: > FILE`, `kubectl get … > FILE`, an editor saving in place, a full disk)
//    passes through an empty FILE, and nobody means "withdraw everything" by it: to run with no
//    peers, write a configuration that has none (rule 4 applies).
// 3. Once FILE has been seen mid-rewrite (empty, written to while it was read, or cut short as in
//    rule 4), an edit applies only after FILE has kept it unchanged for `rewriteSettleMs` (default
//    1 s): a writer that pauses can leave a valid beginning of the file (its first documents), which
//    is not what it is writing. Ordinary edits (an editor's save, a rename over FILE) apply at once.
// 4. Two kinds of edit get a second look: they apply only if FILE still holds them `removalHoldMs`
//    (default 10 s) after they first appeared, and are dropped as soon as FILE changes.
//    a. An edit that removes every object of a kind all announcements depend on (every BGPPeer with
//       a session from this node, every IPAddressPool, every BGPAdvertisement, every Service, every
//       EndpointSlice): it withdraws everything at once, and a truncated FILE most often lacks whole
//       kinds (its tail).
//    b. A content that is a strict beginning (byte prefix) of the running one: FILE cut short. Every
//       in-place rewrite of an unchanged configuration, or of one changed only after the cut, passes
//       through such a FILE, whether or not its truncation was seen; a deliberate edit that only
//       deletes FILE's last documents looks the same and waits too. The check is one string
//       comparison with the running text, which is kept for it.
//    An edit that merely withdraws some routes elsewhere in FILE (a Service deleted, the last
//    endpoint leaving) takes effect at once.
//
// What still gets through, exactly: a half-written FILE that is valid and removes no whole kind
// reaches the routers
// - when it differs from the running content before the cut (the writer changed an earlier
//   document), and either its truncation was never seen (the truncation and the first part landed
//   within one debounce period of FileSource, 50 ms by default, so no read saw FILE empty or torn)
//   or the writer paused longer than `rewriteSettleMs` (1 s) after that part;
// - or when it is a beginning of the running content and the writer paused longer than
//   `removalHoldMs` (10 s).
// Until the rest is written, what the missing tail would have kept (its Services' routes) is
// withdrawn. Writing a temporary file and renaming it over FILE is atomic and has no such window.
import type { Logger } from 'pino';
import type { Speaker } from '../speaker/speaker.ts';
import type { LoadResult } from '../speaker/types.ts';

export interface ConfigApplierOptions {
  /** FILE's path, for messages. */
  readonly file: string;
  readonly speaker: Speaker;
  readonly logger: Logger;
  /** Parses and validates a content (loadManifests with the document cache). */
  readonly load: (text: string) => LoadResult;
  /** Read FILE again and deliver its content even when it did not change (FileSource.recheck). */
  readonly recheck: () => void;
  /**
   * How long an edit removing every peer, pool, advertisement, Service or EndpointSlice, or cutting
   * FILE short to a beginning of the running content, must stay in FILE (ms).
   */
  readonly removalHoldMs?: number;
  /** How long an edit must stay unchanged after FILE was seen mid-rewrite (ms). */
  readonly rewriteSettleMs?: number;
}

const DEFAULT_REMOVAL_HOLD_MS = 10_000;
const DEFAULT_REWRITE_SETTLE_MS = 1_000;

interface Waiting {
  readonly hash: string;
  /** performance.now() when FILE first held it. */
  readonly since: number;
  readonly waitMs: number;
}

export class ConfigApplier {
  readonly #o: ConfigApplierOptions;
  #waiting: Waiting | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** FILE was seen mid-rewrite (empty, written to while read, cut short) since the last applied content. */
  #rewriting = false;
  /** The text of the content that runs (rule 4b compares new contents with it). */
  #appliedText: string | undefined;
  #closed = false;

  constructor(o: ConfigApplierOptions) {
    this.#o = o;
  }

  get #log(): Logger {
    return this.#o.logger;
  }

  /** FileSource saw a write land while it read FILE (and reads it again). */
  onTornRead(reason: string): void {
    this.#rewriting = true;
    this.#log.debug({ event: 'configTornRead', reason }, `${reason}; reading it again`);
  }

  /** A content FILE held whole (FileSource's onContent). */
  onContent(text: string, hash: string): void {
    if (this.#closed) return;
    const sp = this.#o.speaker;
    const now = performance.now();
    if (hash === sp.appliedHash) {
      // Back to what runs (after an empty, partly written, rejected or undone edit): nothing to send.
      const was = sp.pending?.kind ?? (sp.status().config.lastErrors.length > 0 ? 'rejected' : undefined);
      const restored = sp.backToApplied();
      this.#stopWaiting();
      this.#rewriting = false;
      if (restored)
        this.#log.info(
          { event: 'configRestored', hash: hash.slice(0, 12), was },
          `${this.#o.file} holds the running configuration again; nothing changed`,
        );
      return;
    }
    // A different content ends any wait for the previous one.
    if (this.#waiting !== undefined && this.#waiting.hash !== hash) this.#stopWaiting();
    const t0 = performance.now();
    let result: LoadResult;
    try {
      result = this.#o.load(text);
    } catch (err) {
      // A bug on some input must not take the running configuration down: report it as a rejection.
      result = {
        ok: false,
        errors: [`${this.#o.file}: internal error while reading it: ${(err as Error).stack ?? String(err)}`],
      };
    }
    const t1 = performance.now();
    if (!result.ok) {
      this.#stopWaiting();
      this.#process(result, hash, t0, t1);
      return;
    }
    if (result.objects === 0) {
      // Rule 2: no documents is no configuration.
      this.#stopWaiting();
      this.#rewriting = true;
      const running = sp.appliedHash !== undefined;
      sp.setPending({
        kind: 'empty',
        hash,
        reason: `${this.#o.file} has no documents (empty, or being rewritten); ${running ? 'the running configuration stays' : 'waiting for a configuration'}`,
        since: Date.now(),
      });
      this.#log.warn(
        {
          event: 'configEmpty',
          file: this.#o.file,
          hash: hash.slice(0, 12),
          keeping: sp.appliedHash?.slice(0, 12) ?? 'none',
        },
        `${this.#o.file} has no documents: not a configuration (truncated or being rewritten?); ${running ? 'the running configuration stays' : 'nothing to run yet'}`,
      );
      return;
    }
    // Rule 4: what deserves a second look, and why.
    const sweep = sp.sweepingChange(result.snapshot);
    const cut = this.#cutShort(text);
    if (cut !== undefined) this.#rewriting = true;
    const why = [sweep, cut].filter((w) => w !== undefined).join('; ');
    const holdMs = this.#o.removalHoldMs ?? DEFAULT_REMOVAL_HOLD_MS;
    const settleMs = this.#o.rewriteSettleMs ?? DEFAULT_REWRITE_SETTLE_MS;
    const waitMs = Math.max(why !== '' ? holdMs : 0, this.#rewriting ? settleMs : 0);
    if (waitMs > 0) {
      const w = this.#waiting;
      if (w === undefined) {
        // Rules 3 and 4: look again later.
        this.#waiting = { hash, since: now, waitMs };
        const kind = why !== '' && holdMs > 0 ? 'held' : 'settling';
        const reason =
          kind === 'held'
            ? `${why}; applied only if ${this.#o.file} still says so after ${holdMs / 1000} s`
            : `${this.#o.file} is being rewritten in place; its content applies once unchanged for ${settleMs / 1000} s`;
        sp.setPending({ kind, hash, reason, since: Date.now(), until: Date.now() + waitMs });
        if (kind === 'held')
          this.#log.warn(
            { event: 'configHeld', hash: hash.slice(0, 12), holdMs, cutShort: cut !== undefined },
            reason,
          );
        else this.#log.info({ event: 'configSettling', hash: hash.slice(0, 12), settleMs }, reason);
        this.#arm(waitMs);
        return;
      }
      const left = w.since + waitMs - now;
      if (left > 0) {
        // Delivered again before its time (a recheck, a touch): keep waiting.
        this.#arm(left);
        return;
      }
      this.#log.info(
        { event: 'configConfirmed', hash: hash.slice(0, 12), waitedMs: Math.round(now - w.since) },
        `${this.#o.file} still holds the edit after ${Math.round(now - w.since)} ms: applying it`,
      );
    }
    this.#stopWaiting();
    this.#rewriting = false;
    if (this.#process(result, hash, t0, t1)) this.#appliedText = text;
  }

  /**
   * Rule 4b: why `text` looks like FILE cut short (a strict byte prefix of the running content), or
   * undefined. Both are UTF-8 decoded, so a byte prefix is a string prefix, except for a character
   * the cut splits: it reads as U+FFFD at the end, left out of the comparison.
   */
  #cutShort(text: string): string | undefined {
    const applied = this.#appliedText;
    if (applied === undefined) return undefined;
    let end = text.length;
    while (end > 0 && text.charCodeAt(end - 1) === 0xfffd) end--;
    if (end >= applied.length || !applied.startsWith(end === text.length ? text : text.slice(0, end)))
      return undefined;
    return `${this.#o.file} holds only the first ${text.length} of the ${applied.length} characters of the running configuration (cut short: a rewrite in place caught midway, or its last documents deleted)`;
  }

  close(): void {
    this.#closed = true;
    this.#stopWaiting();
  }

  /** Hands a loader result to the speaker and logs it; returns whether it was applied. */
  #process(result: LoadResult, hash: string, t0: number, t1: number): boolean {
    const applied = this.#o.speaker.load(result, hash);
    const t2 = performance.now();
    const ms = +(t2 - t0).toFixed(2);
    // readMs: parsing and validating FILE; applyMs: computing the routes and handing them to the sessions.
    const readMs = +(t1 - t0).toFixed(2);
    const applyMs = +(t2 - t1).toFixed(2);
    this.#log.info(
      { event: 'configProcessed', hash: hash.slice(0, 12), applied, ms, readMs, applyMs },
      `configuration ${applied ? 'applied' : 'rejected'} in ${ms} ms (reading ${readMs} ms, applying ${applyMs} ms)`,
    );
    return applied;
  }

  /** Reads FILE again when the wait is over, and every wait period after while still waiting. */
  #arm(ms: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        const w = this.#waiting;
        if (w === undefined || this.#closed) return;
        this.#arm(w.waitMs); // again if FILE cannot be read now (missing for a moment)
        this.#o.recheck();
      },
      Math.max(0, ms),
    );
  }

  #stopWaiting(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#waiting !== undefined) {
      this.#waiting = undefined;
      const p = this.#o.speaker.pending;
      if (p !== undefined && p.kind !== 'empty') this.#o.speaker.setPending(undefined);
    }
  }
}
