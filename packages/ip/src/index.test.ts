import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalIP, formatIP, parseIP, unmapIPv4 } from './index.ts';

describe('parseIP', () => {
  it('parses IPv4 strictly (no leading zeros, 4 octets, 0-255)', () => {
    expect(parseIP('203.0.113.7')).toEqual({ family: 4, value: 0xcb007107n });
    for (const bad of [
      '010.0.0.1',
      '1.2.3',
      '1.2.3.4.5',
      '256.0.0.1',
      '1.2.3.-1',
      '',
      ' 1.2.3.4',
      '1.2.3.4 ',
    ]) {
      expect(parseIP(bad), bad).toBeUndefined();
    }
  });
  it('parses IPv4 as the rule says, on random text of digits and dots', () => {
    // The rule, written plainly: four dot-separated decimal octets, 0-255, no leading zeros.
    const reference = (t: string): bigint | undefined => {
      const parts = t.split('.');
      if (parts.length !== 4 || !parts.every((x) => /^(?:0|[1-9][0-9]{0,2})$/.test(x) && Number(x) <= 255))
        return undefined;
      return parts.reduce((v, x) => (v << 8n) | BigInt(Number(x)), 0n);
    };
    const text = fc.oneof(
      fc.string({ unit: fc.constantFrom('0', '1', '2', '5', '9', '.', 'a', ' ', '-'), maxLength: 17 }),
      fc.tuple(fc.nat(300), fc.nat(300), fc.nat(300), fc.nat(300)).map((o) => o.join('.')),
    );
    fc.assert(
      fc.property(text, (t) => {
        expect(parseIP(t)?.value).toBe(reference(t));
      }),
      { numRuns: 5000, seed: 20261125 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        expect(parseIP(formatIP(4, BigInt(n)))).toEqual({ family: 4, value: BigInt(n) });
      }),
      { numRuns: 2000, seed: 20261126 },
    );
  });
  it('parses IPv6 forms, including :: and an IPv4 tail', () => {
    expect(parseIP('::')).toEqual({ family: 6, value: 0n });
    expect(parseIP('::1')).toEqual({ family: 6, value: 1n });
    expect(parseIP('2001:db8::1')?.value).toBe(0x20010db8000000000000000000000001n);
    expect(parseIP('::ffff:192.0.2.1')?.value).toBe(0xffffc0000201n);
    expect(parseIP('1:2:3:4:5:6:7:8')?.value).toBe(0x00010002000300040005000600070008n);
    for (const bad of [
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '12345::',
      'fe80::1%eth0',
      ':1',
      '1:2:3:4:5:6:7::8:9',
      'g::',
    ]) {
      expect(parseIP(bad), bad).toBeUndefined();
    }
  });
  it('formats IPv6 per RFC 5952 and round-trips', () => {
    expect(formatIP(6, 0x20010db8000000000000000000000001n)).toBe('2001:db8::1');
    expect(formatIP(6, 0n)).toBe('::');
    expect(formatIP(6, 0x20010db8000000010000000000000001n)).toBe('2001:db8:0:1::1');
    expect(formatIP(6, 0x20010db8000100000000000100000000n)).toBe('2001:db8:1::1:0:0');
    // §4.2.3: of two equal runs of zeros the first is compressed; §4.2.2: a single zero group is not.
    expect(formatIP(6, 0x20010db8000000000001000000000001n)).toBe('2001:db8::1:0:0:1');
    expect(formatIP(6, 0x20010db8000100010001000100000001n)).toBe('2001:db8:1:1:1:1:0:1');
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (v) => {
        expect(parseIP(formatIP(6, v))).toEqual({ family: 6, value: v });
      }),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), (v) => {
        expect(parseIP(formatIP(4, v))).toEqual({ family: 4, value: v });
      }),
    );
  });
});

describe('the vectors the allocator had, and the IPv4-mapped reading', () => {
  it.each([
    ':',
    ':::',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '12345::',
    'fe80::1%eth0',
    '1:2:3:4:5:6:7:8::',
    ':1::',
    '1:',
    '::1.2.3',
    '1:2:3:4:5:6:7:1.2.3.4',
    'g::',
    '1.2.3.0004',
    '.1.2.3',
    'a.b.c.d',
  ])('refuses %j', (s) => expect(parseIP(s)).toBeUndefined());
  it('parses the RFC 4291 forms', () => {
    expect(parseIP('1::')?.value).toBe(1n << 112n);
    expect(parseIP('2001:DB8:0:0:0:0:0:1')?.value).toBe((0x20010db8n << 96n) | 1n);
    expect(parseIP('64:ff9b::10.0.0.1')?.value).toBe((0x64ff9bn << 96n) | 0x0a000001n);
    expect(parseIP('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')?.value).toBe((1n << 128n) - 1n);
  });
  it('round-trips random IPv6 values', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
        (v) => parseIP(formatIP(6, v))?.value === v,
      ),
      { seed: 20261204 },
    );
  });
  it('canonical text is what Go prints: RFC 5952, an IPv4-mapped address as IPv4', () => {
    expect(canonicalIP('2001:0DB8:0000:0000:0001:0000:0000:0001')).toBe('2001:db8::1:0:0:1');
    expect(canonicalIP('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(canonicalIP('2001:db8:0:0:1:0:0:0')).toBe('2001:db8:0:0:1::');
    expect(canonicalIP('1:0:0:2:0:0:0:3')).toBe('1:0:0:2::3');
    expect(canonicalIP('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(canonicalIP('not an address')).toBeUndefined();
    expect(unmapIPv4({ family: 6, value: 0xffffc0000201n })).toEqual({ family: 4, value: 0xc0000201n });
    expect(unmapIPv4({ family: 6, value: 0xfffec0000201n }).family).toBe(6);
  });
});
