// IPv4 and IPv6 addresses: parsed strictly as Go's net.ParseIP reads them (which is what MetalLB and
// Kubernetes accept: no leading zeros in a dotted quad, RFC 4291 text forms, no zones) and printed as
// RFC 5952 says. The one IP module of bmlb outside bgp-core's typed-array wire path: metallb-api's
// prefixes and pools, the allocator, the speaker, the controller and bfd-core's address matching use
// it. Addresses are bigints so IPv4 and IPv6 share one code path; parsing is one pass over the text.
// (ip-num was measured for this and not taken: 68x slower to parse IPv4, 14x IPv6, its text is not
// RFC 5952 and it accepts zones.)

export type IPFamily = 4 | 6;

export interface IPAddress {
  readonly family: IPFamily;
  readonly value: bigint;
}

/** Address bits of a family: 32 or 128. */
export const familyBits = (f: IPFamily): number => (f === 4 ? 32 : 128);

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
