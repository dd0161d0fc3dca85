// A classic BPF interpreter for the instructions bpf.ts emits, to check compiled programs against
// their policy without a kernel. Packet: the network header (IPv4 or IPv6 fixed header) and the
// skb length (UDP header + payload) the filter sees.
const SKF_NET_OFF = -0x100000;

export interface FilterInput {
  readonly network: Uint8Array;
  readonly udpLength: number;
}

export function runFilter(program: Uint8Array, input: FilterInput): number {
  const view = new DataView(program.buffer, program.byteOffset, program.byteLength);
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  const net = new DataView(input.network.buffer, input.network.byteOffset, input.network.byteLength);
  let a = 0;
  let x = 0;
  let pc = 0;
  const count = program.length / 8;
  for (let steps = 0; steps < 100_000; steps++) {
    if (pc < 0 || pc >= count) throw new Error(`pc ${pc} out of program (${count} instructions)`);
    const code = view.getUint16(pc * 8, le);
    const jt = view.getUint8(pc * 8 + 2);
    const jf = view.getUint8(pc * 8 + 3);
    const k = view.getUint32(pc * 8 + 4, le);
    const netOff = (k | 0) - SKF_NET_OFF;
    pc++;
    switch (code) {
      case 0x80:
        a = input.udpLength;
        break;
      case 0x30:
        a = net.getUint8(netOff);
        break;
      case 0x20:
        a = net.getUint32(netOff);
        break;
      case 0x07:
        x = a;
        break;
      case 0x87:
        a = x;
        break;
      case 0x05:
        pc += k;
        break;
      case 0x15:
        pc += a === k ? jt : jf;
        break;
      case 0x25:
        pc += a > k ? jt : jf;
        break;
      case 0x35:
        pc += a >= k ? jt : jf;
        break;
      case 0x06:
        return k;
      default:
        throw new Error(`unexpected opcode 0x${code.toString(16)} at ${pc - 1}`);
    }
  }
  throw new Error('program did not terminate');
}

/** A minimal network header with the given TTL and source address. */
export function networkHeader(family: 4 | 6, ttl: number, source: Uint8Array): Uint8Array {
  const h = new Uint8Array(family === 4 ? 20 : 40);
  if (family === 4) {
    h[0] = 0x45;
    h[8] = ttl;
    h[9] = 17;
    h.set(source, 12);
  } else {
    h[0] = 0x60;
    h[6] = 17;
    h[7] = ttl;
    h.set(source, 8);
  }
  return h;
}
