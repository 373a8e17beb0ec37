// Duplicate detection shared through a real redis-server, and what happens while it is down.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StoreOpenError } from '../../src/errors.js';
import { RedisSharedState } from '../../src/store/redis-shared-state.js';
import { type RedisPeer, redisMissing, startRedis } from '../helpers/redis.js';

/** A logger that keeps what it is told. */
function recordingLogger() {
  const lines: Array<{ level: string; msg: string }> = [];
  const at =
    (level: string) =>
    (a: unknown, b?: unknown): void => {
      lines.push({ level, msg: typeof a === 'string' ? a : String(b) });
    };
  return {
    lines,
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
  };
}

async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('RedisSharedState', { skip: redisMissing() }, () => {
  let redis: RedisPeer;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  test('a request claimed by one instance is pending for another, then answered from its reply', async () => {
    const a = await RedisSharedState.open(redis.url);
    const b = await RedisSharedState.open(redis.url);
    await until(
      async () =>
        await a.claim('probe-a', 1000).then(
          () => true,
          () => false,
        ),
    );
    await until(
      async () =>
        await b.claim('probe-b', 1000).then(
          () => true,
          () => false,
        ),
    );
    assert.deepEqual(await a.claim('nas/r1', 5000), { state: 'new' });
    assert.deepEqual(await b.claim('nas/r1', 5000), { state: 'pending' });
    const reply = Buffer.from([2, 7, 0, 20, ...Array(16).fill(9)]);
    await a.complete('nas/r1', reply, 5000);
    assert.deepEqual(await b.claim('nas/r1', 5000), { state: 'done', reply });
    // A request that got no reply is remembered as such.
    assert.deepEqual(await a.claim('nas/r2', 5000), { state: 'new' });
    await a.complete('nas/r2', undefined, 5000);
    assert.deepEqual(await b.claim('nas/r2', 5000), { state: 'done', reply: undefined });
    // Claims expire with their time to live.
    assert.deepEqual(await a.claim('nas/r3', 50), { state: 'new' });
    await new Promise((r) => setTimeout(r, 120));
    assert.deepEqual(await b.claim('nas/r3', 50), { state: 'new' });
    await Promise.all([a.close(), b.close()]);
  });

  test('Redis down: claims fail fast (the server then answers alone), one log line; back: one more, and claims work', async () => {
    const { lines, logger } = recordingLogger();
    const s = await RedisSharedState.open(redis.url, { logger });
    await until(
      async () =>
        await s.claim('probe', 1000).then(
          () => true,
          () => false,
        ),
    );
    const from = lines.length;
    await redis.kill();
    await until(() => s.degraded);
    await assert.rejects(s.claim('nas/x', 5000));
    await assert.rejects(s.claim('nas/y', 5000));
    const outages = lines.slice(from).filter((l) => l.level === 'error' && /Redis\) unavailable/.test(l.msg));
    assert.equal(outages.length, 1, JSON.stringify(lines));
    await redis.start();
    await until(
      async () =>
        await s.claim('nas/z', 5000).then(
          () => true,
          () => false,
        ),
    );
    assert.equal(s.degraded, false);
    assert.equal(lines.slice(from).filter((l) => /reachable again/.test(l.msg)).length, 1);
    await s.close();
  });

  test('Redis that stops answering (stalled, not gone): claims fail after 250 ms, one log line; awake: one more', async () => {
    const { lines, logger } = recordingLogger();
    const s = await RedisSharedState.open(redis.url, { logger });
    await until(
      async () =>
        await s.claim('stall-probe', 1000).then(
          () => true,
          () => false,
        ),
    );
    const from = lines.length;
    const paused = redis.pause(1500);
    await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(s.claim('nas/stalled', 5000), /did not answer within 250 ms/);
    assert.equal(s.degraded, true);
    await paused;
    await until(
      async () =>
        await s.claim('nas/awake', 5000).then(
          () => true,
          () => false,
        ),
    );
    const outages = lines.slice(from).filter((l) => l.level === 'error' && /Redis\) unavailable/.test(l.msg));
    assert.equal(outages.length, 1, JSON.stringify(lines));
    await until(() => lines.slice(from).some((l) => /reachable again/.test(l.msg)));
    await s.close();
  });

  test('credentials Redis refuses: told apart from an outage (refusedWithin, a log line that names them); right ones work', async () => {
    const guarded = await startRedis({ password: 'R3dis-pw' });
    try {
      const { lines, logger } = recordingLogger();
      const wrongUrl = guarded.url.replace('redis://', 'redis://:Wrong-pw@');
      const wrong = await RedisSharedState.open(wrongUrl, { logger });
      const refusal = await wrong.refusedWithin(5000);
      assert.match(String(refusal?.message), /WRONGPASS|invalid username-password/);
      assert.equal(
        lines.filter((l) => /refused the credentials/.test(l.msg)).length,
        1,
        JSON.stringify(lines),
      );
      assert.ok(!JSON.stringify(lines).includes('Wrong-pw'));
      await wrong.close();
      const right = await RedisSharedState.open(guarded.url.replace('redis://', 'redis://:R3dis-pw@'));
      assert.equal(await right.refusedWithin(5000), undefined);
      await right.close();
      // Unreachable is not refused: the instance goes on alone.
      const gone = await RedisSharedState.open('redis://127.0.0.1:1');
      assert.equal(await gone.refusedWithin(3000), undefined);
      await gone.close();
    } finally {
      await guarded.stop();
    }
  });

  test('open() rejects with StoreOpenError for a URL of another scheme or one the client cannot use', async () => {
    for (const [url, reason] of [
      ['mysql://u:S3cret@x', 'not a redis:// or rediss:// URL'],
      ['redis://:S3cret@127.0.0.1:notaport', 'not a valid URL'],
    ]) {
      const err = await RedisSharedState.open(url).then(
        () => assert.fail(`${url} opened`),
        (e: unknown) => e,
      );
      assert.ok(err instanceof StoreOpenError, String(err));
      assert.equal(err.store, 'Redis');
      assert.equal(err.reason, reason);
      // Node's URL error would carry the password in its input: no cause for these.
      assert.equal(err.cause, undefined);
      assert.doesNotMatch(`${err.message} ${err.stack}`, /S3cret/);
    }
  });

  test('an instance starts while Redis is down and picks it up once it is there', async () => {
    await redis.kill();
    const s = await RedisSharedState.open(redis.url);
    await assert.rejects(s.claim('nas/early', 5000));
    await redis.start();
    await until(
      async () =>
        await s.claim('nas/later', 5000).then(
          () => true,
          () => false,
        ),
    );
    await s.close();
  });
});
