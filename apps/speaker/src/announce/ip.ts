// IP addresses and prefixes as the announcement logic needs them: parse, contain, mask, format.
// Addresses are byte arrays (4 or 16 bytes); prefixes print canonically (RFC 5952 for IPv6), so a
// prefix string is a stable key.

export type Family = 'ipv4' | 'ipv6';

export interface IpAddr {
  readonly family: Family;
  readonly bytes: Uint8Array;
}

export interface Cidr {
  readonly addr: IpAddr;
  readonly length: number;
}

function parseV4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseV6(text: string): Uint8Array | undefined {
  let s = text;
  const pct = s.indexOf('%');
  if (pct >= 0) return undefined; // zones never name a Service IP
  let tailV4: Uint8Array | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    tailV4 = parseV4(s.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return undefined;
  const groups: number[] = [];
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  if (dbl >= 0) {
    const head = parseGroups(s.slice(0, dbl));
    const tail = parseGroups(s.slice(dbl + 2));
    if (head === undefined || tail === undefined || head.length + tail.length > 7) return undefined;
    groups.push(...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail);
  } else {
    const all = parseGroups(s);
    if (all === undefined || all.length !== 8) return undefined;
    groups.push(...all);
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = groups[i] as number;
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  }
  if (tailV4 !== undefined) out.set(tailV4, 12);
  return out;
}

/** Parses an IPv4 or IPv6 address; undefined when it is not one. */
export function parseIp(text: string): IpAddr | undefined {
  const t = text.trim();
  if (t.includes(':')) {
    const b = parseV6(t);
    return b === undefined ? undefined : { family: 'ipv6', bytes: b };
  }
  const b = parseV4(t);
  return b === undefined ? undefined : { family: 'ipv4', bytes: b };
}

/** Parses `addr/len` (or a bare address as a host prefix); undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const addr = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (addr === undefined) return undefined;
  const max = addr.bytes.length * 8;
  if (slash < 0) return { addr, length: max };
  const lenText = text.slice(slash + 1).trim();
  if (!/^\d{1,3}$/.test(lenText)) return undefined;
  const length = Number(lenText);
  if (length > max) return undefined;
  return { addr: maskAddr(addr, length), length };
}

/** The address with every bit past `length` cleared. */
export function maskAddr(addr: IpAddr, length: number): IpAddr {
  const out = new Uint8Array(addr.bytes);
  for (let i = 0; i < out.length; i++) {
    const bitsLeft = length - i * 8;
    if (bitsLeft >= 8) continue;
    out[i] = bitsLeft <= 0 ? 0 : (out[i] as number) & (0xff << (8 - bitsLeft));
  }
  return { family: addr.family, bytes: out };
}

export function cidrContains(cidr: Cidr, addr: IpAddr): boolean {
  if (cidr.addr.family !== addr.family) return false;
  const full = cidr.length >> 3;
  for (let i = 0; i < full; i++) if (cidr.addr.bytes[i] !== addr.bytes[i]) return false;
  const rest = cidr.length & 7;
  if (rest === 0) return true;
  const m = 0xff << (8 - rest);
  return ((cidr.addr.bytes[full] as number) & m) === ((addr.bytes[full] as number) & m);
}

/** An IPv4 range `a-b` as MetalLB pools allow, inclusive at both ends. */
export interface IpRange {
  readonly from: IpAddr;
  readonly to: IpAddr;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

export function rangeContains(r: IpRange, addr: IpAddr): boolean {
  if (r.from.family !== addr.family) return false;
  return compareBytes(r.from.bytes, addr.bytes) <= 0 && compareBytes(addr.bytes, r.to.bytes) <= 0;
}

/** Parses a pool's address entry: a CIDR, or a `first-last` range. */
export function parsePoolAddresses(text: string): IpRange | undefined {
  const dash = text.indexOf('-');
  if (dash < 0) {
    const c = parseCidr(text);
    if (c === undefined) return undefined;
    const last = new Uint8Array(c.addr.bytes);
    for (let i = 0; i < last.length; i++) {
      const bitsLeft = c.length - i * 8;
      if (bitsLeft >= 8) continue;
      last[i] = (last[i] as number) | (bitsLeft <= 0 ? 0xff : 0xff >> bitsLeft);
    }
    return { from: c.addr, to: { family: c.addr.family, bytes: last } };
  }
  const from = parseIp(text.slice(0, dash));
  const to = parseIp(text.slice(dash + 1));
  if (from === undefined || to === undefined || from.family !== to.family) return undefined;
  if (compareBytes(from.bytes, to.bytes) > 0) return undefined;
  return { from, to };
}

export function formatIp(addr: IpAddr): string {
  const b = addr.bytes;
  if (addr.family === 'ipv4') return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] as number) << 8) | (b[i + 1] as number));
  // RFC 5952: compress the longest run (first if tied) of two or more zero groups.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number) => g.toString(16);
  if (bestStart < 0) return groups.map(hex).join(':');
  const head = groups.slice(0, bestStart).map(hex).join(':');
  const tail = groups
    .slice(bestStart + bestLen)
    .map(hex)
    .join(':');
  return `${head}::${tail}`;
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.addr)}/${c.length}`;
}
export const isIPv6Text = (s: string): boolean => s.includes(':');
