import net from 'node:net';
import { addressFamily } from './address.ts';
import { BgpTransportError, classifyError, hostPort } from './errors.ts';
import { bindFd, closeFd, tcpSocket } from './native.ts';
import { md5KeyBytes, setPeerMd5, setTtl } from './sockopt.ts';

export const BGP_PORT = 179;

export interface ConnectOptions {
  /** Peer address (IPv4 or IPv6 literal; `fe80::1%eth0` for link-local). */
  host: string;
  /** Default 179. */
  port?: number;
  /** Source address to bind (must be on this host). Default: chosen by the kernel. */
  localAddress?: string;
  /** Source port; default 0 (any). */
  localPort?: number;
  /** Give up after this many ms (default 10 s): a TCP MD5 or TTL mismatch shows up as a timeout. */
  timeoutMs?: number;
  /** TCP MD5 signature key (RFC 2385), at most 80 bytes. */
  md5Key?: string | Uint8Array;
  /** TTL / hop limit for every segment, SYN included (see bgpTtl). */
  ttl?: number;
  /** Minimum TTL accepted (GTSM, RFC 5082). */
  minTtl?: number;
  signal?: AbortSignal;
}

/**
 * Open a BGP TCP connection. With a key, a TTL or a minimum TTL the socket is made with libc
 * `socket()`, configured and bound before the SYN goes out, then handed to node:net. The socket
 * comes back connected, with TCP_NODELAY on and SO_KEEPALIVE off (BGP has its own keepalives).
 * Failures reject with a BgpTransportError naming the peer and local address.
 */
export function connectBgp(opts: ConnectOptions): Promise<net.Socket> {
  try {
    return start(opts);
  } catch (err) {
    return Promise.reject(err);
  }
}

function start(opts: ConnectOptions): Promise<net.Socket> {
  const port = opts.port ?? BGP_PORT;
  const peer = hostPort(opts.host, port);
  const localText = opts.localAddress ? hostPort(opts.localAddress, opts.localPort || undefined) : undefined;
  const family = addressFamily(opts.host);
  if (opts.localAddress !== undefined && addressFamily(opts.localAddress) !== family)
    return Promise.reject(
      new RangeError(`connect to ${peer}: local address ${opts.localAddress} is not of the peer's family`),
    );
  if (opts.signal?.aborted)
    return Promise.reject(new BgpTransportError('connect to', 'aborted', peer, localText, undefined));
  const native = opts.md5Key !== undefined || opts.ttl !== undefined || opts.minTtl !== undefined;

  let socket: net.Socket;
  if (native) {
    const fd = tcpSocket(family);
    try {
      if (opts.md5Key !== undefined && md5KeyBytes(opts.md5Key).length > 0)
        setPeerMd5(fd, family, opts.host, opts.md5Key);
      setTtl(fd, family, opts.ttl, opts.minTtl);
      if (opts.localAddress !== undefined || opts.localPort)
        bindFd(fd, opts.localAddress ?? (family === 4 ? '0.0.0.0' : '::'), opts.localPort ?? 0);
    } catch (err) {
      closeFd(fd);
      if (err instanceof RangeError) return Promise.reject(err);
      return Promise.reject(classifyError(err, 'connect to', peer, localText));
    }
    socket = new net.Socket({ fd });
    socket.connect({ host: opts.host, port });
  } else {
    socket = net.connect({
      host: opts.host,
      port,
      localAddress: opts.localAddress,
      localPort: opts.localPort || undefined,
      family,
    });
  }

  return new Promise((resolve, reject) => {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const fail = (err: BgpTransportError) => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onError = (err: Error) => fail(classifyError(err, 'connect to', peer, localText));
    const onAbort = () => fail(new BgpTransportError('connect to', 'aborted', peer, localText, undefined));
    const timer = setTimeout(
      () =>
        fail(
          new BgpTransportError(
            'connect to',
            'timeout',
            peer,
            localText,
            undefined,
            `no answer within ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('error', onError);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    socket.once('error', onError);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      cleanup();
      socket.setNoDelay(true);
      socket.setKeepAlive(false);
      resolve(socket);
    });
  });
}
