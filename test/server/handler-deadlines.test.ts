// The handler time limits of a server share one timer: a promise that settles in time passes
// through, one that does not is rejected at its own deadline, whatever the order they came in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HandlerDeadlines } from '../../src/server/handler-deadlines.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function gate<T>(): { promise: Promise<T>; open(value: T): void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

test('HandlerDeadlines: prompt promises pass, late ones reject at their deadline, in any order', async () => {
  const deadlines = new HandlerDeadlines((label) => new Error(`${label} timed out`));
  // The limits' timer does not hold the process open: this does, for the test.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    const fails = Promise.reject(new Error('handler failed'));
    const late = gate<number>();
    const outcomes: string[] = [];
    const watch = (name: string, p: Promise<unknown>) =>
      p.then(
        (v) => outcomes.push(`${name} ${String(v)}`),
        (e: Error) => outcomes.push(`${name} ${e.message}`),
      );
    const all = Promise.all([
      watch('long', deadlines.race(late.promise, 200, 'long')),
      watch('short', deadlines.race(gate<number>().promise, 20, 'short')),
      watch('prompt', deadlines.race(Promise.resolve(7), 20, 'prompt')),
      watch('failing', deadlines.race(fails, 20, 'failing')),
      watch('middle', deadlines.race(gate<number>().promise, 60, 'middle')),
    ]);
    await sleep(100);
    late.open(42);
    await all;
    assert.deepEqual(outcomes, [
      'prompt 7',
      'failing handler failed',
      'short short timed out',
      'middle middle timed out',
      'long 42',
    ]);
  } finally {
    clearInterval(keepAlive);
  }
});
