import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  clearHmacKeyCache,
  HMAC_KEY_CACHE_SIZE,
  HMAC_KEY_IDLE_MS,
  hmacKeyCacheSize,
  HmacMd5,
  HmacMd5Key,
  hmacKeyFor,
  hmacMd5,
  hmacMd5Into,
  Md5,
  md5,
  md5Into,
} from '../../src/protocol/md5.js';

/** Deterministic xorshift32 bytes, so a failure reproduces. */
function prng(seed: number): (n: number) => Buffer {
  let x = seed | 0 || 1;
  return (n) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      b[i] = x;
    }
    return b;
  };
}

const refMd5 = (...parts: Uint8Array[]): string => {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

const refHmac = (key: Uint8Array, ...parts: Uint8Array[]): string => {
  const h = createHmac('md5', key);
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

/** Cut points splitting `n` bytes into `count` parts (some possibly empty). */
function cuts(n: number, count: number, rnd: (n: number) => Buffer): number[] {
  const points = [0, n];
  const r = rnd(count * 2);
  for (let i = 0; i < count - 1; i++) points.push(r.readUInt16LE(2 * i) % (n + 1));
  return points.sort((a, b) => a - b);
}

describe('md5: RFC 1321 appendix A.5 test suite', () => {
  const vectors: [string, string][] = [
    ['', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['a', '0cc175b9c0f1b6a831c399e269772661'],
    ['abc', '900150983cd24fb0d6963f7d28e17f72'],
    ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
    ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
    [
      '12345678901234567890123456789012345678901234567890123456789012345678901234567890',
      '57edf4a22be3c955ac49da2e2107b67a',
    ],
  ];
  for (const [input, digest] of vectors) {
    test(`MD5(${JSON.stringify(input)})`, () => {
      const bytes = Buffer.from(input, 'latin1');
      assert.equal(md5(bytes).toString('hex'), digest);
      assert.equal(hex(md5Into(new Uint8Array(16), 0, bytes)), digest);
      assert.equal(new Md5().update(bytes).digest().toString('hex'), digest);
    });
  }
});

describe('hmac-md5: RFC 2202 section 2 test cases', () => {
  const k25 = Buffer.from(Array.from({ length: 25 }, (_, i) => i + 1));
  const cases: { key: Buffer; data: Buffer; mac: string }[] = [
    { key: Buffer.alloc(16, 0x0b), data: Buffer.from('Hi There'), mac: '9294727a3638bb1c13f48ef8158bfc9d' },
    {
      key: Buffer.from('Jefe'),
      data: Buffer.from('what do ya want for nothing?'),
      mac: '750c783e6ab0b503eaa86e310a5db738',
    },
    { key: Buffer.alloc(16, 0xaa), data: Buffer.alloc(50, 0xdd), mac: '56be34521d144c88dbb8c733f0e8b3f6' },
    { key: k25, data: Buffer.alloc(50, 0xcd), mac: '697eaf0aca3a3aea3a75164746ffaa79' },
    {
      key: Buffer.alloc(16, 0x0c),
      data: Buffer.from('Test With Truncation'),
      mac: '56461ef2342edc00f9bab995690efd4c',
    },
    {
      key: Buffer.alloc(80, 0xaa),
      data: Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First'),
      mac: '6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd',
    },
    {
      key: Buffer.alloc(80, 0xaa),
      data: Buffer.from('Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data'),
      mac: '6f630fad67cda0ee1fb1f562db3aa53e',
    },
  ];
  cases.forEach(({ key, data, mac }, i) => {
    test(`test case ${i + 1}`, () => {
      const k = new HmacMd5Key(key);
      assert.equal(k.digest(data).toString('hex'), mac);
      assert.equal(hex(k.digestInto(new Uint8Array(16), 0, data)), mac);
      assert.equal(hmacMd5(key, data).toString('hex'), mac);
      assert.equal(hex(hmacMd5Into(Buffer.alloc(16), 0, k, data)), mac);
      assert.equal(new HmacMd5(k).update(data).digest().toString('hex'), mac);
    });
  });
});

describe('md5 against node:crypto', () => {
  test('every length 0..300, whole and from inside a larger buffer', () => {
    const rnd = prng(1321);
    for (let n = 0; n <= 300; n++) {
      const data = rnd(n);
      const want = refMd5(data);
      assert.equal(md5(data).toString('hex'), want, `length ${n}`);
      // Same bytes as a (start, end) slice of a bigger buffer, at an odd offset.
      const host = Buffer.concat([rnd(7), data, rnd(5)]);
      const sliced = new Md5().update(host, 7, 7 + n).digest();
      assert.equal(sliced.toString('hex'), want, `slice length ${n}`);
    }
  });

  test('multi-part splits of every length 0..300', () => {
    const rnd = prng(64);
    const h = new Md5();
    const out = Buffer.alloc(20, 0xee);
    for (let n = 0; n <= 300; n++) {
      const data = rnd(n);
      const want = refMd5(data);
      for (const count of [2, 3, 4]) {
        const p = cuts(n, count, rnd);
        const parts = p.slice(1).map((end, i) => data.subarray(p[i], end));
        assert.equal(md5(...parts).toString('hex'), want, `md5 length ${n} cuts ${p}`);
        md5Into(out, 2, parts[0], parts[1], parts[2], parts[3]);
        assert.equal(out.subarray(2, 18).toString('hex'), want, `md5Into length ${n} cuts ${p}`);
        for (let i = 1; i < p.length; i++) h.update(data, p[i - 1], p[i]);
        assert.equal(h.digest().toString('hex'), want, `Md5.update length ${n} cuts ${p}`);
      }
    }
    // Bytes around the written digest are untouched.
    assert.deepEqual([out[0], out[1], out[18], out[19]], [0xee, 0xee, 0xee, 0xee]);
  });

  test('byte-at-a-time and multi-block input', () => {
    const rnd = prng(7);
    const big = rnd(100_000);
    assert.equal(md5(big).toString('hex'), refMd5(big));
    const h = new Md5();
    const small = big.subarray(0, 200);
    for (let i = 0; i < small.length; i++) h.update(small, i, i + 1);
    assert.equal(h.digest().toString('hex'), refMd5(small));
  });

  test('accepts plain Uint8Array parts', () => {
    const data = new Uint8Array(prng(9)(130));
    assert.equal(md5(data.subarray(0, 70), data.subarray(70)).toString('hex'), refMd5(data));
  });
});

describe('Md5 class', () => {
  test('digest resets, so the instance hashes the next message from scratch', () => {
    const h = new Md5();
    const a = Buffer.from('first message');
    const b = Buffer.from('second');
    assert.equal(h.update(a).digest().toString('hex'), refMd5(a));
    assert.equal(h.update(b).digest().toString('hex'), refMd5(b));
    h.update(a);
    assert.equal(h.reset().update(b).digest().toString('hex'), refMd5(b));
  });

  test('copyFrom continues from the same point, including a partial block', () => {
    const rnd = prng(3);
    const prefix = rnd(100);
    const rest = rnd(77);
    const base = new Md5().update(prefix);
    const fork = new Md5().copyFrom(base);
    assert.equal(fork.update(rest).digest().toString('hex'), refMd5(prefix, rest));
    assert.equal(base.digest().toString('hex'), refMd5(prefix));
  });

  test('rejects out-of-range slices and outputs', () => {
    const h = new Md5();
    const buf = Buffer.alloc(10);
    const bad: [number, number][] = [
      [-1, 5],
      [6, 5],
      [0, 11],
      [Number.NaN, 5],
      [0.5, 5],
    ];
    for (const [start, end] of bad) {
      assert.throws(() => h.update(buf, start, end), RangeError, `[${start}, ${end})`);
    }
    assert.throws(() => h.digestInto(Buffer.alloc(15), 0), RangeError);
    assert.throws(() => h.digestInto(Buffer.alloc(20), 5), RangeError);
    assert.throws(() => md5Into(Buffer.alloc(16), 1, buf), RangeError);
    assert.throws(() => h.digestInto(Buffer.alloc(20), 1.5), RangeError);
    // The instance is still usable and correct.
    assert.equal(h.reset().update(buf).digest().toString('hex'), refMd5(buf));
  });
});

describe('digest written over its own input', () => {
  // RADIUS computes an authenticator over a packet and then stores it inside that same packet.
  test('md5Into and HmacMd5Key.digestInto read all input before writing', () => {
    const rnd = prng(5);
    const secret = Buffer.from('s3cret');
    for (const n of [20, 64, 124, 300]) {
      const pkt = rnd(n);
      const wantMd5 = refMd5(pkt, secret);
      const wantMac = refHmac(secret, pkt);
      const a = Buffer.from(pkt);
      md5Into(a, 4, a, secret);
      assert.equal(a.subarray(4, 20).toString('hex'), wantMd5, `md5 length ${n}`);
      const b = Buffer.from(pkt);
      hmacKeyFor(secret).digestInto(b, 4, b);
      assert.equal(b.subarray(4, 20).toString('hex'), wantMac, `hmac length ${n}`);
    }
  });
});

describe('hmac-md5 against node:crypto', () => {
  const keyLengths = [0, 1, 16, 63, 64, 65, 200];

  for (const keyLength of keyLengths) {
    test(`key of ${keyLength} bytes, every message length 0..300`, () => {
      const rnd = prng(2104 + keyLength);
      const secret = rnd(keyLength);
      const key = new HmacMd5Key(secret);
      const mac = new HmacMd5(key);
      const out = Buffer.alloc(16);
      for (let n = 0; n <= 300; n++) {
        const data = rnd(n);
        const want = refHmac(secret, data);
        assert.equal(key.digest(data).toString('hex'), want, `length ${n}`);
        const host = Buffer.concat([rnd(3), data, rnd(3)]);
        assert.equal(hex(key.digestInto(out, 0, host, 3, 3 + n)), want, `slice length ${n}`);
        const p = cuts(n, 3, rnd);
        for (let i = 1; i < p.length; i++) mac.update(data, p[i - 1], p[i]);
        assert.equal(mac.digest().toString('hex'), want, `HmacMd5 length ${n} cuts ${p}`);
        const parts = p.slice(1).map((end, i) => data.subarray(p[i], end));
        assert.equal(hmacMd5(secret, ...parts).toString('hex'), want, `hmacMd5 length ${n}`);
        assert.equal(hex(hmacMd5Into(out, 0, key, parts[0], parts[1], parts[2])), want);
      }
    });
  }

  test('begin/finish with a caller-owned Md5', () => {
    const rnd = prng(11);
    const secret = rnd(20);
    const key = new HmacMd5Key(secret);
    const h = new Md5();
    const data = rnd(150);
    const out = Buffer.alloc(32, 0xee);
    key.finish(key.begin(h).update(data, 0, 90).update(data, 90), out, 8);
    assert.equal(out.subarray(8, 24).toString('hex'), refHmac(secret, data));
    assert.equal(out[7], 0xee);
    assert.equal(out[24], 0xee);
    // `finish` leaves the hasher reset for plain MD5.
    assert.equal(h.update(data).digest().toString('hex'), refMd5(data));
  });

  test('HmacMd5 reset switches keys', () => {
    const a = Buffer.from('secret-a');
    const b = Buffer.from('secret-b');
    const data = Buffer.from('payload');
    const mac = new HmacMd5(new HmacMd5Key(a));
    assert.equal(mac.update(data).digest().toString('hex'), refHmac(a, data));
    assert.equal(mac.reset(new HmacMd5Key(b)).update(data).digest().toString('hex'), refHmac(b, data));
    assert.equal(mac.update(data).digest().toString('hex'), refHmac(b, data));
  });
});

describe('hmacKeyFor cache', () => {
  test('equal secret bytes share one prepared key', () => {
    const k1 = hmacKeyFor(Buffer.from('shared-secret'));
    const k2 = hmacKeyFor(new Uint8Array(Buffer.from('shared-secret')));
    assert.equal(k1, k2);
    assert.notEqual(hmacKeyFor(Buffer.from('shared-secreT')), k1);
  });

  test('a secret mutated in place after caching gets the right key', () => {
    const secret = Buffer.from('mutable-secret');
    const data = Buffer.from('data');
    assert.equal(hmacKeyFor(secret).digest(data).toString('hex'), refHmac(secret, data));
    secret[0] ^= 0xff;
    assert.equal(hmacKeyFor(secret).digest(data).toString('hex'), refHmac(secret, data));
  });

  test('holds at most HMAC_KEY_CACHE_SIZE secrets, evicting the oldest', () => {
    const first = Buffer.from('evict-me-first');
    const k = hmacKeyFor(first);
    for (let i = 0; i < HMAC_KEY_CACHE_SIZE; i++) hmacKeyFor(Buffer.from(`filler-${i}`));
    const again = hmacKeyFor(first);
    assert.notEqual(again, k);
    const data = Buffer.from('x');
    assert.equal(again.digest(data).toString('hex'), refHmac(first, data));
  });

  test('a secret unused for a whole sweep period leaves the cache; one in use stays', (t) => {
    clearHmacKeyCache();
    t.mock.timers.enable({ apis: ['setInterval'] });
    try {
      const idle = Buffer.from('idle-secret');
      const busy = Buffer.from('busy-secret');
      hmacKeyFor(idle);
      hmacKeyFor(busy);
      assert.equal(hmacKeyCacheSize(), 2);
      t.mock.timers.tick(HMAC_KEY_IDLE_MS);
      hmacKeyFor(busy);
      t.mock.timers.tick(HMAC_KEY_IDLE_MS);
      assert.equal(hmacKeyCacheSize(), 1, 'the idle secret is gone, the busy one kept');
      t.mock.timers.tick(2 * HMAC_KEY_IDLE_MS);
      assert.equal(hmacKeyCacheSize(), 0);
    } finally {
      clearHmacKeyCache();
    }
  });

  test('clearHmacKeyCache forgets every secret', () => {
    hmacKeyFor(Buffer.from('to-forget'));
    assert.ok(hmacKeyCacheSize() > 0);
    clearHmacKeyCache();
    assert.equal(hmacKeyCacheSize(), 0);
  });
});
