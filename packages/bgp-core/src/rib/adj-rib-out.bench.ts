// Adj-RIB-Out through an Established session: 100k IPv4 /32 announced, then 10k changed. Prints
// time, UPDATE count and bytes, memory per route (rough here: for exact memory run the script with
// gc exposed, see test-support/rib-benchmark.ts). Nothing is asserted about speed.
// Run: cd packages/bgp-core && ../../node_modules/.bin/vitest bench --run src/rib
import { test } from 'vitest';
import { formatFigures, medianFigures, runRibBenchmark } from './test-support/rib-benchmark.ts';

test('Adj-RIB-Out: 100k IPv4 /32 announced, then 10k changed', () => {
  runRibBenchmark(20_000, 2_000); // warm-up
  console.log(formatFigures(medianFigures(5, 100_000, 10_000, false), '4096-octet messages, median of 5'));
  console.log(
    formatFigures(medianFigures(5, 100_000, 10_000, true), 'extended messages (RFC 8654), median of 5'),
  );
}, 120_000);
