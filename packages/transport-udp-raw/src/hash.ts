// The digest function bfd-core's keyed MD5 / SHA1 authentication takes (RFC 5880 §6.7.3, §6.7.4).
import { createHash } from 'node:crypto';

export function nodeHash(algorithm: 'md5' | 'sha1', data: Uint8Array): Uint8Array {
  return createHash(algorithm).update(data).digest();
}
