// radius_handler_seconds is counted by HandlerHistogram, not by prom-client's observe(): what the
// endpoint prints must be exactly what prom-client's own histogram prints for the same observations.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { HandlerHistogram } from '../../src/cli/metrics.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

describe('HandlerHistogram', () => {
  test('prints what a prom-client histogram prints for the same observations', async () => {
    const ours = new Registry();
    const fast = new HandlerHistogram(ours);
    const reference = new Registry();
    const slow = new Histogram({
      name: 'radius_handler_seconds',
      help: 'Time to decide a request (accounting: until the record is committed)',
      labelNames: ['type'],
      buckets: BUCKETS,
      registers: [reference],
    });
    assert.equal(await ours.metrics(), await reference.metrics(), 'nothing observed yet');
    // Values on, between and past the bucket bounds, for both types.
    const seen = [0, 0.0001, 0.0005, 0.00051, 0.001, 0.003, 0.01, 0.2, 0.5, 1, 2.5, 2.6, 30];
    for (const [i, v] of seen.entries()) {
      // auth first: both print the types in the order first seen, ours in the order auth, acct.
      const type = i % 3 === 1 ? 'acct' : 'auth';
      fast.record(type, v);
      slow.observe({ type }, v);
    }
    assert.equal(await ours.metrics(), await reference.metrics());
    const text = await ours.metrics();
    assert.match(text, /^radius_handler_seconds_bucket\{le="\+Inf",type="auth"\} 9$/m);
    assert.match(text, /^radius_handler_seconds_count\{type="acct"\} 4$/m);
  });
});
