/**
 * A serialized TLS session (OpenSSL's SSL_SESSION, the bytes Node's 'newSession' gives) without
 * the client's certificate. Loading a session decodes every field, and the certificate's public
 * key is most of that work (OpenSSL 3.0 sets up a decoder for it): about a third of the CPU of a
 * resumed EAP-TLS login. The verdict on the certificate is kept beside the session instead: only
 * sessions of verified clients are kept (see tlsEndpoints).
 */

/** The session's fields are an ASN.1 SEQUENCE; the client certificate is its [3] EXPLICIT field. */
const SEQUENCE = 0x30;
const PEER_CERTIFICATE = 0xa3;

/** A DER length at `at`: [length, where the content starts], or undefined past the end. */
export function readLength(der: Buffer, at: number): [number, number] | undefined {
  if (at >= der.length) return undefined;
  const first = der[at];
  if (first < 0x80) return [first, at + 1];
  const octets = first & 0x7f;
  // DER: the long form has 1-4 octets here (a session is a few kB at most).
  if (octets === 0 || octets > 4 || at + 1 + octets > der.length) return undefined;
  let length = 0;
  for (let i = 0; i < octets; i++) length = length * 256 + der[at + 1 + i];
  return [length, at + 1 + octets];
}

/** A DER length, short or long form (up to 2^24 - 1). */
export function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  if (length < 0x100) return Buffer.from([0x81, length]);
  if (length < 0x10000) return Buffer.from([0x82, length >> 8, length & 0xff]);
  return Buffer.from([0x83, length >> 16, (length >> 8) & 0xff, length & 0xff]);
}

/**
 * The session without its [3] field (the client certificate): the same bytes when it has none,
 * undefined when they are not one well-formed SEQUENCE (the caller keeps them as they are).
 */
export function withoutPeerCertificate(der: Buffer): Buffer | undefined {
  if (der[0] !== SEQUENCE) return undefined;
  const outer = readLength(der, 1);
  if (!outer || outer[1] + outer[0] !== der.length) return undefined;
  const [total, start] = outer;
  const kept: Buffer[] = [];
  let removed = false;
  // Bounded: each field moves `at` forward by at least two bytes.
  for (let at = start; at < start + total; ) {
    const field = readLength(der, at + 1);
    if (!field) return undefined;
    const end = field[1] + field[0];
    if (end > start + total) return undefined;
    if (der[at] === PEER_CERTIFICATE) removed = true;
    else kept.push(der.subarray(at, end));
    at = end;
  }
  if (!removed) return der;
  let bodyLength = 0;
  for (const part of kept) bodyLength += part.length;
  const header = encodeLength(bodyLength);
  // Its own memory: a session is kept up to its lifetime, and a slice of Node's shared Buffer pool
  // (what Buffer.concat gives) would keep a whole 8 kB slab alive with it.
  const out = Buffer.allocUnsafeSlow(1 + header.length + bodyLength);
  out[0] = SEQUENCE;
  let at = 1 + header.copy(out, 1);
  for (const part of kept) at += part.copy(out, at);
  return out;
}
