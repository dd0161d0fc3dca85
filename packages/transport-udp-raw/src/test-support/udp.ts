// Loopback helpers for the transport tests.
import { BfdListener, type ListenerOptions, type ReceivedPacket, type TtlDrop } from '../listener.ts';
import { openSocket } from '../socket.ts';

/** A port for a test listener, away from 3784/4784 and from the BFD source range. */
export function testPort(): number {
  return 20000 + Math.floor(Math.random() * 20000);
}

/** Sends one datagram with the given TTL / hop limit from an ephemeral port. */
export async function sendWithTtl(
  from: string,
  to: string,
  port: number,
  ttl: number,
  data: Uint8Array,
): Promise<number> {
  const { socket } = openSocket({ address: from, port: 0, sendTtl: ttl });
  try {
    await new Promise<void>((resolve, reject) =>
      socket.send(data, port, to, (err) => (err ? reject(err) : resolve())),
    );
    return socket.address().port;
  } finally {
    socket.close();
  }
}

export interface Recorder {
  readonly listener: BfdListener;
  readonly packets: ReceivedPacket[];
  readonly drops: TtlDrop[];
  /** Resolves once `packets.length + drops.length >= n`, rejects after 2 s. */
  until(n: number): Promise<void>;
}

export function record(options: ListenerOptions): Recorder {
  const listener = new BfdListener(options);
  const packets: ReceivedPacket[] = [];
  const drops: TtlDrop[] = [];
  let waiter: (() => void) | undefined;
  const poke = () => waiter?.();
  listener.onPacket = (p) => {
    packets.push(p);
    poke();
  };
  listener.onTtlDrop = (d) => {
    drops.push(d);
    poke();
  };
  return {
    listener,
    packets,
    drops,
    until(n) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (packets.length + drops.length >= n) {
            clearTimeout(timer);
            waiter = undefined;
            resolve();
          }
        };
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `timed out waiting for ${n} datagrams (have ${packets.length} + ${drops.length} drops)`,
              ),
            ),
          2000,
        );
        waiter = check;
        check();
      });
    },
  };
}
