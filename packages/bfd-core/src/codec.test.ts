import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  type BfdControlPacket,
  type BfdControlPacketInput,
  computeAuthDigest,
  createPacketView,
  decodeControlPacket,
  decodeControlPacketInto,
  encodeControlPacket,
  encodeControlPacketInto,
  signControlPacket,
  verifyControlPacketDigest,
} from './codec.ts';
import { BfdAuthType, BfdState } from './constants.ts';
import { nodeHash } from './test-support/node-hash.ts';

const hex = (s: string) =>
  Uint8Array.from(
    s
      .replace(/\s+/g, '')
      .match(/../g)!
      .map((h) => Number.parseInt(h, 16)),
  );
const toHex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');

const base: BfdControlPacketInput = {
  diag: 0,
  state: BfdState.Down,
  poll: false,
  final: false,
  controlPlaneIndependent: false,
  demand: false,
  multipoint: false,
  detectMult: 3,
  myDiscriminator: 1,
  yourDiscriminator: 0,
  desiredMinTxInterval: 300_000,
  requiredMinRxInterval: 300_000,
  requiredMinEchoRxInterval: 50_000,
};

describe('RFC 5880 §4.1 mandatory section', () => {
  test('FRR-style Down packet (300 ms × 3, echo rx 50 ms) encodes byte for byte', () => {
    // Vers 1 Diag 0 -> 0x20; Sta Down (1) << 6 -> 0x40; Detect Mult 3; Length 24;
    // My Discr 1; Your Discr 0; 300000 µs = 0x000493e0; 50000 µs = 0x0000c350.
    const bytes = encodeControlPacket(base);
    expect(toHex(bytes)).toBe('20400318' + '00000001' + '00000000' + '000493e0' + '000493e0' + '0000c350');
    const d = decodeControlPacket(bytes);
    expect(d).toEqual({ ok: true, packet: { ...base, version: 1, length: 24, authPresent: false } });
  });

  test('Up packet with Poll and every flag bit lands on its bit', () => {
    const p = encodeControlPacket({ ...base, state: BfdState.Up, poll: true, diag: 7 });
    expect(p[0]).toBe(0x27);
    expect(p[1]).toBe(0xe0);
    const flags: [keyof BfdControlPacketInput, number][] = [
      ['poll', 0x20],
      ['final', 0x10],
      ['controlPlaneIndependent', 0x08],
      ['demand', 0x02],
      ['multipoint', 0x01],
    ];
    for (const [flag, bit] of flags) {
      const b = encodeControlPacket({ ...base, state: BfdState.AdminDown, [flag]: true });
      expect(b[1]).toBe(bit);
      const d = decodeControlPacket(b);
      expect(d.ok && d.packet[flag as keyof BfdControlPacket]).toBe(true);
    }
  });

  test('a hand-written Init packet from a peer decodes', () => {
    const d = decodeControlPacket(hex('21 80 05 18 deadbeef 00000001 000f4240 000186a0 00000000'));
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.packet).toMatchObject({
      diag: 1,
      state: BfdState.Init,
      detectMult: 5,
      myDiscriminator: 0xdeadbeef,
      yourDiscriminator: 1,
      desiredMinTxInterval: 1_000_000,
      requiredMinRxInterval: 100_000,
    });
  });

  test('bytes beyond Length (A clear) are ignored', () => {
    const b = new Uint8Array(30);
    b.set(encodeControlPacket(base));
    const d = decodeControlPacket(b);
    expect(d.ok && d.packet.length).toBe(24);
  });

  test('the fast path decodes into a reused view and encodes into a caller buffer', () => {
    const buf = new Uint8Array(64);
    const n = encodeControlPacketInto({ ...base, myDiscriminator: 0xffffffff }, buf, 8);
    expect(n).toBe(24);
    const v = createPacketView();
    expect(decodeControlPacketInto(buf, v, 8, 24)).toBe(0);
    expect(v.myDiscriminator).toBe(0xffffffff);
    expect(v.authPresent).toBe(false);
  });

  test('encoding rejects impossible values with a RangeError naming the field', () => {
    expect(() => encodeControlPacket({ ...base, diag: 32 })).toThrow(/diag/);
    expect(() => encodeControlPacket({ ...base, detectMult: 256 })).toThrow(/detectMult/);
    expect(() => encodeControlPacket({ ...base, myDiscriminator: 2 ** 32 })).toThrow(/myDiscriminator/);
    expect(() => encodeControlPacket({ ...base, desiredMinTxInterval: -1 })).toThrow(/desiredMinTxInterval/);
    expect(() => encodeControlPacketInto(base, new Uint8Array(10))).toThrow(/needs 24 bytes/);
    expect(() =>
      encodeControlPacket({ ...base, auth: { type: 1, keyId: 1, password: new Uint8Array(17) } }),
    ).toThrow(/1–16/);
    expect(() =>
      encodeControlPacket({ ...base, auth: { type: 2, keyId: 1, sequence: 1, digest: new Uint8Array(20) } }),
    ).toThrow(/16 bytes/);
  });
});

describe('packets captured from FRR bfdd 8.4 (two bfdd in network namespaces, 300 ms × 3, tcpdump)', () => {
  // UDP payloads as captured on the veth link while two FRR instances brought a session Up.
  const frr: [string, string, Partial<BfdControlPacket>][] = [
    [
      'Down, Your Discriminator 0, slow timers (1 s) and echo rx 50 ms',
      '20400318 39f33959 00000000 000f4240 000f4240 0000c350',
      {
        state: BfdState.Down,
        myDiscriminator: 0x39f33959,
        yourDiscriminator: 0,
        desiredMinTxInterval: 1_000_000,
        requiredMinRxInterval: 1_000_000,
      },
    ],
    [
      'Init',
      '20800318 7180bb71 39f33959 000f4240 000f4240 0000c350',
      { state: BfdState.Init, myDiscriminator: 0x7180bb71, yourDiscriminator: 0x39f33959 },
    ],
    [
      'Up with Poll, announcing 300 ms',
      '20e00318 39f33959 7180bb71 000493e0 000493e0 0000c350',
      {
        state: BfdState.Up,
        poll: true,
        final: false,
        desiredMinTxInterval: 300_000,
        requiredMinRxInterval: 300_000,
      },
    ],
    [
      'Up with Final',
      '20d00318 7180bb71 39f33959 000493e0 000493e0 0000c350',
      { state: BfdState.Up, poll: false, final: true },
    ],
    [
      'Up',
      '20c00318 39f33959 7180bb71 000493e0 000493e0 0000c350',
      { state: BfdState.Up, poll: false, final: false },
    ],
  ];
  for (const [name, bytes, fields] of frr) {
    test(`FRR ${name}: decodes and re-encodes byte for byte`, () => {
      const b = hex(bytes);
      const d = decodeControlPacket(b);
      expect(d.ok).toBe(true);
      if (!d.ok) return;
      expect(d.packet).toMatchObject({
        version: 1,
        diag: 0,
        detectMult: 3,
        length: 24,
        authPresent: false,
        requiredMinEchoRxInterval: 50_000,
        ...fields,
      });
      expect(toHex(encodeControlPacket(d.packet))).toBe(toHex(b));
    });
  }
});

describe('RFC 5880 §6.8.6 structural checks in the decoder (reason and byte offset)', () => {
  const good = encodeControlPacket(base);
  const cases: [string, Uint8Array, string, number][] = [
    ['fewer than 24 bytes', good.slice(0, 23), 'truncated', 0],
    ['version 0', Uint8Array.from([0x00, ...good.slice(1)]), 'version', 0],
    ['version 2', Uint8Array.from([0x40, ...good.slice(1)]), 'version', 0],
    ['Length 23', Uint8Array.from([...good.slice(0, 3), 23, ...good.slice(4)]), 'length-too-short', 3],
    [
      'Length 25 with A set',
      Uint8Array.from([0x20, 0x44, 3, 25, ...good.slice(4), 1, 1]),
      'length-too-short',
      3,
    ],
    [
      'Length beyond the payload',
      Uint8Array.from([...good.slice(0, 3), 40, ...good.slice(4)]),
      'length-exceeds-payload',
      3,
    ],
  ];
  for (const [name, bytes, reason, offset] of cases) {
    test(name, () => {
      const d = decodeControlPacket(bytes);
      expect(d.ok).toBe(false);
      if (d.ok) return;
      expect(d.reason).toBe(reason);
      expect(d.offset).toBe(offset);
      expect(d.message.length).toBeGreaterThan(10);
    });
  }

  test('§4.1 unknown Auth Type 0 / 6 is rejected at byte 24', () => {
    for (const t of [0, 6, 255]) {
      const b = new Uint8Array(28);
      b.set(good);
      b[1] = 0x44;
      b[3] = 28;
      b[24] = t;
      b[25] = 4;
      const d = decodeControlPacket(b);
      expect(d.ok === false && d.reason === 'auth-type-unknown' && d.offset === 24).toBe(true);
    }
  });

  test('§4.2–4.4 Auth Len must fit the type and Length = 24 + Auth Len', () => {
    const mk = (type: number, authLen: number, length: number) => {
      const b = new Uint8Array(Math.max(length, 24 + authLen));
      b.set(good);
      b[1] = 0x44;
      b[3] = length;
      b[24] = type;
      b[25] = authLen;
      return decodeControlPacket(b);
    };
    expect(mk(1, 3, 27)).toMatchObject({ ok: false, reason: 'auth-length', offset: 25 }); // empty password
    expect(mk(1, 20, 44)).toMatchObject({ ok: false, reason: 'auth-length' }); // 17-byte password
    expect(mk(1, 4, 28).ok).toBe(true);
    expect(mk(1, 19, 43).ok).toBe(true);
    expect(mk(2, 24, 48).ok).toBe(true);
    expect(mk(2, 28, 52)).toMatchObject({ ok: false, reason: 'auth-length' });
    expect(mk(3, 20, 44)).toMatchObject({ ok: false, reason: 'auth-length' });
    expect(mk(4, 28, 52).ok).toBe(true);
    expect(mk(5, 24, 48)).toMatchObject({ ok: false, reason: 'auth-length' });
    expect(mk(2, 24, 50)).toMatchObject({ ok: false, reason: 'auth-length' }); // Length ≠ 24 + Auth Len
  });
});

describe('RFC 5880 §4.2–4.4 authentication sections', () => {
  test('§4.2 simple password round trip', () => {
    const pw = Uint8Array.from([0x73, 0x65, 0x63, 0x72, 0x65, 0x74]);
    const b = encodeControlPacket({
      ...base,
      auth: { type: BfdAuthType.SimplePassword, keyId: 9, password: pw },
    });
    expect(b.length).toBe(24 + 3 + 6);
    expect(b[1]! & 0x04).toBe(0x04);
    expect(toHex(b.slice(24))).toBe(`010909${toHex(pw)}`);
    const d = decodeControlPacket(b);
    expect(d.ok && d.packet.auth).toEqual({ type: 1, keyId: 9, password: pw });
  });

  test('§4.3 keyed MD5 layout: type, len 24, key id, reserved 0, sequence, 16-byte digest', () => {
    const digest = Uint8Array.from({ length: 16 }, (_, i) => i);
    const b = encodeControlPacket({ ...base, auth: { type: 2, keyId: 1, sequence: 0x01020304, digest } });
    expect(b.length).toBe(48);
    expect(toHex(b.slice(24, 32))).toBe('0218010001020304');
    const d = decodeControlPacket(b);
    expect(d.ok && d.packet.auth).toEqual({ type: 2, keyId: 1, sequence: 0x01020304, digest });
  });

  test('§4.4 meticulous keyed SHA1 layout: len 28, 20-byte hash', () => {
    const digest = new Uint8Array(20).fill(0xab);
    const b = encodeControlPacket({ ...base, auth: { type: 5, keyId: 200, sequence: 0xffffffff, digest } });
    expect(b.length).toBe(52);
    expect(toHex(b.slice(24, 32))).toBe('051cc800ffffffff');
  });

  test('§6.7.3 MD5 digest is computed over the packet with the zero-padded key in the digest field', () => {
    const key = Uint8Array.from([0x6b, 0x65, 0x79]); // "key"
    const b = encodeControlPacket({
      ...base,
      auth: { type: 3, keyId: 1, sequence: 7, digest: new Uint8Array(16) },
    });
    signControlPacket(b, key, nodeHash);
    // Independently: the same bytes with "key" + 13 zero bytes in place of the digest, through MD5.
    const expectedInput = b.slice();
    expectedInput.fill(0, 32, 48);
    expectedInput.set(key, 32);
    expect(toHex(b.slice(32))).toBe(toHex(nodeHash('md5', expectedInput)));
    expect(verifyControlPacketDigest(b, key, nodeHash)).toBe(true);
    expect(verifyControlPacketDigest(b, Uint8Array.from([0x6b, 0x65, 0x78]), nodeHash)).toBe(false);
    b[10] = b[10]! ^ 1; // any bit of the packet changes the digest
    expect(verifyControlPacketDigest(b, key, nodeHash)).toBe(false);
  });

  test('§6.7.3 verifying a received Node Buffer neither changes it nor fails (Buffer#slice is a view)', () => {
    const key = Uint8Array.from([1, 2, 3]);
    const b = encodeControlPacket({
      ...base,
      auth: { type: 2, keyId: 1, sequence: 9, digest: new Uint8Array(16) },
    });
    signControlPacket(b, key, nodeHash);
    const received = Buffer.concat([Buffer.from([0xee, 0xee]), Buffer.from(b)]);
    const before = Buffer.from(received);
    expect(verifyControlPacketDigest(received, key, nodeHash, 2)).toBe(true);
    expect(verifyControlPacketDigest(received, key, nodeHash, 2)).toBe(true);
    expect(received.equals(before)).toBe(true);
    // Decoded auth data is a copy, not a view into the caller's buffer.
    const d = decodeControlPacket(Buffer.from(b));
    expect(
      d.ok &&
        d.packet.auth !== undefined &&
        !Buffer.isBuffer((d.packet.auth as { digest: Uint8Array }).digest),
    ).toBe(true);
  });

  test('§6.7.4 SHA1 hash uses a 20-byte zero-padded key', () => {
    const key = new Uint8Array(20).fill(7);
    const b = encodeControlPacket({
      ...base,
      auth: { type: 4, keyId: 1, sequence: 1, digest: new Uint8Array(20) },
    });
    const d = computeAuthDigest(b, 0, 4, key, nodeHash);
    expect(d.length).toBe(20);
    expect(() => computeAuthDigest(b, 0, 4, new Uint8Array(21), nodeHash)).toThrow(/1–20/);
  });
});

const packetArb: fc.Arbitrary<BfdControlPacket> = fc
  .record({
    diag: fc.integer({ min: 0, max: 31 }),
    state: fc.constantFrom(0, 1, 2, 3) as fc.Arbitrary<0 | 1 | 2 | 3>,
    poll: fc.boolean(),
    final: fc.boolean(),
    controlPlaneIndependent: fc.boolean(),
    demand: fc.boolean(),
    multipoint: fc.boolean(),
    detectMult: fc.integer({ min: 0, max: 255 }),
    myDiscriminator: fc.nat({ max: 0xffffffff }),
    yourDiscriminator: fc.nat({ max: 0xffffffff }),
    desiredMinTxInterval: fc.nat({ max: 0xffffffff }),
    requiredMinRxInterval: fc.nat({ max: 0xffffffff }),
    requiredMinEchoRxInterval: fc.nat({ max: 0xffffffff }),
    auth: fc.option(
      fc.oneof(
        fc.record({
          type: fc.constant(1 as const),
          keyId: fc.nat({ max: 255 }),
          password: fc.uint8Array({ minLength: 1, maxLength: 16 }),
        }),
        fc.record({
          type: fc.constantFrom(2 as const, 3 as const),
          keyId: fc.nat({ max: 255 }),
          sequence: fc.nat({ max: 0xffffffff }),
          digest: fc.uint8Array({ minLength: 16, maxLength: 16 }),
        }),
        fc.record({
          type: fc.constantFrom(4 as const, 5 as const),
          keyId: fc.nat({ max: 255 }),
          sequence: fc.nat({ max: 0xffffffff }),
          digest: fc.uint8Array({ minLength: 20, maxLength: 20 }),
        }),
      ),
      { nil: undefined },
    ),
  })
  .map((p) => {
    const length =
      24 +
      (p.auth === undefined
        ? 0
        : p.auth.type === 1
          ? 3 + p.auth.password.length
          : p.auth.type <= 3
            ? 24
            : 28);
    const packet: BfdControlPacket = { ...p, version: 1, length, authPresent: p.auth !== undefined };
    if (p.auth === undefined) delete packet.auth;
    return packet;
  });

describe('properties', () => {
  test('decode ∘ encode is the identity on every valid packet', () => {
    fc.assert(
      fc.property(packetArb, (p) => {
        const d = decodeControlPacket(encodeControlPacket(p));
        expect(d).toEqual({ ok: true, packet: p });
      }),
      { numRuns: 2000, seed: 20261126 },
    );
  });

  test('encode ∘ decode reproduces the bytes of every decodable input (up to Length)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 24, maxLength: 60 }), (bytes) => {
        bytes[0] = (bytes[0]! & 0x1f) | 0x20;
        const d = decodeControlPacket(bytes);
        if (!d.ok) return;
        const again = encodeControlPacket(d.packet);
        if (d.packet.authPresent || d.packet.length === 24) {
          const expected = bytes.slice(0, d.packet.length);
          if (d.packet.auth !== undefined && d.packet.auth.type !== 1) expected[27] = 0; // Reserved is zeroed
          expect(toHex(again)).toBe(toHex(expected));
        }
      }),
      { numRuns: 5000, seed: 20261127 },
    );
  });

  test('random bytes never throw', () => {
    const view = createPacketView();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 80 }), fc.nat({ max: 80 }), (bytes, cut) => {
        const d = decodeControlPacket(bytes);
        expect(typeof d.ok).toBe('boolean');
        decodeControlPacketInto(bytes, view, 0, Math.min(cut, bytes.length));
      }),
      { numRuns: 10_000, seed: 20261128 },
    );
  });
});
