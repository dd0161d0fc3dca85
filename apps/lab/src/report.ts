// What the lab prints: sections, the commands an operator or a network engineer would type with
// their output, measured figures, and checks. A failed check is remembered (the lab exits non-zero);
// checks on wall-clock figures are marked as such, so the interop test can leave them out (tests
// never assert on speed) while the lab still holds the seed to its promises.

export interface Check {
  readonly what: string;
  readonly ok: boolean;
  /** A promise about measured time (e.g. "under a second"), not about behaviour. */
  readonly timing: boolean;
  readonly detail: string | undefined;
}

export class Report {
  readonly checks: Check[] = [];
  readonly goals: { what: string; met: boolean }[] = [];
  readonly #write: (text: string) => void;
  readonly #color: boolean;

  constructor(write: (text: string) => void = (t) => process.stdout.write(t), color = false) {
    this.#write = write;
    this.#color = color;
  }

  get failures(): Check[] {
    return this.checks.filter((c) => !c.ok);
  }

  #c(code: string, s: string): string {
    return this.#color ? `\x1b[${code}m${s}\x1b[0m` : s;
  }

  say(text = ''): void {
    this.#write(`${text}\n`);
  }

  section(title: string): void {
    this.say(`\n${this.#c('1', `== ${title}`)}`);
  }

  /** A command as typed (`$ kubectl get svc web`, `tor1# show ip route …`) and its output, indented. */
  cmd(prompt: string, output: string): void {
    this.say(this.#c('36', prompt));
    const text = output.replace(/\s+$/, '');
    if (text !== '') this.say(text.replace(/^/gm, '    '));
  }

  /** Records and prints a check; returns `ok`. */
  check(ok: boolean, what: string, opts: { detail?: string; timing?: boolean } = {}): boolean {
    this.checks.push({ what, ok, timing: opts.timing === true, detail: opts.detail });
    const mark = ok ? this.#c('32', 'ok  ') : this.#c('31', 'FAIL');
    this.say(`  [${mark}] ${what}${opts.detail !== undefined && !ok ? `: ${opts.detail}` : ''}`);
    return ok;
  }

  /**
   * A goal of the issue rather than an expectation of the seed (e.g. "under 1 s of traffic outage"):
   * printed and listed in the summary, but a missed goal does not fail the run.
   */
  goal(met: boolean, what: string): boolean {
    this.goals.push({ what, met });
    this.say(`  [${met ? this.#c('32', 'goal met') : this.#c('33', 'goal MISSED')}] ${what}`);
    return met;
  }
}

/** Milliseconds as the lab prints them: `734 ms`, `8.012 s`. */
export function fmtMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '?';
  return ms >= 1000 ? `${(ms / 1000).toFixed(3)} s` : `${Math.round(ms)} ms`;
}
