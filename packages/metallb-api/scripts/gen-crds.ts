// Writes packages/metallb-api/crds/*.yaml from the kinds' schemas.
// Run: cd packages/metallb-api && ../../node_modules/.bin/node scripts/gen-crds.ts [--check]
// With --check, writes nothing and exits 1 when a file is missing or out of date.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { CRD_KINDS } from '../src/crd.ts';
import { crdYaml } from '../src/crd-yaml.ts';

const dir = new URL('../crds/', import.meta.url);
const check = process.argv.includes('--check');
let stale = 0;
if (!check) mkdirSync(dir, { recursive: true });
for (const kind of CRD_KINDS) {
  const { file, text } = crdYaml(kind);
  const url = new URL(file, dir);
  let current: string | undefined;
  try {
    current = readFileSync(url, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === text) {
    console.log(`unchanged ${file}`);
    continue;
  }
  if (check) {
    console.error(`out of date: crds/${file}`);
    stale++;
  } else {
    writeFileSync(url, text);
    console.log(`wrote ${file}`);
  }
}
if (stale > 0) process.exit(1);
