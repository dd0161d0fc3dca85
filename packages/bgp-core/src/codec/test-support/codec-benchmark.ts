// Codec throughput: decode and encode UPDATEs of 500 IPv4 /32s with a typical attribute set.
// Used by src/codec/codec.bench.ts (vitest bench).
import type { UpdateMessage } from '../../model.ts';
import { PrefixList } from '../../prefix.ts';
import { decodeMessage, MessageReader } from '../decode.ts';
import { encodeMessage } from '../encode.ts';
import { packUpdates } from '../pack.ts';
import { BENCH_ATTRIBUTES, benchPrefixLists, PREFIXES_PER_UPDATE } from './bench-data.ts';

export function runCodecBenchmark(iterations = 20_000, log: (line: string) => void = console.log): void {
  const lists = benchPrefixLists(64);
  const opts = { as4: true };
  const messages = lists.map((l) => {
    const m = packUpdates(
      { afi: 1, safi: 1, attributes: BENCH_ATTRIBUTES, announce: l, withdraw: PrefixList.empty(1) },
      opts,
    );
    if (m.length !== 1) throw new Error(`expected one UPDATE, got ${m.length}`);
    return m[0] as Uint8Array;
  });
  const stream = new Uint8Array(messages.reduce((n, m) => n + m.length, 0));
  let off = 0;
  for (const m of messages) {
    stream.set(m, off);
    off += m.length;
  }
  const decoded: UpdateMessage[] = messages.map((m) => {
    const r = decodeMessage(m, opts);
    if (r.kind !== 'message' || r.message.type !== 'update' || r.message.nlri.count !== PREFIXES_PER_UPDATE) {
      throw new Error('decode failed');
    }
    return r.message;
  });

  let sink = 0;
  // Wall time counts the time this thread waits for a CPU on a busy machine; CPU time (all threads
  // of the process, so GC helpers too) is what one core actually spends. Both are printed.
  const run = (name: string, fn: (i: number) => void): void => {
    for (let i = 0; i < Math.min(iterations, 2000); i++) fn(i); // warm up
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < 5; r++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < iterations; i++) fn(i);
      wall.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
    wall.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    const prefixes = iterations * PREFIXES_PER_UPDATE;
    const fmt = (ms: number): string =>
      `${(prefixes / (ms / 1000) / 1e6).toFixed(1).padStart(6)} M/s ${((ms * 1e6) / prefixes).toFixed(1).padStart(5)} ns`;
    log(
      `${name.padEnd(46)} CPU ${fmt(cpu[2] as number)}   wall ${fmt(wall[2] as number)}  (per prefix, median of 5)`,
    );
  };

  log(
    `${PREFIXES_PER_UPDATE} IPv4 /32 per UPDATE (${messages[0]?.length} bytes), median of 5 rounds of ${iterations} UPDATEs`,
  );
  run('decode: decodeMessage', (i) => {
    const r = decodeMessage(messages[i & 63] as Uint8Array, opts);
    if (r.kind === 'message' && r.message.type === 'update') sink += r.message.nlri.count;
  });
  const reader = new MessageReader(opts);
  run('decode: MessageReader (64 UPDATEs per chunk)', (i) => {
    if ((i & 63) === 0) reader.push(stream);
    const r = reader.next();
    if (r !== undefined && r.kind === 'message' && r.message.type === 'update') sink += r.message.nlri.count;
  });
  run('encode: packUpdates (attributes + 500 prefixes)', (i) => {
    const out = packUpdates(
      {
        afi: 1,
        safi: 1,
        attributes: BENCH_ATTRIBUTES,
        announce: lists[i & 63] as PrefixList,
        withdraw: PrefixList.empty(1),
      },
      opts,
    );
    sink += (out[0] as Uint8Array).length;
  });
  run('encode: encodeMessage (decoded UPDATE)', (i) => {
    sink += encodeMessage(decoded[i & 63] as UpdateMessage, opts).length;
  });
  if (sink === 0) log('(nothing decoded)');
}
