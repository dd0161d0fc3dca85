// Codec throughput, printed (nothing is asserted about speed): decode and encode UPDATEs of 500
// IPv4 /32s. Run: cd packages/bgp-core && ../../node_modules/.bin/vitest bench --run src/codec.
import { test } from 'vitest';
import { runCodecBenchmark } from './test-support/codec-benchmark.ts';

test('codec: UPDATEs of 500 IPv4 /32 (ORIGIN, AS_PATH, NEXT_HOP, MED, COMMUNITIES, LARGE_COMMUNITY)', () => {
  runCodecBenchmark(20_000, (line) => console.log(line));
}, 300_000);
