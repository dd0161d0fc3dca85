import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buggyRank,
  buggyRankCeil,
  buggyRankFloor,
  buggyUnrank,
  isBuggyIPv4,
  keyText,
  readAddress,
} from './addr.ts';

describe('addresses as the allocator keys them', () => {
  it('reads the family and the key; an IPv4-mapped address is IPv4 (Go To4)', () => {
    expect(readAddress('10.0.0.1')).toEqual({ family: 'IPv4', value: 0x0a000001 });
    expect(readAddress('::1')).toEqual({ family: 'IPv6', value: 1n });
    expect(readAddress('nonsense')).toBeUndefined();
    expect(readAddress('010.0.0.1')).toBeUndefined();
    expect(readAddress('::ffff:192.0.2.1')).toEqual({ family: 'IPv4', value: 0xc0000201 });
    expect(readAddress('::ffff:c000:201')).toEqual({ family: 'IPv4', value: 0xc0000201 });
    expect(readAddress('::fffe:c000:201')?.family).toBe('IPv6');
  });
  it('prints keys back as they read (RFC 5952 for IPv6)', () => {
    expect(keyText(0)).toBe('0.0.0.0');
    expect(keyText(0xffffffff)).toBe('255.255.255.255');
    expect(keyText(0n)).toBe('::');
    expect(keyText(readAddress('2001:0DB8:0000:0000:0001:0000:0000:0001')!.value)).toBe('2001:db8::1:0:0:1');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => readAddress(keyText(v))?.value === v),
    );
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).filter((v) => v >> 32n !== 0xffffn),
        (v) => readAddress(keyText(v))?.value === v,
      ),
    );
  });
});

const v4 = (s: string): number => readAddress(s)!.value as number;

describe('avoidBuggyIPs rank space', () => {
  it('knows .0 and .255', () => {
    expect(isBuggyIPv4(v4('10.0.1.0'))).toBe(true);
    expect(isBuggyIPv4(v4('10.0.1.255'))).toBe(true);
    expect(isBuggyIPv4(v4('10.0.1.1'))).toBe(false);
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
