// Credentials as user code gives them, read into the form every check uses (src/auth/credentials.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  credentialsCleartext,
  credentialsNtHash,
  ntHashBytes,
  usableCredentials,
} from '../../src/auth/credentials.js';
import { ntPasswordHash } from '../../src/auth/nthash.js';
import { UnusableCredentialsError } from '../../src/errors.js';

const HASH = ntPasswordHash('pw');

test('an NT hash as 16 bytes (Buffer or Uint8Array) or 32 hex digits in either case; nothing else', () => {
  for (const given of [
    HASH,
    new Uint8Array(HASH),
    HASH.toString('hex'),
    HASH.toString('hex').toUpperCase(),
  ]) {
    assert.deepEqual(ntHashBytes(given), HASH);
  }
  for (const given of ['', 'zz'.repeat(16), HASH.toString('hex').slice(1), ` ${HASH.toString('hex')}`]) {
    assert.equal(ntHashBytes(given), undefined, given);
  }
  assert.equal(ntHashBytes(Buffer.alloc(17)), undefined);
  assert.equal(ntHashBytes(16), undefined);
});

test('usableCredentials: the fields checked by type, null as absent, the field named and never its value', () => {
  assert.deepEqual(usableCredentials({ password: 'pw', ntHash: null, passwordHash: undefined }), {
    password: 'pw',
  });
  assert.deepEqual(usableCredentials({ ntHash: HASH.toString('hex') }).ntHash, HASH);
  const refused: Array<[unknown, string]> = [
    [undefined, 'credentials'],
    ['pw', 'credentials'],
    [['pw'], 'credentials'],
    [{ password: 1 }, 'password'],
    [{ passwordHash: {} }, 'passwordHash'],
    [{ ntHash: 'secret-looking-text' }, 'ntHash'],
    [{ verifyPassword: 'yes' }, 'verifyPassword'],
  ];
  for (const [given, field] of refused) {
    assert.throws(
      () => usableCredentials(given),
      (err: unknown) =>
        err instanceof UnusableCredentialsError &&
        err.field === field &&
        err.code === 'ERR_RADIUS_UNUSABLE_CREDENTIALS' &&
        !err.message.includes('secret-looking-text'),
      JSON.stringify(given),
    );
  }
});

test("a source's verifyPassword is called on its own object", async () => {
  class Source {
    private readonly secret = 'pw';
    async verifyPassword(password: string) {
      return password === this.secret ? undefined : 'wrong password';
    }
  }
  const usable = usableCredentials(new Source());
  assert.equal(await usable.verifyPassword?.('pw'), undefined);
  assert.equal(await usable.verifyPassword?.('no'), 'wrong password');
});

test('the NT hash and the cleartext the methods need, from whichever field holds them', () => {
  assert.deepEqual(credentialsNtHash(usableCredentials({ password: 'pw' })), HASH);
  assert.deepEqual(
    credentialsNtHash(usableCredentials({ passwordHash: `{NT}${HASH.toString('hex')}` })),
    HASH,
  );
  assert.equal(credentialsNtHash(usableCredentials({ passwordHash: '{SSHA}abcd' })), undefined);
  assert.equal(credentialsCleartext(usableCredentials({ passwordHash: '{Cleartext}pw' })), 'pw');
  assert.equal(credentialsCleartext(usableCredentials({ ntHash: HASH })), undefined);
});
