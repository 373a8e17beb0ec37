/**
 * The names a client certificate gives its holder: its subject's common names and its
 * subjectAltName e-mail addresses and DNS names (RFC 5280 §4.2.1.6), for tying an EAP-TLS identity
 * to the certificate that authenticated it (RFC 5216 §5.2: the identity is not authenticated by
 * itself).
 */

import type { PeerCertificate } from 'node:tls';

/** One SAN entry of Node's `subjectaltname` text: `DNS:a.example` or `email:"quoted, with comma"`. */
const SAN_ENTRY = /(DNS|email):("(?:[^"\\]|\\.)*"|[^,]*)/g;

/** The certificate's common names, then its SAN e-mail addresses and DNS names. */
export function certificateNames(certificate: PeerCertificate): string[] {
  const names: string[] = [];
  const cn = certificate.subject?.CN as string | string[] | undefined;
  if (typeof cn === 'string') names.push(cn);
  else if (Array.isArray(cn)) names.push(...cn);
  for (const m of (certificate.subjectaltname ?? '').matchAll(SAN_ENTRY)) {
    const value = m[2].trim();
    names.push(value.startsWith('"') ? (JSON.parse(value) as string) : value);
  }
  return names;
}

/** Whether the certificate names `identity` (compared without regard to case, as DNS and mail do). */
export function certificateNamesIdentity(certificate: PeerCertificate, identity: string): boolean {
  const wanted = identity.toLowerCase();
  return certificateNames(certificate).some((name) => name.toLowerCase() === wanted);
}
