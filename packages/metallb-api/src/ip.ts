/**
 * IP prefixes and ranges as MetalLB's configuration uses them (Go's `net.ParseCIDR` and MetalLB's
 * `a-b` ranges), on @bmlb/ip's addresses (the one IP module, re-exported here for this package's
 * users).
 */
import { familyBits, formatIP, type IPAddress, type IPFamily, parseIP } from '@bmlb/ip';

export { canonicalIP, formatIP, type IPAddress, type IPFamily, parseIP, unmapIPv4 } from '@bmlb/ip';

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
