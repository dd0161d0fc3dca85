import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { internalized, objectKey } from './meta.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap bytes held per element of `make()`'s result, after a full collection. */
function heapPerItem(count: number, make: (i: number) => string): number {
  const keep: string[] = new Array(count);
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < count; i++) keep[i] = make(i);
  gc();
  const after = process.memoryUsage().heapUsed;
  expect(keep.length).toBe(count);
  return (after - before) / count;
}

describe('objectKey', () => {
  it('is namespace/name', () => {
    expect(objectKey('metallb-system', 'tor1')).toBe('metallb-system/tor1');
    expect(objectKey('', 'x')).toBe('/x');
    // A name that alone would be an array index stays a string key.
    expect(objectKey('default', '0')).toBe('default/0');
  });

  it('internalized returns an equal string, also for an array-index-like one', () => {
    expect(internalized(['discovery.k8s.io', 'v1'].join('/'))).toBe('discovery.k8s.io/v1');
    expect(internalized('12')).toBe('12');
    expect(internalized('')).toBe('');
  });

  it('gives one shared copy of a key however often it is built', () => {
    // 100,000 keys of 1,000 objects, each built afresh from parts (as a cache, an index and a map
    // each build theirs): interned, the array's slots point to 1,000 strings.
    const ns = ['bench', 'metallb-system'];
    const part = (i: number) => [ns[i % 2] as string, `svc-${i % 1000}`] as const;
    const shared = heapPerItem(100_000, (i) => objectKey(...part(i)));
    const concatenated = heapPerItem(100_000, (i) => `${part(i)[0]}/${part(i)[1]}`);
    // A slot is 8 bytes; the concatenations hold a string (or two) each, the keys 1,000 in all.
    expect(shared).toBeLessThan(12);
    expect(concatenated).toBeGreaterThan(24);
  });
});
