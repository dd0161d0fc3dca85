// placeholder: implementation follows in the next commit
import type { CodecOptions } from '../model.ts';
import type { ReadResult } from './types.ts';

/** Incremental framing + decoding of a BGP byte stream (see README). */
export class MessageReader {
  constructor(opts: CodecOptions = {}) {
    void opts;
  }
  /** Apply options negotiated in the OPEN exchange (affects messages not yet returned). */
  setOptions(opts: CodecOptions): void {
    void opts;
  }
  /** Append received bytes (the reader copies what it needs to keep; the chunk may be reused). */
  push(chunk: Uint8Array): void {
    void chunk;
  }
  /** The next complete message's result, or undefined when more bytes are needed. */
  next(): ReadResult | undefined {
    return undefined;
  }
  /** Bytes buffered and not yet returned as a message. */
  get buffered(): number {
    return 0;
  }
}

/** Decode exactly one message (header included); a length mismatch is an error result. */
export function decodeMessage(bytes: Uint8Array, opts: CodecOptions = {}): ReadResult {
  void bytes;
  void opts;
  throw new Error('not implemented yet');
}
