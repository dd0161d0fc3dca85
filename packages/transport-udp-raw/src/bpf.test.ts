import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACCEPT_ALL, compileTtlFilter, MARK_TTL_DROP, MAX_INSTRUCTIONS } from './bpf.ts';
import { networkHeader, runFilter } from './test-support/cbpf.ts';

const family = fc.constantFrom(4 as const, 6 as const);
const ttl = fc.integer({ min: 1, max: 255 });

describe('compileTtlFilter', () => {
  it('single hop: accepts TTL 255 only, marks everything else, drops empty datagrams', () => {
    for (const f of [4, 6] as const) {
      const program = compileTtlFilter({ family: f, minTtl: 255 });
      const src = new Uint8Array(f === 4 ? 4 : 16).fill(7);
      for (let t = 0; t <= 255; t++) {
        const expected = t === 255 ? ACCEPT_ALL : MARK_TTL_DROP;
        expect(runFilter(program, { network: networkHeader(f, t, src), udpLength: 32 })).toBe(expected);
      }
      expect(runFilter(program, { network: networkHeader(f, 255, src), udpLength: 8 })).toBe(0);
    }
  });

  it('multihop: per-source minimums, the default for every other source (property)', () => {
    fc.assert(
      fc.property(
        family,
        ttl,
        fc.integer({ min: 0, max: 20 }),
        fc.array(ttl, { maxLength: 20 }),
        fc.integer({ min: 0, max: 30 }),
        ttl,
        (f, defaultMin, n, mins, pick, packetTtl) => {
          const size = f === 4 ? 4 : 16;
          // distinct sources: the index in the last two bytes, a common prefix so sources differ late
          const source = (i: number) => {
            const b = new Uint8Array(size).fill(0x20);
            b[size - 2] = i >> 8;
            b[size - 1] = i & 0xff;
            return b;
          };
          const overrides = mins.slice(0, n).map((minTtl, i) => ({ source: source(i), minTtl }));
          const program = compileTtlFilter({ family: f, minTtl: defaultMin, overrides });
          const from = overrides[pick];
          const min = from ? from.minTtl : defaultMin;
          const got = runFilter(program, {
            network: networkHeader(f, packetTtl, source(pick)),
            udpLength: 32,
          });
          expect(got).toBe(packetTtl >= min ? ACCEPT_ALL : MARK_TTL_DROP);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a source that matches only in its first words is not mistaken for an override (IPv6)', () => {
    const a = new Uint8Array(16).fill(1);
    const b = a.slice();
    b[15] = 2;
    const program = compileTtlFilter({ family: 6, minTtl: 254, overrides: [{ source: a, minTtl: 10 }] });
    expect(runFilter(program, { network: networkHeader(6, 100, a), udpLength: 32 })).toBe(ACCEPT_ALL);
    expect(runFilter(program, { network: networkHeader(6, 100, b), udpLength: 32 })).toBe(MARK_TTL_DROP);
  });

  it('rejects bad input with a message that names it', () => {
    expect(() => compileTtlFilter({ family: 4, minTtl: 0 })).toThrow(
      /minTtl must be an integer from 1 to 255, got 0/,
    );
    expect(() =>
      compileTtlFilter({ family: 4, minTtl: 255, overrides: [{ source: new Uint8Array(16), minTtl: 5 }] }),
    ).toThrow(/overrides\[0\]\.source must be 4 bytes for IPv4, got 16/);
    expect(() =>
      compileTtlFilter({ family: 6, minTtl: 254, overrides: [{ source: new Uint8Array(16), minTtl: 256 }] }),
    ).toThrow(/overrides\[0\]\.minTtl/);
    const many = Array.from({ length: 400 }, (_, i) => ({
      source: Uint8Array.of(0, 0, i >> 8, i & 255, ...new Uint8Array(12)),
      minTtl: 9,
    }));
    expect(() => compileTtlFilter({ family: 6, minTtl: 254, overrides: many })).toThrow(
      new RegExp(`more than the kernel's ${MAX_INSTRUCTIONS}`),
    );
  });
});
