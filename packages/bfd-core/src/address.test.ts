import { expect, test } from 'vitest';
import { normalizeAddress } from './address.ts';

test('addresses in different spellings match (RFC 5952 IPv6, IPv4-mapped, zones, brackets)', () => {
  const cases: [string, string][] = [
    ['10.0.0.1', '10.0.0.1'],
    ['FD00:0:0::2', 'fd00::2'],
    ['fd00:0000:0000:0000:0000:0000:0000:0002', 'fd00::2'],
    ['[fe80::1%eth0]', 'fe80::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['::ffff:10.1.0.2', '10.1.0.2'],
    ['::FFFF:0a01:0002', '10.1.0.2'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::', '::'],
    ['::1', '::1'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['not-an-address', 'not-an-address'],
    ['1::2::3', '1::2::3'],
  ];
  for (const [input, out] of cases) expect(normalizeAddress(input), input).toBe(out);
});
