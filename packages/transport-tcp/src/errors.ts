/** Why a connection could not be made or was lost, as the session's ConnectRetry logic needs it. */
export type TransportErrorKind =
  /** The peer answered with a RST: nothing listens, or it refused us (ECONNREFUSED). */
  | 'refused'
  /** No answer within the connect timeout (a firewall, a wrong address, TCP MD5 or TTL mismatch). */
  | 'timeout'
  /** The connection was reset (ECONNRESET, EPIPE). */
  | 'reset'
  /** No route to the peer or its network (ENETUNREACH, EHOSTUNREACH). */
  | 'unreachable'
  /** The local address could not be used (EADDRNOTAVAIL: not on this host; EADDRINUSE). */
  | 'local-address'
  /** The attempt was cancelled by the caller. */
  | 'aborted'
  | 'other';

const KIND_BY_CODE: Record<string, TransportErrorKind> = {
  ECONNREFUSED: 'refused',
  ETIMEDOUT: 'timeout',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  ENETUNREACH: 'unreachable',
  EHOSTUNREACH: 'unreachable',
  ENETDOWN: 'unreachable',
  EHOSTDOWN: 'unreachable',
  EADDRNOTAVAIL: 'local-address',
  EADDRINUSE: 'local-address',
  ABORT_ERR: 'aborted',
};

/**
 * A transport failure naming the peer and the local address, typed by `kind` so a caller can
 * decide (every kind is retried by ConnectRetry; `local-address` is worth a louder log line).
 */
export class BgpTransportError extends Error {
  readonly kind: TransportErrorKind;
  /** `address:port` (IPv6 in brackets) of the peer. */
  readonly peer: string;
  /** Local `address:port`, or the address we tried to bind, when known. */
  readonly local: string | undefined;
  /** errno name when one caused it (`ECONNREFUSED`, …). */
  readonly code: string | undefined;
  constructor(
    op: string,
    kind: TransportErrorKind,
    peer: string,
    local: string | undefined,
    code: string | undefined,
    detail?: string,
    cause?: unknown,
  ) {
    const from = local ? ` from ${local}` : '';
    super(
      `BGP ${op} ${peer}${from}: ${describe(kind)}${code ? ` (${code})` : ''}${detail ? `: ${detail}` : ''}`,
      {
        cause,
      },
    );
    this.name = 'BgpTransportError';
    this.kind = kind;
    this.peer = peer;
    this.local = local;
    this.code = code;
  }
}

function describe(kind: TransportErrorKind): string {
  switch (kind) {
    case 'refused':
      return 'connection refused';
    case 'timeout':
      return 'timed out';
    case 'reset':
      return 'connection reset';
    case 'unreachable':
      return 'unreachable';
    case 'local-address':
      return 'local address unusable';
    case 'aborted':
      return 'aborted';
    default:
      return 'failed';
  }
}

/** `addr:port`, with brackets for IPv6. */
export function hostPort(address: string, port: number | undefined): string {
  const a = address.includes(':') ? `[${address}]` : address;
  return port === undefined ? a : `${a}:${port}`;
}

/** Turn a Node or libc error into a BgpTransportError for `op` ('connect to', 'connection with'). */
export function classifyError(
  err: unknown,
  op: string,
  peer: string,
  local: string | undefined,
): BgpTransportError {
  if (err instanceof BgpTransportError) return err;
  const code = (err as { code?: unknown })?.code;
  const c = typeof code === 'string' ? code : undefined;
  const kind = (c && KIND_BY_CODE[c]) || 'other';
  return new BgpTransportError(
    op,
    kind,
    peer,
    local,
    c,
    kind === 'other' ? (err as Error)?.message : undefined,
    err,
  );
}
