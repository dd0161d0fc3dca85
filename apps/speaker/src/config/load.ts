// FILE text → a speaker snapshot, through @bmlb/metallb-api (parseManifests for every document,
// buildConfig for MetalLB's cross-object rules). Any error rejects the whole edit, as MetalLB does:
// the daemon keeps its last valid configuration and reports what is wrong, object and field named.
import { buildConfig, type ConfigError, formatConfigError } from '@bmlb/metallb-api';
import { ManifestCache, parseManifests } from '@bmlb/metallb-api/yaml';
import type { LoadResult } from '../speaker/types.ts';
import { snapshotFromConfig } from './snapshot.ts';

export interface LoadOptions {
  /** Namespace the metallb.io objects live in (default metallb-system). */
  readonly namespace?: string;
}

/**
 * Parses and validates FILE's text; `source` names the file in error messages. With a cache, the
 * documents whose text did not change since the last call are not parsed again (metallb-api splits
 * the file at its document markers, reads JSON documents with JSON.parse, and places every error at
 * its line in the whole file).
 */
export function loadManifests(
  text: string,
  source: string,
  opts: LoadOptions = {},
  cache: ManifestCache = new ManifestCache(),
): LoadResult {
  const parsed = parseManifests(text, { source, cache });
  const built = buildConfig(
    parsed.objects,
    opts.namespace === undefined ? {} : { namespace: opts.namespace },
  );
  const errors: ConfigError[] = [...parsed.errors, ...built.errors];
  const warnings = [...parsed.warnings, ...built.warnings].map(formatConfigError);
  if (errors.length > 0) return { ok: false, errors: errors.map(formatConfigError) };
  const w = [...warnings];
  const snapshot = snapshotFromConfig(built.config, w);
  return { ok: true, snapshot, warnings: w, objects: parsed.objects.length };
}
