// Codec throughput: decode and encode UPDATEs of 500 IPv4 /32s with a typical attribute set.
// Run: /work/main/node_modules/.bin/node packages/bgp-core/scripts/bench-codec.ts  (Node 24 strips types)

import { BENCH_ATTRIBUTES, benchPrefixLists, PREFIXES_PER_UPDATE } from '../src/codec/bench-data.ts';
import { decodeMessage, encodeMessage, MessageReader, PrefixList, packUpdates } from '../src/index.ts';

const LISTS = benchPrefixLists(64);
const opts = { as4: true };
const messages = LISTS.map((l) => {
  const m = packUpdates(
    { afi: 1, safi: 1, attributes: BENCH_ATTRIBUTES, announce: l, withdraw: PrefixList.empty(1) },
    opts,
  );
  if (m.length !== 1) throw new Error(`expected one UPDATE, got ${m.length}`);
  return m[0] as Uint8Array;
});
const stream = new Uint8Array(messages.reduce((n, m) => n + m.length, 0));
{
  let p = 0;
  for (const m of messages) {
    stream.set(m, p);
    p += m.length;
  }
}
const decoded = messages.map((m) => {
  const r = decodeMessage(m, opts);
  if (r.kind !== 'message' || r.message.type !== 'update' || r.message.nlri.count !== PREFIXES_PER_UPDATE)
    throw new Error('decode failed');
  return r.message;
});

let sink = 0;
function run(name: string, iterations: number, fn: (i: number) => void): void {
  for (let i = 0; i < Math.min(iterations, 2000); i++) fn(i); // warm up
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) fn(i);
    rounds.push(performance.now() - t0);
  }
  rounds.sort((a, b) => a - b);
  const ms = rounds[2] as number; // median of 5
  const prefixes = iterations * PREFIXES_PER_UPDATE;
  const perSec = prefixes / (ms / 1000);
  console.log(
    `${name.padEnd(44)} ${(perSec / 1e6).toFixed(1).padStart(6)} M prefixes/s  ${((ms * 1e6) / prefixes).toFixed(1).padStart(5)} ns/prefix  (${((ms / iterations) * 1000).toFixed(1)} µs/UPDATE, ${messages[0]?.length} bytes)`,
  );
}

const N = 20000;
console.log(
  `node ${process.version}, ${PREFIXES_PER_UPDATE} IPv4 /32 per UPDATE, median of 5 rounds of ${N} UPDATEs`,
);
run('decode: decodeMessage', N, (i) => {
  const r = decodeMessage(messages[i & 63] as Uint8Array, opts);
  if (r.kind === 'message' && r.message.type === 'update') sink += r.message.nlri.count;
});
run(
  'decode: MessageReader (64 UPDATEs per chunk)',
  N,
  (() => {
    const reader = new MessageReader(opts);
    return (i: number) => {
      if ((i & 63) === 0) reader.push(stream);
      const r = reader.next();
      if (r !== undefined && r.kind === 'message' && r.message.type === 'update')
        sink += r.message.nlri.count;
    };
  })(),
);
run('encode: packUpdates (attributes + 500 prefixes)', N, (i) => {
  sink += (
    packUpdates(
      {
        afi: 1,
        safi: 1,
        attributes: BENCH_ATTRIBUTES,
        announce: LISTS[i & 63] as PrefixList,
        withdraw: PrefixList.empty(1),
      },
      opts,
    )[0] as Uint8Array
  ).length;
});
run('encode: encodeMessage (decoded UPDATE)', N, (i) => {
  sink += encodeMessage(decoded[i & 63] as (typeof decoded)[number], opts).length;
});
if (sink === 0) console.log('');
