// A leader-election candidate in its own process, for the interop tests (killed with SIGKILL,
// partitioned through a proxy). Prints one JSON line per event:
//   {"event":"started"|"stopped"|"leader","at":<epoch ms>,"identity":…,"reason"?:…,"leader"?:…}
// Usage: node --conditions=@bmlb/source elector-main.ts KUBECONFIG IDENTITY LEASE_MS RENEW_MS RETRY_MS
import { KubeClient } from '../client.ts';
import { loadKubeConfig } from '../config.ts';
import { LeaseLeaderElector } from '../leader.ts';

const [kubeconfig, identity, lease, renew, retry] = process.argv.slice(2);
if (!kubeconfig || !identity) {
  process.stderr.write('usage: elector-main.ts KUBECONFIG IDENTITY [LEASE_MS RENEW_MS RETRY_MS]\n');
  process.exit(2);
}
const out = (o: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ ...o, at: Date.now(), identity })}\n`);
const client = new KubeClient(loadKubeConfig({ kubeconfig }).connection, `elector/${identity}`);
const el = new LeaseLeaderElector(client, {
  namespace: 'default',
  name: 'bmlb-test-election',
  identity,
  leaseDurationMs: Number(lease ?? 4000),
  renewDeadlineMs: Number(renew ?? 3000),
  retryPeriodMs: Number(retry ?? 500),
  onStartedLeading: () => out({ event: 'started' }),
  onStoppedLeading: (reason) => out({ event: 'stopped', reason }),
  onNewLeader: (leader) => out({ event: 'leader', leader }),
});
const ac = new AbortController();
process.on('SIGTERM', () => ac.abort());
await el.run(ac.signal);
out({ event: 'exit' });
