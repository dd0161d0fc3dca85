// A BFD speaker in its own process, for the interop tests and the benchmark: run it (in a network
// namespace) as
//   node --conditions=@bmlb/source bfd-peer.ts CONFIG.json
// CONFIG: { sessions: BfdSessionConfig[], control?: "/path/to/unix.sock", statsMs?: number,
//           quiet?: boolean, driver?: { singleHopPort?, multihopPort?, peerPorts?, recvBufferSize? } }
// stdout: one JSON object a line: {"event":"ready"}, {"event":"up"|"down"|"state"|"warning", ...,
// "t": epoch ms}, and with statsMs {"event":"stats", cpu, up, downs, counters}. With `quiet` only
// down events (and ready / stats) are printed.
// The control socket takes one JSON command a line and answers one JSON line:
//   {"op":"setProfile","key","profile"} {"op":"setAdminDown","key","down"} {"op":"info","key"}
//   {"op":"counters"} {"op":"exit"}
import fs from 'node:fs';
import net from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { BfdSessionConfig } from '@bmlb/bfd-core';
import { BfdDriver, type BfdDriverOptions } from '../driver.ts';

interface PeerConfig {
  sessions: BfdSessionConfig[];
  control?: string;
  statsMs?: number;
  quiet?: boolean;
  driver?: Pick<
    BfdDriverOptions,
    'singleHopPort' | 'multihopPort' | 'recvBufferSize' | 'peerPorts' | 'wildcardListeners' | 'reuseAddr'
  >;
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: bfd-peer.ts CONFIG.json\n');
  process.exit(2);
}
const config = JSON.parse(fs.readFileSync(file, 'utf8')) as PeerConfig;
const epoch = () => performance.timeOrigin + performance.now();
const print = (o: object) => process.stdout.write(`${JSON.stringify({ ...o, t: epoch() })}\n`);

const driver = new BfdDriver({ ...config.driver });
const up = new Set<string>();
let downs = 0;
let failures = 0;
driver.on('up', (e) => {
  up.add(e.sessionKey);
  if (!config.quiet) print({ event: 'up', sessionKey: e.sessionKey });
});
driver.on('down', (e) => {
  up.delete(e.sessionKey);
  downs++;
  if (e.failure) failures++;
  print({ event: 'down', ...e });
});
driver.on('state', (e) => {
  if (!config.quiet) print({ event: 'state', ...e });
});
driver.on('warning', (e) => print({ event: 'warning', ...e }));
driver.on('socketError', (e) => {
  if (!config.quiet) print({ event: 'socketError', sessionKey: e.sessionKey, message: e.error.message });
});

for (const s of config.sessions) driver.addSession(s);

/** Voluntary + involuntary context switches of this process so far (Linux). */
function contextSwitches(): number {
  try {
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    let n = 0;
    for (const m of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)$/gm)) n += Number(m[1]);
    return n;
  } catch {
    return 0;
  }
}

if (config.statsMs) {
  let last = process.cpuUsage();
  let lastAt = performance.now();
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  setInterval(() => {
    const cpu = process.cpuUsage(last);
    const now = performance.now();
    const c = driver.counters();
    print({
      event: 'stats',
      cpuPercent: ((cpu.user + cpu.system) / 1000 / (now - lastAt)) * 100,
      userPercent: (cpu.user / 1000 / (now - lastAt)) * 100,
      loopDelayMaxMs: lag.max / 1e6,
      loopDelayP99Ms: lag.percentile(99) / 1e6,
      contextSwitches: contextSwitches(),
      up: up.size,
      downs,
      failures,
      packetsIn: c.packetsIn,
      packetsOut: c.packetsOut,
      ttlDropped: c.ttlDropped,
      timerWakeups: c.timerWakeups,
      lateTimers: c.lateTimers,
      sendErrors: c.sendErrors,
      discarded: Object.values(c.discarded).reduce((a, b) => a + b, 0),
    });
    last = process.cpuUsage();
    lastAt = now;
    lag.reset();
  }, config.statsMs);
}

if (config.control) {
  fs.rmSync(config.control, { force: true });
  net
    .createServer((conn) => {
      let buf = '';
      conn.on('data', (chunk) => {
        buf += chunk.toString('utf8');
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          let reply: unknown;
          try {
            const cmd = JSON.parse(line) as { op: string; key: string; profile?: object; down?: boolean };
            if (cmd.op === 'setProfile') driver.setProfile(cmd.key, cmd.profile ?? {});
            else if (cmd.op === 'setAdminDown') driver.setAdminDown(cmd.key, cmd.down ?? true);
            else if (cmd.op === 'info') reply = driver.sessionInfo(cmd.key);
            else if (cmd.op === 'counters') reply = driver.counters();
            else if (cmd.op === 'exit') {
              driver.close();
              setImmediate(() => process.exit(0));
            } else throw new Error(`unknown op ${JSON.stringify(cmd.op)}`);
            conn.write(`${JSON.stringify({ ok: true, reply })}\n`);
          } catch (err) {
            conn.write(`${JSON.stringify({ ok: false, error: String(err) })}\n`);
          }
        }
      });
    })
    .listen(config.control, () => print({ event: 'ready' }));
} else {
  print({ event: 'ready' });
}
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    driver.close();
    process.exit(0);
  });
}
