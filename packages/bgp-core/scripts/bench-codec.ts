// Codec throughput (see src/codec/test-support/codec-benchmark.ts). Node 24 strips the types:
//   cd packages/bgp-core && ../../node_modules/.bin/node scripts/bench-codec.ts
import { runCodecBenchmark } from '../src/codec/test-support/codec-benchmark.ts';

console.log(`node ${process.version}`);
runCodecBenchmark();
