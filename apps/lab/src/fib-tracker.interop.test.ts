// The FIB tracker at the scale the benchmark needs: 20,000 host routes installed at once (one
// `ip -batch`, as fast as the kernel takes them, while ip monitor is stopped) in a namespace this
// test creates, every one seen by the tracker with no message lost (no overflow of ip monitor's
// netlink socket, so no route timed at a re-read of the FIB), and all of them seen leaving again.
import fs from 'node:fs';
import { Lab, labSkipReason } from '@bmlb/netlab';
import { afterEach, describe, expect, it } from 'vitest';
import { FibTracker, rmemMaxRaised } from './fib-tracker.ts';

const skip = labSkipReason();
const N = 20_000;

/** 10.128.0.0/15's first `n` addresses after the network, as host routes' destinations. */
function hosts(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `10.${128 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`);
}

describe.skipIf(skip)('FibTracker (real kernel)', () => {
  let lab: Lab | undefined;
  afterEach(async () => {
    await lab?.close();
    lab = undefined;
  });

  it(`sees ${N.toLocaleString('en-US')} host routes added and deleted at once, none lost`, async () => {
    lab = await Lab.create({ prefix: 'fbt' });
    const r = await lab.namespace('r');
    const h = await lab.namespace('h');
    await lab.link(r, h, { aName: 'd0', bName: 'eth0', aAddrs: ['10.95.0.1/24'], bAddrs: ['10.95.0.2/24'] });
    const rmemMax = fs.readFileSync('/proc/sys/net/core/rmem_max', 'utf8');
    const t = await FibTracker.start(r);
    try {
      const dsts = hosts(N);
      const t0 = Date.now();
      // ip monitor stopped (SIGSTOP) while they are added: every notification waits in its socket's
      // receive buffer, as when it or this process is not scheduled on a loaded machine.
      process.kill(t.monitor.proc.pid, 'SIGSTOP');
      try {
        await r.exec(['ip', '-batch', '-'], {
          input: dsts.map((d) => `route add ${d}/32 via 10.95.0.2 dev d0\n`).join(''),
          timeoutMs: 60_000,
        });
      } finally {
        process.kill(t.monitor.proc.pid, 'SIGCONT');
      }
      const added = await t.when(
        dsts.map((dst) => ({ dst, since: t0 })),
        (g) => g?.join() === '10.95.0.2',
        60_000,
      );
      const t1 = Date.now();
      await r.exec(['ip', '-batch', '-'], {
        input: dsts.map((d) => `route del ${d}/32\n`).join(''),
        timeoutMs: 60_000,
      });
      const gone = await t.when(
        dsts.map((dst) => ({ dst, since: t1 })),
        (g) => g === undefined,
        60_000,
      );
      expect({ overflows: t.overflows, resyncs: t.resyncs }).toEqual({ overflows: 0, resyncs: 0 });
      // Each route's history: from the message that added it and the one that deleted it, stamped
      // by ip as it read them (not at a re-read of the FIB after a loss).
      for (const [i, dst] of dsts.entries()) {
        expect(
          t.history(dst).map((c) => c.gateways?.join() ?? '-'),
          dst,
        ).toEqual(['10.95.0.2', '-']);
        expect(added[i]).toBeGreaterThanOrEqual(t0 - 1);
        expect(gone[i]).toBeGreaterThanOrEqual(t1 - 1);
      }
      const raised = rmemMaxRaised();
      process.stdout.write(
        `  FibTracker: ip monitor's receive buffer ${t.receiveBuffer ?? '?'} bytes${raised === undefined ? '' : ` (net.core.rmem_max raised from ${raised.original} to ${raised.value} while it ran)`}\n`,
      );
    } finally {
      await t.stop();
    }
    // A raised net.core.rmem_max is put back once the last tracker stops.
    expect(rmemMaxRaised()).toBeUndefined();
    expect(fs.readFileSync('/proc/sys/net/core/rmem_max', 'utf8')).toBe(rmemMax);
  }, 180_000);
});
