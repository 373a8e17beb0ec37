import assert from 'node:assert/strict';
import { createHash, getHashes } from 'node:crypto';
import { describe, test } from 'node:test';
import { md4 } from '../../src/auth/md4.js';
import { InvalidValueError } from '../../src/errors.js';

// RFC 1320 Appendix A.5, the MD4 test suite.
const RFC1320_SUITE: [string, string][] = [
  ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
  ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
  ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
  ['message digest', 'd9130a8164549fe818874806e1c7014b'],
  ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
  ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
  ['1234567890'.repeat(8), 'e33b4ddc9c38f2199c3e7b164fcc0536'],
];

// Runs of 'a' around the padding boundaries (55/56 bytes and multiples of 64), checked against
// OpenSSL's legacy-provider MD4 when these values were written down.
const BOUNDARY_CASES: [number, string][] = [
  [55, 'c889c81dd86c4d2e025778944ea02881'],
  [56, 'd5f9a9e9257077a5f08b0b92f348b0ad'],
  [57, '872097e6f78e3b53f890459d03bc6fb7'],
  [63, '7ea3da77432d44c323671097d1348fc8'],
  [64, '52f5076fabd22680234a3fa9f9dc5732'],
  [65, '330e377bf231f3cacfecc2c182fe7e5b'],
  [119, 'e65dd227ccef97fa1d34d70189120f76'],
  [120, 'b03ddbd470b47c013e0c7ab2ddd763db'],
  [1000, '5f1bf26a8067c9159b91f1440f7c9e8a'],
  [1_000_000, 'bbce80cc6bb65e5c6745e30d4eeca9a4'],
];

/** node:crypto's MD4, or undefined where OpenSSL 3 keeps it in the legacy provider (the usual case). */
function nodeMd4(): ((data: Buffer) => Buffer) | undefined {
  if (!getHashes().includes('md4')) return undefined;
  try {
    createHash('md4');
  } catch {
    return undefined;
  }
  return (data) => createHash('md4').update(data).digest();
}

describe('md4', () => {
  test('RFC 1320 A.5 test suite', () => {
    for (const [input, digest] of RFC1320_SUITE) {
      assert.equal(md4(Buffer.from(input, 'ascii')).toString('hex'), digest, `MD4(${JSON.stringify(input)})`);
    }
  });

  test('inputs around the padding boundaries', () => {
    for (const [length, digest] of BOUNDARY_CASES) {
      assert.equal(md4(Buffer.alloc(length, 'a')).toString('hex'), digest, `MD4 of ${length} x 'a'`);
    }
  });

  test('accepts a plain Uint8Array and does not modify its input', () => {
    const input = new Uint8Array([0x61, 0x62, 0x63]);
    assert.equal(md4(input).toString('hex'), 'a448017aaf21d8525fc10ae87aa6729d');
    assert.deepEqual([...input], [0x61, 0x62, 0x63]);
  });

  test("agrees with node:crypto's md4 when this Node still offers it", (t) => {
    const reference = nodeMd4();
    if (!reference) {
      t.skip('node:crypto has no usable md4 here (OpenSSL 3 legacy provider not loaded)');
      return;
    }
    for (let length = 0; length < 200; length += 7) {
      const data = Buffer.alloc(length);
      for (let i = 0; i < length; i++) data[i] = (i * 31 + length) & 0xff;
      assert.deepEqual(md4(data), reference(data), `length ${length}`);
    }
  });

  test('rejects input that is not bytes', () => {
    assert.throws(() => md4('abc' as unknown as Buffer), InvalidValueError);
  });
});
