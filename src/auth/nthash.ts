/** NT password hashes used by MS-CHAP (RFC 2759 §8.3-8.4, RFC 2433 §A.2). */

import { InvalidValueError } from '../errors.js';
import { md4 } from './md4.js';

/**
 * What MS-CHAP functions accept as the user's secret: the cleartext password (a string), or its
 * 16-byte NT hash given as a Buffer or as `{ ntHash }` (for stores that keep only NT hashes).
 */
export type NtSecret = string | Buffer | { readonly ntHash: Buffer };

/** NtPasswordHash(): MD4 of the password as UTF-16LE, without a terminating zero (RFC 2759 §8.3). */
export function ntPasswordHash(password: string): Buffer {
  if (typeof password !== 'string') {
    throw new InvalidValueError('password', 'expected a string');
  }
  return md4(Buffer.from(password, 'utf16le'));
}

/** HashNtPasswordHash(): MD4 of a 16-byte NT hash (RFC 2759 §8.4); MPPE keys are derived from it. */
export function hashNtPasswordHash(passwordHash: Buffer): Buffer {
  checkNtHash(passwordHash);
  return md4(passwordHash);
}

/** The 16-byte NT hash of an NtSecret: hashes a cleartext password, checks and returns a given hash. */
export function resolveNtHash(secret: NtSecret): Buffer {
  if (typeof secret === 'string') return ntPasswordHash(secret);
  const hash = Buffer.isBuffer(secret) ? secret : secret?.ntHash;
  checkNtHash(hash);
  return hash;
}

function checkNtHash(hash: unknown): asserts hash is Buffer {
  if (!Buffer.isBuffer(hash) || hash.length !== 16) {
    throw new InvalidValueError('NT password hash', 'expected 16 bytes');
  }
}
