// The counters behind RadiusClient.statistics and the figures derived from them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StatisticsRecorder } from '../../src/client/statistics.js';

test('a snapshot copies every counter, sums the invalid replies, and times only answered calls', () => {
  const r = new StatisticsRecorder();
  const empty = r.snapshot();
  assert.equal(empty.noResponses, 0);
  assert.deepEqual([empty.minTime, empty.maxTime, empty.avgTime], [0, 0, 0]);
  r.requests = 3;
  r.timeouts = 1;
  // Two attempts unanswered before the reply of the first call, four of the second call's.
  r.noResponses = 6;
  r.invalid.badAuthenticator = 2;
  r.invalid.wrongSource = 1;
  r.recordResponse(0.5);
  r.recordResponse(0.1);
  const s = r.snapshot();
  assert.deepEqual([s.requests, s.responses, s.timeouts, s.noResponses, s.invalidResponses], [3, 2, 1, 6, 3]);
  assert.deepEqual([s.minTime, s.maxTime], [0.1, 0.5]);
  assert.ok(Math.abs(s.avgTime - 0.3) < 1e-12);
  // A copy: later counts do not change it.
  r.noResponses++;
  r.invalid.malformed++;
  assert.equal(s.noResponses, 6);
  assert.equal(s.invalid.malformed, 0);
});
