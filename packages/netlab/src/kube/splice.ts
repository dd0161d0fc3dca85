import type net from 'node:net';

/** Relays bytes both ways between two sockets; when either closes or fails, both are destroyed. */
export function splice(a: net.Socket, b: net.Socket): void {
  a.pipe(b);
  b.pipe(a);
  const close = () => {
    a.destroy();
    b.destroy();
  };
  for (const s of [a, b]) {
    s.on('error', close);
    s.on('close', close);
  }
}
