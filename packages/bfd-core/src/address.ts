// Address text in canonical form, for matching received datagrams to sessions: lower case, no zone,
// no brackets, IPv4-mapped IPv6 as IPv4, IPv6 in RFC 5952 form (so `fd00:0:0::2` matches `fd00::2`).

function parseIpv6Groups(a: string): number[] | undefined {
  let text = a;
  const groups: number[] = [];
  // Trailing embedded IPv4 (::a.b.c.d, 64:ff9b::a.b.c.d).
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  const tailGroups: number[] = [];
  if (tail.includes('.')) {
    const octets = tail.split('.').map((x) => (/^\d{1,3}$/.test(x) ? Number(x) : Number.NaN));
    if (octets.length !== 4 || octets.some((o) => !(o >= 0 && o <= 255))) return undefined;
    tailGroups.push((octets[0]! << 8) | octets[1]!, (octets[2]! << 8) | octets[3]!);
    text = `${text.slice(0, lastColon + 1)}0`;
    tailGroups.length = 2;
  }
  const parts = text.split('::');
  if (parts.length > 2) return undefined;
  const parse = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = parse(parts[0]!);
  const rest = parts.length === 2 ? parse(parts[1]!) : [];
  if (head === undefined || rest === undefined) return undefined;
  if (tailGroups.length > 0) {
    // The placeholder "0" stands for the two IPv4 groups.
    const target = parts.length === 2 ? rest : head;
    target.pop();
    target.push(...tailGroups);
  }
  if (parts.length === 2) {
    const fill = 8 - head.length - rest.length;
    if (fill < 1) return undefined;
    groups.push(...head, ...new Array<number>(fill).fill(0), ...rest);
  } else groups.push(...head);
  return groups.length === 8 ? groups : undefined;
}

function formatIpv6(g: number[]): string {
  // RFC 5952: compress the longest run (≥ 2) of zero groups, the first on ties.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Canonical text of an IPv4 or IPv6 address (anything unparsable is returned trimmed and lower-cased). */
export function normalizeAddress(address: string): string {
  let a = address.trim().toLowerCase();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  if (!a.includes(':')) return a;
  const groups = parseIpv6Groups(a);
  if (groups === undefined) return a;
  if (
    groups[0] === 0 &&
    groups[1] === 0 &&
    groups[2] === 0 &&
    groups[3] === 0 &&
    groups[4] === 0 &&
    groups[5] === 0xffff
  )
    return `${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
  return formatIpv6(groups);
}
