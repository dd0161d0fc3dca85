import { isIPv4, isIPv6 } from 'node:net';

export type AddressFamily = 4 | 6;

export interface ParsedAddress {
  family: AddressFamily;
  bytes: Uint8Array;
  zone: string | undefined;
}

/** Parse an IPv4 or IPv6 literal (IPv6 may carry `%zone`); throws a RangeError naming it otherwise. */
export function parseAddress(address: string): ParsedAddress {
  if (isIPv4(address))
    return { family: 4, bytes: Uint8Array.from(address.split('.').map(Number)), zone: undefined };
  const pct = address.indexOf('%');
  const ip = pct >= 0 ? address.slice(0, pct) : address;
  const zone = pct >= 0 ? address.slice(pct + 1) : undefined;
  if (!isIPv6(ip) || zone === '') throw new RangeError(`'${address}' is not an IPv4 or IPv6 address`);
  const bytes = new Uint8Array(16);
  let text = ip;
  // A trailing dotted quad (::ffff:1.2.3.4) becomes two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const q = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${(((q[0] ?? 0) << 8) | (q[1] ?? 0)).toString(16)}:${(((q[2] ?? 0) << 8) | (q[3] ?? 0)).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = rest ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  for (let i = 0; i < 8; i++) {
    const g = Number.parseInt(groups[i] ?? '0', 16);
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  }
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
  if (mapped) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  // Longest run of zero groups (length ≥ 2) becomes '::' (RFC 5952).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  const text =
    bestStart < 0
      ? hex.join(':')
      : `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
  return a.zone === undefined ? text : `${text}%${a.zone}`;
}

export function addressFamily(address: string): AddressFamily {
  return parseAddress(address).family;
}
