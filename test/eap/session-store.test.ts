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
