// Writes deploy/crds/ (at the repository root) from the kinds' schemas: one CustomResourceDefinition
// per file, named as MetalLB names them, and a kustomization.yaml listing them.
// Run: node packages/metallb-api/scripts/gen-crds.ts [--check]   (from anywhere)
// With --check (part of `pnpm lint`), writes nothing and exits 1 when a file is missing, out of
// date, or not ours to have there.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { crdFiles } from '../src/crd-yaml.ts';

const dir = new URL('../../../deploy/crds/', import.meta.url);
const check = process.argv.includes('--check');
let stale = 0;
if (!check) mkdirSync(dir, { recursive: true });
const files = crdFiles();
for (const { file, text } of files) {
  const url = new URL(file, dir);
  let current: string | undefined;
  try {
    current = readFileSync(url, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === text) {
    if (!check) console.log(`unchanged deploy/crds/${file}`);
    continue;
  }
  if (check) {
    console.error(`out of date: deploy/crds/${file} (run node packages/metallb-api/scripts/gen-crds.ts)`);
    stale++;
  } else {
    writeFileSync(url, text);
    console.log(`wrote deploy/crds/${file}`);
  }
}
let present: string[] = [];
try {
  present = readdirSync(dir);
} catch {
  present = [];
}
const ours = new Set(files.map((f) => f.file));
for (const f of present) {
  if (!ours.has(f)) {
    console.error(`deploy/crds/${f}: not generated (remove it, or generate it from a schema)`);
    stale++;
  }
}
if (stale > 0) process.exit(1);
if (check) console.log(`deploy/crds: ${files.length} generated files up to date`);
