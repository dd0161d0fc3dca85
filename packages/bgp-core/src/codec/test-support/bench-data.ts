// The benchmark workload (of codec.bench.ts): UPDATEs of 500
// IPv4 /32s with ORIGIN, AS_PATH (3 ASNs), NEXT_HOP, MED, COMMUNITIES and LARGE_COMMUNITIES.
import type { PathAttributes } from '../../model.ts';
import { PrefixList } from '../../prefix.ts';

export const PREFIXES_PER_UPDATE = 500;

export const BENCH_ATTRIBUTES: PathAttributes = {
  origin: 0,
  asPath: [{ type: 2, asns: [64512, 65001, 4200000001] }],
  nextHop: '192.0.2.1',
  med: 100,
  communities: [0xfde80064, 0xffffff01],
  largeCommunities: [[4200000001, 1, 2]],
};

/** `n` distinct lists of 500 consecutive /32s (distinct so nothing is cached by accident). */
export function benchPrefixLists(n: number): PrefixList[] {
  const out: PrefixList[] = [];
  for (let k = 0; k < n; k++) {
    const words = new Uint32Array(PREFIXES_PER_UPDATE);
    const base = (0x0a000000 + k * 4096) >>> 0;
    for (let i = 0; i < PREFIXES_PER_UPDATE; i++) words[i] = (base + i * 7) >>> 0;
    out.push(
      new PrefixList(1, PREFIXES_PER_UPDATE, new Uint8Array(PREFIXES_PER_UPDATE).fill(32), words, null),
    );
  }
  return out;
}
