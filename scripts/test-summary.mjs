// Reads the output of `pnpm test` (stdin) and prints one closing line, `N passed, N failed[, N
// skipped]`, summed over every vitest run that turbo executed or replayed from its cache.
import { readFileSync } from 'node:fs';

const ansi = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
const text = readFileSync(0, 'utf8').replace(ansi, '');
const totals = { passed: 0, failed: 0, skipped: 0 };
let runs = 0;
for (const line of text.split('\n')) {
  const m = /:test(?::interop)?:\s+Tests\s+(.*)\(\d+\)\s*$/.exec(line);
  if (!m) continue;
  runs += 1;
  for (const part of m[1].split('|')) {
    const c = /(\d+)\s+(passed|failed|skipped|todo)/.exec(part);
    if (c) totals[c[2] === 'todo' ? 'skipped' : c[2]] += Number(c[1]);
  }
}
console.log(`\ntest runs summed: ${runs}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
