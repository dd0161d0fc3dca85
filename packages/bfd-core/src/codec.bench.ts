// Codec throughput: encode plus decode of BFD control packets on one core (goal ≥ 5 million/s).
// Run: cd packages/bfd-core && ../../node_modules/.bin/vitest bench --run
// Prints packets per second; asserts nothing about speed (the figure depends on the machine).
import { test } from 'vitest';
import type { BfdControlPacketInput } from './codec.ts';
import * as codec from './codec.ts';

// Bind the functions once: vitest's module runner turns each use of an imported name into a property
// read on the module namespace, which would be measured along with the codec.
const {
  createPacketView,
  decodeControlPacket,
  decodeControlPacketInto,
  encodeControlPacket,
  encodeControlPacketInto,
} = codec;

const packet: BfdControlPacketInput = {
  diag: 0,
  state: 3,
  poll: false,
  final: false,
  controlPlaneIndependent: false,
  demand: false,
  multipoint: false,
  detectMult: 3,
  myDiscriminator: 0x12345678,
  yourDiscriminator: 0x9abcdef0,
  desiredMinTxInterval: 300_000,
  requiredMinRxInterval: 300_000,
  requiredMinEchoRxInterval: 0,
};

/**
 * Run `fn(n)` in batches for about `ms` per round, best of 5 rounds. Rates are per second of this
 * process's CPU time (process.cpuUsage), so a busy machine (other jobs, the other benchmark file
 * running beside this one) does not skew them; the wall-clock rate is reported too.
 */
function measure(fn: (n: number) => void, ms = 600): { cpu: number; wall: number } {
  const n = 100_000;
  fn(n); // warm up
  let cpu = 0;
  let wall = 0;
  for (let round = 0; round < 5; round++) {
    let ops = 0;
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    let elapsed = 0;
    while (elapsed < ms / 5) {
      fn(n);
      ops += n;
      elapsed = performance.now() - start;
    }
    const used = process.cpuUsage(cpu0);
    const cpuMs = (used.user + used.system) / 1000;
    cpu = Math.max(cpu, (ops / cpuMs) * 1000);
    wall = Math.max(wall, (ops / elapsed) * 1000);
  }
  return { cpu, wall };
}

const fmt = (x: { cpu: number; wall: number }) =>
  `${(x.cpu / 1e6).toFixed(2)} M packets per CPU-second (wall clock ${(x.wall / 1e6).toFixed(2)} M/s)`;

test('BFD control packet codec: encode + decode per second, one core', () => {
  const buf = new Uint8Array(64);
  const view = createPacketView();
  let check = 0;
  const fast = measure((n) => {
    for (let i = 0; i < n; i++) {
      packet.myDiscriminator = (i + 1) >>> 0;
      encodeControlPacketInto(packet, buf, 0);
      if (decodeControlPacketInto(buf, view, 0, 24) !== 0) throw new Error('decode failed');
      check ^= view.myDiscriminator;
    }
  });
  const alloc = measure((n) => {
    for (let i = 0; i < n; i++) {
      packet.myDiscriminator = (i + 1) >>> 0;
      const d = decodeControlPacket(encodeControlPacket(packet));
      if (!d.ok) throw new Error('decode failed');
      check ^= d.packet.myDiscriminator;
    }
  });
  console.log(
    [
      'BFD codec, encode + decode of a 24-byte control packet (best of 5 rounds):',
      `  fast path (encodeControlPacketInto + decodeControlPacketInto, no allocation): ${fmt(fast)}`,
      `  allocating (encodeControlPacket + decodeControlPacket):                       ${fmt(alloc)}`,
      `  (checksum ${check})`,
    ].join('\n'),
  );
});
