import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { encodeControlPacket } from './codec.ts';
import { BfdState } from './constants.ts';
import { LOCAL, ManualPeer, PEER } from './testing/index.ts';
import { BFD_DISCARD_REASONS, type BfdDiscardReason } from './types.ts';

/** Deliver `bytes` and check that exactly one counter moved, by one, and the session did not change. */
function expectDiscard(
  p: ManualPeer,
  reason: BfdDiscardReason,
  deliver: () => BfdDiscardReason | undefined,
): void {
  const before = { ...p.endpoint.stats.discards };
  const info = p.session.info();
  const sent = p.sent.length;
  expect(deliver()).toBe(reason);
  for (const r of BFD_DISCARD_REASONS)
    expect(p.endpoint.stats.discards[r], r).toBe(before[r] + (r === reason ? 1 : 0));
  const after = p.session.info();
  expect(after.state).toBe(info.state);
  expect(after.remoteDiscriminator).toBe(info.remoteDiscriminator);
  expect(after.remoteMinRxInterval).toBe(info.remoteMinRxInterval);
  expect(p.sent.length).toBe(sent); // a discarded Poll gets no Final
}

describe('RFC 5880 §6.8.6 reception checks, each counted under its own reason', () => {
  const good = () => new ManualPeer();

  test('§6.8.6 version other than 1 is discarded', () => {
    const p = good();
    const b = encodeControlPacket(p.packet({ poll: true }));
    b[0] = (2 << 5) | (b[0]! & 0x1f);
    expectDiscard(p, 'version', () => p.deliver(b));
  });

  test('§6.8.6 Length below 24 (A clear) is discarded', () => {
    const p = good();
    const b = encodeControlPacket(p.packet());
    b[3] = 20;
    expectDiscard(p, 'length-too-short', () => p.deliver(b));
  });

  test('§6.8.6 Length below 26 with the A bit set is discarded', () => {
    const p = good();
    const b = new Uint8Array(26);
    b.set(encodeControlPacket(p.packet()));
    b[1] = b[1]! | 0x04;
    b[3] = 25;
    expectDiscard(p, 'length-too-short', () => p.deliver(b));
  });

  test('§6.8.6 Length greater than the UDP payload is discarded', () => {
    const p = good();
    const b = encodeControlPacket(p.packet());
    b[3] = 48;
    expectDiscard(p, 'length-exceeds-payload', () => p.deliver(b));
  });

  test('§6.8.6 a payload shorter than the mandatory section is discarded', () => {
    const p = good();
    expectDiscard(p, 'truncated', () => p.deliver(encodeControlPacket(p.packet()).slice(0, 20)));
    expectDiscard(p, 'truncated', () => p.deliver(new Uint8Array(0)));
  });

  test('§6.8.6 Detect Mult 0 is discarded', () => {
    const p = good();
    expectDiscard(p, 'detect-mult-zero', () => p.send({ detectMult: 0 }));
  });

  test('§6.8.6 Multipoint (M) bit set is discarded', () => {
    const p = good();
    expectDiscard(p, 'multipoint', () => p.send({ multipoint: true }));
  });

  test('§6.8.6 My Discriminator 0 is discarded', () => {
    const p = good();
    expectDiscard(p, 'my-discriminator-zero', () => p.send({ myDiscriminator: 0 }));
  });

  test('§6.8.6 an unknown nonzero Your Discriminator is discarded', () => {
    const p = good();
    expectDiscard(p, 'your-discriminator-unknown', () =>
      p.send({ state: BfdState.Up, yourDiscriminator: (p.session.localDiscriminator + 1) >>> 0 || 1 }),
    );
  });

  test('§6.8.6 Your Discriminator 0 with state Init or Up is discarded', () => {
    const p = good();
    expectDiscard(p, 'your-discriminator-zero-state', () =>
      p.send({ state: BfdState.Init, yourDiscriminator: 0 }),
    );
    expectDiscard(p, 'your-discriminator-zero-state', () =>
      p.send({ state: BfdState.Up, yourDiscriminator: 0 }),
    );
    // Down and AdminDown with Your Discriminator 0 are fine.
    expect(p.send({ state: BfdState.AdminDown, yourDiscriminator: 0 })).toBeUndefined();
  });

  test('§6.8.6 Your Discriminator 0 from an address without a session is discarded', () => {
    const p = good();
    expectDiscard(p, 'no-session-for-address', () => p.send({}, { remoteAddress: '192.0.2.99' }));
    expectDiscard(p, 'no-session-for-address', () => p.send({}, { localAddress: '192.0.2.77' }));
    expectDiscard(p, 'no-session-for-address', () => p.send({}, { multihop: true }));
  });

  test('§6.3 a known Your Discriminator arriving from another address is discarded', () => {
    const p = good();
    const d = p.session.localDiscriminator;
    expectDiscard(p, 'address-mismatch', () =>
      p.send({ state: BfdState.Init, yourDiscriminator: d }, { remoteAddress: '192.0.2.99' }),
    );
    expectDiscard(p, 'address-mismatch', () =>
      p.send({ state: BfdState.Init, yourDiscriminator: d }, { multihop: true }),
    );
    expect(
      p.send(
        { state: BfdState.Down, yourDiscriminator: d },
        { remoteAddress: `::ffff:${PEER}`, localAddress: LOCAL },
      ),
    ).toBeUndefined();
  });

  test('RFC 5881 §5 single-hop packets with TTL/hop limit other than 255 are discarded', () => {
    const p = good();
    expectDiscard(p, 'ttl', () => p.send({}, { ttl: 64 }));
    expectDiscard(p, 'ttl', () => p.send({}, { ttl: 254 }));
    expect(p.send({}, { ttl: undefined })).toBeUndefined(); // the transport checked it already
    expect(p.session.info()).toMatchObject({ packetsDiscarded: 2, discards: { ttl: 2 } });
  });

  test('RFC 5883 §2 multihop packets below the profile minimumTtl are discarded', () => {
    const p = new ManualPeer({ multihop: true, profile: { minimumTtl: 250 } });
    expectDiscard(p, 'ttl', () => p.send({}, { multihop: true, ttl: 249 }));
    expect(p.send({}, { multihop: true, ttl: 250 })).toBeUndefined();
  });

  test('§6.8.6 A bit set while no authentication is configured is discarded', () => {
    const p = good();
    expectDiscard(p, 'auth-unexpected', () =>
      p.send({ auth: { type: 1, keyId: 1, password: Uint8Array.of(1, 2, 3) } }),
    );
  });

  test('§6.8.6 A bit clear while authentication is configured is discarded', () => {
    const p = new ManualPeer({ auth: { type: 'simple-password', keys: [{ id: 1, secret: 'pw' }] } });
    expectDiscard(p, 'auth-missing', () => p.send({}));
  });

  test('§4.1 an unknown Auth Type and a wrong Auth Len are discarded', () => {
    const p = good();
    const b = encodeControlPacket(
      p.packet({ auth: { type: 1, keyId: 1, password: Uint8Array.of(1, 2, 3) } }),
    );
    b[24] = 9;
    expectDiscard(p, 'auth-type-unknown', () => p.deliver(b));
    const c = encodeControlPacket(
      p.packet({ auth: { type: 1, keyId: 1, password: Uint8Array.of(1, 2, 3) } }),
    );
    c[25] = 5;
    expectDiscard(p, 'auth-length', () => p.deliver(c));
  });

  test('every discard reason has a counter starting at zero', () => {
    const p = good();
    expect(Object.keys(p.endpoint.stats.discards).sort()).toEqual([...BFD_DISCARD_REASONS].sort());
    expect(Object.values(p.endpoint.stats.discards).every((n) => n === 0)).toBe(true);
    p.send({ multipoint: true });
    p.send({});
    expect(p.endpoint.stats).toMatchObject({ received: 2, accepted: 1 });
  });

  test('random datagrams never throw and never change the session', () => {
    const p = good();
    let x = 12345;
    for (let i = 0; i < 20_000; i++) {
      const len = i % 64;
      const b = new Uint8Array(len);
      for (let j = 0; j < len; j++) {
        x = (x * 1103515245 + 12345) >>> 0;
        b[j] = x >>> 24;
      }
      if (len > 0 && i % 2 === 0) b[0] = 0x20 | (b[0]! & 0x1f);
      p.deliver(b);
    }
    expect(p.endpoint.stats.received).toBe(20_000);
    expect(p.session.state).toBe('Down');
  });
});

describe('properties of the receive path', () => {
  test('any sequence of well-formed packets from anywhere never throws and keeps the RFC invariants', () => {
    const pkt = fc.record({
      state: fc.constantFrom(0, 1, 2, 3) as fc.Arbitrary<0 | 1 | 2 | 3>,
      diag: fc.integer({ min: 0, max: 31 }),
      poll: fc.boolean(),
      final: fc.boolean(),
      demand: fc.boolean(),
      multipoint: fc.boolean(),
      detectMult: fc.integer({ min: 0, max: 255 }),
      myDiscriminator: fc.oneof(fc.constant(0), fc.constant(0x0a0b0c0d), fc.nat({ max: 0xffffffff })),
      your: fc.constantFrom('zero', 'ours', 'random'),
      yourRandom: fc.nat({ max: 0xffffffff }),
      desiredMinTxInterval: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5_000_000 })),
      requiredMinRxInterval: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5_000_000 })),
      wait: fc.integer({ min: 0, max: 3000 }),
      from: fc.constantFrom(PEER, '192.0.2.99'),
      ttl: fc.constantFrom(255, 255, 64, undefined),
    });
    fc.assert(
      fc.property(fc.array(pkt, { maxLength: 40 }), (packets) => {
        const p = new ManualPeer();
        for (const x of packets) {
          p.advance(x.wait);
          const yourDiscriminator =
            x.your === 'zero' ? 0 : x.your === 'ours' ? p.session.localDiscriminator : x.yourRandom;
          p.send(
            { ...x, yourDiscriminator, requiredMinEchoRxInterval: 0 },
            { remoteAddress: x.from, ttl: x.ttl },
          );
          const info = p.session.info();
          if (info.state === 'Up' || info.state === 'Init') expect(info.remoteDiscriminator).not.toBe(0);
          if (info.state === 'Up') expect(info.localDiag).toBe(0);
          const next = p.endpoint.nextTimeout();
          if (next !== undefined) expect(next).toBeGreaterThan(p.now);
        }
        p.advance(255 * 5000 + 1);
        // Silence brings every session back to Down within the longest possible detection time.
        expect(['Down']).toContain(p.session.state);
      }),
      { numRuns: 500, seed: 20261133 },
    );
  });
});
