// Adj-RIB-Out: desired routes per family, the difference to what the peer holds, attribute interning
// and export policy (eBGP/iBGP attributes, next hop).
export { AdjRibOut, type AnnounceGroup, type PrefixNormalizer, type RibChanges } from './adj-rib-out.ts';
export {
  type AttributeSet,
  AttributeTable,
  attributeKey,
  communityValue,
  largeCommunityValue,
  type NormalizedAttributes,
  normalizeAttributes,
  type RouteAttributes,
} from './attributes.ts';
export {
  type ExportContext,
  type ExportedAttributes,
  type ExportResult,
  exportAttributes,
} from './export.ts';
export { canonicalPrefix } from './prefixes.ts';
