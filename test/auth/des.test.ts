import assert from 'node:assert/strict';
import { createCipheriv, getCiphers, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { desCryptBlock, desEncrypt, desEncryptBlock, expandDesKey, jsBlock } from '../../src/auth/des.js';
import { InvalidValueError } from '../../src/errors.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Known answers: [key, plaintext, ciphertext].
const KNOWN_ANSWERS: [string, string, string][] = [
  // The worked example used in most DES textbooks (FIPS 46 walkthrough).
  ['133457799BBCDFF1', '0123456789ABCDEF', '85E813540F0AB405'],
  // NIST SP 800-20 variable-plaintext known-answer test, key 0101...01.
  ['0101010101010101', '8000000000000000', '95F8A5E5DD31D900'],
  ['0101010101010101', '4000000000000000', 'DD7F121CA5015619'],
  ['0101010101010101', '2000000000000000', '2E8653104F3834EA'],
  ['0101010101010101', '1000000000000000', '4BD388FF6CD81D4F'],
  ['0101010101010101', '0000000000000001', '166B40B44ABA4BD6'],
  // NIST SP 800-20 variable-key known-answer test, plaintext 0.
  ['8001010101010101', '0000000000000000', '95A8D72813DAA94D'],
  // FIPS 81 example ("Now is t").
  ['0123456789ABCDEF', '4E6F772069732074', '3FA40E8A984D4815'],
  // All-zero and all-one keys and blocks.
  ['0000000000000000', '0000000000000000', '8CA64DE9C1B123A7'],
  ['FFFFFFFFFFFFFFFF', 'FFFFFFFFFFFFFFFF', '7359B2163E4EDC58'],
];

// RFC 2759 §9.3 and RFC 2433 §B.3: 7-byte halves of the NT hash of "MyPw" and their 8-byte forms.
const PARITY_EXPANSION: [string, string][] = [
  ['FC156AF7EDCD6C', 'FD0B5B5E7F6E34D9'],
  ['0EDDE3337D427F', '0E6E796737EA08FE'],
];

/** Single DES through node:crypto's two-key 3DES with K1 = K2 (which reduces to DES), if offered. */
function nodeDes(): ((block: Buffer, key: Buffer) => Buffer) | undefined {
  if (!getCiphers().includes('des-ede-ecb')) return undefined;
  const run = (block: Buffer, key: Buffer) => {
    const cipher = createCipheriv('des-ede-ecb', Buffer.concat([key, key]), null);
    cipher.setAutoPadding(false);
    return Buffer.concat([cipher.update(block), cipher.final()]);
  };
  try {
    run(Buffer.alloc(8), Buffer.alloc(8));
  } catch {
    return undefined;
  }
  return run;
}

describe('desEncryptBlock', () => {
  test('published known answers', () => {
    for (const [key, plain, cipher] of KNOWN_ANSWERS) {
      assert.equal(
        desEncryptBlock(hex(plain), hex(key)).toString('hex').toUpperCase(),
        cipher,
        `key ${key} plaintext ${plain}`,
      );
    }
  });

  test('the fallback for an OpenSSL without triple DES gives the published answers too', () => {
    for (const [key, plain, cipher] of KNOWN_ANSWERS) {
      assert.equal(jsBlock(hex(plain), hex(key)).toString('hex').toUpperCase(), cipher, `key ${key}`);
    }
  });

  test('ignores the parity bits of the key', () => {
    const key = hex('133457799BBCDFF1');
    const flipped = Buffer.from(key.map((b) => b ^ 0x01));
    assert.deepEqual(desEncryptBlock(hex('0123456789ABCDEF'), flipped), hex('85E813540F0AB405'));
  });

  test('agrees with OpenSSL (3DES with equal keys) on random blocks', (t) => {
    const reference = nodeDes();
    if (!reference) {
      t.skip('node:crypto offers no des-ede-ecb here');
      return;
    }
    for (let i = 0; i < 200; i++) {
      const key = randomBytes(8);
      const block = randomBytes(8);
      assert.deepEqual(desEncryptBlock(block, key), reference(block, key), `key ${key.toString('hex')}`);
      assert.deepEqual(jsBlock(block, key), reference(block, key), `fallback, key ${key.toString('hex')}`);
    }
  });

  test('rejects blocks and keys of the wrong size', () => {
    assert.throws(() => desEncryptBlock(Buffer.alloc(7), Buffer.alloc(8)), InvalidValueError);
    assert.throws(() => desEncryptBlock(Buffer.alloc(9), Buffer.alloc(8)), InvalidValueError);
    assert.throws(() => desEncryptBlock(Buffer.alloc(8), Buffer.alloc(7)), InvalidValueError);
    assert.throws(() => desEncryptBlock(Buffer.alloc(8), Buffer.alloc(16)), InvalidValueError);
  });
});

describe('expandDesKey', () => {
  test('RFC 2759 §9.3 / RFC 2433 §B.3 parity-corrected keys', () => {
    for (const [raw, expanded] of PARITY_EXPANSION) {
      assert.equal(expandDesKey(hex(raw)).toString('hex').toUpperCase(), expanded);
    }
  });

  test('every output byte has odd parity', () => {
    for (let i = 0; i < 50; i++) {
      for (const byte of expandDesKey(randomBytes(7))) {
        let ones = 0;
        for (let bit = 0; bit < 8; bit++) ones += (byte >> bit) & 1;
        assert.equal(ones % 2, 1);
      }
    }
  });

  test('rejects keys that are not 7 bytes', () => {
    assert.throws(() => expandDesKey(Buffer.alloc(6)), InvalidValueError);
    assert.throws(() => expandDesKey(Buffer.alloc(8)), InvalidValueError);
  });
});

describe('desEncrypt (7-byte key)', () => {
  test('equals desEncryptBlock with the expanded key', () => {
    const block = hex('0123456789ABCDEF');
    assert.deepEqual(
      desEncrypt(block, hex('FC156AF7EDCD6C')),
      desEncryptBlock(block, hex('FD0B5B5E7F6E34D9')),
    );
  });
});

describe('desCryptBlock (crypt(3): salted E, repeated)', () => {
  test('with no salt and one encryption it is DES (FIPS 46-3)', () => {
    const key = Buffer.from('0123456789abcdef', 'hex');
    const block = Buffer.from('4e6f772069732074', 'hex');
    assert.deepEqual(desCryptBlock(block, key, 0, 1), desEncryptBlock(block, key));
    const twice = desEncryptBlock(desEncryptBlock(block, key), key);
    assert.deepEqual(desCryptBlock(block, key, 0, 2), twice);
  });

  test('a salt changes the result; bits past 24 are refused', () => {
    const key = Buffer.alloc(8, 0x5a);
    const zero = Buffer.alloc(8);
    assert.notDeepEqual(desCryptBlock(zero, key, 1, 1), desCryptBlock(zero, key, 0, 1));
    assert.throws(() => desCryptBlock(zero, key, 1 << 24, 1), InvalidValueError);
  });
});
