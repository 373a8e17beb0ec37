/**
 * Random octets for States, challenges and EAP Identifiers, cut from a pool filled by the CSPRNG
 * in one call: each `crypto.randomBytes` call costs a native job and a DRBG lock, and an EAP round
 * needs only a few octets (RFC 3579 §2.6.1 State, RFC 3748 §5.4 MD5 challenge).
 */

import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let offset = POOL_SIZE;

/** `size` fresh random octets (a view of a pool never handed out twice; at most 4096). */
export function randomOctets(size: number): Buffer {
  if (offset + size > pool.length) {
    // A new pool each time: the views already handed out keep the old one.
    pool = randomFillSync(Buffer.allocUnsafe(Math.max(POOL_SIZE, size)));
    offset = 0;
  }
  const out = pool.subarray(offset, offset + size);
  offset += size;
  return out;
}
