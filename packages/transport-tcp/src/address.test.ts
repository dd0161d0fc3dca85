import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalPeer, parseAddress } from './address.ts';

describe('addresses', () => {
  it('canonicalises peers the way a dual-stack listener reports them', () => {
    expect(canonicalPeer('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(canonicalPeer('::FFFF:0a00:0001')).toBe('10.0.0.1');
    expect(canonicalPeer('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canonicalPeer('2001:db8:0:1:0:0:0:1')).toBe('2001:db8:0:1::1');
    expect(canonicalPeer('fe80::1%eth0')).toBe('fe80::1%eth0');
    expect(canonicalPeer('::')).toBe('::');
    expect(canonicalPeer('::1')).toBe('::1');
    expect(() => parseAddress('10.0.0')).toThrow(/not an IPv4 or IPv6 address/);
    expect(() => parseAddress('peer.example')).toThrow(/peer.example/);
  });

  it('agrees with the URL parser on every IPv6 address', () => {
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        const viaUrl = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
        const c = canonicalPeer(ip);
        // URL keeps v4-mapped as ::ffff:a.b.c.d hex form; compare bytes instead of text there.
        expect(parseAddress(c.includes(':') ? c : `::ffff:${c}`).bytes).toEqual(parseAddress(viaUrl).bytes);
        if (c.includes(':')) expect(c).toBe(viaUrl);
      }),
    );
  });
});
