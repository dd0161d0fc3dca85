// What the speaker's Kubernetes-mode interop tests wait for: its BGPSessionState with a peer
// Established (and BFD Up), read through kubectl from a real API server.
import { type KubeControlPlane, waitFor } from '@bmlb/netlab';

/**
 * Waits until a BGPSessionState in `metallb-system` reports `peer` (namespace/name) Established with
 * BFD Up; on timeout, fails with the states last seen and the tail of the speaker's `output()`.
 */
export async function waitForSessionEstablished(
  cp: KubeControlPlane,
  peer: string,
  speaker: { output(): string },
  timeoutMs = 20_000,
): Promise<void> {
  let last: unknown;
  await waitFor(
    async () => {
      const l = await cp.kubectlJson<{
        items: { status?: { peer?: string; bgpState?: string; bfdState?: string } }[];
      }>(['get', 'bgpsessionstates', '-n', 'metallb-system']);
      last = l.items.map((s) => s.status);
      return l.items.some(
        (s) => s.status?.peer === peer && s.status.bgpState === 'Established' && s.status.bfdState === 'Up',
      );
    },
    { timeoutMs, what: `a BGPSessionState with ${peer} Established and BFD Up` },
  ).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}: ${JSON.stringify(last)}\n${speaker.output().slice(-3000)}`);
  });
}
