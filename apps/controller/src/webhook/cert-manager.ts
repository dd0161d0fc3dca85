// Keeps the webhook's certificates: a Secret (ca.crt, ca.key, tls.crt, tls.key) is the one source
// of truth that every replica reads and serves from; the ValidatingWebhookConfiguration's caBundle
// is kept equal to the Secret's ca.crt. Any replica may create or renew the Secret (writes carry the
// resourceVersion read, so two replicas never both win; the loser reads the winner's).
//
// Renewal: the serving certificate when a third of its lifetime is left (or its names no longer
// match); the CA (10× the serving lifetime) likewise. A new CA is put into the caBundle, next to the
// old one, before any replica serves a certificate it signed, and the old CA stays in the bundle
// until it expires, so no request fails during a rotation.
import { ApiError } from '@bmlb/k8s-adapter';
import type { Logger } from 'pino';
import {
  type CertInfo,
  certInfo,
  generateCA,
  issueServing,
  type KeyPair,
  signedBy,
  splitPem,
} from './certs.ts';

export interface SecretData {
  readonly resourceVersion: string | undefined;
  /** Decoded values. */
  readonly data: Readonly<Record<string, string>>;
}

/** The API calls the certificate manager makes. */
export interface CertApi {
  getSecret(): Promise<SecretData | undefined>;
  /** Creates the Secret; throws an ApiError with status 409 when it exists. */
  createSecret(data: Record<string, string>): Promise<void>;
  /** Replaces the Secret's data if its resourceVersion is still `resourceVersion` (else a 409). */
  updateSecret(resourceVersion: string | undefined, data: Record<string, string>): Promise<void>;
  /** Each webhook's caBundle (decoded PEM), or undefined when the configuration does not exist. */
  getCABundles(): Promise<readonly { name: string; caBundle: string }[] | undefined>;
  setCABundle(webhooks: readonly string[], pem: string): Promise<void>;
}

export interface WebhookCertsOptions {
  readonly api: CertApi;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly validityMs: number;
  readonly logger: Logger;
  /** Called with the serving pair whenever it changes (and once at first). */
  readonly onServingChange: (pair: KeyPair) => void;
  readonly now?: () => number;
}

const CA_FACTOR = 10;

export class WebhookCerts {
  readonly #o: WebhookCertsOptions;
  readonly #now: () => number;
  #serving: KeyPair | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(opts: WebhookCertsOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
  }

  get serving(): KeyPair | undefined {
    return this.#serving;
  }

  /** Checks now, then every `intervalMs`. */
  start(intervalMs: number): void {
    const tick = () => {
      this.check().catch((err: unknown) =>
        this.#o.logger.warn(
          { event: 'certCheckFailed', err: String(err) },
          `webhook certificate check failed: ${String(err)}`,
        ),
      );
    };
    tick();
    this.#timer = setInterval(tick, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
  }

  /** One round: renew the Secret if needed, keep the caBundle equal to it, serve what it holds. */
  check(): Promise<void> {
    this.#running ??= this.#check().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  #usable(info: CertInfo | undefined): info is CertInfo {
    if (info === undefined) return false;
    const now = this.#now();
    const life = info.notAfter - info.notBefore;
    return now >= info.notBefore && info.notAfter - now > life / 3;
  }

  /** Why the Secret's data must be renewed, or undefined when it is good. */
  needsRenewal(d: Readonly<Record<string, string>> | undefined): string | undefined {
    if (d === undefined) return 'no Secret';
    const ca = splitPem(d['ca.crt'] ?? '')[0];
    const tls = d['tls.crt'];
    if (ca === undefined || !d['ca.key'] || tls === undefined || !d['tls.key']) return 'incomplete Secret';
    if (!this.#usable(certInfo(ca))) return 'the CA expires soon';
    const info = certInfo(tls);
    if (!this.#usable(info)) return 'the serving certificate expires soon';
    if (!signedBy(tls, ca)) return 'the serving certificate is not signed by the CA';
    const names = new Set([...info.dnsNames, ...info.ipAddresses]);
    const missing = [...this.#o.dnsNames, ...this.#o.ipAddresses].filter((n) => !names.has(n.toLowerCase()));
    if (missing.length > 0) return `the serving certificate lacks ${missing.join(', ')}`;
    return undefined;
  }

  async #check(): Promise<void> {
    let secret = await this.#o.api.getSecret();
    const why = this.needsRenewal(secret?.data);
    if (why !== undefined) {
      this.#o.logger.info({ event: 'certRenewal', reason: why }, `renewing the webhook certificate: ${why}`);
      const d = secret?.data ?? {};
      const oldCA = splitPem(d['ca.crt'] ?? '')[0];
      const caOK = oldCA !== undefined && d['ca.key'] !== undefined && this.#usable(certInfo(oldCA));
      const validity = this.#o.validityMs;
      const ca: KeyPair = caOK
        ? { cert: oldCA!, key: d['ca.key']! }
        : await generateCA(
            `bmlb-webhook-ca@${Math.floor(this.#now() / 1000)}`,
            validity * CA_FACTOR,
            this.#now(),
          );
      // The old CA stays trusted until it expires (replicas may still serve certificates it signed).
      const keep =
        !caOK && oldCA !== undefined && (certInfo(oldCA)?.notAfter ?? 0) > this.#now() ? [oldCA] : [];
      const bundle = [ca.cert, ...(caOK ? splitPem(d['ca.crt']!).slice(1) : keep)]
        .filter((c) => (certInfo(c)?.notAfter ?? 0) > this.#now())
        .join('');
      const serving = await issueServing(
        ca,
        { dnsNames: this.#o.dnsNames, ipAddresses: this.#o.ipAddresses },
        validity,
        this.#now(),
      );
      // Trust first: the new CA must be in the caBundle before any replica serves what it signed.
      if (!caOK) await this.#syncBundle(bundle);
      const data = { 'ca.crt': bundle, 'ca.key': ca.key, 'tls.crt': serving.cert, 'tls.key': serving.key };
      try {
        if (secret === undefined) await this.#o.api.createSecret(data);
        else await this.#o.api.updateSecret(secret.resourceVersion, data);
      } catch (err) {
        if (!(err instanceof ApiError && err.conflict)) throw err;
        this.#o.logger.info({ event: 'certRace' }, 'another replica renewed the certificate first: using it');
      }
      secret = await this.#o.api.getSecret();
    }
    const d = secret?.data;
    if (d === undefined || this.needsRenewal(d) !== undefined) return;
    await this.#syncBundle(d['ca.crt']!);
    const pair = { cert: d['tls.crt']!, key: d['tls.key']! };
    if (this.#serving?.cert !== pair.cert || this.#serving?.key !== pair.key) {
      this.#serving = pair;
      const info = certInfo(pair.cert)!;
      this.#o.logger.info(
        {
          event: 'certLoaded',
          notAfter: new Date(info.notAfter).toISOString(),
          names: [...info.dnsNames, ...info.ipAddresses],
        },
        'serving the webhook with the certificate from the Secret',
      );
      this.#o.onServingChange(pair);
    }
  }

  async #syncBundle(pem: string): Promise<void> {
    const have = await this.#o.api.getCABundles();
    if (have === undefined) {
      this.#o.logger.warn(
        { event: 'webhookConfigurationMissing' },
        'the ValidatingWebhookConfiguration does not exist: nothing calls the webhook (apply deploy/webhook.yaml)',
      );
      return;
    }
    const stale = have.filter((w) => w.caBundle !== pem).map((w) => w.name);
    if (stale.length === 0) return;
    await this.#o.api.setCABundle(
      have.map((w) => w.name),
      pem,
    );
    this.#o.logger.info({ event: 'caBundleUpdated', webhooks: stale }, 'webhook caBundle updated');
  }
}
