// The drop log: the first drop of a NAS and reason at once, then one line per interval with the
// count of those dropped meanwhile, written by a timer when no later drop comes to write it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DropLog } from '../../src/pipeline/drop-log.js';
import { warningLogger } from '../helpers/warning-logger.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

test('a burst followed by silence: its size is written once the interval has passed', async () => {
  const { logger, lines } = warningLogger();
  const log = new DropLog(() => logger, 50);
  try {
    for (let i = 0; i < 1000; i++) log.report('10.0.0.1', 'bad_authenticator', { error: 'x' });
    for (let i = 0; i < 3; i++) log.report('10.0.0.2', 'unknown_nas');
    assert.equal(lines.length, 2, 'the first of each at once');
    await sleep(200);
    const counts = lines.slice(2).map((l) => [l.nas, l.reason, l.droppedSinceLastLog]);
    assert.deepEqual(counts.sort(), [
      ['10.0.0.1', 'bad_authenticator', 999],
      ['10.0.0.2', 'unknown_nas', 2],
    ]);
    await sleep(150);
    assert.equal(lines.length, 4, 'nothing more without new drops');
    // After a quiet interval, the next drop is a first occurrence again.
    log.report('10.0.0.1', 'bad_authenticator');
    assert.equal(lines.length, 5);
    assert.equal(lines[4].droppedSinceLastLog, undefined);
  } finally {
    log.clear();
  }
});

test('a drop after the interval writes the count itself; the timer does not write it again', async () => {
  const { logger, lines } = warningLogger();
  const log = new DropLog(() => logger, 1000);
  try {
    const t = Date.now();
    log.report('10.0.0.1', 'malformed', undefined, t);
    log.report('10.0.0.1', 'malformed', undefined, t + 10);
    log.report('10.0.0.1', 'malformed', undefined, t + 1010);
    assert.equal(lines.length, 2);
    assert.equal(lines[1].droppedSinceLastLog, 1);
  } finally {
    log.clear();
  }
});

test('clear() stops the timer: nothing is written after the server closed', async () => {
  const { logger, lines } = warningLogger();
  const log = new DropLog(() => logger, 30);
  log.report('10.0.0.1', 'malformed');
  log.report('10.0.0.1', 'malformed');
  log.clear();
  await sleep(100);
  assert.equal(lines.length, 1);
});

test('many pending counts are written in bounded slices, all of them', async () => {
  const { logger, lines } = warningLogger();
  const log = new DropLog(() => logger, 20);
  try {
    const n = 3000;
    for (let i = 0; i < n; i++) {
      const nas = `10.1.${i >> 8}.${i & 255}`;
      log.report(nas, 'unknown_nas');
      log.report(nas, 'unknown_nas');
    }
    const deadline = Date.now() + 3000;
    while (lines.length < 2 * n && Date.now() < deadline) await sleep(10);
    assert.equal(lines.length, 2 * n);
    assert.ok(lines.slice(n).every((l) => l.droppedSinceLastLog === 1));
  } finally {
    log.clear();
  }
});
