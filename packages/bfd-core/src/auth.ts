// Authentication configuration (RFC 5880 §6.7): which type a session uses, its keys, and the receive
// sequence-number window of §6.7.3/§6.7.4.
import { BfdAuthType, type BfdAuthTypeCode } from './constants.ts';

export type BfdAuthMode =
  | 'simple-password'
  | 'keyed-md5'
  | 'meticulous-keyed-md5'
  | 'keyed-sha1'
  | 'meticulous-keyed-sha1';

export const BFD_AUTH_MODES: Readonly<Record<BfdAuthMode, BfdAuthTypeCode>> = Object.freeze({
  'simple-password': BfdAuthType.SimplePassword,
  'keyed-md5': BfdAuthType.KeyedMd5,
  'meticulous-keyed-md5': BfdAuthType.MeticulousKeyedMd5,
  'keyed-sha1': BfdAuthType.KeyedSha1,
  'meticulous-keyed-sha1': BfdAuthType.MeticulousKeyedSha1,
});

export interface BfdAuthKey {
  /** Auth Key ID, 0–255. */
  id: number;
  /** The password / shared key: bytes, or a string encoded as UTF-8. 1–16 bytes (password, MD5), 1–20 (SHA1). */
  secret: Uint8Array | string;
}

export interface BfdAuthConfig {
  type: BfdAuthMode;
  /** Keys accepted on receipt (several may be active at once, §6.7.1). */
  keys: readonly BfdAuthKey[];
  /** The key sent; defaults to the first of `keys`. */
  sendKeyId?: number | undefined;
}

/** Validated form used by sessions. */
export interface ResolvedAuth {
  mode: BfdAuthMode;
  type: BfdAuthTypeCode;
  keys: Map<number, Uint8Array>;
  sendKeyId: number;
  sendKey: Uint8Array;
}

// TextEncoder is an ECMAScript host global (Node, browsers, Deno, Bun), not a `node:*` module, so the
// pure core may use it; the core compiles without DOM or Node types, so its shape is declared here.
const utf8 = new (
  globalThis as unknown as { TextEncoder: new () => { encode(s: string): Uint8Array } }
).TextEncoder();

/** Validate an auth configuration; throws RangeError naming the bad field (local misuse). */
export function resolveAuth(config: BfdAuthConfig): ResolvedAuth {
  const type = BFD_AUTH_MODES[config.type];
  if (type === undefined)
    throw new RangeError(
      `auth.type ${JSON.stringify(config.type)} is not one of ${Object.keys(BFD_AUTH_MODES).join(', ')}`,
    );
  if (config.keys.length === 0) throw new RangeError('auth.keys must hold at least one key');
  const maxLen = type === BfdAuthType.KeyedSha1 || type === BfdAuthType.MeticulousKeyedSha1 ? 20 : 16;
  const keys = new Map<number, Uint8Array>();
  for (const [i, k] of config.keys.entries()) {
    if (!Number.isInteger(k.id) || k.id < 0 || k.id > 255)
      throw new RangeError(`auth.keys[${i}].id ${k.id} is not in 0–255`);
    if (keys.has(k.id)) throw new RangeError(`auth.keys[${i}].id ${k.id} is a duplicate`);
    const secret = typeof k.secret === 'string' ? utf8.encode(k.secret) : Uint8Array.from(k.secret);
    if (secret.length < 1 || secret.length > maxLen)
      throw new RangeError(
        `auth.keys[${i}].secret is ${secret.length} bytes; ${config.type} needs 1–${maxLen}`,
      );
    keys.set(k.id, secret);
  }
  const sendKeyId = config.sendKeyId ?? config.keys[0]!.id;
  const sendKey = keys.get(sendKeyId);
  if (sendKey === undefined) throw new RangeError(`auth.sendKeyId ${sendKeyId} is not among auth.keys`);
  return { mode: config.type, type, keys, sendKeyId, sendKey };
}

/**
 * §6.7.3/§6.7.4 receive window: with bfd.AuthSeqKnown, a keyed type accepts RcvAuthSeq ..
 * RcvAuthSeq + 3×DetectMult and a meticulous type RcvAuthSeq+1 .. RcvAuthSeq + 3×DetectMult, in
 * unsigned 32-bit circular space. `detectMult` is the Detect Mult of the received packet.
 */
export function sequenceInWindow(
  seq: number,
  rcvAuthSeq: number,
  detectMult: number,
  meticulous: boolean,
): boolean {
  const diff = (seq - rcvAuthSeq) >>> 0;
  return diff <= 3 * detectMult && (!meticulous || diff >= 1);
}
