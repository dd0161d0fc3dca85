// Compact prefix lists and IPv4/IPv6 address helpers.
//
// A PrefixList keeps prefixes of one address family in typed arrays: one length byte and one
// (IPv4) or four (IPv6) 32-bit words per prefix, plus optional ADD-PATH path identifiers. The
// codec decodes NLRI straight into these arrays and encodes from them: no per-prefix objects.

/** Address family identifiers this codec interprets (IANA AFI). */
export type PrefixAfi = 1 | 2;

/** Parse a dotted-quad IPv4 address into an unsigned 32-bit number; `undefined` if invalid. */
export function parseIPv4(text: string): number | undefined {
  const len = text.length;
  if (len < 7 || len > 15) return undefined;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
      if (dots > 3) return undefined;
    } else if (c >= 48 && c <= 57) {
      // no leading zeros ("010" is ambiguous: octal in some parsers)
      if (digits === 1 && octet === 0) return undefined;
      octet = octet * 10 + (c - 48);
      digits++;
      if (octet > 255) return undefined;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + octet;
}

/** Format an unsigned 32-bit number as a dotted-quad IPv4 address. */
export function formatIPv4(value: number): string {
  return `${(value >>> 24) & 255}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/**
 * Parse an IPv6 address (RFC 4291 §2.2 text forms, including `::` and a trailing dotted quad)
 * into four big-endian 32-bit words written at `out[offset..offset+3]`. Returns false if invalid
 * (then `out` may be partly written).
 */
export function parseIPv6Into(text: string, out: Uint32Array, offset = 0): boolean {
  const groups = new Array<number>(8);
  let n = 0;
  let gap = -1;
  let i = 0;
  const len = text.length;
  if (len < 2 || len > 45) return false;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
    if (i === len) {
      out.fill(0, offset, offset + 4);
      return true;
    }
  }
  while (i < len) {
    if (n >= 8) return false;
    // dotted quad tail?
    let j = i;
    let v = 0;
    let digits = 0;
    while (j < len) {
      const c = text.charCodeAt(j);
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else if (c >= 65 && c <= 70) d = c - 55;
      else break;
      v = v * 16 + d;
      digits++;
      if (digits > 4) return false;
      j++;
    }
    if (j < len && text.charCodeAt(j) === 46) {
      if (n > 6) return false;
      const v4 = parseIPv4(text.slice(i));
      if (v4 === undefined) return false;
      groups[n++] = v4 >>> 16;
      groups[n++] = v4 & 0xffff;
      i = len;
      break;
    }
    if (digits === 0) return false;
    groups[n++] = v;
    i = j;
    if (i === len) break;
    if (text.charCodeAt(i) !== 58) return false;
    i++;
    if (i < len && text.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = n;
      i++;
      if (i === len) break;
    } else if (i === len) {
      return false;
    }
  }
  if (gap < 0 ? n !== 8 : n > 7) return false;
  const full = new Array<number>(8).fill(0);
  if (gap < 0) {
    for (let k = 0; k < 8; k++) full[k] = groups[k] ?? 0;
  } else {
    for (let k = 0; k < gap; k++) full[k] = groups[k] ?? 0;
    const tail = n - gap;
    for (let k = 0; k < tail; k++) full[8 - tail + k] = groups[gap + k] ?? 0;
  }
  for (let k = 0; k < 4; k++) out[offset + k] = (((full[2 * k] ?? 0) << 16) | (full[2 * k + 1] ?? 0)) >>> 0;
  return true;
}

/** Parse an IPv6 address into 16 bytes; `undefined` if invalid. */
export function parseIPv6(text: string): Uint8Array | undefined {
  const w = new Uint32Array(4);
  if (!parseIPv6Into(text, w)) return undefined;
  const out = new Uint8Array(16);
  for (let k = 0; k < 4; k++) {
    const v = w[k] ?? 0;
    out[4 * k] = v >>> 24;
    out[4 * k + 1] = (v >>> 16) & 255;
    out[4 * k + 2] = (v >>> 8) & 255;
    out[4 * k + 3] = v & 255;
  }
  return out;
}

/** Format four big-endian 32-bit words as an IPv6 address in RFC 5952 canonical form. */
export function formatIPv6Words(words: ArrayLike<number>, offset = 0): string {
  const g = new Array<number>(8);
  for (let k = 0; k < 4; k++) {
    const v = words[offset + k] ?? 0;
    g[2 * k] = v >>> 16;
    g[2 * k + 1] = v & 0xffff;
  }
  // longest run of ≥2 zero groups, first one on ties (RFC 5952 §4.2)
  let bestStart = -1;
  let bestLen = 1;
  for (let k = 0; k < 8; ) {
    if (g[k] === 0) {
      let e = k;
      while (e < 8 && g[e] === 0) e++;
      if (e - k > bestLen) {
        bestLen = e - k;
        bestStart = k;
      }
      k = e;
    } else {
      k++;
    }
  }
  // IPv4-mapped (RFC 5952 §5): ::ffff:a.b.c.d
  if (bestStart === 0 && bestLen === 5 && g[5] === 0xffff) {
    return `::ffff:${formatIPv4(words[offset + 3] ?? 0)}`;
  }
  let s = '';
  for (let k = 0; k < 8; k++) {
    if (k === bestStart) {
      s += '::';
      k += bestLen - 1;
      continue;
    }
    if (s.length > 0 && !s.endsWith(':')) s += ':';
    s += (g[k] ?? 0).toString(16);
  }
  return s;
}

/** Format 16 bytes (from `offset`) as an IPv6 address in RFC 5952 canonical form. */
export function formatIPv6(bytes: Uint8Array, offset = 0): string {
  const w = [0, 0, 0, 0];
  for (let k = 0; k < 4; k++) {
    const p = offset + 4 * k;
    w[k] =
      (((bytes[p] ?? 0) << 24) |
        ((bytes[p + 1] ?? 0) << 16) |
        ((bytes[p + 2] ?? 0) << 8) |
        (bytes[p + 3] ?? 0)) >>>
      0;
  }
  return formatIPv6Words(w);
}

/** Canonical form of an IPv4 or IPv6 address text, or `undefined` if it is neither. */
export function canonicalAddress(text: string): string | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return formatIPv4(v4);
  const w = new Uint32Array(4);
  if (parseIPv6Into(text, w)) return formatIPv6Words(w);
  return undefined;
}

export function isIPv4(text: string): boolean {
  return parseIPv4(text) !== undefined;
}

export function isIPv6(text: string): boolean {
  return parseIPv6Into(text, new Uint32Array(4));
}

const EMPTY_U8 = new Uint8Array(0);
const EMPTY_U32 = new Uint32Array(0);

/**
 * A list of prefixes of one address family, backed by typed arrays.
 *
 * - `lengths[i]` is the prefix length of prefix i (0–32 or 0–128).
 * - `words` holds `wordsPerPrefix` (1 for IPv4, 4 for IPv6) unsigned big-endian words per prefix:
 *   prefix i's address starts at `words[i * wordsPerPrefix]`. Bits beyond the length are zero.
 * - `pathIds` holds the ADD-PATH path identifier of each prefix (RFC 7911), or is null.
 *
 * Instances are treated as immutable by the codec; build new ones with `fromStrings`,
 * `PrefixListBuilder`, or the constructor.
 */
export class PrefixList implements Iterable<string> {
  readonly afi: PrefixAfi;
  readonly count: number;
  readonly lengths: Uint8Array;
  readonly words: Uint32Array;
  readonly pathIds: Uint32Array | null;

  /**
   * Wraps arrays as they are (no copy). Throws RangeError when the arrays are too short for
   * `count` or a length exceeds the family's maximum (local misuse).
   */
  constructor(
    afi: PrefixAfi,
    count: number,
    lengths: Uint8Array,
    words: Uint32Array,
    pathIds: Uint32Array | null = null,
  ) {
    if (afi !== 1 && afi !== 2) throw new RangeError(`PrefixList: unsupported AFI ${afi}`);
    const wpp = afi === 1 ? 1 : 4;
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`PrefixList: bad count ${count}`);
    if (
      lengths.length < count ||
      words.length < count * wpp ||
      (pathIds !== null && pathIds.length < count)
    ) {
      throw new RangeError('PrefixList: arrays shorter than count');
    }
    this.afi = afi;
    this.count = count;
    this.lengths = lengths;
    this.words = words;
    this.pathIds = pathIds;
  }

  /** Words per prefix: 1 (IPv4) or 4 (IPv6). */
  get wordsPerPrefix(): 1 | 4 {
    return this.afi === 1 ? 1 : 4;
  }

  /** Maximum prefix length of the family: 32 or 128. */
  get maxLength(): 32 | 128 {
    return this.afi === 1 ? 32 : 128;
  }

  static empty(afi: PrefixAfi): PrefixList {
    return new PrefixList(afi, 0, EMPTY_U8, EMPTY_U32, null);
  }

  /**
   * Parse "a.b.c.d/len" or "x::y/len" (a bare address means a host route: /32 or /128).
   * Throws RangeError naming the offending entry if a prefix is invalid, of the other family, or
   * has host bits set (we reject rather than silently mask: a set host bit is almost always a
   * configuration mistake). `pathIds`, if given, must have one entry per prefix (0–2^32-1).
   */
  static fromStrings(afi: PrefixAfi, prefixes: readonly string[], pathIds?: readonly number[]): PrefixList {
    if (afi !== 1 && afi !== 2) throw new RangeError(`PrefixList.fromStrings: unsupported AFI ${afi}`);
    const n = prefixes.length;
    if (pathIds !== undefined && pathIds.length !== n) {
      throw new RangeError(`PrefixList.fromStrings: ${pathIds.length} path ids for ${n} prefixes`);
    }
    const wpp = afi === 1 ? 1 : 4;
    const max = afi === 1 ? 32 : 128;
    const lengths = new Uint8Array(n);
    const words = new Uint32Array(n * wpp);
    let ids: Uint32Array | null = null;
    if (pathIds !== undefined) {
      ids = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        const id = pathIds[i] ?? -1;
        if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) {
          throw new RangeError(
            `PrefixList.fromStrings: path id #${i} (${id}) is not a 32-bit unsigned integer`,
          );
        }
        ids[i] = id;
      }
    }
    for (let i = 0; i < n; i++) {
      const text = prefixes[i] ?? '';
      const slash = text.indexOf('/');
      const addr = slash < 0 ? text : text.slice(0, slash);
      let len = max;
      if (slash >= 0) {
        const l = text.slice(slash + 1);
        if (!/^(0|[1-9][0-9]{0,2})$/.test(l) || Number(l) > max) {
          throw new RangeError(`PrefixList.fromStrings: prefix #${i} "${text}": length must be 0–${max}`);
        }
        len = Number(l);
      }
      if (afi === 1) {
        const v = parseIPv4(addr);
        if (v === undefined)
          throw new RangeError(`PrefixList.fromStrings: prefix #${i} "${text}" is not an IPv4 prefix`);
        words[i] = v;
      } else if (!parseIPv6Into(addr, words, i * 4)) {
        throw new RangeError(`PrefixList.fromStrings: prefix #${i} "${text}" is not an IPv6 prefix`);
      }
      if (!hostBitsZero(words, i * wpp, wpp, len)) {
        throw new RangeError(`PrefixList.fromStrings: prefix #${i} "${text}" has bits set beyond /${len}`);
      }
      lengths[i] = len;
    }
    return new PrefixList(afi, n, lengths, words, ids);
  }

  /** Prefix i as text ("203.0.113.5/32", "2001:db8::/64"). */
  prefix(i: number): string {
    return `${this.address(i)}/${this.lengths[i] ?? 0}`;
  }

  /** The address part of prefix i as text. */
  address(i: number): string {
    if (!(i >= 0 && i < this.count))
      throw new RangeError(`PrefixList: index ${i} out of range 0..${this.count - 1}`);
    return this.afi === 1 ? formatIPv4(this.words[i] ?? 0) : formatIPv6Words(this.words, i * 4);
  }

  /** ADD-PATH path identifier of prefix i, or undefined when the list has none. */
  pathId(i: number): number | undefined {
    return this.pathIds === null ? undefined : this.pathIds[i];
  }

  *[Symbol.iterator](): IterableIterator<string> {
    for (let i = 0; i < this.count; i++) yield this.prefix(i);
  }

  toArray(): string[] {
    const out = new Array<string>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.prefix(i);
    return out;
  }

  /** Prefixes [start, end) as a new list sharing no memory with this one. */
  slice(start: number, end: number = this.count): PrefixList {
    const s = Math.max(0, Math.min(start, this.count));
    const e = Math.max(s, Math.min(end, this.count));
    const wpp = this.wordsPerPrefix;
    return new PrefixList(
      this.afi,
      e - s,
      this.lengths.slice(s, e),
      this.words.slice(s * wpp, e * wpp),
      this.pathIds === null ? null : this.pathIds.slice(s, e),
    );
  }

  /** Same family, same prefixes, path ids and order. */
  equals(other: PrefixList): boolean {
    if (other.afi !== this.afi || other.count !== this.count) return false;
    if (this.count > 0 && (this.pathIds === null) !== (other.pathIds === null)) return false;
    const wpp = this.wordsPerPrefix;
    for (let i = 0; i < this.count; i++) {
      if (this.lengths[i] !== other.lengths[i]) return false;
      if (this.pathIds !== null && this.pathIds[i] !== other.pathIds?.[i]) return false;
    }
    for (let i = 0; i < this.count * wpp; i++) if (this.words[i] !== other.words[i]) return false;
    return true;
  }

  toJSON(): string[] {
    return this.toArray();
  }
}

/** Grows typed arrays as prefixes are appended; `finish()` returns a PrefixList. */
export class PrefixListBuilder {
  readonly afi: PrefixAfi;
  private readonly wpp: number;
  private n = 0;
  private lengths: Uint8Array;
  private words: Uint32Array;
  private ids: Uint32Array | null;

  constructor(afi: PrefixAfi, withPathIds = false, capacity = 16) {
    if (afi !== 1 && afi !== 2) throw new RangeError(`PrefixListBuilder: unsupported AFI ${afi}`);
    this.afi = afi;
    this.wpp = afi === 1 ? 1 : 4;
    const c = Math.max(1, capacity);
    this.lengths = new Uint8Array(c);
    this.words = new Uint32Array(c * this.wpp);
    this.ids = withPathIds ? new Uint32Array(c) : null;
  }

  get count(): number {
    return this.n;
  }

  /** Append prefix i of `list` (same family). */
  addFrom(list: PrefixList, i: number, pathId?: number): void {
    if (list.afi !== this.afi) throw new RangeError('PrefixListBuilder: family mismatch');
    this.reserve();
    const w = this.wpp;
    this.lengths[this.n] = list.lengths[i] ?? 0;
    for (let k = 0; k < w; k++) this.words[this.n * w + k] = list.words[i * w + k] ?? 0;
    if (this.ids !== null) this.ids[this.n] = pathId ?? list.pathIds?.[i] ?? 0;
    this.n++;
  }

  /** Append a prefix given as words (1 or 4) and a length; host bits are masked. */
  add(length: number, w0: number, w1 = 0, w2 = 0, w3 = 0, pathId = 0): void {
    const max = this.wpp === 1 ? 32 : 128;
    if (!(length >= 0 && length <= max))
      throw new RangeError(`PrefixListBuilder: length ${length} out of range`);
    this.reserve();
    const base = this.n * this.wpp;
    this.words[base] = w0;
    if (this.wpp === 4) {
      this.words[base + 1] = w1;
      this.words[base + 2] = w2;
      this.words[base + 3] = w3;
    }
    maskHostBits(this.words, base, this.wpp, length);
    this.lengths[this.n] = length;
    if (this.ids !== null) this.ids[this.n] = pathId;
    this.n++;
  }

  finish(): PrefixList {
    const n = this.n;
    return new PrefixList(
      this.afi,
      n,
      this.lengths.slice(0, n),
      this.words.slice(0, n * this.wpp),
      this.ids === null ? null : this.ids.slice(0, n),
    );
  }

  private reserve(): void {
    if (this.n < this.lengths.length) return;
    const c = this.lengths.length * 2;
    const l = new Uint8Array(c);
    l.set(this.lengths);
    this.lengths = l;
    const w = new Uint32Array(c * this.wpp);
    w.set(this.words);
    this.words = w;
    if (this.ids !== null) {
      const d = new Uint32Array(c);
      d.set(this.ids);
      this.ids = d;
    }
  }
}

function hostBitsZero(words: Uint32Array, base: number, wpp: number, len: number): boolean {
  for (let k = 0; k < wpp; k++) {
    const bitsInWord = Math.max(0, Math.min(32, len - 32 * k));
    const mask =
      bitsInWord === 0 ? 0 : bitsInWord === 32 ? 0xffffffff : (0xffffffff << (32 - bitsInWord)) >>> 0;
    if (((words[base + k] ?? 0) & ~mask) >>> 0 !== 0) return false;
  }
  return true;
}

/** Clear the bits beyond `len` in the words of one prefix. */
export function maskHostBits(words: Uint32Array, base: number, wpp: number, len: number): void {
  for (let k = 0; k < wpp; k++) {
    const bitsInWord = Math.max(0, Math.min(32, len - 32 * k));
    const mask =
      bitsInWord === 0 ? 0 : bitsInWord === 32 ? 0xffffffff : (0xffffffff << (32 - bitsInWord)) >>> 0;
    words[base + k] = ((words[base + k] ?? 0) & mask) >>> 0;
  }
}
