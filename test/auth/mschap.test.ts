import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { challengeResponse, ntChallengeResponse, verifyNtChallengeResponse } from '../../src/auth/mschap.js';
import { InvalidValueError } from '../../src/errors.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 2433 §B.2 hash example, password "MyPw".
const RFC2433 = {
  challenge: hex('10 2D B5 DF 08 5D 30 41'),
  password: 'MyPw',
  ntHash: hex('FC 15 6A F7 ED CD 6C 0E DD E3 33 7D 42 7F 4E AC'),
  ntResponse: hex('4E 9D 3C 8F 9C FD 38 5D 5B F4 D3 24 67 91 95 6C A4 C3 51 AB 40 9A 3D 61'),
};

describe('MS-CHAP v1', () => {
  test('RFC 2433 §B.2 NtChallengeResponse from the password, a Buffer hash and { ntHash }', () => {
    const { challenge, password, ntHash, ntResponse } = RFC2433;
    assert.deepEqual(ntChallengeResponse(challenge, password), ntResponse);
    assert.deepEqual(ntChallengeResponse(challenge, ntHash), ntResponse);
    assert.deepEqual(ntChallengeResponse(challenge, { ntHash }), ntResponse);
    assert.deepEqual(challengeResponse(challenge, ntHash), ntResponse);
  });

  test('verifyNtChallengeResponse accepts the right response and refuses others', () => {
    const { challenge, password, ntResponse } = RFC2433;
    assert.equal(verifyNtChallengeResponse(challenge, password, ntResponse), true);
    assert.equal(verifyNtChallengeResponse(challenge, 'mypw', ntResponse), false);
    const changed = Buffer.from(ntResponse);
    changed[23] ^= 1;
    assert.equal(verifyNtChallengeResponse(challenge, password, changed), false);
  });

  test('bad lengths raise InvalidValueError', () => {
    const { challenge, ntHash, ntResponse } = RFC2433;
    assert.throws(() => challengeResponse(Buffer.alloc(7), ntHash), InvalidValueError);
    assert.throws(() => challengeResponse(Buffer.alloc(16), ntHash), InvalidValueError);
    assert.throws(() => challengeResponse(challenge, Buffer.alloc(15)), InvalidValueError);
    assert.throws(() => ntChallengeResponse(challenge, Buffer.alloc(21)), InvalidValueError);
    assert.throws(
      () => verifyNtChallengeResponse(challenge, ntHash, ntResponse.subarray(0, 23)),
      InvalidValueError,
    );
  });
});
