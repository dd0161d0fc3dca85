// Run inside a network namespace: listens on HOST:PORT there and relays each connection to a Unix
// socket, which the test process (in the root namespace) serves by connecting to the API server.
// A Unix socket is a file, and files are not network-namespaced: this is how a process in a lab
// namespace reaches the control plane on the root namespace's loopback, at the same
// https://127.0.0.1:PORT (so the same kubeconfig and the server's certificate work there too).
//   node relay.ts 127.0.0.1:PORT /path/api.sock
import net from 'node:net';
import { splice } from './splice.ts';

const [listen, socketPath] = process.argv.slice(2);
const m = /^(.+):(\d+)$/.exec(listen ?? '');
if (m === null || socketPath === undefined) {
  process.stderr.write('usage: relay.ts HOST:PORT UNIX_SOCKET\n');
  process.exit(2);
}
const server = net.createServer((client) => splice(client, net.connect(socketPath)));
server.listen(Number(m[2]), m[1], () => process.stdout.write(`relaying ${listen} -> ${socketPath}\n`));
process.on('SIGTERM', () => process.exit(0));
