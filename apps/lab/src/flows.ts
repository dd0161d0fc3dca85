// The lab's client: many UDP flows to a Service IP, each from its own source port (so the ToRs' L4
// ECMP hash spreads them over the nodes), one datagram per flow every INTERVAL ms, each answered by
// the node's responder with the node's name. Run inside the client's network namespace:
//
//   node flows.ts DST PORT FLOWS INTERVAL_MS MAX_MS [FIRST_PORT]
//
// Prints `started <epoch ms>` once sending, and on SIGTERM (or after MAX_MS) stops sending, waits
// 300 ms for replies in flight, and prints one JSON line `report {…}` (flow-stats.ts's TrafficReport).
import dgram from 'node:dgram';
import { type FlowRecord, flowStats, type Reply, type TrafficReport } from './flow-stats.ts';

const [dst, portText, flowsText, intervalText, maxText, firstPortText] = process.argv.slice(2);
const port = Number(portText);
const flows = Number(flowsText);
const intervalMs = Number(intervalText);
const maxMs = Number(maxText);
const firstPort = Number(firstPortText ?? 40000);
if (
  dst === undefined ||
  ![port, flows, intervalMs, maxMs, firstPort].every((n) => Number.isInteger(n) && n > 0) ||
  flows > 4096 ||
  intervalMs < 1 ||
  maxMs > 600_000
) {
  process.stderr.write('usage: flows.ts DST PORT FLOWS(≤4096) INTERVAL_MS MAX_MS(≤600000) [FIRST_PORT]\n');
  process.exit(2);
}

const now = () => performance.timeOrigin + performance.now();
interface Flow {
  readonly port: number;
  readonly socket: dgram.Socket;
  readonly sentAt: number[];
  readonly replies: Reply[];
}

const list: Flow[] = await Promise.all(
  Array.from({ length: flows }, (_, i) => {
    const socket = dgram.createSocket({ type: dst.includes(':') ? 'udp6' : 'udp4' });
    const flow: Flow = { port: firstPort + i, socket, sentAt: [], replies: [] };
    socket.on('message', (msg) => {
      const at = now();
      // "<node> <flow> <seq>"
      const [node, , seq] = msg.toString().split(' ');
      const n = Number(seq);
      if (node !== undefined && Number.isInteger(n)) flow.replies.push({ seq: n, at, node });
    });
    socket.on('error', (err) => process.stderr.write(`flow ${flow.port}: ${err.message}\n`));
    return new Promise<Flow>((resolve) => socket.bind(flow.port, () => resolve(flow)));
  }),
);

const startedAt = now();
let seq = 0;
const tick = () => {
  for (const f of list) {
    f.sentAt.push(now());
    f.socket.send(`${f.port} ${seq}`, port, dst);
  }
  seq++;
};
tick();
const timer = setInterval(tick, intervalMs);
process.stdout.write(`started ${startedAt}\n`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  clearTimeout(bound);
  const stoppedAt = now();
  setTimeout(() => {
    const report: TrafficReport = {
      dst,
      port,
      intervalMs,
      startedAt,
      stoppedAt,
      flows: list.map((f) => flowStats(f satisfies FlowRecord, stoppedAt)),
    };
    for (const f of list) f.socket.close();
    process.stdout.write(`report ${JSON.stringify(report)}\n`, () => process.exit(0));
  }, 300);
};
const bound = setTimeout(stop, maxMs);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
