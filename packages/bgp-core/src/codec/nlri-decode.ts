// NLRI (RFC 4271 §4.3, RFC 4760 §5, RFC 7911 §3): prefixes, with ADD-PATH identifiers when
// negotiated, into a PrefixList. Never throws on peer input.
import { PrefixList } from '../prefix.ts';
import { EMPTY, u32 } from './decode-common.ts';

/** Why the last `parseNlri` returned null, and at which byte of its buffer. */
export const nlriFailure = { reason: '', at: 0 };

/** Parse prefixes in b[from, to). Returns null on a syntax error (see nlriFailure). */
export function parseNlri(
  b: Uint8Array,
  from: number,
  to: number,
  afi: 1 | 2,
  addPath: boolean,
): PrefixList | null {
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
        nlriFailure.at = q;
        nlriFailure.reason = 'path identifier or prefix length truncated';
        return null;
      }
      q += 4;
    }
    const l = b[q] as number;
    if (l > max) {
      nlriFailure.at = q;
      nlriFailure.reason = `prefix length ${l} exceeds ${max}`;
      return null;
    }
    q += 1 + ((l + 7) >> 3);
    if (q > to) {
      nlriFailure.at = q - 1 - ((l + 7) >> 3);
      nlriFailure.reason = `prefix /${l} needs ${(l + 7) >> 3} bytes, only ${to - nlriFailure.at - 1} left`;
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
