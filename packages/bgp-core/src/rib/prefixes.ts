// Canonical prefix strings: the keys of Adj-RIB-Out. A prefix already in canonical form is kept as the
// caller's own string (no copy), so the table costs no extra memory for its keys.

import { formatIPv6Words, maskHostBits, parseIPv4, parseIPv6Into } from '../prefix.ts';

const scratch = new Uint32Array(4);
const masked = new Uint32Array(4);

/**
 * The canonical text of a prefix of family `afi` ("192.0.2.1/32", "2001:db8::/64"); a bare address
 * is a host route. Throws RangeError naming the prefix when it is invalid, of the other family, or has
 * bits set beyond its length (a local misuse).
 */
export function canonicalPrefix(afi: 1 | 2, text: string): string {
  if (afi === 1) {
    const fast = canonicalV4Fast(text);
    if (fast !== undefined) return fast;
  }
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const max = afi === 1 ? 32 : 128;
  const family = afi === 1 ? 'IPv4' : 'IPv6';
  const v4 = afi === 1 ? parseIPv4(addr) : undefined;
  if (afi === 1 ? v4 === undefined : !parseIPv6Into(addr, scratch, 0)) {
    throw new RangeError(`prefix '${text}' is not an ${family} prefix`);
  }
  let len = max;
  if (slash >= 0) {
    const l = text.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(l) || Number(l) > max) {
      throw new RangeError(`prefix '${text}': length must be 0–${max} for ${family}`);
    }
    len = Number(l);
  }
  if (afi === 1) {
    const v = v4 ?? 0;
    scratch[0] = v;
    masked[0] = v;
    maskHostBits(masked, 0, 1, len);
    if (masked[0] !== scratch[0]) throw new RangeError(`prefix '${text}' has bits set beyond /${len}`);
    return slash < 0 ? `${addr}/${len}` : text;
  }
  masked.set(scratch);
  maskHostBits(masked, 0, 4, len);
  for (let k = 0; k < 4; k++) {
    if (masked[k] !== scratch[k]) throw new RangeError(`prefix '${text}' has bits set beyond /${len}`);
  }
  const canonical = `${formatIPv6Words(scratch)}/${len}`;
  return canonical === text ? text : canonical;
}

/**
 * IPv4 fast path without slicing or regular expressions: returns the canonical text, or undefined
 * when the text is not a well-formed IPv4 prefix (the slow path then names the problem).
 */
function canonicalV4Fast(text: string): string | undefined {
  const n = text.length;
  let i = 0;
  let value = 0;
  for (let octet = 0; octet < 4; octet++) {
    if (octet > 0) {
      if (text.charCodeAt(i) !== 46) return undefined;
      i++;
    }
    const start = i;
    let v = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || v > 255 || (digits > 1 && text.charCodeAt(start) === 48))
      return undefined;
    value = value * 256 + v;
  }
  if (i === n) return `${text}/32`;
  if (text.charCodeAt(i) !== 47) return undefined;
  i++;
  const start = i;
  let len = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    len = len * 10 + (c - 48);
    i++;
  }
  const digits = i - start;
  if (digits === 0 || digits > 2 || len > 32 || (digits > 1 && text.charCodeAt(start) === 48))
    return undefined;
  const host = len === 32 ? 0 : len === 0 ? 0xffffffff : 0xffffffff >>> len;
  return (value & host) >>> 0 === 0 ? text : undefined;
}
