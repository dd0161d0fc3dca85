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
