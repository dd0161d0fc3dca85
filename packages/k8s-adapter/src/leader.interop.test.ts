// Lease leader election between candidate processes against a real API server: the survivor takes
// over when the leader is SIGKILLed, a leader shut down with SIGTERM releases the Lease so the other
// takes over at once, and a leader cut off from the API server steps down before the other candidate
// takes over.
import path from 'node:path';
import { KubeControlPlane, kubeSkipReason, Proc, TcpProxy, waitFor } from '@bmlb/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from './client.ts';
import { loadKubeConfig } from './config.ts';

const skip = kubeSkipReason();
const LEASE_MS = 4000;
const RENEW_MS = 3000;
const RETRY_MS = 500;
const script = path.join(import.meta.dirname, 'test-support/elector-main.ts');
// The Lease elector-main.ts contends for.
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
const LEASE_NAME = 'bmlb-test-election';

interface LeaseObject {
  metadata: { resourceVersion: string };
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; leaseTransitions?: number };
}

interface Line {
  event: string;
  at: number;
  identity: string;
  reason?: string;
  leader?: string;
}
const lines = (p: Proc): Line[] =>
  p.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
const when = (p: Proc, event: string, pred: (l: Line) => boolean = () => true) =>
  lines(p).find((l) => l.event === event && pred(l));

describe.skipIf(skip)('leader election against a real API server', () => {
  let cp: KubeControlPlane;
  const procs: Proc[] = [];
  const candidate = (identity: string, kubeconfig = cp.kubeconfig) => {
    const p = new Proc(
      [
        process.execPath,
        '--conditions=@bmlb/source',
        '--disable-warning=ExperimentalWarning',
        script,
        kubeconfig,
        identity,
        String(LEASE_MS),
        String(RENEW_MS),
        String(RETRY_MS),
      ],
      { name: identity },
    );
    procs.push(p);
    return p;
  };

  beforeAll(async () => {
    cp = await KubeControlPlane.start({ controllerManager: false, scheduler: false, kwok: false });
  }, 120_000);
  afterAll(async () => {
    for (const p of procs) await p.stop(2000);
    await cp?.close();
  });

  /** Starts `NAME-a` and waits until it leads, then `NAME-b` until it sees `NAME-a` leading. */
  async function leaderAndFollower(name: string) {
    const a = candidate(`${name}-a`);
    await waitFor(() => when(a, 'started') !== undefined, { timeoutMs: 20_000, what: 'a leads' });
    const b = candidate(`${name}-b`);
    await waitFor(() => when(b, 'leader', (l) => l.leader === `${name}-a`) !== undefined, {
      timeoutMs: 20_000,
      what: 'b sees a leading',
    });
    return { a, b };
  }

  it('the other candidate takes over within the lease duration when the leader is SIGKILLed', async () => {
    const { a, b } = await leaderAndFollower('kill');
    const killedAt = Date.now();
    a.kill('SIGKILL');
    await waitFor(() => when(b, 'started') !== undefined, { timeoutMs: LEASE_MS * 3, what: 'b takes over' });
    const takeover = (when(b, 'started') as Line).at - killedAt;
    process.stdout.write(
      `leader SIGKILLed: the other candidate led ${takeover} ms later (lease ${LEASE_MS} ms)\n`,
    );
    // b had seen a's last renewal at most one retry period before the kill; it takes over once a
    // full lease duration has passed since then, at its next attempt.
    expect(takeover).toBeLessThanOrEqual(LEASE_MS + RETRY_MS * 1.2 + 1000);
    await b.stop(5000);
  }, 60_000);

  it('a leader shut down with SIGTERM releases the Lease: the other takes over at its next retry, not after the lease duration', async () => {
    // The Lease read back through our own client: every version of it, as a watch delivers them.
    const client = new KubeClient(loadKubeConfig({ kubeconfig: cp.kubeconfig }).connection, 'lease-observer');
    const versions: { holder: string; durationS: number | undefined; transitions: number | undefined }[] = [];
    const stopWatch = new AbortController();
    let watching: Promise<void> | undefined;
    try {
      // The previous test's leader released the Lease on its SIGTERM: a takes it at once.
      const { a, b } = await leaderAndFollower('term');
      const before = await client.request<LeaseObject>('GET', `${LEASES}/${LEASE_NAME}`);
      expect(before.spec?.holderIdentity).toBe('term-a');
      watching = client.watch(
        LEASES,
        (e) => {
          if (e.type !== 'ADDED' && e.type !== 'MODIFIED') return;
          const spec = (e.object as unknown as LeaseObject).spec ?? {};
          versions.push({
            holder: spec.holderIdentity ?? '',
            durationS: spec.leaseDurationSeconds,
            transitions: spec.leaseTransitions,
          });
        },
        {
          query: {
            fieldSelector: `metadata.name=${LEASE_NAME}`,
            resourceVersion: before.metadata.resourceVersion,
          },
          signal: stopWatch.signal,
        },
      );
      const termAt = Date.now();
      a.kill('SIGTERM');
      await waitFor(() => when(b, 'started') !== undefined, {
        timeoutMs: LEASE_MS * 3,
        what: 'b takes over',
      });
      const takeover = (when(b, 'started') as Line).at - termAt;
      await waitFor(() => when(a, 'exit') !== undefined, { timeoutMs: 10_000, what: 'a exits' });
      expect(when(a, 'stopped')?.reason).toBe('shutting down');
      await waitFor(() => versions.some((v) => v.holder === 'term-b'), {
        timeoutMs: 10_000,
        what: "the watch to deliver b's Lease",
      });
      // a's renewals, then the Lease as a released it (no holder, a lease of 1 s: what client-go's
      // ReleaseOnCancel writes), then b's.
      const released = versions.findIndex((v) => v.holder === '');
      expect(released, JSON.stringify(versions)).toBeGreaterThanOrEqual(0);
      expect(versions[released]?.durationS).toBe(1);
      expect(versions.slice(0, released).every((v) => v.holder === 'term-a')).toBe(true);
      const after = versions.slice(released + 1);
      expect(after.length).toBeGreaterThan(0);
      expect(after.every((v) => v.holder === 'term-b')).toBe(true);
      expect(after[0]?.transitions).toBe((before.spec?.leaseTransitions ?? 0) + 1);
      const now = await client.request<LeaseObject>('GET', `${LEASES}/${LEASE_NAME}`);
      expect(now.spec?.holderIdentity).toBe('term-b');
      process.stdout.write(
        `leader SIGTERMed: Lease released, the other candidate led ${takeover} ms later (lease ${LEASE_MS} ms, retry ${RETRY_MS} ms)\n`,
      );
      // Without the release b would wait for a full lease duration from a's last renewal that it saw
      // (at least LEASE_MS - RETRY_MS * 1.2 = 3.4 s); with it, b takes the free Lease at its next
      // attempt: one jittered retry period, plus 1 s for a to handle the signal and write.
      expect(takeover).toBeLessThanOrEqual(RETRY_MS * 1.2 + 1000);
      await b.stop(5000);
    } finally {
      stopWatch.abort();
      await watching?.catch(() => undefined);
      client.close();
    }
  }, 60_000);

  it('a leader partitioned from the API server steps down before the other takes over', async () => {
    const proxy = await TcpProxy.start({ target: cp.server });
    try {
      const a = candidate(
        'part-a',
        cp.kubeconfigFor({ token: cp.adminToken, server: `https://127.0.0.1:${proxy.port}`, name: 'part-a' }),
      );
      // The lease of the previous test was released by b on SIGTERM.
      await waitFor(() => when(a, 'started') !== undefined, { timeoutMs: 20_000, what: 'a leads' });
      const b = candidate('part-b');
      await waitFor(() => when(b, 'leader', (l) => l.leader === 'part-a') !== undefined, {
        timeoutMs: 20_000,
        what: 'b sees a leading',
      });
      const cutAt = Date.now();
      await proxy.cut('blackhole');
      await waitFor(() => when(a, 'stopped') !== undefined, {
        timeoutMs: RENEW_MS * 3,
        what: 'a steps down',
      });
      await waitFor(() => when(b, 'started') !== undefined, {
        timeoutMs: LEASE_MS * 3,
        what: 'b takes over',
      });
      const stepped = (when(a, 'stopped') as Line).at;
      const took = (when(b, 'started') as Line).at;
      process.stdout.write(
        `partition: old leader stepped down after ${stepped - cutAt} ms, new leader after ${took - cutAt} ms\n`,
      );
      expect(when(a, 'stopped')?.reason).toMatch(/could not renew/);
      // Never two leaders at once.
      expect(stepped).toBeLessThan(took);
      await proxy.restore();
      await waitFor(() => when(a, 'leader', (l) => l.leader === 'part-b') !== undefined, {
        timeoutMs: 20_000,
        what: 'a sees b leading once the partition heals',
      });
      expect(lines(a).filter((l) => l.event === 'started').length).toBe(1);
    } finally {
      await proxy.close();
    }
  }, 90_000);
});
