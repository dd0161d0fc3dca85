import https from 'node:https';
import { ApiError } from '@bmlb/k8s-adapter';
import { describe, expect, it } from 'vitest';
import { silent } from '../test-support/fixtures.ts';
import { ConfigAdmission } from './admission.ts';
import { type CertApi, type SecretData, WebhookCerts } from './cert-manager.ts';
import { certInfo, type KeyPair, signedBy, splitPem } from './certs.ts';
import { serveWebhook, WEBHOOK_PATHS } from './server.ts';

class FakeApi implements CertApi {
  secret: SecretData | undefined;
  rv = 0;
  bundles: { name: string; caBundle: string }[] | undefined = [
    { name: 'ipaddresspoolvalidationwebhook.metallb.io', caBundle: '' },
    { name: 'bgppeersvalidationwebhook.metallb.io', caBundle: '' },
  ];
  writes = 0;
  async getSecret() {
    return this.secret;
  }
  async createSecret(data: Record<string, string>) {
    if (this.secret !== undefined) throw new ApiError('POST', 409, 'exists', 'AlreadyExists');
    this.writes++;
    this.secret = { resourceVersion: String(++this.rv), data };
  }
  async updateSecret(rv: string | undefined, data: Record<string, string>) {
    if (this.secret?.resourceVersion !== rv) throw new ApiError('PUT', 409, 'changed', 'Conflict');
    this.writes++;
    this.secret = { resourceVersion: String(++this.rv), data };
  }
  async getCABundles() {
    return this.bundles;
  }
  async setCABundle(names: readonly string[], pem: string) {
    for (const b of this.bundles ?? []) if (names.includes(b.name)) b.caBundle = pem;
  }
}

const DAY = 86_400_000;

function manager(api: CertApi, now: () => number, served: KeyPair[] = []) {
  return new WebhookCerts({
    api,
    dnsNames: ['metallb-webhook-service.metallb-system.svc'],
    ipAddresses: [],
    validityMs: 30 * DAY,
    logger: silent,
    now,
    onServingChange: (p) => served.push(p),
  });
}

describe('webhook certificates', () => {
  it('creates the Secret, fills the caBundle, and serves a certificate the CA signed for the Service name', async () => {
    const api = new FakeApi();
    const served: KeyPair[] = [];
    let t = Date.now();
    const m = manager(api, () => t, served);
    await m.check();
    const d = api.secret!.data;
    expect(Object.keys(d).sort()).toEqual(['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
    expect(signedBy(d['tls.crt']!, d['ca.crt']!)).toBe(true);
    expect(certInfo(d['tls.crt']!)?.dnsNames).toEqual(['metallb-webhook-service.metallb-system.svc']);
    expect(api.bundles!.every((b) => b.caBundle === d['ca.crt'])).toBe(true);
    expect(served).toHaveLength(1);
    // Nothing to do while it is fresh.
    await m.check();
    expect(api.writes).toBe(1);
    // Two thirds of its life later it is renewed with the same CA; the caBundle stays.
    t += 21 * DAY;
    await m.check();
    expect(api.writes).toBe(2);
    expect(api.secret!.data['ca.crt']).toBe(d['ca.crt']);
    expect(api.secret!.data['tls.crt']).not.toBe(d['tls.crt']);
    expect(served).toHaveLength(2);
  });

  it('a CA near its end is replaced; the old CA stays in the caBundle until it expires', async () => {
    const api = new FakeApi();
    let t = Date.now();
    const m = manager(api, () => t);
    await m.check();
    const oldCA = api.secret!.data['ca.crt']!;
    t += 201 * DAY; // CA lives 300 days: under a third left
    await m.check();
    const bundle = splitPem(api.secret!.data['ca.crt']!);
    expect(bundle).toHaveLength(2);
    expect(bundle[1]).toBe(splitPem(oldCA)[0]);
    expect(signedBy(api.secret!.data['tls.crt']!, bundle[0]!)).toBe(true);
    expect(api.bundles![0]!.caBundle).toBe(api.secret!.data['ca.crt']);
  });

  it('a second replica uses the Secret the first wrote (one winner on a race)', async () => {
    const api = new FakeApi();
    const a = manager(api, Date.now);
    const b = manager(api, Date.now);
    await Promise.all([a.check(), b.check()]);
    expect(a.serving?.cert).toBe(api.secret!.data['tls.crt']);
    expect(b.serving?.cert).toBe(api.secret!.data['tls.crt']);
  });

  it('renews when the names change', async () => {
    const api = new FakeApi();
    await manager(api, Date.now).check();
    const m2 = new WebhookCerts({
      api,
      dnsNames: [],
      ipAddresses: ['127.0.0.1'],
      validityMs: 30 * DAY,
      logger: silent,
      onServingChange: () => {},
    });
    expect(m2.needsRenewal(api.secret!.data)).toBe('the serving certificate lacks 127.0.0.1');
    await m2.check();
    expect(certInfo(api.secret!.data['tls.crt']!)?.ipAddresses).toEqual(['127.0.0.1']);
  });

  it('the HTTPS server answers AdmissionReviews with a certificate the caBundle trusts', async () => {
    const api = new FakeApi();
    const m = new WebhookCerts({
      api,
      dnsNames: [],
      ipAddresses: ['127.0.0.1'],
      validityMs: 30 * DAY,
      logger: silent,
      onServingChange: () => {},
    });
    await m.check();
    const adm = new ConfigAdmission({ namespace: 'metallb-system', cached: () => [] });
    const w = await serveWebhook('127.0.0.1:0', m.serving!, adm, silent);
    const port = (w.server.address() as { port: number }).port;
    const post = (body: object) =>
      new Promise<{ status: number; json: { response: { allowed: boolean; status?: { message: string } } } }>(
        (resolve, reject) => {
          const r = https.request(
            {
              host: '127.0.0.1',
              port,
              path: WEBHOOK_PATHS.IPAddressPool,
              method: 'POST',
              ca: api.bundles![0]!.caBundle,
              headers: { 'content-type': 'application/json' },
            },
            (res) => {
              let text = '';
              res.on('data', (c) => (text += c));
              res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) }));
            },
          );
          r.on('error', reject);
          r.end(JSON.stringify(body));
        },
      );
    try {
      const res = await post({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: 'abc',
          kind: { group: 'metallb.io', version: 'v1beta1', kind: 'IPAddressPool' },
          operation: 'CREATE',
          namespace: 'default',
          name: 'p',
          object: {
            apiVersion: 'metallb.io/v1beta1',
            kind: 'IPAddressPool',
            metadata: { name: 'p', namespace: 'default' },
            spec: { addresses: ['192.0.2.0/24'] },
          },
        },
      });
      expect(res.status).toBe(200);
      expect(res.json.response.allowed).toBe(false);
      expect(res.json.response.status?.message).toBe('resource must be created in metallb-system namespace');
    } finally {
      await w.close();
    }
  });
});
