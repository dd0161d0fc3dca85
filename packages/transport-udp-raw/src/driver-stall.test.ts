// The driver's answer to a stalled event loop: libuv runs timers before it reads sockets, so after a
// long GC pause or a starved process every detection timer would fire before the packets that did
// arrive meanwhile are seen. The driver reads its listeners first when its timer comes late.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { afterEach, expect, it } from 'vitest';
import { BfdDriver } from './driver.ts';
import { PEER_SCRIPT } from './test-support/peer-process.ts';
import { testPort } from './test-support/udp.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

it('keeps a session Up through a 400 ms stall of its event loop (detection time 150 ms) while the peer kept sending', async () => {
  const ours = testPort();
  const theirs = testPort();
  const profile = { transmitInterval: 50, receiveInterval: 50, detectMultiplier: 3 };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bfd-stall-'));
  const config = path.join(dir, 'peer.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      // the peer sends every ~45 ms but asks us for one packet a second: our stall (which stops our
      // packets too) does not make it declare us down
      sessions: [
        {
          key: 'p',
          localAddress: '127.0.0.2',
          remoteAddress: '127.0.0.1',
          profile: { transmitInterval: 50, receiveInterval: 1000, detectMultiplier: 3 },
        },
      ],
      driver: { singleHopPort: theirs, peerPorts: { singleHop: ours } },
    }),
  );
  const child = spawn(process.execPath, ['--conditions=@bmlb/source', PEER_SCRIPT, config], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(() => {
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const lines: string[] = [];
  readline.createInterface({ input: child.stdout }).on('line', (l) => lines.push(l));

  const d = new BfdDriver({ singleHopPort: ours, peerPorts: { singleHop: theirs } });
  cleanups.push(() => d.close());
  const downs: unknown[] = [];
  d.on('down', (e) => downs.push(e));
  d.addSession({ key: 'x', localAddress: '127.0.0.1', remoteAddress: '127.0.0.2', profile });
  const end = Date.now() + 15_000;
  while (d.sessionInfo('x')?.detectionTime !== 150_000 || d.sessionInfo('x')?.pollActive) {
    if (Date.now() > end)
      throw new Error(
        `session not Up at 50 ms × 3: ${JSON.stringify(d.sessionInfo('x'))}\n${lines.join('\n')}`,
      );
    await new Promise((r) => setTimeout(r, 20));
  }
  const before = d.counters();

  // Stall in the check phase (as a long I/O callback or GC would): the loop's next steps are its
  // timers, then I/O.
  await new Promise<void>((resolve) =>
    setImmediate(() => {
      const stallUntil = performance.now() + 400;
      while (performance.now() < stallUntil) {
        // the event loop is blocked; the peer process keeps sending every ~45 ms
      }
      resolve();
    }),
  );
  await new Promise((r) => setTimeout(r, 100));

  expect(downs).toEqual([]);
  expect(d.sessionInfo('x')?.state).toBe('Up');
  const after = d.counters();
  expect(after.lateTimers).toBeGreaterThan(before.lateTimers);
  expect(after.packetsIn - before.packetsIn).toBeGreaterThanOrEqual(6);
  expect(lines.filter((l) => l.includes('"event":"down"'))).toEqual([]);
}, 30_000);
