import { describe, expect, it } from 'vitest';
import { ApiError } from './client.ts';
import { LeaseLeaderElector } from './leader.ts';
import { type RequestCall, ScriptedClient, until } from './test-support/scripted-client.ts';

/** The Lease part of an API server: get, create, update with resourceVersion checks. */
function leaseServer() {
  let lease: Record<string, unknown> | undefined;
  let rv = 1;
  const writes: string[] = [];
  const handle = (who: string, cut: () => boolean) => (c: RequestCall) => {
    if (cut()) throw new ApiError(`${c.method} ${c.path}`, 0, 'connection refused');
    if (c.method === 'GET') {
      if (lease === undefined) throw new ApiError('GET', 404, 'not found', 'NotFound');
      return structuredClone(lease);
    }
    const body = structuredClone(c.opts.body) as {
      metadata: Record<string, unknown>;
      spec: Record<string, unknown>;
    };
    if (c.method === 'POST') {
      if (lease !== undefined) throw new ApiError('POST', 409, 'exists', 'AlreadyExists');
    } else if (c.method === 'PUT') {
      if (
        (lease?.metadata as { resourceVersion?: string } | undefined)?.resourceVersion !==
        body.metadata.resourceVersion
      ) {
        throw new ApiError('PUT', 409, 'the object has been modified', 'Conflict');
      }
    }
    body.metadata.resourceVersion = String(++rv);
    lease = body;
    writes.push(`${who}:${String(body.spec.holderIdentity)}`);
    return structuredClone(body);
  };
  return {
    handle,
    writes,
    get lease() {
      return lease;
    },
  };
}

const fast = { leaseDurationMs: 400, renewDeadlineMs: 250, retryPeriodMs: 50 };

function candidate(server: ReturnType<typeof leaseServer>, id: string) {
  const client = new ScriptedClient();
  let partitioned = false;
  client.onRequest = server.handle(id, () => partitioned);
  const log: string[] = [];
  const el = new LeaseLeaderElector(client.asClient(), {
    namespace: 'metallb-system',
    name: 'bmlb-controller',
    identity: id,
    ...fast,
    onStartedLeading: () => log.push('started'),
    onStoppedLeading: (why) => log.push(`stopped: ${why}`),
  });
  const ac = new AbortController();
  return {
    el,
    log,
    ac,
    partition: (on: boolean) => {
      partitioned = on;
    },
    run: () => el.run(ac.signal),
  };
}

describe('LeaseLeaderElector', () => {
  it('one of two candidates leads; the other takes over after the leader releases on shutdown', async () => {
    const server = leaseServer();
    const a = candidate(server, 'a');
    const b = candidate(server, 'b');
    const ra = a.run();
    await until(() => a.el.isLeader, 'a leads');
    const rb = b.run();
    await until(() => b.el.leader === 'a', 'b sees a');
    expect(b.el.isLeader).toBe(false);
    a.ac.abort();
    await ra;
    expect((server.lease?.spec as { holderIdentity: string } | undefined)?.holderIdentity).toBe('');
    await until(() => b.el.isLeader, 'b takes over');
    expect(a.log).toEqual(['started', 'stopped: shutting down']);
    b.ac.abort();
    await rb;
  });

  it('a partitioned leader steps down after the renew deadline, and the other takes over after the lease duration', async () => {
    const server = leaseServer();
    const a = candidate(server, 'a');
    const b = candidate(server, 'b');
    const ra = a.run();
    await until(() => a.el.isLeader, 'a leads');
    const rb = b.run();
    await until(() => b.el.leader === 'a', 'b sees a');
    a.partition(true);
    const cutAt = performance.now();
    await until(() => !a.el.isLeader, 'a steps down', 5000);
    const steppedDown = performance.now() - cutAt;
    await until(() => b.el.isLeader, 'b takes over', 5000);
    const tookOver = performance.now() - cutAt;
    // Safety: the old leader stopped acting before the new one started.
    expect(steppedDown).toBeLessThan(tookOver);
    expect(a.log[1]).toMatch(/could not renew the Lease/);
    // Two leaders never wrote the Lease in turn without a transition: the writes are a's, then b's.
    const holders = server.writes.map((w) => w.split(':')[1]);
    expect(holders.indexOf('b')).toBeGreaterThan(holders.lastIndexOf('a'));
    a.partition(false);
    await until(() => a.el.leader === 'b', 'a sees b');
    expect(a.el.isLeader).toBe(false);
    a.ac.abort();
    b.ac.abort();
    await Promise.all([ra, rb]);
  });

  it('two candidates racing for a free Lease: exactly one wins (resourceVersion conflict)', async () => {
    const server = leaseServer();
    const cands = ['a', 'b', 'c'].map((id) => candidate(server, id));
    const runs = cands.map((c) => c.run());
    await until(() => cands.some((c) => c.el.isLeader), 'a leader');
    await new Promise((r) => setTimeout(r, 200));
    expect(cands.filter((c) => c.el.isLeader).length).toBe(1);
    for (const c of cands) c.ac.abort();
    await Promise.all(runs);
  });

  it('refuses timings that cannot be safe', () => {
    const client = new ScriptedClient().asClient();
    expect(
      () =>
        new LeaseLeaderElector(client, {
          namespace: 'n',
          name: 'l',
          identity: 'a',
          leaseDurationMs: 1000,
          renewDeadlineMs: 1000,
        }),
    ).toThrow(/renewDeadline/);
  });
});
