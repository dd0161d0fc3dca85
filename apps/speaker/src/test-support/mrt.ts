// A minimal MRT TABLE_DUMP_V2 writer (RFC 6396 §4.3): one PEER_INDEX_TABLE and one RIB_IPV4_UNICAST
// record per /32, so `gobgp mrt inject global FILE` can load many routes into gobgpd in one batch.

function u16(v: number): number[] {
  return [(v >>> 8) & 0xff, v & 0xff];
}
function u32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}
function ipv4(text: string): number[] {
  return text.split('.').map(Number);
}

function record(subtype: number, body: number[], ts: number): number[] {
  return [...u32(ts), ...u16(13 /* TABLE_DUMP_V2 */), ...u16(subtype), ...u32(body.length), ...body];
}

/** MRT bytes holding `prefixes` (IPv4 /32 host addresses) with ORIGIN IGP and NEXT_HOP `nextHop`. */
export function mrtRibIPv4(
  hosts: readonly string[],
  opts: { nextHop: string; peerId: string; peerAs: number; communities?: readonly number[] },
): Uint8Array {
  const ts = Math.floor(Date.now() / 1000);
  const out: number[] = [];
  // PEER_INDEX_TABLE: collector id, empty view name, one IPv4 peer with a 4-octet AS.
  out.push(
    ...record(
      1,
      [
        ...ipv4(opts.peerId),
        ...u16(0),
        ...u16(1),
        0x02,
        ...ipv4(opts.peerId),
        ...ipv4(opts.nextHop),
        ...u32(opts.peerAs),
      ],
      ts,
    ),
  );
  // ORIGIN IGP; AS_PATH empty (the speaker prepends its AS toward eBGP peers); NEXT_HOP.
  const comms = opts.communities ?? [];
  const attrs = [
    ...[0x40, 1, 1, 0, 0x40, 2, 0, 0x40, 3, 4, ...ipv4(opts.nextHop)],
    ...(comms.length > 0 ? [0xc0, 8, comms.length * 4, ...comms.flatMap(u32)] : []),
  ];
  hosts.forEach((h, seq) => {
    const body = [
      ...u32(seq),
      32,
      ...ipv4(h),
      ...u16(1),
      ...u16(0),
      ...u32(ts),
      ...u16(attrs.length),
      ...attrs,
    ];
    out.push(...record(2, body, ts));
  });
  return Uint8Array.from(out);
}
