// UTF-8 through the platform's TextEncoder/TextDecoder. They are ECMAScript host globals (Node,
// browsers, Deno, Bun), not `node:*` modules, so a pure core may use them; the core compiles without
// DOM or Node types, so the shapes it uses are declared here.

interface PlatformText {
  TextEncoder: new () => { encode(input: string): Uint8Array };
  TextDecoder: new (
    label: 'utf-8',
    options: { fatal: boolean; ignoreBOM: boolean },
  ) => { decode(input: Uint8Array): string };
}
const platform = globalThis as unknown as PlatformText;

const encoder = new platform.TextEncoder();
// ignoreBOM: a leading U+FEFF is text the peer sent, kept as it is.
const strict = new platform.TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenient = new platform.TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** Encode a string as UTF-8 (lone surrogates become U+FFFD). */
export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Decode UTF-8 strictly: returns `undefined` on any invalid sequence (overlong forms, surrogates,
 * code points above U+10FFFF, truncation).
 */
export function utf8DecodeStrict(bytes: Uint8Array, start = 0, end = bytes.length): string | undefined {
  try {
    return strict.decode(bytes.subarray(start, end));
  } catch {
    return undefined;
  }
}

/** Decode UTF-8 leniently: invalid sequences become U+FFFD (for display only). */
export function utf8DecodeLenient(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return lenient.decode(bytes.subarray(start, end));
}
