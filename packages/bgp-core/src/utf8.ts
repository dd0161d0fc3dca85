// Minimal UTF-8 codec (pure cores have no TextEncoder/TextDecoder in their type environment).

/** Encode a string as UTF-8 (lone surrogates become U+FFFD). */
export function utf8Encode(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else {
        c = 0xfffd;
      }
    } else if (c >= 0xd800 && c <= 0xdfff) {
      c = 0xfffd;
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

/**
 * Decode UTF-8 strictly: returns `undefined` on any invalid sequence (overlong forms, surrogates,
 * code points above U+10FFFF, truncation).
 */
export function utf8DecodeStrict(bytes: Uint8Array, start = 0, end = bytes.length): string | undefined {
  let s = '';
  let i = start;
  while (i < end) {
    const b = bytes[i] ?? 0;
    let cp: number;
    let need: number;
    let min: number;
    if (b < 0x80) {
      s += String.fromCharCode(b);
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      cp = b & 0x1f;
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      cp = b & 0x0f;
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      cp = b & 0x07;
      need = 3;
      min = 0x10000;
    } else {
      return undefined;
    }
    if (i + need >= end) return undefined;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k] ?? 0;
      if ((c & 0xc0) !== 0x80) return undefined;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
    s += String.fromCodePoint(cp);
    i += need + 1;
  }
  return s;
}

/** Decode UTF-8 leniently: invalid sequences become U+FFFD (for display only). */
export function utf8DecodeLenient(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const strict = utf8DecodeStrict(bytes, start, end);
  if (strict !== undefined) return strict;
  let s = '';
  for (let i = start; i < end; i++) {
    const b = bytes[i] ?? 0;
    s += b < 0x80 ? String.fromCharCode(b) : '\ufffd';
  }
  return s;
}
