import { parseCommunity, parseLargeCommunity } from '../codec/communities.ts';

// What the caller states about a route it wants advertised, and the interning that lets 100k routes
// share a handful of attribute sets (one object per distinct set, found by a canonical key).

/** Attributes of a route the local speaker originates, as the caller states them. */
export interface RouteAttributes {
  /** ORIGIN; default `'igp'`. */
  readonly origin?: 'igp' | 'egp' | 'incomplete';
  /**
   * AS numbers placed after the local AS on eBGP sessions (for example prepends), or the whole
   * AS_PATH on iBGP sessions. Default: empty.
   */
  readonly asPath?: readonly number[];
  /** MULTI_EXIT_DISC. */
  readonly med?: number;
  /** LOCAL_PREF, sent on iBGP sessions only (default 100); never sent on eBGP sessions. */
  readonly localPref?: number;
  /**
   * COMMUNITIES: 32-bit values, `"asn:value"` strings, or well-known names (`no-export`,
   * `no-advertise`, `no-export-subconfed`, `no-peer`, `blackhole`, `graceful-shutdown`).
   */
  readonly communities?: readonly (number | string)[];
  /** LARGE_COMMUNITIES: `[global, local1, local2]` triples or `"g:l1:l2"` strings. */
  readonly largeCommunities?: readonly (string | readonly [number, number, number])[];
  /** EXTENDED_COMMUNITIES: 8-octet values as unsigned 64-bit bigints (see `linkBandwidth`, `routeTarget`). */
  readonly extendedCommunities?: readonly bigint[];
  /** NEXT_HOP override; default: the session's configured next hop or its local address. */
  readonly nextHop?: string;
}

/** RouteAttributes in canonical form: communities sorted and de-duplicated, defaults applied. */
export interface NormalizedAttributes {
  readonly origin: 'igp' | 'egp' | 'incomplete';
  readonly asPath: readonly number[];
  readonly med: number | undefined;
  readonly localPref: number | undefined;
  readonly communities: readonly number[];
  readonly largeCommunities: readonly (readonly [number, number, number])[];
  readonly extendedCommunities: readonly bigint[];
  readonly nextHop: string | undefined;
}

/** One interned attribute set: every route with equal attributes points at the same object. */
export interface AttributeSet {
  readonly key: string;
  readonly attributes: NormalizedAttributes;
  /** Number of route slots (desired or sent) that point here; the set is dropped at zero. */
  refs: number;
  /** Per-session cache of the encoded form (owned by the session that exports the routes). */
  exported: unknown;
}

function u32(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`${what}: ${value} is not an unsigned 32-bit integer`);
  }
  return value;
}

/** A community as a 32-bit value; accepts numbers, `"asn:value"` and well-known names. */
export function communityValue(value: number | string): number {
  if (typeof value === 'number') return u32(value, 'community');
  const parsed = parseCommunity(value);
  if (parsed === undefined) {
    throw new RangeError(`community '${value}': expected "asn:value" (16 bits each) or a well-known name`);
  }
  return parsed;
}

/** A large community as a triple; accepts triples and `"g:l1:l2"` (optionally `"large:g:l1:l2"`). */
export function largeCommunityValue(
  value: string | readonly [number, number, number],
): readonly [number, number, number] {
  if (typeof value !== 'string') {
    return [
      u32(value[0], 'large community global administrator'),
      u32(value[1], 'large community local data 1'),
      u32(value[2], 'large community local data 2'),
    ];
  }
  const parsed = parseLargeCommunity(value.replace(/^large:/i, ''));
  if (parsed === undefined)
    throw new RangeError(`large community '${value}': expected "g:l1:l2" (32 bits each)`);
  return parsed;
}

/** Normalize caller attributes (throws a RangeError naming the bad field: that is a local misuse). */
export function normalizeAttributes(attrs: RouteAttributes): NormalizedAttributes {
  const origin = attrs.origin ?? 'igp';
  if (origin !== 'igp' && origin !== 'egp' && origin !== 'incomplete') {
    throw new RangeError(`origin: '${String(origin)}' is not igp, egp or incomplete`);
  }
  const asPath = (attrs.asPath ?? []).map((as) => u32(as, 'asPath'));
  const med = attrs.med === undefined ? undefined : u32(attrs.med, 'med');
  const localPref = attrs.localPref === undefined ? undefined : u32(attrs.localPref, 'localPref');
  const communities = [...new Set((attrs.communities ?? []).map(communityValue))].sort((a, b) => a - b);
  const largeSeen = new Map<string, readonly [number, number, number]>();
  for (const lc of attrs.largeCommunities ?? []) {
    const t = largeCommunityValue(lc);
    largeSeen.set(`${t[0]}:${t[1]}:${t[2]}`, t);
  }
  const largeCommunities = [...largeSeen.values()].sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2]);
  const extendedCommunities = [...new Set(attrs.extendedCommunities ?? [])].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  for (const ec of extendedCommunities) {
    if (typeof ec !== 'bigint' || ec < 0n || ec > 0xffffffffffffffffn) {
      throw new RangeError(`extendedCommunities: ${String(ec)} is not an unsigned 64-bit value`);
    }
  }
  return {
    origin,
    asPath,
    med,
    localPref,
    communities,
    largeCommunities,
    extendedCommunities,
    nextHop: attrs.nextHop,
  };
}

/** The canonical key of normalized attributes: equal keys ⇔ equal attributes on the wire. */
export function attributeKey(n: NormalizedAttributes): string {
  return [
    n.origin,
    n.asPath.join(' '),
    n.med ?? '',
    n.localPref ?? '',
    n.communities.join(','),
    n.largeCommunities.map((t) => t.join(':')).join(','),
    n.extendedCommunities.map((v) => v.toString(16)).join(','),
    n.nextHop ?? '',
  ].join('|');
}

/** Interns attribute sets so that routes with equal attributes share one object. */
export class AttributeTable {
  readonly #byKey = new Map<string, AttributeSet>();

  /** The shared set for these attributes (not yet referenced: the caller counts its references). */
  intern(attrs: RouteAttributes): AttributeSet {
    const normalized = normalizeAttributes(attrs);
    const key = attributeKey(normalized);
    let set = this.#byKey.get(key);
    if (set === undefined) {
      set = { key, attributes: normalized, refs: 0, exported: undefined };
      this.#byKey.set(key, set);
    }
    return set;
  }

  retain(set: AttributeSet): void {
    if (set.refs++ === 0 && !this.#byKey.has(set.key)) this.#byKey.set(set.key, set);
  }

  release(set: AttributeSet): void {
    set.refs--;
    if (set.refs <= 0 && this.#byKey.get(set.key) === set) this.#byKey.delete(set.key);
  }

  /** Drop a set that was interned but never retained. */
  dropIfUnused(set: AttributeSet): void {
    if (set.refs <= 0 && this.#byKey.get(set.key) === set) this.#byKey.delete(set.key);
  }

  /** Forget every cached export (the session's next hop or peer type changed). */
  clearExported(): void {
    for (const set of this.#byKey.values()) set.exported = undefined;
  }

  get size(): number {
    return this.#byKey.size;
  }
}
