// BGP-4 message codec: framing, decoding with RFC 4271 §6 / RFC 7606 error handling, encoding,
// UPDATE packing, NOTIFICATION helpers, AS4 and community helpers.
export {
  type AsPathMergeResult,
  asPathLength,
  hasFourOctetAsn,
  mergeAs4Path,
  prependAs,
  reconstructAs4,
  toTwoOctetAsPath,
} from './as4.ts';
export {
  decodeExtendedCommunity,
  type ExtendedCommunityInfo,
  formatCommunity,
  formatLargeCommunity,
  linkBandwidth,
  parseCommunity,
  parseLargeCommunity,
  routeTarget,
  routeTargetIPv4,
} from './communities.ts';
export { decodeMessage, MessageReader } from './decode.ts';
export {
  encodeEndOfRib,
  encodeKeepalive,
  encodeMessage,
  forwardableUnknownAttributes,
  isEndOfRib,
} from './encode.ts';
export {
  adminReset,
  adminShutdown,
  decodeShutdownCommunication,
  describeNotification,
  encodeShutdownCommunication,
  notification,
} from './notification.ts';
export { packUpdates } from './pack.ts';
export type { AttributeIssue, PackInput, ReadResult } from './types.ts';
