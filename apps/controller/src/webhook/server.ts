// The HTTPS endpoint the API server calls with AdmissionReviews, on MetalLB's paths, and the
// KubeClient-backed pieces the webhook needs in a real cluster (its Secret, the caBundle, fresh
// lists of the metallb.io kinds).
import https from 'node:https';
import { ApiError, collectionPath, type KubeClient, objectPath, Resources } from '@bmlb/k8s-adapter';
import type { Logger } from 'pino';
import { listenAddress } from '../cli.ts';
import { MetallbKinds } from '../config-view.ts';
import { type AdmissionRequest, admissionResponse, type ConfigAdmission } from './admission.ts';
import type { CertApi, SecretData } from './cert-manager.ts';
import type { KeyPair } from './certs.ts';

/** MetalLB's webhook paths (the ValidatingWebhookConfiguration names them). */
export const WEBHOOK_PATHS = {
  IPAddressPool: '/validate-metallb-io-v1beta1-ipaddresspool',
  BGPPeer: '/validate-metallb-io-v1beta2-bgppeer',
  BGPAdvertisement: '/validate-metallb-io-v1beta1-bgpadvertisement',
  Community: '/validate-metallb-io-v1beta1-community',
  BFDProfile: '/validate-metallb-io-v1beta1-bfdprofile',
} as const;

const MAX_BODY = 3 * 1024 * 1024;

export interface WebhookServer {
  readonly server: https.Server;
  setCertificate(pair: KeyPair): void;
  close(): Promise<void>;
}

export async function serveWebhook(
  address: string,
  pair: KeyPair,
  admission: ConfigAdmission,
  logger: Logger,
): Promise<WebhookServer> {
  const paths = new Set<string>(Object.values(WEBHOOK_PATHS));
  const server = https.createServer({ cert: pair.cert, key: pair.key, minVersion: 'TLSv1.2' }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method !== 'POST' || !paths.has(path)) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      let review: { request?: AdmissionRequest };
      try {
        review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request?: AdmissionRequest };
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end('not an AdmissionReview\n');
        return;
      }
      const r = review.request;
      if (r === undefined || typeof r.uid !== 'string') {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end('AdmissionReview without request\n');
        return;
      }
      admission.review(r).then(
        (d) => {
          const what = `${r.operation} ${r.kind?.kind} ${r.namespace ?? ''}/${r.name ?? (r.object as { metadata?: { name?: string } })?.metadata?.name ?? ''}`;
          if (d.allowed) logger.debug({ event: 'admitted', request: what }, `admitted ${what}`);
          else
            logger.info(
              { event: 'denied', request: what, reason: d.message },
              `denied ${what}: ${d.message}`,
            );
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(admissionResponse(r.uid, d)));
        },
        (err: unknown) => {
          logger.error({ event: 'admissionError', err: String(err) }, 'admission review failed');
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify(
              admissionResponse(r.uid, {
                allowed: false,
                message: `internal error in the webhook: ${String(err)}`,
              }),
            ),
          );
        },
      );
    });
  });
  const { host, port } = listenAddress(address);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    setCertificate: (p) => server.setSecureContext({ cert: p.cert, key: p.key, minVersion: 'TLSv1.2' }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const decode = (data: Record<string, string> | undefined): Record<string, string> =>
  Object.fromEntries(
    Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
const encode = (data: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));

/** The Secret and the ValidatingWebhookConfiguration, through the API server. */
export function kubeCertApi(
  client: KubeClient,
  namespace: string,
  secret: string,
  configuration: string,
): CertApi {
  const secretPath = objectPath(Resources.Secret, namespace, secret);
  const vwcPath = `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${encodeURIComponent(configuration)}`;
  const body = (data: Record<string, string>, rv?: string) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: {
      name: secret,
      namespace,
      labels: { 'app.kubernetes.io/managed-by': 'bmlb-controller' },
      ...(rv !== undefined ? { resourceVersion: rv } : {}),
    },
    data: encode(data),
  });
  return {
    async getSecret(): Promise<SecretData | undefined> {
      try {
        const s = await client.request<{
          metadata: { resourceVersion?: string };
          data?: Record<string, string>;
        }>('GET', secretPath);
        return { resourceVersion: s.metadata.resourceVersion, data: decode(s.data) };
      } catch (err) {
        if (err instanceof ApiError && err.notFound) return undefined;
        throw err;
      }
    },
    async createSecret(data) {
      await client.request('POST', collectionPath(Resources.Secret, namespace), { body: body(data) });
    },
    async updateSecret(rv, data) {
      await client.request('PUT', secretPath, { body: body(data, rv) });
    },
    async getCABundles() {
      try {
        const v = await client.request<{
          webhooks?: { name: string; clientConfig?: { caBundle?: string } }[];
        }>('GET', vwcPath);
        return (v.webhooks ?? []).map((w) => ({
          name: w.name,
          caBundle: Buffer.from(w.clientConfig?.caBundle ?? '', 'base64').toString('utf8'),
        }));
      } catch (err) {
        if (err instanceof ApiError && err.notFound) return undefined;
        throw err;
      }
    },
    async setCABundle(webhooks, pem) {
      const caBundle = Buffer.from(pem, 'utf8').toString('base64');
      // A JSON merge patch would replace the whole list: read, change the bundles, write back with
      // the resourceVersion read (a concurrent change is a 409, retried on the next check).
      const v = await client.request<{
        webhooks?: { name: string; clientConfig?: Record<string, unknown> }[];
      }>('GET', vwcPath);
      for (const w of v.webhooks ?? [])
        if (webhooks.includes(w.name)) w.clientConfig = { ...(w.clientConfig ?? {}), caBundle };
      await client.request('PUT', vwcPath, { body: v });
    },
  };
}

/** A fresh list of the metallb.io kinds in `namespace`, validated as the cache validates them. */
export function liveObjects(client: KubeClient, namespace: string): () => Promise<object[]> {
  return async () => {
    const out: object[] = [];
    for (const t of MetallbKinds) {
      const base = `/apis/${t.group}/${t.version}/namespaces/${encodeURIComponent(namespace)}/${t.plural}`;
      const list = await client.request<{ items?: Record<string, unknown>[] }>('GET', base, {
        timeoutMs: 5000,
      });
      for (const raw of list.items ?? []) {
        const r = t.convert({ apiVersion: `${t.group}/${t.version}`, kind: t.kind, ...raw });
        if (r.ok) out.push(r.object);
      }
    }
    return out;
  };
}
