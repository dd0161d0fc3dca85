// placeholder: implementation follows in the next commit
import type { CodecOptions } from '../model.ts';
import type { PackInput } from './types.ts';

/**
 * Encode announcements and withdrawals of one family sharing one attribute set into as few
 * UPDATE messages as fit the negotiated maximum size. Withdrawals come first.
 */
export function packUpdates(input: PackInput, opts: CodecOptions = {}): Uint8Array[] {
  void input;
  void opts;
  throw new Error('not implemented yet');
}
