import { describe, expect, it } from 'vitest';
import { ahead, aheadByMedian } from './bench.ts';

describe('the table: whether bmlb is ahead', () => {
  it('compares two measured times', () => {
    expect(ahead(120, 300)).toBe(true);
    expect(ahead(300, 120)).toBe(false);
    expect(ahead(120, 120)).toBe(false);
  });

  it('is ahead of a step that did not finish within its time limit, never when its own did not', () => {
    expect(ahead(169_689, Number.NaN)).toBe(true);
    expect(ahead(Number.NaN, 120)).toBe(false);
    expect(ahead(Number.NaN, Number.NaN)).toBe(false);
  });

  it('compares drains by their medians, a drain that did not finish counting as the slowest', () => {
    expect(aheadByMedian([161, 140, 297], [Number.NaN, Number.NaN, Number.NaN])).toBe(true);
    expect(aheadByMedian([161, 140, 297], [180, 240, 314])).toBe(true);
    expect(aheadByMedian([161, 250, 297], [180, 240, Number.NaN])).toBe(false);
    expect(aheadByMedian([161, Number.NaN, Number.NaN], [180, 240, 314])).toBe(false);
  });
});
