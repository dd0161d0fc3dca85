// The webhook's certificates: a self-signed CA (what the ValidatingWebhookConfiguration's caBundle
// trusts) and a serving certificate it signs for the name the API server dials. ECDSA P-256.
//
// Reading certificates (certInfo, signedBy) takes node:crypto alone. Making them takes
// @peculiar/x509 (with reflect-metadata, tsyringe and the ASN.1 schemas: about 7 MB of a
// controller's RSS), loaded on the first generateCA or issueServing: a replica that finds a valid
// Secret never loads it.
import { X509Certificate as NodeX509, webcrypto } from 'node:crypto';

type X509 = typeof import('@peculiar/x509');
let x509Module: Promise<X509> | undefined;

/** @peculiar/x509, loaded once, with node:crypto's WebCrypto as its provider. */
function loadX509(): Promise<X509> {
  x509Module ??= (async () => {
    await import('reflect-metadata'); // @peculiar/x509's dependency injection needs it first
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as never);
    return x509;
  })();
  return x509Module;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface KeyPair {
  /** PEM certificate. */
  readonly cert: string;
  /** PEM PKCS#8 private key. */
  readonly key: string;
}

export interface CertInfo {
  readonly notBefore: number;
  readonly notAfter: number;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly issuer: string;
  readonly subject: string;
  readonly ca: boolean;
}

function serial(): string {
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0]! &= 0x7f; // positive
  return Buffer.from(b).toString('hex');
}

async function exportKey(k: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', k);
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64.trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

async function importKey(pem: string): Promise<webcrypto.CryptoKey> {
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return webcrypto.subtle.importKey('pkcs8', Buffer.from(b64, 'base64'), ALG, true, ['sign']);
}

/** A CA valid from `now` (minus an hour, for clock skew) for `validityMs`. */
export async function generateCA(commonName: string, validityMs: number, now = Date.now()): Promise<KeyPair> {
  const x509 = await loadX509();
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + validityMs),
    keys: keys as never,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never),
    ],
  });
  return { cert: `${cert.toString('pem').trimEnd()}\n`, key: await exportKey(keys.privateKey) };
}

/** A serving certificate for `dnsNames` and `ipAddresses`, signed by `ca`. */
export async function issueServing(
  ca: KeyPair,
  names: { readonly dnsNames: readonly string[]; readonly ipAddresses: readonly string[] },
  validityMs: number,
  now = Date.now(),
): Promise<KeyPair> {
  const x509 = await loadX509();
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await importKey(ca.key);
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const notAfter = Math.min(now + validityMs, caCert.notAfter.getTime());
  const sans = [
    ...names.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...names.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${names.dnsNames[0] ?? names.ipAddresses[0] ?? 'webhook'}`,
    issuer: caCert.subject,
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(notAfter),
    signingKey: caKey as never,
    publicKey: keys.publicKey as never,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(sans),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { cert: `${cert.toString('pem').trimEnd()}\n`, key: await exportKey(keys.privateKey) };
}

/** The first certificate of a PEM text, read with node:crypto; undefined when it does not parse. */
export function certInfo(pem: string): CertInfo | undefined {
  try {
    const c = new NodeX509(pem);
    const sans = (c.subjectAltName ?? '').split(', ').filter((s) => s !== '');
    return {
      notBefore: Date.parse(c.validFrom),
      notAfter: Date.parse(c.validTo),
      dnsNames: sans.filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4)),
      ipAddresses: sans.filter((s) => s.startsWith('IP Address:')).map((s) => s.slice(11).toLowerCase()),
      issuer: c.issuer,
      subject: c.subject,
      ca: c.ca,
    };
  } catch {
    return undefined;
  }
}

/** True when `cert` was signed by `caCert` (both PEM). */
export function signedBy(cert: string, caCert: string): boolean {
  try {
    return new NodeX509(cert).verify(new NodeX509(caCert).publicKey);
  } catch {
    return false;
  }
}

/** Every certificate in a PEM bundle. */
export function splitPem(bundle: string): string[] {
  return (
    bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((s) => `${s}\n`) ?? []
  );
}
