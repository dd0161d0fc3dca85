import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { run } from '../exec.ts';

/** The files of a control plane's PKI (all PEM, in one directory). */
export interface KubePki {
  caFile: string;
  caKeyFile: string;
  caPem: string;
  /** kube-apiserver's serving certificate and key. */
  serverCertFile: string;
  serverKeyFile: string;
  /** Service account token signing key (private) and its public half. */
  saKeyFile: string;
  saPubFile: string;
}

function ecKey(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** The openssl config: no system openssl.cnf defaults, exactly the extensions each certificate needs. */
function opensslConfig(sans: readonly string[]): string {
  const alt = sans.map((s, i) => (isIP(s) ? `IP.${i + 1} = ${s}` : `DNS.${i + 1} = ${s}`));
  return `[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = @alt
[alt]
${alt.join('\n')}
`;
}

/**
 * A fresh CA (EC P-256, 10 years) and the apiserver's serving certificate from it (1 year), for
 * the given subject alternative names (IP addresses and DNS names), plus the service account
 * signing key. Keys come from node:crypto, certificates from the `openssl` CLI.
 */
export async function createPki(dir: string, sans: readonly string[]): Promise<KubePki> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = (n: string) => path.join(dir, n);
  const cnf = f('openssl.cnf');
  fs.writeFileSync(cnf, opensslConfig(sans));
  const ca = ecKey();
  const server = ecKey();
  const sa = ecKey();
  fs.writeFileSync(f('ca.key'), ca.privatePem, { mode: 0o600 });
  fs.writeFileSync(f('apiserver.key'), server.privatePem, { mode: 0o600 });
  fs.writeFileSync(f('sa.key'), sa.privatePem, { mode: 0o600 });
  fs.writeFileSync(f('sa.pub'), sa.publicPem);
  const req = ['openssl', 'req', '-x509', '-new', '-config', cnf, '-sha256'];
  await run([
    ...req,
    ...['-extensions', 'ca', '-key', f('ca.key'), '-subj', '/CN=bmlb-test-ca', '-days', '3650'],
    ...['-out', f('ca.crt')],
  ]);
  await run([
    ...req,
    ...['-extensions', 'server', '-key', f('apiserver.key'), '-subj', '/CN=kube-apiserver'],
    ...['-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-days', '365', '-out', f('apiserver.crt')],
  ]);
  return {
    caFile: f('ca.crt'),
    caKeyFile: f('ca.key'),
    caPem: fs.readFileSync(f('ca.crt'), 'utf8'),
    serverCertFile: f('apiserver.crt'),
    serverKeyFile: f('apiserver.key'),
    saKeyFile: f('sa.key'),
    saPubFile: f('sa.pub'),
  };
}
