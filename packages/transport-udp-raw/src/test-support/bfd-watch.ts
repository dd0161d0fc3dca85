// Watches BFD control packets arriving in this network namespace without binding their port:
// tcpdump (Debian's `tcpdump`; no native addon) copies every inbound IPv4 UDP datagram to BFD's
// ports, IP header included, with the kernel's receive time. Prints one JSON line per BFD packet:
// {"t", "src", "port", "ttl", "state", "diag"} (t: epoch ms, as the kernel stamped the packet).
//   node --conditions=@bmlb/source bfd-watch.ts
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

const TCPDUMP = ['/usr/bin/tcpdump', '/usr/sbin/tcpdump'].find((path) => existsSync(path));
if (!TCPDUMP) {
  process.stderr.write(
    'bfd-watch: tcpdump not found in /usr/bin or /usr/sbin (Debian package `tcpdump`; .ci/run installs it)\n',
  );
  process.exit(1);
}

// -tt: epoch seconds with microseconds; -x: each packet from its IP header on, in hex;
// --immediate-mode: deliver each packet at once (no batching); -Q in: received, as a raw socket sees.
// setpriv (util-linux) gives tcpdump a parent-death signal, so it ends with us even on SIGKILL; -Z
// root keeps tcpdump from switching user, which would clear that signal.
const tcpdump = spawn(
  '/usr/bin/setpriv',
  [
    '--pdeathsig',
    'TERM',
    '--',
    TCPDUMP,
    '-Z',
    'root',
    '-l',
    '-n',
    '-tt',
    '-x',
    '--immediate-mode',
    '-Q',
    'in',
    '-i',
    'any',
    'ip and udp and (dst port 3784 or dst port 4784)',
  ],
  { stdio: ['ignore', 'pipe', 'pipe'] },
);
tcpdump.on('error', (err) => {
  process.stderr.write(`bfd-watch: tcpdump: ${err.message}\n`);
  process.exit(1);
});
tcpdump.on('exit', (code, signal) => {
  process.stderr.write(`bfd-watch: tcpdump exited (${signal ?? code})\n`);
  process.exit(1);
});

let ready = false;
createInterface({ input: tcpdump.stderr }).on('line', (line) => {
  if (!ready && line.startsWith('listening on')) {
    ready = true;
    process.stdout.write(
      `${JSON.stringify({ event: 'ready', t: performance.timeOrigin + performance.now() })}\n`,
    );
  } else if (!line.startsWith('listening on')) {
    process.stderr.write(`${line}\n`);
  }
});

/** One captured IPv4 packet (from its IP header on) with its kernel timestamp. */
function report(t: number, b: Buffer): void {
  const ihl = ((b[0] ?? 0) & 0x0f) * 4;
  if (b.length < ihl + 8) return;
  const port = b.readUInt16BE(ihl + 2);
  if (port !== 3784 && port !== 4784) return;
  const bfd = ihl + 8;
  if (b.length < bfd + 24) return;
  const state = ['AdminDown', 'Down', 'Init', 'Up'][(b[bfd + 1] ?? 0) >> 6];
  const src = `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  process.stdout.write(`${JSON.stringify({ t, src, port, ttl: b[8], state, diag: (b[bfd] ?? 0) & 0x1f })}\n`);
}

// A packet is a header line ("1733350000.123456 veth0 In IP ...") followed by hex lines
// ("\t0x0000:  45c0 0034 ..."); it is complete when its IP total length has arrived.
let stamp = 0;
let hex = '';
createInterface({ input: tcpdump.stdout }).on('line', (line) => {
  const header = /^(\d+)\.(\d{6})\s/.exec(line);
  if (header) {
    stamp = Number(header[1]) * 1000 + Number(header[2]) / 1000;
    hex = '';
    return;
  }
  const data = /^\s+0x[0-9a-f]+:\s+(.*)$/.exec(line);
  if (!data) return;
  hex += (data[1] ?? '').replace(/\s+/g, '');
  const total = hex.length >= 8 ? Number.parseInt(hex.slice(4, 8), 16) : Number.POSITIVE_INFINITY;
  if (hex.length >= total * 2) {
    report(stamp, Buffer.from(hex.slice(0, total * 2), 'hex'));
    hex = '';
  }
});

process.on('SIGTERM', () => {
  tcpdump.removeAllListeners('exit');
  tcpdump.kill('SIGTERM');
  process.exit(0);
});
