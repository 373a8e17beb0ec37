// DuplicateTable against DuplicateCache, the plain Map it replaces in the server: the same operations
// must give the same answers (hit or miss, pending or done, the reply, the size), through expiry,
// batch eviction, growth of the ring and out-of-order finishes of slow handlers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DuplicateCache } from '../../src/server/duplicate-cache.js';
import { type DuplicateKey, DuplicateTable } from '../../src/pipeline/duplicate-table.js';

/** A deterministic generator (xorshift32), so that a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

/** A request datagram whose bytes 1..20 are `id` and an authenticator drawn from `r`. */
function request(r: () => number): Buffer {
  const data = Buffer.alloc(38);
  data[0] = 1;
  for (let i = 1; i < 20; i++) data[i] = Math.floor(r() * 256);
  return data;
}

/** A reply of 0 to 4096 bytes, mostly short (as RADIUS replies are), marked with `step`. */
function replyOf(r: () => number, step: number): Buffer {
  const roll = r();
  const n = roll < 0.02 ? 0 : roll < 0.9 ? 20 + Math.floor(r() * 60) : Math.floor(r() * 4097);
  const reply = Buffer.alloc(n);
  for (let i = 0; i < n; i++) reply[i] = (step + i) & 0xff;
  return reply;
}

interface Pending {
  address: string;
  port: number;
  data: Buffer;
  key: DuplicateKey;
}

function runScenario(seed: number, ttlMs: number, maxEntries: number, steps: number): void {
  const r = rng(seed);
  const ref = new DuplicateCache(ttlMs, maxEntries);
  const table = new DuplicateTable(ttlMs, maxEntries);
  const addresses = ['127.0.0.1', '10.0.0.2', '::1', 'fe80::1234:5678:9abc:def0%eth0'];
  const seen: Array<{ address: string; port: number; data: Buffer }> = [];
  const slow: Pending[] = [];
  let now = 1_000_000;
  for (let step = 0; step < steps; step++) {
    now += Math.floor(r() * 3);
    const roll = r();
    if (roll < 0.1 && slow.length > 0) {
      // A slow handler ends (not necessarily the oldest one).
      const i = Math.floor(r() * slow.length);
      const p = slow.splice(i, 1)[0];
      const reply = r() < 0.8 ? replyOf(r, step) : undefined;
      ref.finish(DuplicateCache.key(p.address, p.port, p.data), reply, now);
      table.finishKey(p.key, reply, now);
      continue;
    }
    // A retransmission of something seen, or a new request.
    const again = roll < 0.4 && seen.length > 0;
    const req = again
      ? seen[Math.floor(r() * seen.length)]
      : {
          address: addresses[Math.floor(r() * addresses.length)],
          port: 1024 + Math.floor(r() * 4),
          data: request(r),
        };
    if (!again) seen.push(req);
    if (seen.length > 4 * maxEntries) seen.splice(0, seen.length - 2 * maxEntries);
    // Fresh strings, as every datagram brings its own.
    const address = `${req.address}`.slice(0);
    const key = DuplicateCache.key(address, req.port, req.data);
    const want = ref.get(key, now);
    const slot = table.find(address, req.port, req.data, now);
    assert.equal(slot >= 0, want !== undefined, `step ${step}: hit or miss`);
    if (want !== undefined) {
      assert.equal(table.isDone(slot), want.state === 'done', `step ${step}: state`);
      if (want.state === 'done') assert.deepEqual(table.replyAt(slot), want.reply, `step ${step}: reply`);
      continue;
    }
    ref.begin(key, now);
    const ticket = table.begin(now);
    if (r() < 0.2) {
      slow.push({ address, port: req.port, data: req.data, key: table.keyOf(ticket) });
    } else {
      const reply = r() < 0.9 ? replyOf(r, step) : undefined;
      ref.finish(key, reply, now);
      table.finish(ticket, reply, now);
    }
    assert.equal(table.size, ref.size, `step ${step}: size`);
  }
}

describe('DuplicateTable', () => {
  test('behaves like DuplicateCache: hits, states, replies and size', () => {
    for (let seed = 1; seed <= 5; seed++) runScenario(seed, 50, 100_000, 5000);
  });

  test('behaves like DuplicateCache under batch eviction (small bounds)', () => {
    for (const max of [1, 2, 7, 64, 1500]) runScenario(max * 31 + 7, 1000, max, 6000);
  });

  test('behaves like DuplicateCache with short lifetimes and slow handlers', () => {
    for (let seed = 11; seed <= 14; seed++) runScenario(seed, 3, 300, 8000);
  });

  test('answered requests go once their lifetime is past, long before the count bound', () => {
    const r = rng(99);
    const ttl = 800;
    const table = new DuplicateTable(ttl, 100_000);
    const cache = new DuplicateCache(ttl, 100_000);
    const reply = Buffer.alloc(1100, 7);
    // A steady flow: a request (and a 1,100-byte reply, as an EAP challenge) every millisecond.
    for (let now = 0; now < 20_000; now++) {
      const data = request(r);
      table.find('127.0.0.1', 5000, data, now);
      table.finish(table.begin(now), reply, now);
      cache.finish(DuplicateCache.key('127.0.0.1', 5000, data), reply, now);
      // At most a lifetime and an eighth of requests (and their replies) are held, not 20,000.
      assert.ok(table.size <= ttl + ttl / 8 + 1, `table: ${table.size} entries at ${now} ms`);
      assert.ok(cache.size <= ttl + ttl / 8 + 1, `cache: ${cache.size} entries at ${now} ms`);
    }
    assert.ok(table.size >= ttl, 'entries within their lifetime are kept');
  });

  test('the key covers address, port, identifier and authenticator', () => {
    const table = new DuplicateTable(5000, 100);
    const data = request(rng(9));
    assert.equal(table.find('127.0.0.1', 1000, data, 0), -1);
    table.finish(table.begin(0), Buffer.from([2]), 0);
    assert.ok(table.find('127.0.0.1', 1000, Buffer.from(data), 1) >= 0);
    assert.equal(table.find('127.0.0.2', 1000, data, 1), -1);
    assert.equal(table.find('127.0.0.1', 1001, data, 1), -1);
    for (const at of [1, 4, 19]) {
      const other = Buffer.from(data);
      other[at] ^= 1;
      assert.equal(table.find('127.0.0.1', 1000, other, 1), -1, `byte ${at}`);
    }
    // Bytes past the authenticator (attributes) are not part of the key.
    const longer = Buffer.from(data);
    longer[25] ^= 1;
    assert.ok(table.find('127.0.0.1', 1000, longer, 1) >= 0);
    // Expired: gone, and removed.
    assert.equal(table.find('127.0.0.1', 1000, data, 5000), -1);
    assert.equal(table.size, 0);
  });

  test('holes left by late finishes are compacted away, order and entries kept', () => {
    const table = new DuplicateTable(5000, 8);
    const ref = new DuplicateCache(5000, 8);
    const r = rng(5);
    const keys: Array<{ port: number; data: Buffer; key?: DuplicateKey }> = [];
    const add = (port: number, finish: boolean, now: number) => {
      const data = request(r);
      const refKey = DuplicateCache.key('127.0.0.1', port, data);
      assert.equal(table.find('127.0.0.1', port, data, now), -1);
      assert.equal(ref.get(refKey, now), undefined);
      const ticket = table.begin(now);
      ref.begin(refKey, now);
      if (finish) {
        table.finish(ticket, undefined, now);
        ref.finish(refKey, undefined, now);
      }
      keys.push({ port, data, key: table.keyOf(ticket) });
    };
    add(1, false, 0);
    add(2, false, 0);
    // Each late finish moves the entry to the newest place and leaves a hole behind: thousands of
    // them fill the largest ring many times over while the oldest request stays pending.
    const other = keys[1];
    for (let i = 0; i < 5000; i++) {
      const reply = Buffer.from([i & 0xff]);
      table.finishKey(other.key as DuplicateKey, reply, 1);
      ref.finish(DuplicateCache.key('127.0.0.1', other.port, other.data), reply, 1);
    }
    for (let i = 0; i < 7; i++) add(100 + i, true, 2);
    assert.equal(table.size, ref.size);
    for (const k of keys) {
      const want = ref.get(DuplicateCache.key('127.0.0.1', k.port, k.data), 3);
      const slot = table.find('127.0.0.1', k.port, k.data, 3);
      assert.equal(slot >= 0, want !== undefined, `port ${k.port}`);
      if (want) assert.equal(table.isDone(slot), want.state === 'done');
    }
    // The pending oldest request was evicted first once the bound was passed.
    assert.equal(table.find('127.0.0.1', 1, keys[0].data, 3), -1);
  });

  test('forgetKey() removes a pending request only, and leaves the others found', () => {
    const table = new DuplicateTable(5000, 10_000);
    const r = rng(21);
    // Many entries in a ring of few buckets: forgotten ones are unlinked from the middle of chains.
    const entries = Array.from({ length: 3000 }, (_, i) => {
      const data = request(r);
      assert.equal(table.find('10.0.0.1', 1812, data, 0), -1);
      return { data, key: table.keyOf(table.begin(0)), forget: i % 3 === 0 };
    });
    for (const e of entries) if (e.forget) table.forgetKey(e.key);
    assert.equal(table.size, 2000);
    for (const [i, e] of entries.entries()) {
      assert.equal(table.find('10.0.0.1', 1812, e.data, 1) >= 0, !e.forget, `entry ${i}`);
    }
    // Forgotten: a copy is new again, and can be begun and answered as any request.
    const again = entries[0];
    assert.equal(table.find('10.0.0.1', 1812, again.data, 1), -1);
    table.finish(table.begin(1), Buffer.from([2, 1]), 1);
    assert.deepEqual(table.replyAt(table.find('10.0.0.1', 1812, again.data, 2)), Buffer.from([2, 1]));
    // An answered request is kept, and a key no longer in the table is a no-op.
    table.forgetKey(again.key);
    table.forgetKey(entries[3].key);
    assert.ok(table.find('10.0.0.1', 1812, again.data, 2) >= 0);
    assert.equal(table.size, 2001);
  });

  test('clear() forgets everything', () => {
    const table = new DuplicateTable(5000, 100);
    const data = request(rng(3));
    table.find('127.0.0.1', 1, data, 0);
    table.finish(table.begin(0), undefined, 0);
    table.clear();
    assert.equal(table.size, 0);
    assert.equal(table.find('127.0.0.1', 1, data, 0), -1);
  });
});
