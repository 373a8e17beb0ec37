// The per-server window of requests in flight, the bounded queue behind it, and the
// retransmission timers of RFC 5080 §2.2.1.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { initialTimeout, jitter, nextTimeout } from '../../src/client/backoff.js';
import { CongestionWindow, INITIAL_WINDOW, MIN_WINDOW } from '../../src/client/congestion-window.js';
import { RadiusClient } from '../../src/client/radius-client.js';
import { ConfigError, RadiusQueueFullError, RadiusTimeoutError } from '../../src/errors.js';
import { ACCESS_ACCEPT } from '../../src/protocol/codes.js';
import { AccessRequest } from '../../src/protocol/packet.js';
import { TestServer } from './udp-test-server.js';

const SECRET = 'testing123';

function accessRequest(user: string): AccessRequest {
  return new AccessRequest(SECRET).addAttributes(['User-Name', user], ['User-Password', 'pw']);
}

describe('retransmission timers (RFC 5080 §2.2.1)', () => {
  test('RT doubles with ±10% jitter and is capped at MRT ± 10%', () => {
    for (let i = 0; i < 1000; i++) {
      const r = jitter();
      assert.ok(r >= -0.1 && r <= 0.1);
    }
    assert.equal(initialTimeout(2000, 16000, 0), 2000);
    assert.equal(initialTimeout(2000, 16000, 0.1), 2200);
    assert.equal(initialTimeout(2000, 16000, -0.1), 1800);
    assert.equal(nextTimeout(2000, 16000, 0), 4000);
    assert.equal(nextTimeout(2000, 16000, 0.1), 4200);
    assert.equal(nextTimeout(10000, 16000, 0), 16000);
    assert.equal(nextTimeout(16000, 16000, -0.1), 14400);
    // An IRT above MRT starts at MRT.
    assert.equal(initialTimeout(20000, 16000, 0), 16000);
    // Jitter spreads a burst: 1,000 first timeouts are not all equal.
    assert.ok(new Set(Array.from({ length: 1000 }, () => initialTimeout(3000, 16000))).size > 10);
  });

  test('a silent server: waits double until maxDuration ends the call, whatever `retries` allows', async () => {
    const server = await TestServer.start({ handler: () => null });
    // Fixed waits of 0.1 s would make 11 attempts; doubling waits (0.1, 0.2, 0.4) cut at 0.5 s make 3.
    const client = new RadiusClient({ timeout: 0.1, retries: 10, maxDuration: 0.5 });
    try {
      await assert.rejects(
        client.sendPacket(accessRequest('slow'), { remoteHost: '127.0.0.1', remotePort: server.port }),
        (err: unknown) => err instanceof RadiusTimeoutError && err.attempts === 3,
      );
      assert.equal(server.seen.length, 3);
      assert.equal(client.statistics.retransmissions, 2);
      // Per call: a cap of 0.1 s between attempts within 0.25 s allows 3 attempts too.
      await assert.rejects(
        client.sendPacket(accessRequest('capped'), {
          remoteHost: '127.0.0.1',
          remotePort: server.port,
          timeout: 0.1,
          maxTimeout: 0.1,
          maxDuration: 0.25,
        }),
        (err: unknown) => err instanceof RadiusTimeoutError && err.attempts === 3,
      );
    } finally {
      client.close();
      server.close();
    }
  });

  test('bad timer and window options are ConfigError', () => {
    assert.throws(() => new RadiusClient({ maxTimeout: 0 }), ConfigError);
    assert.throws(() => new RadiusClient({ maxDuration: -1 }), ConfigError);
    assert.throws(() => new RadiusClient({ maxInFlight: 0 }), ConfigError);
    assert.throws(() => new RadiusClient({ maxInFlight: 1.5 }), ConfigError);
    assert.throws(() => new RadiusClient({ maxQueued: -1 }), ConfigError);
    assert.throws(() => new RadiusClient({ dnsTtl: -1 }), ConfigError);
    assert.throws(() => new RadiusClient({ adaptiveWindow: 'yes' as unknown as boolean }), ConfigError);
    assert.throws(() => new RadiusClient({ localAddress: 'not-an-address' }), ConfigError);
    new RadiusClient({ maxQueued: Number.POSITIVE_INFINITY, dnsTtl: 0 }).close();
  });
});

describe('the window of requests in flight', () => {
  test('CongestionWindow: slow start while in use, halves once per loss event, within [MIN_WINDOW, max]', () => {
    const w = new CongestionWindow(100, true);
    assert.equal(w.limit, INITIAL_WINDOW);
    // Not in use: replies do not grow it (RFC 7661).
    w.inFlight = 1;
    w.onReply();
    assert.equal(w.limit, INITIAL_WINDOW);
    // Full: +1 per reply up to the cap.
    w.inFlight = w.limit;
    for (let i = 0; i < 200; i++) {
      w.inFlight = w.limit;
      w.onReply();
    }
    assert.equal(w.limit, 100);
    // A loss: halved once for every transmission made before the decrease.
    assert.equal(w.onTimeout(10, 20), true);
    assert.equal(w.limit, 50);
    assert.equal(w.onTimeout(15, 25), false, 'sent before the decrease: the same loss event');
    assert.equal(w.limit, 50);
    // Past the first loss, one per window of replies (additive increase).
    for (let i = 0; i < 51; i++) {
      w.inFlight = w.limit;
      w.onReply();
    }
    assert.equal(w.limit, 51);
    for (let t = 30; t < 40; t++) w.onTimeout(t, t + 0.5);
    assert.equal(w.limit, MIN_WINDOW);
    const fixed = new CongestionWindow(300, false);
    assert.equal(fixed.limit, 300);
    fixed.inFlight = 300;
    fixed.onReply();
    assert.equal(fixed.onTimeout(1, 2), false);
    assert.equal(fixed.limit, 300);
    assert.equal(new CongestionWindow(2, true).limit, 2);
  });

  test('2,000 calls at once: the server never holds more than maxInFlight; all answered in call order', async () => {
    const server = await TestServer.start({ delayMs: 5 });
    const client = new RadiusClient({ maxInFlight: 100 });
    try {
      const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
      const calls = Array.from({ length: 2000 }, (_, i) => client.sendPacket(accessRequest(`w${i}`), opts));
      assert.equal(client.statistics.queued, 2000 - 32, 'the adaptive window starts at 32');
      const results = await Promise.all(calls);
      assert.ok(results.every(([r]) => r.code === ACCESS_ACCEPT));
      assert.ok(server.maxOutstanding <= 100, `${server.maxOutstanding} held at once`);
      assert.ok(server.maxOutstanding > 32, 'the window grew while replies came back');
      assert.deepEqual(
        server.seen.map((s) => s.packet.get('User-Name')),
        Array.from({ length: 2000 }, (_, i) => `w${i}`),
      );
      assert.equal(client.statistics.queued, 0);
      assert.equal(client.statistics.retransmissions, 0);
    } finally {
      client.close();
      server.close();
    }
  });

  test('20,000 calls at once to a server that drops a random 30%: all Access-Accept, no timeout', async () => {
    const server = await TestServer.start({ dropRate: 0.3, seed: 20_000 });
    server.record = false;
    // Short timers keep the test fast; 13 attempts leave 0.3^13 (2e-7) per call to chance.
    const client = new RadiusClient({ timeout: 0.05, maxTimeout: 0.2, retries: 12, maxDuration: 20 });
    try {
      const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
      const results = await Promise.allSettled(
        Array.from({ length: 20_000 }, (_, i) => client.sendPacket(accessRequest(`d${i}`), opts)),
      );
      const failed = results.filter((r) => r.status === 'rejected');
      assert.equal(failed.length, 0, String((failed[0] as PromiseRejectedResult | undefined)?.reason));
      for (const r of results) if (r.status === 'fulfilled') assert.equal(r.value[0].code, ACCESS_ACCEPT);
      const stats = client.statistics;
      assert.equal(stats.timeouts, 0);
      assert.equal(stats.responses, 20_000);
      assert.ok(server.dropped > 20_000 * 0.3, `${server.dropped} dropped`);
      assert.ok(stats.retransmissions >= server.dropped - 100);
    } finally {
      client.close();
      server.close();
    }
  });
});

describe('a server that answers nothing', () => {
  test('the calls waiting behind the window end once one sent before them got no answer at all', async () => {
    const server = await TestServer.start({ handler: () => null });
    // maxDuration (30 s by default) would otherwise end the waiting calls, a few per timeout.
    const client = new RadiusClient({ timeout: 0.3, retries: 1 });
    try {
      const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
      const t0 = performance.now();
      const results = await Promise.allSettled(
        Array.from({ length: 200 }, (_, i) => client.sendPacket(accessRequest(`s${i}`), opts)),
      );
      const elapsed = performance.now() - t0;
      const errors = results.map((r) => (r.status === 'rejected' ? r.reason : r.value));
      assert.ok(errors.every((e) => e instanceof RadiusTimeoutError));
      const sent = (errors as RadiusTimeoutError[]).filter((e) => e.attempts > 0);
      const unsent = (errors as RadiusTimeoutError[]).filter((e) => e.attempts === 0);
      assert.ok(sent.length >= 32 && unsent.length > 0, `${sent.length} sent, ${unsent.length} not`);
      assert.ok(sent.every((e) => e.attempts === 2 && e.silentSeconds === -1));
      // No later than the last call sent gives up: two of its waits (0.3 and 0.6 s) after going out.
      assert.ok(elapsed < 5000, `${elapsed} ms`);
      assert.equal(server.seen.length, sent.length * 2);
      const stats = client.statistics;
      assert.equal(stats.queued, 0);
      assert.equal(stats.timeouts, 200);
    } finally {
      client.close();
      server.close();
    }
  });

  test('a server that answers other calls: one unanswered call does not end those waiting', async () => {
    // Every other request goes unanswered; the answers to the rest show the server is there. (With
    // a window so small that only unanswered requests fill it for a whole timeout, the server
    // would look silent, and the calls behind them would end.)
    const server = await TestServer.start({
      handler: (seen) =>
        Number(String(seen.packet.get('User-Name')).slice(1)) % 2 === 0
          ? seen.packet.createReply(ACCESS_ACCEPT)
          : null,
    });
    const client = new RadiusClient({ timeout: 0.2, retries: 0 });
    try {
      const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
      const results = await Promise.allSettled(
        Array.from({ length: 400 }, (_, i) => client.sendPacket(accessRequest(`a${i}`), opts)),
      );
      results.forEach((r, i) => {
        if (i % 2 === 0) assert.equal(r.status, 'fulfilled', `a${i}`);
        else
          assert.ok(
            r.status === 'rejected' && r.reason instanceof RadiusTimeoutError && r.reason.attempts === 1,
            `a${i}: ${r.status === 'rejected' ? r.reason : 'answered'}`,
          );
      });
      assert.equal(server.seen.length, 400);
    } finally {
      client.close();
      server.close();
    }
  });
});

describe('the queue behind the window (maxQueued)', () => {
  test('past maxQueued waiting calls, sendPacket rejects at once with RadiusQueueFullError', async () => {
    const server = await TestServer.start({ delayMs: 100 });
    const client = new RadiusClient({ maxInFlight: 1, adaptiveWindow: false, maxQueued: 2 });
    try {
      const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
      const accepted = [1, 2, 3].map((i) => client.sendPacket(accessRequest(`q${i}`), opts));
      assert.equal(client.statistics.queued, 2);
      await assert.rejects(client.sendPacket(accessRequest('q4'), opts), (err: unknown) => {
        assert.ok(err instanceof RadiusQueueFullError);
        assert.equal(err.code, 'ERR_RADIUS_QUEUE_FULL');
        assert.equal(err.maxQueued, 2);
        assert.equal(err.server, `127.0.0.1:${server.port}`);
        return true;
      });
      assert.equal(client.statistics.queueFull, 1);
      assert.equal(client.statistics.requests, 3, 'a refused call is not a request');
      await Promise.all(accepted);
      // Room again once the queue drained.
      await client.sendPacket(accessRequest('q5'), opts);
      assert.deepEqual(
        server.seen.map((s) => s.packet.get('User-Name')),
        ['q1', 'q2', 'q3', 'q5'],
      );
      // maxQueued 0: a call that would wait is refused; one with room goes.
      const noWait = new RadiusClient({ maxInFlight: 1, adaptiveWindow: false, maxQueued: 0 });
      try {
        const first = noWait.sendPacket(accessRequest('n1'), opts);
        await assert.rejects(noWait.sendPacket(accessRequest('n2'), opts), RadiusQueueFullError);
        await first;
      } finally {
        noWait.close();
      }
    } finally {
      client.close();
      server.close();
    }
  });

  test('a call that waits longer than its maxDuration ends as a timeout, never sent', async () => {
    const server = await TestServer.start({ handler: () => null });
    const client = new RadiusClient({ maxInFlight: 1, adaptiveWindow: false, timeout: 1, retries: 0 });
    try {
      const opts = { remoteHost: '127.0.0.1', remotePort: server.port };
      const first = client.sendPacket(accessRequest('holder'), opts);
      first.catch(() => {});
      await assert.rejects(
        client.sendPacket(accessRequest('waiter'), { ...opts, maxDuration: 0.1 }),
        (err: unknown) =>
          err instanceof RadiusTimeoutError && err.attempts === 0 && /not sent within/.test(err.message),
      );
      assert.deepEqual(
        server.seen.map((s) => s.packet.get('User-Name')),
        ['holder'],
      );
      assert.equal(client.statistics.queued, 0);
      await assert.rejects(first, RadiusTimeoutError);
    } finally {
      client.close();
      server.close();
    }
  });
});
