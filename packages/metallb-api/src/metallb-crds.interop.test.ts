// Our CRDs against MetalLB v0.16.2's own (config/crd/bases/ of its Go module, fetched through the Go
// module proxy by tools/metallb-crds/fetch.sh into ${BMLB_CACHE:-/var/cache/bmlb}): the same kinds,
// versions and field sets, every field's type, format, enum, bounds, default, requirement, list and
// map type, CEL rules, served/storage/deprecation and printer columns. Any difference must be on the
// reasoned allow-list (test-support/metallb-crds-allow.ts). Needs Go (or a warm cache) and, the first
// time, the network: without them it is skipped with a message, except under CI=true, where it fails.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { load as parse } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { CRD_KINDS, type CrdKind, crdFor } from './crd.ts';
import { type CrdDifference, diffCrds } from './test-support/crd-diff.ts';
import {
  ALLOWED_DIFFERENCES,
  allowedBy,
  METALLB_KINDS_NOT_SERVED,
} from './test-support/metallb-crds-allow.ts';

const METALLB_VERSION = '0.16.2';
const fetchScript = fileURLToPath(new URL('../../../tools/metallb-crds/fetch.sh', import.meta.url));

function fetchCrds(): { dir: string } | { error: string } {
  try {
    const out = execFileSync(fetchScript, [], {
      env: { ...process.env, METALLB_VERSION },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 300_000,
    });
    const dir = out.trim().split('\n').pop() ?? '';
    return { dir };
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return { error: `${fetchScript} failed: ${(err.stderr ?? '').trim() || err.message}` };
  }
}

const fetched = fetchCrds();
const unavailable = 'error' in fetched ? fetched.error : undefined;
if (unavailable !== undefined && process.env.CI !== 'true')
  console.warn(`metallb-crds: skipped, MetalLB's CRDs are not available: ${unavailable}`);

describe.skipIf(unavailable !== undefined && process.env.CI !== 'true')(
  `CRDs against MetalLB v${METALLB_VERSION}'s`,
  () => {
    it('MetalLB CRDs fetched', () => {
      // Under CI=true a failed fetch fails here, with the script's message.
      expect(unavailable).toBeUndefined();
    });

    const theirs = new Map<string, unknown>();
    if (!('error' in fetched)) {
      for (const f of readdirSync(fetched.dir).filter((n) => n.endsWith('.yaml'))) {
        const crd = parse(readFileSync(`${fetched.dir}/${f}`, 'utf8')) as {
          spec: { names: { kind: string } };
        };
        theirs.set(crd.spec.names.kind, crd);
      }
    }

    it('the same metallb.io kinds, except those bmlb does not serve (each with its reason)', () => {
      expect(theirs.size).toBeGreaterThan(0);
      const ours = CRD_KINDS.filter((k) => crdFor(k).spec.group === 'metallb.io');
      const missing = [...theirs.keys()].filter((k) => !(ours as readonly string[]).includes(k));
      expect(missing.sort()).toEqual(Object.keys(METALLB_KINDS_NOT_SERVED).sort());
      // and nothing of ours in metallb.io that MetalLB does not define
      expect(ours.filter((k) => !theirs.has(k))).toEqual([]);
    });

    it('field for field: every difference is on the allow-list, and every allow-list entry is used', () => {
      const all: CrdDifference[] = [];
      for (const kind of CRD_KINDS) {
        if (!theirs.has(kind)) continue;
        all.push(...diffCrds(kind, crdFor(kind as CrdKind), theirs.get(kind)));
      }
      const unexplained = all
        .filter((d) => allowedBy(d) === undefined)
        .map((d) => `${d.key}: ours ${d.ours ?? '(absent)'}, MetalLB ${d.theirs ?? '(absent)'}`);
      expect(unexplained, 'differences from MetalLB not on the allow-list').toEqual([]);
      const unused = ALLOWED_DIFFERENCES.filter((a) => !all.some((d) => allowedBy(d) === a)).map(
        (a) => `${a.key.source} (${a.side}): ${a.reason}`,
      );
      expect(unused, 'allow-list entries that match no difference (remove them)').toEqual([]);
      console.log(
        `metallb-crds: ${theirs.size} MetalLB v${METALLB_VERSION} CRDs; ${all.length} differences, all on the allow-list (${ALLOWED_DIFFERENCES.length} entries)`,
      );
    });
  },
);
