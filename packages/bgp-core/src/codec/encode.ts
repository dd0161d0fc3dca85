// Encoding: the five message types, path attributes (with RFC 6793 AS_TRANS/AS4_PATH toward
// 2-octet speakers), End-of-RIB. Throws RangeError only on local misuse (invalid values, a
// message larger than the negotiated maximum).
import {
  AS_TRANS,
  type AsPathSegment,
  BGP_MAX_MESSAGE,
  type BgpMessage,
  type Capability,
  type CodecOptions,
  familyKey,
  maxMessageSize,
  type NextHop,
  type OpenMessage,
  type PathAttributes,
  type UnknownAttribute,
  type UpdateMessage,
} from '../model.ts';
import { type PrefixList, parseIPv4, parseIPv6Into } from '../prefix.ts';
import { utf8Encode } from '../utf8.ts';
import { hasFourOctetAsn } from './as4.ts';

/** A growable byte writer. */
class Writer {
  buf: Uint8Array;
  pos = 0;
  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const nb = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    nb.set(this.buf.subarray(0, this.pos));
    this.buf = nb;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }
  u16(v: number): void {
    this.ensure(2);
    this.buf[this.pos++] = v >>> 8;
    this.buf[this.pos++] = v;
  }
  u32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    b[this.pos++] = v >>> 24;
    b[this.pos++] = v >>> 16;
    b[this.pos++] = v >>> 8;
    b[this.pos++] = v;
  }
  bytes(d: Uint8Array): void {
    this.ensure(d.length);
    this.buf.set(d, this.pos);
    this.pos += d.length;
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

function checkUint(v: number, bits: 8 | 16 | 32, what: string): number {
  const max = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  if (!Number.isInteger(v) || v < 0 || v > max)
    throw new RangeError(`${what} ${v} is not a ${bits}-bit unsigned integer`);
  return v;
}

function ipv4(text: string, what: string): number {
  const v = parseIPv4(text);
  if (v === undefined) throw new RangeError(`${what} "${text}" is not an IPv4 address`);
  return v;
}

const v6tmp = new Uint32Array(4);
function writeIPv6(w: Writer, text: string, what: string): void {
  if (!parseIPv6Into(text, v6tmp)) throw new RangeError(`${what} "${text}" is not an IPv6 address`);
  for (let k = 0; k < 4; k++) w.u32(v6tmp[k] ?? 0);
}

function header(w: Writer, type: number): void {
  w.ensure(19);
  w.buf.fill(0xff, w.pos, w.pos + 16);
  w.pos += 16;
  w.u16(0);
  w.u8(type);
}

function finish(w: Writer, max: number, what: string): Uint8Array {
  if (w.pos > max) throw new RangeError(`${what} of ${w.pos} bytes exceeds the maximum message size ${max}`);
  w.buf[16] = w.pos >>> 8;
  w.buf[17] = w.pos & 255;
  return w.result();
}

/** Encode one message. Throws RangeError on local misuse (invalid field, message too large). */
export function encodeMessage(msg: BgpMessage, opts: CodecOptions = {}): Uint8Array {
  switch (msg.type) {
    case 'keepalive':
      return encodeKeepalive();
    case 'notification': {
      const w = new Writer(21 + msg.data.length);
      header(w, 3);
      w.u8(checkUint(msg.code, 8, 'NOTIFICATION code'));
      w.u8(checkUint(msg.subcode, 8, 'NOTIFICATION subcode'));
      // never fail to send an error: truncate data that does not fit
      w.bytes(msg.data.subarray(0, maxMessageSize(opts) - 21));
      return finish(w, maxMessageSize(opts), 'NOTIFICATION');
    }
    case 'route-refresh': {
      const w = new Writer(23);
      header(w, 5);
      w.u16(checkUint(msg.afi, 16, 'ROUTE-REFRESH AFI'));
      w.u8(checkUint(msg.subtype, 8, 'ROUTE-REFRESH subtype'));
      w.u8(checkUint(msg.safi, 8, 'ROUTE-REFRESH SAFI'));
      return finish(w, 23, 'ROUTE-REFRESH');
    }
    case 'open':
      return encodeOpen(msg);
    case 'update':
      return encodeUpdate(msg, opts);
  }
}

const KEEPALIVE = (() => {
  const b = new Uint8Array(19).fill(0xff);
  b[16] = 0;
  b[17] = 19;
  b[18] = 4;
  return b;
})();

export function encodeKeepalive(): Uint8Array {
  return KEEPALIVE.slice();
}

// ---------------------------------------------------------------------------------------------
// OPEN

function encodeCapabilityValue(c: Capability, w: Writer): void {
  switch (c.kind) {
    case 'multiprotocol':
      w.u16(checkUint(c.afi, 16, 'multiprotocol AFI'));
      w.u8(0);
      w.u8(checkUint(c.safi, 8, 'multiprotocol SAFI'));
      return;
    case 'route-refresh':
    case 'extended-message':
    case 'enhanced-route-refresh':
      return;
    case 'extended-next-hop':
      for (const e of c.entries) {
        w.u16(checkUint(e.afi, 16, 'extended next hop AFI'));
        w.u16(checkUint(e.safi, 16, 'extended next hop SAFI'));
        w.u16(checkUint(e.nextHopAfi, 16, 'extended next hop next-hop AFI'));
      }
      return;
    case 'graceful-restart':
      checkUint(c.restartTime, 16, 'graceful restart time');
      if (c.restartTime > 4095) throw new RangeError(`graceful restart time ${c.restartTime} exceeds 4095 s`);
      w.u16((c.restarting ? 0x8000 : 0) | (c.notification ? 0x4000 : 0) | c.restartTime);
      for (const f of c.families) {
        w.u16(checkUint(f.afi, 16, 'graceful restart AFI'));
        w.u8(checkUint(f.safi, 8, 'graceful restart SAFI'));
        w.u8(f.forwardingState ? 0x80 : 0);
      }
      return;
    case 'as4':
      w.u32(checkUint(c.asn, 32, '4-octet AS capability ASN'));
      return;
    case 'add-path':
      for (const f of c.families) {
        w.u16(checkUint(f.afi, 16, 'ADD-PATH AFI'));
        w.u8(checkUint(f.safi, 8, 'ADD-PATH SAFI'));
        if (f.sendReceive !== 1 && f.sendReceive !== 2 && f.sendReceive !== 3) {
          throw new RangeError(`ADD-PATH send/receive ${String(f.sendReceive)} must be 1, 2 or 3`);
        }
        w.u8(f.sendReceive);
      }
      return;
    case 'long-lived-gr':
      for (const f of c.families) {
        w.u16(checkUint(f.afi, 16, 'LLGR AFI'));
        w.u8(checkUint(f.safi, 8, 'LLGR SAFI'));
        w.u8(f.forwardingState ? 0x80 : 0);
        checkUint(f.staleTime, 32, 'LLGR stale time');
        if (f.staleTime > 0xffffff) throw new RangeError(`LLGR stale time ${f.staleTime} exceeds 24 bits`);
        w.u8(f.staleTime >>> 16);
        w.u16(f.staleTime & 0xffff);
      }
      return;
    case 'fqdn': {
      const h = utf8Encode(c.hostname);
      const d = utf8Encode(c.domain);
      if (h.length > 255 || d.length > 255)
        throw new RangeError('FQDN capability: hostname and domain are at most 255 octets each');
      w.u8(h.length);
      w.bytes(h);
      w.u8(d.length);
      w.bytes(d);
      return;
    }
    case 'unknown':
      w.bytes(c.data);
      return;
  }
}

function encodeOpen(msg: OpenMessage): Uint8Array {
  // each capability in its own Capabilities parameter (RFC 5492 §4 allows either form)
  const params: { type: number; data: Uint8Array }[] = [];
  for (const c of msg.capabilities) {
    const v = new Writer(32);
    v.u8(checkUint(c.code, 8, 'capability code'));
    v.u8(0);
    encodeCapabilityValue(c, v);
    const len = v.pos - 2;
    if (len > 255) throw new RangeError(`capability ${c.code} value of ${len} bytes exceeds 255`);
    v.buf[1] = len;
    params.push({ type: 2, data: v.result() });
  }
  for (const p of msg.otherParams ?? [])
    params.push({ type: checkUint(p.type, 8, 'optional parameter type'), data: p.data });
  let total = 0;
  for (const p of params) total += 2 + p.data.length;
  const extended = total > 255 || params.some((p) => p.data.length > 255);
  const w = new Writer(29 + total + 3 * params.length + 3);
  header(w, 1);
  w.u8(checkUint(msg.version, 8, 'OPEN version'));
  w.u16(checkUint(msg.myAs, 16, 'OPEN My Autonomous System (use AS_TRANS for 4-octet ASNs)'));
  w.u16(checkUint(msg.holdTime, 16, 'OPEN hold time'));
  w.u32(ipv4(msg.bgpId, 'OPEN BGP Identifier'));
  if (!extended) {
    w.u8(total);
    for (const p of params) {
      w.u8(p.type);
      w.u8(p.data.length);
      w.bytes(p.data);
    }
  } else {
    // RFC 9072 §2
    w.u8(255);
    w.u8(255);
    w.u16(total + params.length);
    for (const p of params) {
      w.u8(p.type);
      w.u16(p.data.length);
      w.bytes(p.data);
    }
  }
  return finish(w, BGP_MAX_MESSAGE, 'OPEN');
}

// ---------------------------------------------------------------------------------------------
// Prefixes

/** Bytes of prefix i on the wire (path id included when `addPath`). */
export function prefixWireSize(list: PrefixList, i: number, addPath: boolean): number {
  return (addPath ? 5 : 1) + (((list.lengths[i] as number) + 7) >> 3);
}

function putU32(b: Uint8Array, p: number, v: number): number {
  b[p] = v >>> 24;
  b[p + 1] = v >>> 16;
  b[p + 2] = v >>> 8;
  b[p + 3] = v;
  return p + 4;
}

/** A new UPDATE of `size` bytes with its header and Withdrawn Routes Length filled in. */
export function newUpdate(size: number, withdrawnLength: number): Uint8Array {
  const b = new Uint8Array(size);
  b.fill(0xff, 0, 16);
  b[16] = size >>> 8;
  b[17] = size & 255;
  b[18] = 2;
  b[19] = withdrawnLength >>> 8;
  b[20] = withdrawnLength & 255;
  return b;
}

/** Write prefixes [from, to) of `list` at `pos`; returns the new position. */
export function writePrefixes(
  b: Uint8Array,
  pos: number,
  list: PrefixList,
  from: number,
  to: number,
  addPath: boolean,
): number {
  const lengths = list.lengths;
  const words = list.words;
  const ids = list.pathIds;
  let p = pos;
  if (list.afi === 1) {
    for (let i = from; i < to; i++) {
      if (addPath) p = putU32(b, p, ids === null ? 0 : (ids[i] as number));
      const l = lengths[i] as number;
      const w = words[i] as number;
      b[p++] = l;
      if (l > 0) {
        b[p++] = w >>> 24;
        if (l > 8) {
          b[p++] = w >>> 16;
          if (l > 16) {
            b[p++] = w >>> 8;
            if (l > 24) b[p++] = w;
          }
        }
      }
    }
    return p;
  }
  for (let i = from; i < to; i++) {
    if (addPath) p = putU32(b, p, ids === null ? 0 : (ids[i] as number));
    const l = lengths[i] as number;
    b[p++] = l;
    const nb = (l + 7) >> 3;
    for (let j = 0; j < nb; j++) b[p++] = (words[i * 4 + (j >> 2)] as number) >>> (24 - 8 * (j & 3));
  }
  return p;
}

function prefixesSize(list: PrefixList, from: number, to: number, addPath: boolean): number {
  let n = 0;
  const lengths = list.lengths;
  for (let i = from; i < to; i++) n += 1 + (((lengths[i] as number) + 7) >> 3);
  return n + (addPath ? 4 * (to - from) : 0);
}

function writeList(w: Writer, list: PrefixList, addPath: boolean): void {
  const size = prefixesSize(list, 0, list.count, addPath);
  w.ensure(size);
  w.pos = writePrefixes(w.buf, w.pos, list, 0, list.count, addPath);
}

// ---------------------------------------------------------------------------------------------
// Path attributes

const DEFAULT_FLAGS: Record<number, number> = {
  1: 0x40,
  2: 0x40,
  3: 0x40,
  4: 0x80,
  5: 0x40,
  6: 0x40,
  7: 0xc0,
  8: 0xc0,
  9: 0x80,
  10: 0x80,
  14: 0x80,
  15: 0x80,
  16: 0xc0,
  17: 0xc0,
  18: 0xc0,
  32: 0xc0,
};

/** Write one attribute: flags/type/length around the value `body` writes. */
function writeAttr(
  w: Writer,
  flags: number,
  code: number,
  forceExt: boolean,
  body: (w: Writer) => void,
): void {
  const at = w.pos;
  w.ensure(4);
  w.pos += 4;
  body(w);
  const len = w.pos - at - 4;
  if (len > 0xffff) throw new RangeError(`attribute ${code} value of ${len} bytes exceeds 65535`);
  const ext = len > 255 || forceExt;
  const b = w.buf;
  if (ext) {
    b[at] = (flags | 0x10) & 0xff;
    b[at + 1] = code;
    b[at + 2] = len >>> 8;
    b[at + 3] = len & 255;
  } else {
    b.copyWithin(at + 3, at + 4, w.pos);
    w.pos -= 1;
    b[at] = flags & ~0x10 & 0xff;
    b[at + 1] = code;
    b[at + 2] = len;
  }
}

function writeAsPath(w: Writer, segments: readonly AsPathSegment[], four: boolean, what: string): void {
  for (const seg of segments) {
    if (seg.type !== 1 && seg.type !== 2 && seg.type !== 3 && seg.type !== 4) {
      throw new RangeError(`${what}: segment type ${String(seg.type)} is invalid`);
    }
    if (seg.asns.length === 0) throw new RangeError(`${what}: empty segment`);
    if (seg.asns.length > 255 && (seg.type === 1 || seg.type === 4)) {
      throw new RangeError(`${what}: AS_SET of ${seg.asns.length} ASes exceeds 255`);
    }
    // long sequences are split into consecutive segments (RFC 4271 §5.1.2)
    for (let i = 0; i < seg.asns.length; i += 255) {
      const part = seg.asns.slice(i, i + 255);
      w.u8(seg.type);
      w.u8(part.length);
      for (const a of part) {
        checkUint(a, 32, `${what} ASN`);
        if (four) w.u32(a);
        else w.u16(a > 0xffff ? AS_TRANS : a);
      }
    }
  }
}

function writeNextHop(w: Writer, nh: NextHop, afi: number): void {
  const at = w.pos;
  w.u8(0);
  writeNextHopField(w, nh, afi);
  w.buf[at] = w.pos - at - 1;
}

/** The next hop field of an MP_REACH_NLRI for NLRI of `afi` (without its length octet). */
function writeNextHopField(w: Writer, nh: NextHop, afi: number): void {
  if (nh.linkLocal === undefined && parseIPv4(nh.global) !== undefined) {
    // RFC 2545 §3: IPv6 NLRI take an IPv6 next hop (an IPv4 one is sent as ::ffff:a.b.c.d)
    if (afi === 2)
      throw new RangeError(
        `MP_REACH next hop ${nh.global} is IPv4; IPv6 NLRI need an IPv6 (or IPv4-mapped) next hop (RFC 2545 §3)`,
      );
    w.u32(ipv4(nh.global, 'MP_REACH next hop'));
  } else {
    writeIPv6(w, nh.global, 'MP_REACH next hop');
    if (nh.linkLocal !== undefined) writeIPv6(w, nh.linkLocal, 'MP_REACH link-local next hop');
  }
}

/** The bytes of an MP_REACH_NLRI next hop for NLRI of `afi`, as encodeMessage writes them (packUpdates). */
export function mpNextHopBytes(nh: NextHop, afi: number): Uint8Array {
  const w = new Writer(32);
  writeNextHopField(w, nh, afi);
  return w.result();
}

interface AttrEntry {
  readonly code: number;
  readonly flags: number;
  readonly write: (w: Writer) => void;
}

/** The attributes to encode, in canonical order, as (code, flags, value writer). */
type Large = readonly [number, number, number];

/** The first occurrence of each large community, in order; the list itself when none repeats. */
function uniqueLarge(list: readonly Large[]): readonly Large[] {
  const seen = new Set<string>();
  let out: Large[] | undefined;
  for (let i = 0; i < list.length; i++) {
    const c = list[i] as Large;
    const k = `${c[0]}:${c[1]}:${c[2]}`;
    if (!seen.has(k)) {
      seen.add(k);
      out?.push(c);
    } else if (out === undefined) {
      out = list.slice(0, i);
    }
  }
  return out ?? list;
}

function attributeEntries(
  a: PathAttributes,
  opts: CodecOptions,
  addPathSend: (afi: number, safi: number) => boolean,
): AttrEntry[] {
  const as4 = opts.as4 === true;
  const e: AttrEntry[] = [];
  const add = (code: number, write: (w: Writer) => void): void => {
    e.push({ code, flags: DEFAULT_FLAGS[code] as number, write });
  };
  const mpReach = a.mpReach;
  if (mpReach !== undefined) {
    add(14, (w) => {
      w.u16(mpReach.afi);
      w.u8(checkUint(mpReach.safi, 8, 'MP_REACH SAFI'));
      writeNextHop(w, mpReach.nextHop, mpReach.afi);
      w.u8(0);
      writeList(w, mpReach.nlri, addPathSend(mpReach.afi, mpReach.safi));
    });
  }
  const mpUnreach = a.mpUnreach;
  if (mpUnreach !== undefined) {
    add(15, (w) => {
      w.u16(mpUnreach.afi);
      w.u8(checkUint(mpUnreach.safi, 8, 'MP_UNREACH SAFI'));
      writeList(w, mpUnreach.withdrawn, addPathSend(mpUnreach.afi, mpUnreach.safi));
    });
  }
  const { origin, asPath, nextHop, med, localPref, aggregator, communities, originatorId, clusterList } = a;
  if (origin !== undefined) {
    if (origin !== 0 && origin !== 1 && origin !== 2)
      throw new RangeError(`ORIGIN ${String(origin)} must be 0, 1 or 2`);
    add(1, (w) => w.u8(origin));
  }
  if (asPath !== undefined) add(2, (w) => writeAsPath(w, asPath, as4, 'AS_PATH'));
  if (nextHop !== undefined) add(3, (w) => w.u32(ipv4(nextHop, 'NEXT_HOP')));
  if (med !== undefined) add(4, (w) => w.u32(checkUint(med, 32, 'MED')));
  if (localPref !== undefined) add(5, (w) => w.u32(checkUint(localPref, 32, 'LOCAL_PREF')));
  if (a.atomicAggregate === true) add(6, () => {});
  if (aggregator !== undefined) {
    add(7, (w) => {
      checkUint(aggregator.asn, 32, 'AGGREGATOR ASN');
      if (as4) w.u32(aggregator.asn);
      else w.u16(aggregator.asn > 0xffff ? AS_TRANS : aggregator.asn);
      w.u32(ipv4(aggregator.address, 'AGGREGATOR address'));
    });
  }
  if (communities !== undefined && communities.length > 0) {
    add(8, (w) => {
      for (const c of communities) w.u32(checkUint(c, 32, 'community'));
    });
  }
  if (originatorId !== undefined) add(9, (w) => w.u32(ipv4(originatorId, 'ORIGINATOR_ID')));
  if (clusterList !== undefined && clusterList.length > 0) {
    add(10, (w) => {
      for (const c of clusterList) w.u32(ipv4(c, 'CLUSTER_LIST entry'));
    });
  }
  const ext = a.extendedCommunities;
  if (ext !== undefined && ext.length > 0) {
    add(16, (w) => {
      for (const v of ext) {
        if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn)
          throw new RangeError(`extended community ${String(v)} is not a 64-bit unsigned bigint`);
        w.u32(Number(v >> 32n));
        w.u32(Number(v & 0xffffffffn));
      }
    });
  }
  if (!as4) {
    // RFC 6793 §4.2.2: toward a 2-octet speaker, carry 4-octet ASNs in AS4_PATH / AS4_AGGREGATOR
    const as4Path =
      a.as4Path ??
      (asPath !== undefined && hasFourOctetAsn(asPath)
        ? asPath.filter((s) => s.type === 1 || s.type === 2)
        : undefined);
    if (as4Path !== undefined && as4Path.length > 0)
      add(17, (w) => writeAsPath(w, as4Path, true, 'AS4_PATH'));
    const as4Agg =
      a.as4Aggregator ?? (aggregator !== undefined && aggregator.asn > 0xffff ? aggregator : undefined);
    if (as4Agg !== undefined) {
      add(18, (w) => {
        w.u32(checkUint(as4Agg.asn, 32, 'AS4_AGGREGATOR ASN'));
        w.u32(ipv4(as4Agg.address, 'AS4_AGGREGATOR address'));
      });
    }
  }
  const large = a.largeCommunities;
  if (large !== undefined && large.length > 0) {
    add(32, (w) => {
      // RFC 8092 §5: duplicate Large Community values MUST NOT be transmitted (the first is kept)
      for (const c of large.length > 1 ? uniqueLarge(large) : large) {
        w.u32(checkUint(c[0], 32, 'large community global administrator'));
        w.u32(checkUint(c[1], 32, 'large community local data 1'));
        w.u32(checkUint(c[2], 32, 'large community local data 2'));
      }
    });
  }
  for (const u of a.unknown ?? []) {
    checkUint(u.code, 8, 'attribute type code');
    e.push({ code: u.code, flags: checkUint(u.flags, 8, 'attribute flags'), write: (w) => w.bytes(u.data) });
  }
  // canonical order: MP_REACH/MP_UNREACH first (RFC 7606 §5.1), then by type code
  const rank = (c: number): number => (c === 14 ? -2 : c === 15 ? -1 : c);
  e.sort((x, y) => rank(x.code) - rank(y.code));
  return e;
}

/** Encode path attributes into `w` (following `attrs.wire` when present). */
function writeAttributes(w: Writer, attrs: PathAttributes, opts: CodecOptions): void {
  const send = opts.addPathSend;
  const entries = attributeEntries(attrs, opts, (afi, safi) => send?.has(familyKey(afi, safi)) === true);
  const hints = attrs.wire;
  if (hints === undefined) {
    for (const x of entries) writeAttr(w, x.flags, x.code, false, x.write);
    return;
  }
  const used = new Array<boolean>(entries.length).fill(false);
  for (const h of hints) {
    const i = entries.findIndex((x, k) => !used[k] && x.code === h.code);
    if (i < 0) continue;
    used[i] = true;
    const x = entries[i] as AttrEntry;
    // keep the received Partial and Extended Length bits; O/T bits are the attribute's own
    const flags = (x.flags & 0xc0) | (h.flags & 0x20) | (x.flags & 0x0f);
    writeAttr(w, flags, x.code, (h.flags & 0x10) !== 0, x.write);
  }
  entries.forEach((x, k) => {
    if (!used[k]) writeAttr(w, x.flags, x.code, false, x.write);
  });
}

const scratch = new Writer(4096);

function encodeUpdate(msg: UpdateMessage, opts: CodecOptions): Uint8Array {
  const ap = opts.addPathSend?.has('1/1') === true;
  const { withdrawn, nlri } = msg;
  if (withdrawn.afi !== 1 || nlri.afi !== 1) {
    throw new RangeError('UPDATE withdrawn routes and NLRI fields carry IPv4 prefixes only');
  }
  const attrs = cachedAttributes(msg.attributes, opts);
  const wl = prefixesSize(withdrawn, 0, withdrawn.count, ap);
  const nl = prefixesSize(nlri, 0, nlri.count, ap);
  const size = 23 + wl + attrs.length + nl;
  const max = maxMessageSize(opts);
  if (size > max)
    throw new RangeError(`UPDATE of ${size} bytes exceeds the maximum message size ${max}; use packUpdates`);
  const b = newUpdate(size, wl);
  let p = writePrefixes(b, 21, withdrawn, 0, withdrawn.count, ap);
  b[p] = attrs.length >>> 8;
  b[p + 1] = attrs.length & 255;
  b.set(attrs, p + 2);
  p += 2 + attrs.length;
  writePrefixes(b, p, nlri, 0, nlri.count, ap);
  return b;
}

/**
 * Encoded path attributes, cached per attributes object and encoding context: the RIB and the
 * packer reuse one attributes object for many prefixes (treat PathAttributes as immutable).
 */
const attrCache = new WeakMap<PathAttributes, Map<string, Uint8Array>>();
export function cachedAttributes(attrs: PathAttributes, opts: CodecOptions): Uint8Array {
  const key = `${opts.as4 === true ? 1 : 0}${attrs.mpReach === undefined && attrs.mpUnreach === undefined ? '' : [...(opts.addPathSend ?? [])].join(',')}`;
  let m = attrCache.get(attrs);
  const hit = m?.get(key);
  if (hit !== undefined) return hit;
  scratch.pos = 0;
  writeAttributes(scratch, attrs, opts);
  const bytes = scratch.result();
  if (m === undefined) {
    m = new Map();
    attrCache.set(attrs, m);
  }
  if (m.size > 8) m.clear();
  m.set(key, bytes);
  return bytes;
}

/** RFC 4724 §2 End-of-RIB marker for a family. */
export function encodeEndOfRib(afi: number, safi: number, _opts: CodecOptions = {}): Uint8Array {
  const w = new Writer(30);
  header(w, 2);
  w.u16(0);
  if (afi === 1 && safi === 1) {
    w.u16(0);
  } else {
    w.u16(6);
    w.u8(0x80);
    w.u8(15);
    w.u8(3);
    w.u16(checkUint(afi, 16, 'AFI'));
    w.u8(checkUint(safi, 8, 'SAFI'));
  }
  return finish(w, BGP_MAX_MESSAGE, 'End-of-RIB');
}

/** The family an UPDATE marks the End-of-RIB of (RFC 4724 §2), or undefined. */
export function isEndOfRib(update: UpdateMessage): { afi: number; safi: number } | undefined {
  if (update.withdrawn.count > 0 || update.nlri.count > 0) return undefined;
  const a = update.attributes;
  const keys = Object.keys(a).filter((k) => k !== 'wire' && (a as Record<string, unknown>)[k] !== undefined);
  if (keys.length === 0) return { afi: 1, safi: 1 };
  if (keys.length !== 1) return undefined;
  if (a.mpUnreach !== undefined) {
    return a.mpUnreach.withdrawn.count === 0 ? { afi: a.mpUnreach.afi, safi: a.mpUnreach.safi } : undefined;
  }
  const u = a.unknown;
  if (u !== undefined && u.length === 1) {
    const x = u[0] as UnknownAttribute;
    if (x.code === 15 && x.data.length === 3)
      return { afi: ((x.data[0] as number) << 8) | (x.data[1] as number), safi: x.data[2] as number };
  }
  return undefined;
}

/**
 * Unknown optional transitive attributes to pass on when re-advertising, with the Partial bit
 * set (RFC 4271 §5, §9.1.4). Unknown non-transitive ones are not passed on.
 */
export function forwardableUnknownAttributes(attrs: PathAttributes): UnknownAttribute[] {
  const out: UnknownAttribute[] = [];
  for (const u of attrs.unknown ?? []) {
    if ((u.flags & 0xc0) === 0xc0) out.push({ flags: (u.flags | 0x20) & ~0x10, code: u.code, data: u.data });
  }
  return out;
}
