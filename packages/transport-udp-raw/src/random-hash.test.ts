import { describe, expect, it } from 'vitest';
import { nodeHash } from './hash.ts';
import { cryptoRandom } from './random.ts';

describe('cryptoRandom', () => {
  it('gives numbers in [0, 1), spread evenly over ten bins, across batch refills', () => {
    const random = cryptoRandom(64);
    const bins = new Array<number>(10).fill(0);
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const r = random();
      expect(r >= 0 && r < 1).toBe(true);
      bins[Math.floor(r * 10)]! += 1;
    }
    // each bin expects 2,000 (σ ≈ 42): ±300 is over 7σ
    for (const b of bins) expect(Math.abs(b - n / 10)).toBeLessThan(300);
  });
});

describe('nodeHash', () => {
  it('is MD5 and SHA1 (RFC 1321 / FIPS 180 test vectors)', () => {
    const abc = new TextEncoder().encode('abc');
    expect(Buffer.from(nodeHash('md5', abc)).toString('hex')).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(Buffer.from(nodeHash('sha1', abc)).toString('hex')).toBe(
      'a9993e364706816aba3e25717850c26c9cd0d89d',
    );
  });
});
