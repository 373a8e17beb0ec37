import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClientCounterTable } from '../../src/pipeline/client-counters.js';

interface Count {
  n: number;
}

const table = () => new ClientCounterTable<Count>(() => ({ n: 0 }), 3, 2);
const listed = (t: ClientCounterTable<Count>) => [...t.clients()].map(([a, c]) => [a, c.n]);

test('clients: made on first use, kept in the order first seen, the first seen goes first', () => {
  const t = table();
  for (const a of ['a', 'b', 'c', 'a']) t.client(a).n++;
  assert.deepEqual(listed(t), [
    ['a', 2],
    ['b', 1],
    ['c', 1],
  ]);
  t.client('d').n++;
  assert.equal(t.peek('a'), undefined);
  assert.deepEqual(listed(t), [
    ['b', 1],
    ['c', 1],
    ['d', 1],
  ]);
});

test('refused sources: a table of their own, the least recently seen goes, never listed', () => {
  const t = table();
  t.client('nas').n++;
  for (const a of ['x', 'y', 'x', 'z']) t.refusedSource(a).n++;
  // y was seen least recently when z came.
  assert.deepEqual(
    ['x', 'y', 'z'].map((a) => t.peek(a)?.n),
    [2, undefined, 1],
  );
  assert.deepEqual(listed(t), [['nas', 1]]);
  // A client refused later is counted in its own entry.
  t.refusedSource('nas').n++;
  assert.equal(t.peek('nas')?.n, 2);
});

test('a refused source accepted later keeps its counters, now as a client', () => {
  const t = table();
  t.refusedSource('late').n++;
  t.client('late').n++;
  assert.deepEqual(listed(t), [['late', 2]]);
  // Its refused entry is gone: refused sources have their whole room again.
  for (const a of ['p', 'q']) t.refusedSource(a).n++;
  assert.deepEqual(
    ['p', 'q'].map((a) => t.peek(a)?.n),
    [1, 1],
  );
});
