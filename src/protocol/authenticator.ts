import { HashScratch, hmacKeyFor, Md5, md5Scratch } from './md5.js';

/** Attribute type of Message-Authenticator (RFC 3579 §3.2). */
export const MESSAGE_AUTHENTICATOR = 80;
const ZERO16 = Buffer.alloc(16);

// These are per-packet hot paths of servers and clients. The message to hash (the packet with its
// substituted fields, then the secret) is laid out in aligned scratch memory and hashed a word at a
// time; JS runs one call at a time, so module-level scratch is safe.
const scratch = new HashScratch(4096 + 256);
const hasher = new Md5();
const expected = new Uint8Array(16);

/** Copies `src[start, end)` to `dst[at]`: a byte loop for the short runs of a packet, no views. */
function copyRange(dst: Uint8Array, at: number, src: Uint8Array, start: number, end: number): void {
  if (end - start > 128) dst.set(src.subarray(start, end), at);
  else for (let i = start; i < end; i++) dst[at + i - start] = src[i];
}

/**
 * Writes MD5(Code+ID+Length + auth[authStart, authEnd) + packet[20, length) + secret) at
 * `out[offset]`: the request's authenticator is read where it lies (a field of the request's own
 * bytes, or a Buffer of 16).
 */
function authenticatorInto(
  packet: Uint8Array,
  length: number,
  auth: Uint8Array,
  authStart: number,
  authEnd: number,
  secret: Uint8Array,
  out: Uint8Array,
  offset: number,
): void {
  const total = length + secret.length;
  if (authEnd - authStart !== 16 || length < 20 || total > scratch.capacity) {
    hasher.reset().update(packet, 0, 4).update(auth, authStart, authEnd).update(packet, 20, length);
    hasher.update(secret).digestInto(out, offset);
    return;
  }
  const b = scratch.bytes;
  copyRange(b, 0, packet, 0, 4);
  copyRange(b, 4, auth, authStart, authEnd);
  copyRange(b, 20, packet, 20, length);
  copyRange(b, length, secret, 0, secret.length);
  md5Scratch(scratch, total, out, offset);
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
  authenticatorInto(packet, length, requestAuth, 0, requestAuth.length, secret, out, 0);
  return out;
}

/** Writes the authenticator computed over `packet[0, length)` into bytes 4..20. */
export function signPacket(
  packet: Buffer,
  length: number,
  requestAuth: Uint8Array | undefined,
  secret: Uint8Array,
): void {
  // The digest is written only after every input byte has been read, so in place is safe.
  const auth = requestAuth ?? ZERO16;
  authenticatorInto(packet, length, auth, 0, auth.length, secret, packet, 4);
}

/** Constant-time check of the authenticator in bytes 4..20 of `packet` (the bytes as received). */
export function verifyAuthenticator(
  packet: Buffer,
  length: number,
  requestAuth: Uint8Array | undefined,
  secret: Uint8Array,
): boolean {
  const auth = requestAuth ?? ZERO16;
  authenticatorInto(packet, length, auth, 0, auth.length, secret, expected, 0);
  return equal16(expected, packet, 4);
}

/**
 * Signs a packet that the encoder laid out in `packet` (a HashScratch: the bytes are hashed where
 * they are): Message-Authenticator at `maOffset` when >= 0 (RFC 3579 §3.2), then the authenticator
 * in bytes 4..20 (RFC 2865 §3). The authenticator field must hold what the hashes take there (the
 * Request Authenticator, or zeros) and the Message-Authenticator value zeros. Bytes past `length`
 * are overwritten. Returns false, having done nothing, when packet and secret do not fit.
 */
export function signInScratch(
  packet: HashScratch,
  length: number,
  maOffset: number,
  secret: Uint8Array,
  sign: boolean,
): boolean {
  if (length + secret.length > packet.capacity) return false;
  const b = packet.bytes;
  if (maOffset >= 0) hmacKeyFor(secret).digestScratch(packet, length, b, maOffset);
  if (sign) {
    copyRange(b, length, secret, 0, secret.length);
    md5Scratch(packet, length + secret.length, b, 4);
  }
  return true;
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
  hmacInto(packet, length, maOffset, authField, 0, authField.length, secret, out, offset);
}

/** {@link messageAuthenticatorInto} with the authenticator field read from `auth[authStart, authEnd)`. */
function hmacInto(
  packet: Uint8Array,
  length: number,
  maOffset: number,
  auth: Uint8Array,
  authStart: number,
  authEnd: number,
  secret: Uint8Array,
  out: Uint8Array,
  offset: number,
): void {
  const key = hmacKeyFor(secret);
  if (authEnd - authStart >= 16 && maOffset >= 20 && maOffset + 16 <= length && length <= scratch.capacity) {
    // The usual shape: the packet with the two fields substituted, hashed from the scratch.
    const b = scratch.bytes;
    copyRange(b, 0, packet, 0, 4);
    copyRange(b, 4, auth, authStart, authStart + 16);
    copyRange(b, 20, packet, 20, maOffset);
    for (let i = maOffset; i < maOffset + 16; i++) b[i] = 0;
    copyRange(b, maOffset + 16, packet, maOffset + 16, length);
    key.digestScratch(scratch, length, out, offset);
    return;
  }
  const copy = Buffer.allocUnsafe(length);
  copy.set(packet.subarray(0, length));
  copy.set(auth.subarray(authStart, Math.min(authEnd, authStart + 16)), 4);
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

// Allocation-free paths for callers that keep a packet's bytes and patch them for every request
// (the load engine of `aioradius bench`): the same hashes as above, read and written in place.

/**
 * Signs the Message-Authenticator at `maOffset` of a request in place (RFC 3579 §3.2): the HMAC
 * covers the packet as it is, with the authenticator field as it stands (the Request
 * Authenticator of an Access-Request or Status-Server; zeros, to be replaced afterwards, for the
 * computed ones of RFC 2866 §3 and RFC 5176 §3.5).
 */
export function signMessageAuthenticatorInPlace(
  packet: Uint8Array,
  length: number,
  maOffset: number,
  secret: Uint8Array,
): void {
  if (!(maOffset >= 20 && maOffset + 16 <= length && length <= packet.length))
    throw new RangeError(`no room for a Message-Authenticator at ${maOffset} in ${length} bytes`);
  hmacInto(packet, length, maOffset, packet, 4, 20, secret, packet, maOffset);
}

/**
 * Verifies a reply's bytes against the bytes of the request it answers, allocating nothing: the
 * attribute framing, the Response Authenticator (RFC 2865 §3, RFC 2866 §4, RFC 5176 §3.5) over the
 * request's authenticator field, and the Message-Authenticator when the reply has one (RFC 3579
 * §3.2), or when `requireMessageAuthenticator`. The code and identifier are the caller's to check.
 */
export function verifyReplyBytes(
  reply: Uint8Array,
  length: number,
  request: Uint8Array,
  secret: Uint8Array,
  requireMessageAuthenticator = false,
): boolean {
  if (length < 20 || length > reply.length || request.length < 20) return false;
  let ma = -1;
  let p = 20;
  while (p < length) {
    if (p + 2 > length) return false;
    const l = reply[p + 1];
    if (l < 2 || p + l > length) return false;
    if (reply[p] === MESSAGE_AUTHENTICATOR) {
      if (l !== 18) return false;
      if (ma < 0) ma = p + 2;
    }
    p += l;
  }
  authenticatorInto(reply, length, request, 4, 20, secret, expected, 0);
  if (!equal16(expected, reply, 4)) return false;
  if (ma < 0) return !requireMessageAuthenticator;
  hmacInto(reply, length, ma, request, 4, 20, secret, expected, 0);
  return equal16(expected, reply, ma);
}
