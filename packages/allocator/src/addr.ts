// Address math: IPv4 addresses as unsigned 32-bit numbers, IPv6 addresses as 128-bit bigints.
// Parsing is strict (what Go's net.ParseIP accepts, which is what MetalLB accepts, minus zones):
// IPv4 dotted quads without leading zeros, IPv6 per RFC 4291 section 2.2 including `::` and an
// embedded dotted quad. Formatting is canonical: RFC 5952 for IPv6.

export type Family = 'IPv4' | 'IPv6';

export interface IPv4Address {
  readonly family: 'IPv4';
  readonly value: number;
}
export interface IPv6Address {
  readonly family: 'IPv6';
  readonly value: bigint;
}
export type IPAddress = IPv4Address | IPv6Address;

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

/** The IPv4 address `s` as an unsigned 32-bit number, or undefined. */
export function parseIPv4(s: string): number | undefined {
  const v = parseIPv4At(s, 0, s.length);
  return v < 0 ? undefined : v;
}

/** The IPv6 address `s` as a bigint, or undefined. Zones (`%eth0`) are not addresses and are refused. */
export function parseIPv6(s: string): bigint | undefined {
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

const V4_MAPPED = 0xffffn << 32n;

/**
 * Parses an IPv4 or IPv6 address; undefined when `s` is neither. An IPv4-mapped IPv6 address
 * (`::ffff:192.0.2.1`) is the IPv4 address, as Go's `net.ParseIP(s).To4()` makes it for MetalLB.
 */
export function parseIP(s: string): IPAddress | undefined {
  if (s.includes(':')) {
    const v = parseIPv6(s);
    if (v === undefined) return undefined;
    if (v >> 32n === 0xffffn) return { family: 'IPv4', value: Number(v - V4_MAPPED) };
    return { family: 'IPv6', value: v };
  }
  const v = parseIPv4(s);
  return v === undefined ? undefined : { family: 'IPv4', value: v };
}

export function formatIPv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** RFC 5952: lower case, no leading zeros, the longest run (first on a tie) of two or more zero groups as `::`. */
export function formatIPv6(v: bigint): string {
  // Numbers above 2^53 lose bits: take 32-bit words.
  const words = [
    Number((v >> 96n) & 0xffffffffn),
    Number((v >> 64n) & 0xffffffffn),
    Number((v >> 32n) & 0xffffffffn),
    Number(v & 0xffffffffn),
  ];
  const g: number[] = [];
  for (const w of words) g.push(w >>> 16, w & 0xffff);
  let bestStart = -1;
  let bestLen = 1;
  let runStart = -1;
  for (let k = 0; k <= 8; k++) {
    if (k < 8 && g[k] === 0) {
      if (runStart < 0) runStart = k;
    } else if (runStart >= 0) {
      const len = k - runStart;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
      runStart = -1;
    }
  }
  const hex = (k: number): string => (g[k] as number).toString(16);
  if (bestStart < 0) return g.map((_, k) => hex(k)).join(':');
  const head: string[] = [];
  for (let k = 0; k < bestStart; k++) head.push(hex(k));
  const tail: string[] = [];
  for (let k = bestStart + bestLen; k < 8; k++) tail.push(hex(k));
  return `${head.join(':')}::${tail.join(':')}`;
}

export function formatIP(a: IPAddress): string {
  return a.family === 'IPv4' ? formatIPv4(a.value) : formatIPv6(a.value);
}

/** The canonical text of `s` if it is an address, else undefined (e.g. `2001:DB8::0:1` → `2001:db8::1`). */
export function canonicalIP(s: string): string | undefined {
  const a = parseIP(s);
  return a === undefined ? undefined : formatIP(a);
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
