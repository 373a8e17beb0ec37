import { createHash, createHmac } from 'node:crypto';

/** MD5 of the concatenation of the parts. */
export function md5(...parts: Uint8Array[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** HMAC-MD5 (RFC 2104) of `data` keyed with `key`. */
export function hmacMd5(key: Uint8Array, data: Uint8Array): Buffer {
  return createHmac('md5', key).update(data).digest();
}
