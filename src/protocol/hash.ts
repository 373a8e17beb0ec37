import { hmacKeyFor, md5 as md5Parts } from './md5.js';

// RADIUS hashes 20-300 byte inputs several times per packet: at those sizes the fixed cost of a
// node:crypto call outweighs the hashing, so both functions use the plain-TS MD5 of md5.ts.

/** MD5 of the concatenation of the parts. */
export function md5(...parts: Uint8Array[]): Buffer {
  return md5Parts(...parts);
}

/** HMAC-MD5 (RFC 2104) of `data` keyed with `key` (key pads cached per secret). */
export function hmacMd5(key: Uint8Array, data: Uint8Array): Buffer {
  return hmacKeyFor(key).digest(data);
}
