// vitest bench: one UPDATE of 500 IPv4 /32s per iteration (divide the time by 500 for ns/prefix).
// scripts/bench-codec.ts prints prefixes/s directly.
import { bench, describe } from 'vitest';
import { PrefixList } from '../prefix.ts';
import { BENCH_ATTRIBUTES, benchPrefixLists } from './bench-data.ts';
import { decodeMessage } from './decode.ts';
import { encodeMessage } from './encode.ts';
import { packUpdates } from './pack.ts';

const opts = { as4: true };
const lists = benchPrefixLists(64);
const messages = lists.map(
  (l) =>
    packUpdates(
      { afi: 1, safi: 1, attributes: BENCH_ATTRIBUTES, announce: l, withdraw: PrefixList.empty(1) },
      opts,
    )[0] as Uint8Array,
);
const decoded = messages.map((m) => {
  const r = decodeMessage(m, opts);
  if (r.kind !== 'message') throw new Error('decode failed');
  return r.message;
});

describe('UPDATE of 500 IPv4 /32 (ORIGIN, AS_PATH, NEXT_HOP, MED, COMMUNITIES, LARGE_COMMUNITIES)', () => {
  let i = 0;
  bench('decodeMessage', () => {
    decodeMessage(messages[i++ & 63] as Uint8Array, opts);
  });
  bench('packUpdates', () => {
    packUpdates(
      {
        afi: 1,
        safi: 1,
        attributes: BENCH_ATTRIBUTES,
        announce: lists[i++ & 63] as PrefixList,
        withdraw: PrefixList.empty(1),
      },
      opts,
    );
  });
  bench('encodeMessage', () => {
    encodeMessage(decoded[i++ & 63] as (typeof decoded)[number], opts);
  });
});
