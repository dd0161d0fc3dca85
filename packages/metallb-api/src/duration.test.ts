import { describe, expect, it } from 'vitest';
import { formatDuration, parseGoDuration } from './duration.ts';

describe('parseGoDuration (Go time.ParseDuration)', () => {
  it.each([
    ['90s', 90000],
    ['1m30s', 90000],
    ['1h', 3600000],
    ['300ms', 300],
    ['1.5s', 1500],
    ['.5s', 500],
    ['5.s', 5000],
    ['0', 0],
    ['-2s', -2000],
    ['+3s', 3000],
    ['1h2m3s4ms5us6ns', 3723004.005006],
    ['10µs', 0.01],
    ['10μs', 0.01],
  ])('%s → %d ms', (s, ms) => {
    const r = parseGoDuration(s);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.ms).toBeCloseTo(ms, 9);
  });
  it.each([
    ['', 'empty'],
    ['90', 'missing unit'],
    ['1d', 'unknown unit "d"'],
    ['s', 'a number is expected'],
    ['1m 30s', 'unknown unit "m "'],
    ['abc', 'a number is expected'],
    ['1s!', 'unknown unit "s!"'],
  ])('%j is rejected (%s)', (s, why) => {
    const r = parseGoDuration(s);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(why);
  });
  it('formats like Go', () => {
    expect(formatDuration(90000)).toBe('1m30s');
    expect(formatDuration(300)).toBe('300ms');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(3600000)).toBe('1h0m0s');
  });
});
