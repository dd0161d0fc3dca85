// V8's memory-saving mode for the daemon, set before it does any work (main.ts imports this first).
//
// `--optimize-for-size` makes V8's collector keep the heap close to what is live (a smaller growing
// factor, compaction), and its compilers favour smaller code. With 10,000 Services and 20,000
// EndpointSlices announced it took the speaker from about 170 to 150 MB of RSS, all routes still at
// the ToR 0.1-0.3 s after the last IP (apps/speaker README, "Benchmark"). Node refuses this flag in
// NODE_OPTIONS, so the DaemonSet cannot set it there, and every way the speaker runs (the image, the
// `bin`, the lab) would need it on its command line: the speaker sets it itself. V8 reads it at run
// time in those heuristics (the collector's part is the mode V8 enters on its own under memory
// pressure). `node --no-optimize-for-size …` keeps V8's defaults.
import { setFlagsFromString } from 'node:v8';

/** Sets `--optimize-for-size` unless `execArgv` turns it off; says whether it did. */
export function enterMemorySavingMode(execArgv: readonly string[]): boolean {
  if (execArgv.includes('--no-optimize-for-size')) return false;
  setFlagsFromString('--optimize-for-size');
  return true;
}

enterMemorySavingMode(process.execArgv);
