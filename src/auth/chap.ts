/** CHAP (RFC 1994 §4.1) as RADIUS carries it in CHAP-Password / CHAP-Challenge (RFC 2865 §5.3, §5.40). */

import { createHash, timingSafeEqual } from 'node:crypto';
import { InvalidValueError } from '../errors.js';

function secretBytes(password: Buffer | string): Buffer {
  if (typeof password === 'string') return Buffer.from(password, 'utf8');
  if (Buffer.isBuffer(password)) return password;
  throw new InvalidValueError('password', 'expected a string or a Buffer');
}

function checkIdentifier(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 255) {
    throw new InvalidValueError('CHAP identifier', 'expected an integer from 0 to 255');
  }
}

function checkChallenge(challenge: Buffer): void {
  if (!Buffer.isBuffer(challenge) || challenge.length === 0) {
    throw new InvalidValueError('CHAP-Challenge', 'expected a non-empty Buffer');
  }
}

/**
 * The 16-byte CHAP response MD5(Identifier || secret || Challenge) (RFC 1994 §4.1). A string password is
 * taken as UTF-8. In RADIUS the challenge is CHAP-Challenge, or the Request Authenticator when that
 * attribute is absent (RFC 2865 §2.2).
 */
export function chapResponse(id: number, password: Buffer | string, challenge: Buffer): Buffer {
  checkIdentifier(id);
  checkChallenge(challenge);
  return createHash('md5').update(Buffer.of(id)).update(secretBytes(password)).update(challenge).digest();
}

/**
 * The 17-byte CHAP-Password value (CHAP Ident || response, RFC 2865 §5.3) for a client to send.
 */
export function chapPassword(id: number, password: Buffer | string, challenge: Buffer): Buffer {
  return Buffer.concat([Buffer.of(id), chapResponse(id, password, challenge)]);
}

/**
 * Check a received CHAP-Password value (17 bytes: ident + 16-byte response) against the cleartext
 * password, in constant time. Throws InvalidValueError when the value is not 17 bytes long.
 */
export function verifyChapPassword(
  chapPasswordValue: Buffer,
  password: Buffer | string,
  challenge: Buffer,
): boolean {
  if (!Buffer.isBuffer(chapPasswordValue) || chapPasswordValue.length !== 17) {
    throw new InvalidValueError('CHAP-Password', 'expected 17 bytes (ident and 16-byte response)');
  }
  const expected = chapResponse(chapPasswordValue[0], password, challenge);
  return timingSafeEqual(expected, chapPasswordValue.subarray(1));
}
