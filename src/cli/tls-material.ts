// The PEM files of a config's TLS section, checked when the config loads (start, --check, SIGHUP):
// the TLS context the server will build is built here once, so that a key of another certificate,
// a certificate where the key belongs or a CA file without a certificate fails with its field and
// plain words, not with OpenSSL's when the first peer connects.
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';

/** The PEM contents of one TLS section, and the files they came from (for the messages). */
export interface TlsMaterial {
  cert?: Buffer;
  key?: Buffer;
  ca?: Buffer;
  crl?: Buffer;
  files: Partial<Record<TlsMaterialField, string>>;
}

/** The config keys of a TLS section's files. */
export type TlsMaterialField = 'certificate' | 'privateKey' | 'ca' | 'crl';

/** Which file cannot work, and why. */
export interface TlsMaterialProblem {
  field: TlsMaterialField;
  reason: string;
}

const PEM_LABEL = /^-----BEGIN ([A-Z0-9 ]+)-----/gm;

/** What the file holds, in words, from its PEM labels (RFC 7468 §2). */
function holds(pem: Buffer): string {
  const labels = new Set([...pem.toString('latin1').matchAll(PEM_LABEL)].map((m) => m[1]));
  if (labels.size === 0) return 'no PEM block (-----BEGIN ...-----)';
  const words: string[] = [];
  for (const label of labels) {
    if (label === 'CERTIFICATE' || label === 'TRUSTED CERTIFICATE') words.push('a certificate');
    else if (label === 'X509 CRL') words.push('a certificate revocation list');
    else if (label === 'PUBLIC KEY' || label === 'RSA PUBLIC KEY') words.push('a public key');
    else if (label === 'CERTIFICATE REQUEST') words.push('a certificate request');
    else if (label.endsWith('PRIVATE KEY')) words.push('a private key');
    else words.push(`a PEM block "${label}"`);
  }
  return `it holds ${[...new Set(words)].join(' and ')}`;
}

/** RFC 7468 §11 (PKCS #8) and the older OpenSSL header both mark a key encrypted. */
function encrypted(pem: Buffer): boolean {
  const text = pem.toString('latin1');
  return text.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----') || /^Proc-Type: 4,ENCRYPTED/m.test(text);
}

function tryContext(options: Parameters<typeof createSecureContext>[0]): Error | undefined {
  try {
    createSecureContext(options);
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

/** The certificates of a CA file: at least one, each readable. */
function caProblem(pem: Buffer, file: string): string | undefined {
  const blocks = pem
    .toString('latin1')
    .match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
  // node:tls skips what it cannot read in `ca`: a file without one certificate would trust nothing.
  if (!blocks) return `${file} holds no certificate: ${holds(pem)}`;
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (err) {
      return `${file}: a certificate in it cannot be read (${(err as Error).message})`;
    }
  }
  return undefined;
}

/**
 * The first file of `m` that cannot make a TLS context, or undefined when the context builds: the
 * certificate, the key (unencrypted, a private key), the pair (the key is the certificate's), the
 * CA (certificates) and the CRL, then all of them together as the server uses them.
 */
export function tlsMaterialProblem(m: TlsMaterial): TlsMaterialProblem | undefined {
  const f = m.files;
  if (m.cert && tryContext({ cert: m.cert })) {
    return { field: 'certificate', reason: `${f.certificate} is not a certificate: ${holds(m.cert)}` };
  }
  if (m.key) {
    if (encrypted(m.key)) {
      return {
        field: 'privateKey',
        reason: `${f.privateKey} is encrypted: serve reads only unencrypted keys (openssl pkey -in KEY -out PLAIN makes one; keep it readable by serve alone)`,
      };
    }
    if (tryContext({ key: m.key })) {
      return { field: 'privateKey', reason: `${f.privateKey} is not a private key: ${holds(m.key)}` };
    }
  }
  if (m.cert && m.key) {
    const err = tryContext({ cert: m.cert, key: m.key });
    if (err) {
      const mismatch = (err as NodeJS.ErrnoException).code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH';
      return {
        field: 'privateKey',
        reason: mismatch
          ? `the private key in ${f.privateKey} does not match the certificate in ${f.certificate}`
          : `the private key in ${f.privateKey} cannot be used with the certificate in ${f.certificate}: ${err.message}`,
      };
    }
  }
  if (m.ca) {
    const reason = caProblem(m.ca, f.ca ?? 'ca');
    if (reason) return { field: 'ca', reason };
  }
  if (m.crl && tryContext({ crl: m.crl })) {
    return { field: 'crl', reason: `${f.crl} is not a certificate revocation list: ${holds(m.crl)}` };
  }
  const err = tryContext({ cert: m.cert, key: m.key, ca: m.ca, crl: m.crl });
  if (err) {
    const field = m.cert ? 'certificate' : m.ca ? 'ca' : 'crl';
    return { field, reason: `these files do not make a TLS context: ${err.message}` };
  }
  return undefined;
}
