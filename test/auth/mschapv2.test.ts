import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  challengeHash,
  checkAuthenticatorResponse,
  generateAuthenticatorResponse,
  generateNtResponse,
  verifyNtResponse,
} from '../../src/auth/mschapv2.js';
import { InvalidValueError } from '../../src/errors.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 2759 §9.2 hash example.
const RFC2759 = {
  userName: 'User',
  password: 'clientPass',
  authenticatorChallenge: hex('5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28'),
  peerChallenge: hex('21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E'),
  challenge: hex('D0 2E 43 86 BC E9 12 26'),
  ntHash: hex('44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE'),
  ntResponse: hex('82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF'),
  authenticatorResponse: 'S=407A5589115FD0D6209F510FE9C04566932CDA56',
};

describe('MS-CHAP v2 (RFC 2759 §9.2 vectors)', () => {
  const v = RFC2759;

  test('ChallengeHash', () => {
    assert.deepEqual(challengeHash(v.peerChallenge, v.authenticatorChallenge, v.userName), v.challenge);
    assert.deepEqual(
      challengeHash(v.peerChallenge, v.authenticatorChallenge, Buffer.from('User')),
      v.challenge,
    );
  });

  test('GenerateNTResponse from the password, a Buffer hash and { ntHash }', () => {
    for (const secret of [v.password, v.ntHash, { ntHash: v.ntHash }]) {
      assert.deepEqual(
        generateNtResponse(v.authenticatorChallenge, v.peerChallenge, v.userName, secret),
        v.ntResponse,
      );
    }
  });

  test('GenerateAuthenticatorResponse', () => {
    for (const secret of [v.password, { ntHash: v.ntHash }]) {
      assert.equal(
        generateAuthenticatorResponse(
          secret,
          v.ntResponse,
          v.peerChallenge,
          v.authenticatorChallenge,
          v.userName,
        ),
        v.authenticatorResponse,
      );
    }
  });
});

describe('verifyNtResponse', () => {
  const v = RFC2759;

  test('accepts the right NT-Response', () => {
    assert.equal(
      verifyNtResponse(v.authenticatorChallenge, v.peerChallenge, v.userName, v.password, v.ntResponse),
      true,
    );
  });

  test('refuses a wrong password, another user name or a changed response', () => {
    const { authenticatorChallenge: ac, peerChallenge: pc } = v;
    assert.equal(verifyNtResponse(ac, pc, v.userName, 'clientpass', v.ntResponse), false);
    assert.equal(verifyNtResponse(ac, pc, 'user', v.password, v.ntResponse), false);
    const changed = Buffer.from(v.ntResponse);
    changed[0] ^= 0x40;
    assert.equal(verifyNtResponse(ac, pc, v.userName, v.password, changed), false);
  });

  test('an NT-Response that is not 24 bytes raises InvalidValueError', () => {
    const { authenticatorChallenge: ac, peerChallenge: pc } = v;
    assert.throws(
      () => verifyNtResponse(ac, pc, v.userName, v.password, Buffer.alloc(25)),
      InvalidValueError,
    );
  });
});

describe('checkAuthenticatorResponse (client side)', () => {
  const v = RFC2759;
  const check = (received: string | Buffer, secret: string = v.password) =>
    checkAuthenticatorResponse(
      secret,
      v.ntResponse,
      v.peerChallenge,
      v.authenticatorChallenge,
      v.userName,
      received,
    );

  test('accepts the server response, in either case and as bytes', () => {
    assert.equal(check(v.authenticatorResponse), true);
    assert.equal(check(`S=${v.authenticatorResponse.slice(2).toLowerCase()}`), true);
    assert.equal(check(Buffer.from(v.authenticatorResponse, 'ascii')), true);
  });

  test('refuses a changed digit, another length or a wrong password', () => {
    assert.equal(check(`${v.authenticatorResponse.slice(0, -1)}7`), false);
    assert.equal(check(v.authenticatorResponse.slice(0, -1)), false);
    assert.equal(check(`${v.authenticatorResponse} M=welcome`), false);
    assert.equal(check(''), false);
    assert.equal(check(v.authenticatorResponse, 'wrong'), false);
  });

  test('rejects a response that is neither string nor Buffer', () => {
    assert.throws(() => check(42 as unknown as string), InvalidValueError);
  });
});

describe('argument checks', () => {
  const v = RFC2759;

  test('challenges and NT-Responses of the wrong size raise InvalidValueError', () => {
    assert.throws(() => challengeHash(Buffer.alloc(15), v.authenticatorChallenge, 'u'), InvalidValueError);
    assert.throws(() => challengeHash(v.peerChallenge, Buffer.alloc(8), 'u'), InvalidValueError);
    assert.throws(
      () => challengeHash(v.peerChallenge, v.authenticatorChallenge, 7 as unknown as string),
      InvalidValueError,
    );
    assert.throws(
      () => generateNtResponse(v.authenticatorChallenge, v.peerChallenge, v.userName, Buffer.alloc(4)),
      InvalidValueError,
    );
    assert.throws(
      () =>
        generateAuthenticatorResponse(
          v.password,
          Buffer.alloc(23),
          v.peerChallenge,
          v.authenticatorChallenge,
          'u',
        ),
      InvalidValueError,
    );
  });
});
