// The RFC 4271 §8 state machine, two sessions wired together in simulated time.
import { describe, expect, test } from 'vitest';
import { encodeMessage } from '../codec/encode.ts';
import type { BgpMessage } from '../model.ts';
import { PrefixList } from '../prefix.ts';
import { Network, Probe, peerOpen } from '../testing/index.ts';

const HOUR = 3600_000;

function keepaliveGaps(net: Network, side: 'a' | 'b'): number[] {
  const at = net.messages(side, 'keepalive').map((m) => m.at);
  return at.slice(1).map((t, i) => t - (at[i] ?? 0));
}

describe('establishment', () => {
  test('RFC 4271 §8.2.2: Idle → Connect → OpenSent → OpenConfirm → Established on both sides', () => {
    const net = Network.pair();
    net.establish();
    expect(net.bothEstablished()).toBe(true);
    const path = net.eventsOf('a', 'state-change').map((e) => e.to);
    expect(path).toEqual(['Connect', 'OpenSent', 'Active', 'OpenSent', 'OpenConfirm', 'Established']);
    const pathB = net.eventsOf('b', 'state-change').map((e) => e.to);
    expect(pathB).toEqual(['Connect', 'OpenSent', 'OpenConfirm', 'Established']);
    expect(net.eventsOf('a', 'established')).toHaveLength(1);
    expect(net.eventsOf('a', 'established')[0]?.negotiated).toMatchObject({
      peerAs: 65002,
      holdTime: 90,
      keepaliveTime: 30,
      families: ['ipv4-unicast', 'ipv6-unicast'],
      as4: true,
    });
  });

  test('RFC 4724 §2: End-of-RIB for each negotiated family after the initial update', () => {
    const net = Network.pair();
    net.establish();
    expect(net.eventsOf('a', 'end-of-rib').map((e) => e.afi)).toEqual([1, 2]);
    expect(net.eventsOf('b', 'end-of-rib').map((e) => e.afi)).toEqual([1, 2]);
  });

  test('RFC 4271 §8.2.2 Idle: connections are refused while not started', () => {
    const p = new Probe();
    p.session.connectionUp(0, { id: 'x', localAddress: '10.0.0.1', remoteAddress: '10.0.0.2' });
    p.drain();
    expect(p.actions).toEqual([{ type: 'close', connId: 'x' }]);
    expect(p.session.state).toBe('Idle');
  });

  test('RFC 4271 §8.2.2 Idle: a passive session waits in Active and never dials', () => {
    const p = new Probe();
    p.session.start(0);
    p.drain();
    expect(p.session.state).toBe('Active');
    p.advance(HOUR);
    expect(p.actions.filter((a) => a.type === 'connect')).toEqual([]);
  });

  test('RFC 4271 §8.2.2 Connect: a failed dial goes to Active; ConnectRetry (jittered, §10) dials again', () => {
    const net = Network.pair({ b: { passive: true } });
    net.reachable = false;
    net.act('a', (s, now) => s.start(now));
    expect(net.sessions.a.state).toBe('Active');
    net.advance(HOUR);
    const dials = net.log.filter((l) => l.includes('a connect')).length;
    // 120 s × 0.75–1.0 per attempt: between 30 and 40 (+1 initial) dials in an hour.
    expect(dials).toBeGreaterThanOrEqual(31);
    expect(dials).toBeLessThanOrEqual(41);
    expect(net.sessions.a.stats().lastError).toMatch(
      /^TcpConnectionFails \(dial connect#\d+ to 10\.0\.0\.2\)$/,
    );
    net.reachable = true;
    net.act('b', (s, now) => s.start(now));
    net.advance(121_000);
    expect(net.bothEstablished()).toBe(true);
  });

  test('RFC 4271 §8.2.2 Connect: ConnectRetry expiry while a dial hangs aborts it and dials again', () => {
    const p = new Probe({ passive: false, connectRetryTime: 10 });
    p.session.start(0);
    p.drain();
    expect(p.actions).toMatchObject([
      { type: 'connect', connId: 'connect#1', remoteAddress: '10.0.0.2', remotePort: 179 },
    ]);
    p.advance(10_000);
    expect(p.actions.slice(1)).toMatchObject([
      { type: 'close', connId: 'connect#1' },
      { type: 'connect', connId: 'connect#2' },
    ]);
    expect(p.session.state).toBe('Connect');
  });

  test('RFC 4271 §8.2.2 OpenSent: the hold timer is 4 minutes while waiting for the OPEN', () => {
    const p = new Probe().open();
    expect(p.session.state).toBe('OpenSent');
    p.advance(239_999);
    expect(p.notificationsSent()).toEqual([]);
    p.advance(1);
    expect(p.notificationsSent()).toEqual([{ code: 4, subcode: 0, data: [] }]);
    expect(p.session.state).toBe('Idle');
  });

  test('RFC 4271 §8.2.2 OpenSent: TCP failure goes back to Active', () => {
    const p = new Probe().open();
    p.session.connectionFailed(p.now, p.connId);
    p.drain();
    expect(p.session.state).toBe('Active');
  });

  test('RFC 4271 §8.2.2: a NOTIFICATION from the peer ends the session (described), then automatic restart', () => {
    const p = new Probe().open();
    p.peerSends(peerOpen());
    p.peerSends({ type: 'keepalive' });
    p.peerSends({
      type: 'notification',
      code: 6,
      subcode: 4,
      data: Uint8Array.of(5, 104, 101, 108, 108, 111),
    });
    expect(p.session.state).toBe('Idle');
    const ev = p.events.find((e) => e.type === 'notification-received');
    expect(ev).toMatchObject({ description: 'Cease/Administrative Reset (6/4): "hello"' });
    expect(p.session.nextTimeout()).toBeDefined();
    p.advance(5_000);
    expect(p.session.state).toBe('Active');
  });
});

describe('driver contract', () => {
  test('a connection id already up is a caller error', () => {
    const p = new Probe().open();
    expect(() =>
      p.session.connectionUp(p.now, { id: p.connId, localAddress: '10.0.0.1', remoteAddress: '10.0.0.2' }),
    ).toThrow(/already up/);
  });

  test("the transport's error text reaches the state change and lastError", () => {
    const p = new Probe({ passive: false });
    p.session.start(0);
    p.session.connectionFailed(0, 'connect#1', 'connect ECONNREFUSED 10.0.0.2:179');
    p.drain();
    expect(p.events.at(-1)).toMatchObject({
      type: 'state-change',
      to: 'Active',
      reason: 'TcpConnectionFails: connect ECONNREFUSED 10.0.0.2:179 (dial)',
    });
    expect(p.session.stats().lastError).toContain('ECONNREFUSED');
  });

  test('bytes for a connection we closed are dropped', () => {
    const p = new Probe().open();
    p.peerSends({ type: 'keepalive' }); // 5/1: closed
    const n = p.actions.length;
    p.peerSends({ type: 'keepalive' });
    expect(p.actions.length).toBe(n);
  });

  test('RFC 4271 §8.1.1: while waiting to restart after a failure, the peer may connect (passive TCP establishment)', () => {
    const p = new Probe({ idleHoldTime: 60 }).open();
    p.peerSends({ type: 'keepalive' }); // 5/1 → Idle, restart in ~60 s
    expect(p.session.state).toBe('Idle');
    p.session.connectionUp(p.now, { id: 'again', localAddress: '10.0.0.1', remoteAddress: '10.0.0.2' });
    p.drain();
    expect(p.session.state).toBe('OpenSent');
  });

  test('stats count messages by type and prefixes per family', () => {
    const net = Network.pair();
    net.act('a', (s, now) => s.setRoutes(now, 'ipv6-unicast', [['2001:db8::1/128', {}]]));
    net.establish();
    net.advance(60_000);
    const a = net.sessions.a.stats();
    const b = net.sessions.b.stats();
    expect(a.state).toBe('Established');
    // a dialed b before b was started (refused), then b dialed a: two OPENs from a, one received.
    expect(a.messagesSent.open).toBe(2);
    expect(b.messagesReceived.open).toBe(1);
    expect(a.messagesSent.update).toBe(3); // one route, two End-of-RIB
    expect(b.messagesReceived.update).toBe(3);
    expect(a.messagesSent.keepalive).toBe(b.messagesReceived.keepalive);
    expect(a.messagesSent.keepalive).toBeGreaterThanOrEqual(3);
    expect(a.prefixesAdvertised).toEqual({ 'ipv4-unicast': 0, 'ipv6-unicast': 1 });
    expect(b.prefixesReceived).toEqual({ 'ipv4-unicast': 0, 'ipv6-unicast': 1 });
    expect(a.localAddress).toBe('10.0.0.1');
    expect(a.negotiated?.peerAs).toBe(65002);
  });
});

describe('timers', () => {
  test('RFC 4271 §4.4 and §10: keepalives every third of the hold time, jittered 0.75–1.0, over 3 hours', () => {
    const net = Network.pair();
    net.establish();
    const start = net.messages('a', 'keepalive').length;
    net.advance(3 * HOUR);
    const count = net.messages('a', 'keepalive').length - start;
    // 30 s × 0.75–1.0: between 360 and 480 keepalives in three hours.
    expect(count).toBeGreaterThanOrEqual(360);
    expect(count).toBeLessThanOrEqual(481);
    const gaps = keepaliveGaps(net, 'a').slice(2);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(22_500);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(30_000);
    // The jitter is not degenerate: gaps spread over the range.
    expect(Math.max(...gaps) - Math.min(...gaps)).toBeGreaterThan(5_000);
    expect(net.bothEstablished()).toBe(true);
    expect(net.eventsOf('a', 'notification-sent')).toEqual([]);
  });

  test('RFC 4271 §10: jitter comes from the injected random source (0 → ×0.75, →1 → ×1.0)', () => {
    for (const [r, gap] of [
      [0, 22_500],
      [0.999_999_9, 30_000],
    ] as const) {
      const net = Network.pair({ a: { random: () => r } });
      net.establish();
      net.advance(10 * 60_000);
      const gaps = keepaliveGaps(net, 'a').slice(1);
      expect(gaps.length).toBeGreaterThan(15);
      for (const g of gaps) expect(g).toBe(gap);
    }
  });

  test('RFC 4271 §4.4: never more than one KEEPALIVE per second, even at hold time 3 with jitter', () => {
    const net = Network.pair({ a: { holdTime: 3, random: () => 0 }, b: { holdTime: 3 } });
    net.establish();
    net.advance(600_000);
    const gaps = keepaliveGaps(net, 'a').slice(1);
    expect(gaps.length).toBeGreaterThan(500);
    expect(Math.min(...gaps)).toBe(1000);
    expect(net.bothEstablished()).toBe(true);
    expect(() => Network.pair({ a: { keepaliveTime: 0.5 } })).toThrow(/keepaliveTime 0.5/);
  });

  test('RFC 4271 §8.2.2 Established: hold timer expiry sends 4/0 and drops to Idle', () => {
    const net = Network.pair();
    net.establish();
    net.dropFrom = 'b';
    const lostAt = net.now;
    net.advance(HOUR);
    const sent = net.eventsOf('a', 'notification-sent');
    expect(sent[0]?.notification).toMatchObject({ code: 4, subcode: 0 });
    const down = net.eventsOf('a', 'state-change').find((e) => e.from === 'Established');
    expect(down).toMatchObject({ to: 'Idle', reason: 'HoldTimer_Expires' });
    // The last message from b arrived at most 30 s before the loss; hold is 90 s, not jittered.
    const holdFiredAt = net.sent.a.find((m) => m.message?.type === 'notification')?.at ?? 0;
    expect(holdFiredAt - lostAt).toBeGreaterThan(60_000);
    expect(holdFiredAt - lostAt).toBeLessThanOrEqual(90_000);
  });

  test('RFC 4271 §8.1.1: automatic restart after a failure, with the idle hold time doubling (DampPeerOscillations)', () => {
    const p = new Probe({ random: () => 0.999_999_9, idleHoldTime: 5, connectRetryTime: 60 });
    p.session.start(0);
    p.drain();
    const restarts: number[] = [];
    for (let i = 0; i < 6; i++) {
      p.session.connectionUp(p.now, { id: `c${i}`, localAddress: '10.0.0.1', remoteAddress: '10.0.0.2' });
      p.session.receive(p.now, `c${i}`, new Uint8Array(19).fill(0)); // bad marker → 1/1
      p.drain();
      expect(p.session.state).toBe('Idle');
      const t0 = p.now;
      p.advance(HOUR);
      const back = p.events.filter((e) => e.type === 'state-change' && e.to === 'Active').at(-1);
      expect(back).toBeDefined();
      restarts.push((p.session.stats().stateChangedAt ?? 0) - t0);
    }
    expect(restarts).toEqual([5_000, 10_000, 20_000, 40_000, 60_000, 60_000]);
  });

  test('an early or extra handleTimeout does nothing', () => {
    const p = new Probe().open();
    const before = p.actions.length;
    for (let t = 0; t < 239_000; t += 1000) p.session.handleTimeout(t);
    p.session.handleTimeout(0);
    p.drain();
    expect(p.actions.length).toBe(before);
    expect(p.session.state).toBe('OpenSent');
  });
});

describe('DelayOpen (RFC 4271 §8.1.1)', () => {
  test('RFC 4271 §8.2.2: with DelayOpen our OPEN waits for the peer OPEN, then OPEN + KEEPALIVE', () => {
    const p = new Probe({ delayOpen: true, delayOpenTime: 10 }).open();
    expect(p.sent()).toEqual([]);
    expect(p.session.state).toBe('Active');
    p.advance(3000);
    p.peerSends(peerOpen());
    expect(p.sent().map((m) => m.type)).toEqual(['open', 'keepalive']);
    expect(p.session.state).toBe('OpenConfirm');
  });

  test('RFC 4271 §8.2.2: DelayOpenTimer expiry sends our OPEN and moves to OpenSent', () => {
    const p = new Probe({ delayOpen: true, delayOpenTime: 10 }).open();
    p.advance(9_999);
    expect(p.sent()).toEqual([]);
    p.advance(1);
    expect(p.sent().map((m) => m.type)).toEqual(['open']);
    expect(p.session.state).toBe('OpenSent');
  });

  test('RFC 4271 §8.2.2: two DelayOpen sessions still come up (one side times out first)', () => {
    const net = Network.pair({ a: { delayOpen: true }, b: { delayOpen: true } });
    net.establish(60_000);
    expect(net.bothEstablished()).toBe(true);
  });
});

describe('FSM errors (RFC 6608)', () => {
  test('RFC 6608 §4: KEEPALIVE in OpenSent → 5/1', () => {
    const p = new Probe().open();
    p.peerSends({ type: 'keepalive' });
    expect(p.notificationsSent()).toEqual([{ code: 5, subcode: 1, data: [] }]);
    expect(p.session.state).toBe('Idle');
  });

  test('RFC 6608 §4: UPDATE in OpenConfirm → 5/2', () => {
    const p = new Probe().open();
    p.peerSends(peerOpen());
    p.peerSends({ type: 'update', withdrawn: emptyV4(), attributes: {}, nlri: emptyV4() });
    expect(p.notificationsSent()).toEqual([{ code: 5, subcode: 2, data: [] }]);
  });

  test('RFC 6608 §4: OPEN in Established → 5/3', () => {
    const p = new Probe().open();
    p.peerSends(peerOpen());
    p.peerSends({ type: 'keepalive' });
    p.peerSends(peerOpen());
    expect(p.notificationsSent()).toEqual([{ code: 5, subcode: 3, data: [] }]);
    expect(p.session.state).toBe('Idle');
  });

  test('RFC 4271 §6.1: a malformed header is answered with its NOTIFICATION, never a throw', () => {
    const p = new Probe().open();
    const bad = new Uint8Array(19).fill(0xff);
    bad[16] = 0;
    bad[17] = 10; // length 10 < 19
    bad[18] = 4;
    p.peerBytes(bad);
    expect(p.notificationsSent()[0]).toMatchObject({ code: 1, subcode: 2 });
    const ev = p.events.find((e) => e.type === 'notification-sent');
    expect(ev?.type === 'notification-sent' && ev.reason).toMatch(/offset/);
  });
});

describe('connection collision (RFC 4271 §6.8)', () => {
  for (const [idA, idB] of [
    ['1.1.1.1', '2.2.2.2'],
    ['9.9.9.9', '2.2.2.2'],
  ] as const) {
    test(`RFC 4271 §6.8: simultaneous dials, ${idA} vs ${idB}: the higher BGP Identifier keeps the connection it initiated`, () => {
      const net = Network.pair({ a: { bgpId: idA }, b: { bgpId: idB } });
      net.sessions.a.start(0);
      net.sessions.b.start(0);
      net.settle();
      net.advance(1000);
      expect(net.bothEstablished()).toBe(true);
      const winner = idA > idB ? 'a' : 'b';
      const loser = winner === 'a' ? 'b' : 'a';
      const kept = net.eventsOf(winner, 'established')[0]?.connId;
      // The winner's kept connection is the one it dialed.
      expect(kept).toMatch(/^connect#/);
      expect(net.eventsOf(loser, 'established')[0]?.connId).toMatch(/^in#/);
      const ceases = [...net.eventsOf('a', 'notification-sent'), ...net.eventsOf('b', 'notification-sent')];
      expect(ceases.map((e) => [e.notification.code, e.notification.subcode])).toEqual([
        [6, 7],
        [6, 7],
      ]);
      expect(net.eventsOf('a', 'collision-resolved')).toHaveLength(1);
      // Nothing else went wrong, and the session stays up.
      net.advance(HOUR);
      expect(net.bothEstablished()).toBe(true);
      expect(net.eventsOf(loser, 'established')).toHaveLength(1);
    });
  }

  test('RFC 4271 §6.8: a new connection while Established is closed with Cease 6/7', () => {
    const p = new Probe().open();
    p.peerSends(peerOpen());
    p.peerSends({ type: 'keepalive' });
    p.session.connectionUp(p.now, { id: 'second', localAddress: '10.0.0.1', remoteAddress: '10.0.0.2' });
    p.session.receive(p.now, 'second', encode(peerOpen()));
    p.drain();
    const closes = p.actions.filter((a) => a.type === 'close').map((a) => a.connId);
    expect(closes).toEqual(['second']);
    const ev = p.events.filter((e) => e.type === 'notification-sent');
    expect(ev).toMatchObject([{ connId: 'second', notification: { code: 6, subcode: 7 } }]);
    expect(p.session.state).toBe('Established');
  });

  test('RFC 4724 §4.2: a restarted peer (GR) replaces the Established connection', () => {
    const gr = {
      code: 64,
      kind: 'graceful-restart',
      restarting: true,
      notification: false,
      restartTime: 120,
      families: [{ afi: 1, safi: 1, forwardingState: true }],
    } as const;
    const p = new Probe({ gracefulRestart: { restartTime: 120 } }).open();
    p.peerSends(peerOpen({ capabilities: [...peerOpen().capabilities, { ...gr, restarting: false }] }));
    p.peerSends({ type: 'keepalive' });
    p.session.connectionUp(p.now, { id: 'second', localAddress: '10.0.0.1', remoteAddress: '10.0.0.2' });
    p.session.receive(p.now, 'second', encode(peerOpen({ capabilities: [...peerOpen().capabilities, gr] })));
    p.session.receive(p.now, 'second', encode({ type: 'keepalive' }));
    p.drain();
    expect(p.actions.filter((a) => a.type === 'close').map((a) => a.connId)).toEqual([p.connId]);
    expect(p.notificationsSent()).toEqual([]);
    expect(p.session.state).toBe('Established');
    expect(
      p.events.filter((e) => e.type === 'established').map((e) => e.type === 'established' && e.connId),
    ).toEqual([p.connId, 'second']);
  });
});

function encode(m: BgpMessage): Uint8Array {
  return encodeMessage(m, { as4: true });
}

function emptyV4(): PrefixList {
  return PrefixList.empty(1);
}
