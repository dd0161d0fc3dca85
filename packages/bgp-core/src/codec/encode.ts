// placeholder: implementation follows in the next commit
import type { BgpMessage, CodecOptions, PathAttributes, UnknownAttribute, UpdateMessage } from '../model.ts';

/** Encode one message. Throws RangeError on local misuse (invalid field, message too large). */
export function encodeMessage(msg: BgpMessage, opts: CodecOptions = {}): Uint8Array {
  void msg;
  void opts;
  throw new Error('not implemented yet');
}
export function encodeKeepalive(): Uint8Array {
  throw new Error('not implemented yet');
}
/** RFC 4724 §2 End-of-RIB marker for a family. */
export function encodeEndOfRib(afi: number, safi: number, opts: CodecOptions = {}): Uint8Array {
  void afi;
  void safi;
  void opts;
  throw new Error('not implemented yet');
}
/** The family an UPDATE marks the End-of-RIB of, or undefined when it is not an End-of-RIB. */
export function isEndOfRib(update: UpdateMessage): { afi: number; safi: number } | undefined {
  void update;
  return undefined;
}
/** Unknown optional transitive attributes to pass on, with the Partial bit set (RFC 4271 §5). */
export function forwardableUnknownAttributes(attrs: PathAttributes): UnknownAttribute[] {
  void attrs;
  return [];
}
