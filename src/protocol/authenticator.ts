import { hmacKeyFor, Md5 } from './md5.js';

/** Attribute type of Message-Authenticator (RFC 3579 §3.2). */
export const MESSAGE_AUTHENTICATOR = 80;
const ZERO16 = Buffer.alloc(16);

// The packet is hashed in place, range by range (no subarrays, no copies): these are per-packet
// hot paths of servers and clients. JS runs one call at a time, so module-level scratch is safe.
const hasher = new Md5();
const expected = new Uint8Array(16);

/** Writes MD5(Code+ID+Length + requestAuth + packet[20, length) + secret) at `out[offset]`. */
function authenticatorInto(
  packet: Uint8Array,
  length: number,
  requestAuth: Uint8Array,
  secret: Uint8Array,
  out: Uint8Array,
  offset: number,
): void {
  hasher.reset().update(packet, 0, 4).update(requestAuth).update(packet, 20, length).update(secret);
  hasher.digestInto(out, offset);
}

/** Compares 16 bytes without an early exit, so the time taken does not reveal where they differ. */
function equal16(a: Uint8Array, b: Uint8Array, bOffset: number): boolean {
  let diff = 0;
  for (let i = 0; i < 16; i++) diff |= a[i] ^ b[bOffset + i];
  return diff === 0;
}

/**
 * Response Authenticator (RFC 2865 §3) = MD5(Code+ID+Length+RequestAuth+Attributes+Secret), also the
 * Accounting-Request / CoA / Disconnect request authenticator (RFC 2866 §3, RFC 5176 §3.5) with a zero RequestAuth.
 */
export function computeAuthenticator(
  packet: Buffer,
  length: number,
  requestAuth: Uint8Array,
  secret: Uint8Array,
): Buffer {
  const out = Buffer.allocUnsafe(16);
  authenticatorInto(packet, length, requestAuth, secret, out, 0);
  return out;
}

/** Writes the authenticator computed over `packet[0, length)` into bytes 4..20. */
export function signPacket(
  packet: Buffer,
  length: number,
  requestAuth: Uint8Array | undefined,
  secret: Uint8Array,
): void {
  const auth = requestAuth ?? ZERO16;
  // The digest is written only after every input byte has been absorbed, so in place is safe.
  if (auth.length === 16 && equal16(auth, packet, 4)) {
    // The encoder has already put requestAuth in the field: hash the packet in one piece (whole
    // blocks straight from it, nothing staged byte by byte in a partial block).
    hasher.reset().update(packet, 0, length).update(secret).digestInto(packet, 4);
  } else authenticatorInto(packet, length, auth, secret, packet, 4);
}

/** Constant-time check of the authenticator in bytes 4..20 of `packet` (the bytes as received). */
export function verifyAuthenticator(
  packet: Buffer,
  length: number,
  requestAuth: Uint8Array | undefined,
  secret: Uint8Array,
): boolean {
  authenticatorInto(packet, length, requestAuth ?? ZERO16, secret, expected, 0);
  return equal16(expected, packet, 4);
}

/**
 * Offset of the value of the first Message-Authenticator in `packet[20, length)`, or -1.
 * The framing must already be known to be sound.
 */
export function findMessageAuthenticator(packet: Buffer, length: number): number {
  let p = 20;
  while (p + 2 <= length) {
    const l = packet[p + 1];
    if (l < 2) return -1;
    if (packet[p] === MESSAGE_AUTHENTICATOR) return l === 18 ? p + 2 : -2;
    p += l;
  }
  return -1;
}

/**
 * Writes at `out[offset]` the HMAC-MD5 over the packet with the Message-Authenticator value zeroed
 * and the authenticator field set to `authField` (RFC 3579 §3.2, RFC 5176 §3.5: the Request
 * Authenticator, or zeros for Accounting/CoA/Disconnect requests). `packet` is only read, and the tag
 * is written after the last read, so `out` may be `packet` itself (signing in place).
 */
export function messageAuthenticatorInto(
  packet: Buffer,
  length: number,
  maOffset: number,
  authField: Uint8Array,
  secret: Uint8Array,
  out: Uint8Array,
  offset: number,
): void {
  const key = hmacKeyFor(secret);
  if (authField.length >= 16 && maOffset >= 20 && maOffset + 16 <= length) {
    // The usual shape: hash the ranges around the two substituted fields, no copy of the packet.
    const h = key.begin(hasher);
    h.update(packet, 0, 4).update(authField, 0, 16).update(packet, 20, maOffset).update(ZERO16);
    h.update(packet, maOffset + 16, length);
    key.finish(h, out, offset);
    return;
  }
  const copy = Buffer.allocUnsafe(length);
  packet.copy(copy, 0, 0, length);
  copy.set(authField.subarray(0, 16), 4);
  copy.fill(0, maOffset, maOffset + 16);
  key.finish(key.begin(hasher).update(copy), out, offset);
}

/** HMAC-MD5 Message-Authenticator of `packet` (see {@link messageAuthenticatorInto}) as a new Buffer. */
export function computeMessageAuthenticator(
  packet: Buffer,
  length: number,
  maOffset: number,
  authField: Uint8Array,
  secret: Uint8Array,
): Buffer {
  const out = Buffer.allocUnsafe(16);
  messageAuthenticatorInto(packet, length, maOffset, authField, secret, out, 0);
  return out;
}

/** Constant-time check of the Message-Authenticator at `maOffset`. */
export function verifyMessageAuthenticator(
  packet: Buffer,
  length: number,
  maOffset: number,
  authField: Uint8Array,
  secret: Uint8Array,
): boolean {
  messageAuthenticatorInto(packet, length, maOffset, authField, secret, expected, 0);
  return equal16(expected, packet, maOffset);
}
