// The digest for keyed MD5/SHA1 authentication in this package's own tests (node:crypto is fine in
// tests; the shipped `testing` entry takes a hash from its caller).
import { createHash } from 'node:crypto';
import type { BfdHashFunction } from '../codec.ts';

export const nodeHash: BfdHashFunction = (algorithm, data) =>
  new Uint8Array(createHash(algorithm).update(data).digest());
