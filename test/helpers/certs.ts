// Test certificates made with the openssl command: a CA, and certificates it signs for servers and
// clients (both key usages, a SAN for 127.0.0.1 and ::1), in a directory of the test's own.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** PEM files of one certificate: its path names and contents. */
export interface CertFiles {
  cert: string;
  key: string;
  certPem: Buffer;
  keyPem: Buffer;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
}

function read(cert: string, key: string): CertFiles {
  return { cert, key, certPem: readFileSync(cert), keyPem: readFileSync(key) };
}

/** A self-signed CA named `name` in `dir`. */
export function makeCa(dir: string, name: string): CertFiles {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.pem`);
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      key,
      '-out',
      cert,
    ],
    dir,
  );
  return read(cert, key);
}

/**
 * A certificate for `name` signed by `ca`, usable as a TLS server and client certificate
 * (radsecproxy presents its server certificate as its client certificate).
 */
export function makeCert(dir: string, ca: CertFiles, name: string, days = 2): CertFiles {
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const cert = path.join(dir, `${name}.pem`);
  const ext = path.join(dir, `${name}.ext`);
  writeFileSync(
    ext,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      `subjectAltName=DNS:${name},IP:127.0.0.1,IP:::1`,
    ].join('\n'),
  );
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', key, '-out', csr], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-CAcreateserial',
      '-days',
      String(days),
      '-extfile',
      ext,
      '-out',
      cert,
    ],
    dir,
  );
  return read(cert, key);
}

/** A certificate for `name` signed by `ca` that expired a day ago (openssl takes `-days -1`). */
export function makeExpiredCert(dir: string, ca: CertFiles, name: string): CertFiles {
  return makeCert(dir, ca, name, -1);
}

/** A CRL of `ca` (PEM) revoking `revoked`, made with `openssl ca` in a private database in `dir`. */
export function makeCrl(dir: string, ca: CertFiles, revoked: CertFiles[]): { file: string; pem: Buffer } {
  const db = path.join(dir, `${path.basename(ca.cert, '.pem')}-crl`);
  mkdirSync(db, { recursive: true });
  writeFileSync(path.join(db, 'index.txt'), '');
  writeFileSync(path.join(db, 'crlnumber'), '01\n');
  const cnf = path.join(db, 'ca.cnf');
  writeFileSync(
    cnf,
    [
      '[ca]',
      'default_ca = d',
      '[d]',
      'database = index.txt',
      'crlnumber = crlnumber',
      'default_md = sha256',
      'default_crl_days = 2',
    ].join('\n'),
  );
  for (const cert of revoked)
    openssl(['ca', '-config', cnf, '-revoke', cert.cert, '-keyfile', ca.key, '-cert', ca.cert], db);
  const file = path.join(db, 'crl.pem');
  openssl(['ca', '-config', cnf, '-gencrl', '-keyfile', ca.key, '-cert', ca.cert, '-out', file], db);
  return { file, pem: readFileSync(file) };
}
