import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, resolveSharedData, SHARED_DIR, SharedDataMissingError, sharedDataUrl } from './index.ts';

const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'bmlb-shared-'));
afterAll(() => fs.rmSync(empty, { recursive: true, force: true }));

describe('shared data paths', () => {
  it('sit beside the repository root', () => {
    expect(fs.existsSync(path.join(REPO_ROOT, 'pnpm-workspace.yaml'))).toBe(true);
    expect(SHARED_DIR).toBe(path.join(path.dirname(REPO_ROOT), 'shared'));
  });

  it('name what is missing and where it is expected', () => {
    const expected = path.join(empty, 'testdata/exabgp-qa');
    let error: unknown;
    try {
      resolveSharedData('exabgp-qa', empty);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SharedDataMissingError);
    expect(error).toMatchObject({ data: 'exabgp-qa', expected });
    expect((error as Error).message).toBe(
      `exabgp-qa not found: expected at ${expected} (testdata/exabgp-qa in the shared directory ${empty}, ` +
        'which sits beside the repository as ../shared and is not part of it)',
    );
  });

  it('refuse a file where a directory is expected', () => {
    fs.writeFileSync(path.join(empty, 'seed-manifests'), '');
    expect(() => resolveSharedData('seed-manifests', empty)).toThrow(SharedDataMissingError);
  });

  it('resolve a present directory, also as a URL to resolve file names against', () => {
    fs.mkdirSync(path.join(empty, 'testdata/exabgp-qa'), { recursive: true });
    expect(resolveSharedData('exabgp-qa', empty)).toBe(path.join(empty, 'testdata/exabgp-qa'));
    expect(new URL('a.msg', sharedDataUrl('exabgp-qa', empty)).pathname).toBe(
      path.join(empty, 'testdata/exabgp-qa/a.msg'),
    );
  });
});
