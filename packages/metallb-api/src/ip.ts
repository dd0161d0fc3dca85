/**
 * IP addresses, prefixes and ranges as MetalLB's configuration uses them (Go's `net.ParseIP`,
 * `net.ParseCIDR` and MetalLB's `a-b` ranges). Addresses are bigints so IPv4 and IPv6 share one code
 * path; configuration is small, so clarity wins over speed here.
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

export const familyBits = (f: IPFamily): number => (f === 4 ? 32 : 128);

/** Strict dotted-quad IPv4 (no leading zeros, as Go 1.17+). One pass over the text (a hot path). */
export function parseIPv4(s: string): bigint | undefined {
  const len = s.length;
  if (len < 7 || len > 15) return undefined;
  let v = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e /* . */) {
      if (digits === 0 || dots === 3) return undefined;
      v = v * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && octet === 0) return undefined; // a leading zero
      octet = octet * 10 + (c - 0x30);
      if (++digits > 3 || octet > 255) return undefined;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return BigInt(v * 256 + octet);
}

const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

/** IPv6 text form (RFC 4291 §2.2), with an optional trailing dotted IPv4; no zone. */
export function parseIPv6(s: string): bigint | undefined {
  if (s.length < 2 || s.includes('%')) return undefined;
  const dbl = s.indexOf('::');
  if (dbl !== -1 && s.indexOf('::', dbl + 1) !== -1) return undefined;
  const parseGroups = (part: string, allowV4Tail: boolean): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const fields = part.split(':');
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (allowV4Tail && i === fields.length - 1 && f.includes('.')) {
        const v4 = parseIPv4(f);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (HEX_GROUP.test(f)) {
        out.push(Number.parseInt(f, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  let groups: number[];
  if (dbl === -1) {
    const g = parseGroups(s, true);
    if (g === undefined || g.length !== 8) return undefined;
    groups = g;
  } else {
    const head = parseGroups(s.slice(0, dbl), false);
    const tail = parseGroups(s.slice(dbl + 2), true);
    if (head === undefined || tail === undefined) return undefined;
    const fill = 8 - head.length - tail.length;
    if (fill < 1) return undefined;
    groups = [...head, ...new Array<number>(fill).fill(0), ...tail];
  }
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  return v;
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
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((value >> BigInt(i * 16)) & 0xffffn));
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
