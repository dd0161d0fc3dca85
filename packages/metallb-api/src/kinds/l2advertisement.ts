/**
 * `metallb.io/v1beta1` L2Advertisement: bmlb is BGP-only. These objects are accepted (so a MetalLB
 * manifest bundle loads) and ignored with a warning.
 */
import { configError } from '../errors.ts';
import type { ValidationResult } from '../meta.ts';
import { DEFAULT_NAMESPACE, refOf } from '../meta.ts';
import { own } from '../schema-check.ts';

export interface IgnoredObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; [k: string]: unknown };
  [k: string]: unknown;
}

/** Kinds of the metallb.io group that bmlb reads but does not act on. */
export const IGNORED_METALLB_KINDS: Readonly<Record<string, string>> = {
  L2Advertisement: 'bmlb announces over BGP only; L2Advertisement is ignored',
  ServiceL2Status: 'status object written by MetalLB’s layer 2 speaker; ignored',
  ServiceBGPStatus: 'status object; ignored',
  ConfigurationState: 'status object; ignored',
};

export function acceptIgnored(raw: Record<string, unknown>, kind: string): ValidationResult<IgnoredObject> {
  const ref = refOf(raw, kind, DEFAULT_NAMESPACE);
  const md = (raw.metadata ?? {}) as Record<string, unknown>;
  const object = { ...raw, metadata: { ...md, name: ref.name, namespace: ref.namespace } } as IgnoredObject;
  return {
    ok: true,
    object,
    warnings: [
      configError(ref, '', 'unsupported-kind', own(IGNORED_METALLB_KINDS, kind) ?? `${kind} is ignored`),
    ],
  };
}
