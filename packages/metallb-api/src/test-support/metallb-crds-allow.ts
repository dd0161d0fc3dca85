/**
 * Where our CRDs may differ from MetalLB v0.16.2's, and why (the README's "CRDs" section says the same
 * for users). `metallb-crds.interop.test.ts` fails on any difference no entry here allows, and on an
 * entry that allows nothing (so the list cannot go stale). `side` says which CRD has the fact:
 * `ours` (a bound, default or rule MetalLB's lacks), `theirs` (MetalLB has it, ours not), or `both`
 * (each has a different value).
 */
import type { CrdDifference } from './crd-diff.ts';

export interface AllowedDifference {
  /** Matched against `CrdDifference.key` (`Kind version path keyword`). */
  readonly key: RegExp;
  readonly side: 'ours' | 'theirs' | 'both';
  readonly reason: string;
}

const ANY_SELECTOR =
  /\.(nodeSelectors|ipAddressPoolSelectors|serviceSelectors|serviceAllocation\.namespaceSelectors|serviceAllocation\.serviceSelectors)\[\]/;
const sel = (rest: string) => new RegExp(`^\\w+ v1beta\\d \\.spec${ANY_SELECTOR.source}${rest}$`);

export const METALLB_KINDS_NOT_SERVED: Readonly<Record<string, string>> = {
  L2Advertisement:
    'bmlb announces over BGP only; L2Advertisement objects in files are accepted and ignored with a warning (kinds/l2advertisement.ts)',
  ServiceL2Status: "written by MetalLB's layer 2 speaker; bmlb has no layer 2 mode",
  ConfigurationState:
    "MetalLB's report of its own configuration's validity; bmlb reports a refused configuration in Events, the speaker's /readyz and BGPSessionState",
};

export const ALLOWED_DIFFERENCES: readonly AllowedDifference[] = [
  // Bounds the CEL rules need (the API server refuses a CRD whose rules could exceed its cost budget):
  // README "Bounds", chosen far above any real configuration.
  {
    key: sel('?(\\.matchExpressions)? maxItems'),
    side: 'ours',
    reason: 'CEL cost bound: 32 selectors/expressions',
  },
  {
    key: /^\w+ v1beta\d \.spec\.\w+(\.\w+)? maxItems$/,
    side: 'ours',
    reason: 'CEL cost bound: selectors (32), communities and addresses (1024)',
  },
  {
    key: sel('\\.matchLabels maxProperties'),
    side: 'ours',
    reason: 'CEL cost bound: 64 labels per selector',
  },
  {
    key: sel(
      '(\\.matchExpressions\\[\\]\\.key|\\.matchLabels\\{\\}|\\.matchExpressions\\[\\]\\.operator) maxLength',
    ),
    side: 'ours',
    reason:
      'CEL cost bound: label keys 317, values 63, v1beta1 operator 32 characters (longer is invalid anyway)',
  },
  {
    key: /^\w+ v1beta\d \.spec\.(holdTime|keepaliveTime|connectTime|peerAddress|sourceAddress|routerID|addresses\[\]|communities\[\]|communities\[\]\.(name|value)) maxLength$/,
    side: 'ours',
    reason:
      'CEL cost bound: durations and addresses 64, pool entries 128, communities and alias names 253 characters',
  },
  // Our CEL rules: the single-object rules the validators enforce, refused at `kubectl apply` (README "CEL rules").
  {
    key: / x-kubernetes-validations /,
    side: 'ours',
    reason: "bmlb's CEL rules (README: CEL rules), the validators' single-object checks",
  },
  {
    key: /^BGPPeer v1beta2 \.spec\.connectTime x-kubernetes-validations duration\(self\)\.(getSeconds\(\) >= 1 && duration\(self\)\.getSeconds\(\) <= 65535|getMilliseconds\(\) % 1000 == 0)$/,
    side: 'theirs',
    reason:
      "MetalLB's two connectTime rules: ours carry them with the same messages, guarded by a duration syntax check so text duration() refuses gets one clear message",
  },
  // Enum where MetalLB has free text and refuses other values later (LabelSelectorAsSelector).
  {
    key: sel('\\.matchExpressions\\[\\]\\.operator enum'),
    side: 'ours',
    reason: 'the four operators Kubernetes knows; MetalLB refuses any other when it parses the selector',
  },
  // Ranges MetalLB checks in Go (internal/config) rather than in its CRD.
  {
    key: /^BGPAdvertisement v1beta1 \.spec\.aggregationLength maximum$/,
    side: 'ours',
    reason: 'MetalLB: "invalid aggregation length" above 32',
  },
  {
    key: /^BGPAdvertisement v1beta1 \.spec\.aggregationLengthV6 (minimum|maximum)$/,
    side: 'ours',
    reason: 'MetalLB: "invalid aggregation length" above 128; a length is not negative',
  },
  {
    key: /^BGPAdvertisement v1beta1 \.spec\.localPref (minimum|maximum)$/,
    side: 'ours',
    reason: "LOCAL_PREF is unsigned; MetalLB's format int32 (enforced by API servers) caps it at 2147483647",
  },
  // Defaults MetalLB applies in Go; ours are in the CRD, so the API server stores what the speaker uses.
  {
    key: /^BFDProfile v1beta1 \.spec\.\w+ default$/,
    side: 'ours',
    reason: "MetalLB's BFD defaults (300/300/3, echo 50, minimumTtl 254, modes off), applied in its code",
  },
  {
    key: /^BGPPeer v1beta1 \.spec\.peerPort default$/,
    side: 'ours',
    reason:
      'conversion None: a v1beta1 peer reads back with the storage version default 179 (README: Storage version and conversion)',
  },
  // Requirements MetalLB checks in Go.
  {
    key: /^BGPPeer v1beta[12] \.spec required$/,
    side: 'ours',
    reason: 'a peer without spec has no myASN, which MetalLB refuses ("missing local ASN")',
  },
  {
    key: /^Community v1beta1 \.spec\.communities\[\]\.(name|value) required$/,
    side: 'ours',
    reason:
      'MetalLB refuses an alias without a value ("parsing community"); one without a name (Go: "") can never be referenced',
  },
  {
    key: /^Community v1beta1 \.spec\.communities\[\]\.name minLength$/,
    side: 'ours',
    reason: 'an alias named "" can never be referenced (MetalLB accepts it and nothing can use it)',
  },
  {
    key: /^IPAddressPool v1beta1 \.spec\.addresses minItems$/,
    side: 'ours',
    reason: 'a pool without addresses allocates nothing; MetalLB refuses it ("pool has no prefixes defined")',
  },
];

/** Whether `d` is allowed, and by which entry. */
export function allowedBy(d: CrdDifference): AllowedDifference | undefined {
  const side = d.theirs === undefined ? 'ours' : d.ours === undefined ? 'theirs' : 'both';
  return ALLOWED_DIFFERENCES.find((a) => a.side === side && a.key.test(d.key));
}
