// What the speaker's Kubernetes-mode interop tests wait for: its BGPSessionState with a peer
// Established (and BFD Up), read through kubectl from a real API server; and what a denied request
// looks like in its log.
import { type KubeControlPlane, waitFor } from '@bmlb/netlab';

/**
 * What the speaker's log says when its ServiceAccount is denied something: the API's 403 status or
 * its "Forbidden" reason, as whole words. A bare "403" would match a port (127.0.0.1:40357) or a
 * millisecond timestamp in the log as well.
 */
export const API_DENIED = /\bforbidden\b|\b403\b/i;

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
