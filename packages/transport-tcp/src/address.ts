// Address text and bytes through @bmlb/bgp-core's address codec (the one the BGP wire path uses), so
// the transport reads and prints addresses exactly as the session does.
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '@bmlb/bgp-core';

export type AddressFamily = 4 | 6;

export interface ParsedAddress {
  family: AddressFamily;
  bytes: Uint8Array;
  zone: string | undefined;
}

/** Parse an IPv4 or IPv6 literal (IPv6 may carry `%zone`); throws a RangeError naming it otherwise. */
export function parseAddress(address: string): ParsedAddress {
  const v4 = parseIPv4(address);
  if (v4 !== undefined)
    return {
      family: 4,
      bytes: Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255),
      zone: undefined,
    };
  const pct = address.indexOf('%');
  const zone = pct >= 0 ? address.slice(pct + 1) : undefined;
  const bytes = parseIPv6(pct >= 0 ? address.slice(0, pct) : address);
  if (bytes === undefined || zone === '') throw new RangeError(`'${address}' is not an IPv4 or IPv6 address`);
  return { family: 6, bytes, zone };
}

/**
 * The canonical text of an address for peer lookups: IPv4 dotted quad (also for a v4-mapped IPv6
 * address, as a dual-stack listener reports IPv4 peers), IPv6 compressed lower case, zone kept.
 */
export function canonicalPeer(address: string): string {
  const a = parseAddress(address);
  const b = a.bytes;
  if (a.family === 4) return Array.from(b).join('.');
  const mapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  if (mapped)
    return formatIPv4(
      (((b[12] ?? 0) << 24) | ((b[13] ?? 0) << 16) | ((b[14] ?? 0) << 8) | (b[15] ?? 0)) >>> 0,
    );
  const text = formatIPv6(b);
  return a.zone === undefined ? text : `${text}%${a.zone}`;
}

export function addressFamily(address: string): AddressFamily {
  return parseAddress(address).family;
}
