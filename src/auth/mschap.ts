/** MS-CHAP version 1 (RFC 2433): the NT challenge response. The LAN Manager response is not supported. */

import { timingSafeEqual } from 'node:crypto';
import { InvalidValueError } from '../errors.js';
import { desEncrypt } from './des.js';
import { type NtSecret, resolveNtHash } from './nthash.js';

function checkLength(value: unknown, length: number, name: string): asserts value is Buffer {
  if (!Buffer.isBuffer(value) || value.length !== length) {
    throw new InvalidValueError(name, `expected ${length} bytes`);
  }
}

/**
 * ChallengeResponse() (RFC 2433 §A.5, RFC 2759 §8.5): the 16-byte hash zero-padded to 21 bytes gives
 * three 7-byte DES keys, each encrypting the 8-byte challenge; the 24-byte result is their concatenation.
 */
export function challengeResponse(challenge: Buffer, passwordHash: Buffer): Buffer {
  checkLength(challenge, 8, 'MS-CHAP challenge');
  checkLength(passwordHash, 16, 'NT password hash');
  const zPasswordHash = Buffer.concat([passwordHash, Buffer.alloc(5)]);
  return Buffer.concat([
    desEncrypt(challenge, zPasswordHash.subarray(0, 7)),
    desEncrypt(challenge, zPasswordHash.subarray(7, 14)),
    desEncrypt(challenge, zPasswordHash.subarray(14, 21)),
  ]);
}

/**
 * NtChallengeResponse() (RFC 2433 §A.1): the 24-byte NT-Response to an 8-byte MS-CHAP-Challenge, from
 * the cleartext password or its NT hash.
 */
export function ntChallengeResponse(challenge: Buffer, secret: NtSecret): Buffer {
  return challengeResponse(challenge, resolveNtHash(secret));
}

/**
 * Server side: does a received 24-byte NT-Response answer the challenge for this secret? Constant-time
 * compare. Throws InvalidValueError when the response is not 24 bytes.
 */
export function verifyNtChallengeResponse(challenge: Buffer, secret: NtSecret, ntResponse: Buffer): boolean {
  checkLength(ntResponse, 24, 'MS-CHAP NT-Response');
  return timingSafeEqual(ntChallengeResponse(challenge, secret), ntResponse);
}
