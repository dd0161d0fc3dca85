// Decoding: framing (MessageReader), the five message types, RFC 4271 §6 errors with their exact
// NOTIFICATION, and RFC 7606 revised UPDATE error handling. Never throws on peer input.
import {
  type AsPathSegment,
  BGP_HEADER_LENGTH,
  BGP_MAX_MESSAGE,
  type Capability,
  type CodecOptions,
  familyKey,
  isSupportedFamily,
  maxMessageSize,
  type NextHop,
  type OpenMessage,
  type OriginValue,
  type PathAttributes,
  type UnknownAttribute,
  type UpdateMessage,
} from '../model.ts';
import { formatIPv4, formatIPv6, PrefixList } from '../prefix.ts';
import { utf8DecodeStrict } from '../utf8.ts';
import type { AttributeIssue, ReadResult } from './types.ts';

const EMPTY = new Uint8Array(0);

/** Options resolved for the hot path. */
interface Opts {
  readonly as4: boolean;
  readonly max: number;
  readonly strict: boolean;
  readonly addPathRx: ReadonlySet<string> | undefined;
  readonly ap41: boolean;
}

function resolve(o: CodecOptions): Opts {
  return {
    as4: o.as4 === true,
    max: maxMessageSize(o),
    strict: o.strictErrorHandling === true,
    addPathRx: o.addPathReceive,
    ap41: o.addPathReceive?.has('1/1') === true,
  };
}

function u16(b: Uint8Array, p: number): number {
  return ((b[p] as number) << 8) | (b[p + 1] as number);
}
function u32(b: Uint8Array, p: number): number {
  return (
    (((b[p] as number) << 24) |
      ((b[p + 1] as number) << 16) |
      ((b[p + 2] as number) << 8) |
      (b[p + 3] as number)) >>>
    0
  );
}

function errorResult(
  code: number,
  subcode: number,
  data: Uint8Array,
  offset: number,
  reason: string,
): ReadResult {
  return { kind: 'error', notification: { type: 'notification', code, subcode, data }, offset, reason };
}

function u16Bytes(v: number): Uint8Array {
  return Uint8Array.of((v >>> 8) & 255, v & 255);
}

/**
 * Incremental framing and decoding of a BGP byte stream. Push bytes as they arrive (split at any
 * byte, many messages per chunk) and call `next()` until it returns undefined. A header with an
 * invalid marker, length or type is reported as soon as its 19 bytes are in, without waiting for a
 * body. After an error the reader stays failed (returns that error again) and ignores input. The
 * buffer holds at most the bytes pushed and not yet returned; `push` copies the chunk.
 */
export class MessageReader {
  private opts: Opts;
  private buf = new Uint8Array(8192);
  private r = 0;
  private w = 0;
  private failed: ReadResult | undefined;
  /** Stream offset of buf[0] (for error reporting). */
  private streamBase = 0;

  constructor(opts: CodecOptions = {}) {
    this.opts = resolve(opts);
  }

  /** Apply options negotiated in the OPEN exchange (affects messages not yet returned). */
  setOptions(opts: CodecOptions): void {
    this.opts = resolve(opts);
  }

  /** Append received bytes (copied; the caller may reuse the chunk). */
  push(chunk: Uint8Array): void {
    if (this.failed !== undefined) return;
    const n = chunk.length;
    if (n === 0) return;
    if (this.w + n > this.buf.length) {
      const live = this.w - this.r;
      if (live + n <= this.buf.length && this.r > 0) {
        this.buf.copyWithin(0, this.r, this.w);
      } else {
        const nb = new Uint8Array(Math.max(this.buf.length * 2, live + n));
        nb.set(this.buf.subarray(this.r, this.w));
        this.buf = nb;
      }
      this.streamBase += this.r;
      this.w = live;
      this.r = 0;
    }
    this.buf.set(chunk, this.w);
    this.w += n;
  }

  /** Bytes buffered and not yet returned as a message. */
  get buffered(): number {
    return this.w - this.r;
  }

  /** Stream offset (bytes since the first push) of the next unread byte. */
  get position(): number {
    return this.streamBase + this.r;
  }

  /** The next complete message's result, or undefined when more bytes are needed. */
  next(): ReadResult | undefined {
    if (this.failed !== undefined) return this.failed;
    const avail = this.w - this.r;
    if (avail < BGP_HEADER_LENGTH) return undefined;
    const b = this.buf;
    const s = this.r;
    const hdr = checkHeader(b, s, this.opts);
    if (typeof hdr !== 'number') {
      this.failed = hdr;
      return hdr;
    }
    if (avail < hdr) return undefined;
    const res = decodeBody(b, s, hdr, this.opts);
    this.r += hdr;
    if (this.r === this.w) {
      this.streamBase += this.r;
      this.r = 0;
      this.w = 0;
    }
    if (res.kind === 'error') this.failed = res;
    return res;
  }
}

/** Decode exactly one message (header included); a length mismatch is an error result. */
export function decodeMessage(bytes: Uint8Array, opts: CodecOptions = {}): ReadResult {
  const o = resolve(opts);
  if (bytes.length < BGP_HEADER_LENGTH) {
    return errorResult(1, 2, EMPTY, 0, `message of ${bytes.length} bytes is shorter than the 19-byte header`);
  }
  const hdr = checkHeader(bytes, 0, o);
  if (typeof hdr !== 'number') return hdr;
  if (hdr !== bytes.length) {
    return errorResult(1, 2, bytes.slice(16, 18), 16, `header length ${hdr} but ${bytes.length} bytes given`);
  }
  return decodeBody(bytes, 0, hdr, o);
}

/** RFC 4271 §6.1 header checks. Returns the message length, or an error result. */
function checkHeader(b: Uint8Array, s: number, o: Opts): number | ReadResult {
  for (let i = 0; i < 16; i++) {
    if (b[s + i] !== 0xff) {
      return errorResult(1, 1, EMPTY, i, `marker byte ${i} is 0x${(b[s + i] ?? 0).toString(16)}, not 0xff`);
    }
  }
  const len = u16(b, s + 16);
  const type = b[s + 18] as number;
  const badLen = (why: string): ReadResult =>
    errorResult(1, 2, b.slice(s + 16, s + 18), 16, `message length ${len}: ${why}`);
  if (len < BGP_HEADER_LENGTH) return badLen('shorter than the 19-byte header');
  if (len > o.max) return badLen(`exceeds the maximum of ${o.max}`);
  switch (type) {
    case 1:
      if (len < 29) return badLen('an OPEN is at least 29 bytes');
      if (len > BGP_MAX_MESSAGE) return badLen('an OPEN is at most 4096 bytes (RFC 8654 §3)');
      break;
    case 2:
      if (len < 23) return badLen('an UPDATE is at least 23 bytes');
      break;
    case 3:
      if (len < 21) return badLen('a NOTIFICATION is at least 21 bytes');
      break;
    case 4:
      if (len !== 19) return badLen('a KEEPALIVE is exactly 19 bytes');
      break;
    case 5:
      if (len < 23) return badLen('a ROUTE-REFRESH is 23 bytes');
      break;
    default:
      return errorResult(1, 3, Uint8Array.of(type), 18, `unknown message type ${type}`);
  }
  return len;
}

function decodeBody(b: Uint8Array, s: number, len: number, o: Opts): ReadResult {
  const type = b[s + 18] as number;
  switch (type) {
    case 1:
      return decodeOpen(b, s, len);
    case 2:
      return decodeUpdate(b, s, len, o);
    case 3:
      return {
        kind: 'message',
        message: {
          type: 'notification',
          code: b[s + 19] as number,
          subcode: b[s + 20] as number,
          data: b.slice(s + 21, s + len),
        },
        issues: [],
      };
    case 4:
      return { kind: 'message', message: { type: 'keepalive' }, issues: [] };
    default: {
      // ROUTE-REFRESH (RFC 2918 §3, RFC 7313 §3 and §5)
      const afi = u16(b, s + 19);
      const subtype = b[s + 21] as number;
      const safi = b[s + 22] as number;
      if (len !== 23) {
        if (subtype === 1 || subtype === 2) {
          return errorResult(
            7,
            1,
            b.slice(s, s + len),
            16,
            `ROUTE-REFRESH (subtype ${subtype}) of length ${len}, not 23 (RFC 7313 §5)`,
          );
        }
        return errorResult(
          1,
          2,
          b.slice(s + 16, s + 18),
          16,
          `message length ${len}: a ROUTE-REFRESH is 23 bytes`,
        );
      }
      return { kind: 'message', message: { type: 'route-refresh', afi, safi, subtype }, issues: [] };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// OPEN (RFC 4271 §4.2, §6.2; RFC 5492; RFC 9072)

function decodeOpen(b: Uint8Array, s: number, len: number): ReadResult {
  const end = s + len;
  const p = s + 19;
  const version = b[p] as number;
  if (version !== 4)
    return errorResult(2, 1, u16Bytes(4), 19, `BGP version ${version} is not supported (only 4)`);
  const myAs = u16(b, p + 1);
  const holdTime = u16(b, p + 3);
  const idNum = u32(b, p + 5);
  if (idNum === 0) return errorResult(2, 3, EMPTY, 24, 'BGP Identifier 0.0.0.0 is invalid (RFC 6286 §2.1)');
  const bgpId = formatIPv4(idNum);
  const optLen = b[p + 9] as number;
  let q = p + 10;
  let paramsEnd: number;
  let extended = false;
  if (optLen !== 0 && q < end && b[q] === 255) {
    // RFC 9072 §2: Non-Ext OP Type 255 announces the extended encoding
    if (q + 3 > end)
      return errorResult(2, 0, EMPTY, q - s, 'extended optional parameters length truncated (RFC 9072)');
    const extLen = u16(b, q + 1);
    q += 3;
    paramsEnd = q + extLen;
    extended = true;
  } else {
    paramsEnd = q + optLen;
  }
  if (paramsEnd !== end) {
    return errorResult(
      2,
      0,
      EMPTY,
      28,
      `optional parameters length ${paramsEnd - q} does not match the ${end - q} bytes after it`,
    );
  }
  const capabilities: Capability[] = [];
  const hl = extended ? 3 : 2;
  while (q < paramsEnd) {
    if (q + hl > paramsEnd) return errorResult(2, 0, EMPTY, q - s, 'optional parameter header truncated');
    const ptype = b[q] as number;
    const plen = extended ? u16(b, q + 1) : (b[q + 1] as number);
    const vs = q + hl;
    const ve = vs + plen;
    if (ve > paramsEnd)
      return errorResult(
        2,
        0,
        EMPTY,
        q - s,
        `optional parameter ${ptype} of length ${plen} overruns the OPEN`,
      );
    if (ptype !== 2) {
      return errorResult(
        2,
        4,
        EMPTY,
        q - s,
        `optional parameter type ${ptype} is not supported (only Capabilities, 2)`,
      );
    }
    let c = vs;
    while (c < ve) {
      if (c + 2 > ve) return errorResult(2, 0, EMPTY, c - s, 'capability header truncated');
      const code = b[c] as number;
      const clen = b[c + 1] as number;
      if (c + 2 + clen > ve)
        return errorResult(2, 0, EMPTY, c - s, `capability ${code} of length ${clen} overruns its parameter`);
      capabilities.push(decodeCapability(b, code, c + 2, clen));
      c += 2 + clen;
    }
    q = ve;
  }
  const msg: OpenMessage = { type: 'open', version, myAs, holdTime, bgpId, capabilities };
  return { kind: 'message', message: msg, issues: [] };
}

function decodeCapability(b: Uint8Array, code: number, p: number, len: number): Capability {
  const unknown = (): Capability => ({ code, kind: 'unknown', data: b.slice(p, p + len) });
  switch (code) {
    case 1:
      if (len !== 4) return unknown();
      return { code: 1, kind: 'multiprotocol', afi: u16(b, p), safi: b[p + 3] as number };
    case 2:
    case 128:
      return len === 0 ? { code, kind: 'route-refresh' } : unknown();
    case 5: {
      if (len === 0 || len % 6 !== 0) return unknown();
      const entries: { afi: number; safi: number; nextHopAfi: number }[] = [];
      for (let i = p; i < p + len; i += 6)
        entries.push({ afi: u16(b, i), safi: u16(b, i + 2), nextHopAfi: u16(b, i + 4) });
      return { code: 5, kind: 'extended-next-hop', entries };
    }
    case 6:
      return len === 0 ? { code: 6, kind: 'extended-message' } : unknown();
    case 64: {
      if (len < 2 || (len - 2) % 4 !== 0) return unknown();
      const flags = b[p] as number;
      const families: { afi: number; safi: number; forwardingState: boolean }[] = [];
      for (let i = p + 2; i < p + len; i += 4) {
        families.push({
          afi: u16(b, i),
          safi: b[i + 2] as number,
          forwardingState: ((b[i + 3] as number) & 0x80) !== 0,
        });
      }
      return {
        code: 64,
        kind: 'graceful-restart',
        restarting: (flags & 0x80) !== 0,
        notification: (flags & 0x40) !== 0,
        restartTime: u16(b, p) & 0x0fff,
        families,
      };
    }
    case 65:
      return len === 4 ? { code: 65, kind: 'as4', asn: u32(b, p) } : unknown();
    case 69: {
      if (len === 0 || len % 4 !== 0) return unknown();
      const families: { afi: number; safi: number; sendReceive: 1 | 2 | 3 }[] = [];
      for (let i = p; i < p + len; i += 4) {
        const sr = b[i + 3] as number;
        if (sr < 1 || sr > 3) return unknown();
        families.push({ afi: u16(b, i), safi: b[i + 2] as number, sendReceive: sr as 1 | 2 | 3 });
      }
      return { code: 69, kind: 'add-path', families };
    }
    case 70:
      return len === 0 ? { code: 70, kind: 'enhanced-route-refresh' } : unknown();
    case 71: {
      if (len % 7 !== 0) return unknown();
      const families: { afi: number; safi: number; forwardingState: boolean; staleTime: number }[] = [];
      for (let i = p; i < p + len; i += 7) {
        families.push({
          afi: u16(b, i),
          safi: b[i + 2] as number,
          forwardingState: ((b[i + 3] as number) & 0x80) !== 0,
          staleTime: ((b[i + 4] as number) << 16) | u16(b, i + 5),
        });
      }
      return { code: 71, kind: 'long-lived-gr', families };
    }
    case 73: {
      if (len < 2) return unknown();
      const hl = b[p] as number;
      if (1 + hl + 1 > len) return unknown();
      const dl = b[p + 1 + hl] as number;
      if (2 + hl + dl !== len) return unknown();
      const hostname = utf8DecodeStrict(b, p + 1, p + 1 + hl);
      const domain = utf8DecodeStrict(b, p + 2 + hl, p + 2 + hl + dl);
      if (hostname === undefined || domain === undefined) return unknown();
      return { code: 73, kind: 'fqdn', hostname, domain };
    }
    default:
      return unknown();
  }
}

// ---------------------------------------------------------------------------------------------
// NLRI (RFC 4271 §4.3, RFC 4760 §5, RFC 7911 §3)

let nlriError = '';
let nlriErrorAt = 0;

/** Parse prefixes in b[from, to). Returns null on a syntax error (see nlriError/nlriErrorAt). */
function parseNlri(b: Uint8Array, from: number, to: number, afi: 1 | 2, addPath: boolean): PrefixList | null {
  if (from === to)
    return addPath
      ? new PrefixList(afi, 0, EMPTY, new Uint32Array(0), new Uint32Array(0))
      : PrefixList.empty(afi);
  const max = afi === 1 ? 32 : 128;
  // pass 1: validate and count
  let n = 0;
  let q = from;
  while (q < to) {
    if (addPath) {
      if (q + 5 > to) {
        nlriErrorAt = q;
        nlriError = 'path identifier or prefix length truncated';
        return null;
      }
      q += 4;
    }
    const l = b[q] as number;
    if (l > max) {
      nlriErrorAt = q;
      nlriError = `prefix length ${l} exceeds ${max}`;
      return null;
    }
    q += 1 + ((l + 7) >> 3);
    if (q > to) {
      nlriErrorAt = q - 1 - ((l + 7) >> 3);
      nlriError = `prefix /${l} needs ${(l + 7) >> 3} bytes, only ${to - nlriErrorAt - 1} left`;
      return null;
    }
    n++;
  }
  // pass 2: fill the arrays (one backing buffer per list: words, path ids, lengths)
  const wpp = afi === 1 ? 1 : 4;
  const buf = new ArrayBuffer(n * (4 * wpp + (addPath ? 4 : 0) + 1));
  const words = new Uint32Array(buf, 0, n * wpp);
  const ids = addPath ? new Uint32Array(buf, n * wpp * 4, n) : null;
  const lengths = new Uint8Array(buf, n * (wpp + (addPath ? 1 : 0)) * 4, n);
  q = from;
  if (afi === 1) {
    for (let i = 0; i < n; i++) {
      if (ids !== null) {
        ids[i] = u32(b, q);
        q += 4;
      }
      const l = b[q] as number;
      lengths[i] = l;
      let w = 0;
      const nb = (l + 7) >> 3;
      if (nb === 4) {
        w =
          ((b[q + 1] as number) << 24) |
          ((b[q + 2] as number) << 16) |
          ((b[q + 3] as number) << 8) |
          (b[q + 4] as number);
      } else if (nb === 3) {
        w = ((b[q + 1] as number) << 24) | ((b[q + 2] as number) << 16) | ((b[q + 3] as number) << 8);
      } else if (nb === 2) {
        w = ((b[q + 1] as number) << 24) | ((b[q + 2] as number) << 16);
      } else if (nb === 1) {
        w = (b[q + 1] as number) << 24;
      }
      words[i] = l === 0 ? 0 : (w & (-1 << (32 - l))) >>> 0;
      q += 1 + nb;
    }
    return new PrefixList(1, n, lengths, words, ids);
  }
  for (let i = 0; i < n; i++) {
    if (ids !== null) {
      ids[i] = u32(b, q);
      q += 4;
    }
    const l = b[q++] as number;
    lengths[i] = l;
    const nb = (l + 7) >> 3;
    for (let k = 0; k < 4; k++) {
      let w = 0;
      for (let j = 0; j < 4; j++) {
        const idx = 4 * k + j;
        if (idx < nb) w |= (b[q + idx] as number) << (24 - 8 * j);
      }
      const bits = l - 32 * k;
      words[i * 4 + k] = bits <= 0 ? 0 : bits >= 32 ? w >>> 0 : (w & (-1 << (32 - bits))) >>> 0;
    }
    q += nb;
  }
  return new PrefixList(2, n, lengths, words, ids);
}

// ---------------------------------------------------------------------------------------------
// UPDATE (RFC 4271 §4.3, §6.3; RFC 7606)

/** Attribute categories by the Optional/Transitive flags they must carry. */
const WELL_KNOWN = 0x40; // O=0 T=1
const OPT_NON_TRANSITIVE = 0x80; // O=1 T=0
const OPT_TRANSITIVE = 0xc0; // O=1 T=1
const EXPECTED_FLAGS: Record<number, number> = {
  1: WELL_KNOWN,
  2: WELL_KNOWN,
  3: WELL_KNOWN,
  4: OPT_NON_TRANSITIVE,
  5: WELL_KNOWN,
  6: WELL_KNOWN,
  7: OPT_TRANSITIVE,
  8: OPT_TRANSITIVE,
  9: OPT_NON_TRANSITIVE,
  10: OPT_NON_TRANSITIVE,
  14: OPT_NON_TRANSITIVE,
  15: OPT_NON_TRANSITIVE,
  16: OPT_TRANSITIVE,
  17: OPT_TRANSITIVE,
  18: OPT_TRANSITIVE,
  32: OPT_TRANSITIVE,
};
const ATTR_NAMES: Record<number, string> = {
  1: 'ORIGIN',
  2: 'AS_PATH',
  3: 'NEXT_HOP',
  4: 'MULTI_EXIT_DISC',
  5: 'LOCAL_PREF',
  6: 'ATOMIC_AGGREGATE',
  7: 'AGGREGATOR',
  8: 'COMMUNITIES',
  9: 'ORIGINATOR_ID',
  10: 'CLUSTER_LIST',
  14: 'MP_REACH_NLRI',
  15: 'MP_UNREACH_NLRI',
  16: 'EXTENDED_COMMUNITIES',
  17: 'AS4_PATH',
  18: 'AS4_AGGREGATOR',
  32: 'LARGE_COMMUNITY',
};
/** RFC 7606 §7: the approach for a malformed instance of each recognized attribute. */
function malformedAction(code: number): 'attribute-discard' | 'treat-as-withdraw' | 'session-reset' {
  switch (code) {
    case 6:
    case 7:
    case 17:
    case 18:
      return 'attribute-discard';
    case 14:
    case 15:
      return 'session-reset';
    default:
      return 'treat-as-withdraw';
  }
}

export function attributeName(code: number): string {
  return ATTR_NAMES[code] ?? `attribute ${code}`;
}

const seen = new Uint8Array(256);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function decodeUpdate(b: Uint8Array, s: number, len: number, o: Opts): ReadResult {
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
  if (withdrawn === null) return errorResult(3, 10, EMPTY, nlriErrorAt - s, `withdrawn routes: ${nlriError}`);
  const nlri = parseNlri(b, aEnd, end, 1, o.ap41);
  if (nlri === null) return errorResult(3, 10, EMPTY, nlriErrorAt - s, `NLRI: ${nlriError}`);

  const attrs: Mutable<PathAttributes> = {};
  const issues: AttributeIssue[] = [];
  const unknown: UnknownAttribute[] = [];
  const wire: { code: number; flags: number }[] = [];
  seen.fill(0);
  let mpReachPresent = false;

  const issue = (
    action: 'attribute-discard' | 'treat-as-withdraw',
    code: number,
    at: number,
    reason: string,
    subcode: number,
    data: Uint8Array,
  ): void => {
    issues.push({
      action,
      code,
      offset: at - s,
      reason,
      notification: { type: 'notification', code: 3, subcode, data },
    });
  };

  p = aStart;
  while (p < aEnd) {
    const at = p;
    const flags = b[p] as number;
    const ext = (flags & 0x10) !== 0;
    const hl = ext ? 4 : 3;
    if (aEnd - p < hl) {
      // RFC 7606 §4: fewer octets than an attribute header
      issue(
        'treat-as-withdraw',
        0,
        at,
        `${aEnd - p} bytes left in the path attributes, less than an attribute header`,
        1,
        EMPTY,
      );
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
      issue(
        'treat-as-withdraw',
        code,
        at,
        `${attributeName(code)} length ${vlen} overruns the path attributes by ${ve - aEnd} bytes`,
        5,
        data,
      );
      break;
    }
    p = ve;
    const attrBytes = (): Uint8Array => b.slice(at, ve);
    if (seen[code] === 1) {
      // RFC 7606 §3(g)
      if (code === 14 || code === 15) {
        return errorResult(3, 1, EMPTY, at - s, `${attributeName(code)} appears more than once`);
      }
      issue(
        'attribute-discard',
        code,
        at,
        `${attributeName(code)} appears more than once; later copies discarded`,
        1,
        EMPTY,
      );
      continue;
    }
    seen[code] = 1;
    const expected = EXPECTED_FLAGS[code];
    if (expected === undefined) {
      if ((flags & 0x80) === 0) {
        // RFC 4271 §6.3: unrecognized well-known attribute
        return errorResult(
          3,
          2,
          attrBytes(),
          at - s,
          `unrecognized well-known attribute ${code} (flags 0x${flags.toString(16)})`,
        );
      }
      unknown.push({ flags, code, data: b.slice(vs, ve) });
      wire.push({ code, flags });
      continue;
    }
    // RFC 4271 §6.3 / RFC 7606 §3(c): Optional and Transitive bits must match the type code
    if ((flags & 0xc0) !== expected) {
      const why = `${attributeName(code)} has flags 0x${flags.toString(16)}; Optional/Transitive must be ${expected >> 7}/${(expected >> 6) & 1}`;
      const action = malformedAction(code);
      if (action === 'session-reset') return errorResult(3, 4, attrBytes(), at - s, why);
      issue(action, code, at, why, 4, attrBytes());
      continue;
    }
    const bad = (subcode: number, reason: string, withData = true): ReadResult | undefined => {
      const action = malformedAction(code);
      const data = withData ? attrBytes() : EMPTY;
      if (action === 'session-reset')
        return errorResult(3, subcode, data, at - s, `${attributeName(code)}: ${reason}`);
      issue(action, code, at, `${attributeName(code)}: ${reason}`, subcode, data);
      return undefined;
    };
    let fatal: ReadResult | undefined;
    let keep = true;
    switch (code) {
      case 1: {
        if (vlen !== 1) {
          bad(5, `length ${vlen}, must be 1`);
          keep = false;
        } else {
          const v = b[vs] as number;
          if (v > 2) {
            bad(6, `value ${v} is not IGP (0), EGP (1) or INCOMPLETE (2)`);
            keep = false;
          } else {
            attrs.origin = v as OriginValue;
          }
        }
        break;
      }
      case 2:
      case 17: {
        const path = parseAsPath(b, vs, ve, code === 17 || o.as4);
        if (typeof path === 'string') {
          bad(code === 2 ? 11 : 9, path, code !== 2);
          keep = false;
        } else if (code === 2) {
          attrs.asPath = path;
        } else if (o.as4) {
          // RFC 6793 §3: a NEW speaker never sends AS4_PATH to a NEW speaker
          issue(
            'attribute-discard',
            code,
            at,
            'AS4_PATH received although 4-octet AS numbers were negotiated (RFC 6793 §3)',
            9,
            attrBytes(),
          );
          keep = false;
        } else {
          attrs.as4Path = path;
        }
        break;
      }
      case 3: {
        if (vlen !== 4) {
          bad(5, `length ${vlen}, must be 4`);
          keep = false;
          break;
        }
        const nh = u32(b, vs);
        attrs.nextHop = formatIPv4(nh);
        const why = ipv4NextHopProblem(nh);
        if (why !== undefined) {
          // RFC 4271 §6.3: NEXT_HOP must be a valid IP host address; a martian one (0.0.0.0/8,
          // 127.0.0.0/8, class D or E) is not, and the routes are ignored (treat-as-withdraw, RFC
          // 7606 §7.3), as FRR and GoBGP do. The attribute is kept so the message reads as received.
          issue('treat-as-withdraw', code, at, `NEXT_HOP ${formatIPv4(nh)} is ${why}`, 8, attrBytes());
        }
        break;
      }
      case 4:
      case 5:
      case 9: {
        if (vlen !== 4) {
          bad(code === 9 ? 9 : 5, `length ${vlen}, must be 4`);
          keep = false;
          break;
        }
        const v = u32(b, vs);
        if (code === 4) attrs.med = v;
        else if (code === 5) attrs.localPref = v;
        else attrs.originatorId = formatIPv4(v);
        break;
      }
      case 6:
        if (vlen !== 0) {
          bad(5, `length ${vlen}, must be 0`);
          keep = false;
        } else {
          attrs.atomicAggregate = true;
        }
        break;
      case 7:
      case 18: {
        const want = code === 18 || o.as4 ? 8 : 6;
        if (vlen !== want) {
          bad(code === 7 ? 5 : 9, `length ${vlen}, must be ${want}`);
          keep = false;
          break;
        }
        const asn = want === 8 ? u32(b, vs) : u16(b, vs);
        const agg = { asn, address: formatIPv4(u32(b, vs + want - 4)) };
        if (code === 7) attrs.aggregator = agg;
        else if (o.as4) {
          issue(
            'attribute-discard',
            code,
            at,
            'AS4_AGGREGATOR received although 4-octet AS numbers were negotiated (RFC 6793 §3)',
            9,
            attrBytes(),
          );
          keep = false;
        } else attrs.as4Aggregator = agg;
        break;
      }
      case 8:
      case 10: {
        if (vlen === 0 || vlen % 4 !== 0) {
          bad(9, `length ${vlen} is not a non-zero multiple of 4`);
          keep = false;
          break;
        }
        if (code === 8) {
          const list = new Array<number>(vlen >> 2);
          for (let i = 0; i < list.length; i++) list[i] = u32(b, vs + 4 * i);
          attrs.communities = list;
        } else {
          const list = new Array<string>(vlen >> 2);
          for (let i = 0; i < list.length; i++) list[i] = formatIPv4(u32(b, vs + 4 * i));
          attrs.clusterList = list;
        }
        break;
      }
      case 16: {
        if (vlen === 0 || vlen % 8 !== 0) {
          bad(9, `length ${vlen} is not a non-zero multiple of 8`);
          keep = false;
          break;
        }
        const list = new Array<bigint>(vlen >> 3);
        for (let i = 0; i < list.length; i++)
          list[i] = (BigInt(u32(b, vs + 8 * i)) << 32n) | BigInt(u32(b, vs + 8 * i + 4));
        attrs.extendedCommunities = list;
        break;
      }
      case 32: {
        if (vlen === 0 || vlen % 12 !== 0) {
          bad(9, `length ${vlen} is not a non-zero multiple of 12 (RFC 8092 §6)`);
          keep = false;
          break;
        }
        const list = new Array<[number, number, number]>(vlen / 12);
        for (let i = 0; i < list.length; i++) {
          const q = vs + 12 * i;
          list[i] = [u32(b, q), u32(b, q + 4), u32(b, q + 8)];
        }
        // RFC 8092 §5: a receiver MUST silently remove repeated Large Communities (no issue is raised)
        attrs.largeCommunities = list.length > 1 ? uniqueLargeCommunities(list) : list;
        break;
      }
      case 14: {
        mpReachPresent = true;
        if (vlen < 5) {
          fatal = bad(9, `length ${vlen} is too short`);
          break;
        }
        const afi = u16(b, vs);
        const safi = b[vs + 2] as number;
        const nhLen = b[vs + 3] as number;
        const nlriStart = vs + 4 + nhLen + 1;
        if (nlriStart > ve) {
          fatal = bad(9, `next hop length ${nhLen} overruns the attribute`);
          break;
        }
        if (!isSupportedFamily(afi, safi)) {
          // RFC 4760 §7: an AFI/SAFI we do not support is not an error; kept opaque
          unknown.push({ flags, code, data: b.slice(vs, ve) });
          keep = true;
          break;
        }
        const nh = p14NextHop(b, vs + 4, nhLen);
        if (nh === undefined) {
          fatal = bad(9, `next hop length ${nhLen} is invalid for AFI ${afi} (4, 16 or 32)`);
          break;
        }
        const nhWhy = mpNextHopProblem(b, vs + 4, nhLen);
        const list = parseNlri(
          b,
          nlriStart,
          ve,
          afi as 1 | 2,
          o.addPathRx?.has(familyKey(afi, safi)) === true,
        );
        if (list === null) {
          fatal = bad(9, `NLRI at byte ${nlriErrorAt - s}: ${nlriError}`);
          break;
        }
        attrs.mpReach = { afi: afi as 1 | 2, safi, nextHop: nh, nlri: list };
        if (nhWhy !== undefined) {
          // The next hop field is well formed (its length fits, the NLRI is read) but names no usable
          // host: like NEXT_HOP under RFC 4271 §6.3, the routes are ignored (treat-as-withdraw); the
          // subcode for strict handling is RFC 4760 §7's Optional Attribute Error.
          issue('treat-as-withdraw', code, at, `MP_REACH_NLRI next hop ${nhWhy}`, 9, attrBytes());
        }
        break;
      }
      case 15: {
        if (vlen < 3) {
          fatal = bad(9, `length ${vlen} is too short`);
          break;
        }
        const afi = u16(b, vs);
        const safi = b[vs + 2] as number;
        if (!isSupportedFamily(afi, safi)) {
          unknown.push({ flags, code, data: b.slice(vs, ve) });
          break;
        }
        const list = parseNlri(b, vs + 3, ve, afi as 1 | 2, o.addPathRx?.has(familyKey(afi, safi)) === true);
        if (list === null) {
          fatal = bad(9, `withdrawn NLRI at byte ${nlriErrorAt - s}: ${nlriError}`);
          break;
        }
        attrs.mpUnreach = { afi: afi as 1 | 2, safi, withdrawn: list };
        break;
      }
      default:
        break;
    }
    if (fatal !== undefined) return fatal;
    if (keep) wire.push({ code, flags });
  }

  // RFC 4271 §6.3 / RFC 7606 §3(d): mandatory attributes when the UPDATE carries reachability
  if (nlri.count > 0 || mpReachPresent) {
    const missing = (code: number): void => {
      if (seen[code] === 1) return; // present but malformed: already reported
      issue(
        'treat-as-withdraw',
        code,
        aStart,
        `missing well-known attribute ${attributeName(code)}`,
        3,
        Uint8Array.of(code),
      );
    };
    if (attrs.origin === undefined) missing(1);
    if (attrs.asPath === undefined) missing(2);
    if (nlri.count > 0 && attrs.nextHop === undefined) missing(3);
  }

  if (unknown.length > 0) attrs.unknown = unknown;
  if (wire.length > 0) attrs.wire = wire;
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

function p14NextHop(b: Uint8Array, p: number, len: number): NextHop | undefined {
  // a 4-byte IPv4 next hop is accepted for IPv6 NLRI too (ExaBGP sends it; we are liberal)
  if (len === 4) return { global: formatIPv4(u32(b, p)) };
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
