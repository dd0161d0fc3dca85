// packUpdates: announcements and withdrawals of one family sharing one attribute set, in as few
// UPDATE messages as fit the negotiated maximum size. Attributes are encoded once; prefixes are
// copied straight from the PrefixList typed arrays.
import { type CodecOptions, familyKey, maxMessageSize, type PathAttributes } from '../model.ts';
import type { PrefixList } from '../prefix.ts';
import { cachedAttributes, mpNextHopBytes, newUpdate, prefixWireSize, writePrefixes } from './encode.ts';
import type { PackInput } from './types.ts';

/**
 * Attributes derived from `original` (MP attributes or NEXT_HOP removed), memoized per original
 * object so the encoded-attribute cache hits across calls.
 */
const derived = new WeakMap<PathAttributes, Map<string, PathAttributes>>();
function stripped(original: PathAttributes, attrs: PathAttributes): PathAttributes {
  const key = attrs.nextHop === undefined ? 'mp' : 'classic';
  let m = derived.get(original);
  if (m === undefined) {
    m = new Map();
    derived.set(original, m);
  }
  const hit = m.get(key);
  if (hit !== undefined) return hit;
  m.set(key, attrs);
  return attrs;
}

/** How many prefixes from `start` fit in `budget` bytes; returns [end, bytes used]. */
function fit(list: PrefixList, start: number, budget: number, addPath: boolean): [number, number] {
  let used = 0;
  let i = start;
  const n = list.count;
  const lengths = list.lengths;
  const extra = addPath ? 5 : 1;
  while (i < n) {
    const sz = extra + (((lengths[i] as number) + 7) >> 3);
    if (used + sz > budget) break;
    used += sz;
    i++;
  }
  return [i, used];
}

function attrHeader(b: Uint8Array, p: number, code: number, len: number): number {
  if (len > 255) {
    b[p] = 0x90;
    b[p + 1] = code;
    b[p + 2] = len >>> 8;
    b[p + 3] = len & 255;
    return p + 4;
  }
  b[p] = 0x80;
  b[p + 1] = code;
  b[p + 2] = len;
  return p + 3;
}

/**
 * Encode announcements and withdrawals of one family sharing one attribute set into as few
 * UPDATE messages as fit the negotiated maximum size (withdrawals first; a message is filled with
 * the remaining withdrawals and then announcements).
 *
 * - IPv4 unicast with an IPv4 next hop (`attributes.nextHop`) uses the classic Withdrawn Routes
 *   and NLRI fields; IPv4 unicast withdrawals always do.
 * - IPv6, other SAFIs, and IPv4 with an IPv6 `mpNextHop` (RFC 8950, requires `1/1` in
 *   `opts.extendedNextHop`) use MP_REACH_NLRI / MP_UNREACH_NLRI, encoded first (RFC 7606 §5.1);
 *   the NEXT_HOP attribute is then left out.
 * - Path identifiers are sent when `opts.addPathSend` has the family (a list without ids sends 0).
 * Throws RangeError on misuse (family mismatch, missing next hop, attributes too large for a
 * message with one prefix).
 */
export function packUpdates(input: PackInput, opts: CodecOptions = {}): Uint8Array[] {
  const { afi, safi, announce, withdraw } = input;
  if (afi !== 1 && afi !== 2)
    throw new RangeError(`packUpdates: AFI ${afi} is not supported (1 IPv4, 2 IPv6)`);
  if (!Number.isInteger(safi) || safi < 1 || safi > 255)
    throw new RangeError(`packUpdates: SAFI ${safi} is invalid`);
  if (announce.afi !== afi || withdraw.afi !== afi)
    throw new RangeError('packUpdates: prefix lists of another family');
  const key = familyKey(afi, safi);
  const ap = opts.addPathSend?.has(key) === true;
  const max = maxMessageSize(opts);
  const classicW = afi === 1 && safi === 1;
  const classicA = classicW && input.mpNextHop === undefined;

  let baseAttrs: Uint8Array = new Uint8Array(0);
  let nh: Uint8Array = new Uint8Array(0);
  if (announce.count > 0) {
    const { mpReach: _r, mpUnreach: _u, wire: _w, ...rest } = input.attributes;
    let attrs: PathAttributes =
      _r === undefined && _u === undefined && _w === undefined ? input.attributes : rest;
    if (classicA) {
      if (attrs.nextHop === undefined)
        throw new RangeError(
          'packUpdates: IPv4 unicast announcements need attributes.nextHop (or mpNextHop)',
        );
    } else {
      const mpNh = input.mpNextHop;
      if (mpNh === undefined) throw new RangeError(`packUpdates: family ${key} announcements need mpNextHop`);
      nh = mpNextHopBytes(mpNh, afi);
      if (afi === 1 && nh.length !== 4 && opts.extendedNextHop?.has(key) !== true) {
        throw new RangeError(
          `packUpdates: IPv6 next hop for ${key} needs the extended next hop capability (RFC 8950)`,
        );
      }
      const { nextHop: _n, ...noNh } = attrs;
      attrs = noNh;
    }
    baseAttrs = cachedAttributes(
      attrs === input.attributes ? attrs : stripped(input.attributes, attrs),
      opts,
    );
  }

  const out: Uint8Array[] = [];
  let wi = 0;
  let ai = 0;
  while (wi < withdraw.count || ai < announce.count) {
    let budget = max - 23;
    // withdrawals
    const w0 = wi;
    let wBytes = 0;
    if (wi < withdraw.count) {
      if (!classicW) budget -= 7; // MP_UNREACH header (extended length) + AFI/SAFI
      [wi, wBytes] = fit(withdraw, wi, budget, ap);
      budget -= wBytes;
      if (!classicW && wi === w0) budget += 7;
    }
    // announcements (once every withdrawal is placed)
    const a0 = ai;
    let aBytes = 0;
    if (wi === withdraw.count && ai < announce.count) {
      const fixed = baseAttrs.length + (classicA ? 0 : 4 + 5 + nh.length);
      if (budget - fixed >= prefixWireSize(announce, ai, ap)) {
        [ai, aBytes] = fit(announce, ai, budget - fixed, ap);
      } else if (wi === w0) {
        throw new RangeError(
          `packUpdates: ${fixed} bytes of attributes leave no room for a prefix in a ${max}-byte UPDATE`,
        );
      }
    }
    // write the message
    const mpUnreachLen = classicW || wi === w0 ? -1 : 3 + wBytes;
    const mpReachLen = classicA || ai === a0 ? -1 : 5 + nh.length + aBytes;
    const hdr = (l: number): number => (l < 0 ? 0 : l > 255 ? 4 : 3);
    const attrLen =
      (mpUnreachLen < 0 ? 0 : hdr(mpUnreachLen) + mpUnreachLen) +
      (mpReachLen < 0 ? 0 : hdr(mpReachLen) + mpReachLen) +
      (ai > a0 ? baseAttrs.length : 0);
    const wLen = classicW ? wBytes : 0;
    const nLen = classicA ? aBytes : 0;
    const size = 23 + wLen + attrLen + nLen;
    const b = newUpdate(size, wLen);
    let p = 21;
    if (classicW) p = writePrefixes(b, p, withdraw, w0, wi, ap);
    b[p] = attrLen >>> 8;
    b[p + 1] = attrLen & 255;
    p += 2;
    if (mpUnreachLen >= 0) {
      p = attrHeader(b, p, 15, mpUnreachLen);
      b[p] = afi >>> 8;
      b[p + 1] = afi;
      b[p + 2] = safi;
      p = writePrefixes(b, p + 3, withdraw, w0, wi, ap);
    }
    if (mpReachLen >= 0) {
      p = attrHeader(b, p, 14, mpReachLen);
      b[p] = afi >>> 8;
      b[p + 1] = afi;
      b[p + 2] = safi;
      b[p + 3] = nh.length;
      b.set(nh, p + 4);
      p += 4 + nh.length;
      b[p++] = 0;
      p = writePrefixes(b, p, announce, a0, ai, ap);
    }
    if (ai > a0) {
      b.set(baseAttrs, p);
      p += baseAttrs.length;
    }
    if (classicA) p = writePrefixes(b, p, announce, a0, ai, ap);
    out.push(b);
  }
  return out;
}
