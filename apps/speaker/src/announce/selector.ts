// Kubernetes label selectors (metav1.LabelSelector): matchLabels AND every matchExpression.
import type { LabelSelector } from './types.ts';

/** True when `sel` selects an object with `labels`. An empty selector selects everything. */
function selects(sel: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const req of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, req.key);
    const value = labels[req.key];
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!has || !values.includes(value as string)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(value as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false; // validation rejects unknown operators; never select on one
    }
  }
  return true;
}

/** MetalLB's list semantics: no selectors select every object; otherwise any one must. */
export function anySelects(
  sels: readonly LabelSelector[],
  labels: Readonly<Record<string, string>>,
): boolean {
  if (sels.length === 0) return true;
  return sels.some((s) => selects(s, labels));
}
