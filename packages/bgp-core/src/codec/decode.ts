// Decoding: framing (MessageReader), the five message types and RFC 4271 §6 errors with their exact
// NOTIFICATION. UPDATEs (RFC 7606 revised error handling) are in update-decode.ts. Never throws on
// peer input.
import {
  BGP_HEADER_LENGTH,
  BGP_MAX_MESSAGE,
  type Capability,
  type CodecOptions,
  type OpenMessage,
} from '../model.ts';
import { formatIPv4 } from '../prefix.ts';
import { utf8DecodeStrict } from '../utf8.ts';
import { EMPTY, errorResult, type Opts, resolve, u16, u16Bytes, u32 } from './decode-common.ts';
import type { ReadResult } from './types.ts';
import { decodeUpdate } from './update-decode.ts';

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
