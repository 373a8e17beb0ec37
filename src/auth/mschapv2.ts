/** MS-CHAP version 2 (RFC 2759 §8): NT-Response and the mutual-authentication AuthenticatorResponse. */

import { createHash, timingSafeEqual } from 'node:crypto';
import { InvalidValueError } from '../errors.js';
import { challengeResponse } from './mschap.js';
import { hashNtPasswordHash, type NtSecret, resolveNtHash } from './nthash.js';

// RFC 2759 §8.7: the "Magic" constants are these ASCII sentences.
const MAGIC1 = Buffer.from('Magic server to client signing constant', 'ascii');
const MAGIC2 = Buffer.from('Pad to make it do more than one iteration', 'ascii');

function checkLength(value: unknown, length: number, name: string): asserts value is Buffer {
  if (!Buffer.isBuffer(value) || value.length !== length) {
    throw new InvalidValueError(name, `expected ${length} bytes`);
  }
}

function userNameBytes(userName: string | Buffer): Buffer {
  if (typeof userName === 'string') return Buffer.from(userName, 'utf8');
  if (Buffer.isBuffer(userName)) return userName;
  throw new InvalidValueError('MS-CHAP user name', 'expected a string or a Buffer');
}

/**
 * ChallengeHash() (RFC 2759 §8.2): first 8 bytes of SHA1(PeerChallenge || AuthenticatorChallenge ||
 * UserName). The user name is the one the peer sent, without any "DOMAIN\" prefix; a string is UTF-8.
 */
export function challengeHash(
  peerChallenge: Buffer,
  authenticatorChallenge: Buffer,
  userName: string | Buffer,
): Buffer {
  checkLength(peerChallenge, 16, 'MS-CHAP2 peer challenge');
  checkLength(authenticatorChallenge, 16, 'MS-CHAP2 authenticator challenge');
  return createHash('sha1')
    .update(peerChallenge)
    .update(authenticatorChallenge)
    .update(userNameBytes(userName))
    .digest()
    .subarray(0, 8);
}

/** GenerateNTResponse() (RFC 2759 §8.1): the 24-byte NT-Response, from the password or its NT hash. */
export function generateNtResponse(
  authenticatorChallenge: Buffer,
  peerChallenge: Buffer,
  userName: string | Buffer,
  secret: NtSecret,
): Buffer {
  const challenge = challengeHash(peerChallenge, authenticatorChallenge, userName);
  return challengeResponse(challenge, resolveNtHash(secret));
}

/**
 * Server side: does a received 24-byte NT-Response match this secret? Constant-time compare. Throws
 * InvalidValueError when the response is not 24 bytes.
 */
export function verifyNtResponse(
  authenticatorChallenge: Buffer,
  peerChallenge: Buffer,
  userName: string | Buffer,
  secret: NtSecret,
  ntResponse: Buffer,
): boolean {
  checkLength(ntResponse, 24, 'MS-CHAP2 NT-Response');
  const expected = generateNtResponse(authenticatorChallenge, peerChallenge, userName, secret);
  return timingSafeEqual(expected, ntResponse);
}

/**
 * GenerateAuthenticatorResponse() (RFC 2759 §8.7): the 42-character "S=" + 40 uppercase hex digits
 * string the server returns in MS-CHAP2-Success, proving it knows the password too.
 */
export function generateAuthenticatorResponse(
  secret: NtSecret,
  ntResponse: Buffer,
  peerChallenge: Buffer,
  authenticatorChallenge: Buffer,
  userName: string | Buffer,
): string {
  checkLength(ntResponse, 24, 'MS-CHAP2 NT-Response');
  const passwordHashHash = hashNtPasswordHash(resolveNtHash(secret));
  const digest = createHash('sha1').update(passwordHashHash).update(ntResponse).update(MAGIC1).digest();
  const challenge = challengeHash(peerChallenge, authenticatorChallenge, userName);
  const response = createHash('sha1').update(digest).update(challenge).update(MAGIC2).digest();
  return `S=${response.toString('hex').toUpperCase()}`;
}

/**
 * CheckAuthenticatorResponse() (RFC 2759 §8.8), client side: is the server's "S=..." string the one
 * this password yields? Hex digits are compared case-insensitively and in constant time; anything that
 * is not exactly 42 characters is simply a mismatch.
 */
export function checkAuthenticatorResponse(
  secret: NtSecret,
  ntResponse: Buffer,
  peerChallenge: Buffer,
  authenticatorChallenge: Buffer,
  userName: string | Buffer,
  receivedResponse: string | Buffer,
): boolean {
  const expected = Buffer.from(
    generateAuthenticatorResponse(secret, ntResponse, peerChallenge, authenticatorChallenge, userName),
    'ascii',
  );
  let receivedText: string;
  if (typeof receivedResponse === 'string') receivedText = receivedResponse;
  else if (Buffer.isBuffer(receivedResponse)) receivedText = receivedResponse.toString('latin1');
  else throw new InvalidValueError('MS-CHAP2 authenticator response', 'expected a string or a Buffer');
  const received = Buffer.from(receivedText.toUpperCase(), 'latin1');
  if (received.length !== expected.length) return false;
  return timingSafeEqual(expected, received);
}
