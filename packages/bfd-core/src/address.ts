// Address text in canonical form, for matching received datagrams to sessions: lower case, no zone,
// no brackets, IPv4-mapped IPv6 as IPv4, IPv6 in RFC 5952 form (so `fd00:0:0::2` matches `fd00::2`).
// Reading and printing are @bmlb/ip's (the one IP module).
import { formatIP, parseIP, unmapIPv4 } from '@bmlb/ip';

/** Canonical text of an IPv4 or IPv6 address (anything unparsable is returned trimmed and lower-cased). */
export function normalizeAddress(address: string): string {
  let a = address.trim().toLowerCase();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  // A strictly read IPv4 address is already its canonical text (and received datagrams mostly are).
  if (!a.includes(':')) return a;
  const ip = parseIP(a);
  if (ip === undefined) return a;
  const u = unmapIPv4(ip);
  return formatIP(u.family, u.value);
}
