// UPDATE path attributes (RFC 4271 §4.3/§5, RFC 4760, RFC 6793, RFC 4360, RFC 8092): one row per
// attribute type code — its name, the Optional/Transitive flags it must carry, what a malformed
// instance costs (RFC 7606 §7) and its decoder. update-decode.ts walks the attributes and calls
// the row of each.
import {
  type AsPathSegment,
  familyKey,
  isSupportedFamily,
  type NextHop,
  type OriginValue,
  type PathAttributes,
  type UnknownAttribute,
} from '../model.ts';
import { formatIPv4, formatIPv6 } from '../prefix.ts';
import { EMPTY, errorResult, type Opts, u16, u32 } from './decode-common.ts';
import { nlriFailure, parseNlri } from './nlri-decode.ts';
import type { AttributeIssue, ReadResult } from './types.ts';

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** RFC 7606 §7: the approach for a malformed instance of an attribute. */
type MalformedAction = 'attribute-discard' | 'treat-as-withdraw' | 'session-reset';

/**
 * The state of one UPDATE's attribute walk, and the attribute being decoded (`code`, `flags`, its
 * header at `at`, its value in b[vs, ve)). A decoder fills `attrs`, reports `issues`, and sets
 * `fatal` for an error that ends the session.
 */
export interface AttributeContext {
  readonly b: Uint8Array;
  /** Start of the message in `b` (offsets in issues are from here). */
  readonly s: number;
  readonly o: Opts;
  readonly attrs: Mutable<PathAttributes>;
  readonly issues: AttributeIssue[];
  readonly unknown: UnknownAttribute[];
  /** The UPDATE carries NLRI in its own field (the routes NEXT_HOP is the next hop of). */
  readonly ipv4Nlri: boolean;
  mpReachPresent: boolean;
  fatal: ReadResult | undefined;
  code: number;
  flags: number;
  at: number;
  vs: number;
  ve: number;
}

/** Decode the current attribute of `c`; true keeps it in `attrs.wire`, false leaves it out. */
type AttributeDecoder = (c: AttributeContext) => boolean;

export interface AttributeSpec {
  readonly name: string;
  /** The Optional and Transitive bits the attribute must carry (RFC 4271 §6.3, RFC 7606 §3(c)). */
  readonly flags: number;
  readonly malformed: MalformedAction;
  readonly decode: AttributeDecoder;
}

/** Attribute categories by the Optional/Transitive flags they must carry. */
const WELL_KNOWN = 0x40; // O=0 T=1
const OPT_NON_TRANSITIVE = 0x80; // O=1 T=0
const OPT_TRANSITIVE = 0xc0; // O=1 T=1

/** An issue with an attribute (RFC 7606): discarded, or its UPDATE treated as withdraw. */
export function addIssue(
  c: AttributeContext,
  action: 'attribute-discard' | 'treat-as-withdraw',
  code: number,
  at: number,
  reason: string,
  subcode: number,
  data: Uint8Array,
): void {
  c.issues.push({
    action,
    code,
    offset: at - c.s,
    reason,
    notification: { type: 'notification', code: 3, subcode, data },
  });
}

/** The current attribute, header included (NOTIFICATION data). */
export function attributeBytes(c: AttributeContext): Uint8Array {
  return c.b.slice(c.at, c.ve);
}

/** The current attribute is malformed: the error or issue its row's RFC 7606 approach calls for. */
function malformed(c: AttributeContext, subcode: number, reason: string, withData = true): false {
  const spec = PATH_ATTRIBUTES[c.code] as AttributeSpec;
  const data = withData ? attributeBytes(c) : EMPTY;
  const why = `${spec.name}: ${reason}`;
  if (spec.malformed === 'session-reset') c.fatal = errorResult(3, subcode, data, c.at - c.s, why);
  else addIssue(c, spec.malformed, c.code, c.at, why, subcode, data);
  return false;
}

/** The value is not `want` octets long. */
function wrongLength(c: AttributeContext, want: number, subcode: number): boolean {
  const vlen = c.ve - c.vs;
  if (vlen === want) return false;
  malformed(c, subcode, `length ${vlen}, must be ${want}`);
  return true;
}

/** The value is not a non-zero multiple of `unit` octets (RFC 7606 §7.8, §7.14; RFC 8092 §6). */
function notMultipleOf(c: AttributeContext, unit: number, note = ''): boolean {
  const vlen = c.ve - c.vs;
  if (vlen !== 0 && vlen % unit === 0) return false;
  malformed(c, 9, `length ${vlen} is not a non-zero multiple of ${unit}${note}`);
  return true;
}

// ORIGIN (1)
function decodeOrigin(c: AttributeContext): boolean {
  if (wrongLength(c, 1, 5)) return false;
  const v = c.b[c.vs] as number;
  if (v > 2) return malformed(c, 6, `value ${v} is not IGP (0), EGP (1) or INCOMPLETE (2)`);
  c.attrs.origin = v as OriginValue;
  return true;
}

// AS_PATH (2)
function decodeAsPath(c: AttributeContext): boolean {
  const path = parseAsPath(c.b, c.vs, c.ve, c.o.as4);
  if (typeof path === 'string') return malformed(c, 11, path, false);
  c.attrs.asPath = path;
  return true;
}

// NEXT_HOP (3)
function decodeNextHop(c: AttributeContext): boolean {
  if (wrongLength(c, 4, 5)) return false;
  const nh = u32(c.b, c.vs);
  c.attrs.nextHop = formatIPv4(nh);
  const why = ipv4NextHopProblem(nh);
  // RFC 4760 §3: an UPDATE whose only NLRI is in MP_REACH_NLRI SHOULD NOT carry NEXT_HOP, and the
  // receiver SHOULD ignore it there: it is the next hop of no route (MP_REACH_NLRI has its own), so a
  // martian value withdraws nothing. (A NEXT_HOP whose length is not 4 is malformed, not ignored:
  // treat-as-withdraw by RFC 7606 §7.3, whatever the UPDATE carries.)
  if (why !== undefined && c.ipv4Nlri) {
    // RFC 4271 §6.3: NEXT_HOP must be a valid IP host address; a martian one (0.0.0.0/8,
    // 127.0.0.0/8, class D or E) is not, and the routes are ignored (treat-as-withdraw, RFC
    // 7606 §7.3), as FRR and GoBGP do. The attribute is kept so the message reads as received.
    addIssue(
      c,
      'treat-as-withdraw',
      c.code,
      c.at,
      `NEXT_HOP ${formatIPv4(nh)} is ${why}`,
      8,
      attributeBytes(c),
    );
  }
  return true;
}

// MULTI_EXIT_DISC (4)
function decodeMed(c: AttributeContext): boolean {
  if (wrongLength(c, 4, 5)) return false;
  c.attrs.med = u32(c.b, c.vs);
  return true;
}

// LOCAL_PREF (5)
function decodeLocalPref(c: AttributeContext): boolean {
  if (wrongLength(c, 4, 5)) return false;
  c.attrs.localPref = u32(c.b, c.vs);
  return true;
}

// ATOMIC_AGGREGATE (6)
function decodeAtomicAggregate(c: AttributeContext): boolean {
  if (wrongLength(c, 0, 5)) return false;
  c.attrs.atomicAggregate = true;
  return true;
}

// AGGREGATOR (7): 2- or 4-octet AS by the session (RFC 6793 §3), then the IPv4 address
function decodeAggregator(c: AttributeContext): boolean {
  const want = c.o.as4 ? 8 : 6;
  if (wrongLength(c, want, 5)) return false;
  c.attrs.aggregator = {
    asn: want === 8 ? u32(c.b, c.vs) : u16(c.b, c.vs),
    address: formatIPv4(u32(c.b, c.vs + want - 4)),
  };
  return true;
}

// COMMUNITIES (8, RFC 1997)
function decodeCommunities(c: AttributeContext): boolean {
  if (notMultipleOf(c, 4)) return false;
  const list = new Array<number>((c.ve - c.vs) >> 2);
  for (let i = 0; i < list.length; i++) list[i] = u32(c.b, c.vs + 4 * i);
  c.attrs.communities = list;
  return true;
}

// ORIGINATOR_ID (9, RFC 4456)
function decodeOriginatorId(c: AttributeContext): boolean {
  if (wrongLength(c, 4, 9)) return false;
  c.attrs.originatorId = formatIPv4(u32(c.b, c.vs));
  return true;
}

// CLUSTER_LIST (10, RFC 4456)
function decodeClusterList(c: AttributeContext): boolean {
  if (notMultipleOf(c, 4)) return false;
  const list = new Array<string>((c.ve - c.vs) >> 2);
  for (let i = 0; i < list.length; i++) list[i] = formatIPv4(u32(c.b, c.vs + 4 * i));
  c.attrs.clusterList = list;
  return true;
}

// MP_REACH_NLRI (14, RFC 4760 §3)
function decodeMpReach(c: AttributeContext): boolean {
  const { b, vs, ve } = c;
  c.mpReachPresent = true;
  if (ve - vs < 5) return malformed(c, 9, `length ${ve - vs} is too short`);
  const afi = u16(b, vs);
  const safi = b[vs + 2] as number;
  const nhLen = b[vs + 3] as number;
  const nlriStart = vs + 4 + nhLen + 1;
  if (nlriStart > ve) return malformed(c, 9, `next hop length ${nhLen} overruns the attribute`);
  if (!isSupportedFamily(afi, safi)) {
    // RFC 4760 §7: an AFI/SAFI we do not support is not an error; kept opaque
    c.unknown.push({ flags: c.flags, code: c.code, data: b.slice(vs, ve) });
    return true;
  }
  const nh = p14NextHop(b, vs + 4, nhLen, afi);
  if (nh === undefined)
    return malformed(
      c,
      9,
      afi === 2
        ? `next hop length ${nhLen} is invalid for IPv6 NLRI (16, or 32 with the link-local address; RFC 2545 §3)`
        : `next hop length ${nhLen} is invalid for IPv4 NLRI (4, or 16 or 32 under RFC 8950)`,
    );
  const nhWhy = mpNextHopProblem(b, vs + 4, nhLen);
  const list = parseNlri(b, nlriStart, ve, afi as 1 | 2, c.o.addPathRx?.has(familyKey(afi, safi)) === true);
  if (list === null) return malformed(c, 9, `NLRI at byte ${nlriFailure.at - c.s}: ${nlriFailure.reason}`);
  c.attrs.mpReach = { afi: afi as 1 | 2, safi, nextHop: nh, nlri: list };
  if (nhWhy !== undefined) {
    // The next hop field is well formed (its length fits, the NLRI is read) but names no usable
    // host: like NEXT_HOP under RFC 4271 §6.3, the routes are ignored (treat-as-withdraw); the
    // subcode for strict handling is RFC 4760 §7's Optional Attribute Error.
    addIssue(c, 'treat-as-withdraw', c.code, c.at, `MP_REACH_NLRI next hop ${nhWhy}`, 9, attributeBytes(c));
  }
  return true;
}

// MP_UNREACH_NLRI (15, RFC 4760 §4)
function decodeMpUnreach(c: AttributeContext): boolean {
  const { b, vs, ve } = c;
  if (ve - vs < 3) return malformed(c, 9, `length ${ve - vs} is too short`);
  const afi = u16(b, vs);
  const safi = b[vs + 2] as number;
  if (!isSupportedFamily(afi, safi)) {
    c.unknown.push({ flags: c.flags, code: c.code, data: b.slice(vs, ve) });
    return true;
  }
  const list = parseNlri(b, vs + 3, ve, afi as 1 | 2, c.o.addPathRx?.has(familyKey(afi, safi)) === true);
  if (list === null)
    return malformed(c, 9, `withdrawn NLRI at byte ${nlriFailure.at - c.s}: ${nlriFailure.reason}`);
  c.attrs.mpUnreach = { afi: afi as 1 | 2, safi, withdrawn: list };
  return true;
}

// EXTENDED_COMMUNITIES (16, RFC 4360)
function decodeExtendedCommunities(c: AttributeContext): boolean {
  if (notMultipleOf(c, 8)) return false;
  const { b, vs } = c;
  const list = new Array<bigint>((c.ve - vs) >> 3);
  for (let i = 0; i < list.length; i++)
    list[i] = (BigInt(u32(b, vs + 8 * i)) << 32n) | BigInt(u32(b, vs + 8 * i + 4));
  c.attrs.extendedCommunities = list;
  return true;
}

// AS4_PATH (17, RFC 6793 §3): only from a 2-octet (OLD) speaker
function decodeAs4Path(c: AttributeContext): boolean {
  const path = parseAsPath(c.b, c.vs, c.ve, true);
  if (typeof path === 'string') return malformed(c, 9, path);
  if (c.o.as4) {
    // RFC 6793 §3: a NEW speaker never sends AS4_PATH to a NEW speaker
    const why = 'AS4_PATH received although 4-octet AS numbers were negotiated (RFC 6793 §3)';
    addIssue(c, 'attribute-discard', c.code, c.at, why, 9, attributeBytes(c));
    return false;
  }
  c.attrs.as4Path = path;
  return true;
}

// AS4_AGGREGATOR (18, RFC 6793 §3): only from a 2-octet (OLD) speaker
function decodeAs4Aggregator(c: AttributeContext): boolean {
  if (wrongLength(c, 8, 9)) return false;
  const agg = { asn: u32(c.b, c.vs), address: formatIPv4(u32(c.b, c.vs + 4)) };
  if (c.o.as4) {
    const why = 'AS4_AGGREGATOR received although 4-octet AS numbers were negotiated (RFC 6793 §3)';
    addIssue(c, 'attribute-discard', c.code, c.at, why, 9, attributeBytes(c));
    return false;
  }
  c.attrs.as4Aggregator = agg;
  return true;
}

// LARGE_COMMUNITY (32, RFC 8092)
function decodeLargeCommunities(c: AttributeContext): boolean {
  if (notMultipleOf(c, 12, ' (RFC 8092 §6)')) return false;
  const { b, vs } = c;
  const list = new Array<[number, number, number]>((c.ve - vs) / 12);
  for (let i = 0; i < list.length; i++) {
    const q = vs + 12 * i;
    list[i] = [u32(b, q), u32(b, q + 4), u32(b, q + 8)];
  }
  // RFC 8092 §5: a receiver MUST silently remove repeated Large Communities (no issue is raised)
  c.attrs.largeCommunities = list.length > 1 ? uniqueLargeCommunities(list) : list;
  return true;
}

/** The attributes we recognize, by type code (undefined: unrecognized). */
export const PATH_ATTRIBUTES: readonly (AttributeSpec | undefined)[] = (() => {
  const t = new Array<AttributeSpec | undefined>(256).fill(undefined);
  const row = (
    code: number,
    name: string,
    flags: number,
    malformed: MalformedAction,
    decode: AttributeDecoder,
  ) => {
    t[code] = { name, flags, malformed, decode };
  };
  row(1, 'ORIGIN', WELL_KNOWN, 'treat-as-withdraw', decodeOrigin);
  row(2, 'AS_PATH', WELL_KNOWN, 'treat-as-withdraw', decodeAsPath);
  row(3, 'NEXT_HOP', WELL_KNOWN, 'treat-as-withdraw', decodeNextHop);
  row(4, 'MULTI_EXIT_DISC', OPT_NON_TRANSITIVE, 'treat-as-withdraw', decodeMed);
  row(5, 'LOCAL_PREF', WELL_KNOWN, 'treat-as-withdraw', decodeLocalPref);
  row(6, 'ATOMIC_AGGREGATE', WELL_KNOWN, 'attribute-discard', decodeAtomicAggregate);
  row(7, 'AGGREGATOR', OPT_TRANSITIVE, 'attribute-discard', decodeAggregator);
  row(8, 'COMMUNITIES', OPT_TRANSITIVE, 'treat-as-withdraw', decodeCommunities);
  row(9, 'ORIGINATOR_ID', OPT_NON_TRANSITIVE, 'treat-as-withdraw', decodeOriginatorId);
  row(10, 'CLUSTER_LIST', OPT_NON_TRANSITIVE, 'treat-as-withdraw', decodeClusterList);
  row(14, 'MP_REACH_NLRI', OPT_NON_TRANSITIVE, 'session-reset', decodeMpReach);
  row(15, 'MP_UNREACH_NLRI', OPT_NON_TRANSITIVE, 'session-reset', decodeMpUnreach);
  row(16, 'EXTENDED_COMMUNITIES', OPT_TRANSITIVE, 'treat-as-withdraw', decodeExtendedCommunities);
  row(17, 'AS4_PATH', OPT_TRANSITIVE, 'attribute-discard', decodeAs4Path);
  row(18, 'AS4_AGGREGATOR', OPT_TRANSITIVE, 'attribute-discard', decodeAs4Aggregator);
  row(32, 'LARGE_COMMUNITY', OPT_TRANSITIVE, 'treat-as-withdraw', decodeLargeCommunities);
  return t;
})();

export function attributeName(code: number): string {
  return PATH_ATTRIBUTES[code]?.name ?? `attribute ${code}`;
}

/**
 * Why an IPv4 next hop is not a host address, or undefined: 0.0.0.0/8 ("this network", RFC 1122
 * §3.2.1.3), 127.0.0.0/8 (loopback), 224.0.0.0/4 (multicast) and 240.0.0.0/4 (reserved, with the
 * limited broadcast address): FRR's and GoBGP's martian next hops.
 */
function ipv4NextHopProblem(nh: number): string | undefined {
  const first = nh >>> 24;
  if (first === 0) return 'not a host address (0.0.0.0/8)';
  if (first === 127) return 'not a host address (loopback, 127.0.0.0/8)';
  if (first >= 240) return 'not a host address (class E, 240.0.0.0/4)';
  if (first >= 224) return 'not a host address (multicast, 224.0.0.0/4)';
  return undefined;
}

function isZero(b: Uint8Array, p: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (b[p + i] !== 0) return false;
  return true;
}

const isLinkLocalAt = (b: Uint8Array, p: number): boolean =>
  b[p] === 0xfe && ((b[p + 1] as number) & 0xc0) === 0x80;

/**
 * Why the next hop field of an MP_REACH_NLRI (4, 16 or 32 octets at `p`) names no usable host, or
 * undefined. RFC 2545 §3: the field holds the global address of the next hop, "potentially followed
 * by" its link-local address; so the first address is neither unspecified, loopback, multicast nor
 * link-local, and the second, when present, is link-local (fe80::/10). An IPv4 or IPv4-mapped next
 * hop follows the IPv4 rules.
 *
 * Where others differ we follow the RFC: FRR and ExaBGP accept a link-local address alone (16
 * octets, what FRR sends on unnumbered sessions), and FRR drops a second address that is not
 * link-local but keeps the routes; here both make the routes withdrawn.
 */
function mpNextHopProblem(b: Uint8Array, p: number, len: number): string | undefined {
  if (len === 4) return ipv4NextHopProblem(u32(b, p));
  if (isZero(b, p, 10) && b[p + 10] === 0xff && b[p + 11] === 0xff) {
    const v4 = ipv4NextHopProblem(u32(b, p + 12));
    if (v4 !== undefined) return `${formatIPv6(b, p)} is ${v4}`;
  } else if (isZero(b, p, 15) && (b[p + 15] === 0 || b[p + 15] === 1)) {
    return `${formatIPv6(b, p)} is ${b[p + 15] === 0 ? 'the unspecified address' : 'the loopback address'}`;
  } else if (b[p] === 0xff) {
    return `${formatIPv6(b, p)} is a multicast address`;
  } else if (isLinkLocalAt(b, p)) {
    return len === 16
      ? `${formatIPv6(b, p)} is link-local without a global address (RFC 2545 §3)`
      : `${formatIPv6(b, p)} is link-local where the global address belongs (RFC 2545 §3)`;
  }
  if (len === 32 && !isLinkLocalAt(b, p + 16))
    return `${formatIPv6(b, p + 16)}, in place of the link-local address, is not link-local (RFC 2545 §3)`;
  return undefined;
}

/** The first occurrence of each large community, in order (RFC 8092 §5). */
function uniqueLargeCommunities(list: [number, number, number][]): [number, number, number][] {
  const n = list.length;
  if (n <= 8) {
    // a handful: compare pairwise, no allocation unless something repeats
    let dup = false;
    for (let i = 1; i < n && !dup; i++) {
      const x = list[i] as [number, number, number];
      for (let j = 0; j < i; j++) {
        const y = list[j] as [number, number, number];
        if (x[0] === y[0] && x[1] === y[1] && x[2] === y[2]) {
          dup = true;
          break;
        }
      }
    }
    if (!dup) return list;
  }
  const seen = new Set<string>();
  const out: [number, number, number][] = [];
  for (const c of list) {
    const k = `${c[0]}:${c[1]}:${c[2]}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(c);
  }
  return out.length === n ? list : out;
}

/**
 * The next hop field of an MP_REACH_NLRI of IPv4 (`afi` 1) or IPv6 (2) NLRI, or undefined when its
 * length does not fit the family. RFC 4760 §3: the next hop's network protocol is the one the
 * AFI/SAFI names; RFC 2545 §3: for IPv6 that is 16 octets, or 32 with the link-local address. A
 * 4-octet IPv4 next hop for IPv6 NLRI (what ExaBGP sends for `next-hop <IPv4>`, and FRR reads) is a
 * length other than expected: the attribute is malformed, and RFC 7606 §7.11 requires a session
 * reset (or AFI/SAFI disable) for it. We follow the RFC, as GoBGP's decoder does (16 or 32 octets
 * for AFI 2). An IPv4 address as the next hop of IPv6 routes is sent IPv4-mapped (::ffff:a.b.c.d,
 * 16 octets). IPv4 NLRI take 4 octets, or 16 or 32 (an IPv6 next hop, RFC 8950).
 */
function p14NextHop(b: Uint8Array, p: number, len: number, afi: number): NextHop | undefined {
  if (len === 4) return afi === 1 ? { global: formatIPv4(u32(b, p)) } : undefined;
  if (len === 16) return { global: formatIPv6(b, p) };
  if (len === 32) return { global: formatIPv6(b, p), linkLocal: formatIPv6(b, p + 16) };
  return undefined;
}

/** RFC 4271 §4.3 / RFC 7606 §7.2 AS_PATH syntax. Returns the segments or a reason. */
function parseAsPath(b: Uint8Array, from: number, to: number, four: boolean): AsPathSegment[] | string {
  const out: AsPathSegment[] = [];
  const w = four ? 4 : 2;
  let q = from;
  while (q < to) {
    if (q + 2 > to) return `${to - q} byte left after the last segment`;
    const type = b[q] as number;
    const n = b[q + 1] as number;
    if (type < 1 || type > 4)
      return `segment type ${type} is not AS_SET, AS_SEQUENCE, AS_CONFED_SEQUENCE or AS_CONFED_SET`;
    if (n === 0) return 'segment of length zero';
    if (q + 2 + n * w > to) return `segment of ${n} ASes (${n * w} bytes) overruns the attribute`;
    const asns = new Array<number>(n);
    for (let i = 0; i < n; i++) asns[i] = four ? u32(b, q + 2 + 4 * i) : u16(b, q + 2 + 2 * i);
    out.push({ type: type as 1 | 2 | 3 | 4, asns });
    q += 2 + n * w;
  }
  return out;
}
