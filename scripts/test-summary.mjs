// Reads the output of `pnpm test` (stdin) and prints, last, what a reader of the log's tail needs:
// each failed test with the first lines of its error, then one closing line, `N passed, N failed,
// N skipped`, summed over every vitest run that turbo executed or replayed from its cache.
import { readFileSync } from 'node:fs';

const ansi = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
const lines = readFileSync(0, 'utf8').replace(ansi, '').split('\n');
const totals = { passed: 0, failed: 0, skipped: 0 };
let runs = 0;
/** Each failure vitest reported ("FAIL  <project> <file> > <suite> > <test>") and its error's first lines. */
const failures = [];
// turbo prefixes each task's lines with "<package>:<task>: ".
const prefix = /^(\S+:test(?::interop)?):\s?(.*)$/;
for (let i = 0; i < lines.length; i += 1) {
  const p = prefix.exec(lines[i]);
  if (!p) continue;
  const [, task, body] = p;
  const m = /^\s*Tests\s+(.*)\(\d+\)\s*$/.exec(body);
  if (m) {
    runs += 1;
    for (const part of m[1].split('|')) {
      const c = /(\d+)\s+(passed|failed|skipped|todo)/.exec(part);
      if (c) totals[c[2] === 'todo' ? 'skipped' : c[2]] += Number(c[1]);
    }
    continue;
  }
  if (!/^\s*FAIL\s/.test(body)) continue;
  const block = [`${task}: ${body.trim()}`];
  for (let j = i + 1; j < lines.length && block.length < 16; j += 1) {
    const q = prefix.exec(lines[j]);
    if (!q || q[1] !== task) continue;
    if (/^\s*(FAIL\s|⎯)/.test(q[2])) break;
    if (q[2].trim() !== '') block.push(`    ${q[2].trimEnd()}`);
  }
  failures.push(block.join('\n'));
}
if (failures.length > 0) {
  console.log(`\nfailed (${failures.length}):`);
  for (const f of failures) console.log(f);
}
console.log(`\ntest runs summed: ${runs}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
