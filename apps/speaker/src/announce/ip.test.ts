import { describe, expect, it } from 'vitest';
import {
  cidrContains,
  formatCidr,
  formatIp,
  maskAddr,
  parseCidr,
  parseIp,
  parsePoolAddresses,
  rangeContains,
} from './ip.ts';

const ip = (s: string) => {
  const a = parseIp(s);
  if (a === undefined) throw new Error(s);
  return a;
};

describe('ip', () => {
  it('parses and formats IPv4, rejecting malformed text', () => {
    expect(formatIp(ip('203.0.113.7'))).toBe('203.0.113.7');
    for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', 'a.b.c.d', ''])
      expect(parseIp(bad)).toBeUndefined();
  });
  it('formats IPv6 canonically (RFC 5952 §4)', () => {
    expect(formatIp(ip('2001:0DB8:0:0:0:0:0:1'))).toBe('2001:db8::1');
    expect(formatIp(ip('2001:db8:0:1:0:0:0:1'))).toBe('2001:db8:0:1::1');
    expect(formatIp(ip('2001:db8:0:0:1:0:0:1'))).toBe('2001:db8::1:0:0:1');
    expect(formatIp(ip('2001:db8:1:1:1:1:0:1'))).toBe('2001:db8:1:1:1:1:0:1');
    expect(formatIp(ip('::'))).toBe('::');
    expect(formatIp(ip('::ffff:192.0.2.1'))).toBe('::ffff:c000:201');
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', 'g::1', '1:2:3:4:5:6:7'])
      expect(parseIp(bad)).toBeUndefined();
  });
  it('masks, contains and parses ranges', () => {
    expect(formatCidr({ addr: maskAddr(ip('203.0.113.77'), 26), length: 26 })).toBe('203.0.113.64/26');
    const c = parseCidr('10.1.2.3/8');
    expect(c && formatCidr(c)).toBe('10.0.0.0/8');
    expect(c && cidrContains(c, ip('10.200.0.1'))).toBe(true);
    expect(c && cidrContains(c, ip('11.0.0.1'))).toBe(false);
    const r = parsePoolAddresses('192.168.1.10-192.168.1.20');
    expect(r && rangeContains(r, ip('192.168.1.20'))).toBe(true);
    expect(r && rangeContains(r, ip('192.168.1.21'))).toBe(false);
    const c6 = parsePoolAddresses('2001:db8::/126');
    expect(c6 && rangeContains(c6, ip('2001:db8::3'))).toBe(true);
    expect(c6 && rangeContains(c6, ip('2001:db8::4'))).toBe(false);
    expect(parsePoolAddresses('10.0.0.5-10.0.0.1')).toBeUndefined();
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
  });
});
