import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buggyRank,
  buggyRankCeil,
  buggyRankFloor,
  buggyUnrank,
  canonicalIP,
  formatIPv4,
  formatIPv6,
  isBuggyIPv4,
  parseIP,
  parseIPv4,
  parseIPv6,
} from './addr.ts';

describe('IPv4 parsing and formatting', () => {
  it('parses dotted quads', () => {
    expect(parseIPv4('0.0.0.0')).toBe(0);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIPv4('192.168.1.10')).toBe(0xc0a8010a);
  });
  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3.',
    '.1.2.3',
    '1..2.3',
    '1.2.3.4 ',
    'a.b.c.d',
    '1.2.3.0004',
  ])('refuses %j', (s) => expect(parseIPv4(s)).toBeUndefined());
  it('round-trips every value', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => parseIPv4(formatIPv4(v)) === v));
  });
});

describe('IPv6 parsing and formatting', () => {
  it('parses the RFC 4291 forms', () => {
    expect(parseIPv6('::')).toBe(0n);
    expect(parseIPv6('::1')).toBe(1n);
    expect(parseIPv6('1::')).toBe(1n << 112n);
    expect(parseIPv6('2001:db8::1')).toBe((0x20010db8n << 96n) | 1n);
    expect(parseIPv6('2001:DB8:0:0:0:0:0:1')).toBe((0x20010db8n << 96n) | 1n);
    expect(parseIPv6('::ffff:192.0.2.1')).toBe((0xffffn << 32n) | 0xc0000201n);
    expect(parseIPv6('64:ff9b::10.0.0.1')).toBe((0x64ff9bn << 96n) | 0x0a000001n);
    expect(parseIPv6('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe((1n << 128n) - 1n);
  });
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
  ])('refuses %j', (s) => expect(parseIPv6(s)).toBeUndefined());
  it('formats canonically (RFC 5952)', () => {
    expect(formatIPv6(0n)).toBe('::');
    expect(formatIPv6(1n)).toBe('::1');
    expect(canonicalIP('2001:0DB8:0000:0000:0001:0000:0000:0001')).toBe('2001:db8::1:0:0:1');
    expect(canonicalIP('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(canonicalIP('2001:db8:0:0:1:0:0:0')).toBe('2001:db8:0:0:1::');
    expect(canonicalIP('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalIP('1:0:0:2:0:0:0:3')).toBe('1:0:0:2::3');
  });
  it('round-trips random values', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (v) => parseIPv6(formatIPv6(v)) === v),
    );
  });
  it('parseIP picks the family', () => {
    expect(parseIP('10.0.0.1')).toEqual({ family: 'IPv4', value: 0x0a000001 });
    expect(parseIP('::1')).toEqual({ family: 'IPv6', value: 1n });
    expect(parseIP('nonsense')).toBeUndefined();
    expect(parseIP('::ffff:192.0.2.1')).toEqual({ family: 'IPv4', value: 0xc0000201 });
    expect(parseIP('::ffff:c000:201')).toEqual({ family: 'IPv4', value: 0xc0000201 });
    expect(parseIP('::fffe:c000:201')?.family).toBe('IPv6');
  });
});

describe('avoidBuggyIPs rank space', () => {
  it('knows .0 and .255', () => {
    expect(isBuggyIPv4(parseIPv4('10.0.1.0')!)).toBe(true);
    expect(isBuggyIPv4(parseIPv4('10.0.1.255')!)).toBe(true);
    expect(isBuggyIPv4(parseIPv4('10.0.1.1')!)).toBe(false);
  });
  it('ranks usable addresses densely and unranks them back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
        if (isBuggyIPv4(v)) return true;
        const r = buggyRank(v);
        return buggyUnrank(r) === v && buggyRank(v + ((v & 255) === 254 ? 3 : 1)) === r + 1;
      }),
    );
  });
  it('ceil and floor bracket any address', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0xfffffffe }), (v) => {
        const c = buggyUnrank(buggyRankCeil(v));
        const f = buggyUnrank(buggyRankFloor(v));
        return (
          c >= v && f <= v && !isBuggyIPv4(c) && !isBuggyIPv4(f) && c - f <= 3 && (isBuggyIPv4(v) || c === v)
        );
      }),
    );
  });
});
