import { describe, expect, it } from 'vitest';
import { enterMemorySavingMode } from './v8-memory.ts';

describe("V8's memory-saving mode", () => {
  it('is on unless the command line turns it off', () => {
    expect(enterMemorySavingMode([])).toBe(true);
    expect(enterMemorySavingMode(['--max-semi-space-size=1'])).toBe(true);
    expect(enterMemorySavingMode(['--no-optimize-for-size'])).toBe(false);
  });
});
