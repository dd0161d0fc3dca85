// What the decoders share: resolved options, big-endian reads and the error result.
import { type CodecOptions, maxMessageSize } from '../model.ts';
import type { ReadResult } from './types.ts';

export const EMPTY = new Uint8Array(0);

/** Options resolved for the hot path. */
export interface Opts {
  readonly as4: boolean;
  readonly max: number;
  readonly strict: boolean;
  readonly addPathRx: ReadonlySet<string> | undefined;
  readonly ap41: boolean;
}

export function resolve(o: CodecOptions): Opts {
  return {
    as4: o.as4 === true,
    max: maxMessageSize(o),
    strict: o.strictErrorHandling === true,
    addPathRx: o.addPathReceive,
    ap41: o.addPathReceive?.has('1/1') === true,
  };
}

export function u16(b: Uint8Array, p: number): number {
  return ((b[p] as number) << 8) | (b[p + 1] as number);
}
export function u32(b: Uint8Array, p: number): number {
  return (
    (((b[p] as number) << 24) |
      ((b[p + 1] as number) << 16) |
      ((b[p + 2] as number) << 8) |
      (b[p + 3] as number)) >>>
    0
  );
}

export function errorResult(
  code: number,
  subcode: number,
  data: Uint8Array,
  offset: number,
  reason: string,
): ReadResult {
  return { kind: 'error', notification: { type: 'notification', code, subcode, data }, offset, reason };
}

export function u16Bytes(v: number): Uint8Array {
  return Uint8Array.of((v >>> 8) & 255, v & 255);
}
