// NOTIFICATION helpers: construction, RFC 9003 Shutdown Communication, human descriptions.
import {
  CeaseSubcode,
  MAX_SHUTDOWN_COMMUNICATION,
  NotificationCode,
  type NotificationMessage,
} from '../model.ts';
import { utf8DecodeLenient, utf8DecodeStrict, utf8Encode } from '../utf8.ts';

const EMPTY = new Uint8Array(0);

export function notification(code: number, subcode: number, data: Uint8Array = EMPTY): NotificationMessage {
  return { type: 'notification', code, subcode, data };
}

/**
 * RFC 9003 §2: the Shutdown Communication data: one length octet and up to 255 octets of UTF-8.
 * Throws RangeError if the text encodes to more than 255 octets (local misuse; truncate first).
 */
export function encodeShutdownCommunication(text: string): Uint8Array {
  const bytes = utf8Encode(text);
  if (bytes.length > MAX_SHUTDOWN_COMMUNICATION) {
    throw new RangeError(`shutdown communication is ${bytes.length} octets; RFC 9003 allows at most 255`);
  }
  const out = new Uint8Array(1 + bytes.length);
  out[0] = bytes.length;
  out.set(bytes, 1);
  return out;
}

/**
 * Decode the Shutdown Communication of a Cease 6/2 or 6/4 NOTIFICATION's data (RFC 9003 §2).
 * Returns the message, any trailing data, or `undefined` when the data does not hold a valid one
 * (length beyond the data, or invalid UTF-8), which RFC 9003 §4 says to log and otherwise ignore.
 */
export function decodeShutdownCommunication(
  data: Uint8Array,
): { readonly message: string; readonly trailing: Uint8Array } | undefined {
  if (data.length === 0) return undefined;
  const len = data[0] ?? 0;
  if (1 + len > data.length) return undefined;
  const message = utf8DecodeStrict(data, 1, 1 + len);
  if (message === undefined) return undefined;
  return { message, trailing: data.subarray(1 + len) };
}

/** Truncate `text` to at most 255 UTF-8 octets on a character boundary. */
function truncateUtf8(text: string): string {
  let out = text;
  while (utf8Encode(out).length > MAX_SHUTDOWN_COMMUNICATION) out = Array.from(out).slice(0, -1).join('');
  return out;
}

/** Cease / Administrative Shutdown (6/2) with an RFC 9003 message (truncated to 255 octets). */
export function adminShutdown(message = ''): NotificationMessage {
  const data = message === '' ? EMPTY : encodeShutdownCommunication(truncateUtf8(message));
  return notification(NotificationCode.Cease, CeaseSubcode.AdministrativeShutdown, data);
}

/** Cease / Administrative Reset (6/4) with an RFC 9003 message (truncated to 255 octets). */
export function adminReset(message = ''): NotificationMessage {
  const data = message === '' ? EMPTY : encodeShutdownCommunication(truncateUtf8(message));
  return notification(NotificationCode.Cease, CeaseSubcode.AdministrativeReset, data);
}

const CODE_NAMES: Record<number, string> = {
  1: 'Message Header Error',
  2: 'OPEN Message Error',
  3: 'UPDATE Message Error',
  4: 'Hold Timer Expired',
  5: 'Finite State Machine Error',
  6: 'Cease',
  7: 'ROUTE-REFRESH Message Error',
};

const SUBCODE_NAMES: Record<number, Record<number, string>> = {
  1: {
    0: 'Unspecific',
    1: 'Connection Not Synchronized',
    2: 'Bad Message Length',
    3: 'Bad Message Type',
  },
  2: {
    0: 'Unspecific',
    1: 'Unsupported Version Number',
    2: 'Bad Peer AS',
    3: 'Bad BGP Identifier',
    4: 'Unsupported Optional Parameter',
    5: 'Authentication Failure (deprecated)',
    6: 'Unacceptable Hold Time',
    7: 'Unsupported Capability',
    8: 'Grouping Conflict (deprecated)',
    9: 'Grouping Required (deprecated)',
    10: 'Capability Value Mismatch (deprecated)',
    11: 'Role Mismatch',
  },
  3: {
    0: 'Unspecific',
    1: 'Malformed Attribute List',
    2: 'Unrecognized Well-known Attribute',
    3: 'Missing Well-known Attribute',
    4: 'Attribute Flags Error',
    5: 'Attribute Length Error',
    6: 'Invalid ORIGIN Attribute',
    7: 'AS Routing Loop (deprecated)',
    8: 'Invalid NEXT_HOP Attribute',
    9: 'Optional Attribute Error',
    10: 'Invalid Network Field',
    11: 'Malformed AS_PATH',
  },
  4: { 0: 'Unspecific' },
  5: {
    0: 'Unspecified Error',
    1: 'Receive Unexpected Message in OpenSent State',
    2: 'Receive Unexpected Message in OpenConfirm State',
    3: 'Receive Unexpected Message in Established State',
  },
  6: {
    0: 'Unspecific',
    1: 'Maximum Number of Prefixes Reached',
    2: 'Administrative Shutdown',
    3: 'Peer De-configured',
    4: 'Administrative Reset',
    5: 'Connection Rejected',
    6: 'Other Configuration Change',
    7: 'Connection Collision Resolution',
    8: 'Out of Resources',
    9: 'Hard Reset',
    10: 'BFD Down',
  },
  7: { 0: 'Reserved', 1: 'Invalid Message Length' },
};

function hex(data: Uint8Array, max = 64): string {
  let s = '';
  const n = Math.min(data.length, max);
  for (let i = 0; i < n; i++) s += (data[i] ?? 0).toString(16).padStart(2, '0');
  return data.length > max ? `${s}…` : s;
}

/**
 * A one-line human description, e.g. `Cease/Administrative Shutdown (6/2): "maintenance"` or
 * `UPDATE Message Error/Invalid ORIGIN Attribute (3/6), data 40010103`.
 */
export function describeNotification(n: Pick<NotificationMessage, 'code' | 'subcode' | 'data'>): string {
  const code = CODE_NAMES[n.code] ?? `Unknown error code ${n.code}`;
  const sub = SUBCODE_NAMES[n.code]?.[n.subcode] ?? `unknown subcode ${n.subcode}`;
  let s = `${code}/${sub} (${n.code}/${n.subcode})`;
  const d = n.data;
  if (d.length === 0) return s;
  if (n.code === 6 && (n.subcode === 2 || n.subcode === 4)) {
    const sc = decodeShutdownCommunication(d);
    if (sc !== undefined) {
      s += `: "${sc.message}"`;
      return sc.trailing.length > 0 ? `${s}, trailing data ${hex(sc.trailing)}` : s;
    }
    return `${s}, data ${hex(d)} (not a valid shutdown communication: ${JSON.stringify(utf8DecodeLenient(d))})`;
  }
  if (n.code === 6 && n.subcode === 9) {
    // RFC 8538 §3.1: the data is the Cease subcode and data of the reason
    const inner = describeNotification({ code: 6, subcode: d[0] ?? 0, data: d.subarray(1) });
    return `${s}: ${inner.slice(inner.indexOf('/') + 1)}`;
  }
  if (n.code === 6 && n.subcode === 1 && d.length === 7) {
    const afi = ((d[0] ?? 0) << 8) | (d[1] ?? 0);
    const max = (((d[3] ?? 0) << 24) | ((d[4] ?? 0) << 16) | ((d[5] ?? 0) << 8) | (d[6] ?? 0)) >>> 0;
    return `${s}: afi ${afi} safi ${d[2] ?? 0} limit ${max}`;
  }
  return `${s}, data ${hex(d)}`;
}
