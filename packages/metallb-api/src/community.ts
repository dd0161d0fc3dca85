/**
 * BGP community values as MetalLB writes them: standard `AS:VALUE` (RFC 1997, two 16-bit numbers)
 * and large `large:GLOBAL:LOCAL1:LOCAL2` (RFC 8092, three 32-bit numbers).
 */

export type CommunityValue =
  | { readonly kind: 'standard'; readonly value: number /* 32-bit, AS << 16 | VALUE */ }
  | {
      readonly kind: 'large';
      readonly globalAdmin: number;
      readonly localData1: number;
      readonly localData2: number;
    };

export type CommunityParse =
  | { ok: true; value: CommunityValue }
  /** `format`: not shaped like a community at all (it may be a Community alias name); `value`: shaped like one but out of range. */
  | { ok: false; reason: 'format' | 'value'; error: string };

const DIGITS = /^[0-9]+$/;

export function parseCommunity(text: string): CommunityParse {
  const t = text.trim();
  if (t.startsWith('large:')) {
    const parts = t.slice(6).split(':');
    if (parts.length !== 3 || !parts.every((p) => DIGITS.test(p))) {
      return {
        ok: false,
        reason: 'format',
        error: `invalid large community ${JSON.stringify(text)}: expected large:GLOBAL:LOCAL1:LOCAL2`,
      };
    }
    const n = parts.map(Number);
    if (n.some((x) => x > 0xffffffff)) {
      return {
        ok: false,
        reason: 'value',
        error: `invalid large community ${JSON.stringify(text)}: each part must be 0-4294967295`,
      };
    }
    return { ok: true, value: { kind: 'large', globalAdmin: n[0]!, localData1: n[1]!, localData2: n[2]! } };
  }
  const parts = t.split(':');
  if (parts.length !== 2 || !parts.every((p) => DIGITS.test(p))) {
    return {
      ok: false,
      reason: 'format',
      error: `invalid community ${JSON.stringify(text)}: expected AS:VALUE (65000:100), large:GLOBAL:LOCAL1:LOCAL2 or the name of a Community alias`,
    };
  }
  const [a, b] = parts.map(Number) as [number, number];
  if (a > 0xffff || b > 0xffff) {
    return {
      ok: false,
      reason: 'value',
      error: `invalid community ${JSON.stringify(text)}: both parts must be 0-65535`,
    };
  }
  return { ok: true, value: { kind: 'standard', value: ((a << 16) | b) >>> 0 } };
}

export function formatCommunity(c: CommunityValue): string {
  if (c.kind === 'standard') return `${c.value >>> 16}:${c.value & 0xffff}`;
  return `large:${c.globalAdmin}:${c.localData1}:${c.localData2}`;
}
