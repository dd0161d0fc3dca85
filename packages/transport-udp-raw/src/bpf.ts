// Classic BPF socket filters that enforce the TTL / hop-limit rules of RFC 5881 §5 (single hop: 255
// only) and RFC 5883 §2 (multihop: at least the session's minimum) in the kernel.
//
// A packet that fails is not silently discarded: the filter trims it to its UDP header, so the socket
// receives an empty datagram that still carries the sender's address and port. The listener counts
// those as TTL drops; their payload never reaches user space. A datagram that really is empty is not
// BFD and is dropped outright, so an empty datagram always means "failed the TTL check".
//
// Offsets are relative to the network header (SKF_NET_OFF) so they work the same for IPv4 and IPv6:
// TTL is byte 8 of the IPv4 header, the hop limit byte 7 of the IPv6 header; the source address is at
// 12 (IPv4, 4 bytes) or 8 (IPv6, 16 bytes). IPv6 sockets must be IPV6_V6ONLY so no IPv4 packet
// reaches them.

const SKF_NET_OFF = -0x100000;
const LD_W_ABS = 0x20;
const LD_B_ABS = 0x30;
const LD_W_LEN = 0x80;
const JA = 0x05;
const JEQ_K = 0x15;
const JGT_K = 0x25;
const JGE_K = 0x35;
const RET_K = 0x06;
const TAX = 0x07;
const TXA = 0x87;

// struct sock_filter is in host byte order.
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Largest program the kernel accepts (BPF_MAXINSNS). */
export const MAX_INSTRUCTIONS = 4096;
/** Return value that keeps the whole packet. */
export const ACCEPT_ALL = 0x40000;
/** Return value that trims a packet to its 8-byte UDP header: an empty datagram marks a TTL drop. */
export const MARK_TTL_DROP = 8;

export interface TtlOverride {
  /** The peer's address in network byte order: 4 bytes for IPv4, 16 for IPv6. */
  readonly source: Uint8Array;
  /** Lowest TTL / hop limit accepted from this source (1–255). */
  readonly minTtl: number;
}

export interface TtlPolicy {
  readonly family: 4 | 6;
  /** Lowest TTL / hop limit accepted from sources not listed in `overrides` (255 for single hop). */
  readonly minTtl: number;
  /** Per-source minimums (multihop sessions whose profile's minimumTtl differs from `minTtl`). */
  readonly overrides?: readonly TtlOverride[];
}

interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

function checkTtl(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 1 || value > 255) {
    throw new RangeError(`${what} must be an integer from 1 to 255, got ${value}`);
  }
}

/** A filter that admits nothing: for sockets that only send (nothing queues up on them). */
export function dropAllFilter(): Buffer {
  const out = Buffer.alloc(8);
  const view = new DataView(out.buffer, out.byteOffset, 8);
  view.setUint16(0, RET_K, HOST_LE);
  return out;
}

/** Compiles a policy into a classic BPF program (8 bytes per `struct sock_filter`, host byte order). */
export function compileTtlFilter(policy: TtlPolicy): Buffer {
  const { family } = policy;
  checkTtl(policy.minTtl, 'minTtl');
  const ttlOffset = family === 4 ? 8 : 7;
  const srcOffset = family === 4 ? 12 : 8;
  const words = family === 4 ? 1 : 4;
  const overrides = policy.overrides ?? [];

  const prog: Insn[] = [
    { code: LD_W_LEN, jt: 0, jf: 0, k: 0 },
    { code: JGT_K, jt: 1, jf: 0, k: 8 }, // any payload at all?
    { code: RET_K, jt: 0, jf: 0, k: 0 }, // an empty datagram is not BFD: drop it
    { code: LD_B_ABS, jt: 0, jf: 0, k: SKF_NET_OFF + ttlOffset },
    { code: TAX, jt: 0, jf: 0, k: 0 }, // X = TTL
  ];
  // Each override: compare the source word by word (mismatch: on to the next override), then test X.
  const farJumps: { at: number; target: 'accept' | 'reject' }[] = [];
  for (const [i, o] of overrides.entries()) {
    if (o.source.length !== words * 4) {
      throw new RangeError(
        `overrides[${i}].source must be ${words * 4} bytes for IPv${family}, got ${o.source.length}`,
      );
    }
    checkTtl(o.minTtl, `overrides[${i}].minTtl`);
    const view = new DataView(o.source.buffer, o.source.byteOffset, o.source.byteLength);
    const entryLength = words * 2 + 4;
    for (let w = 0; w < words; w++) {
      prog.push({ code: LD_W_ABS, jt: 0, jf: 0, k: SKF_NET_OFF + srcOffset + w * 4 });
      // on mismatch skip the rest of this entry: (entryLength - 2*(w+1)) instructions follow this one
      prog.push({ code: JEQ_K, jt: 0, jf: entryLength - 2 * (w + 1), k: view.getUint32(w * 4) });
    }
    prog.push({ code: TXA, jt: 0, jf: 0, k: 0 });
    prog.push({ code: JGE_K, jt: 0, jf: 1, k: o.minTtl });
    farJumps.push({ at: prog.length, target: 'accept' });
    prog.push({ code: JA, jt: 0, jf: 0, k: 0 });
    farJumps.push({ at: prog.length, target: 'reject' });
    prog.push({ code: JA, jt: 0, jf: 0, k: 0 });
  }
  prog.push({ code: TXA, jt: 0, jf: 0, k: 0 });
  prog.push({ code: JGE_K, jt: 0, jf: 1, k: policy.minTtl });
  const accept = prog.length;
  prog.push({ code: RET_K, jt: 0, jf: 0, k: ACCEPT_ALL });
  const reject = prog.length;
  prog.push({ code: RET_K, jt: 0, jf: 0, k: MARK_TTL_DROP });
  for (const j of farJumps) {
    const insn = prog[j.at];
    if (insn) insn.k = (j.target === 'accept' ? accept : reject) - (j.at + 1);
  }
  if (prog.length > MAX_INSTRUCTIONS) {
    throw new RangeError(
      `TTL filter for ${overrides.length} per-peer minimum TTLs needs ${prog.length} BPF instructions, more than the kernel's ${MAX_INSTRUCTIONS}; give more multihop peers the same minimumTtl`,
    );
  }
  const out = Buffer.alloc(prog.length * 8);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (const [i, insn] of prog.entries()) {
    view.setUint16(i * 8, insn.code, HOST_LE);
    view.setUint8(i * 8 + 2, insn.jt);
    view.setUint8(i * 8 + 3, insn.jf);
    view.setUint32(i * 8 + 4, insn.k >>> 0, HOST_LE);
  }
  return out;
}
