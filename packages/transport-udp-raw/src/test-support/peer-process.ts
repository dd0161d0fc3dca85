// Runs test-support/bfd-peer.ts as a child process in a lab namespace and talks to it: its events
// (JSON lines on stdout) and its control socket.
import fs from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { BfdSessionConfig } from '@bmlb/bfd-core';
import type { Lab, Namespace, Proc } from '@bmlb/netlab';

export const PEER_SCRIPT = fileURLToPath(new URL('./bfd-peer.ts', import.meta.url));

export interface PeerEvent {
  event: string;
  t: number;
  sessionKey?: string;
  [field: string]: unknown;
}

export class PeerProcess {
  readonly proc: Proc;
  readonly control: string;

  private constructor(proc: Proc, control: string) {
    this.proc = proc;
    this.control = control;
  }

  static async start(
    lab: Lab,
    ns: Namespace,
    name: string,
    sessions: BfdSessionConfig[],
  ): Promise<PeerProcess> {
    const control = lab.file(`${name}.sock`);
    const config = lab.file(`${name}.json`, JSON.stringify({ sessions, control }));
    fs.rmSync(control, { force: true });
    const proc = lab.spawn(ns, [process.execPath, '--conditions=@bmlb/source', PEER_SCRIPT, config], {
      name,
    });
    const peer = new PeerProcess(proc, control);
    await proc.waitForOutput('"event":"ready"', { timeoutMs: 15_000 });
    return peer;
  }

  events(): PeerEvent[] {
    return this.proc.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as PeerEvent);
  }

  /** The first event after index `from` that matches. */
  async waitForEvent(match: (e: PeerEvent) => boolean, from = 0, timeoutMs = 10_000): Promise<PeerEvent> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events().slice(from).find(match);
      if (found) return found;
      if (!this.proc.running)
        throw new Error(`peer process exited (${JSON.stringify(this.proc.exit)}):\n${this.proc.output()}`);
      if (Date.now() > end)
        throw new Error(
          `no matching event within ${timeoutMs} ms; output:\n${this.proc.output().slice(-4000)}`,
        );
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** One command on the control socket; resolves with the reply. */
  command<T = unknown>(cmd: object): Promise<T> {
    return new Promise((resolve, reject) => {
      const conn = net.connect(this.control);
      let buf = '';
      conn.on('data', (d) => {
        buf += d.toString('utf8');
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        conn.end();
        const reply = JSON.parse(buf.slice(0, nl)) as { ok: boolean; reply?: T; error?: string };
        if (reply.ok) resolve(reply.reply as T);
        else reject(new Error(`peer command ${JSON.stringify(cmd)} failed: ${reply.error}`));
      });
      conn.on('error', reject);
      conn.write(`${JSON.stringify(cmd)}\n`);
    });
  }
}
