import { timingSafeEqual } from 'node:crypto';
import { hmacMd5, md5 } from './hash.js';

/** Attribute type of Message-Authenticator (RFC 3579 §3.2). */
export const MESSAGE_AUTHENTICATOR = 80;
const ZERO16 = Buffer.alloc(16);

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
  return md5(packet.subarray(0, 4), requestAuth, packet.subarray(20, length), secret);
}

/** Writes the authenticator computed over `packet[0, length)` into bytes 4..20. */
export function signPacket(
  packet: Buffer,
  length: number,
  requestAuth: Uint8Array | undefined,
  secret: Uint8Array,
): void {
  computeAuthenticator(packet, length, requestAuth ?? ZERO16, secret).copy(packet, 4);
}

/** Constant-time check of the authenticator in bytes 4..20 of `packet` (the bytes as received). */
export function verifyAuthenticator(
  packet: Buffer,
  length: number,
  requestAuth: Uint8Array | undefined,
  secret: Uint8Array,
): boolean {
  const expected = computeAuthenticator(packet, length, requestAuth ?? ZERO16, secret);
  return timingSafeEqual(expected, packet.subarray(4, 20));
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
 * HMAC-MD5 over the packet with the Message-Authenticator value zeroed and the authenticator field
 * set to `authField` (RFC 3579 §3.2, RFC 5176 §3.5: the Request Authenticator, or zeros for
 * Accounting/CoA/Disconnect requests). `packet` is not modified.
 */
export function computeMessageAuthenticator(
  packet: Buffer,
  length: number,
  maOffset: number,
  authField: Uint8Array,
  secret: Uint8Array,
): Buffer {
  const copy = Buffer.allocUnsafe(length);
  packet.copy(copy, 0, 0, length);
  copy.set(authField.subarray(0, 16), 4);
  copy.fill(0, maOffset, maOffset + 16);
  return hmacMd5(secret, copy);
}

/** Constant-time check of the Message-Authenticator at `maOffset`. */
export function verifyMessageAuthenticator(
  packet: Buffer,
  length: number,
  maOffset: number,
  authField: Uint8Array,
  secret: Uint8Array,
): boolean {
  const expected = computeMessageAuthenticator(packet, length, maOffset, authField, secret);
  return timingSafeEqual(expected, packet.subarray(maOffset, maOffset + 16));
}
