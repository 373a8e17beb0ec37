import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hashNtPasswordHash, ntPasswordHash, resolveNtHash } from '../../src/auth/nthash.js';
import { InvalidValueError } from '../../src/errors.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// [password, NtPasswordHash]
const NT_HASHES: [string, string][] = [
  ['clientPass', '44EBBA8D5312B8D611474411F56989AE'], // RFC 2759 §9.2, RFC 3079 §3.5
  ['MyPw', 'FC156AF7EDCD6C0EDDE3337D427F4EAC'], // RFC 2433 §B.2, RFC 2759 §9.3
  ['password', '8846F7EAEE8FB117AD06BDD830B7586C'], // the widely published NT hash of "password"
  ['', '31D6CFE0D16AE931B73C59D7E0C089C0'], // MD4 of nothing
];

describe('ntPasswordHash', () => {
  test('published NT hashes', () => {
    for (const [password, hash] of NT_HASHES) {
      assert.equal(ntPasswordHash(password).toString('hex').toUpperCase(), hash, JSON.stringify(password));
    }
  });

  test('rejects a non-string password', () => {
    assert.throws(() => ntPasswordHash(Buffer.from('x') as unknown as string), InvalidValueError);
  });
});

describe('hashNtPasswordHash', () => {
  test('RFC 2759 §9.2 PasswordHashHash', () => {
    assert.deepEqual(
      hashNtPasswordHash(hex('44EBBA8D5312B8D611474411F56989AE')),
      hex('41C00C584BD2D91C4017A2A12FA59F3F'),
    );
  });

  test('rejects a hash that is not 16 bytes', () => {
    assert.throws(() => hashNtPasswordHash(Buffer.alloc(15)), InvalidValueError);
    assert.throws(() => hashNtPasswordHash(Buffer.alloc(17)), InvalidValueError);
  });
});

describe('resolveNtHash', () => {
  const hash = hex('44EBBA8D5312B8D611474411F56989AE');

  test('takes a password, a Buffer hash or { ntHash }', () => {
    assert.deepEqual(resolveNtHash('clientPass'), hash);
    assert.deepEqual(resolveNtHash(hash), hash);
    assert.deepEqual(resolveNtHash({ ntHash: hash }), hash);
  });

  test('rejects hashes of the wrong size and other values', () => {
    assert.throws(() => resolveNtHash(Buffer.alloc(8)), InvalidValueError);
    assert.throws(() => resolveNtHash({ ntHash: Buffer.alloc(20) }), InvalidValueError);
    assert.throws(() => resolveNtHash(null as unknown as string), InvalidValueError);
  });
});
