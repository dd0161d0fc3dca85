// UPDATE (RFC 4271 §4.3, §6.3; RFC 7606): the withdrawn routes, the walk over the path attributes
// (each decoded by its row in path-attributes-decode.ts) and the NLRI, with RFC 7606 revised error
// handling — or, with strict handling, the first error as a NOTIFICATION. Never throws on peer input.
import type { PathAttributes, UpdateMessage } from '../model.ts';
import { EMPTY, errorResult, type Opts, u16 } from './decode-common.ts';
import { nlriFailure, parseNlri } from './nlri-decode.ts';
import {
  type AttributeContext,
  addIssue,
  attributeBytes,
  attributeName,
  type Mutable,
  PATH_ATTRIBUTES,
} from './path-attributes-decode.ts';
import type { AttributeIssue, ReadResult } from './types.ts';

/** Type codes already seen in the UPDATE being decoded (cleared per UPDATE). */
const seen = new Uint8Array(256);

export function decodeUpdate(b: Uint8Array, s: number, len: number, o: Opts): ReadResult {
  const end = s + len;
  let p = s + 19;
  const wlen = u16(b, p);
  p += 2;
  if (p + wlen + 2 > end) {
    return errorResult(
      3,
      1,
      EMPTY,
      19,
      `withdrawn routes length ${wlen} exceeds the ${end - p - 2} bytes available`,
    );
  }
  const wStart = p;
  p += wlen;
  const alen = u16(b, p);
  p += 2;
  if (p + alen > end) {
    return errorResult(
      3,
      1,
      EMPTY,
      p - 2 - s,
      `total path attribute length ${alen} exceeds the ${end - p} bytes available`,
    );
  }
  const aStart = p;
  const aEnd = p + alen;

  // RFC 4271 §6.3 / RFC 7606 §5.3: syntax errors in the NLRI fields reset the session (3/10)
  const withdrawn = parseNlri(b, wStart, wStart + wlen, 1, o.ap41);
  if (withdrawn === null)
    return errorResult(3, 10, EMPTY, nlriFailure.at - s, `withdrawn routes: ${nlriFailure.reason}`);
  const nlri = parseNlri(b, aEnd, end, 1, o.ap41);
  if (nlri === null) return errorResult(3, 10, EMPTY, nlriFailure.at - s, `NLRI: ${nlriFailure.reason}`);

  const attrs: Mutable<PathAttributes> = {};
  const c: AttributeContext = {
    b,
    s,
    o,
    attrs,
    issues: [],
    unknown: [],
    ipv4Nlri: nlri.count > 0,
    mpReachPresent: false,
    fatal: undefined,
    code: 0,
    flags: 0,
    at: 0,
    vs: 0,
    ve: 0,
  };
  const wire: { code: number; flags: number }[] = [];
  seen.fill(0);

  p = aStart;
  while (p < aEnd) {
    const at = p;
    const flags = b[p] as number;
    const ext = (flags & 0x10) !== 0;
    const hl = ext ? 4 : 3;
    if (aEnd - p < hl) {
      // RFC 7606 §4: fewer octets than an attribute header
      const why = `${aEnd - p} bytes left in the path attributes, less than an attribute header`;
      addIssue(c, 'treat-as-withdraw', 0, at, why, 1, EMPTY);
      break;
    }
    const code = b[p + 1] as number;
    const vlen = ext ? u16(b, p + 2) : (b[p + 2] as number);
    const vs = p + hl;
    const ve = vs + vlen;
    if (ve > aEnd) {
      // RFC 7606 §4: attribute length overruns the Total Path Attribute Length
      const data = b.slice(at, aEnd);
      if (code === 14 || code === 15) {
        return errorResult(
          3,
          9,
          data,
          at - s,
          `${attributeName(code)} length ${vlen} overruns the path attributes`,
        );
      }
      const why = `${attributeName(code)} length ${vlen} overruns the path attributes by ${ve - aEnd} bytes`;
      addIssue(c, 'treat-as-withdraw', code, at, why, 5, data);
      break;
    }
    p = ve;
    c.code = code;
    c.flags = flags;
    c.at = at;
    c.vs = vs;
    c.ve = ve;
    if (seen[code] === 1) {
      // RFC 7606 §3(g)
      if (code === 14 || code === 15) {
        return errorResult(3, 1, EMPTY, at - s, `${attributeName(code)} appears more than once`);
      }
      const why = `${attributeName(code)} appears more than once; later copies discarded`;
      addIssue(c, 'attribute-discard', code, at, why, 1, EMPTY);
      continue;
    }
    seen[code] = 1;
    const spec = PATH_ATTRIBUTES[code];
    if (spec === undefined) {
      if ((flags & 0x80) === 0) {
        // RFC 4271 §6.3: unrecognized well-known attribute
        const why = `unrecognized well-known attribute ${code} (flags 0x${flags.toString(16)})`;
        return errorResult(3, 2, attributeBytes(c), at - s, why);
      }
      c.unknown.push({ flags, code, data: b.slice(vs, ve) });
      wire.push({ code, flags });
      continue;
    }
    // RFC 4271 §6.3 / RFC 7606 §3(c): Optional and Transitive bits must match the type code
    if ((flags & 0xc0) !== spec.flags) {
      const why = `${spec.name} has flags 0x${flags.toString(16)}; Optional/Transitive must be ${spec.flags >> 7}/${(spec.flags >> 6) & 1}`;
      if (spec.malformed === 'session-reset') return errorResult(3, 4, attributeBytes(c), at - s, why);
      addIssue(c, spec.malformed, code, at, why, 4, attributeBytes(c));
      continue;
    }
    const keep = spec.decode(c);
    if (c.fatal !== undefined) return c.fatal;
    if (keep) wire.push({ code, flags });
  }

  // RFC 4271 §6.3 / RFC 7606 §3(d): mandatory attributes when the UPDATE carries reachability
  if (nlri.count > 0 || c.mpReachPresent) {
    const missing = (code: number): void => {
      if (seen[code] === 1) return; // present but malformed: already reported
      const why = `missing well-known attribute ${attributeName(code)}`;
      addIssue(c, 'treat-as-withdraw', code, aStart, why, 3, Uint8Array.of(code));
    };
    if (attrs.origin === undefined) missing(1);
    if (attrs.asPath === undefined) missing(2);
    if (nlri.count > 0 && attrs.nextHop === undefined) missing(3);
  }

  if (c.unknown.length > 0) attrs.unknown = c.unknown;
  if (wire.length > 0) attrs.wire = wire;
  const issues: AttributeIssue[] = c.issues;
  const message: UpdateMessage = { type: 'update', withdrawn, attributes: attrs, nlri };
  if (issues.length === 0) return { kind: 'message', message, issues };
  if (o.strict) {
    const first = issues[0] as AttributeIssue;
    return {
      kind: 'error',
      notification: first.notification ?? { type: 'notification', code: 3, subcode: 0, data: EMPTY },
      offset: first.offset,
      reason: first.reason,
    };
  }
  for (const i of issues)
    if (i.action === 'treat-as-withdraw') return { kind: 'treat-as-withdraw', message, issues };
  return { kind: 'message', message, issues };
}
