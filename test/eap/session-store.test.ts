// The in-memory EAP session store: bounded in count and idle lifetime, and every session it
// drops is disposed (a TLS socket freed), so abandoned handshakes return their memory.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemorySessionStore, type StoredSession } from '../../src/eap/session-store.js';

class Counted implements StoredSession {
  static disposed = 0;
  dispose(): void {
    Counted.disposed++;
  }
}

test('10,000 abandoned sessions and more: the store stays at its bound and disposes the rest', () => {
  Counted.disposed = 0;
  const store = new MemorySessionStore<Counted>({ maxSessions: 10_000 });
  for (let i = 0; i < 15_000; i++) store.set(`s${i}`, new Counted());
  assert.equal(store.size, 10_000);
  assert.equal(Counted.disposed, 5_000);
  // The least recently used went first.
  assert.equal(store.get('s0'), undefined);
  assert.ok(store.get('s14999'));
});

test('a session idle for its lifetime expires and is disposed; a touched one lives on', () => {
  Counted.disposed = 0;
  let now = 1_000_000;
  const store = new MemorySessionStore<Counted>({ idleLifetime: 60, now: () => now });
  store.set('idle', new Counted());
  store.set('busy', new Counted());
  now += 40_000;
  assert.ok(store.get('busy'));
  now += 25_000; // idle: 65 s since its last round; busy: 25 s
  assert.equal(store.get('idle'), undefined);
  assert.ok(store.get('busy'));
  assert.equal(store.size, 1);
  assert.equal(Counted.disposed, 1);
  now += 61_000;
  store.set('new', new Counted());
  assert.equal(store.size, 1, 'the expired session went when the next one came');
  assert.equal(Counted.disposed, 2);
});

test('with no traffic at all, the expired are still disposed (a sweep every quarter lifetime, at least 1 s)', async () => {
  Counted.disposed = 0;
  const store = new MemorySessionStore<Counted>({ idleLifetime: 0.05 });
  for (let i = 0; i < 100; i++) store.set(`s${i}`, new Counted());
  // Nothing calls the store again: only its own sweep can free them (bounded wait).
  for (let i = 0; i < 100 && store.size > 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(store.size, 0);
  assert.equal(Counted.disposed, 100);
});

test('delete and clear dispose', () => {
  Counted.disposed = 0;
  const store = new MemorySessionStore<Counted>();
  store.set('a', new Counted());
  store.set('b', new Counted());
  store.delete('a');
  store.clear();
  assert.equal(store.size, 0);
  assert.equal(Counted.disposed, 2);
});

test('at the bound the least recently used goes: a session looked up moves to the newest end', () => {
  Counted.disposed = 0;
  const store = new MemorySessionStore<Counted>({ maxSessions: 3 });
  for (const key of ['a', 'b', 'c']) store.set(key, new Counted());
  assert.ok(store.get('a'));
  store.set('d', new Counted());
  assert.equal(store.get('b'), undefined, 'b was the least recently used');
  assert.ok(store.get('a'));
  // A deleted session leaves the order intact around it.
  store.delete('c');
  store.set('e', new Counted());
  store.set('f', new Counted());
  assert.deepEqual(
    ['a', 'c', 'd', 'e', 'f'].map((k) => store.get(k) !== undefined),
    [true, false, false, true, true],
  );
  assert.equal(store.size, 3);
  assert.equal(Counted.disposed, 3);
});

test('churn: 50,000 sets, lookups and deletes through a bound of 1,000 keep the order a plain LRU keeps', () => {
  Counted.disposed = 0;
  const store = new MemorySessionStore<Counted>({ maxSessions: 1_000 });
  // The reference: a Map in least-recently-used order (a lookup deletes and sets again).
  const model = new Map<string, true>();
  const touch = (key: string) => {
    model.delete(key);
    model.set(key, true);
  };
  let seed = 12345;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  let made = 0;
  let deleted = 0;
  for (let step = 0; step < 50_000; step++) {
    const op = random(10);
    if (op < 4) {
      const key = `s${made++}`;
      store.set(key, new Counted());
      if (model.size >= 1_000) model.delete(model.keys().next().value as string);
      touch(key);
    } else if (op < 9) {
      // A round of a recent conversation (held or not).
      const key = `s${Math.max(0, made - 1 - random(1_500))}`;
      assert.equal(store.get(key) !== undefined, model.has(key), key);
      if (model.has(key)) touch(key);
    } else {
      const key = `s${Math.max(0, made - 1 - random(1_500))}`;
      if (model.delete(key)) deleted++;
      store.delete(key);
    }
    assert.equal(store.size, model.size);
  }
  assert.equal(Counted.disposed, made - model.size, 'every session gone was disposed, once');
  assert.ok(deleted > 0 && made - deleted - model.size > 0, 'deletes and evictions both happened');
});
