// Checks the fast manifest reader against js-yaml on real YAML files: every document of every file
// named on stdin (one path per line) must be given up by the reader or read exactly as js-yaml reads
// it. Prints the counts; exits 1 on any disagreement.
//   find / -xdev \( -name '*.yaml' -o -name '*.yml' \) -size -2M 2>/dev/null |
//     ../../node_modules/.bin/node scripts/fast-yaml-corpus.ts
import fs from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { boolYaml11Tag, CORE_SCHEMA, load, mergeTag } from 'js-yaml';
import { readFastYaml } from '../src/yaml-fast.ts';

const schema = CORE_SCHEMA.withTags(boolYaml11Tag, mergeTag);
const files = fs.readFileSync(0, 'utf8').split('\n').filter(Boolean);
let documents = 0;
let read = 0;
let disagreements = 0;
for (const file of files) {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    continue;
  }
  for (const doc of text.split(/^(?:---|\.\.\.)(?=[ \t\r]|$)/m)) {
    documents++;
    const fast = readFastYaml(doc, schema);
    if (fast === undefined) continue;
    read++;
    let reference: unknown;
    try {
      reference = load(doc, { schema });
    } catch (e) {
      disagreements++;
      console.log(
        `${file}: js-yaml refuses a document the fast reader read: ${(e as Error).message.split('\n')[0]}`,
      );
      continue;
    }
    if (!isDeepStrictEqual(fast, reference)) {
      disagreements++;
      console.log(`${file}: the fast reader and js-yaml disagree on a document`);
    }
  }
}
console.log(
  `${files.length} files, ${documents} documents, ${read} read by the fast reader, ${disagreements} disagreements`,
);
process.exit(disagreements === 0 ? 0 : 1);
