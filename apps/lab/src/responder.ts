// The lab's data plane on a node (kube-proxy is not part of the lab): a UDP responder bound to the
// Service IPs on this node's loopback, answering every datagram with the node's name in front, so a
// client sees which node a ToR's ECMP route delivered its packet to. Run inside the node's network
// namespace by the cluster lab:
//
//   node responder.ts NODE PORT IP [IP …]
//
// Each IP is bound on its own socket, so replies leave from the Service IP the client sent to.
// Prints `ready` once every socket is bound; exits on SIGTERM or SIGINT.
import dgram from 'node:dgram';

const [node, portText, ...ips] = process.argv.slice(2);
const port = Number(portText);
if (node === undefined || !Number.isInteger(port) || ips.length === 0) {
  process.stderr.write('usage: responder.ts NODE PORT IP [IP …]\n');
  process.exit(2);
}

const prefix = Buffer.from(`${node} `);
const sockets = ips.map((ip) => {
  const s = dgram.createSocket({ type: ip.includes(':') ? 'udp6' : 'udp4' });
  s.on('message', (msg, from) => s.send([prefix, msg], from.port, from.address));
  s.on('error', (err) => {
    process.stderr.write(`responder ${node} ${ip}:${port}: ${err.message}\n`);
    process.exit(1);
  });
  return new Promise<dgram.Socket>((resolve) => s.bind(port, ip, () => resolve(s)));
});
const bound = await Promise.all(sockets);
process.stdout.write(`ready ${node} ${ips.join(',')}:${port}\n`);
const stop = () => {
  for (const s of bound) s.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
