import { describe, expect, test } from 'vitest';
import { encodeControlPacket } from './codec.ts';
import { BfdDiag, BfdState } from './constants.ts';
import { BfdEndpoint } from './endpoint.ts';
import { type BfdSession, jitteredIntervalUs } from './session.ts';
import { A_ADDR, B_ADDR, ManualPeer, Network, PEER_DISCR, pair, seededRandom } from './testing/index.ts';
import type { BfdDownEvent, BfdStateEvent } from './types.ts';

const states = (events: { type: string }[]) =>
  (events.filter((e) => e.type === 'state') as BfdStateEvent[]).map((e) => `${e.from}->${e.to}`);
const downs = (events: { type: string }[]) => events.filter((e) => e.type === 'down') as BfdDownEvent[];
const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

describe('RFC 5880 §6.2/§6.8.6 three-way handshake', () => {
  test('§6.2 both sides start together: Down→Init→Up on each', () => {
    const { net, a, b, sa, sb } = pair();
    expect(net.runUntilTrue(() => sa.state === 'Up' && sb.state === 'Up', 10_000)).toBe(true);
    expect(states(a.events)).toEqual(['Down->Init', 'Init->Up']);
    expect(states(b.events)).toEqual(['Down->Init', 'Init->Up']);
    expect(a.events.filter((e) => e.type === 'up')).toHaveLength(1);
    // §6.8.3 during the handshake: packets sent while not Up are at least 750 ms apart (Finals excepted).
    for (const node of [a, b]) {
      const notUp = node.sent
        .filter((s) => s.packet.state !== BfdState.Up && !s.packet.final)
        .map((s) => s.at);
      expect(notUp.length).toBeGreaterThanOrEqual(1);
      for (const g of gaps(notUp)) expect(g).toBeGreaterThanOrEqual(750);
    }
    net.runFor(1000);
    expect(sa.info()).toMatchObject({
      remoteDiscriminator: sb.localDiscriminator,
      remoteState: 'Up',
      localDiag: 0,
    });
  });

  test('§6.8.6 one side late: Down→Init→Up on the first, Down→Up on the second', () => {
    const net = new Network();
    const a = net.addNode('a', A_ADDR, 1);
    const b = net.addNode('b', B_ADDR, 2);
    const sa = net.add(a, { key: 'ab', localAddress: A_ADDR, remoteAddress: B_ADDR });
    net.runFor(3000);
    expect(sa.state).toBe('Down');
    const sb = net.add(b, { key: 'ba', localAddress: B_ADDR, remoteAddress: A_ADDR });
    expect(net.runUntilTrue(() => sa.state === 'Up' && sb.state === 'Up', 10_000)).toBe(true);
    expect(states(a.events)).toEqual(['Down->Init', 'Init->Up']);
    expect(states(b.events)).toEqual(['Down->Up']);
  });

  test('§6.8.6 a Down session ignores a peer that claims Up (needs Down or Init first)', () => {
    const p = new ManualPeer();
    p.send({ state: BfdState.Up, yourDiscriminator: p.session.localDiscriminator });
    expect(p.session.state).toBe('Down');
    expect(p.session.remoteDiscriminator).toBe(PEER_DISCR);
  });

  test('§6.8.6 Init goes Up on Init or Up from the peer', () => {
    for (const st of [BfdState.Init, BfdState.Up] as const) {
      const p = new ManualPeer();
      p.send({ state: BfdState.Down });
      expect(p.session.state).toBe('Init');
      p.send({ state: st });
      expect(p.session.state).toBe('Up');
    }
  });
});

describe('RFC 5880 §6.8.4 detection time', () => {
  test('§6.8.4 peer goes silent: Down with diag 1 exactly one detection time (3 × 300 ms) after its last packet', () => {
    const { net, a, sa, sb } = pair();
    net.runUntilTrue(() => sa.state === 'Up' && sb.state === 'Up');
    net.runFor(5000);
    let lastArrival = 0;
    const silentFrom = net.now;
    net.filter = (s) => {
      if (s.from !== 'b') return true;
      if (net.now >= silentFrom) return false;
      return true;
    };
    // Arrival = send time + network delay.
    const fromB = net.nodes.get('b')!.sent.filter((s) => s.at < silentFrom);
    lastArrival = fromB[fromB.length - 1]!.at + net.delay;
    net.runUntilTrue(() => sa.state === 'Down', 5000);
    const down = downs(a.events)[0]!;
    expect(down.at).toBeCloseTo(lastArrival + 900, 6);
    expect(down).toMatchObject({
      diag: BfdDiag.ControlDetectionTimeExpired,
      failure: true,
      peerAdminDown: false,
    });
    expect(sa.info().remoteDiscriminator).toBe(0); // §6.8.1: reset when the detection time passes
  });

  test('§6.8.4 detection time = remote Detect Mult × max(local RequiredMinRx, remote DesiredMinTx)', () => {
    const p = new ManualPeer({ profile: { receiveInterval: 300 } });
    p.bringUp({ detectMult: 5, desiredMinTxInterval: 500_000 });
    expect(p.session.info().detectionTime).toBe(2_500_000);
    const t = p.now;
    p.advance(2499);
    expect(p.session.state).toBe('Up');
    p.advance(1);
    expect(p.session.state).toBe('Down');
    expect(downs(p.events)[0]!.at).toBe(t + 2500);
    // And the other way round: our RequiredMinRx dominates.
    const q = new ManualPeer({ profile: { receiveInterval: 700 } });
    q.bringUp({ detectMult: 2, desiredMinTxInterval: 100_000 });
    expect(q.session.info().detectionTime).toBe(1_400_000);
  });

  test('§6.8.4 detection expiry in Init also goes Down with diag 1', () => {
    const p = new ManualPeer();
    p.send({ state: BfdState.Down });
    expect(p.session.state).toBe('Init');
    p.advance(900);
    expect(p.session.state).toBe('Down');
    expect(p.session.localDiag).toBe(BfdDiag.ControlDetectionTimeExpired);
    expect(downs(p.events)).toHaveLength(0); // never was Up: no client event
  });

  test('§6.8.1 detection expiry while Down resets the remote discriminator (Your Discriminator 0 again)', () => {
    const p = new ManualPeer();
    p.send({ state: BfdState.AdminDown });
    expect(p.session.remoteDiscriminator).toBe(PEER_DISCR);
    p.advance(900);
    expect(p.session.remoteDiscriminator).toBe(0);
    const t = p.now;
    p.advance(1100);
    expect(p.sentSince(t).every((s) => s.packet.yourDiscriminator === 0)).toBe(true);
  });

  test('§6.8.4 packets in time keep the session Up for an hour of simulated time', () => {
    const { net, a, b, sa, sb } = pair();
    net.runUntilTrue(() => sa.state === 'Up' && sb.state === 'Up');
    net.runFor(3_600_000);
    expect(sa.state).toBe('Up');
    expect(downs(a.events).length + downs(b.events).length).toBe(0);
  });
});

describe('RFC 5880 §6.8.3 slow transmission while not Up', () => {
  test('§6.8.3 DesiredMinTx is at least 1 s while not Up: at most one packet a second (75–100% jitter)', () => {
    const p = new ManualPeer({ profile: { transmitInterval: 10, receiveInterval: 10 } });
    p.advance(120_000);
    const times = p.sent.map((s) => s.at);
    expect(times.length).toBeGreaterThanOrEqual(120);
    expect(times.length).toBeLessThanOrEqual(161);
    for (const g of gaps(times)) {
      expect(g).toBeGreaterThanOrEqual(750);
      expect(g).toBeLessThanOrEqual(1000);
    }
    expect(p.sent.every((s) => s.packet.desiredMinTxInterval === 1_000_000)).toBe(true);
    expect(p.sent.every((s) => s.packet.requiredMinRxInterval === 10_000)).toBe(true);
  });

  test('§6.8.3 a configured interval above 1 s is used as is while not Up', () => {
    const p = new ManualPeer({ profile: { transmitInterval: 2000 } });
    p.advance(20_000);
    expect(p.sent.every((s) => s.packet.desiredMinTxInterval === 2_000_000)).toBe(true);
    for (const g of gaps(p.sent.map((s) => s.at))) expect(g).toBeGreaterThanOrEqual(1500);
  });

  test('§6.8.3 on Up the configured rate applies and a Poll announces it; on Down the slow rate returns', () => {
    const p = new ManualPeer();
    p.bringUp();
    const t = p.now;
    p.keepAlive(3000);
    const fast = p.sentSince(t).filter((x) => !x.packet.final);
    expect(fast[0]!.packet).toMatchObject({ state: BfdState.Up, poll: true, desiredMinTxInterval: 300_000 });
    for (const g of gaps(fast.map((s) => s.at))) expect(g).toBeLessThanOrEqual(300);
    p.send({ state: BfdState.Down, yourDiscriminator: p.session.localDiscriminator });
    expect(p.session.state).toBe('Down');
    const t2 = p.now;
    p.advance(10_000);
    const slow = p.sentSince(t2);
    expect(slow.every((s) => s.packet.desiredMinTxInterval === 1_000_000 && !s.packet.poll)).toBe(true);
    for (const g of gaps(slow.map((s) => s.at))) expect(g).toBeGreaterThanOrEqual(750);
  });
});

describe('RFC 5880 §6.8.7 transmit jitter', () => {
  test('§6.8.7 intervals are 75–100% of 300 ms, uniformly spread (statistics over thousands of intervals)', () => {
    const { net, a, sa, sb } = pair();
    net.runUntilTrue(() => sa.state === 'Up' && sb.state === 'Up');
    net.runFor(2000);
    const t0 = net.now;
    net.runFor(1_500_000);
    const periodic = a.sent.filter((s) => s.at > t0 && !s.packet.final).map((s) => s.at);
    const g = gaps(periodic);
    expect(g.length).toBeGreaterThan(5000);
    const min = Math.min(...g);
    const max = Math.max(...g);
    expect(min).toBeGreaterThanOrEqual(225);
    expect(max).toBeLessThanOrEqual(300);
    expect(min).toBeLessThan(226);
    expect(max).toBeGreaterThan(299);
    const mean = g.reduce((x, y) => x + y, 0) / g.length;
    expect(mean).toBeGreaterThan(261);
    expect(mean).toBeLessThan(264);
    // Ten equal buckets over [225, 300]: each near 10% (chi-square, 9 dof, p≈0.001 bound 27.9).
    const buckets = new Array(10).fill(0) as number[];
    for (const x of g) buckets[Math.min(9, Math.floor((x - 225) / 7.5))]!++;
    const e = g.length / 10;
    const chi = buckets.reduce((s, o) => s + (o - e) ** 2 / e, 0);
    expect(chi).toBeLessThan(27.9);
  });

  test('§6.8.7 with Detect Mult 1 the interval is 75–90%', () => {
    const r = seededRandom(99);
    const xs = Array.from({ length: 20_000 }, () => jitteredIntervalUs(1_000_000, 1, r()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(750_000);
    expect(Math.max(...xs)).toBeLessThanOrEqual(900_000);
    expect(Math.max(...xs)).toBeGreaterThan(899_000);
    const mean = xs.reduce((x, y) => x + y, 0) / xs.length;
    expect(Math.abs(mean - 825_000)).toBeLessThan(2000);
    const ys = Array.from({ length: 20_000 }, () => jitteredIntervalUs(1_000_000, 2, r()));
    expect(Math.max(...ys)).toBeGreaterThan(990_000);
  });
});

describe('RFC 5880 §6.5/§6.8.3 Poll/Final and timer renegotiation while Up', () => {
  function upPair(profileA = {}, profileB = {}) {
    const r = pair({ profile: profileA }, { profile: profileB });
    r.net.runUntilTrue(
      () => r.sa.state === 'Up' && r.sb.state === 'Up' && !r.sa.info().pollActive && !r.sb.info().pollActive,
    );
    r.net.runFor(2000);
    return r;
  }

  test('§6.8.7 a received Poll is answered at once with Final (P clear), outside the schedule', () => {
    const p = new ManualPeer();
    p.bringUp();
    p.keepAlive(2000);
    const before = p.sent.length;
    p.send({ state: BfdState.Up, poll: true });
    const reply = p.sent.slice(before);
    expect(reply).toHaveLength(1);
    expect(reply[0]!.at).toBe(p.now);
    expect(reply[0]!.packet).toMatchObject({ final: true, poll: false, state: BfdState.Up });
  });

  test('§6.5 a Poll and a Final never share a packet even while our own Poll runs', () => {
    const p = new ManualPeer();
    p.bringUp(); // our Poll (announcing the fast rate) is in progress
    expect(p.session.info().pollActive).toBe(true);
    p.send({ state: BfdState.Up, poll: true });
    const last = p.sent[p.sent.length - 1]!.packet;
    expect(last.final && !last.poll).toBe(true);
    p.advance(400);
    expect(p.sent.filter((s) => s.packet.poll && s.packet.final)).toHaveLength(0);
  });

  test('§6.5 the Poll rides on scheduled packets only: no extra packets', () => {
    const p = new ManualPeer();
    p.bringUp({ final: false });
    p.send({ state: BfdState.Up, final: true });
    p.keepAlive(2000);
    const t = p.now;
    p.session.updateProfile(p.now, { transmitInterval: 200 });
    expect(p.sentSince(t - 0.001).filter((x) => x.at === t)).toHaveLength(0);
    p.keepAlive(400, {}, 100);
    const polls = p.sentSince(t);
    expect(polls.length).toBeGreaterThan(0);
    expect(polls.every((s) => s.packet.poll)).toBe(true);
    for (const g of gaps(polls.map((s) => s.at))) expect(g).toBeGreaterThanOrEqual(150);
  });

  test('§6.8.3 raising DesiredMinTx while Up: Poll, old rate until the Final, then the new rate', () => {
    const { net, a, b, sa, sb } = upPair();
    let blockFinal = true;
    net.filter = (s) => !(blockFinal && s.from === 'b' && s.packet.final);
    const t0 = net.now;
    sa.updateProfile(net.now, { transmitInterval: 900 });
    net.collect(a);
    expect(sa.info()).toMatchObject({
      desiredMinTxInterval: 900_000,
      desiredMinTxInUse: 300_000,
      pollActive: true,
    });
    net.runFor(3000);
    const during = a.sent.filter((s) => s.at >= t0 && s.at < net.now);
    expect(during.every((s) => s.packet.poll && s.packet.desiredMinTxInterval === 900_000)).toBe(true);
    for (const g of gaps(during.map((s) => s.at))) expect(g).toBeLessThanOrEqual(300);
    // The peer already computes its detection time from the new value (3 × 900 ms).
    expect(sb.info().detectionTime).toBe(2_700_000);
    blockFinal = false;
    net.runUntilTrue(() => !sa.info().pollActive, 2000);
    const t1 = net.now;
    expect(sa.info().desiredMinTxInUse).toBe(900_000);
    net.runFor(10_000);
    const after = a.sent.filter((s) => s.at > t1 && !s.packet.final);
    expect(after.every((s) => !s.packet.poll)).toBe(true);
    for (const g of gaps(after.map((s) => s.at))) {
      expect(g).toBeGreaterThanOrEqual(675);
      expect(g).toBeLessThanOrEqual(900);
    }
    expect(sa.state).toBe('Up');
    expect(downs(b.events)).toHaveLength(0);
  });

  test('§6.8.3 lowering DesiredMinTx while Up applies at once (and still polls)', () => {
    const { net, a, sa } = upPair({}, { receiveInterval: 100 });
    const t0 = net.now;
    sa.updateProfile(net.now, { transmitInterval: 100 });
    expect(sa.info()).toMatchObject({ desiredMinTxInUse: 100_000, pollActive: true });
    net.runFor(1000);
    const sent = a.sent.filter((s) => s.at > t0 + 300 && !s.packet.final);
    for (const g of gaps(sent.map((s) => s.at))) expect(g).toBeLessThanOrEqual(100);
  });

  test('§6.8.3 lowering RequiredMinRx while Up: the old value sets the detection time until the Final', () => {
    const { net, sa, sb } = upPair({}, { transmitInterval: 100 });
    expect(sa.info().detectionTime).toBe(900_000); // 3 × max(300, 100)
    let blockFinal = true;
    net.filter = (s) => !(blockFinal && s.from === 'b' && s.packet.final);
    sa.updateProfile(net.now, { receiveInterval: 100 });
    net.runFor(1000);
    expect(sa.info()).toMatchObject({
      requiredMinRxInterval: 100_000,
      requiredMinRxInUse: 300_000,
      detectionTime: 900_000,
    });
    // The peer honours a lower RemoteMinRx at once: it transmits every 100 ms already.
    expect(sb.info().transmitInterval).toBe(100_000);
    blockFinal = false;
    net.runUntilTrue(() => !sa.info().pollActive, 2000);
    expect(sa.info()).toMatchObject({ requiredMinRxInUse: 100_000, detectionTime: 300_000 });
  });

  test('§6.8.3 raising RequiredMinRx while Up lengthens the detection time at once; the peer slows after the Poll', () => {
    const { net, b, sa, sb } = upPair();
    sa.updateProfile(net.now, { receiveInterval: 1000 });
    expect(sa.info()).toMatchObject({
      requiredMinRxInUse: 1_000_000,
      detectionTime: 3_000_000,
      pollActive: true,
    });
    net.runUntilTrue(() => !sa.info().pollActive, 2000);
    expect(sb.info().transmitInterval).toBe(1_000_000);
    const t = net.now;
    net.runFor(10_000);
    const periodic = b.sent.filter((s) => s.at > t && !s.packet.final);
    for (const g of gaps(periodic.map((s) => s.at))) expect(g).toBeGreaterThanOrEqual(750);
    expect(sa.state).toBe('Up');
  });

  test('§6.5 both directions: each side polls for its own change and answers the other', () => {
    const { net, a, b, sa, sb } = upPair();
    const t = net.now;
    sa.updateProfile(net.now, { transmitInterval: 500 });
    sb.updateProfile(net.now, { receiveInterval: 400 });
    net.runUntilTrue(() => !sa.info().pollActive && !sb.info().pollActive, 3000);
    expect(a.sent.some((s) => s.at >= t && s.packet.poll)).toBe(true);
    expect(a.sent.some((s) => s.at >= t && s.packet.final)).toBe(true);
    expect(b.sent.some((s) => s.at >= t && s.packet.poll)).toBe(true);
    expect(b.sent.some((s) => s.at >= t && s.packet.final)).toBe(true);
    // a transmits every max(500, 400) ms, b every max(300, 300).
    expect(sa.info().transmitInterval).toBe(500_000);
    expect(sb.info().transmitInterval).toBe(300_000);
    expect(sb.info().detectionTime).toBe(3 * 500_000);
  });

  test('§6.5 a change during a Poll starts another Poll after the Final', () => {
    const p = new ManualPeer();
    p.bringUp();
    p.send({ state: BfdState.Up, final: true });
    p.session.updateProfile(p.now, { transmitInterval: 600 });
    p.advance(350);
    p.session.updateProfile(p.now, { transmitInterval: 800 });
    expect(p.session.info().desiredMinTxInUse).toBe(300_000);
    p.send({ state: BfdState.Up, final: true }); // confirms the 600 ms Poll only
    expect(p.session.info()).toMatchObject({ desiredMinTxInUse: 600_000, pollActive: true });
    p.advance(610);
    expect(p.sent[p.sent.length - 1]!.packet).toMatchObject({ poll: true, desiredMinTxInterval: 800_000 });
    p.send({ state: BfdState.Up, final: true });
    expect(p.session.info()).toMatchObject({ desiredMinTxInUse: 800_000, pollActive: false });
  });

  test('§6.8.3 only interval changes start a Poll: the same profile or a new Detect Mult does not', () => {
    const p = new ManualPeer();
    p.bringUp();
    p.send({ state: BfdState.Up, final: true });
    p.session.updateProfile(p.now, { transmitInterval: 300, receiveInterval: 300 });
    expect(p.session.info().pollActive).toBe(false);
    p.session.updateProfile(p.now, { detectMultiplier: 5 });
    expect(p.session.info().pollActive).toBe(false);
    p.keepAlive(400);
    expect(p.sent[p.sent.length - 1]!.packet).toMatchObject({ detectMult: 5, poll: false });
    p.session.updateProfile(p.now, { detectMultiplier: 5, receiveInterval: 250 });
    expect(p.session.info().pollActive).toBe(true);
  });

  test('§6.8.3 a Final without a Poll in progress changes nothing', () => {
    const p = new ManualPeer();
    p.bringUp();
    p.send({ state: BfdState.Up, final: true });
    const info = p.session.info();
    p.send({ state: BfdState.Up, final: true });
    expect(p.session.info()).toEqual({ ...info, packetsReceived: info.packetsReceived + 1 });
  });

  test('§6.8.2 the transmit interval is max(DesiredMinTx, RemoteMinRx) and follows the peer at once', () => {
    const p = new ManualPeer({ profile: { transmitInterval: 100 } });
    p.bringUp({ requiredMinRxInterval: 250_000 });
    p.send({ state: BfdState.Up, final: true, requiredMinRxInterval: 250_000 });
    expect(p.session.info().transmitInterval).toBe(250_000);
    p.send({ state: BfdState.Up, requiredMinRxInterval: 50_000 });
    expect(p.session.info().transmitInterval).toBe(100_000);
    const t = p.now;
    p.keepAlive(2000, { requiredMinRxInterval: 50_000 });
    for (const g of gaps(p.sentSince(t).map((s) => s.at))) expect(g).toBeLessThanOrEqual(100);
  });
});

describe('RFC 5880 §6.8.16 administrative control and §4.1 diagnostics', () => {
  test('§6.8.16 local AdminDown: diag 7, AdminDown packets ≥ 1 s apart; the peer goes Down with diag 3 and is told it is not a failure', () => {
    const { net, a, b, sa, sb } = pair();
    net.runUntilTrue(() => sa.state === 'Up' && sb.state === 'Up');
    net.runFor(2000);
    const t = net.now;
    sa.adminDown(net.now);
    net.collect(a);
    net.runFor(10_000);
    expect(sa.state).toBe('AdminDown');
    expect(sb.state).toBe('Down');
    expect(downs(a.events)[0]).toMatchObject({
      diag: 7,
      localAdminDown: true,
      peerAdminDown: false,
      failure: false,
    });
    expect(downs(b.events)[0]).toMatchObject({
      diag: BfdDiag.NeighborSignaledSessionDown,
      remoteDiag: 7,
      peerAdminDown: true,
      failure: false,
    });
    // The AdminDown packet leaves at once (operator action), then the slow rate.
    expect(a.sent.find((s) => s.at === t)?.packet).toMatchObject({ state: BfdState.AdminDown, diag: 7 });
    const adminPackets = a.sent.filter((s) => s.at >= t);
    expect(adminPackets.every((s) => s.packet.state === BfdState.AdminDown && s.packet.diag === 7)).toBe(
      true,
    );
    for (const g of gaps(adminPackets.map((s) => s.at)).slice(1)) expect(g).toBeGreaterThanOrEqual(750);
    // The peer stays Down (AdminDown from the neighbor while Down changes nothing).
    expect(states(b.events).slice(-1)).toEqual(['Up->Down']);
    sa.adminUp(net.now);
    net.collect(a);
    expect(net.runUntilTrue(() => sa.state === 'Up' && sb.state === 'Up', 10_000)).toBe(true);
    expect(sa.localDiag).toBe(0);
  });

  test('§6.8.16 AdminDown may carry another diagnostic (5 Path Down); adminUp returns to Down and the handshake', () => {
    const p = new ManualPeer();
    p.bringUp();
    p.session.adminDown(p.now, BfdDiag.PathDown);
    p.collect();
    expect(downs(p.events)[0]).toMatchObject({
      diag: 5,
      diagText: 'Path Down',
      localAdminDown: true,
      failure: false,
    });
    p.advance(1000);
    expect(p.sent[p.sent.length - 1]!.packet).toMatchObject({ state: BfdState.AdminDown, diag: 5 });
    p.session.adminDown(p.now); // already AdminDown: nothing changes
    expect(p.session.localDiag).toBe(5);
    p.session.adminUp(p.now);
    expect(p.session.state).toBe('Down');
    p.send({ state: BfdState.Init });
    expect(p.session.state).toBe('Up');
    expect(() => p.session.adminDown(p.now, 32)).toThrow(/diag/);
  });

  test('§6.8.6 packets received in AdminDown are discarded (no state change, no Final)', () => {
    const p = new ManualPeer({ adminDown: true });
    expect(p.session.state).toBe('AdminDown');
    const n = p.sent.length;
    expect(p.send({ state: BfdState.Down, poll: true })).toBe('local-admin-down');
    expect(p.session.state).toBe('AdminDown');
    expect(p.sent.length).toBe(n);
    expect(p.endpoint.stats.discards['local-admin-down']).toBe(1);
    expect(p.sent[0]!.packet).toMatchObject({ state: BfdState.AdminDown, diag: 7 });
  });

  test('§6.8.6 peer Down while Up: Down with diag 3 (Neighbor Signaled Session Down), a failure', () => {
    const p = new ManualPeer();
    p.bringUp();
    p.send({ state: BfdState.Down, diag: 1, yourDiscriminator: p.session.localDiscriminator });
    expect(downs(p.events)[0]).toMatchObject({
      diag: 3,
      remoteDiag: 1,
      failure: true,
      peerAdminDown: false,
      to: 'Down',
    });
    // Our packets now carry diag 3 until we are Up again.
    p.advance(1000);
    expect(p.sent[p.sent.length - 1]!.packet.diag).toBe(3);
  });

  test('§6.8.6 peer AdminDown while Init: Down with diag 3, no client event', () => {
    const p = new ManualPeer();
    p.send({ state: BfdState.Down });
    p.send({ state: BfdState.AdminDown, diag: 7 });
    expect(p.session.state).toBe('Down');
    expect(p.session.localDiag).toBe(3);
    expect(downs(p.events)).toHaveLength(0);
  });

  test('§4.1 a peer whose detection expired tells us diag 1; we report Neighbor Signaled Down with remoteDiag 1', () => {
    const { net, a, b, sa, sb } = pair();
    net.runUntilTrue(() => sa.state === 'Up' && sb.state === 'Up');
    net.runFor(2000);
    // One-way loss: a stops hearing b, b still hears a.
    net.filter = (s) => s.from !== 'b';
    net.runUntilTrue(() => sa.state === 'Down' && sb.state === 'Down', 5000);
    expect(downs(a.events)[0]).toMatchObject({ diag: 1 });
    expect(downs(b.events)[0]).toMatchObject({ diag: 3, remoteDiag: 1, failure: true });
  });

  test('RFC 5882 §3.2 peer restarts with a new discriminator: Down (diag 3), then Up again', () => {
    const { net, a, b, sa } = pair();
    net.runUntilTrue(() => sa.state === 'Up');
    net.runFor(2000);
    b.endpoint.removeSession('b-a');
    const sb2 = net.add(b, { key: 'b-a-2', localAddress: B_ADDR, remoteAddress: A_ADDR });
    net.runUntilTrue(() => sa.state === 'Down', 2000);
    expect(downs(a.events)[0]).toMatchObject({ diag: 3, failure: true });
    expect(net.runUntilTrue(() => sa.state === 'Up' && sb2.state === 'Up', 10_000)).toBe(true);
    expect(sa.remoteDiscriminator).toBe(sb2.localDiscriminator);
  });

  test('RFC 5882 BFD never brings a client up: only Up transitions produce up events, once each', () => {
    const { net, a, sa, sb } = pair();
    net.runUntilTrue(() => sa.state === 'Up' && sb.state === 'Up');
    net.runFor(60_000);
    expect(a.events.filter((e) => e.type === 'up')).toHaveLength(1);
    expect(downs(a.events)).toHaveLength(0);
  });
});

describe('RFC 5880 §6.1 passive role', () => {
  test('§6.1 a passive session sends nothing until the peer speaks, then comes Up', () => {
    const p = new ManualPeer({ profile: { passiveMode: true } });
    p.advance(10_000);
    expect(p.sent).toHaveLength(0);
    expect(p.endpoint.nextTimeout()).toBeUndefined();
    p.send({ state: BfdState.Down });
    expect(p.session.state).toBe('Init');
    p.advance(1000);
    expect(p.sent.length).toBeGreaterThan(0);
    expect(p.sent[0]!.packet).toMatchObject({ state: BfdState.Init, yourDiscriminator: PEER_DISCR });
  });

  test('§6.8.7 a passive session stops again once the peer is gone (RemoteDiscr reset)', () => {
    const p = new ManualPeer({ profile: { passiveMode: true } });
    p.bringUp();
    p.advance(900);
    expect(p.session.state).toBe('Down');
    const t = p.now;
    p.advance(10_000);
    expect(p.sentSince(t + 1)).toHaveLength(0);
  });

  test('§6.1 passive against active comes Up; two passive sessions stay silent', () => {
    const r = pair({ profile: { passiveMode: true } });
    expect(r.net.runUntilTrue(() => r.sa.state === 'Up' && r.sb.state === 'Up', 10_000)).toBe(true);
    const q = pair({ profile: { passiveMode: true } }, { profile: { passiveMode: true } });
    q.net.runFor(30_000);
    expect(q.a.sent.length + q.b.sent.length).toBe(0);
  });
});

describe('RFC 5880 §6.6/§6.8.7 Demand mode requested by the peer', () => {
  test('§6.8.7 peer sets D with both Up: we stop periodic packets, still answer Polls, still detect', () => {
    const p = new ManualPeer();
    p.bringUp();
    p.send({ state: BfdState.Up, final: true });
    p.send({ state: BfdState.Up, demand: true });
    const t = p.now;
    for (let i = 0; i < 20; i++) {
      p.advance(250);
      p.send({ state: BfdState.Up, demand: true });
    }
    expect(p.sentSince(t)).toHaveLength(0);
    expect(p.session.info().transmitting).toBe(false);
    p.send({ state: BfdState.Up, demand: true, poll: true });
    expect(p.sent[p.sent.length - 1]!.packet).toMatchObject({ final: true, poll: false });
    expect(p.sent[p.sent.length - 1]!.at).toBe(p.now);
    // The peer still sends to us; silence is detected as usual.
    p.advance(900);
    expect(p.session.state).toBe('Down');
    expect(p.session.localDiag).toBe(1);
  });

  test('§6.8.7 our own timer change in peer Demand mode is sent as a periodic Poll until the Final', () => {
    const p = new ManualPeer();
    p.bringUp();
    p.send({ state: BfdState.Up, final: true, demand: true });
    const t = p.now;
    p.session.updateProfile(p.now, { receiveInterval: 500 });
    p.advance(200);
    p.send({ state: BfdState.Up, demand: true });
    p.advance(600);
    const polls = p.sentSince(t);
    expect(polls.length).toBeGreaterThanOrEqual(2);
    expect(polls.every((s) => s.packet.poll)).toBe(true);
    p.send({ state: BfdState.Up, demand: true, final: true });
    const t2 = p.now;
    p.keepAlive(3000, { demand: true });
    expect(p.sentSince(t2 + 0.001)).toHaveLength(0);
  });

  test('§6.8.7 peer clears D: periodic transmission resumes at once', () => {
    const p = new ManualPeer();
    p.bringUp();
    p.send({ state: BfdState.Up, final: true, demand: true });
    p.advance(200);
    p.send({ state: BfdState.Up, demand: false });
    expect(p.session.info().transmitting).toBe(true);
    const t = p.now;
    p.advance(600);
    expect(p.sentSince(t).length).toBeGreaterThanOrEqual(2);
  });

  test('§6.8.7 RemoteMinRx 0: no periodic packets', () => {
    const p = new ManualPeer();
    p.send({ state: BfdState.Down, requiredMinRxInterval: 0 });
    const t = p.now;
    p.keepAlive(5000, { state: BfdState.Down, requiredMinRxInterval: 0 });
    p.send({ state: BfdState.Init, requiredMinRxInterval: 0 });
    p.keepAlive(5000, { requiredMinRxInterval: 0 });
    expect(p.sentSince(t)).toHaveLength(0);
    expect(p.session.state).toBe('Up');
  });
});

describe('RFC 5880 §6.3 demultiplexing and the endpoint API', () => {
  test('§6.3 with Your Discriminator 0, the session is chosen by remote address, local address and interface', () => {
    const ep = new BfdEndpoint({ random: seededRandom(3) });
    const s1 = ep.addSession(0, {
      key: 'eth0',
      localAddress: '10.1.0.1',
      remoteAddress: '10.1.0.2',
      interface: 'eth0',
    });
    const s2 = ep.addSession(0, {
      key: 'eth1',
      localAddress: '10.2.0.1',
      remoteAddress: '10.1.0.2',
      interface: 'eth1',
    });
    const s3 = ep.addSession(0, { key: 'v6', localAddress: 'fd00::1', remoteAddress: 'fd00::2' });
    const s4 = ep.addSession(0, {
      key: 'mh',
      localAddress: '10.2.0.1',
      remoteAddress: '10.1.0.2',
      multihop: true,
    });
    ep.drain();
    const p = new ManualPeer();
    const pkt = (md: number) => p.packet({ state: BfdState.Down, myDiscriminator: md });
    const enc = (md: number) => encodeControlPacket(pkt(md));
    expect(
      ep.receive(1, enc(11), { localAddress: '10.2.0.1', remoteAddress: '10.1.0.2', interface: 'eth1' }),
    ).toBeUndefined();
    expect(s2.remoteDiscriminator).toBe(11);
    expect(ep.receive(1, enc(12), { localAddress: '10.1.0.1', remoteAddress: '10.1.0.2' })).toBeUndefined();
    expect(s1.remoteDiscriminator).toBe(12);
    expect(ep.receive(1, enc(13), { remoteAddress: 'FD00::2%eth0' })).toBeUndefined();
    expect(s3.remoteDiscriminator).toBe(13);
    expect(
      ep.receive(1, enc(14), { remoteAddress: '::ffff:10.1.0.2', localAddress: '10.2.0.1', multihop: true }),
    ).toBeUndefined();
    expect(s4.remoteDiscriminator).toBe(14);
    expect(ep.receive(1, enc(15), { remoteAddress: '10.9.9.9' })).toBe('no-session-for-address');
    expect(ep.stats.discards['no-session-for-address']).toBe(1);
    expect([s1, s2, s3, s4].map((s) => s.state)).toEqual(['Init', 'Init', 'Init', 'Init']);
  });

  test('§6.3 local discriminators are unique and nonzero; a fixed one is honoured', () => {
    let n = 0;
    const seq = [0, 5, 5, 7];
    const ep = new BfdEndpoint({ random: () => 0.5, allocateDiscriminator: () => seq[n++ % seq.length]! });
    const a = ep.addSession(0, { key: 'a', localAddress: '10.0.0.1', remoteAddress: '10.0.0.2' });
    const b = ep.addSession(0, { key: 'b', localAddress: '10.0.0.1', remoteAddress: '10.0.0.3' });
    expect([a.localDiscriminator, b.localDiscriminator]).toEqual([5, 7]);
    const c = ep.addSession(0, {
      key: 'c',
      localAddress: '10.0.0.1',
      remoteAddress: '10.0.0.4',
      localDiscriminator: 99,
    });
    expect(c.localDiscriminator).toBe(99);
    expect(() =>
      ep.addSession(0, {
        key: 'd',
        localAddress: '10.0.0.1',
        remoteAddress: '10.0.0.5',
        localDiscriminator: 99,
      }),
    ).toThrow(/in use/);
    expect(() => ep.addSession(0, { key: 'a', localAddress: '10.0.0.1', remoteAddress: '10.0.0.6' })).toThrow(
      /exists/,
    );
    expect(() => ep.addSession(0, { key: 'e', localAddress: '10.0.0.1', remoteAddress: '10.0.0.2' })).toThrow(
      /same path/,
    );
    const ep2 = new BfdEndpoint({ random: seededRandom(5) });
    const ds = new Set<number>();
    for (let i = 0; i < 2000; i++)
      ds.add(
        ep2.addSession(0, {
          key: `k${i}`,
          localAddress: '10.0.0.1',
          remoteAddress: `10.0.${i >> 8}.${i & 255}`,
        }).localDiscriminator,
      );
    expect(ds.size).toBe(2000);
    expect(ds.has(0)).toBe(false);
  });

  test('session removal: no more output, its discriminator is unknown afterwards', () => {
    const p = new ManualPeer();
    p.bringUp();
    const d = p.session.localDiscriminator;
    expect(p.endpoint.removeSession('s')).toBe(true);
    expect(p.endpoint.removeSession('s')).toBe(false);
    expect(p.endpoint.nextTimeout()).toBeUndefined();
    p.advance(5000);
    expect(p.send({ state: BfdState.Up, yourDiscriminator: d })).toBe('your-discriminator-unknown');
    expect(() => p.session.adminDown(p.now)).toThrow(/removed/);
  });

  test('nextTimeout/handleTimeout: an early or extra call does nothing', () => {
    const p = new ManualPeer();
    const next = p.endpoint.nextTimeout()!;
    expect(next).toBeGreaterThan(p.now);
    p.endpoint.handleTimeout(next - 1);
    expect(p.endpoint.drain()).toHaveLength(0);
    p.endpoint.handleTimeout(next);
    expect(p.endpoint.drain().filter((o) => o.type === 'send')).toHaveLength(1);
    p.endpoint.handleTimeout(next);
    expect(p.endpoint.drain()).toHaveLength(0);
  });

  test('1000 sessions at 100 ms × 3 in one endpoint: all Up, no false down over 20 s of simulated time', {
    timeout: 60_000,
  }, () => {
    const net = new Network();
    const a = net.addNode('a', A_ADDR, 1);
    const b = net.addNode('b', B_ADDR, 2);
    net.record = false;
    const profile = { transmitInterval: 100, receiveInterval: 100 };
    const sa: BfdSession[] = [];
    for (let i = 0; i < 1000; i++) {
      sa.push(
        net.add(a, {
          key: `a${i}`,
          localAddress: A_ADDR,
          remoteAddress: B_ADDR,
          interface: `if${i}`,
          profile,
        }),
      );
      net.add(b, { key: `b${i}`, localAddress: B_ADDR, remoteAddress: A_ADDR, interface: `if${i}`, profile });
    }
    expect(net.runUntilTrue(() => sa.every((s) => s.state === 'Up'), 10_000)).toBe(true);
    net.runFor(20_000);
    expect(downs(a.events).length + downs(b.events).length).toBe(0);
    expect(a.endpoint.stats.discards).toEqual(b.endpoint.stats.discards);
    expect(Object.values(a.endpoint.stats.discards).every((n) => n === 0)).toBe(true);
    // ~10 packets a second per session (75–100% jitter) for 20 s.
    expect(a.endpoint.stats.sent).toBeGreaterThan(200_000);
  });
});
