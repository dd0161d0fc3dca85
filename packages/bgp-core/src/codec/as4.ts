// RFC 6793 4-octet AS numbers: AS_PATH reconstruction from a 2-octet speaker (§4.2.3) and the
// AS_TRANS substitution toward one (§4.2.2); AS_PATH length and prepending.
import { AS_TRANS, type AsPathSegment, type PathAttributes } from '../model.ts';

/** AS_PATH length for route selection (RFC 4271 §9.1.2.2; RFC 5065 §5.3): SET 1, confed 0. */
export function asPathLength(segments: readonly AsPathSegment[]): number {
  let n = 0;
  for (const s of segments) {
    if (s.type === 2) n += s.asns.length;
    else if (s.type === 1) n += 1;
  }
  return n;
}

export function hasFourOctetAsn(segments: readonly AsPathSegment[]): boolean {
  for (const s of segments) for (const a of s.asns) if (a > 0xffff) return true;
  return false;
}

/** The path as sent to a 2-octet speaker: every AS above 65535 replaced by AS_TRANS. */
export function toTwoOctetAsPath(segments: readonly AsPathSegment[]): AsPathSegment[] {
  return segments.map((s) => ({ type: s.type, asns: s.asns.map((a) => (a > 0xffff ? AS_TRANS : a)) }));
}

/** Prepend `asn` (RFC 4271 §5.1.2): to a leading AS_SEQUENCE with room, or as a new segment. */
export function prependAs(segments: readonly AsPathSegment[], asn: number, times = 1): AsPathSegment[] {
  let out = segments.slice();
  for (let t = 0; t < times; t++) {
    const first = out[0];
    if (first !== undefined && first.type === 2 && first.asns.length < 255) {
      out = [{ type: 2, asns: [asn, ...first.asns] }, ...out.slice(1)];
    } else {
      out = [{ type: 2, asns: [asn] }, ...out];
    }
  }
  return out;
}

export interface AsPathMergeResult {
  readonly path: AsPathSegment[];
  /** False when AS4_PATH was ignored (longer than AS_PATH, RFC 6793 §4.2.3). */
  readonly usedAs4Path: boolean;
}

/**
 * RFC 6793 §4.2.3: combine AS_PATH (2-octet, with AS_TRANS) and AS4_PATH from a 2-octet speaker.
 * Confederation segments in AS4_PATH are discarded (§6). If AS_PATH has fewer ASes than
 * AS4_PATH, AS4_PATH is ignored; otherwise the leading ASes of AS_PATH that AS4_PATH lacks are
 * kept in front of AS4_PATH.
 */
export function mergeAs4Path(
  asPath: readonly AsPathSegment[],
  as4Path: readonly AsPathSegment[] | undefined,
): AsPathMergeResult {
  if (as4Path === undefined)
    return { path: asPath.map((s) => ({ type: s.type, asns: s.asns.slice() })), usedAs4Path: false };
  const as4 = as4Path.filter((s) => s.type === 1 || s.type === 2);
  const n2 = asPathLength(asPath);
  const n4 = asPathLength(as4);
  if (n2 < n4)
    return { path: asPath.map((s) => ({ type: s.type, asns: s.asns.slice() })), usedAs4Path: false };
  let keep = n2 - n4;
  const lead: AsPathSegment[] = [];
  for (const s of asPath) {
    if (s.type === 3 || s.type === 4) {
      lead.push({ type: s.type, asns: s.asns.slice() });
      continue;
    }
    if (keep === 0) break;
    if (s.type === 1) {
      lead.push({ type: 1, asns: s.asns.slice() });
      keep -= 1;
    } else {
      const take = Math.min(keep, s.asns.length);
      lead.push({ type: 2, asns: s.asns.slice(0, take) });
      keep -= take;
    }
  }
  const path = lead.concat(as4.map((s) => ({ type: s.type, asns: s.asns.slice() })));
  // join a partial leading sequence with the AS4_PATH's first sequence when they fit one segment
  const out: AsPathSegment[] = [];
  for (const s of path) {
    const prev = out[out.length - 1];
    if (
      prev !== undefined &&
      prev.type === 2 &&
      s.type === 2 &&
      prev.asns.length + s.asns.length <= 255 &&
      lead.includes(prev)
    ) {
      out[out.length - 1] = { type: 2, asns: [...prev.asns, ...s.asns] };
    } else {
      out.push(s);
    }
  }
  return { path: out, usedAs4Path: true };
}

/**
 * Attributes as a 4-octet speaker sees them, from an UPDATE received from a 2-octet speaker:
 * AS4_AGGREGATOR replaces AGGREGATOR when AGGREGATOR carries AS_TRANS (otherwise both
 * AS4_AGGREGATOR and AS4_PATH are ignored, RFC 6793 §4.2.3), AS4_PATH is merged into AS_PATH,
 * and AS4_PATH/AS4_AGGREGATOR are removed. Unchanged if neither is present.
 */
export function reconstructAs4(attrs: PathAttributes): PathAttributes {
  if (attrs.as4Path === undefined && attrs.as4Aggregator === undefined) return attrs;
  const { as4Path, as4Aggregator, wire, ...rest } = attrs;
  let ignoreAs4Path = false;
  let aggregator = attrs.aggregator;
  if (as4Aggregator !== undefined && aggregator !== undefined) {
    if (aggregator.asn === AS_TRANS) aggregator = as4Aggregator;
    else ignoreAs4Path = true;
  }
  const out: { -readonly [K in keyof PathAttributes]: PathAttributes[K] } = { ...rest };
  if (aggregator !== undefined) out.aggregator = aggregator;
  if (!ignoreAs4Path && attrs.asPath !== undefined) out.asPath = mergeAs4Path(attrs.asPath, as4Path).path;
  return out;
}
