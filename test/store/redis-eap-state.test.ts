// EAP state in a real redis-server: sessions as data with their lifetime, TLS sessions and one
// set of ticket keys for every instance, the registry of cluster links; Redis down: calls fail
// fast and the outage is logged once.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { RedisPeerRegistry, RedisSessionStore, RedisTlsSessions } from '../../src/store/redis-eap-state.js';
import { RedisSharedState } from '../../src/store/redis-shared-state.js';
import { type RedisPeer, redisMissing, startRedis } from '../helpers/redis.js';

describe('EAP state in Redis', { skip: redisMissing() }, () => {
  let redis: RedisPeer;
  let a: RedisSharedState;
  let b: RedisSharedState;
  before(async () => {
    redis = await startRedis();
    a = await RedisSharedState.open(redis.url);
    b = await RedisSharedState.open(redis.url);
    await Promise.all([a.ready, b.ready]);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  test('a session stored by one instance is read by another, replaced, expires, is deleted', async () => {
    const sa = new RedisSessionStore(a);
    const sb = new RedisSessionStore(b);
    await sa.set(
      's1',
      { identity: 'alice', requestId: 7, offered: [4, 26], method: { challenge: 'ab' } },
      5000,
    );
    assert.deepEqual(await sb.get('s1'), {
      identity: 'alice',
      requestId: 7,
      offered: [4, 26],
      method: { challenge: 'ab' },
    });
    await sb.set('s1', { identity: 'alice', requestId: 8 }, 5000);
    assert.deepEqual(await sa.get('s1'), { identity: 'alice', requestId: 8 });
    await sa.delete('s1');
    assert.equal(await sb.get('s1'), undefined);
    await sa.set('s2', { x: 1 }, 50);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(await sb.get('s2'), undefined, 'expired with its lifetime');
  });

  test('TLS sessions by ID, seen by every instance', async () => {
    const ta = new RedisTlsSessions(a);
    const tb = new RedisTlsSessions(b);
    const id = randomBytes(32);
    const session = randomBytes(200);
    await ta.set(id, session, 5000);
    assert.deepEqual(await tb.get(id), session);
    assert.equal(await tb.get(randomBytes(32)), undefined);
  });

  test('the registry of cluster links: registered, expired, unregistered', async () => {
    const ra = new RedisPeerRegistry(a);
    const rb = new RedisPeerRegistry(b);
    await ra.register('127.0.0.1:4001', 5000);
    assert.equal(await rb.has('127.0.0.1:4001'), true);
    assert.equal(await rb.has('127.0.0.1:4002'), false);
    await ra.unregister('127.0.0.1:4001');
    assert.equal(await rb.has('127.0.0.1:4001'), false);
    await ra.register('127.0.0.1:4003', 50);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(await rb.has('127.0.0.1:4003'), false);
  });

  test('Redis down: every call fails fast (the caller keeps the session itself), one log line', async () => {
    const lines: string[] = [];
    const log = (x: unknown, y?: unknown) => lines.push(typeof x === 'string' ? x : String(y));
    const c = await RedisSharedState.open(redis.url, {
      logger: { debug: log, info: log, warn: log, error: log },
    });
    await c.ready;
    const store = new RedisSessionStore(c);
    await redis.kill();
    try {
      for (let i = 0; i < 3; i++) await assert.rejects(store.set(`k${i}`, { i }, 1000));
      await assert.rejects(store.get('k0'));
      await assert.rejects(new RedisTlsSessions(c).get(randomBytes(8)));
      assert.equal(
        lines.filter((l) => /Redis\) unavailable: .*EAP sessions kept, per instance/.test(l)).length,
        1,
      );
    } finally {
      await redis.start();
      await c.close();
    }
  });
});
