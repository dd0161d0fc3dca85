import { describe, expect, test } from 'vitest';
import { type BfdAuthConfig, type BfdAuthMode, sequenceInWindow } from './auth.ts';
import { type BfdControlPacketInput, encodeControlPacket, signControlPacket } from './codec.ts';
import { BfdAuthType, BfdState } from './constants.ts';
import { BfdEndpoint } from './endpoint.ts';
import { nodeHash } from './test-support/node-hash.ts';
import { ManualPeer, pair, seededRandom } from './testing/index.ts';

// Keyed authentication digests come from node:crypto here.
const authPair = (a: Parameters<typeof pair>[0], b: Parameters<typeof pair>[1]) =>
  pair(a, b, { hash: nodeHash });
const authPeer = (config: ConstructorParameters<typeof ManualPeer>[0], seed?: number) =>
  new ManualPeer(config, { seed, hash: nodeHash });

const MODES: BfdAuthMode[] = [
  'simple-password',
  'keyed-md5',
  'meticulous-keyed-md5',
  'keyed-sha1',
  'meticulous-keyed-sha1',
];
const TYPE: Record<BfdAuthMode, number> = {
  'simple-password': 1,
  'keyed-md5': 2,
  'meticulous-keyed-md5': 3,
  'keyed-sha1': 4,
  'meticulous-keyed-sha1': 5,
};

const cfg = (type: BfdAuthMode, secret = 's3cret', id = 1): BfdAuthConfig => ({
  type,
  keys: [{ id, secret }],
});

/** A packet from the manual peer authenticated with `mode`, key id, sequence and secret. */
function authed(
  p: ManualPeer,
  fields: Partial<BfdControlPacketInput>,
  mode: BfdAuthMode,
  opts: { seq?: number; keyId?: number; secret?: string } = {},
): Uint8Array {
  const secret = new TextEncoder().encode(opts.secret ?? 's3cret');
  const keyId = opts.keyId ?? 1;
  const type = TYPE[mode];
  const auth: BfdControlPacketInput['auth'] =
    type === 1
      ? { type: 1, keyId, password: secret }
      : {
          type: type as 2 | 3 | 4 | 5,
          keyId,
          sequence: opts.seq ?? 1,
          digest: new Uint8Array(type <= 3 ? 16 : 20),
        };
  const bytes = encodeControlPacket(p.packet({ ...fields, auth }));
  if (type !== 1) signControlPacket(bytes, secret, nodeHash);
  return bytes;
}

describe('RFC 5880 §6.7 authentication between two sessions', () => {
  for (const mode of MODES) {
    test(`§6.7 ${mode}: sessions come Up, every packet carries Auth Type ${TYPE[mode]}`, () => {
      const { net, a, b, sa, sb } = authPair({ auth: cfg(mode) }, { auth: cfg(mode) });
      expect(net.runUntilTrue(() => sa.state === 'Up' && sb.state === 'Up', 10_000)).toBe(true);
      net.runFor(20_000);
      expect(sa.state).toBe('Up');
      const sent = a.sent.map((s) => s.packet);
      expect(sent.every((p) => p.authPresent && p.auth?.type === TYPE[mode])).toBe(true);
      if (mode !== 'simple-password') {
        const seqs = sent.map((p) => (p.auth as { sequence: number }).sequence);
        for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe((seqs[i - 1]! + 1) >>> 0);
      }
      expect(Object.values(b.endpoint.stats.discards).reduce((x, y) => x + y, 0)).toBe(0);
    });

    test(`§6.7 ${mode}: a wrong key never comes Up and every packet is discarded`, () => {
      const { net, b, sa, sb } = authPair({ auth: cfg(mode, 'right') }, { auth: cfg(mode, 'wrong') });
      net.runFor(10_000);
      expect(sa.state).toBe('Down');
      expect(sb.state).toBe('Down');
      const reason = mode === 'simple-password' ? 'auth-password' : 'auth-digest';
      expect(b.endpoint.stats.discards[reason]).toBeGreaterThan(5);
      expect(b.endpoint.stats.accepted).toBe(0);
    });
  }

  test('§6.7.1 several keys: the receiver accepts any configured key id, the sender uses sendKeyId', () => {
    const twoKeys: BfdAuthConfig = {
      type: 'meticulous-keyed-sha1',
      keys: [
        { id: 1, secret: 'old' },
        { id: 2, secret: 'new' },
      ],
      sendKeyId: 2,
    };
    const { net, a, sa, sb } = authPair(
      { auth: twoKeys },
      { auth: { type: 'meticulous-keyed-sha1', keys: [{ id: 1, secret: 'old' }] } },
    );
    expect(net.runUntilTrue(() => sa.state === 'Up' && sb.state === 'Up', 10_000)).toBe(false);
    // b does not know key 2: a's packets are discarded by b (unknown key id).
    expect(net.nodes.get('b')!.endpoint.stats.discards['auth-key-id']).toBeGreaterThan(0);
    expect(a.sent.every((s) => s.packet.auth?.keyId === 2)).toBe(true);
    const r = authPair({ auth: twoKeys }, { auth: { ...twoKeys, sendKeyId: 1 } });
    expect(r.net.runUntilTrue(() => r.sa.state === 'Up' && r.sb.state === 'Up', 10_000)).toBe(true);
  });

  test('§6.8.6 auth mismatch both ways: A bit without auth configured, no A bit with auth configured', () => {
    const { net, a, b, sa } = authPair({ auth: cfg('keyed-sha1') }, {});
    net.runFor(5000);
    expect(sa.state).toBe('Down');
    expect(b.endpoint.stats.discards['auth-unexpected']).toBeGreaterThan(0);
    expect(a.endpoint.stats.discards['auth-missing']).toBeGreaterThan(0);
  });

  test('§6.7 a different Auth Type than configured is discarded', () => {
    const { net, b } = authPair({ auth: cfg('keyed-md5') }, { auth: cfg('meticulous-keyed-md5') });
    net.runFor(5000);
    expect(b.endpoint.stats.discards['auth-type-mismatch']).toBeGreaterThan(0);
  });

  test('configuration errors name the field: key length per type, key id, missing hash', () => {
    const ep = new BfdEndpoint({ random: seededRandom(1) });
    const add = (auth: BfdAuthConfig) =>
      ep.addSession(0, {
        key: `k${Math.random()}`,
        localAddress: '10.0.0.1',
        remoteAddress: `10.0.0.${2 + ep.size}`,
        auth,
      });
    expect(() => add(cfg('keyed-md5'))).toThrow(/hash option/);
    expect(() => add({ type: 'simple-password', keys: [{ id: 1, secret: 'x'.repeat(17) }] })).toThrow(
      /secret is 17 bytes.*1–16/,
    );
    expect(() => add({ type: 'simple-password', keys: [{ id: 256, secret: 'x' }] })).toThrow(/keys\[0\]\.id/);
    expect(() => add({ type: 'simple-password', keys: [] })).toThrow(/at least one key/);
    expect(() => add({ type: 'simple-password', keys: [{ id: 1, secret: 'x' }], sendKeyId: 3 })).toThrow(
      /sendKeyId/,
    );
    expect(() => add({ type: 'bogus' as BfdAuthMode, keys: [{ id: 1, secret: 'x' }] })).toThrow(/auth\.type/);
    const withHash = new BfdEndpoint({ random: seededRandom(1), hash: nodeHash });
    expect(() =>
      withHash.addSession(0, {
        key: 'a',
        localAddress: '10.0.0.1',
        remoteAddress: '10.0.0.2',
        auth: { type: 'keyed-sha1', keys: [{ id: 1, secret: 'x'.repeat(20) }] },
      }),
    ).not.toThrow();
  });
});

describe('RFC 5880 §6.7.2–6.7.4 reception rules with a hand-driven peer', () => {
  test('§6.7.2 simple password: key id and password must both match', () => {
    const p = authPeer({ auth: cfg('simple-password') });
    expect(p.deliver(authed(p, { state: BfdState.Down }, 'simple-password', { keyId: 2 }))).toBe(
      'auth-key-id',
    );
    expect(p.deliver(authed(p, { state: BfdState.Down }, 'simple-password', { secret: 's3cre' }))).toBe(
      'auth-password',
    );
    expect(p.deliver(authed(p, { state: BfdState.Down }, 'simple-password', { secret: 's3cret!' }))).toBe(
      'auth-password',
    );
    expect(p.session.state).toBe('Down');
    expect(p.deliver(authed(p, { state: BfdState.Down }, 'simple-password'))).toBeUndefined();
    expect(p.session.state).toBe('Init');
  });

  test('§6.7.3 keyed MD5: equal sequence accepted, window RcvAuthSeq..+3×DetectMult, older discarded', () => {
    const p = authPeer({ auth: cfg('keyed-md5') });
    const send = (seq: number, detectMult = 3) =>
      p.deliver(authed(p, { state: BfdState.Down, detectMult }, 'keyed-md5', { seq }));
    expect(send(1000)).toBeUndefined(); // AuthSeqKnown was 0: any sequence
    // A Node Buffer is verified without being changed (equal sequence: keyed allows it).
    const buf = Buffer.from(authed(p, { state: BfdState.Down }, 'keyed-md5', { seq: 1000 }));
    const copy = Buffer.from(buf);
    expect(p.deliver(buf)).toBeUndefined();
    expect(buf.equals(copy)).toBe(true);
    expect(send(1000)).toBeUndefined(); // keyed: equal allowed
    expect(send(999)).toBe('auth-sequence');
    expect(send(1009)).toBeUndefined(); // 1000 + 3 × 3
    expect(send(1019)).toBe('auth-sequence'); // 1009 + 10
    expect(send(1019, 4)).toBeUndefined(); // window uses the packet's Detect Mult: 1009 + 12
    expect(p.endpoint.stats.discards['auth-sequence']).toBe(2);
  });

  test('§6.7.3 meticulous keyed MD5: strictly increasing, replay and old sequences discarded', () => {
    const p = authPeer({ auth: cfg('meticulous-keyed-md5') });
    const send = (seq: number) =>
      p.deliver(authed(p, { state: BfdState.Down }, 'meticulous-keyed-md5', { seq }));
    expect(send(50)).toBeUndefined();
    expect(send(50)).toBe('auth-sequence'); // replay
    expect(send(49)).toBe('auth-sequence'); // old
    expect(send(51)).toBeUndefined();
    expect(send(61)).toBe('auth-sequence'); // 51 + 3 × 3 + 1
    expect(send(59)).toBeUndefined(); // 51 + 8
    expect(send(59)).toBe('auth-sequence');
  });

  test('§6.7.3 meticulous window edge: RcvAuthSeq + 3×DetectMult accepted, one more discarded', () => {
    const p = authPeer({ auth: cfg('meticulous-keyed-md5') });
    const send = (seq: number) =>
      p.deliver(authed(p, { state: BfdState.Down }, 'meticulous-keyed-md5', { seq }));
    expect(send(100)).toBeUndefined();
    expect(send(110)).toBe('auth-sequence');
    expect(send(109)).toBeUndefined();
  });

  test('§6.7.4 sequence numbers wrap around in 32-bit circular space (SHA1 types)', () => {
    for (const mode of ['keyed-sha1', 'meticulous-keyed-sha1'] as const) {
      const p = authPeer({ auth: cfg(mode) });
      const send = (seq: number) => p.deliver(authed(p, { state: BfdState.Down }, mode, { seq }));
      expect(send(0xfffffffe)).toBeUndefined();
      expect(send(0xffffffff)).toBeUndefined();
      expect(send(2)).toBeUndefined();
      expect(send(0xfffffff0)).toBe('auth-sequence');
    }
    expect(sequenceInWindow(5, 5, 3, false)).toBe(true);
    expect(sequenceInWindow(5, 5, 3, true)).toBe(false);
    expect(sequenceInWindow(1, 0xfffffff9, 3, true)).toBe(true);
  });

  test('§6.7.4 a corrupted SHA1 packet and a wrong key id are discarded', () => {
    const p = authPeer({ auth: cfg('meticulous-keyed-sha1') });
    const bytes = authed(p, { state: BfdState.Down }, 'meticulous-keyed-sha1', { seq: 7 });
    bytes[17] = bytes[17]! ^ 0x40;
    expect(p.deliver(bytes)).toBe('auth-digest');
    expect(
      p.deliver(authed(p, { state: BfdState.Down }, 'meticulous-keyed-sha1', { seq: 8, keyId: 9 })),
    ).toBe('auth-key-id');
    // Failed packets do not advance the known sequence: 7 is still fresh.
    expect(
      p.deliver(authed(p, { state: BfdState.Down }, 'meticulous-keyed-sha1', { seq: 7 })),
    ).toBeUndefined();
  });

  test('§6.8.1 bfd.AuthSeqKnown resets after twice the detection time without packets', () => {
    const p = authPeer({ auth: cfg('meticulous-keyed-sha1') });
    const send = (seq: number) =>
      p.deliver(authed(p, { state: BfdState.Down }, 'meticulous-keyed-sha1', { seq }));
    expect(send(1000)).toBeUndefined();
    p.advance(1799); // detection time 900 ms (3 × max(300, 300)) → reset at 1800 ms
    expect(send(5)).toBe('auth-sequence');
    const q = authPeer({ auth: cfg('meticulous-keyed-sha1') });
    const sendQ = (seq: number) =>
      q.deliver(authed(q, { state: BfdState.Down }, 'meticulous-keyed-sha1', { seq }));
    expect(sendQ(1000)).toBeUndefined();
    q.advance(1800);
    expect(sendQ(5)).toBeUndefined();
  });

  test('§6.7.3 our transmitted digests verify with the shared key and sequences start at a random value', () => {
    const p = authPeer({ auth: cfg('keyed-md5') });
    const q = authPeer({ auth: cfg('keyed-md5') }, 8);
    const first = p.sent[0]!.packet.auth as { sequence: number };
    const other = q.sent[0]!.packet.auth as { sequence: number };
    expect(first.sequence).not.toBe(other.sequence);
    expect(p.sent[0]!.packet.auth?.type).toBe(BfdAuthType.KeyedMd5);
  });
});

describe('§6.7.1 key rollover at run time', () => {
  test('updateAuth: new keys within one type keep the session Up; a type change drops it until both match', () => {
    const k1: BfdAuthConfig = { type: 'meticulous-keyed-sha1', keys: [{ id: 1, secret: 'one' }] };
    const both: BfdAuthConfig = {
      type: 'meticulous-keyed-sha1',
      keys: [
        { id: 1, secret: 'one' },
        { id: 2, secret: 'two' },
      ],
    };
    const { net, a, b, sa, sb } = authPair({ auth: k1 }, { auth: k1 });
    expect(net.runUntilTrue(() => sa.state === 'Up' && sb.state === 'Up', 10_000)).toBe(true);
    // Roll over: both accept 1 and 2, then both send 2, then both drop 1.
    sa.updateAuth(net.now, both);
    sb.updateAuth(net.now, both);
    net.runFor(2000);
    sa.updateAuth(net.now, { ...both, sendKeyId: 2 });
    net.runFor(2000);
    sb.updateAuth(net.now, { ...both, sendKeyId: 2 });
    net.runFor(2000);
    const only2: BfdAuthConfig = { type: 'meticulous-keyed-sha1', keys: [{ id: 2, secret: 'two' }] };
    sa.updateAuth(net.now, only2);
    sb.updateAuth(net.now, only2);
    net.runFor(5000);
    expect(sa.state).toBe('Up');
    expect([...a.events, ...b.events].filter((e) => e.type === 'down')).toHaveLength(0);
    expect(a.sent[a.sent.length - 1]!.packet.auth?.keyId).toBe(2);
    // Turning authentication off on one side only: the other discards, the session fails.
    sa.updateAuth(net.now, undefined);
    net.runFor(3000);
    expect(sb.state).toBe('Down');
    expect(b.endpoint.stats.discards['auth-missing']).toBeGreaterThan(0);
    sb.updateAuth(net.now, undefined);
    expect(net.runUntilTrue(() => sa.state === 'Up' && sb.state === 'Up', 10_000)).toBe(true);
    expect(a.sent[a.sent.length - 1]!.packet.authPresent).toBe(false);
  });
});
