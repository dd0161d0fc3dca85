import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPrefix, parseCIDR, parseIP, parsePoolAddress, prefixOf, summarizeRange } from './ip.ts';

describe('prefixOf', () => {
  it('clears the host bits of an address for a prefix length, IPv4 and IPv6', () => {
    const p = (ip: string, len: number) => formatPrefix(prefixOf(parseIP(ip)!, len));
    expect(p('203.0.113.77', 26)).toBe('203.0.113.64/26');
    expect(p('203.0.113.77', 32)).toBe('203.0.113.77/32');
    expect(p('203.0.113.77', 0)).toBe('0.0.0.0/0');
    expect(p('2001:db8:1:2:3:4:5:6', 64)).toBe('2001:db8:1:2::/64');
    expect(p('2001:db8::6', 128)).toBe('2001:db8::6/128');
  });
});

describe('parseCIDR', () => {
  it('clears host bits like net.ParseCIDR', () => {
    const r = parseCIDR('10.0.0.5/24');
    expect(r.ok && formatPrefix(r.value)).toBe('10.0.0.0/24');
  });
  it('rejects bad lengths', () => {
    expect(parseCIDR('10.0.0.0/33').ok).toBe(false);
    expect(parseCIDR('10.0.0.0/').ok).toBe(false);
    expect(parseCIDR('10.0.0.0/08').ok).toBe(false);
    expect(parseCIDR('2001:db8::/129').ok).toBe(false);
  });
});

describe('parsePoolAddress', () => {
  it('accepts CIDRs, ranges (with spaces) and single IPs of both families', () => {
    const cidr = parsePoolAddress('203.0.113.0/24');
    expect(cidr.ok && [cidr.value.form, cidr.value.start, cidr.value.end]).toEqual([
      'cidr',
      0xcb007100n,
      0xcb0071ffn,
    ]);
    const range = parsePoolAddress('192.168.9.1 - 192.168.9.5');
    expect(range.ok && range.value.cidrs.map(formatPrefix)).toEqual([
      '192.168.9.1/32',
      '192.168.9.2/31',
      '192.168.9.4/31',
    ]);
    const ip = parsePoolAddress('2001:db8::7');
    expect(ip.ok && [ip.value.form, ip.value.family, ip.value.cidrs.map(formatPrefix)]).toEqual([
      'ip',
      6,
      ['2001:db8::7/128'],
    ]);
    const r6 = parsePoolAddress('fc00:f853:ccd:e799::-fc00:f853:ccd:e799::ff');
    expect(r6.ok && r6.value.cidrs.map(formatPrefix)).toEqual(['fc00:f853:ccd:e799::/120']);
  });
  it('rejects start > end, mixed families and garbage with the reason', () => {
    expect(parsePoolAddress('10.0.0.5-10.0.0.1')).toEqual({
      ok: false,
      reason: 'invalid-range',
      error: 'invalid IP range "10.0.0.5-10.0.0.1": start IP 10.0.0.5 is after the end IP 10.0.0.1',
    });
    expect(parsePoolAddress('10.0.0.1-2001:db8::1')).toEqual({
      ok: false,
      reason: 'mixed-families',
      error: 'invalid IP range "10.0.0.1-2001:db8::1": start 10.0.0.1 is IPv4 but end 2001:db8::1 is IPv6',
    });
    expect(parsePoolAddress('nope')).toMatchObject({ ok: false, reason: 'invalid-ip' });
    expect(parsePoolAddress('10.0.0.0/40')).toMatchObject({ ok: false, reason: 'invalid-cidr' });
  });
});

describe('summarizeRange', () => {
  it('covers exactly the range with aligned blocks (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }),
        fc.bigInt({ min: 0n, max: 5000n }),
        (s, len) => {
          const end = s + len > (1n << 32n) - 1n ? (1n << 32n) - 1n : s + len;
          const cidrs = summarizeRange({ family: 4, start: s, end });
          let cur = s;
          for (const c of cidrs) {
            expect(c.address).toBe(cur);
            const size = 1n << BigInt(32 - c.length);
            expect(c.address % size).toBe(0n);
            cur += size;
          }
          expect(cur - 1n).toBe(end);
        },
      ),
    );
  });
  it('handles the whole IPv6 space', () => {
    expect(summarizeRange({ family: 6, start: 0n, end: (1n << 128n) - 1n }).map(formatPrefix)).toEqual([
      '::/0',
    ]);
  });
});
