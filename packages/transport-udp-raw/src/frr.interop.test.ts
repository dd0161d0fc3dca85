// Interop with FRR's bfdd (Debian frr 8.4) in network namespaces: our driver runs as a child process
// in one namespace, FRR in the other, the seed manifest's profile (300 ms × 3) on both sides.

import { fileURLToPath } from 'node:url';
import { BfdDiag } from '@bmlb/bfd-core';
import { type FrrInstance, Lab, labSkipReason, type Namespace, waitFor } from '@bmlb/netlab';
import { describe, expect, it } from 'vitest';
import { type PeerEvent, PeerProcess } from './test-support/peer-process.ts';

const WATCH_SCRIPT = fileURLToPath(new URL('./test-support/bfd-watch.ts', import.meta.url));

interface Watched {
  t: number;
  src: string;
  port: number;
  ttl: number;
  state: string;
  diag: number;
}

const skip = labSkipReason({ frr: true });
const profile = { receiveInterval: 300, transmitInterval: 300, detectMultiplier: 3 };
const DETECTION_MS = 900;
/** Scheduling, vtysh and polling slack on top of a detection time. */
const SLACK_MS = 400;

interface FrrPeer {
  peer: string;
  multihop: boolean;
  status: string;
  diagnostic: string;
  'remote-diagnostic': string;
  'remote-receive-interval': number;
  'remote-transmit-interval': number;
  'remote-detect-multiplier': number;
}

async function frrPeer(frr: FrrInstance, address: string, multihop = false): Promise<FrrPeer | undefined> {
  const peers = (await frr.bfdPeers()) as unknown as FrrPeer[];
  return peers.find((p) => p.peer === address && p.multihop === multihop);
}

/** Polls FRR until the peer's status is `status`; returns when it was first seen (epoch ms). */
async function frrSees(
  frr: FrrInstance,
  address: string,
  status: string,
  timeoutMs = 10_000,
  multihop = false,
): Promise<number> {
  return waitFor(
    async () => {
      const p = await frrPeer(frr, address, multihop);
      return p?.status === status ? Date.now() : undefined;
    },
    { timeoutMs, intervalMs: 5, what: `FRR: BFD peer ${address} ${status}` },
  );
}

/**
 * Polls FRR until the peer leaves Up; the change happened between the start of the last poll that
 * still said up and the end of the first that did not: returns that window (epoch ms).
 */
async function frrLeavesUp(frr: FrrInstance, address: string, timeoutMs = 10_000): Promise<[number, number]> {
  let lastUpStart = Date.now();
  const end = lastUpStart + timeoutMs;
  for (;;) {
    const start = Date.now();
    const p = await frrPeer(frr, address);
    if (p?.status === 'up') lastUpStart = start;
    else return [lastUpStart, Date.now()];
    if (Date.now() > end) throw new Error(`FRR: BFD peer ${address} still up after ${timeoutMs} ms`);
  }
}

async function lab() {
  const l = await Lab.create({ prefix: 'bfdt' });
  const tor = await l.namespace('tor');
  const node = await l.namespace('node');
  await l.link(tor, node, {
    aAddrs: ['10.0.0.1/24', 'fd00:bfd::1/64'],
    bAddrs: ['10.0.0.2/24', 'fd00:bfd::2/64'],
  });
  const frr = await l.frr(tor, {
    daemons: ['zebra', 'bfdd'],
    config: `frr defaults datacenter
debug bfd peer
bfd
 profile tor
  receive-interval 300
  transmit-interval 300
  detect-multiplier 3
 !
 peer 10.0.0.2 local-address 10.0.0.1 interface eth-node
  profile tor
 !
 peer fd00:bfd::2 local-address fd00:bfd::1 interface eth-node
  profile tor
 !
 peer 10.0.0.2 multihop local-address 10.0.0.1
  profile tor
 !
!
`,
  });
  return { lab: l, tor, node, frr };
}

function startOurs(l: Lab, node: Namespace, name: string) {
  return PeerProcess.start(l, node, name, [
    { key: 'tor4', localAddress: '10.0.0.2', remoteAddress: '10.0.0.1', interface: 'eth-tor', profile },
    { key: 'tor6', localAddress: 'fd00:bfd::2', remoteAddress: 'fd00:bfd::1', interface: 'eth-tor', profile },
    { key: 'mh4', localAddress: '10.0.0.2', remoteAddress: '10.0.0.1', multihop: true, profile },
  ]);
}

/**
 * Until both sides run the profile's timers: right after Up each side still advertises the 1 s
 * "not Up" rate until its Poll sequence completes, and a detection time measured then is 3 s.
 */
async function negotiated(ours: PeerProcess, frr: FrrInstance): Promise<void> {
  for (const [key, address] of [
    ['tor4', '10.0.0.2'],
    ['tor6', 'fd00:bfd::2'],
  ] as const) {
    await waitFor(
      async () => {
        const info = await ours.command<{ detectionTime: number; pollActive: boolean }>({ op: 'info', key });
        const p = await frrPeer(frr, address);
        return (
          (info.detectionTime === DETECTION_MS * 1000 &&
            !info.pollActive &&
            p?.['remote-transmit-interval'] === 300) ||
          undefined
        );
      },
      { timeoutMs: 10_000, intervalMs: 50, what: `${key}: 300 ms × 3 in use on both sides` },
    );
  }
}

const isUp = (key: string) => (e: PeerEvent) => e.event === 'up' && e.sessionKey === key;
const isDown = (key: string) => (e: PeerEvent) => e.event === 'down' && e.sessionKey === key;

describe.skipIf(skip)('interop with FRR bfdd', () => {
  it('comes Up (IPv4, IPv6, multihop), renegotiates timers, sees FRR shut down and killed, is seen killed', async () => {
    const { lab: l, node, frr } = await lab();
    try {
      // FRR's packets as they arrive in our namespace (raw IPv4 socket): when FRR declares a session
      // down it sends a Down packet at once, which dates its detection precisely.
      const watch = l.spawn(node, [process.execPath, '--conditions=@bmlb/source', WATCH_SCRIPT], {
        name: 'watch',
      });
      await watch.waitForOutput('"event":"ready"', { timeoutMs: 15_000 });
      const watched = (): Watched[] =>
        watch.stdout
          .split('\n')
          .filter((line) => line.startsWith('{"t"'))
          .map((line) => JSON.parse(line) as Watched);
      let ours = await startOurs(l, node, 'ours');
      await ours.waitForEvent(isUp('tor4'));
      await ours.waitForEvent(isUp('tor6'));
      await frrSees(frr, '10.0.0.2', 'up');
      await frrSees(frr, 'fd00:bfd::2', 'up');
      // multihop (RFC 5883, port 4784) on the same addresses: a separate session on both sides
      await ours.waitForEvent(isUp('mh4'));
      await frrSees(frr, '10.0.0.2', 'up', 10_000, true);

      // A timer change on our side reaches FRR after the Poll/Final.
      await ours.command({
        op: 'setProfile',
        key: 'tor4',
        profile: { receiveInterval: 250, transmitInterval: 200, detectMultiplier: 4 },
      });
      const changed = await waitFor(
        async () => {
          const p = await frrPeer(frr, '10.0.0.2');
          return p &&
            p['remote-receive-interval'] === 250 &&
            p['remote-transmit-interval'] === 200 &&
            p['remote-detect-multiplier'] === 4
            ? p
            : undefined;
        },
        { timeoutMs: 5000, intervalMs: 50, what: 'FRR to show our new timers' },
      );
      expect(changed.status).toBe('up');
      const info = await ours.command<{ pollActive: boolean; state: string }>({ op: 'info', key: 'tor4' });
      expect(info).toMatchObject({ pollActive: false, state: 'Up' });
      await ours.command({ op: 'setProfile', key: 'tor4', profile });
      await waitFor(
        async () => (await frrPeer(frr, '10.0.0.2'))?.['remote-transmit-interval'] === 300 || undefined,
        {
          timeoutMs: 5000,
          what: 'FRR to show 300 ms again',
        },
      );

      // FRR shuts its peer down: ours goes Down, "neighbor signaled session down", FRR's diag 7, no failure.
      let mark = ours.events().length;
      const shutAt = Date.now();
      await frr.configure(['bfd', 'peer 10.0.0.2 local-address 10.0.0.1 interface eth-node', 'shutdown']);
      const adminDown = await ours.waitForEvent(isDown('tor4'), mark);
      // RFC 5880 §6.8.6: the peer's state AdminDown takes us Down with diag 3; it is not a failure
      // (RFC 5882 §3.2). FRR 8.4 sends AdminDown with whatever diagnostic it had (0 here: its
      // bfd_set_shutdown does not set diag 7), so the state, not the peer's diag, is what counts.
      expect(adminDown).toMatchObject({
        diag: BfdDiag.NeighborSignaledSessionDown,
        peerAdminDown: true,
        failure: false,
      });
      const frrShut = await frrPeer(frr, '10.0.0.2');
      expect(frrShut?.status).toBe('shutdown');
      const adminDownMs = adminDown.t - shutAt;
      await frr.configure(['bfd', 'peer 10.0.0.2 local-address 10.0.0.1 interface eth-node', 'no shutdown']);
      await ours.waitForEvent(isUp('tor4'), mark);
      await frrSees(frr, '10.0.0.2', 'up');

      // SIGKILL our process: FRR declares both sessions down within its detection time.
      await negotiated(ours, frr);
      const killedAt = Date.now();
      ours.proc.kill('SIGKILL');
      const [seen4, seen6] = await Promise.all([
        frrLeavesUp(frr, '10.0.0.2'),
        frrLeavesUp(frr, 'fd00:bfd::2'),
      ]);
      const frrDetect4 = seen4.map((t) => Math.max(0, t - killedAt));
      const frrDetect6 = seen6.map((t) => Math.max(0, t - killedAt));
      for (const address of ['10.0.0.2', 'fd00:bfd::2']) {
        expect(await frrPeer(frr, address)).toMatchObject({
          status: 'down',
          diagnostic: 'control detection time expired',
        });
      }
      // FRR's Down packet for the single-hop IPv4 session, sent the moment it declared it down
      const frrDown4 = watched().find(
        (w) => w.t > killedAt && w.src === '10.0.0.1' && w.port === 3784 && w.state === 'Down',
      );
      expect(frrDown4).toMatchObject({ diag: BfdDiag.ControlDetectionTimeExpired, ttl: 255 });
      const frrDetect4Exact = (frrDown4?.t ?? Number.NaN) - killedAt;
      expect(frrDetect4Exact).toBeLessThanOrEqual(DETECTION_MS + 50);
      // FRR changed state no later than the end of the window
      expect(frrDetect4[1]).toBeLessThan(DETECTION_MS + SLACK_MS);
      expect(frrDetect6[1]).toBeLessThan(DETECTION_MS + SLACK_MS);
      await ours.proc.exited;

      // Back up with a new process; then kill FRR's bfdd: ours detects it (diag 1, a failure).
      ours = await startOurs(l, node, 'ours2');
      await ours.waitForEvent(isUp('tor4'));
      await ours.waitForEvent(isUp('tor6'));
      await negotiated(ours, frr);
      mark = ours.events().length;
      const bfddKilledAt = Date.now();
      frr.killDaemon('bfdd', 'SIGKILL');
      const lost4 = await ours.waitForEvent(isDown('tor4'), mark);
      const lost6 = await ours.waitForEvent(isDown('tor6'), mark);
      for (const lost of [lost4, lost6]) {
        expect(lost).toMatchObject({
          diag: BfdDiag.ControlDetectionTimeExpired,
          failure: true,
          peerAdminDown: false,
        });
      }
      const oursDetect4 = lost4.t - bfddKilledAt;
      const oursDetect6 = lost6.t - bfddKilledAt;
      expect(oursDetect4).toBeLessThan(DETECTION_MS + SLACK_MS);
      expect(oursDetect6).toBeLessThan(DETECTION_MS + SLACK_MS);

      const counters = await ours.command<{ ttlDropped: number; packetsIn: number }>({ op: 'counters' });
      expect(counters.ttlDropped).toBe(0);
      process.stdout.write(
        [
          'BFD detection times against FRR bfdd 8.4 (profile 300 ms × 3, detection time 900 ms):',
          `  FRR detects our SIGKILL:     IPv4 ${frrDetect4Exact.toFixed(0)} ms (its Down packet seen on the wire); vtysh windows IPv4 ${frrDetect4.join('–')} ms, IPv6 ${frrDetect6.join('–')} ms`,
          `  we detect bfdd's SIGKILL:    IPv4 ${oursDetect4.toFixed(0)} ms, IPv6 ${oursDetect6.toFixed(0)} ms`,
          `  FRR 'shutdown' → our Down:   ${adminDownMs.toFixed(0)} ms after the vtysh command started (our diag ${adminDown.diag}, FRR's diag in the packet ${adminDown.remoteDiag}, FRR shows '${frrShut?.diagnostic}')`,
          '',
        ].join('\n'),
      );
    } finally {
      await l.close();
    }
  }, 90_000);
  it('our AdminDown reaches FRR as AdminDown (its diagnostic: neighbor signaled session down), not as a failure', async () => {
    const { lab: l, node, frr } = await lab();
    try {
      const ours = await startOurs(l, node, 'ours');
      await ours.waitForEvent(isUp('tor6'));
      await frrSees(frr, 'fd00:bfd::2', 'up');
      await negotiated(ours, frr);
      // Our administrative shutdown reaches FRR as AdminDown, not as a failure.
      await ours.command({ op: 'setAdminDown', key: 'tor6', down: true });
      const ourShut = await waitFor(
        async () => {
          const p = await frrPeer(frr, 'fd00:bfd::2');
          return p && p.status !== 'up' ? p : undefined;
        },
        { timeoutMs: 5000, intervalMs: 20, what: 'FRR to see our AdminDown' },
      );
      expect(ourShut).toMatchObject({
        status: 'down',
        diagnostic: 'neighbor signaled session down',
        'remote-diagnostic': 'administratively down',
      });
      await ours.command({ op: 'setAdminDown', key: 'tor6', down: false });
      await frrSees(frr, 'fd00:bfd::2', 'up');
    } finally {
      await l.close();
    }
  }, 60_000);
});
