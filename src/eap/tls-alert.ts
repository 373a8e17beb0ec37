/**
 * The fatal TLS alert an EAP server sends a peer whose certificate it refuses (RFC 5216 §2.1.3:
 * an alert, then EAP-Failure, so that the peer can tell its user why). Node verifies client
 * certificates after the handshake and closes without an alert, so the record is made here: in
 * place of the server's last flight, which is never sent.
 */

import { createCipheriv, createHmac } from 'node:crypto';

/** Alert descriptions (RFC 8446 §6, RFC 5246 §7.2). */
export const TLS_ALERT = {
  handshakeFailure: 40,
  badCertificate: 42,
  certificateRevoked: 44,
  certificateExpired: 45,
  unknownCa: 48,
  accessDenied: 49,
  certificateRequired: 116,
} as const;

const ALERT = 21;
const APPLICATION_DATA = 23;
const FATAL = 2;

/** The alert for an OpenSSL verify code as Node reports it (as OpenSSL's own ssl_verify_alarm_type). */
export function alertForVerifyError(code: string | undefined, protocol: string | null): number {
  switch (code) {
    case undefined:
    case 'PEER_DID_NOT_RETURN_A_CERTIFICATE':
      // No certificate: TLS 1.3 has an alert of its own for it (RFC 8446 §4.4.2.4).
      return protocol === 'TLSv1.3' ? TLS_ALERT.certificateRequired : TLS_ALERT.handshakeFailure;
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return TLS_ALERT.certificateExpired;
    case 'CERT_REVOKED':
      return TLS_ALERT.certificateRevoked;
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'CERT_CHAIN_TOO_LONG':
    case 'INVALID_CA':
    case 'UNABLE_TO_GET_CRL':
      return TLS_ALERT.unknownCa;
    default:
      return TLS_ALERT.badCertificate;
  }
}

/** A fatal alert in a plaintext record: TLS 1.2 before the server's ChangeCipherSpec. */
export function plainAlert(description: number): Buffer {
  return Buffer.from([ALERT, 3, 3, 0, 2, FATAL, description]);
}

/** TLS 1.3 AEAD suites (RFC 8446 §B.4) as node:crypto names them, with their hash and key length. */
const SUITES: Record<string, { cipher: string; hash: string; keyLength: number }> = {
  TLS_AES_128_GCM_SHA256: { cipher: 'aes-128-gcm', hash: 'sha256', keyLength: 16 },
  TLS_AES_256_GCM_SHA384: { cipher: 'aes-256-gcm', hash: 'sha384', keyLength: 32 },
  TLS_CHACHA20_POLY1305_SHA256: { cipher: 'chacha20-poly1305', hash: 'sha256', keyLength: 32 },
};

/** HKDF-Expand-Label (RFC 8446 §7.1) with an empty context, for at most one hash length. */
function expandLabel(hash: string, secret: Buffer, label: string, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.concat([
    Buffer.from([length >> 8, length & 0xff, full.length]),
    full,
    Buffer.from([0]),
  ]);
  // HKDF-Expand's first block, T(1) = HMAC(secret, info || 0x01): enough for a key or an IV.
  return createHmac(hash, secret)
    .update(info)
    .update(Buffer.from([1]))
    .digest()
    .subarray(0, length);
}

/**
 * A fatal alert protected under the server's first application traffic secret (TLS 1.3, RFC 8446
 * §5.2), as the first record under it: the records OpenSSL made after its Finished (tickets, the
 * commitment message) are never sent. Undefined for a suite not listed above.
 */
export function sealedAlert(suite: string, secret: Buffer, description: number): Buffer | undefined {
  const s = SUITES[suite];
  if (!s) return undefined;
  const key = expandLabel(s.hash, secret, 'key', s.keyLength);
  // Sequence number 0: the nonce is the IV itself (§5.3).
  const iv = expandLabel(s.hash, secret, 'iv', 12);
  // TLSInnerPlaintext: the alert, then its real content type.
  const inner = Buffer.from([FATAL, description, ALERT]);
  const header = Buffer.from([APPLICATION_DATA, 3, 3, 0, inner.length + 16]);
  const cipher = createCipheriv(s.cipher as 'aes-128-gcm', key, iv, { authTagLength: 16 });
  cipher.setAAD(header);
  return Buffer.concat([header, cipher.update(inner), cipher.final(), cipher.getAuthTag()]);
}
