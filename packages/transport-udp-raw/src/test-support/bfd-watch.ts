// Watches BFD control packets arriving in this network namespace without binding their port: a raw
// IPv4 UDP socket (raw-socket) gets a copy of every UDP datagram with its IP header. Prints one JSON
// line per BFD packet to UDP 3784/4784: {"t", "src", "ttl", "state", "diag"} (t: epoch ms).
//   node --conditions=@bmlb/source bfd-watch.ts
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

interface RawSocket {
  on(event: 'message', listener: (buffer: Buffer, source: string) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
}
interface RawSocketModule {
  createSocket(options: { protocol: number; addressFamily?: number }): RawSocket;
  Protocol: { UDP: number };
}

const raw = createRequire(import.meta.url)('raw-socket') as RawSocketModule;
const socket = raw.createSocket({ protocol: raw.Protocol.UDP });
socket.on('error', (err) => {
  process.stderr.write(`raw socket: ${err.message}\n`);
  process.exit(1);
});
socket.on('message', (b, source) => {
  const ihl = ((b[0] ?? 0) & 0x0f) * 4;
  const port = b.readUInt16BE(ihl + 2);
  if (port !== 3784 && port !== 4784) return;
  const bfd = ihl + 8;
  if (b.length < bfd + 24) return;
  const state = ['AdminDown', 'Down', 'Init', 'Up'][(b[bfd + 1] ?? 0) >> 6];
  const t = performance.timeOrigin + performance.now();
  process.stdout.write(
    `${JSON.stringify({ t, src: source, port, ttl: b[8], state, diag: (b[bfd] ?? 0) & 0x1f })}\n`,
  );
});
process.stdout.write(
  `${JSON.stringify({ event: 'ready', t: performance.timeOrigin + performance.now() })}\n`,
);
// raw-socket's handle is weak: keep the socket reachable and the process alive until killed.
const keep = setInterval(() => socket, 1 << 30);
process.on('SIGTERM', () => {
  clearInterval(keep);
  process.exit(0);
});
