// The bounded caches' order: least recently used first, kept beside the Map (see recency-map.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecencyMap } from '../../src/store/recency-map.js';

/** The keys from the oldest to the newest, taken out one by one. */
function drain<V>(map: RecencyMap<V>): V[] {
  const out: V[] = [];
  for (let v = map.shift(); v !== undefined; v = map.shift()) out.push(v);
  return out;
}

test('peek leaves the order, touch and set make an entry the newest, shift takes the oldest', () => {
  const map = new RecencyMap<string>();
  for (const k of ['a', 'b', 'c', 'd']) map.set(k, k);
  assert.equal(map.peek('a'), 'a');
  assert.equal(map.oldest(), 'a', 'peek did not move it');
  assert.equal(map.touch('b'), 'b');
  assert.equal(map.set('a', 'A'), 'a', 'set returns the value it replaced');
  assert.equal(map.touch('missing'), undefined);
  assert.equal(map.delete('c'), 'c');
  assert.equal(map.delete('c'), undefined);
  assert.equal(map.size, 3);
  assert.deepEqual(
    [...map.entries()],
    [
      ['d', 'd'],
      ['b', 'b'],
      ['a', 'A'],
    ],
  );
  assert.deepEqual(drain(map), ['d', 'b', 'A']);
  assert.equal(map.size, 0);
  assert.equal(map.oldest(), undefined);
});

test('the only entry, touched, deleted and set again; clear returns every value', () => {
  const map = new RecencyMap<number>();
  map.set('x', 1);
  assert.equal(map.touch('x'), 1);
  assert.equal(map.delete('x'), 1);
  assert.equal(map.oldest(), undefined);
  map.set('x', 2);
  map.set('y', 3);
  assert.deepEqual(map.clear().sort(), [2, 3]);
  assert.equal(map.size, 0);
  map.set('z', 4);
  assert.deepEqual(drain(map), [4]);
});
