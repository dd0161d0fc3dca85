import { describe, expect, it } from 'vitest';
import { jsonObjects, percentile } from './cluster-lab.ts';

describe('jsonObjects (kubectl --watch -o json, stamped lines)', () => {
  it('reads one object per line and objects printed over several lines, stamped with their last line', () => {
    const lines = [
      { at: 1, text: '{"type":"ADDED","object":{"n":"a}"}}' },
      { at: 2, text: '' },
      { at: 3, text: '{' },
      { at: 4, text: '  "type": "MODIFIED",' },
      { at: 5, text: '  "object": {"s": "quote \\" and { brace"}' },
      { at: 6, text: '}' },
      { at: 7, text: 'not json' },
    ];
    expect(jsonObjects(lines)).toEqual([
      { at: 1, value: { type: 'ADDED', object: { n: 'a}' } } },
      { at: 6, value: { type: 'MODIFIED', object: { s: 'quote " and { brace' } } },
    ]);
  });
});

describe('percentile', () => {
  it('nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
  });
});
