// RFC 5880 protocol constants: session states (§4.1 Sta), diagnostic codes (§4.1 Diag) and
// authentication types (§4.1 Auth Type), as `as const` objects with name lookups.

/** Session state as carried in the Sta field (RFC 5880 §4.1). */
export const BfdState = {
  AdminDown: 0,
  Down: 1,
  Init: 2,
  Up: 3,
} as const;
export type BfdStateCode = (typeof BfdState)[keyof typeof BfdState];
export type BfdStateName = keyof typeof BfdState;

const STATE_NAMES: readonly BfdStateName[] = ['AdminDown', 'Down', 'Init', 'Up'];

/** The name of a state code (`'Up'` for 3). */
export function bfdStateName(state: number): BfdStateName {
  return STATE_NAMES[state & 3] as BfdStateName;
}

/** Diagnostic codes (RFC 5880 §4.1 Diag); 9–31 are reserved. */
export const BfdDiag = {
  None: 0,
  ControlDetectionTimeExpired: 1,
  EchoFunctionFailed: 2,
  NeighborSignaledSessionDown: 3,
  ForwardingPlaneReset: 4,
  PathDown: 5,
  ConcatenatedPathDown: 6,
  AdministrativelyDown: 7,
  ReverseConcatenatedPathDown: 8,
} as const;
export type BfdDiagCode = number;

const DIAG_TEXT: readonly string[] = [
  'No Diagnostic',
  'Control Detection Time Expired',
  'Echo Function Failed',
  'Neighbor Signaled Session Down',
  'Forwarding Plane Reset',
  'Path Down',
  'Concatenated Path Down',
  'Administratively Down',
  'Reverse Concatenated Path Down',
];

/** Human-readable text of a diagnostic code (`'Control Detection Time Expired'` for 1). */
export function bfdDiagText(diag: number): string {
  return DIAG_TEXT[diag] ?? `Reserved (${diag})`;
}

/** Authentication types (RFC 5880 §4.1 Auth Type). */
export const BfdAuthType = {
  SimplePassword: 1,
  KeyedMd5: 2,
  MeticulousKeyedMd5: 3,
  KeyedSha1: 4,
  MeticulousKeyedSha1: 5,
} as const;
export type BfdAuthTypeCode = (typeof BfdAuthType)[keyof typeof BfdAuthType];

/** Length of the mandatory section (RFC 5880 §4.1). */
export const BFD_HEADER_LENGTH = 24;
/** Auth Len of keyed / meticulous keyed MD5 (§4.3). */
export const BFD_MD5_AUTH_LENGTH = 24;
/** Auth Len of keyed / meticulous keyed SHA1 (§4.4). */
export const BFD_SHA1_AUTH_LENGTH = 28;
/** The largest control packet we can produce: header plus a SHA1 section. */
export const BFD_MAX_PACKET_LENGTH = BFD_HEADER_LENGTH + BFD_SHA1_AUTH_LENGTH;
/** UDP destination ports (RFC 5881 §4, RFC 5883 §5). */
export const BFD_SINGLE_HOP_PORT = 3784;
export const BFD_MULTI_HOP_PORT = 4784;
