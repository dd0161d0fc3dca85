/**
 * Go's `time.ParseDuration`, which Kubernetes uses for `metav1.Duration` fields (`holdTime: 90s`,
 * `keepaliveTime: 1m30s`). Returns milliseconds (fractional for sub-millisecond units).
 */

const UNIT_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3, // U+00B5 micro sign
  μs: 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Largest duration Go can hold: 2^63-1 ns. */
const MAX_NS = 2 ** 63 - 1;

export type DurationResult = { ok: true; ms: number } | { ok: false; error: string };

export function parseGoDuration(text: string): DurationResult {
  const bad = (why: string): DurationResult => ({
    ok: false,
    error: `invalid duration ${JSON.stringify(text)}: ${why}`,
  });
  let s = text;
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return { ok: true, ms: 0 };
  if (s === '') return bad('empty');
  let totalNs = 0;
  const re = /^([0-9]*)(?:\.([0-9]*))?([^0-9.]+)/;
  while (s !== '') {
    const m = re.exec(s);
    if (m === null) {
      return bad(
        /^[0-9.]+$/.test(s) ? `missing unit in "${s}" (use ns, us, ms, s, m or h)` : `unexpected "${s}"`,
      );
    }
    const [all, intPart = '', fracPart, unitRaw = ''] = m;
    if (intPart === '' && (fracPart === undefined || fracPart === ''))
      return bad('a number is expected before the unit');
    // The unit runs until the next digit or dot.
    const unit = unitRaw;
    const mult = Object.hasOwn(UNIT_NS, unit) ? UNIT_NS[unit] : undefined;
    if (mult === undefined) return bad(`unknown unit "${unit}" (use ns, us, ms, s, m or h)`);
    const value = Number(`${intPart === '' ? '0' : intPart}.${fracPart ?? '0'}`);
    totalNs += value * mult;
    if (totalNs > MAX_NS) return bad('overflows');
    s = s.slice(all.length);
  }
  const ms = totalNs / 1e6;
  return { ok: true, ms: neg ? -ms : ms };
}

/** Format milliseconds the way Go's `Duration.String` does for whole values: `1m30s`, `300ms`, `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${rest}ms`;
  const h = Math.floor(rest / 3600000);
  rest -= h * 3600000;
  const m = Math.floor(rest / 60000);
  rest -= m * 60000;
  const sec = rest / 1000;
  return `${sign}${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${sec}s`;
}
