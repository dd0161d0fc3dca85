// RFC 5880 §4 BFD Control packet codec.
//
// Two layers:
// - `decodeControlPacket` / `encodeControlPacket`: friendly, allocate a packet object / a byte array.
// - `decodeControlPacketInto` / `encodeControlPacketInto`: the hot path. Decoding fills a caller-owned
//   `BfdPacketView` (the authentication data stays in the caller's buffer, addressed by offset) and
//   encoding writes into a caller-owned buffer, so neither allocates per packet.
// Decoding never throws on input: it returns a reason and the byte offset of the offending field.
// Encoding throws a RangeError when the caller passes an impossible packet (local misuse).
import type { BfdAuthType, BfdAuthTypeCode, BfdStateCode } from './constants.ts';

// Local copies of the constants used on the hot path (the same values as in constants.ts): reading
// a module-local const is free, while some loaders turn each use of an imported binding into a call.
const BFD_HEADER_LENGTH = 24;
const BFD_MD5_AUTH_LENGTH = 24;
const BFD_SHA1_AUTH_LENGTH = 28;
const AUTH_SIMPLE = 1;
const AUTH_METICULOUS_MD5 = 3;

/** Fields of the mandatory section (§4.1). Intervals are in microseconds, as on the wire. */
export interface BfdHeaderFields {
  /** Vers: 1 for RFC 5880. */
  version: number;
  /** Diag, 0–31. */
  diag: number;
  /** Sta: 0 AdminDown, 1 Down, 2 Init, 3 Up. */
  state: BfdStateCode;
  poll: boolean;
  final: boolean;
  controlPlaneIndependent: boolean;
  authPresent: boolean;
  demand: boolean;
  multipoint: boolean;
  /** Detect Mult, 0–255 (0 is decodable; §6.8.6 discards it). */
  detectMult: number;
  /** Length of the whole control packet in bytes, as carried in the packet. */
  length: number;
  myDiscriminator: number;
  yourDiscriminator: number;
  /** Desired Min TX Interval, µs. */
  desiredMinTxInterval: number;
  /** Required Min RX Interval, µs. */
  requiredMinRxInterval: number;
  /** Required Min Echo RX Interval, µs. */
  requiredMinEchoRxInterval: number;
}

/** Simple Password section (§4.2): Auth Type 1, password of 1–16 bytes. */
export interface BfdSimplePasswordAuth {
  type: typeof BfdAuthType.SimplePassword;
  keyId: number;
  password: Uint8Array;
}

/** Keyed / meticulous keyed MD5 (§4.3, 16-byte digest) or SHA1 (§4.4, 20-byte hash). */
export interface BfdDigestAuth {
  type:
    | typeof BfdAuthType.KeyedMd5
    | typeof BfdAuthType.MeticulousKeyedMd5
    | typeof BfdAuthType.KeyedSha1
    | typeof BfdAuthType.MeticulousKeyedSha1;
  keyId: number;
  sequence: number;
  /** 16 bytes for MD5 types, 20 for SHA1 types. */
  digest: Uint8Array;
}

export type BfdAuthSection = BfdSimplePasswordAuth | BfdDigestAuth;

/** A decoded control packet. `auth` is present exactly when `authPresent` is set. */
export interface BfdControlPacket extends BfdHeaderFields {
  auth?: BfdAuthSection | undefined;
}

/**
 * What `encodeControlPacket` takes: `length` and `authPresent` are derived from `auth` when omitted;
 * `version` defaults to 1.
 */
export type BfdControlPacketInput = Omit<BfdControlPacket, 'length' | 'authPresent' | 'version'> & {
  version?: number;
  length?: number;
  authPresent?: boolean;
};

/**
 * The allocation-free decoding target. The authentication section stays in the source buffer:
 * `authDataOffset`/`authDataLength` address the password (type 1) or the digest (types 2–5).
 * When `authPresent` is false the auth fields are 0.
 */
export interface BfdPacketView extends BfdHeaderFields {
  authType: number;
  authLength: number;
  authKeyId: number;
  authSequence: number;
  authDataOffset: number;
  authDataLength: number;
}

/** Why a packet could not be decoded (each maps to a §6.8.6 discard reason). */
export type BfdDecodeErrorReason =
  | 'truncated'
  | 'version'
  | 'length-too-short'
  | 'length-exceeds-payload'
  | 'auth-type-unknown'
  | 'auth-length';

export type BfdDecodeResult =
  | { ok: true; packet: BfdControlPacket }
  | { ok: false; reason: BfdDecodeErrorReason; offset: number; message: string };

/** Reason codes returned by `decodeControlPacketInto` (0 is success). */
export const BfdDecodeStatus = {
  Ok: 0,
  Truncated: 1,
  Version: 2,
  LengthTooShort: 3,
  LengthExceedsPayload: 4,
  AuthTypeUnknown: 5,
  AuthLength: 6,
} as const;
export type BfdDecodeStatusCode = (typeof BfdDecodeStatus)[keyof typeof BfdDecodeStatus];

const STATUS_REASON: readonly BfdDecodeErrorReason[] = [
  'truncated', // placeholder for index 0, never used
  'truncated',
  'version',
  'length-too-short',
  'length-exceeds-payload',
  'auth-type-unknown',
  'auth-length',
];
/** Byte offset (from the packet start) of the field each status blames. */
const STATUS_OFFSET: readonly number[] = [0, 0, 0, 3, 3, 24, 25];

/** Create a zeroed `BfdPacketView` to reuse with `decodeControlPacketInto`. */
export function createPacketView(): BfdPacketView {
  return {
    version: 0,
    diag: 0,
    state: 0,
    poll: false,
    final: false,
    controlPlaneIndependent: false,
    authPresent: false,
    demand: false,
    multipoint: false,
    detectMult: 0,
    length: 0,
    myDiscriminator: 0,
    yourDiscriminator: 0,
    desiredMinTxInterval: 0,
    requiredMinRxInterval: 0,
    requiredMinEchoRxInterval: 0,
    authType: 0,
    authLength: 0,
    authKeyId: 0,
    authSequence: 0,
    authDataOffset: 0,
    authDataLength: 0,
  };
}

/**
 * A copy of `bytes[offset, offset+length)` as a plain Uint8Array. Not `bytes.slice()`: on a Node
 * Buffer (a Uint8Array subclass) `slice` returns a view, and writing to it would change the caller's
 * bytes.
 */
function copyBytes(bytes: Uint8Array, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(bytes.subarray(offset, offset + length));
  return out;
}

function u32(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

function putU32(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 24;
  b[i + 1] = (v >>> 16) & 0xff;
  b[i + 2] = (v >>> 8) & 0xff;
  b[i + 3] = v & 0xff;
}

/**
 * Decode the control packet in `bytes[offset, offset+size)` into `out` without allocating.
 * Returns `BfdDecodeStatus.Ok` (0) or the reason code; `out` is only meaningful on success.
 * Checks the structural rules of §6.8.6 (version, Length against the A bit and the payload) and the
 * authentication section's shape (§4.2–4.4: Auth Len per type, Length = 24 + Auth Len).
 */
export function decodeControlPacketInto(
  bytes: Uint8Array,
  out: BfdPacketView,
  offset = 0,
  size: number = bytes.length - offset,
): BfdDecodeStatusCode {
  if (size < BFD_HEADER_LENGTH) return BfdDecodeStatus.Truncated;
  const b0 = bytes[offset]!;
  const version = b0 >>> 5;
  if (version !== 1) return BfdDecodeStatus.Version;
  const b1 = bytes[offset + 1]!;
  const authPresent = (b1 & 0x04) !== 0;
  const length = bytes[offset + 3]!;
  if (length < (authPresent ? BFD_HEADER_LENGTH + 2 : BFD_HEADER_LENGTH))
    return BfdDecodeStatus.LengthTooShort;
  if (length > size) return BfdDecodeStatus.LengthExceedsPayload;
  out.version = version;
  out.diag = b0 & 0x1f;
  out.state = (b1 >>> 6) as BfdStateCode;
  out.poll = (b1 & 0x20) !== 0;
  out.final = (b1 & 0x10) !== 0;
  out.controlPlaneIndependent = (b1 & 0x08) !== 0;
  out.authPresent = authPresent;
  out.demand = (b1 & 0x02) !== 0;
  out.multipoint = (b1 & 0x01) !== 0;
  out.detectMult = bytes[offset + 2]!;
  out.length = length;
  out.myDiscriminator = u32(bytes, offset + 4);
  out.yourDiscriminator = u32(bytes, offset + 8);
  out.desiredMinTxInterval = u32(bytes, offset + 12);
  out.requiredMinRxInterval = u32(bytes, offset + 16);
  out.requiredMinEchoRxInterval = u32(bytes, offset + 20);
  if (!authPresent) {
    out.authType = 0;
    out.authLength = 0;
    out.authKeyId = 0;
    out.authSequence = 0;
    out.authDataOffset = 0;
    out.authDataLength = 0;
    return BfdDecodeStatus.Ok;
  }
  const a = offset + BFD_HEADER_LENGTH;
  const authType = bytes[a]!;
  const authLength = bytes[a + 1]!;
  if (authType < 1 || authType > 5) return BfdDecodeStatus.AuthTypeUnknown;
  if (BFD_HEADER_LENGTH + authLength !== length) return BfdDecodeStatus.AuthLength;
  out.authType = authType;
  out.authLength = authLength;
  out.authKeyId = bytes[a + 2]!;
  if (authType === AUTH_SIMPLE) {
    // Auth Len = 3 + password length, password 1–16 bytes (§4.2).
    if (authLength < 4 || authLength > 19) return BfdDecodeStatus.AuthLength;
    out.authSequence = 0;
    out.authDataOffset = a + 3;
    out.authDataLength = authLength - 3;
    return BfdDecodeStatus.Ok;
  }
  const expected = authType <= AUTH_METICULOUS_MD5 ? BFD_MD5_AUTH_LENGTH : BFD_SHA1_AUTH_LENGTH;
  if (authLength !== expected) return BfdDecodeStatus.AuthLength;
  out.authSequence = u32(bytes, a + 4);
  out.authDataOffset = a + 8;
  out.authDataLength = authLength - 8;
  return BfdDecodeStatus.Ok;
}

function describe(status: BfdDecodeStatusCode, bytes: Uint8Array, offset: number, size: number): string {
  switch (status) {
    case BfdDecodeStatus.Truncated:
      return `BFD control packet truncated: ${size} bytes, the mandatory section needs 24`;
    case BfdDecodeStatus.Version:
      return `BFD version ${bytes[offset]! >>> 5} at byte 0, expected 1`;
    case BfdDecodeStatus.LengthTooShort: {
      const a = (bytes[offset + 1]! & 0x04) !== 0;
      return `BFD Length ${bytes[offset + 3]} at byte 3 is below the minimum ${a ? 26 : 24} (A bit ${a ? 'set' : 'clear'})`;
    }
    case BfdDecodeStatus.LengthExceedsPayload:
      return `BFD Length ${bytes[offset + 3]} at byte 3 exceeds the ${size}-byte payload`;
    case BfdDecodeStatus.AuthTypeUnknown:
      return `BFD Auth Type ${bytes[offset + 24]} at byte 24 is not one of 1–5`;
    case BfdDecodeStatus.AuthLength:
      return `BFD Auth Len ${bytes[offset + 25]} at byte 25 is wrong for Auth Type ${bytes[offset + 24]} with Length ${bytes[offset + 3]}`;
    default:
      return 'BFD control packet decoded';
  }
}

/** Build the friendly packet object from a decoded view (copies the auth data out of `bytes`). */
export function packetFromView(view: BfdPacketView, bytes: Uint8Array): BfdControlPacket {
  const packet: BfdControlPacket = {
    version: view.version,
    diag: view.diag,
    state: view.state,
    poll: view.poll,
    final: view.final,
    controlPlaneIndependent: view.controlPlaneIndependent,
    authPresent: view.authPresent,
    demand: view.demand,
    multipoint: view.multipoint,
    detectMult: view.detectMult,
    length: view.length,
    myDiscriminator: view.myDiscriminator,
    yourDiscriminator: view.yourDiscriminator,
    desiredMinTxInterval: view.desiredMinTxInterval,
    requiredMinRxInterval: view.requiredMinRxInterval,
    requiredMinEchoRxInterval: view.requiredMinEchoRxInterval,
  };
  if (view.authPresent) {
    const data = copyBytes(bytes, view.authDataOffset, view.authDataLength);
    packet.auth =
      view.authType === AUTH_SIMPLE
        ? { type: 1, keyId: view.authKeyId, password: data }
        : {
            type: view.authType as BfdDigestAuth['type'],
            keyId: view.authKeyId,
            sequence: view.authSequence,
            digest: data,
          };
  }
  return packet;
}

/** Decode a control packet. Never throws; on failure names the reason and the byte offset. */
export function decodeControlPacket(bytes: Uint8Array): BfdDecodeResult {
  const view = createPacketView();
  const status = decodeControlPacketInto(bytes, view);
  if (status !== BfdDecodeStatus.Ok) {
    return {
      ok: false,
      reason: STATUS_REASON[status]!,
      offset: STATUS_OFFSET[status]!,
      message: describe(status, bytes, 0, bytes.length),
    };
  }
  return { ok: true, packet: packetFromView(view, bytes) };
}

/** Map a `decodeControlPacketInto` status to its reason name. */
export function decodeStatusReason(status: BfdDecodeStatusCode): BfdDecodeErrorReason | undefined {
  return status === BfdDecodeStatus.Ok ? undefined : STATUS_REASON[status];
}

function authSectionLength(auth: BfdAuthSection | undefined): number {
  if (auth === undefined) return 0;
  if (auth.type === AUTH_SIMPLE) return 3 + auth.password.length;
  return auth.type <= AUTH_METICULOUS_MD5 ? BFD_MD5_AUTH_LENGTH : BFD_SHA1_AUTH_LENGTH;
}

function checkUint(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max)
    throw new RangeError(`BFD ${name} ${v} is not an integer in 0–${max}`);
}

/** The number of bytes `encodeControlPacketInto` writes for this packet. */
export function encodedLength(packet: BfdControlPacketInput): number {
  return BFD_HEADER_LENGTH + authSectionLength(packet.auth);
}

/**
 * Encode into `buf` at `offset` without allocating; returns the number of bytes written.
 * The Length field and the A bit are derived from `packet.auth`. Throws RangeError on impossible input.
 * For digest types the digest bytes are written as given: use `signControlPacket` afterwards.
 */
export function encodeControlPacketInto(packet: BfdControlPacketInput, buf: Uint8Array, offset = 0): number {
  const auth = packet.auth;
  const length = auth === undefined ? BFD_HEADER_LENGTH : BFD_HEADER_LENGTH + authSectionLength(auth);
  const version = packet.version ?? 1;
  // One cheap range check of every field (`(x & m) === x` and `(x >>> 0) === x` reject negatives,
  // fractions and NaN); the slow path names the bad field.
  if (
    (version & 7) !== version ||
    (packet.diag & 31) !== packet.diag ||
    (packet.state & 3) !== packet.state ||
    (packet.detectMult & 255) !== packet.detectMult ||
    packet.myDiscriminator >>> 0 !== packet.myDiscriminator ||
    packet.yourDiscriminator >>> 0 !== packet.yourDiscriminator ||
    packet.desiredMinTxInterval >>> 0 !== packet.desiredMinTxInterval ||
    packet.requiredMinRxInterval >>> 0 !== packet.requiredMinRxInterval ||
    packet.requiredMinEchoRxInterval >>> 0 !== packet.requiredMinEchoRxInterval
  ) {
    checkUint('version', version, 7);
    checkUint('diag', packet.diag, 31);
    checkUint('state', packet.state, 3);
    checkUint('detectMult', packet.detectMult, 255);
    checkUint('myDiscriminator', packet.myDiscriminator, 0xffffffff);
    checkUint('yourDiscriminator', packet.yourDiscriminator, 0xffffffff);
    checkUint('desiredMinTxInterval', packet.desiredMinTxInterval, 0xffffffff);
    checkUint('requiredMinRxInterval', packet.requiredMinRxInterval, 0xffffffff);
    checkUint('requiredMinEchoRxInterval', packet.requiredMinEchoRxInterval, 0xffffffff);
  }
  if (buf.length - offset < length)
    throw new RangeError(`BFD encode needs ${length} bytes, buffer has ${buf.length - offset}`);
  buf[offset] = (version << 5) | packet.diag;
  buf[offset + 1] =
    (packet.state << 6) |
    (packet.poll ? 0x20 : 0) |
    (packet.final ? 0x10 : 0) |
    (packet.controlPlaneIndependent ? 0x08 : 0) |
    (auth !== undefined ? 0x04 : 0) |
    (packet.demand ? 0x02 : 0) |
    (packet.multipoint ? 0x01 : 0);
  buf[offset + 2] = packet.detectMult;
  buf[offset + 3] = length;
  putU32(buf, offset + 4, packet.myDiscriminator);
  putU32(buf, offset + 8, packet.yourDiscriminator);
  putU32(buf, offset + 12, packet.desiredMinTxInterval);
  putU32(buf, offset + 16, packet.requiredMinRxInterval);
  putU32(buf, offset + 20, packet.requiredMinEchoRxInterval);
  if (auth === undefined) return length;
  const a = offset + BFD_HEADER_LENGTH;
  checkUint('auth keyId', auth.keyId, 255);
  buf[a] = auth.type;
  buf[a + 1] = length - BFD_HEADER_LENGTH;
  buf[a + 2] = auth.keyId;
  if (auth.type === AUTH_SIMPLE) {
    if (auth.password.length < 1 || auth.password.length > 16)
      throw new RangeError(`BFD simple password must be 1–16 bytes, got ${auth.password.length}`);
    buf.set(auth.password, a + 3);
    return length;
  }
  const digestLength = authSectionLength(auth) - 8;
  if (auth.digest.length !== digestLength)
    throw new RangeError(
      `BFD auth type ${auth.type} digest must be ${digestLength} bytes, got ${auth.digest.length}`,
    );
  checkUint('auth sequence', auth.sequence, 0xffffffff);
  buf[a + 3] = 0; // Reserved
  putU32(buf, a + 4, auth.sequence);
  buf.set(auth.digest, a + 8);
  return length;
}

/** Encode a control packet into a new byte array. Throws RangeError on impossible input. */
export function encodeControlPacket(packet: BfdControlPacketInput): Uint8Array {
  const buf = new Uint8Array(encodedLength(packet));
  encodeControlPacketInto(packet, buf, 0);
  return buf;
}

/** The digest algorithm of an authentication type, or undefined for simple password. */
export function authAlgorithm(type: number): 'md5' | 'sha1' | undefined {
  if (type === 2 || type === AUTH_METICULOUS_MD5) return 'md5';
  if (type === 4 || type === 5) return 'sha1';
  return undefined;
}

/** True for the meticulous types (3 and 5), whose sequence number must increase on every packet. */
export function isMeticulous(type: number): boolean {
  return type === AUTH_METICULOUS_MD5 || type === 5;
}

/** Digest function injected by the caller (e.g. `node:crypto` createHash) so the core stays pure. */
export type BfdHashFunction = (algorithm: 'md5' | 'sha1', data: Uint8Array) => Uint8Array;

/**
 * The digest of a packet per §6.7.3/§6.7.4: the whole packet (Length bytes) with the Auth Key/Digest
 * field replaced by the key padded with zero bytes to 16 (MD5) or 20 (SHA1) bytes.
 */
export function computeAuthDigest(
  bytes: Uint8Array,
  offset: number,
  authType: BfdAuthTypeCode,
  key: Uint8Array,
  hash: BfdHashFunction,
): Uint8Array {
  const algorithm = authAlgorithm(authType);
  if (algorithm === undefined) throw new RangeError(`BFD auth type ${authType} has no digest`);
  const length = bytes[offset + 3]!;
  const digestLength = algorithm === 'md5' ? 16 : 20;
  if (key.length < 1 || key.length > digestLength)
    throw new RangeError(`BFD ${algorithm} key must be 1–${digestLength} bytes, got ${key.length}`);
  const copy = copyBytes(bytes, offset, length);
  const d = BFD_HEADER_LENGTH + 8;
  copy.fill(0, d, d + digestLength);
  copy.set(key, d);
  const digest = hash(algorithm, copy);
  if (digest.length !== digestLength)
    throw new RangeError(
      `BFD ${algorithm} hash function returned ${digest.length} bytes, expected ${digestLength}`,
    );
  return digest;
}

/** Fill in the digest of an encoded keyed MD5/SHA1 packet in place (§6.7.3, §6.7.4 transmission). */
export function signControlPacket(
  bytes: Uint8Array,
  key: Uint8Array,
  hash: BfdHashFunction,
  offset = 0,
): void {
  const type = bytes[offset + BFD_HEADER_LENGTH] as BfdAuthTypeCode;
  const digest = computeAuthDigest(bytes, offset, type, key, hash);
  bytes.set(digest, offset + BFD_HEADER_LENGTH + 8);
}

/** Check the digest of a received keyed MD5/SHA1 packet (§6.7.3, §6.7.4 reception). */
export function verifyControlPacketDigest(
  bytes: Uint8Array,
  key: Uint8Array,
  hash: BfdHashFunction,
  offset = 0,
): boolean {
  const type = bytes[offset + BFD_HEADER_LENGTH] as BfdAuthTypeCode;
  const expected = computeAuthDigest(bytes, offset, type, key, hash);
  return constantTimeEqual(expected, bytes, offset + BFD_HEADER_LENGTH + 8);
}

/** Compare `a` with `b[offset, offset+a.length)` in time independent of where they differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array, offset = 0): boolean {
  if (b.length - offset < a.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[offset + i]!;
  return diff === 0;
}
