import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  decryptMppeKey,
  encryptMppeKey,
  encryptMppeKeyPair,
  getAsymmetricStartKey,
  getMasterKey,
  getNewKeyFromSha,
  getStartKeyV1,
  msChapMppeKeys,
  mppeKeysV2,
  randomMppeSalt,
} from '../../src/auth/mppe.js';
import { InvalidValueError, MalformedPacketError } from '../../src/errors.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 3079 §3.5 sample key derivations (MS-CHAP v2, user "User", password "clientPass").
const RFC3079_V2 = {
  ntHash: hex('44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE'),
  passwordHashHash: hex('41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F'),
  ntResponse: hex('82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF'),
  masterKey: hex('FD EC E3 71 7A 8C 83 8C B3 88 E5 27 AE 3C DD 31'),
  sendStartKey40: hex('8B 7C DC 14 9B 99 3A 1B'),
  sendSessionKey40: hex('D1 26 9E C4 9F A6 2E 3E'),
  sendSessionKey56: hex('D1 5C 00 C4 9F A6 2E 3E'),
  sendStartKey128: hex('8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB'),
  sendSessionKey128: hex('40 5C B2 24 7A 79 56 E6 E2 11 00 7A E2 7B 22 D4'),
};

// The server's receive key (the client's send key). RFC 3079 does not print it; this is the value
// other MS-CHAP v2 / EAP-MSCHAPv2 implementations pin for the same inputs.
const SERVER_RECV_KEY_128 = hex('D5 F0 E9 52 1E 3E A9 58 96 45 E8 60 51 C8 22 26');

// RFC 3079 §2.5 sample key derivations (MS-CHAP v1, password "clientPass").
const RFC3079_V1 = {
  lmHash: hex('76 a1 52 93 60 96 d7 83 0e 23 90 22 74 04 af d2'),
  lmSessionKey: hex('d8 08 01 53 8c ec 4a 08'), // §2.5.1 step 3, before the 40-bit reduction
  challenge: hex('10 2d b5 df 08 5d 30 41'),
  passwordHashHash: hex('41 c0 0c 58 4b d2 d9 1c 40 17 a2 a1 2f a5 9f 3f'),
  // §2.5.3 prints this twice; step 3 has a typo ("ca" for "c1" in byte 8), step 4 and the step 5
  // result below agree with this value.
  initialSessionKey: hex('a8 94 78 50 cf c0 ac c1 d1 78 9f b6 2d dc dd b0'),
  currentSessionKey: hex('59 d1 59 bc 09 f7 6f 1d a2 a8 6a 28 ff ec 0b 1e'),
};

describe('RFC 3079 §3 (MS-CHAP v2) key derivation', () => {
  const v = RFC3079_V2;

  test('GetMasterKey', () => {
    assert.deepEqual(getMasterKey(v.passwordHashHash, v.ntResponse), v.masterKey);
  });

  test('GetAsymmetricStartKey: 128-bit and 40/56-bit send start keys (server side)', () => {
    assert.deepEqual(getAsymmetricStartKey(v.masterKey, 16, true, true), v.sendStartKey128);
    assert.deepEqual(getAsymmetricStartKey(v.masterKey, 8, true, true), v.sendStartKey40);
  });

  test('GetNewKeyFromSHA gives the initial send session keys', () => {
    assert.deepEqual(getNewKeyFromSha(v.sendStartKey128, v.sendStartKey128, 16), v.sendSessionKey128);
    // The 40- and 56-bit keys then overwrite the first 3 bytes (D1 26 9E) or the first byte (D1).
    const key64 = getNewKeyFromSha(v.sendStartKey40, v.sendStartKey40, 8);
    assert.deepEqual(key64.subarray(3), v.sendSessionKey40.subarray(3));
    assert.deepEqual(key64.subarray(1), v.sendSessionKey56.subarray(1));
  });

  test("one side's send key is the other side's receive key", () => {
    const m = v.masterKey;
    assert.deepEqual(getAsymmetricStartKey(m, 16, false, false), getAsymmetricStartKey(m, 16, true, true));
    assert.deepEqual(getAsymmetricStartKey(m, 16, true, false), getAsymmetricStartKey(m, 16, false, true));
    assert.notDeepEqual(getAsymmetricStartKey(m, 16, true, true), getAsymmetricStartKey(m, 16, false, true));
  });

  test('mppeKeysV2 gives MS-MPPE-Send-Key = server send key, MS-MPPE-Recv-Key = server receive key', () => {
    for (const secret of ['clientPass', v.ntHash, { ntHash: v.ntHash }]) {
      const keys = mppeKeysV2(secret, v.ntResponse);
      assert.deepEqual(keys.sendKey, v.sendStartKey128);
      assert.deepEqual(keys.recvKey, SERVER_RECV_KEY_128);
    }
    assert.deepEqual(mppeKeysV2('clientPass', v.ntResponse, 8).sendKey, v.sendStartKey40);
  });

  test('bad sizes raise InvalidValueError', () => {
    assert.throws(() => getMasterKey(Buffer.alloc(15), v.ntResponse), InvalidValueError);
    assert.throws(() => getMasterKey(v.passwordHashHash, Buffer.alloc(16)), InvalidValueError);
    assert.throws(() => getAsymmetricStartKey(Buffer.alloc(8), 16, true, true), InvalidValueError);
    for (const length of [0, 7, 17, 20, 12.5]) {
      assert.throws(
        () => getAsymmetricStartKey(v.masterKey, length, true, true),
        InvalidValueError,
        String(length),
      );
    }
    assert.throws(() => getNewKeyFromSha(Buffer.alloc(8), Buffer.alloc(16), 16), InvalidValueError);
    assert.throws(() => getNewKeyFromSha(Buffer.alloc(16), Buffer.alloc(8), 16), InvalidValueError);
    assert.throws(() => mppeKeysV2('clientPass', Buffer.alloc(23)), InvalidValueError);
  });
});

describe('RFC 3079 §2 (MS-CHAP v1) key derivation', () => {
  const v = RFC3079_V1;

  test('Get_Start_Key and Get_Key for 128-bit keys (§2.5.3)', () => {
    const initial = getStartKeyV1(v.challenge, v.passwordHashHash);
    assert.deepEqual(initial, v.initialSessionKey);
    assert.deepEqual(getNewKeyFromSha(initial, initial, 16), v.currentSessionKey);
  });

  test('Get_Key on the LM hash for 40/56-bit keys (§2.5.1)', () => {
    assert.deepEqual(getNewKeyFromSha(v.lmHash, v.lmHash, 8), v.lmSessionKey);
  });

  test('bad sizes raise InvalidValueError', () => {
    assert.throws(() => getStartKeyV1(Buffer.alloc(16), v.passwordHashHash), InvalidValueError);
    assert.throws(() => getStartKeyV1(v.challenge, Buffer.alloc(8)), InvalidValueError);
  });
});

describe('msChapMppeKeys (RFC 2548 §2.4.1)', () => {
  test('LM-Key then NT-Key (HashNtPasswordHash)', () => {
    const keys = msChapMppeKeys('clientPass');
    assert.equal(keys.length, 24);
    assert.deepEqual(keys.subarray(0, 8), Buffer.alloc(8));
    assert.deepEqual(keys.subarray(8), RFC3079_V1.passwordHashHash);
  });

  test('takes the first 8 bytes of an LM hash when given', () => {
    const keys = msChapMppeKeys({ ntHash: RFC3079_V2.ntHash }, RFC3079_V1.lmHash);
    assert.deepEqual(keys.subarray(0, 8), RFC3079_V1.lmHash.subarray(0, 8));
    assert.deepEqual(keys.subarray(8), RFC3079_V1.passwordHashHash);
  });

  test('rejects a short LM hash', () => {
    assert.throws(() => msChapMppeKeys('clientPass', Buffer.alloc(7)), InvalidValueError);
  });
});

describe('MS-MPPE-Send-Key / Recv-Key salt encryption (RFC 2548 §2.4.2)', () => {
  // Shared secret and Request Authenticator of RFC 2865 §7.1. The expected values were computed
  // independently from the RFC 2548 description (Python hashlib) when this test was written.
  const secret = 'xyzzy5461';
  const requestAuthenticator = hex('0f 40 3f 94 73 97 80 57 bd 83 d5 cb 98 f4 22 7a');
  const KNOWN: { key: string; salt: string; value: string }[] = [
    {
      key: '8B7CDC149B993A1BA118CB153F56DCCB',
      salt: '8001',
      value: '8001d7c4aaa4718a06cddca737c2f3bcd1ffef26b141dc036e4cdb731d79248c658e',
    },
    { key: '0102030405', salt: 'fedc', value: 'fedc7e4a2c960dcab34e25d6c783a6b49411' },
  ];

  test('known answers, both ways', () => {
    for (const { key, salt, value } of KNOWN) {
      assert.equal(encryptMppeKey(hex(key), secret, requestAuthenticator, hex(salt)).toString('hex'), value);
      assert.deepEqual(decryptMppeKey(hex(value), secret, requestAuthenticator), hex(key));
      assert.deepEqual(decryptMppeKey(hex(value), Buffer.from(secret), requestAuthenticator), hex(key));
    }
  });

  test('round trips for every key length, with random salts', () => {
    for (let length = 1; length <= 239; length++) {
      const key = Buffer.alloc(length);
      for (let i = 0; i < length; i++) key[i] = (i * 7 + length) & 0xff;
      const value = encryptMppeKey(key, secret, requestAuthenticator);
      assert.equal(value.length, 2 + Math.ceil((length + 1) / 16) * 16);
      assert.equal(value[0] & 0x80, 0x80, 'salt high bit');
      assert.deepEqual(decryptMppeKey(value, secret, requestAuthenticator), key, `length ${length}`);
    }
  });

  test('randomMppeSalt always has the high bit set', () => {
    for (let i = 0; i < 100; i++) {
      const salt = randomMppeSalt();
      assert.equal(salt.length, 2);
      assert.equal(salt[0] & 0x80, 0x80);
    }
  });

  test('encryptMppeKeyPair uses two different salts and both values decrypt', () => {
    const keys = mppeKeysV2('clientPass', RFC3079_V2.ntResponse);
    for (let i = 0; i < 50; i++) {
      const pair = encryptMppeKeyPair(keys, secret, requestAuthenticator);
      assert.notDeepEqual(pair.sendKey.subarray(0, 2), pair.recvKey.subarray(0, 2));
      assert.deepEqual(decryptMppeKey(pair.sendKey, secret, requestAuthenticator), keys.sendKey);
      assert.deepEqual(decryptMppeKey(pair.recvKey, secret, requestAuthenticator), keys.recvKey);
    }
  });

  test('encryptMppeKey rejects bad keys, salts, secrets and authenticators', () => {
    const key = Buffer.alloc(16, 1);
    assert.throws(() => encryptMppeKey(Buffer.alloc(0), secret, requestAuthenticator), InvalidValueError);
    assert.throws(() => encryptMppeKey(Buffer.alloc(240), secret, requestAuthenticator), InvalidValueError);
    assert.throws(() => encryptMppeKey(key, secret, requestAuthenticator, hex('0001')), InvalidValueError);
    assert.throws(() => encryptMppeKey(key, secret, requestAuthenticator, hex('80')), InvalidValueError);
    assert.throws(() => encryptMppeKey(key, '', requestAuthenticator), InvalidValueError);
    assert.throws(() => encryptMppeKey(key, secret, Buffer.alloc(15)), InvalidValueError);
  });

  test('decryptMppeKey: impossible lengths raise MalformedPacketError', () => {
    for (const length of [0, 1, 2, 17, 19, 33, 35]) {
      assert.throws(
        () => decryptMppeKey(Buffer.alloc(length, 0x80), secret, requestAuthenticator),
        MalformedPacketError,
        `length ${length}`,
      );
    }
  });

  test('decryptMppeKey: a key length beyond the data raises MalformedPacketError', () => {
    // Encrypt a block whose key-length byte claims 16 bytes, one more than the block can hold.
    const salt = hex('8123');
    const plain = Buffer.alloc(16);
    plain[0] = 16;
    const b = createHash('md5').update(secret).update(requestAuthenticator).update(salt).digest();
    const value = Buffer.concat([salt, Buffer.from(plain.map((byte, i) => byte ^ b[i]))]);
    assert.throws(() => decryptMppeKey(value, secret, requestAuthenticator), MalformedPacketError);
  });

  test('decryptMppeKey rejects bad secrets, authenticators and non-Buffers with InvalidValueError', () => {
    const value = hex(KNOWN[0].value);
    assert.throws(() => decryptMppeKey(value, Buffer.alloc(0), requestAuthenticator), InvalidValueError);
    assert.throws(() => decryptMppeKey(value, secret, Buffer.alloc(17)), InvalidValueError);
    assert.throws(
      () => decryptMppeKey('abc' as unknown as Buffer, secret, requestAuthenticator),
      InvalidValueError,
    );
  });
});
