// The data tests read from the project's shared directory: `shared/` beside the repository root (the
// seed manifests, the ExaBGP QA vectors). It is not part of the repository, so its paths are resolved
// here, once: where it is missing, a test fails saying what is missing and where it is expected,
// not with a bare ENOENT from whichever file read it first.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The repository root (this file is packages/shared-data/src/index.ts). */
export const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
/** The shared directory: `../shared` from the repository root. */
export const SHARED_DIR = path.resolve(REPO_ROOT, '../shared');

/** What the tests read from the shared directory, by name, and where it lives in it. */
export const SHARED_DATA = {
  /** The seed's MetalLB manifests (IPAddressPool, BGPPeers, BGPAdvertisement, Service, BFDProfile). */
  'seed-manifests': 'seed-manifests',
  /** ExaBGP's QA message vectors (`*.msg`), read by bgp-core's codec tests. */
  'exabgp-qa': 'testdata/exabgp-qa',
} as const;
export type SharedData = keyof typeof SHARED_DATA;

/** Thrown when a directory of the shared data is not where the tests expect it. */
export class SharedDataMissingError extends Error {
  readonly data: string;
  readonly expected: string;
  constructor(data: string, expected: string, sharedDir: string) {
    super(
      `${data} not found: expected at ${expected} (${SHARED_DATA[data as SharedData] ?? data} in the shared ` +
        `directory ${sharedDir}, which sits beside the repository as ../shared and is not part of it)`,
    );
    this.name = 'SharedDataMissingError';
    this.data = data;
    this.expected = expected;
  }
}

/** `data`'s directory under `sharedDir`; throws SharedDataMissingError where it is not a directory. */
export function resolveSharedData(data: SharedData, sharedDir: string = SHARED_DIR): string {
  const dir = path.join(sharedDir, SHARED_DATA[data]);
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory())
    throw new SharedDataMissingError(data, dir, sharedDir);
  return dir;
}

/** `data`'s directory as a file: URL with a trailing slash (ready for `new URL(file, …)`). */
export function sharedDataUrl(data: SharedData, sharedDir: string = SHARED_DIR): URL {
  return pathToFileURL(`${resolveSharedData(data, sharedDir)}/`);
}
