// PrefixList and address helpers.
import { describe, expect, test } from 'vitest';
import {
  canonicalAddress,
  formatIPv6,
  PrefixList,
  PrefixListBuilder,
  parseIPv4,
  parseIPv6,
} from './prefix.ts';

describe('PrefixList', () => {
  test('IPv4 and IPv6 prefixes round trip through strings (bare addresses are host routes)', () => {
    expect(PrefixList.fromStrings(1, ['203.0.113.5', '10.0.0.0/8', '0.0.0.0/0']).toArray()).toEqual([
      '203.0.113.5/32',
      '10.0.0.0/8',
      '0.0.0.0/0',
    ]);
    expect([...PrefixList.fromStrings(2, ['2001:DB8::1', '2001:db8:0:0:1::/80', '::/0'])]).toEqual([
      '2001:db8::1/128',
      '2001:db8:0:0:1::/80',
      '::/0',
    ]);
  });
  test('fromStrings rejects host bits, bad lengths and the other family, naming the entry', () => {
    expect(() => PrefixList.fromStrings(1, ['10.0.0.0/8', '10.0.0.1/8'])).toThrow(
      /#1 "10.0.0.1\/8" has bits set beyond \/8/,
    );
    expect(() => PrefixList.fromStrings(1, ['10.0.0.0/33'])).toThrow(/length must be 0–32/);
    expect(() => PrefixList.fromStrings(1, ['2001:db8::/32'])).toThrow(/not an IPv4 prefix/);
    expect(() => PrefixList.fromStrings(2, ['10.0.0.0/8'])).toThrow(/not an IPv6 prefix/);
    expect(() => PrefixList.fromStrings(1, ['10.0.0.0/08'])).toThrow(/length/);
    expect(() => PrefixList.fromStrings(1, ['10.0.0.0/8'], [1, 2])).toThrow(/path ids/);
  });
  test('path identifiers are kept per prefix', () => {
    const l = PrefixList.fromStrings(1, ['10.0.0.0/8', '10.0.0.0/8'], [1, 4294967295]);
    expect([l.pathId(0), l.pathId(1)]).toEqual([1, 4294967295]);
    expect(l.equals(PrefixList.fromStrings(1, ['10.0.0.0/8', '10.0.0.0/8'], [1, 4294967295]))).toBe(true);
    expect(l.equals(PrefixList.fromStrings(1, ['10.0.0.0/8', '10.0.0.0/8']))).toBe(false);
  });
  test('slice, builder and empty', () => {
    const l = PrefixList.fromStrings(2, ['2001:db8::/32', '2001:db8:1::/48', '2001:db8:2::/48']);
    expect(l.slice(1).toArray()).toEqual(['2001:db8:1::/48', '2001:db8:2::/48']);
    const b = new PrefixListBuilder(2);
    for (let i = 0; i < 40; i++) b.addFrom(l, i % 3);
    b.add(16, 0x20010db8); // masked to /16
    expect(b.finish().count).toBe(41);
    expect(b.finish().prefix(40)).toBe('2001::/16');
    expect(PrefixList.empty(1).count).toBe(0);
  });
});

describe('addresses', () => {
  test('RFC 5952 §4: canonical IPv6 text (lower case, longest zero run, no single-group ::)', () => {
    expect(canonicalAddress('2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(canonicalAddress('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(canonicalAddress('2001:0:0:1:0:0:0:1')).toBe('2001:0:0:1::1');
    expect(canonicalAddress('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalAddress('::')).toBe('::');
    expect(canonicalAddress('::ffff:192.0.2.1')).toBe('::ffff:192.0.2.1');
    expect(canonicalAddress('fe80::')).toBe('fe80::');
  });
  test('invalid addresses are rejected', () => {
    for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '01.1.1.1', '', 'a.b.c.d'])
      expect(parseIPv4(bad), bad).toBeUndefined();
    for (const bad of ['1::2::3', ':1', '1:', '12345::', '1:2:3:4:5:6:7:8:9', 'g::', '1:2:3:4:5:6:7::8:9'])
      expect(parseIPv6(bad), bad).toBeUndefined();
  });
  test('IPv6 bytes format', () => {
    const b = parseIPv6('2001:db8::ff00:42:8329');
    expect(b).toBeDefined();
    if (b !== undefined) expect(formatIPv6(b)).toBe('2001:db8::ff00:42:8329');
  });
});
