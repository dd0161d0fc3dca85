/**
 * IP addresses, prefixes and ranges as MetalLB's configuration uses them (Go's `net.ParseIP`,
 * `net.ParseCIDR` and MetalLB's `a-b` ranges): the one IP module of bmlb outside bgp-core's
 * typed-array wire path (the allocator, the speaker and the controller read and print addresses
 * here). Addresses are bigints so IPv4 and IPv6 share one code path. Parsing is one pass over the
 * text: the speaker parses every Service's addresses and the allocator every request.
 */

export type IPFamily = 4 | 6;

export interface IPAddress {
  readonly family: IPFamily;
  readonly value: bigint;
}

/** A CIDR prefix with its host bits cleared. */
export interface IPPrefix {
  readonly family: IPFamily;
  /** Network address (host bits zero). */
  readonly address: bigint;
  readonly length: number;
}

/** An inclusive range of addresses of one family, `start <= end`. */
export interface IPRange {
  readonly family: IPFamily;
  readonly start: bigint;
  readonly end: bigint;
}

/** One entry of `IPAddressPool.spec.addresses`, parsed. */
export interface PoolAddressEntry extends IPRange {
  /** The text as written in the manifest. */
  readonly text: string;
  /** How it was written. */
  readonly form: 'cidr' | 'range' | 'ip';
  /** The smallest list of CIDRs that cover exactly [start, end]. */
  readonly cidrs: readonly IPPrefix[];
}

const familyBits = (f: IPFamily): number => (f === 4 ? 32 : 128);

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses `a.b.c.d` between `start` and `end` of `s`; -1 when it is not a valid IPv4 address. */
function parseIPv4At(s: string, start: number, end: number): number {
  let value = 0;
  let octets = 0;
  let i = start;
  while (octets < 4) {
    if (i >= end || !isDigit(s.charCodeAt(i))) return -1;
    const first = i;
    let octet = 0;
    while (i < end && isDigit(s.charCodeAt(i))) {
      octet = octet * 10 + (s.charCodeAt(i) - 48);
      i++;
      if (i - first > 3) return -1;
    }
    // Leading zeros are ambiguous (octal in some parsers): Go rejects them, so do we.
    if (i - first > 1 && s.charCodeAt(first) === 48) return -1;
    if (octet > 255) return -1;
    value = value * 256 + octet;
    octets++;
    if (octets < 4) {
      if (i >= end || s.charCodeAt(i) !== 46) return -1;
      i++;
    }
  }
  return i === end ? value : -1;
}

/** Strict dotted-quad IPv4 (no leading zeros, as Go 1.17+), as an unsigned 32-bit value. One pass. */
function parseIPv4(s: string): bigint | undefined {
  const v = parseIPv4At(s, 0, s.length);
  return v < 0 ? undefined : BigInt(v);
}

/** The IPv6 address `s` as a bigint, or undefined. Zones (`%eth0`) are not addresses and are refused. */
function parseIPv6(s: string): bigint | undefined {
  const groups = new Array<number>(8).fill(0);
  let n = 0; // groups written
  let ellipsis = -1; // group index where `::` stands
  let i = 0;
  const end = s.length;
  if (end < 2) return undefined;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return undefined;
    ellipsis = 0;
    i = 2;
    if (i === end) return 0n;
  }
  while (i < end) {
    if (n >= 8) return undefined;
    // A group: up to four hex digits, or a trailing dotted quad.
    const first = i;
    let v = 0;
    while (i < end) {
      const h = hexValue(s.charCodeAt(i));
      if (h < 0) break;
      v = v * 16 + h;
      i++;
    }
    const digits = i - first;
    if (i < end && s.charCodeAt(i) === 46) {
      // Embedded IPv4 in the last 32 bits.
      if (n > 6) return undefined;
      const v4 = parseIPv4At(s, first, end);
      if (v4 < 0) return undefined;
      groups[n++] = v4 >>> 16;
      groups[n++] = v4 & 0xffff;
      i = end;
      break;
    }
    if (digits === 0 || digits > 4) return undefined;
    groups[n++] = v;
    if (i === end) break;
    if (s.charCodeAt(i) !== 58) return undefined;
    i++;
    if (i < end && s.charCodeAt(i) === 58) {
      if (ellipsis >= 0) return undefined;
      ellipsis = n;
      i++;
      if (i === end) break;
    } else if (i === end) {
      return undefined; // trailing single colon
    }
  }
  if (ellipsis >= 0) {
    if (n === 8) return undefined; // `::` must stand for at least one group
    const move = n - ellipsis;
    for (let k = 0; k < move; k++) {
      groups[7 - k] = groups[n - 1 - k]!;
      groups[n - 1 - k] = 0;
    }
    for (let k = ellipsis; k < 8 - move; k++) groups[k] = 0;
  } else if (n !== 8) {
    return undefined;
  }
  const g = groups as [number, number, number, number, number, number, number, number];
  return (
    (BigInt(g[0] * 0x10000 + g[1]) << 96n) |
    (BigInt(g[2] * 0x10000 + g[3]) << 64n) |
    (BigInt(g[4] * 0x10000 + g[5]) << 32n) |
    BigInt(g[6] * 0x10000 + g[7])
  );
}

/** Parse an IPv4 or IPv6 address; `undefined` when it is neither. */
export function parseIP(s: string): IPAddress | undefined {
  if (s.includes(':')) {
    const v = parseIPv6(s);
    return v === undefined ? undefined : { family: 6, value: v };
  }
  const v = parseIPv4(s);
  return v === undefined ? undefined : { family: 4, value: v };
}

export function formatIP(family: IPFamily, value: bigint): string {
  if (family === 4) {
    const v = Number(value);
    return `${(v >>> 24) & 0xff}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
  }
  // Four 32-bit words (four bigint shifts, not eight), then their 16-bit groups.
  const g: number[] = [];
  for (let shift = 96n; shift >= 0n; shift -= 32n) {
    const w = Number((value >> shift) & 0xffffffffn);
    g.push(w >>> 16, w & 0xffff);
  }
  // RFC 5952: compress the longest run (length >= 2) of zero groups, the first one on a tie.
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestAt === -1) return hex(g);
  return `${hex(g.slice(0, bestAt))}::${hex(g.slice(bestAt + bestLen))}`;
}

/**
 * The IPv4 address an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) stands for, as Go's
 * `net.ParseIP(s).To4()` makes it for MetalLB; any other address as it is.
 */
export function unmapIPv4(ip: IPAddress): IPAddress {
  return ip.family === 6 && ip.value >> 32n === 0xffffn ? { family: 4, value: ip.value & 0xffffffffn } : ip;
}

/**
 * The text Go's `net.IP.String()` gives `s` if it is an address, else undefined: RFC 5952 for IPv6
 * (`2001:DB8::0:1` → `2001:db8::1`), an IPv4-mapped address as its IPv4 address.
 */
export function canonicalIP(s: string): string | undefined {
  const a = parseIP(s);
  if (a === undefined) return undefined;
  const u = unmapIPv4(a);
  return formatIP(u.family, u.value);
}

export function formatPrefix(p: IPPrefix): string {
  return `${formatIP(p.family, p.address)}/${p.length}`;
}

export function formatRange(r: IPRange): string {
  return r.start === r.end
    ? formatIP(r.family, r.start)
    : `${formatIP(r.family, r.start)}-${formatIP(r.family, r.end)}`;
}

const maskOf = (family: IPFamily, length: number): bigint => {
  const bits = BigInt(familyBits(family));
  const host = bits - BigInt(length);
  return ((1n << bits) - 1n) ^ ((1n << host) - 1n);
};

/** The prefix of `length` bits that holds `ip` (host bits cleared): `203.0.113.77`, 26 → `203.0.113.64/26`. */
export function prefixOf(ip: IPAddress, length: number): IPPrefix {
  return { family: ip.family, address: ip.value & maskOf(ip.family, length), length };
}

export function prefixRange(p: IPPrefix): IPRange {
  const host = BigInt(familyBits(p.family) - p.length);
  return { family: p.family, start: p.address, end: p.address + (1n << host) - 1n };
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Why a pool address did not parse. */
export type PoolAddressProblem = 'invalid-cidr' | 'invalid-range' | 'mixed-families' | 'invalid-ip';
export type PoolAddressResult =
  | { ok: true; value: PoolAddressEntry }
  | { ok: false; error: string; reason: PoolAddressProblem };

/**
 * Parse `a.b.c.d/n` or `x::y/n`. As Go's `net.ParseCIDR`, host bits are allowed and cleared
 * (`10.0.0.5/24` is `10.0.0.0/24`).
 */
export function parseCIDR(s: string): ParseResult<IPPrefix> {
  const slash = s.indexOf('/');
  if (slash === -1) return { ok: false, error: `invalid CIDR ${JSON.stringify(s)}: missing /prefix-length` };
  const ip = parseIP(s.slice(0, slash));
  if (ip === undefined) return { ok: false, error: `invalid CIDR ${JSON.stringify(s)}: invalid IP address` };
  const lenText = s.slice(slash + 1);
  const bits = familyBits(ip.family);
  if (!/^(?:0|[1-9][0-9]{0,2})$/.test(lenText) || Number(lenText) > bits) {
    return { ok: false, error: `invalid CIDR ${JSON.stringify(s)}: prefix length must be 0-${bits}` };
  }
  return { ok: true, value: prefixOf(ip, Number(lenText)) };
}

/** The fewest CIDR prefixes that cover exactly `[start, end]`. */
export function summarizeRange(r: IPRange): IPPrefix[] {
  const bits = familyBits(r.family);
  const out: IPPrefix[] = [];
  let cur = r.start;
  while (cur <= r.end) {
    // Largest block aligned at `cur` that does not pass `end`.
    let size = 0;
    while (size < bits) {
      const next = size + 1;
      const blk = 1n << BigInt(next);
      if ((cur & (blk - 1n)) !== 0n || cur + blk - 1n > r.end) break;
      size = next;
    }
    out.push({ family: r.family, address: cur, length: bits - size });
    cur += 1n << BigInt(size);
  }
  return out;
}

/**
 * Parse one `IPAddressPool.spec.addresses` entry: a CIDR (`192.168.10.0/24`, `fc00:f853::/124`), a
 * range (`192.168.9.1-192.168.9.5`, spaces around `-` allowed as MetalLB does) or a single address
 * (`192.168.9.7`, taken as a /32 or /128).
 */
export function parsePoolAddress(text: string): PoolAddressResult {
  const s = text.trim();
  if (s.includes('-')) {
    const dash = s.indexOf('-');
    const a = s.slice(0, dash).trim();
    const b = s.slice(dash + 1).trim();
    const start = parseIP(a);
    if (start === undefined) {
      return {
        ok: false,
        reason: 'invalid-range',
        error: `invalid IP range ${JSON.stringify(text)}: invalid start IP ${JSON.stringify(a)}`,
      };
    }
    const end = parseIP(b);
    if (end === undefined) {
      return {
        ok: false,
        reason: 'invalid-range',
        error: `invalid IP range ${JSON.stringify(text)}: invalid end IP ${JSON.stringify(b)}`,
      };
    }
    if (start.family !== end.family) {
      return {
        ok: false,
        reason: 'mixed-families',
        error: `invalid IP range ${JSON.stringify(text)}: start ${a} is IPv${start.family} but end ${b} is IPv${end.family}`,
      };
    }
    if (start.value > end.value) {
      return {
        ok: false,
        reason: 'invalid-range',
        error: `invalid IP range ${JSON.stringify(text)}: start IP ${a} is after the end IP ${b}`,
      };
    }
    const r: IPRange = { family: start.family, start: start.value, end: end.value };
    return { ok: true, value: { ...r, text, form: 'range', cidrs: summarizeRange(r) } };
  }
  if (s.includes('/')) {
    const p = parseCIDR(s);
    if (!p.ok) return { ok: false, reason: 'invalid-cidr', error: p.error };
    return { ok: true, value: { ...prefixRange(p.value), text, form: 'cidr', cidrs: [p.value] } };
  }
  const ip = parseIP(s);
  if (ip === undefined) {
    return {
      ok: false,
      reason: 'invalid-ip',
      error: `invalid address ${JSON.stringify(text)}: expected a CIDR (a.b.c.d/n), a range (a-b) or an IP address`,
    };
  }
  const cidr: IPPrefix = { family: ip.family, address: ip.value, length: familyBits(ip.family) };
  return {
    ok: true,
    value: { family: ip.family, start: ip.value, end: ip.value, text, form: 'ip', cidrs: [cidr] },
  };
}

export function rangesOverlap(a: IPRange, b: IPRange): boolean {
  return a.family === b.family && a.start <= b.end && b.start <= a.end;
}

/** The common part of two overlapping ranges. */
export function rangeIntersection(a: IPRange, b: IPRange): IPRange | undefined {
  if (!rangesOverlap(a, b)) return undefined;
  return {
    family: a.family,
    start: bigMax(a.start, b.start),
    end: bigMin(a.end, b.end),
  };
}

function bigMax(a: bigint, b: bigint): bigint {
  if (a >= b) return a;
  return b;
}
function bigMin(a: bigint, b: bigint): bigint {
  if (a <= b) return a;
  return b;
}

/** Number of addresses in a range. */
export function rangeSize(r: IPRange): bigint {
  return r.end - r.start + 1n;
}
