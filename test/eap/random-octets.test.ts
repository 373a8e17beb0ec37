// Random octets cut from a pool: never the same octets twice, across pool refills too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomOctets } from '../../src/eap/random-octets.js';

test('States cut from the pool are all distinct and of the size asked, across refills', () => {
  const seen = new Set<string>();
  const kept: Buffer[] = [];
  // 1,000 x 16 octets: about four pools.
  for (let i = 0; i < 1000; i++) {
    const state = randomOctets(16);
    assert.equal(state.length, 16);
    kept.push(state);
    seen.add(state.toString('hex'));
  }
  assert.equal(seen.size, 1000);
  // A refill does not overwrite what was handed out before.
  assert.equal(new Set(kept.map((b) => b.toString('hex'))).size, 1000);
  assert.equal(randomOctets(1).length, 1);
  assert.equal(randomOctets(5000).length, 5000);
});
