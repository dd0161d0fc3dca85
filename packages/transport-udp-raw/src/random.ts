// Uniform random numbers in [0, 1) from the operating system's CSPRNG, drawn in batches: the core
// uses them for transmit jitter and for discriminators and initial sequence numbers, which should not
// be guessable (RFC 5880 §6.3, §6.7.3).
import { randomFillSync } from 'node:crypto';

export function cryptoRandom(batch = 1024): () => number {
  const words = new Uint32Array(batch);
  let i = batch;
  return () => {
    if (i === batch) {
      randomFillSync(words);
      i = 0;
    }
    return (words[i++] as number) / 0x1_0000_0000;
  };
}
