// Relays each connection from LISTEN to TARGET, each a HOST:PORT or a Unix socket's path. Two of
// them take a process in a network namespace to the control plane on the root namespace's loopback
// at the same https://127.0.0.1:PORT (so the same kubeconfig and the server's certificate work
// there too): one inside the namespace from 127.0.0.1:PORT to a Unix socket, and one in the root
// namespace from that socket to the API server. A Unix socket is a file, and files are not
// network-namespaced. Each end is a process of its own, so a busy test process does not delay the
// watch events it carries.
//   node relay.ts 127.0.0.1:PORT /path/api.sock     (in the namespace)
//   node relay.ts /path/api.sock 127.0.0.1:PORT     (in the root namespace)
import net from 'node:net';
import { splice } from './splice.ts';

type Endpoint = { host: string; port: number } | { path: string };

function endpoint(s: string | undefined): Endpoint | undefined {
  if (s === undefined) return undefined;
  if (s.includes('/')) return { path: s };
  const m = /^(.+):(\d+)$/.exec(s);
  return m === null ? undefined : { host: m[1] as string, port: Number(m[2]) };
}

const [listenArg, targetArg] = process.argv.slice(2);
const listen = endpoint(listenArg);
const target = endpoint(targetArg);
if (listen === undefined || target === undefined) {
  process.stderr.write('usage: relay.ts LISTEN TARGET (each HOST:PORT or a Unix socket path)\n');
  process.exit(2);
}
const server = net.createServer((client) => splice(client, net.connect(target as net.NetConnectOpts)));
const ready = () => process.stdout.write(`relaying ${listenArg} -> ${targetArg}\n`);
if ('path' in listen) server.listen(listen.path, ready);
else server.listen(listen.port, listen.host, ready);
process.on('SIGTERM', () => process.exit(0));
