import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chapPassword, chapResponse, verifyChapPassword } from '../../src/auth/chap.js';
import { InvalidValueError } from '../../src/errors.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 2865 §7.2: user "flopsy", CHAP ID 22 (0x16), the Request Authenticator doubles as the challenge.
// The password is not printed there; "arctangent" (the §7.1 PAP example's password) reproduces it.
const RFC2865_EXAMPLE = {
  id: 0x16,
  password: 'arctangent',
  challenge: hex('2a ee 86 f0 8d 0d 55 96 9c a5 97 8e 0d 33 67 a2'),
  chapPassword: hex('16 e9 75 57 c3 16 18 58 95 f2 93 ff 63 44 07 72 75'),
};

describe('chapResponse', () => {
  test('RFC 2865 §7.2 CHAP-Password', () => {
    const { id, password, challenge, chapPassword: expected } = RFC2865_EXAMPLE;
    assert.deepEqual(chapResponse(id, password, challenge), expected.subarray(1));
    assert.deepEqual(chapPassword(id, password, challenge), expected);
  });

  test('a Buffer password is used as is, a string as UTF-8', () => {
    const challenge = Buffer.alloc(16, 7);
    assert.deepEqual(
      chapResponse(1, Buffer.from('pässword', 'utf8'), challenge),
      chapResponse(1, 'pässword', challenge),
    );
  });

  test('rejects a bad identifier, an empty challenge and a non-secret', () => {
    const challenge = Buffer.alloc(16);
    for (const id of [-1, 256, 1.5, Number.NaN]) {
      assert.throws(() => chapResponse(id, 'x', challenge), InvalidValueError, String(id));
    }
    assert.throws(() => chapResponse(1, 'x', Buffer.alloc(0)), InvalidValueError);
    assert.throws(() => chapResponse(1, 42 as unknown as string, challenge), InvalidValueError);
  });
});

describe('verifyChapPassword', () => {
  const { password, challenge, chapPassword: received } = RFC2865_EXAMPLE;

  test('accepts the right password', () => {
    assert.equal(verifyChapPassword(received, password, challenge), true);
    assert.equal(verifyChapPassword(received, Buffer.from(password), challenge), true);
  });

  test('refuses a wrong password, a wrong challenge, another ident or a changed response', () => {
    assert.equal(verifyChapPassword(received, 'arctangenT', challenge), false);
    assert.equal(verifyChapPassword(received, password, Buffer.alloc(16)), false);
    const otherIdent = Buffer.from(received);
    otherIdent[0] ^= 1;
    assert.equal(verifyChapPassword(otherIdent, password, challenge), false);
    const changed = Buffer.from(received);
    changed[16] ^= 0x80;
    assert.equal(verifyChapPassword(changed, password, challenge), false);
  });

  test('round trip with chapPassword', () => {
    const challenge16 = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    for (const id of [0, 1, 128, 255]) {
      assert.equal(verifyChapPassword(chapPassword(id, 's3cret', challenge16), 's3cret', challenge16), true);
    }
  });

  test('a CHAP-Password that is not 17 bytes raises InvalidValueError', () => {
    assert.throws(() => verifyChapPassword(received.subarray(0, 16), password, challenge), InvalidValueError);
    assert.throws(
      () => verifyChapPassword(Buffer.concat([received, Buffer.of(0)]), password, challenge),
      InvalidValueError,
    );
  });
});
