// A KubeClient stand-in for the unit tests of the reflector, the writer, the event recorder and the
// leader elector: each request and watch is answered by a handler the test writes, and every call
// is logged. The interop tests run the same code against a real API server.
import type { KubeClient, RequestOptions, WatchEvent, WatchOptions } from '../client.ts';

export interface RequestCall {
  method: string;
  path: string;
  opts: RequestOptions;
}
export interface WatchCall {
  path: string;
  opts: WatchOptions;
  /** Send an event on this watch. */
  send(e: WatchEvent): void;
  /** End the watch: cleanly, or with an error. */
  end(err?: Error): void;
  ended: boolean;
}

export class ScriptedClient {
  readonly requests: RequestCall[] = [];
  readonly watches: WatchCall[] = [];
  onRequest: (call: RequestCall) => unknown | Promise<unknown> = () => {
    throw new Error('unexpected request');
  };
  #watchWaiters: ((w: WatchCall) => void)[] = [];

  asClient(): KubeClient {
    return this as unknown as KubeClient;
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const call = { method, path, opts };
    this.requests.push(call);
    return (await this.onRequest(call)) as T;
  }

  watch(path: string, onEvent: (e: WatchEvent) => void, opts: WatchOptions = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const call: WatchCall = {
        path,
        opts,
        ended: false,
        send: (e) => {
          if (!call.ended) onEvent(e);
        },
        end: (err) => {
          if (call.ended) return;
          call.ended = true;
          if (err) reject(err);
          else resolve();
        },
      };
      if (opts.signal?.aborted) return resolve();
      opts.signal?.addEventListener('abort', () => call.end(), { once: true });
      this.watches.push(call);
      const w = this.#watchWaiters.shift();
      w?.(call);
    });
  }

  /** The next watch opened (or the newest one not yet taken, if it is already open). */
  nextWatch(taken = this.#taken): Promise<WatchCall> {
    const open = this.watches[taken];
    this.#taken = taken + 1;
    if (open !== undefined) return Promise.resolve(open);
    return new Promise((r) => this.#watchWaiters.push(r));
  }
  #taken = 0;
}

export async function until(pred: () => boolean, what = 'condition', timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
