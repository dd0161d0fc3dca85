// Addresses as the allocator keys them: IPv4 as an unsigned 32-bit number (integer arithmetic in the
// hot path), IPv6 as a bigint. Reading and printing them is @bmlb/metallb-api's (the one IP module):
// strict as Go's net.ParseIP, RFC 5952 text.
import { formatIP, parseIP, unmapIPv4 } from '@bmlb/metallb-api';

/** A Service IP family, as `spec.ipFamilies` names it. */
export type Family = 'IPv4' | 'IPv6';

/** An address as the allocator keys it. */
export type AddressKey = number | bigint;

/** A parsed address: its family and its key. */
export type KeyedAddress =
  | { readonly family: 'IPv4'; readonly value: number }
  | { readonly family: 'IPv6'; readonly value: bigint };

/**
 * Reads an IPv4 or IPv6 address; undefined when `s` is neither. An IPv4-mapped IPv6 address
 * (`::ffff:192.0.2.1`) is the IPv4 address, as Go's `net.ParseIP(s).To4()` makes it for MetalLB.
 */
export function readAddress(s: string): KeyedAddress | undefined {
  const a = parseIP(s);
  if (a === undefined) return undefined;
  const u = unmapIPv4(a);
  return u.family === 4 ? { family: 'IPv4', value: Number(u.value) } : { family: 'IPv6', value: u.value };
}

/** The text of an address key (RFC 5952 for IPv6). */
export function keyText(k: AddressKey): string {
  return typeof k === 'number' ? formatIP(4, BigInt(k)) : formatIP(6, k);
}

// ---- avoidBuggyIPs, arithmetically -------------------------------------------------------------
// MetalLB's avoidBuggyIPs skips IPv4 addresses whose last octet is 0 or 255. Instead of skipping them
// one by one, an avoidBuggyIPs pool works in "rank space": the usable addresses numbered densely,
// 254 per /24 (x.1 → 0, x.2 → 1, …, x.254 → 253, (x+1).1 → 254, …). Runs of allocated ranks are then
// contiguous across the .255/.0 holes, so "lowest free" stays one tree lookup.

/** True when the IPv4 address ends in .0 or .255. */
export function isBuggyIPv4(v: number): boolean {
  const low = v & 255;
  return low === 0 || low === 255;
}

/** Rank of a usable (non-buggy) IPv4 address. */
export function buggyRank(v: number): number {
  return Math.floor(v / 256) * 254 + (v & 255) - 1;
}

/** The usable IPv4 address of rank `r`. */
export function buggyUnrank(r: number): number {
  return Math.floor(r / 254) * 256 + (r % 254) + 1;
}

/** Rank of the lowest usable address >= v (may be one past the last usable address if none). */
export function buggyRankCeil(v: number): number {
  const low = v & 255;
  if (low === 0) return buggyRank(v + 1);
  if (low === 255) return Math.floor(v / 256 + 1) * 254;
  return buggyRank(v);
}

/** Rank of the highest usable address <= v (may be -1 if none). */
export function buggyRankFloor(v: number): number {
  const low = v & 255;
  if (low === 0) return Math.floor(v / 256) * 254 - 1;
  if (low === 255) return buggyRank(v - 1);
  return buggyRank(v);
}
