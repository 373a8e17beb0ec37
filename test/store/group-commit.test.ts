import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GroupCommit } from '../../src/store/group-commit.js';

/** A write that waits until released, recording the batches and how many ran at once. */
function gatedWriter() {
  const batches: number[][] = [];
  const gates: Array<() => void> = [];
  let running = 0;
  let most = 0;
  const write = async (items: number[]) => {
    batches.push(items);
    running++;
    most = Math.max(most, running);
    await new Promise<void>((r) => gates.push(r));
    running--;
    return items.map((i) => i * 10);
  };
  const release = () => {
    for (const g of gates.splice(0)) g();
  };
  return { write, batches, release, most: () => most };
}

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

test('one batch at a time by default: what arrives meanwhile is the next batch', async () => {
  const w = gatedWriter();
  const gc = new GroupCommit(w.write, { delayMs: 1 });
  const first = [1, 2, 3].map((i) => gc.submit(i));
  await tick();
  const second = [4, 5].map((i) => gc.submit(i));
  await tick();
  assert.equal(w.batches.length, 1, 'the second waits for the first');
  w.release();
  assert.deepEqual(await Promise.all(first), [10, 20, 30]);
  await tick();
  w.release();
  assert.deepEqual(await Promise.all(second), [40, 50]);
  assert.deepEqual(w.batches, [
    [1, 2, 3],
    [4, 5],
  ]);
  assert.equal(w.most(), 1);
  await gc.close();
});

test('concurrency 2: a second batch is written while the first is still committing', async () => {
  const w = gatedWriter();
  const gc = new GroupCommit(w.write, { delayMs: 1, concurrency: 2, minConcurrentBatch: 1 });
  const first = [1, 2].map((i) => gc.submit(i));
  await tick();
  const second = [3].map((i) => gc.submit(i));
  await tick();
  assert.equal(w.batches.length, 2, 'both batches are being written');
  assert.equal(w.most(), 2);
  w.release();
  assert.deepEqual(await Promise.all([...first, ...second]), [10, 20, 30]);
  const closing = gc.close();
  await closing;
  await assert.rejects(gc.submit(9), /store closed/);
});

test('close() waits for every queued item', async () => {
  const w = gatedWriter();
  const gc = new GroupCommit(w.write, { delayMs: 50, concurrency: 2 });
  const all = [1, 2, 3].map((i) => gc.submit(i));
  const closing = gc.close();
  await tick();
  w.release();
  await closing;
  assert.deepEqual(await Promise.all(all), [10, 20, 30]);
});

test('concurrency 2: a further batch waits for company (minConcurrentBatch) while one is written', async () => {
  const w = gatedWriter();
  const gc = new GroupCommit(w.write, { delayMs: 1, concurrency: 2, minConcurrentBatch: 3 });
  const first = gc.submit(1);
  await tick();
  const few = [2, 3].map((i) => gc.submit(i));
  await tick();
  assert.equal(w.batches.length, 1, 'two waiting: no second batch yet');
  const more = gc.submit(4);
  await tick();
  assert.equal(w.batches.length, 2, 'three waiting: a second batch starts');
  assert.deepEqual(w.batches[1], [2, 3, 4]);
  w.release();
  assert.deepEqual(await Promise.all([first, ...few, more]), [10, 20, 30, 40]);
  await gc.close();
});
