// One-shot MD5 / HMAC-MD5 over a HashScratch (padded in place, read a word at a time) against
// node:crypto, at every length around the block and padding boundaries.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { HashScratch, HmacMd5Key, md5Scratch } from '../../src/protocol/md5.js';

/** Deterministic bytes (xorshift32), so a failure reproduces. */
function bytes(n: number, seed: number): Buffer {
  let x = seed | 0 || 1;
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x;
  }
  return b;
}

describe('HashScratch', () => {
  test('md5Scratch matches node:crypto for lengths 0..300', () => {
    const scratch = new HashScratch(300);
    const out = Buffer.alloc(20);
    for (let n = 0; n <= 300; n++) {
      const msg = bytes(n, n + 1);
      // Leftovers of a longer message must not leak into the padding.
      scratch.bytes.fill(0xa5);
      scratch.bytes.set(msg);
      md5Scratch(scratch, n, out, 2);
      assert.equal(
        out.subarray(2, 18).toString('hex'),
        createHash('md5').update(msg).digest('hex'),
        `n=${n}`,
      );
    }
  });

  test('digestScratch matches node:crypto HMAC-MD5 for short and long keys', () => {
    const scratch = new HashScratch(200);
    const out = Buffer.alloc(16);
    for (const keyLength of [0, 1, 16, 63, 64, 65, 100]) {
      const secret = bytes(keyLength, 7 + keyLength);
      const key = new HmacMd5Key(secret);
      for (let n = 0; n <= 200; n += 7) {
        const msg = bytes(n, 1000 + n);
        scratch.bytes.fill(0x5a);
        scratch.bytes.set(msg);
        key.digestScratch(scratch, n, out, 0);
        const want = createHmac('md5', secret).update(msg).digest('hex');
        assert.equal(out.toString('hex'), want, `key ${keyLength}, n=${n}`);
      }
    }
  });

  test('refuses a message longer than its capacity, and a digest without room', () => {
    const scratch = new HashScratch(64);
    assert.ok(scratch.capacity >= 64);
    assert.throws(() => md5Scratch(scratch, scratch.capacity + 1, Buffer.alloc(16), 0), RangeError);
    assert.throws(() => md5Scratch(scratch, 10, Buffer.alloc(15), 0), RangeError);
  });
});
