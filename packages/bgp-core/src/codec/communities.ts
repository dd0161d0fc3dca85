// Community helpers: RFC 1997 communities, RFC 8092 large communities, RFC 4360 extended
// communities (route target, route origin, link bandwidth).
import { Community, formatIPv4, parseIPv4 } from '../model.ts';

const WELL_KNOWN_NAMES: Record<string, number> = {
  'graceful-shutdown': Community.GRACEFUL_SHUTDOWN,
  'accept-own': Community.ACCEPT_OWN,
  'llgr-stale': Community.LLGR_STALE,
  'no-llgr': Community.NO_LLGR,
  blackhole: Community.BLACKHOLE,
  'no-export': Community.NO_EXPORT,
  'no-advertise': Community.NO_ADVERTISE,
  'no-export-subconfed': Community.NO_EXPORT_SUBCONFED,
  'local-as': Community.NO_EXPORT_SUBCONFED,
  nopeer: Community.NOPEER,
  'no-peer': Community.NOPEER,
};

/** "65000:100" → 0xFDE80064; also well-known names ("no-export"). Undefined if invalid. */
export function parseCommunity(text: string): number | undefined {
  const wk = WELL_KNOWN_NAMES[text.toLowerCase()];
  if (wk !== undefined) return wk;
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(text);
  if (m === null) return undefined;
  const hi = Number(m[1]);
  const lo = Number(m[2]);
  if (hi > 0xffff || lo > 0xffff) return undefined;
  return (hi * 0x10000 + lo) >>> 0;
}

/** 0xFDE80064 → "65000:100". */
export function formatCommunity(value: number): string {
  return `${value >>> 16}:${value & 0xffff}`;
}

/** "4200000000:1:2" → [4200000000, 1, 2]. Undefined if invalid. */
export function parseLargeCommunity(text: string): [number, number, number] | undefined {
  const m = /^(\d{1,10}):(\d{1,10}):(\d{1,10})$/.exec(text);
  if (m === null) return undefined;
  const v = [Number(m[1]), Number(m[2]), Number(m[3])] as [number, number, number];
  return v.every((x) => x <= 0xffffffff) ? v : undefined;
}

export function formatLargeCommunity(v: readonly [number, number, number]): string {
  return `${v[0]}:${v[1]}:${v[2]}`;
}

function u32(n: number, what: string): bigint {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
    throw new RangeError(`${what} ${n} is not a 32-bit unsigned integer`);
  return BigInt(n);
}

/** Route Target extended community: 2-octet AS form (type 0x00) or 4-octet AS form (0x02). */
export function routeTarget(asn: number, value: number): bigint {
  u32(asn, 'route target AS');
  u32(value, 'route target value');
  if (asn <= 0xffff) return (0x0002n << 48n) | (BigInt(asn) << 32n) | BigInt(value);
  if (value > 0xffff)
    throw new RangeError(`route target ${asn}:${value}: a 4-octet AS allows a 16-bit value`);
  return (0x0202n << 48n) | (BigInt(asn) << 16n) | BigInt(value);
}

/** Route Target extended community, IPv4-address form (type 0x01). */
export function routeTargetIPv4(address: string, value: number): bigint {
  const a = parseIPv4(address);
  if (a === undefined) throw new RangeError(`route target: "${address}" is not an IPv4 address`);
  if (!Number.isInteger(value) || value < 0 || value > 0xffff)
    throw new RangeError(`route target value ${value} must be 0–65535`);
  return (0x0102n << 48n) | (BigInt(a) << 16n) | BigInt(value);
}

const f32 = new Float32Array(1);
const f32u = new Uint32Array(f32.buffer);

/**
 * Link Bandwidth extended community (draft-ietf-idr-link-bandwidth §3): 2-octet AS and the
 * bandwidth in bytes per second as IEEE float32. Non-transitive (type 0x40) unless `transitive`.
 */
export function linkBandwidth(asn: number, bytesPerSecond: number, transitive = false): bigint {
  if (!Number.isInteger(asn) || asn < 0 || asn > 0xffff)
    throw new RangeError(`link bandwidth AS ${asn} must be 0–65535`);
  if (!(bytesPerSecond >= 0) || !Number.isFinite(bytesPerSecond))
    throw new RangeError(`link bandwidth ${bytesPerSecond} must be ≥ 0`);
  f32[0] = bytesPerSecond;
  const type = transitive ? 0x0004n : 0x4004n;
  return (type << 48n) | (BigInt(asn) << 32n) | BigInt(f32u[0] ?? 0);
}

export interface ExtendedCommunityInfo {
  readonly type: number;
  readonly subtype: number;
  readonly transitive: boolean;
  readonly kind: 'route-target' | 'route-origin' | 'link-bandwidth' | 'other';
  /** Global administrator: AS number or IPv4 address. */
  readonly global?: number | string;
  readonly local?: number;
  /** Link bandwidth in bytes per second. */
  readonly bandwidth?: number;
  /** Text such as "target:65000:1", "origin:192.0.2.1:5", "bandwidth:65000:1.25e8", "0x0003000000000001". */
  readonly text: string;
}

export function decodeExtendedCommunity(value: bigint): ExtendedCommunityInfo {
  const v = BigInt.asUintN(64, value);
  const type = Number(v >> 56n);
  const subtype = Number((v >> 48n) & 0xffn);
  const transitive = (type & 0x40) === 0;
  const base = type & 0x3f;
  const hex = `0x${v.toString(16).padStart(16, '0')}`;
  const low32 = Number(v & 0xffffffffn);
  const low16 = Number(v & 0xffffn);
  if ((subtype === 2 || subtype === 3) && base <= 2) {
    const kind = subtype === 2 ? 'route-target' : 'route-origin';
    const word = kind === 'route-target' ? 'target' : 'origin';
    if (base === 0) {
      const g = Number((v >> 32n) & 0xffffn);
      return { type, subtype, transitive, kind, global: g, local: low32, text: `${word}:${g}:${low32}` };
    }
    if (base === 1) {
      const g = formatIPv4(Number((v >> 16n) & 0xffffffffn));
      return { type, subtype, transitive, kind, global: g, local: low16, text: `${word}:${g}:${low16}` };
    }
    const g = Number((v >> 16n) & 0xffffffffn);
    return { type, subtype, transitive, kind, global: g, local: low16, text: `${word}:${g}L:${low16}` };
  }
  if (base === 0 && subtype === 4) {
    const g = Number((v >> 32n) & 0xffffn);
    f32u[0] = low32;
    const bw = f32[0] ?? 0;
    return {
      type,
      subtype,
      transitive,
      kind: 'link-bandwidth',
      global: g,
      bandwidth: bw,
      text: `bandwidth:${g}:${bw}`,
    };
  }
  return { type, subtype, transitive, kind: 'other', text: hex };
}
